//! Fuzz target: the CBOR codec of the automerge-repo messages (`Message::decode`), which reads
//! every WebSocket frame. No input may panic; whatever decodes must encode and decode again.
#![no_main]

use kring_shared::protocol::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::decode(data) {
        let again = Message::decode(&m.encode());
        assert!(
            again.is_ok(),
            "re-encoding {m:?} does not decode: {again:?}"
        );
    }
});
