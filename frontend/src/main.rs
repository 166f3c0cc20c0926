//! kring-frontend: the browser app (Leptos CSR, compiled to wasm32 by `cargo xtask build`).
//!
//! Layout:
//! - [`app`]: the path router and the home page.
//! - [`console`]: the facilitator's console. [`participant`]: joining and the participant's view.
//!   [`reflection`]: step 1, the three circles with the participant's notes.
//!   [`duo`]: step 2, the duo room. [`duo_console`]: forming duos and the duo dashboard.
//!   [`plenary`]: step 3's round, energy and voices. [`table`]: the plenary table, clusters, drag.
//!   [`screen`]: the projector view. [`widgets`]: components they share.
//!   [`blocks`]: work form 004's rating sheet, group profile, actions and set-up.
//!   [`roles`]: work form 003's role sheet, balance, role map, agreements and set-up.
//!   [`agreements`]: work forms 001 and 002's canvas, consent rounds, TWOs, the collaboration
//!   panel and 001's phases. [`horizon`]: 002's horizon sentence, route ratings and route charts.
//!   [`collaboration`]: a collaboration's own page (sessions, agreements, backpack, route over
//!   time, downloads, links, deletion) and the way to it from a session's console.
//! - [`report`]: the workshop report page (print, downloads, names, sharing, deletion).
//! - [`session`]: `use_workshop`, the hook that keeps a workshop's documents live over the
//!   WebSocket with the shared sync engine, reconnecting when the network drops.
//! - [`links`]: the address join links and QR codes point at (`--public-url`, LAN addresses).
//! - [`http`]: the JSON API calls. [`i18n`]: Dutch and English texts. [`storage`]: tokens
//!   remembered in the browser.
//!
//! Architecture Invariant: the frontend depends on `kring-shared` only; views derive from the
//! synced documents and never keep a second copy of them.

mod agreements;
mod app;
mod blocks;
mod collaboration;
mod console;
mod duo;
mod duo_console;
mod horizon;
mod http;
mod i18n;
mod links;
mod participant;
mod plenary;
mod reflection;
mod report;
mod roles;
mod screen;
mod session;
mod storage;
mod table;
mod widgets;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
