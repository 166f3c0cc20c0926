//! The app in real headless Chromium, two browser sessions at once: a facilitator creates a
//! workshop, a participant joins by its link, each sees the other live; a reload keeps the
//! participant's identity; leaving shows as offline on the console.

use fantoccini::Locator;
use kring_e2e::{
    Driver, button, click, field, fill_join_form, frontend_dir, screenshot, wait_for_text,
};
use kring_testkit::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn a_facilitator_and_a_participant_see_each_other_live() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let driver = Driver::start().await;
    let fac = driver.session(1280, 800).await;
    let part = driver.session(390, 844).await;

    // The facilitator creates a workshop from the home page.
    fac.goto(&server.http()).await.unwrap();
    fac.wait()
        .for_element(Locator::XPath(&field("Titel")))
        .await
        .unwrap()
        .send_keys("Gedeelde verantwoordelijkheid")
        .await
        .unwrap();
    click(&fac, Locator::XPath(&button("Workshop aanmaken"))).await;
    wait_for_text(&fac, Locator::Css("h1"), "Gedeelde verantwoordelijkheid").await;
    let code = fac
        .find(Locator::XPath("//*[@aria-label='Deelnamecode']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.trim().len(), 6, "join code {code:?}");
    wait_for_text(&fac, Locator::Css(".roster"), "Nog niemand").await;

    // The participant opens the join link on a phone-sized screen.
    part.goto(&format!("{}/join/{}", server.http(), code.trim()))
        .await
        .unwrap();
    fill_join_form(&part, "An Peeters", "OCMW Gent").await;

    // Each sees the other live: the console lists An as online.
    wait_for_text(&fac, Locator::Css(".roster li"), "An Peeters").await;
    wait_for_text(&fac, Locator::Css(".roster li.online"), "online").await;
    wait_for_text(&part, Locator::Css(".roster"), "OCMW Gent").await;
    screenshot(&fac, "foundation-facilitator").await;
    screenshot(&part, "foundation-participant-phone").await;

    // A reload brings back the same person, not a duplicate.
    part.refresh().await.unwrap();
    wait_for_text(&part, Locator::Css("main"), "Welkom, An Peeters").await;
    let count = wait_for_text(&fac, Locator::Css(".roster .count"), "1").await;
    assert_eq!(count.trim(), "1");

    // Leaving shows as offline on the console.
    part.close().await.unwrap();
    wait_for_text(&fac, Locator::Css(".roster li"), "offline").await;
    screenshot(&fac, "foundation-facilitator-after-leave").await;
    fac.close().await.unwrap();
    server.stop().await;
}
