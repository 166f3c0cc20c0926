//! Interop with the official automerge-repo JavaScript client: runs `interop/load.mjs` under
//! Node against a real Kring server and checks what the stock client loaded and was refused,
//! and that it follows a fast stream of changes to the end (the server sends it a message only
//! once it answered the last one: the stock client must answer as Kring's own does).
//! The client is pinned in `interop/package.json`; install it with `npm ci --prefix tests/interop`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kring_shared::automerge::transaction::Transactable;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/load.mjs");
const NODE_MODULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/node_modules");
const NODE_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `node load.mjs ARGS…` and returns the one JSON line it printed.
async fn load(args: &[String]) -> Value {
    assert!(
        Path::new(NODE_MODULES)
            .join("@automerge/automerge-repo")
            .is_dir(),
        "the automerge-repo JS client is not installed in {NODE_MODULES}: \
         run `npm ci --prefix tests/interop` from the workspace root"
    );
    let child = tokio::process::Command::new("node")
        .arg(SCRIPT)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start `node` (Node 20 is needed): {e}"));
    let out = tokio::time::timeout(NODE_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("node {SCRIPT} did not finish within {NODE_TIMEOUT:?}"))
        .expect("node output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown with `--nocapture`; with KRING_INTEROP_DEBUG=1 it holds every frame.
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "node {SCRIPT} failed ({}):\nstderr:\n{stderr}\nstdout:\n{stdout}",
        out.status
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("load.mjs printed no JSON line ({e}):\n{stdout}\nstderr:\n{stderr}")
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_automerge_repo_client_loads_the_workshop_document() {
    let server = TestServer::start().await;
    let base = server.http();
    let workshop = create_workshop(&base, "Interop").await.expect("workshop");
    let a = join(&base, &workshop.join_code, "Anna", "Gemeente A")
        .await
        .expect("join A");
    let b = join(&base, &workshop.join_code, "Bram", "Gemeente B")
        .await
        .expect("join B");

    let out = load(&[
        format!("{}/sync?token={}", server.ws(), a.token),
        workshop.document.url(),
        b.reflection.url(),
    ])
    .await;

    let doc = &out["doc"];
    assert_eq!(
        doc["title"], "Interop",
        "workshop document as loaded: {doc}"
    );
    assert_eq!(doc["language"], "nl", "workshop document as loaded: {doc}");
    assert_eq!(doc["step"], "lobby", "workshop document as loaded: {doc}");
    let roster = doc["roster"]
        .as_object()
        .unwrap_or_else(|| panic!("no roster in {doc}"));
    assert_eq!(roster[&a.id]["name"], "Anna", "roster: {roster:?}");
    assert_eq!(roster[&b.id]["name"], "Bram", "roster: {roster:?}");
    assert_eq!(
        out["forbidden"], "unavailable",
        "another participant's reflection must be refused with doc-unavailable: {out}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_automerge_repo_client_follows_a_fast_stream_of_changes() {
    const CHANGES: u32 = 60;
    let server = TestServer::start().await;
    let base = server.http();
    let workshop = create_workshop(&base, "v0").await.expect("workshop");
    let a = join(&base, &workshop.join_code, "Anna", "Gemeente A")
        .await
        .expect("join A");
    let mut fac = SyncClient::connect(&server.ws(), &workshop.facilitator_token)
        .await
        .expect("facilitator");
    fac.open(workshop.document).await.expect("open");

    let mut child = tokio::process::Command::new("node")
        .arg(SCRIPT)
        .arg(format!("{}/sync?token={}", server.ws(), a.token))
        .arg(workshop.document.url())
        .env("KRING_INTEROP_UNTIL_TITLE", format!("v{CHANGES}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start `node` (Node 20 is needed): {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next_line = async || {
        let line = tokio::time::timeout(NODE_TIMEOUT, lines.next_line())
            .await
            .expect("load.mjs answered in time")
            .expect("load.mjs output")
            .expect("a line from load.mjs (see its stderr)");
        serde_json::from_str::<Value>(line.trim()).expect("JSON")
    };
    assert_eq!(next_line().await["loaded"], true);
    // As fast as the facilitator's own acknowledgements allow: many changes come while the
    // stock client has a message unanswered.
    for n in 1..=CHANGES {
        fac.change(workshop.document, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", format!("v{n}"))
        })
        .await
        .expect("change");
    }
    let out = next_line().await;
    assert_eq!(out["doc"]["title"], format!("v{CHANGES}"), "{out}");
    let syncs = out["syncs"].as_u64().expect("syncs");
    println!("the stock client received {syncs} sync messages for {CHANGES} changes");
    assert!(syncs >= 1, "{out}");
    let _ = child.wait().await;
    server.stop().await;
}
