//! The plenary table (step 3): every duo's insight cards and the participants' short cards, laid
//! in the flip chart's clusters — the three level clusters, echoing the rings, and the
//! facilitator's own. Facilitators drag cards (pointer) or move them with the keyboard path; every
//! screen sees a dragged card move live and who holds it. Participants and the projector read.

use kring_shared::drag::{Drag, HOLD_MS, Holds, Throttle};
use kring_shared::ids::DocumentId;
use kring_shared::method::LevelId;
use kring_shared::plenary::{self, Card, Source};
use kring_shared::schema::table::{self, COLORS, Cluster, Labels, TableView};
use kring_shared::schema::voice::CardKind;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::{Lang, Text, t};
use crate::session::UseWorkshopReturn;
use crate::widgets::level_name;

/// The rooms (by duo) and voices (by participant) this browser has open.
pub fn sources(session: UseWorkshopReturn) -> (plenary::Rooms, plenary::Voices) {
    let ws = session.workshop.get();
    let rooms = session.rooms.get();
    let voices = session.voices.get();
    let duos = ws
        .duos
        .iter()
        .filter_map(|d| Some((d.id, rooms.get(&d.doc?)?.clone())))
        .collect();
    let vs = ws
        .roster
        .iter()
        .filter_map(|r| Some((r.id, voices.get(&r.voice?)?.clone())))
        .collect();
    (duos, vs)
}

/// Every card on the table, as this browser knows them.
pub fn all_cards(session: UseWorkshopReturn) -> Vec<Card> {
    let (duos, voices) = sources(session);
    plenary::cards(&duos, &voices)
}

fn cluster_title(c: &Cluster, lang: Lang) -> String {
    match c.level {
        Some(l) if c.title.trim().is_empty() => level_name(l, lang).to_owned(),
        _ => c.title.clone(),
    }
}

/// How a card says where it comes from: the duo (as the facilitator chose) or the kind.
fn card_origin(session: UseWorkshopReturn, table: &TableView, card: &Card, lang: Lang) -> String {
    match &card.source {
        Source::Insight { duo } => {
            let ws = session.workshop.get();
            plenary::duo_title(&ws, *duo, table.labels, t(lang, Text::Duo))
        }
        Source::Voice {
            kind: CardKind::Needed,
            ..
        } => t(lang, Text::NeededShort).to_owned(),
        Source::Voice { .. } => t(lang, Text::ChanceShort).to_owned(),
    }
}

/// The drag this browser's hand is doing.
#[derive(Debug, Clone, PartialEq)]
struct LocalDrag {
    card: String,
    x: f64,
    y: f64,
    /// The pointer moved (a click without moving is no drag).
    moved: bool,
}

/// A hand id for this tab, so two facilitators' drags are told apart.
fn my_hand() -> String {
    thread_local! {
        static HAND: String = DocumentId::random().to_string();
    }
    HAND.with(Clone::clone)
}

/// The table. `editable` for facilitators.
#[component]
pub fn TableBoard(
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    editable: bool,
    /// A facilitator's short name, shown on the cards they hold.
    #[prop(into)]
    me: Signal<String>,
) -> impl IntoView {
    let board = NodeRef::<leptos::html::Div>::new();
    let dragging = RwSignal::new(None::<LocalDrag>);
    let throttle = StoredValue::new(Throttle::default());
    let table_doc = move || session.workshop.get().table;
    let tbl = move || session.table.get().unwrap_or_default();
    let cards = Memo::new(move |_| all_cards(session));

    let send = move |d: &LocalDrag, done: bool| {
        if let Some(doc) = table_doc() {
            session.send_ephemeral(
                doc,
                Drag {
                    card: d.card.clone(),
                    x: d.x,
                    y: d.y,
                    by: me.get_untracked(),
                    hand: my_hand(),
                    done,
                }
                .encode(),
            );
        }
    };
    // Holds whose hand went quiet (a dropped connection mid-drag) fade out; a hand that holds a
    // card still, keeps its hold fresh for everyone else.
    let tick = set_interval_with_handle(
        move || {
            if !session.holds.with_untracked(Holds::is_empty) {
                let now = js_sys::Date::now();
                session.holds.update(|h| h.expire(now));
            }
            if let Some(d) = dragging.get_untracked().filter(|d| d.moved) {
                send(&d, false);
            }
        },
        std::time::Duration::from_millis((HOLD_MS / 4.0) as u64),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = tick {
            h.clear();
        }
    });

    let fraction = move |cx: f64, cy: f64| -> Option<(f64, f64)> {
        let el = board.get_untracked()?;
        let r = el.get_bounding_client_rect();
        (r.width() > 0.0 && r.height() > 0.0).then(|| {
            (
                ((cx - r.left()) / r.width()).clamp(0.0, 1.0),
                ((cy - r.top()) / r.height()).clamp(0.0, 1.0),
            )
        })
    };
    let place = move |card: String, cluster: Option<String>, stack: Option<String>| {
        let Some(doc) = table_doc() else { return };
        let current = tbl();
        session.change_document(doc, move |tx| match cluster {
            Some(c) => {
                let order = current.next_order(&c);
                table::place_card(tx, &card, &c, order, stack.as_deref())
            }
            None => table::unplace_card(tx, &card),
        });
    };

    let on_down = move |ev: web_sys::PointerEvent, key: String| {
        if !editable || ev.button() != 0 || is_control(&ev) {
            return;
        }
        if session
            .holds
            .with_untracked(|h| h.holder(&key, &my_hand()).is_some())
        {
            return;
        }
        let Some((x, y)) = fraction(f64::from(ev.client_x()), f64::from(ev.client_y())) else {
            return;
        };
        if let Some(el) = board.get_untracked() {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        dragging.set(Some(LocalDrag {
            card: key,
            x,
            y,
            moved: false,
        }));
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        let Some(mut d) = dragging.get_untracked() else {
            return;
        };
        let Some((x, y)) = fraction(f64::from(ev.client_x()), f64::from(ev.client_y())) else {
            return;
        };
        ev.prevent_default();
        d.moved = d.moved || (x - d.x).abs() + (y - d.y).abs() > 0.002;
        d.x = x;
        d.y = y;
        if d.moved && throttle.try_update_value(|t| t.ready(js_sys::Date::now())) == Some(true) {
            send(&d, false);
        }
        dragging.set(Some(d));
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        let Some(d) = dragging.get_untracked() else {
            return;
        };
        dragging.set(None);
        if !d.moved {
            return;
        }
        send(&d, true);
        // What lies under the pointer: a card (stack on it) or a cluster (append), else the table.
        let target = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|doc| doc.element_from_point(ev.client_x() as f32, ev.client_y() as f32));
        let attr = |sel: &str, name: &str| {
            target
                .as_ref()
                .and_then(|e| e.closest(sel).ok().flatten())
                .and_then(|e| e.get_attribute(name))
        };
        let cluster = attr("[data-cluster]", "data-cluster");
        let on_card = attr("[data-card]", "data-card").filter(|c| *c != d.card);
        let stack = on_card.filter(|c| {
            let t = tbl();
            cluster.is_some() && t.cards.get(c).map(|p| &p.cluster) == cluster.as_ref()
        });
        // A stacked card's own stack: stack on the stack's base.
        let stack = stack.map(|c| {
            tbl()
                .cards
                .get(&c)
                .and_then(|p| p.stack.clone())
                .unwrap_or(c)
        });
        place(d.card, cluster, stack);
    };
    let sort = move |_| {
        let Some(doc) = table_doc() else { return };
        let moves = plenary::sort_by_level(&tbl(), &cards.get_untracked());
        session.change_document(doc, move |tx| {
            for (card, cluster, order) in &moves {
                table::place_card(tx, card, cluster, *order, None)?;
            }
            Ok(())
        });
    };

    // One card: its text, level tag, origin; for facilitators the keyboard path.
    let card_view = move |c: Card, stacked: usize| {
        let key = c.key.clone();
        let key_down = key.clone();
        let key_sel = key.clone();
        let key_stack = key.clone();
        let key_hold = key.clone();
        let key_lift = key.clone();
        let origin = card_origin(session, &tbl(), &c, lang.get());
        let level = c.level;
        let held_by = Signal::derive(move || {
            session
                .holds
                .with(|h| h.holder(&key_hold, &my_hand()).map(|d| d.by.clone()))
        });
        let lifted = move || {
            dragging.with(|d| d.as_ref().is_some_and(|d| d.moved && d.card == key_lift))
                || held_by.with(Option::is_some)
        };
        let current_cluster = {
            let k = key.clone();
            move || {
                tbl()
                    .cards
                    .get(&k)
                    .map(|p| p.cluster.clone())
                    .unwrap_or_default()
            }
        };
        let stack_options = {
            let k = key.clone();
            move || {
                let t = tbl();
                let Some(mine) = t.cards.get(&k).cloned() else {
                    return vec![];
                };
                let all = cards.get();
                t.cards
                    .iter()
                    .filter(|(other, p)| {
                        **other != k && p.cluster == mine.cluster && p.stack.is_none()
                    })
                    .filter_map(|(other, _)| {
                        all.iter()
                            .find(|c| &c.key == other)
                            .map(|c| (other.clone(), c.text.chars().take(40).collect::<String>()))
                    })
                    .collect::<Vec<_>>()
            }
        };
        let text = c.text.clone();
        view! {
            <article class=format!("tcard {}", level.map(|l| l.as_str()).unwrap_or("voice"))
                class:shared=c.shared class:lifted=lifted
                data-card=key.clone()
                on:pointerdown=move |ev| on_down(ev, key_down.clone())>
                <p class="tcard-text">{text}</p>
                <p class="tcard-meta">
                    {level.map(|l| view! { <span class=format!("tag {}", l.as_str())>{move || level_name(l, lang.get())}</span> })}
                    <span class="origin">{origin}</span>
                    {c.shared.then(|| view! { <span class="star" title=move || t(lang.get(), Text::SharedInRound)>"★"</span> })}
                    {(stacked > 0).then(|| view! { <span class="stack-count">"+" {stacked}</span> })}
                </p>
                {move || held_by.get().map(|by| view! { <p class="held">{t(lang.get(), Text::HeldBy)} " " {by}</p> })}
                {editable.then(|| view! {
                    <div class="tcard-keys">
                        <label>
                            <span class="sr-only">{move || t(lang.get(), Text::MoveCardTo)}</span>
                            <select aria-label=move || t(lang.get(), Text::MoveCardTo)
                                prop:value=current_cluster.clone()
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    place(key_sel.clone(), (!v.is_empty()).then_some(v), None);
                                }>
                                <option value="">{move || t(lang.get(), Text::OnTheTable)}</option>
                                {move || tbl().clusters.into_iter().map(|cl| {
                                    let title = cluster_title(&cl, lang.get());
                                    view! { <option value=cl.id.clone()>{title}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <Show when={
                            let s = stack_options.clone();
                            move || !s().is_empty()
                        }>
                            <select aria-label=move || t(lang.get(), Text::StackOn)
                                on:change={
                                    let k = key_stack.clone();
                                    let cc = current_cluster.clone();
                                    move |ev| {
                                        let v = event_target_value(&ev);
                                        let cl = cc();
                                        if !cl.is_empty() {
                                            place(k.clone(), Some(cl), (!v.is_empty()).then_some(v));
                                        }
                                    }
                                }>
                                <option value="">{move || t(lang.get(), Text::StackOn)}</option>
                                {
                                    let s = stack_options.clone();
                                    move || s().into_iter().map(|(k, label)| view! { <option value=k>{label}</option> }).collect_view()
                                }
                            </select>
                        </Show>
                    </div>
                })}
            </article>
        }
    };

    // The cards of one cluster (or of the table when `cluster` is None), stacks grouped: the
    // one layout of `kring_shared::schema::table`, which the report draws too.
    let cluster_cards = move |cluster: Option<String>| {
        let t = tbl();
        let all = cards.get();
        let layout = t.layout(all.iter().map(|c| c.key.as_str()));
        let stacks = match &cluster {
            Some(id) => layout.stacks_of(id).to_vec(),
            None => layout.unsorted,
        };
        let card = |k: &str| all.iter().find(|c| c.key == k).cloned();
        stacks
            .into_iter()
            .filter_map(|st| {
                let base = card(&st.base)?;
                let on_it: Vec<Card> = st.on_it.iter().filter_map(|k| card(k)).collect();
                let n = on_it.len();
                Some(view! {
                    <div class="stack" class:grouped={n > 0}>
                        {card_view(base, n)}
                        {on_it.into_iter().map(|c| card_view(c, 0)).collect_view()}
                    </div>
                })
            })
            .collect_view()
    };

    // Cards in flight: this hand's and other hands', at their place on the table.
    let ghosts = move || {
        let all = cards.get();
        let mut out: Vec<(String, f64, f64, Option<String>)> = session.holds.with(|h| {
            h.iter()
                .filter(|d| d.hand != my_hand())
                .map(|d| (d.card.clone(), d.x, d.y, Some(d.by.clone())))
                .collect()
        });
        if let Some(d) = dragging.get().filter(|d| d.moved) {
            out.push((d.card, d.x, d.y, None));
        }
        out.into_iter()
            .filter_map(|(key, x, y, by)| {
                let c = all.iter().find(|c| c.key == key)?;
                let level = c.level.map(|l| l.as_str()).unwrap_or("voice");
                let remote = by.is_some();
                Some(view! {
                    <div class=format!("tcard ghost {level}") class:remote=remote
                        style=format!("left: {:.3}%; top: {:.3}%;", x * 100.0, y * 100.0)>
                        <p class="tcard-text">{c.text.clone()}</p>
                        {by.map(|b| view! { <p class="held">{t(lang.get(), Text::HeldBy)} " " {b}</p> })}
                    </div>
                })
            })
            .collect_view()
    };

    view! {
        <section class="table-wrap" aria-labelledby="table-heading">
            <div class="table-head">
                <h2 id="table-heading">{move || t(lang.get(), Text::TheTable)}</h2>
                {editable.then(|| view! {
                    <div class="table-tools">
                        <button type="button" on:click=sort>{move || t(lang.get(), Text::SortByLevel)}</button>
                        <label>{move || t(lang.get(), Text::CardsShow)} " "
                            <select prop:value=move || tbl().labels.as_str() on:change=move |ev| {
                                let Some(v) = Labels::parse(&event_target_value(&ev)) else { return };
                                if let Some(doc) = table_doc() {
                                    session.change_document(doc, move |tx| table::set_labels(tx, v));
                                }
                            }>
                                <option value=Labels::Organisations.as_str()>{move || t(lang.get(), Text::LabelOrganisations)}</option>
                                <option value=Labels::Names.as_str()>{move || t(lang.get(), Text::LabelNames)}</option>
                                <option value=Labels::Anonymous.as_str()>{move || t(lang.get(), Text::LabelAnonymous)}</option>
                            </select>
                        </label>
                    </div>
                })}
            </div>
            <div class="table-board" class:editable=editable node_ref=board
                on:pointermove=on_move on:pointerup=on_up
                on:pointercancel=move |_| {
                    if let Some(d) = dragging.get_untracked() {
                        send(&d, true);
                    }
                    dragging.set(None);
                }>
                <div class="clusters">
                    <For each=move || tbl().clusters key=|c| (c.id.clone(), c.title.clone(), c.color.clone()) let:cl>
                        {
                            let id = cl.id.clone();
                            let title = cluster_title(&cl, lang.get_untracked());
                            let level = cl.level;
                            let color = cl.color.clone();
                            view! {
                                <section class=format!("cluster c-{color}") class:level=level.is_some()
                                    data-cluster=id.clone() aria-label=title.clone()>
                                    <header>
                                        {level.map(|l| view! { <LevelMark level=l/> })}
                                        <h3>{move || cluster_title(&cl, lang.get())}</h3>
                                    </header>
                                    <div class="cluster-cards">{
                                        let id = id.clone();
                                        move || cluster_cards(Some(id.clone()))
                                    }</div>
                                </section>
                            }
                        }
                    </For>
                </div>
                <section class="unsorted" data-cluster-none="">
                    <h3>{move || t(lang.get(), Text::OnTheTable)}</h3>
                    <div class="cluster-cards">{move || cluster_cards(None)}</div>
                </section>
                {ghosts}
            </div>
            {editable.then(|| view! { <ClusterEditor session lang/> })}
        </section>
    }
}

/// The three rings with one of them drawn strong: which level a cluster is.
#[component]
pub fn LevelMark(level: LevelId) -> impl IntoView {
    let class = |l: LevelId| {
        if l == level {
            format!("ring {} on", l.as_str())
        } else {
            format!("ring {}", l.as_str())
        }
    };
    view! {
        <svg class="level-mark" viewBox="0 0 40 40" aria-hidden="true">
            <circle cx="20" cy="20" r="18" class=class(LevelId::Collective)/>
            <circle cx="20" cy="20" r="12" class=class(LevelId::Collegial)/>
            <circle cx="20" cy="20" r="6" class=class(LevelId::Individual)/>
        </svg>
    }
}

/// Add, rename, recolour and remove the facilitator's own clusters.
#[component]
fn ClusterEditor(session: UseWorkshopReturn, lang: Signal<Lang>) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let color = RwSignal::new("pink".to_owned());
    let table_doc = move || session.workshop.get().table;
    let tbl = move || session.table.get().unwrap_or_default();
    let save = move |c: Cluster| {
        if let Some(doc) = table_doc() {
            session.change_document(doc, move |tx| table::set_cluster(tx, &c));
        }
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = title.get_untracked().trim().to_owned();
        if name.is_empty() {
            return;
        }
        let order = tbl().clusters.iter().map(|c| c.order).fold(0.0, f64::max) + 1.0;
        save(Cluster {
            id: format!("c-{}", DocumentId::random()),
            title: name.chars().take(table::MAX_CLUSTER_TITLE).collect(),
            color: color.get_untracked(),
            level: None,
            order,
        });
        title.set(String::new());
    };
    let custom = move || -> Vec<Cluster> {
        tbl()
            .clusters
            .into_iter()
            .filter(|c| c.level.is_none())
            .collect()
    };
    let color_options = move || {
        COLORS
            .iter()
            .map(|c| view! { <option value=*c>{color_name(c, lang.get())}</option> })
            .collect_view()
    };
    view! {
        <div class="cluster-editor">
            <h3>{move || t(lang.get(), Text::OwnClusters)}</h3>
            <ul>
                <For each=custom key=|c| c.id.clone() let:cl>
                    {
                        let (c1, c2, c3) = (cl.clone(), cl.clone(), cl.id.clone());
                        view! {
                            <li class=format!("c-{}", cl.color)>
                                <input aria-label=move || t(lang.get(), Text::ClusterName) prop:value=cl.title.clone()
                                    maxlength=table::MAX_CLUSTER_TITLE
                                    on:change=move |ev| save(Cluster { title: event_target_value(&ev), ..c1.clone() })/>
                                <select aria-label=move || t(lang.get(), Text::Colour) prop:value=cl.color.clone()
                                    on:change=move |ev| save(Cluster { color: event_target_value(&ev), ..c2.clone() })>
                                    {color_options}
                                </select>
                                <button type="button" on:click=move |_| {
                                    let id = c3.clone();
                                    if let Some(doc) = table_doc() {
                                        session.change_document(doc, move |tx| table::remove_cluster(tx, &id));
                                    }
                                }>{move || t(lang.get(), Text::Remove)}</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <form class="row" on:submit=add>
                <input aria-label=move || t(lang.get(), Text::NewCluster) placeholder=move || t(lang.get(), Text::NewCluster)
                    maxlength=table::MAX_CLUSTER_TITLE bind:value=title/>
                <select aria-label=move || t(lang.get(), Text::Colour) on:change=move |ev| color.set(event_target_value(&ev)) prop:value=move || color.get()>
                    {color_options}
                </select>
                <button type="submit">{move || t(lang.get(), Text::AddCluster)}</button>
            </form>
        </div>
    }
}

fn color_name(c: &str, lang: Lang) -> &'static str {
    let (nl, en) = match c {
        "blue" => ("blauw", "blue"),
        "green" => ("groen", "green"),
        "orange" => ("oranje", "orange"),
        "purple" => ("paars", "purple"),
        "pink" => ("roze", "pink"),
        "teal" => ("blauwgroen", "teal"),
        "yellow" => ("geel", "yellow"),
        _ => ("grijs", "grey"),
    };
    if lang == Lang::En { en } else { nl }
}

/// Whether an element is (inside) a form control, so a drag does not start from a select.
pub fn is_control(ev: &web_sys::PointerEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| {
            e.closest("select, input, button, textarea, label")
                .ok()
                .flatten()
        })
        .is_some()
}
