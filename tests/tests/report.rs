//! The report page in real headless Chromium, after a workshop played through by protocol
//! clients: the facilitator's page shows the flip chart and the cards per level, offers the
//! downloads and shares the report with participants; Chromium's `--print-to-pdf` turns the page
//! into an A4 PDF whose text holds the report (and neither the page's buttons nor any private
//! note), and whose pages `pdftoppm` renders to PNG in `target/screenshots/` for a person to look
//! at; the flip chart's SVG is rendered to PNG the same way.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::Locator;
use kring_e2e::{
    Driver, click, frontend_dir, open_as_participant, screenshot, screenshot_dir, wait_for_text,
};
use kring_shared::engine::client::DocStatus;
use kring_shared::ids::{DocumentId, DuoId};
use kring_shared::method::LevelId;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::reflection::{self, Mark, Note};
use kring_shared::schema::table::{self, Cluster};
use kring_shared::schema::voice::{self, CardKind, SmallChange, VoiceCard};
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::{Participant, SyncClient, TestServer, create_workshop, get_text, join};

/// A duo, its room, the member who writes there, and its insights (id, text, level).
type Room<'a> = (DuoId, DocumentId, usize, Vec<(&'a str, &'a str, LevelId)>);

const NOTE: &str = "PRIVE-notitie-mag-nooit-in-het-verslag-8c2f";

/// Runs Chromium headless on `url` with extra `args`, waiting at most a minute; reaps it.
async fn chromium(url: &str, args: &[String]) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .arg(url)
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let child = cmd.spawn().expect("chromium (apt-get install chromium)");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("chromium finished within a minute")
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    let said: Vec<&str> = said.lines().filter(|l| !l.contains("dbus")).collect();
    assert!(
        out.status.success() && !said.iter().any(|l| l.contains("Page load failed")),
        "chromium failed ({}): {said:?}",
        out.status
    );
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (apt-get install poppler-utils): {e}"));
    assert!(out.status.success(), "{name} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the tests need of the played workshop.
struct Played {
    workshop: kring_testkit::Workshop,
    /// Wrote the private note.
    an: Participant,
    bert: Participant,
}

/// A small workshop played through by protocol clients: notes, two duos with insights, voices,
/// and the facilitator's flip chart.
async fn play(server: &TestServer) -> Played {
    let base = server.http();
    let w = create_workshop(&base, "Verslag van de werkdag")
        .await
        .unwrap();
    let mut people = vec![];
    for (name, org) in [
        ("An", "OCMW Gent"),
        ("Bert", "CAW"),
        ("Cis", "Kind en Gezin"),
        ("Dirk", "CAW"),
    ] {
        people.push(join(&base, &w.join_code, name, org).await.unwrap());
    }
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let mut me = SyncClient::connect(&server.ws(), &people[0].token)
        .await
        .unwrap();
    assert_eq!(
        me.open(people[0].reflection).await.unwrap(),
        DocStatus::Ready
    );
    me.change(people[0].reflection, |tx| {
        reflection::put_note(
            tx,
            &Note {
                id: "n".into(),
                ring: LevelId::Collegial,
                text: NOTE.into(),
                mark: Mark::Green,
                x: 0.0,
                y: 0.0,
                question: None,
            },
        )
    })
    .await
    .unwrap();
    me.wait_for("note", |c| c.repo.is_acknowledged(&people[0].reflection))
        .await
        .unwrap();

    let pid = |i: usize| people[i].id.parse().unwrap();
    let (d1, d2) = (DuoId::random(), DuoId::random());
    fac.change(w.document, |tx| {
        workshop::set_duos(
            tx,
            &[
                DuoEntry {
                    id: d1,
                    members: vec![pid(0), pid(1)],
                    doc: None,
                    number: None,
                },
                DuoEntry {
                    id: d2,
                    members: vec![pid(2), pid(3)],
                    doc: None,
                    number: None,
                },
            ],
        )?;
        workshop::set_step(tx, Step::Duos)
    })
    .await
    .unwrap();
    fac.wait_for("documents", |c| {
        let v = workshop::view(c.doc(w.document));
        v.table.is_some()
            && v.duos.iter().all(|d| d.doc.is_some())
            && v.roster.iter().all(|r| r.voice.is_some())
    })
    .await
    .unwrap();
    let v = workshop::view(fac.doc(w.document));
    let room = |id: DuoId| v.duos.iter().find(|d| d.id == id).unwrap().doc.unwrap();
    let rooms: [Room<'_>; 2] = [
        (
            d1,
            room(d1),
            0,
            vec![
                (
                    "a",
                    "Elkaar vaker bellen, ook tussendoor",
                    LevelId::Collegial,
                ),
                ("b", "Eigen grenzen kennen en benoemen", LevelId::Individual),
                ("c", "Casusoverleg met de buurtwerker", LevelId::Collegial),
            ],
        ),
        (
            d2,
            room(d2),
            2,
            vec![
                (
                    "d",
                    "Een gedeeld doel voor de hele regio",
                    LevelId::Collective,
                ),
                ("e", "Samen de intake herzien", LevelId::Collective),
                ("f", "Tijd maken voor nazorg", LevelId::Individual),
            ],
        ),
    ];
    for (_, doc, who, insights) in &rooms {
        let mut c = SyncClient::connect(&server.ws(), &people[*who].token)
            .await
            .unwrap();
        assert_eq!(c.open(*doc).await.unwrap(), DocStatus::Ready);
        c.change(*doc, |tx| {
            for (id, text, level) in insights {
                duo::put_insight(
                    tx,
                    &Insight {
                        id: (*id).into(),
                        text: (*text).into(),
                        zone: (*level).into(),
                    },
                )?;
            }
            duo::set_share(tx, Some(insights[0].0))
        })
        .await
        .unwrap();
        c.wait_for("insights", |c| c.repo.is_acknowledged(doc))
            .await
            .unwrap();
    }
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    fac.wait_for("step 3", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    let answers = [
        (
            CardKind::Needed,
            "Tijd om te overleggen",
            LevelId::Collegial,
            2,
        ),
        (
            CardKind::Chance,
            "Een gedeelde agenda",
            LevelId::Collective,
            3,
        ),
        (
            CardKind::Needed,
            "Duidelijke afspraken",
            LevelId::Individual,
            1,
        ),
        (
            CardKind::Chance,
            "Intervisie over organisaties heen",
            LevelId::Collegial,
            2,
        ),
    ];
    for (p, (kind, text, level, dots)) in people.iter().zip(answers) {
        let doc = v.roster.iter().find(|r| r.id.to_string() == p.id).unwrap();
        let doc = doc.voice.unwrap();
        let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
        assert_eq!(c.open(doc).await.unwrap(), DocStatus::Ready);
        c.change(doc, |tx| {
            voice::set_energy(tx, level, dots)?;
            voice::add_card(
                tx,
                &VoiceCard {
                    id: "v".into(),
                    kind,
                    text: text.into(),
                    duo: None,
                },
            )?;
            voice::set_change(
                tx,
                Some(&SmallChange {
                    text: format!("Kleine stap: {text}"),
                    level,
                }),
            )
        })
        .await
        .unwrap();
        c.wait_for("voice", |c| c.repo.is_acknowledged(&doc))
            .await
            .unwrap();
    }
    let table_doc = v.table.unwrap();
    assert_eq!(fac.open(table_doc).await.unwrap(), DocStatus::Ready);
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
        let mut order = 1.0;
        for (duo, _, _, insights) in &rooms {
            for (id, _, level) in insights {
                table::place_card(tx, &format!("{duo}.{id}"), level.as_str(), order, None)?;
                order += 1.0;
            }
        }
        table::place_card(tx, &format!("{}.v", people[0].id), "c-tijd", 1.0, None)
    })
    .await
    .unwrap();
    fac.wait_for("table", |c| c.repo.is_acknowledged(&table_doc))
        .await
        .unwrap();
    Played {
        workshop: w,
        an: people[0].clone(),
        bert: people[1].clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_page_prints_to_a_clean_pdf_and_the_flip_chart_to_png() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let played = play(&server).await;
    let (token, bert) = (played.workshop.facilitator_token.clone(), &played.bert);
    let url = format!("{}/report#{token}", server.http());
    let shots = screenshot_dir();

    // The page: title, flip chart, cards per level, downloads.
    let driver = Driver::start().await;
    let fac = driver.session(1280, 900).await;
    fac.goto(&url).await.unwrap();
    wait_for_text(&fac, Locator::Css("h1"), "Verslag van de werkdag").await;
    wait_for_text(
        &fac,
        Locator::Css(".level-collegial .report-cards"),
        "Casusoverleg met de buurtwerker",
    )
    .await;
    wait_for_text(
        &fac,
        Locator::Css(".report-clusters"),
        "Tijd om te overleggen",
    )
    .await;
    fac.wait()
        .for_element(Locator::Css(".flip-chart img[src^='data:image/svg+xml']"))
        .await
        .unwrap();
    fac.wait()
        .for_element(Locator::Css("a.download[href^='data:text/csv']"))
        .await
        .unwrap();
    screenshot(&fac, "report-page").await;
    let source = fac.source().await.unwrap();
    assert!(
        !source.contains(NOTE),
        "a private note is on the report page"
    );
    assert!(!source.contains("Bert"), "names appear without asking");

    // Sharing with participants from the page.
    let bert_url = format!("{}/api/report?format=md", server.http());
    assert_eq!(get_text(bert_url.clone(), &bert.token).await.0, 403);
    click(
        &fac,
        Locator::XPath("//label[contains(normalize-space(.), 'Delen met deelnemers')]//input"),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while get_text(bert_url.clone(), &bert.token).await.0 != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the report was not shared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fac.close().await.unwrap();

    // An has the app open (her browser keeps a copy of her notes) when the workshop closes: the
    // server purges her reflection and her browser drops its copy.
    let an = driver.session(390, 844).await;
    let base = server.http();
    open_as_participant(&an, &base, &played.workshop.join_code, &played.an.token).await;
    let key = format!("kring.doc.{}", played.an.reflection);
    let kept = |c: &fantoccini::Client| {
        let c = c.clone();
        let key = key.clone();
        async move {
            c.execute(
                "return localStorage.getItem(arguments[0]) !== null",
                vec![serde_json::json!(key)],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap()
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !kept(&an).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser never kept the notes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut steer = SyncClient::connect(&server.ws(), &token).await.unwrap();
    steer.open(played.workshop.document).await.unwrap();
    steer
        .change(played.workshop.document, |tx| {
            workshop::set_step(tx, Step::Closed)
        })
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while kept(&an).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser still keeps the purged notes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    an.close().await.unwrap();

    // Print to PDF, then look at the pages.
    let pdf = shots.join("report.pdf");
    let _ = std::fs::remove_file(&pdf);
    chromium(
        &url,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            "--virtual-time-budget=15000".into(),
            "--run-all-compositor-stages-before-draw".into(),
        ],
    )
    .await;
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    // Text in reading order, with line breaks (a card's text wraps) as spaces.
    let text = tool("pdftotext", &[pdf.to_str().unwrap(), "-"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "Verslag van de werkdag",
        "Gekozen denkvragen",
        "Collegiaal",
        "Casusoverleg met de buurtwerker",
        "Tijd en ruimte",
        // The duo by its number (the plan's order, by id: either of the two) and its organisations.
        "Een gedeeld doel voor de hele regio — Duo ",
        "Kind en Gezin & CAW",
        "Stap 1 in cijfers",
        "1 notitie in Collegiaal (1 groen, 0 rood)",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` not in the PDF:\n{text}"
        );
    }
    for absent in [NOTE, "Afdrukken", "Downloaden", "verwijderen"] {
        assert!(!text.contains(absent), "`{absent}` is in the printed PDF");
    }
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.contains("A4"), "not A4: {info}");
    let prefix = shots.join("report-pdf");
    tool(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let pages = std::fs::read_dir(&shots)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("report-pdf-") && n.ends_with(".png")
        })
        .count();
    assert!(
        pages >= 2,
        "expected the flip chart and the report on separate pages, got {pages}"
    );

    // The flip chart as PNG: Chromium renders the SVG download.
    let (status, _, svg) =
        get_text(format!("{}/api/report?format=svg", server.http()), &token).await;
    assert_eq!(status, 200);
    let height: u32 = svg
        .split("height=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|h| h.parse().ok())
        .expect("svg height");
    let svg_path = shots.join("flip-chart.svg");
    std::fs::write(&svg_path, &svg).unwrap();
    let png = shots.join("flip-chart.png");
    let _ = std::fs::remove_file(&png);
    chromium(
        &format!("file://{}", svg_path.display()),
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size=1200,{height}"),
            "--hide-scrollbars".into(),
        ],
    )
    .await;
    let png_bytes = std::fs::read(&png).expect("a PNG of the flip chart");
    assert!(png_bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(Path::new(&png).exists());
    server.stop().await;
}
