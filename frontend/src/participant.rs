//! The participant's pages: joining with name and organisation (the organisations already
//! present are offered, so one organisation is not typed five ways), and the view that follows
//! the facilitator through the steps. The token is remembered in the browser.

use kring_shared::api;
use kring_shared::forms::FormId;
use kring_shared::method;
use kring_shared::schema::workshop as workshop_schema;
use kring_shared::step::Step;
use leptos::prelude::*;

use crate::agreements::{Canvas, ConsentPanel, PhaseChoice, PhasesChart, TwoList};
use crate::blocks::{ActionsBoard, ProfileChart, RatingSheet};
use crate::duo::{BlocksDuoRoom, DuoStep};
use crate::horizon::{HorizonSentence, HorizonStatement, RouteChart, RouteRating};
use crate::http;
use crate::i18n::{Lang, Text, t};
use crate::plenary::{EnergyHeat, Spotlight, VoicePanel, open_plenary};
use crate::reflection::ReflectionBoard;
use crate::roles::{
    AgreementsBoard, BalanceChart, PerspectiveSplit, PublishRoles, RoleClaimsSheet, RoleMapBoard,
};
use crate::session::{UseWorkshopReturn, use_workshop};
use crate::storage;
use crate::table::TableBoard;
use crate::widgets::{
    BroadcastNotice, ConnectionBanner, Rings, Roster, TimerView, step_name, workshop_lang,
};

/// `/join/CODE`: asks name and organisation once, then shows the participant's view.
#[component]
pub fn JoinPage(code: String) -> impl IntoView {
    let token = RwSignal::new(storage::participant_token(&code));
    let name = RwSignal::new(String::new());
    let organisation = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let info = RwSignal::new(None::<api::WorkshopInfo>);
    {
        let code = code.clone();
        leptos::task::spawn_local(async move {
            let got = http::get(&format!("/api/workshops/{code}"))
                .await
                .and_then(http::read::<api::WorkshopInfo>);
            match got {
                Ok(v) => info.set(Some(v)),
                Err(e) => error.set(Some(e.0)),
            }
        });
    }
    let lang = Signal::derive(move || {
        Lang::from_code(info.get().map(|v| v.language).as_deref().unwrap_or("nl"))
    });
    let organisations = move || info.get().map(|v| v.organisations).unwrap_or_default();
    let code_for_submit = code.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = code_for_submit.clone();
        leptos::task::spawn_local(async move {
            let body = http::body(&api::Person {
                name: name.get_untracked(),
                organisation: organisation.get_untracked(),
            });
            let joined = http::post(&format!("/api/workshops/{code}/participants"), body)
                .await
                .and_then(http::read::<api::Joined>);
            match joined {
                Ok(joined) => {
                    let tok = joined.token;
                    storage::remember_participant(&code, &tok);
                    token.set(Some(tok));
                }
                Err(e) => error.set(Some(e.0)),
            }
        });
    };
    let code_view = code.clone();
    view! {
        {move || match token.get() {
            Some(tok) => view! { <ParticipantPage token=tok code=code_view.clone() on_reset=move || token.set(None)/> }.into_any(),
            None => view! {
                <main class="page narrow">
                    <header class="hero small"><Rings/><h1>{move || info.get().map(|v| v.title).unwrap_or_else(|| "Kring".into())}</h1></header>
                    <form class="card" on:submit=submit.clone()>
                        <h2>{move || t(lang.get(), Text::Join)} " · " <span class="code">{code.clone()}</span></h2>
                        <label>{move || t(lang.get(), Text::Name)}
                            <input type="text" required maxlength=workshop_schema::MAX_NAME autocomplete="name" prop:value=name
                                on:input=move |ev| name.set(event_target_value(&ev))/>
                        </label>
                        <label>{move || t(lang.get(), Text::Organisation)}
                            <input type="text" maxlength=workshop_schema::MAX_ORGANISATION autocomplete="organization" list="organisations" prop:value=organisation
                                on:input=move |ev| organisation.set(event_target_value(&ev))/>
                        </label>
                        <datalist id="organisations">
                            {move || organisations().into_iter().map(|o| view! { <option value=o/> }).collect_view()}
                        </datalist>
                        <button type="submit" class="primary">{move || t(lang.get(), Text::Join)}</button>
                        <Show when=move || error.get().is_some()>
                            <p class="error" role="alert">{move || error.get()}</p>
                        </Show>
                    </form>
                </main>
            }.into_any(),
        }}
    }
}

/// The participant's view of the current step.
#[component]
fn ParticipantPage(
    token: String,
    code: String,
    on_reset: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_workshop(token);
    let lang = workshop_lang(session);
    // A token the server no longer knows: forget it and ask again.
    Effect::new(move |_| {
        if session.auth_error.get().is_some() {
            storage::forget_participant(&code);
            on_reset();
        }
    });
    let me = move || {
        let id = session.me.get()?.participant_id?;
        session
            .workshop
            .get()
            .roster
            .into_iter()
            .find(|r| r.id == id)
    };
    let step = move || session.workshop.get().step.unwrap_or(Step::Lobby);
    let wide = move || matches!(step(), Step::Reflect | Step::Duos | Step::Plenary);
    // Work forms 004 and 003 show their own steps; everything else is 000's, as before.
    let blocks = move || session.workshop.get().form.id == FormId::BuildingBlocks;
    let roles = move || session.workshop.get().form.id == FormId::Roles;
    let rules = move || session.workshop.get().form.id == FormId::RulesOfPlay;
    let horizon = move || session.workshop.get().form.id == FormId::Horizon;
    let three_levels = move || !blocks() && !roles() && !rules() && !horizon();
    let not_published = move || !session.role_sheet.get().published;
    open_plenary(session);
    view! {
        <main class="page participant" class:narrow=move || !wide()>
            <ConnectionBanner session lang/>
            <header class="hero small">
                <Rings/>
                <h1>{move || session.workshop.get().title}</h1>
            </header>
            <BroadcastNotice workshop=session.workshop/>
            <section class="card step-card" aria-live="polite">
                <h2>{move || step_name(session.workshop.get().form, step(), lang.get())}</h2>
                <Show when=move || step() == Step::Lobby>
                    <p>{move || t(lang.get(), Text::Welcome)} ", " {move || me().map(|r| r.name)} "."</p>
                    <p>{move || t(lang.get(), Text::WaitForStart)}</p>
                </Show>
                <Show when=move || step() == Step::Duos && three_levels()>
                    <p class="moved-on" role="status">{move || t(lang.get(), Text::MovedOn)}</p>
                </Show>
                <StepContent session lang/>
                <Show when=move || session.workshop.get().report_shared>
                    <p><crate::report::ReportLink token=session.token.get_value() lang/></p>
                </Show>
                <Show when=move || matches!(step(), Step::Reflect | Step::Duos | Step::Plenary)>
                    <TimerView session lang/>
                </Show>
            </section>
            <Show when=move || blocks() && step() == Step::Reflect>
                <RatingSheet session lang/>
            </Show>
            <Show when=move || blocks() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <ProfileChart session lang/>
            </Show>
            // 004's optional duos: the room under the profile, for those in a duo.
            <Show when=move || blocks() && step() == Step::Duos>
                <BlocksDuoRoom session lang/>
            </Show>
            <Show when=move || blocks() && step() == Step::Plenary>
                <ActionsBoard session lang writes=true/>
            </Show>
            <Show when=move || blocks() && step() == Step::Closed>
                <ActionsBoard session lang writes=false/>
            </Show>
            <Show when=move || roles() && step() == Step::Reflect>
                <PerspectiveSplit session lang/>
                <RoleClaimsSheet session lang/>
            </Show>
            <Show when=move || roles() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <div class="roles-plenary">
                    <RoleMapBoard session lang/>
                    <Show when=move || step() == Step::Duos && not_published()>
                        <section class="card" aria-label=move || t(lang.get(), Text::ShareRoles)>
                            <PublishRoles session lang/>
                        </section>
                    </Show>
                    <BalanceChart session lang/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <AgreementsBoard session lang writes=Signal::derive(|| false)/>
                    </Show>
                </div>
            </Show>
            // Work form 001: where we stand, the canvas, the consent rounds and the TWOs.
            <Show when=rules>
                <div class="rules">
                    <ConsentPanel session lang/>
                    <Show when=move || step() == Step::Reflect>
                        <PhaseChoice session lang/>
                    </Show>
                    <Show when=move || step() != Step::Lobby && session.workshop.get().consensus.phases.is_some()>
                        <PhasesChart session lang/>
                    </Show>
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                        <TwoList session lang/>
                        <Canvas session lang writes=true curates=Signal::derive(|| false)/>
                    </Show>
                </div>
            </Show>
            // Work form 002: the horizon sentence, the landscape and the map, the route.
            <Show when=horizon>
                <div class="rules">
                    <ConsentPanel session lang/>
                    <HorizonStatement session lang/>
                    <Show when=move || step() == Step::Reflect>
                        <HorizonSentence session lang/>
                        <Canvas session lang writes=false curates=Signal::derive(|| false)/>
                    </Show>
                    <Show when=move || step() == Step::Plenary>
                        <RouteRating session lang/>
                    </Show>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed) && session.workshop.get().consensus.route.is_some()>
                        <RouteChart session lang/>
                    </Show>
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary)>
                        <Canvas session lang writes=true curates=Signal::derive(|| false)/>
                    </Show>
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                        <TwoList session lang/>
                    </Show>
                    <Show when=move || step() == Step::Closed>
                        <Canvas session lang writes=false curates=Signal::derive(|| false)/>
                    </Show>
                </div>
            </Show>
            <Show when=move || three_levels() && step() == Step::Reflect>
                <ReflectionBoard session lang/>
            </Show>
            <Show when=move || three_levels() && step() == Step::Duos>
                <DuoStep session lang/>
            </Show>
            <Show when=move || three_levels() && matches!(step(), Step::Plenary | Step::Closed)>
                <Spotlight session lang/>
                <div class="plenary">
                    <TableBoard session lang editable=false me=""/>
                    <div class="plenary-side">
                        <EnergyHeat session lang/>
                        <Show when=move || step() == Step::Plenary>
                            <VoicePanel session lang/>
                        </Show>
                    </div>
                </div>
            </Show>
            <EditMe session lang/>
            <Roster workshop=session.workshop presence=session.presence lang/>
        </main>
    }
}

/// The instruction of the current step and its extra question (step 1's chosen questions are
/// shown with the rings of the reflection board).
#[component]
fn StepContent(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
    move || {
        let v = session.workshop.get();
        let step = v.step.unwrap_or(Step::Lobby);
        if step == Step::Closed {
            return view! { <p>{t(lang.get(), Text::ThankYou)}</p> }.into_any();
        }
        let Some(info) = v.form.form().step(step) else {
            return ().into_any();
        };
        let extra = match step {
            _ if v.form.id != FormId::ThreeLevels => None,
            Step::Reflect if v.plan.extra_marks => Some(method::EXTRA_MARKS.get(code())),
            Step::Plenary if v.plan.extra_small_change => {
                Some(method::EXTRA_SMALL_CHANGE.get(code()))
            }
            _ => None,
        };
        view! {
            <p class="instruction">{info.instruction.get(code())}</p>
            {extra.map(|e| view! { <p class="extra">{e}</p> })}
        }
        .into_any()
    }
}

/// Fix a typo in one's own name or organisation.
#[component]
fn EditMe(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let organisation = RwSignal::new(String::new());
    let saved = RwSignal::new(false);
    let fill = move |_| {
        let id = session.me.get_untracked().and_then(|m| m.participant_id);
        if let Some(r) = session
            .workshop
            .get_untracked()
            .roster
            .into_iter()
            .find(|r| Some(r.id) == id)
        {
            name.set(r.name);
            organisation.set(r.organisation);
        }
        saved.set(false);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = session.token.get_value();
        leptos::task::spawn_local(async move {
            let body = http::body(&api::Person {
                name: name.get_untracked(),
                organisation: organisation.get_untracked(),
            });
            match http::with_token("PATCH", "/api/me", &token, body).await {
                Ok(_) => saved.set(true),
                Err(e) => session.last_error.set(Some(e.0)),
            }
        });
    };
    view! {
        <details class="card" on:toggle=fill>
            <summary>{move || t(lang.get(), Text::EditMe)}</summary>
            <form on:submit=save>
                <label>{move || t(lang.get(), Text::Name)}
                    <input type="text" required maxlength=workshop_schema::MAX_NAME prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <label>{move || t(lang.get(), Text::Organisation)}
                    <input type="text" maxlength=workshop_schema::MAX_ORGANISATION prop:value=organisation on:input=move |ev| organisation.set(event_target_value(&ev))/>
                </label>
                <button type="submit">{move || t(lang.get(), Text::Save)}</button>
                <Show when=move || saved.get()><span role="status">{move || t(lang.get(), Text::Saved)}</span></Show>
            </form>
        </details>
    }
}
