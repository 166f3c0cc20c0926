//! Step 2 for the facilitator: forming duos (a proposal that maximises cross-organisation pairs,
//! reshuffle, move people, add latecomers) and a dashboard of every duo at a glance — members,
//! online, turn stage, insight cards per level, whether the insight to share is picked — with a
//! read-only look into each room and a "1 minute left" message to all duos. In work form 004 the
//! same panel forms the optional duos of step 2 and names the weakest blocks as their topics.

use std::collections::BTreeMap;

use kring_shared::forms::FormId;
use kring_shared::ids::{DuoId, ParticipantId};
use kring_shared::method::LevelId;
use kring_shared::pairing::{self, Person};
use kring_shared::schema::duo::Turn;
use kring_shared::schema::workshop::{self, Broadcast, DuoEntry};
use leptos::prelude::*;

use crate::duo::who;
use crate::i18n::{Lang, Text, t};
use crate::session::{Extra, UseWorkshopReturn};
use crate::widgets::{level_name, zone_name};

fn org_of(session: UseWorkshopReturn, id: ParticipantId) -> String {
    session
        .workshop
        .get_untracked()
        .roster
        .into_iter()
        .find(|r| r.id == id)
        .map(|r| r.organisation.trim().to_lowercase())
        .unwrap_or_default()
}

/// Proposes groups from who is online now, with a fresh seed.
fn propose(session: UseWorkshopReturn) {
    let v = session.workshop.get_untracked();
    let online = session.presence.get_untracked().online;
    let people: Vec<Person> = v
        .roster
        .iter()
        .filter(|r| online.contains(&r.id))
        .map(|r| Person {
            id: r.id,
            organisation: r.organisation.clone(),
        })
        .collect();
    let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
    let groups = pairing::propose(&people, seed);
    let entries: Vec<DuoEntry> = groups
        .into_iter()
        .map(|members| DuoEntry {
            id: DuoId::random(),
            members,
            doc: None,
            number: None,
        })
        .collect();
    session.change_workshop(|tx| workshop::set_duos(tx, &entries));
}

/// Moves a person to another duo (or out of all duos with `None`).
fn move_person(session: UseWorkshopReturn, person: ParticipantId, to: Option<DuoId>) {
    let mut duos = session.workshop.get_untracked().duos;
    for d in duos.iter_mut() {
        d.members.retain(|m| *m != person);
    }
    if let Some(target) = to.and_then(|id| duos.iter_mut().find(|d| d.id == id)) {
        target.members.push(person);
    }
    duos.retain(|d| !d.members.is_empty());
    session.change_workshop(|tx| workshop::set_duos(tx, &duos));
}

/// The duo panel of the console.
#[component]
pub fn DuoPanel(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
) -> impl IntoView {
    // Facilitators look into every room.
    Effect::new(move |_| {
        for d in session.workshop.get().duos {
            if let Some(doc) = d.doc {
                session.open_document(doc, Extra::Room);
            }
        }
    });
    // Each duo with the number people know it by, in the plan's order (which is by number).
    let duos = move || {
        let ws = session.workshop.get();
        ws.duos
            .iter()
            .map(|d| (ws.duo_number(d.id).unwrap_or(0), d.clone()))
            .collect::<Vec<(u32, DuoEntry)>>()
    };
    let unassigned = move || {
        let v = session.workshop.get();
        v.roster
            .iter()
            .filter(|r| !v.duos.iter().any(|d| d.members.contains(&r.id)))
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let one_minute = move |_| {
        let b = Broadcast {
            id: kring_shared::ids::DocumentId::random().to_string(),
            text: t(lang.get_untracked(), Text::OneMinute).into(),
            at: session.server_now() as i64,
        };
        session.change_workshop(|tx| workshop::set_broadcast(tx, &b));
    };
    let by_block = move || session.workshop.get().form.id == FormId::BuildingBlocks;
    // 004's duos talk about the weakest blocks of the published profile.
    let topics = move || crate::blocks::weakest_topics(session, lang.get());
    view! {
        <section class="card duo-panel" aria-labelledby="duos-heading">
            <h2 id="duos-heading">{move || t(lang.get(), Text::Duos)} " " <span class="count">{move || duos().len()}</span></h2>
            <Show when=by_block>
                <p class="muted small">{move || t(lang.get(), Text::DuoBlocksOptional)}</p>
                <Show when=move || !topics().is_empty()>
                    <p class="topics">{move || t(lang.get(), Text::SuggestedTopics)} " " <strong>{topics}</strong></p>
                </Show>
            </Show>
            <div class="buttons">
                <button type="button" class="primary" disabled=move || !steer.get() on:click=move |_| propose(session)>
                    {move || if duos().is_empty() { t(lang.get(), Text::ProposeDuos) } else { t(lang.get(), Text::Reshuffle) }}
                </button>
                <button type="button" disabled=move || !steer.get() || duos().is_empty() on:click=one_minute>{move || t(lang.get(), Text::SendOneMinute)}</button>
            </div>
            <ol class="duo-list">
                {move || duos().into_iter().map(|(n, d)| view! { <DuoCard session lang steer number=n duo=d/> }).collect_view()}
            </ol>
            <Show when=move || !unassigned().is_empty()>
                <h3>{move || t(lang.get(), Text::NotInDuo)}</h3>
                <ul class="unassigned">
                    {move || unassigned().into_iter().map(|p| view! {
                        <li>
                            <span>{who(session, p)}</span>
                            <select aria-label=move || format!("{} {}", t(lang.get(), Text::AddTo), who(session, p)) disabled=move || !steer.get()
                                on:change=move |ev| if let Ok(id) = event_target_value(&ev).parse() { move_person(session, p, Some(id)) }>
                                <option value="">{move || t(lang.get(), Text::AddTo)} "…"</option>
                                {duos().into_iter().map(|(n, d)| view! { <option value=d.id.to_string()>{move || t(lang.get(), Text::Duo)} " " {n}</option> }).collect_view()}
                            </select>
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

/// The zones a room's cards name, each once, in the order they first appear (004's dashboard).
fn zones_named(insights: Vec<kring_shared::schema::duo::Insight>, lang: Lang) -> String {
    let mut seen = Vec::new();
    for i in insights {
        if !seen.contains(&i.zone) {
            seen.push(i.zone);
        }
    }
    seen.into_iter()
        .map(|z| zone_name(z, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One duo on the dashboard.
#[component]
fn DuoCard(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    steer: Signal<bool>,
    /// The number people know the duo by.
    number: u32,
    duo: DuoEntry,
) -> impl IntoView {
    let look = RwSignal::new(false);
    let doc = duo.doc;
    let room = move || doc.and_then(|d| session.rooms.get().get(&d).cloned());
    let n = duo.members.len();
    let now = RwSignal::new(session.server_now());
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(session.server_now()),
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    let members = duo.members.clone();
    let stage = move || {
        let m = session.workshop.get().plan.minutes;
        match room().map(|r| r.clock.turn_at(now.get() as i64, n, m.turn, m.joint)) {
            None | Some(Turn::NotStarted) => t(lang.get(), Text::NotStarted).to_owned(),
            Some(Turn::Speaking { index, .. }) => format!(
                "{}: {}",
                t(lang.get(), Text::Speaking),
                members
                    .get(index)
                    .map(|p| who(session, *p))
                    .unwrap_or_default()
            ),
            Some(Turn::Joint { .. }) => t(lang.get(), Text::Together).to_owned(),
            Some(Turn::Done) => t(lang.get(), Text::TurnsDone).to_owned(),
        }
    };
    let counts = move || {
        let mut c: BTreeMap<LevelId, usize> = BTreeMap::new();
        for i in room().map(|r| r.insights).unwrap_or_default() {
            if let Some(l) = i.zone.level() {
                *c.entry(l).or_default() += 1;
            }
        }
        LevelId::ALL.map(|l| c.get(&l).copied().unwrap_or(0))
    };
    let picked = move || room().is_some_and(|r| r.share.is_some());
    let orgs: Vec<String> = duo.members.iter().map(|m| org_of(session, *m)).collect();
    let same_org = orgs
        .iter()
        .enumerate()
        .any(|(i, a)| !a.is_empty() && orgs.iter().skip(i + 1).any(|b| a == b));
    let others = move || {
        let ws = session.workshop.get();
        ws.duos
            .iter()
            .filter(|d| d.id != duo.id)
            .map(|d| (ws.duo_number(d.id).unwrap_or(0), d.clone()))
            .collect::<Vec<(u32, DuoEntry)>>()
    };
    view! {
        <li class="duo-card" class:same-org=same_org>
            <h3>{move || t(lang.get(), Text::Duo)} " " {number}
                {same_org.then(|| view! { <span class="warn">" · " {move || t(lang.get(), Text::SameOrg)}</span> })}
            </h3>
            <ul class="members">
                {duo.members.iter().copied().map(|p| {
                    let online = move || session.presence.get().online.contains(&p);
                    view! {
                        <li class:online=online>
                            <span class="dot" aria-hidden="true"></span>
                            <span>{who(session, p)}</span>
                            <span class="sr-only">{move || if online() { t(lang.get(), Text::Online) } else { t(lang.get(), Text::Offline) }}</span>
                            <select aria-label=move || format!("{} {}", t(lang.get(), Text::MoveTo), who(session, p)) disabled=move || !steer.get()
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    if v == "out" { move_person(session, p, None) } else if let Ok(id) = v.parse() { move_person(session, p, Some(id)) }
                                }>
                                <option value="">{move || t(lang.get(), Text::MoveTo)} "…"</option>
                                {move || others().into_iter().map(|(n, d)| view! { <option value=d.id.to_string()>{move || t(lang.get(), Text::Duo)} " " {n}</option> }).collect_view()}
                                <option value="out">{move || t(lang.get(), Text::Remove)}</option>
                            </select>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="stage">{stage}</p>
            <Show when=move || session.workshop.get().form.id == FormId::BuildingBlocks>
                <p class="insight-zones">{move || t(lang.get(), Text::Insights)} ": " {move || room().map(|r| r.insights.len()).unwrap_or(0)}
                    {move || {
                        let zones = zones_named(room().map(|r| r.insights).unwrap_or_default(), lang.get());
                        (!zones.is_empty()).then(|| view! { " · " <span class="zones">{zones}</span> })
                    }}</p>
            </Show>
            // 000's chips per level (a `hidden` attribute would lose to the chips' flex layout).
            <Show when=move || session.workshop.get().form.id != FormId::BuildingBlocks>
            <p class="insight-counts" aria-label=move || {
                let c = counts();
                format!("{}: {} {}, {} {}, {} {}", t(lang.get(), Text::Insights),
                    level_name(LevelId::Individual, lang.get()), c[0],
                    level_name(LevelId::Collegial, lang.get()), c[1],
                    level_name(LevelId::Collective, lang.get()), c[2])
            }>
                <span class="p individual">{move || counts()[0]}</span>
                <span class="p collegial">{move || counts()[1]}</span>
                <span class="p collective">{move || counts()[2]}</span>
                <span class="picked">{move || if picked() { format!("✓ {}", t(lang.get(), Text::Picked)) } else { t(lang.get(), Text::NotPicked).to_owned() }}</span>
            </p>
            </Show>
            <button type="button" aria-expanded=move || look.get().to_string() on:click=move |_| look.update(|l| *l = !*l)>{move || t(lang.get(), Text::LookInto)}</button>
            <Show when=move || look.get()>
                <div class="look-into">
                    {move || room().map(|r| view! {
                        <ul>
                            {r.insights.iter().map(|i| {
                                let shared = r.share.as_deref() == Some(i.id.as_str());
                                view! { <li class:shared=shared>"[" {zone_name(i.zone, lang.get())} "] " {i.text.clone()} {shared.then_some(" ✓")}</li> }
                            }).collect_view()}
                        </ul>
                        {r.call_link.map(|l| view! { <p class="small">{l}</p> })}
                    })}
                </div>
            </Show>
        </li>
    }
}
