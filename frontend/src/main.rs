//! kring-frontend: the browser app (Leptos CSR, compiled to wasm32 by `cargo xtask build`).
//!
//! Layout:
//! - [`app`]: the pages and the path router.
//! - [`session`]: `use_workshop`, the hook that keeps a workshop's documents live over the
//!   WebSocket with the shared sync engine, reconnecting when the network drops.
//! - [`http`]: the JSON API calls. [`i18n`]: Dutch and English texts. [`storage`]: tokens
//!   remembered in the browser.
//!
//! Architecture Invariant: the frontend depends on `kring-shared` only; views derive from the
//! synced documents and never keep a second copy of them.

mod app;
mod http;
mod i18n;
mod session;
mod storage;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
