//! Work form 004, the building-blocks self-test, played end to end in headless Chromium: the
//! facilitator picks the form in the home page's gallery, a projector follows, four participants
//! (one on a phone) rate the six blocks privately, the group profile appears on every screen only
//! once k of them answered, the facilitator forms the optional duos and one writes a key insight
//! on a block, which step 3 shows under that block, they write actions per block and place dots,
//! the facilitator puts actions that say the same thing together, and the report holds the
//! profile chart, the duo card and the grouped actions. Screenshots land in `target/screenshots/blocks-*.png`.

use fantoccini::{Client, Locator};
use kring_e2e::{
    Driver, Room, button, click, field, frontend_dir, inner_text, rate_blocks, room, screenshot,
    wait_for_text,
};
use kring_testkit::TestServer;

/// Gives every block a rating on the participant's sheet (clicking the scale's labels, as a
/// person would), with a note on one block.
async fn rate_all(c: &Client, scores: [u32; 6], note: &str) {
    rate_blocks(c, scores).await;
    let textarea = c
        .wait()
        .for_element(Locator::XPath(
            "//fieldset[contains(@class, 'trusting')]//label[contains(., 'Opmerking')]//textarea",
        ))
        .await
        .unwrap();
    textarea.send_keys(note).await.unwrap();
}

async fn add_action(c: &Client, block: &str, text: &str) {
    let input = c
        .wait()
        .for_element(Locator::XPath(&format!(
            "//input[@aria-label='Actie voor {block}']"
        )))
        .await
        .unwrap();
    input.send_keys(text).await.unwrap();
    click(
        c,
        Locator::XPath(&format!("//button[@aria-label='Actie toevoegen: {block}']")),
    )
    .await;
    wait_for_text(c, Locator::Css(".actions"), text).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_building_blocks_self_test_is_played_end_to_end() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let driver = Driver::start().await;
    let fac = driver.session(1280, 1000).await;

    // The gallery: both built forms, with their steps; the facilitator picks 004.
    fac.goto(&base).await.unwrap();
    wait_for_text(
        &fac,
        Locator::Css(".gallery"),
        "Drie niveaus van verantwoordelijkheid",
    )
    .await;
    let gallery = wait_for_text(
        &fac,
        Locator::Css(".gallery"),
        "Bouwstenen van resultaatgericht samenwerken",
    )
    .await;
    assert!(
        gallery.contains("Stap 1: Zelftest op de bouwstenen"),
        "{gallery}"
    );
    assert!(gallery.contains("De groep gaat naar huis met"), "{gallery}");
    screenshot(&fac, "blocks-1-gallery").await;
    click(
        &fac,
        Locator::XPath(&button("Kies: Bouwstenen van resultaatgericht samenwerken")),
    )
    .await;
    fac.find(Locator::XPath(&field("Titel")))
        .await
        .unwrap()
        .send_keys("Zelftest samenwerking")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Workshop aanmaken"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Zelftest samenwerking").await;
    let plan = wait_for_text(&fac, Locator::Css(".plan"), "Minimum aantal antwoorden").await;
    assert!(plan.contains("Stap 2: Het groepsprofiel"), "{plan}");
    assert!(
        !plan.contains("Individueel"),
        "000's question bank is not 004's set-up"
    );
    let code = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code = code.trim().to_owned();
    screenshot(&fac, "blocks-2-console-setup").await;

    // The projector, and four participants, one on a phone.
    let names = [
        ("An Peeters", "OCMW Gent"),
        ("Bert Claes", "CAW"),
        ("Chris Wouters", "CLB"),
        ("Dina Maes", "OCMW Gent"),
    ];
    let Room {
        screen,
        phone,
        others,
    } = room(&driver, &fac, &base, &code, names).await;

    // Step 1: private ratings.
    click(
        &fac,
        Locator::XPath(&button("Stap 1: Zelftest op de bouwstenen")),
    )
    .await;
    wait_for_text(&phone, Locator::Css(".rating-sheet"), "Kennen").await;
    let sheet = inner_text(&phone, ".rating-sheet").await;
    assert!(
        sheet.contains("Weten wat het gezamenlijke doel is"),
        "{sheet}"
    );
    assert!(sheet.contains("Context en randvoorwaarden"), "{sheet}");
    assert!(sheet.contains("Alleen jij ziet je scores"), "{sheet}");
    rate_all(&phone, [4, 3, 4, 2, 3, 2], "geheime-notitie-an").await;
    phone
        .find(Locator::XPath(
            "//label[contains(., 'Context en randvoorwaarden')]//input",
        ))
        .await
        .unwrap()
        .send_keys("Weinig tijd voor overleg")
        .await
        .unwrap();
    screenshot(&phone, "blocks-3-phone-rating").await;
    rate_all(&others[0], [5, 4, 4, 2, 4, 3], "geheime-notitie-bert").await;
    // The console and the projector count who rated, never what.
    wait_for_text(
        &fac,
        Locator::Css(".rated"),
        "2 / 4 deelnemers hebben gescoord",
    )
    .await;
    wait_for_text(&screen, Locator::Css(".rated"), "2 / 4").await;

    // Two answers: nobody sees a profile, and the facilitator never sees a rating.
    click(&fac, Locator::XPath(&button("Stap 2: Het groepsprofiel"))).await;
    wait_for_text(&screen, Locator::Css(".profile"), "minstens 3").await;
    wait_for_text(&others[0], Locator::Css(".profile"), "minstens 3").await;
    screenshot(&screen, "blocks-4-screen-waiting").await;
    let console = inner_text(&fac, "main").await;
    assert!(
        !console.contains("geheime-notitie"),
        "a rating reached the console"
    );

    // Back to step 1 for the other two; at the third answer the profile appears.
    click(
        &fac,
        Locator::XPath(&button("Stap 1: Zelftest op de bouwstenen")),
    )
    .await;
    wait_for_text(&others[1], Locator::Css(".rating-sheet"), "Kennen").await;
    rate_all(&others[1], [4, 4, 5, 1, 3, 2], "geheime-notitie-chris").await;
    wait_for_text(&others[2], Locator::Css(".rating-sheet"), "Kennen").await;
    rate_all(&others[2], [3, 2, 4, 2, 2, 1], "geheime-notitie-dina").await;
    click(&fac, Locator::XPath(&button("Stap 2: Het groepsprofiel"))).await;
    wait_for_text(&screen, Locator::Css(".profile .answered"), "4 antwoorden").await;
    wait_for_text(&phone, Locator::Css(".profile .answered"), "4 antwoorden").await;
    wait_for_text(&fac, Locator::Css(".profile .answered"), "4 antwoorden").await;
    let bars: usize = screen
        .find_all(Locator::Css(".profile-chart [data-score]"))
        .await
        .unwrap()
        .len();
    assert!(
        bars >= 6,
        "every block has its distribution, got {bars} bars"
    );
    for c in [&screen, &fac, &phone] {
        let text = inner_text(c, "main").await;
        assert!(
            !text.contains("geheime-notitie"),
            "a note reached a shared view"
        );
    }
    screenshot(&screen, "blocks-5-screen-profile").await;
    screenshot(&phone, "blocks-6-phone-profile").await;

    // Optional duos on the weakest blocks, with 000's panel: the console names the topics, the
    // facilitator proposes duos, An writes a key insight on "Vertrouwen" in her room.
    wait_for_text(&fac, Locator::Css(".duo-panel .topics"), "Vertrouwen").await;
    click(&fac, Locator::XPath(&button("Duo's voorstellen"))).await;
    wait_for_text(&phone, Locator::Css(".blocks-duo h2"), "Jouw duo").await;
    click(&phone, Locator::XPath(&button("Nieuw kerninzicht"))).await;
    phone
        .wait()
        .for_element(Locator::Css(
            ".blocks-duo ~ .insights .insight-card textarea",
        ))
        .await
        .unwrap()
        .send_keys("Beloftes samen nakomen")
        .await
        .unwrap();
    phone
        .find(Locator::Css(".insight-card select"))
        .await
        .unwrap()
        .select_by_value("trusting")
        .await
        .unwrap();
    // The dashboard of An's duo (whichever number it got) counts the card on its block.
    wait_for_text(
        &fac,
        Locator::Css(".duo-panel .duo-list"),
        "Kerninzichten: 1 · Vertrouwen",
    )
    .await;
    screenshot(&phone, "blocks-6b-phone-duo").await;
    screenshot(&fac, "blocks-6c-console-duos").await;

    // Step 3: actions per block, with dots.
    click(
        &fac,
        Locator::XPath(&button("Stap 3: Acties per bouwsteen")),
    )
    .await;
    add_action(&phone, "Vertrouwen", "Elke maand samen lunchen").await;
    add_action(&others[0], "Vertrouwen", "Open agenda's delen").await;
    add_action(
        &others[1],
        "Samenwerkdoelen realiseren",
        "Eén gedeeld doel op papier",
    )
    .await;
    for c in [&phone, &others[0], &others[2]] {
        wait_for_text(c, Locator::Css(".actions"), "Elke maand samen lunchen").await;
        click(
            c,
            Locator::XPath("//button[@aria-label='Stip op: Elke maand samen lunchen']"),
        )
        .await;
    }
    wait_for_text(
        &screen,
        Locator::Css(".action-block.trusting"),
        "Elke maand samen lunchen",
    )
    .await;
    let dots = wait_for_text(
        &screen,
        Locator::Css(".action-block.trusting li[data-dots='3']"),
        "",
    )
    .await;
    assert!(dots.contains("Elke maand samen lunchen"), "{dots}");
    wait_for_text(
        &screen,
        Locator::Css(".action-blocks"),
        "Eén gedeeld doel op papier",
    )
    .await;
    // The duo's card lies under its block, read-only, named by its duo.
    let from_duos = wait_for_text(
        &screen,
        Locator::Css(".action-block.trusting .duo-cards"),
        "Beloftes samen nakomen",
    )
    .await;
    assert!(from_duos.contains("Duo"), "{from_duos}");
    screenshot(&phone, "blocks-8-phone-actions").await;

    // The facilitator puts the two trust actions together: one group on every screen, its dots
    // counted together.
    fac.wait()
        .for_element(Locator::XPath(
            "//select[@aria-label=\"Gaat samen met: Open agenda's delen\"]",
        ))
        .await
        .unwrap()
        .select_by_label("Elke maand samen lunchen")
        .await
        .unwrap();
    let group = wait_for_text(
        &screen,
        Locator::Css(".action-block.trusting li.grouped[data-dots='3']"),
        "Open agenda's delen",
    )
    .await;
    assert!(group.contains("Elke maand samen lunchen"), "{group}");
    wait_for_text(
        &phone,
        Locator::Css(".action-block.trusting li.grouped"),
        "Open agenda's delen",
    )
    .await;
    screenshot(&screen, "blocks-7-screen-actions").await;
    screenshot(&fac, "blocks-7b-console-grouping").await;

    // Close, then the report: the profile chart and the actions, never a note.
    click(&fac, Locator::XPath(&button("Afgesloten"))).await;
    wait_for_text(&phone, Locator::Css(".step-card"), "Afgesloten").await;
    let console_url = fac.current_url().await.unwrap();
    let fac_token = console_url.fragment().unwrap_or_default().to_owned();
    fac.goto(&format!("{base}/report#{fac_token}"))
        .await
        .unwrap();
    wait_for_text(&fac, Locator::Css(".report"), "Acties per bouwsteen").await;
    let report = wait_for_text(
        &fac,
        Locator::Css(".report-block-actions"),
        "Elke maand samen lunchen",
    )
    .await;
    assert!(report.contains("Vertrouwen"), "{report}");
    wait_for_text(
        &fac,
        Locator::Css(".report-block.trusting .report-duo-cards"),
        "Beloftes samen nakomen",
    )
    .await;
    wait_for_text(
        &fac,
        Locator::Css(".report-block.trusting .also"),
        "Open agenda's delen",
    )
    .await;
    fac.wait()
        .for_element(Locator::Css(".flip-chart img"))
        .await
        .unwrap();
    let all = inner_text(&fac, "main").await;
    assert!(
        !all.contains("geheime-notitie"),
        "a note reached the report"
    );
    screenshot(&fac, "blocks-9-report").await;

    for c in [fac, screen, phone] {
        c.close().await.unwrap();
    }
    for c in others {
        c.close().await.unwrap();
    }
    server.stop().await;
}
