//! Work form 003's content (roles in a collaboration): the three perspectives people divide 10
//! points over, the 15 roles with the seed's descriptions and their clusters, the three core roles,
//! and the role map — per role who takes it up now and who wants to — with what the seed warns
//! about: roles nobody holds, crowded roles, and the core roles piling up on one person.
//!
//! The seed places the roles in a task, a process and a strategic cluster with the critic and the
//! supporter at network level, but names only those two and the three core roles explicitly (the
//! rest is in a picture the seed refers to). The clusters of the other ten roles below are Kring's
//! reading of their descriptions, to be checked against that picture.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::method::Localized;

/// The three perspectives of the seed's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perspective {
    Organisation,
    Individual,
    Network,
}

impl Perspective {
    pub const ALL: [Perspective; 3] = [
        Perspective::Organisation,
        Perspective::Individual,
        Perspective::Network,
    ];

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

/// One of the 15 roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// Stable id, stored in claims.
    pub id: &'static str,
    pub name: Localized,
    pub description: Localized,
    pub cluster: Cluster,
}

const fn entry(
    id: &'static str,
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
        "initiator",
        "Initiatiefnemer",
        "Initiator",
        "Neemt het initiatief om het netwerk op te starten door de juiste organisaties bijeen te brengen die samen voor een gemeenschappelijk doel willen gaan.",
        "Takes the initiative to start the network by bringing together the right organisations that want to go for a shared goal.",
        Cluster::Core,
    ),
    entry(
        "driver",
        "Trekker",
        "Driver",
        "Coördineert, bewaakt en stimuleert het verloop van het netwerk in functie van de doelstellingen.",
        "Coordinates, monitors and stimulates the course of the network in view of its goals.",
        Cluster::Core,
    ),
    entry(
        "leader",
        "Leider",
        "Leader",
        "Stuurt het netwerk aan door samen de doelstellingen en de realisatie te bepalen en creëert hierbij een klimaat van samenwerken.",
        "Steers the network by deciding the goals and their realisation together, creating a climate of collaboration.",
        Cluster::Core,
    ),
    entry(
        "innovator",
        "Vernieuwer",
        "Innovator",
        "Brengt nieuwe initiatieven, concepten, … binnen in het netwerk en zoekt naar mogelijkheden om deze te realiseren.",
        "Brings new initiatives, concepts, … into the network and looks for ways to realise them.",
        Cluster::Strategic,
    ),
    entry(
        "diplomat",
        "Diplomaat",
        "Diplomat",
        "Bouwt bruggen en bemiddelt in functie van constructieve samenwerking en relatievorming.",
        "Builds bridges and mediates for constructive collaboration and relationships.",
        Cluster::Process,
    ),
    entry(
        "mood_maker",
        "Sfeermaker",
        "Mood maker",
        "Heeft aandacht voor de goede sfeer in het netwerk.",
        "Looks after a good atmosphere in the network.",
        Cluster::Process,
    ),
    entry(
        "spokesperson",
        "Woordvoerder",
        "Spokesperson",
        "Verzorgt de schriftelijke en mondelinge communicatie vanuit het netwerk.",
        "Takes care of the network's written and spoken communication.",
        Cluster::Task,
    ),
    entry(
        "doer",
        "Uitvoerder",
        "Doer",
        "Onderneemt acties en initiatieven.",
        "Undertakes actions and initiatives.",
        Cluster::Task,
    ),
    entry(
        "adviser",
        "Raadgever",
        "Adviser",
        "Adviseert het netwerk op basis van de eigen domein-specifieke kennis.",
        "Advises the network from their own domain-specific knowledge.",
        Cluster::Task,
    ),
    entry(
        "fundraiser",
        "Fondsenwerver",
        "Fundraiser",
        "Zoekt middelen en financiële ondersteuning om de doelstellingen te realiseren.",
        "Looks for resources and financial support to realise the goals.",
        Cluster::Strategic,
    ),
    entry(
        "results_guardian",
        "Resultaatsbewaker",
        "Results guardian",
        "Waakt erover dat het gemeenschappelijke doel bereikt wordt.",
        "Makes sure the shared goal is reached.",
        Cluster::Task,
    ),
    entry(
        "negotiator",
        "Onderhandelaar",
        "Negotiator",
        "Onderhandelt in het belang van het netwerk met externen.",
        "Negotiates with outsiders in the network's interest.",
        Cluster::Strategic,
    ),
    entry(
        "support_builder",
        "Draagvlak-creëerder",
        "Support builder",
        "Creëert een draagvlak voor het netwerk.",
        "Builds support for the network.",
        Cluster::Process,
    ),
    entry(
        "critic",
        "Criticus",
        "Critic",
        "Kijkt kritisch naar het werk binnen het netwerk, herinnert de leden aan de gemaakte afspraken en doelstellingen.",
        "Looks critically at the work in the network and reminds the members of the agreements and goals made.",
        Cluster::Network,
    ),
    entry(
        "supporter",
        "Supporter",
        "Supporter",
        "Is enthousiast over en betrokken bij het netwerk, ongeacht zijn functie of positie en draagt deze positieve houding over aan anderen.",
        "Is enthusiastic about and involved in the network, whatever their function or position, and passes this positive attitude on to others.",
        Cluster::Network,
    ),
];

/// The three core roles, "the cockpit of the collaboration".
pub const CORE_ROLES: [&str; 3] = ["initiator", "leader", "driver"];

/// The seed's advice when the core roles pile up on one person.
pub const SHARED_OWNERSHIP: Localized = Localized {
    nl: "Haal taken en rollen van trekker, leider en initiatiefnemer uit elkaar. Dit vermijdt teveel cumul bij één persoon en creëert ruimte voor trekker, leider.",
    en: "Separate the tasks and roles of driver, leader and initiator. This avoids piling too much on one person and makes room for driver and leader.",
};

/// What a person says about a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// "neem ik nu op"
    HoldNow,
    /// "wil ik opnemen"
    Want,
}

pub fn role(id: &str) -> Option<&'static Role> {
    ROLES.iter().find(|r| r.id == id)
}

/// The role map of the published claims: per role who holds it now and who wants it, and the
/// seed's warnings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleMap<P: Ord> {
    pub holders: BTreeMap<&'static str, BTreeSet<P>>,
    pub wanted_by: BTreeMap<&'static str, BTreeSet<P>>,
    /// Roles nobody holds now (in the seed's order).
    pub uncovered: Vec<&'static str>,
    /// Roles held now by more than `crowded_from − 1` people.
    pub crowded: Vec<&'static str>,
    /// People who hold two or more of the three core roles now.
    pub core_piled_on: Vec<P>,
}

impl<P: Ord + Clone> RoleMap<P> {
    /// The map of everyone's published claims; a role is crowded from `crowded_from` holders on.
    pub fn of(claims: &[(P, BTreeMap<String, Claim>)], crowded_from: usize) -> RoleMap<P> {
        let mut map = RoleMap {
            holders: BTreeMap::new(),
            wanted_by: BTreeMap::new(),
            uncovered: vec![],
            crowded: vec![],
            core_piled_on: vec![],
        };
        for (person, theirs) in claims {
            for (id, claim) in theirs {
                let Some(r) = role(id) else { continue };
                let into = match claim {
                    Claim::HoldNow => &mut map.holders,
                    Claim::Want => &mut map.wanted_by,
                };
                into.entry(r.id).or_default().insert(person.clone());
            }
            let core = CORE_ROLES
                .iter()
                .filter(|c| theirs.get(**c) == Some(&Claim::HoldNow))
                .count();
            if core >= 2 {
                map.core_piled_on.push(person.clone());
            }
        }
        for r in ROLES {
            match map.holders.get(r.id).map_or(0, BTreeSet::len) {
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

    fn claims(list: &[(&str, Claim)]) -> BTreeMap<String, Claim> {
        list.iter().map(|(r, c)| ((*r).to_owned(), *c)).collect()
    }

    #[test]
    fn fifteen_roles_in_both_languages_with_the_core_and_network_roles_where_the_seed_puts_them() {
        assert_eq!(ROLES.len(), 15);
        for r in ROLES {
            for t in [r.name, r.description] {
                assert!(!t.nl.is_empty() && !t.en.is_empty(), "{}", r.id);
            }
            assert_eq!(role(r.id), Some(&r));
        }
        for id in CORE_ROLES {
            assert_eq!(role(id).unwrap().cluster, Cluster::Core);
        }
        for id in ["critic", "supporter"] {
            assert_eq!(role(id).unwrap().cluster, Cluster::Network);
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
                        ("initiator", Claim::HoldNow),
                        ("leader", Claim::HoldNow),
                        ("doer", Claim::HoldNow),
                    ]),
                ),
                (
                    "bert",
                    claims(&[("doer", Claim::HoldNow), ("driver", Claim::Want)]),
                ),
                (
                    "chris",
                    claims(&[("doer", Claim::HoldNow), ("no_such_role", Claim::HoldNow)]),
                ),
            ],
            3,
        );
        assert_eq!(map.core_piled_on, vec!["an"]);
        assert_eq!(map.crowded, vec!["doer"]);
        assert!(map.uncovered.contains(&"driver"));
        assert!(!map.uncovered.contains(&"leader"));
        assert_eq!(map.uncovered.len(), 15 - 3);
        assert_eq!(map.wanted_by["driver"].len(), 1);
    }
}
