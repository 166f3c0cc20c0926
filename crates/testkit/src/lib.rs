//! Test support shared by the server's integration tests, the end-to-end tests and tools:
//! a real Kring server on `127.0.0.1:0` with a temporary SQLite folder ([`TestServer`]), HTTP
//! helpers for the JSON API, and [`SyncClient`], a WebSocket client that speaks the
//! automerge-repo protocol through the same sans-IO engine the browser uses. [`ServerProcess`]
//! runs the real `kring-server` binary instead, for tests that kill it. [`postgres`] gives a test
//! a PostgreSQL schema of its own for `--database`.

pub mod postgres;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use kring_shared::automerge::transaction::Transaction;
use kring_shared::automerge::{Automerge, AutomergeError};
use kring_shared::engine::client::{ClientEvent, ClientRepo, DocStatus};
use kring_shared::ids::{DocumentId, PeerId};
use kring_shared::protocol::Message;
use kring_shared::schema::workshop::{self, DuoEntry, WorkshopView};
use kring_shared::step::Step;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use kring_server::abuse::Limits;
pub use tokio_tungstenite::tungstenite;

/// How long helpers wait for a condition before failing the test.
pub const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum KitError {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    #[error("{0}")]
    Protocol(String),
    #[error("timed out waiting for: {0}")]
    Timeout(String),
}

pub type KitResult<T> = Result<T, KitError>;

/// A Kring server running inside the test process on an ephemeral port.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// A server with a fresh temporary data folder and no frontend.
    pub async fn start() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_path_buf();
        let mut s = Self::start_in(&dir, Path::new("/nonexistent")).await;
        s._temp = Some(temp);
        s
    }

    /// A server with a fresh temporary data folder, no frontend, and a config adjusted by `f`
    /// (e.g. a tiny retention threshold).
    pub async fn start_with(f: impl FnOnce(&mut kring_server::Config)) -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_path_buf();
        let mut s = Self::start_configured(&dir, Path::new("/nonexistent"), f).await;
        s._temp = Some(temp);
        s
    }

    /// A server with a fresh temporary data folder and the given abuse limits.
    pub async fn start_with_limits(limits: Limits) -> Self {
        Self::start_with(|c| c.limits = limits).await
    }

    /// A server on an existing data folder, serving the frontend from `frontend_dir`.
    pub async fn start_in(data_dir: &Path, frontend_dir: &Path) -> Self {
        Self::start_configured(data_dir, frontend_dir, |_| {}).await
    }

    /// A server on an existing data folder, serving the frontend from `frontend_dir`, with a
    /// config adjusted by `f` (e.g. built-in TLS).
    pub async fn start_in_with(
        data_dir: &Path,
        frontend_dir: &Path,
        f: impl FnOnce(&mut kring_server::Config),
    ) -> Self {
        Self::start_configured(data_dir, frontend_dir, f).await
    }

    async fn start_configured(
        data_dir: &Path,
        frontend_dir: &Path,
        f: impl FnOnce(&mut kring_server::Config),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let mut config = kring_server::Config {
            idle_unload: Duration::from_secs(30),
            ..kring_server::Config::new(data_dir.to_path_buf(), frontend_dir.to_path_buf())
        };
        f(&mut config);
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            kring_server::run(listener, config, shutdown)
                .await
                .expect("server run");
        });
        Self {
            addr,
            data_dir: data_dir.to_path_buf(),
            _temp: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// The bytes of the SQLite database and of its write-ahead log as they are on disk now
    /// (empty when a file does not exist), for checks that deleted data is really gone.
    pub fn database_files(&self) -> Vec<(String, Vec<u8>)> {
        ["kring.sqlite3", "kring.sqlite3-wal"]
            .iter()
            .map(|name| {
                let bytes = std::fs::read(self.data_dir.join(name)).unwrap_or_default();
                ((*name).to_owned(), bytes)
            })
            .collect()
    }

    /// Shuts down gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// What `POST /api/workshops` answered.
#[derive(Debug, Clone)]
pub struct Workshop {
    pub id: String,
    pub join_code: String,
    pub facilitator_token: String,
    pub screen_token: String,
    pub document: DocumentId,
}

/// A participant who joined.
#[derive(Debug, Clone)]
pub struct Participant {
    pub id: String,
    pub token: String,
    pub reflection: DocumentId,
}

impl Participant {
    pub fn pid(&self) -> kring_shared::ids::ParticipantId {
        self.id.parse().expect("a participant id")
    }

    /// One of the participant's own documents, as `/api/me` names it (`"rating"`,
    /// `"role_sheet"`, `"answers"`, …).
    pub async fn document(&self, server: &TestServer, key: &str) -> DocumentId {
        let me = me(&server.http(), &self.token).await.expect("/api/me");
        DocumentId::from_url(
            me["documents"][key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key}")),
        )
        .expect("a document url")
    }

    /// Connects as the participant with their document `key` open.
    pub async fn open(&self, server: &TestServer, key: &str) -> (SyncClient, DocumentId) {
        let doc = self.document(server, key).await;
        let mut c = SyncClient::connect(&server.ws(), &self.token)
            .await
            .expect("connect");
        assert_eq!(c.open(doc).await.expect("open"), DocStatus::Ready);
        (c, doc)
    }
}

fn field(v: &Value, key: &str) -> KitResult<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| KitError::Protocol(format!("response lacks `{key}`: {v}")))
}

fn doc_field(v: &Value, key: &str) -> KitResult<DocumentId> {
    DocumentId::from_url(&field(v, key)?).map_err(|e| KitError::Protocol(e.to_string()))
}

/// Creates a workshop over HTTP (work form 000, as clients before forms did: no `form`).
pub async fn create_workshop(base: &str, title: &str) -> KitResult<Workshop> {
    create_workshop_with(base, serde_json::json!({"title": title, "language": "nl"})).await
}

/// Creates a workshop of a work form (`"004"`, …) over HTTP.
pub async fn create_workshop_of(base: &str, title: &str, form: &str) -> KitResult<Workshop> {
    create_workshop_with(
        base,
        serde_json::json!({"title": title, "language": "nl", "form": form}),
    )
    .await
}

/// Joins several people (name, organisation), in order.
pub async fn join_all(base: &str, code: &str, people: &[(&str, &str)]) -> Vec<Participant> {
    let mut out = Vec::with_capacity(people.len());
    for (name, org) in people {
        out.push(join(base, code, name, org).await.expect("join"));
    }
    out
}

/// A work form's room for a server test: a workshop of `form`, `people` (name, organisation)
/// joined in order, and the facilitator's recorded client once every roster entry is `ready`
/// (has the form's own document: its answers, rating or role sheet).
pub async fn form_room(
    server: &TestServer,
    title: &str,
    form: &str,
    people: &[(&str, &str)],
    ready: impl Fn(&workshop::RosterEntry) -> bool,
) -> (Workshop, Vec<Participant>, SyncClient) {
    let base = server.http();
    let w = create_workshop_of(&base, title, form)
        .await
        .expect("workshop");
    let joined = join_all(&base, &w.join_code, people).await;
    let mut f = SyncClient::open_recorded(&server.ws(), &w.facilitator_token, w.document).await;
    f.wait_for("every participant's documents", |c| {
        let v = workshop::view(c.doc(w.document));
        v.roster.len() == people.len() && v.roster.iter().all(&ready)
    })
    .await
    .expect("the room");
    (w, joined, f)
}

/// Starts the next session of the collaboration of the workshop whose facilitator `token` is.
pub async fn next_session(base: &str, token: &str, title: &str, form: &str) -> KitResult<Workshop> {
    let body = serde_json::json!({"title": title, "form": form});
    created(
        reqwest::Client::new()
            .post(format!("{base}/api/next-session"))
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

async fn create_workshop_with(base: &str, body: Value) -> KitResult<Workshop> {
    created(
        reqwest::Client::new()
            .post(format!("{base}/api/workshops"))
            .json(&body),
    )
    .await
}

/// Reads the answer of a request that creates a workshop.
async fn created(req: reqwest::RequestBuilder) -> KitResult<Workshop> {
    let v: Value = req.send().await?.error_for_status()?.json().await?;
    Ok(Workshop {
        id: field(&v, "workshop_id")?,
        join_code: field(&v, "join_code")?,
        facilitator_token: field(&v, "facilitator_token")?,
        screen_token: field(&v, "screen_token")?,
        document: doc_field(&v, "workshop_document")?,
    })
}

/// Joins a workshop over HTTP and looks up the participant's reflection document.
pub async fn join(
    base: &str,
    code: &str,
    name: &str,
    organisation: &str,
) -> KitResult<Participant> {
    let client = reqwest::Client::new();
    let v: Value = client
        .post(format!("{base}/api/workshops/{code}/participants"))
        .json(&serde_json::json!({"name": name, "organisation": organisation}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = field(&v, "token")?;
    let me = me(base, &token).await?;
    Ok(Participant {
        id: field(&v, "participant_id")?,
        reflection: doc_field(&me["documents"], "reflection")?,
        token,
    })
}

/// `GET /api/me`.
pub async fn me(base: &str, token: &str) -> KitResult<Value> {
    Ok(reqwest::Client::new()
        .get(format!("{base}/api/me"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The client's WebSocket settings: tungstenite zero-fills its whole read buffer (128 KiB by
/// default) before every read, which made each simulated reader of the load generator dear;
/// 8 KiB reads cost the same syscalls for Kring's small frames.
fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(8 * 1024)
}

/// A protocol client over a real WebSocket, driving the shared client engine.
pub struct SyncClient {
    pub repo: ClientRepo,
    ws: Ws,
    /// Everything the engine reported, oldest first.
    pub events: Vec<ClientEvent>,
    /// Close frame reason, once the server closed the connection.
    pub closed: Option<String>,
    /// Bytes received in binary frames so far.
    pub bytes_in: usize,
    /// Binary frames received so far.
    pub frames_in: u64,
    /// `sync` and `request` messages received so far (the self-clocking tests count them).
    pub syncs_in: u64,
    /// When set, every binary frame received is appended here as it arrived (for tests that
    /// check that something never reached this peer, byte for byte).
    pub recorded: Option<Vec<u8>>,
    /// The largest binary frame received so far, in bytes.
    pub largest_frame_in: usize,
    /// Close code, once the server closed the connection with a close frame.
    pub close_code: Option<u16>,
}

impl SyncClient {
    /// Connects with a token and completes the `join`/`peer` handshake.
    pub async fn connect(ws_base: &str, token: &str) -> KitResult<Self> {
        Self::connect_with(ws_base, token, None, None).await
    }

    /// Connects from a chosen local address (any of 127.0.0.0/8 works on Linux), so a test can
    /// be several clients from the server's point of view.
    pub async fn connect_from(ws_base: &str, token: &str, local: IpAddr) -> KitResult<Self> {
        Self::connect_with(ws_base, token, None, Some(local)).await
    }

    /// Connects with a peer id of the test's choosing (from `local`, if given).
    pub async fn connect_as(
        ws_base: &str,
        token: &str,
        peer: PeerId,
        local: Option<IpAddr>,
    ) -> KitResult<Self> {
        Self::connect_with(ws_base, token, Some(ClientRepo::new(peer)), local).await
    }

    /// Connects again with the documents (and unsent edits) of an earlier connection.
    pub async fn reconnect(ws_base: &str, token: &str, mut repo: ClientRepo) -> KitResult<Self> {
        repo.disconnected();
        Self::connect_with(ws_base, token, Some(repo), None).await
    }

    /// Ends the connection abruptly (no close frame) and hands back the documents.
    pub fn drop_connection(self) -> ClientRepo {
        let mut repo = self.repo;
        repo.disconnected();
        repo
    }

    async fn connect_with(
        ws_base: &str,
        token: &str,
        repo: Option<ClientRepo>,
        local: Option<IpAddr>,
    ) -> KitResult<Self> {
        let url = format!("{ws_base}/sync?token={token}");
        let ws = match local {
            None => {
                tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), false)
                    .await?
                    .0
            }
            Some(ip) => {
                let host = ws_base.trim_start_matches("ws://");
                let addr: SocketAddr = host
                    .parse()
                    .map_err(|e| KitError::Protocol(format!("{host}: {e}")))?;
                let socket = tokio::net::TcpSocket::new_v4().map_err(io_error)?;
                socket.bind(SocketAddr::new(ip, 0)).map_err(io_error)?;
                let stream = socket.connect(addr).await.map_err(io_error)?;
                tokio_tungstenite::client_async_with_config(
                    url,
                    MaybeTlsStream::Plain(stream),
                    Some(ws_config()),
                )
                .await?
                .0
            }
        };
        let repo =
            repo.unwrap_or_else(|| ClientRepo::new(PeerId::new(format!("test-{}", uuid_like()))));
        let mut c = Self {
            repo,
            ws,
            events: vec![],
            closed: None,
            bytes_in: 0,
            frames_in: 0,
            syncs_in: 0,
            recorded: None,
            largest_frame_in: 0,
            close_code: None,
        };
        let join = c.repo.join_message();
        c.send(&join).await?;
        c.wait_for("peer message", |c| c.repo.is_connected())
            .await?;
        Ok(c)
    }

    pub async fn send(&mut self, m: &Message) -> KitResult<()> {
        self.ws.send(WsMessage::Binary(m.encode().into())).await?;
        Ok(())
    }

    /// Sends bytes as they are, to test what the server does with them.
    pub async fn send_raw(&mut self, frame: WsMessage) -> KitResult<()> {
        self.ws.send(frame).await?;
        Ok(())
    }

    async fn send_all(&mut self, out: Vec<Message>) -> KitResult<()> {
        for m in out {
            self.send(&m).await?;
        }
        Ok(())
    }

    /// Reads and handles one frame; `false` when the connection has ended.
    pub async fn pump_one(&mut self, within: Duration) -> KitResult<bool> {
        let frame = match tokio::time::timeout(within, self.ws.next()).await {
            Err(_) => return Ok(true),
            Ok(None) => return Ok(false),
            Ok(Some(Err(_))) => return Ok(false),
            Ok(Some(Ok(f))) => f,
        };
        match frame {
            WsMessage::Binary(b) => {
                self.bytes_in += b.len();
                self.frames_in += 1;
                if let Some(r) = &mut self.recorded {
                    r.extend_from_slice(&b);
                }
                self.largest_frame_in = self.largest_frame_in.max(b.len());
                let m = Message::decode(&b).map_err(|e| KitError::Protocol(e.to_string()))?;
                if matches!(m, Message::Sync(_) | Message::Request(_)) {
                    self.syncs_in += 1;
                }
                let (out, events) = self.repo.receive(m);
                self.events.extend(events);
                self.send_all(out).await?;
            }
            WsMessage::Close(frame) => {
                self.close_code = frame.as_ref().map(|f| u16::from(f.code));
                self.closed = Some(frame.map(|f| f.reason.to_string()).unwrap_or_default());
                return Ok(false);
            }
            _ => {}
        }
        Ok(true)
    }

    /// Reads one frame and hands back its message *without* the client engine (the load
    /// generator's raw readers answer for themselves): `Ok(None)` when nothing came `within`,
    /// an error once the connection has ended.
    pub async fn recv_message(&mut self, within: Duration) -> KitResult<Option<Message>> {
        let frame = match tokio::time::timeout(within, self.ws.next()).await {
            Err(_) => return Ok(None),
            Ok(None) | Ok(Some(Err(_))) => {
                return Err(KitError::Protocol("connection closed".into()));
            }
            Ok(Some(Ok(f))) => f,
        };
        match frame {
            WsMessage::Binary(b) => {
                self.bytes_in += b.len();
                self.frames_in += 1;
                self.largest_frame_in = self.largest_frame_in.max(b.len());
                let m = Message::decode(&b).map_err(|e| KitError::Protocol(e.to_string()))?;
                if matches!(m, Message::Sync(_) | Message::Request(_)) {
                    self.syncs_in += 1;
                }
                Ok(Some(m))
            }
            WsMessage::Close(frame) => {
                self.close_code = frame.as_ref().map(|f| u16::from(f.code));
                self.closed = Some(frame.map(|f| f.reason.to_string()).unwrap_or_default());
                Err(KitError::Protocol(format!("closed: {:?}", self.closed)))
            }
            _ => Ok(None),
        }
    }

    /// Handles frames until `pred` holds, or fails after [`DEADLINE`].
    pub async fn wait_for(&mut self, what: &str, pred: impl Fn(&Self) -> bool) -> KitResult<()> {
        let end = Instant::now() + DEADLINE;
        while !pred(self) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(KitError::Timeout(what.to_owned()));
            }
            if !self.pump_one(left.min(Duration::from_millis(200))).await? && !pred(self) {
                return Err(KitError::Protocol(format!(
                    "connection closed ({:?}) while waiting for {what}",
                    self.closed
                )));
            }
        }
        Ok(())
    }

    /// Opens a document and waits until the server has answered (ready or unavailable).
    pub async fn open(&mut self, doc: DocumentId) -> KitResult<DocStatus> {
        let out = self.repo.open(doc);
        self.send_all(out).await?;
        self.wait_for("document answer", |c| {
            c.repo.status(&doc) != Some(DocStatus::Loading)
        })
        .await?;
        Ok(self.repo.status(&doc).unwrap_or(DocStatus::Unavailable))
    }

    /// Edits a document locally, sends the change and handles frames until the server has
    /// answered for it: acknowledged, refused (an error) or no longer available.
    ///
    /// Waiting is what keeps a test's writer a real peer. The sync protocol may need a second
    /// round for one change: when the new change's hash is a false positive in the server's
    /// Bloom filter (about 1 in 100), the writer first sends only its heads, and the server asks
    /// for the change it does not know. A writer that never reads again would never answer, and
    /// a reader waiting for the edit would time out — one run in a hundred or so.
    /// Connects with `token`, records every byte it receives (see [`Self::recorded`]) and opens
    /// `doc`.
    pub async fn open_recorded(ws_base: &str, token: &str, doc: DocumentId) -> SyncClient {
        let mut c = SyncClient::connect(ws_base, token).await.expect("connect");
        c.recorded = Some(vec![]);
        assert_eq!(c.open(doc).await.expect("open"), DocStatus::Ready);
        c
    }

    /// Changes a document and waits until the server stored it.
    pub async fn write(
        &mut self,
        doc: DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) {
        self.change(doc, f).await.expect("change");
        self.wait_for("stored", |c| c.repo.is_acknowledged(&doc))
            .await
            .expect("acknowledged");
    }

    /// A barrier: a facilitator's change to the workshop document is acknowledged only after
    /// every turn before it was delivered, so what an earlier turn wrote has reached this client
    /// by then. The broadcast it writes has id `b<n>`.
    pub async fn barrier(&mut self, ws_doc: DocumentId, n: u32) {
        self.write(ws_doc, |tx| {
            workshop::set_broadcast(
                tx,
                &workshop::Broadcast {
                    id: format!("b{n}"),
                    text: "barrier".into(),
                    at: i64::from(n),
                },
            )
        })
        .await;
    }

    pub async fn change(
        &mut self,
        doc: DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) -> KitResult<()> {
        let errors_before = self.errors().len();
        self.change_nowait(doc, f).await?;
        self.wait_for("the server's answer to a change", |c| {
            c.repo.is_acknowledged(&doc)
                || c.errors().len() > errors_before
                || c.repo.status(&doc) != Some(DocStatus::Ready)
        })
        .await
    }

    /// Edits a document locally and sends the change without waiting for the server's answer
    /// (the load generator, and tests that flood on purpose). The caller must keep reading.
    pub async fn change_nowait(
        &mut self,
        doc: DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) -> KitResult<()> {
        self.repo
            .change(&doc, f)
            .ok_or_else(|| KitError::Protocol("document not open".into()))?
            .map_err(|e| KitError::Protocol(e.to_string()))?;
        let out = self.repo.flush();
        self.send_all(out).await
    }

    /// The crash tests' workload: retitles the workshop document `versie {i}` for each `i` of
    /// `versions`, one change each. `acknowledged` waits for every change's answer and then for
    /// the last acknowledgement (these must survive a crash); otherwise the changes are fired
    /// without waiting (they may or may not).
    pub async fn retitle(
        &mut self,
        doc: DocumentId,
        versions: std::ops::Range<usize>,
        acknowledged: bool,
    ) -> KitResult<()> {
        for i in versions {
            let title = format!("versie {i}");
            let edit = |tx: &mut Transaction<'_>| {
                use kring_shared::automerge::transaction::Transactable;
                tx.put(kring_shared::automerge::ROOT, "title", title.as_str())
            };
            if acknowledged {
                self.change(doc, edit).await?;
            } else {
                self.change_nowait(doc, edit).await?;
            }
        }
        if acknowledged {
            self.wait_for("ack of the last change", |c| c.repo.is_acknowledged(&doc))
                .await?;
        }
        Ok(())
    }

    /// As a facilitator with the workshop document open: forms these duos, moves to step 2 and
    /// waits until the server has opened every room, the table and every voice.
    pub async fn form_duos(
        &mut self,
        workshop_doc: DocumentId,
        duos: &[DuoEntry],
    ) -> KitResult<WorkshopView> {
        self.change(workshop_doc, |tx| {
            workshop::set_duos(tx, duos)?;
            workshop::set_step(tx, Step::Duos)
        })
        .await?;
        self.wait_for("rooms, table and voices", |c| {
            let v = workshop::view(c.doc(workshop_doc));
            v.table.is_some()
                && v.duos.iter().all(|d| d.doc.is_some())
                && v.roster.iter().all(|r| r.voice.is_some())
        })
        .await?;
        Ok(workshop::view(self.doc(workshop_doc)))
    }

    pub fn doc(&self, id: DocumentId) -> &Automerge {
        self.repo.doc(&id).expect("document open")
    }

    /// The server errors received so far.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::ServerError(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// Handles frames for a while (to let stray messages arrive).
    pub async fn settle(&mut self, for_: Duration) -> KitResult<()> {
        let end = Instant::now() + for_;
        while Instant::now() < end {
            if !self
                .pump_one(end.saturating_duration_since(Instant::now()))
                .await?
            {
                break;
            }
        }
        Ok(())
    }
}

fn io_error(e: std::io::Error) -> KitError {
    KitError::Ws(tungstenite::Error::Io(e))
}

fn uuid_like() -> String {
    DocumentId::random().to_string()
}

/// Resident memory of a process, in bytes (Linux: `VmRSS` of `/proc/PID/status`; 0 elsewhere).
pub fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Helpers for tests of hostile input: they speak from two loopback addresses, [`ABUSER`] and
/// [`BYSTANDER`] (Linux routes all of 127.0.0.0/8 to the loopback interface), and check that
/// the bystander keeps being served while the abuser is refused.
pub mod hostile {
    use super::*;
    use kring_shared::automerge::transaction::Transactable;

    pub const ABUSER: &str = "127.0.0.1";
    pub const BYSTANDER: &str = "127.0.0.2";

    pub fn ip(s: &str) -> IpAddr {
        s.parse().expect("an IP address")
    }

    /// Waits (up to the test deadline) until `f` holds, re-checking every 50 ms.
    pub async fn eventually<F, Fut>(what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let end = Instant::now() + DEADLINE;
        while !f().await {
            assert!(Instant::now() < end, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A facilitator's edit of the workshop title reaches `reader`; returns (and prints) how
    /// long it took — printed, never asserted.
    pub async fn edit_reaches(
        fac: &mut SyncClient,
        reader: &mut SyncClient,
        doc: DocumentId,
        title: &str,
    ) -> Duration {
        let t0 = Instant::now();
        let t = title.to_owned();
        fac.change(doc, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", t.as_str())
        })
        .await
        .expect("the facilitator's edit is sent");
        reader
            .wait_for("the facilitator's edit", |c| {
                workshop::view(c.doc(doc)).title == title
            })
            .await
            .expect("the bystander sees the facilitator's edit");
        let took = t0.elapsed();
        println!("bystander saw `{title}` after {took:?}");
        took
    }

    /// A metric's value from `/metrics`.
    pub async fn metric(base: &str, name: &str) -> i64 {
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in {text}"))
    }
}

/// Whether `needle` occurs in `haystack`, byte for byte.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A GET with a bearer token; answers the status, the headers and the body as text.
pub async fn get_text(url: String, token: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request reaches the test server");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap_or_default())
}

/// One JSON API call with an optional bearer token and a raw body (so tests can send bad JSON);
/// answers the status and the JSON body (`Null` when there is none).
pub async fn request(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    request_from(None, method, url, token, body).await
}

/// [`request`] from a chosen local address (see [`SyncClient::connect_from`]).
pub async fn request_from(
    local: Option<IpAddr>,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .local_address(local)
        .build()
        .expect("http client");
    let mut req = client
        .request(method, url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request reaches the test server");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The server binary for [`ServerProcess`]: `KRING_SERVER_BIN` if set (e.g. a release build, to
/// measure the server rather than a debug build of it), else `built` (pass
/// `env!("CARGO_BIN_EXE_kring-server")`).
pub fn server_binary(built: &str) -> PathBuf {
    std::env::var_os("KRING_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(built))
}

/// The real `kring-server` binary on `127.0.0.1:0`, for tests that kill it with SIGKILL.
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `bin` (pass `env!("CARGO_BIN_EXE_kring-server")`) on `data` with extra flags, and
    /// waits for the line with its address. The server's log goes to `log` (null if `None`).
    pub fn start(bin: &Path, data: &Path, extra: &[&str], log: Option<&Path>) -> Self {
        let stderr = match log {
            Some(p) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .expect("open server log"),
            ),
            None => Stdio::null(),
        };
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(["--frontend", "/nonexistent"])
            .args(extra)
            .env(
                "RUST_LOG",
                std::env::var("KRING_TEST_SERVER_LOG_LEVEL")
                    .unwrap_or_else(|_| if log.is_some() { "debug" } else { "warn" }.into()),
            )
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn kring-server");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut line).expect("read address line");
        // The log goes to stdout after that line: keep reading it, so the server never writes
        // into a closed pipe.
        let mut sink: Box<dyn std::io::Write + Send> = match log {
            Some(p) => Box::new(
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(p)
                    .expect("open server log"),
            ),
            None => Box::new(std::io::sink()),
        };
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut sink);
        });
        let base = line
            .trim()
            .strip_prefix("Kring is running: open ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .trim_end_matches('/')
            .to_owned();
        ServerProcess { child, base }
    }

    pub fn ws(&self) -> String {
        self.base.replace("http://", "ws://")
    }

    /// The process id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, in bytes (Linux: `VmRSS` of `/proc/PID/status`).
    pub fn rss_bytes(&self) -> u64 {
        rss_of(self.child.id())
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // A test that panics must not leave a server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
