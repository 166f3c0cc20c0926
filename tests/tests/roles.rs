//! Work form 003, roles in a collaboration, played end to end in headless Chromium: the
//! facilitator picks the form in the gallery, a projector follows, four participants (one on a
//! phone) divide ten points over the three perspectives and say per role whether they take it
//! up now or want to, three of them publish their roles after the page told them the group will
//! see them; the role map on every screen shows who holds what, the uncovered and crowded roles
//! and the seed's advice for the core roles piled on one person; the balance appears once k
//! divided their points; the facilitator writes role agreements; the report holds the role map
//! and the agreements. Screenshots land in `target/screenshots/roles-*.png`.

use fantoccini::{Client, Locator};
use kring_e2e::{
    Driver, Room, button, click, field, frontend_dir, inner_text, room, screenshot, scroll_to,
    wait_for_text,
};
use kring_testkit::TestServer;

const PERSPECTIVES: [&str; 3] = ["De organisatie", "Het individu", "Het netwerk"];

/// Divides points with the "+" buttons, as a person would, and waits until the sheet says
/// how many are left.
async fn divide(c: &Client, points: [u32; 3]) {
    for (name, n) in PERSPECTIVES.iter().zip(points) {
        for i in 1..=n {
            click(
                c,
                Locator::XPath(&format!("//button[@aria-label='Punt erbij: {name}']")),
            )
            .await;
            wait_for_text(
                c,
                Locator::XPath(&format!("//output[@aria-label='Punten: {name}']")),
                &i.to_string(),
            )
            .await;
        }
    }
    let left = 10 - points.iter().sum::<u32>();
    wait_for_text(
        c,
        Locator::Css(".points-left"),
        &format!("Nog te verdelen: {left} / 10"),
    )
    .await;
}

/// Says something about roles (clicking the choice's label), by role id and the seed's words.
async fn claim(c: &Client, claims: &[(&str, &str)]) {
    for (role, choice) in claims {
        let xpath = format!(
            "//fieldset[contains(concat(' ', @class, ' '), ' {role} ')]//label[span[normalize-space(.)='{choice}']]"
        );
        click(c, Locator::XPath(&xpath)).await;
        c.wait()
            .for_element(Locator::XPath(&format!(
                "//fieldset[contains(concat(' ', @class, ' '), ' {role} ')]//label[contains(@class, 'chosen')][span[normalize-space(.)='{choice}']]"
            )))
            .await
            .unwrap();
    }
}

async fn publish(c: &Client) {
    let note = inner_text(c, ".role-sheet .group-will-see").await;
    assert!(note.contains("ziet de groep ze"), "{note}");
    click(c, Locator::XPath(&button("Deel mijn rollen met de groep"))).await;
    wait_for_text(
        c,
        Locator::Css(".publish-status"),
        "Je rollen zijn gedeeld met de groep.",
    )
    .await;
}

/// The role map's cell of a person (column) and a role (row): "●", "○" or "".
async fn cell(c: &Client, role: &str, column: usize) -> String {
    let xpath = format!(
        "//table[caption[normalize-space(.)='Rollenkaart']]//tr[th[@scope='row'][starts-with(normalize-space(.), '{role}')]]/td[{column}]"
    );
    c.wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn add_agreement(fac: &Client, role: &str, who: &str, from: &str) {
    let select = fac
        .wait()
        .for_element(Locator::XPath(
            "//label[starts-with(normalize-space(.), 'Rol')]//select",
        ))
        .await
        .unwrap();
    select.select_by_value(role).await.unwrap();
    let form = "//form[contains(@class, 'agreement-form')]";
    for (label, text) in [("Wie", who), ("Vanaf wanneer", from)] {
        fac.find(Locator::XPath(&format!(
            "{form}//label[starts-with(normalize-space(.), '{label}')]//input"
        )))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
    }
    click(fac, Locator::XPath(&button("Afspraak toevoegen"))).await;
    wait_for_text(fac, Locator::Css(".agreement-list"), who).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_in_a_collaboration_are_played_end_to_end() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let driver = Driver::start().await;
    let fac = driver.session(1280, 1000).await;

    // The gallery lists 003 with its steps; the facilitator picks it.
    fac.goto(&base).await.unwrap();
    let gallery = wait_for_text(
        &fac,
        Locator::Css(".gallery"),
        "Actoren in een samenwerking",
    )
    .await;
    assert!(
        gallery.contains("Stap 1: Perspectieven en rollen"),
        "{gallery}"
    );
    assert!(gallery.contains("Bouwstenen van resultaatgericht samenwerken"));
    click(
        &fac,
        Locator::XPath(&button("Kies: Actoren in een samenwerking")),
    )
    .await;
    fac.find(Locator::XPath(&field("Titel")))
        .await
        .unwrap()
        .send_keys("Rollen in ons netwerk")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Workshop aanmaken"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Rollen in ons netwerk").await;
    let plan = wait_for_text(
        &fac,
        Locator::Css(".plan"),
        "Minimum aantal antwoorden voor het evenwicht",
    )
    .await;
    assert!(plan.contains("Stap 2: De rollenkaart"), "{plan}");
    assert!(plan.contains("Stap 3: Rolafspraken"), "{plan}");
    assert!(!plan.contains("Individueel"), "000's question bank");
    let code = wait_for_text(&fac, Locator::Css(".big-code"), "").await;
    let code = code.trim().to_owned();
    screenshot(&fac, "roles-1-console-setup").await;

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

    // Step 1: privately, the perspectives and the roles.
    click(
        &fac,
        Locator::XPath(&button("Stap 1: Perspectieven en rollen")),
    )
    .await;
    wait_for_text(&phone, Locator::Css(".perspective-split"), "De organisatie").await;
    let sheet = inner_text(&phone, ".role-sheet").await;
    for text in [
        "Neemt het initiatief om het netwerk op te starten",
        "Taakgerichte cluster",
        "Op netwerkniveau",
        "Criticus",
        "Neem ik nu op",
        "Wil ik opnemen",
    ] {
        assert!(sheet.contains(text), "{text}: {sheet}");
    }
    divide(&phone, [5, 2, 3]).await;
    claim(
        &phone,
        &[
            ("initiator", "Neem ik nu op"),
            ("leader", "Neem ik nu op"),
            ("driver", "Neem ik nu op"),
            ("doer", "Neem ik nu op"),
        ],
    )
    .await;
    screenshot(&phone, "roles-2-phone-sheet").await;
    publish(&phone).await;
    divide(&others[0], [3, 3, 4]).await;
    claim(
        &others[0],
        &[
            ("doer", "Neem ik nu op"),
            ("spokesperson", "Neem ik nu op"),
            ("critic", "Wil ik opnemen"),
        ],
    )
    .await;
    publish(&others[0]).await;
    divide(&others[1], [6, 1, 3]).await;
    claim(
        &others[1],
        &[("doer", "Neem ik nu op"), ("supporter", "Neem ik nu op")],
    )
    .await;
    publish(&others[1]).await;
    screenshot(&others[1], "roles-3-sheet-published").await;
    // Dina divides only some points and keeps her roles to herself.
    divide(&others[2], [2, 2, 0]).await;
    claim(&others[2], &[("fundraiser", "Neem ik nu op")]).await;
    wait_for_text(
        &fac,
        Locator::Css(".rated"),
        "3 / 4 deelnemers hebben hun punten verdeeld",
    )
    .await;
    wait_for_text(&fac, Locator::Css(".rated"), "3 hebben hun rollen gedeeld").await;
    wait_for_text(&screen, Locator::Css(".rated"), "3 / 4").await;

    // Step 2: the role map on the projector and every device.
    click(&fac, Locator::XPath(&button("Stap 2: De rollenkaart"))).await;
    let advice = "Haal taken en rollen van trekker, leider en initiatiefnemer uit elkaar";
    for c in [&screen, &phone, &fac, &others[2]] {
        wait_for_text(c, Locator::Css(".role-map .advice"), advice).await;
        wait_for_text(c, Locator::Css(".balance .answered"), "3 antwoorden").await;
    }
    let map = inner_text(&screen, ".role-map").await;
    for text in ["An Peeters", "Bert Claes", "Chris Wouters"] {
        assert!(map.contains(text), "{text}: {map}");
    }
    assert!(!map.contains("Dina Maes"), "Dina did not publish: {map}");
    let crowded = inner_text(&screen, ".crowded-roles").await;
    assert!(crowded.contains("Uitvoerder"), "{crowded}");
    let uncovered = inner_text(&screen, ".uncovered-roles").await;
    assert!(
        uncovered.contains("Fondsenwerver"),
        "Dina's private claim does not cover it: {uncovered}"
    );
    assert!(!uncovered.contains("Initiatiefnemer"), "{uncovered}");
    assert_eq!(cell(&screen, "Initiatiefnemer", 1).await, "●");
    assert_eq!(cell(&screen, "Criticus", 2).await, "○");
    assert_eq!(cell(&screen, "Supporter", 3).await, "●");
    assert_eq!(cell(&screen, "Supporter", 1).await, "");
    let balance = inner_text(&screen, ".balance").await;
    assert!(balance.contains("De organisatie"), "{balance}");
    assert!(balance.contains("4.7"), "(5 + 3 + 6) / 3: {balance}");
    screenshot(&screen, "roles-4-screen-map").await;
    scroll_to(&screen, ".role-grid").await;
    screenshot(&screen, "roles-4b-screen-map-table").await;
    scroll_to(&phone, ".role-map").await;
    screenshot(&phone, "roles-5-phone-map").await;
    scroll_to(&phone, ".role-grid").await;
    screenshot(&phone, "roles-5b-phone-map-table").await;
    // Dina, who did not publish, can still do so here.
    let dina = inner_text(&others[2], "main").await;
    assert!(dina.contains("Deel mijn rollen met de groep"), "{dina}");

    // Step 3: the agreements, written by the facilitator with the group.
    click(&fac, Locator::XPath(&button("Stap 3: Rolafspraken"))).await;
    add_agreement(&fac, "leader", "Chris Wouters", "1 maart").await;
    add_agreement(&fac, "driver", "Bert Claes", "april").await;
    for c in [&screen, &phone] {
        wait_for_text(
            c,
            Locator::Css(".agreements"),
            "Leider: Chris Wouters, vanaf 1 maart",
        )
        .await;
        wait_for_text(c, Locator::Css(".agreements"), "Trekker: Bert Claes").await;
    }
    assert!(
        phone
            .find(Locator::XPath(&button("Afspraak toevoegen")))
            .await
            .is_err(),
        "only the facilitator writes agreements"
    );
    scroll_to(&screen, ".agreements").await;
    screenshot(&screen, "roles-6-screen-agreements").await;
    scroll_to(&phone, ".agreements").await;
    screenshot(&phone, "roles-7-phone-agreements").await;
    scroll_to(&fac, ".agreements").await;
    screenshot(&fac, "roles-8-console-agreements").await;

    // Close, then the report: the role map (SVG) and the agreements.
    click(&fac, Locator::XPath(&button("Afgesloten"))).await;
    wait_for_text(&phone, Locator::Css(".step-card"), "Afgesloten").await;
    let console_url = fac.current_url().await.unwrap();
    let fac_token = console_url.fragment().unwrap_or_default().to_owned();
    fac.goto(&format!("{base}/report#{fac_token}"))
        .await
        .unwrap();
    let report = wait_for_text(&fac, Locator::Css(".report-agreements"), "Chris Wouters").await;
    assert!(report.contains("Leider"), "{report}");
    fac.wait()
        .for_element(Locator::Css(".flip-chart img"))
        .await
        .unwrap();
    let roles = inner_text(&fac, ".report-roles").await;
    assert!(roles.contains("Uitvoerder"), "{roles}");
    assert!(roles.contains("CLB"), "by organisation by default: {roles}");
    screenshot(&fac, "roles-9-report").await;

    for c in [fac, screen, phone] {
        c.close().await.unwrap();
    }
    for c in others {
        c.close().await.unwrap();
    }
    server.stop().await;
}
