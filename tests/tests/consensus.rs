//! Work form 001, rules of play and a TWO, played end to end in headless Chromium: the facilitator
//! picks the form in the gallery, a projector follows, four participants (one on a phone) say
//! privately where the collaboration stands and the group sees the distribution once the
//! facilitator shows it; on the consensus canvas they write cards, the facilitator moves one to
//! another field, merges two and proposes a rewording that its author takes over; a consent round
//! on the seed's rule 5 ends in an objection with its reason on every screen while the console
//! shows who has not answered; the amended rule is asked again, everyone consents, and it is
//! adopted as a TWO with why and a review date (today); the report holds it. Then the facilitator
//! packs a lesson and starts the next session of the collaboration: it shows the first session,
//! the TWO with its history and the backpack, and puts the TWO (its review date has come) on the
//! agenda, where the group keeps it with a new consent round and a new review date. Screenshots
//! land in `target/screenshots/consensus-*.png`.

use fantoccini::{Client, Locator};
use kring_e2e::consent::{add_card, answer, curation, proposal, set_date, type_into_form};
use kring_e2e::{
    Driver, Room, button, click, field, frontend_dir, inner_text, join_with_code, room, screenshot,
    scroll_to, wait_for_text,
};
use kring_testkit::TestServer;

/// Chooses a phase by its label, as a person taps it.
async fn choose_phase(c: &Client, phase: &str) {
    click(
        c,
        Locator::XPath(&format!(
            "//label[contains(@class, 'phase-option')][.//strong[normalize-space(.)='{phase}']]"
        )),
    )
    .await;
    wait_for_text(c, Locator::Css(".phase-option:has(input:checked)"), phase).await;
}

const RULE_5: &str = "Elke deelnemer spreekt zijn zorgen of bedenkingen uit.";
const RULE_5_AMENDED: &str = "Elke deelnemer spreekt zijn zorgen uit; ze komen op de agenda.";

#[tokio::test(flavor = "multi_thread")]
async fn rules_of_play_and_a_two_are_played_end_to_end() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let driver = Driver::start().await;
    let fac = driver.session(1280, 1000).await;
    let today = kring_shared::report::date_of(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );

    // The gallery lists 001 with its steps; the facilitator picks it.
    fac.goto(&base).await.unwrap();
    let form = "Spelregels en een tijdelijk werkbare overeenkomst";
    let gallery = wait_for_text(&fac, Locator::Css(".gallery"), form).await;
    assert!(
        gallery.contains("Stap 2: Consensus vastleggen"),
        "{gallery}"
    );
    click(&fac, Locator::XPath(&button(&format!("Kies: {form}")))).await;
    fac.find(Locator::XPath(&field("Titel")))
        .await
        .unwrap()
        .send_keys("Samen aan tafel in de wijk")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Workshop aanmaken"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Samen aan tafel in de wijk").await;
    let plan = wait_for_text(
        &fac,
        Locator::Css(".plan"),
        "Minimum aantal antwoorden voor de verdeling",
    )
    .await;
    assert!(
        plan.contains("Stap 3: Een tijdelijk werkbare overeenkomst"),
        "{plan}"
    );
    let code = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code = code.trim().to_owned();

    // The projector, and four participants, one on a phone.
    let names = [
        ("An Peeters", "OCMW Gent"),
        ("Bert Claes", "CAW"),
        ("Chris Wouters", "CLB"),
        ("Dina Maes", "Politie"),
    ];
    let Room {
        screen,
        phone,
        others,
    } = room(&driver, &fac, &base, &code, names).await;

    // Step 1: privately, where the collaboration stands.
    click(&fac, Locator::XPath(&button("Stap 1: Waar staan we?"))).await;
    wait_for_text(
        &phone,
        Locator::Css(".phase-choice"),
        "de schutting erkennen",
    )
    .await;
    choose_phase(&phone, "Fase 1: de schutting erkennen").await;
    screenshot(&phone, "consensus-1-phone-phase").await;
    choose_phase(&others[0], "Fase 2: de schutting doorzichtig maken").await;
    choose_phase(&others[1], "Fase 1: de schutting erkennen").await;
    choose_phase(&others[2], "Fase 3: de schutting verruimen").await;
    wait_for_text(&fac, Locator::Css("main"), "4 deelnemers hebben geantwoord").await;
    assert!(
        fac.find(Locator::Css(".phase-bars")).await.is_err(),
        "no distribution before the facilitator shows it"
    );
    click(&fac, Locator::XPath(&button("Toon de verdeling"))).await;
    for c in [&screen, &phone] {
        wait_for_text(c, Locator::Css(".phases"), "4 antwoorden").await;
    }
    for (phase, n) in [
        ("Fase 1: de schutting erkennen", "2"),
        ("Fase 2: de schutting doorzichtig maken", "1"),
        ("Fase 3: de schutting verruimen", "1"),
    ] {
        let count = screen
            .find(Locator::XPath(&format!(
                "//li[contains(@class, 'phase-bar')][span[contains(@class, 'phase-name')][normalize-space(.)='{phase}']]/span[contains(@class, 'phase-count')]"
            )))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(count, n, "{phase}");
    }
    screenshot(&screen, "consensus-2-screen-phases").await;

    // Step 2: the canvas. Cards by everyone; the facilitator curates.
    click(
        &fac,
        Locator::XPath(&button("Stap 2: Consensus vastleggen")),
    )
    .await;
    add_card(&phone, "mandate", "Iedereen komt met mandaat").await;
    add_card(
        &others[0],
        "roles",
        "Wie zit er namens de politie aan tafel?",
    )
    .await;
    add_card(
        &others[1],
        "mandate",
        "Mandaat vooraf afstemmen met de directie",
    )
    .await;
    for c in [&screen, &fac] {
        wait_for_text(c, Locator::Css(".canvas-grid"), "Mandaat vooraf afstemmen").await;
    }
    // Move Bert's card to "Wie zit aan tafel?".
    fac.find(Locator::XPath(&format!(
        "{}//label[starts-with(normalize-space(.), 'Verplaats naar')]//select",
        curation("Wie zit er namens de politie aan tafel?")
    )))
    .await
    .unwrap()
    .select_by_value("at_table")
    .await
    .unwrap();
    let at_table = "//section[contains(@class, 'canvas-field')][@aria-label='Wie zit aan tafel?']";
    wait_for_text(&screen, Locator::XPath(at_table), "verplaatst uit Rollen").await;
    // Merge Chris's card with An's.
    let merge = fac
        .find(Locator::XPath(&format!(
            "{}//label[starts-with(normalize-space(.), 'Voeg samen met')]//select",
            curation("Mandaat vooraf afstemmen met de directie")
        )))
        .await
        .unwrap();
    let options = merge.find_all(Locator::Css("option")).await.unwrap();
    let mut an_key = String::new();
    for o in options {
        if o.text().await.unwrap() == "Iedereen komt met mandaat" {
            an_key = o.attr("value").await.unwrap().unwrap();
        }
    }
    assert!(!an_key.is_empty());
    merge.select_by_value(&an_key).await.unwrap();
    fac.wait()
        .for_element(Locator::Css(".canvas-group.merged"))
        .await
        .unwrap();
    // The merged card's choice shows what it is merged with.
    let chosen = fac
        .find(Locator::XPath(&format!(
            "{}//label[starts-with(normalize-space(.), 'Voeg samen met')]//select",
            curation("Mandaat vooraf afstemmen met de directie")
        )))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(chosen.as_deref(), Some(an_key.as_str()));
    // Propose a rewording of An's card; An takes it over on her phone.
    let reword = fac
        .find(Locator::XPath(&format!(
            "{}//label[starts-with(normalize-space(.), 'Herformuleer')]//input",
            curation("Iedereen komt met mandaat")
        )))
        .await
        .unwrap();
    reword.clear().await.unwrap();
    reword
        .send_keys("Iedereen komt met mandaat van de eigen organisatie")
        .await
        .unwrap();
    click(
        &fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='Stel voor aan de auteur']",
            curation("Iedereen komt met mandaat")
        )),
    )
    .await;
    wait_for_text(&screen, Locator::Css(".canvas-grid"), "wacht op de auteur").await;
    scroll_to(&phone, ".reword").await;
    screenshot(&phone, "consensus-3-phone-reword").await;
    click(&phone, Locator::XPath(&button("Neem over"))).await;
    let mandate = "//section[contains(@class, 'canvas-field')][@aria-label='Mandaat']";
    let field_text = wait_for_text(
        &screen,
        Locator::XPath(mandate),
        "herformuleerd, met akkoord van de auteur",
    )
    .await;
    assert!(
        field_text.contains("Iedereen komt met mandaat van de eigen organisatie"),
        "{field_text}"
    );
    assert!(
        field_text.contains("OCMW Gent"),
        "named by organisation: {field_text}"
    );
    assert!(!field_text.contains("An Peeters"), "{field_text}");
    scroll_to(&screen, ".canvas").await;
    screenshot(&screen, "consensus-4-screen-canvas").await;
    scroll_to(&fac, ".canvas").await;
    screenshot(&fac, "consensus-5-console-canvas").await;

    // Step 3: a consent round on rule 5.
    click(
        &fac,
        Locator::XPath(&button("Stap 3: Een tijdelijk werkbare overeenkomst")),
    )
    .await;
    click(
        &fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='Vraag instemming']",
            proposal(RULE_5)
        )),
    )
    .await;
    wait_for_text(&screen, Locator::Css(".consent"), RULE_5).await;
    answer(&phone, "Akkoord", "").await;
    answer(&others[0], "Werkbaar voor nu", "Na drie maanden bekijken").await;
    answer(
        &others[1],
        "Bezwaar",
        "Zorgen moeten ook op de agenda komen",
    )
    .await;
    let waiting = wait_for_text(&fac, Locator::Css(".waiting"), "Dina Maes").await;
    assert!(!waiting.contains("An Peeters"), "{waiting}");
    for c in [&screen, &phone, &others[2]] {
        wait_for_text(
            c,
            Locator::Css(".objections"),
            "Zorgen moeten ook op de agenda komen",
        )
        .await;
    }
    scroll_to(&screen, ".consent").await;
    screenshot(&screen, "consensus-6-screen-objection").await;
    scroll_to(&fac, ".proposals").await;
    screenshot(&fac, "consensus-7-console-round").await;
    screenshot(&phone, "consensus-8-phone-round").await;

    // Amend and ask again: everyone consents; adopt as a TWO with why and a review date.
    let text = fac
        .find(Locator::XPath(&format!("{}//textarea", proposal(RULE_5))))
        .await
        .unwrap();
    text.clear().await.unwrap();
    text.send_keys(RULE_5_AMENDED).await.unwrap();
    click(
        &fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='Wijzig']",
            proposal(RULE_5)
        )),
    )
    .await;
    click(
        &fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='Vraag instemming']",
            proposal(RULE_5_AMENDED)
        )),
    )
    .await;
    for c in [&phone, &others[0], &others[1], &others[2]] {
        wait_for_text(c, Locator::Css(".consent"), RULE_5_AMENDED).await;
    }
    answer(&phone, "Akkoord", "").await;
    answer(&others[0], "Akkoord", "").await;
    answer(&others[1], "Akkoord", "").await;
    answer(&others[2], "Werkbaar voor nu", "").await;
    wait_for_text(&fac, Locator::Css(".running-round"), "Bezwaar: 0").await;
    wait_for_text(&fac, Locator::Css(".waiting"), "–").await;
    let item = proposal(RULE_5_AMENDED);
    fac.find(Locator::XPath(&format!(
        "{item}//form[contains(@class, 'adopt')]//input[@type='text']"
    )))
    .await
    .unwrap()
    .send_keys("Zorgen die niet op tafel komen, komen later terug")
    .await
    .unwrap();
    let date = fac
        .find(Locator::XPath(&format!("{item}//input[@type='date']")))
        .await
        .unwrap();
    set_date(&fac, &date, &today).await;
    click(
        &fac,
        Locator::XPath(&format!(
            "{item}//button[normalize-space(.)='Vastleggen als TWO']"
        )),
    )
    .await;
    for c in [&screen, &phone] {
        let twos = wait_for_text(c, Locator::Css(".twos"), RULE_5_AMENDED).await;
        assert!(twos.contains(&format!("Herzien op: {today}")), "{twos}");
        assert!(twos.contains("versie 2"), "{twos}");
    }
    scroll_to(&screen, ".twos").await;
    screenshot(&screen, "consensus-9-screen-two").await;

    // Close, then the report: the TWO, the canvas, the phases.
    click(&fac, Locator::XPath(&button("Afgesloten"))).await;
    wait_for_text(&phone, Locator::Css(".step-card"), "Afgesloten").await;
    let console_url = fac.current_url().await.unwrap();
    let fac_token = console_url.fragment().unwrap_or_default().to_owned();
    fac.goto(&format!("{base}/report#{fac_token}"))
        .await
        .unwrap();
    let report = wait_for_text(&fac, Locator::Css(".report-twos"), RULE_5_AMENDED).await;
    assert!(report.contains(&format!("Herzien op: {today}")), "{report}");
    assert!(
        report.contains("Zorgen die niet op tafel komen"),
        "the why: {report}"
    );
    let canvas = inner_text(&fac, ".report-canvas").await;
    assert!(
        canvas.contains("Iedereen komt met mandaat van de eigen organisatie"),
        "{canvas}"
    );
    let phases = inner_text(&fac, ".report-phases").await;
    assert!(phases.contains("4 antwoorden"), "{phases}");
    screenshot(&fac, "consensus-10-report").await;

    // The next session of the collaboration, with a lesson in the backpack.
    fac.goto(&format!("{base}/facilitate#{fac_token}"))
        .await
        .unwrap();
    type_into_form(
        &fac,
        "lesson-add",
        "Zorgen eerst uitspreken maakt het gesprek sneller",
    )
    .await;
    click(&fac, Locator::XPath(&button("In de rugzak"))).await;
    wait_for_text(&fac, Locator::Css(".backpack"), "Zorgen eerst uitspreken").await;
    type_into_form(&fac, "next-session", "Samen aan tafel, sessie 2").await;
    click(&fac, Locator::XPath(&button("Volgende sessie starten"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Samen aan tafel, sessie 2").await;
    let panel = wait_for_text(
        &fac,
        Locator::Css(".collaboration"),
        "Samen aan tafel in de wijk",
    )
    .await;
    assert!(panel.contains(RULE_5_AMENDED), "{panel}");
    assert!(panel.contains("versie 2"), "{panel}");
    assert!(
        panel.contains("Zorgen eerst uitspreken"),
        "the backpack: {panel}"
    );
    let due = wait_for_text(
        &fac,
        Locator::XPath(&proposal(RULE_5_AMENDED)),
        "Op de agenda: herzien",
    )
    .await;
    assert!(due.contains("versie 2"), "{due}");
    scroll_to(&fac, ".collaboration").await;
    screenshot(&fac, "consensus-11-console-next-session").await;
    let code2 = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code2 = code2.trim().to_owned();
    assert_ne!(code2, code);
    join_with_code(&phone, &base, &code2, "An Peeters", "OCMW Gent").await;
    click(
        &fac,
        Locator::XPath(&button("Stap 3: Een tijdelijk werkbare overeenkomst")),
    )
    .await;
    click(
        &fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='Vraag instemming']",
            proposal(RULE_5_AMENDED)
        )),
    )
    .await;
    answer(&phone, "Akkoord", "").await;
    wait_for_text(&fac, Locator::Css(".running-round"), "Akkoord: 1").await;
    let item = proposal(RULE_5_AMENDED);
    // The reasons of the last version stand in the field; the group writes why it keeps it.
    let why = fac
        .find(Locator::XPath(&format!(
            "{item}//form[contains(@class, 'adopt')]//input[@type='text']"
        )))
        .await
        .unwrap();
    assert_eq!(
        why.prop("value").await.unwrap().as_deref(),
        Some("Zorgen die niet op tafel komen, komen later terug")
    );
    why.clear().await.unwrap();
    why.send_keys("Het werkte: we houden het zo").await.unwrap();
    let date = fac
        .find(Locator::XPath(&format!("{item}//input[@type='date']")))
        .await
        .unwrap();
    set_date(&fac, &date, "2027-06-01").await;
    click(
        &fac,
        Locator::XPath(&format!(
            "{item}//button[normalize-space(.)='Vastleggen als TWO']"
        )),
    )
    .await;
    let twos = wait_for_text(&phone, Locator::Css(".twos"), "Herzien op: 2027-06-01").await;
    assert!(twos.contains(RULE_5_AMENDED), "kept: {twos}");
    assert!(
        twos.contains("Waarom: Het werkte: we houden het zo"),
        "{twos}"
    );
    let kept = wait_for_text(&fac, Locator::XPath(&proposal(RULE_5_AMENDED)), "TWO").await;
    assert!(!kept.contains("Op de agenda: herzien"), "decided: {kept}");
    screenshot(&phone, "consensus-12-phone-session-2").await;

    for c in [fac, screen, phone] {
        c.close().await.unwrap();
    }
    for c in others {
        c.close().await.unwrap();
    }
    server.stop().await;
}
