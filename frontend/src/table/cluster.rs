//! A cluster of the flip chart on the plenary table (`ClusterSection`: its level mark, title and
//! cards) and the cards of one cluster or of the table itself, stacks grouped (`ClusterCards`).

use kring_shared::plenary::Card;
use kring_shared::schema::table::Cluster;
use leptos::prelude::*;

use super::card::CardStack;
use super::{Board, LevelMark, card_origin, cluster_title};

/// One cluster: a drop target (`data-cluster`) with its cards.
#[component]
pub fn ClusterSection(
    /// The table it lies on.
    board: Board,
    /// The cluster, as the table document holds it.
    cluster: Cluster,
) -> impl IntoView {
    let lang = board.lang;
    let cl = cluster;
    let id = cl.id.clone();
    let title = cluster_title(&cl, lang.get_untracked());
    let level = cl.level;
    let color = cl.color.clone();
    let cards_of = Some(id.clone());
    view! {
        <section class=format!("cluster c-{color}") class:level=level.is_some()
            data-cluster=id.clone() aria-label=title.clone()>
            <header>
                {level.map(|l| view! { <LevelMark level=l/> })}
                <h3>{move || cluster_title(&cl, lang.get())}</h3>
            </header>
            <div class="cluster-cards"><ClusterCards board cluster=cards_of/></div>
        </section>
    }
}

/// The cards of one cluster (or of the table when `cluster` is None), stacks grouped: the one
/// layout of `kring_shared::schema::table`, which the report draws too.
#[component]
pub fn ClusterCards(
    /// The table they lie on.
    board: Board,
    /// The cluster's id; `None` for the cards lying on the table in no cluster.
    cluster: Option<String>,
) -> impl IntoView {
    let Board {
        session,
        lang,
        cards,
        ..
    } = board;
    // All reads happen in this closure, so the stacks are laid out again whenever the table, the
    // cards, the language or the workshop (duo names) change.
    move || {
        let t = session.table.get().unwrap_or_default();
        let all = cards.get();
        let layout = t.layout(all.iter().map(|c| c.key.as_str()));
        let stacks = match &cluster {
            Some(id) => layout.stacks_of(id).to_vec(),
            None => layout.unsorted,
        };
        let with_origin = |k: &str| -> Option<(Card, String)> {
            let c = all.iter().find(|c| c.key == k).cloned()?;
            let origin = card_origin(session, &t, &c, lang.get());
            Some((c, origin))
        };
        stacks
            .into_iter()
            .filter_map(|st| {
                let base = with_origin(&st.base)?;
                let on_it: Vec<(Card, String)> =
                    st.on_it.iter().filter_map(|k| with_origin(k)).collect();
                Some(view! { <CardStack board base on_it/> })
            })
            .collect_view()
    }
}
