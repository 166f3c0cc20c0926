//! Work form 001, rules of play and a TWO: the participant's private answers (where the
//! collaboration stands, in step 1; their answer in each consent round), the group's phase
//! distribution (from the server, at k), the consensus canvas with its nine fields (cards by
//! everyone; the facilitator moves, merges and proposes rewordings the author may take over),
//! the proposals with their consent rounds (who has not answered, for the facilitator; the tally
//! and the objections for all), the TWOs, and the report body.

use kring_shared::automerge::AutomergeError;
use kring_shared::automerge::transaction::Transaction;
use kring_shared::forms::agreements::{
    self, Answer, CanvasGroup, FieldId, PHASE_QUESTION, Phase, Status, TWO_QUOTE,
};
use kring_shared::forms::agreements_report::HEADINGS;
use kring_shared::ids::{DocumentId, ParticipantId};
use kring_shared::schema::proposals::{self, Proposal};
use kring_shared::schema::table::{self, Labels};
use kring_shared::schema::voice::{self, CanvasCard, VoiceView};
use kring_shared::schema::{answers, collaboration, workshop::WorkshopView};
use kring_shared::step::Step;
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::plenary::my_voice;
use crate::session::{Extra, UseWorkshopReturn};

pub(crate) fn code(lang: Lang) -> &'static str {
    if lang == Lang::En { "en" } else { "nl" }
}

pub(crate) type Edit = Box<dyn FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>>;

fn cut(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
}

/// The participant's answers document, as the roster names it.
fn my_answers(session: UseWorkshopReturn) -> Option<DocumentId> {
    let me: ParticipantId = session.me.get()?.participant_id?;
    session
        .workshop
        .get()
        .roster
        .iter()
        .find(|r| r.id == me)?
        .answers
}

/// Opens the participant's answers and returns how to change them.
pub(crate) fn use_answers(session: UseWorkshopReturn) -> impl Fn(Edit) + Copy + 'static {
    Effect::new(move |_| {
        if let Some(d) = my_answers(session) {
            session.open_document(d, Extra::Answers);
        }
    });
    move |f: Edit| {
        if let Some(d) = my_answers(session) {
            session.change_document(d, f);
        }
    }
}

fn closed(session: UseWorkshopReturn) -> bool {
    session.workshop.get().step == Some(Step::Closed)
}

/// Step 1: where does this collaboration stand? One of the seed's three phases, privately.
#[component]
pub fn PhaseChoice(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_answers(session);
    view! {
        <section class="card phase-choice" aria-labelledby="phase-heading">
            <h2 id="phase-heading">{move || t(lang.get(), Text::WhereWeStand)}</h2>
            <p class="muted">{move || PHASE_QUESTION.get(code(lang.get()))}</p>
            <div class="phase-options" role="radiogroup" aria-labelledby="phase-heading">
                {Phase::ALL.into_iter().map(|p| view! {
                    <label class="phase-option">
                        <input type="radio" name="phase" value=p.as_str()
                            prop:checked=move || session.answers.get().phase == Some(p)
                            disabled=move || closed(session)
                            on:change=move |_| change(Box::new(move |tx| answers::set_phase(tx, Some(p))))/>
                        <span>
                            <strong>{move || p.name().get(code(lang.get()))}</strong>
                            <span class="muted">{move || p.explanation().get(code(lang.get()))}</span>
                        </span>
                    </label>
                }).collect_view()}
            </div>
        </section>
    }
}

/// The group's distribution over the phases, as the server published it (at k, once shown).
#[component]
pub fn PhasesChart(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="card phases" aria-labelledby="phases-heading">
            <h2 id="phases-heading">{move || HEADINGS.phases.get(code(lang.get()))}</h2>
            {move || {
                let ws = session.workshop.get();
                match ws.consensus.phases {
                    None => view! {
                        <p class="muted">{ws.rated} " " {t(lang.get(), Text::HaveAnswered)} ". "
                            {t(lang.get(), Text::PhasesWaiting)} " " {ws.plan.k} "."</p>
                    }.into_any(),
                    Some(p) => {
                        let most = Phase::ALL.iter().map(|x| p.count(*x)).max().unwrap_or(0).max(1);
                        view! {
                            <p class="muted">{p.answered} " " {t(lang.get(), Text::Answers)}</p>
                            <ul class="phase-bars">
                                {Phase::ALL.into_iter().map(|ph| {
                                    let n = p.count(ph);
                                    let width = format!("width: {}%", n * 100 / most);
                                    view! {
                                        <li class="phase-bar">
                                            <span class="phase-name">{ph.name().get(code(lang.get()))}</span>
                                            <span class="bar"><span class="fill" style=width></span></span>
                                            <span class="phase-count">{n}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
            }}
        </section>
    }
}

/// The console's step 1: how many answered, and showing the distribution.
#[component]
pub fn PhasesControl(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let shown = move || session.workshop.get().consensus.phases_shown;
    view! {
        <section class="card" aria-label=move || t(lang.get(), Text::WhereWeStand)>
            <p>{move || session.workshop.get().rated} " " {move || t(lang.get(), Text::HaveAnswered)}</p>
            <button type="button" disabled=move || !steer.get() aria-pressed=move || shown().to_string()
                on:click=move |_| { let v = !shown(); session.change_workshop(move |tx| proposals::set_phases_shown(tx, v)) }>
                {move || if shown() { t(lang.get(), Text::HidePhases) } else { t(lang.get(), Text::ShowPhases) }}
            </button>
        </section>
    }
}

/// The participants' voices with their owners, from the roster's voice documents.
fn voices(session: UseWorkshopReturn) -> Vec<(ParticipantId, VoiceView)> {
    let ws = session.workshop.get();
    let all = session.voices.get();
    ws.roster
        .iter()
        .filter_map(|r| Some((r.id, all.get(&r.voice?)?.clone())))
        .collect()
}

/// How a card names its author, as the table's labels say (by organisation unless chosen).
fn author(ws: &WorkshopView, labels: Labels, p: ParticipantId) -> Option<String> {
    let r = ws.roster.iter().find(|r| r.id == p)?;
    let s = match labels {
        Labels::Names => r.name.trim(),
        Labels::Organisations => r.organisation.trim(),
        Labels::Anonymous => "",
    };
    (!s.is_empty()).then(|| s.to_owned())
}

/// The consensus canvas: the nine fields with their proposals and cards. Participants add cards
/// (`writes`); the facilitator curates (`curates`).
#[component]
pub fn Canvas(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    writes: bool,
    curates: Signal<bool>,
) -> impl IntoView {
    Effect::new(move |_| {
        if writes && let Some((_, d)) = my_voice(session) {
            session.open_document(d, Extra::Voice);
        }
    });
    // The fields this step shows (001: all nine; 002: the step's own).
    let fields = Memo::new(move |_| {
        let ws = session.workshop.get();
        agreements::fields(ws.form.id, ws.step.unwrap_or(Step::Lobby))
    });
    let field = RwSignal::new(FieldId::Rules);
    Effect::new(move |_| {
        let f = fields.get();
        if !f.contains(&field.get_untracked())
            && let Some(first) = f.first()
        {
            field.set(*first);
        }
    });
    let text = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let card = CanvasCard {
            id: DocumentId::random().to_string(),
            field: field.get_untracked(),
            text: cut(&text.get_untracked(), voice::MAX_CARD_TEXT),
        };
        if card.text.is_empty() {
            return;
        }
        if let Some((_, d)) = my_voice(session) {
            text.set(String::new());
            session.change_document(d, move |tx| voice::add_canvas_card(tx, &card));
        }
    };
    let groups = Memo::new(move |_| {
        let table = session.table.get().unwrap_or_default();
        agreements::canvas(fields.get(), &voices(session), &table)
    });
    let sections = Memo::new(move |_| {
        let ws = session.workshop.get();
        agreements::sections(ws.form.id, ws.step.unwrap_or(Step::Lobby))
    });
    // 001 records consensus; 002 names its canvas after the step.
    let heading = move || {
        let ws = session.workshop.get();
        let l = code(lang.get());
        if ws.form.id != kring_shared::forms::FormId::Horizon {
            return HEADINGS.canvas.get(l);
        }
        match ws.form.form().step(ws.step.unwrap_or(Step::Lobby)) {
            Some(s) => s.name.get(l),
            None => ws.form.form().name.get(l),
        }
    };
    view! {
        <section class="card canvas" aria-labelledby="canvas-heading">
            <h2 id="canvas-heading">{heading}</h2>
            <Show when=move || writes && !closed(session)>
                <form class="canvas-add" on:submit=add>
                    <FieldSelect lang field fields=fields.into()/>
                    <label>{move || t(lang.get(), Text::CanvasCard)}
                        <input type="text" maxlength=voice::MAX_CARD_TEXT prop:value=text on:input=move |ev| text.set(event_target_value(&ev))/>
                    </label>
                    <button type="submit" class="primary">{move || t(lang.get(), Text::AddCard)}</button>
                </form>
            </Show>
            // The step's parts (002's landscape and map in theirs), each a grid of fields. A field
            // is drawn again only when its cards change (what a curator types elsewhere stays).
            {move || sections.get().into_iter().map(|sec| {
                let mine = move || {
                    groups
                        .get()
                        .into_iter()
                        .filter(|(f, _)| sec.fields.contains(f))
                        .collect::<Vec<_>>()
                };
                view! {
                    <div class="canvas-section">
                        {sec.name.map(|n| view! { <h3 class="section-name">{move || n.get(code(lang.get()))}</h3> })}
                        <div class="canvas-grid" class:cols={sec.columns > 0} style=format!("--cols: {}", sec.columns.max(1))>
                            <For each=mine
                                key=|(f, gs)| format!("{f}{gs:?}")
                                let:field>
                                <CanvasField session lang field=field.0 groups=field.1 curates fields=fields.into()/>
                            </For>
                        </div>
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// A choice of one of the canvas's fields in this step.
#[component]
fn FieldSelect(
    lang: Signal<Lang>,
    field: RwSignal<FieldId>,
    fields: Signal<&'static [FieldId]>,
) -> impl IntoView {
    view! {
        <label>{move || t(lang.get(), Text::Field)}
            <select prop:value=move || field.get().as_str() on:change=move |ev| if let Some(f) = FieldId::parse(&event_target_value(&ev)) { field.set(f) }>
                {move || fields.get().iter().map(|f| view! { <option value=f.as_str() selected=move || field.get() == *f>{f.name().get(code(lang.get()))}</option> }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn CanvasField(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    field: FieldId,
    groups: Vec<CanvasGroup>,
    curates: Signal<bool>,
    fields: Signal<&'static [FieldId]>,
) -> impl IntoView {
    let name = move || field.name().get(code(lang.get()));
    let props = move || {
        session
            .workshop
            .get()
            .consensus
            .proposals
            .into_iter()
            .filter(|p| p.field == field && p.status != Status::Dropped)
            .collect::<Vec<_>>()
    };
    let others: Vec<(String, String)> = groups
        .iter()
        .map(|g| (g.cards[0].key.clone(), g.cards[0].text.clone()))
        .collect();
    view! {
        <section class="canvas-field" aria-label=name>
            <h3>{name}</h3>
            <ul class="canvas-proposals">
                {move || props().into_iter().map(|p| view! {
                    <li class="proposal" class:adopted=p.status == Status::Adopted>
                        {(p.status == Status::Adopted).then(|| view! { <span class="badge">"TWO"</span> " " })}
                        {p.due.then(|| view! { <span class="badge due">{HEADINGS.due.get(code(lang.get_untracked()))}</span> " " })}
                        {p.text.clone()}
                    </li>
                }).collect_view()}
            </ul>
            <ul class="canvas-cards">
                {groups.into_iter().map(|g| view! {
                    <CanvasGroupItem session lang field group=g others=others.clone() curates fields/>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn CanvasGroupItem(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    field: FieldId,
    group: CanvasGroup,
    others: Vec<(String, String)>,
    curates: Signal<bool>,
    fields: Signal<&'static [FieldId]>,
) -> impl IntoView {
    let ws = session.workshop.get_untracked();
    let labels = session.table.get_untracked().unwrap_or_default().labels;
    let me = session.me.get_untracked().and_then(|m| m.participant_id);
    let merged = group.cards.len() > 1;
    // A merged card lies on the group's first card: its merge choice shows that one.
    let base = group
        .cards
        .first()
        .map(|c| c.key.clone())
        .unwrap_or_default();
    view! {
        <li class="canvas-group" class:merged=merged>
            {group.cards.into_iter().enumerate().map(|(i, c)| {
                let merged_into = (i > 0).then(|| base.clone());
                let by = author(&ws, labels, c.owner);
                let mine = me == Some(c.owner);
                let key = c.key.clone();
                let card_id = c.key.split_once('.').map(|(_, id)| id.to_owned()).unwrap_or_default();
                let reword = c.reword.clone();
                let others = others.clone();
                view! {
                    <div class="canvas-card">
                        <p class="card-text">{c.text.clone()}</p>
                        <p class="card-meta muted">
                            {by}
                            {c.moved_from.map(|f| view! { " · " {t(lang.get_untracked(), Text::MovedFrom)} " " {f.name().get(code(lang.get_untracked()))} })}
                            {c.reworded.then(|| view! { " · " {t(lang.get_untracked(), Text::RewordedWithConsent)} })}
                        </p>
                        {reword.map(|r| {
                            let take = r.clone();
                            view! {
                                <p class="reword">
                                    <span>{t(lang.get_untracked(), Text::RewordProposed)} ": " <em>{r.clone()}</em></span>
                                    {if mine {
                                        view! {
                                            <button type="button" on:click=move |_| {
                                                let (id, text) = (card_id.clone(), take.clone());
                                                if let Some((_, d)) = my_voice(session) {
                                                    session.change_document(d, move |tx| voice::set_canvas_text(tx, &id, &text));
                                                }
                                            }>{t(lang.get_untracked(), Text::TakeReword)}</button>
                                        }.into_any()
                                    } else {
                                        view! { <span class="muted">" (" {t(lang.get_untracked(), Text::AwaitsAuthor)} ")"</span> }.into_any()
                                    }}
                                </p>
                            }
                        })}
                        <Show when=move || curates.get()>
                            <CardCuration session lang field key=key.clone() others=others.clone() text=c.text.clone() fields merged_into=merged_into.clone()/>
                        </Show>
                    </div>
                }
            }).collect_view()}
        </li>
    }
}

/// The facilitator's tools on one card: move it to another field, merge it with another card of
/// its field, propose a rewording; a lesson learned (002) goes into the collaboration's backpack.
#[component]
fn CardCuration(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    field: FieldId,
    key: String,
    others: Vec<(String, String)>,
    text: String,
    fields: Signal<&'static [FieldId]>,
    /// The card this one is merged with, if any.
    merged_into: Option<String>,
) -> impl IntoView {
    let lesson = StoredValue::new(text.clone());
    let packed = move || {
        session
            .workshop
            .get()
            .collaboration
            .is_some_and(|c| c.backpack.contains(&lesson.get_value()))
    };
    let pack = move |_| {
        let l = lesson.get_value();
        session.change_workshop(move |tx| collaboration::add_lesson(tx, &l));
    };
    let reword = RwSignal::new(text);
    let table = move || session.table.get_untracked().unwrap_or_default();
    let k1 = key.clone();
    let move_to = move |ev: leptos::ev::Event| {
        let Some(to) = FieldId::parse(&event_target_value(&ev)) else {
            return;
        };
        let (key, t) = (k1.clone(), table());
        change_table(session, move |tx| {
            table::place_card(tx, &key, to.as_str(), t.next_order(to.as_str()), None)
        });
    };
    let k2 = key.clone();
    let merge = move |ev: leptos::ev::Event| {
        let with = event_target_value(&ev);
        let (key, t) = (k2.clone(), table());
        let with = (!with.is_empty()).then_some(with);
        change_table(session, move |tx| {
            table::group_card(tx, &t, field.as_str(), &key, with.as_deref())
        });
    };
    let k3 = key.clone();
    let propose = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (key, text) = (
            k3.clone(),
            cut(&reword.get_untracked(), voice::MAX_CARD_TEXT),
        );
        change_table(session, move |tx| {
            table::set_rewording(tx, &key, Some(&text))
        });
    };
    let others: Vec<(String, String)> = others.into_iter().filter(|(k, _)| *k != key).collect();
    view! {
        <div class="curation">
            <Show when=move || field == FieldId::Lessons>
                <button type="button" class="pack" disabled=packed on:click=pack>
                    {move || if packed() { t(lang.get(), Text::InBackpack) } else { t(lang.get(), Text::PackLesson) }}
                </button>
            </Show>
            <Show when=move || { fields.get().len() > 1 }>
            <label>{move || t(lang.get(), Text::MoveTo)}
                <select on:change=move_to.clone()>
                    {fields.get_untracked().iter().map(|f| view! { <option value=f.as_str() selected=*f == field>{f.name().get(code(lang.get_untracked()))}</option> }).collect_view()}
                </select>
            </label>
            </Show>
            <label>{move || t(lang.get(), Text::MergeWith)}
                <select on:change=merge>
                    <option value="">"–"</option>
                    {others.into_iter().map(|(k, text)| { let on = merged_into.as_deref() == Some(k.as_str()); view! { <option value=k selected=on>{text}</option> } }).collect_view()}
                </select>
            </label>
            <form on:submit=propose>
                <label>{move || t(lang.get(), Text::Reword)}
                    <input type="text" maxlength=voice::MAX_CARD_TEXT prop:value=reword on:input=move |ev| reword.set(event_target_value(&ev))/>
                </label>
                <button type="submit">{move || t(lang.get(), Text::ProposeReword)}</button>
            </form>
        </div>
    }
}

fn change_table(
    session: UseWorkshopReturn,
    f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError> + 'static,
) {
    if let Some(doc) = session.workshop.get_untracked().table {
        session.change_document(doc, f);
    }
}

/// What a round's tally says, for everyone: counts and the objections' reasons.
#[component]
fn TallyView(session: UseWorkshopReturn, lang: Signal<Lang>, id: String) -> impl IntoView {
    move || {
        let ws = session.workshop.get();
        let t_ = ws.consensus.tally(&id).cloned()?;
        let l = lang.get();
        Some(view! {
            <div class="tally" role="status">
                <p class="tally-counts">
                    <span class="agree">{Answer::Agree.label().get(code(l))} ": " {t_.agree}</span>
                    " · " <span class="workable">{Answer::Workable.label().get(code(l))} ": " {t_.workable}</span>
                    " · " <span class="object">{Answer::Object.label().get(code(l))} ": " {t_.object}</span>
                </p>
                {(!t_.objections.is_empty()).then(|| view! {
                    <div class="objections">
                        <h4>{HEADINGS.objections.get(code(l))}</h4>
                        <ul>{t_.objections.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}</ul>
                    </div>
                })}
                {(!t_.concerns.is_empty()).then(|| view! {
                    <div class="concerns">
                        <h4>{HEADINGS.concerns.get(code(l))}</h4>
                        <ul>{t_.concerns.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}</ul>
                    </div>
                })}
            </div>
        })
    }
}

/// The participant's consent round: the proposal asked now, three answers, a reason (needed for
/// an objection: rule 5, everyone voices their concerns), and the group's tally.
#[component]
pub fn ConsentPanel(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_answers(session);
    let reason = RwSignal::new(String::new());
    let asked = move || session.workshop.get().consensus.asked().cloned();
    let mine = move || {
        let p = asked()?;
        session
            .answers
            .get()
            .consent
            .get(&p.id)
            .filter(|g| g.round == p.round)
            .cloned()
    };
    let give = move |a: Answer| {
        let Some(p) = asked() else { return };
        let r = cut(&reason.get_untracked(), answers::MAX_REASON);
        if a == Answer::Object && r.is_empty() {
            return;
        }
        change(Box::new(move |tx| {
            answers::answer(tx, &p.id, p.round, a, &r)
        }));
    };
    view! {
        <Show when=move || asked().is_some() && !closed(session)>
            <section class="card consent" aria-labelledby="consent-heading">
                <h2 id="consent-heading">{move || t(lang.get(), Text::ConsentRound)}</h2>
                <blockquote class="proposal-text">{move || asked().map(|p| p.text)}</blockquote>
                <p class="muted">{move || TWO_QUOTE.get(code(lang.get()))}</p>
                <label>{move || t(lang.get(), Text::Reason)}
                    <textarea maxlength=answers::MAX_REASON prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                </label>
                <div class="answers">
                    {Answer::ALL.into_iter().map(|a| view! {
                        <button type="button" class=format!("answer {}", a.as_str())
                            aria-pressed=move || (mine().map(|g| g.answer) == Some(a)).to_string()
                            disabled=move || a == Answer::Object && reason.get().trim().is_empty()
                            on:click=move |_| give(a)>
                            {move || a.label().get(code(lang.get()))}
                        </button>
                    }).collect_view()}
                </div>
                <p class="muted">{move || t(lang.get(), Text::ObjectionNeedsReason)}</p>
                {move || mine().map(|g| view! { <p role="status">{t(lang.get(), Text::YourAnswer)} ": " <strong>{g.answer.label().get(code(lang.get()))}</strong></p> })}
                {move || asked().map(|p| view! { <TallyView session lang id=p.id/> })}
            </section>
        </Show>
    }
}

/// The round that runs now, for the screen and everyone: the proposal and its tally.
#[component]
pub fn RoundResult(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let asked = move || session.workshop.get().consensus.asked().cloned();
    view! {
        <Show when=move || asked().is_some()>
            <section class="card consent" aria-label=move || t(lang.get(), Text::ConsentRound)>
                <h2>{move || t(lang.get(), Text::ConsentRound)}</h2>
                <blockquote class="proposal-text">{move || asked().map(|p| p.text)}</blockquote>
                {move || asked().map(|p| view! { <TallyView session lang id=p.id/> })}
            </section>
        </Show>
    }
}

/// The TWOs the group adopted, with why and when to review them.
#[component]
pub fn TwoList(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="card twos" aria-labelledby="twos-heading">
            <h2 id="twos-heading">{move || HEADINGS.twos.get(code(lang.get()))}</h2>
            {move || {
                let ws = session.workshop.get();
                let twos: Vec<Proposal> = ws.consensus.twos().cloned().collect();
                let l = code(lang.get());
                if twos.is_empty() {
                    return view! { <p class="muted">{HEADINGS.none_yet.get(l)}</p> }.into_any();
                }
                view! {
                    <ul class="two-list">
                        {twos.into_iter().map(|p| view! {
                            <li class="two">
                                <p><strong>{p.text.clone()}</strong> " " <span class="muted">"(" {p.field.name().get(l)} ", " {HEADINGS.version.get(l)} " " {p.version()} ")"</span></p>
                                {(!p.why.is_empty()).then(|| view! { <p>{HEADINGS.why.get(l)} ": " {p.why.clone()}</p> })}
                                {p.review.clone().map(|d| view! { <p>{HEADINGS.review.get(l)} ": " {d}</p> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The facilitator's proposals: per field, amend, ask for consent, adopt as a TWO (why and a
/// review date), drop or open again; a new proposal per field; the round that runs, with who
/// has not answered yet (never what anyone answered).
#[component]
pub fn ProposalsBoard(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    // The fields this step shows (001: all nine; 002: the step's own).
    let fields = Memo::new(move |_| {
        let ws = session.workshop.get();
        agreements::fields(ws.form.id, ws.step.unwrap_or(Step::Lobby))
    });
    let field = RwSignal::new(FieldId::Rules);
    Effect::new(move |_| {
        let f = fields.get();
        if !f.contains(&field.get_untracked())
            && let Some(first) = f.first()
        {
            field.set(*first);
        }
    });
    let text = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = cut(&text.get_untracked(), proposals::MAX_PROPOSAL_TEXT);
        if body.is_empty() {
            return;
        }
        text.set(String::new());
        let f = field.get_untracked();
        let order = session.workshop.get_untracked().consensus.proposals.len() as f64 + 100.0;
        let id = format!("p-{}", ParticipantId::random());
        session.change_workshop(move |tx| proposals::put_proposal(tx, &id, f, &body, order));
    };
    let waiting = move || {
        let ws = session.workshop.get();
        let progress = session.progress.get();
        ws.roster
            .iter()
            .filter(|r| progress.0.get(&r.id).is_none_or(|c| c.answered == 0))
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
    };
    view! {
        <section class="card proposals" aria-labelledby="proposals-heading">
            <h2 id="proposals-heading">{move || t(lang.get(), Text::Proposals)}</h2>
            {move || session.workshop.get().consensus.asked().cloned().map(|p| view! {
                <div class="running-round">
                    <h3>{t(lang.get(), Text::ConsentRound)} ": " {p.text.clone()}</h3>
                    <TallyView session lang id=p.id.clone()/>
                    <p class="waiting">{t(lang.get(), Text::NotAnsweredYet)} ": " {move || { let w = waiting(); if w.is_empty() { "–".to_owned() } else { w.join(", ") } }}</p>
                    <button type="button" disabled=move || !steer.get() on:click=move |_| session.change_workshop(|tx| proposals::stop_asking(tx))>{t(lang.get(), Text::StopRound)}</button>
                </div>
            })}
            // Keyed by everything an item shows, so a tally or someone else's proposal arriving
            // does not wipe what the facilitator is typing in another one.
            <ul class="proposal-list">
                <For each=move || session.workshop.get().consensus.proposals
                    key=|p| (p.id.clone(), p.text.clone(), p.status, p.round, p.why.clone(), p.review.clone(), p.earlier.len(), p.due)
                    let:p>
                    <ProposalItem session lang steer proposal=p/>
                </For>
            </ul>
            <form class="proposal-add" on:submit=add>
                <FieldSelect lang field fields=fields.into()/>
                <label>{move || t(lang.get(), Text::NewProposal)}
                    <input type="text" maxlength=proposals::MAX_PROPOSAL_TEXT prop:value=text on:input=move |ev| text.set(event_target_value(&ev))/>
                </label>
                <button type="submit" disabled=move || !steer.get()>{move || t(lang.get(), Text::AddProposal)}</button>
            </form>
        </section>
    }
}

#[component]
fn ProposalItem(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
    proposal: Proposal,
) -> impl IntoView {
    let p = StoredValue::new(proposal.clone());
    let text = RwSignal::new(proposal.text.clone());
    let why = RwSignal::new(proposal.why.clone());
    let review = RwSignal::new(proposal.review.clone().unwrap_or_default());
    let l = move || code(lang.get());
    let status = proposal.status;
    let asking = move || {
        session.workshop.get().consensus.asking.as_deref() == Some(p.get_value().id.as_str())
    };
    let amend = move |_| {
        let (p, t_) = (
            p.get_value(),
            cut(&text.get_untracked(), proposals::MAX_PROPOSAL_TEXT),
        );
        if !t_.is_empty() {
            session.change_workshop(move |tx| proposals::amend(tx, &p, &t_));
        }
    };
    let ask = move |_| {
        let p = p.get_value();
        session.change_workshop(move |tx| proposals::ask(tx, &p));
    };
    let adopt = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = p.get_value().id;
        let w = cut(&why.get_untracked(), proposals::MAX_WHY);
        let d = review.get_untracked();
        let d = proposals::is_date(&d).then_some(d);
        session.change_workshop(move |tx| {
            proposals::set_status(tx, &id, Status::Adopted, &w, d.as_deref())
        });
    };
    let set = move |s: Status| {
        let id = p.get_value().id;
        session.change_workshop(move |tx| proposals::set_status(tx, &id, s, "", None));
    };
    let label = proposal.text.clone();
    view! {
        <li class="proposal-item" class:adopted=status == Status::Adopted class:dropped=status == Status::Dropped aria-label=label>
            <p class="proposal-meta muted">
                {move || proposal.field.name().get(l())} " · " {move || HEADINGS.version.get(l())} " " {proposal.version()}
                {(status == Status::Adopted).then(|| view! { " · " <span class="badge">"TWO"</span> })}
                {(status == Status::Dropped).then(|| view! { " · " {move || HEADINGS.dropped.get(l())} })}
                {proposal.due.then(|| view! { " · " <span class="badge due">{move || HEADINGS.due.get(l())}</span> })}
            </p>
            <label class="proposal-edit">{move || t(lang.get(), Text::ProposalWording)}
                <textarea rows="2" maxlength=proposals::MAX_PROPOSAL_TEXT prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            {(proposal.round > 0 && !asking()).then(|| view! { <TallyView session lang id=proposal.id.clone()/> })}
            <div class="proposal-actions">
                <button type="button" disabled=move || !steer.get() on:click=amend>{move || t(lang.get(), Text::Amend)}</button>
                <button type="button" class="primary" disabled=move || !steer.get() || asking() on:click=ask>{move || t(lang.get(), Text::AskConsent)}</button>
                {match status {
                    Status::Open => view! { <button type="button" disabled=move || !steer.get() on:click=move |_| set(Status::Dropped)>{move || t(lang.get(), Text::Drop)}</button> }.into_any(),
                    _ => view! { <button type="button" disabled=move || !steer.get() on:click=move |_| set(Status::Open)>{move || t(lang.get(), Text::Reopen)}</button> }.into_any(),
                }}
            </div>
            // Adopting follows a round in which nobody objected.
            <Show when=move || status == Status::Open && session.workshop.get().consensus.tally(&p.get_value().id).is_some_and(|t| t.consents())>
            <form class="adopt" on:submit=adopt>
                <label>{move || HEADINGS.why.get(l())}
                    <input type="text" maxlength=proposals::MAX_WHY prop:value=why on:input=move |ev| why.set(event_target_value(&ev))/>
                </label>
                <label>{move || HEADINGS.review.get(l())}
                    <input type="date" prop:value=review on:input=move |ev| review.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="primary" disabled=move || !steer.get()>{move || t(lang.get(), Text::AdoptTwo)}</button>
            </form>
            </Show>
        </li>
    }
}

/// The collaboration this session belongs to, for facilitators: the earlier sessions, every
/// agreement with its history, the backpack of lessons learned (they add to it), and starting
/// the next session — of any form — which carries all of it.
#[component]
pub fn CollaborationPanel(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let lesson = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    // The next session runs this session's form unless the facilitator chooses another (read
    // when it is needed: the workshop document may arrive after this panel is made).
    let chosen = RwSignal::new(None::<kring_shared::forms::FormId>);
    let form = move || {
        chosen
            .get()
            .unwrap_or_else(|| session.workshop.get().form.id)
    };
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let pack = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = cut(&lesson.get_untracked(), collaboration::MAX_LESSON);
        if text.is_empty() {
            return;
        }
        lesson.set(String::new());
        session.change_workshop(move |tx| collaboration::add_lesson(tx, &text));
    };
    let next = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = crate::http::body(&kring_shared::api::NextSession {
            title: title.get_untracked(),
            form: chosen
                .get_untracked()
                .unwrap_or_else(|| session.workshop.get_untracked().form.id)
                .as_str()
                .to_owned(),
        });
        let token = session.token.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let created = crate::http::with_token("POST", "/api/next-session", &token, body)
                .await
                .and_then(crate::http::read::<kring_shared::api::CreatedWorkshop>);
            match created {
                Ok(c) => {
                    // Only the fragment changes: load the page again for the new token.
                    let loc = web_sys::window().expect("window").location();
                    let _ = loc.set_href(&format!("/facilitate#{}", c.facilitator_token));
                    let _ = loc.reload();
                }
                Err(e) => {
                    error.set(Some(e.0));
                    busy.set(false);
                }
            }
        });
    };
    let h = &HEADINGS;
    view! {
        <section class="card collaboration" aria-labelledby="collaboration-heading">
            <h2 id="collaboration-heading">{move || h.collaboration.get(code(lang.get()))}</h2>
            {move || {
                let l = code(lang.get());
                let Some(c) = session.workshop.get().collaboration else {
                    return view! { <p class="muted">{t(lang.get(), Text::NoCollaborationYet)}</p> }.into_any();
                };
                view! {
                    {c.horizon().map(|a| view! { <p class="collab-horizon"><strong>{h.horizon.get(l)} ": "</strong> {a.text.clone()}</p> })}
                    <h3>{h.sessions.get(l)}</h3>
                    <ol class="sessions">{c.sessions.iter().map(|s| view! { <li>{s.title.clone()} " (" {s.date.clone()} ")"</li> }).collect_view()}</ol>
                    <h3>{h.ledger.get(l)}</h3>
                    {ledger(&c.ledger, l)}
                }.into_any()
            }}
            <crate::collaboration::CollaborationLinkButton token=session.token.get_value() lang/>
            <crate::horizon::RouteOverTime session lang/>
            <h3>{move || h.backpack.get(code(lang.get()))}</h3>
            <ul class="backpack">
                {move || session.workshop.get().collaboration.map(|c| c.backpack).unwrap_or_default().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            <form class="lesson-add" on:submit=pack>
                <label>{move || t(lang.get(), Text::Lesson)}
                    <input type="text" maxlength=collaboration::MAX_LESSON prop:value=lesson on:input=move |ev| lesson.set(event_target_value(&ev))/>
                </label>
                <button type="submit" disabled=move || !steer.get()>{move || t(lang.get(), Text::PackLesson)}</button>
            </form>
            <form class="next-session" on:submit=next>
                <h3>{move || t(lang.get(), Text::NextSession)}</h3>
                <label>{move || t(lang.get(), Text::NextSessionTitle)}
                    <input type="text" required maxlength=kring_shared::schema::workshop::MAX_TITLE prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/>
                </label>
                <label>{move || t(lang.get(), Text::WorkForm)}
                    <select prop:value=move || form().as_str() on:change=move |ev| if let Ok(f) = event_target_value(&ev).parse() { chosen.set(Some(f)) }>
                        {move || kring_shared::forms::built().map(|f| view! { <option value=f.id.as_str() selected=move || form() == f.id>{f.name.get(code(lang.get()))}</option> }).collect_view()}
                    </select>
                </label>
                <p class="muted small">{move || t(lang.get(), Text::NextSessionExplain)}</p>
                <button type="submit" class="primary" disabled=move || !steer.get() || busy.get()>{move || t(lang.get(), Text::StartNextSession)}</button>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        </section>
    }
}

/// A collaboration's agreements, each with its version, since when, its review date, whether it
/// was dropped and its earlier texts.
pub fn ledger(list: &[collaboration::Agreement], l: &'static str) -> impl IntoView + use<> {
    let h = &HEADINGS;
    view! {
        <ul class="ledger">
            {list.iter().map(|a| view! {
                <li class="ledger-item" class:dropped=a.status == Status::Dropped>
                    <strong>{a.text.clone()}</strong> " "
                    <span class="muted">"(" {h.version.get(l)} " " {a.version()} "; " {a.since.clone()}
                        {a.review.clone().map(|d| format!("; {} {d}", h.review.get(l).to_lowercase()))}
                        {(a.status == Status::Dropped).then(|| format!("; {}", h.dropped.get(l).to_lowercase()))}
                    ")"</span>
                    {(!a.earlier.is_empty()).then(|| view! {
                        <details><summary>{h.earlier.get(l)}</summary>
                            <ol>{a.earlier.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ol>
                        </details>
                    })}
                </li>
            }).collect_view()}
        </ul>
    }
}

/// The console's set-up for 001 and 002: the steps' lengths and k.
#[component]
pub fn RulesSetup(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let (min, max) = kring_shared::forms::blocks::K_RANGE;
    view! {
        <section class="card plan" aria-labelledby="plan-heading">
            <h2 id="plan-heading">{move || t(lang.get(), Text::Setup)}</h2>
            <crate::blocks::FormPlan session lang steer/>
            <fieldset>
                <label class="inline">{move || t(lang.get(), if session.workshop.get().form.id == kring_shared::forms::FormId::Horizon { Text::KRoute } else { Text::KPhases })}
                    <input type="number" min=min max=max prop:value=move || session.workshop.get().plan.k.to_string() disabled=move || !steer.get()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                let n = n.clamp(min, max);
                                session.change_workshop(move |tx| kring_shared::schema::workshop::set_k(tx, n));
                            }
                        }/>
                </label>
                <p class="muted small">{move || t(lang.get(), Text::KExplain)}</p>
            </fieldset>
        </section>
    }
}

/// 001's report page body: the TWOs, open proposals with objections, the canvas, the phases.
#[component]
pub fn AgreementsReportBody(report: kring_shared::report::Report) -> impl IntoView {
    let lang = Lang::from_code(&report.language);
    let l = code(lang);
    let Some(r) = report.agreements.clone() else {
        return ().into_any();
    };
    let h = &HEADINGS;
    view! {
        <article class="report" lang=report.language.clone()>
            <header class="report-header">
                <h1>{report.title.clone()}</h1>
                <p class="meta">{report.form.form().name.get(l)} " · " {report.date.clone()} " · " {report.participants.count} " " {t(lang, Text::Participants).to_lowercase()}</p>
            </header>
            {r.horizon.clone().map(|t| view! {
                <section class="report-horizon">
                    <h2>{h.horizon.get(l)}</h2>
                    <blockquote class="statement">{t}</blockquote>
                </section>
            })}
            <section class="report-twos">
                <h2>{h.twos.get(l)}</h2>
                {r.twos.is_empty().then(|| view! { <p>{h.none_yet.get(l)}</p> })}
                <ul>
                    {r.twos.iter().map(|p| view! {
                        <li>
                            <strong>{p.text.clone()}</strong> " (" {p.field_name.clone()} ", " {h.version.get(l)} " " {p.version} ")"
                            {(!p.why.is_empty()).then(|| view! { <br/> {h.why.get(l)} ": " {p.why.clone()} })}
                            {p.review.clone().map(|d| view! { <br/> {h.review.get(l)} ": " {d} })}
                            {(!p.concerns.is_empty()).then(|| view! { <br/> {h.concerns.get(l)} ": " {p.concerns.join("; ")} })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            {(!r.open.is_empty()).then(|| view! {
                <section class="report-open">
                    <h2>{h.open.get(l)}</h2>
                    <ul>{r.open.iter().map(|p| view! {
                        <li>{p.text.clone()} " (" {p.field_name.clone()} ")"
                            {(!p.objections.is_empty()).then(|| view! { <br/> {h.objections.get(l)} ": " {p.objections.join("; ")} })}
                        </li>
                    }).collect_view()}</ul>
                </section>
            })}
            <section class="report-canvas">
                <h2>{if report.form.id == kring_shared::forms::FormId::Horizon { report.form.form().name.get(l) } else { h.canvas.get(l) }}</h2>
                {agreements::sections(report.form.id, Step::Closed).into_iter().map(|sec| view! {
                    {sec.name.map(|n| view! { <h3 class="section-name">{n.get(l)}</h3> })}
                    <div class="canvas-grid" class:cols={sec.columns > 0} style=format!("--cols: {}", sec.columns.max(1))>
                        {r.canvas.iter().filter(|f| sec.fields.contains(&f.id)).map(|f| view! {
                            <section class="canvas-field">
                                <h3>{f.name.clone()}</h3>
                                <ul>{f.cards.iter().map(|c| view! {
                                    <li>{c.texts.join(" / ")} {(!c.by.is_empty()).then(|| format!(" ({})", c.by.join(", ")))}</li>
                                }).collect_view()}</ul>
                            </section>
                        }).collect_view()}
                    </div>
                }).collect_view()}
            </section>
            {r.phases.clone().map(|p| view! {
                <section class="report-phases">
                    <h2>{h.phases.get(l)}</h2>
                    <p>{p.answered} " " {h.answered.get(l)}</p>
                    <ul>{p.phases.iter().map(|(_, name, n)| view! { <li>{name.clone()} ": " {*n}</li> }).collect_view()}</ul>
                </section>
            })}
            {r.route.clone().map(|route| view! {
                <section class="report-route">
                    <h2>{h.route.get(l)}</h2>
                    <p>{route.answered} " " {h.answered.get(l)}</p>
                    <ul>{route.levels.iter().map(|v| view! {
                        <li>{v.name.clone()} ": " {h.mean.get(l)} " " {format!("{:.1}", v.mean)}
                            " (1–5: " {v.counts.iter().map(u32::to_string).collect::<Vec<_>>().join(" · ")} ")"</li>
                    }).collect_view()}</ul>
                </section>
            })}
            {(!r.dropped.is_empty()).then(|| view! {
                <section class="report-dropped">
                    <h2>{h.dropped.get(l)}</h2>
                    <ul>{r.dropped.iter().map(|p| view! { <li>{p.text.clone()}</li> }).collect_view()}</ul>
                </section>
            })}
        </article>
    }
    .into_any()
}
