//! Fuzz target: the JSON bodies of the HTTP API, sent through the real router (real SQLite
//! store in a temporary folder) to every endpoint that reads a body. Whatever the bytes, the
//! answer is a client error or success with a JSON body — never a 5xx.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use kring_server::abuse::{Guard, Limits};
use kring_server::metrics::Metrics;
use kring_server::registry::Registry;
use kring_server::store::{SqliteStore, Store};
use kring_server::workshop::TaskContext;
use kring_server::{AppState, app};
use libfuzzer_sys::fuzz_target;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    router: Router,
    code: String,
    facilitator: String,
    participant: String,
    collaboration: String,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let (router, code, facilitator, participant, collaboration) = rt.block_on(async {
            let store: Arc<dyn Store> = SqliteStore::open(dir.path()).expect("store");
            let metrics = Arc::new(Metrics::default());
            let shutdown = CancellationToken::new();
            let limits = Limits {
                workshops_per_hour: u32::MAX,
                joins_per_minute: u32::MAX,
                ..Limits::default()
            };
            let registry = Arc::new(Registry::new(TaskContext {
                store: Arc::clone(&store),
                metrics: Arc::clone(&metrics),
                idle: Duration::from_secs(3600),
                shutdown: shutdown.clone(),
                tracker: TaskTracker::new(),
                purge_grace: Duration::ZERO,
                limits: limits.clone(),
                cluster: None,
            }));
            let state = AppState {
                store,
                registry,
                metrics,
                shutdown,
                guard: Arc::new(Guard::new(limits)),
                metrics_token: None,
                reach: Arc::new(kring_server::reach::Reach::default()),
                cluster: None,
            };
            let router = app(
                state,
                kring_server::assets::Assets::Folder("/nonexistent".into()),
            );
            let (_, made) = call(
                &router,
                Method::POST,
                "/api/workshops",
                None,
                br#"{"title":"F"}"#,
            )
            .await;
            let made: serde_json::Value = serde_json::from_slice(&made).expect("json");
            let code = made["join_code"].as_str().expect("code").to_owned();
            let facilitator = made["facilitator_token"]
                .as_str()
                .expect("token")
                .to_owned();
            let (_, joined) = call(
                &router,
                Method::POST,
                &format!("/api/workshops/{code}/participants"),
                None,
                br#"{"name":"P"}"#,
            )
            .await;
            let joined: serde_json::Value = serde_json::from_slice(&joined).expect("json");
            let participant = joined["token"].as_str().expect("token").to_owned();
            let (_, made) = call(
                &router,
                Method::POST,
                "/api/collaborations",
                None,
                br#"{"title":"C"}"#,
            )
            .await;
            let made: serde_json::Value = serde_json::from_slice(&made).expect("json");
            let collaboration = made["token"].as_str().expect("token").to_owned();
            (router, code, facilitator, participant, collaboration)
        });
        World {
            rt,
            router,
            code,
            facilitator,
            participant,
            collaboration,
            _dir: dir,
        }
    })
}

async fn call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let mut req = req.body(Body::from(body.to_vec())).expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, bytes.to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let w = world();
    let join = format!("/api/workshops/{}/participants", w.code);
    let (method, path, token) = match which % 7 {
        0 => (Method::POST, "/api/workshops", None),
        1 => (Method::POST, join.as_str(), None),
        2 => (Method::PATCH, "/api/me", Some(w.participant.as_str())),
        3 => (Method::POST, "/api/timer", Some(w.facilitator.as_str())),
        4 => (Method::POST, "/api/collaborations", None),
        5 => (
            Method::POST,
            "/api/collaboration/sessions",
            Some(w.collaboration.as_str()),
        ),
        _ => (Method::POST, "/api/links", Some(w.facilitator.as_str())),
    };
    let (status, answer) = w.rt.block_on(call(&w.router, method, path, token, body));
    assert!(
        status < 500,
        "{path} answered {status} to {:?}: {}",
        String::from_utf8_lossy(body),
        String::from_utf8_lossy(&answer)
    );
    if status >= 400 {
        let v: serde_json::Value = serde_json::from_slice(&answer).expect("error body is JSON");
        assert!(v["error"].is_string());
    }
});
