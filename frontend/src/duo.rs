//! Step 2 for a participant: the duo room — who the partner is, the duo's own speaking-turn
//! clock (person A, person B, then joint reflection; three turns for a trio), the seed's prompts,
//! key-insight cards that both can edit at once, the insight to share, the call link for remote
//! duos, and both sheets: the partner's read-only, one's own still editable.
//!
//! Work form 004 reuses the room (clock, cards, call link) for its optional duos on the weakest
//! building blocks ([`BlocksDuoRoom`]): there a card names a block instead of a level, and there
//! are no sheets to read.

use kring_shared::forms::blocks;
use kring_shared::ids::ParticipantId;
use kring_shared::method::LevelId;
use kring_shared::schema::duo::{self, Insight, Turn, TurnClock, Zone};
use kring_shared::schema::workshop::DuoEntry;
use kring_shared::step::Step;
use kring_shared::timer::format_remaining;
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::reflection::{ReadOnlySheet, ReflectionBoard};
use crate::session::{Extra, UseWorkshopReturn};
use crate::widgets::zone_name;

/// The participant's own duo, if the facilitator has formed it.
fn my_duo(session: UseWorkshopReturn) -> Option<DuoEntry> {
    let me: ParticipantId = session.me.get()?.participant_id?;
    session
        .workshop
        .get()
        .duos
        .into_iter()
        .find(|d| d.members.contains(&me))
}

/// A person's name and organisation, as on the roster.
pub fn who(session: UseWorkshopReturn, id: ParticipantId) -> String {
    session
        .workshop
        .get()
        .roster
        .into_iter()
        .find(|r| r.id == id)
        .map(|r| {
            if r.organisation.is_empty() {
                r.name
            } else {
                format!("{} ({})", r.name, r.organisation)
            }
        })
        .unwrap_or_default()
}

/// Step 2 for a participant.
#[component]
pub fn DuoStep(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    // Open the room and the partners' sheets as soon as they exist.
    Effect::new(move |_| {
        let Some(duo) = my_duo(session) else { return };
        if let Some(doc) = duo.doc {
            session.open_document(doc, Extra::Room);
        }
        let me = session.me.get().and_then(|m| m.participant_id);
        let open_sheets = matches!(
            session.workshop.get().step,
            Some(Step::Duos | Step::Plenary)
        );
        for r in session.workshop.get().roster {
            if open_sheets
                && duo.members.contains(&r.id)
                && Some(r.id) != me
                && let Some(doc) = r.reflection
            {
                session.open_document(doc, Extra::PartnerSheet);
            }
        }
    });
    let marks_on = Signal::derive(move || session.workshop.get().plan.extra_marks);
    let zones = Signal::derive(|| LevelId::ALL.map(Zone::Level).to_vec());
    move || {
        match my_duo(session) {
        None => view! {
            <section class="card"><p role="status">{move || t(lang.get(), Text::NoDuoYet)}</p></section>
            <ReflectionBoard session lang/>
        }
        .into_any(),
        Some(duo) => {
            let me = session.me.get().and_then(|m| m.participant_id);
            let partners: Vec<ParticipantId> = duo.members.iter().copied().filter(|p| Some(*p) != me).collect();
            let names = partners.iter().map(|p| who(session, *p)).collect::<Vec<_>>().join(", ");
            let room = duo.doc;
            view! {
                <section class="card duo-head">
                    <h2>{move || t(lang.get(), Text::YourDuo)} ": " {names}</h2>
                    {room.map(|doc| view! {
                        <TurnPanel session lang doc members=duo.members.clone()/>
                        <Prompts lang/>
                        <CallLink session lang doc/>
                    })}
                </section>
                {room.map(|doc| view! { <InsightCards session lang doc zones/> })}
                <div class="sheets">
                    {partners.into_iter().map(|p| {
                        let sheet_doc = session.workshop.get().roster.into_iter().find(|r| r.id == p).and_then(|r| r.reflection);
                        let notes = Signal::derive(move || sheet_doc.and_then(|d| session.partner_notes.get().get(&d).cloned()).unwrap_or_default());
                        view! {
                            <details class="card sheet" open>
                                <summary>{move || t(lang.get(), Text::PartnerSheet)} " " {who(session, p)}</summary>
                                <ReadOnlySheet notes lang marks_on/>
                            </details>
                        }
                    }).collect_view()}
                    <details class="card sheet mine" open>
                        <summary>{move || t(lang.get(), Text::MySheet)}</summary>
                        <ReflectionBoard session lang/>
                    </details>
                </div>
            }
            .into_any()
        }
    }
    }
}

/// 004's step 2 for a participant in a duo, under the group profile: the room with its clock,
/// a prompt naming the weakest blocks, the call link and cards tied to a block (weakest first in
/// the picker). Nothing for a participant in no duo: duos are optional in 004.
#[component]
pub fn BlocksDuoRoom(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    // Re-rendered only when the own duo changes, not with every change of the workshop document
    // (a card being typed in keeps its focus).
    let duo = Memo::new(move |_| my_duo(session));
    Effect::new(move |_| {
        if let Some(doc) = duo.get().and_then(|d| d.doc) {
            session.open_document(doc, Extra::Room);
        }
    });
    let zones = Signal::derive(move || {
        blocks::zone_order(session.workshop.get().profile.as_ref())
            .into_iter()
            .map(Zone::Block)
            .collect::<Vec<_>>()
    });
    move || {
        duo.get().map(|duo| {
            let me = session.me.get_untracked().and_then(|m| m.participant_id);
            let names = duo
                .members
                .iter()
                .filter(|p| Some(**p) != me)
                .map(|p| who(session, *p))
                .collect::<Vec<_>>()
                .join(", ");
            let room = duo.doc;
            view! {
                <section class="card duo-head blocks-duo" aria-label=move || t(lang.get(), Text::YourDuo)>
                    <h2>{move || t(lang.get(), Text::YourDuo)} ": " {names}</h2>
                    {room.map(|doc| view! {
                        <TurnPanel session lang doc members=duo.members.clone()/>
                        <BlocksPrompt session lang/>
                        <CallLink session lang doc/>
                    })}
                </section>
                {room.map(|doc| view! { <InsightCards session lang doc zones/> })}
            }
        })
    }
}

/// What a 004 duo talks about: the weakest blocks of the profile.
#[component]
fn BlocksPrompt(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let weakest = move || crate::blocks::weakest_topics(session, lang.get());
    view! {
        <div class="prompts">
            <h3>{move || t(lang.get(), Text::Prompts)}</h3>
            <ul>
                <li>{move || t(lang.get(), Text::DuoBlocksPrompt)}</li>
                {move || (!weakest().is_empty()).then(|| view! {
                    <li>{t(lang.get(), Text::SuggestedTopics)} " " {weakest()}</li>
                })}
                <li>{move || t(lang.get(), Text::PromptTakeAway)}</li>
            </ul>
        </div>
    }
}

/// The duo's own clock: whose turn it is and how long is left; start, pause, next turn.
#[component]
fn TurnPanel(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    doc: kring_shared::ids::DocumentId,
    members: Vec<ParticipantId>,
) -> impl IntoView {
    let now = RwSignal::new(session.server_now());
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(session.server_now()),
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || handle.clear());
    }
    let clock = move || {
        session
            .rooms
            .get()
            .get(&doc)
            .map(|v| v.clock)
            .unwrap_or_default()
    };
    let n = members.len();
    let minutes = move || session.workshop.get().plan.minutes;
    let turn = move || {
        let m = minutes();
        clock().turn_at(now.get() as i64, n, m.turn, m.joint)
    };
    let members_for_label = members.clone();
    let label = move || match turn() {
        Turn::NotStarted => t(lang.get(), Text::NotStarted).to_owned(),
        Turn::Speaking {
            index,
            remaining_ms,
        } => format!(
            "{}: {} — {}",
            t(lang.get(), Text::Speaking),
            members_for_label
                .get(index)
                .map(|p| who(session, *p))
                .unwrap_or_default(),
            format_remaining(remaining_ms)
        ),
        Turn::Joint { remaining_ms } => format!(
            "{} — {}",
            t(lang.get(), Text::Together),
            format_remaining(remaining_ms)
        ),
        Turn::Done => t(lang.get(), Text::TurnsDone).to_owned(),
    };
    // Announce only when the turn changes, not every second.
    let stage = Memo::new(move |_| match turn() {
        Turn::NotStarted => 0usize,
        Turn::Speaking { index, .. } => 1 + index,
        Turn::Joint { .. } => 100,
        Turn::Done => 200,
    });
    let members_for_stage = members.clone();
    let announcement = move || match stage.get() {
        0 => String::new(),
        100 => t(lang.get(), Text::Together).to_owned(),
        200 => t(lang.get(), Text::TurnsDone).to_owned(),
        i => format!(
            "{}: {}",
            t(lang.get(), Text::Speaking),
            members_for_stage
                .get(i - 1)
                .map(|p| who(session, *p))
                .unwrap_or_default()
        ),
    };
    let set = move |c: TurnClock| session.change_document(doc, |tx| duo::set_clock(tx, &c));
    view! {
        <div class="turns" class:running=move || clock().is_running() aria-labelledby="turns-heading">
            <h3 id="turns-heading">{move || t(lang.get(), Text::Turns)}</h3>
            <p class="turn-now" data-stage=move || stage.get().to_string()>{label}</p>
            <p class="sr-only" role="status" aria-live="assertive">{announcement}</p>
            <div class="buttons">
                {move || {
                    let c = clock();
                    let now_ms = session.server_now() as i64;
                    if c.started_at.is_none() {
                        view! { <button type="button" class="primary" on:click=move |_| set(TurnClock::start(session.server_now() as i64))>{move || t(lang.get(), Text::Start)}</button> }.into_any()
                    } else if c.is_running() {
                        view! { <button type="button" on:click=move |_| set(c.pause(session.server_now() as i64))>{move || t(lang.get(), Text::Pause)}</button> }.into_any()
                    } else {
                        let _ = now_ms;
                        view! { <button type="button" on:click=move |_| set(c.resume(session.server_now() as i64))>{move || t(lang.get(), Text::Resume)}</button> }.into_any()
                    }
                }}
                <button type="button" disabled=move || clock().started_at.is_none() on:click=move |_| {
                    let m = minutes();
                    set(clock().skip(session.server_now() as i64, n, m.turn, m.joint));
                }>{move || t(lang.get(), Text::NextTurn)}</button>
            </div>
        </div>
    }
}

/// The seed's questions for the joint part.
#[component]
fn Prompts(lang: Signal<Lang>) -> impl IntoView {
    view! {
        <div class="prompts">
            <h3>{move || t(lang.get(), Text::Prompts)}</h3>
            <ul>
                <li>{move || t(lang.get(), Text::PromptDifferences)}</li>
                <li>{move || t(lang.get(), Text::PromptTakeAway)}</li>
                <li>{move || t(lang.get(), Text::PromptEnergy)}</li>
            </ul>
        </div>
    }
}

/// The link of the duo's call, for remote duos.
#[component]
fn CallLink(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    doc: kring_shared::ids::DocumentId,
) -> impl IntoView {
    let link = move || {
        session
            .rooms
            .get()
            .get(&doc)
            .and_then(|v| v.call_link.clone())
    };
    view! {
        <div class="call-link">
            <label>{move || t(lang.get(), Text::CallLink)}
                <input type="url" placeholder="https://" prop:value=move || link().unwrap_or_default()
                    on:change=move |ev| {
                        let v = event_target_value(&ev).trim().to_owned();
                        if v.is_empty() || v.starts_with("https://") || v.starts_with("http://") {
                            session.change_document(doc, |tx| duo::set_call_link(tx, &v));
                        }
                    }/>
            </label>
            {move || link().map(|l| view! { <a href=l.clone() target="_blank" rel="noopener noreferrer">{move || t(lang.get(), Text::OpenCall)}</a> })}
        </div>
    }
}

/// The duo's key-insight cards.
#[component]
pub fn InsightCards(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    doc: kring_shared::ids::DocumentId,
    /// The zones a card may be tied to, in the picker's order; a new card takes the first
    /// (000: the three levels; 004: the blocks, weakest first).
    zones: Signal<Vec<Zone>>,
) -> impl IntoView {
    let view_of = move || session.rooms.get().get(&doc).cloned().unwrap_or_default();
    let ids = move || {
        view_of()
            .insights
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    let focus = RwSignal::new(None::<String>);
    let add = move |_| {
        let zone = zones
            .get_untracked()
            .first()
            .copied()
            .unwrap_or(Zone::Level(LevelId::Individual));
        let i = Insight {
            id: format!("k-{}", kring_shared::ids::DocumentId::random()),
            text: String::new(),
            zone,
        };
        session.change_document(doc, |tx| duo::put_insight(tx, &i));
        focus.set(Some(i.id));
    };
    view! {
        <section class="card insights" aria-labelledby="insights-heading">
            <h2 id="insights-heading">{move || t(lang.get(), Text::Insights)}</h2>
            <For each=ids key=|id| id.clone() let:id>
                <InsightCard session lang doc id focus zones/>
            </For>
            <button type="button" class="add-note" on:click=add>{move || t(lang.get(), Text::NewInsight)}</button>
        </section>
    }
}

#[component]
fn InsightCard(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    doc: kring_shared::ids::DocumentId,
    id: String,
    focus: RwSignal<Option<String>>,
    zones: Signal<Vec<Zone>>,
) -> impl IntoView {
    let id_card = id.clone();
    let card = Memo::new(move |_| {
        session
            .rooms
            .get()
            .get(&doc)
            .and_then(|v| v.insights.iter().find(|i| i.id == id_card).cloned())
    });
    let id_share = id.clone();
    let shared = move || {
        session
            .rooms
            .get()
            .get(&doc)
            .and_then(|v| v.share.clone())
            .as_deref()
            == Some(id_share.as_str())
    };
    let text_ref = NodeRef::<leptos::html::Textarea>::new();
    let id_focus = id.clone();
    Effect::new(move |_| {
        if focus.get().as_deref() == Some(id_focus.as_str())
            && let Some(el) = text_ref.get()
        {
            let _ = el.focus();
            focus.set(None);
        }
    });
    let (id_text, id_level, id_pick, id_del) = (id.clone(), id.clone(), id.clone(), id.clone());
    let fallback = move || {
        zones
            .get()
            .first()
            .copied()
            .unwrap_or(Zone::Level(LevelId::Individual))
    };
    let zone = move || card.get().map(|c| c.zone).unwrap_or_else(fallback);
    // 000's cards name a level and one of them is shared in the round; 004's name a block and
    // have no round to be shared in.
    let by_level = move || fallback().level().is_some();
    let shared2 = shared.clone();
    view! {
        <article class=move || format!("insight-card {}", zone().as_str()) class:shared=shared>
            <textarea node_ref=text_ref rows="2" maxlength=duo::MAX_INSIGHT_TEXT
                aria-label=move || format!("{} ({})", t(lang.get(), Text::InsightField), zone_name(zone(), lang.get()))
                prop:value=move || card.get().map(|c| c.text).unwrap_or_default()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    session.change_document(doc, |tx| duo::set_insight_text(tx, &id_text, &text));
                }></textarea>
            <div class="note-tools">
                <label>{move || t(lang.get(), if by_level() { Text::Level } else { Text::Block })}
                    <select on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(z) = zones.get_untracked().into_iter().find(|z| z.as_str() == v) {
                            session.change_document(doc, |tx| duo::set_insight_zone(tx, &id_level, z));
                        }
                    }>
                        {move || zones.get().into_iter().map(|z| view! {
                            <option value=z.as_str() selected=move || zone() == z>{move || zone_name(z, lang.get())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=by_level>
                    <label class="check share">
                        <input type="radio" name=format!("share-{doc}") prop:checked=shared2.clone()
                            on:change={
                                let id_pick = id_pick.clone();
                                move |_| session.change_document(doc, |tx| duo::set_share(tx, Some(&id_pick)))
                            }/>
                        {move || t(lang.get(), Text::ShareThis)}
                    </label>
                </Show>
                <button type="button" class="delete" on:click=move |_| session.change_document(doc, |tx| duo::delete_insight(tx, &id_del))>
                    {move || t(lang.get(), Text::Delete)}
                </button>
            </div>
        </article>
    }
}
