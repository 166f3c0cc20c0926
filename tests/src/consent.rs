//! Steps of the consent forms (001, 002) as a person takes them in the browser: writing a card
//! on a canvas field, the facilitator's curation block and proposal item, answering a consent
//! round, setting a date, typing into a form.

use fantoccini::{Client, Locator};

use crate::{button, click, wait_for_text};

/// Writes a card on a field of the canvas.
pub async fn add_card(c: &Client, field: &str, text: &str) {
    let form = "//form[contains(@class, 'canvas-add')]";
    c.wait()
        .for_element(Locator::XPath(&format!("{form}//select")))
        .await
        .unwrap()
        .select_by_value(field)
        .await
        .unwrap();
    c.find(Locator::XPath(&format!("{form}//input")))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
    click(c, Locator::XPath(&button("Kaart toevoegen"))).await;
    wait_for_text(c, Locator::Css(".canvas"), text).await;
}

/// The facilitator's curation block of the card with `text`.
pub fn curation(text: &str) -> String {
    format!(
        "//div[contains(@class, 'canvas-card')][p[contains(@class, 'card-text')][normalize-space(.)='{text}']]//div[contains(@class, 'curation')]"
    )
}

/// The console's item of a proposal (its aria-label is its text).
pub fn proposal(text: &str) -> String {
    format!("//li[contains(@class, 'proposal-item')][@aria-label=\"{text}\"]")
}

/// A participant answers the round that runs now.
pub async fn answer(c: &Client, answer: &str, reason: &str) {
    wait_for_text(c, Locator::Css(".consent"), "Instemmingsronde").await;
    if !reason.is_empty() {
        c.find(Locator::XPath(
            "//section[contains(@class, 'consent')]//textarea",
        ))
        .await
        .unwrap()
        .send_keys(reason)
        .await
        .unwrap();
    }
    click(
        c,
        Locator::XPath(&format!(
            "//section[contains(@class, 'consent')]//button[normalize-space(.)='{answer}']"
        )),
    )
    .await;
    wait_for_text(c, Locator::Css(".consent [role=status]"), answer).await;
}

/// Sets a date input as a person's browser ends up with it (typing depends on the locale).
pub async fn set_date(c: &Client, input: &fantoccini::elements::Element, date: &str) {
    c.execute(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::to_value(input).unwrap(), serde_json::json!(date)],
    )
    .await
    .unwrap();
}

/// Types into the first text input of the form with class `form`.
pub async fn type_into_form(c: &Client, form: &str, text: &str) {
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//form[contains(@class, '{form}')]//input[@type='text']"
        )))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}
