//! Fuzz target: change chunks (plain, compressed, document and bundle chunks). The inflation
//! guard must never panic, and whatever it lets through must be safe to hand to automerge —
//! the guard comes first because automerge inflates compressed chunks without a cap.
#![no_main]

use automerge::Automerge;
use kring_shared::limits::inflated_size;
use libfuzzer_sys::fuzz_target;

/// Small, so a bomb shows up as a refusal quickly.
const CAP: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    if inflated_size([data], CAP).is_ok() {
        let mut doc = Automerge::new();
        let _ = doc.load_incremental(data);
    }
});
