//! Work form 003, roles in a collaboration: the participant's private role sheet (ten points
//! over the three perspectives, then per role "neem ik nu op" / "wil ik opnemen" / nothing, and
//! publishing the claims after being told the group will see them), the group's balance (from
//! the server, once k divided their points), the role map of the published claims with its
//! uncovered and crowded roles and the seed's advice when core roles pile up on one person, the
//! role agreements the facilitator writes with the group, the console's set-up and the report body.

use kring_shared::automerge::AutomergeError;
use kring_shared::automerge::transaction::Transaction;
use kring_shared::forms::roles::{
    self, BALANCE_QUESTION, CORE_ROLES, Claim, Cluster, MAP_QUESTION, POINTS, Perspective, RoleId,
    SHARED_OWNERSHIP,
};
use kring_shared::forms::roles_report;
use kring_shared::ids::{DocumentId, ParticipantId};
use kring_shared::schema::{role_sheet, workshop};
use kring_shared::step::Step;
use leptos::prelude::*;

use crate::blocks::FormPlan;
use crate::i18n::{Lang, Text, t};
use crate::session::{Extra, UseWorkshopReturn};

fn code(lang: Lang) -> &'static str {
    if lang == Lang::En { "en" } else { "nl" }
}

type Edit = Box<dyn FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>>;

/// The participant's id and role sheet, as the roster names it.
fn my_sheet(session: UseWorkshopReturn) -> Option<(ParticipantId, DocumentId)> {
    let me: ParticipantId = session.me.get()?.participant_id?;
    let ws = session.workshop.get();
    let entry = ws.roster.iter().find(|r| r.id == me)?;
    Some((me, entry.role_sheet?))
}

/// Opens the participant's role sheet and returns how to change it.
fn use_sheet(session: UseWorkshopReturn) -> impl Fn(Edit) + Copy + 'static {
    Effect::new(move |_| {
        if let Some((_, d)) = my_sheet(session) {
            session.open_document(d, Extra::RoleSheet);
        }
    });
    move |f: Edit| {
        if let Some((_, d)) = my_sheet(session) {
            session.change_document(d, f);
        }
    }
}

/// Step 1, part one: ten points over the organisation, the individual and the network.
#[component]
pub fn PerspectiveSplit(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_sheet(session);
    let closed = move || session.workshop.get().step == Some(Step::Closed);
    let left = move || session.role_sheet.get().left();
    view! {
        <section class="card perspective-split" aria-labelledby="split-heading">
            <h2 id="split-heading">{move || t(lang.get(), Text::PerspectivesHeading)}</h2>
            <p class="private-note">{move || t(lang.get(), Text::PointsPrivate)} " " {move || session.workshop.get().plan.k} " " {move || t(lang.get(), Text::Answers)} "."</p>
            <p class="muted">{move || BALANCE_QUESTION.get(code(lang.get()))}</p>
            <p class="points-left" role="status">{move || t(lang.get(), Text::PointsLeft)} ": " {left} " / " {POINTS}</p>
            <div class="perspectives">
                {Perspective::ALL.into_iter().map(|p| {
                    let name = move || p.name().get(code(lang.get()));
                    let n = move || session.role_sheet.get().points_of(p);
                    view! {
                        <fieldset class=format!("perspective {}", p.as_str()) disabled=closed>
                            <legend>{name}</legend>
                            <p class="explanation">{move || p.explanation().get(code(lang.get()))}</p>
                            <div class="stepper-points">
                                <button type="button" aria-label=move || format!("{}: {}", t(lang.get(), Text::PointOff), name())
                                    disabled=move || n() == 0
                                    on:click=move |_| { let v = n().saturating_sub(1); change(Box::new(move |tx| role_sheet::set_points(tx, p, v))) }>"−"</button>
                                <output aria-label=move || format!("{}: {}", t(lang.get(), Text::PointsFor), name())>{n}</output>
                                <button type="button" aria-label=move || format!("{}: {}", t(lang.get(), Text::PointOn), name())
                                    disabled=move || left() == 0
                                    on:click=move |_| { let v = n() + 1; change(Box::new(move |tx| role_sheet::set_points(tx, p, v))) }>"+"</button>
                                <span class="point-dots" aria-hidden="true">{move || "●".repeat(n() as usize)}</span>
                            </div>
                        </fieldset>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// Step 1, part two: per role what the participant says, by cluster, then publishing.
#[component]
pub fn RoleClaimsSheet(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_sheet(session);
    let closed = move || session.workshop.get().step == Some(Step::Closed);
    view! {
        <section class="card role-sheet" aria-labelledby="claims-heading">
            <h2 id="claims-heading">{move || t(lang.get(), Text::RolesHeading)}</h2>
            <p class="muted">{move || t(lang.get(), Text::RolesExplain)}</p>
            {Cluster::ALL.into_iter().map(|cluster| view! {
                <section class=format!("role-cluster {}", cluster_class(cluster))>
                    <h3>{move || cluster.name().get(code(lang.get()))}</h3>
                    <div class="roles">
                        {cluster.roles().map(|r| {
                            let id = r.id;
                            let now = move || session.role_sheet.get().claims.get(&id).copied();
                            let name = move || r.name.get(code(lang.get()));
                            view! {
                                <fieldset class=format!("role {id}") disabled=closed>
                                    <legend>{name}</legend>
                                    <p class="explanation">{move || r.description.get(code(lang.get()))}</p>
                                    <div class="claim-choice" role="radiogroup" aria-label=name>
                                        {[Some(Claim::HoldNow), Some(Claim::Want), None].into_iter().map(|c| {
                                            let label = move || match c {
                                                Some(c) => c.label().get(code(lang.get())),
                                                None => t(lang.get(), Text::NoClaim),
                                            };
                                            view! {
                                                <label class="claim-option" class:chosen=move || now() == c>
                                                    <input type="radio" name=format!("claim-{id}")
                                                        aria-label=move || format!("{}: {}", name(), label())
                                                        prop:checked=move || now() == c
                                                        on:change=move |_| change(Box::new(move |tx| role_sheet::set_claim(tx, id, c)))/>
                                                    <span>{label}</span>
                                                </label>
                                            }
                                        }).collect_view()}
                                    </div>
                                </fieldset>
                            }
                        }).collect_view()}
                    </div>
                </section>
            }).collect_view()}
            <PublishRoles session lang/>
        </section>
    }
}

fn cluster_class(c: Cluster) -> &'static str {
    match c {
        Cluster::Core => "core",
        Cluster::Task => "task",
        Cluster::Process => "process",
        Cluster::Strategic => "strategic",
        Cluster::Network => "network",
    }
}

/// Publishing the claims: first what it means (the group will see them), then the switch.
#[component]
pub fn PublishRoles(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let change = use_sheet(session);
    let published = move || session.role_sheet.get().published;
    let closed = move || session.workshop.get().step == Some(Step::Closed);
    view! {
        <div class="publish" class:published=published>
            <p class="group-will-see" role="note">{move || t(lang.get(), Text::GroupWillSee)}</p>
            <p role="status" class="publish-status">{move || t(lang.get(), if published() { Text::RolesShared } else { Text::RolesNotShared })}</p>
            {move || if published() {
                view! { <button type="button" disabled=closed on:click=move |_| change(Box::new(|tx| role_sheet::set_published(tx, false)))>{t(lang.get(), Text::UnshareRoles)}</button> }.into_any()
            } else {
                view! { <button type="button" class="primary" disabled=closed on:click=move |_| change(Box::new(|tx| role_sheet::set_published(tx, true)))>{t(lang.get(), Text::ShareRoles)}</button> }.into_any()
            }}
        </div>
    }
}

/// How many divided their points and how many shared their roles (counts only), and k.
#[component]
pub fn RolesCount(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <p class="rated" role="status">
            {move || session.workshop.get().rated} " / " {move || session.workshop.get().roster.len()} " "
            {move || t(lang.get(), Text::HaveDivided)} " · k = " {move || session.workshop.get().plan.k}
            " · " {move || session.workshop.get().role_map.len()} " " {move || t(lang.get(), Text::HaveShared)}
        </p>
    }
}

/// The group's balance over the perspectives, as the server published it.
#[component]
pub fn BalanceChart(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="card balance" aria-labelledby="balance-heading">
            <h2 id="balance-heading">{move || t(lang.get(), Text::BalanceHeading)}</h2>
            {move || {
                let ws = session.workshop.get();
                match ws.balance {
                    None => view! {
                        <p class="waiting" role="status">{t(lang.get(), Text::BalanceWaiting)} " " {ws.plan.k} " " {t(lang.get(), Text::Answers)} "."</p>
                        <RolesCount session lang/>
                    }.into_any(),
                    Some(b) => view! {
                        <p class="answered" role="status">{b.answered} " " {t(lang.get(), Text::Answers)}</p>
                        <ul class="balance-chart">
                            {Perspective::ALL.into_iter().map(|p| {
                                let mean = b.mean(p);
                                let name = p.name().get(code(lang.get()));
                                view! {
                                    <li class=format!("balance-row {}", p.as_str()) aria-label=format!("{name}: {mean:.1} / {POINTS}")>
                                        <span class="balance-name">{name}</span>
                                        <span class="balance-bar" aria-hidden="true">
                                            <span class="balance-fill" style=format!("width: {:.1}%", mean * 100.0 / f64::from(POINTS))></span>
                                        </span>
                                        <span class="balance-mean">{format!("{mean:.1}")}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <p class="muted">{BALANCE_QUESTION.get(code(lang.get()))}</p>
                    }.into_any(),
                }
            }}
        </section>
    }
}

/// The role map: a row per role (by cluster), a column per person who shared their roles; ● for
/// "takes it up now", ○ for "wants to"; uncovered and crowded roles marked, and the seed's advice
/// when someone holds two or more of the three core roles.
#[component]
pub fn RoleMapBoard(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    view! {
        <section class="card role-map" aria-labelledby="map-heading">
            <h2 id="map-heading">{move || t(lang.get(), Text::RoleMapHeading)}</h2>
            <p class="muted">{move || MAP_QUESTION.get(code(lang.get()))}</p>
            {move || {
                let ws = session.workshop.get();
                let l = code(lang.get());
                let report = roles_report::build(&ws, |p| ws.roster.iter().find(|r| r.id == p).map(|r| r.name.clone()));
                let people: Vec<String> = report.people.iter().map(|p| p.label.clone()).collect();
                let claim_of = |who: usize, role: RoleId| report.people[who].claims.iter().find(|(r, _)| *r == role).map(|(_, c)| *c);
                let advice = report.advice.clone().map(|a| (report.core_piled_on.join(", "), a));
                let uncovered: Vec<String> = report.roles.iter().filter(|r| r.uncovered).map(|r| r.name.clone()).collect();
                let crowded: Vec<String> = report.roles.iter().filter(|r| r.crowded).map(|r| r.name.clone()).collect();
                view! {
                    {people.is_empty().then(|| view! { <p class="waiting" role="status">{t(lang.get(), Text::NobodyShared)}</p> })}
                    {advice.map(|(who, a)| view! {
                        <p class="advice" role="note"><strong>{t(lang.get(), Text::CorePiled)} ": " {who} ". "</strong>{a}</p>
                    })}
                    <div class="role-flags">
                        <p class="uncovered-roles"><strong>{t(lang.get(), Text::Uncovered)} ": "</strong>{if uncovered.is_empty() { "–".to_owned() } else { uncovered.join(", ") }}</p>
                        <p class="crowded-roles"><strong>{t(lang.get(), Text::Crowded)} ": "</strong>{if crowded.is_empty() { "–".to_owned() } else { crowded.join(", ") }}</p>
                    </div>
                    <div class="role-grid-wrap">
                        <table class="role-grid">
                            <caption>{t(lang.get(), Text::RoleMapHeading)}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{t(lang.get(), Text::Role)}</th>
                                    {people.iter().map(|p| view! { <th scope="col" class="person">{p.clone()}</th> }).collect_view()}
                                </tr>
                            </thead>
                            {Cluster::ALL.into_iter().map(|cluster| view! {
                                <tbody class=format!("cluster {}", cluster_class(cluster))>
                                    <tr class="cluster-row"><th scope="rowgroup" colspan=people.len() + 1>{cluster.name().get(l)}</th></tr>
                                    {cluster.roles().map(|r| {
                                        let row = report.roles.iter().find(|x| x.id == r.id).cloned();
                                        let (unc, crow) = row.as_ref().map_or((false, false), |x| (x.uncovered, x.crowded));
                                        let flag = if unc { t(lang.get(), Text::Uncovered) } else if crow { t(lang.get(), Text::Crowded) } else { "" };
                                        view! {
                                            <tr class=format!("role-row {}", r.id) class:uncovered=unc class:crowded=crow class:core=CORE_ROLES.contains(&r.id)>
                                                <th scope="row">{r.name.get(l)} {(!flag.is_empty()).then(|| view! { <span class="flag">{flag}</span> })}</th>
                                                {(0..people.len()).map(|who| {
                                                    let c = claim_of(who, r.id);
                                                    let (mark, label) = match c {
                                                        Some(Claim::HoldNow) => ("●", Claim::HoldNow.label().get(l)),
                                                        Some(Claim::Want) => ("○", Claim::Want.label().get(l)),
                                                        None => ("", ""),
                                                    };
                                                    view! { <td data-claim=c.map(|c| c.as_str()) title=label>{mark}</td> }
                                                }).collect_view()}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            }).collect_view()}
                        </table>
                    </div>
                    <p class="legend muted">"● " {Claim::HoldNow.label().get(l)} " · ○ " {Claim::Want.label().get(l)}</p>
                }
            }}
        </section>
    }
}

/// Step 3: the role agreements. The facilitator writes them with the group; everyone reads.
#[component]
pub fn AgreementsBoard(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    /// Whether this viewer writes (a facilitator who may steer).
    writes: Signal<bool>,
) -> impl IntoView {
    let role = RwSignal::new(roles::ROLES[0].id);
    let who = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let cut = |s: String, n: usize| s.trim().chars().take(n).collect::<String>();
        let a = workshop::Agreement {
            id: DocumentId::random().to_string(),
            role: role.get_untracked(),
            who: cut(who.get_untracked(), workshop::MAX_AGREEMENT_WHO),
            from: cut(from.get_untracked(), workshop::MAX_AGREEMENT_FROM),
            note: cut(note.get_untracked(), workshop::MAX_AGREEMENT_NOTE),
        };
        if a.who.is_empty() {
            return;
        }
        who.set(String::new());
        from.set(String::new());
        note.set(String::new());
        session.change_workshop(move |tx| workshop::put_agreement(tx, &a));
    };
    view! {
        <section class="card agreements" aria-labelledby="agreements-heading">
            <h2 id="agreements-heading">{move || t(lang.get(), Text::AgreementsHeading)}</h2>
            <p class="muted">{move || SHARED_OWNERSHIP.get(code(lang.get()))}</p>
            {move || session.workshop.get().agreements.is_empty().then(|| view! { <p class="muted">{t(lang.get(), Text::NoAgreements)}</p> })}
            <ul class="agreement-list">
                {move || {
                    let l = code(lang.get());
                    session.workshop.get().agreements.into_iter().map(|a| {
                        let role_name = a.role.role().name.get(l).to_owned();
                        let label = format!("{role_name} – {}", a.who);
                        let id = a.id.clone();
                        view! {
                            <li class="agreement">
                                <span class="agreement-text">
                                    <strong>{role_name.clone()}</strong> ": " {a.who.clone()}
                                    {(!a.from.is_empty()).then(|| format!(", {} {}", t(lang.get(), Text::From), a.from))}
                                    {(!a.note.is_empty()).then(|| view! { <span class="muted">" — " {a.note.clone()}</span> })}
                                </span>
                                <Show when=move || writes.get()>
                                    <button type="button" class="quiet" aria-label=format!("{}: {label}", t(lang.get(), Text::RemoveAgreement))
                                        on:click={let id = id.clone(); move |_| { let id = id.clone(); session.change_workshop(move |tx| workshop::remove_agreement(tx, &id)) }}>"×"</button>
                                </Show>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
            <Show when=move || writes.get()>
                <form class="agreement-form" on:submit=add>
                    <label>{move || t(lang.get(), Text::Role)}
                        <select prop:value=move || role.get().as_str() on:change=move |ev| if let Some(r) = RoleId::parse(&event_target_value(&ev)) { role.set(r) }>
                            {move || roles::ROLES.iter().map(|r| view! { <option value=r.id.as_str()>{r.name.get(code(lang.get()))}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{move || t(lang.get(), Text::Who)}
                        <input type="text" list="roster-names" maxlength=workshop::MAX_AGREEMENT_WHO bind:value=who/>
                    </label>
                    <datalist id="roster-names">
                        {move || session.workshop.get().roster.into_iter().map(|r| view! { <option value=r.name/> }).collect_view()}
                    </datalist>
                    <label>{move || t(lang.get(), Text::FromWhen)}
                        <input type="text" maxlength=workshop::MAX_AGREEMENT_FROM bind:value=from/>
                    </label>
                    <label>{move || t(lang.get(), Text::NoteOptional)}
                        <input type="text" maxlength=workshop::MAX_AGREEMENT_NOTE bind:value=note/>
                    </label>
                    <button type="submit" class="primary">{move || t(lang.get(), Text::AddAgreement)}</button>
                </form>
            </Show>
        </section>
    }
}

/// The console's set-up for 003: the form's steps with their lengths, and k.
#[component]
pub fn RolesSetup(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    let (min, max) = kring_shared::forms::blocks::K_RANGE;
    view! {
        <section class="card plan" aria-labelledby="plan-heading">
            <h2 id="plan-heading">{move || t(lang.get(), Text::Setup)}</h2>
            <FormPlan session lang steer/>
            <fieldset>
                <label class="inline">{move || t(lang.get(), Text::KBalance)}
                    <input type="number" min=min max=max prop:value=move || session.workshop.get().plan.k.to_string() disabled=move || !steer.get()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                let n = n.clamp(min, max);
                                session.change_workshop(move |tx| workshop::set_k(tx, n));
                            }
                        }/>
                </label>
                <p class="muted small">{move || t(lang.get(), Text::KExplain)}</p>
            </fieldset>
        </section>
    }
}

/// Work form 003's report page: the role map (the report's SVG), the balance and the agreements.
#[component]
pub fn RolesReportBody(
    /// The report, with its `roles` part.
    report: kring_shared::report::Report,
    /// The role map as SVG text, once fetched.
    svg: Signal<Option<String>>,
) -> impl IntoView {
    let lang = Lang::from_code(&report.language);
    let Some(r) = report.roles.clone() else {
        return ().into_any();
    };
    let data_url = |text: &str| {
        let encoded: String = js_sys::encode_uri_component(text).into();
        format!("data:image/svg+xml;charset=utf-8,{encoded}")
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            "–".to_owned()
        } else {
            v.join(", ")
        }
    };
    view! {
        <article class="report" lang=report.language.clone()>
            <header class="report-header">
                <h1>{report.title.clone()}</h1>
                <p class="meta">{report.form.form().name.get(code(lang))} " · " {report.date.clone()} " · " {report.participants.count} " " {t(lang, Text::Participants).to_lowercase()}</p>
            </header>
            <section class="report-balance">
                <h2>{t(lang, Text::BalanceHeading)}</h2>
                {match &r.balance {
                    None => view! { <p>{t(lang, Text::BalanceWaiting)} " " {r.k} " " {t(lang, Text::Answers)} "."</p> }.into_any(),
                    Some(b) => view! {
                        <p>{b.answered} " " {t(lang, Text::Answers)}</p>
                        <ul>{b.perspectives.iter().map(|(_, name, mean)| view! { <li>{name.clone()} ": " {format!("{mean:.1}")} " / " {POINTS}</li> }).collect_view()}</ul>
                    }.into_any(),
                }}
            </section>
            <section class="flip-chart">
                <h2>{t(lang, Text::RoleMapHeading)}</h2>
                {move || svg.get().map(|text| view! { <img src=data_url(&text) alt=t(lang, Text::RoleMapHeading)/> })}
                {r.advice.clone().map(|a| view! { <p class="advice"><strong>{t(lang, Text::CorePiled)} ": " {r.core_piled_on.join(", ")} ". "</strong>{a}</p> })}
                <table class="report-roles">
                    <thead><tr><th>{t(lang, Text::Role)}</th><th>{Claim::HoldNow.label().get(code(lang))}</th><th>{Claim::Want.label().get(code(lang))}</th><th></th></tr></thead>
                    <tbody>
                        {r.roles.iter().map(|x| view! {
                            <tr class:uncovered=x.uncovered class:crowded=x.crowded>
                                <th scope="row">{x.name.clone()}</th>
                                <td>{list(&x.holders)}</td>
                                <td>{list(&x.wanted_by)}</td>
                                <td>{if x.uncovered { t(lang, Text::Uncovered) } else if x.crowded { t(lang, Text::Crowded) } else { "" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section class="report-agreements">
                <h2>{t(lang, Text::AgreementsHeading)}</h2>
                {if r.agreements.is_empty() {
                    view! { <p class="muted">{t(lang, Text::NoAgreements)}</p> }.into_any()
                } else {
                    view! { <ul>{r.agreements.iter().map(|a| view! {
                        <li><strong>{a.role_name.clone()}</strong> ": " {a.who.clone()}
                            {(!a.from.is_empty()).then(|| format!(", {} {}", t(lang, Text::From), a.from))}
                            {(!a.note.is_empty()).then(|| format!(" — {}", a.note))}</li>
                    }).collect_view()}</ul> }.into_any()
                }}
            </section>
        </article>
    }
    .into_any()
}
