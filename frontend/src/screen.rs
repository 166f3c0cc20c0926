//! The projector view (`/screen#TOKEN`): big type, the current step and its timer, and in the
//! lobby the join code and QR code; in step 3 the table with its clusters, the round's spotlight,
//! the energy per level and everyone's contributions. Read-only, and it never shows private
//! content: step-1 reflections are closed to it by the server.

use leptos::prelude::*;

use crate::agreements::{Canvas, PhasesChart, RoundResult, TwoList};
use crate::blocks::{ActionsBoard, ProfileChart, RatedCount};
use crate::horizon::{HorizonStatement, RouteChart};
use crate::i18n::{Lang, Text, t};
use crate::plenary::{EnergyHeat, Spotlight, Voices, open_plenary};
use crate::roles::{AgreementsBoard, BalanceChart, RoleMapBoard, RolesCount};
use crate::session::UseWorkshopReturn;
use crate::session::use_workshop;
use crate::table::TableBoard;
use crate::widgets::{
    BroadcastNotice, ConnectionBanner, QrCode, Rings, TimerView, step_name, workshop_lang,
};
use kring_shared::forms::FormId;
use kring_shared::method::{self, LevelId};
use kring_shared::step::Step;

#[component]
pub fn ScreenPage(token: String) -> impl IntoView {
    let session = use_workshop(token);
    let lang = workshop_lang(session);
    open_plenary(session);
    let round = move || session.workshop.get().round.running;
    let step = move || session.workshop.get().step.unwrap_or(Step::Lobby);
    let blocks = move || session.workshop.get().form.id == FormId::BuildingBlocks;
    let roles = move || session.workshop.get().form.id == FormId::Roles;
    let rules = move || session.workshop.get().form.id == FormId::RulesOfPlay;
    let horizon = move || session.workshop.get().form.id == FormId::Horizon;
    let code = move || session.me.get().map(|m| m.join_code).unwrap_or_default();
    let link = Signal::derive(move || {
        let base = crate::links::here(session.me.get().as_ref());
        format!("{}/join/{}", base.url, code())
    });
    view! {
        <main class="screen">
            <ConnectionBanner session lang/>
            <header class="hero">
                <Rings/>
                <h1>{move || session.workshop.get().title}</h1>
            </header>
            <BroadcastNotice workshop=session.workshop/>
            <p class="screen-step">{move || step_name(session.workshop.get().form, step(), lang.get())}</p>
            <Show when=move || step() == Step::Lobby>
                <div class="screen-join">
                    <div>
                        <p class="label">{move || t(lang.get(), Text::JoinCode)}</p>
                        <p class="big-code" aria-label=move || t(lang.get(), Text::JoinCode)>{code}</p>
                        <p class="url">{link}</p>
                        <p class="muted">{move || session.workshop.get().roster.len()} " " {move || t(lang.get(), Text::Participants).to_lowercase()}</p>
                    </div>
                    <QrCode text=link label=Signal::derive(move || t(lang.get(), Text::QrJoin).to_owned())/>
                </div>
            </Show>
            <Show when=move || matches!(step(), Step::Reflect | Step::Duos) && !((blocks() || roles() || rules() || horizon()) && step() == Step::Duos)>
                <div class="screen-step-body">
                    <TimerView session lang class="huge"/>
                    <ScreenStepContent session lang/>
                </div>
            </Show>
            <Show when=move || blocks() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <div class="screen-blocks">
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary)>
                        <TimerView session lang/>
                    </Show>
                    <ProfileChart session lang/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <ActionsBoard session lang writes=false/>
                    </Show>
                </div>
            </Show>
            <Show when=move || roles() && matches!(step(), Step::Duos | Step::Plenary | Step::Closed)>
                <div class="screen-roles">
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary)>
                        <TimerView session lang/>
                    </Show>
                    <RoleMapBoard session lang/>
                    <BalanceChart session lang/>
                    <Show when=move || matches!(step(), Step::Plenary | Step::Closed)>
                        <AgreementsBoard session lang writes=Signal::derive(|| false)/>
                    </Show>
                </div>
            </Show>
            <Show when=move || rules() && step() != Step::Lobby>
                <div class="screen-rules">
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary)>
                        <TimerView session lang/>
                    </Show>
                    <RoundResult session lang/>
                    <Show when=move || session.workshop.get().consensus.phases.is_some()>
                        <PhasesChart session lang/>
                    </Show>
                    <Show when=move || step() != Step::Reflect>
                        <TwoList session lang/>
                        <Canvas session lang writes=false curates=Signal::derive(|| false)/>
                    </Show>
                </div>
            </Show>
            <Show when=move || horizon() && step() != Step::Lobby>
                <div class="screen-rules">
                    <Show when=move || matches!(step(), Step::Duos | Step::Plenary)>
                        <TimerView session lang/>
                    </Show>
                    <RoundResult session lang/>
                    <HorizonStatement session lang/>
                    <Show when=move || session.workshop.get().consensus.route.is_some()>
                        <RouteChart session lang/>
                    </Show>
                    <Show when=move || step() != Step::Reflect>
                        <TwoList session lang/>
                    </Show>
                    <Canvas session lang writes=false curates=Signal::derive(|| false)/>
                </div>
            </Show>
            <Show when=move || !blocks() && !roles() && !rules() && !horizon() && matches!(step(), Step::Plenary | Step::Closed)>
                <div class="screen-plenary">
                    <Show when=move || step() == Step::Plenary>
                        <TimerView session lang/>
                    </Show>
                    <Show when=round fallback=move || view! {
                        <div class="plenary">
                            <TableBoard session lang editable=false me=""/>
                            <div class="plenary-side">
                                <EnergyHeat session lang/>
                                <Voices session lang/>
                            </div>
                        </div>
                    }>
                        <Spotlight session lang/>
                    </Show>
                </div>
            </Show>
        </main>
    }
}

/// What the room needs to see during a step: the instruction, and in step 1 the chosen
/// questions per level. Nothing private: all of it comes from the workshop document.
#[component]
fn ScreenStepContent(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
    move || {
        let v = session.workshop.get();
        let step = v.step.unwrap_or(Step::Lobby);
        let instruction = v.form.form().step(step).map(|s| s.instruction.get(code()));
        let questions = (step == Step::Reflect && v.form.id == FormId::ThreeLevels).then(|| {
            LevelId::ALL
                .into_iter()
                .map(|level| view! {
                    <section class=format!("level-questions {}", level.as_str())>
                        <h3>{method::level(level).name.get(code())}</h3>
                        <ul>{v.plan.chosen(level, code()).into_iter().map(|q| view! { <li>{q}</li> }).collect_view()}</ul>
                    </section>
                })
                .collect_view()
        });
        let rated = (step == Step::Reflect && v.form.id == FormId::BuildingBlocks)
            .then(|| view! { <RatedCount session lang/> });
        let divided = (step == Step::Reflect && v.form.id == FormId::Roles)
            .then(|| view! { <RolesCount session lang/> });
        view! {
            <div class="screen-content">
                <p class="instruction">{instruction}</p>
                {questions}
                {rated}
                {divided}
            </div>
        }
    }
}
