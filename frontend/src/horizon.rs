//! Work form 002, horizon – landscape – map – route: the participant's private horizon sentence
//! and sharing it as a card, the horizon the group agreed, the private route ratings and the
//! group's route (from the server, at k), the console's count and switch for it, and the route
//! per session of a collaboration as a chart over time. The canvas, the consent rounds and the
//! TWOs are 001's components (`agreements`), with 002's fields.

use kring_shared::forms::agreements::FieldId;
use kring_shared::forms::agreements_report::HEADINGS;
use kring_shared::forms::blocks::SCALE;
use kring_shared::forms::horizon::{BACKPACK_LINE, HORIZON_QUESTION, Level, ROUTE_QUESTION, Stem};
use kring_shared::ids::DocumentId;
use kring_shared::schema::answers;
use kring_shared::schema::proposals;
use kring_shared::schema::voice::{self, CanvasCard};
use kring_shared::step::Step;
use leptos::prelude::*;

use crate::agreements::{code, use_answers};
use crate::blocks::ProfileBars;
use crate::i18n::{Lang, Text, t};
use crate::plenary::my_voice;
use crate::session::{Extra, UseWorkshopReturn};

fn closed(session: UseWorkshopReturn) -> bool {
    session.workshop.get().step == Some(Step::Closed)
}

/// Step 1: the participant finishes one of the seed's two sentences for themselves (kept in
/// their private answers) and shares it when they want: then it lies on the table as a card of
/// the field "horizon", by organisation like every card.
#[component]
pub fn HorizonSentence(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_answers(session);
    Effect::new(move |_| {
        if let Some((_, d)) = my_voice(session) {
            session.open_document(d, Extra::Voice);
        }
    });
    let stem = move || session.answers.get().stem.unwrap_or(Stem::WorkOn);
    let text = move || session.answers.get().horizon;
    let sentence = move || stem().sentence(code(lang.get()), &text());
    // Shared: one of my cards in the field "horizon" says this sentence.
    let shared = move || {
        let Some((_, d)) = my_voice(session) else {
            return false;
        };
        let s = sentence();
        session.voices.get().get(&d).is_some_and(|v| {
            v.canvas
                .iter()
                .any(|c| c.field == FieldId::Horizon && c.text == s)
        })
    };
    let share = move |_| {
        if text().trim().is_empty() {
            return;
        }
        let card = CanvasCard {
            id: DocumentId::random().to_string(),
            field: FieldId::Horizon,
            text: sentence().chars().take(voice::MAX_CARD_TEXT).collect(),
        };
        if let Some((_, d)) = my_voice(session) {
            session.change_document(d, move |tx| voice::add_canvas_card(tx, &card));
        }
    };
    view! {
        <section class="card horizon-sentence" aria-labelledby="horizon-heading">
            <h2 id="horizon-heading">{move || t(lang.get(), Text::YourHorizon)}</h2>
            <p class="private-note">{move || HORIZON_QUESTION.get(code(lang.get()))}</p>
            <div class="stems" role="radiogroup" aria-label=move || t(lang.get(), Text::YourHorizon)>
                {Stem::ALL.into_iter().map(|s| view! {
                    <label class="stem">
                        <input type="radio" name="stem" value=s.as_str()
                            prop:checked=move || stem() == s
                            disabled=move || closed(session)
                            on:change=move |_| { let rest = text(); change(Box::new(move |tx| answers::set_horizon(tx, s, &rest))) }/>
                        <span>{move || s.text().get(code(lang.get()))} " …"</span>
                    </label>
                }).collect_view()}
            </div>
            <label>{move || stem().text().get(code(lang.get()))} " …"
                <textarea rows="2" maxlength=answers::MAX_HORIZON prop:value=text disabled=move || closed(session)
                    on:input=move |ev| { let v = event_target_value(&ev); let s = stem(); change(Box::new(move |tx| answers::set_horizon(tx, s, &v))) }></textarea>
            </label>
            <p class="sentence-preview"><em>{sentence}</em></p>
            <button type="button" class="primary" disabled=move || closed(session) || text().trim().is_empty() || shared() on:click=share>
                {move || t(lang.get(), Text::ShareSentence)}
            </button>
            <Show when=shared>
                <p role="status">{move || t(lang.get(), Text::SentenceShared)}</p>
            </Show>
        </section>
    }
}

/// The horizon the group agreed: adopted in this session, or carried by the collaboration.
#[component]
pub fn HorizonStatement(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let statement = move || {
        let ws = session.workshop.get();
        ws.consensus
            .horizon()
            .map(|p| p.text.clone())
            .or_else(|| ws.collaboration.as_ref()?.horizon().map(|a| a.text.clone()))
    };
    view! {
        <Show when=move || statement().is_some()>
            <section class="card horizon-statement" aria-labelledby="statement-heading">
                <h2 id="statement-heading">{move || HEADINGS.horizon.get(code(lang.get()))}</h2>
                <blockquote class="statement">{statement}</blockquote>
            </section>
        </Show>
    }
}

/// Step 3: the participant rates the seed's three levels, privately.
#[component]
pub fn RouteRating(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_answers(session);
    view! {
        <section class="card rating-sheet route-rating" aria-labelledby="route-heading">
            <h2 id="route-heading">{move || t(lang.get(), Text::YourRoute)}</h2>
            <p class="private-note">{move || ROUTE_QUESTION.get(code(lang.get()))}</p>
            <div class="blocks">
                {Level::ALL.into_iter().map(|level| {
                    let score = move || session.answers.get().route.get(&level).copied();
                    let name = move || level.name().get(code(lang.get()));
                    view! {
                        <fieldset class=format!("block {}", level.as_str()) disabled=move || closed(session)>
                            <legend>{name}</legend>
                            <p class="explanation">{move || level.explanation().get(code(lang.get()))}</p>
                            <div class="scale" role="radiogroup" aria-label=move || format!("{}: {}", t(lang.get(), Text::Score), name())>
                                {SCALE.map(|n| view! {
                                    <label class="scale-point" class:chosen=move || score() == Some(n)>
                                        <input type="radio" name=format!("route-{}", level.as_str()) value=n.to_string()
                                            aria-label=move || format!("{} {n}", name())
                                            prop:checked=move || score() == Some(n)
                                            on:change=move |_| change(Box::new(move |tx| answers::rate_route(tx, level, Some(n))))/>
                                        <span>{n}</span>
                                    </label>
                                }).collect_view()}
                            </div>
                        </fieldset>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// The group's route: per level how many gave each rating and the mean, as the server published
/// it (once shown, at k); until then how many rated.
#[component]
pub fn RouteChart(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="card profile route" aria-labelledby="route-chart-heading">
            <h2 id="route-chart-heading">{move || HEADINGS.route.get(code(lang.get()))}</h2>
            {move || {
                let ws = session.workshop.get();
                let l = code(lang.get());
                match ws.consensus.route.clone() {
                    None => view! {
                        <p class="waiting" role="status">{ws.rated} " " {t(lang.get(), Text::HaveRated)} ". "
                            {t(lang.get(), Text::RouteWaiting)} " " {ws.plan.k} "."</p>
                    }.into_any(),
                    Some(r) => {
                        let rows = Level::ALL.into_iter()
                            .filter_map(|level| Some((level.name().get(l).to_owned(), *r.levels.get(&level)?, r.mean(level))))
                            .collect();
                        view! {
                            <p class="answered" role="status">{r.answered} " " {t(lang.get(), Text::Answers)}</p>
                            <ProfileBars rows lang/>
                        }.into_any()
                    }
                }
            }}
            <p class="muted">{move || BACKPACK_LINE.get(code(lang.get()))}</p>
        </section>
    }
}

/// The console's step 3: how many rated, and showing the route.
#[component]
pub fn RouteControl(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let shown = move || session.workshop.get().consensus.route_shown;
    view! {
        <section class="card" aria-label=move || t(lang.get(), Text::YourRoute)>
            <p>{move || session.workshop.get().rated} " " {move || t(lang.get(), Text::HaveRated)}</p>
            <button type="button" disabled=move || !steer.get() aria-pressed=move || shown().to_string()
                on:click=move |_| { let v = !shown(); session.change_workshop(move |tx| proposals::set_route_shown(tx, v)) }>
                {move || if shown() { t(lang.get(), Text::HideRoute) } else { t(lang.get(), Text::ShowRoute) }}
            </button>
        </section>
    }
}

/// The route per session of a collaboration — the earlier sessions' means and this one's — as a
/// line per level over time (1 to 5), with the same numbers in a table for screen readers and
/// print.
#[component]
pub fn RouteOverTime(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let points = Signal::derive(move || {
        let ws = session.workshop.get();
        let mut out = route_points(ws.collaboration.iter().flat_map(|c| c.sessions.iter()));
        if let Some(r) = &ws.consensus.route {
            out.push((ws.title.clone(), r.means()));
        }
        out
    });
    view! { <RouteChartOverTime points lang/> }
}

/// A chart point per session that has a route: "title (date)" and its means.
pub fn route_points<'a>(
    sessions: impl Iterator<Item = &'a kring_shared::schema::collaboration::Session>,
) -> Vec<(String, kring_shared::forms::horizon::RouteMeans)> {
    sessions
        .filter_map(|s| Some((format!("{} ({})", s.title, s.date), s.route.clone()?)))
        .collect()
}

/// The route means over time as a chart (one line per level, 1 to 5) with the same numbers in
/// a table; nothing while no session has a route.
#[component]
pub fn RouteChartOverTime(
    points: Signal<Vec<(String, kring_shared::forms::horizon::RouteMeans)>>,
    lang: Signal<Lang>,
) -> impl IntoView {
    // Colours of the three lines (their marks tell them apart without colour).
    const COLOURS: [&str; 3] = ["#1b6b8f", "#c2571a", "#4d7c2a"];
    move || {
        let p = points.get();
        let l = code(lang.get());
        if p.is_empty() {
            return ().into_any();
        }
        let (w, h, left, top) = (480.0_f64, 200.0_f64, 36.0_f64, 12.0_f64);
        let n = p.len();
        let x = move |i: usize| {
            if n == 1 {
                left + (w - left) / 2.0
            } else {
                left + 12.0 + (w - left - 24.0) * i as f64 / (n - 1) as f64
            }
        };
        let y = move |v: f64| top + (h - 2.0 * top) * (5.0 - v) / 4.0;
        let grid = (1..=5)
            .map(|v| {
                let yy = y(f64::from(v));
                view! {
                    <line x1=left x2=w y1=yy y2=yy class="grid"/>
                    <text x=left - 8.0 y=yy + 4.0 text-anchor="end">{v}</text>
                }
            })
            .collect_view();
        let lines = Level::ALL
            .into_iter()
            .enumerate()
            .map(|(li, level)| {
                let pts: Vec<(f64, f64)> = p
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, m))| Some((x(i), y(m.mean(level)?))))
                    .collect();
                let path = pts
                    .iter()
                    .map(|(a, b)| format!("{a:.1},{b:.1}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                // A circle, a square, a diamond: the lines differ without colour too.
                let marks = pts
                    .iter()
                    .map(|(a, b)| match li {
                        0 => view! { <circle cx=*a cy=*b r="5" fill=COLOURS[li]/> }.into_any(),
                        1 => view! { <rect x=a - 4.5 y=b - 4.5 width="9" height="9" fill=COLOURS[li]/> }.into_any(),
                        _ => view! { <polygon points=format!("{a},{} {},{b} {a},{} {},{b}", b - 6.0, a + 6.0, b + 6.0, a - 6.0) fill=COLOURS[li]/> }.into_any(),
                    })
                    .collect_view();
                view! {
                    <polyline points=path fill="none" stroke=COLOURS[li] stroke-width="2.5"/>
                    {marks}
                }
            })
            .collect_view();
        view! {
            <figure class="route-over-time">
                <figcaption>{HEADINGS.route_over_time.get(l)}</figcaption>
                <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=HEADINGS.route_over_time.get(l)>
                    {grid}
                    {lines}
                </svg>
                <ul class="route-legend">
                    {Level::ALL.into_iter().enumerate().map(|(i, level)| view! {
                        <li><span class="swatch" style=format!("background: {}", COLOURS[i])></span> {level.name().get(l)}</li>
                    }).collect_view()}
                </ul>
                <table class="route-table">
                    <thead><tr>
                        <th scope="col">{HEADINGS.session.get(l)}</th>
                        {Level::ALL.into_iter().map(|level| view! { <th scope="col">{level.name().get(l)}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {p.iter().map(|(title, m)| view! {
                            <tr>
                                <th scope="row">{title.clone()}</th>
                                {Level::ALL.into_iter().map(|level| view! { <td>{m.mean(level).map_or("–".to_owned(), |v| format!("{v:.1}"))}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </figure>
        }
        .into_any()
    }
}
