//! The facilitator's own clusters on the plenary table: adding one (a title and a colour),
//! renaming, recolouring and removing it. The three level clusters are not edited here.

use kring_shared::ids::DocumentId;
use kring_shared::schema::table::{self, COLORS, Cluster};
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::session::UseWorkshopReturn;

/// Add, rename, recolour and remove the facilitator's own clusters.
#[component]
pub fn ClusterEditor(
    /// The workshop whose table this is.
    session: UseWorkshopReturn,
    /// The interface language.
    lang: Signal<Lang>,
) -> impl IntoView {
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
