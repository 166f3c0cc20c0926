//! The JSON HTTP API against a real server: status codes and error bodies a client can act on.

use kring_testkit::{TestServer, create_workshop, join, me};
use serde_json::{Value, json};

async fn post(url: String, body: &str) -> (u16, Value) {
    kring_testkit::request(reqwest::Method::POST, url, None, body).await
}

#[tokio::test]
async fn bad_requests_get_a_status_and_a_readable_error() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "W").await.unwrap();
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (
            format!("{base}/api/workshops"),
            "not json",
            400,
            "invalid JSON",
        ),
        (
            format!("{base}/api/workshops"),
            r#"{"title": "  "}"#,
            400,
            "`title` must not be empty",
        ),
        (
            format!("{base}/api/workshops"),
            r#"{"title": "x", "language": "fr"}"#,
            400,
            "`language`",
        ),
        (
            format!("{base}/api/workshops/ZZZZZZ/participants"),
            r#"{"name": "An"}"#,
            404,
            "no workshop",
        ),
        (
            format!("{base}/api/workshops/{}/participants", w.join_code),
            r#"{"name": ""}"#,
            400,
            "`name` must not be empty",
        ),
    ];
    for (url, body, status, error) in cases {
        let (got, v) = post(url.clone(), body).await;
        assert_eq!(got, status, "{url} {body}: {v}");
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(msg.contains(error), "{url} {body}: {v}");
    }
    server.stop().await;
}

#[tokio::test]
async fn me_tells_each_token_its_role_and_documents() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "W").await.unwrap();
    // Join codes are forgiving about case and dashes.
    let code = format!("{}-{}", &w.join_code[..3], &w.join_code[3..]).to_lowercase();
    let p = join(&base, &code, "An", "OCMW").await.unwrap();

    let f = me(&base, &w.facilitator_token).await.unwrap();
    assert_eq!(f["role"], "facilitator");
    assert_eq!(f["documents"]["workshop"], json!(w.document.url()));
    assert!(f["documents"].get("reflection").is_none());

    let s = me(&base, &w.screen_token).await.unwrap();
    assert_eq!(s["role"], "screen");

    let pm = me(&base, &p.token).await.unwrap();
    assert_eq!(pm["role"], "participant");
    assert_eq!(pm["participant_id"], json!(p.id));
    assert_eq!(pm["documents"]["reflection"], json!(p.reflection.url()));

    for auth in [None, Some("Bearer nope")] {
        let mut req = reqwest::Client::new().get(format!("{base}/api/me"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].is_string());
    }
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    // Every response carries the security headers.
    let csp = health.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert_eq!(health.headers()["referrer-policy"], "no-referrer");
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("kring_participants_joined_total 1"),
        "{metrics}"
    );
    server.stop().await;
}

/// The app's files are sent compressed to a browser that accepts it (the build writes `.br` and
/// `.gz` beside each), and as they are to one that does not.
#[tokio::test]
async fn app_files_are_sent_precompressed_by_accept_encoding() {
    let frontend = tempfile::tempdir().unwrap();
    let wasm = vec![42u8; 10_000];
    std::fs::write(frontend.path().join("index.html"), "<!doctype html>").unwrap();
    std::fs::write(frontend.path().join("kring_bg.wasm"), &wasm).unwrap();
    std::fs::write(frontend.path().join("kring_bg.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(frontend.path().join("kring_bg.wasm.gz"), b"gzip bytes").unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), frontend.path()).await;
    let url = format!("{}/kring_bg.wasm", server.http());
    let get = |encoding: &'static str| {
        let url = url.clone();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            let enc = r
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            let ty = r.headers().get("content-type").cloned();
            (enc, ty, r.bytes().await.unwrap().to_vec())
        }
    };
    let (enc, ty, body) = get("gzip, deflate, br").await;
    assert_eq!(enc.as_deref(), Some("br"));
    assert_eq!(body, b"brotli bytes");
    assert_eq!(ty.unwrap(), "application/wasm");
    let (enc, _, body) = get("gzip").await;
    assert_eq!(enc.as_deref(), Some("gzip"));
    assert_eq!(body, b"gzip bytes");
    let (enc, _, body) = get("identity").await;
    assert_eq!(enc, None);
    assert_eq!(body, wasm);
    server.stop().await;
}

/// The binary serves the app it was built with, from any working directory and without
/// `--frontend`, when `cargo xtask` built it (`KRING_EMBED_FRONTEND`, as `xtask test`, `run` and
/// `dist` do): hashed files cached for a year, `index.html` revalidated. Built without a
/// frontend, it says at `/` how to get one.
#[tokio::test]
async fn the_binary_serves_the_frontend_it_was_built_with() {
    use std::io::{BufRead, BufReader};
    let cwd = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kring-server"))
        .current_dir(cwd.path())
        .args(["--listen", "127.0.0.1:0", "--data", "data"])
        .env_remove("KRING_FRONTEND")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("Kring is running: open ")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let client = reqwest::Client::new();
    let index = client
        .get(format!("{base}/"))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    let status = index.status().as_u16();
    let cache = index.headers().get("cache-control").cloned();
    let html = index.text().await.unwrap();
    match option_env!("KRING_EMBED_FRONTEND") {
        Some(dir) => {
            assert_eq!(status, 200, "{html}");
            assert_eq!(cache.unwrap(), "no-cache");
            let wasm = std::fs::read_dir(dir)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find(|n| n.starts_with("kring_bg-") && n.ends_with(".wasm"))
                .expect("a hashed WASM file in the embedded folder");
            assert!(html.contains(&format!("/{wasm}")), "{html}");
            let r = client
                .get(format!("{base}/{wasm}"))
                .header("accept-encoding", "br")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert_eq!(r.headers()["content-encoding"], "br");
            assert_eq!(
                r.headers()["cache-control"],
                "public, max-age=31536000, immutable"
            );
            let br = r.bytes().await.unwrap();
            let on_disk = std::fs::read(format!("{dir}/{wasm}.br")).unwrap();
            assert_eq!(
                br.len(),
                on_disk.len(),
                "the embedded bytes are the built ones"
            );
            println!("first visit: index + {wasm} ({} bytes brotli)", br.len());
        }
        None => {
            assert_eq!(status, 404);
            assert!(html.contains("cargo xtask run"), "{html}");
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
