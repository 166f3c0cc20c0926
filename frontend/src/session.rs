//! `use_workshop`: keeps one workshop live in the browser. It asks `/api/me` what the token may
//! open, estimates the server's clock, connects to `/sync` over a WebSocket, drives the shared
//! client engine, and exposes the documents as signals. Local edits apply at once; they are sent
//! in a batch a moment later and saved in the browser, so they survive a reload while offline.
//! When the socket drops it shows as offline and reconnects with backoff; the engine resyncs
//! every edit made meanwhile on the next connection.

use std::cell::RefCell;
use std::rc::Rc;

use kring_shared::automerge::transaction::Transaction;
use kring_shared::automerge::{Automerge, AutomergeError};
use kring_shared::drag::{Drag, Holds};
use kring_shared::engine::client::{ClientEvent, ClientRepo};
use kring_shared::ids::{DocumentId, PeerId};
use kring_shared::presence::Presence;
use kring_shared::progress::Progress;
use kring_shared::protocol::Message;
use kring_shared::schema::answers::{self, AnswersView};
use kring_shared::schema::duo::{self, DuoView};
use kring_shared::schema::rating::{self, RatingView};
use kring_shared::schema::reflection::{self, Note};
use kring_shared::schema::role_sheet::{self, RoleSheetView};
use kring_shared::schema::table::{self, TableView};
use kring_shared::schema::voice::{self, VoiceView};
use kring_shared::schema::workshop::{self, WorkshopView};
use kring_shared::timer::{ClockSample, clock_offset};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use crate::http;
use crate::storage;

/// What `/api/me` says about a token (the shared type the server writes).
pub use kring_shared::api::Me;

/// Reads `/api/me`'s answer (or its copy kept for offline starts).
fn parse_me(v: &serde_json::Value) -> Option<Me> {
    serde_json::from_value(v.clone()).ok()
}

/// The live state of one workshop, as signals, and the way to change it.
#[derive(Clone, Copy)]
pub struct UseWorkshopReturn {
    pub me: RwSignal<Option<Me>>,
    pub workshop: RwSignal<WorkshopView>,
    pub presence: RwSignal<Presence>,
    /// The participant's own notes (empty for other roles).
    pub reflection: RwSignal<Vec<Note>>,
    /// Step-1 counts per participant (facilitators only).
    pub progress: RwSignal<Progress>,
    /// Duo rooms this peer has open (its own; every room for facilitators), by document.
    pub rooms: RwSignal<std::collections::BTreeMap<DocumentId, DuoView>>,
    /// Duo partners' sheets (read-only), by document.
    pub partner_notes: RwSignal<std::collections::BTreeMap<DocumentId, Vec<Note>>>,
    /// The plenary table, once open (step 3; facilitators earlier).
    pub table: RwSignal<Option<TableView>>,
    /// Participants' voices in the plenary, by document.
    pub voices: RwSignal<std::collections::BTreeMap<DocumentId, VoiceView>>,
    /// The participant's own ratings (work form 004), once opened.
    pub rating: RwSignal<RatingView>,
    /// The participant's own role sheet (work form 003), once opened.
    pub role_sheet: RwSignal<RoleSheetView>,
    /// The participant's own answers (work form 001), once opened.
    pub answers: RwSignal<AnswersView>,
    /// Cards other hands are dragging right now.
    pub holds: RwSignal<Holds>,
    /// True while the WebSocket is open and joined.
    pub connected: RwSignal<bool>,
    /// Set when the token is not accepted (the page should offer to start over).
    pub auth_error: RwSignal<Option<String>>,
    /// The last refusal or failure the server reported, for a notice.
    pub last_error: RwSignal<Option<String>>,
    /// Estimated `server clock − this browser's clock`, in milliseconds.
    pub clock_offset: RwSignal<f64>,
    /// The bearer token, for the JSON API.
    pub token: StoredValue<String>,
    engine: StoredValue<Option<Shared>, LocalStorage>,
}

impl UseWorkshopReturn {
    /// Edits the workshop document locally and sends the change.
    pub fn change_workshop(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) {
        let Some(doc) = self.me.get_untracked().map(|m| m.documents.workshop) else {
            return;
        };
        self.engine.with_value(|shared| {
            if let Some(s) = shared {
                s.change(doc, f);
            }
        });
    }

    /// Opens another document (a duo room, a partner's sheet) and keeps its signal current.
    pub fn open_document(&self, doc: DocumentId, kind: Extra) {
        self.engine.with_value(|shared| {
            if let Some(s) = shared {
                s.open_extra(doc, kind);
            }
        });
    }

    /// Edits any open document locally (a duo room); sent and saved a moment later.
    pub fn change_document(
        &self,
        doc: DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) {
        self.engine.with_value(|shared| {
            if let Some(s) = shared {
                s.change(doc, f);
            }
        });
    }

    /// Edits the participant's own reflection locally; it is sent and saved a moment later.
    pub fn change_reflection(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) {
        let Some(doc) = self.me.get_untracked().and_then(|m| m.documents.reflection) else {
            return;
        };
        self.engine.with_value(|shared| {
            if let Some(s) = shared {
                s.change(doc, f);
            }
        });
    }

    /// Sends ephemeral data (a drag in progress) to everyone reading `doc`.
    pub fn send_ephemeral(&self, doc: DocumentId, data: Vec<u8>) {
        self.engine.with_value(|shared| {
            if let Some(s) = shared {
                let (msg, socket) = {
                    let mut inner = s.inner.borrow_mut();
                    (inner.repo.ephemeral(doc, data), inner.socket.clone())
                };
                if let (Some(m), Some(socket)) = (msg, socket) {
                    send_all(&socket, vec![m]);
                }
            }
        });
    }

    /// The server's clock now, as this browser best knows it.
    pub fn server_now(&self) -> f64 {
        js_sys::Date::now() + self.clock_offset.get_untracked()
    }
}

/// The kinds of documents opened beside the workshop and the own reflection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    Room,
    PartnerSheet,
    Table,
    Voice,
    /// The participant's own ratings (004).
    Rating,
    /// The participant's own role sheet (003).
    RoleSheet,
    /// The participant's own answers (001).
    Answers,
}

struct Inner {
    extras: std::collections::BTreeMap<DocumentId, Extra>,
    repo: ClientRepo,
    socket: Option<WebSocket>,
    attempts: u32,
    /// A batched send is scheduled.
    flush_pending: bool,
    /// Documents changed since they were last saved in the browser.
    unsaved: std::collections::BTreeSet<DocumentId>,
    save_pending: bool,
}

#[derive(Clone)]
struct Shared {
    signals: UseWorkshopReturn,
    inner: Rc<RefCell<Inner>>,
    url: String,
}

/// Keystrokes within this window go out as one sync message.
const FLUSH_MS: u64 = 40;
/// Saving to the browser's storage is coalesced over this window.
const SAVE_MS: u64 = 300;

impl Shared {
    fn open_extra(&self, doc: DocumentId, kind: Extra) {
        let out = {
            let mut inner = self.inner.borrow_mut();
            if inner.extras.insert(doc, kind).is_some()
                && inner.repo.status(&doc)
                    != Some(kring_shared::engine::client::DocStatus::Unavailable)
            {
                return;
            }
            let kept = storage::document(&doc.to_string()).and_then(|b| Automerge::load(&b).ok());
            inner.repo.open_with(doc, kept.unwrap_or_default())
        };
        self.refresh(doc);
        if let Some(socket) = self.inner.borrow().socket.clone() {
            send_all(&socket, out);
        }
    }

    fn change(
        &self,
        doc: DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) {
        {
            let mut inner = self.inner.borrow_mut();
            if let Some(Err(e)) = inner.repo.change(&doc, f) {
                self.signals.last_error.set(Some(e.to_string()));
            }
        }
        self.refresh(doc);
        self.schedule_flush();
    }

    /// Updates the signal that shows `doc`, and marks it for saving.
    fn refresh(&self, doc: DocumentId) {
        let me = self.signals.me.get_untracked();
        {
            let inner = self.inner.borrow();
            let Some(d) = inner.repo.doc(&doc) else {
                return;
            };
            if me.as_ref().map(|m| m.documents.workshop) == Some(doc) {
                self.signals.workshop.set(workshop::view(d));
            } else if me.as_ref().and_then(|m| m.documents.reflection) == Some(doc) {
                self.signals.reflection.set(reflection::notes(d));
            } else {
                match inner.extras.get(&doc) {
                    Some(Extra::Room) => {
                        let v = duo::view(d);
                        self.signals.rooms.update(|r| {
                            r.insert(doc, v);
                        });
                    }
                    Some(Extra::PartnerSheet) => {
                        let n = reflection::notes(d);
                        self.signals.partner_notes.update(|p| {
                            p.insert(doc, n);
                        });
                    }
                    Some(Extra::Table) => self.signals.table.set(Some(table::view(d))),
                    Some(Extra::Voice) => {
                        let v = voice::view(d);
                        self.signals.voices.update(|m| {
                            m.insert(doc, v);
                        });
                    }
                    Some(Extra::Rating) => self.signals.rating.set(rating::view(d)),
                    Some(Extra::RoleSheet) => self.signals.role_sheet.set(role_sheet::view(d)),
                    Some(Extra::Answers) => self.signals.answers.set(answers::view(d)),
                    None => {}
                }
            }
        }
        self.inner.borrow_mut().unsaved.insert(doc);
        self.schedule_save();
    }

    fn schedule_flush(&self) {
        if std::mem::replace(&mut self.inner.borrow_mut().flush_pending, true) {
            return;
        }
        let s = self.clone();
        set_timeout(
            move || {
                let (out, socket) = {
                    let mut inner = s.inner.borrow_mut();
                    inner.flush_pending = false;
                    (inner.repo.flush(), inner.socket.clone())
                };
                if let Some(socket) = socket {
                    send_all(&socket, out);
                }
            },
            std::time::Duration::from_millis(FLUSH_MS),
        );
    }

    fn schedule_save(&self) {
        if std::mem::replace(&mut self.inner.borrow_mut().save_pending, true) {
            return;
        }
        let s = self.clone();
        set_timeout(
            move || {
                let mut inner = s.inner.borrow_mut();
                inner.save_pending = false;
                for id in std::mem::take(&mut inner.unsaved) {
                    // A document the server no longer lets us read is not kept (see DocUnavailable).
                    if inner.repo.status(&id)
                        == Some(kring_shared::engine::client::DocStatus::Unavailable)
                    {
                        continue;
                    }
                    if let Some(d) = inner.repo.doc(&id) {
                        storage::save_document(&id.to_string(), &d.save());
                    }
                }
            },
            std::time::Duration::from_millis(SAVE_MS),
        );
    }
}

/// Opens the workshop a token belongs to and keeps it in sync.
pub fn use_workshop(token: String) -> UseWorkshopReturn {
    let signals = UseWorkshopReturn {
        me: RwSignal::new(None),
        workshop: RwSignal::new(WorkshopView::default()),
        presence: RwSignal::new(Presence::default()),
        reflection: RwSignal::new(Vec::new()),
        progress: RwSignal::new(Progress::default()),
        rooms: RwSignal::new(Default::default()),
        partner_notes: RwSignal::new(Default::default()),
        table: RwSignal::new(None),
        voices: RwSignal::new(Default::default()),
        rating: RwSignal::new(RatingView::default()),
        role_sheet: RwSignal::new(RoleSheetView::default()),
        answers: RwSignal::new(AnswersView::default()),
        holds: RwSignal::new(Holds::default()),
        connected: RwSignal::new(false),
        auth_error: RwSignal::new(None),
        last_error: RwSignal::new(None),
        clock_offset: RwSignal::new(0.0),
        token: StoredValue::new(token.clone()),
        engine: StoredValue::new_local(None),
    };
    leptos::task::spawn_local(async move {
        // Offline, the last answer kept in the browser lets the page start anyway.
        let me = match http::get_with_token("/api/me", &token).await {
            Ok(v) => {
                storage::save_me(&token, &v.to_string());
                parse_me(&v)
            }
            Err(e) if e.is_network() => storage::me(&token)
                .and_then(|s| serde_json::from_str(&s).ok())
                .and_then(|v| parse_me(&v)),
            Err(e) => {
                signals.auth_error.set(Some(e.0));
                return;
            }
        };
        let Some(me) = me else {
            signals
                .auth_error
                .set(Some("cannot reach the server".into()));
            return;
        };
        let mut repo = ClientRepo::new(PeerId::new(format!("browser-{}", DocumentId::random())));
        for doc in std::iter::once(me.documents.workshop).chain(me.documents.reflection) {
            let kept = storage::document(&doc.to_string()).and_then(|b| Automerge::load(&b).ok());
            repo.open_with(doc, kept.unwrap_or_default());
        }
        signals.me.set(Some(me.clone()));
        let shared = Shared {
            signals,
            inner: Rc::new(RefCell::new(Inner {
                extras: Default::default(),
                repo,
                socket: None,
                attempts: 0,
                flush_pending: false,
                unsaved: Default::default(),
                save_pending: false,
            })),
            url: sync_url(&token),
        };
        for doc in std::iter::once(me.documents.workshop).chain(me.documents.reflection) {
            shared.refresh(doc);
        }
        signals.engine.set_value(Some(shared.clone()));
        connect(shared);
        estimate_clock(signals).await;
    });
    signals
}

/// Three round trips to `/api/time`; the fastest gives the offset.
async fn estimate_clock(signals: UseWorkshopReturn) {
    let mut samples = Vec::new();
    for _ in 0..3 {
        let sent = js_sys::Date::now();
        if let Ok(v) = http::get("/api/time").await {
            let received = js_sys::Date::now();
            if let Some(server) = v["now_ms"].as_f64() {
                samples.push(ClockSample {
                    sent,
                    server,
                    received,
                });
            }
        }
    }
    if let Some(offset) = clock_offset(&samples) {
        signals.clock_offset.set(offset);
    }
}

fn sync_url(token: &str) -> String {
    let loc = web_sys::window().expect("window").location();
    let scheme = if loc.protocol().unwrap_or_default() == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!(
        "{scheme}://{}/sync?token={token}",
        loc.host().unwrap_or_default()
    )
}

fn send_all(socket: &WebSocket, out: Vec<Message>) {
    for m in out {
        // A failed send means the socket is closing; onclose reconnects and resyncs.
        let _ = socket.send_with_u8_array(&m.encode());
    }
}

fn connect(shared: Shared) {
    let Ok(socket) = WebSocket::new(&shared.url) else {
        schedule_reconnect(shared);
        return;
    };
    socket.set_binary_type(BinaryType::Arraybuffer);

    let s = shared.clone();
    let sock = socket.clone();
    let onopen = Closure::<dyn FnMut()>::new(move || {
        let join = s.inner.borrow().repo.join_message();
        send_all(&sock, vec![join]);
    });
    socket.set_onopen(Some(onopen.as_ref().unchecked_ref()));
    onopen.forget();

    let s = shared.clone();
    let sock = socket.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Ok(buf) = e.data().dyn_into::<js_sys::ArrayBuffer>() else {
            return;
        };
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        let Ok(msg) = Message::decode(&bytes) else {
            return;
        };
        let (out, events) = s.inner.borrow_mut().repo.receive(msg);
        send_all(&sock, out);
        handle_events(&s, events);
    });
    socket.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();

    let s = shared.clone();
    let onclose = Closure::<dyn FnMut()>::new(move || {
        {
            let mut inner = s.inner.borrow_mut();
            inner.repo.disconnected();
            inner.socket = None;
        }
        s.signals.connected.set(false);
        schedule_reconnect(s.clone());
    });
    socket.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    onclose.forget();

    shared.inner.borrow_mut().socket = Some(socket);
}

/// Reconnects after 0.5 s, 1 s, 2 s … up to 10 s.
fn schedule_reconnect(shared: Shared) {
    let attempts = {
        let mut inner = shared.inner.borrow_mut();
        inner.attempts += 1;
        inner.attempts
    };
    let delay = (250u32 << attempts.min(6)).min(10_000);
    set_timeout(
        move || connect(shared),
        std::time::Duration::from_millis(delay.into()),
    );
}

fn handle_events(s: &Shared, events: Vec<ClientEvent>) {
    for e in events {
        match e {
            ClientEvent::Connected { .. } => {
                s.inner.borrow_mut().attempts = 0;
                s.signals.connected.set(true);
            }
            ClientEvent::DocChanged(id) => s.refresh(id),
            ClientEvent::Ephemeral {
                document_id,
                from,
                data,
            } => {
                // Presence and progress are the server's word, on the workshop document only;
                // drags only ever come on the table. Anything else is ignored, whoever sent it
                // (the server refuses it too).
                let from_server = s.inner.borrow().repo.server() == Some(&from);
                let on_workshop =
                    s.signals.me.get_untracked().map(|m| m.documents.workshop) == Some(document_id);
                let on_table = s.signals.workshop.with_untracked(|w| w.table) == Some(document_id);
                if from_server && on_workshop {
                    if let Some(p) = Presence::decode(&data) {
                        s.signals.presence.set(p);
                    } else if let Some(p) = Progress::decode(&data) {
                        s.signals.progress.set(p);
                    }
                } else if on_table && let Some(d) = Drag::decode(&data) {
                    let now = js_sys::Date::now();
                    s.signals.holds.update(|h| {
                        h.expire(now);
                        h.receive(d, now);
                    });
                }
            }
            ClientEvent::ServerError(message) => s.signals.last_error.set(Some(message)),
            // Not (or no longer) ours to read — a reflection purged after closing, a partner's
            // sheet after the duos: drop the copy this browser kept.
            ClientEvent::DocUnavailable(doc) => {
                s.inner.borrow_mut().unsaved.remove(&doc);
                storage::forget_document(&doc.to_string());
            }
        }
    }
}
