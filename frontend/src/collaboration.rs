//! A collaboration's own page, `/collaboration#TOKEN`, for its facilitators: the horizon the
//! group agreed, its sessions (each opened as facilitator with one click), starting the next
//! session of any form, every agreement with its history, the backpack, the route over time,
//! downloads (Markdown, CSV, JSON), a link for a co-facilitator, and deleting the collaboration
//! with all its sessions. It reads `GET /api/collaboration`, the collaboration as it stands (what
//! the next session would carry); no session is needed to open it.
//!
//! [`CollaborationLinkButton`] is the way in from a session's console.

use kring_shared::api;
use kring_shared::forms::agreements_report::HEADINGS;
use kring_shared::forms::{self, FormId};
use kring_shared::report;
use kring_shared::schema::workshop::MAX_TITLE;
use leptos::prelude::*;
use serde_json::json;

use crate::agreements::{code, ledger};
use crate::horizon::{RouteChartOverTime, route_points};
use crate::http;
use crate::i18n::{Lang, Text, t};
use crate::report::Downloads;

/// The formats offered for download: query value, label.
const DOWNLOADS: [(&str, &str); 3] = [("md", "Markdown"), ("csv", "CSV"), ("json", "JSON")];

fn go(path: &str) {
    if let Some(w) = web_sys::window() {
        // Navigation failing leaves the user where they are; nothing to recover.
        let _ = w.location().set_href(path);
    }
}

/// The full address of a page path on this server (for a link to hand on).
fn full_url(path: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{path}")
}

/// Asks for a new link of the collaboration (`POST /api/collaboration/links` with `token`, a
/// collaboration's or a session facilitator's) and sets `link` to its full address, or `error`.
fn new_link(token: String, link: RwSignal<Option<String>>, error: RwSignal<Option<String>>) {
    leptos::task::spawn_local(async move {
        match http::with_token("POST", "/api/collaboration/links", &token, json!(null))
            .await
            .and_then(http::read::<api::CollaborationLink>)
        {
            Ok(l) => link.set(Some(full_url(&l.path))),
            Err(e) => error.set(Some(e.0)),
        }
    });
}

/// `/collaboration#TOKEN`
#[component]
pub fn CollaborationPage(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let page = RwSignal::new(None::<api::CollaborationPage>);
    let error = RwSignal::new(None::<String>);
    let deleted = RwSignal::new(false);
    let files = Downloads::new();
    let co_link = RwSignal::new(None::<String>);
    let title = RwSignal::new(String::new());
    let form = RwSignal::new(None::<FormId>);
    let busy = RwSignal::new(false);
    // The collaboration's language, kept after it is deleted.
    let language = RwSignal::new(Lang::Nl);
    let lang: Signal<Lang> = language.into();
    // The next session runs the newest session's form unless the facilitator picks another.
    let chosen = move || {
        form.get()
            .or_else(|| page.get().and_then(|p| p.sessions.last().map(|s| s.form)))
            .unwrap_or(FormId::RulesOfPlay)
    };

    let load = move || {
        let tok = token.get_value();
        leptos::task::spawn_local(async move {
            match http::get_with_token("/api/collaboration", &tok)
                .await
                .and_then(http::read::<api::CollaborationPage>)
            {
                Ok(p) => {
                    error.set(None);
                    language.set(Lang::from_code(&p.language));
                    // The downloads are made here, from what the page already holds, with the
                    // functions `GET /api/collaboration/report` uses.
                    files.set(vec![
                        (
                            "md",
                            report::collaboration_markdown(&p.title, &p.standing, &p.language),
                        ),
                        ("csv", report::collaboration_csv(&p.standing)),
                        ("json", serde_json::to_string_pretty(&p).unwrap_or_default()),
                    ]);
                    page.set(Some(p));
                }
                Err(e) => error.set(Some(e.0)),
            }
        });
    };
    load();

    let open_session = move |workshop: kring_shared::ids::WorkshopId| {
        let tok = token.get_value();
        leptos::task::spawn_local(async move {
            let path = format!("/api/collaboration/sessions/{workshop}/facilitate");
            match http::with_token("POST", &path, &tok, json!(null))
                .await
                .and_then(http::read::<api::Link>)
            {
                Ok(link) => go(&link.path),
                Err(e) => error.set(Some(e.0)),
            }
        });
    };
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = http::body(&api::NextSession {
            title: title.get_untracked(),
            form: chosen().as_str().to_owned(),
        });
        let tok = token.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match http::with_token("POST", "/api/collaboration/sessions", &tok, body)
                .await
                .and_then(http::read::<api::CreatedWorkshop>)
            {
                Ok(c) => go(&format!("/facilitate#{}", c.facilitator_token)),
                Err(e) => {
                    error.set(Some(e.0));
                    busy.set(false);
                }
            }
        });
    };
    let invite = move |_| new_link(token.get_value(), co_link, error);
    let delete = move |_| {
        http::delete_confirmed(
            t(lang.get_untracked(), Text::CollaborationDeleteConfirm),
            "/api/collaboration",
            token.get_value(),
            move || {
                page.set(None);
                deleted.set(true);
            },
            move |e| error.set(Some(e)),
        );
    };
    let h = &HEADINGS;

    view! {
        <main class="page collaboration-page">
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <Show when=move || deleted.get()>
                <h1>"Kring"</h1>
                <p role="status">{move || t(lang.get(), Text::CollaborationDeleted)}</p>
                <a href="/">{move || t(lang.get(), Text::Back)}</a>
            </Show>
            <Show when=move || page.get().is_none() && error.get().is_none() && !deleted.get()>
                <p class="muted">{move || t(lang.get(), Text::ReportLoading)}</p>
            </Show>
            {move || page.get().map(|p| {
                let l = code(lang.get());
                let c = p.standing.clone();
                let points = Signal::derive(move || {
                    page.get()
                        .map(|p| route_points(p.standing.sessions.iter()))
                        .unwrap_or_default()
                });
                view! {
                    <header class="collab-header">
                        <p class="eyebrow">{h.collaboration.get(l)}</p>
                        <h1>{p.title.clone()}</h1>
                        {c.horizon().map(|a| view! {
                            <p class="collab-horizon"><strong>{h.horizon.get(l)} ": "</strong> {a.text.clone()}</p>
                        })}
                        <p class="muted small">{t(lang.get(), Text::LinkSecretCollaboration)}</p>
                    </header>
                    <section class="card" aria-labelledby="sessions-heading">
                        <h2 id="sessions-heading">{t(lang.get(), Text::Sessions)}</h2>
                        {p.sessions.is_empty().then(|| view! { <p class="muted">{t(lang.get(), Text::NoSessionsYet)}</p> })}
                        {(!p.sessions.is_empty()).then(|| view! {
                            <table class="sessions-table">
                                <thead><tr>
                                    <th scope="col">{t(lang.get(), Text::Title)}</th>
                                    <th scope="col">{t(lang.get(), Text::Date)}</th>
                                    <th scope="col">{t(lang.get(), Text::WorkForm)}</th>
                                    <th scope="col">{t(lang.get(), Text::JoinCode)}</th>
                                    <th scope="col"><span class="sr-only">{t(lang.get(), Text::OpenSession)}</span></th>
                                </tr></thead>
                                <tbody>
                                    {p.sessions.iter().map(|s| {
                                        let id = s.workshop_id;
                                        view! {
                                            <tr>
                                                <th scope="row">{s.title.clone()} {s.closed.then(|| view! { " " <span class="badge">{t(lang.get(), Text::Closed)}</span> })}</th>
                                                <td class="date">{s.date.clone()}</td>
                                                <td>{forms::form(s.form).name.get(l)}</td>
                                                <td class="code">{s.join_code.clone()}</td>
                                                <td><button type="button" on:click=move |_| open_session(id)>{t(lang.get(), Text::OpenSession)}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        <form class="next-session" on:submit=start>
                            <h3>{if p.sessions.is_empty() { t(lang.get(), Text::FirstSession) } else { t(lang.get(), Text::NextSession) }}</h3>
                            <label>{t(lang.get(), Text::SessionTitle)}
                                <input type="text" required maxlength=MAX_TITLE prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/>
                            </label>
                            <label>{t(lang.get(), Text::WorkForm)}
                                <select prop:value=move || chosen().as_str() on:change=move |ev| if let Ok(f) = event_target_value(&ev).parse() { form.set(Some(f)) }>
                                    {forms::built().map(|f| view! { <option value=f.id.as_str() selected=move || chosen() == f.id>{f.name.get(l)}</option> }).collect_view()}
                                </select>
                            </label>
                            <p class="muted small">{t(lang.get(), Text::NextSessionExplain)}</p>
                            <button type="submit" class="primary" disabled=move || busy.get()>{t(lang.get(), Text::StartSession)}</button>
                        </form>
                    </section>
                    <section class="card" aria-labelledby="ledger-heading">
                        <h2 id="ledger-heading">{h.ledger.get(l)}</h2>
                        {c.ledger.is_empty().then(|| view! { <p class="muted">{h.none_yet.get(l)}</p> })}
                        {ledger(&c.ledger, l)}
                    </section>
                    <section class="card" aria-labelledby="backpack-heading">
                        <h2 id="backpack-heading">{h.backpack.get(l)}</h2>
                        {c.backpack.is_empty().then(|| view! { <p class="muted">{h.none_yet.get(l)}</p> })}
                        <ul class="backpack">{c.backpack.iter().map(|b| view! { <li>{b.clone()}</li> }).collect_view()}</ul>
                    </section>
                    // The route over time, once a session has one (002).
                    {move || (!points.get().is_empty()).then(|| view! {
                        <section class="card route-card">
                            <RouteChartOverTime points lang/>
                        </section>
                    })}
                    <section class="card" aria-labelledby="share-heading">
                        <h2 id="share-heading">{t(lang.get(), Text::ReportDownloads)}</h2>
                        <p class="downloads">
                            {DOWNLOADS.into_iter().map(|(format, label)| view! {
                                <a class="download" download=format!("kring-samenwerking.{format}")
                                    href=move || files.href(format)
                                    aria-disabled=move || files.get(format).is_none().to_string()>{label}</a>
                            }).collect_view()}
                        </p>
                        <button type="button" on:click=invite>{t(lang.get(), Text::MakeCoFacilitatorLink)}</button>
                        {move || co_link.get().map(|u| view! {
                            <p><label>{t(lang.get(), Text::CoFacilitatorLinkLabel)}
                                <input type="text" readonly class="link" prop:value=u/>
                            </label></p>
                        })}
                    </section>
                    <section class="danger">
                        <button type="button" class="danger" on:click=delete>{t(lang.get(), Text::CollaborationDelete)}</button>
                    </section>
                }
            })}
        </main>
    }
}

/// From a session's console: a link to its collaboration's page (made of this session when it
/// has none yet), opened in a new tab so the console stays where it is.
#[component]
pub fn CollaborationLinkButton(token: String, lang: Signal<Lang>) -> impl IntoView {
    let token = StoredValue::new(token);
    let error = RwSignal::new(None::<String>);
    let link = RwSignal::new(None::<String>);
    let make = move |_| new_link(token.get_value(), link, error);
    view! {
        <p class="collab-link">
            {move || match link.get() {
                None => view! { <button type="button" on:click=make>{move || t(lang.get(), Text::CollaborationPageLink)}</button> }.into_any(),
                Some(u) => view! {
                    <a href=u.clone() target="_blank" rel="noopener">{move || t(lang.get(), Text::OpenCollaboration)}</a>
                    <input type="text" readonly class="link" aria-label=move || t(lang.get(), Text::CollaborationPageLink) prop:value=u/>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
        </p>
    }
}
