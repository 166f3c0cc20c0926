//! Measures, in real headless Chromium, the projector view of a table with 304 insight cards while
//! a facilitator (a protocol client) drags a card across it at 30 updates per second: frame
//! intervals on the screen during the drag, and how long the drop takes to show. Prints the
//! numbers (for the closing notes and the README); asserts only that the drag was seen and the
//! drop took effect, never a time — machines here are noisy.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use kring_e2e::{Driver, frontend_dir, print_stats, screenshot};
use kring_shared::drag::Drag;
use kring_shared::ids::DuoId;
use kring_shared::method::LevelId;
use kring_shared::plenary::insight_key;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::table;
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::{Participant, SyncClient, TestServer, create_workshop, join};

const DUOS: usize = 8;
const PER_DUO: usize = 38;

/// Records frame intervals for `ms` milliseconds, and whether a dragged card was seen in flight.
const FRAMES: &str = r#"
const [ms, done] = [arguments[0], arguments[1]];
const frames = [];
let seen = 0;
const start = performance.now();
let last = start;
function step(now) {
  frames.push(now - last); last = now;
  if (document.querySelector('.tcard.ghost.remote')) seen++;
  if (now - start < ms) { requestAnimationFrame(step); return; }
  done({frames: frames.slice(1), seen});
}
requestAnimationFrame(step);
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_table_of_300_cards_follows_a_drag_at_60_fps() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let w = create_workshop(&base, "Grote tafel").await.unwrap();
    let mut people: Vec<Participant> = vec![];
    for i in 0..DUOS * 2 {
        people.push(
            join(
                &base,
                &w.join_code,
                &format!("P{i}"),
                &format!("Org {}", i % 5),
            )
            .await
            .unwrap(),
        );
    }
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let duos: Vec<DuoEntry> = people
        .chunks(2)
        .map(|pair| DuoEntry {
            id: DuoId::random(),
            members: pair.iter().map(|p| p.id.parse().unwrap()).collect(),
            doc: None,
            number: None,
        })
        .collect();
    let v = fac.form_duos(w.document, &duos).await.unwrap();
    let table_doc = v.table.unwrap();
    let mut keys = vec![];
    for d in &v.duos {
        let room = d.doc.unwrap();
        let member = people
            .iter()
            .find(|p| d.members[0].to_string() == p.id)
            .unwrap();
        let mut c = SyncClient::connect(&server.ws(), &member.token)
            .await
            .unwrap();
        c.open(room).await.unwrap();
        c.change(room, |tx| {
            for i in 0..PER_DUO {
                duo::put_insight(
                    tx,
                    &Insight {
                        id: format!("i{i:02}"),
                        text: format!("Inzicht {i} over samen verantwoordelijkheid nemen"),
                        zone: LevelId::ALL[i % 3].into(),
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
        c.wait_for("ack", |c| c.repo.is_acknowledged(&room))
            .await
            .unwrap();
        keys.extend((0..PER_DUO).map(|i| (insight_key(d.id, &format!("i{i:02}")), i % 3)));
    }
    // Half the cards already lie in their level's cluster.
    fac.open(table_doc).await.unwrap();
    fac.change(table_doc, |tx| {
        for (n, (key, level)) in keys.iter().enumerate().filter(|(n, _)| n % 2 == 0) {
            table::place_card(tx, key, LevelId::ALL[*level].as_str(), n as f64, None)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();

    let driver = Driver::start().await;
    let screen = driver.session(1600, 1000).await;
    let t0 = Instant::now();
    screen
        .goto(&format!("{base}/screen#{}", w.screen_token))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = screen.find_all(Locator::Css(".tcard")).await.unwrap().len();
        if n >= DUOS * PER_DUO {
            break;
        }
        assert!(Instant::now() < deadline, "only {n} cards appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{}-card table shown {:.0?} after navigation (incl. WebDriver polling)",
        DUOS * PER_DUO,
        t0.elapsed()
    );

    // The facilitator drags an unsorted card around the table at 30 updates/s for 4 s, then
    // drops it in the collective cluster.
    let (card, _) = keys[1].clone();
    let dragger = {
        let card = card.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let mut i = 0u32;
            while start.elapsed() < Duration::from_secs(4) {
                let t = f64::from(i) / 120.0;
                let d = Drag {
                    card: card.clone(),
                    x: 0.5 + 0.3 * (t * std::f64::consts::TAU).cos(),
                    y: 0.5 + 0.3 * (t * std::f64::consts::TAU).sin(),
                    by: "Fien".into(),
                    hand: "perf".into(),
                    done: false,
                };
                let m = fac.repo.ephemeral(table_doc, d.encode()).unwrap();
                fac.send(&m).await.unwrap();
                i += 1;
                tokio::time::sleep(Duration::from_millis(33)).await;
            }
            let done = Drag {
                card: card.clone(),
                x: 0.8,
                y: 0.2,
                by: "Fien".into(),
                hand: "perf".into(),
                done: true,
            };
            let m = fac.repo.ephemeral(table_doc, done.encode()).unwrap();
            fac.send(&m).await.unwrap();
            let dropped = Instant::now();
            fac.change(table_doc, |tx| {
                table::place_card(tx, &card, "collective", 10_000.0, None)
            })
            .await
            .unwrap();
            (fac, dropped, i)
        })
    };
    let result = screen
        .execute_async(FRAMES, vec![serde_json::json!(3800)])
        .await
        .unwrap();
    let frames: Vec<f64> = result["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let seen = result["seen"].as_u64().unwrap_or(0);
    assert!(seen > 0, "the screen never showed the card in flight");
    screenshot(&screen, "plenary-300-cards").await;
    let (_fac, dropped, updates) = dragger.await.unwrap();
    let in_cluster = format!(
        "const e = document.querySelector('[data-cluster=\"collective\"] [data-card=\"{card}\"]'); return !!e"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while screen.execute(&in_cluster, vec![]).await.unwrap() != serde_json::json!(true) {
        assert!(Instant::now() < deadline, "the drop never showed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "drag: {updates} position updates sent at 30/s; screen showed the card in flight in {seen} of {} frames",
        frames.len() + 1
    );
    print_stats("screen frame interval during the drag", frames);
    println!(
        "drop → shown in the cluster on the screen: {:.0?} (incl. WebDriver polling)",
        dropped.elapsed()
    );
}
