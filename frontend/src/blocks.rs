//! Work form 004, the building-blocks self-test: the participant's private rating sheet (six
//! blocks with the seed's explanation, a 1–5 scale, an optional note, one line on context and
//! preconditions), the group profile (bars that fit a phone and a projector, from the profile
//! the server publishes once k people answered; the report draws the same numbers as SVG), the
//! actions per block with dots (and, read-only beside them, the key insights the optional duos of
//! step 2 tied to the block), the facilitator's set-up of the form's plan, and its report body.

use kring_shared::automerge::AutomergeError;
use kring_shared::automerge::transaction::Transaction;
use kring_shared::forms::blocks::{self, ACTION_QUESTION, BLOCKS, BlockId, CONTEXT_QUESTION};
use kring_shared::forms::blocks_report;
use kring_shared::ids::{DocumentId, ParticipantId};
use kring_shared::plenary;
use kring_shared::schema::{rating, voice, workshop};
use kring_shared::step::Step;
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::session::{Extra, UseWorkshopReturn};

fn code(lang: Lang) -> &'static str {
    if lang == Lang::En { "en" } else { "nl" }
}

type Edit = Box<dyn FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>>;

/// What 004's duos talk about: the two weakest blocks of the published profile, named in the
/// interface's language (empty while there is no profile). The duo room and the console's duo
/// panel both show it.
pub fn weakest_topics(session: UseWorkshopReturn, lang: Lang) -> String {
    session
        .workshop
        .get()
        .profile
        .map(|p| p.weakest_first())
        .unwrap_or_default()
        .into_iter()
        .take(2)
        .map(|b| b.block().name.get(code(lang)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The participant's id and one of their documents named on the roster.
fn mine(
    session: UseWorkshopReturn,
    pick: impl Fn(&workshop::RosterEntry) -> Option<DocumentId>,
) -> Option<(ParticipantId, DocumentId)> {
    let me: ParticipantId = session.me.get()?.participant_id?;
    let ws = session.workshop.get();
    let entry = ws.roster.iter().find(|r| r.id == me)?;
    Some((me, pick(entry)?))
}

/// Step 1: the private ratings. Opens the participant's rating document (theirs alone).
#[component]
pub fn RatingSheet(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let doc = move || mine(session, |r| r.rating).map(|(_, d)| d);
    Effect::new(move |_| {
        if let Some(d) = doc() {
            session.open_document(d, Extra::Rating);
        }
    });
    let change = move |f: Edit| {
        if let Some(d) = doc() {
            session.change_document(d, f);
        }
    };
    let closed = move || session.workshop.get().step == Some(Step::Closed);
    let rated = move || session.rating.get().scores().len();
    view! {
        <section class="card rating-sheet" aria-labelledby="rating-heading">
            <h2 id="rating-heading">{move || t(lang.get(), Text::YourRatings)}</h2>
            <p class="private-note">{move || t(lang.get(), Text::RatingsPrivate)} " " {move || session.workshop.get().plan.k} " " {move || t(lang.get(), Text::Answers)} "."</p>
            <p class="muted small">{move || t(lang.get(), Text::ScaleLow)} " · " {move || t(lang.get(), Text::ScaleHigh)}</p>
            <p class="muted" role="status">{move || format!("{} / 6 {}", rated(), t(lang.get(), Text::Rated))}</p>
            <div class="blocks">
                {BLOCKS.iter().map(|b| {
                    let id = b.id;
                    let score = move || session.rating.get().blocks.get(&id).and_then(|r| r.score);
                    let note = move || session.rating.get().blocks.get(&id).map(|r| r.note.clone()).unwrap_or_default();
                    view! {
                        <fieldset class=format!("block {}", id.as_str()) disabled=closed>
                            <legend>{move || b.name.get(code(lang.get()))}</legend>
                            <p class="explanation">{move || b.explanation.get(code(lang.get()))}</p>
                            <div class="scale" role="radiogroup" aria-label=move || format!("{}: {}", t(lang.get(), Text::Score), b.name.get(code(lang.get())))>
                                {blocks::SCALE.map(|n| view! {
                                    <label class="scale-point" class:chosen=move || score() == Some(n)>
                                        <input type="radio" name=format!("score-{}", id.as_str()) value=n.to_string()
                                            aria-label=move || format!("{} {n}", b.name.get(code(lang.get())))
                                            prop:checked=move || score() == Some(n)
                                            on:change=move |_| change(Box::new(move |tx| rating::set_score(tx, id, Some(n))))/>
                                        <span>{n}</span>
                                    </label>
                                }).collect_view()}
                            </div>
                            <label class="note">{move || t(lang.get(), Text::NoteOptional)}
                                <textarea rows="2" maxlength=rating::MAX_NOTE prop:value=note
                                    on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |tx| rating::set_note(tx, id, &v))) }></textarea>
                            </label>
                        </fieldset>
                    }
                }).collect_view()}
            </div>
            <label class="context">{move || t(lang.get(), Text::Context)}
                <span class="muted small">{move || CONTEXT_QUESTION.get(code(lang.get()))}</span>
                <input type="text" maxlength=rating::MAX_CONTEXT disabled=closed prop:value=move || session.rating.get().context
                    on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |tx| rating::set_context(tx, &v))) }/>
            </label>
        </section>
    }
}

/// How many people have rated so far, of everyone on the roster (a count, never a rating), and
/// the k the profile needs.
#[component]
pub fn RatedCount(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <p class="rated" role="status">
            {move || session.workshop.get().rated} " / " {move || session.workshop.get().roster.len()} " "
            {move || t(lang.get(), Text::HaveRated)} " · k = " {move || session.workshop.get().plan.k}
        </p>
    }
}

/// The group profile, as the server published it: nothing until k people answered.
#[component]
pub fn ProfileChart(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="card profile" aria-labelledby="profile-heading">
            <h2 id="profile-heading">{move || t(lang.get(), Text::ProfileHeading)}</h2>
            {move || {
                let ws = session.workshop.get();
                match &ws.profile {
                    None => view! {
                        <p class="waiting" role="status">{t(lang.get(), Text::ProfileWaiting)} " " {ws.plan.k} " " {t(lang.get(), Text::Answers)} "."</p>
                        <RatedCount session lang/>
                    }.into_any(),
                    Some(p) => {
                        let report = blocks_report::build(&ws, &[], &[], &Default::default(), |_| None, |_| None);
                        let weakest: Vec<String> = p.weakest_first().into_iter().take(2)
                            .map(|b| b.block().name.get(code(lang.get())).to_owned()).collect();
                        let rows = report.blocks.into_iter().map(|b| (b.name, b.counts.unwrap_or_default(), b.mean)).collect();
                        view! {
                            <p class="answered" role="status">{p.answered} " " {t(lang.get(), Text::Answers)}</p>
                            <ProfileBars rows lang/>
                            <p class="muted">{t(lang.get(), Text::WeakestFirst)} " " {weakest.join(", ")}</p>
                        }.into_any()
                    }
                }
            }}
        </section>
    }
}

/// A k-anonymous profile as bars that fit any screen, from a phone to the projector: per row
/// (004's blocks, 002's route levels) its name, how many gave each rating, and the mean (the
/// report draws 004's numbers as an SVG).
#[component]
pub fn ProfileBars(
    rows: Vec<(String, [u32; 5], Option<f64>)>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let mean_word = move || {
        if lang.get() == Lang::En {
            "mean"
        } else {
            "gemiddeld"
        }
    };
    view! {
        <ul class="profile-chart">
            {rows.into_iter().map(|(name, counts, mean)| {
                let mean = mean.map_or("–".to_owned(), |m| format!("{m:.1}"));
                let summary = counts.iter().enumerate().filter(|(_, n)| **n > 0)
                    .map(|(i, n)| format!("{n}× {}", i + 1)).collect::<Vec<_>>().join(", ");
                let label = format!("{name}: {} {mean}; {summary}", mean_word());
                view! {
                    <li class="profile-row" aria-label=label>
                        <span class="profile-name">{name.clone()}</span>
                        <span class="profile-bar" aria-hidden="true">
                            {counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| view! {
                                <span class="profile-part" data-score=i + 1
                                    style=format!("flex-grow: {n}; background: {}", blocks_report::SCORE_COLORS[i])>{*n}</span>
                            }).collect_view()}
                        </span>
                        <span class="profile-mean">{mean.clone()}</span>
                    </li>
                }
            }).collect_view()}
            <li class="profile-legend" aria-hidden="true">
                {blocks_report::SCORE_COLORS.iter().enumerate().map(|(i, c)| view! {
                    <span><span class="swatch" style=format!("background: {c}")></span> {i + 1}</span>
                }).collect_view()}
            </li>
        </ul>
    }
}

/// Step 3: the actions per block, weakest blocks first, with everyone's dots. Participants add
/// actions and place their dots; a facilitator who steers puts actions that say the same thing
/// together (kept in the table document, as on 000's flip chart); the screen only looks.
#[component]
pub fn ActionsBoard(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    /// Whether this viewer writes (a participant in step 3).
    writes: bool,
    /// Whether this viewer groups the actions (a facilitator who may steer).
    #[prop(optional, into)]
    curates: Signal<bool>,
) -> impl IntoView {
    let dots = move || session.workshop.get().plan.energy_dots;
    let used = move || my_voice_view(session).map(|v| v.dots()).unwrap_or(0);
    // The order changes only with the profile; each block tracks the voices on its own.
    let order = Memo::new(move |_| blocks::zone_order(session.workshop.get().profile.as_ref()));
    view! {
        <section class="card actions" aria-labelledby="actions-heading">
            <h2 id="actions-heading">{move || t(lang.get(), Text::ActionsHeading)}</h2>
            {writes.then(|| view! {
                <p class="muted" role="status">{move || t(lang.get(), Text::ActionDotsLeft)} ": " {move || dots().saturating_sub(used())}</p>
            })}
            <Show when=move || curates.get()>
                <p class="muted small">{move || t(lang.get(), Text::GroupActionsHint)}</p>
            </Show>
            <div class="action-blocks">
                <For each=move || order.get() key=|b| *b let:block>
                    <ActionBlock session lang writes curates block/>
                </For>
            </div>
        </section>
    }
}

fn my_voice_view(session: UseWorkshopReturn) -> Option<voice::VoiceView> {
    let (_, d) = mine(session, |r| r.voice)?;
    session.voices.get().get(&d).cloned()
}

/// One group as a row list shows it: its actions, each with the viewer's own dots on it.
type GroupRows = Vec<(blocks::ActionCard, u32)>;

/// One block's actions with their dots and, for participants, the field to add one.
#[component]
fn ActionBlock(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    writes: bool,
    curates: Signal<bool>,
    block: BlockId,
) -> impl IntoView {
    let change = move |f: Edit| {
        if let Some((_, d)) = mine(session, |r| r.voice) {
            session.change_document(d, f);
        }
    };
    let dots = move || session.workshop.get().plan.energy_dots;
    let used = move || my_voice_view(session).map(|v| v.dots()).unwrap_or(0);
    let name = move || block.block().name.get(code(lang.get()));
    let text = RwSignal::new(String::new());
    // Viewers see the groups with the most dots first. Those who place dots see a fixed order
    // (by key): a list that re-sorts while people vote moves a card away under a finger.
    let groups = Memo::new(move |_| {
        let (_, voices) = crate::table::sources(session);
        let table = session.table.get().unwrap_or_default();
        let mut groups = blocks::grouped_actions(&voices, &table)
            .into_iter()
            .find(|(b, _)| *b == block)
            .map(|(_, g)| g)
            .unwrap_or_default();
        if writes {
            groups.sort_by(|x, y| x.base().key.cmp(&y.base().key));
        }
        groups
    });
    // The duos' cards on this block (step 2), each with the name of its duo as the table names
    // duos: something to turn into actions, not to dot.
    let duo_cards = Memo::new(move |_| {
        let (rooms, _) = crate::table::sources(session);
        let ws = session.workshop.get();
        let labels = session.table.get().unwrap_or_default().labels;
        blocks::duo_cards(&rooms)
            .into_iter()
            .find(|(b, _)| *b == block)
            .map(|(_, cards)| {
                cards
                    .into_iter()
                    .map(|c| {
                        let by = plenary::duo_title(&ws, c.duo, labels, t(lang.get(), Text::Duo));
                        (c.key, c.text, by)
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let v: String = text
            .get_untracked()
            .trim()
            .chars()
            .take(voice::MAX_CARD_TEXT)
            .collect();
        if v.is_empty() {
            return;
        }
        text.set(String::new());
        let a = voice::Action {
            id: DocumentId::random().to_string(),
            block,
            text: v,
        };
        change(Box::new(move |tx| voice::add_action(tx, &a)));
    };
    // What the facilitator may put an action with: the bases of the block's other groups.
    let bases = Signal::derive(move || {
        groups
            .get()
            .iter()
            .map(|g| (g.base().key.clone(), g.base().text.clone()))
            .collect::<Vec<_>>()
    });
    let group_with = move |card: String, with: Option<String>| {
        let ws = session.workshop.get_untracked();
        let Some(doc) = ws.table else { return };
        let table = session.table.get_untracked().unwrap_or_default();
        session.change_document(doc, move |tx| {
            blocks::group_action(tx, &table, block, &card, with.as_deref())
        });
    };
    view! {
        <section class=format!("action-block {}", block.as_str()) aria-label=name>
            <h3>{name}</h3>
            <p class="muted small">{move || ACTION_QUESTION.get(code(lang.get()))}</p>
            <Show when=move || !duo_cards.get().is_empty()>
                <ul class="duo-cards" aria-label=move || format!("{}: {}", t(lang.get(), Text::FromTheDuos), name())>
                    <For each=move || duo_cards.get() key=|c| c.clone() let:c>
                        <li class="duo-card-ro"><span>{c.1}</span> <span class="by">{c.2}</span></li>
                    </For>
                </ul>
            </Show>
            {move || groups.get().is_empty().then(|| view! { <p class="muted">{t(lang.get(), Text::NoActions)}</p> })}
            <ul class="action-cards">
                // Keyed by everything a group shows: a group that changes is a new element, so
                // a click aimed at one action can never land on another action's buttons.
                <For
                    each=move || {
                        let mine_dots = my_voice_view(session).map(|v| v.card_dots).unwrap_or_default();
                        groups.get().into_iter().map(|g| {
                            g.cards.into_iter().map(|c| {
                                let n = mine_dots.get(&c.key).copied().unwrap_or(0);
                                (c, n)
                            }).collect::<GroupRows>()
                        }).collect::<Vec<_>>()
                    }
                    key=|rows| rows.clone()
                    let:rows
                >
                    <ActionGroupItem rows lang writes curates bases group_with change used dots/>
                </For>
            </ul>
            {writes.then(|| view! {
                <form class="row" on:submit=add>
                    <input aria-label=move || format!("{} {}", t(lang.get(), Text::ActionFor), name()) maxlength=voice::MAX_CARD_TEXT bind:value=text/>
                    <button type="submit" aria-label=move || format!("{}: {}", t(lang.get(), Text::AddAction), name())>{move || t(lang.get(), Text::Add)}</button>
                </form>
            })}
        </section>
    }
}

/// One group of actions (most often one action alone): the base, the actions put with it, the
/// group's dots; minus and plus for those who place dots, and for the facilitator a choice of
/// which group each action belongs with.
#[component]
fn ActionGroupItem(
    /// The group's actions, the base first, each with the viewer's own dots on it.
    rows: GroupRows,
    lang: Signal<Lang>,
    writes: bool,
    curates: Signal<bool>,
    /// The block's groups by their base: key and text.
    bases: Signal<Vec<(String, String)>>,
    /// Puts an action with another (or, with `None`, on its own).
    group_with: impl Fn(String, Option<String>) + Copy + Send + Sync + 'static,
    /// Writes to the viewer's voice document.
    change: impl Fn(Edit) + Copy + Send + Sync + 'static,
    /// How many dots the viewer has placed in all.
    used: impl Fn() -> u32 + Copy + Send + Sync + 'static,
    /// How many dots each person has.
    dots: impl Fn() -> u32 + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let total: u32 = rows.iter().map(|(c, _)| c.dots).sum();
    let grouped = rows.len() > 1;
    let base_key = rows[0].0.key.clone();
    view! {
        <li class="action-group" class:grouped=grouped data-dots=total>
            {rows.into_iter().enumerate().map(|(i, (card, mine))| {
                let blocks::ActionCard { key, text, dots: on_card, .. } = card;
                let (minus_key, plus_key, pick_key) = (key.clone(), key.clone(), key.clone());
                let (minus_label, plus_label, pick_label) = (text.clone(), text.clone(), text.clone());
                let own_base = base_key.clone();
                view! {
                    <div class="action-card" class:with-base={i > 0}>
                        <span class="action-text">{text}</span>
                        <span class="action-dots">{"●".repeat(on_card.min(30) as usize)} " " {on_card}</span>
                        {writes.then(|| view! {
                            <button type="button" aria-label=move || format!("{}: {minus_label}", t(lang.get(), Text::DotOff)) disabled=mine == 0
                                on:click=move |_| { let k = minus_key.clone(); change(Box::new(move |tx| voice::set_card_dots(tx, &k, mine.saturating_sub(1)))) }>"−"</button>
                            <button type="button" aria-label=move || format!("{}: {plus_label}", t(lang.get(), Text::DotOn)) disabled={move || used() >= dots()}
                                on:click=move |_| { let k = plus_key.clone(); change(Box::new(move |tx| voice::set_card_dots(tx, &k, mine + 1))) }>"+"</button>
                        })}
                        <Show when=move || curates.get()>
                            <GroupPicker lang card=pick_key.clone() text=pick_label.clone() base=(i > 0).then(|| own_base.clone()) bases group_with/>
                        </Show>
                    </div>
                }
            }).collect_view()}
            {grouped.then(|| view! {
                <p class="action-total">{move || t(lang.get(), Text::GroupTotal)} ": " {total}</p>
            })}
        </li>
    }
}

/// The facilitator's choice of the group an action belongs with: on its own, or with another
/// group's base.
#[component]
fn GroupPicker(
    lang: Signal<Lang>,
    /// The action's key.
    card: String,
    /// The action's text (its accessible name).
    text: String,
    /// The base it is put with now, if any.
    base: Option<String>,
    bases: Signal<Vec<(String, String)>>,
    group_with: impl Fn(String, Option<String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let current = base.clone().unwrap_or_default();
    let own = card.clone();
    view! {
        <label class="group-picker">
        <span class="small muted">{move || t(lang.get(), Text::SameAs)}</span>
        <select aria-label=move || format!("{}: {text}", t(lang.get(), Text::SameAs))
            on:change=move |ev| {
                let v = event_target_value(&ev);
                group_with(own.clone(), (!v.is_empty()).then_some(v));
            }>
            <option value="" selected=base.is_none()>{move || t(lang.get(), Text::OnItsOwn)}</option>
            {move || bases.get().into_iter().filter(|(k, _)| *k != card).map(|(k, label)| {
                let selected = k == current;
                view! { <option value=k selected=selected>{label}</option> }
            }).collect_view()}
        </select>
        </label>
    }
}

/// The console's set-up for 004: the form's steps with their lengths, k, and the dots.
#[component]
pub fn BlocksSetup(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let number =
        move |label: Text,
              value: Signal<u32>,
              min: u32,
              max: u32,
              set: fn(&mut Transaction<'_>, u32) -> Result<(), AutomergeError>| {
            view! {
                <label class="inline">{move || t(lang.get(), label)}
                    <input type="number" min=min max=max prop:value=move || value.get().to_string() disabled=move || !steer.get()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                let n = n.clamp(min, max);
                                session.change_workshop(|tx| set(tx, n));
                            }
                        }/>
                </label>
            }
        };
    let k = Signal::derive(move || session.workshop.get().plan.k);
    let d = Signal::derive(move || session.workshop.get().plan.energy_dots);
    view! {
        <section class="card plan" aria-labelledby="plan-heading">
            <h2 id="plan-heading">{move || t(lang.get(), Text::Setup)}</h2>
            <FormPlan session lang steer/>
            <fieldset>
                {number(Text::KMin, k, blocks::K_RANGE.0, blocks::K_RANGE.1, |tx, n| workshop::set_k(tx, n))}
                <p class="muted small">{move || t(lang.get(), Text::KExplain)}</p>
                {number(Text::DotsPerPerson, d, 1, voice::MAX_ENERGY_DOTS, |tx, n| workshop::set_energy_dots(tx, n))}
            </fieldset>
        </section>
    }
}

/// A form's plan: its steps, each with its length (editable) and instruction.
#[component]
pub fn FormPlan(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let keys = [
        (Step::Reflect, "reflect"),
        (Step::Duos, "duos"),
        (Step::Plenary, "plenary"),
    ];
    view! {
        <fieldset class="form-plan">
            <legend>{move || t(lang.get(), Text::FormPlan)} ": " {move || session.workshop.get().form.form().name.get(code(lang.get()))}</legend>
            <ol>
                {keys.into_iter().map(|(step, key)| {
                    let info = move || session.workshop.get().form.form().step(step);
                    let value = move || session.workshop.get().plan.minutes.for_step(step).unwrap_or(0);
                    view! {
                        <li>
                            <label class="inline">{move || info().map(|s| s.name.get(code(lang.get())))} " (" {move || t(lang.get(), Text::Minutes)} ")"
                                <input type="number" min="1" max="180" prop:value=move || value().to_string() disabled=move || !steer.get()
                                    on:change=move |ev| {
                                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                            let n = n.clamp(1, 180);
                                            session.change_workshop(|tx| workshop::set_minutes(tx, key, n));
                                        }
                                    }/>
                            </label>
                            <p class="muted small">{move || info().map(|s| s.instruction.get(code(lang.get())))}</p>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </fieldset>
    }
}

/// Work form 004's report page: the profile chart (the report's SVG) and the actions per block.
#[component]
pub fn BlocksReportBody(
    /// The report, with its `blocks` part.
    report: kring_shared::report::Report,
    /// The profile chart as SVG text, once fetched.
    svg: Signal<Option<String>>,
) -> impl IntoView {
    let lang = Lang::from_code(&report.language);
    let b = report
        .blocks
        .clone()
        .unwrap_or(blocks_report::BlocksReport {
            k: blocks::DEFAULT_K,
            answered: None,
            blocks: vec![],
        });
    let orgs = report
        .participants
        .organisations
        .iter()
        .map(|o| format!("{} ({})", o.organisation, o.people))
        .collect::<Vec<_>>()
        .join(", ");
    let data_url = |text: &str| {
        let encoded: String = js_sys::encode_uri_component(text).into();
        format!("data:image/svg+xml;charset=utf-8,{encoded}")
    };
    view! {
        <article class="report" lang=report.language.clone()>
            <header class="report-header">
                <h1>{report.title.clone()}</h1>
                <p class="meta">{report.form.form().name.get(code(lang))} " · " {report.date.clone()} " · " {report.participants.count} " " {t(lang, Text::Participants).to_lowercase()}</p>
                <p>{orgs}</p>
            </header>
            <section class="flip-chart">
                <h2>{t(lang, Text::ProfileHeading)}</h2>
                {match b.answered {
                    Some(n) => format!("{n} {}", t(lang, Text::Answers)),
                    None => format!("{} {} {}.", t(lang, Text::ProfileWaiting), b.k, t(lang, Text::Answers)),
                }}
                {move || svg.get().map(|text| view! {
                    <img src=data_url(&text) alt=t(lang, Text::ProfileHeading)/>
                })}
            </section>
            <section class="report-block-actions">
                <h2>{t(lang, Text::ActionsHeading)}</h2>
                {b.blocks.into_iter().map(|blk| view! {
                    <section class=format!("report-block {}", blk.block.as_str())>
                        <h3>{blk.name.clone()} {blk.mean.map(|m| format!(" · {m:.1}"))}</h3>
                        {(!blk.duo_cards.is_empty()).then(|| view! {
                            <h4>{t(lang, Text::FromTheDuos)}</h4>
                            <ul class="report-duo-cards">{blk.duo_cards.into_iter().map(|c| view! {
                                <li>{c.text} {c.by.map(|by| format!(" — {by}"))}</li>
                            }).collect_view()}</ul>
                        })}
                        {if blk.actions.is_empty() {
                            view! { <p class="muted">{t(lang, Text::NoActions)}</p> }.into_any()
                        } else {
                            view! { <ul>{blk.actions.into_iter().map(|a| view! {
                                <li>{a.text} " " <span class="report-dots">{"●".repeat(a.dots.min(40) as usize)}</span> " " {a.dots}
                                    {a.by.map(|by| format!(" — {by}"))}
                                    {(!a.also.is_empty()).then(|| view! {
                                        <ul class="also">{a.also.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
                                    })}</li>
                            }).collect_view()}</ul> }.into_any()
                        }}
                    </section>
                }).collect_view()}
            </section>
        </article>
    }
}
