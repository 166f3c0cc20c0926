//! The workshop report and the purge of reflections, over a workshop played through by real
//! protocol clients against a real server and SQLite file: four people write private notes, two
//! duos write and share insights, the facilitator clusters cards on the flip chart, everyone adds
//! energy, cards and small changes. Then the Markdown, CSV and JSON hold exactly what the table
//! holds, in the right clusters and levels; no note text appears in any export; participants get
//! the report only once it is shared; and after closing, the reflections are gone from the
//! database file and its WAL, byte for byte, while the report stays whole.

use kring_shared::engine::client::DocStatus;
use kring_shared::ids::{DocumentId, DuoId, ParticipantId};
use kring_shared::method::LevelId;
use kring_shared::report::{self, Report, Step1Counts};
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::reflection::{self, Mark, Note};
use kring_shared::schema::table::{self, Cluster};
use kring_shared::schema::voice::{self, CardKind, SmallChange, VoiceCard};
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::{
    Participant, SyncClient, TestServer, contains_bytes, create_workshop, get_text, join,
};

/// A private note per person; none of these may ever leave the reflection documents.
const NOTES: [&str; 4] = [
    "PRIVE-notitie-An-zwaar-dossier-7f3a",
    "PRIVE-notitie-Bert-teamleider-c91d",
    "PRIVE-notitie-Cis-te-weinig-tijd-2b8e",
    "PRIVE-notitie-Dirk-conflict-5e60",
];

/// A duo room, a member who writes in it, its insights (id, text, level) and the one it shares.
type RoomPlan<'a> = (
    DocumentId,
    &'a Participant,
    &'a [(&'a str, &'a str, LevelId)],
    &'a str,
);
/// A person, their energy dots, a card (kind, text) and a small change (text, level).
type VoicePlan<'a> = (
    &'a Participant,
    &'a [(LevelId, u32)],
    Option<(CardKind, &'a str)>,
    Option<(&'a str, LevelId)>,
);

fn pid(p: &Participant) -> ParticipantId {
    p.id.parse().unwrap()
}

async fn report_of(server: &TestServer, token: &str, query: &str) -> (u16, String) {
    let (status, _, body) = get_text(format!("{}/api/report?{query}", server.http()), token).await;
    (status, body)
}

async fn write_note(server: &TestServer, p: &Participant, note: &str, ring: LevelId, mark: Mark) {
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(c.open(p.reflection).await.unwrap(), DocStatus::Ready);
    c.change(p.reflection, |tx| {
        reflection::put_note(
            tx,
            &Note {
                id: "n1".into(),
                ring,
                text: note.into(),
                mark,
                x: 0.1,
                y: 0.2,
                question: None,
            },
        )
    })
    .await
    .unwrap();
    c.wait_for("note stored", |c| c.repo.is_acknowledged(&p.reflection))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_report_holds_the_table_and_closing_purges_every_reflection_byte() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "Samen sterk").await.unwrap();
    let a = join(&base, &w.join_code, "An", "OCMW Gent").await.unwrap();
    let b = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();
    let c = join(&base, &w.join_code, "Cis", "OCMW Gent").await.unwrap();
    let d = join(&base, &w.join_code, "Dirk", "Kind en Gezin")
        .await
        .unwrap();
    let people = [&a, &b, &c, &d];

    // Step 1: private notes.
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    for ((p, note), (ring, mark)) in people.iter().zip(NOTES).zip([
        (LevelId::Individual, Mark::Green),
        (LevelId::Collegial, Mark::Red),
        (LevelId::Individual, Mark::None),
        (LevelId::Collective, Mark::Red),
    ]) {
        write_note(&server, p, note, ring, mark).await;
    }

    // Step 2: two duos, each with insights and one to share.
    let (d1, d2) = (DuoId::random(), DuoId::random());
    let v = fac
        .form_duos(
            w.document,
            &[
                DuoEntry {
                    id: d1,
                    members: vec![pid(&a), pid(&b)],
                    doc: None,
                    number: None,
                },
                DuoEntry {
                    id: d2,
                    members: vec![pid(&c), pid(&d)],
                    doc: None,
                    number: None,
                },
            ],
        )
        .await
        .unwrap();
    let room = |id: DuoId| v.duos.iter().find(|d| d.id == id).unwrap().doc.unwrap();
    let (room1, room2, table_doc) = (room(d1), room(d2), v.table.unwrap());
    // Duos are numbered in the plan's order (by id), everywhere they appear.
    let number = |id: DuoId| v.duos.iter().position(|d| d.id == id).unwrap() + 1;
    let (duo1, duo2) = (
        format!("Duo {} · OCMW Gent & CAW", number(d1)),
        format!("Duo {} · OCMW Gent & Kind en Gezin", number(d2)),
    );
    let voice_of = |p: &Participant| -> DocumentId {
        v.roster
            .iter()
            .find(|r| r.id == pid(p))
            .unwrap()
            .voice
            .unwrap()
    };
    let insights: [RoomPlan<'_>; 2] = [
        (
            room1,
            &a,
            &[
                (
                    "i1",
                    "Elkaar vaker bellen, ook \"tussendoor\"",
                    LevelId::Collegial,
                ),
                ("i2", "Eigen grenzen kennen", LevelId::Individual),
            ],
            "i1",
        ),
        (
            room2,
            &c,
            &[
                ("i3", "Een gedeeld doel voor de regio", LevelId::Collective),
                ("i4", "Samen de intake herzien", LevelId::Collective),
            ],
            "i3",
        ),
    ];
    for (doc, p, cards, share) in insights {
        let mut cl = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
        assert_eq!(cl.open(doc).await.unwrap(), DocStatus::Ready);
        cl.change(doc, |tx| {
            for (id, text, level) in cards {
                duo::put_insight(
                    tx,
                    &Insight {
                        id: (*id).into(),
                        text: (*text).into(),
                        zone: (*level).into(),
                    },
                )?;
            }
            duo::set_share(tx, Some(share))
        })
        .await
        .unwrap();
        cl.wait_for("insights stored", |c| c.repo.is_acknowledged(&doc))
            .await
            .unwrap();
    }

    // Step 3: everyone's voice, then the facilitator clusters the cards.
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    fac.wait_for("step 3 stored", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    let voices: [VoicePlan<'_>; 4] = [
        (
            &a,
            &[(LevelId::Collegial, 2), (LevelId::Collective, 1)],
            Some((CardKind::Needed, "Tijd om te overleggen")),
            Some(("Elke week een collega bellen", LevelId::Collegial)),
        ),
        (
            &b,
            &[(LevelId::Collegial, 3)],
            Some((CardKind::Chance, "Een gedeelde agenda")),
            None,
        ),
        (
            &c,
            &[(LevelId::Collective, 2)],
            None,
            Some(("Nee durven zeggen", LevelId::Individual)),
        ),
        (
            &d,
            &[(LevelId::Individual, 1)],
            Some((CardKind::Chance, "Intervisie over organisaties heen")),
            None,
        ),
    ];
    for (p, energy, card, change) in voices {
        let doc = voice_of(p);
        let mut cl = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
        assert_eq!(cl.open(w.document).await.unwrap(), DocStatus::Ready);
        cl.wait_for("step 3", |c| {
            workshop::view(c.doc(w.document)).step == Some(Step::Plenary)
        })
        .await
        .unwrap();
        assert_eq!(cl.open(doc).await.unwrap(), DocStatus::Ready);
        cl.change(doc, |tx| {
            for (level, n) in energy {
                voice::set_energy(tx, *level, *n)?;
            }
            if let Some((kind, text)) = card {
                voice::add_card(
                    tx,
                    &VoiceCard {
                        id: "v1".into(),
                        kind,
                        text: text.into(),
                        duo: None,
                    },
                )?;
            }
            voice::set_change(
                tx,
                change
                    .map(|(text, level)| SmallChange {
                        text: text.into(),
                        level,
                    })
                    .as_ref(),
            )
        })
        .await
        .unwrap();
        cl.wait_for("voice stored", |c| c.repo.is_acknowledged(&doc))
            .await
            .unwrap();
        assert!(cl.errors().is_empty(), "{:?}", cl.errors());
    }
    assert_eq!(fac.open(table_doc).await.unwrap(), DocStatus::Ready);
    let key = |duo: DuoId, i: &str| format!("{duo}.{i}");
    let voice_key = |p: &Participant| format!("{}.v1", p.id);
    fac.change(table_doc, |tx| {
        table::set_cluster(
            tx,
            &Cluster {
                id: "c-tijd".into(),
                title: "Tijd en ruimte".into(),
                color: "orange".into(),
                level: None,
                order: 5.0,
            },
        )?;
        // Placed against their level tag on purpose: the report follows the table.
        table::place_card(tx, &key(d1, "i2"), "collegial", 1.0, None)?;
        table::place_card(tx, &key(d1, "i1"), "collegial", 2.0, None)?;
        table::place_card(tx, &key(d2, "i3"), "collective", 1.0, None)?;
        table::place_card(tx, &key(d2, "i4"), "collective", 2.0, Some(&key(d2, "i3")))?;
        table::place_card(tx, &voice_key(&a), "c-tijd", 1.0, None)?;
        table::place_card(tx, &voice_key(&d), "c-tijd", 2.0, None)
    })
    .await
    .unwrap();
    fac.wait_for("table stored", |c| c.repo.is_acknowledged(&table_doc))
        .await
        .unwrap();

    // The JSON report holds exactly what the table holds.
    let (status, json) = report_of(&server, &w.facilitator_token, "format=json").await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    let texts = |cl: &report::ClusterReport| -> Vec<String> {
        cl.cards.iter().map(|c| c.text.clone()).collect()
    };
    assert!(texts(&r.levels[0].cluster).is_empty());
    assert_eq!(
        texts(&r.levels[1].cluster),
        vec![
            "Eigen grenzen kennen",
            "Elkaar vaker bellen, ook \"tussendoor\""
        ]
    );
    assert_eq!(
        texts(&r.levels[2].cluster),
        vec!["Een gedeeld doel voor de regio", "Samen de intake herzien"]
    );
    assert_eq!(r.levels[2].cluster.cards[1].stacked_on, Some(key(d2, "i3")));
    assert_eq!(r.clusters.len(), 1);
    assert_eq!(r.clusters[0].title, "Tijd en ruimte");
    assert_eq!(
        texts(&r.clusters[0]),
        vec!["Tijd om te overleggen", "Intervisie over organisaties heen"]
    );
    assert_eq!(r.unsorted.len(), 1);
    assert_eq!(r.unsorted[0].text, "Een gedeelde agenda");
    // Every card in the report is where the table says, and every placed card is in the report.
    let t = table::view(fac.doc(table_doc));
    let mut placed_in_report = 0;
    for cl in r.levels.iter().map(|l| &l.cluster).chain(&r.clusters) {
        for card in &cl.cards {
            assert_eq!(t.cards[&card.key].cluster, cl.id, "{}", card.text);
            placed_in_report += 1;
        }
    }
    assert_eq!(placed_in_report, t.cards.len());
    // Levels: the duos' tags, the round, energy, small changes; organisations, no names.
    assert_eq!(
        r.levels[1].cluster.cards[0].level,
        Some(LevelId::Individual)
    );
    assert_eq!(
        r.levels[1].cluster.cards[1].by.as_deref(),
        Some(duo1.as_str())
    );
    assert!(r.levels[1].cluster.cards[1].shared);
    assert_eq!(
        r.levels[1].shared[0].text,
        "Elkaar vaker bellen, ook \"tussendoor\""
    );
    assert_eq!(r.levels[2].shared[0].text, "Een gedeeld doel voor de regio");
    let energy: Vec<u32> = r.levels.iter().map(|l| l.energy).collect();
    assert_eq!(energy, vec![1, 5, 3]);
    assert_eq!(r.most_energy, Some(LevelId::Collegial));
    assert_eq!(r.levels[1].changes[0].text, "Elke week een collega bellen");
    assert_eq!(r.levels[0].changes[0].text, "Nee durven zeggen");
    assert_eq!(r.needed.len(), 1);
    assert_eq!(r.chances.len(), 2);
    assert_eq!(r.participants.count, 4);
    assert!(r.participants.people.is_empty());
    assert_eq!(r.participants.organisations[2].organisation, "OCMW Gent");
    assert_eq!(r.participants.organisations[2].people, 2);
    // Step 1 only as counts.
    assert_eq!(
        r.step1,
        Step1Counts {
            people: 4,
            individual: 2,
            collegial: 1,
            collective: 1,
            green: 1,
            red: 2,
            individual_green: 1,
            collegial_red: 1,
            collective_red: 1,
            ..Step1Counts::default()
        }
    );
    assert_eq!(r.levels[0].questions.len(), 2);

    // The server's report is the one the shared model builds from what the facilitator sees.
    let mut src = report::Sources {
        workshop: workshop::view(fac.doc(w.document)),
        table: t.clone(),
        step1: r.step1,
        ..report::Sources::default()
    };
    for entry in src.workshop.duos.clone() {
        let doc = entry.doc.unwrap();
        fac.open(doc).await.unwrap();
        src.duos.push((entry.id, duo::view(fac.doc(doc))));
    }
    for entry in src.workshop.roster.clone() {
        let doc = entry.voice.unwrap();
        fac.open(doc).await.unwrap();
        src.voices.push((entry.id, voice::view(fac.doc(doc))));
    }
    src.created_at_ms = 0;
    let mut mine = report::build(&src, report::Options::default());
    mine.date = r.date.clone();
    assert_eq!(mine, r);

    // Markdown and CSV: the same cards in the same clusters and levels.
    let (status, md) = report_of(&server, &w.facilitator_token, "format=md").await;
    assert_eq!(status, 200);
    let section = |md: &str, from: &str, to: &str| -> String {
        let start = md.find(from).unwrap_or_else(|| panic!("{from} in {md}"));
        let end = md[start..].find(to).map(|e| start + e).unwrap_or(md.len());
        md[start..end].to_owned()
    };
    let collegial = section(&md, "## Collegiaal", "## Collectief");
    assert!(collegial.contains(
        &format!("### Op de flap\n\n- Eigen grenzen kennen — *{duo1}*\n- Elkaar vaker bellen, ook \"tussendoor\" — *{duo1}* ★\n")
    ), "{collegial}");
    assert!(collegial.contains("5 stippen"));
    assert!(collegial.contains("- Elke week een collega bellen — *OCMW Gent*"));
    let collective = section(&md, "## Collectief", "## Andere clusters");
    assert!(collective.contains(&format!("- Een gedeeld doel voor de regio — *{duo2}* ★")));
    assert!(collective.contains("- Samen de intake herzien"));
    let own = section(&md, "## Andere clusters", "## Nog niet op de flap");
    assert!(own.contains("### Tijd en ruimte\n\n- Tijd om te overleggen — *OCMW Gent*\n- Intervisie over organisaties heen — *Kind en Gezin*\n"));
    assert!(md.contains("## Nog niet op de flap\n\n- Een gedeelde agenda — *CAW*\n"));

    let (status, headers, csv) = get_text(
        format!("{base}/api/report?format=csv"),
        &w.facilitator_token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"kring-")
    );
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    let cards: Vec<String> = rows
        .iter()
        .copied()
        .filter(|l| l.starts_with("card,"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        cards,
        vec![
            format!("card,collegial,individual,insight,Eigen grenzen kennen,{duo1},,"),
            format!(
                "card,collegial,collegial,insight,\"Elkaar vaker bellen, ook \"\"tussendoor\"\"\",{duo1},yes,"
            ),
            format!(
                "card,collective,collective,insight,Een gedeeld doel voor de regio,{duo2},yes,"
            ),
            format!("card,collective,collective,insight,Samen de intake herzien,{duo2},,"),
            format!("card,c-tijd,,needed,Tijd om te overleggen,OCMW Gent,,"),
            format!("card,c-tijd,,chance,Intervisie over organisaties heen,Kind en Gezin,,"),
            format!("card,,,chance,Een gedeelde agenda,CAW,,"),
        ]
    );
    assert!(rows.contains(&"energy,,collegial,,,,,5"));
    assert!(rows.contains(&"change,,individual,,Nee durven zeggen,OCMW Gent,,"));

    let (status, svg) = report_of(&server, &w.facilitator_token, "format=svg").await;
    assert_eq!(status, 200);
    assert!(svg.contains("Samen de intake herzien"));

    // No note text and no name in any export; names only when the facilitator asks.
    let mut exports = vec![json.clone(), md.clone(), csv.clone(), svg.clone()];
    let (_, named) = report_of(&server, &w.facilitator_token, "format=md&names=true").await;
    assert!(named.contains("An & Bert") && named.contains("- Dirk (Kind en Gezin)"));
    for e in &exports {
        for name in ["Bert", "Cis", "Dirk"] {
            assert!(!e.contains(name), "{name} in a pseudonymised export");
        }
    }
    exports.push(named);
    for format in ["json", "csv", "svg"] {
        exports.push(
            report_of(
                &server,
                &w.facilitator_token,
                &format!("format={format}&names=true"),
            )
            .await
            .1,
        );
    }
    for e in &exports {
        for note in NOTES {
            assert!(!e.contains(note), "a private note leaked into an export");
        }
    }

    // Participants get the report once it is shared, pseudonymised.
    assert_eq!(report_of(&server, &a.token, "format=md").await.0, 403);
    assert_eq!(
        report_of(&server, &w.screen_token, "format=md").await.0,
        403
    );
    let (status, _) = kring_testkit::request(
        reqwest::Method::PUT,
        format!("{base}/api/report/shared"),
        Some(&a.token),
        r#"{"shared": true}"#,
    )
    .await;
    assert_eq!(status, 403, "a participant cannot share the report");
    let (status, _) = kring_testkit::request(
        reqwest::Method::PUT,
        format!("{base}/api/report/shared"),
        Some(&w.facilitator_token),
        r#"{"shared": true}"#,
    )
    .await;
    assert_eq!(status, 204);
    let (status, shared) = report_of(&server, &a.token, "format=md").await;
    assert_eq!(status, 200);
    assert_eq!(shared, md);
    assert_eq!(
        report_of(&server, &a.token, "format=md&names=true").await.0,
        403
    );
    assert_eq!(report_of(&server, &a.token, "format=pdf").await.0, 400);
    assert_eq!(report_of(&server, "nonsense", "format=md").await.0, 401);

    // Before closing, the notes are in the database (so the check below can fail).
    let files = server.database_files();
    let found = NOTES
        .iter()
        .filter(|n| files.iter().any(|(_, f)| contains_bytes(f, n.as_bytes())))
        .count();
    assert_eq!(
        found,
        NOTES.len(),
        "the notes should be stored before closing"
    );

    // The owner is looking at their notes while the workshop closes.
    let mut watcher = SyncClient::connect(&server.ws(), &b.token).await.unwrap();
    assert_eq!(watcher.open(b.reflection).await.unwrap(), DocStatus::Ready);

    // Closing purges every reflection: gone from the database file and from its WAL.
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    fac.wait_for("step-1 counts kept", |c| {
        workshop::view(c.doc(w.document)).step1.is_some()
    })
    .await
    .unwrap();
    let files = server.database_files();
    assert!(!files[0].1.is_empty(), "the database file exists");
    for (name, bytes) in &files {
        for note in NOTES {
            assert!(
                !contains_bytes(bytes, note.as_bytes()),
                "`{note}` is still in {name} after closing"
            );
        }
    }
    // The report data stays: insights, table and voices are still in the file.
    let all: Vec<u8> = files.iter().flat_map(|(_, b)| b.clone()).collect();
    assert!(contains_bytes(&all, "Samen de intake herzien".as_bytes()));
    assert!(contains_bytes(&all, "Tijd en ruimte".as_bytes()));

    // The owner who had it open is told it is gone (so the browser drops its copy)…
    watcher
        .wait_for("reflection gone", |c| {
            c.repo.status(&b.reflection) == Some(DocStatus::Unavailable)
        })
        .await
        .unwrap();
    // …and nobody can open a reflection any more, not even its owner.
    let mut owner = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    assert_eq!(
        owner.open(a.reflection).await.unwrap(),
        DocStatus::Unavailable
    );
    // The report after closing is the same, with step 1's counts kept.
    let (status, after) = report_of(&server, &w.facilitator_token, "format=json").await;
    assert_eq!(status, 200);
    let after: Report = serde_json::from_str(&after).unwrap();
    assert_eq!(after.step, "closed");
    assert_eq!(after.step1, r.step1);
    assert_eq!(after.levels, r.levels);
    assert_eq!(after.clusters, r.clusters);

    server.stop().await;
}
