//! The pages: home (create / join by code), join (name + organisation), the participant's view
//! and the facilitator's console. Routing is by path; each page is a full page load, so the
//! secret token in a facilitator link (`/facilitate#token`) never reaches a server log.

use kring_shared::presence::Presence;
use kring_shared::schema::workshop::WorkshopView;
use leptos::prelude::*;
use serde_json::json;

use crate::http;
use crate::i18n::{Lang, Text, t};
use crate::session::{UseWorkshopReturn, use_workshop};
use crate::storage;

fn location() -> web_sys::Location {
    web_sys::window().expect("window").location()
}

fn go(path: &str) {
    // Navigation failing leaves the user where they are; nothing to recover.
    let _ = location().set_href(path);
}

/// The root: picks the page from the URL.
#[component]
pub fn App() -> impl IntoView {
    let path = location().pathname().unwrap_or_default();
    let hash = location().hash().unwrap_or_default();
    let token = hash.trim_start_matches('#').to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => view! { <Home/> }.into_any(),
        ["join", code] => view! { <JoinPage code=code.to_uppercase()/> }.into_any(),
        ["facilitate"] if !token.is_empty() => view! { <FacilitatorPage token/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

/// The three circles, as the method draws them.
#[component]
fn Rings() -> impl IntoView {
    view! {
        <svg class="rings" viewBox="0 0 120 120" aria-hidden="true">
            <circle cx="60" cy="60" r="56" class="ring collective"/>
            <circle cx="60" cy="60" r="38" class="ring collegial"/>
            <circle cx="60" cy="60" r="20" class="ring individual"/>
        </svg>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main class="page narrow">
            <h1>"Kring"</h1>
            <p>{t(Lang::Nl, Text::NotFound)} " / " {t(Lang::En, Text::NotFound)}</p>
            <a href="/">{t(Lang::Nl, Text::Back)}</a>
        </main>
    }
}

/// Home: create a workshop, or join one with a code.
#[component]
fn Home() -> impl IntoView {
    let lang = RwSignal::new(Lang::Nl);
    let title = RwSignal::new(String::new());
    let language = RwSignal::new("nl".to_owned());
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body =
                json!({"title": title.get_untracked(), "language": language.get_untracked()});
            match http::post("/api/workshops", body).await {
                Ok(v) => go(&format!(
                    "/facilitate#{}",
                    v["facilitator_token"].as_str().unwrap_or_default()
                )),
                Err(e) => {
                    error.set(Some(e.0));
                    busy.set(false);
                }
            }
        });
    };
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c: String = code
            .get_untracked()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if !c.is_empty() {
            go(&format!("/join/{}", c.to_uppercase()));
        }
    };
    view! {
        <main class="page">
            <header class="hero">
                <Rings/>
                <div>
                    <h1>"Kring"</h1>
                    <p class="tagline">{move || t(lang.get(), Text::Tagline)}</p>
                </div>
                <div class="lang-switch" role="group" aria-label="Taal / Language">
                    <button type="button" aria-pressed=move || (lang.get() == Lang::Nl).to_string()
                        on:click=move |_| lang.set(Lang::Nl)>"Nederlands"</button>
                    <button type="button" aria-pressed=move || (lang.get() == Lang::En).to_string()
                        on:click=move |_| lang.set(Lang::En)>"English"</button>
                </div>
            </header>
            <div class="cards">
                <form class="card" on:submit=create>
                    <h2>{move || t(lang.get(), Text::NewWorkshop)}</h2>
                    <label>{move || t(lang.get(), Text::Title)}
                        <input type="text" required maxlength="120" prop:value=title
                            on:input=move |ev| title.set(event_target_value(&ev))/>
                    </label>
                    <label>{move || t(lang.get(), Text::Language)}
                        <select on:change=move |ev| language.set(event_target_value(&ev))>
                            <option value="nl" selected>"Nederlands"</option>
                            <option value="en">"English"</option>
                        </select>
                    </label>
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        {move || t(lang.get(), Text::Create)}
                    </button>
                    <Show when=move || error.get().is_some()>
                        <p class="error" role="alert">{move || error.get()}</p>
                    </Show>
                </form>
                <form class="card" on:submit=join>
                    <h2>{move || t(lang.get(), Text::JoinWithCode)}</h2>
                    <label>{move || t(lang.get(), Text::JoinCode)}
                        <input type="text" class="code-input" autocomplete="off" autocapitalize="characters"
                            maxlength="12" prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                    </label>
                    <button type="submit">{move || t(lang.get(), Text::Next)}</button>
                </form>
            </div>
        </main>
    }
}

/// `/join/CODE`: asks name and organisation once, then shows the participant's view. The token
/// is remembered, so a reload brings back the same participant.
#[component]
fn JoinPage(code: String) -> impl IntoView {
    let token = RwSignal::new(storage::participant_token(&code));
    let name = RwSignal::new(String::new());
    let organisation = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let lang = Lang::Nl;
    let code_for_submit = code.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = code_for_submit.clone();
        leptos::task::spawn_local(async move {
            let body =
                json!({"name": name.get_untracked(), "organisation": organisation.get_untracked()});
            match http::post(&format!("/api/workshops/{code}/participants"), body).await {
                Ok(v) => {
                    let tok = v["token"].as_str().unwrap_or_default().to_owned();
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
                    <header class="hero small"><Rings/><h1>"Kring"</h1></header>
                    <form class="card" on:submit=submit.clone()>
                        <h2>{t(lang, Text::Join)} " · " <span class="code">{code.clone()}</span></h2>
                        <label>{t(lang, Text::Name)}
                            <input type="text" required maxlength="80" autocomplete="name" prop:value=name
                                on:input=move |ev| name.set(event_target_value(&ev))/>
                        </label>
                        <label>{t(lang, Text::Organisation)}
                            <input type="text" maxlength="120" autocomplete="organization" prop:value=organisation
                                on:input=move |ev| organisation.set(event_target_value(&ev))/>
                        </label>
                        <button type="submit" class="primary">{t(lang, Text::Join)}</button>
                        <Show when=move || error.get().is_some()>
                            <p class="error" role="alert">{move || error.get()}</p>
                        </Show>
                    </form>
                </main>
            }.into_any(),
        }}
    }
}

/// The quiet banner shown while the connection is down.
#[component]
fn ConnectionBanner(
    /// The live session.
    session: UseWorkshopReturn,
    /// The interface language.
    lang: Signal<Lang>,
) -> impl IntoView {
    view! {
        <Show when=move || !session.connected.get()>
            <p class="banner" role="status">{move || {
                if session.me.get().is_some() { t(lang.get(), Text::OfflineBanner) } else { t(lang.get(), Text::Connecting) }
            }}</p>
        </Show>
    }
}

/// Everyone on the roster, with whether they are online now.
#[component]
fn Roster(
    /// The workshop document's view.
    workshop: RwSignal<WorkshopView>,
    /// Who is connected.
    presence: RwSignal<Presence>,
    /// The interface language.
    lang: Signal<Lang>,
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
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}

fn workshop_lang(session: UseWorkshopReturn) -> Signal<Lang> {
    Signal::derive(move || Lang::from_code(&session.workshop.get().language))
}

/// The participant's view (for now: who is here; the steps arrive with their issues).
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
    let my_name = move || {
        let me = session.me.get()?;
        let id = me.participant_id?;
        session
            .workshop
            .get()
            .roster
            .into_iter()
            .find(|r| r.id.to_string() == id)
            .map(|r| r.name)
    };
    view! {
        <main class="page narrow">
            <ConnectionBanner session lang/>
            <header class="hero small"><Rings/><h1>{move || session.workshop.get().title}</h1></header>
            <section class="card">
                <h2>{move || t(lang.get(), Text::Welcome)} ", " {my_name}</h2>
                <p>{move || t(lang.get(), Text::WaitForStart)}</p>
            </section>
            <Roster workshop=session.workshop presence=session.presence lang/>
        </main>
    }
}

/// The facilitator's console (for now: join code, link and live roster).
#[component]
fn FacilitatorPage(token: String) -> impl IntoView {
    let session = use_workshop(token);
    let lang = workshop_lang(session);
    let code = move || session.me.get().map(|m| m.join_code).unwrap_or_default();
    let link = move || {
        format!(
            "{}/join/{}",
            location().origin().unwrap_or_default(),
            code()
        )
    };
    view! {
        <main class="page">
            <ConnectionBanner session lang/>
            <header class="hero small"><Rings/><h1>{move || session.workshop.get().title}</h1></header>
            <div class="cards">
                <section class="card join-info">
                    <h2>{move || t(lang.get(), Text::JoinCode)}</h2>
                    <p class="big-code" aria-label=move || t(lang.get(), Text::JoinCode)>{code}</p>
                    <p>{move || t(lang.get(), Text::JoinLink)} ": " <a href=link>{link}</a></p>
                    <p class="muted small">{move || t(lang.get(), Text::LinkSecret)}</p>
                </section>
                <Roster workshop=session.workshop presence=session.presence lang/>
            </div>
        </main>
    }
}
