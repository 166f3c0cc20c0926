//! The work form "three levels of responsibility" as data: levels, their explanations and
//! question bank in Dutch (as in the seed text) and English, the steps with their default
//! durations, and the two extra questions. Views and the set-up read from here; nothing about
//! the method is hard-coded in components, so other work forms can be added as data later.

/// A text in both interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Localized {
    pub nl: &'static str,
    pub en: &'static str,
}

impl Localized {
    /// The text in `language` ("nl" or "en"; anything else reads as Dutch).
    pub fn get(&self, language: &str) -> &'static str {
        if language == "en" { self.en } else { self.nl }
    }
}

crate::closed_set! {
    /// The three levels, inner to outer ring (a reflection note's ring is its level).
    pub enum LevelId {
        Individual => "individual",
        Collegial => "collegial",
        Collective => "collective",
    }
}

/// One question of the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// Stable id, stored in the plan (e.g. `individual-2`).
    pub id: &'static str,
    pub text: Localized,
}

/// One level of responsibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub id: LevelId,
    pub name: Localized,
    /// The one-line core ("Kern") of the level.
    pub core: Localized,
    pub explanation: Localized,
    pub questions: &'static [Question],
}

/// One step of the work form, with its default length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInfo {
    pub step: crate::step::Step,
    pub name: Localized,
    pub default_minutes: u32,
    pub instruction: Localized,
}

/// How many questions per level the facilitator picks: the seed says 2; 1 to 3 are allowed.
pub const QUESTIONS_PER_LEVEL: (usize, usize, usize) = (1, 2, 3);

/// Duo turn lengths in minutes: person A, person B, joint reflection.
pub const DEFAULT_TURN_MINUTES: u32 = 5;
pub const DEFAULT_JOINT_MINUTES: u32 = 10;

pub const LEVELS: [Level; 3] = [
    Level {
        id: LevelId::Individual,
        name: Localized {
            nl: "Individueel",
            en: "Individual",
        },
        core: Localized {
            nl: "Verantwoordelijkheid voor het eigen werkdomein",
            en: "Responsibility for your own work domain",
        },
        explanation: Localized {
            nl: "Het effectief uitvoeren en ontwikkelen van de eigen taken en resultaten: zowel de dagelijkse uitvoering als het werk op langere termijn (verbetering, innovatie, strategie binnen het eigen domein).",
            en: "Carrying out and developing your own tasks and results effectively: both the daily work and the longer term (improvement, innovation, strategy within your own domain).",
        },
        questions: &[
            Question {
                id: "individual-1",
                text: Localized {
                    nl: "Waar ben ik in mijn werk écht verantwoordelijk voor (resultaat, kwaliteit, ontwikkeling)?",
                    en: "What am I really responsible for in my work (results, quality, development)?",
                },
            },
            Question {
                id: "individual-2",
                text: Localized {
                    nl: "Welke verwachtingen (formeel of informeel) ervaar ik in mijn rol?",
                    en: "Which expectations (formal or informal) do I experience in my role?",
                },
            },
            Question {
                id: "individual-3",
                text: Localized {
                    nl: "Waar is mijn verantwoordelijkheid voor mij onvoldoende duidelijk afgebakend?",
                    en: "Where is my responsibility not clearly enough defined for me?",
                },
            },
            Question {
                id: "individual-4",
                text: Localized {
                    nl: "Wat doe ik nu dat eigenlijk niet tot mijn kernverantwoordelijkheid behoort?",
                    en: "What do I do now that is not really part of my core responsibility?",
                },
            },
            Question {
                id: "individual-5",
                text: Localized {
                    nl: "Welke ondersteuning heb ik nodig om mijn verantwoordelijkheid goed te kunnen opnemen?",
                    en: "What support do I need to take up my responsibility well?",
                },
            },
        ],
    },
    Level {
        id: LevelId::Collegial,
        name: Localized {
            nl: "Collegiaal",
            en: "Collegial",
        },
        core: Localized {
            nl: "Verantwoordelijkheid voor bijdragen aan anderen",
            en: "Responsibility for contributing to others",
        },
        explanation: Localized {
            nl: "De relatie met collega's: actief bijdragen aan het functioneren en de ontwikkeling van anderen door kennisdeling, ondersteuning en feedback, van vrijblijvend tot intensief.",
            en: "The relationship with colleagues: actively contributing to how others work and grow through sharing knowledge, support and feedback, from casual to intensive.",
        },
        questions: &[
            Question {
                id: "collegial-1",
                text: Localized {
                    nl: "Op welke manier draag ik bij aan het werk en succes van professionals in de samenwerking?",
                    en: "How do I contribute to the work and success of the professionals in the collaboration?",
                },
            },
            Question {
                id: "collegial-2",
                text: Localized {
                    nl: "Waar maak ik bewust gebruik van kennis, feedback en steun van andere professionals?",
                    en: "Where do I deliberately use the knowledge, feedback and support of other professionals?",
                },
            },
            Question {
                id: "collegial-3",
                text: Localized {
                    nl: "Wat bied ik zelf actief aan anderen aan?",
                    en: "What do I actively offer to others myself?",
                },
            },
            Question {
                id: "collegial-4",
                text: Localized {
                    nl: "Waar blijven kansen liggen om beter van en met elkaar te leren?",
                    en: "Where are chances left unused to learn better from and with each other?",
                },
            },
        ],
    },
    Level {
        id: LevelId::Collective,
        name: Localized {
            nl: "Collectief",
            en: "Collective",
        },
        core: Localized {
            nl: "Verantwoordelijkheid voor het geheel (het vastgelegde doel)",
            en: "Responsibility for the whole (the agreed goal)",
        },
        explanation: Localized {
            nl: "Bijdragen aan het slagen van en richten op het gemeenschappelijk doel: verder kijken dan het eigen belang en bijdragen aan de koers en de samenhang om kinderen en gezinnen te ondersteunen.",
            en: "Contributing to and aiming at the shared goal: looking beyond your own interest and contributing to the direction and coherence of supporting children and families.",
        },
        questions: &[
            Question {
                id: "collective-1",
                text: Localized {
                    nl: "Hoe draag ik bij aan de richting en doelen van de samenwerking?",
                    en: "How do I contribute to the direction and goals of the collaboration?",
                },
            },
            Question {
                id: "collective-2",
                text: Localized {
                    nl: "In hoeverre voel ik mij mede-eigenaar van het gemeenschappelijk doel?",
                    en: "To what extent do I feel co-owner of the shared goal?",
                },
            },
            Question {
                id: "collective-3",
                text: Localized {
                    nl: "Bij welke thema's zou ik meer of minder betrokken willen zijn?",
                    en: "Which themes would I like to be more or less involved in?",
                },
            },
            Question {
                id: "collective-4",
                text: Localized {
                    nl: "Hoe ga ik om met afspraken of processen die in de samenwerking gelden?",
                    en: "How do I deal with the agreements or processes that apply in the collaboration?",
                },
            },
            Question {
                id: "collective-5",
                text: Localized {
                    nl: "Wat verwacht ik van andere organisaties/ professionals in hun bijdrage aan het geheel?",
                    en: "What do I expect from other organisations/professionals in their contribution to the whole?",
                },
            },
        ],
    },
];

pub const STEPS: [StepInfo; 3] = [
    StepInfo {
        step: crate::step::Step::Reflect,
        name: Localized {
            nl: "Stap 1: Individuele reflectie",
            en: "Step 1: Individual reflection",
        },
        default_minutes: 10,
        instruction: Localized {
            nl: "Beschrijf per niveau wat jij vandaag doet binnen dat niveau. Noteer je antwoorden in de cirkels.",
            en: "For each level, describe what you do today within that level. Write your answers in the circles.",
        },
    },
    StepInfo {
        step: crate::step::Step::Duos,
        name: Localized {
            nl: "Stap 2: Uitwisseling in duo's",
            en: "Step 2: Exchange in duos",
        },
        default_minutes: 20,
        instruction: Localized {
            nl: "Licht kort je drie niveaus toe aan je partner en benoem waar je energie van krijgt of eventueel nodig hebt om energie te krijgen. Nadien bespreek je samen: welke verschillen zien jullie tussen jullie contexten? Wat kunnen jullie van elkaar meenemen? Noteer jullie kerninzichten.",
            en: "Briefly explain your three levels to your partner and say where you get energy, or what you would need to get energy. Then discuss together: which differences do you see between your contexts? What can you take from each other? Write down your key insights.",
        },
    },
    StepInfo {
        step: crate::step::Step::Plenary,
        name: Localized {
            nl: "Stap 3: Plenaire terugkoppeling",
            en: "Step 3: Plenary feedback",
        },
        default_minutes: 30,
        instruction: Localized {
            nl: "Elk duo deelt één kerninzicht en geeft aan op welk niveau dit inzicht zich situeert. Eerst komt elk duo aan bod, er wordt nog niet onderling gereageerd.",
            en: "Each duo shares one key insight and says at which level it sits. Every duo has its turn first; nobody reacts yet.",
        },
    },
];

/// Extra question of round 1: mark ideals green and tensions red.
pub const EXTRA_MARKS: Localized = Localized {
    nl: "Extra vraag bij ronde 1: wat je ideaal zou willen doen (groen aangeven) en waar volgens jou spanning op zit (rood aangeven).",
    en: "Extra question for round 1: what you would ideally do (mark green) and where you feel tension (mark red).",
};

/// Extra question of round 3: one small change.
pub const EXTRA_SMALL_CHANGE: Localized = Localized {
    nl: "Extra vraag bij ronde 3: welke kleine verandering in jouw handelen zou meteen effect hebben op één van de drie niveaus?",
    en: "Extra question for round 3: which small change in your own actions would have an immediate effect on one of the three levels?",
};

/// The questions of step 3 after the round (from the seed, in its order).
pub const AFTER_ROUND: AfterRound = AfterRound {
    clarify: Localized {
        nl: "Verduidelijkingsvragen naar een duo over hetgeen je hoorde?",
        en: "Clarifying questions to a duo about what you heard?",
    },
    energy: Localized {
        nl: "Op welk niveau (individueel, collegiaal, collectief) zit de meeste energie?",
        en: "At which level (individual, collegial, collective) is the most energy?",
    },
    needed: Localized {
        nl: "Wat is er nodig m.b.t. verantwoordelijkheid in de samenwerking?",
        en: "What is needed around responsibility in the collaboration?",
    },
    chances: Localized {
        nl: "Waar liggen kansen om verantwoordelijkheid anders te organiseren?",
        en: "Where are chances to organise responsibility differently?",
    },
};

/// The four questions after step 3's round.
#[derive(Debug, Clone, Copy)]
pub struct AfterRound {
    pub clarify: Localized,
    pub energy: Localized,
    pub needed: Localized,
    pub chances: Localized,
}

pub fn level(id: LevelId) -> &'static Level {
    match id {
        LevelId::Individual => &LEVELS[0],
        LevelId::Collegial => &LEVELS[1],
        LevelId::Collective => &LEVELS[2],
    }
}

/// The bank question with this id.
pub fn question(id: &str) -> Option<(LevelId, &'static Question)> {
    LEVELS
        .iter()
        .flat_map(|l| l.questions.iter().map(move |q| (l.id, q)))
        .find(|(_, q)| q.id == id)
}

/// The seed's default pick: the first two questions of each level.
pub fn default_questions(level: LevelId) -> Vec<&'static str> {
    self::level(level)
        .questions
        .iter()
        .take(QUESTIONS_PER_LEVEL.1)
        .map(|q| q.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_bank_has_five_four_five_questions_in_both_languages() {
        let counts: Vec<usize> = LEVELS.iter().map(|l| l.questions.len()).collect();
        assert_eq!(counts, vec![5, 4, 5]);
        for l in LEVELS {
            for q in l.questions {
                assert!(!q.text.nl.is_empty() && !q.text.en.is_empty(), "{}", q.id);
                assert!(q.id.starts_with(l.id.as_str()));
                assert_eq!(question(q.id).map(|(lvl, _)| lvl), Some(l.id));
            }
        }
    }

    #[test]
    fn levels_run_inner_to_outer_and_steps_default_to_10_20_30() {
        let ids: Vec<LevelId> = LEVELS.iter().map(|l| l.id).collect();
        assert_eq!(ids, LevelId::ALL.to_vec());
        let minutes: Vec<u32> = STEPS.iter().map(|s| s.default_minutes).collect();
        assert_eq!(minutes, vec![10, 20, 30]);
        assert_eq!(
            default_questions(LevelId::Collegial),
            vec!["collegial-1", "collegial-2"]
        );
    }
}
