//! Work forms as data: the five forms of the practice (seeds `000`–`004`), each with its id and
//! version, its name and one paragraph in Dutch (from its seed) and English, its steps with their
//! default durations and *step kinds*, and what the group leaves with.
//!
//! A workshop runs one form (the workshop document records its id and version). The workshop's
//! [`Step`] names *positions* — lobby, first, second and third working step, closed — and the form
//! says what each position is: for 000 the rings, the duos and the plenary; for 004 the private
//! ratings, the group profile and the actions. Only forms with `built: true` can be started;
//! the others are described so the gallery and their companion issue have their data.
//!
//! Layout: [`blocks`] holds 004's six building blocks, [`roles`] 003's perspectives, roles and role
//! map, [`agreements`] 001's phases, canvas fields, rules of play and consent rounds (002 runs the
//! same canvas and rounds), [`horizon`] 002's sentence stems, route levels and route profile,
//! [`blocks_report`] and [`roles_report`] their parts of the report; 000's content stays in
//! [`crate::method`], which its steps here point at.

pub mod agreements;
pub mod agreements_report;
pub mod blocks;
pub mod blocks_report;
pub mod horizon;
pub mod roles;
pub mod roles_report;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::method::{self, Localized};
use crate::step::Step;

/// The forms of the practice, by their seed number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FormId {
    /// 000: three levels of responsibility.
    #[serde(rename = "000")]
    ThreeLevels,
    /// 001: rules of play, consensus canvas, a temporary workable agreement.
    #[serde(rename = "001")]
    RulesOfPlay,
    /// 002: horizon – landscape – map – route.
    #[serde(rename = "002")]
    Horizon,
    /// 003: roles in a collaboration.
    #[serde(rename = "003")]
    Roles,
    /// 004: the building blocks self-test.
    #[serde(rename = "004")]
    BuildingBlocks,
}

impl FormId {
    pub const ALL: [FormId; 5] = [
        FormId::ThreeLevels,
        FormId::RulesOfPlay,
        FormId::Horizon,
        FormId::Roles,
        FormId::BuildingBlocks,
    ];

    /// The seed number, as stored in the workshop document.
    pub fn as_str(self) -> &'static str {
        match self {
            FormId::ThreeLevels => "000",
            FormId::RulesOfPlay => "001",
            FormId::Horizon => "002",
            FormId::Roles => "003",
            FormId::BuildingBlocks => "004",
        }
    }
}

impl fmt::Display for FormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no work form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown work form `{0}`")]
pub struct UnknownForm(pub String);

impl FromStr for FormId {
    type Err = UnknownForm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FormId::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownForm(s.to_owned()))
    }
}

/// What a step asks of people, from a small shared set. A step may combine kinds (000's plenary is
/// a table, a round and dots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A private sheet with zones (000's rings).
    ZoneSheet,
    /// A private rating scale per item, shown to the group only as a k-anonymous aggregate.
    RatingScale,
    /// A private split of points over a few options, shown only as an aggregate.
    PointsSplit,
    /// Claims on roles, published with consent.
    RoleClaims,
    /// Duo rooms with a speaking clock and cards tied to a zone.
    DuoRooms,
    /// The group's aggregate of a private step, on every screen.
    GroupProfile,
    /// A shared table with named clusters or fields the facilitator curates.
    ClusteredTable,
    /// Dots to choose among cards or zones.
    Dots,
    /// A round in which each group shares one thing, without reactions.
    Round,
    /// A consent round on proposals, ending in an agreement with a review date.
    ConsentRound,
    /// Agreements the facilitator writes down with the group: who takes which role from when
    /// (003's role swaps).
    Agreements,
}

/// One step of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormStep {
    pub name: Localized,
    pub instruction: Localized,
    pub default_minutes: u32,
    pub kinds: &'static [StepKind],
}

/// One work form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    pub id: FormId,
    /// Raised when the form's data changes in a way a running workshop would notice.
    pub version: u32,
    pub name: Localized,
    /// One paragraph from the seed.
    pub paragraph: Localized,
    pub steps: &'static [FormStep],
    /// What the group leaves with.
    pub leaves_with: Localized,
    /// Whether Kring runs it (the gallery offers only these).
    pub built: bool,
}

impl Form {
    /// The form's step at a workshop position (`Reflect` is the first working step, …).
    pub fn step(&self, step: Step) -> Option<&'static FormStep> {
        let i = match step {
            Step::Reflect => 0,
            Step::Duos => 1,
            Step::Plenary => 2,
            Step::Lobby | Step::Closed => return None,
        };
        self.steps.get(i)
    }

    /// The first working step that has `kind`.
    pub fn first_step_with(&self, kind: StepKind) -> Option<Step> {
        [Step::Reflect, Step::Duos, Step::Plenary]
            .into_iter()
            .find(|s| self.step_has(*s, kind))
    }

    /// Whether any step has a kind.
    pub fn has(&self, kind: StepKind) -> bool {
        self.steps.iter().any(|s| s.kinds.contains(&kind))
    }

    /// Whether the form runs consent rounds (001, 002): then every participant gets a private
    /// answers document and the workshop document holds proposals and tallies.
    pub fn consents(&self) -> bool {
        self.has(StepKind::ConsentRound)
    }

    /// Whether a step has a kind.
    pub fn step_has(&self, step: Step, kind: StepKind) -> bool {
        self.step(step).is_some_and(|s| s.kinds.contains(&kind))
    }
}

/// Which form, in which version, a workshop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRef {
    pub id: FormId,
    pub version: u32,
}

impl Default for FormRef {
    /// A workshop written before forms were data runs 000, version 1.
    fn default() -> Self {
        FormRef {
            id: FormId::ThreeLevels,
            version: 1,
        }
    }
}

impl FormRef {
    pub fn form(&self) -> &'static Form {
        form(self.id)
    }
}

const fn from_method(i: usize, kinds: &'static [StepKind]) -> FormStep {
    FormStep {
        name: method::STEPS[i].name,
        instruction: method::STEPS[i].instruction,
        default_minutes: method::STEPS[i].default_minutes,
        kinds,
    }
}

const fn l(nl: &'static str, en: &'static str) -> Localized {
    Localized { nl, en }
}

/// Every form of the practice, in seed order.
pub const FORMS: [Form; 5] = [
    Form {
        id: FormId::ThreeLevels,
        version: 1,
        name: l(
            "Drie niveaus van verantwoordelijkheid",
            "Three levels of responsibility",
        ),
        paragraph: l(
            "De drie niveaus van verantwoordelijkheid maken zichtbaar dat professionals niet alleen verantwoordelijk zijn voor hun eigen taken, maar ook voor samenwerking met anderen en voor de organisatie als geheel. Deze werkvorm vertrekt van een individuele reflectie en werkt naar collectief inzicht.",
            "The three levels of responsibility show that professionals are responsible not only for their own tasks, but also for working with others and for the organisation as a whole. This work form starts from an individual reflection and works towards collective insight.",
        ),
        steps: &[
            from_method(0, &[StepKind::ZoneSheet]),
            from_method(1, &[StepKind::DuoRooms]),
            from_method(
                2,
                &[StepKind::ClusteredTable, StepKind::Round, StepKind::Dots],
            ),
        ],
        leaves_with: l(
            "De kerninzichten per niveau op de flap, waar de meeste energie zit, wat er nodig is, waar kansen liggen en ieders kleine verandering.",
            "The key insights per level on the flip chart, where the most energy is, what is needed, where the chances are and everyone's small change.",
        ),
        built: true,
    },
    Form {
        id: FormId::RulesOfPlay,
        version: 1,
        name: l(
            "Spelregels en een tijdelijk werkbare overeenkomst",
            "Rules of play and a temporary workable agreement",
        ),
        paragraph: l(
            "Als de relevante spelers betrokken zijn bij het proces en in een redelijk gesprek hoor en wederhoor heeft plaatsgevonden, dan is het tijd om een tijdelijke overeenstemming te formuleren die werkbaar is; tot handelen leidt. De Tijdelijke Werkbare Overeenstemming maakt het mogelijk dat er gehandeld wordt.",
            "Once the relevant players are involved in the process and both sides have been heard in a reasonable conversation, it is time to phrase a temporary agreement that is workable and leads to action. The Temporary Workable Agreement makes it possible to act.",
        ),
        steps: &[
            FormStep {
                name: l("Stap 1: Waar staan we?", "Step 1: Where do we stand?"),
                instruction: l(
                    "De schutting erkennen, doorzichtig maken, verruimen: geef aan in welke fase jullie samenwerking zit.",
                    "Acknowledge the fence, make it transparent, widen it: say which phase your collaboration is in.",
                ),
                default_minutes: 10,
                kinds: &[StepKind::RatingScale, StepKind::GroupProfile],
            },
            FormStep {
                name: l(
                    "Stap 2: Consensus vastleggen",
                    "Step 2: Recording consensus",
                ),
                instruction: l(
                    "Spelregels, wie zit aan tafel, mandaat, waar gaat de samenwerking (niet) over, rollen, voorbereiding, routing en procesevaluatie.",
                    "Rules of play, who sits at the table, mandate, what the collaboration is (not) about, roles, preparation, routing and process evaluation.",
                ),
                default_minutes: 40,
                kinds: &[StepKind::ClusteredTable],
            },
            FormStep {
                name: l(
                    "Stap 3: Een tijdelijk werkbare overeenkomst",
                    "Step 3: A temporary workable agreement",
                ),
                instruction: l(
                    "'We zijn van elkaar afhankelijk, we respecteren de verschillen van mening, maar we moeten handelen.'",
                    "'We depend on each other, we respect our differences of opinion, but we have to act.'",
                ),
                default_minutes: 30,
                kinds: &[StepKind::ConsentRound, StepKind::ClusteredTable],
            },
        ],
        leaves_with: l(
            "Spelregels voor de samenwerking en een TWO met een datum om ze te herzien.",
            "Rules of play for the collaboration and a TWO with a date to review it.",
        ),
        built: true,
    },
    Form {
        id: FormId::Horizon,
        version: 1,
        name: l(
            "Beweging in samenwerken: horizon, landschap, kaart, route",
            "Movement in collaboration: horizon, landscape, map, route",
        ),
        paragraph: l(
            "De horizon: waar gaan we voor. Het landschap: wat zien we dan. De kaart: onze spelregels en afspraken. De route: leren van en in de praktijk. Het resultaat is een rugzak met goede ervaringen en lessons learned.",
            "The horizon: what we go for. The landscape: what we will see then. The map: our rules of play and agreements. The route: learning from and in practice. The result is a backpack of good experiences and lessons learned.",
        ),
        steps: &[
            FormStep {
                name: l("Stap 1: De horizon", "Step 1: The horizon"),
                instruction: l(
                    "Waar gaan we voor? Maak de zin af: \"Wij gaan samen werken aan ...\" of \"Wij gaan samen sturen op ...\". Deel hem, dan kiezen we samen één horizon.",
                    "What do we go for? Finish the sentence: \"Together we will work on ...\" or \"Together we will steer towards ...\". Share it, then we agree one horizon together.",
                ),
                default_minutes: 30,
                kinds: &[StepKind::ClusteredTable, StepKind::ConsentRound],
            },
            FormStep {
                name: l(
                    "Stap 2: Het landschap en de kaart",
                    "Step 2: The landscape and the map",
                ),
                instruction: l(
                    "Wanneer zijn we succesvol, idealiter en acceptabel, voor het collectief, de belanghebbenden en de samenleving? Wie zijn verantwoordelijk en wie kunnen bijdragen? Welke spelregels en afspraken maken we, en wat bevordert of belemmert ons vanuit ieder perspectief?",
                    "When are we successful, ideally and acceptably, for the collective, the stakeholders and society? Who is responsible and who can contribute? Which rules of play and agreements do we make, and what helps or hinders us from each perspective?",
                ),
                default_minutes: 60,
                kinds: &[StepKind::ClusteredTable, StepKind::ConsentRound],
            },
            FormStep {
                name: l("Stap 3: De route", "Step 3: The route"),
                instruction: l(
                    "Leren van en in de praktijk: geef bijdrage aan het succes, kwaliteit en afspraakdiscipline een score en schrijf je lessons learned op. Ze gaan in de rugzak.",
                    "Learning from and in practice: rate contribution to the success, quality and keeping agreements, and write down your lessons learned. They go into the backpack.",
                ),
                default_minutes: 30,
                kinds: &[
                    StepKind::RatingScale,
                    StepKind::GroupProfile,
                    StepKind::ClusteredTable,
                ],
            },
        ],
        leaves_with: l(
            "Een gedeelde horizon, spelregels en afspraken, en een rugzak met lessons learned.",
            "A shared horizon, rules of play and agreements, and a backpack of lessons learned.",
        ),
        built: true,
    },
    Form {
        id: FormId::Roles,
        version: 1,
        name: l("Actoren in een samenwerking", "Actors in a collaboration"),
        paragraph: l(
            "Om tot een goed draaiende samenwerking te komen moeten verschillende rollen gedefinieerd en opgenomen worden. Hierbij moet echter constant rekening gehouden worden met 3 perspectieven: de organisatie, het individu en het netwerk.",
            "For a collaboration to run well, different roles have to be defined and taken up. All the while three perspectives have to be taken into account: the organisation, the individual and the network.",
        ),
        steps: &[
            FormStep {
                name: l(
                    "Stap 1: Perspectieven en rollen",
                    "Step 1: Perspectives and roles",
                ),
                instruction: l(
                    "Verdeel 10 punten over de drie perspectieven en geef per rol aan of je ze nu opneemt of wil opnemen.",
                    "Divide 10 points over the three perspectives and say per role whether you take it up now or want to.",
                ),
                default_minutes: 15,
                kinds: &[StepKind::PointsSplit, StepKind::RoleClaims],
            },
            FormStep {
                name: l("Stap 2: De rollenkaart", "Step 2: The role map"),
                instruction: l(
                    "Welke rollen zijn niet opgenomen, welke zijn druk bezet? Haal taken en rollen van trekker, leider en initiatiefnemer uit elkaar.",
                    "Which roles are not taken up, which are crowded? Separate the tasks and roles of driver, leader and initiator.",
                ),
                default_minutes: 20,
                kinds: &[StepKind::GroupProfile],
            },
            FormStep {
                name: l("Stap 3: Rolafspraken", "Step 3: Role agreements"),
                instruction: l(
                    "Spreek af wie welke rol opneemt, vanaf wanneer. Rolwissels en -invulling bespreekbaar maken creëert dynamiek.",
                    "Agree who takes which role, from when. Making role swaps discussable creates dynamism.",
                ),
                default_minutes: 20,
                kinds: &[StepKind::GroupProfile, StepKind::Agreements],
            },
        ],
        leaves_with: l(
            "Een rollenkaart met open en drukke rollen en afspraken over wie welke rol opneemt.",
            "A role map with uncovered and crowded roles and agreements on who takes which role.",
        ),
        built: true,
    },
    Form {
        id: FormId::BuildingBlocks,
        version: 1,
        name: l(
            "Bouwstenen van resultaatgericht samenwerken",
            "Building blocks of result-oriented collaboration",
        ),
        paragraph: l(
            "Om goed met elkaar te kunnen (en blijven) samenwerken en gezamenlijke doelen te behalen, is het belangrijk te investeren in een stevig en gezamenlijk fundament. Het model voor resultaatgerichte samenwerking bestaat uit verschillende bouwstenen die gezamenlijk een basis voor dit fundament vormen. De context en randvoorwaarden scheppen de kaders en bepalen de mate waarin de bouwstenen gerealiseerd kunnen worden.",
            "To work together well (and keep doing so) and reach shared goals, it matters to invest in a solid, shared foundation. The model of result-oriented collaboration consists of building blocks that together form a base for this foundation. Context and preconditions set the frame and determine how far the building blocks can be realised.",
        ),
        steps: &[
            FormStep {
                name: l(
                    "Stap 1: Zelftest op de bouwstenen",
                    "Step 1: Self-test on the building blocks",
                ),
                instruction: l(
                    "Geef deze samenwerking voor elke bouwsteen een score van 1 tot 5. Niemand ziet jouw scores: de groep ziet alleen het geheel.",
                    "Rate this collaboration from 1 to 5 on each building block. Nobody sees your ratings: the group sees only the whole.",
                ),
                default_minutes: 10,
                kinds: &[StepKind::RatingScale],
            },
            FormStep {
                name: l("Stap 2: Het groepsprofiel", "Step 2: The group profile"),
                instruction: l(
                    "Bekijk samen het profiel: waar staan we stevig, welke bouwstenen zijn het zwakst?",
                    "Look at the profile together: where do we stand firm, which building blocks are weakest?",
                ),
                default_minutes: 15,
                // Duos are optional here: the facilitator may form them on the weakest blocks.
                kinds: &[StepKind::GroupProfile, StepKind::DuoRooms],
            },
            FormStep {
                name: l(
                    "Stap 3: Acties per bouwsteen",
                    "Step 3: Actions per building block",
                ),
                instruction: l(
                    "Hoe versterken we dit? Schrijf acties bij de bouwstenen en kies met je stippen welke we doen.",
                    "How do we strengthen this? Write actions for the building blocks and choose with your dots which we do.",
                ),
                default_minutes: 30,
                kinds: &[
                    StepKind::GroupProfile,
                    StepKind::ClusteredTable,
                    StepKind::Dots,
                ],
            },
        ],
        leaves_with: l(
            "Het profiel van de groep op de zes bouwstenen (nooit wie wat gaf) en acties per bouwsteen, gekozen met stippen.",
            "The group's profile on the six building blocks (never who gave what) and actions per building block, chosen with dots.",
        ),
        built: true,
    },
];

/// The data of a form.
pub fn form(id: FormId) -> &'static Form {
    FORMS
        .iter()
        .find(|f| f.id == id)
        .expect("every FormId has its entry in FORMS")
}

/// The forms Kring runs, as the gallery shows them: 000 first, then the others by seed.
pub fn built() -> impl Iterator<Item = &'static Form> {
    FORMS.iter().filter(|f| f.built)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(what: &str, t: Localized) {
        assert!(!t.nl.trim().is_empty(), "{what}: Dutch missing");
        assert!(!t.en.trim().is_empty(), "{what}: English missing");
        assert_ne!(t.nl, t.en, "{what}: English is a copy of the Dutch");
    }

    /// A table test: every form's data is complete in both languages.
    #[test]
    fn every_forms_data_is_complete_in_both_languages() {
        for f in FORMS {
            let id = f.id.as_str();
            assert_eq!(form(f.id).id, f.id);
            assert_eq!(id.parse::<FormId>(), Ok(f.id));
            assert!(f.version >= 1, "{id}");
            complete(&format!("{id} name"), f.name);
            complete(&format!("{id} paragraph"), f.paragraph);
            complete(&format!("{id} leaves with"), f.leaves_with);
            assert!(!f.steps.is_empty(), "{id} has no steps");
            for (i, s) in f.steps.iter().enumerate() {
                complete(&format!("{id} step {i} name"), s.name);
                complete(&format!("{id} step {i} instruction"), s.instruction);
                assert!((1..=180).contains(&s.default_minutes), "{id} step {i}");
                assert!(!s.kinds.is_empty(), "{id} step {i} has no kind");
            }
            if f.built {
                // A built form fills the workshop's three working steps.
                assert_eq!(f.steps.len(), 3, "{id}");
            }
        }
        for b in blocks::BLOCKS {
            complete(b.id.as_str(), b.name);
            complete(b.id.as_str(), b.explanation);
        }
        complete("context", blocks::CONTEXT_QUESTION);
        for r in roles::ROLES {
            // "Supporter" is the same word in both languages.
            if r.id != roles::RoleId::Supporter {
                complete(r.id.as_str(), r.name);
            }
            complete(r.id.as_str(), r.description);
        }
        for p in roles::Perspective::ALL {
            complete(p.as_str(), p.name());
            complete(p.as_str(), p.explanation());
        }
        for c in roles::Cluster::ALL {
            complete("cluster", c.name());
        }
        for c in roles::Claim::ALL {
            complete(c.as_str(), c.label());
        }
        for p in agreements::Phase::ALL {
            complete(p.as_str(), p.name());
            complete(p.as_str(), p.explanation());
        }
        for f in agreements::FieldId::ALL {
            // "Routing" is the seed's own word; English says what it routes.
            complete(f.as_str(), f.name());
        }
        for (i, r) in agreements::RULES.iter().enumerate() {
            complete(&format!("rule {}", i + 1), *r);
        }
        for a in agreements::Answer::ALL {
            complete(a.as_str(), a.label());
        }
        complete("phase question", agreements::PHASE_QUESTION);
        for s in horizon::Stem::ALL {
            complete(s.as_str(), s.text());
        }
        for v in horizon::Level::ALL {
            complete(v.as_str(), v.name());
            complete(v.as_str(), v.explanation());
        }
        for t in [
            horizon::HORIZON_QUESTION,
            horizon::ROUTE_QUESTION,
            horizon::BACKPACK_LINE,
        ] {
            complete("002", t);
        }
        complete("two", agreements::TWO_QUOTE);
        for t in [
            roles::SHARED_OWNERSHIP,
            roles::MAP_QUESTION,
            roles::BALANCE_QUESTION,
        ] {
            complete("003", t);
        }
    }

    #[test]
    fn form_000_is_the_method_as_it_runs() {
        let f = form(FormId::ThreeLevels);
        for (i, s) in f.steps.iter().enumerate() {
            assert_eq!(s.name, method::STEPS[i].name);
            assert_eq!(s.default_minutes, method::STEPS[i].default_minutes);
        }
        assert!(f.step_has(Step::Reflect, StepKind::ZoneSheet));
        assert!(f.step_has(Step::Duos, StepKind::DuoRooms));
        assert!(f.step_has(Step::Plenary, StepKind::Round));
        assert_eq!(FormRef::default().form().id, FormId::ThreeLevels);
    }

    #[test]
    fn the_gallery_offers_every_form() {
        let ids: Vec<FormId> = built().map(|f| f.id).collect();
        assert_eq!(ids, FormId::ALL.to_vec());
        let horizon = form(FormId::Horizon);
        assert!(horizon.consents());
        assert!(form(FormId::RulesOfPlay).consents());
        assert!(!form(FormId::BuildingBlocks).consents());
        // 002's table (the horizon's sentences) is open from step 1.
        assert_eq!(
            horizon.first_step_with(StepKind::ClusteredTable),
            Some(Step::Reflect)
        );
        assert!(horizon.step_has(Step::Plenary, StepKind::RatingScale));
        let rules = form(FormId::RulesOfPlay);
        assert!(rules.step_has(Step::Reflect, StepKind::GroupProfile));
        assert_eq!(
            rules.first_step_with(StepKind::ClusteredTable),
            Some(Step::Duos)
        );
        assert!(rules.step_has(Step::Plenary, StepKind::ConsentRound));
        let roles = form(FormId::Roles);
        assert!(roles.step_has(Step::Reflect, StepKind::PointsSplit));
        assert!(roles.step_has(Step::Reflect, StepKind::RoleClaims));
        assert!(roles.step_has(Step::Duos, StepKind::GroupProfile));
        assert!(roles.step_has(Step::Plenary, StepKind::Agreements));
        let blocks = form(FormId::BuildingBlocks);
        assert!(blocks.step_has(Step::Reflect, StepKind::RatingScale));
        // 004's step 2: the profile, and optional duos on the weakest blocks.
        assert!(blocks.step_has(Step::Duos, StepKind::GroupProfile));
        assert!(blocks.step_has(Step::Duos, StepKind::DuoRooms));
        assert!(!blocks.step_has(Step::Plenary, StepKind::DuoRooms));
        assert_eq!("005".parse::<FormId>(), Err(UnknownForm("005".into())));
    }
}
