//! Fuzz target: the CBOR codec of the automerge-repo messages (`Message::decode`), which reads
//! every WebSocket frame. No input may panic; whatever decodes must encode and decode again; and
//! where the plain reader of the frames a room sends most answers, it answers what the general
//! reader does.
#![no_main]

use kring_shared::protocol::{Message, plain};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(m) = plain::decode(data) {
        assert_eq!(Ok(m), Message::decode_any(data), "the two readers disagree");
    }
    if let Ok(m) = Message::decode(data) {
        let again = Message::decode(&m.encode());
        assert!(
            again.is_ok(),
            "re-encoding {m:?} does not decode: {again:?}"
        );
    }
});
