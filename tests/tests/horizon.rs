//! Work form 002, horizon – landscape – map – route, played end to end in headless Chromium over
//! two sessions of one collaboration: the facilitator picks the form in the gallery, a projector
//! follows, four participants (one on a phone) finish their horizon sentence privately — one
//! never shares it, and no other screen ever shows it — and share the others as cards; the group
//! agrees one horizon in a consent round and every screen shows it. In step 2 they fill the
//! landscape and the map and adopt a rule of play as a TWO due for review; in step 3 each rates
//! the route's three levels privately, the group sees the route once the facilitator shows it,
//! and a lesson learned goes from the table into the backpack. The report holds the horizon, the
//! route and the canvas. The next session carries the horizon, the TWO (on the agenda), the
//! backpack and the first route; its own route joins the chart over time. The collaboration's own
//! page (from the console) shows all of it, opens session 1 as facilitator, starts a third
//! session of another form, and deletes the collaboration with its sessions; the home page makes
//! a new one. Screenshots land in `target/screenshots/horizon-*.png`.

use fantoccini::{Client, Locator};
use kring_e2e::consent::{add_card, answer, curation, proposal, set_date, type_into_form};
use kring_e2e::{
    Driver, Room, button, click, field, frontend_dir, inner_text, join_with_code, room, screenshot,
    scroll_to, wait_for_text,
};
use kring_testkit::TestServer;

/// Finishes the horizon sentence privately: a stem, then the rest.
async fn write_sentence(c: &Client, stem: &str, rest: &str) {
    click(
        c,
        Locator::XPath(&format!(
            "//label[contains(@class, 'stem')][starts-with(normalize-space(.), '{stem}')]"
        )),
    )
    .await;
    c.wait()
        .for_element(Locator::Css(".horizon-sentence textarea"))
        .await
        .unwrap()
        .send_keys(rest)
        .await
        .unwrap();
    wait_for_text(c, Locator::Css(".sentence-preview"), rest).await;
}

/// Rates the route's three levels on the participant's private sheet.
async fn rate_route(c: &Client, scores: [u32; 3]) {
    for (level, score) in ["contribution", "quality", "discipline"].iter().zip(scores) {
        click(
            c,
            Locator::XPath(&format!(
                "//section[contains(@class, 'route-rating')]//fieldset[contains(@class, '{level}')]//label[span[normalize-space(.)='{score}']]"
            )),
        )
        .await;
    }
    for (level, score) in ["contribution", "quality", "discipline"].iter().zip(scores) {
        wait_for_text(
            c,
            Locator::Css(&format!(
                ".route-rating fieldset.{level} .scale-point.chosen"
            )),
            &score.to_string(),
        )
        .await;
    }
}

/// Asks consent on a proposal, everyone agrees, and the facilitator adopts it.
async fn adopt(fac: &Client, people: &[&Client], text: &str, why: &str, review: Option<&str>) {
    click(
        fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='Vraag instemming']",
            proposal(text)
        )),
    )
    .await;
    for c in people {
        wait_for_text(c, Locator::Css(".consent"), text).await;
        answer(c, "Akkoord", "").await;
    }
    wait_for_text(
        fac,
        Locator::Css(".running-round"),
        &format!("Akkoord: {}", people.len()),
    )
    .await;
    let item = proposal(text);
    fac.find(Locator::XPath(&format!(
        "{item}//form[contains(@class, 'adopt')]//input[@type='text']"
    )))
    .await
    .unwrap()
    .send_keys(why)
    .await
    .unwrap();
    if let Some(d) = review {
        let date = fac
            .find(Locator::XPath(&format!("{item}//input[@type='date']")))
            .await
            .unwrap();
        set_date(fac, &date, d).await;
    }
    click(
        fac,
        Locator::XPath(&format!(
            "{item}//button[normalize-space(.)='Vastleggen als TWO']"
        )),
    )
    .await;
}

/// The facilitator adds a proposal to a field.
async fn propose(fac: &Client, field_id: &str, text: &str) {
    let form = "//form[contains(@class, 'proposal-add')]";
    fac.wait()
        .for_element(Locator::XPath(&format!("{form}//select")))
        .await
        .unwrap()
        .select_by_value(field_id)
        .await
        .unwrap();
    fac.find(Locator::XPath(&format!("{form}//input")))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
    click(fac, Locator::XPath(&button("Voorstel toevoegen"))).await;
    fac.wait()
        .for_element(Locator::XPath(&proposal(text)))
        .await
        .unwrap();
}

const HORIZON: &str = "Wij gaan samen sturen op minder wachtlijsten voor gezinnen in de wijk.";
const RULE: &str = "We delen een casus binnen 48 uur met de partner die hem nodig heeft.";
const SECRET: &str = "een geheim plan dat niemand ziet";

#[tokio::test(flavor = "multi_thread")]
async fn horizon_landscape_map_and_route_run_over_two_sessions() {
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

    // The gallery lists 002 with its three steps; the facilitator picks it.
    fac.goto(&base).await.unwrap();
    let form = "Beweging in samenwerken: horizon, landschap, kaart, route";
    let gallery = wait_for_text(&fac, Locator::Css(".gallery"), form).await;
    assert!(
        gallery.contains("Stap 2: Het landschap en de kaart"),
        "{gallery}"
    );
    click(&fac, Locator::XPath(&button(&format!("Kies: {form}")))).await;
    fac.find(Locator::XPath(&field("Titel")))
        .await
        .unwrap()
        .send_keys("Beweging in de wijk")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Workshop aanmaken"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Beweging in de wijk").await;
    wait_for_text(
        &fac,
        Locator::Css(".plan"),
        "Minimum aantal scores voor de route",
    )
    .await;
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
    let everyone: [&Client; 4] = [&phone, &others[0], &others[1], &others[2]];

    // Step 1: the horizon. Each finishes a sentence privately; three share it.
    click(&fac, Locator::XPath(&button("Stap 1: De horizon"))).await;
    write_sentence(&phone, "Wij gaan samen sturen op", "minder wachtlijsten").await;
    screenshot(&phone, "horizon-1-phone-sentence").await;
    click(&phone, Locator::XPath(&button("Deel je zin met de groep"))).await;
    wait_for_text(
        &phone,
        Locator::Css(".horizon-sentence"),
        "Je zin ligt op tafel",
    )
    .await;
    write_sentence(
        &others[0],
        "Wij gaan samen werken aan",
        "één plan per gezin",
    )
    .await;
    click(
        &others[0],
        Locator::XPath(&button("Deel je zin met de groep")),
    )
    .await;
    write_sentence(
        &others[1],
        "Wij gaan samen werken aan",
        "snelle hulp op school",
    )
    .await;
    click(
        &others[1],
        Locator::XPath(&button("Deel je zin met de groep")),
    )
    .await;
    // Dina keeps hers to herself.
    write_sentence(&others[2], "Wij gaan samen werken aan", SECRET).await;
    let horizon_field =
        "//section[contains(@class, 'canvas-field')][@aria-label='De horizon: waar gaan we voor?']";
    for c in [&screen, &fac] {
        let cards = wait_for_text(c, Locator::XPath(horizon_field), "snelle hulp op school").await;
        assert!(
            cards.contains("Wij gaan samen sturen op minder wachtlijsten."),
            "{cards}"
        );
        assert!(cards.contains("OCMW Gent"), "by organisation: {cards}");
        assert!(!cards.contains("An Peeters"), "{cards}");
    }
    scroll_to(&screen, ".canvas").await;
    screenshot(&screen, "horizon-2-screen-sentences").await;
    // The facilitator words one horizon from the cards; the group consents.
    propose(&fac, "horizon", HORIZON).await;
    adopt(
        &fac,
        &everyone,
        HORIZON,
        "Dit raakt wat we elk willen",
        None,
    )
    .await;
    for c in [&screen, &phone, &others[2]] {
        wait_for_text(c, Locator::Css(".horizon-statement"), HORIZON).await;
    }
    screenshot(&screen, "horizon-3-screen-statement").await;

    // Step 2: the landscape and the map.
    click(
        &fac,
        Locator::XPath(&button("Stap 2: Het landschap en de kaart")),
    )
    .await;
    add_card(
        &phone,
        "collective_ideal",
        "Geen gezin wacht langer dan 2 weken",
    )
    .await;
    add_card(&others[0], "responsible", "De wijkteams").await;
    add_card(
        &others[1],
        "managers_hindering",
        "Elk een eigen registratie",
    )
    .await;
    add_card(
        &others[2],
        "environment_promoting",
        "De gemeente wil meedoen",
    )
    .await;
    for c in [&screen, &fac] {
        let grid = wait_for_text(c, Locator::Css(".canvas"), "De gemeente wil meedoen").await;
        for t in [
            "Succes voor het collectief — idealiter",
            "Wie zijn verantwoordelijk?",
            "Leidinggevenden: wat belemmert",
            "Omgeving: wat bevordert",
            "Spelregels",
        ] {
            assert!(grid.contains(t), "{t} in {grid}");
        }
    }
    scroll_to(&screen, ".canvas").await;
    screenshot(&screen, "horizon-4-screen-landscape").await;
    propose(&fac, "rules", RULE).await;
    adopt(
        &fac,
        &everyone,
        RULE,
        "Zo wacht niemand op papier",
        Some(&today),
    )
    .await;
    for c in [&screen, &phone] {
        let twos = wait_for_text(c, Locator::Css(".twos"), RULE).await;
        assert!(twos.contains(&format!("Herzien op: {today}")), "{twos}");
    }
    scroll_to(&fac, ".canvas").await;
    screenshot(&fac, "horizon-5-console-map").await;

    // Step 3: the route, rated privately; a lesson learned into the backpack.
    click(&fac, Locator::XPath(&button("Stap 3: De route"))).await;
    for (c, scores) in everyone
        .iter()
        .zip([[4, 3, 2], [3, 3, 2], [5, 4, 3], [4, 2, 1]])
    {
        rate_route(c, scores).await;
    }
    screenshot(&phone, "horizon-6-phone-route").await;
    wait_for_text(&fac, Locator::Css("main"), "4 deelnemers hebben gescoord").await;
    assert!(
        screen
            .find(Locator::Css(".route .profile-chart"))
            .await
            .is_err(),
        "no route before the facilitator shows it"
    );
    click(&fac, Locator::XPath(&button("Toon de route"))).await;
    for c in [&screen, &phone] {
        let route = wait_for_text(c, Locator::Css(".route"), "4 antwoorden").await;
        assert!(route.contains("Afspraakdiscipline"), "{route}");
    }
    let mean = screen
        .find(Locator::XPath(
            "//section[contains(@class, 'route')]//li[contains(@class, 'profile-row')][span[contains(@class, 'profile-name')][normalize-space(.)='Bijdrage aan het succes']]/span[contains(@class, 'profile-mean')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mean, "4.0", "(4 + 3 + 5 + 4) / 4");
    scroll_to(&screen, ".route").await;
    screenshot(&screen, "horizon-7-screen-route").await;
    add_card(
        &others[0],
        "lessons",
        "Korte lijnen werken beter dan lange mails",
    )
    .await;
    click(
        &fac,
        Locator::XPath(&format!(
            "{}//button[normalize-space(.)='In de rugzak']",
            curation("Korte lijnen werken beter dan lange mails")
        )),
    )
    .await;
    wait_for_text(&fac, Locator::Css(".backpack"), "Korte lijnen werken").await;
    // Nothing Dina kept private ever reached another screen.
    for c in [&screen, &fac, &phone] {
        let all = inner_text(c, "main").await;
        assert!(!all.contains(SECRET), "a private sentence leaked: {all}");
    }

    // Close, then the report: the horizon, the route, the canvas, the TWO.
    click(&fac, Locator::XPath(&button("Afgesloten"))).await;
    wait_for_text(&phone, Locator::Css(".step-card"), "Afgesloten").await;
    let console_url = fac.current_url().await.unwrap();
    let fac_token = console_url.fragment().unwrap_or_default().to_owned();
    fac.goto(&format!("{base}/report#{fac_token}"))
        .await
        .unwrap();
    wait_for_text(&fac, Locator::Css(".report-horizon"), HORIZON).await;
    let route = inner_text(&fac, ".report-route").await;
    assert!(route.contains("4 antwoorden"), "{route}");
    assert!(
        route.contains("Bijdrage aan het succes: gemiddeld 4.0"),
        "{route}"
    );
    let canvas = inner_text(&fac, ".report-canvas").await;
    for t in [
        "Geen gezin wacht langer dan 2 weken",
        "Elk een eigen registratie",
        "Korte lijnen werken",
    ] {
        assert!(canvas.contains(t), "{t}: {canvas}");
    }
    assert!(!canvas.contains(SECRET), "{canvas}");
    wait_for_text(&fac, Locator::Css(".report-twos"), RULE).await;
    screenshot(&fac, "horizon-8-report").await;

    // The next session: the horizon, the TWO on the agenda, the backpack, the route so far.
    fac.goto(&format!("{base}/facilitate#{fac_token}"))
        .await
        .unwrap();
    type_into_form(&fac, "next-session", "Beweging in de wijk, sessie 2").await;
    click(&fac, Locator::XPath(&button("Volgende sessie starten"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Beweging in de wijk, sessie 2").await;
    let panel = wait_for_text(&fac, Locator::Css(".collaboration"), HORIZON).await;
    assert!(
        panel.contains("Korte lijnen werken"),
        "the backpack: {panel}"
    );
    let table = inner_text(&fac, ".route-table").await;
    assert!(table.contains("Beweging in de wijk"), "{table}");
    assert!(table.contains("4.0"), "{table}");
    wait_for_text(
        &fac,
        Locator::XPath(&proposal(RULE)),
        "Op de agenda: herzien",
    )
    .await;
    let code2 = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code2 = code2.trim().to_owned();
    for (c, (name, org)) in [&phone, &others[0], &others[1]]
        .into_iter()
        .zip(&names[..3])
    {
        join_with_code(c, &base, &code2, name, org).await;
    }
    // The horizon greets the group in the new session.
    wait_for_text(&phone, Locator::Css(".horizon-statement"), HORIZON).await;
    click(&fac, Locator::XPath(&button("Stap 3: De route"))).await;
    for (c, scores) in
        [&phone, &others[0], &others[1]]
            .into_iter()
            .zip([[5, 4, 4], [4, 4, 3], [4, 3, 4]])
    {
        rate_route(c, scores).await;
    }
    wait_for_text(&fac, Locator::Css("main"), "3 deelnemers hebben gescoord").await;
    click(&fac, Locator::XPath(&button("Toon de route"))).await;
    let table = wait_for_text(&fac, Locator::Css(".route-table"), "sessie 2").await;
    assert!(table.contains("4.3"), "(5 + 4 + 4) / 3: {table}");
    scroll_to(&fac, ".route-over-time").await;
    screenshot(&fac, "horizon-9-console-route-over-time").await;

    // The collaboration's own page, from the console: the horizon, both sessions, the TWO, the
    // backpack and the route over time, as it stands.
    click(
        &fac,
        Locator::XPath(&button("Link naar de pagina van de samenwerking")),
    )
    .await;
    let page_url = fac
        .wait()
        .for_element(Locator::Css(".collab-link input.link"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(page_url.contains("/collaboration#"), "{page_url}");
    fac.goto(&page_url).await.unwrap();
    wait_for_text(&fac, Locator::Css(".collab-header"), HORIZON).await;
    wait_for_text(&fac, Locator::Css(".sessions-table"), "sessie 2").await;
    let rows = fac
        .find_all(Locator::Css(".sessions-table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "both sessions");
    wait_for_text(&fac, Locator::Css(".ledger"), RULE).await;
    wait_for_text(&fac, Locator::Css(".backpack"), "Korte lijnen werken").await;
    let table = wait_for_text(&fac, Locator::Css(".route-table"), "sessie 2").await;
    assert!(table.contains("4.0") && table.contains("4.3"), "{table}");
    wait_for_text(
        &fac,
        Locator::Css(".downloads a[href^='data:text/markdown']"),
        "Markdown",
    )
    .await;
    screenshot(&fac, "horizon-10-collaboration-page").await;

    // Session 1 opens as facilitator from the page.
    click(
        &fac,
        Locator::XPath("//table[contains(@class, 'sessions-table')]//tr[1]//button"),
    )
    .await;
    wait_for_text(&fac, Locator::Css("h1"), "Beweging in de wijk").await;
    assert!(
        fac.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("/facilitate#")
    );

    // A third session, of form 001, started from the page carries the TWO.
    fac.goto(&page_url).await.unwrap();
    type_into_form(&fac, "next-session", "Spelregels herzien").await;
    fac.find(Locator::Css(".next-session select"))
        .await
        .unwrap()
        .select_by_value("001")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Sessie starten"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Spelregels herzien").await;
    wait_for_text(
        &fac,
        Locator::XPath(&proposal(RULE)),
        "Op de agenda: herzien",
    )
    .await;

    // Deleting the collaboration deletes every session: the phone in session 2 is let go.
    fac.goto(&page_url).await.unwrap();
    wait_for_text(&fac, Locator::Css(".sessions-table"), "Spelregels herzien").await;
    fac.execute("window.confirm = () => true; return null;", vec![])
        .await
        .unwrap();
    click(
        &fac,
        Locator::XPath(&button(
            "Samenwerking en al haar sessies definitief verwijderen",
        )),
    )
    .await;
    wait_for_text(
        &fac,
        Locator::Css("[role='status']"),
        "De samenwerking is verwijderd",
    )
    .await;
    screenshot(&fac, "horizon-11-collaboration-deleted").await;

    // A new collaboration from the home page, before any session.
    fac.goto(&base).await.unwrap();
    type_into_form(&fac, "new-collaboration", "Netwerk Zuid").await;
    click(&fac, Locator::XPath(&button("Samenwerking aanmaken"))).await;
    wait_for_text(&fac, Locator::Css(".collab-header h1"), "Netwerk Zuid").await;
    wait_for_text(&fac, Locator::Css("main"), "Nog geen sessies").await;
    screenshot(&fac, "horizon-12-new-collaboration").await;

    for c in [fac, screen, phone] {
        c.close().await.unwrap();
    }
    for c in others {
        c.close().await.unwrap();
    }
    server.stop().await;
}
