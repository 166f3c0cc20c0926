//! kring-server: the HTTP API, the automerge-repo WebSocket sync endpoint, one task per active
//! workshop, storage (SQLite, or PostgreSQL with `--database`), and the built frontend as static
//! files — in one process.
//!
//! Layout:
//! - [`assets`]: the built frontend, embedded in the binary or read from `--frontend`.
//! - [`backup`]: `kring-server backup` and `restore` (SQLite's online backup API).
//! - [`api`]: JSON endpoints (create workshop, join, who am I, delete a workshop).
//! - [`report`]: the workshop report's downloads (Markdown, CSV, JSON, SVG).
//! - [`retention`]: the periodic sweep that purges closed workshops' reflections and deletes idle
//!   workshops.
//! - [`serve`]: the accept loop: per-address socket slots, the header-read timeout, HTTP/1.1
//!   with upgrades, graceful shutdown.
//! - [`ws`]: the `/sync` WebSocket: authentication, handshake, frame limits.
//! - [`workshop`]: the task that owns one workshop's documents (drives `kring_shared::engine::hub`).
//! - [`reach`]: the addresses phones can reach the server at (`--public-url`, LAN addresses).
//! - [`registry`]: finds or loads workshop tasks.
//! - [`tls`]: built-in HTTPS from PEM files (rustls).
//! - [`store`]: the `Store` trait and its SQLite and PostgreSQL implementations (group commit,
//!   snapshots, migrations).
//! - [`abuse`]: per-address and per-connection limits (rates, counts, slow consumers).
//! - [`auth`]: tokens and join codes. [`error`]: HTTP errors.
//! - [`metrics`]: Prometheus counters and the receive → persisted → queued → written histograms.
//! - [`cluster`]: several nodes (`--nats`): changes and drags over NATS, leases in PostgreSQL.
//!
//! Architecture Invariant: the server never decides access or validity itself; it asks
//! `kring_shared` (access rules, schemas, sync engine) and only does the IO around it.

pub mod abuse;
pub mod api;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod cluster;
pub mod collaboration;
pub mod error;
pub mod metrics;
pub mod reach;
pub mod registry;
pub mod report;
pub mod retention;
pub mod serve;
pub mod store;
pub mod tls;
pub mod workshop;
pub mod ws;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{delete, get, post, put};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::store::Store;
use crate::workshop::TaskContext;

/// How the server runs; `main` fills it from flags and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the SQLite database.
    pub data_dir: PathBuf,
    /// Which database holds the workshops: SQLite in `data_dir` (the default) or PostgreSQL.
    pub database: store::Database,
    /// The built frontend (`index.html`, the WASM and its JS glue): embedded or a folder.
    pub frontend: assets::Assets,
    /// How long a workshop without connections stays in memory.
    pub idle_unload: Duration,
    /// How long after closing a workshop its reflection documents are purged (0: at once).
    pub purge_grace: Duration,
    /// Workshops unused for this long are deleted (`Duration::ZERO`: never).
    pub idle_delete: Duration,
    /// How often the retention sweep runs.
    pub sweep_every: Duration,
    /// Abuse limits (rates and counts per address and per connection).
    pub limits: abuse::Limits,
    /// When set, `GET /metrics` needs `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// The address people reach Kring at (`--public-url`), for links and QR codes.
    pub public_url: Option<String>,
    /// Serve HTTPS and WSS with this configuration (`--tls-cert`, `--tls-key`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// This node's name (`--node-id`), in logs, metrics and leases.
    pub node: String,
    /// Run as one of several nodes (`--nats`); needs `database` to be PostgreSQL.
    pub nats: Option<NatsConfig>,
}

/// How this node reaches the others (`--nats`, `--nats-prefix`, `--lease-secs`).
#[derive(Debug, Clone)]
pub struct NatsConfig {
    pub url: String,
    pub prefix: String,
    pub lease_ttl: Duration,
}

/// A node name when none is given: the host's name and a random suffix, so two nodes on one
/// host (or two containers with the same host name) never share one.
pub fn default_node_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "kring".to_owned());
    format!("{host}-{:08x}", rand::random::<u32>())
}

impl Config {
    /// The defaults of the `kring-server` flags, with the given folders.
    pub fn new(data_dir: PathBuf, frontend_dir: PathBuf) -> Self {
        Config {
            data_dir,
            database: store::Database::Sqlite,
            frontend: assets::Assets::Folder(frontend_dir),
            idle_unload: Duration::from_secs(300),
            purge_grace: Duration::ZERO,
            idle_delete: Duration::from_secs(90 * 86_400),
            sweep_every: Duration::from_secs(3_600),
            limits: abuse::Limits::default(),
            metrics_token: None,
            public_url: None,
            tls: None,
            node: default_node_id(),
            nats: None,
        }
    }
}

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    pub metrics: Arc<Metrics>,
    pub shutdown: CancellationToken,
    pub guard: Arc<abuse::Guard>,
    /// The bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<Arc<str>>,
    /// Where phones reach this server, for the links facilitators hand out.
    pub reach: Arc<reach::Reach>,
    /// The other nodes, with `--nats`.
    pub cluster: Option<Arc<cluster::Cluster>>,
}

/// What every response says about how a browser may use it. The policy allows the app's own
/// files, its WASM and its WebSocket and nothing else; no page may frame Kring; no address (with
/// a join code in it) leaks to another site through the referrer.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
];

/// The routes, separate from the listener so they can be tested with `oneshot`.
pub fn app(state: AppState, frontend: assets::Assets) -> Router {
    let frontend = Arc::new(frontend);
    let serve = tower::service_fn(move |req: axum::extract::Request| {
        let frontend = Arc::clone(&frontend);
        async move {
            Ok::<_, std::convert::Infallible>(
                frontend.respond(req.uri().path(), req.headers()).await,
            )
        }
    });
    // A path the file system cannot even look up (a segment over 255 bytes: "File name too
    // long") is answered 404 before it reaches the static files, never with a 500.
    let frontend = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(reject_unservable_paths))
        .service(serve);
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .route("/api/workshops", post(api::create_workshop))
        .route("/api/next-session", post(collaboration::next_session))
        .route("/api/collaborations", post(collaboration::create))
        .route(
            "/api/collaboration",
            get(collaboration::page).delete(collaboration::remove),
        )
        .route("/api/collaboration/links", post(collaboration::create_link))
        .route(
            "/api/collaboration/sessions",
            post(collaboration::start_session),
        )
        .route(
            "/api/collaboration/sessions/{workshop}/facilitate",
            post(collaboration::facilitate),
        )
        .route("/api/collaboration/report", get(collaboration::export))
        .route("/api/workshops/{code}/participants", post(api::join))
        .route("/api/me", get(api::me).patch(api::update_me))
        .route("/api/time", get(api::time))
        .route("/api/workshops/{code}", get(api::workshop_info))
        .route("/api/timer", post(api::timer))
        .route("/api/links", post(api::create_link))
        .route("/api/workshop", delete(api::delete_workshop))
        .route("/api/report", get(report::download))
        .route("/api/report/shared", put(report::share))
        .route("/sync", get(ws::upgrade))
        .fallback_service(frontend)
        .with_state(state);
    SECURITY_HEADERS.iter().fold(router, |r, (name, value)| {
        r.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ))
    })
}

/// Longest path the static files are asked for, and longest segment (file names are at most
/// 255 bytes on every file system Kring runs on).
const MAX_STATIC_PATH: usize = 1024;
const MAX_PATH_SEGMENT: usize = 255;

async fn reject_unservable_paths(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    if path.len() > MAX_STATIC_PATH || path.split('/').any(|s| s.len() > MAX_PATH_SEGMENT) {
        return error::ApiError::NotFound("no such page".into()).into_response();
    }
    next.run(req).await
}

/// Whether this node should get traffic: not draining, and (with `--nats`) NATS connected and
/// PostgreSQL answering. 503 with what is wrong otherwise, so a load balancer sends clients to
/// another node. `/healthz` stays "the process runs".
async fn readyz(
    axum::extract::State(app): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    let mut wrong = Vec::new();
    if app.shutdown.is_cancelled() {
        wrong.push("draining");
    }
    if let Some(c) = &app.cluster {
        if !c.nats_connected() {
            wrong.push("NATS not connected");
        }
        let answered =
            tokio::time::timeout(Duration::from_secs(2), c.leases.ping()).await == Ok(true);
        if !answered {
            wrong.push("PostgreSQL not answering");
        }
    }
    if wrong.is_empty() {
        (StatusCode::OK, "ready".into())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, wrong.join("; "))
    }
}

async fn metrics_handler(
    axum::extract::State(app): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl axum::response::IntoResponse, error::ApiError> {
    if let Some(expected) = &app.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // Compared as hashes, so the time taken says nothing about the token.
        let matches = given.is_some_and(|g| auth::token_hash(g) == auth::token_hash(expected));
        if !matches {
            return Err(error::ApiError::Unauthorized(
                "/metrics needs the metrics token (`Authorization: Bearer …`)".into(),
            ));
        }
    }
    Ok((
        [(axum::http::header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        app.metrics.render(),
    ))
}

/// Why the server could not start or stopped uncleanly.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Cluster(#[from] cluster::ClusterError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves until `shutdown` resolves, then stops accepting, closes every connection, lets every
/// workshop task finish its turn (each turn is durable before it is announced) and returns.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let cluster = match (&config.nats, &config.database) {
        (None, _) => None,
        (Some(_), store::Database::Sqlite) => {
            return Err(cluster::ClusterError::Config(
                "--nats needs --database postgres://…: every node must share one database \
                 (SQLite is one file on one machine)"
                    .into(),
            )
            .into());
        }
        (Some(_), store::Database::Postgres(_)) => Some(()),
    };
    let store: Arc<dyn Store> = store::open(&config.database, &config.data_dir).await?;
    // After the store: its migrations make the leases table.
    let cluster = match (cluster, &config.nats, &config.database) {
        (Some(()), Some(nats), store::Database::Postgres(url)) => Some(
            cluster::Cluster::connect(cluster::Options {
                url: nats.url.clone(),
                prefix: nats.prefix.clone(),
                node: config.node.clone(),
                lease_ttl: nats.lease_ttl,
                database: url.clone(),
            })
            .await?,
        ),
        _ => None,
    };
    if config.frontend.has_index().await {
        tracing::info!(frontend = %config.frontend.describe(), "serving the app");
    } else {
        tracing::warn!(frontend = %config.frontend.describe(), "no built frontend here; the API works, the pages will not (run `cargo xtask run`)");
    }
    let metrics = Arc::new(Metrics::default());
    metrics.set_node(&config.node);
    let metrics_for_loop = Arc::clone(&metrics);
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let registry = Arc::new(Registry::new(TaskContext {
        store: Arc::clone(&store),
        metrics: Arc::clone(&metrics),
        idle: config.idle_unload,
        shutdown: cancel.clone(),
        tracker: tracker.clone(),
        purge_grace: config.purge_grace,
        limits: config.limits.clone(),
        cluster: cluster.clone(),
    }));
    tracker.spawn(
        retention::sweep(
            Arc::clone(&store),
            Arc::clone(&registry),
            retention::Policy {
                purge_grace: config.purge_grace,
                idle_delete: config.idle_delete,
                every: config.sweep_every,
            },
            cluster.clone(),
            cancel.clone(),
        )
        // In the caller's span (the node's): the workshops it loads log under it too.
        .instrument(tracing::Span::current()),
    );
    let state = AppState {
        store,
        registry,
        metrics,
        shutdown: cancel.clone(),
        guard: Arc::new(abuse::Guard::new(config.limits.clone())),
        metrics_token: config.metrics_token.as_deref().map(Arc::from),
        reach: Arc::new(reach::Reach::new(
            listener.local_addr()?,
            config.public_url.clone(),
            if config.tls.is_some() {
                "https"
            } else {
                "http"
            },
        )),
        cluster: cluster.clone(),
    };
    let guard = Arc::clone(&state.guard);
    let router = app(state, config.frontend.clone());
    let stop = cancel.clone();
    tokio::spawn(async move {
        shutdown.await;
        stop.cancel();
    });
    tracing::info!(addr = %listener.local_addr()?, "listening");
    serve::accept_loop(
        listener,
        router,
        guard,
        metrics_for_loop,
        config.tls.clone(),
        cancel.clone(),
    )
    .await;
    tracker.close();
    tracker.wait().await;
    if let Some(c) = &cluster {
        c.flush().await;
    }
    tracing::info!("stopped");
    Ok(())
}
