//! The router and the home page (a gallery of the work forms Kring runs, creating a workshop of
//! one, making a collaboration of several sessions, joining by code). Routing is by path; each page is a full page load, and secret
//! tokens travel in the URL fragment (`/facilitate#token`, `/screen#token`, `/report#token`,
//! `/collaboration#token`) so they never reach a server log.

use kring_shared::api;
use kring_shared::forms::{self, Form};
use kring_shared::schema::workshop as workshop_schema;
use leptos::prelude::*;

use crate::console::FacilitatorPage;
use crate::http;
use crate::i18n::{Lang, Text, t};
use crate::participant::JoinPage;
use crate::report::ReportPage;
use crate::screen::ScreenPage;
use crate::widgets::Rings;

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
        ["screen"] if !token.is_empty() => view! { <ScreenPage token/> }.into_any(),
        ["report"] if !token.is_empty() => view! { <ReportPage token/> }.into_any(),
        ["collaboration"] if !token.is_empty() => {
            view! { <crate::collaboration::CollaborationPage token/> }.into_any()
        }
        _ => view! { <NotFound/> }.into_any(),
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
    let chosen_form = RwSignal::new(forms::FormId::ThreeLevels.as_str().to_owned());
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = http::body(&api::CreateWorkshop {
                title: title.get_untracked(),
                language: language.get_untracked(),
                form: chosen_form.get_untracked(),
            });
            match http::post("/api/workshops", body)
                .await
                .and_then(http::read::<api::CreatedWorkshop>)
            {
                Ok(created) => go(&format!("/facilitate#{}", created.facilitator_token)),
                Err(e) => {
                    error.set(Some(e.0));
                    busy.set(false);
                }
            }
        });
    };
    let collab_title = RwSignal::new(String::new());
    let collab_error = RwSignal::new(None::<String>);
    let create_collaboration = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = http::body(&api::CreateCollaboration {
                title: collab_title.get_untracked(),
                // The interface language the page is shown in.
                language: lang_code(lang.get_untracked()).to_owned(),
            });
            match http::post("/api/collaborations", body)
                .await
                .and_then(http::read::<api::CollaborationLink>)
            {
                Ok(link) => go(&link.path),
                Err(e) => {
                    collab_error.set(Some(e.0));
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
            <FormGallery lang chosen=chosen_form/>
            <div class="cards">
                <form class="card" on:submit=create>
                    <h2>{move || t(lang.get(), Text::NewWorkshop)}</h2>
                    <label>{move || t(lang.get(), Text::Title)}
                        <input type="text" required maxlength=workshop_schema::MAX_TITLE prop:value=title
                            on:input=move |ev| title.set(event_target_value(&ev))/>
                    </label>
                    <label>{move || t(lang.get(), Text::Form)}
                        <select prop:value=move || chosen_form.get() on:change=move |ev| chosen_form.set(event_target_value(&ev))>
                            {move || forms::built().map(|f| view! {
                                <option value=f.id.as_str() selected=move || chosen_form.get() == f.id.as_str()>{f.name.get(lang_code(lang.get()))}</option>
                            }).collect_view()}
                        </select>
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
                <form class="card new-collaboration" on:submit=create_collaboration>
                    <h2>{move || t(lang.get(), Text::NewCollaboration)}</h2>
                    <p class="muted small">{move || t(lang.get(), Text::NewCollaborationExplain)}</p>
                    <label>{move || t(lang.get(), Text::Title)}
                        <input type="text" required maxlength=workshop_schema::MAX_TITLE prop:value=collab_title
                            on:input=move |ev| collab_title.set(event_target_value(&ev))/>
                    </label>
                    <button type="submit" disabled=move || busy.get()>
                        {move || t(lang.get(), Text::CreateCollaboration)}
                    </button>
                    <Show when=move || collab_error.get().is_some()>
                        <p class="error" role="alert">{move || collab_error.get()}</p>
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

fn lang_code(lang: Lang) -> &'static str {
    if lang == Lang::En { "en" } else { "nl" }
}

/// The work forms Kring runs: per form its name, a paragraph from its seed, its steps with their
/// default lengths and what the group leaves with. Choosing one sets the form of the new workshop.
#[component]
fn FormGallery(
    /// The interface language.
    lang: RwSignal<Lang>,
    /// The chosen form's id, shared with the create form.
    chosen: RwSignal<String>,
) -> impl IntoView {
    let card = move |f: &'static Form| {
        let id = f.id.as_str();
        let heading = format!("form-{id}");
        view! {
            <article class="card form-card" class:chosen=move || chosen.get() == id aria-labelledby=heading.clone()>
                <h3 id=heading.clone()>{move || f.name.get(lang_code(lang.get()))}</h3>
                <p>{move || f.paragraph.get(lang_code(lang.get()))}</p>
                <ol class="form-steps">
                    {f.steps.iter().map(|s| view! {
                        <li>{move || s.name.get(lang_code(lang.get()))} " · " {s.default_minutes} " " {move || t(lang.get(), Text::Minutes)}</li>
                    }).collect_view()}
                </ol>
                <p><strong>{move || t(lang.get(), Text::LeavesWith)} ": "</strong>{move || f.leaves_with.get(lang_code(lang.get()))}</p>
                <button type="button" aria-pressed=move || (chosen.get() == id).to_string()
                    on:click=move |_| chosen.set(id.to_owned())>
                    {move || format!("{}: {}", t(lang.get(), Text::ChooseForm), f.name.get(lang_code(lang.get())))}
                </button>
            </article>
        }
    };
    view! {
        <section class="gallery" aria-labelledby="forms-heading">
            <h2 id="forms-heading">{move || t(lang.get(), Text::Forms)}</h2>
            <p class="muted">{move || t(lang.get(), Text::FormsIntro)}</p>
            <div class="form-cards">{forms::built().map(card).collect_view()}</div>
        </section>
    }
}
