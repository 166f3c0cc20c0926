//! Work form 003's content (roles in a collaboration): the three perspectives people divide 10
//! points over, the 15 roles with the seed's descriptions and their clusters, the three core roles,
//! and the role map — per role who takes it up now and who wants to — with what the seed warns
//! about: roles nobody holds, crowded roles, and the core roles piling up on one person.
//!
//! What the seed's text says about clusters, and what is Kring's guess: the seed places the roles
//! in a task-oriented, a process-oriented and a strategic cluster, puts the critic and the
//! supporter "op het netwerkniveau", and says of the three core roles (initiator, leader, driver)
//! that "hun inbreng is zowel strategisch, procesgericht als taakgericht" — so they form their own
//! cluster, [`Cluster::Core`], spanning all three. The clusters of the other ten roles are in a
//! picture the seed only names (`rollen-samenwerking.png`); the text contradicts none of the
//! placements below, which stay Kring's reading of each role's description: outward and about
//! means or the future (innovator, fundraiser, negotiator) strategic; about relations and support
//! (diplomat, mood maker, support builder) process; about doing and delivering (spokesperson, doer,
//! adviser, results guardian) task. To be checked against the picture.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::method::Localized;

crate::closed_set! {
    /// The three perspectives of the seed's balance.
    pub enum Perspective {
        Organisation => "organisation",
        Individual => "individual",
        Network => "network",
    }
}

impl Perspective {
    pub fn name(self) -> Localized {
        match self {
            Perspective::Organisation => Localized {
                nl: "De organisatie",
                en: "The organisation",
            },
            Perspective::Individual => Localized {
                nl: "Het individu",
                en: "The individual",
            },
            Perspective::Network => Localized {
                nl: "Het netwerk",
                en: "The network",
            },
        }
    }
}

/// The points each person divides over the perspectives.
pub const POINTS: u32 = 10;

impl Perspective {
    /// The seed's words on each perspective.
    pub fn explanation(self) -> Localized {
        match self {
            Perspective::Organisation => Localized {
                nl: "De organisatie vormt het fundament van de samenwerking: personen nemen namens hun organisatie een mandaat op.",
                en: "The organisation is the foundation of the collaboration: people take up a mandate on behalf of their organisation.",
            },
            Perspective::Individual => Localized {
                nl: "Het is altijd een persoon die het engagement concreet opneemt, met zijn eigen belangen, ambities en verwachtingen.",
                en: "It is always a person who actually takes up the commitment, with their own interests, ambitions and expectations.",
            },
            Perspective::Network => Localized {
                nl: "Het netwerk heeft zijn eigen belangen en rollen die op het niveau van het netwerk opgenomen moeten worden.",
                en: "The network has its own interests, and roles that have to be taken up at the level of the network.",
            },
        }
    }
}

/// The group's balance over the three perspectives: how many people divided all their points,
/// and the points they gave each perspective together. Never who gave what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Balance {
    /// People whose points add up to [`POINTS`].
    pub answered: u32,
    /// Everyone's points per perspective, summed, in the order of [`Perspective::ALL`].
    pub points: [u32; 3],
}

impl Balance {
    /// The balance of these splits (one per person, in the order of [`Perspective::ALL`]), or
    /// `None` while fewer than `k` people divided all ten points: k−1 answers give nothing. A
    /// split that does not add up to ten yet is not an answer and is left out.
    pub fn of(splits: &[[u32; 3]], k: u32) -> Option<Balance> {
        let complete: Vec<&[u32; 3]> = splits
            .iter()
            .filter(|s| s.iter().sum::<u32>() == POINTS)
            .collect();
        let answered = complete.len() as u32;
        if answered < k.max(1) {
            return None;
        }
        let mut points = [0; 3];
        for s in complete {
            for (total, p) in points.iter_mut().zip(s) {
                *total += p;
            }
        }
        Some(Balance { answered, points })
    }

    /// The mean points per person of a perspective.
    pub fn mean(&self, p: Perspective) -> f64 {
        let i = Perspective::ALL.iter().position(|x| *x == p).unwrap_or(0);
        if self.answered == 0 {
            return 0.0;
        }
        f64::from(self.points[i]) / f64::from(self.answered)
    }
}

/// Where a role sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cluster {
    /// Initiator, leader, driver: strategic, process- and task-oriented at once.
    Core,
    Task,
    Process,
    Strategic,
    /// Critic and supporter.
    Network,
}

crate::closed_set! {
    /// The 15 roles' ids, in the seed's order (the order of [`ROLES`], so `Ord` is that order).
    pub enum RoleId {
        Initiator => "initiator",
        Driver => "driver",
        Leader => "leader",
        Innovator => "innovator",
        Diplomat => "diplomat",
        MoodMaker => "mood_maker",
        Spokesperson => "spokesperson",
        Doer => "doer",
        Adviser => "adviser",
        Fundraiser => "fundraiser",
        ResultsGuardian => "results_guardian",
        Negotiator => "negotiator",
        SupportBuilder => "support_builder",
        Critic => "critic",
        Supporter => "supporter",
    }
}

impl RoleId {
    /// The role's names, description and cluster.
    pub fn role(self) -> &'static Role {
        &ROLES[self as usize]
    }
}

/// One of the 15 roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// Stable id, stored in claims and agreements.
    pub id: RoleId,
    pub name: Localized,
    pub description: Localized,
    pub cluster: Cluster,
}

const fn entry(
    id: RoleId,
    nl: &'static str,
    en: &'static str,
    desc_nl: &'static str,
    desc_en: &'static str,
    cluster: Cluster,
) -> Role {
    Role {
        id,
        name: Localized { nl, en },
        description: Localized {
            nl: desc_nl,
            en: desc_en,
        },
        cluster,
    }
}

/// The 15 active roles, in the seed's order.
pub const ROLES: [Role; 15] = [
    entry(
        RoleId::Initiator,
        "Initiatiefnemer",
        "Initiator",
        "Neemt het initiatief om het netwerk op te starten door de juiste organisaties bijeen te brengen die samen voor een gemeenschappelijk doel willen gaan.",
        "Takes the initiative to start the network by bringing together the right organisations that want to go for a shared goal.",
        Cluster::Core,
    ),
    entry(
        RoleId::Driver,
        "Trekker",
        "Driver",
        "Coördineert, bewaakt en stimuleert het verloop van het netwerk in functie van de doelstellingen.",
        "Coordinates, monitors and stimulates the course of the network in view of its goals.",
        Cluster::Core,
    ),
    entry(
        RoleId::Leader,
        "Leider",
        "Leader",
        "Stuurt het netwerk aan door samen de doelstellingen en de realisatie te bepalen en creëert hierbij een klimaat van samenwerken.",
        "Steers the network by deciding the goals and their realisation together, creating a climate of collaboration.",
        Cluster::Core,
    ),
    entry(
        RoleId::Innovator,
        "Vernieuwer",
        "Innovator",
        "Brengt nieuwe initiatieven, concepten, … binnen in het netwerk en zoekt naar mogelijkheden om deze te realiseren.",
        "Brings new initiatives, concepts, … into the network and looks for ways to realise them.",
        Cluster::Strategic,
    ),
    entry(
        RoleId::Diplomat,
        "Diplomaat",
        "Diplomat",
        "Bouwt bruggen en bemiddelt in functie van constructieve samenwerking en relatievorming.",
        "Builds bridges and mediates for constructive collaboration and relationships.",
        Cluster::Process,
    ),
    entry(
        RoleId::MoodMaker,
        "Sfeermaker",
        "Mood maker",
        "Heeft aandacht voor de goede sfeer in het netwerk.",
        "Looks after a good atmosphere in the network.",
        Cluster::Process,
    ),
    entry(
        RoleId::Spokesperson,
        "Woordvoerder",
        "Spokesperson",
        "Verzorgt de schriftelijke en mondelinge communicatie vanuit het netwerk.",
        "Takes care of the network's written and spoken communication.",
        Cluster::Task,
    ),
    entry(
        RoleId::Doer,
        "Uitvoerder",
        "Doer",
        "Onderneemt acties en initiatieven.",
        "Undertakes actions and initiatives.",
        Cluster::Task,
    ),
    entry(
        RoleId::Adviser,
        "Raadgever",
        "Adviser",
        "Adviseert het netwerk op basis van de eigen domein-specifieke kennis.",
        "Advises the network from their own domain-specific knowledge.",
        Cluster::Task,
    ),
    entry(
        RoleId::Fundraiser,
        "Fondsenwerver",
        "Fundraiser",
        "Zoekt middelen en financiële ondersteuning om de doelstellingen te realiseren.",
        "Looks for resources and financial support to realise the goals.",
        Cluster::Strategic,
    ),
    entry(
        RoleId::ResultsGuardian,
        "Resultaatsbewaker",
        "Results guardian",
        "Waakt erover dat het gemeenschappelijke doel bereikt wordt.",
        "Makes sure the shared goal is reached.",
        Cluster::Task,
    ),
    entry(
        RoleId::Negotiator,
        "Onderhandelaar",
        "Negotiator",
        "Onderhandelt in het belang van het netwerk met externen.",
        "Negotiates with outsiders in the network's interest.",
        Cluster::Strategic,
    ),
    entry(
        RoleId::SupportBuilder,
        "Draagvlak-creëerder",
        "Support builder",
        "Creëert een draagvlak voor het netwerk.",
        "Builds support for the network.",
        Cluster::Process,
    ),
    entry(
        RoleId::Critic,
        "Criticus",
        "Critic",
        "Kijkt kritisch naar het werk binnen het netwerk, herinnert de leden aan de gemaakte afspraken en doelstellingen.",
        "Looks critically at the work in the network and reminds the members of the agreements and goals made.",
        Cluster::Network,
    ),
    entry(
        RoleId::Supporter,
        "Supporter",
        "Supporter",
        "Is enthousiast over en betrokken bij het netwerk, ongeacht zijn functie of positie en draagt deze positieve houding over aan anderen.",
        "Is enthusiastic about and involved in the network, whatever their function or position, and passes this positive attitude on to others.",
        Cluster::Network,
    ),
];

/// The three core roles, "the cockpit of the collaboration".
pub const CORE_ROLES: [RoleId; 3] = [RoleId::Initiator, RoleId::Leader, RoleId::Driver];

/// The seed's advice when the core roles pile up on one person.
pub const SHARED_OWNERSHIP: Localized = Localized {
    nl: "Haal taken en rollen van trekker, leider en initiatiefnemer uit elkaar. Dit vermijdt teveel cumul bij één persoon en creëert ruimte voor trekker, leider.",
    en: "Separate the tasks and roles of driver, leader and initiator. This avoids piling too much on one person and makes room for driver and leader.",
};

crate::closed_set! {
    /// What a person says about a role.
    pub enum Claim {
        /// "neem ik nu op"
        HoldNow => "hold_now",
        /// "wil ik opnemen"
        Want => "want",
    }
}

impl Claim {
    /// The seed's words for it.
    pub fn label(self) -> Localized {
        match self {
            Claim::HoldNow => Localized {
                nl: "Neem ik nu op",
                en: "I take it up now",
            },
            Claim::Want => Localized {
                nl: "Wil ik opnemen",
                en: "I want to take it up",
            },
        }
    }
}

impl Cluster {
    pub const ALL: [Cluster; 5] = [
        Cluster::Core,
        Cluster::Task,
        Cluster::Process,
        Cluster::Strategic,
        Cluster::Network,
    ];

    pub fn name(self) -> Localized {
        match self {
            Cluster::Core => Localized {
                nl: "De drie kernrollen: de cockpit van de samenwerking",
                en: "The three core roles: the cockpit of the collaboration",
            },
            Cluster::Task => Localized {
                nl: "Taakgerichte cluster",
                en: "Task-oriented cluster",
            },
            Cluster::Process => Localized {
                nl: "Procesgerichte cluster",
                en: "Process-oriented cluster",
            },
            Cluster::Strategic => Localized {
                nl: "Strategische cluster",
                en: "Strategic cluster",
            },
            Cluster::Network => Localized {
                nl: "Op netwerkniveau",
                en: "At network level",
            },
        }
    }

    /// The roles of this cluster, in the seed's order.
    pub fn roles(self) -> impl Iterator<Item = &'static Role> {
        ROLES.iter().filter(move |r| r.cluster == self)
    }
}

/// A role is crowded from this many holders on (in a group of a dozen, three people holding the
/// same role now is a pile-up worth talking about).
pub const CROWDED_FROM: usize = 3;

/// The seed's question for the role map, shown above it.
pub const MAP_QUESTION: Localized = Localized {
    nl: "Welke rollen zijn niet opgenomen, welke zijn druk bezet? Rolwissels en -invulling bespreekbaar maken creëert dynamiek in de samenwerking.",
    en: "Which roles has nobody taken up, which are crowded? Making role swaps and how roles are filled discussable creates dynamism in the collaboration.",
};

/// The seed's question on the balance of the perspectives.
pub const BALANCE_QUESTION: Localized = Localized {
    nl: "Hoe kan je evenwicht tussen de 3 perspectieven realiseren? Een te eenzijdige benadering van één perspectief maakt de samenwerking moeilijk.",
    en: "How can you balance the 3 perspectives? Approaching the collaboration too one-sidedly from one perspective makes it difficult.",
};

/// The role map of the published claims: per role who holds it now and who wants it, and the
/// seed's warnings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleMap<P: Ord> {
    pub holders: BTreeMap<RoleId, BTreeSet<P>>,
    pub wanted_by: BTreeMap<RoleId, BTreeSet<P>>,
    /// Roles nobody holds now (in the seed's order).
    pub uncovered: Vec<RoleId>,
    /// Roles held now by more than `crowded_from − 1` people.
    pub crowded: Vec<RoleId>,
    /// People who hold two or more of the three core roles now.
    pub core_piled_on: Vec<P>,
}

impl<P: Ord + Clone> RoleMap<P> {
    /// The map of everyone's published claims; a role is crowded from `crowded_from` holders on.
    pub fn of(claims: &[(P, BTreeMap<RoleId, Claim>)], crowded_from: usize) -> RoleMap<P> {
        let mut map = RoleMap {
            holders: BTreeMap::new(),
            wanted_by: BTreeMap::new(),
            uncovered: vec![],
            crowded: vec![],
            core_piled_on: vec![],
        };
        for (person, theirs) in claims {
            for (id, claim) in theirs {
                let into = match claim {
                    Claim::HoldNow => &mut map.holders,
                    Claim::Want => &mut map.wanted_by,
                };
                into.entry(*id).or_default().insert(person.clone());
            }
            let core = CORE_ROLES
                .iter()
                .filter(|c| theirs.get(*c) == Some(&Claim::HoldNow))
                .count();
            if core >= 2 {
                map.core_piled_on.push(person.clone());
            }
        }
        for r in ROLES {
            match map.holders.get(&r.id).map_or(0, BTreeSet::len) {
                0 => map.uncovered.push(r.id),
                n if n >= crowded_from.max(2) => map.crowded.push(r.id),
                _ => {}
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(list: &[(RoleId, Claim)]) -> BTreeMap<RoleId, Claim> {
        list.iter().copied().collect()
    }

    #[test]
    fn fifteen_roles_in_both_languages_with_the_core_and_network_roles_where_the_seed_puts_them() {
        assert_eq!(ROLES.len(), 15);
        for r in ROLES {
            for t in [r.name, r.description] {
                assert!(!t.nl.is_empty() && !t.en.is_empty(), "{}", r.id);
            }
            assert_eq!(r.id.role(), &r);
        }
        for id in CORE_ROLES {
            assert_eq!(id.role().cluster, Cluster::Core);
        }
        for id in [RoleId::Critic, RoleId::Supporter] {
            assert_eq!(id.role().cluster, Cluster::Network);
        }
        for p in Perspective::ALL {
            assert_ne!(p.name().nl, p.name().en);
        }
    }

    #[test]
    fn the_role_map_names_uncovered_and_crowded_roles_and_piled_up_core_roles() {
        let map = RoleMap::of(
            &[
                (
                    "an",
                    claims(&[
                        (RoleId::Initiator, Claim::HoldNow),
                        (RoleId::Leader, Claim::HoldNow),
                        (RoleId::Doer, Claim::HoldNow),
                    ]),
                ),
                (
                    "bert",
                    claims(&[
                        (RoleId::Doer, Claim::HoldNow),
                        (RoleId::Driver, Claim::Want),
                    ]),
                ),
                ("chris", claims(&[(RoleId::Doer, Claim::HoldNow)])),
            ],
            3,
        );
        assert_eq!(map.core_piled_on, vec!["an"]);
        assert_eq!(map.crowded, vec![RoleId::Doer]);
        assert!(map.uncovered.contains(&RoleId::Driver));
        assert!(!map.uncovered.contains(&RoleId::Leader));
        assert_eq!(map.uncovered.len(), 15 - 3);
        assert_eq!(map.wanted_by[&RoleId::Driver].len(), 1);
    }

    #[test]
    fn k_minus_one_perspective_answers_give_no_balance() {
        let split = [5, 2, 3];
        let half = [4, 0, 0];
        for k in [2, 3, 5] {
            let below: Vec<[u32; 3]> = (1..k).map(|_| split).collect();
            assert_eq!(Balance::of(&below, k), None, "k = {k}");
            // A split that does not add up to ten yet is no answer.
            let mut with_half = below.clone();
            with_half.push(half);
            assert_eq!(Balance::of(&with_half, k), None, "k = {k}");
            let at: Vec<[u32; 3]> = (0..k).map(|_| split).collect();
            let b = Balance::of(&at, k).expect("k answers give a balance");
            assert_eq!(b.answered, k);
            assert_eq!(b.points, [5 * k, 2 * k, 3 * k]);
            assert_eq!(b.mean(Perspective::Organisation), 5.0);
        }
    }

    #[test]
    fn every_role_sits_in_one_cluster_and_ids_round_trip() {
        let n: usize = Cluster::ALL.iter().map(|c| c.roles().count()).sum();
        assert_eq!(n, 15);
        assert_eq!(
            Cluster::Core.roles().map(|r| r.id).collect::<Vec<_>>(),
            vec![RoleId::Initiator, RoleId::Driver, RoleId::Leader]
        );
        for c in [Cluster::Task, Cluster::Process, Cluster::Strategic] {
            assert!(c.roles().count() >= 3, "{c:?}");
        }
        // `RoleId::role` indexes `ROLES` by the enum's order: the two orders must agree.
        for (id, r) in RoleId::ALL.iter().zip(ROLES) {
            assert_eq!(*id, r.id);
        }
        // The seed's advice, word for word.
        assert!(
            SHARED_OWNERSHIP.nl.starts_with(
                "Haal taken en rollen van trekker, leider en initiatiefnemer uit elkaar"
            )
        );
    }

    #[test]
    fn a_person_holding_only_one_core_role_is_not_flagged_and_wanting_is_not_holding() {
        let map = RoleMap::of(
            &[
                (
                    "an",
                    claims(&[
                        (RoleId::Initiator, Claim::HoldNow),
                        (RoleId::Leader, Claim::Want),
                    ]),
                ),
                (
                    "bert",
                    claims(&[
                        (RoleId::Leader, Claim::HoldNow),
                        (RoleId::Driver, Claim::HoldNow),
                    ]),
                ),
            ],
            CROWDED_FROM,
        );
        assert_eq!(map.core_piled_on, vec!["bert"]);
        assert!(map.crowded.is_empty());
        assert_eq!(map.wanted_by[&RoleId::Leader].len(), 1);
        assert_eq!(map.holders[&RoleId::Leader].len(), 1);
    }
}
