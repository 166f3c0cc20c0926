//! kring-shared: the work-form model, document schemas, access rules, wire protocol and the
//! sans-IO sync engine. Builds for wasm32 (the browser) and native (the server, tests, tools).
//!
//! Architecture Invariant: this crate does no IO. No sockets, no tokio, no DOM, no clock and no
//! spawning; time and randomness come in as arguments.
//!
//! Layout:
//! - [`ids`]: newtype ids (workshop, participant, document, peer).
//! - [`closed`]: `closed_set!`, enums for values documents store as strings (marks, kinds, roles).
//! - [`api`]: the JSON bodies of the HTTP API, shared by the server and the frontend.
//! - [`forms`]: the work forms as data (000–004), step kinds, 004's building blocks and profile.
//! - [`step`]: the steps of a workshop. [`method`]: work form 000's content as data.
//! - [`timer`]: the server-held step timer and the clients' clock-skew estimate.
//! - [`pairing`]: mixing cross-organisation duos for step 2.
//! - [`access`]: who may read and write which document, per step.
//! - [`schema`]: what each document may hold; typed views and initial writes.
//! - [`protocol`]: automerge-repo network messages and their CBOR codec.
//! - [`limits`]: frame and inflation limits, and the decompression-bomb guard.
//! - [`presence`]: who is online, as ephemeral data. [`progress`]: step-1 counts for facilitators.
//! - [`plenary`]: step 3's cards, labels, energy and round; [`drag`]: cards being dragged.
//! - [`text`]: names, organisations and titles cleaned alike (NFC, no bidi overrides, no
//!   invisible-only text).
//! - [`report`]: the workshop report as data, Markdown, CSV and an SVG of the flip chart.
//! - [`engine`]: the sync engine, server side ([`engine::hub`]) and client side ([`engine::client`]).

pub mod access;
pub mod api;
pub mod closed;
pub mod drag;
pub mod engine;
pub mod ephemeral;
pub mod forms;
pub mod ids;
pub mod limits;
pub mod method;
pub mod pairing;
pub mod plenary;
pub mod presence;
pub mod progress;
pub mod protocol;
pub mod report;
pub mod schema;
pub mod step;
pub mod text;
pub mod timer;

pub use automerge;
