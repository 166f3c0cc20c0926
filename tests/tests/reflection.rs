//! Step 1 in real headless Chromium: two participants write notes in all three rings, mark them,
//! move them; the console shows their counts live; neither sees the other's notes; one browser
//! loses its network, keeps writing, reloads, comes back — and the server has every note once.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use kring_e2e::{
    CuttableProxy, Driver, button, click, fill_join_form, frontend_dir, screenshot, wait_for_text,
};
use kring_shared::schema::reflection;
use kring_testkit::{SyncClient, TestServer, create_workshop};

async fn join(c: &Client, base: &str, code: &str, name: &str, org: &str) {
    c.goto(&format!("{base}/join/{code}")).await.unwrap();
    fill_join_form(c, name, org).await;
}

/// Adds a note with the keyboard path: the ring's "new note" button, then typing.
async fn add_note(c: &Client, ring: &str, text: &str) {
    click(
        c,
        Locator::XPath(&button(&format!("Nieuwe notitie in {ring}"))),
    )
    .await;
    // The new note's text field has the focus.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let active = c.active_element().await.unwrap();
        if active.prop("tagName").await.unwrap().as_deref() == Some("TEXTAREA") {
            active.send_keys(text).await.unwrap();
            break;
        }
        assert!(Instant::now() < deadline, "new note did not get the focus");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for_text(c, Locator::Css(".board"), "").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !chip_texts(c).await.iter().any(|t| t == text) {
        assert!(
            Instant::now() < deadline,
            "note {text:?} did not appear on the board"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn chip_texts(c: &Client) -> Vec<String> {
    let mut out = vec![];
    for chip in c
        .find_all(Locator::Css(".note-chip .chip-text"))
        .await
        .unwrap()
    {
        out.push(chip.text().await.unwrap_or_default());
    }
    out
}

/// The editor of the note with this text.
fn editor(text: &str) -> String {
    format!(
        "//article[contains(@class,'note-editor')][.//textarea[. = '{text}' or @value = '{text}']]"
    )
}

async fn editor_of(c: &Client, text: &str) -> fantoccini::elements::Element {
    // Textarea values are properties, not text: find by comparing each one.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for art in c
            .find_all(Locator::Css("article.note-editor"))
            .await
            .unwrap()
        {
            let ta = art.find(Locator::Css("textarea")).await.unwrap();
            if ta.prop("value").await.unwrap().as_deref() == Some(text) {
                return art;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no editor for {text:?} ({})",
            editor(text)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn server_notes(server: &TestServer, token: &str) -> Vec<reflection::Note> {
    let me = kring_testkit::me(&server.http(), token).await.unwrap();
    let doc =
        kring_shared::ids::DocumentId::from_url(me["documents"]["reflection"].as_str().unwrap())
            .unwrap();
    let mut c = SyncClient::connect(&server.ws(), token).await.unwrap();
    c.open(doc).await.unwrap();
    reflection::notes(c.doc(doc))
}

#[tokio::test(flavor = "multi_thread")]
async fn participants_reflect_privately_and_offline_edits_arrive_once() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let proxy = CuttableProxy::start(server.addr).await;
    let w = create_workshop(&base, "Reflectie").await.unwrap();
    let driver = Driver::start().await;

    let fac = driver.session(1280, 1000).await;
    fac.goto(&format!("{base}/facilitate#{}", w.facilitator_token))
        .await
        .unwrap();
    wait_for_text(&fac, Locator::Css("h1"), "Reflectie").await;

    // A laptop screen: the circles must stay in view beside the note lists.
    let a = driver.session(1280, 860).await;
    let b = driver.session(390, 844).await;
    join(&a, &base, &w.join_code, "An", "OCMW Gent").await;
    join(&b, &proxy.url(), &w.join_code, "Bert", "CAW").await;

    click(
        &fac,
        Locator::XPath(&button("Stap 1: Individuele reflectie")),
    )
    .await;
    wait_for_text(
        &a,
        Locator::Css(".ring-list.collegial"),
        "Op welke manier draag ik bij",
    )
    .await;
    wait_for_text(&b, Locator::Css(".board"), "").await;

    // An writes in all three rings (keyboard path), marks green and red, moves one note.
    add_note(&a, "Individueel", "ik plan mijn week").await;
    add_note(&a, "Collegiaal", "ik deel kennis").await;
    add_note(&a, "Collectief", "mee-eigenaar van het doel").await;
    let green = editor_of(&a, "ik plan mijn week").await;
    green
        .find(Locator::XPath(".//label[contains(., 'groen')]/input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let red = editor_of(&a, "ik deel kennis").await;
    red.find(Locator::XPath(".//label[contains(., 'rood')]/input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Move "ik deel kennis" to the collective ring with its ring selector.
    red.find(Locator::Css("select"))
        .await
        .unwrap()
        .select_by_value("collective")
        .await
        .unwrap();
    wait_for_text(&a, Locator::Css(".ring-list.collective"), "").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let collective = a
            .find(Locator::Css(".ring-list.collective .count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if collective.trim() == "2" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "note did not move to the collective ring"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The board shows the marks with colour and a sign, and screen readers hear them.
    let chip = a.find(Locator::Css(".note-chip.red")).await.unwrap();
    assert!(
        chip.attr("aria-label")
            .await
            .unwrap()
            .unwrap()
            .contains("rood: spanning")
    );
    // A click in the collegial ring adds a note there.
    a.execute(
        "const svg = document.querySelector('.board svg'); const r = svg.getBoundingClientRect();
         svg.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: r.left + r.width * 0.5, clientY: r.top + r.height * 0.24}))",
        vec![],
    )
    .await
    .unwrap();
    a.active_element()
        .await
        .unwrap()
        .send_keys("feedback vragen")
        .await
        .unwrap();
    let ring = editor_of(&a, "feedback vragen")
        .await
        .find(Locator::Css("select"))
        .await
        .unwrap();
    assert_eq!(
        ring.prop("value").await.unwrap().as_deref(),
        Some("collegial")
    );

    // Drag: "ik plan mijn week" from the individual ring into the collegial ring.
    a.execute(
        "const chip = [...document.querySelectorAll('.note-chip')].find(c => c.textContent.includes('ik plan mijn week'));
         const board = document.querySelector('.board'); const r = board.getBoundingClientRect();
         const at = (f) => ({bubbles: true, pointerId: 1, clientX: r.left + r.width * 0.5, clientY: r.top + r.height * f});
         chip.dispatchEvent(new PointerEvent('pointerdown', at(0.5)));
         for (const f of [0.45, 0.4, 0.35, 0.27]) board.dispatchEvent(new PointerEvent('pointermove', at(f)));
         board.dispatchEvent(new PointerEvent('pointerup', at(0.27)));",
        vec![],
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ring = editor_of(&a, "ik plan mijn week")
            .await
            .find(Locator::Css("select"))
            .await
            .unwrap();
        if ring.prop("value").await.unwrap().as_deref() == Some("collegial") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "drag did not move the note to the collegial ring"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Bert writes too, on his phone.
    add_note(&b, "Collectief", "samen met school").await;

    // The console shows counts live — never the notes.
    let an_progress = "//li[contains(., 'An')]//span[@class='progress']";
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let label = match fac.find(Locator::XPath(an_progress)).await {
            Ok(el) => el.attr("aria-label").await.unwrap().unwrap_or_default(),
            Err(_) => String::new(),
        };
        if label.contains("Individueel 0, Collegiaal 2, Collectief 2")
            && label.contains("groen: ideaal 1, rood: spanning 1")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "console progress for An: {label:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let console_text = fac
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !console_text.contains("ik plan mijn week"),
        "the console shows a note"
    );
    // Neither participant sees the other's notes.
    let b_text = b
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!b_text.contains("ik plan mijn week"));
    assert!(
        !chip_texts(&a)
            .await
            .contains(&"samen met school".to_owned())
    );
    a.execute("window.scrollTo(0, 0); return true;", vec![])
        .await
        .unwrap();
    let rect = a
        .execute(
            "const r = document.querySelector('.reflection .board').getBoundingClientRect(); \
             return [r.left, r.top, r.bottom, window.innerHeight, \
                     document.querySelector('.note-lists').getBoundingClientRect().left];",
            vec![],
        )
        .await
        .unwrap();
    let v: Vec<f64> = serde_json::from_value(rect).unwrap();
    println!(
        "laptop board: left {} top {} bottom {} of {} (lists at x {})",
        v[0], v[1], v[2], v[3], v[4]
    );
    assert!(
        v[1] < v[3] * 0.5 && v[2] <= v[3] + 1.0,
        "on a 1280×860 laptop the circles board starts in the upper half and ends in view: {v:?}"
    );
    assert!(
        v[4] > v[0],
        "the note lists lie beside the board, to its right: {v:?}"
    );
    screenshot(&a, "reflection-laptop").await;
    screenshot(&b, "reflection-phone").await;
    screenshot(&fac, "reflection-console-progress").await;

    // Delete with undo.
    editor_of(&a, "feedback vragen")
        .await
        .find(Locator::XPath(&button("Verwijderen")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&a, Locator::XPath(&button("Ongedaan maken"))).await;
    editor_of(&a, "feedback vragen").await;

    // Bert's network is cut: he keeps writing, reloads, and his notes are still there.
    wait_for_service_worker(&b).await;
    proxy.cut();
    wait_for_text(
        &b,
        Locator::Css(".banner"),
        "Offline — je notities worden bewaard",
    )
    .await;
    add_note(&b, "Individueel", "offline geschreven").await;
    add_note(&b, "Collegiaal", "nog een offline").await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // the browser saves after 300 ms
    b.refresh().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !chip_texts(&b)
        .await
        .contains(&"offline geschreven".to_owned())
    {
        assert!(Instant::now() < deadline, "offline notes lost on reload");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&b, "reflection-phone-offline").await;
    proxy.restore();
    wait_until_gone(&b, ".banner").await;

    // The server has every note of Bert's exactly once.
    let bert_token = b
        .execute(
            &format!(
                "return localStorage.getItem('kring.participant.{}')",
                w.join_code
            ),
            vec![],
        )
        .await
        .unwrap();
    let bert_token = bert_token.as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let notes = server_notes(&server, &bert_token).await;
        let mut texts: Vec<String> = notes.iter().map(|n| n.text.clone()).collect();
        texts.sort();
        if texts == ["nog een offline", "offline geschreven", "samen met school"] {
            break;
        }
        assert!(Instant::now() < deadline, "server has {texts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for s in [fac, a, b] {
        s.close().await.unwrap();
    }
    server.stop().await;
}

async fn wait_for_service_worker(c: &Client) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ready = c
            .execute(
                "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)",
                vec![],
            )
            .await
            .unwrap();
        if ready.as_bool() == Some(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "service worker never took control"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_until_gone(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.find(Locator::Css(css)).await.is_ok() {
        assert!(Instant::now() < deadline, "{css} still shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
