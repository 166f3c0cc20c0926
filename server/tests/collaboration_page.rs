//! A collaboration's own links and page against a real server and SQLite file: made before any
//! session, it starts sessions of any form that carry what the newest one left, opens each as
//! facilitator, exports itself, hands out co-facilitator links and is deleted with every session —
//! while its token opens nothing else (no `/sync`, no workshop endpoint), a session's token does
//! not open the page, a participant or the projector cannot get its link, and a bystander
//! workshop is served and kept throughout.

use kring_shared::api::{CollaborationLink, CollaborationPage, CreatedWorkshop, Link};
use kring_shared::engine::client::DocStatus;
use kring_shared::forms::FormId;
use kring_shared::forms::agreements::Status;
use kring_shared::schema::{collaboration, proposals, workshop};
use kring_testkit::{
    SyncClient, TestServer, create_workshop, get_text, join, me, next_session, request,
};
use reqwest::Method;

/// The seed's fifth rule of play, the proposal `rule-5`.
const RULE_5: &str = "Elke deelnemer spreekt zijn zorgen of bedenkingen uit.";

async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    request(method, format!("{}{path}", server.http()), token, body).await
}

/// `POST /api/collaboration/links` with `token`.
async fn new_link(server: &TestServer, token: &str) -> (u16, serde_json::Value) {
    call(
        server,
        Method::POST,
        "/api/collaboration/links",
        Some(token),
        "",
    )
    .await
}

async fn page(server: &TestServer, token: &str) -> CollaborationPage {
    let (status, body) = call(server, Method::GET, "/api/collaboration", Some(token), "").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn start(server: &TestServer, token: &str, title: &str, form: &str) -> CreatedWorkshop {
    let body = serde_json::json!({"title": title, "form": form}).to_string();
    let (status, v) = call(
        server,
        Method::POST,
        "/api/collaboration/sessions",
        Some(token),
        &body,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    serde_json::from_value(v).unwrap()
}

async fn steer(
    server: &TestServer,
    created: &CreatedWorkshop,
    edit: impl FnOnce(
        &mut automerge::transaction::Transaction<'_>,
    ) -> Result<(), automerge::AutomergeError>,
) -> SyncClient {
    let doc = kring_shared::ids::DocumentId::from_url(&created.workshop_document).unwrap();
    let mut f = SyncClient::connect(&server.ws(), &created.facilitator_token)
        .await
        .unwrap();
    assert_eq!(f.open(doc).await.unwrap(), DocStatus::Ready);
    f.change(doc, edit).await.unwrap();
    f.wait_for("stored", |c| c.repo.is_acknowledged(&doc))
        .await
        .unwrap();
    assert!(f.errors().is_empty(), "{:?}", f.errors());
    f
}

#[tokio::test]
async fn a_collaboration_of_its_own_runs_sessions_exports_and_is_deleted_whole() {
    let server = TestServer::start().await;
    let base = server.http();
    let bystander = create_workshop(&base, "Bystander").await.unwrap();

    // Bad input is refused with the reason.
    for (body, says) in [
        (r#"{"title":"   "}"#, "title"),
        (r#"{"title":"Wijkteam","language":"fr"}"#, "language"),
        (r#"{"title":7}"#, "invalid JSON"),
    ] {
        let (status, v) = call(&server, Method::POST, "/api/collaborations", None, body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().contains(says), "{v}");
    }
    let (status, v) = call(
        &server,
        Method::POST,
        "/api/collaborations",
        None,
        r#"{"title":"Wijkteam Noord","language":"nl"}"#,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let link: CollaborationLink = serde_json::from_value(v).unwrap();
    assert_eq!(link.path, format!("/collaboration#{}", link.token));
    let token = link.token.as_str();

    // Before any session: the page is there, empty.
    let p = page(&server, token).await;
    assert_eq!(p.collaboration_id, link.collaboration_id);
    assert_eq!(p.title, "Wijkteam Noord");
    assert!(p.sessions.is_empty());
    assert_eq!(p.standing.id, link.collaboration_id.to_string());

    // The collaboration's token opens nothing else; a workshop's token does not open the page.
    for path in ["/api/me", "/api/report"] {
        let (status, _) = call(&server, Method::GET, path, Some(token), "").await;
        assert_eq!(status, 401, "{path}");
    }
    assert!(
        SyncClient::connect(&server.ws(), token).await.is_err(),
        "/sync refuses a collaboration token"
    );
    for t in [&bystander.facilitator_token, &bystander.screen_token] {
        let (status, _) = call(&server, Method::GET, "/api/collaboration", Some(t), "").await;
        assert_eq!(status, 401);
    }

    // The first session: 001; a TWO adopted, a lesson packed.
    let s1 = start(&server, token, "Sessie 1", "001").await;
    let f1 = steer(&server, &s1, |tx| {
        proposals::set_status(
            tx,
            "rule-5",
            Status::Adopted,
            "Zorgen horen op tafel",
            Some("2099-01-01"),
        )?;
        collaboration::add_lesson(tx, "Eerst luisteren")
    })
    .await;
    let first = workshop::view(
        f1.doc(kring_shared::ids::DocumentId::from_url(&s1.workshop_document).unwrap()),
    );
    assert_eq!(
        first.collaboration.as_ref().map(|c| c.id.clone()),
        Some(link.collaboration_id.to_string()),
        "the first session carries the collaboration's id"
    );
    // The page shows the collaboration as it stands: session 1's TWO and lesson included.
    let p = page(&server, token).await;
    assert_eq!(p.sessions.len(), 1);
    assert_eq!(p.sessions[0].title, "Sessie 1");
    assert_eq!(p.sessions[0].form, FormId::RulesOfPlay);
    assert_eq!(p.sessions[0].join_code, s1.join_code);
    assert!(p.standing.ledger.iter().any(|a| a.text == RULE_5
        && a.why == "Zorgen horen op tafel"
        && a.status == Status::Adopted));
    assert_eq!(p.standing.backpack, vec!["Eerst luisteren".to_owned()]);

    // The second session, of another form, carries it.
    let s2 = start(&server, token, "Sessie 2", "002").await;
    let mut f2 = SyncClient::connect(&server.ws(), &s2.facilitator_token)
        .await
        .unwrap();
    let doc2 = kring_shared::ids::DocumentId::from_url(&s2.workshop_document).unwrap();
    f2.open(doc2).await.unwrap();
    let carried = workshop::view(f2.doc(doc2)).collaboration.unwrap();
    assert_eq!(carried.id, link.collaboration_id.to_string());
    assert_eq!(carried.sessions.len(), 1);
    assert_eq!(carried.backpack, vec!["Eerst luisteren".to_owned()]);
    assert!(carried.ledger.iter().any(|a| a.text == RULE_5));
    let p = page(&server, token).await;
    let titles: Vec<&str> = p.sessions.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Sessie 1", "Sessie 2"]);
    assert_eq!(p.standing.sessions.len(), 2);

    // Each session opens as facilitator from the page; no other workshop does.
    let path = format!("/api/collaboration/sessions/{}/facilitate", s1.workshop_id);
    let (status, v) = call(&server, Method::POST, &path, Some(token), "").await;
    assert_eq!(status, 201, "{v}");
    let opened: Link = serde_json::from_value(v).unwrap();
    assert!(opened.path.starts_with("/facilitate#"));
    let m = me(&base, &opened.token).await.unwrap();
    assert_eq!(m["role"], "facilitator");
    assert_eq!(m["workshop_id"], s1.workshop_id.to_string());
    for other in [bystander.id.clone(), "not-a-uuid".into()] {
        let path = format!("/api/collaboration/sessions/{other}/facilitate");
        let (status, v) = call(&server, Method::POST, &path, Some(token), "").await;
        assert_eq!(status, 404, "{v}");
    }
    let (status, _) = call(
        &server,
        Method::POST,
        &path,
        Some(&bystander.facilitator_token),
        "",
    )
    .await;
    assert_eq!(status, 401, "a workshop token is no collaboration token");

    // Exports in the report's formats.
    let url = |f: &str| format!("{base}/api/collaboration/report?format={f}");
    let (status, headers, md) = get_text(url("md"), token).await;
    assert_eq!(status, 200);
    assert!(md.starts_with("# Wijkteam Noord"), "{md}");
    assert!(
        md.contains(RULE_5) && md.contains("Eerst luisteren"),
        "{md}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, csv) = get_text(url("csv"), token).await;
    assert_eq!(status, 200);
    assert!(
        csv.contains(&format!(
            "agreement,rules,adopted,v1,{RULE_5},Zorgen horen op tafel,2099-01-01,\"Sessie 1, "
        )),
        "{csv}"
    );
    assert!(csv.contains("lesson,,,,Eerst luisteren"), "{csv}");
    let (status, _, json) = get_text(url("json"), token).await;
    assert_eq!(status, 200);
    let exported: CollaborationPage = serde_json::from_str(&json).unwrap();
    assert_eq!(exported.sessions.len(), 2);
    let (status, _, body) = get_text(url("xml"), token).await;
    assert_eq!(status, 400, "{body}");

    // Co-facilitators: from the collaboration's link, or from a session's facilitator — never
    // from a participant or the projector.
    let (status, v) = new_link(&server, token).await;
    assert_eq!(status, 201, "{v}");
    let co: CollaborationLink = serde_json::from_value(v).unwrap();
    assert_ne!(co.token, link.token);
    assert_eq!(page(&server, &co.token).await.sessions.len(), 2);
    let (status, v) = new_link(&server, &s2.facilitator_token).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["collaboration_id"], link.collaboration_id.to_string());
    let an = join(&base, &s2.join_code, "An", "OCMW").await.unwrap();
    for t in [an.token.as_str(), s2.screen_token.as_str()] {
        let (status, _) = new_link(&server, t).await;
        assert_eq!(status, 403);
    }
    let (status, _) = new_link(&server, "nope").await;
    assert_eq!(status, 401);

    // While session 2's facilitator holds its console's lock, a co-facilitator of it cannot open
    // the collaboration, and the collaboration is not deleted from under them.
    let holder: kring_shared::ids::FacilitatorId = me(&base, &s2.facilitator_token).await.unwrap()
        ["facilitator_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let lock = |tx: &mut automerge::transaction::Transaction<'_>, on: bool| {
        workshop::set_lock(tx, on.then_some(holder))
    };
    f2.change(doc2, |tx| lock(tx, true)).await.unwrap();
    f2.wait_for("locked", |c| c.repo.is_acknowledged(&doc2))
        .await
        .unwrap();
    let (status, v) = call(
        &server,
        Method::POST,
        "/api/links",
        Some(&s2.facilitator_token),
        r#"{"role":"facilitator"}"#,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = new_link(&server, v["token"].as_str().unwrap()).await;
    assert_eq!(status, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("locked"), "{v}");
    let (status, v) = new_link(&server, &s2.facilitator_token).await;
    assert_eq!(status, 201, "the holder may: {v}");
    let (status, v) = call(
        &server,
        Method::DELETE,
        "/api/collaboration",
        Some(token),
        "",
    )
    .await;
    assert_eq!(status, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("Sessie 2"), "{v}");
    assert_eq!(
        page(&server, token).await.sessions.len(),
        2,
        "nothing deleted"
    );
    f2.change(doc2, |tx| lock(tx, false)).await.unwrap();
    f2.wait_for("unlocked", |c| c.repo.is_acknowledged(&doc2))
        .await
        .unwrap();

    // Deleting it deletes every session: every link dies, connections are closed; the bystander
    // stays.
    let (status, _) = call(
        &server,
        Method::DELETE,
        "/api/collaboration",
        Some(&co.token),
        "",
    )
    .await;
    assert_eq!(status, 204);
    for t in [
        s1.facilitator_token.as_str(),
        s2.facilitator_token.as_str(),
        opened.token.as_str(),
        an.token.as_str(),
    ] {
        let (status, _) = call(&server, Method::GET, "/api/me", Some(t), "").await;
        assert_eq!(status, 401);
    }
    for t in [token, co.token.as_str()] {
        let (status, _) = call(&server, Method::GET, "/api/collaboration", Some(t), "").await;
        assert_eq!(status, 401);
    }
    f2.settle(std::time::Duration::from_millis(300)).await.ok();
    assert!(
        f2.closed.is_some(),
        "the session's facilitator is disconnected"
    );
    assert_eq!(
        me(&base, &bystander.facilitator_token).await.unwrap()["role"],
        "facilitator"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_session_becomes_a_collaboration_and_its_next_session_joins_it() {
    let server = TestServer::start().await;
    let base = server.http();
    let s1 = kring_testkit::create_workshop_of(&base, "Eerste keer", "001")
        .await
        .unwrap();
    // From a session's console: a collaboration is made of the session.
    let (status, v) = new_link(&server, &s1.facilitator_token).await;
    assert_eq!(status, 201, "{v}");
    let link: CollaborationLink = serde_json::from_value(v).unwrap();
    let p = page(&server, &link.token).await;
    assert_eq!(p.title, "Eerste keer");
    assert_eq!(p.sessions.len(), 1);
    // The next session, started from the session, is a session of the same collaboration.
    let s2 = next_session(&base, &s1.facilitator_token, "Tweede keer", "000")
        .await
        .unwrap();
    let p = page(&server, &link.token).await;
    let titles: Vec<&str> = p.sessions.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Eerste keer", "Tweede keer"]);
    let mut f = SyncClient::connect(&server.ws(), &s2.facilitator_token)
        .await
        .unwrap();
    f.open(s2.document).await.unwrap();
    assert_eq!(
        workshop::view(f.doc(s2.document)).collaboration.unwrap().id,
        link.collaboration_id.to_string(),
        "the carried id is the collaboration's"
    );

    // A session started from a session that had no collaboration registers one, with both.
    let t1 = create_workshop(&base, "Los begonnen").await.unwrap();
    let t2 = next_session(&base, &t1.facilitator_token, "Vervolg", "004")
        .await
        .unwrap();
    let (status, v) = new_link(&server, &t2.facilitator_token).await;
    assert_eq!(status, 201, "{v}");
    let p = page(&server, v["token"].as_str().unwrap()).await;
    let titles: Vec<&str> = p.sessions.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Los begonnen", "Vervolg"]);
    assert_eq!(p.title, "Los begonnen");
    server.stop().await;
}
