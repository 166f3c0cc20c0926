//! A collaboration across sessions against a real server and SQLite file: a 001 session adopts
//! TWOs (one whose review date has come, one not), drops a rule and packs a lesson; the next
//! session — started with the facilitator's token — carries the sessions, the agreements with
//! their history and the backpack, and puts the due TWO on its agenda (open, marked for review)
//! while the other stays a TWO; the second session amends and re-adopts it, and the third carries
//! version 2 with the earlier text. A participant or the projector cannot start a session, a
//! session of another form carries the collaboration too, and the report exports it.

use kring_shared::engine::client::DocStatus;
use kring_shared::forms::FormId;
use kring_shared::forms::agreements::Status;
use kring_shared::report::Report;
use kring_shared::schema::workshop::{self, WorkshopView};
use kring_shared::schema::{collaboration, proposals};
use kring_testkit::{
    SyncClient, TestServer, Workshop, create_workshop_of, get_text, join, next_session, request,
};

async fn facilitator(server: &TestServer, w: &Workshop) -> SyncClient {
    let mut f = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    assert_eq!(f.open(w.document).await.unwrap(), DocStatus::Ready);
    f
}

async fn steer(
    f: &mut SyncClient,
    w: &Workshop,
    edit: impl FnOnce(
        &mut automerge::transaction::Transaction<'_>,
    ) -> Result<(), automerge::AutomergeError>,
) {
    f.change(w.document, edit).await.unwrap();
    f.wait_for("stored", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    assert!(f.errors().is_empty(), "{:?}", f.errors());
}

fn view(f: &SyncClient, w: &Workshop) -> WorkshopView {
    workshop::view(f.doc(w.document))
}

#[tokio::test]
async fn twos_and_lessons_carry_across_sessions_and_a_due_two_is_reviewed() {
    let server = TestServer::start().await;
    let base = server.http();
    let s1 = create_workshop_of(&base, "Sessie 1", "001").await.unwrap();
    let an = join(&base, &s1.join_code, "An", "OCMW").await.unwrap();
    let mut f = facilitator(&server, &s1).await;
    steer(&mut f, &s1, |tx| {
        proposals::set_status(
            tx,
            "rule-5",
            Status::Adopted,
            "Zorgen horen op tafel",
            Some("2026-01-01"),
        )?;
        proposals::set_status(
            tx,
            "rule-2",
            Status::Adopted,
            "Altijd een voorstel",
            Some("2099-01-01"),
        )?;
        proposals::set_status(tx, "rule-1", Status::Dropped, "", None)?;
        collaboration::add_lesson(tx, "Eerst luisteren, dan voorstellen")
    })
    .await;

    // Only a facilitator starts the next session.
    for token in [an.token.as_str(), s1.screen_token.as_str()] {
        let (status, body) = request(
            reqwest::Method::POST,
            format!("{base}/api/next-session"),
            Some(token),
            r#"{"title":"Sessie 2","form":"001"}"#,
        )
        .await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = request(
        reqwest::Method::POST,
        format!("{base}/api/next-session"),
        Some(&s1.facilitator_token),
        r#"{"title":"Sessie 2","form":"999"}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("001"), "{body}");

    // While the facilitator holds the console's lock, a co-facilitator cannot start it.
    let (status, link) = request(
        reqwest::Method::POST,
        format!("{base}/api/links"),
        Some(&s1.facilitator_token),
        r#"{"role":"facilitator"}"#,
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let co = link["token"].as_str().unwrap().to_owned();
    let me1 = kring_testkit::me(&base, &s1.facilitator_token)
        .await
        .unwrap();
    let holder: kring_shared::ids::FacilitatorId =
        me1["facilitator_id"].as_str().unwrap().parse().unwrap();
    steer(&mut f, &s1, |tx| workshop::set_lock(tx, Some(holder))).await;
    let (status, body) = request(
        reqwest::Method::POST,
        format!("{base}/api/next-session"),
        Some(&co),
        r#"{"title":"Sessie 2","form":"001"}"#,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("locked"), "{body}");

    let s2 = next_session(&base, &s1.facilitator_token, "Sessie 2", "001")
        .await
        .unwrap();
    assert_ne!(s2.join_code, s1.join_code);
    let mut f2 = facilitator(&server, &s2).await;
    let v = view(&f2, &s2);
    assert_eq!(v.title, "Sessie 2");
    let c = v
        .collaboration
        .clone()
        .expect("the collaboration is carried");
    assert_eq!(c.sessions.len(), 1);
    assert_eq!(c.sessions[0].title, "Sessie 1");
    assert_eq!(c.backpack, vec!["Eerst luisteren, dan voorstellen"]);
    let ids: Vec<&str> = c.ledger.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["rule-2", "rule-5"],
        "the dropped rule was never a TWO"
    );
    // The agenda: rule 5's review date has come (open again, due); rule 2 stays a TWO.
    let p5 = v.consensus.proposal("rule-5").cloned().unwrap();
    assert_eq!((p5.status, p5.due), (Status::Open, true));
    let p2 = v.consensus.proposal("rule-2").cloned().unwrap();
    assert_eq!((p2.status, p2.due), (Status::Adopted, false));
    assert_eq!(v.consensus.proposals.len(), 2, "no seven rules again");
    // Session 2 amends rule 5 and adopts it again; a second lesson.
    steer(&mut f2, &s2, |tx| {
        proposals::amend(tx, &p5, "Zorgen uitspreken en op de agenda zetten")?;
        proposals::set_status(
            tx,
            "rule-5",
            Status::Adopted,
            "Werkt, met agenda",
            Some("2099-06-01"),
        )?;
        collaboration::add_lesson(tx, "Een TWO met een datum wordt ook echt herzien")
    })
    .await;
    let after = view(&f2, &s2)
        .consensus
        .proposal("rule-5")
        .cloned()
        .unwrap();
    assert!(!after.due, "decided: no longer up for review");

    let s3 = next_session(&base, &s2.facilitator_token, "Sessie 3", "001")
        .await
        .unwrap();
    let f3 = facilitator(&server, &s3).await;
    let v3 = view(&f3, &s3);
    let c3 = v3.collaboration.clone().unwrap();
    assert_eq!(c3.id, c.id, "one collaboration");
    assert_eq!(c3.sessions.len(), 2);
    assert_eq!(c3.backpack.len(), 2);
    let rule5 = c3.ledger.iter().find(|a| a.id == "rule-5").unwrap();
    assert_eq!(rule5.version(), 2);
    assert_eq!(
        rule5.earlier,
        vec!["Elke deelnemer spreekt zijn zorgen of bedenkingen uit."]
    );
    assert!(rule5.since.starts_with("Sessie 1"), "{}", rule5.since);
    assert!(v3.consensus.proposals.iter().all(|p| !p.due));

    // A session of another form carries the collaboration as well.
    let s4 = next_session(&base, &s3.facilitator_token, "Bouwstenen", "004")
        .await
        .unwrap();
    let f4 = facilitator(&server, &s4).await;
    let v4 = view(&f4, &s4);
    assert_eq!(v4.form.id, FormId::BuildingBlocks);
    assert_eq!(v4.collaboration.unwrap().sessions.len(), 3);

    // The report exports the collaboration.
    let (status, _, json) = get_text(
        format!("{base}/api/report?format=json"),
        &s3.facilitator_token,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(r.collaboration.unwrap().ledger.len(), 2);
    let (_, _, md) = get_text(
        format!("{base}/api/report?format=md"),
        &s3.facilitator_token,
    )
    .await;
    assert!(md.contains("Rugzak: lessons learned"), "{md}");
    assert!(
        md.contains("Zorgen uitspreken en op de agenda zetten"),
        "{md}"
    );
}
