//! Fuzz target: change chunks (plain, compressed, document and bundle chunks). The inflation
//! guard must never panic, and whatever it lets through must be safe to hand to automerge —
//! the guard comes first because automerge inflates compressed chunks without a cap. The guard
//! measures inflation only: automerge 0.12 can still panic on a malformed chunk it lets through
//! (found here; see `shared/tests/fuzz_regressions.rs`), so the server contains such panics and
//! so does this target.
#![no_main]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use automerge::Automerge;
use kring_shared::limits::inflated_size;
use libfuzzer_sys::fuzz_target;

/// Small, so a bomb shows up as a refusal quickly.
const CAP: usize = 256 * 1024;

/// libfuzzer-sys aborts in its panic hook, before any `catch_unwind` runs. Kring contains
/// automerge's panics on malformed chunks (see `engine/hub.rs`), so this target puts back a
/// hook that only reports; a panic that is not contained still aborts the run as a crash.
fn report_panics_only() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The first few are reported; thousands of them would only bury the log.
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|info| {
            if SEEN.fetch_add(1, Ordering::Relaxed) < 3 {
                eprintln!("panic (contained if caught): {info}");
            }
        }))
    });
}

fuzz_target!(|data: &[u8]| {
    report_panics_only();
    if inflated_size([data], CAP).is_ok() {
        let mut doc = Automerge::new();
        let _ = catch_unwind(AssertUnwindSafe(|| doc.load_incremental(data)));
    }
});
