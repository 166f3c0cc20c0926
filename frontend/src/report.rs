//! The report page, `/report#TOKEN`: the workshop report as a page shaped around the method
//! (participants, then per level the questions, the flip chart's cluster, the round, the energy
//! and the small changes; the other clusters; what is needed and where the chances are; step 1 in
//! numbers), a picture of the flip chart, downloads (Markdown, CSV, JSON, SVG) and a print button.
//! `report.css` gives it a clean A4 print layout, so "print to PDF" makes the minutes.
//!
//! The page reads the report from the server (`GET /api/report`), which builds it with
//! `kring_shared::report` from the workshop's documents. Facilitators also switch names on,
//! share the report with participants and can delete the workshop here.

use kring_shared::access::Role;
use kring_shared::api;
use kring_shared::report::{Answer, CardReport, ClusterReport, HEADINGS, Report};
use leptos::prelude::*;

use crate::http;
use crate::i18n::{Lang, Text, t};

/// The formats offered for download: query value, label.
const DOWNLOADS: [(&str, &str); 4] = [
    ("md", "Markdown"),
    ("csv", "CSV"),
    ("json", "JSON"),
    ("svg", "SVG"),
];

/// A `data:` link for a downloaded text.
fn data_url(mime: &str, text: &str) -> String {
    let encoded: String = js_sys::encode_uri_component(text).into();
    format!("data:{mime};charset=utf-8,{encoded}")
}

fn mime(format: &str) -> &'static str {
    match format {
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        _ => "image/svg+xml",
    }
}

/// Texts for download, by format. A download needs the bearer token, so the page fetches each
/// format itself (or makes it from what it holds) and offers the bytes as a `data:` link.
#[derive(Clone, Copy)]
pub(crate) struct Downloads(RwSignal<Vec<(String, String)>>);

impl Downloads {
    pub fn new() -> Self {
        Downloads(RwSignal::new(Vec::new()))
    }

    /// Fetches every format at `path(format)` with `token`; one that fails is not offered.
    pub async fn fetch(
        self,
        formats: impl IntoIterator<Item = &'static str>,
        path: impl Fn(&str) -> String,
        token: &str,
    ) {
        let mut got = Vec::new();
        for format in formats {
            if let Ok(text) = http::get_text_with_token(&path(format), token).await {
                got.push((format.to_owned(), text));
            }
        }
        self.0.set(got);
    }

    /// Offers texts the page made itself, by format.
    pub fn set(self, files: Vec<(&str, String)>) {
        self.0
            .set(files.into_iter().map(|(f, t)| (f.to_owned(), t)).collect());
    }

    /// The text of `format`, once fetched.
    pub fn get(self, format: &str) -> Option<String> {
        self.0.with(|files| {
            files
                .iter()
                .find(|(f, _)| f == format)
                .map(|(_, text)| text.clone())
        })
    }

    /// A download link's `href` for `format` (empty until it is fetched).
    pub fn href(self, format: &str) -> String {
        self.get(format)
            .map(|text| data_url(mime(format), &text))
            .unwrap_or_default()
    }
}

/// A link from the console to the report page.
#[component]
pub fn ReportLink(
    /// The facilitator's token.
    token: String,
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <a class="report-link" href=format!("/report#{token}")>{move || t(lang.get(), Text::Report)}</a>
    }
}

/// `/report#TOKEN`
#[component]
pub fn ReportPage(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let report = RwSignal::new(None::<Report>);
    let error = RwSignal::new(None::<String>);
    let facilitator = RwSignal::new(false);
    let names = RwSignal::new(false);
    // Per format: the text, for the picture and the download links.
    let files = Downloads::new();
    let deleted = RwSignal::new(false);
    let lang = Signal::derive(move || {
        report
            .get()
            .map(|r| Lang::from_code(&r.language))
            .unwrap_or(Lang::Nl)
    });

    let load = move || {
        let tok = token.get_value();
        let with_names = names.get_untracked();
        leptos::task::spawn_local(async move {
            let q = if with_names { "&names=true" } else { "" };
            match http::get_with_token(&format!("/api/report?format=json{q}"), &tok).await {
                Ok(v) => match serde_json::from_value::<Report>(v) {
                    Ok(r) => {
                        error.set(None);
                        report.set(Some(r));
                    }
                    Err(e) => error.set(Some(e.to_string())),
                },
                Err(e) => {
                    error.set(Some(e.0));
                    return;
                }
            }
            let formats = DOWNLOADS.map(|(format, _)| format);
            let path = |format: &str| format!("/api/report?format={format}{q}");
            files.fetch(formats, path, &tok).await;
        });
    };
    leptos::task::spawn_local(async move {
        let me = http::get_with_token("/api/me", &token.get_value())
            .await
            .and_then(http::read::<api::Me>);
        if let Ok(me) = me {
            facilitator.set(me.role == Role::Facilitator);
        }
    });
    load();

    let share = move |on: bool| {
        let tok = token.get_value();
        leptos::task::spawn_local(async move {
            match http::with_token(
                "PUT",
                "/api/report/shared",
                &tok,
                http::body(&api::ShareReport { shared: on }),
            )
            .await
            {
                Ok(_) => load(),
                Err(e) => error.set(Some(e.0)),
            }
        });
    };
    let delete = move |_| {
        http::delete_confirmed(
            t(lang.get_untracked(), Text::ReportDeleteConfirm),
            "/api/workshop",
            token.get_value(),
            move || {
                report.set(None);
                deleted.set(true);
            },
            move |e| error.set(Some(e)),
        );
    };
    let file_name = move |format: &str| {
        report
            .get()
            .map(|r| format!("kring-{}.{format}", r.date))
            .unwrap_or_default()
    };

    view! {
        <main class="page report-page">
            <nav class="report-actions no-print" aria-label=move || t(lang.get(), Text::Report)>
                <Show when=move || facilitator.get()>
                    <a href=move || format!("/facilitate#{}", token.get_value())>{move || t(lang.get(), Text::ReportBack)}</a>
                </Show>
                <button type="button" class="primary" disabled=move || report.get().is_none()
                    on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>
                    {move || t(lang.get(), Text::ReportPrint)}
                </button>
                <span class="downloads" role="group" aria-label=move || t(lang.get(), Text::ReportDownloads)>
                    {move || t(lang.get(), Text::ReportDownloads)} ": "
                    {DOWNLOADS.into_iter().map(|(format, label)| view! {
                        <a class="download" download=move || file_name(format)
                            href=move || files.href(format)
                            aria-disabled=move || files.get(format).is_none().to_string()>{label}</a>
                    }).collect_view()}
                </span>
                <Show when=move || facilitator.get()>
                    <label class="toggle">
                        <input type="checkbox" prop:checked=move || names.get()
                            on:change=move |ev| { names.set(event_target_checked(&ev)); load(); }/>
                        {move || t(lang.get(), Text::ReportNames)}
                    </label>
                    <label class="toggle">
                        <input type="checkbox" prop:checked=move || report.get().is_some_and(|r| r.shared)
                            on:change=move |ev| share(event_target_checked(&ev))/>
                        {move || t(lang.get(), Text::ReportShare)}
                    </label>
                </Show>
            </nav>
            <Show when=move || error.get().is_some()>
                <p class="error no-print" role="alert">{move || error.get()}</p>
            </Show>
            <Show when=move || deleted.get()>
                <p role="status">{move || t(lang.get(), Text::ReportDeleted)}</p>
            </Show>
            <Show when=move || report.get().is_none() && error.get().is_none() && !deleted.get()>
                <p class="muted">{move || t(lang.get(), Text::ReportLoading)}</p>
            </Show>
            {move || report.get().map(|r| view! {
                <ReportBody report=r svg=Signal::derive(move || files.get("svg"))/>
            })}
            <Show when=move || facilitator.get() && report.get().is_some()>
                <section class="danger no-print">
                    <button type="button" class="danger" on:click=delete>{move || t(lang.get(), Text::ReportDelete)}</button>
                </section>
            </Show>
        </main>
    }
}

fn answers(list: Vec<Answer>, none: &'static str) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">{none}</p> }.into_any();
    }
    view! {
        <ul class="answers">
            {list.into_iter().map(|a| view! {
                <li>{a.text}{a.by.map(|by| view! { " — " <em>{by}</em> })}</li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn cards(list: Vec<CardReport>, none: &'static str) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">{none}</p> }.into_any();
    }
    view! {
        <ul class="report-cards">
            {list.into_iter().map(|c| view! {
                <li class="report-card" class:shared=c.shared class:stacked=c.stacked_on.is_some()>
                    <span class="text">{c.text}</span>
                    {c.by.map(|by| view! { <span class="by">{by}</span> })}
                    {c.shared.then(|| view! { <span class="report-star" aria-hidden="true">"★"</span> })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn cluster(c: ClusterReport, none: &'static str) -> impl IntoView {
    view! {
        <section class=format!("report-cluster color-{}", c.color)>
            <h3>{c.title}</h3>
            {cards(c.cards, none)}
        </section>
    }
}

/// The report itself: what prints.
#[component]
fn ReportBody(
    report: Report,
    /// The flip chart as SVG text, once fetched.
    svg: Signal<Option<String>>,
) -> impl IntoView {
    if report.blocks.is_some() {
        return view! { <crate::blocks::BlocksReportBody report svg/> }.into_any();
    }
    if report.agreements.is_some() {
        return view! { <crate::agreements::AgreementsReportBody report/> }.into_any();
    }
    if report.roles.is_some() {
        return view! { <crate::roles::RolesReportBody report svg/> }.into_any();
    }
    let code = report.language.clone();
    let h = |l: &kring_shared::method::Localized| l.get(&code);
    let none = h(&HEADINGS.none);
    let orgs = report
        .participants
        .organisations
        .iter()
        .map(|o| format!("{} ({})", o.organisation, o.people))
        .collect::<Vec<_>>()
        .join(", ");
    let lang = Lang::from_code(&report.language);
    let s = report.step1;
    let ring_counts: Vec<(String, (u32, u32, u32))> = report
        .levels
        .iter()
        .map(|l| (l.name.clone(), s.ring(l.level)))
        .collect();
    let most = report.most_energy.and_then(|m| {
        report
            .levels
            .iter()
            .find(|l| l.level == m)
            .map(|l| l.name.clone())
    });
    view! {
        <article class="report" lang=report.language.clone()>
            <header class="report-header">
                <h1>{report.title.clone()}</h1>
                <p class="meta">
                    {h(&HEADINGS.date)} ": " {report.date.clone()} " · "
                    {report.participants.count} " " {h(&HEADINGS.people)}
                </p>
                <p>{h(&HEADINGS.organisations)} ": " {orgs}</p>
                {(!report.participants.people.is_empty()).then(|| view! {
                    <ul class="people">
                        {report.participants.people.iter().map(|p| view! {
                            <li>{p.name.clone()} {(!p.organisation.is_empty()).then(|| format!(" ({})", p.organisation))}</li>
                        }).collect_view()}
                    </ul>
                })}
            </header>
            <section class="flip-chart">
                <h2>{t(lang, Text::ReportPicture)}</h2>
                {move || svg.get().map(|text| view! {
                    <img src=data_url("image/svg+xml", &text) alt=t(lang, Text::ReportPicture)/>
                })}
            </section>
            {report.levels.iter().cloned().map(|l| view! {
                <section class=format!("report-level level-{}", l.level.as_str())>
                    <h2>{l.name.clone()}</h2>
                    <h3>{h(&HEADINGS.questions)}</h3>
                    <ul>{l.questions.into_iter().map(|q| view! { <li>{q}</li> }).collect_view()}</ul>
                    <h3>{h(&HEADINGS.flip_chart)}</h3>
                    {cards(l.cluster.cards, none)}
                    <h3>{h(&HEADINGS.shared)}</h3>
                    {answers(l.shared, none)}
                    <h3>{h(&HEADINGS.energy)}</h3>
                    <p class="report-energy">
                        <span class="report-dots" aria-hidden="true">{"●".repeat(l.energy.min(40) as usize)}</span>
                        " " {HEADINGS.dots_of(l.energy, &code)}
                    </p>
                    {(!l.changes.is_empty()).then(|| view! {
                        <h3>{h(&HEADINGS.changes)}</h3>
                        {answers(l.changes, none)}
                    })}
                </section>
            }).collect_view()}
            {most.map(|name| view! { <p class="most-energy"><strong>{h(&HEADINGS.most_energy)} " " {name} "."</strong></p> })}
            {(!report.clusters.is_empty()).then(|| view! {
                <section class="report-clusters">
                    <h2>{h(&HEADINGS.clusters)}</h2>
                    {report.clusters.iter().cloned().map(|c| cluster(c, none)).collect_view()}
                </section>
            })}
            {(!report.unsorted.is_empty()).then(|| view! {
                <section class="report-unsorted">
                    <h2>{h(&HEADINGS.unsorted)}</h2>
                    {cards(report.unsorted.clone(), none)}
                </section>
            })}
            <section class="report-answers">
                <h2>{h(&HEADINGS.needed)}</h2>
                {answers(report.needed.clone(), none)}
                <h2>{h(&HEADINGS.chances)}</h2>
                {answers(report.chances.clone(), none)}
            </section>
            <section class="report-step1">
                <h2>{h(&HEADINGS.step1)}</h2>
                <p class="muted">{h(&HEADINGS.step1_note)}</p>
                <ul>
                    <li>{h(&HEADINGS.participants)} ": " {s.people}</li>
                    {ring_counts.into_iter().map(|(name, (n, g, r))| view! {
                        <li>{HEADINGS.notes_in_of(n, &code)} " " {name}
                            {format!(" ({g} {}, {r} {})", h(&HEADINGS.green_short), h(&HEADINGS.red_short))}</li>
                    }).collect_view()}
                    <li>{h(&HEADINGS.green)} ": " {s.green}</li>
                    <li>{h(&HEADINGS.red)} ": " {s.red}</li>
                </ul>
            </section>
        </article>
    }
    .into_any()
}
