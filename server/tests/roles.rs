//! Work form 003 (roles in a collaboration) against a real server and SQLite file: a role sheet
//! (the points over the perspectives and the claims on roles) is its owner's alone — never in
//! the bytes the facilitator, the screen or another participant receive; the group's balance
//! appears only once k people divided their points (and only from the role-map step on); a
//! claim reaches the group only after its owner published it, and a role map someone else
//! writes is put right by the server; closing purges the sheets while the published role map,
//! the balance and the agreements stay for the report.

use kring_shared::engine::client::DocStatus;
use kring_shared::forms::FormId;
use kring_shared::forms::roles::{Balance, Claim, Perspective, RoleId};
use kring_shared::forms::roles_report;
use kring_shared::ids::DocumentId;
use kring_shared::report::Report;
use kring_shared::schema::role_sheet;
use kring_shared::schema::workshop::{self, Agreement};
use kring_shared::step::Step;
use kring_testkit::{Participant, SyncClient, TestServer, contains_bytes, form_room, get_text, me};

/// A participant's role sheet, as `/api/me` names it.
async fn sheet_doc(server: &TestServer, p: &Participant) -> DocumentId {
    let me = me(&server.http(), &p.token).await.unwrap();
    DocumentId::from_url(
        me["documents"]["role_sheet"]
            .as_str()
            .expect("a role sheet"),
    )
    .unwrap()
}

/// Connects as the participant with their sheet open.
async fn open_sheet(server: &TestServer, p: &Participant) -> (SyncClient, DocumentId) {
    let doc = sheet_doc(server, p).await;
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(c.open(doc).await.unwrap(), DocStatus::Ready);
    (c, doc)
}

fn divide(
    points: [u32; 3],
) -> impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), automerge::AutomergeError>
{
    move |tx| {
        for (p, n) in Perspective::ALL.into_iter().zip(points) {
            role_sheet::set_points(tx, p, n)?;
        }
        Ok(())
    }
}

fn view(c: &SyncClient, ws_doc: DocumentId) -> workshop::WorkshopView {
    workshop::view(c.doc(ws_doc))
}

#[tokio::test]
async fn role_sheets_stay_private_claims_show_once_published_and_closing_purges_them() {
    let server = TestServer::start().await;
    let base = server.http();
    let (w, people, mut f) = form_room(
        &server,
        "Rollen in de samenwerking",
        "003",
        &[
            ("An", "OCMW"),
            ("Bert", "CAW"),
            ("Chris", "CLB"),
            ("Dina", "OCMW"),
        ],
        |r| r.role_sheet.is_some(),
    )
    .await;
    let v = view(&f, w.document);
    assert_eq!(v.form.id, FormId::Roles);
    assert_eq!(v.plan.k, 3);
    assert!(
        v.roster.iter().all(|r| r.rating.is_none()),
        "003 makes no 004 ratings"
    );
    f.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    let mut screen = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    screen.recorded = Some(vec![]);
    assert_eq!(screen.open(w.document).await.unwrap(), DocStatus::Ready);

    // Nobody but the owner may open a role sheet.
    let an_sheet = sheet_doc(&server, &people[0]).await;
    let mut bert_watch = SyncClient::connect(&server.ws(), &people[1].token)
        .await
        .unwrap();
    bert_watch.recorded = Some(vec![]);
    for c in [&mut f, &mut screen, &mut bert_watch] {
        assert_eq!(c.open(an_sheet).await.unwrap(), DocStatus::Unavailable);
    }
    assert_eq!(bert_watch.open(w.document).await.unwrap(), DocStatus::Ready);

    let (mut an, an_doc) = open_sheet(&server, &people[0]).await;
    let (mut bert, bert_doc) = open_sheet(&server, &people[1]).await;
    let (mut chris, chris_doc) = open_sheet(&server, &people[2]).await;
    let (mut dina, dina_doc) = open_sheet(&server, &people[3]).await;
    an.write(an_doc, divide([5, 2, 3])).await;
    bert.write(bert_doc, divide([4, 4, 2])).await;
    // An claims roles but does not publish them; Bert publishes his.
    an.write(an_doc, |tx| {
        role_sheet::set_claim(tx, RoleId::Fundraiser, Some(Claim::HoldNow))?;
        role_sheet::set_claim(tx, RoleId::Initiator, Some(Claim::HoldNow))
    })
    .await;
    bert.write(bert_doc, |tx| {
        role_sheet::set_claim(tx, RoleId::Leader, Some(Claim::HoldNow))?;
        role_sheet::set_claim(tx, RoleId::Driver, Some(Claim::HoldNow))?;
        role_sheet::set_claim(tx, RoleId::Critic, Some(Claim::Want))?;
        role_sheet::set_published(tx, true)
    })
    .await;
    f.wait_for("Bert's published claims", |c| {
        view(c, w.document).role_map.contains_key(&people[1].pid())
    })
    .await
    .unwrap();
    let map = view(&f, w.document).role_map;
    assert_eq!(map.len(), 1, "An did not publish: {map:?}");
    assert_eq!(map[&people[1].pid()][&RoleId::Leader], Claim::HoldNow);
    screen
        .wait_for("Bert's claims on the screen", |c| {
            view(c, w.document).role_map.contains_key(&people[1].pid())
        })
        .await
        .unwrap();
    bert_watch
        .wait_for("Bert's claims on a device", |c| {
            view(c, w.document).role_map.contains_key(&people[1].pid())
        })
        .await
        .unwrap();
    // Two core roles on Bert: the role map flags him.
    let rm = roles_report::role_map(&view(&f, w.document));
    assert_eq!(rm.core_piled_on, vec![people[1].pid()]);
    assert!(rm.uncovered.contains(&RoleId::Fundraiser));

    // A role map someone else writes is put right by the server: Chris published nothing.
    f.change(w.document, |tx| {
        let claims = [(RoleId::Doer, Claim::HoldNow)].into_iter().collect();
        workshop::set_published_claims(tx, people[2].pid(), Some(&claims))
    })
    .await
    .unwrap();
    f.barrier(w.document, 1).await;
    f.wait_for("the forged claims removed", |c| {
        !view(c, w.document).role_map.contains_key(&people[2].pid())
    })
    .await
    .unwrap();

    // In the role-map step, k − 1 divided splits give no balance.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    f.barrier(w.document, 2).await;
    assert_eq!(
        view(&f, w.document).balance,
        None,
        "two answers give nothing"
    );
    assert_eq!(view(&f, w.document).rated, 2);

    // Back in step 1 Chris divides all ten, Dina only three: still nothing, and not in step 1.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    // The step is stored before Chris writes (their changes come over different connections).
    f.wait_for("step 1 stored", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    chris.write(chris_doc, divide([6, 0, 4])).await;
    dina.write(dina_doc, divide([3, 0, 0])).await;
    f.barrier(w.document, 3).await;
    assert_eq!(view(&f, w.document).rated, 3);
    assert_eq!(
        view(&f, w.document).balance,
        None,
        "not while people still divide in step 1"
    );

    // Before An publishes, nothing of An's sheet reached anyone else.
    f.barrier(w.document, 4).await;
    bert_watch
        .wait_for("the barrier on a device", |c| {
            view(c, w.document).broadcast.is_some_and(|b| b.id == "b4")
        })
        .await
        .unwrap();
    screen
        .wait_for("the barrier on the screen", |c| {
            view(c, w.document).broadcast.is_some_and(|b| b.id == "b4")
        })
        .await
        .unwrap();
    for (who, c) in [
        ("facilitator", &f),
        ("screen", &screen),
        ("participant", &bert_watch),
    ] {
        let got = c.recorded.as_ref().unwrap();
        // "fundraiser" is An's unpublished claim; "points" and "published" are keys only a
        // role sheet holds.
        for needle in ["fundraiser", "points", "published"] {
            assert!(
                !contains_bytes(got, needle.as_bytes()),
                "{who} received `{needle}` from a role sheet"
            );
        }
    }

    // An publishes: now the group sees An's claims (and the bytes show them: the check above
    // would have seen them).
    an.write(an_doc, |tx| role_sheet::set_published(tx, true))
        .await;
    bert_watch
        .wait_for("An's claims on a device", |c| {
            view(c, w.document)
                .role_map
                .get(&people[0].pid())
                .is_some_and(|m| m.get(&RoleId::Fundraiser) == Some(&Claim::HoldNow))
        })
        .await
        .unwrap();
    assert!(contains_bytes(
        bert_watch.recorded.as_ref().unwrap(),
        b"fundraiser"
    ));

    // The role-map step: the balance at k, all at once.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    f.wait_for("the balance at k", |c| {
        view(c, w.document).balance.is_some()
    })
    .await
    .unwrap();
    let balance = view(&f, w.document).balance.unwrap();
    assert_eq!(
        balance,
        Balance {
            answered: 3,
            points: [15, 6, 9]
        }
    );
    screen
        .wait_for("the balance on the screen", |c| {
            view(c, w.document).balance.is_some()
        })
        .await
        .unwrap();

    // Step 3: an agreement, written by the facilitator with the group.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    f.change(w.document, |tx| {
        workshop::put_agreement(
            tx,
            &Agreement {
                id: "a1".into(),
                role: RoleId::Leader,
                who: "Chris".into(),
                from: "1 maart".into(),
                note: "Bert blijft trekker".into(),
            },
        )
    })
    .await
    .unwrap();
    f.barrier(w.document, 5).await;
    assert!(f.errors().is_empty(), "{:?}", f.errors());

    // Close: the sheets are purged (gone from the database file and its WAL); the published
    // role map, the balance and the agreements stay.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    let end = std::time::Instant::now() + kring_testkit::DEADLINE;
    loop {
        let mut c = SyncClient::connect(&server.ws(), &people[0].token)
            .await
            .unwrap();
        if c.open(an_doc).await.unwrap() == DocStatus::Unavailable {
            break;
        }
        assert!(std::time::Instant::now() < end, "role sheets not purged");
    }
    f.barrier(w.document, 6).await;
    for (_, bytes) in server.database_files() {
        assert!(
            !contains_bytes(&bytes, b"published"),
            "a role sheet was kept"
        );
    }
    let v = view(&f, w.document);
    assert_eq!(v.balance, Some(balance));
    assert_eq!(v.role_map.len(), 2);
    assert_eq!(v.agreements.len(), 1);

    let (status, _, json) = get_text(
        format!("{base}/api/report?format=json"),
        &w.facilitator_token,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(r.form.id, FormId::Roles);
    let roles = r.roles.expect("003's part of the report");
    assert_eq!(roles.people.len(), 2);
    assert_eq!(roles.agreements[0].role_name, "Leider");
    assert!(roles.advice.is_some());
    assert_eq!(roles.balance.unwrap().answered, 3);
    let (_, _, md) = get_text(
        format!("{base}/api/report?format=md&names=true"),
        &w.facilitator_token,
    )
    .await;
    assert!(md.contains("| Leider | Bert | – | |"), "{md}");
    assert!(md.contains("- Leider: Chris vanaf 1 maart"), "{md}");
    let (_, _, svg) = get_text(
        format!("{base}/api/report?format=svg"),
        &w.facilitator_token,
    )
    .await;
    assert!(svg.contains("data-claim=\"hold_now\""), "{svg}");
    let (_, _, csv) = get_text(
        format!("{base}/api/report?format=csv"),
        &w.facilitator_token,
    )
    .await;
    assert!(csv.contains("agreement,leader"), "{csv}");
    server.stop().await;
}
