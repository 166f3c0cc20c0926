//! The same work form in English, end to end: the home page switched to English, work form 004
//! created as an English workshop, three participants who join, rate, see the group profile and
//! write and dot an action, the projector following, and the report — every text a person reads
//! on the way is the English one (the UI's translation and the seed's English texts), found by
//! its English accessible name. Screenshots land in `target/screenshots/english-*.png`.

use fantoccini::{Client, Locator};
use kring_e2e::{
    Driver, button, click, field, frontend_dir, inner_text, rate_blocks, screenshot, wait_for_text,
};
use kring_testkit::TestServer;

/// Joins workshop `code` through the English join page.
async fn join(c: &Client, base: &str, code: &str, name: &str, org: &str) {
    c.goto(&format!("{base}/join/{code}")).await.unwrap();
    for (label, text) in [("Name", name), ("Organisation", org)] {
        c.wait()
            .for_element(Locator::XPath(&field(label)))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    click(c, Locator::XPath(&button("Join"))).await;
    wait_for_text(c, Locator::Css("main"), &format!("Welcome, {name}")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_english_workshop_is_english_on_every_screen() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let driver = Driver::start().await;
    let fac = driver.session(1280, 1000).await;

    // The home page in English: the gallery shows the seeds' English names and steps.
    fac.goto(&base).await.unwrap();
    click(&fac, Locator::XPath(&button("English"))).await;
    let gallery = wait_for_text(
        &fac,
        Locator::Css(".gallery"),
        "Building blocks of result-oriented collaboration",
    )
    .await;
    assert!(
        gallery.contains("Step 1: Self-test on the building blocks"),
        "{gallery}"
    );
    assert!(
        gallery.contains("Three levels of responsibility"),
        "{gallery}"
    );
    click(
        &fac,
        Locator::XPath(&button(
            "Choose: Building blocks of result-oriented collaboration",
        )),
    )
    .await;
    fac.find(Locator::XPath(&field("Title")))
        .await
        .unwrap()
        .send_keys("Self-test of our collaboration")
        .await
        .unwrap();
    fac.find(Locator::XPath(&field("Language")))
        .await
        .unwrap()
        .select_by_label("English")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Create workshop"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Self-test of our collaboration").await;
    let plan = wait_for_text(&fac, Locator::Css(".plan"), "Least answers").await;
    assert!(plan.contains("Step 2: The group profile"), "{plan}");
    let code = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code = code.trim().to_owned();
    screenshot(&fac, "english-1-console").await;

    // The projector, from the console's English screen link.
    click(
        &fac,
        Locator::XPath("//button[contains(@aria-label, 'Screen link')]"),
    )
    .await;
    let screen_url = wait_for_text(&fac, Locator::Css(".secret-link"), "/screen#").await;
    let screen = driver.session(1280, 720).await;
    screen.goto(screen_url.trim()).await.unwrap();
    wait_for_text(&screen, Locator::Css(".big-code"), &code).await;

    // Three participants, one on a phone.
    let people = [
        (
            driver.session(390, 844).await,
            "Ann Peters",
            "Social services",
        ),
        (driver.session(1024, 900).await, "Bert Clarke", "Youth care"),
        (driver.session(1024, 900).await, "Chris Walters", "School"),
    ];
    for (c, name, org) in &people {
        join(c, &base, &code, name, org).await;
    }

    // Step 1: the sheet speaks English, with the seed's English explanations.
    click(
        &fac,
        Locator::XPath(&button("Step 1: Self-test on the building blocks")),
    )
    .await;
    let phone = &people[0].0;
    wait_for_text(phone, Locator::Css(".rating-sheet"), "Knowing").await;
    let sheet = inner_text(phone, ".rating-sheet").await;
    for text in [
        "Knowing what the shared goal is",
        "Realising shared goals",
        "Context and preconditions",
        "Only you see your ratings",
    ] {
        assert!(sheet.contains(text), "{text:?} missing from {sheet}");
    }
    screenshot(phone, "english-2-phone-rating").await;
    for ((c, _, _), scores) in
        people
            .iter()
            .zip([[4, 3, 4, 2, 3, 2], [5, 4, 4, 1, 4, 3], [3, 2, 4, 2, 2, 1]])
    {
        rate_blocks(c, scores).await;
    }
    wait_for_text(
        &fac,
        Locator::Css(".rated"),
        "3 / 3 participants have rated",
    )
    .await;

    // Step 2: three answers reach k = 3, so the profile shows, weakest block first.
    click(&fac, Locator::XPath(&button("Step 2: The group profile"))).await;
    wait_for_text(&screen, Locator::Css(".profile .answered"), "3 answers").await;
    wait_for_text(phone, Locator::Css(".profile .answered"), "3 answers").await;
    let profile = inner_text(&screen, ".profile").await;
    assert!(profile.contains("Trusting"), "{profile}");
    screenshot(&screen, "english-3-screen-profile").await;

    // Step 3: an action on the weakest block, a dot on it.
    click(
        &fac,
        Locator::XPath(&button("Step 3: Actions per building block")),
    )
    .await;
    let input = phone
        .wait()
        .for_element(Locator::XPath("//input[@aria-label='Action for Trusting']"))
        .await
        .unwrap();
    input.send_keys("Share our calendars").await.unwrap();
    click(
        phone,
        Locator::XPath("//button[@aria-label='Add action: Trusting']"),
    )
    .await;
    let bert = &people[1].0;
    wait_for_text(bert, Locator::Css(".actions"), "Share our calendars").await;
    click(
        bert,
        Locator::XPath("//button[@aria-label='Dot on: Share our calendars']"),
    )
    .await;
    wait_for_text(
        &screen,
        Locator::Css(".action-block.trusting li[data-dots='1']"),
        "Share our calendars",
    )
    .await;
    let actions = inner_text(&screen, ".actions").await;
    assert!(actions.contains("How do we strengthen this?"), "{actions}");
    screenshot(&screen, "english-4-screen-actions").await;
    screenshot(phone, "english-5-phone-actions").await;

    // Closed, and the report in English.
    click(&fac, Locator::XPath(&button("Closed"))).await;
    let console_url = fac.current_url().await.unwrap();
    let token = console_url.fragment().unwrap_or_default().to_owned();
    fac.goto(&format!("{base}/report#{token}")).await.unwrap();
    let report = wait_for_text(
        &fac,
        Locator::Css(".report-block-actions"),
        "Share our calendars",
    )
    .await;
    assert!(report.contains("Actions per building block"), "{report}");
    assert!(report.contains("Trusting"), "{report}");
    screenshot(&fac, "english-6-report").await;

    fac.close().await.unwrap();
    screen.close().await.unwrap();
    for (c, _, _) in people {
        c.close().await.unwrap();
    }
    server.stop().await;
}
