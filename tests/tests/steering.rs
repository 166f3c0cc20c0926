//! Steering a workshop in real headless Chromium with five sessions at once: the facilitator sets
//! up the work form and starts; participants join by code and by link; the projector screen
//! follows; timer, steps and messages reach every screen; a reload keeps a participant's
//! identity; the English interface reads in English.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use kring_e2e::{
    Driver, button, click, field, fill_join_form, frontend_dir, join_with_code, open_projector,
    screenshot, wait_for_text,
};
use kring_testkit::TestServer;

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Seconds left as shown by a page's timer (`m:ss`).
async fn seconds_shown(c: &Client) -> i64 {
    let t = text_of(c, "[role=timer]").await;
    let (m, s) = t
        .trim()
        .split_once(':')
        .unwrap_or_else(|| panic!("timer shows {t:?}"));
    m.parse::<i64>().unwrap() * 60 + s.parse::<i64>().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_facilitator_steers_and_every_screen_follows() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let driver = Driver::start().await;
    let fac = driver.session(1280, 1000).await;

    // Set-up: create, then pick questions — including one of the facilitator's own.
    fac.goto(&base).await.unwrap();
    fac.wait()
        .for_element(Locator::XPath(&field("Titel")))
        .await
        .unwrap()
        .send_keys("Gedeelde verantwoordelijkheid")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Workshop aanmaken"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Gedeelde verantwoordelijkheid").await;
    let code = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code = code.trim().to_owned();
    assert_eq!(code.len(), 6);
    assert!(
        fac.find(Locator::Css(".qr svg")).await.is_ok(),
        "QR code rendered as SVG"
    );
    // Keyboard: uncheck the second individual question with the space bar.
    let second = fac
        .find(Locator::XPath(
            "//label[contains(., 'Welke verwachtingen')]/input",
        ))
        .await
        .unwrap();
    second.send_keys(" ").await.unwrap();
    fac.find(Locator::XPath(
        "//label[contains(., 'Waar ben ik in mijn werk')]/input",
    ))
    .await
    .unwrap();
    let own = fac
        .wait()
        .for_element(Locator::XPath(&field("Eigen vraag (Individueel)")))
        .await
        .unwrap();
    own.send_keys("Waar haal ik energie uit?").await.unwrap();
    own.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_for_text(
        &fac,
        Locator::Css("fieldset.individual"),
        "Waar haal ik energie uit?",
    )
    .await;

    // A projector screen, from a link the console makes.
    let screen = open_projector(&driver, &fac, &code).await;
    assert!(screen.find(Locator::Css(".qr svg")).await.is_ok());

    // Two participants join with the code, one with the link.
    let a = driver.session(390, 844).await;
    let b = driver.session(390, 844).await;
    let c = driver.session(1024, 768).await;
    join_with_code(&a, &base, &code, "An Peeters", "OCMW Gent").await;
    join_with_code(&b, &base, &code.to_lowercase(), "Bert Claes", "CAW").await;
    c.goto(&format!("{base}/join/{code}")).await.unwrap();
    // The organisations already present are offered as suggestions.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let options = c
            .find_all(Locator::Css("datalist#organisations option"))
            .await
            .unwrap();
        if options.len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} organisations suggested",
            options.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fill_join_form(&c, "Chris Maes", "OCMW Gent").await;
    wait_for_text(&fac, Locator::Css(".roster .count"), "3").await;
    wait_for_text(&screen, Locator::Css(".screen"), "3 deelnemers").await;
    screenshot(&screen, "steering-screen-lobby").await;
    screenshot(&fac, "steering-console-lobby").await;

    // Step 1, with the keyboard: every participant and the screen follow.
    let step1 = fac
        .wait()
        .for_element(Locator::XPath(&button("Stap 1: Individuele reflectie")))
        .await
        .unwrap();
    step1.send_keys(&Key::Enter.to_string()).await.unwrap();
    for p in [&a, &b, &c] {
        wait_for_text(
            p,
            Locator::Css(".step-card h2"),
            "Stap 1: Individuele reflectie",
        )
        .await;
        wait_for_text(
            p,
            Locator::Css(".ring-list.individual .questions"),
            "Waar haal ik energie uit?",
        )
        .await;
    }
    let individual = text_of(&a, ".ring-list.individual .questions").await;
    assert!(
        !individual.contains("Welke verwachtingen"),
        "unchecked question still shown: {individual}"
    );
    wait_for_text(&screen, Locator::Css(".screen-step"), "Stap 1").await;

    // The timer: started on the console, the same remaining time everywhere.
    click(&fac, Locator::XPath(&button("Start"))).await;
    wait_for_text(&fac, Locator::XPath(&button("Pauze")), "Pauze").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Reading three browsers takes a moment: put each reading back to the time of the first
    // (a countdown read `d` seconds later shows `d` less), then they must agree within 1 s.
    let first = Instant::now();
    let mut shown = vec![];
    for c in [&fac, &a, &screen] {
        let before = first.elapsed().as_secs_f64();
        let s = seconds_shown(c).await;
        let after = first.elapsed().as_secs_f64();
        shown.push(s as f64 + (before + after) / 2.0);
    }
    let min = shown.iter().copied().fold(f64::MAX, f64::min);
    let max = shown.iter().copied().fold(f64::MIN, f64::max);
    assert!(max - min <= 1.5, "timers disagree: {shown:?}");
    assert!(
        (540.0..=600.5).contains(&min),
        "timer did not start from 10:00: {shown:?}"
    );
    click(&fac, Locator::XPath(&button("+5 min"))).await;
    wait_for_text(&b, Locator::Css("[role=timer]"), "14:").await;
    click(&fac, Locator::XPath(&button("Pauze"))).await;
    wait_for_text(&fac, Locator::XPath(&button("Hervat")), "Hervat").await;

    // A message to everyone.
    fac.wait()
        .for_element(Locator::XPath(&field("Bericht aan iedereen")))
        .await
        .unwrap()
        .send_keys("Nog twee minuten")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Versturen"))).await;
    for p in [&a, &b, &c, &screen] {
        wait_for_text(p, Locator::Css(".broadcast"), "Nog twee minuten").await;
    }
    screenshot(&a, "steering-participant-step1-phone").await;
    screenshot(&screen, "steering-screen-step1").await;
    screenshot(&fac, "steering-console-step1").await;

    // A reload keeps the participant's identity; the roster has no duplicate.
    a.refresh().await.unwrap();
    wait_for_text(&a, Locator::Css(".step-card h2"), "Stap 1").await;
    wait_for_text(&a, Locator::Css(".roster li"), "An Peeters").await;
    assert_eq!(text_of(&fac, ".roster .count").await.trim(), "3");

    // Going back is possible, and everyone follows back.
    click(&fac, Locator::XPath(&button("Onthaal"))).await;
    wait_for_text(&b, Locator::Css(".step-card h2"), "Onthaal").await;
    wait_for_text(&screen, Locator::Css(".big-code"), &code).await;

    for s in [fac, screen, a, b, c] {
        s.close().await.unwrap();
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_english_workshop_speaks_english() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let driver = Driver::start().await;
    let fac = driver.session(1280, 900).await;
    fac.goto(&base).await.unwrap();
    click(&fac, Locator::XPath(&button("English"))).await;
    fac.wait()
        .for_element(Locator::XPath(&field("Title")))
        .await
        .unwrap()
        .send_keys("Shared responsibility")
        .await
        .unwrap();
    let language = fac
        .wait()
        .for_element(Locator::XPath(&field("Language")))
        .await
        .unwrap();
    language.select_by_value("en").await.unwrap();
    click(&fac, Locator::XPath(&button("Create workshop"))).await;
    wait_for_text(&fac, Locator::Css(".console"), "Set-up").await;
    wait_for_text(
        &fac,
        Locator::Css("fieldset.collegial"),
        "How do I contribute to the work and success",
    )
    .await;
    let code = wait_for_text(&fac, Locator::Css(".big-code"), "").await;

    let p = driver.session(390, 844).await;
    p.goto(&format!("{base}/join/{}", code.trim()))
        .await
        .unwrap();
    p.wait()
        .for_element(Locator::XPath(&field("Name")))
        .await
        .unwrap()
        .send_keys("Dana")
        .await
        .unwrap();
    p.wait()
        .for_element(Locator::XPath(&field("Organisation")))
        .await
        .unwrap()
        .send_keys("City of Ghent")
        .await
        .unwrap();
    click(&p, Locator::XPath(&button("Join"))).await;
    wait_for_text(&p, Locator::Css("main"), "Welcome, Dana").await;
    click(
        &fac,
        Locator::XPath(&button("Step 1: Individual reflection")),
    )
    .await;
    wait_for_text(
        &p,
        Locator::Css(".step-card"),
        "For each level, describe what you do today",
    )
    .await;
    screenshot(&p, "steering-participant-english").await;
    p.close().await.unwrap();
    fac.close().await.unwrap();
    server.stop().await;
}
