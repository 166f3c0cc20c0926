//! The keyboard path of a card on the plenary table: a select to move it to a cluster (or back
//! onto the table) and, when other cards lie in its cluster, a select to stack it on one. The
//! same moves as dragging, for facilitators without a pointer.

use leptos::prelude::*;

use super::{Board, cluster_title, place};
use crate::i18n::{Text, t};

/// Moving and stacking one card without a pointer.
#[component]
pub fn CardKeys(
    /// The table the card lies on.
    board: Board,
    /// The card's key in the table document.
    card_key: String,
) -> impl IntoView {
    let Board {
        session,
        lang,
        cards,
        ..
    } = board;
    let tbl = move || session.table.get().unwrap_or_default();
    let key = card_key;
    let key_sel = key.clone();
    let key_stack = key.clone();
    let current_cluster = {
        let k = key.clone();
        move || {
            tbl()
                .cards
                .get(&k)
                .map(|p| p.cluster.clone())
                .unwrap_or_default()
        }
    };
    let stack_options = {
        let k = key.clone();
        move || {
            let t = tbl();
            let Some(mine) = t.cards.get(&k).cloned() else {
                return vec![];
            };
            let all = cards.get();
            t.cards
                .iter()
                .filter(|(other, p)| **other != k && p.cluster == mine.cluster && p.stack.is_none())
                .filter_map(|(other, _)| {
                    all.iter()
                        .find(|c| &c.key == other)
                        .map(|c| (other.clone(), c.text.chars().take(40).collect::<String>()))
                })
                .collect::<Vec<_>>()
        }
    };
    view! {
        <div class="tcard-keys">
            <label>
                <span class="sr-only">{move || t(lang.get(), Text::MoveCardTo)}</span>
                <select aria-label=move || t(lang.get(), Text::MoveCardTo)
                    prop:value=current_cluster.clone()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        place(session, key_sel.clone(), (!v.is_empty()).then_some(v), None);
                    }>
                    <option value="">{move || t(lang.get(), Text::OnTheTable)}</option>
                    {move || tbl().clusters.into_iter().map(|cl| {
                        let title = cluster_title(&cl, lang.get());
                        view! { <option value=cl.id.clone()>{title}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Show when={
                let s = stack_options.clone();
                move || !s().is_empty()
            }>
                <select aria-label=move || t(lang.get(), Text::StackOn)
                    on:change={
                        let k = key_stack.clone();
                        let cc = current_cluster.clone();
                        move |ev| {
                            let v = event_target_value(&ev);
                            let cl = cc();
                            if !cl.is_empty() {
                                place(session, k.clone(), Some(cl), (!v.is_empty()).then_some(v));
                            }
                        }
                    }>
                    <option value="">{move || t(lang.get(), Text::StackOn)}</option>
                    {
                        let s = stack_options.clone();
                        move || s().into_iter().map(|(k, label)| view! { <option value=k>{label}</option> }).collect_view()
                    }
                </select>
            </Show>
        </div>
    }
}
