//! Step 3 as data: the cards on the table (from the duo rooms and the participants' voices), how a
//! card names its duo, "sort by level", the energy per level, and the round's order. Views, the
//! server's report and the load generator all read the plenary through here.

use std::collections::BTreeMap;

use crate::ids::{DuoId, ParticipantId};
use crate::method::LevelId;
use crate::schema::duo::DuoView;
use crate::schema::table::{Labels, TableView};
use crate::schema::voice::{CardKind, VoiceView};
use crate::schema::workshop::{DuoEntry, WorkshopView};

/// The duo rooms of a workshop, by duo.
pub type Rooms = Vec<(DuoId, DuoView)>;
/// The participants' voices, by owner.
pub type Voices = Vec<(ParticipantId, VoiceView)>;

/// Where a card comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A key insight of a duo room.
    Insight { duo: DuoId },
    /// A participant's "what is needed" or "where are chances" card.
    Voice {
        owner: ParticipantId,
        kind: CardKind,
    },
}

/// One card on the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// `<duo id>.<insight id>` or `<participant id>.<card id>`; the key in the table document.
    pub key: String,
    pub text: String,
    /// The level tag (insights carry one).
    pub level: Option<LevelId>,
    pub source: Source,
    /// The insight its duo chose to share in the round.
    pub shared: bool,
}

pub fn insight_key(duo: DuoId, insight: &str) -> String {
    format!("{duo}.{insight}")
}

pub fn voice_key(owner: ParticipantId, card: &str) -> String {
    format!("{owner}.{card}")
}

/// Every card on the table: all duos' insights with text, then the participants' "needed" and
/// "chance" cards (questions for a duo and small changes are not table cards). Stable order.
pub fn cards(duos: &[(DuoId, DuoView)], voices: &[(ParticipantId, VoiceView)]) -> Vec<Card> {
    let mut out = Vec::new();
    for (duo, room) in duos {
        for i in &room.insights {
            if i.text.trim().is_empty() {
                continue;
            }
            out.push(Card {
                key: insight_key(*duo, &i.id),
                text: i.text.clone(),
                level: i.zone.level(),
                source: Source::Insight { duo: *duo },
                shared: room.share.as_deref() == Some(i.id.as_str()),
            });
        }
    }
    for (owner, v) in voices {
        for c in &v.cards {
            if c.kind == CardKind::Question || c.text.trim().is_empty() {
                continue;
            }
            out.push(Card {
                key: voice_key(*owner, &c.id),
                text: c.text.clone(),
                level: None,
                source: Source::Voice {
                    owner: *owner,
                    kind: c.kind,
                },
                shared: false,
            });
        }
    }
    out
}

/// How a card names its duo, as the facilitator chose: names, organisations or, anonymous,
/// nothing (`None`).
pub fn duo_label(ws: &WorkshopView, duo: &DuoEntry, labels: Labels) -> Option<String> {
    let field = |p: &ParticipantId| {
        let r = ws.roster.iter().find(|r| r.id == *p)?;
        let s = match labels {
            Labels::Names => r.name.trim(),
            Labels::Organisations => r.organisation.trim(),
            Labels::Anonymous => return None,
        };
        (!s.is_empty()).then(|| s.to_owned())
    };
    let parts: Vec<String> = duo.members.iter().filter_map(field).collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

/// How a duo is shown wherever it appears (the spotlight, cards on the table, "for which duo?",
/// the dashboard, the report): its number in the plan first — people from the same two
/// organisations often make up several duos, and only the number tells those apart — then the
/// label the facilitator chose. `word` is the interface's word for a duo.
pub fn duo_title(ws: &WorkshopView, duo: DuoId, labels: Labels, word: &str) -> String {
    let n = ws.duo_number(duo);
    let label = ws
        .duos
        .iter()
        .find(|d| d.id == duo)
        .and_then(|d| duo_label(ws, d, labels));
    match (n, label) {
        (Some(n), Some(l)) => format!("{word} {n} · {l}"),
        (Some(n), None) => format!("{word} {n}"),
        (None, Some(l)) => l,
        (None, None) => word.to_owned(),
    }
}

/// "Sort by level tag": for every insight card not yet on the flip chart, a place in the cluster
/// of its level, after what is already there. Returns `(card key, cluster id, order)`.
pub fn sort_by_level(table: &TableView, cards: &[Card]) -> Vec<(String, String, f64)> {
    let mut next: BTreeMap<&str, f64> = BTreeMap::new();
    let mut out = Vec::new();
    for c in cards {
        let Some(level) = c.level else { continue };
        if table.cluster_of(&c.key).is_some() {
            continue;
        }
        let cluster = level.as_str();
        let order = next
            .entry(cluster)
            .or_insert_with(|| table.next_order(cluster));
        out.push((c.key.clone(), cluster.to_owned(), *order));
        *order += 1.0;
    }
    out
}

/// The energy dots per level, summed over everyone.
pub fn energy(voices: &[(ParticipantId, VoiceView)]) -> BTreeMap<LevelId, u32> {
    let mut out: BTreeMap<LevelId, u32> = LevelId::ALL.into_iter().map(|l| (l, 0)).collect();
    for (_, v) in voices {
        for (l, n) in &v.energy {
            *out.entry(*l).or_default() += n;
        }
    }
    out
}

/// The round's order: every duo that chose an insight to share, in the order of the duos.
pub fn round_order(duos: &[(DuoId, DuoView)]) -> Vec<DuoId> {
    duos.iter()
        .filter(|(_, room)| {
            room.share
                .as_ref()
                .is_some_and(|s| room.insights.iter().any(|i| &i.id == s))
        })
        .map(|(d, _)| *d)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::duo::Insight;
    use crate::schema::table::Placement;
    use crate::schema::voice::VoiceCard;
    use crate::schema::workshop::RosterEntry;

    fn room(insights: &[(&str, &str, LevelId)], share: Option<&str>) -> DuoView {
        DuoView {
            insights: insights
                .iter()
                .map(|(id, text, level)| Insight {
                    id: (*id).into(),
                    text: (*text).into(),
                    zone: (*level).into(),
                })
                .collect(),
            share: share.map(Into::into),
            ..DuoView::default()
        }
    }

    #[test]
    fn cards_come_from_insights_and_voices_and_sort_by_level() {
        let (d1, d2) = (DuoId::random(), DuoId::random());
        let p = ParticipantId::random();
        let duos = vec![
            (
                d1,
                room(
                    &[
                        ("a", "Samen plannen", LevelId::Collective),
                        ("b", "", LevelId::Individual),
                    ],
                    Some("a"),
                ),
            ),
            (
                d2,
                room(&[("c", "Elkaar bellen", LevelId::Collegial)], None),
            ),
        ];
        let voice = VoiceView {
            cards: vec![
                VoiceCard {
                    id: "n".into(),
                    kind: CardKind::Needed,
                    text: "Tijd".into(),
                    duo: None,
                },
                VoiceCard {
                    id: "q".into(),
                    kind: CardKind::Question,
                    text: "Hoe?".into(),
                    duo: Some(d1),
                },
            ],
            ..VoiceView::default()
        };
        let cards = cards(&duos, &[(p, voice)]);
        let keys: Vec<&str> = cards.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys.len(), 3, "empty insights and questions are no cards");
        assert!(cards[0].shared && !cards[1].shared);
        assert_eq!(round_order(&duos), vec![d1]);

        let mut table = TableView::default();
        table.cards.insert(
            cards[1].key.clone(),
            Placement {
                cluster: "individual".into(),
                order: 1.0,
                stack: None,
            },
        );
        let sorted = sort_by_level(&table, &cards);
        assert_eq!(
            sorted,
            vec![(cards[0].key.clone(), "collective".into(), 1.0)]
        );
    }

    #[test]
    fn a_duo_is_named_by_names_organisations_or_not_at_all() {
        let (a, b) = (ParticipantId::random(), ParticipantId::random());
        let entry = |id, name: &str, org: &str| RosterEntry {
            id,
            name: name.into(),
            organisation: org.into(),
            joined_at: 0,
            reflection: None,
            voice: None,
            rating: None,
            role_sheet: None,
            answers: None,
        };
        let ws = WorkshopView {
            roster: vec![entry(a, "An", "OCMW"), entry(b, "Bert", "")],
            ..WorkshopView::default()
        };
        let duo = DuoEntry {
            id: DuoId::random(),
            members: vec![a, b],
            doc: None,
            number: None,
        };
        assert_eq!(
            duo_label(&ws, &duo, Labels::Names).as_deref(),
            Some("An & Bert")
        );
        assert_eq!(
            duo_label(&ws, &duo, Labels::Organisations).as_deref(),
            Some("OCMW")
        );
        assert_eq!(duo_label(&ws, &duo, Labels::Anonymous), None);
    }

    #[test]
    fn duos_of_the_same_organisations_differ_by_their_number() {
        let people: Vec<ParticipantId> = (0..4).map(|_| ParticipantId::random()).collect();
        let org = |i: usize| {
            if i.is_multiple_of(2) {
                "CAW"
            } else {
                "OCMW Gent"
            }
        };
        let duo = |m: Vec<ParticipantId>| DuoEntry {
            id: DuoId::random(),
            members: m,
            doc: None,
            number: None,
        };
        let entry = |id, org: &str| crate::schema::workshop::RosterEntry {
            id,
            name: "X".into(),
            organisation: org.into(),
            joined_at: 0,
            reflection: None,
            voice: None,
            rating: None,
            role_sheet: None,
            answers: None,
        };
        let ws = WorkshopView {
            roster: (0..4).map(|i| entry(people[i], org(i))).collect(),
            duos: vec![
                duo(vec![people[0], people[1]]),
                duo(vec![people[2], people[3]]),
            ],
            ..WorkshopView::default()
        };
        let (a, b) = (ws.duos[0].id, ws.duos[1].id);
        assert_eq!(
            duo_title(&ws, a, Labels::Organisations, "Duo"),
            "Duo 1 · CAW & OCMW Gent"
        );
        assert_eq!(
            duo_title(&ws, b, Labels::Organisations, "Duo"),
            "Duo 2 · CAW & OCMW Gent"
        );
        assert_eq!(duo_title(&ws, b, Labels::Anonymous, "Duo"), "Duo 2");
        assert_eq!(duo_title(&ws, DuoId::random(), Labels::Names, "Duo"), "Duo");
    }

    #[test]
    fn energy_sums_everyones_dots_per_level() {
        let v = |n: u32| VoiceView {
            energy: [(LevelId::Collective, n)].into_iter().collect(),
            ..VoiceView::default()
        };
        let e = energy(&[
            (ParticipantId::random(), v(2)),
            (ParticipantId::random(), v(1)),
        ]);
        assert_eq!(e[&LevelId::Collective], 3);
        assert_eq!(e[&LevelId::Individual], 0);
    }
}
