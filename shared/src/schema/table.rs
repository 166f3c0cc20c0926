//! The plenary table (step 3): the flip chart's clusters and where each card lies on it.
//!
//! ```text
//! { labels: "names"|"organisations"|"anonymous",         // how a card names its duo
//!   clusters: { <id>: { title: str, color: Color, level?: level, order: number } },
//!   cards: { <card key>: { cluster: <cluster id>, order: number, stack?: <card key> } },
//!   rewordings?: { <card key>: Text } }     // 001: the facilitator's proposed rewording
//! ```
//! The three level clusters have the level's name as id and carry `level`; facilitators add,
//! rename, recolour and remove the others. A card's *content* lives where it was written (a duo
//! room, a participant's voice document); the table only says where it lies. A card that is not in
//! `cards`, or whose cluster is gone, lies unsorted on the table.
//!
//! Facilitators (all of them, also co-facilitators while the console is locked) write it; everyone
//! reads it from step 3 on. Drags in progress are ephemeral (`crate::drag`), only drops are stored.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError, ensure_map};
use crate::method::LevelId;

pub const MAX_CLUSTERS: usize = 24;
pub const MAX_CARDS: usize = 2_000;
pub const MAX_CLUSTER_TITLE: usize = 80;
/// A card key: `<duo or participant id>.<item id>` (36 + 1 + 64 characters at most).
pub const MAX_KEY: usize = 101;

/// How a card names the duo that wrote it.
pub const LABELS: [&str; 3] = Labels::NAMES;

crate::closed_set! {
    /// How a card names the duo that wrote it, as the facilitator chose.
    #[derive(Default)]
    pub enum Labels {
        /// The members' names.
        Names => "names",
        /// The members' organisations (what a table shows until someone chooses).
        #[default]
        Organisations => "organisations",
        /// Only the duo's number.
        Anonymous => "anonymous",
    }
}

/// The colours a cluster can take (the three level colours first).
pub const COLORS: [&str; 8] = [
    "blue", "green", "orange", "purple", "pink", "teal", "yellow", "grey",
];

/// The colour of a level's cluster, echoing its ring.
pub fn level_color(level: LevelId) -> &'static str {
    match level {
        LevelId::Individual => "blue",
        LevelId::Collegial => "green",
        LevelId::Collective => "orange",
    }
}

/// One cluster on the flip chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub id: String,
    /// Empty for a level cluster: views show the level's name in the workshop's language.
    pub title: String,
    pub color: String,
    pub level: Option<LevelId>,
    pub order: f64,
}

/// Where one card lies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub cluster: String,
    pub order: f64,
    /// The card this one is stacked on (they say the same thing).
    pub stack: Option<String>,
}

/// A card and the cards stacked on it, by key, in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub base: String,
    pub on_it: Vec<String>,
}

impl Stack {
    /// Every card of the stack, the base first.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.base.as_str()).chain(self.on_it.iter().map(String::as_str))
    }
}

/// Where every card lies on the table: see [`TableView::layout`].
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Every cluster, in order, with its stacks.
    pub clusters: Vec<(Cluster, Vec<Stack>)>,
    /// The stacks in no cluster.
    pub unsorted: Vec<Stack>,
}

impl Layout {
    /// The stacks of the cluster `id` (none for an unknown id).
    pub fn stacks_of(&self, id: &str) -> &[Stack] {
        self.clusters
            .iter()
            .find(|(c, _)| c.id == id)
            .map_or(&[], |(_, s)| s.as_slice())
    }
}

/// What views read from the table document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableView {
    pub labels: Labels,
    /// Sorted by `order`, then id.
    pub clusters: Vec<Cluster>,
    pub cards: std::collections::BTreeMap<String, Placement>,
    /// 001: rewordings the facilitator proposes, by card key (the author takes one over in
    /// their own voice document, or not).
    #[serde(default)]
    pub rewordings: std::collections::BTreeMap<String, String>,
}

impl Default for TableView {
    fn default() -> Self {
        TableView {
            labels: Labels::default(),
            clusters: LevelId::ALL
                .into_iter()
                .enumerate()
                .map(|(i, l)| level_cluster(l, i as f64))
                .collect(),
            cards: Default::default(),
            rewordings: Default::default(),
        }
    }
}

fn level_cluster(level: LevelId, order: f64) -> Cluster {
    Cluster {
        id: level.as_str().into(),
        title: String::new(),
        color: level_color(level).into(),
        level: Some(level),
        order,
    }
}

impl TableView {
    /// The cluster a card lies in, if that cluster still exists.
    pub fn cluster_of(&self, card: &str) -> Option<&Cluster> {
        let p = self.cards.get(card)?;
        self.clusters.iter().find(|c| c.id == p.cluster)
    }

    /// Where the cards with `keys` lie, the one layout the table page and the report draw: per
    /// cluster (in the clusters' order) its stacks, and the stacks lying unsorted. Cards are
    /// ordered by their placement's `order`, then key (unplaced cards count as order 0); a card
    /// is stacked on another only when that one lies in the same cluster (or, unsorted, also
    /// unsorted) and is itself a base — otherwise it is a base of its own. Placements of cards
    /// not in `keys` (deleted since) are ignored.
    pub fn layout<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Layout {
        let mut keys: Vec<&str> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        let order = |k: &str| self.cards.get(k).map_or(0.0, |p| p.order);
        keys.sort_by(|a, b| order(a).total_cmp(&order(b)).then_with(|| a.cmp(b)));
        let mut groups: Vec<Vec<&str>> = vec![Vec::new(); self.clusters.len() + 1];
        for k in keys {
            let at = self
                .cards
                .get(k)
                .and_then(|p| self.clusters.iter().position(|c| c.id == p.cluster))
                .unwrap_or(self.clusters.len());
            groups[at].push(k);
        }
        let mut stacks: Vec<Vec<Stack>> = groups
            .into_iter()
            .map(|group| {
                let stack_of = |k: &str| {
                    self.cards
                        .get(k)
                        .and_then(|p| p.stack.as_deref())
                        .filter(|s| *s != k && group.contains(s))
                };
                // A base is a card not stacked on another of its group, or stacked on one that
                // is itself stacked (stacks are one deep).
                let is_base = |k: &str| stack_of(k).is_none_or(|s| stack_of(s).is_some());
                group
                    .iter()
                    .filter(|k| is_base(k))
                    .map(|base| Stack {
                        base: (*base).to_owned(),
                        on_it: group
                            .iter()
                            .filter(|k| !is_base(k) && stack_of(k) == Some(*base))
                            .map(|k| (*k).to_owned())
                            .collect(),
                    })
                    .collect()
            })
            .collect();
        let unsorted = stacks.pop().unwrap_or_default();
        Layout {
            clusters: self.clusters.iter().cloned().zip(stacks).collect(),
            unsorted,
        }
    }

    /// The order value that puts a card last in a cluster.
    pub fn next_order(&self, cluster: &str) -> f64 {
        self.cards
            .values()
            .filter(|p| p.cluster == cluster)
            .map(|p| p.order)
            .fold(0.0, f64::max)
            + 1.0
    }
}

pub fn view(doc: &impl ReadDoc) -> TableView {
    let root = MapReader::root(doc);
    let mut out = TableView {
        labels: root
            .one_of("labels", &LABELS)
            .ok()
            .flatten()
            .and_then(|l| Labels::parse(&l))
            .unwrap_or_default(),
        clusters: vec![],
        cards: Default::default(),
        rewordings: Default::default(),
    };
    if let Some(r) = root.map("rewordings").ok().flatten() {
        for key in r.keys() {
            if let Some(text) = r.string(&key, usize::MAX).ok().flatten() {
                out.rewordings.insert(key, text);
            }
        }
    }
    if let Some(clusters) = root.map("clusters").ok().flatten() {
        for id in clusters.keys() {
            let Some(c) = clusters.map(&id).ok().flatten() else {
                continue;
            };
            out.clusters.push(Cluster {
                title: c
                    .string("title", usize::MAX)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                color: c
                    .one_of("color", &COLORS)
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "grey".into()),
                level: c
                    .string("level", 32)
                    .ok()
                    .flatten()
                    .and_then(|l| LevelId::parse(&l)),
                order: c.number("order").ok().flatten().unwrap_or(0.0),
                id,
            });
        }
    }
    out.clusters
        .sort_by(|a, b| a.order.total_cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
    if let Some(cards) = root.map("cards").ok().flatten() {
        for key in cards.keys() {
            let Some(c) = cards.map(&key).ok().flatten() else {
                continue;
            };
            let Some(cluster) = c.string("cluster", 64).ok().flatten() else {
                continue;
            };
            out.cards.insert(
                key,
                Placement {
                    cluster,
                    order: c.number("order").ok().flatten().unwrap_or(0.0),
                    stack: c.string("stack", MAX_KEY).ok().flatten(),
                },
            );
        }
    }
    out
}

pub fn validate(doc: &impl ReadDoc) -> Result<(), SchemaError> {
    validate_in(doc, None)
}

/// [`validate`], or after a change only the clusters and cards it touched (see
/// [`super::validate_changed`]).
pub(crate) fn validate_in(
    doc: &impl ReadDoc,
    changed: Option<&super::Changed>,
) -> Result<(), SchemaError> {
    let root = MapReader::root_in(doc, changed);
    root.only_keys(&["labels", "clusters", "cards", "rewordings"])?;
    if let Some(r) = root.map("rewordings")? {
        r.at_most(MAX_CARDS)?;
        for key in r.keys() {
            if key.chars().count() > MAX_KEY {
                return Err(SchemaError::new(
                    format!("/rewordings/{key}"),
                    "is too long",
                ));
            }
            r.required_string(&key, super::voice::MAX_CARD_TEXT)?;
        }
    }
    root.one_of("labels", &LABELS)?;
    let levels: Vec<&str> = LevelId::ALL.iter().map(|l| l.as_str()).collect();
    if let Some(clusters) = root.map("clusters")? {
        clusters.at_most(MAX_CLUSTERS)?;
        for (id, c) in clusters.changed_entries()? {
            if id.is_empty() || id.chars().count() > 64 {
                return Err(SchemaError::new(
                    format!("/clusters/{id}"),
                    "is not a usable id",
                ));
            }
            c.only_keys(&["title", "color", "level", "order"])?;
            c.string("title", MAX_CLUSTER_TITLE)?;
            c.one_of("color", &COLORS)?;
            c.one_of("level", &levels)?;
            c.number("order")?;
        }
    }
    if let Some(cards) = root.map("cards")? {
        cards.at_most(MAX_CARDS)?;
        for (key, c) in cards.changed_entries()? {
            if key.chars().count() > MAX_KEY {
                return Err(SchemaError::new(format!("/cards/{key}"), "is too long"));
            }
            c.only_keys(&["cluster", "order", "stack"])?;
            c.required_string("cluster", 64)?;
            c.number("order")?;
            c.string("stack", MAX_KEY)?;
        }
    }
    Ok(())
}

/// Writes the initial table: the three level clusters, cards named by organisation.
pub fn init(tx: &mut impl Transactable) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "labels", Labels::default().as_str())?;
    let clusters = tx.put_object(automerge::ROOT, "clusters", ObjType::Map)?;
    for (i, level) in LevelId::ALL.into_iter().enumerate() {
        put_cluster(tx, &clusters, &level_cluster(level, i as f64))?;
    }
    tx.put_object(automerge::ROOT, "cards", ObjType::Map)?;
    Ok(())
}

fn put_cluster(
    tx: &mut impl Transactable,
    clusters: &ObjId,
    c: &Cluster,
) -> Result<(), automerge::AutomergeError> {
    let m = ensure_map(tx, clusters, &c.id)?;
    tx.put(&m, "title", c.title.as_str())?;
    tx.put(&m, "color", c.color.as_str())?;
    if let Some(level) = c.level {
        tx.put(&m, "level", level.as_str())?;
    }
    tx.put(&m, "order", ScalarValue::F64(c.order))
}

/// Adds a cluster, or renames / recolours one.
pub fn set_cluster(
    tx: &mut impl Transactable,
    c: &Cluster,
) -> Result<(), automerge::AutomergeError> {
    let clusters = ensure_map(tx, &automerge::ROOT, "clusters")?;
    put_cluster(tx, &clusters, c)
}

/// Removes a custom cluster; its cards go back on the table, unsorted.
pub fn remove_cluster(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<(), automerge::AutomergeError> {
    if LevelId::parse(id).is_some() {
        return Ok(());
    }
    let clusters = ensure_map(tx, &automerge::ROOT, "clusters")?;
    tx.delete(&clusters, id)?;
    let cards = ensure_map(tx, &automerge::ROOT, "cards")?;
    let keys: Vec<String> = tx.keys(&cards).collect();
    for key in keys {
        let Some((automerge::Value::Object(ObjType::Map), card)) = tx.get(&cards, key.as_str())?
        else {
            continue;
        };
        let in_it = matches!(
            tx.get(&card, "cluster")?,
            Some((automerge::Value::Scalar(s), _)) if s.as_str() == Some(id)
        );
        if in_it {
            tx.delete(&cards, key.as_str())?;
        }
    }
    Ok(())
}

/// Lays a card in a cluster at `order`, optionally on another card's stack.
pub fn place_card(
    tx: &mut impl Transactable,
    card: &str,
    cluster: &str,
    order: f64,
    stack: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    let cards = ensure_map(tx, &automerge::ROOT, "cards")?;
    let c = ensure_map(tx, &cards, card)?;
    tx.put(&c, "cluster", cluster)?;
    tx.put(&c, "order", ScalarValue::F64(order))?;
    match stack.filter(|s| *s != card) {
        Some(s) => tx.put(&c, "stack", s),
        None => match tx.get(&c, "stack")? {
            Some(_) => tx.delete(&c, "stack"),
            None => Ok(()),
        },
    }
}

/// Takes a card off the flip chart, back on the table (unsorted).
pub fn unplace_card(
    tx: &mut impl Transactable,
    card: &str,
) -> Result<(), automerge::AutomergeError> {
    let cards = ensure_map(tx, &automerge::ROOT, "cards")?;
    match tx.get(&cards, card)? {
        Some(_) => tx.delete(&cards, card),
        None => Ok(()),
    }
}

/// Puts card `card` with card `with` in cluster `cluster` (they say the same thing), and the
/// cards already put with `card` go along; `None` takes `card` out of its group again (it stays
/// in `cluster`). Groups are one deep: when `with` is itself in a group, `card` joins that
/// group's base.
pub fn group_card(
    tx: &mut impl Transactable,
    table: &TableView,
    cluster: &str,
    card: &str,
    with: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    let order = table.next_order(cluster);
    let Some(with) = with else {
        return place_card(tx, card, cluster, order, None);
    };
    let base = table
        .cards
        .get(with)
        .and_then(|p| p.stack.as_deref())
        .filter(|b| *b != card)
        .unwrap_or(with);
    if base == card {
        return Ok(());
    }
    if table.cards.get(with).and_then(|p| p.stack.as_deref()) == Some(card) {
        // `with` was in `card`'s group: it becomes the base, so it lies on its own now.
        place_card(tx, with, cluster, order, None)?;
    }
    place_card(tx, card, cluster, order, Some(base))?;
    let along: Vec<&str> = table
        .cards
        .iter()
        .filter(|(k, p)| p.stack.as_deref() == Some(card) && k.as_str() != base)
        .map(|(k, _)| k.as_str())
        .collect();
    for (i, k) in along.into_iter().enumerate() {
        place_card(tx, k, cluster, order + 1.0 + i as f64, Some(base))?;
    }
    Ok(())
}

/// Proposes a rewording of a card (001), or withdraws it with `None`.
pub fn set_rewording(
    tx: &mut impl Transactable,
    card: &str,
    text: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    let r = ensure_map(tx, &automerge::ROOT, "rewordings")?;
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => tx.put(&r, card, t),
        None => match tx.get(&r, card)? {
            Some(_) => tx.delete(&r, card),
            None => Ok(()),
        },
    }
}

/// How cards name their duo.
pub fn set_labels(
    tx: &mut impl Transactable,
    labels: Labels,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "labels", labels.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{Automerge, AutomergeError};

    fn table() -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, AutomergeError>(|tx| init(tx)).unwrap();
        doc
    }

    fn edit(doc: &mut Automerge, f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) {
        doc.transact::<_, _, AutomergeError>(|tx| {
            f(tx);
            Ok(())
        })
        .unwrap();
    }

    fn placed(cluster: &str, order: f64, stack: Option<&str>) -> Placement {
        Placement {
            cluster: cluster.into(),
            order,
            stack: stack.map(Into::into),
        }
    }

    #[test]
    fn the_layout_orders_stacks_and_leaves_the_rest_unsorted() {
        let mut t = TableView::default();
        t.cards.insert("b".into(), placed("collegial", 2.0, None));
        t.cards
            .insert("a".into(), placed("collegial", 3.0, Some("b")));
        t.cards.insert("c".into(), placed("collegial", 1.0, None));
        // Stacked on a card in another cluster: a base of its own.
        t.cards
            .insert("d".into(), placed("collective", 1.0, Some("b")));
        // Stacked on a stacked card: stacks are one deep, so it stands alone.
        t.cards
            .insert("e".into(), placed("collegial", 4.0, Some("a")));
        // In a cluster that is gone, and a placement whose card was deleted.
        t.cards.insert("f".into(), placed("removed", 1.0, None));
        t.cards
            .insert("gone".into(), placed("collegial", 0.0, None));
        let l = t.layout(["a", "b", "c", "d", "e", "f", "g", "a"]);
        let keys = |stacks: &[Stack]| {
            stacks
                .iter()
                .map(|s| s.keys().collect::<Vec<_>>().join("+"))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(l.stacks_of("individual")), Vec::<String>::new());
        assert_eq!(keys(l.stacks_of("collegial")), ["c", "b+a", "e"]);
        assert_eq!(keys(l.stacks_of("collective")), ["d"]);
        // Unplaced cards count as order 0, then by key.
        assert_eq!(keys(&l.unsorted), ["g", "f"]);
        let ids: Vec<&str> = l.clusters.iter().map(|(c, _)| c.id.as_str()).collect();
        assert_eq!(ids, ["individual", "collegial", "collective"]);
        let all: usize = l
            .clusters
            .iter()
            .flat_map(|(_, s)| s)
            .chain(&l.unsorted)
            .map(|s| s.keys().count())
            .sum();
        assert_eq!(all, 7, "every card once, and only those asked for");
    }

    #[test]
    fn a_new_table_has_the_three_level_clusters() {
        let doc = table();
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v, TableView::default());
        let ids: Vec<&str> = v.clusters.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["individual", "collegial", "collective"]);
    }

    #[test]
    fn cards_are_placed_stacked_and_moved_back() {
        let mut doc = table();
        edit(&mut doc, |tx| {
            place_card(tx, "d1.a", "collective", 1.0, None).unwrap();
            place_card(tx, "d2.b", "collective", 2.0, Some("d1.a")).unwrap();
        });
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.cluster_of("d1.a").unwrap().id, "collective");
        assert_eq!(v.cards["d2.b"].stack.as_deref(), Some("d1.a"));
        assert_eq!(v.next_order("collective"), 3.0);
        edit(&mut doc, |tx| {
            place_card(tx, "d2.b", "individual", 1.0, None).unwrap();
            unplace_card(tx, "d1.a").unwrap();
        });
        let v = view(&doc);
        assert_eq!(v.cards["d2.b"].stack, None);
        assert!(v.cluster_of("d1.a").is_none());
    }

    #[test]
    fn custom_clusters_are_added_renamed_and_removed_with_their_cards_unsorted() {
        let mut doc = table();
        let mut c = Cluster {
            id: "c1".into(),
            title: "Tijd".into(),
            color: "orange".into(),
            level: None,
            order: 3.0,
        };
        edit(&mut doc, |tx| {
            set_cluster(tx, &c).unwrap();
            place_card(tx, "d1.a", "c1", 1.0, None).unwrap();
        });
        c.title = "Tijd en ruimte".into();
        c.color = "teal".into();
        edit(&mut doc, |tx| set_cluster(tx, &c).unwrap());
        validate(&doc).unwrap();
        assert_eq!(view(&doc).clusters[3], c);
        edit(&mut doc, |tx| {
            remove_cluster(tx, "c1").unwrap();
            // Level clusters stay.
            remove_cluster(tx, "collective").unwrap();
        });
        let v = view(&doc);
        assert_eq!(v.clusters.len(), 3);
        assert!(v.cards.is_empty());
    }

    #[test]
    fn unknown_colours_labels_and_fields_are_refused() {
        let mut doc = table();
        edit(&mut doc, |tx| {
            tx.put(automerge::ROOT, "labels", "everything").unwrap()
        });
        assert_eq!(validate(&doc).unwrap_err().path, "/labels");
        let mut doc = table();
        edit(&mut doc, |tx| {
            let clusters = tx.get(automerge::ROOT, "clusters").unwrap().unwrap().1;
            let c = tx.get(&clusters, "individual").unwrap().unwrap().1;
            tx.put(&c, "color", "#ff00ff").unwrap();
        });
        assert_eq!(
            validate(&doc).unwrap_err().path,
            "/clusters/individual/color"
        );
        let mut doc = table();
        edit(&mut doc, |tx| {
            place_card(tx, "k", "individual", 1.0, None).unwrap();
            let cards = tx.get(automerge::ROOT, "cards").unwrap().unwrap().1;
            let c = tx.get(&cards, "k").unwrap().unwrap().1;
            tx.put(&c, "votes", 3).unwrap();
        });
        assert_eq!(validate(&doc).unwrap_err().path, "/cards/k/votes");
    }

    #[test]
    fn two_facilitators_placing_the_same_card_converge_on_one_place() {
        let mut a = table();
        let mut b = a.fork();
        edit(&mut a, |tx| {
            place_card(tx, "x", "individual", 1.0, None).unwrap()
        });
        edit(&mut b, |tx| {
            place_card(tx, "x", "collective", 1.0, None).unwrap()
        });
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(view(&a), view(&b));
        assert!(view(&a).cluster_of("x").is_some());
    }
}
