//! Work form 002's content ("Beweging in samenwerken"): the two sentence stems of the horizon,
//! the seed's three levels of the route's reflection (contribution to the shared success,
//! quality, keeping agreements), the route profile the group sees of the private ratings
//! (k-anonymous, like 004's profile), and the means a collaboration keeps per session for its
//! chart over time. The canvas fields of the landscape and the map are
//! [`super::agreements::FieldId`]s; [`super::agreements::fields`] says which step shows which.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::blocks::{distribution, mean_of};
use crate::method::Localized;

const fn l(nl: &'static str, en: &'static str) -> Localized {
    Localized { nl, en }
}

crate::closed_set! {
    /// How a participant starts their horizon sentence (the seed's two).
    pub enum Stem {
        /// "Wij gaan samen werken aan …"
        WorkOn => "work_on",
        /// "Wij gaan samen sturen op …"
        SteerOn => "steer_on",
    }
}

impl Stem {
    pub fn text(self) -> Localized {
        match self {
            Stem::WorkOn => l("Wij gaan samen werken aan", "Together we will work on"),
            Stem::SteerOn => l("Wij gaan samen sturen op", "Together we will steer towards"),
        }
    }

    /// The whole sentence as it goes on the table.
    pub fn sentence(self, language: &str, rest: &str) -> String {
        let rest = rest.trim().trim_end_matches('.');
        format!("{} {rest}.", self.text().get(language))
    }
}

/// Step 1's question.
pub const HORIZON_QUESTION: Localized = l(
    "Waar gaan we voor? Maak de zin voor jezelf af. Pas als je hem deelt, ziet de groep hem.",
    "What do we go for? Finish the sentence for yourself. The group sees it only once you share it.",
);

crate::closed_set! {
    /// The seed's three levels of the route's reflection.
    pub enum Level {
        Contribution => "contribution",
        Quality => "quality",
        Discipline => "discipline",
    }
}

impl Level {
    pub fn name(self) -> Localized {
        match self {
            Level::Contribution => l("Bijdrage aan het succes", "Contribution to the success"),
            Level::Quality => l("Kwaliteit", "Quality"),
            Level::Discipline => l("Afspraakdiscipline", "Keeping agreements"),
        }
    }

    /// The seed's line on each level.
    pub fn explanation(self) -> Localized {
        match self {
            Level::Contribution => l(
                "Vanuit een specifieke verantwoordelijkheid of rolverdeling zo goed mogelijk bijdragen aan het gezamenlijk succes.",
                "Contributing as well as possible to the shared success, from a specific responsibility or division of roles.",
            ),
            Level::Quality => l(
                "Zo goed mogelijk kwaliteit leveren binnen de geldende normen en waarden (kwalitatieve afspraken).",
                "Delivering quality as well as possible within the norms and values that apply (qualitative agreements).",
            ),
            Level::Discipline => l(
                "Zo goed mogelijk aan afspraken houden, zonder de gezamenlijke spelregels te overtreden.",
                "Keeping to agreements as well as possible, without breaking the shared rules of play.",
            ),
        }
    }
}

/// Step 3's question.
pub const ROUTE_QUESTION: Localized = l(
    "Hoe gaat het onderweg? Geef elk niveau een score van 1 (nog lang niet) tot 5 (helemaal). Niemand ziet jouw scores: de groep ziet alleen het geheel.",
    "How is it going on the way? Rate each level from 1 (far from it) to 5 (fully). Nobody sees your ratings: the group sees only the whole.",
);

/// What the route leaves: the seed's last line.
pub const BACKPACK_LINE: Localized = l(
    "Het resultaat van de route is een rugzak met goede ervaringen en lessons learned.",
    "The result of the route is a backpack of good experiences and lessons learned.",
);

/// The group's route: how many rated, and per level how many gave each rating. Never who.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RouteProfile {
    pub answered: u32,
    /// Levels rated by at least k people.
    pub levels: BTreeMap<Level, [u32; 5]>,
}

impl RouteProfile {
    /// The route of these private ratings, or `None` with fewer than `k` people.
    pub fn of(ratings: &[BTreeMap<Level, u32>], k: u32) -> Option<RouteProfile> {
        let (answered, levels) = distribution(ratings, &Level::ALL, k)?;
        Some(RouteProfile { answered, levels })
    }

    pub fn mean(&self, level: Level) -> Option<f64> {
        mean_of(self.levels.get(&level)?)
    }

    /// What a collaboration keeps of this session's route.
    pub fn means(&self) -> RouteMeans {
        RouteMeans {
            answered: self.answered,
            tenths: Level::ALL
                .into_iter()
                .filter_map(|l| Some((l, tenths(self.mean(l)?))))
                .collect(),
        }
    }
}

/// A mean rating in tenths (3.46 → 35).
pub fn tenths(x: f64) -> u32 {
    (x * 10.0).round().clamp(10.0, 50.0) as u32
}

/// One session's route as the collaboration keeps it: the mean per level, in tenths (one
/// decimal, kept exact).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RouteMeans {
    pub answered: u32,
    pub tenths: BTreeMap<Level, u32>,
}

impl RouteMeans {
    pub fn mean(&self, level: Level) -> Option<f64> {
        self.tenths.get(&level).map(|t| f64::from(*t) / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_needs_k_people_per_level() {
        let r = |c: Option<u32>, q: Option<u32>| {
            let mut m = BTreeMap::new();
            if let Some(c) = c {
                m.insert(Level::Contribution, c);
            }
            if let Some(q) = q {
                m.insert(Level::Quality, q);
            }
            m
        };
        let all = [r(Some(4), Some(2)), r(Some(2), None), r(Some(3), None)];
        assert_eq!(RouteProfile::of(&all, 4), None);
        let p = RouteProfile::of(&all, 3).unwrap();
        assert_eq!(p.answered, 3);
        assert_eq!(p.levels[&Level::Contribution], [0, 1, 1, 1, 0]);
        assert!(
            !p.levels.contains_key(&Level::Quality),
            "one rating of quality"
        );
        let m = p.means();
        assert_eq!(m.mean(Level::Contribution), Some(3.0));
        assert_eq!(m.mean(Level::Quality), None);
        assert_eq!(tenths(3.46), 35);
    }

    #[test]
    fn a_sentence_starts_with_its_stem() {
        assert_eq!(
            Stem::SteerOn.sentence("nl", " minder wachtlijsten. "),
            "Wij gaan samen sturen op minder wachtlijsten."
        );
        assert_eq!(
            Stem::WorkOn.sentence("en", "one plan per family"),
            "Together we will work on one plan per family."
        );
    }
}
