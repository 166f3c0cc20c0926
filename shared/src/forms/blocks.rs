//! Work form 004's content: the six building blocks of result-oriented collaboration with the
//! seed's explanation of each, the question on context and preconditions, and the group profile —
//! per block how many people gave each rating — computed from the private ratings, k-anonymously.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::method::Localized;

crate::closed_set! {
    /// The six building blocks, in the seed's order (the foundation first).
    pub enum BlockId {
        Knowing => "knowing",
        Understanding => "understanding",
        Appreciating => "appreciating",
        Trusting => "trusting",
        Collaborating => "collaborating",
        RealisingGoals => "realising_goals",
    }
}

impl BlockId {
    pub fn block(self) -> &'static Block {
        &BLOCKS[self as usize]
    }
}

/// One building block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub id: BlockId,
    pub name: Localized,
    pub explanation: Localized,
}

/// The rating scale: 1 (not at all) to 5 (fully).
pub const SCALE: std::ops::RangeInclusive<u32> = 1..=5;

/// The least number of answers before the group sees any aggregate.
pub const DEFAULT_K: u32 = 3;
/// The bounds of k in the set-up.
pub const K_RANGE: (u32, u32) = (2, 20);

pub const BLOCKS: [Block; 6] = [
    Block {
        id: BlockId::Knowing,
        name: Localized {
            nl: "Kennen",
            en: "Knowing",
        },
        explanation: Localized {
            nl: "Weten wat het gezamenlijke doel is, dus weten waar je met elkaar naar toe werkt en wat de strategie is. Maar ook weten wie je collega's zijn, weten wat zij doen en welke taken, verantwoordelijkheden en expertise zij hebben.",
            en: "Knowing what the shared goal is: where you are heading together and what the strategy is. But also knowing who your colleagues are, what they do and which tasks, responsibilities and expertise they have.",
        },
    },
    Block {
        id: BlockId::Understanding,
        name: Localized {
            nl: "Begrijpen",
            en: "Understanding",
        },
        explanation: Localized {
            nl: "Waarom het doel relevant is. Begrijpen wat de rol is van je collega's, begrijpen dat hun rol en verantwoordelijkheden, maar ook hun referentiekader anders is dan de jouwe. Begrijpen waarop je collega's hun keuzes baseren.",
            en: "Why the goal matters. Understanding your colleagues' role, understanding that their role and responsibilities, and their frame of reference, differ from yours. Understanding what your colleagues base their choices on.",
        },
    },
    Block {
        id: BlockId::Appreciating,
        name: Localized {
            nl: "Waarderen",
            en: "Appreciating",
        },
        explanation: Localized {
            nl: "Van de inbreng en expertise van je collega's, ook al is hun stijl en werkwijze anders dan die van jou.",
            en: "Of your colleagues' input and expertise, even when their style and way of working differ from yours.",
        },
    },
    Block {
        id: BlockId::Trusting,
        name: Localized {
            nl: "Vertrouwen",
            en: "Trusting",
        },
        explanation: Localized {
            nl: "Dat je collega's een goede reden hebben om ergens van af te wijken. En zorgvuldig, eerlijk en transparant handelen en communiceren.",
            en: "That your colleagues have a good reason when they deviate from something. And acting and communicating carefully, honestly and transparently.",
        },
    },
    Block {
        id: BlockId::Collaborating,
        name: Localized {
            nl: "Samenwerken",
            en: "Working together",
        },
        explanation: Localized {
            nl: "Door de 'eigen' werkwijze te vertalen in een gezamenlijke werkwijze. Elkaar het voordeel van de twijfel geven en bij obstakels gezamenlijk oplossingen bedenken en uitvoeren.",
            en: "By translating your 'own' way of working into a shared one. Giving each other the benefit of the doubt and finding and carrying out solutions together when obstacles arise.",
        },
    },
    Block {
        id: BlockId::RealisingGoals,
        name: Localized {
            nl: "Samenwerkdoelen realiseren",
            en: "Realising shared goals",
        },
        explanation: Localized {
            nl: "Want een samenwerking is geen doel op zich, maar een middel om doelen te bereiken.",
            en: "Because a collaboration is not a goal in itself, but a means to reach goals.",
        },
    },
];

/// The hint beside the one line on context and preconditions.
pub const CONTEXT_QUESTION: Localized = Localized {
    nl: "Wat bepaalt in welke mate deze bouwstenen gerealiseerd kunnen worden?",
    en: "What determines how far these building blocks can be realised?",
};

/// The question of step 3, per block.
pub const ACTION_QUESTION: Localized = Localized {
    nl: "Hoe versterken we dit?",
    en: "How do we strengthen this?",
};

/// The group profile: how many people answered, and per block how many gave each rating
/// (`counts[0]` is the number of 1s). Never who gave what.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// People who rated at least one block.
    pub answered: u32,
    /// Blocks rated by at least k people; a block fewer rated is left out.
    pub blocks: BTreeMap<BlockId, [u32; 5]>,
}

impl Profile {
    /// The group profile of these ratings (one map of block → rating per person), or `None` when
    /// fewer than `k` people answered: k−1 answers give nothing at all. A block rated by fewer
    /// than `k` people is left out too, so no block's distribution is one person's rating.
    pub fn of(ratings: &[BTreeMap<BlockId, u32>], k: u32) -> Option<Profile> {
        let (answered, blocks) = distribution(ratings, &BlockId::ALL, k)?;
        Some(Profile { answered, blocks })
    }

    /// The mean rating of a block, if shown.
    pub fn mean(&self, block: BlockId) -> Option<f64> {
        mean_of(self.blocks.get(&block)?)
    }

    /// The shown blocks, weakest (lowest mean) first: where step 3 starts.
    pub fn weakest_first(&self) -> Vec<BlockId> {
        let mut b: Vec<(BlockId, f64)> = self
            .blocks
            .keys()
            .filter_map(|b| Some((*b, self.mean(*b)?)))
            .collect();
        b.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        b.into_iter().map(|(b, _)| b).collect()
    }
}

/// The k-anonymous distribution of private ratings on [`SCALE`] (one map of item → rating per
/// person): how many people answered, and per item how many gave each rating (`[0]` counts the
/// 1s). `None` when fewer than `k` people answered — k−1 answers give nothing at all — and an
/// item rated by fewer than `k` people is left out, so no item's distribution is one person's
/// rating. 004's profile and 002's route both show their ratings this way.
pub fn distribution<K: Ord + Copy>(
    ratings: &[BTreeMap<K, u32>],
    items: &[K],
    k: u32,
) -> Option<(u32, BTreeMap<K, [u32; 5]>)> {
    let k = k.max(1);
    let answered = ratings.iter().filter(|r| !r.is_empty()).count() as u32;
    if answered < k {
        return None;
    }
    let mut out = BTreeMap::new();
    for item in items {
        let mut counts = [0u32; 5];
        let mut n = 0;
        for r in ratings {
            if let Some(score) = r.get(item).filter(|s| SCALE.contains(s)) {
                counts[(*score - 1) as usize] += 1;
                n += 1;
            }
        }
        if n >= k {
            out.insert(*item, counts);
        }
    }
    Some((answered, out))
}

/// The mean of a distribution of ratings, if anyone rated.
pub fn mean_of(counts: &[u32; 5]) -> Option<f64> {
    let n: u32 = counts.iter().sum();
    let sum: u32 = counts
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u32 + 1) * v)
        .sum();
    (n > 0).then(|| f64::from(sum) / f64::from(n))
}

/// One action of step 3 as every screen shows it: its text, the block and its dots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionCard {
    /// `<participant id>.<action id>`: what dots name.
    pub key: String,
    pub block: BlockId,
    pub text: String,
    /// Everyone's dots on it.
    pub dots: u32,
}

/// Every action with text, per block in the seed's order, most dots first within a block (then
/// by key, so every screen shows the same order). Dots on a key that names no action are ignored.
pub fn actions(
    voices: &[(crate::ids::ParticipantId, crate::schema::voice::VoiceView)],
) -> Vec<(BlockId, Vec<ActionCard>)> {
    let mut dots: BTreeMap<&str, u32> = BTreeMap::new();
    for (_, v) in voices {
        for (key, n) in &v.card_dots {
            *dots.entry(key.as_str()).or_default() += n;
        }
    }
    let mut by_block: BTreeMap<BlockId, Vec<ActionCard>> = BTreeMap::new();
    for (owner, v) in voices {
        for a in &v.actions {
            if a.text.trim().is_empty() {
                continue;
            }
            let key = crate::plenary::voice_key(*owner, &a.id);
            by_block.entry(a.block).or_default().push(ActionCard {
                dots: dots.get(key.as_str()).copied().unwrap_or(0),
                key,
                block: a.block,
                text: a.text.clone(),
            });
        }
    }
    BlockId::ALL
        .into_iter()
        .filter_map(|b| {
            let mut cards = by_block.remove(&b)?;
            cards.sort_by(|x, y| y.dots.cmp(&x.dots).then_with(|| x.key.cmp(&y.key)));
            Some((b, cards))
        })
        .collect()
}

/// Actions that say the same thing, as the facilitator grouped them: the base (the action the
/// others were put with) first, then the others in the order they were put there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionGroup {
    /// Never empty.
    pub cards: Vec<ActionCard>,
}

impl ActionGroup {
    /// The action the others were put with.
    pub fn base(&self) -> &ActionCard {
        &self.cards[0]
    }

    /// The dots on all its actions together.
    pub fn dots(&self) -> u32 {
        self.cards.iter().map(|c| c.dots).sum()
    }
}

/// Every block's actions as the facilitator grouped them on the table document, per block in
/// the seed's order. The grouping is the plenary table's own (`TableView::layout`: stacks one
/// deep, only within one block, placements of deleted actions ignored); an action the
/// facilitator never touched is a group of its own. Groups with the most dots come first (then
/// by the base's key, so every screen shows the same order).
pub fn grouped_actions(
    voices: &[(crate::ids::ParticipantId, crate::schema::voice::VoiceView)],
    table: &crate::schema::table::TableView,
) -> Vec<(BlockId, Vec<ActionGroup>)> {
    actions(voices)
        .into_iter()
        .map(|(block, cards)| {
            let layout = table.layout(cards.iter().map(|c| c.key.as_str()));
            let card = |k: &str| cards.iter().find(|c| c.key == k).cloned();
            let mut groups: Vec<ActionGroup> = layout
                .clusters
                .iter()
                .flat_map(|(_, stacks)| stacks)
                .chain(&layout.unsorted)
                .map(|stack| ActionGroup {
                    cards: stack.keys().filter_map(card).collect(),
                })
                .filter(|g| !g.cards.is_empty())
                .collect();
            groups.sort_by(|x, y| {
                y.dots()
                    .cmp(&x.dots())
                    .then_with(|| x.base().key.cmp(&y.base().key))
            });
            (block, groups)
        })
        .collect()
}

/// The facilitator puts action `card` with action `with` (they say the same thing), and the
/// actions already put with `card` go along; `None` takes `card` out of its group again. Both
/// are keys of actions of `block`. Groups are one deep: when `with` is itself in a group, `card`
/// joins that group's base.
pub fn group_action(
    tx: &mut impl automerge::transaction::Transactable,
    table: &crate::schema::table::TableView,
    block: BlockId,
    card: &str,
    with: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    crate::schema::table::group_card(tx, table, block.as_str(), card, with)
}

/// One key-insight card a 004 duo tied to a block in step 2 (optional duos on the weakest
/// blocks). Step 3 shows it read-only under its block, labelled by its duo, so the group can
/// turn it into actions; the report lists it there too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DuoCard {
    /// `<duo id>.<insight id>`, as the plenary names insight cards.
    pub key: String,
    pub duo: crate::ids::DuoId,
    pub block: BlockId,
    pub text: String,
}

/// Every duo card with text that names a block, per block in the seed's order; within a block
/// in the order of `rooms` (the workshop's duos), then by card id. Cards tied to a level (000's
/// zone) are not 004's and are left out.
pub fn duo_cards(
    rooms: &[(crate::ids::DuoId, crate::schema::duo::DuoView)],
) -> Vec<(BlockId, Vec<DuoCard>)> {
    let mut by_block: BTreeMap<BlockId, Vec<DuoCard>> = BTreeMap::new();
    for (duo, room) in rooms {
        for i in &room.insights {
            let Some(block) = i.zone.block() else {
                continue;
            };
            if i.text.trim().is_empty() {
                continue;
            }
            by_block.entry(block).or_default().push(DuoCard {
                key: crate::plenary::insight_key(*duo, &i.id),
                duo: *duo,
                block,
                text: i.text.trim().to_owned(),
            });
        }
    }
    BlockId::ALL
        .into_iter()
        .filter_map(|b| Some((b, by_block.remove(&b)?)))
        .collect()
}

/// The blocks a 004 duo card may name, weakest first by the published profile, then the blocks
/// the profile does not show in the seed's order; all six in the seed's order without a profile.
pub fn zone_order(profile: Option<&Profile>) -> Vec<BlockId> {
    let mut order = profile.map(Profile::weakest_first).unwrap_or_default();
    for b in BlockId::ALL {
        if !order.contains(&b) {
            order.push(b);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(scores: &[(BlockId, u32)]) -> BTreeMap<BlockId, u32> {
        scores.iter().copied().collect()
    }

    #[test]
    fn k_minus_one_answers_give_nothing() {
        let one = rating(&[(BlockId::Knowing, 2), (BlockId::Trusting, 5)]);
        let empty = rating(&[]);
        for k in [2, 3, 5] {
            let below: Vec<_> = (1..k).map(|_| one.clone()).collect();
            assert_eq!(Profile::of(&below, k), None, "k = {k}");
            // Someone who opened the sheet but rated nothing does not count as an answer.
            let mut with_empty = below.clone();
            with_empty.push(empty.clone());
            assert_eq!(Profile::of(&with_empty, k), None, "k = {k}");
            let at: Vec<_> = (0..k).map(|_| one.clone()).collect();
            let p = Profile::of(&at, k).expect("k answers give a profile");
            assert_eq!(p.answered, k);
            assert_eq!(p.blocks[&BlockId::Knowing], [0, k, 0, 0, 0]);
        }
    }

    #[test]
    fn a_block_fewer_than_k_rated_is_left_out() {
        let ratings = vec![
            rating(&[(BlockId::Knowing, 1), (BlockId::Trusting, 4)]),
            rating(&[(BlockId::Knowing, 3)]),
            rating(&[(BlockId::Knowing, 3), (BlockId::Trusting, 2)]),
        ];
        let p = Profile::of(&ratings, 3).unwrap();
        assert_eq!(p.blocks.len(), 1);
        assert_eq!(p.blocks[&BlockId::Knowing], [1, 0, 2, 0, 0]);
        assert!(!p.blocks.contains_key(&BlockId::Trusting));
        assert_eq!(p.mean(BlockId::Knowing), Some(7.0 / 3.0));
    }

    #[test]
    fn weakest_blocks_come_first() {
        let r = |a, b| rating(&[(BlockId::Knowing, a), (BlockId::Trusting, b)]);
        let p = Profile::of(&[r(5, 1), r(4, 2), r(5, 2)], 3).unwrap();
        assert_eq!(p.weakest_first(), vec![BlockId::Trusting, BlockId::Knowing]);
    }

    #[test]
    fn actions_gather_everyones_dots_per_block() {
        use crate::ids::ParticipantId;
        use crate::schema::voice::{Action, VoiceView};
        let (a, b) = (ParticipantId::random(), ParticipantId::random());
        let act = |id: &str, block, text: &str| Action {
            id: id.into(),
            block,
            text: text.into(),
        };
        let va = VoiceView {
            actions: vec![
                act("1", BlockId::Trusting, "Samen lunchen"),
                act("2", BlockId::Trusting, "Open agenda"),
                act("3", BlockId::Knowing, " "),
            ],
            card_dots: [(format!("{b}.1"), 1)].into_iter().collect(),
            ..VoiceView::default()
        };
        let vb = VoiceView {
            actions: vec![act("1", BlockId::Knowing, "Wie-is-wie")],
            card_dots: [(format!("{a}.2"), 2), ("nobody.x".to_owned(), 3)]
                .into_iter()
                .collect(),
            ..VoiceView::default()
        };
        let got = actions(&[(a, va), (b, vb)]);
        let summary: Vec<(BlockId, Vec<(&str, u32)>)> = got
            .iter()
            .map(|(blk, cards)| {
                (
                    *blk,
                    cards.iter().map(|c| (c.text.as_str(), c.dots)).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (BlockId::Knowing, vec![("Wie-is-wie", 1)]),
                (
                    BlockId::Trusting,
                    vec![("Open agenda", 2), ("Samen lunchen", 0)]
                ),
            ]
        );
    }

    #[test]
    fn grouped_actions_follow_the_facilitators_stacks_within_a_block() {
        use crate::ids::ParticipantId;
        use crate::schema::table;
        use crate::schema::voice::{Action, VoiceView};
        use automerge::{Automerge, AutomergeError};
        let (a, b) = (ParticipantId::random(), ParticipantId::random());
        let act = |id: &str, block, text: &str| Action {
            id: id.into(),
            block,
            text: text.into(),
        };
        let va = VoiceView {
            actions: vec![
                act("1", BlockId::Trusting, "Samen lunchen"),
                act("2", BlockId::Trusting, "Open agenda"),
                act("3", BlockId::Knowing, "Wie-is-wie"),
            ],
            card_dots: [(format!("{b}.1"), 1)].into_iter().collect(),
            ..VoiceView::default()
        };
        let vb = VoiceView {
            actions: vec![
                act("1", BlockId::Trusting, "Elke maand lunchen"),
                act("2", BlockId::Trusting, "Agenda's delen"),
            ],
            card_dots: [(format!("{a}.2"), 2), (format!("{b}.2"), 1)]
                .into_iter()
                .collect(),
            ..VoiceView::default()
        };
        let voices = [(a, va), (b, vb)];
        let mut doc = Automerge::new();
        doc.transact::<_, _, AutomergeError>(|tx| table::init(tx))
            .unwrap();
        let group = |doc: &mut Automerge, card: String, with: Option<String>| {
            let view = table::view(doc);
            doc.transact::<_, _, AutomergeError>(|tx| {
                group_action(tx, &view, BlockId::Trusting, &card, with.as_deref())
            })
            .unwrap();
        };
        /// Per block, each group's action texts and its dots.
        type Summary = Vec<(BlockId, Vec<(Vec<String>, u32)>)>;
        let summary = |doc: &Automerge| -> Summary {
            grouped_actions(&voices, &table::view(doc))
                .into_iter()
                .map(|(blk, groups)| {
                    let g = groups
                        .iter()
                        .map(|g| (g.cards.iter().map(|c| c.text.clone()).collect(), g.dots()))
                        .collect();
                    (blk, g)
                })
                .collect()
        };
        let s = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        // Untouched: every action is a group of its own, most dots first.
        assert_eq!(summary(&doc)[1].1[0], (s(&["Open agenda"]), 2));
        assert_eq!(summary(&doc)[1].1.len(), 4);
        // The lunches go together, and so do the agendas.
        group(&mut doc, format!("{b}.1"), Some(format!("{a}.1")));
        group(&mut doc, format!("{b}.2"), Some(format!("{a}.2")));
        assert_eq!(
            summary(&doc),
            vec![
                (BlockId::Knowing, vec![(s(&["Wie-is-wie"]), 0)]),
                (
                    BlockId::Trusting,
                    vec![
                        (s(&["Open agenda", "Agenda's delen"]), 3),
                        (s(&["Samen lunchen", "Elke maand lunchen"]), 1),
                    ]
                ),
            ]
        );
        // Putting the lunch group with an agenda card that is itself in a group: one deep, the
        // lunches join the agenda base and take their partner along.
        group(&mut doc, format!("{a}.1"), Some(format!("{b}.2")));
        assert_eq!(
            summary(&doc)[1].1,
            vec![(
                s(&[
                    "Open agenda",
                    "Agenda's delen",
                    "Samen lunchen",
                    "Elke maand lunchen"
                ]),
                4
            )]
        );
        // And out again: on its own.
        group(&mut doc, format!("{a}.1"), None);
        let trusting = &summary(&doc)[1].1;
        assert_eq!(trusting.len(), 2);
        assert!(
            trusting.contains(&(s(&["Samen lunchen"]), 0)),
            "{trusting:?}"
        );
        // A card is never put with itself.
        group(&mut doc, format!("{a}.1"), Some(format!("{a}.1")));
        assert_eq!(summary(&doc)[1].1.len(), 2);
        // A base put with a card of its own group swaps places with it.
        group(&mut doc, format!("{a}.2"), Some(format!("{b}.2")));
        let trusting = &summary(&doc)[1].1;
        assert_eq!(trusting.len(), 2, "{trusting:?}");
        assert_eq!(trusting[0].0[0], "Agenda's delen", "{trusting:?}");
        assert_eq!(trusting[0].1, 4, "{trusting:?}");
    }

    #[test]
    fn blocks_are_in_the_seeds_order_and_round_trip() {
        for (i, b) in BLOCKS.iter().enumerate() {
            assert_eq!(b.id, BlockId::ALL[i]);
            assert_eq!(BlockId::parse(b.id.as_str()), Some(b.id));
            assert_eq!(b.id.block().id, b.id);
        }
    }

    #[test]
    fn duo_cards_come_per_block_and_level_cards_are_left_out() {
        use crate::ids::DuoId;
        use crate::method::LevelId;
        use crate::schema::duo::{DuoView, Insight, Zone};
        let card = |id: &str, text: &str, zone: Zone| Insight {
            id: id.into(),
            text: text.into(),
            zone,
        };
        let (d1, d2) = (DuoId::random(), DuoId::random());
        let rooms = vec![
            (
                d1,
                DuoView {
                    insights: vec![
                        card("a", "Afspraken nakomen", Zone::Block(BlockId::Trusting)),
                        card("b", "  ", Zone::Block(BlockId::Knowing)),
                        card("c", "Een 000-kaart", Zone::Level(LevelId::Collective)),
                    ],
                    ..DuoView::default()
                },
            ),
            (
                d2,
                DuoView {
                    insights: vec![
                        card("a", "Wie doet wat", Zone::Block(BlockId::Knowing)),
                        card("b", "Open zijn", Zone::Block(BlockId::Trusting)),
                    ],
                    ..DuoView::default()
                },
            ),
        ];
        let got: Vec<(BlockId, Vec<(DuoId, &str)>)> = duo_cards(&rooms)
            .iter()
            .map(|(b, cards)| {
                (
                    *b,
                    cards
                        .iter()
                        .map(|c| (c.duo, rooms_text(&rooms, &c.key)))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (BlockId::Knowing, vec![(d2, "Wie doet wat")]),
                (
                    BlockId::Trusting,
                    vec![(d1, "Afspraken nakomen"), (d2, "Open zijn")]
                ),
            ]
        );
    }

    /// The text of the card a key names, looked up in the rooms (checks the key too).
    fn rooms_text<'a>(
        rooms: &'a [(crate::ids::DuoId, crate::schema::duo::DuoView)],
        key: &str,
    ) -> &'a str {
        rooms
            .iter()
            .flat_map(|(d, r)| r.insights.iter().map(move |i| (*d, i)))
            .find(|(d, i)| crate::plenary::insight_key(*d, &i.id) == key)
            .map(|(_, i)| i.text.as_str())
            .unwrap_or("?")
    }

    #[test]
    fn the_zone_picker_lists_the_weakest_blocks_first_and_all_six() {
        assert_eq!(zone_order(None), BlockId::ALL.to_vec());
        let profile = Profile::of(
            &[
                rating(&[(BlockId::Trusting, 1), (BlockId::Knowing, 4)]),
                rating(&[(BlockId::Trusting, 2), (BlockId::Knowing, 5)]),
                rating(&[(BlockId::Trusting, 1), (BlockId::Knowing, 3)]),
            ],
            3,
        )
        .unwrap();
        assert_eq!(
            zone_order(Some(&profile)),
            vec![
                BlockId::Trusting,
                BlockId::Knowing,
                BlockId::Understanding,
                BlockId::Appreciating,
                BlockId::Collaborating,
                BlockId::RealisingGoals,
            ]
        );
    }
}
