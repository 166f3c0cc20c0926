//! Step 3 around the table: opening the plenary's documents, the round (each duo in turn shares
//! one insight, spotlighted everywhere, nobody reacts), the energy per level as a live heat, and
//! the participant's own voice — energy dots, a question for a duo, what is needed, where the
//! chances are, and one small change.

use kring_shared::ids::{DuoId, ParticipantId};
use kring_shared::method::{self, LevelId};
use kring_shared::plenary;
use kring_shared::schema::voice::{self, CardKind, SmallChange, VoiceCard, VoiceView};
use kring_shared::schema::workshop::{self, Round};
use kring_shared::step::Step;
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::session::{Extra, UseWorkshopReturn};
use crate::table::sources;
use crate::widgets::{level_name, zone_name};

/// One edit of the participant's voice document.
type Edit = Box<
    dyn FnOnce(
        &mut kring_shared::automerge::transaction::Transaction<'_>,
    ) -> Result<(), kring_shared::automerge::AutomergeError>,
>;

fn code(lang: Lang) -> &'static str {
    if lang == Lang::En { "en" } else { "nl" }
}

/// Opens what step 3 shows — the table, every duo room, every voice — once this peer may read
/// them (facilitators from step 2 on, so they can prepare the flip chart).
pub fn open_plenary(session: UseWorkshopReturn) {
    Effect::new(move |_| {
        let ws = session.workshop.get();
        let Some(me) = session.me.get() else { return };
        let step = ws.step.unwrap_or(Step::Lobby);
        let facilitator = me.role == kring_shared::access::Role::Facilitator;
        // The table opens at the form's first step with one (step 3, or 001's canvas in step 2).
        let from = ws
            .form
            .form()
            .first_step_with(kring_shared::forms::StepKind::ClusteredTable)
            .unwrap_or(Step::Plenary);
        let open = step >= from || (facilitator && step == Step::Duos);
        if !open {
            return;
        }
        if let Some(doc) = ws.table {
            session.open_document(doc, Extra::Table);
        }
        for d in &ws.duos {
            if let Some(doc) = d.doc {
                session.open_document(doc, Extra::Room);
            }
        }
        if step >= from {
            for r in &ws.roster {
                if let Some(doc) = r.voice {
                    session.open_document(doc, Extra::Voice);
                }
            }
        }
    });
}

/// The participant's own voice document.
fn my_voice(session: UseWorkshopReturn) -> Option<(ParticipantId, kring_shared::ids::DocumentId)> {
    let me: ParticipantId = session.me.get()?.participant_id?;
    let doc = session
        .workshop
        .get()
        .roster
        .into_iter()
        .find(|r| r.id == me)?
        .voice?;
    Some((me, doc))
}

/// The duo sharing now, its shared insight, and "3 / 9".
#[component]
pub fn Spotlight(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    move || {
        let ws = session.workshop.get();
        let round = ws.round.clone();
        let duo = round.current()?;
        let (duos, _) = sources(session);
        let room = duos.iter().find(|(d, _)| *d == duo).map(|(_, r)| r.clone());
        let insight = room.and_then(|r| {
            let id = r.share.clone()?;
            r.insights.into_iter().find(|i| i.id == id)
        });
        let labels = session.table.get().map(|t| t.labels).unwrap_or_default();
        let name = plenary::duo_title(&ws, duo, labels, t(lang.get(), Text::Duo));
        Some(view! {
            <section class="spotlight" aria-live="polite" aria-labelledby="spotlight-heading">
                <p class="round-progress">
                    {t(lang.get(), Text::Round)} " · " {round.at + 1} " / " {round.order.len()} " " {t(lang.get(), Text::DuosLower)}
                </p>
                <h2 id="spotlight-heading">{name}</h2>
                {match insight {
                    Some(i) => view! {
                        <blockquote class=format!("spot-insight {}", i.zone.as_str())>
                            <p>{i.text}</p>
                            <footer><span class=format!("tag {}", i.zone.as_str())>{zone_name(i.zone, lang.get())}</span></footer>
                        </blockquote>
                    }.into_any(),
                    None => view! { <p class="muted">{t(lang.get(), Text::NotPicked)}</p> }.into_any(),
                }}
                <p class="no-reactions" role="status">{t(lang.get(), Text::NoReactions)}</p>
            </section>
        })
    }
}

/// The facilitator's round: start (every duo that picked an insight), next, back, end.
#[component]
pub fn RoundPanel(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let round = move || session.workshop.get().round;
    let set = move |r: Round| session.change_workshop(move |tx| workshop::set_round(tx, &r));
    let start = move |_| {
        let (duos, _) = sources(session);
        let mut order = plenary::round_order(&duos);
        // Duos that picked nothing still get their turn, last.
        for d in session.workshop.get_untracked().duos {
            if !order.contains(&d.id) {
                order.push(d.id);
            }
        }
        set(Round {
            order,
            at: 0,
            running: true,
        });
    };
    let step_by = move |delta: i64| {
        let mut r = round();
        let at = (r.at as i64 + delta).clamp(0, r.order.len().saturating_sub(1) as i64);
        r.at = at as usize;
        set(r);
    };
    let end = move |_| {
        let mut r = round();
        r.running = false;
        set(r);
    };
    view! {
        <section class="card round-panel" aria-labelledby="round-heading">
            <h2 id="round-heading">{move || t(lang.get(), Text::Round)}</h2>
            <p class="muted">{move || method::STEPS[2].instruction.get(code(lang.get()))}</p>
            <Show when=move || round().running
                fallback=move || view! {
                    <button type="button" class="primary" disabled=move || !steer.get() on:click=start>
                        {move || t(lang.get(), Text::StartRound)}
                    </button>
                }>
                <p class="round-progress">{move || round().at + 1} " / " {move || round().order.len()} " " {move || t(lang.get(), Text::DuosLower)}</p>
                <div class="row">
                    <button type="button" disabled=move || !steer.get() || round().at == 0 on:click=move |_| step_by(-1)>
                        {move || t(lang.get(), Text::PreviousDuo)}
                    </button>
                    <button type="button" class="primary" disabled={move || !steer.get() || round().at + 1 >= round().order.len()} on:click=move |_| step_by(1)>
                        {move || t(lang.get(), Text::NextDuo)}
                    </button>
                    <button type="button" disabled=move || !steer.get() on:click=end>{move || t(lang.get(), Text::EndRound)}</button>
                </div>
            </Show>
        </section>
    }
}

/// The energy per level, summed over everyone, as a heat: the level with most energy glows most.
#[component]
pub fn EnergyHeat(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="energy" aria-labelledby="energy-heading">
            <h2 id="energy-heading">{move || method::AFTER_ROUND.energy.get(code(lang.get()))}</h2>
            <ul class="heat">
                {move || {
                    let (_, voices) = sources(session);
                    let e = plenary::energy(&voices);
                    let max = e.values().copied().max().unwrap_or(0).max(1);
                    LevelId::ALL.into_iter().map(|l| {
                        let n = e.get(&l).copied().unwrap_or(0);
                        let heat = f64::from(n) / f64::from(max);
                        view! {
                            <li class=format!("heat-level {}", l.as_str())
                                style=format!("--heat: {heat:.2}")
                                aria-label=format!("{}: {n}", level_name(l, lang.get()))>
                                <span class="heat-name">{level_name(l, lang.get())}</span>
                                <span class="heat-dots" aria-hidden="true">{"●".repeat(n.min(60) as usize)}</span>
                                <span class="heat-count" data-level=l.as_str()>{n}</span>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}

/// Everyone's questions for duos, what is needed, the chances, and the small changes: read-only,
/// for the screen and the facilitator.
#[component]
pub fn Voices(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    move || {
        let ws = session.workshop.get();
        let (_, voices) = sources(session);
        let labels = session.table.get().map(|t| t.labels).unwrap_or_default();
        let duo_name = |d: DuoId| plenary::duo_title(&ws, d, labels, t(lang.get(), Text::Duo));
        let questions: Vec<(String, String)> = voices
            .iter()
            .flat_map(|(_, v)| v.cards.iter())
            .filter(|c| c.kind == CardKind::Question)
            .filter_map(|c| Some((duo_name(c.duo?), c.text.clone())))
            .collect();
        let changes: Vec<SmallChange> = voices
            .iter()
            .filter_map(|(_, v)| v.change.clone())
            .collect();
        let show_changes = ws.plan.extra_small_change && !changes.is_empty();
        view! {
            <div class="voices">
                <Show when={let n = questions.len(); move || n > 0}>
                    <section class="voice-list">
                        <h3>{t(lang.get(), Text::QuestionsForDuos)}</h3>
                        <ul>{questions.iter().map(|(d, q)| view! { <li><strong>{d.clone()}</strong> ": " {q.clone()}</li> }).collect_view()}</ul>
                    </section>
                </Show>
                {show_changes.then(|| view! {
                    <section class="voice-list">
                        <h3>{t(lang.get(), Text::SmallChanges)}</h3>
                        {LevelId::ALL.into_iter().map(|l| {
                            let mine: Vec<String> = changes.iter().filter(|c| c.level == l).map(|c| c.text.clone()).collect();
                            (!mine.is_empty()).then(|| view! {
                                <h4 class=format!("tag {}", l.as_str())>{level_name(l, lang.get())}</h4>
                                <ul>{mine.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                            })
                        }).collect_view()}
                    </section>
                })}
            </div>
        }
    }
}

/// The participant's own voice after the round. Locked (read-only) while the round runs.
#[component]
pub fn VoicePanel(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let mine = move || {
        let (_, doc) = my_voice(session)?;
        session.voices.get().get(&doc).cloned()
    };
    let locked = move || session.workshop.get().round.running;
    let dots = move || session.workshop.get().plan.energy_dots;
    let change = move |f: Edit| {
        if let Some((_, doc)) = my_voice(session) {
            session.change_document(doc, f);
        }
    };
    let add_card = move |kind: CardKind, text: String, duo: Option<DuoId>| {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let card = VoiceCard {
            id: kring_shared::ids::DocumentId::random().to_string(),
            kind,
            text: text.chars().take(voice::MAX_CARD_TEXT).collect(),
            duo,
        };
        change(Box::new(move |tx| voice::add_card(tx, &card)));
    };
    let energy_row = move |l: LevelId| {
        let n = move || {
            mine()
                .map(|v| v.energy.get(&l).copied().unwrap_or(0))
                .unwrap_or(0)
        };
        let used = move || mine().map(|v| v.dots()).unwrap_or(0);
        view! {
            <li class=format!("dot-row {}", l.as_str())>
                <span class="heat-name">{move || level_name(l, lang.get())}</span>
                <button type="button" aria-label=move || format!("{} {}", t(lang.get(), Text::RemoveDot), level_name(l, lang.get()))
                    disabled=move || locked() || n() == 0
                    on:click=move |_| { let v = n() - 1; change(Box::new(move |tx| voice::set_energy(tx, l, v))) }>"−"</button>
                <span class="my-dots" aria-live="polite">{move || "●".repeat(n() as usize)} {move || format!(" {}", n())}</span>
                <button type="button" aria-label=move || format!("{} {}", t(lang.get(), Text::PlaceDot), level_name(l, lang.get()))
                    disabled={move || locked() || used() >= dots()}
                    on:click=move |_| { let v = n() + 1; change(Box::new(move |tx| voice::set_energy(tx, l, v))) }>"+"</button>
            </li>
        }
    };
    let question = RwSignal::new(String::new());
    let question_duo = RwSignal::new(String::new());
    let needed = RwSignal::new(String::new());
    let chance = RwSignal::new(String::new());
    let small = RwSignal::new(String::new());
    let small_level = RwSignal::new(String::new());
    let cards_of = move |kind: CardKind| {
        mine()
            .map(|v: VoiceView| {
                v.cards
                    .into_iter()
                    .filter(|c| c.kind == kind)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let card_list = move |kind: CardKind| {
        move || {
            cards_of(kind)
                .into_iter()
                .map(|c| {
                    let id = c.id.clone();
                    view! {
                        <li>{c.text.clone()} " "
                            <button type="button" class="link" disabled=locked
                                on:click=move |_| { let id = id.clone(); change(Box::new(move |tx| voice::delete_card(tx, &id))) }>
                                {move || t(lang.get(), Text::Remove)}
                            </button>
                        </li>
                    }
                })
                .collect_view()
        }
    };
    let duo_options = move || {
        let ws = session.workshop.get();
        let labels = session.table.get().map(|t| t.labels).unwrap_or_default();
        ws.duos
            .iter()
            .map(|d| {
                let name = plenary::duo_title(&ws, d.id, labels, t(lang.get(), Text::Duo));
                view! { <option value=d.id.to_string()>{name}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="card voice-panel" aria-labelledby="voice-heading">
            <h2 id="voice-heading">{move || t(lang.get(), Text::YourVoice)}</h2>
            <Show when=locked>
                <p class="no-reactions" role="status">{move || t(lang.get(), Text::NoReactions)}</p>
            </Show>
            <fieldset disabled=locked>
                <legend>{move || method::AFTER_ROUND.energy.get(code(lang.get()))}</legend>
                <p class="muted">{move || t(lang.get(), Text::DotsLeft)} ": " {move || dots().saturating_sub(mine().map(|v| v.dots()).unwrap_or(0))}</p>
                <ul class="dots">{LevelId::ALL.into_iter().map(energy_row).collect_view()}</ul>
            </fieldset>
            <fieldset disabled=locked>
                <legend>{move || method::AFTER_ROUND.clarify.get(code(lang.get()))}</legend>
                <ul class="my-cards">{card_list(CardKind::Question)}</ul>
                <form class="row" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Ok(d) = question_duo.get_untracked().parse::<DuoId>() {
                        add_card(CardKind::Question, question.get_untracked(), Some(d));
                        question.set(String::new());
                    }
                }>
                    <select aria-label=move || t(lang.get(), Text::ForDuo) on:change=move |ev| question_duo.set(event_target_value(&ev)) prop:value=move || question_duo.get()>
                        <option value="">{move || t(lang.get(), Text::ForDuo)}</option>
                        {duo_options}
                    </select>
                    <input aria-label=move || t(lang.get(), Text::YourQuestion) placeholder=move || t(lang.get(), Text::YourQuestion) maxlength=voice::MAX_CARD_TEXT bind:value=question/>
                    <button type="submit">{move || t(lang.get(), Text::Add)}</button>
                </form>
            </fieldset>
            <fieldset disabled=locked>
                <legend>{move || method::AFTER_ROUND.needed.get(code(lang.get()))}</legend>
                <ul class="my-cards">{card_list(CardKind::Needed)}</ul>
                <form class="row" on:submit=move |ev| { ev.prevent_default(); add_card(CardKind::Needed, needed.get_untracked(), None); needed.set(String::new()); }>
                    <input aria-label=move || method::AFTER_ROUND.needed.get(code(lang.get())) maxlength=voice::MAX_CARD_TEXT bind:value=needed/>
                    <button type="submit">{move || t(lang.get(), Text::Add)}</button>
                </form>
            </fieldset>
            <fieldset disabled=locked>
                <legend>{move || method::AFTER_ROUND.chances.get(code(lang.get()))}</legend>
                <ul class="my-cards">{card_list(CardKind::Chance)}</ul>
                <form class="row" on:submit=move |ev| { ev.prevent_default(); add_card(CardKind::Chance, chance.get_untracked(), None); chance.set(String::new()); }>
                    <input aria-label=move || method::AFTER_ROUND.chances.get(code(lang.get())) maxlength=voice::MAX_CARD_TEXT bind:value=chance/>
                    <button type="submit">{move || t(lang.get(), Text::Add)}</button>
                </form>
            </fieldset>
            <Show when=move || session.workshop.get().plan.extra_small_change>
                <fieldset disabled=locked>
                    <legend>{move || method::EXTRA_SMALL_CHANGE.get(code(lang.get()))}</legend>
                    {move || mine().and_then(|v| v.change).map(|c| view! {
                        <p class="my-change">{c.text} " · " <span class=format!("tag {}", c.level.as_str())>{level_name(c.level, lang.get())}</span></p>
                    })}
                    <form class="row" on:submit=move |ev| {
                        ev.prevent_default();
                        let Some(level) = LevelId::parse(&small_level.get_untracked()) else { return };
                        let c = SmallChange { text: small.get_untracked().trim().chars().take(voice::MAX_CARD_TEXT).collect(), level };
                        if c.text.is_empty() { return; }
                        change(Box::new(move |tx| voice::set_change(tx, Some(&c))));
                        small.set(String::new());
                    }>
                        <input aria-label=move || t(lang.get(), Text::SmallChange) placeholder=move || t(lang.get(), Text::SmallChange) maxlength=voice::MAX_CARD_TEXT bind:value=small/>
                        <select aria-label=move || t(lang.get(), Text::Level) on:change=move |ev| small_level.set(event_target_value(&ev)) prop:value=move || small_level.get()>
                            <option value="">{move || t(lang.get(), Text::Level)}</option>
                            {LevelId::ALL.into_iter().map(|l| view! { <option value=l.as_str()>{move || level_name(l, lang.get())}</option> }).collect_view()}
                        </select>
                        <button type="submit">{move || t(lang.get(), Text::Save)}</button>
                    </form>
                </fieldset>
            </Show>
        </section>
    }
}
