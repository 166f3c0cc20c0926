//! The plenary table (step 3): every duo's insight cards and the participants' short cards, laid
//! in the flip chart's clusters — the three level clusters, echoing the rings, and the
//! facilitator's own. Facilitators drag cards (pointer) or move them with the keyboard path; every
//! screen sees a dragged card move live and who holds it. Participants and the projector read.
//!
//! Layout: this file holds `TableBoard`, which puts the parts together, and what they share
//! (`Board`, `place`, the cards this browser knows). [`drag`]: `use_card_drag`, the pointer drag
//! and its ephemerals. [`cluster`]: a cluster and the stacks in it. [`card`]: a card, a stack,
//! cards in flight. [`keys`]: a card's keyboard path. [`editor`]: the facilitator's own clusters.

mod card;
mod cluster;
mod drag;
mod editor;
mod keys;

use kring_shared::method::LevelId;
use kring_shared::plenary::{self, Card, Source};
use kring_shared::schema::table::{self, Cluster, Labels, TableView};
use kring_shared::schema::voice::CardKind;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use self::card::Ghosts;
use self::cluster::{ClusterCards, ClusterSection};
use self::drag::{UseCardDragOptions, UseCardDragReturn, use_card_drag};
use self::editor::ClusterEditor;
use crate::i18n::{Lang, Text, t};
use crate::session::UseWorkshopReturn;
use crate::widgets::level_name;

/// The rooms (by duo) and voices (by participant) this browser has open.
pub fn sources(session: UseWorkshopReturn) -> (plenary::Rooms, plenary::Voices) {
    let ws = session.workshop.get();
    let rooms = session.rooms.get();
    let voices = session.voices.get();
    let duos = ws
        .duos
        .iter()
        .filter_map(|d| Some((d.id, rooms.get(&d.doc?)?.clone())))
        .collect();
    let vs = ws
        .roster
        .iter()
        .filter_map(|r| Some((r.id, voices.get(&r.voice?)?.clone())))
        .collect();
    (duos, vs)
}

/// Every card on the table, as this browser knows them.
pub fn all_cards(session: UseWorkshopReturn) -> Vec<Card> {
    let (duos, voices) = sources(session);
    plenary::cards(&duos, &voices)
}

fn cluster_title(c: &Cluster, lang: Lang) -> String {
    match c.level {
        Some(l) if c.title.trim().is_empty() => level_name(l, lang).to_owned(),
        _ => c.title.clone(),
    }
}

/// How a card says where it comes from: the duo (as the facilitator chose) or the kind.
fn card_origin(session: UseWorkshopReturn, table: &TableView, card: &Card, lang: Lang) -> String {
    match &card.source {
        Source::Insight { duo } => {
            let ws = session.workshop.get();
            plenary::duo_title(&ws, *duo, table.labels, t(lang, Text::Duo))
        }
        Source::Voice {
            kind: CardKind::Needed,
            ..
        } => t(lang, Text::NeededShort).to_owned(),
        Source::Voice { .. } => t(lang, Text::ChanceShort).to_owned(),
    }
}

/// Lays `card` in `cluster` (at its end, on `stack` if given), or back on the table when
/// `cluster` is `None`: what a drop and the keyboard path both do.
pub(crate) fn place(
    session: UseWorkshopReturn,
    card: String,
    cluster: Option<String>,
    stack: Option<String>,
) {
    let Some(doc) = session.workshop.get().table else {
        return;
    };
    let current = session.table.get().unwrap_or_default();
    session.change_document(doc, move |tx| match cluster {
        Some(c) => {
            let order = current.next_order(&c);
            table::place_card(tx, &card, &c, order, stack.as_deref())
        }
        None => table::unplace_card(tx, &card),
    });
}

/// What every part of the table reads, handed down as one prop.
#[derive(Clone, Copy)]
pub struct Board {
    /// The workshop whose table this is.
    pub session: UseWorkshopReturn,
    /// The interface language.
    pub lang: Signal<Lang>,
    /// Facilitators move cards; everyone else reads.
    pub editable: bool,
    /// This hand's drag and its handlers.
    pub drag: UseCardDragReturn,
    /// Every card on the table, as this browser knows them.
    pub cards: Memo<Vec<Card>>,
}

/// The table. `editable` for facilitators.
#[component]
pub fn TableBoard(
    /// The workshop whose table this is.
    session: UseWorkshopReturn,
    /// The interface language.
    lang: Signal<Lang>,
    /// Facilitators drag and move cards and edit clusters; participants and the screen read.
    editable: bool,
    /// A facilitator's short name, shown on the cards they hold.
    #[prop(into)]
    me: Signal<String>,
) -> impl IntoView {
    let board_ref = NodeRef::<leptos::html::Div>::new();
    let drag = use_card_drag(session, board_ref, UseCardDragOptions { me, editable });
    let table_doc = move || session.workshop.get().table;
    let tbl = move || session.table.get().unwrap_or_default();
    let cards = Memo::new(move |_| all_cards(session));
    let board = Board {
        session,
        lang,
        editable,
        drag,
        cards,
    };
    let sort = move |_| {
        let Some(doc) = table_doc() else { return };
        let moves = plenary::sort_by_level(&tbl(), &cards.get_untracked());
        session.change_document(doc, move |tx| {
            for (card, cluster, order) in &moves {
                table::place_card(tx, card, cluster, *order, None)?;
            }
            Ok(())
        });
    };

    view! {
        <section class="table-wrap" aria-labelledby="table-heading">
            <div class="table-head">
                <h2 id="table-heading">{move || t(lang.get(), Text::TheTable)}</h2>
                {editable.then(|| view! {
                    <div class="table-tools">
                        <button type="button" on:click=sort>{move || t(lang.get(), Text::SortByLevel)}</button>
                        <label>{move || t(lang.get(), Text::CardsShow)} " "
                            <select prop:value=move || tbl().labels.as_str() on:change=move |ev| {
                                let Some(v) = Labels::parse(&event_target_value(&ev)) else { return };
                                if let Some(doc) = table_doc() {
                                    session.change_document(doc, move |tx| table::set_labels(tx, v));
                                }
                            }>
                                <option value=Labels::Organisations.as_str()>{move || t(lang.get(), Text::LabelOrganisations)}</option>
                                <option value=Labels::Names.as_str()>{move || t(lang.get(), Text::LabelNames)}</option>
                                <option value=Labels::Anonymous.as_str()>{move || t(lang.get(), Text::LabelAnonymous)}</option>
                            </select>
                        </label>
                    </div>
                })}
            </div>
            <div class="table-board" class:editable=editable node_ref=board_ref
                on:pointermove=move |ev| drag.on_move(ev) on:pointerup=move |ev| drag.on_up(ev)
                on:pointercancel=move |_| drag.cancel()>
                <div class="clusters">
                    <For each=move || tbl().clusters key=|c| (c.id.clone(), c.title.clone(), c.color.clone()) let:cl>
                        <ClusterSection board cluster=cl/>
                    </For>
                </div>
                <section class="unsorted" data-cluster-none="">
                    <h3>{move || t(lang.get(), Text::OnTheTable)}</h3>
                    <div class="cluster-cards"><ClusterCards board cluster=None/></div>
                </section>
                <Ghosts board/>
            </div>
            {editable.then(|| view! { <ClusterEditor session lang/> })}
        </section>
    }
}

/// The three rings with one of them drawn strong: which level a cluster is.
#[component]
pub fn LevelMark(
    /// The level whose ring is drawn strong.
    level: LevelId,
) -> impl IntoView {
    let class = |l: LevelId| {
        if l == level {
            format!("ring {} on", l.as_str())
        } else {
            format!("ring {}", l.as_str())
        }
    };
    view! {
        <svg class="level-mark" viewBox="0 0 40 40" aria-hidden="true">
            <circle cx="20" cy="20" r="18" class=class(LevelId::Collective)/>
            <circle cx="20" cy="20" r="12" class=class(LevelId::Collegial)/>
            <circle cx="20" cy="20" r="6" class=class(LevelId::Individual)/>
        </svg>
    }
}

/// Whether an element is (inside) a form control, so a drag does not start from a select.
pub fn is_control(ev: &web_sys::PointerEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| {
            e.closest("select, input, button, textarea, label")
                .ok()
                .flatten()
        })
        .is_some()
}
