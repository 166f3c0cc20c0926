//! A card on the plenary table: its text, level tag, origin and who holds it (`TableCard`), a
//! card with the cards stacked on it (`CardStack`), and cards in flight at their place on the
//! board, this hand's and other hands' (`Ghosts`).

use kring_shared::plenary::Card;
use leptos::prelude::*;

use super::Board;
use super::drag::my_hand;
use super::keys::CardKeys;
use crate::i18n::{Text, t};
use crate::widgets::level_name;

/// One card: its text, level tag, origin; for facilitators the keyboard path.
#[component]
pub fn TableCard(
    /// The table it lies on.
    board: Board,
    /// The card.
    card: Card,
    /// How it says where it comes from (computed where the stack is laid out, which tracks the
    /// language and the workshop; a component body does not track).
    origin: String,
    /// How many cards lie on it (0 for a card that lies on another).
    stacked: usize,
) -> impl IntoView {
    let Board {
        session,
        lang,
        editable,
        drag,
        ..
    } = board;
    let c = card;
    let key = c.key.clone();
    let key_down = key.clone();
    let key_hold = key.clone();
    let key_lift = key.clone();
    let level = c.level;
    let held_by = Signal::derive(move || {
        session
            .holds
            .with(|h| h.holder(&key_hold, &my_hand()).map(|d| d.by.clone()))
    });
    let lifted = move || {
        drag.dragging
            .with(|d| d.as_ref().is_some_and(|d| d.moved && d.card == key_lift))
            || held_by.with(Option::is_some)
    };
    let text = c.text.clone();
    view! {
        <article class=format!("tcard {}", level.map(|l| l.as_str()).unwrap_or("voice"))
            class:shared=c.shared class:lifted=lifted
            data-card=key.clone()
            on:pointerdown=move |ev| drag.start(ev, key_down.clone())>
            <p class="tcard-text">{text}</p>
            <p class="tcard-meta">
                {level.map(|l| view! { <span class=format!("tag {}", l.as_str())>{move || level_name(l, lang.get())}</span> })}
                <span class="origin">{origin}</span>
                {c.shared.then(|| view! { <span class="star" title=move || t(lang.get(), Text::SharedInRound)>"★"</span> })}
                {(stacked > 0).then(|| view! { <span class="stack-count">"+" {stacked}</span> })}
            </p>
            {move || held_by.get().map(|by| view! { <p class="held">{t(lang.get(), Text::HeldBy)} " " {by}</p> })}
            {editable.then(|| view! { <CardKeys board card_key=key.clone()/> })}
        </article>
    }
}

/// A card and the cards stacked on it (they say the same thing), each with its origin.
#[component]
pub fn CardStack(
    /// The table it lies on.
    board: Board,
    /// The card at the bottom, and its origin.
    base: (Card, String),
    /// The cards on it, in their order, with their origins.
    on_it: Vec<(Card, String)>,
) -> impl IntoView {
    let n = on_it.len();
    let (base, base_origin) = base;
    view! {
        <div class="stack" class:grouped={n > 0}>
            <TableCard board card=base origin=base_origin stacked=n/>
            {on_it.into_iter().map(|(c, origin)| view! { <TableCard board card=c origin stacked=0/> }).collect_view()}
        </div>
    }
}

/// Cards in flight: this hand's and other hands', at their place on the table.
#[component]
pub fn Ghosts(
    /// The table they fly over.
    board: Board,
) -> impl IntoView {
    let Board {
        session,
        lang,
        drag,
        cards,
        ..
    } = board;
    move || {
        let all = cards.get();
        let mut out: Vec<(String, f64, f64, Option<String>)> = session.holds.with(|h| {
            h.iter()
                .filter(|d| d.hand != my_hand())
                .map(|d| (d.card.clone(), d.x, d.y, Some(d.by.clone())))
                .collect()
        });
        if let Some(d) = drag.dragging.get().filter(|d| d.moved) {
            out.push((d.card, d.x, d.y, None));
        }
        out.into_iter()
            .filter_map(|(key, x, y, by)| {
                let c = all.iter().find(|c| c.key == key)?;
                let level = c.level.map(|l| l.as_str()).unwrap_or("voice");
                let remote = by.is_some();
                Some(view! {
                    <div class=format!("tcard ghost {level}") class:remote=remote
                        style=format!("left: {:.3}%; top: {:.3}%;", x * 100.0, y * 100.0)>
                        <p class="tcard-text">{c.text.clone()}</p>
                        {by.map(|b| view! { <p class="held">{t(lang.get(), Text::HeldBy)} " " {b}</p> })}
                    </div>
                })
            })
            .collect_view()
    }
}
