//! Small components shared by the pages: the rings logo, the connection banner, the roster, the
//! timer, the broadcast notice and the QR code.

use kring_shared::forms::{FormRef, StepKind};
use kring_shared::method::{self, LevelId};
use kring_shared::presence::Presence;
use kring_shared::progress::Progress;
use kring_shared::schema::workshop::WorkshopView;
use kring_shared::step::Step;
use kring_shared::timer::format_remaining;
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::session::UseWorkshopReturn;

/// A step's name in the interface language.
/// A level's name in the interface language.
pub fn level_name(level: kring_shared::method::LevelId, lang: Lang) -> &'static str {
    kring_shared::method::level(level)
        .name
        .get(if lang == Lang::En { "en" } else { "nl" })
}

/// A duo card's zone (a level in 000, a building block in 004) in the interface language.
pub fn zone_name(zone: kring_shared::schema::duo::Zone, lang: Lang) -> &'static str {
    use kring_shared::schema::duo::Zone;
    match zone {
        Zone::Level(l) => level_name(l, lang),
        Zone::Block(b) => b
            .block()
            .name
            .get(if lang == Lang::En { "en" } else { "nl" }),
    }
}

/// A step's name in the interface language, as the workshop's work form names it.
pub fn step_name(form: FormRef, step: Step, lang: Lang) -> &'static str {
    let code = if lang == Lang::En { "en" } else { "nl" };
    match step {
        Step::Lobby => t(lang, Text::Lobby),
        Step::Closed => t(lang, Text::Closed),
        other => form
            .form()
            .step(other)
            .map(|s| s.name.get(code))
            .unwrap_or_default(),
    }
}

/// The language of a workshop, as a signal.
pub fn workshop_lang(session: UseWorkshopReturn) -> Signal<Lang> {
    Signal::derive(move || Lang::from_code(&session.workshop.get().language))
}

/// The three circles, as the method draws them.
#[component]
pub fn Rings() -> impl IntoView {
    view! {
        <svg class="rings" viewBox="0 0 120 120" aria-hidden="true">
            <circle cx="60" cy="60" r="56" class="ring collective"/>
            <circle cx="60" cy="60" r="38" class="ring collegial"/>
            <circle cx="60" cy="60" r="20" class="ring individual"/>
        </svg>
    }
}

/// The quiet banner shown while the connection is down.
#[component]
pub fn ConnectionBanner(
    /// The live session.
    session: UseWorkshopReturn,
    /// The interface language.
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <Show when=move || !session.connected.get()>
            <p class="banner" role="status">{move || match session.me.get() {
                Some(me) if me.documents.reflection.is_some() => t(lang.get(), Text::OfflineKept),
                Some(_) => t(lang.get(), Text::OfflineBanner),
                None => t(lang.get(), Text::Connecting),
            }}</p>
        </Show>
    }
}

/// The facilitator's last message to everyone, until a newer one replaces it.
#[component]
pub fn BroadcastNotice(
    /// The workshop document's view.
    workshop: RwSignal<WorkshopView>,
) -> impl IntoView {
    view! {
        {move || workshop.get().broadcast.map(|b| view! {
            <p class="broadcast" role="status" aria-live="polite">{b.text}</p>
        })}
    }
}

/// Everyone on the roster, with whether they are online now, and for facilitators their
/// step-1 progress (counts only).
#[component]
pub fn Roster(
    /// The workshop document's view.
    workshop: RwSignal<WorkshopView>,
    /// Who is connected.
    presence: RwSignal<Presence>,
    /// The interface language.
    lang: Signal<Lang>,
    /// Step-1 counts per participant, shown when given.
    #[prop(optional)]
    progress: Option<RwSignal<Progress>>,
) -> impl IntoView {
    view! {
        <section class="roster" aria-labelledby="roster-heading">
            <h2 id="roster-heading">
                {move || t(lang.get(), Text::Participants)} " "
                <span class="count">{move || workshop.get().roster.len()}</span>
            </h2>
            <Show when=move || workshop.get().roster.is_empty()>
                <p class="muted">{move || t(lang.get(), Text::NobodyYet)}</p>
            </Show>
            <ul aria-label=move || t(lang.get(), Text::Participants)>
                <For each=move || workshop.get().roster key=|r| (r.id, r.name.clone(), r.organisation.clone()) let:r>
                    {
                        let id = r.id;
                        let online = move || presence.get().online.contains(&id);
                        view! {
                            <li class:online=online>
                                <span class="dot" aria-hidden="true"></span>
                                <span class="name">{r.name.clone()}</span>
                                <span class="org">{r.organisation.clone()}</span>
                                <span class="status">{move || if online() { t(lang.get(), Text::Online) } else { t(lang.get(), Text::Offline) }}</span>
                                {progress.map(|p| {
                                    let counts = move || p.get().0.get(&id).copied().unwrap_or_default();
                                    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
                                    let label = move || {
                                        let c = counts();
                                        let name = |l: LevelId| method::level(l).name.get(code());
                                        format!("{}: {} {}, {} {}, {} {}; {} {}, {} {}", t(lang.get(), Text::Progress),
                                            name(LevelId::Individual), c.individual, name(LevelId::Collegial), c.collegial,
                                            name(LevelId::Collective), c.collective,
                                            t(lang.get(), Text::MarkGreen), c.green, t(lang.get(), Text::MarkRed), c.red)
                                    };
                                    // Counts per ring: only forms with a sheet in zones (000) have them.
                                    let zones = move || {
                                        workshop.with(|w| {
                                            w.form.form().steps.iter().any(|s| s.kinds.contains(&StepKind::ZoneSheet))
                                        })
                                    };
                                    view! {
                                        <Show when=zones>
                                        <span class="progress" aria-label=label title=label>
                                            <span class="p individual">{move || counts().individual}</span>
                                            <span class="p collegial">{move || counts().collegial}</span>
                                            <span class="p collective">{move || counts().collective}</span>
                                            <span class="p green">"+" {move || counts().green}</span>
                                            <span class="p red">"!" {move || counts().red}</span>
                                        </span>
                                        </Show>
                                    }
                                })}
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}

/// The step timer, counting down on the server's clock (corrected for this browser's skew).
/// At zero it shows a calm notice; it never changes the step by itself.
#[component]
pub fn TimerView(
    /// The live session.
    session: UseWorkshopReturn,
    /// The interface language.
    lang: Signal<Lang>,
    /// Extra class (e.g. `huge` on the projector).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let now = RwSignal::new(session.server_now());
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(session.server_now()),
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || handle.clear());
    }
    let remaining = move || session.workshop.get().timer.remaining_at(now.get() as i64);
    let running = move || session.workshop.get().timer.is_running();
    let over = move || running() && remaining() == 0;
    view! {
        <div class=format!("timer {class}") class:running=running class:over=over>
            <span class="label">{move || t(lang.get(), Text::TimeLeft)}</span>
            <span class="time" role="timer" aria-label=move || t(lang.get(), Text::TimeLeft)>
                {move || format_remaining(remaining())}
            </span>
            <Show when=over>
                <span class="time-up" role="status">{move || t(lang.get(), Text::TimeUp)}</span>
            </Show>
        </div>
    }
}

/// A QR code (SVG) for a link.
#[component]
pub fn QrCode(
    /// What the code encodes.
    #[prop(into)]
    text: Signal<String>,
    /// Accessible name.
    #[prop(into)]
    label: Signal<String>,
) -> impl IntoView {
    let svg = move || {
        qrcode::QrCode::new(text.get().as_bytes())
            .map(|code| {
                code.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(200, 200)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default()
    };
    view! { <div class="qr" role="img" aria-label=label inner_html=svg></div> }
}
