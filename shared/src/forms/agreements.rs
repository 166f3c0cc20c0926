//! Work form 001's content ("Samenwerken DOEN"): the seed's three phases of the fence, the nine
//! fields of the consensus canvas, the seven rules of play, the three answers of a consent round,
//! and what the group sees of private answers — the phase distribution (k-anonymous, like 004's
//! profile) and a round's tally (counts and the objections' reasons, never who answered what).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FormId;
use crate::ids::ParticipantId;
use crate::method::Localized;
use crate::schema::table::TableView;
use crate::schema::voice::VoiceView;
use crate::step::Step;

const fn l(nl: &'static str, en: &'static str) -> Localized {
    Localized { nl, en }
}

crate::closed_set! {
    /// Where a collaboration stands: the seed's three phases of "de schutting".
    pub enum Phase {
        /// Fase 1: de schutting erkennen.
        Acknowledge => "acknowledge",
        /// Fase 2: de schutting doorzichtig maken.
        Transparent => "transparent",
        /// Fase 3: de schutting verruimen.
        Widen => "widen",
    }
}

impl Phase {
    pub fn name(self) -> Localized {
        match self {
            Phase::Acknowledge => l(
                "Fase 1: de schutting erkennen",
                "Phase 1: acknowledging the fence",
            ),
            Phase::Transparent => l(
                "Fase 2: de schutting doorzichtig maken",
                "Phase 2: making the fence transparent",
            ),
            Phase::Widen => l(
                "Fase 3: de schutting verruimen",
                "Phase 3: widening the fence",
            ),
        }
    }

    /// The seed's three lines per phase, joined.
    pub fn explanation(self) -> Localized {
        match self {
            Phase::Acknowledge => l(
                "Begrijpen en in stand laten van elkaars verschillen; weten waar je wel en niet van bent; begrijpen waarom de ander handelt zoals die handelt.",
                "Understanding and keeping each other's differences; knowing what is and is not yours; understanding why the other acts as they do.",
            ),
            Phase::Transparent => l(
                "Nadruk op interactie tussen groepen en individuen: hoe werken we samen over grenzen heen, hoe begrijpen we van elkaar wat we bedoelen?",
                "Emphasis on interaction between groups and individuals: how do we work across boundaries, how do we understand what the other means?",
            ),
            Phase::Widen => l(
                "Naast je eigen grens is er een gezamenlijke grens: samenwerken aan een gezamenlijk doel of ambitie. Wat is er nodig om dat doel te bereiken?",
                "Beside your own boundary there is a shared one: working on a shared goal or ambition. What does it take to reach that goal?",
            ),
        }
    }
}

/// The question of step 1.
pub const PHASE_QUESTION: Localized = l(
    "Waar staat deze samenwerking nu? Niemand ziet jouw antwoord: de groep ziet alleen de verdeling.",
    "Where does this collaboration stand now? Nobody sees your answer: the group sees only the distribution.",
);

crate::closed_set! {
    /// The fields of a canvas: 001's nine ("Consensus vastleggen", in the seed's order), then
    /// 002's horizon, landscape (success for three parties, ideal and acceptable; who is
    /// responsible and who can contribute), map (the rules of play, shared with 001, and the
    /// promoting and hindering factors from four perspectives) and lessons learned.
    pub enum FieldId {
        Rules => "rules",
        AtTable => "at_table",
        Mandate => "mandate",
        About => "about",
        NotAbout => "not_about",
        Roles => "roles",
        Preparation => "preparation",
        Routing => "routing",
        Evaluation => "evaluation",
        Horizon => "horizon",
        CollectiveIdeal => "collective_ideal",
        CollectiveAcceptable => "collective_acceptable",
        StakeholdersIdeal => "stakeholders_ideal",
        StakeholdersAcceptable => "stakeholders_acceptable",
        SocietyIdeal => "society_ideal",
        SocietyAcceptable => "society_acceptable",
        Responsible => "responsible",
        Contributors => "contributors",
        EmployeePromoting => "employee_promoting",
        EmployeeHindering => "employee_hindering",
        ManagersPromoting => "managers_promoting",
        ManagersHindering => "managers_hindering",
        OrganisationPromoting => "organisation_promoting",
        OrganisationHindering => "organisation_hindering",
        EnvironmentPromoting => "environment_promoting",
        EnvironmentHindering => "environment_hindering",
        Lessons => "lessons",
    }
}

/// 001's canvas: the seed's nine fields.
pub const CANVAS_001: [FieldId; 9] = [
    FieldId::Rules,
    FieldId::AtTable,
    FieldId::Mandate,
    FieldId::About,
    FieldId::NotAbout,
    FieldId::Roles,
    FieldId::Preparation,
    FieldId::Routing,
    FieldId::Evaluation,
];

/// 002's landscape: success for the collective, the stakeholders and society (the columns),
/// ideally and acceptably (the rows).
pub const SUCCESS: [FieldId; 6] = [
    FieldId::CollectiveIdeal,
    FieldId::StakeholdersIdeal,
    FieldId::SocietyIdeal,
    FieldId::CollectiveAcceptable,
    FieldId::StakeholdersAcceptable,
    FieldId::SocietyAcceptable,
];

/// 002's landscape: who is responsible, who can contribute.
pub const ACTORS: [FieldId; 2] = [FieldId::Responsible, FieldId::Contributors];

/// 002's map: what helps and what hinders (the rows) from the seed's four perspectives (the
/// columns: employee, managers, organisation, environment).
pub const FACTORS: [FieldId; 8] = [
    FieldId::EmployeePromoting,
    FieldId::ManagersPromoting,
    FieldId::OrganisationPromoting,
    FieldId::EnvironmentPromoting,
    FieldId::EmployeeHindering,
    FieldId::ManagersHindering,
    FieldId::OrganisationHindering,
    FieldId::EnvironmentHindering,
];

/// 002's step 2: the landscape (success, actors), then the map (the rules of play and
/// agreements, the factors).
pub const LANDSCAPE_AND_MAP: [FieldId; 17] = [
    FieldId::CollectiveIdeal,
    FieldId::StakeholdersIdeal,
    FieldId::SocietyIdeal,
    FieldId::CollectiveAcceptable,
    FieldId::StakeholdersAcceptable,
    FieldId::SocietyAcceptable,
    FieldId::Responsible,
    FieldId::Contributors,
    FieldId::Rules,
    FieldId::EmployeePromoting,
    FieldId::ManagersPromoting,
    FieldId::OrganisationPromoting,
    FieldId::EnvironmentPromoting,
    FieldId::EmployeeHindering,
    FieldId::ManagersHindering,
    FieldId::OrganisationHindering,
    FieldId::EnvironmentHindering,
];

/// A part of a canvas as screens lay it out: a heading (none for a canvas of one part), its
/// fields, and how many columns they form (0: as many as fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub name: Option<Localized>,
    pub fields: &'static [FieldId],
    pub columns: u8,
}

const fn section(name: Localized, fields: &'static [FieldId], columns: u8) -> Section {
    Section {
        name: Some(name),
        fields,
        columns,
    }
}

const LANDSCAPE_SECTIONS: [Section; 4] = [
    section(
        l(
            "Het landschap: wanneer zijn we succesvol?",
            "The landscape: when are we successful?",
        ),
        &SUCCESS,
        3,
    ),
    section(
        l(
            "Het landschap: wie zijn verantwoordelijk, wie kunnen bijdragen?",
            "The landscape: who is responsible, who can contribute?",
        ),
        &ACTORS,
        2,
    ),
    section(
        l(
            "De kaart: onze spelregels en afspraken",
            "The map: our rules of play and agreements",
        ),
        &[FieldId::Rules],
        1,
    ),
    section(
        l(
            "De kaart: wat bevordert en wat belemmert ons succes?",
            "The map: what helps and what hinders our success?",
        ),
        &FACTORS,
        4,
    ),
];

/// How a step's canvas is laid out: 002's landscape and map in their parts (the success as the
/// seed's 3 × 2, the factors as four perspectives × helps/hinders); every other canvas as one
/// part. The parts hold exactly the step's [`fields`].
pub fn sections(form: FormId, step: Step) -> Vec<Section> {
    let one = |fields| Section {
        name: None,
        fields,
        columns: 0,
    };
    match (form, step) {
        (FormId::Horizon, Step::Duos) => LANDSCAPE_SECTIONS.to_vec(),
        (FormId::Horizon, Step::Lobby | Step::Closed) => {
            let mut out = vec![one(&CANVAS_002[..1])];
            out.extend(LANDSCAPE_SECTIONS);
            out.push(one(&CANVAS_002[18..]));
            out
        }
        _ => vec![one(fields(form, step))],
    }
}

/// Every field of 002, in the order of its steps.
pub const CANVAS_002: [FieldId; 19] = {
    let mut out = [FieldId::Horizon; 19];
    let mut i = 0;
    while i < LANDSCAPE_AND_MAP.len() {
        out[i + 1] = LANDSCAPE_AND_MAP[i];
        i += 1;
    }
    out[18] = FieldId::Lessons;
    out
};

/// The canvas fields a form's step shows (and takes cards in): 001 all nine in every step; 002
/// the horizon in step 1, the landscape and the map in step 2, the lessons in step 3, and all of
/// them before and after. Forms without a canvas have none.
pub fn fields(form: FormId, step: Step) -> &'static [FieldId] {
    match (form, step) {
        (FormId::RulesOfPlay, _) => &CANVAS_001,
        (FormId::Horizon, Step::Reflect) => &CANVAS_002[..1],
        (FormId::Horizon, Step::Duos) => &LANDSCAPE_AND_MAP,
        (FormId::Horizon, Step::Plenary) => &CANVAS_002[18..],
        (FormId::Horizon, _) => &CANVAS_002,
        _ => &[],
    }
}

/// Every field of a form's canvas.
pub fn all_fields(form: FormId) -> &'static [FieldId] {
    fields(form, Step::Closed)
}

impl FieldId {
    pub fn name(self) -> Localized {
        match self {
            FieldId::Rules => l("Spelregels", "Rules of play"),
            FieldId::AtTable => l("Wie zit aan tafel?", "Who sits at the table?"),
            FieldId::Mandate => l("Mandaat", "Mandate"),
            FieldId::About => l(
                "Waar gaat de samenwerking over?",
                "What is the collaboration about?",
            ),
            FieldId::NotAbout => l(
                "Waar gaat de samenwerking niet over?",
                "What is the collaboration not about?",
            ),
            FieldId::Roles => l("Rollen", "Roles"),
            FieldId::Preparation => l("Voorbereiding", "Preparation"),
            FieldId::Routing => l("Routing", "Routing of decisions"),
            FieldId::Evaluation => l("Procesevaluatie", "Process evaluation"),
            FieldId::Horizon => l(
                "De horizon: waar gaan we voor?",
                "The horizon: what we go for",
            ),
            FieldId::CollectiveIdeal => l(
                "Succes voor het collectief — idealiter",
                "Success for the collective — ideally",
            ),
            FieldId::CollectiveAcceptable => l(
                "Succes voor het collectief — acceptabel",
                "Success for the collective — acceptably",
            ),
            FieldId::StakeholdersIdeal => l(
                "Succes voor de belanghebbenden — idealiter",
                "Success for the stakeholders — ideally",
            ),
            FieldId::StakeholdersAcceptable => l(
                "Succes voor de belanghebbenden — acceptabel",
                "Success for the stakeholders — acceptably",
            ),
            FieldId::SocietyIdeal => l(
                "Succes voor de samenleving — idealiter",
                "Success for society — ideally",
            ),
            FieldId::SocietyAcceptable => l(
                "Succes voor de samenleving — acceptabel",
                "Success for society — acceptably",
            ),
            FieldId::Responsible => l("Wie zijn verantwoordelijk?", "Who is responsible?"),
            FieldId::Contributors => l("Wie kunnen bijdragen?", "Who can contribute?"),
            FieldId::EmployeePromoting => l("Medewerker: wat bevordert", "Employee: what helps"),
            FieldId::EmployeeHindering => l("Medewerker: wat belemmert", "Employee: what hinders"),
            FieldId::ManagersPromoting => {
                l("Leidinggevenden: wat bevordert", "Managers: what helps")
            }
            FieldId::ManagersHindering => {
                l("Leidinggevenden: wat belemmert", "Managers: what hinders")
            }
            FieldId::OrganisationPromoting => {
                l("Organisatie: wat bevordert", "Organisation: what helps")
            }
            FieldId::OrganisationHindering => {
                l("Organisatie: wat belemmert", "Organisation: what hinders")
            }
            FieldId::EnvironmentPromoting => {
                l("Omgeving: wat bevordert", "Environment: what helps")
            }
            FieldId::EnvironmentHindering => {
                l("Omgeving: wat belemmert", "Environment: what hinders")
            }
            FieldId::Lessons => l("Lessons learned", "Lessons learned on the way"),
        }
    }
}

/// The seed's seven rules of play, pre-filled as proposals the group may adopt, adapt or drop.
pub const RULES: [Localized; 7] = [
    l(
        "We praten alleen over oplossingen die we zelf kunnen inzetten of realiseren.",
        "We only talk about solutions we can deploy or realise ourselves.",
    ),
    l(
        "Problemen benoemen mag, maar altijd gevolgd door een voorstel of een oplossing!",
        "Naming problems is allowed, but always followed by a proposal or a solution!",
    ),
    l(
        "Iedereen zit aan tafel namens zijn of haar organisatie en heeft het mandaat om afspraken te maken.",
        "Everyone sits at the table on behalf of their organisation and has the mandate to make agreements.",
    ),
    l(
        "Na elke bijeenkomst vernieuwt iedere persoon zijn/haar mandaat op basis van de uitkomst van de bijeenkomst.",
        "After every meeting each person renews their mandate based on the meeting's outcome.",
    ),
    l(
        "Elke deelnemer spreekt zijn zorgen of bedenkingen uit.",
        "Every participant voices their concerns or reservations.",
    ),
    l(
        "We werken met bondige, concrete verslagen die uitleggen welke afspraken en keuzes we maken en waarom.",
        "We work with concise, concrete reports that explain which agreements and choices we make and why.",
    ),
    l(
        "Verantwoordelijkheid voor een deel = medeverantwoordelijkheid voor het geheel.",
        "Responsibility for a part = shared responsibility for the whole.",
    ),
];

/// The seed's words on a TWO, shown with the consent round.
pub const TWO_QUOTE: Localized = l(
    "We zijn van elkaar afhankelijk, we respecteren de verschillen van mening, maar we moeten handelen.",
    "We depend on each other, we respect our differences of opinion, but we have to act.",
);

crate::closed_set! {
    /// A participant's answer in a consent round.
    pub enum Answer {
        /// "akkoord"
        Agree => "agree",
        /// "werkbaar voor nu"
        Workable => "workable",
        /// "bezwaar" (always with a reason: rule 5, everyone voices their concerns)
        Object => "object",
    }
}

impl Answer {
    pub fn label(self) -> Localized {
        match self {
            Answer::Agree => l("Akkoord", "Agree"),
            Answer::Workable => l("Werkbaar voor nu", "Workable for now"),
            Answer::Object => l("Bezwaar", "Objection"),
        }
    }
}

crate::closed_set! {
    /// Where a proposal stands.
    pub enum Status {
        /// Proposed; may be asked, amended, adopted or dropped.
        Open => "open",
        /// Adopted: a TWO (tijdelijk werkbare overeenkomst) with its reasons and a review date.
        Adopted => "adopted",
        /// Dropped by the group.
        Dropped => "dropped",
    }
}

/// How many people chose each phase, published only once at least `k` answered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Phases {
    pub answered: u32,
    pub counts: BTreeMap<Phase, u32>,
}

impl Phases {
    /// The distribution of the answers given, or `None` with fewer than `k` answers (fewer
    /// would let a small group tell who chose what).
    pub fn of(answers: &[Option<Phase>], k: u32) -> Option<Phases> {
        let given: Vec<Phase> = answers.iter().flatten().copied().collect();
        if (given.len() as u32) < k.max(1) {
            return None;
        }
        let mut counts = BTreeMap::new();
        for p in &given {
            *counts.entry(*p).or_insert(0) += 1;
        }
        Some(Phases {
            answered: given.len() as u32,
            counts,
        })
    }

    pub fn count(&self, p: Phase) -> u32 {
        self.counts.get(&p).copied().unwrap_or(0)
    }
}

/// One participant's answer in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Given {
    pub round: u32,
    pub answer: Answer,
    pub reason: String,
}

/// What the group sees of a consent round: the counts per answer and the reasons of the
/// objections (and of "workable for now" where one was given), never who gave which.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub round: u32,
    pub agree: u32,
    pub workable: u32,
    pub object: u32,
    /// The objections' reasons, sorted (an order of arrival would tell who wrote which).
    pub objections: Vec<String>,
    /// Reasons given with "workable for now", sorted.
    pub concerns: Vec<String>,
}

impl Tally {
    /// Counts the answers given in `round` (answers to earlier rounds do not count).
    pub fn of<'a>(round: u32, answers: impl IntoIterator<Item = &'a Given>) -> Tally {
        let mut t = Tally {
            round,
            ..Tally::default()
        };
        for g in answers.into_iter().filter(|g| g.round == round) {
            match g.answer {
                Answer::Agree => t.agree += 1,
                Answer::Workable => {
                    t.workable += 1;
                    if !g.reason.trim().is_empty() {
                        t.concerns.push(g.reason.clone());
                    }
                }
                Answer::Object => {
                    t.object += 1;
                    t.objections.push(g.reason.clone());
                }
            }
        }
        t.objections.sort();
        t.concerns.sort();
        t
    }

    pub fn answered(&self) -> u32 {
        self.agree + self.workable + self.object
    }

    /// Consent: somebody answered and nobody objects.
    pub fn consents(&self) -> bool {
        self.answered() > 0 && self.object == 0
    }
}

/// One card on the consensus canvas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanvasItem {
    /// `<participant id>.<card id>`, as the table names a participant's card.
    pub key: String,
    pub owner: ParticipantId,
    pub text: String,
    /// The rewording the facilitator proposes, while the author has not taken it over.
    pub reword: Option<String>,
    /// The author took the facilitator's rewording over (the text is the rewording).
    pub reworded: bool,
    /// The facilitator moved it from the field its author chose.
    pub moved_from: Option<FieldId>,
}

/// Cards the facilitator merged (they say the same thing): the base first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanvasGroup {
    pub cards: Vec<CanvasItem>,
}

/// The `fields` of a canvas, in their order, with their cards as the facilitator curated them on
/// the table document: a card lies in the field its placement names (its author's field while
/// the facilitator did not move it), merged cards in one group (one deep, never across fields,
/// see [`TableView::layout`]); groups in their placement order, then by key.
pub fn canvas(
    fields: &[FieldId],
    voices: &[(ParticipantId, VoiceView)],
    table: &TableView,
) -> Vec<(FieldId, Vec<CanvasGroup>)> {
    let mut by_field: BTreeMap<FieldId, Vec<CanvasItem>> = BTreeMap::new();
    for (owner, v) in voices {
        for c in &v.canvas {
            if c.text.trim().is_empty() {
                continue;
            }
            let key = crate::plenary::voice_key(*owner, &c.id);
            let field = table
                .cards
                .get(&key)
                .and_then(|p| FieldId::parse(&p.cluster))
                .unwrap_or(c.field);
            let proposed = table.rewordings.get(&key);
            by_field.entry(field).or_default().push(CanvasItem {
                owner: *owner,
                text: c.text.clone(),
                reword: proposed.filter(|r| **r != c.text).cloned(),
                reworded: proposed.is_some_and(|r| *r == c.text),
                moved_from: (field != c.field).then_some(c.field),
                key,
            });
        }
    }
    fields
        .iter()
        .map(|&f| {
            let items = by_field.remove(&f).unwrap_or_default();
            let layout = table.layout(items.iter().map(|c| c.key.as_str()));
            let item = |k: &str| items.iter().find(|c| c.key == k).cloned();
            let groups = layout
                .clusters
                .iter()
                .flat_map(|(_, stacks)| stacks)
                .chain(&layout.unsorted)
                .map(|stack| CanvasGroup {
                    cards: stack.keys().filter_map(item).collect(),
                })
                .filter(|g| !g.cards.is_empty())
                .collect();
            (f, groups)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facilitator moves one card to another field, merges two and proposes a rewording;
    /// the author takes it over: the canvas shows each, and never merges across fields.
    #[test]
    fn the_canvas_follows_the_curation_on_the_table() {
        use crate::schema::table::{self, Placement};
        use crate::schema::voice::CanvasCard;
        let (a, b) = (ParticipantId::random(), ParticipantId::random());
        let card = |id: &str, field, text: &str| CanvasCard {
            id: id.into(),
            field,
            text: text.into(),
        };
        let voices = vec![
            (
                a,
                VoiceView {
                    canvas: vec![
                        card("c1", FieldId::Mandate, "Mandaat per organisatie"),
                        card("c2", FieldId::Rules, "Eerst luisteren"),
                    ],
                    ..VoiceView::default()
                },
            ),
            (
                b,
                VoiceView {
                    canvas: vec![
                        card("c1", FieldId::Mandate, "Ieder heeft mandaat"),
                        card("c2", FieldId::Roles, "Wie is voorzitter?"),
                    ],
                    ..VoiceView::default()
                },
            ),
        ];
        let key = |p: ParticipantId, c: &str| crate::plenary::voice_key(p, c);
        let mut t = TableView::default();
        let place = |cluster: &str, stack: Option<String>| Placement {
            cluster: cluster.into(),
            order: 1.0,
            stack,
        };
        t.cards
            .insert(key(b, "c1"), place("mandate", Some(key(a, "c1"))));
        t.cards.insert(key(a, "c1"), place("mandate", None));
        // Moved from roles to at_table; a stack onto a card of another field is no merge.
        t.cards
            .insert(key(b, "c2"), place("at_table", Some(key(a, "c2"))));
        t.rewordings
            .insert(key(a, "c2"), "Eerst luisteren, dan spreken".into());
        t.rewordings
            .insert(key(b, "c1"), "Ieder heeft mandaat".into());
        let c = canvas(&CANVAS_001, &voices, &t);
        assert_eq!(c.len(), 9);
        let field = |f| &c.iter().find(|(x, _)| *x == f).unwrap().1;
        assert_eq!(field(FieldId::Mandate).len(), 1, "merged into one group");
        assert_eq!(field(FieldId::Mandate)[0].cards.len(), 2);
        assert!(field(FieldId::Mandate)[0].cards[1].reworded);
        let at_table = field(FieldId::AtTable);
        assert_eq!(at_table.len(), 1);
        assert_eq!(at_table[0].cards[0].moved_from, Some(FieldId::Roles));
        let rules = field(FieldId::Rules);
        assert_eq!(
            rules[0].cards[0].reword.as_deref(),
            Some("Eerst luisteren, dan spreken")
        );
        assert!(field(FieldId::Roles).is_empty());
        let _ = table::MAX_KEY;
    }

    #[test]
    fn each_form_shows_its_fields_per_step() {
        assert_eq!(fields(FormId::RulesOfPlay, Step::Reflect), &CANVAS_001);
        assert_eq!(fields(FormId::Horizon, Step::Reflect), &[FieldId::Horizon]);
        assert_eq!(fields(FormId::Horizon, Step::Plenary), &[FieldId::Lessons]);
        assert!(fields(FormId::Horizon, Step::Duos).contains(&FieldId::Rules));
        let all = all_fields(FormId::Horizon);
        let distinct: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "each of 002's fields once");
        assert_eq!(all.len(), 19);
        for f in FieldId::ALL {
            assert!(
                CANVAS_001.contains(&f) || all.contains(&f),
                "{f} in no form"
            );
        }
        assert!(fields(FormId::BuildingBlocks, Step::Plenary).is_empty());
        // The sections hold exactly the step's fields, in their order.
        for form in [FormId::RulesOfPlay, FormId::Horizon] {
            for step in Step::ALL {
                let laid: Vec<FieldId> = sections(form, step)
                    .iter()
                    .flat_map(|s| s.fields.iter().copied())
                    .collect();
                assert_eq!(laid, fields(form, step), "{form} {step}");
            }
        }
        for s in LANDSCAPE_SECTIONS {
            let name = s.name.unwrap();
            assert_ne!(name.nl, name.en);
            assert_eq!(s.fields.len() % usize::from(s.columns), 0, "full rows");
        }
    }

    #[test]
    fn a_distribution_needs_k_answers() {
        let a = [
            Some(Phase::Acknowledge),
            None,
            Some(Phase::Widen),
            Some(Phase::Acknowledge),
        ];
        assert_eq!(Phases::of(&a, 4), None);
        let p = Phases::of(&a, 3).unwrap();
        assert_eq!(p.answered, 3);
        assert_eq!(p.count(Phase::Acknowledge), 2);
        assert_eq!(p.count(Phase::Transparent), 0);
    }

    #[test]
    fn a_tally_counts_only_its_round_and_hides_the_order() {
        let g = |round, answer, reason: &str| Given {
            round,
            answer,
            reason: reason.into(),
        };
        let answers = [
            g(2, Answer::Object, "Zonder budget kan het niet"),
            g(2, Answer::Agree, ""),
            g(1, Answer::Object, "oud"),
            g(2, Answer::Workable, "Na drie maanden herzien"),
            g(2, Answer::Object, "Aanvullen met de wijkteams"),
        ];
        let t = Tally::of(2, &answers);
        assert_eq!((t.agree, t.workable, t.object, t.answered()), (1, 1, 2, 4));
        assert_eq!(
            t.objections,
            vec!["Aanvullen met de wijkteams", "Zonder budget kan het niet"]
        );
        assert!(!t.consents());
        assert!(Tally::of(3, &answers).answered() == 0);
        assert!(!Tally::of(3, &answers).consents());
        let t1 = Tally::of(1, &answers);
        assert_eq!(t1.objections, vec!["oud"]);
    }
}
