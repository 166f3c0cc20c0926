//! Steering a workshop against a real server: the server-held timer, co-facilitator and screen
//! links, the console lock, and participants fixing their own roster entry — each with the
//! refusals that keep it in the right hands.

use kring_shared::automerge::transaction::Transactable;
use kring_shared::schema::workshop;
use kring_shared::step::Step;
use kring_testkit::{SyncClient, TestServer, create_workshop, join, me};
use serde_json::{Value, json};

async fn call(method: reqwest::Method, url: String, token: &str, body: Value) -> (u16, Value) {
    kring_testkit::request(method, url, Some(token), &body.to_string()).await
}

#[tokio::test]
async fn the_timer_is_held_by_the_server_and_reaches_everyone() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "W").await.unwrap();
    let p = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let mut part = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    part.open(w.document).await.unwrap();

    let (status, t) = call(
        reqwest::Method::POST,
        format!("{base}/api/timer"),
        &w.facilitator_token,
        json!({"action": "start", "minutes": 10}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let ends_at = t["ends_at"].as_i64().unwrap();
    let server_now: Value = reqwest::get(format!("{base}/api/time"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let left = ends_at - server_now["now_ms"].as_i64().unwrap();
    assert!((590_000..=600_000).contains(&left), "{left}");
    part.wait_for("running timer", |c| {
        workshop::view(c.doc(w.document)).timer.ends_at == Some(ends_at)
    })
    .await
    .unwrap();

    let (_, t) = call(
        reqwest::Method::POST,
        format!("{base}/api/timer"),
        &w.facilitator_token,
        json!({"action": "pause"}),
    )
    .await;
    assert!(t["ends_at"].is_null());
    part.wait_for("paused timer", |c| {
        !workshop::view(c.doc(w.document)).timer.is_running()
    })
    .await
    .unwrap();

    // Only facilitators steer the timer; bad actions are refused.
    let (status, v) = call(
        reqwest::Method::POST,
        format!("{base}/api/timer"),
        &p.token,
        json!({"action": "reset"}),
    )
    .await;
    assert_eq!(status, 403, "{v}");
    let (status, v) = call(
        reqwest::Method::POST,
        format!("{base}/api/timer"),
        &w.facilitator_token,
        json!({"action": "explode"}),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    server.stop().await;
}

#[tokio::test]
async fn a_locked_console_lets_only_its_holder_steer() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "W").await.unwrap();
    let (status, link) = call(
        reqwest::Method::POST,
        format!("{base}/api/links"),
        &w.facilitator_token,
        json!({"role": "facilitator"}),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let co_token = link["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&base, &co_token).await.unwrap()["role"], "facilitator");

    let mut lead = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    let mut co = SyncClient::connect(&server.ws(), &co_token).await.unwrap();
    lead.open(w.document).await.unwrap();
    co.open(w.document).await.unwrap();

    // The co-facilitator can steer while the console is open.
    co.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    lead.wait_for("step 1", |c| {
        workshop::view(c.doc(w.document)).step == Some(Step::Reflect)
    })
    .await
    .unwrap();

    // The lead locks it; now the co-facilitator's changes and timer actions are refused.
    let lead_id = me(&base, &w.facilitator_token).await.unwrap()["facilitator_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    lead.change(w.document, |tx| workshop::set_lock(tx, Some(lead_id)))
        .await
        .unwrap();
    co.wait_for("lock", |c| workshop::view(c.doc(w.document)).lock.is_some())
        .await
        .unwrap();
    co.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    co.wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    let (status, _) = call(
        reqwest::Method::POST,
        format!("{base}/api/timer"),
        &co_token,
        json!({"action": "start", "minutes": 1}),
    )
    .await;
    assert_eq!(status, 403);

    // The holder still steers, and unlocking gives the co-facilitator their powers back.
    lead.change(w.document, |tx| {
        workshop::set_lock(tx, None)?;
        workshop::set_step(tx, Step::Duos)
    })
    .await
    .unwrap();
    co.wait_for("unlocked", |c| {
        workshop::view(c.doc(w.document)).step == Some(Step::Duos)
    })
    .await
    .unwrap();
    let (status, _) = call(
        reqwest::Method::POST,
        format!("{base}/api/timer"),
        &co_token,
        json!({"action": "start", "minutes": 1}),
    )
    .await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn only_facilitators_change_the_plan_and_participants_fix_only_their_own_entry() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "W").await.unwrap();
    let a = join(&base, &w.join_code, "Ann", "OCMW Gnet").await.unwrap();
    let b = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();

    let mut part = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    part.open(w.document).await.unwrap();
    part.change(w.document, |tx| workshop::set_minutes(tx, "reflect", 99))
        .await
        .unwrap();
    part.wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();

    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{base}/api/me"),
        &a.token,
        json!({"name": "An", "organisation": "OCMW Gent"}),
    )
    .await;
    assert_eq!(status, 204);
    part.wait_for("fixed entry", |c| {
        let v = workshop::view(c.doc(w.document));
        v.roster
            .iter()
            .any(|r| r.name == "An" && r.organisation == "OCMW Gent")
            && v.roster.iter().any(|r| r.name == "Bert")
    })
    .await
    .unwrap();
    // The refused plan change never reached the server (the participant's own replica keeps
    // its local attempt; the interface never makes one).
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    assert_eq!(workshop::view(fac.doc(w.document)).plan.minutes.reflect, 10);
    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{base}/api/me"),
        &w.facilitator_token,
        json!({"name": "X"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{base}/api/me"),
        &b.token,
        json!({"name": ""}),
    )
    .await;
    assert_eq!(status, 400);

    // Someone about to join sees the organisations already present, once each.
    let info: Value = reqwest::get(format!("{base}/api/workshops/{}", w.join_code))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["organisations"], json!(["OCMW Gent", "CAW"]));

    // Screen links are read-only and come only from facilitators.
    let (status, _) = call(
        reqwest::Method::POST,
        format!("{base}/api/links"),
        &a.token,
        json!({"role": "screen"}),
    )
    .await;
    assert_eq!(status, 403);
    let (_, link) = call(
        reqwest::Method::POST,
        format!("{base}/api/links"),
        &w.facilitator_token,
        json!({"role": "screen"}),
    )
    .await;
    let screen_token = link["token"].as_str().unwrap();
    assert!(link["path"].as_str().unwrap().starts_with("/screen#"));
    let mut screen = SyncClient::connect(&server.ws(), screen_token)
        .await
        .unwrap();
    screen.open(w.document).await.unwrap();
    screen
        .change(w.document, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", "screen wrote")
        })
        .await
        .unwrap();
    screen
        .wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    server.stop().await;
}
