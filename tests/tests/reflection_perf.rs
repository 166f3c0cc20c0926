//! Measures, in real headless Chromium, how a sheet with 100 notes behaves: frame times while a
//! note is dragged, and the time from a keystroke to the note showing it. Prints the numbers (for
//! the closing notes and the README); asserts only that the drag and the typing took effect,
//! never a time — machines here are noisy.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use kring_e2e::{Driver, frontend_dir, print_stats};
use kring_shared::method::LevelId;
use kring_shared::schema::reflection::{Mark, Note, put_note};
use kring_shared::schema::workshop;
use kring_shared::step::Step;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};

const DRAG_AND_TYPE: &str = r#"
const done = arguments[0];
const chips = [...document.querySelectorAll('.note-chip')];
const chip = chips[0];
const board = document.querySelector('.board');
const r = board.getBoundingClientRect();
const at = (fx, fy) => ({bubbles: true, pointerId: 1, clientX: r.left + r.width * fx, clientY: r.top + r.height * fy});
const frames = [];
let last = performance.now();
chip.dispatchEvent(new PointerEvent('pointerdown', at(0.5, 0.5)));
let i = 0;
function step(now) {
  frames.push(now - last); last = now;
  const t = i / 120;
  board.dispatchEvent(new PointerEvent('pointermove', at(0.5 + 0.3 * Math.cos(t * 6.28), 0.5 + 0.3 * Math.sin(t * 6.28))));
  if (++i < 120) { requestAnimationFrame(step); return; }
  board.dispatchEvent(new PointerEvent('pointerup', at(0.5, 0.08)));
  typing();
}
async function typing() {
  const ta = document.querySelector('textarea');
  const lat = [];
  for (let k = 0; k < 40; k++) {
    const t0 = performance.now();
    ta.value = ta.value + 'x';
    ta.dispatchEvent(new Event('input', {bubbles: true}));
    await new Promise(res => requestAnimationFrame(() => res()));
    lat.push(performance.now() - t0);
  }
  done({frames: frames.slice(1), typing: lat});
}
requestAnimationFrame(step);
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_sheet_with_100_notes_drags_and_types() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let w = create_workshop(&base, "Perf").await.unwrap();
    let p = join(&base, &w.join_code, "Veel notities", "Org")
        .await
        .unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    let mut part = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    part.open(p.reflection).await.unwrap();
    part.change(p.reflection, |tx| {
        for i in 0..100 {
            let (ring, r) = [
                (LevelId::Individual, 90.0),
                (LevelId::Collegial, 260.0),
                (LevelId::Collective, 415.0),
            ][i % 3];
            let a = i as f64 * 2.4;
            put_note(
                tx,
                &Note {
                    id: format!("n{i:03}"),
                    ring,
                    text: format!("notitie {i} over verantwoordelijkheid"),
                    mark: Mark::ALL[i % 3],
                    x: 500.0 + r * a.cos(),
                    y: 500.0 + r * a.sin(),
                    question: None,
                },
            )?;
        }
        Ok(())
    })
    .await
    .unwrap();
    part.wait_for("ack", |c| c.repo.is_acknowledged(&p.reflection))
        .await
        .unwrap();

    let driver = Driver::start().await;
    let c = driver.session(1280, 900).await;
    c.goto(&base).await.unwrap();
    c.execute(
        &format!(
            "localStorage.setItem('kring.participant.{}', '{}')",
            w.join_code, p.token
        ),
        vec![],
    )
    .await
    .unwrap();
    let t0 = Instant::now();
    c.goto(&format!("{base}/join/{}", w.join_code))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.find_all(Locator::Css(".note-chip")).await.unwrap().len() < 100 {
        assert!(Instant::now() < deadline, "100 notes did not appear");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "100-note sheet shown {:.0?} after navigation (incl. WebDriver polling)",
        t0.elapsed()
    );
    let result = c.execute_async(DRAG_AND_TYPE, vec![]).await.unwrap();
    let nums = |k: &str| -> Vec<f64> {
        result[k]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_f64())
            .collect()
    };
    print_stats("frame interval while dragging (100 notes)", nums("frames"));
    print_stats("keystroke → next frame (100 notes)", nums("typing"));
    // The drag ended in the collective ring, and the typing reached the note.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ring: Option<String> = c
            .execute(
                "const a = [...document.querySelectorAll('article.note-editor')].find(a => a.querySelector('textarea').value.startsWith('notitie 0 '));
                 return a && a.querySelector('select').value;",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .map(str::to_owned);
        if ring.as_deref() == Some("collective") {
            break;
        }
        assert!(Instant::now() < deadline, "dragged note is in {ring:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.close().await.unwrap();
    server.stop().await;
}
