//! The facilitator's console: steps, the server-held timer, messages to everyone, the console
//! lock, the links (join, QR, projector screen, co-facilitator), the set-up of the work form and
//! the live roster; from step 2 on the plenary table, and in step 3 the round. Everything here is a keyboard-reachable control with an accessible name.

use kring_shared::access::Role;
use kring_shared::api;
use kring_shared::forms::{FormId, StepKind};
use kring_shared::method::{self, LevelId, QUESTIONS_PER_LEVEL};
use kring_shared::schema::voice;
use kring_shared::schema::workshop::{self, Broadcast, CustomQuestion};
use kring_shared::step::Step;
use kring_shared::timer::TimerAction;
use leptos::prelude::*;

use crate::agreements::{
    Canvas, CollaborationPanel, PhasesChart, PhasesControl, ProposalsBoard, RulesSetup, TwoList,
};
use crate::blocks::{ActionsBoard, BlocksSetup, ProfileChart, RatedCount};
use crate::duo_console::DuoPanel;
use crate::horizon::{HorizonStatement, RouteChart, RouteControl};
use crate::http;
use crate::i18n::{Lang, Text, t};
use crate::plenary::{EnergyHeat, RoundPanel, Spotlight, Voices, open_plenary};
use crate::roles::{AgreementsBoard, BalanceChart, RoleMapBoard, RolesCount, RolesSetup};
use crate::session::{UseWorkshopReturn, use_workshop};
use crate::table::TableBoard;
use crate::widgets::{
    BroadcastNotice, ConnectionBanner, QrCode, Rings, Roster, TimerView, step_name, workshop_lang,
};

/// Where links point (phones must be able to open them; see `links`).
fn link_base(session: UseWorkshopReturn) -> crate::links::LinkBase {
    crate::links::here(session.me.get().as_ref())
}

/// Sends a timer action to the server, which applies it with its own clock.
fn timer_action(session: UseWorkshopReturn, action: TimerAction) {
    let token = session.token.get_value();
    let body = http::body(&action);
    leptos::task::spawn_local(async move {
        if let Err(e) = http::with_token("POST", "/api/timer", &token, body).await {
            session.last_error.set(Some(e.0));
        }
    });
}

/// Whether this facilitator may steer now (the console is not locked by someone else).
fn can_steer(session: UseWorkshopReturn) -> Signal<bool> {
    Signal::derive(move || {
        let lock = session.workshop.get().lock;
        let me = session.me.get().and_then(|m| m.facilitator_id);
        match lock {
            None => true,
            Some(holder) => me == Some(holder),
        }
    })
}

/// `/facilitate#TOKEN`
#[component]
pub fn FacilitatorPage(token: String) -> impl IntoView {
    let report_token = token.clone();
    let session = use_workshop(token);
    let lang = workshop_lang(session);
    let steer = can_steer(session);
    open_plenary(session);
    let hand_name = Signal::derive(move || {
        let id = session
            .me
            .get()
            .and_then(|m| m.facilitator_id)
            .map(|f| f.to_string())
            .unwrap_or_default();
        format!(
            "{} {}",
            t(lang.get(), Text::FacilitatorShort),
            id.chars().take(4).collect::<String>()
        )
    });
    let step = move || session.workshop.get().step.unwrap_or(Step::Lobby);
    // Work form 004 has its own set-up and plenary; everything else is 000's, as before.
    let blocks = move || session.workshop.get().form.id == FormId::BuildingBlocks;
    let roles = move || session.workshop.get().form.id == FormId::Roles;
    let rules = move || session.workshop.get().form.id == FormId::RulesOfPlay;
    let horizon = move || session.workshop.get().form.id == FormId::Horizon;
    let duo_rooms = move || {
        session
            .workshop
            .get()
            .form
            .form()
            .step_has(Step::Duos, StepKind::DuoRooms)
    };
    view! {
        <main class="page console">
            <ConnectionBanner session lang/>
            <header class="hero small">
                <Rings/>
                <h1>{move || session.workshop.get().title}</h1>
                <span class="step-badge">{move || session.workshop.get().step.map(|s| step_name(session.workshop.get().form, s, lang.get()))}</span>
                <crate::report::ReportLink token=report_token lang/>
            </header>
            <BroadcastNotice workshop=session.workshop/>
            <Show when=move || session.last_error.get().is_some()>
                <p class="error" role="alert">{move || t(lang.get(), Text::Refused)} ": " {move || session.last_error.get()}</p>
            </Show>
            <LockControl session lang steer/>
            <div class="console-grid">
                <div class="column">
                    <StepControl session lang steer/>
                    <TimerControl session lang steer/>
                    <BroadcastForm session lang steer/>
                    <Roster workshop=session.workshop presence=session.presence lang progress=session.progress/>
                </div>
                <div class="column">
                    // Forms whose step 2 has duo rooms: 000 (formed in step 1 or 2) and 004
                    // (optional, in step 2, on the profile's weakest blocks).
                    <Show when=move || duo_rooms() && (step() == Step::Duos || (step() == Step::Reflect && !blocks()))>
                        <DuoPanel session lang steer/>
                    </Show>
                    <Show when=move || roles() && step() == Step::Reflect>
                        <section class="card" aria-label=move || t(lang.get(), Text::HaveDivided)>
                            <RolesCount session lang/>
                        </section>
                    </Show>
                    <Show when=move || blocks() && step() == Step::Reflect>
                        <section class="card" aria-label=move || t(lang.get(), Text::HaveRated)>
                            <RatedCount session lang/>
                        </section>
                    </Show>
                    <JoinInfo session lang/>
                    <Show when=move || rules() && step() == Step::Reflect>
                        <PhasesControl session lang steer/>
                    </Show>
                    <Show when=move || horizon() && step() == Step::Plenary>
                        <RouteControl session lang steer/>
                    </Show>
                    <Show when=move || blocks() || roles() || rules() || horizon() fallback=move || view! { <PlanEditor session lang steer/> }>
                        <Show when=move || !rules() && !horizon() fallback=move || view! { <RulesSetup session lang steer/> }>
                            <Show when=roles fallback=move || view! { <BlocksSetup session lang steer/> }>
                                <RolesSetup session lang steer/>
                            </Show>
                        </Show>
                    </Show>
                    <LinkMaker session lang/>
                    <CollaborationPanel session lang steer/>
                </div>
            </div>
            <Show when=move || blocks() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <div class="blocks-plenary">
                    <ProfileChart session lang/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <ActionsBoard session lang writes=false curates=steer/>
                    </Show>
                </div>
            </Show>
            <Show when=move || roles() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <div class="roles-plenary">
                    <RoleMapBoard session lang/>
                    <BalanceChart session lang/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <AgreementsBoard session lang writes=steer/>
                    </Show>
                </div>
            </Show>
            // 001: the proposals from the lobby on (a later session of a collaboration starts with
            // its agenda), the phases from step 1, the TWOs and the canvas from step 2.
            <Show when=rules>
                <div class="rules-plenary">
                    <Show when=move || step() != Step::Lobby>
                        <PhasesChart session lang/>
                    </Show>
                    <ProposalsBoard session lang steer/>
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                        <TwoList session lang/>
                        <Canvas session lang writes=false curates=steer/>
                    </Show>
                </div>
            </Show>
            // 002: the horizon agreed, the proposals and the canvas of the step from step 1 on,
            // the route from step 3.
            <Show when=horizon>
                <div class="rules-plenary">
                    <HorizonStatement session lang/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <RouteChart session lang/>
                    </Show>
                    <ProposalsBoard session lang steer/>
                    <Show when=move || step() != Step::Lobby>
                        <TwoList session lang/>
                        <Canvas session lang writes=false curates=steer/>
                    </Show>
                </div>
            </Show>
            <Show when=move || !blocks() && !roles() && !rules() && !horizon() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <div class="plenary">
                    <Show when=move || step() == Step::Plenary>
                        <RoundPanel session lang steer/>
                        <Spotlight session lang/>
                    </Show>
                    <TableBoard session lang editable=true me=hand_name/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <div class="plenary-side">
                            <EnergyHeat session lang/>
                            <Voices session lang/>
                        </div>
                    </Show>
                </div>
            </Show>
        </main>
    }
}

/// Lobby → step 1 → step 2 → step 3 → closed, and back.
#[component]
fn StepControl(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let go = move |step: Step| {
        session.change_workshop(|tx| workshop::set_step(tx, step));
        if let Some(minutes) = session.workshop.get_untracked().plan.minutes.for_step(step) {
            timer_action(session, TimerAction::Set { minutes });
        }
    };
    view! {
        <section class="card" aria-labelledby="steps-heading">
            <h2 id="steps-heading">{move || t(lang.get(), Text::Steps)}</h2>
            <ol class="stepper">
                {Step::ALL.into_iter().map(|step| view! {
                    <li>
                        <button type="button"
                            aria-current=move || (session.workshop.get().step == Some(step)).then_some("step")
                            disabled=move || !steer.get()
                            on:click=move |_| go(step)>
                            {move || step_name(session.workshop.get().form, step, lang.get())}
                        </button>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

/// Start, pause, resume, +1, +5, reset: each an action the server applies.
#[component]
fn TimerControl(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let start_minutes = move || {
        let v = session.workshop.get_untracked();
        let full = v.timer.duration_ms / 60_000;
        v.step
            .and_then(|s| v.plan.minutes.for_step(s))
            .unwrap_or(u32::try_from(full.max(1)).unwrap_or(1))
    };
    let button = move |text: Text, body: TimerAction| {
        view! {
            <button type="button" disabled=move || !steer.get()
                on:click=move |_| timer_action(session, body)>
                {move || t(lang.get(), text)}
            </button>
        }
    };
    view! {
        <section class="card" aria-labelledby="timer-heading">
            <h2 id="timer-heading">{move || t(lang.get(), Text::Timer)}</h2>
            <TimerView session lang/>
            <div class="buttons">
                {move || {
                    let timer = session.workshop.get().timer;
                    if timer.is_running() {
                        button(Text::Pause, TimerAction::Pause).into_any()
                    } else if timer.remaining_ms < timer.duration_ms && timer.remaining_ms > 0 {
                        button(Text::Resume, TimerAction::Resume).into_any()
                    } else {
                        view! {
                            <button type="button" disabled=move || !steer.get()
                                on:click=move |_| timer_action(session, TimerAction::Start { minutes: start_minutes() })>
                                {move || t(lang.get(), Text::Start)}
                            </button>
                        }.into_any()
                    }
                }}
                {button(Text::PlusOne, TimerAction::Add { minutes: 1 })}
                {button(Text::PlusFive, TimerAction::Add { minutes: 5 })}
                {button(Text::Reset, TimerAction::Reset)}
            </div>
        </section>
    }
}

/// A short message that every screen shows.
#[component]
fn BroadcastForm(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked().trim().to_owned();
        if body.is_empty() {
            return;
        }
        let b = Broadcast {
            id: kring_shared::ids::DocumentId::random().to_string(),
            text: body,
            at: session.server_now() as i64,
        };
        session.change_workshop(|tx| workshop::set_broadcast(tx, &b));
        text.set(String::new());
    };
    view! {
        <form class="card" on:submit=send>
            <label>{move || t(lang.get(), Text::Message)}
                <input type="text" maxlength=workshop::MAX_BROADCAST prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))/>
            </label>
            <button type="submit" disabled=move || !steer.get()>{move || t(lang.get(), Text::Send)}</button>
        </form>
    }
}

/// Lock the console so that only this facilitator steers, or unlock it.
#[component]
fn LockControl(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let locked = move || session.workshop.get().lock.is_some();
    let toggle = move |_| {
        let me = session.me.get_untracked().and_then(|m| m.facilitator_id);
        let holder = if locked() { None } else { me };
        session.change_workshop(|tx| workshop::set_lock(tx, holder));
    };
    view! {
        <div class="lock-bar">
            <Show when=move || locked()>
                <p class="muted" role="status">{move || if steer.get() { t(lang.get(), Text::LockedByMe) } else { t(lang.get(), Text::LockedByOther) }}</p>
            </Show>
            <button type="button" aria-pressed=move || locked().to_string() disabled=move || !steer.get() on:click=toggle>
                {move || if locked() { t(lang.get(), Text::Unlock) } else { t(lang.get(), Text::Lock) }}
            </button>
        </div>
    }
}

/// The join code, link and QR code for people in the room.
#[component]
fn JoinInfo(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let code = move || session.me.get().map(|m| m.join_code).unwrap_or_default();
    let base = Memo::new(move |_| link_base(session));
    let link = Signal::derive(move || format!("{}/join/{}", base.get().url, code()));
    let note = move || {
        base.get()
            .note
            .map(|n| view! { <p class="notice" role="note">{move || t(lang.get(), n)}</p> })
    };
    let others = move || {
        let others = base.get().others;
        (!others.is_empty()).then(|| {
            view! {
                <p class="muted small">{move || t(lang.get(), Text::ReachOthers)} ": "
                    {others.into_iter().map(|u| {
                        let l = format!("{u}/join/{}", code());
                        view! { <a href=l.clone()>{l.clone()}</a> " " }
                    }).collect_view()}
                </p>
            }
        })
    };
    view! {
        <section class="card join-info" aria-labelledby="join-heading">
            <h2 id="join-heading">{move || t(lang.get(), Text::JoinCode)}</h2>
            <p class="big-code" aria-label=move || t(lang.get(), Text::JoinCode)>{code}</p>
            <QrCode text=link label=Signal::derive(move || t(lang.get(), Text::QrJoin).to_owned())/>
            <p>{move || t(lang.get(), Text::JoinLink)} ": " <a href=link>{link}</a></p>
            {note}
            {others}
            <p class="muted small">{move || t(lang.get(), Text::LinkSecret)}</p>
        </section>
    }
}

/// New secret links for the projector and for co-facilitators.
#[component]
fn LinkMaker(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let screen = RwSignal::new(None::<String>);
    let co = RwSignal::new(None::<String>);
    let make = move |role: Role, into: RwSignal<Option<String>>| {
        let token = session.token.get_value();
        leptos::task::spawn_local(async move {
            let body = http::body(&api::NewLink { role });
            match http::with_token("POST", "/api/links", &token, body)
                .await
                .and_then(http::read::<api::Link>)
            {
                Ok(link) => into.set(Some(format!("{}{}", link_base(session).url, link.path))),
                Err(e) => session.last_error.set(Some(e.0)),
            }
        });
    };
    let row = move |text: Text, role: Role, into: RwSignal<Option<String>>| {
        view! {
            <div class="link-row">
                <span>{move || t(lang.get(), text)}</span>
                <button type="button" aria-label=move || format!("{}: {}", t(lang.get(), Text::MakeLink), t(lang.get(), text))
                    on:click=move |_| make(role, into)>{move || t(lang.get(), Text::MakeLink)}</button>
                {move || into.get().map(|url| view! { <a class="secret-link" href=url.clone()>{url.clone()}</a> })}
            </div>
        }
    };
    view! {
        <section class="card" aria-labelledby="links-heading">
            <h2 id="links-heading">{move || t(lang.get(), Text::Links)}</h2>
            {row(Text::ScreenLink, Role::Screen, screen)}
            {row(Text::CoFacilitatorLink, Role::Facilitator, co)}
        </section>
    }
}

/// The set-up of the work form: questions per level, own questions, durations, extras.
#[component]
fn PlanEditor(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
    view! {
        <section class="card plan" aria-labelledby="plan-heading">
            <h2 id="plan-heading">{move || t(lang.get(), Text::Setup)}</h2>
            <p class="muted">{move || t(lang.get(), Text::ChooseQuestions)}</p>
            {method::LEVELS.iter().map(|level| view! { <LevelQuestions session lang steer level=level.id/> }).collect_view()}
            <fieldset>
                <legend>{move || t(lang.get(), Text::Durations)}</legend>
                {[(Text::DurReflect, "reflect"), (Text::DurDuos, "duos"), (Text::DurPlenary, "plenary"), (Text::DurTurn, "turn"), (Text::DurJoint, "joint")]
                    .into_iter()
                    .map(|(text, key)| {
                        let value = move || {
                            let m = session.workshop.get().plan.minutes;
                            match key { "reflect" => m.reflect, "duos" => m.duos, "plenary" => m.plenary, "turn" => m.turn, _ => m.joint }
                        };
                        view! {
                            <label class="inline">{move || t(lang.get(), text)}
                                <input type="number" min="1" max="180" prop:value=move || value().to_string() disabled=move || !steer.get()
                                    on:change=move |ev| {
                                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                            let n = n.clamp(1, 180);
                                            session.change_workshop(|tx| workshop::set_minutes(tx, key, n));
                                        }
                                    }/>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <fieldset>
                <legend>{move || t(lang.get(), Text::Extras)}</legend>
                <label class="check">
                    <input type="checkbox" prop:checked=move || session.workshop.get().plan.extra_marks disabled=move || !steer.get()
                        on:change=move |ev| { let on = event_target_checked(&ev); session.change_workshop(|tx| workshop::set_extra(tx, "extra_marks", on)); }/>
                    {move || t(lang.get(), Text::ExtraMarks)}
                </label>
                <p class="muted small">{move || method::EXTRA_MARKS.get(code())}</p>
                <label class="check">
                    <input type="checkbox" prop:checked=move || session.workshop.get().plan.extra_small_change disabled=move || !steer.get()
                        on:change=move |ev| { let on = event_target_checked(&ev); session.change_workshop(|tx| workshop::set_extra(tx, "extra_small_change", on)); }/>
                    {move || t(lang.get(), Text::ExtraSmallChange)}
                </label>
                <p class="muted small">{move || method::EXTRA_SMALL_CHANGE.get(code())}</p>
                <label class="inline">{move || t(lang.get(), Text::EnergyDots)}
                    <input type="number" min="1" max=voice::MAX_ENERGY_DOTS prop:value=move || session.workshop.get().plan.energy_dots.to_string()
                        disabled=move || !steer.get()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                let n = n.clamp(1, voice::MAX_ENERGY_DOTS);
                                session.change_workshop(|tx| workshop::set_energy_dots(tx, n));
                            }
                        }/>
                </label>
            </fieldset>
        </section>
    }
}

/// One level: its explanation, its bank questions and own questions as checkboxes (at most
/// three chosen), and a field to add an own question.
#[component]
fn LevelQuestions(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
    level: LevelId,
) -> impl IntoView {
    let info = method::level(level);
    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
    let chosen = move || {
        session
            .workshop
            .get()
            .plan
            .questions
            .get(&level)
            .cloned()
            .unwrap_or_default()
    };
    let toggle = move |id: String, on: bool| {
        let mut ids = chosen();
        ids.retain(|x| *x != id);
        if on {
            ids.push(id);
        }
        ids.truncate(QUESTIONS_PER_LEVEL.2);
        session.change_workshop(|tx| workshop::set_questions(tx, level, &ids));
    };
    let options = move || {
        let plan = session.workshop.get().plan;
        let mut out: Vec<(String, String)> = info
            .questions
            .iter()
            .map(|q| (q.id.to_owned(), q.text.get(code()).to_owned()))
            .collect();
        out.extend(
            plan.custom
                .iter()
                .filter(|c| c.level == level)
                .map(|c| (c.id.clone(), c.text.clone())),
        );
        out
    };
    let own = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = own.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let q = CustomQuestion {
            id: format!("own-{}", kring_shared::ids::DocumentId::random()),
            level,
            text,
        };
        let mut ids = chosen();
        session.change_workshop(|tx| {
            workshop::add_custom_question(tx, &q)?;
            if ids.len() < QUESTIONS_PER_LEVEL.2 {
                ids.push(q.id.clone());
                workshop::set_questions(tx, level, &ids)?;
            }
            Ok(())
        });
        own.set(String::new());
    };
    view! {
        <fieldset class=format!("level {}", level.as_str())>
            <legend>{move || info.name.get(code())}</legend>
            <p class="core">{move || info.core.get(code())}</p>
            <p class="muted small">{move || info.explanation.get(code())}</p>
            <Show when=move || chosen().is_empty()>
                <p class="warn" role="status">{move || t(lang.get(), Text::ChooseQuestions)}</p>
            </Show>
            <For each=options key=|(id, text)| (id.clone(), text.clone()) let:q>
                {
                    let id = q.0.clone();
                    let id_check = id.clone();
                    let is_on = move || chosen().contains(&id_check);
                    let is_on2 = is_on.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" prop:checked=is_on
                                disabled=move || !steer.get() || (!is_on2() && chosen().len() >= QUESTIONS_PER_LEVEL.2)
                                on:change=move |ev| toggle(id.clone(), event_target_checked(&ev))/>
                            {q.1.clone()}
                        </label>
                    }
                }
            </For>
            <form class="own-question" on:submit=add>
                <label>{move || format!("{} ({})", t(lang.get(), Text::OwnQuestion), info.name.get(code()))}
                    <input type="text" maxlength=workshop::MAX_QUESTION prop:value=own disabled=move || !steer.get()
                        on:input=move |ev| own.set(event_target_value(&ev))/>
                </label>
                <button type="submit" disabled=move || !steer.get()>{move || t(lang.get(), Text::Add)}</button>
            </form>
        </fieldset>
    }
}
