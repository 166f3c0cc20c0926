//! The workshop document: title, language, step, the facilitator's plan, the step timer, the
//! last broadcast message, the console lock, and the roster.
//!
//! ```text
//! { title: str, language: "nl"|"en", step: Step,
//!   form?: { id: "000"|"004", version: int },                // absent: 000 v1 (older workshops)
//!   plan: { questions: { <level>: [question id] },          // 0–3 per level; bank or custom ids
//!           custom: { <id>: { level, text } },               // the facilitator's own questions
//!           minutes: { reflect, duos, plenary, turn, joint }, // 1–180
//!           extra_marks: bool, extra_small_change: bool,
//!           energy_dots: int,                                // 1–10 dots per person in step 3
//!           k?: int },                                       // 2–20: answers before a profile shows
//!   timer: { duration_ms, ends_at?, remaining_ms },           // server clock; written by the server
//!   broadcast?: { id, text, at },
//!   lock?: <facilitator id>,                                  // only this facilitator steers
//!   duos: { <duo id>: { members: [participant id], doc?: <room document>,
//!                       number?: int } },                     // 1–500, kept while the duo stays
//!   table?: <document id>,                                    // the plenary table; server writes
//!   round?: { order: [duo id], at: int, running: bool },      // step 3's round of insights
//!   report_shared?: bool,                                     // participants may fetch the report
//!   step1?: { people, individual, collegial, collective, green, red, <ring>_green, <ring>_red },
//!                                                             // server writes on purge
//!   profile?: { answered, blocks: { <block>: { "1".."5": int } } }, // 004; server writes, ≥ k
//!   rated?: int,                                              // 004/003: how many answered; server
//!   balance?: { answered, organisation, individual, network }, // 003: summed points; server, ≥ k
//!   role_map?: { <participant id>: { <role id>: "hold_now"|"want" } }, // 003: published claims;
//!                                                             // the server mirrors the sheets
//!   agreements?: { <id>: { role, who, from, note? } },        // 003: role agreements (facilitator)
//!   phases_shown?, phases?, proposals?, asking?, tallies?,    // 001: see `schema::proposals`
//!   collaboration?: { id, sessions, ledger, backpack },       // see `schema::collaboration`
//!   roster: { <participant id>: { name, organisation, joined_at, reflection?: <doc>,
//!                                 voice?: <doc>, rating?: <doc>, role_sheet?: <doc>,
//!                                 answers?: <doc> } } }
//! ```
//! Facilitators write it; the server writes roster entries, the timer and `step1` (the anonymous
//! counts of step 1, kept when the reflection documents are purged after closing) and `profile`
//! (004's k-anonymous group profile of the private ratings).

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::proposals::{self, ConsensusView};
use super::reflection::Mark;
use super::{MapReader, SchemaError, ensure_map};
use crate::forms::blocks::{self, BlockId, Profile};
use crate::forms::roles::{self, Balance, Claim, Perspective, RoleId};
use crate::forms::{FormId, FormRef};
use crate::ids::{DocumentId, DuoId, FacilitatorId, ParticipantId};
use crate::method::{self, LevelId};
use crate::step::Step;
use crate::timer::{MAX_TIMER_MS, Timer};

pub const MAX_TITLE: usize = 120;
pub const MAX_NAME: usize = 80;
pub const MAX_ORGANISATION: usize = 120;
pub const MAX_ROSTER: usize = 500;
pub const MAX_QUESTION: usize = 300;
pub const MAX_CUSTOM_QUESTIONS: usize = 30;
pub const MAX_BROADCAST: usize = 200;
pub const LANGUAGES: [&str; 2] = ["nl", "en"];
/// The keys of `plan.minutes`.
pub const MINUTE_KEYS: [&str; 5] = ["reflect", "duos", "plenary", "turn", "joint"];

/// One person on the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub id: ParticipantId,
    pub name: String,
    pub organisation: String,
    pub joined_at: i64,
    /// Their reflection document (readable only by them, and by their duo partner in step 2).
    pub reflection: Option<DocumentId>,
    /// Their voice in the plenary (energy dots, short cards, small change); the server creates it.
    pub voice: Option<DocumentId>,
    /// Their private ratings (work form 004; readable only by them); the server creates it.
    #[serde(default)]
    pub rating: Option<DocumentId>,
    /// Their private role sheet (work form 003; readable only by them); the server creates it.
    #[serde(default)]
    pub role_sheet: Option<DocumentId>,
    /// Their private answers (work form 001: phase, consent; readable only by them); the server
    /// creates it.
    #[serde(default)]
    pub answers: Option<DocumentId>,
}

/// One role agreement of form 003's step 3: who takes which role, from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: String,
    pub role: RoleId,
    /// Who takes it up (a name as the group says it).
    pub who: String,
    /// From when ("vanaf januari", a date).
    pub from: String,
    pub note: String,
}

pub const MAX_AGREEMENTS: usize = 60;
pub const MAX_AGREEMENT_WHO: usize = 80;
pub const MAX_AGREEMENT_FROM: usize = 40;
pub const MAX_AGREEMENT_NOTE: usize = 200;

/// A question the facilitator wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomQuestion {
    pub id: String,
    pub level: LevelId,
    pub text: String,
}

/// Lengths in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes {
    pub reflect: u32,
    pub duos: u32,
    pub plenary: u32,
    /// One person's speaking turn in a duo.
    pub turn: u32,
    /// The duo's joint reflection.
    pub joint: u32,
}

impl Default for Minutes {
    fn default() -> Self {
        Minutes {
            reflect: method::STEPS[0].default_minutes,
            duos: method::STEPS[1].default_minutes,
            plenary: method::STEPS[2].default_minutes,
            turn: method::DEFAULT_TURN_MINUTES,
            joint: method::DEFAULT_JOINT_MINUTES,
        }
    }
}

impl Minutes {
    /// The length of a step's timer, if the step has one.
    pub fn for_step(&self, step: Step) -> Option<u32> {
        match step {
            Step::Reflect => Some(self.reflect),
            Step::Duos => Some(self.duos),
            Step::Plenary => Some(self.plenary),
            Step::Lobby | Step::Closed => None,
        }
    }
}

/// The facilitator's plan for the work form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Chosen question ids per level, in order.
    pub questions: BTreeMap<LevelId, Vec<String>>,
    pub custom: Vec<CustomQuestion>,
    pub minutes: Minutes,
    pub extra_marks: bool,
    pub extra_small_change: bool,
    /// Energy dots each participant places on the levels in step 3 (004: on the actions).
    pub energy_dots: u32,
    /// How many people must answer a private rating before the group sees its aggregate.
    pub k: u32,
}

/// The energy dots a new plan gives each person.
pub const DEFAULT_ENERGY_DOTS: u32 = 3;

impl Default for Plan {
    fn default() -> Self {
        Plan {
            questions: LevelId::ALL
                .into_iter()
                .map(|l| {
                    (
                        l,
                        method::default_questions(l)
                            .into_iter()
                            .map(String::from)
                            .collect(),
                    )
                })
                .collect(),
            custom: vec![],
            minutes: Minutes::default(),
            extra_marks: true,
            extra_small_change: true,
            energy_dots: DEFAULT_ENERGY_DOTS,
            k: blocks::DEFAULT_K,
        }
    }
}

impl Minutes {
    /// The form's default lengths of its three steps (duo turns as in 000).
    pub fn of_form(form: FormId) -> Minutes {
        let steps = crate::forms::form(form).steps;
        let m = |i: usize| steps.get(i).map_or(10, |s| s.default_minutes);
        Minutes {
            reflect: m(0),
            duos: m(1),
            plenary: m(2),
            ..Minutes::default()
        }
    }
}

impl Plan {
    /// The text of a chosen question, from the bank or the facilitator's own.
    pub fn question_text(&self, id: &str, language: &str) -> Option<String> {
        if let Some((_, q)) = method::question(id) {
            return Some(q.text.get(language).to_owned());
        }
        self.custom
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.text.clone())
    }

    /// The chosen questions of a level, as texts.
    pub fn chosen(&self, level: LevelId, language: &str) -> Vec<String> {
        self.questions
            .get(&level)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.question_text(id, language))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One duo (or trio) of step 2 and the document of its room. Facilitators write the groups;
/// the server creates each room's document and writes its id into `doc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuoEntry {
    pub id: DuoId,
    pub members: Vec<ParticipantId>,
    pub doc: Option<DocumentId>,
    /// The number people know the duo by ("Duo 3"), given when the duo is made and kept while
    /// it stays, so a latecomers' duo never renumbers the others. `None` in workshops from
    /// before numbers were stored: [`WorkshopView::duo_number`] then counts in the plan's order.
    #[serde(default)]
    pub number: Option<u32>,
}

/// Most people in one group (a trio, plus a latecomer the facilitator adds).
pub const MAX_DUO_MEMBERS: usize = 4;

/// A short message from the facilitator to everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    pub id: String,
    pub text: String,
    pub at: i64,
}

/// Step 3's round: each duo in turn shares one insight, nobody reacts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Round {
    pub order: Vec<DuoId>,
    /// Index into `order` of the duo that shares now.
    pub at: usize,
    /// While the round runs, reactions (voice documents) are locked for everyone.
    pub running: bool,
}

impl Round {
    /// The duo that shares now, while the round runs.
    pub fn current(&self) -> Option<DuoId> {
        self.running
            .then(|| self.order.get(self.at).copied())
            .flatten()
    }
}

/// What views read from the workshop document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkshopView {
    pub title: String,
    /// The work form it runs (000 for workshops made before forms were data).
    pub form: FormRef,
    pub language: String,
    pub step: Option<Step>,
    pub plan: Plan,
    pub timer: Timer,
    pub broadcast: Option<Broadcast>,
    pub lock: Option<FacilitatorId>,
    /// The groups of step 2, sorted by id.
    pub duos: Vec<DuoEntry>,
    pub table: Option<DocumentId>,
    pub round: Round,
    /// Sorted by join time, then id.
    pub roster: Vec<RosterEntry>,
    /// Participants may fetch the workshop report.
    pub report_shared: bool,
    /// Step 1's anonymous counts, once the server has kept them (at the purge of reflections).
    pub step1: Option<Step1Counts>,
    /// 004's group profile, once at least `plan.k` people rated (the server writes it).
    pub profile: Option<Profile>,
    /// 004: how many people rated at least one block so far (a count, never what they gave), so
    /// the facilitator knows when the profile can show.
    pub rated: u32,
    /// 003's balance over the three perspectives, once at least `plan.k` people divided their
    /// points (the server writes it, from the role-map step on).
    pub balance: Option<Balance>,
    /// 003's published claims per person (the server copies them from the role sheets whose
    /// owner published them; never an unpublished claim).
    pub role_map: BTreeMap<ParticipantId, BTreeMap<RoleId, Claim>>,
    /// 003's role agreements, in the seed's order of the roles, then by who.
    pub agreements: Vec<Agreement>,
    /// 001's proposals, consent rounds, TWOs and phase distribution.
    #[serde(default)]
    pub consensus: ConsensusView,
    /// The collaboration this session belongs to, with what earlier sessions left.
    #[serde(default)]
    pub collaboration: Option<super::collaboration::CollaborationView>,
}

/// Step 1 as anonymous aggregates: how many people wrote notes, how many notes sit in each ring
/// and how many are marked green or red. Never the notes themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Step1Counts {
    /// Participants with at least one note.
    pub people: u32,
    pub individual: u32,
    pub collegial: u32,
    pub collective: u32,
    pub green: u32,
    pub red: u32,
    /// Green and red marks per ring.
    #[serde(default)]
    pub individual_green: u32,
    #[serde(default)]
    pub individual_red: u32,
    #[serde(default)]
    pub collegial_green: u32,
    #[serde(default)]
    pub collegial_red: u32,
    #[serde(default)]
    pub collective_green: u32,
    #[serde(default)]
    pub collective_red: u32,
}

impl Step1Counts {
    /// The keys of `step1`, in the order of the fields.
    pub const KEYS: [&'static str; 12] = [
        "people",
        "individual",
        "collegial",
        "collective",
        "green",
        "red",
        "individual_green",
        "individual_red",
        "collegial_green",
        "collegial_red",
        "collective_green",
        "collective_red",
    ];

    pub fn values(&self) -> [u32; 12] {
        [
            self.people,
            self.individual,
            self.collegial,
            self.collective,
            self.green,
            self.red,
            self.individual_green,
            self.individual_red,
            self.collegial_green,
            self.collegial_red,
            self.collective_green,
            self.collective_red,
        ]
    }

    /// The counts from values in the order of [`Self::KEYS`].
    pub fn from_values(v: [u32; 12]) -> Self {
        Step1Counts {
            people: v[0],
            individual: v[1],
            collegial: v[2],
            collective: v[3],
            green: v[4],
            red: v[5],
            individual_green: v[6],
            individual_red: v[7],
            collegial_green: v[8],
            collegial_red: v[9],
            collective_green: v[10],
            collective_red: v[11],
        }
    }

    /// Both sets of counts added up.
    pub fn plus(&self, other: &Step1Counts) -> Step1Counts {
        let (a, b) = (self.values(), other.values());
        Step1Counts::from_values(std::array::from_fn(|i| a[i] + b[i]))
    }

    /// Notes in a ring, and how many of them are marked green and red.
    pub fn ring(&self, level: LevelId) -> (u32, u32, u32) {
        match level {
            LevelId::Individual => (self.individual, self.individual_green, self.individual_red),
            LevelId::Collegial => (self.collegial, self.collegial_green, self.collegial_red),
            LevelId::Collective => (self.collective, self.collective_green, self.collective_red),
        }
    }

    /// Adds one note in `ring` with `mark`.
    pub fn count_note(&mut self, ring: LevelId, mark: Mark) {
        let (n, g, r) = match ring {
            LevelId::Individual => (
                &mut self.individual,
                &mut self.individual_green,
                &mut self.individual_red,
            ),
            LevelId::Collegial => (
                &mut self.collegial,
                &mut self.collegial_green,
                &mut self.collegial_red,
            ),
            LevelId::Collective => (
                &mut self.collective,
                &mut self.collective_green,
                &mut self.collective_red,
            ),
        };
        *n += 1;
        match mark {
            Mark::Green => {
                *g += 1;
                self.green += 1;
            }
            Mark::Red => {
                *r += 1;
                self.red += 1;
            }
            Mark::None => {}
        }
    }
}

impl WorkshopView {
    /// The number people know duo `duo` by: the one stored with it, else (workshops from
    /// before numbers were stored) its place in the plan's order (`duos` is sorted by number).
    pub fn duo_number(&self, duo: DuoId) -> Option<u32> {
        let i = self.duos.iter().position(|d| d.id == duo)?;
        Some(self.duos[i].number.unwrap_or(i as u32 + 1))
    }

    /// The organisations on the roster, each once, as first written.
    pub fn organisations(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        self.roster
            .iter()
            .map(|r| r.organisation.trim().to_owned())
            .filter(|o| !o.is_empty() && seen.insert(o.to_lowercase()))
            .collect()
    }
}

fn read_plan<D: ReadDoc>(root: &MapReader<'_, D>) -> Plan {
    let Some(plan) = root.map("plan").ok().flatten() else {
        return Plan::default();
    };
    let mut out = Plan::default();
    if let Some(q) = plan.map("questions").ok().flatten() {
        for level in LevelId::ALL {
            if let Some(list) = q
                .string_list(level.as_str(), usize::MAX, usize::MAX)
                .ok()
                .flatten()
            {
                out.questions.insert(level, list);
            }
        }
    }
    if let Some(custom) = plan.map("custom").ok().flatten() {
        out.custom = custom
            .keys()
            .into_iter()
            .filter_map(|id| {
                let c = custom.map(&id).ok()??;
                Some(CustomQuestion {
                    level: LevelId::parse(&c.string("level", 32).ok()??)?,
                    text: c.string("text", usize::MAX).ok()??,
                    id,
                })
            })
            .collect();
    }
    if let Some(m) = plan.map("minutes").ok().flatten() {
        let get = |k: &str, d: u32| m.number(k).ok().flatten().map(|n| n as u32).unwrap_or(d);
        let d = Minutes::default();
        out.minutes = Minutes {
            reflect: get("reflect", d.reflect),
            duos: get("duos", d.duos),
            plenary: get("plenary", d.plenary),
            turn: get("turn", d.turn),
            joint: get("joint", d.joint),
        };
    }
    out.extra_marks = plan.boolean("extra_marks").ok().flatten().unwrap_or(true);
    out.extra_small_change = plan
        .boolean("extra_small_change")
        .ok()
        .flatten()
        .unwrap_or(true);
    out.energy_dots = plan
        .number("energy_dots")
        .ok()
        .flatten()
        .map(|n| n as u32)
        .unwrap_or(DEFAULT_ENERGY_DOTS);
    out.k = plan
        .number("k")
        .ok()
        .flatten()
        .map(|n| n as u32)
        .unwrap_or(blocks::DEFAULT_K);
    out
}

/// The form a workshop runs; a document without `form` (made before forms were data) runs 000.
fn read_form<D: ReadDoc>(root: &MapReader<'_, D>) -> FormRef {
    let Some(f) = root.map("form").ok().flatten() else {
        return FormRef::default();
    };
    let Some(id) = f
        .string("id", 8)
        .ok()
        .flatten()
        .and_then(|s| s.parse::<FormId>().ok())
    else {
        return FormRef::default();
    };
    FormRef {
        id,
        version: f
            .number("version")
            .ok()
            .flatten()
            .map_or(1, |n| n.max(1.0) as u32),
    }
}

fn read_profile<D: ReadDoc>(root: &MapReader<'_, D>) -> Option<Profile> {
    let p = root.map("profile").ok().flatten()?;
    let mut out = Profile {
        answered: p.number("answered").ok().flatten().unwrap_or(0.0).max(0.0) as u32,
        ..Profile::default()
    };
    if let Some(b) = p.map("blocks").ok().flatten() {
        for block in BlockId::ALL {
            let Some(c) = b.map(block.as_str()).ok().flatten() else {
                continue;
            };
            let counts =
                PROFILE_SCORES.map(|k| c.number(k).ok().flatten().unwrap_or(0.0).max(0.0) as u32);
            out.blocks.insert(block, counts);
        }
    }
    Some(out)
}

/// The keys of one block's counts in `profile`.
const PROFILE_SCORES: [&str; 5] = ["1", "2", "3", "4", "5"];

fn read_round<D: ReadDoc>(root: &MapReader<'_, D>) -> Round {
    let Some(r) = root.map("round").ok().flatten() else {
        return Round::default();
    };
    Round {
        order: r
            .string_list("order", usize::MAX, 64)
            .ok()
            .flatten()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect(),
        at: r.number("at").ok().flatten().unwrap_or(0.0).max(0.0) as usize,
        running: r.boolean("running").ok().flatten().unwrap_or(false),
    }
}

fn read_doc_id<D: ReadDoc>(m: &MapReader<'_, D>, key: &str) -> Option<DocumentId> {
    m.string(key, 64)
        .ok()
        .flatten()
        .and_then(|s| DocumentId::from_url(&s).ok())
}

fn read_timer<D: ReadDoc>(root: &MapReader<'_, D>) -> Timer {
    let Some(t) = root.map("timer").ok().flatten() else {
        return Timer::default();
    };
    let num = |k: &str| t.number(k).ok().flatten().map(|n| n as i64);
    Timer {
        duration_ms: num("duration_ms").unwrap_or(0),
        ends_at: num("ends_at"),
        remaining_ms: num("remaining_ms").unwrap_or(0),
    }
}

/// How many people the roster holds, without reading their entries.
pub fn roster_len(doc: &impl ReadDoc) -> usize {
    match doc.get(automerge::ROOT, "roster") {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => doc.length(&id),
        _ => 0,
    }
}

/// Reads the document tolerantly: a field that is missing or malformed reads as its default.
pub fn view(doc: &impl ReadDoc) -> WorkshopView {
    let root = MapReader::root(doc);
    let mut roster: Vec<RosterEntry> = root
        .map("roster")
        .ok()
        .flatten()
        .map(|r| {
            r.keys()
                .into_iter()
                .filter_map(|key| {
                    let entry = r.map(&key).ok()??;
                    Some(RosterEntry {
                        id: key.parse().ok()?,
                        name: entry.string("name", usize::MAX).ok()??,
                        organisation: entry
                            .string("organisation", usize::MAX)
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                        joined_at: entry.number("joined_at").ok().flatten().unwrap_or(0.0) as i64,
                        reflection: read_doc_id(&entry, "reflection"),
                        voice: read_doc_id(&entry, "voice"),
                        rating: read_doc_id(&entry, "rating"),
                        role_sheet: read_doc_id(&entry, "role_sheet"),
                        answers: read_doc_id(&entry, "answers"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    roster.sort_by_key(|r| (r.joined_at, r.id));
    let broadcast = root.map("broadcast").ok().flatten().and_then(|b| {
        Some(Broadcast {
            id: b.string("id", usize::MAX).ok()??,
            text: b.string("text", usize::MAX).ok()??,
            at: b.number("at").ok().flatten().unwrap_or(0.0) as i64,
        })
    });
    WorkshopView {
        title: root
            .string("title", usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default(),
        form: read_form(&root),
        language: root
            .string("language", 8)
            .ok()
            .flatten()
            .unwrap_or_else(|| "nl".into()),
        step: root
            .string("step", 32)
            .ok()
            .flatten()
            .and_then(|s| s.parse().ok()),
        plan: read_plan(&root),
        timer: read_timer(&root),
        broadcast,
        lock: root
            .string("lock", 64)
            .ok()
            .flatten()
            .and_then(|s| s.parse().ok()),
        duos: read_duos(&root),
        table: read_doc_id(&root, "table"),
        round: read_round(&root),
        roster,
        report_shared: root
            .boolean("report_shared")
            .ok()
            .flatten()
            .unwrap_or(false),
        step1: root.map("step1").ok().flatten().map(|m| {
            let n = |k: &str| m.number(k).ok().flatten().unwrap_or(0.0).max(0.0) as u32;
            Step1Counts::from_values(Step1Counts::KEYS.map(n))
        }),
        profile: read_profile(&root),
        rated: root.number("rated").ok().flatten().unwrap_or(0.0).max(0.0) as u32,
        balance: read_balance(&root),
        role_map: read_role_map(&root),
        agreements: read_agreements(&root),
        consensus: proposals::read(&root),
        collaboration: super::collaboration::read(&root),
    }
}

fn read_balance<D: ReadDoc>(root: &MapReader<'_, D>) -> Option<Balance> {
    let b = root.map("balance").ok().flatten()?;
    let n = |k: &str| b.number(k).ok().flatten().unwrap_or(0.0).max(0.0) as u32;
    Some(Balance {
        answered: n("answered"),
        points: Perspective::ALL.map(|p| n(p.as_str())),
    })
}

fn read_role_map<D: ReadDoc>(
    root: &MapReader<'_, D>,
) -> BTreeMap<ParticipantId, BTreeMap<RoleId, Claim>> {
    let Some(m) = root.map("role_map").ok().flatten() else {
        return BTreeMap::new();
    };
    m.keys()
        .into_iter()
        .filter_map(|key| {
            let person: ParticipantId = key.parse().ok()?;
            let claims = m.map(&key).ok()??;
            let claims = roles::ROLES
                .iter()
                .filter_map(|r| {
                    let c = claims.string(r.id.as_str(), 16).ok()??;
                    Some((r.id, Claim::parse(&c)?))
                })
                .collect();
            Some((person, claims))
        })
        .collect()
}

fn read_agreements<D: ReadDoc>(root: &MapReader<'_, D>) -> Vec<Agreement> {
    let Some(m) = root.map("agreements").ok().flatten() else {
        return vec![];
    };
    let mut out: Vec<Agreement> = m
        .keys()
        .into_iter()
        .filter_map(|id| {
            let a = m.map(&id).ok()??;
            let s = |k: &str| a.string(k, usize::MAX).ok().flatten().unwrap_or_default();
            Some(Agreement {
                // An agreement on no known role is dropped (the schema refuses it).
                role: RoleId::parse(&a.string("role", 64).ok()??)?,
                who: s("who"),
                from: s("from"),
                note: s("note"),
                id,
            })
        })
        .collect();
    // In the seed's order of the roles (`RoleId`'s order), then by who: the same list on every
    // screen.
    out.sort_by(|a, b| (a.role, &a.who, &a.id).cmp(&(b.role, &b.who, &b.id)));
    out
}

/// The parts of the document that access decisions depend on, read without the rest: the hub
/// reads them after every change to the workshop document, and a full [`view`] (the roster,
/// the plan) cost as much as the rest of handling the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessParts {
    pub step: Option<Step>,
    pub lock: Option<FacilitatorId>,
    pub duos: Vec<DuoEntry>,
    /// Whether step 3's round runs.
    pub round_running: bool,
    /// The plan's energy dots per person.
    pub energy_dots: u32,
    pub form: FormId,
}

/// Reads [`AccessParts`] as [`view`] would.
pub fn access_parts(doc: &impl ReadDoc) -> AccessParts {
    let root = MapReader::root(doc);
    AccessParts {
        step: root
            .string("step", 32)
            .ok()
            .flatten()
            .and_then(|s| s.parse().ok()),
        lock: root
            .string("lock", 64)
            .ok()
            .flatten()
            .and_then(|s| s.parse().ok()),
        duos: read_duos(&root),
        round_running: read_round(&root).running,
        energy_dots: root
            .map("plan")
            .ok()
            .flatten()
            .and_then(|p| p.number("energy_dots").ok().flatten())
            .map(|n| n as u32)
            .unwrap_or(DEFAULT_ENERGY_DOTS),
        form: read_form(&root).id,
    }
}

/// The duos in the plan's order: by their number, and (workshops from before numbers were
/// stored) by id.
fn read_duos<D: ReadDoc>(root: &MapReader<'_, D>) -> Vec<DuoEntry> {
    let Some(duos) = root.map("duos").ok().flatten() else {
        return vec![];
    };
    let mut duos: Vec<DuoEntry> = duos
        .keys()
        .into_iter()
        .filter_map(|key| {
            let d = duos.map(&key).ok()??;
            Some(DuoEntry {
                id: key.parse().ok()?,
                members: d
                    .string_list("members", usize::MAX, 64)
                    .ok()??
                    .iter()
                    .filter_map(|m| m.parse().ok())
                    .collect(),
                doc: d
                    .string("doc", 64)
                    .ok()
                    .flatten()
                    .and_then(|s| DocumentId::from_url(&s).ok()),
                number: d
                    .number("number")
                    .ok()
                    .flatten()
                    .filter(|n| n.fract() == 0.0 && (1.0..=MAX_ROSTER as f64).contains(n))
                    .map(|n| n as u32),
            })
        })
        .collect();
    // A stable sort: duos without a number keep the map's (id) order, after the numbered ones.
    duos.sort_by_key(|d| d.number.unwrap_or(u32::MAX));
    duos
}

fn validate_duos<D: ReadDoc>(duos: &MapReader<'_, D>) -> Result<(), SchemaError> {
    duos.at_most(MAX_ROSTER)?;
    let mut seen = std::collections::BTreeSet::new();
    for (key, d) in duos.map_entries()? {
        let path = format!("/duos/{key}");
        if key.parse::<DuoId>().is_err() {
            return Err(SchemaError::new(path, "is not a duo id"));
        }
        d.only_keys(&["members", "doc", "number"])?;
        if let Some(n) = d.number("number")?
            && (n.fract() != 0.0 || !(1.0..=MAX_ROSTER as f64).contains(&n))
        {
            return Err(SchemaError::new(
                format!("{path}/number"),
                format!("must be a whole number from 1 to {MAX_ROSTER}"),
            ));
        }
        let members = d
            .string_list("members", MAX_DUO_MEMBERS, 64)?
            .ok_or_else(|| SchemaError::new(format!("{path}/members"), "is missing"))?;
        for m in members {
            if m.parse::<ParticipantId>().is_err() || !seen.insert(m.clone()) {
                return Err(SchemaError::new(
                    format!("{path}/members"),
                    format!("`{m}` is not a participant, or is already in another duo"),
                ));
            }
        }
        if let Some(doc) = d.string("doc", 64)?
            && DocumentId::from_url(&doc).is_err()
        {
            return Err(SchemaError::new(
                format!("{path}/doc"),
                "is not a document id",
            ));
        }
    }
    Ok(())
}

/// Sets the groups of step 2, in place: groups that stay keep their room (`doc`) and their
/// number, groups that are gone are removed, new groups get the lowest free number and their
/// room from the server.
pub fn set_duos(
    tx: &mut impl Transactable,
    duos: &[DuoEntry],
) -> Result<(), automerge::AutomergeError> {
    let map = ensure_map(tx, &automerge::ROOT, "duos")?;
    let keep: Vec<String> = duos.iter().map(|d| d.id.to_string()).collect();
    for key in tx.keys(&map).collect::<Vec<_>>() {
        if !keep.contains(&key) {
            tx.delete(&map, key.as_str())?;
        }
    }
    // Numbers stay with the duos that stay (as stored, else as given); new duos take the lowest
    // free ones, in the order given.
    let mut numbers: Vec<Option<u32>> = duos
        .iter()
        .map(|d| stored_number(tx, &map, &d.id.to_string()).or(d.number))
        .collect();
    let mut taken = std::collections::BTreeSet::new();
    for n in numbers.iter_mut() {
        // A number twice (two facilitators made duos at once) goes to the first only.
        if let Some(v) = *n
            && !taken.insert(v)
        {
            *n = None;
        }
    }
    let mut free = (1..).filter(|n| !taken.contains(n));
    let numbers: Vec<u32> = numbers
        .into_iter()
        .map(|n| n.unwrap_or_else(|| free.next().unwrap_or(1)))
        .collect();
    for (d, number) in duos.iter().zip(numbers) {
        let e = ensure_map(tx, &map, &d.id.to_string())?;
        tx.put(&e, "number", ScalarValue::Int(number.into()))?;
        let members = tx.put_object(&e, "members", ObjType::List)?;
        for (i, m) in d.members.iter().enumerate() {
            tx.insert(&members, i, m.to_string())?;
        }
        if let Some(doc) = d.doc {
            tx.put(&e, "doc", doc.to_string())?;
        }
    }
    Ok(())
}

/// The number stored for duo `id` in the `duos` map, if any.
fn stored_number(tx: &impl Transactable, duos: &automerge::ObjId, id: &str) -> Option<u32> {
    let (_, e) = tx.get(duos, id).ok()??;
    match tx.get(&e, "number").ok()?? {
        (automerge::Value::Scalar(v), _) => match v.as_ref() {
            ScalarValue::Int(n) => u32::try_from(*n).ok(),
            ScalarValue::Uint(n) => u32::try_from(*n).ok(),
            ScalarValue::F64(n) if n.fract() == 0.0 && *n >= 1.0 => Some(*n as u32),
            _ => None,
        },
        _ => None,
    }
}

/// Records the document of a duo's room (the server does, when it creates the room).
pub fn set_duo_doc(
    tx: &mut impl Transactable,
    duo: DuoId,
    doc: DocumentId,
) -> Result<(), automerge::AutomergeError> {
    let duos = ensure_map(tx, &automerge::ROOT, "duos")?;
    let e = ensure_map(tx, &duos, &duo.to_string())?;
    tx.put(&e, "doc", doc.to_string())
}

fn validate_plan<D: ReadDoc>(plan: &MapReader<'_, D>) -> Result<(), SchemaError> {
    plan.only_keys(&[
        "questions",
        "custom",
        "minutes",
        "extra_marks",
        "extra_small_change",
        "energy_dots",
        "k",
    ])?;
    let mut custom_levels = BTreeMap::new();
    if let Some(custom) = plan.map("custom")? {
        custom.at_most(MAX_CUSTOM_QUESTIONS)?;
        for id in custom.keys() {
            if id.chars().count() > 64 || method::question(&id).is_some() {
                return Err(SchemaError::new(
                    format!("/plan/custom/{id}"),
                    "is not a usable id",
                ));
            }
            let c = custom.required_map(&id)?;
            c.only_keys(&["level", "text"])?;
            let levels: Vec<&str> = LevelId::ALL.iter().map(|l| l.as_str()).collect();
            let level = c.one_of("level", &levels)?.and_then(|l| LevelId::parse(&l));
            c.required_string("text", MAX_QUESTION)?;
            custom_levels.insert(id, level);
        }
    }
    if let Some(q) = plan.map("questions")? {
        let levels: Vec<&str> = LevelId::ALL.iter().map(|l| l.as_str()).collect();
        q.only_keys(&levels)?;
        for level in LevelId::ALL {
            let Some(ids) = q.string_list(level.as_str(), method::QUESTIONS_PER_LEVEL.2, 64)?
            else {
                continue;
            };
            for id in ids {
                let fits = match method::question(&id) {
                    Some((l, _)) => l == level,
                    None => custom_levels.get(&id) == Some(&Some(level)),
                };
                if !fits {
                    return Err(SchemaError::new(
                        format!("/plan/questions/{}", level.as_str()),
                        format!("`{id}` is not a question of this level"),
                    ));
                }
            }
        }
    }
    if let Some(m) = plan.map("minutes")? {
        m.only_keys(&MINUTE_KEYS)?;
        for k in MINUTE_KEYS {
            m.number_in(k, 1.0, 180.0)?;
        }
    }
    plan.boolean("extra_marks")?;
    plan.boolean("extra_small_change")?;
    plan.number_in("energy_dots", 1.0, f64::from(super::voice::MAX_ENERGY_DOTS))?;
    plan.number_in(
        "k",
        f64::from(blocks::K_RANGE.0),
        f64::from(blocks::K_RANGE.1),
    )?;
    Ok(())
}

pub fn validate(doc: &impl ReadDoc) -> Result<(), SchemaError> {
    validate_in(doc, None)
}

/// [`validate`], or after a change only the roster entries, role claims and role agreements it
/// touched (see [`super::validate_changed`]).
pub(crate) fn validate_in(
    doc: &impl ReadDoc,
    changed: Option<&super::Changed>,
) -> Result<(), SchemaError> {
    let root = MapReader::root_in(doc, changed);
    root.only_keys(&[
        "title",
        "language",
        "step",
        "plan",
        "timer",
        "broadcast",
        "lock",
        "duos",
        "table",
        "round",
        "roster",
        "report_shared",
        "step1",
        "form",
        "profile",
        "rated",
        "balance",
        "role_map",
        "agreements",
        "phases_shown",
        "phases",
        "route_shown",
        "route",
        "proposals",
        "asking",
        "tallies",
        "collaboration",
    ])?;
    root.number_in("rated", 0.0, MAX_ROSTER as f64)?;
    validate_roles(&root)?;
    proposals::validate(&root)?;
    super::collaboration::validate(&root)?;
    if let Some(f) = root.map("form")? {
        f.only_keys(&["id", "version"])?;
        let ids: Vec<&str> = FormId::ALL.iter().map(|f| f.as_str()).collect();
        if f.one_of("id", &ids)?.is_none() {
            return Err(SchemaError::new("/form/id", "is missing"));
        }
        f.number_in("version", 1.0, 1e6)?;
    }
    if let Some(p) = root.map("profile")? {
        p.only_keys(&["answered", "blocks"])?;
        p.number_in("answered", 0.0, MAX_ROSTER as f64)?;
        if let Some(b) = p.map("blocks")? {
            let ids: Vec<&str> = BlockId::ALL.iter().map(|b| b.as_str()).collect();
            b.only_keys(&ids)?;
            for (_, c) in b.map_entries()? {
                c.only_keys(&PROFILE_SCORES)?;
                for k in PROFILE_SCORES {
                    c.number_in(k, 0.0, MAX_ROSTER as f64)?;
                }
            }
        }
    }
    root.boolean("report_shared")?;
    if let Some(m) = root.map("step1")? {
        m.only_keys(&Step1Counts::KEYS)?;
        for k in Step1Counts::KEYS {
            m.number_in(k, 0.0, 1e9)?;
        }
    }
    for key in ["table"] {
        if let Some(doc) = root.string(key, 64)?
            && DocumentId::from_url(&doc).is_err()
        {
            return Err(SchemaError::new(format!("/{key}"), "is not a document id"));
        }
    }
    if let Some(r) = root.map("round")? {
        r.only_keys(&["order", "at", "running"])?;
        for d in r.string_list("order", MAX_ROSTER, 64)?.unwrap_or_default() {
            if d.parse::<DuoId>().is_err() {
                return Err(SchemaError::new(
                    "/round/order",
                    format!("`{d}` is not a duo id"),
                ));
            }
        }
        r.number_in("at", 0.0, MAX_ROSTER as f64)?;
        r.boolean("running")?;
    }
    if let Some(duos) = root.map("duos")? {
        validate_duos(&duos)?;
    }
    root.required_string("title", MAX_TITLE)?;
    root.one_of("language", &LANGUAGES)?;
    let steps: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
    root.one_of("step", &steps)?;
    if let Some(plan) = root.map("plan")? {
        validate_plan(&plan)?;
    }
    if let Some(t) = root.map("timer")? {
        t.only_keys(&["duration_ms", "ends_at", "remaining_ms"])?;
        t.number_in("duration_ms", 0.0, MAX_TIMER_MS as f64)?;
        t.number_in("remaining_ms", 0.0, MAX_TIMER_MS as f64)?;
        t.number("ends_at")?;
    }
    if let Some(b) = root.map("broadcast")? {
        b.only_keys(&["id", "text", "at"])?;
        b.required_string("id", 64)?;
        b.required_string("text", MAX_BROADCAST)?;
        b.number("at")?;
    }
    if let Some(lock) = root.string("lock", 64)?
        && lock.parse::<FacilitatorId>().is_err()
    {
        return Err(SchemaError::new("/lock", "is not a facilitator id"));
    }
    if let Some(roster) = root.map("roster")? {
        roster.at_most(MAX_ROSTER)?;
        for (key, entry) in roster.changed_entries()? {
            if key.parse::<ParticipantId>().is_err() {
                return Err(SchemaError::new(
                    format!("/roster/{key}"),
                    "is not a participant id",
                ));
            }
            entry.only_keys(&[
                "name",
                "organisation",
                "joined_at",
                "reflection",
                "voice",
                "rating",
                "role_sheet",
                "answers",
            ])?;
            entry.string("role_sheet", 64)?;
            entry.string("answers", 64)?;
            entry.string("reflection", 64)?;
            entry.string("voice", 64)?;
            entry.string("rating", 64)?;
            entry.required_string("name", MAX_NAME)?;
            entry.string("organisation", MAX_ORGANISATION)?;
            entry.number("joined_at")?;
        }
    }
    Ok(())
}

/// Form 003's parts: the balance, the published role map and the role agreements.
fn validate_roles<D: ReadDoc>(root: &MapReader<'_, D>) -> Result<(), SchemaError> {
    let role_ids = RoleId::NAMES;
    if let Some(b) = root.map("balance")? {
        let mut keys = vec!["answered"];
        keys.extend(Perspective::ALL.iter().map(|p| p.as_str()));
        b.only_keys(&keys)?;
        b.number_in("answered", 0.0, MAX_ROSTER as f64)?;
        for p in Perspective::ALL {
            b.number_in(
                p.as_str(),
                0.0,
                f64::from(roles::POINTS) * MAX_ROSTER as f64,
            )?;
        }
    }
    if let Some(m) = root.map("role_map")? {
        m.at_most(MAX_ROSTER)?;
        let values: Vec<&str> = Claim::ALL.iter().map(|c| c.as_str()).collect();
        for (key, claims) in m.changed_entries()? {
            if key.parse::<ParticipantId>().is_err() {
                return Err(SchemaError::new(
                    format!("/role_map/{key}"),
                    "is not a participant id",
                ));
            }
            claims.only_keys(&role_ids)?;
            for id in &role_ids {
                claims.one_of(id, &values)?;
            }
        }
    }
    if let Some(a) = root.map("agreements")? {
        a.at_most(MAX_AGREEMENTS)?;
        for (key, entry) in a.changed_entries()? {
            if key.chars().count() > 64 {
                return Err(SchemaError::new(
                    format!("/agreements/{key}"),
                    "is not a usable id",
                ));
            }
            entry.only_keys(&["role", "who", "from", "note"])?;
            if entry.one_of("role", &role_ids)?.is_none() {
                return Err(SchemaError::new(
                    format!("/agreements/{key}/role"),
                    "is missing",
                ));
            }
            entry.string("who", MAX_AGREEMENT_WHO)?;
            entry.string("from", MAX_AGREEMENT_FROM)?;
            entry.string("note", MAX_AGREEMENT_NOTE)?;
        }
    }
    Ok(())
}

/// Writes the initial document of a new workshop of form 000, with the seed's default plan.
pub fn init(
    tx: &mut impl Transactable,
    title: &str,
    language: &str,
) -> Result<(), automerge::AutomergeError> {
    init_form(tx, title, language, FormRef::default())
}

/// Writes the initial document of a new workshop running `form`, with its default plan.
pub fn init_form(
    tx: &mut impl Transactable,
    title: &str,
    language: &str,
    form: FormRef,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "title", title)?;
    tx.put(automerge::ROOT, "language", language)?;
    tx.put(automerge::ROOT, "step", Step::Lobby.as_str())?;
    let f = tx.put_object(automerge::ROOT, "form", ObjType::Map)?;
    tx.put(&f, "id", form.id.as_str())?;
    tx.put(&f, "version", ScalarValue::Int(i64::from(form.version)))?;
    let plan = Plan {
        minutes: Minutes::of_form(form.id),
        ..Plan::default()
    };
    let p = tx.put_object(automerge::ROOT, "plan", ObjType::Map)?;
    let q = tx.put_object(&p, "questions", ObjType::Map)?;
    for (level, ids) in &plan.questions {
        let list = tx.put_object(&q, level.as_str(), ObjType::List)?;
        for (i, id) in ids.iter().enumerate() {
            tx.insert(&list, i, id.as_str())?;
        }
    }
    tx.put_object(&p, "custom", ObjType::Map)?;
    let m = tx.put_object(&p, "minutes", ObjType::Map)?;
    let d = plan.minutes;
    for (k, v) in MINUTE_KEYS
        .iter()
        .zip([d.reflect, d.duos, d.plenary, d.turn, d.joint])
    {
        tx.put(&m, *k, ScalarValue::Int(i64::from(v)))?;
    }
    tx.put(&p, "extra_marks", true)?;
    tx.put(&p, "extra_small_change", true)?;
    tx.put(
        &p,
        "energy_dots",
        ScalarValue::Int(i64::from(plan.energy_dots)),
    )?;
    tx.put(&p, "k", ScalarValue::Int(i64::from(plan.k)))?;
    write_timer(
        tx,
        &Timer {
            duration_ms: i64::from(d.reflect) * 60_000,
            ends_at: None,
            remaining_ms: i64::from(d.reflect) * 60_000,
        },
    )?;
    tx.put_object(automerge::ROOT, "roster", ObjType::Map)?;
    if form.id == FormId::RulesOfPlay {
        proposals::init(tx, language)?;
    }
    Ok(())
}

/// Adds (or updates) one person on the roster.
pub fn put_roster_entry(
    tx: &mut impl Transactable,
    entry: &RosterEntry,
) -> Result<(), automerge::AutomergeError> {
    let roster = ensure_map(tx, &automerge::ROOT, "roster")?;
    let e = ensure_map(tx, &roster, &entry.id.to_string())?;
    tx.put(&e, "name", entry.name.as_str())?;
    tx.put(&e, "organisation", entry.organisation.as_str())?;
    tx.put(&e, "joined_at", ScalarValue::Int(entry.joined_at))?;
    if let Some(r) = entry.reflection {
        tx.put(&e, "reflection", r.to_string())?;
    }
    if let Some(v) = entry.voice {
        tx.put(&e, "voice", v.to_string())?;
    }
    if let Some(r) = entry.rating {
        tx.put(&e, "rating", r.to_string())?;
    }
    if let Some(r) = entry.role_sheet {
        tx.put(&e, "role_sheet", r.to_string())?;
    }
    if let Some(r) = entry.answers {
        tx.put(&e, "answers", r.to_string())?;
    }
    Ok(())
}

/// Records a participant's ratings document (the server does, when it creates it).
pub fn set_rating_doc(
    tx: &mut impl Transactable,
    participant: ParticipantId,
    doc: DocumentId,
) -> Result<(), automerge::AutomergeError> {
    let roster = ensure_map(tx, &automerge::ROOT, "roster")?;
    let e = ensure_map(tx, &roster, &participant.to_string())?;
    tx.put(&e, "rating", doc.to_string())
}

/// Writes 004's group profile, or removes it (`None`: fewer than k answered).
pub fn set_profile(
    tx: &mut impl Transactable,
    profile: Option<&Profile>,
) -> Result<(), automerge::AutomergeError> {
    let Some(profile) = profile else {
        return match tx.get(automerge::ROOT, "profile")? {
            Some(_) => tx.delete(automerge::ROOT, "profile"),
            None => Ok(()),
        };
    };
    let p = tx.put_object(automerge::ROOT, "profile", ObjType::Map)?;
    tx.put(
        &p,
        "answered",
        ScalarValue::Int(i64::from(profile.answered)),
    )?;
    let b = tx.put_object(&p, "blocks", ObjType::Map)?;
    for (block, counts) in &profile.blocks {
        let c = tx.put_object(&b, block.as_str(), ObjType::Map)?;
        for (k, n) in PROFILE_SCORES.iter().zip(counts) {
            tx.put(&c, *k, ScalarValue::Int(i64::from(*n)))?;
        }
    }
    Ok(())
}

/// Records a participant's role sheet (the server does, when it creates it).
pub fn set_role_sheet_doc(
    tx: &mut impl Transactable,
    participant: ParticipantId,
    doc: DocumentId,
) -> Result<(), automerge::AutomergeError> {
    let roster = ensure_map(tx, &automerge::ROOT, "roster")?;
    let e = ensure_map(tx, &roster, &participant.to_string())?;
    tx.put(&e, "role_sheet", doc.to_string())
}

/// Records a participant's answers document (001; the server does, when it creates it).
pub fn set_answers_doc(
    tx: &mut impl Transactable,
    participant: ParticipantId,
    doc: DocumentId,
) -> Result<(), automerge::AutomergeError> {
    let roster = ensure_map(tx, &automerge::ROOT, "roster")?;
    let e = ensure_map(tx, &roster, &participant.to_string())?;
    tx.put(&e, "answers", doc.to_string())
}

/// Writes 003's balance, or removes it (`None`: fewer than k divided their points).
pub fn set_balance(
    tx: &mut impl Transactable,
    balance: Option<&Balance>,
) -> Result<(), automerge::AutomergeError> {
    let Some(balance) = balance else {
        return match tx.get(automerge::ROOT, "balance")? {
            Some(_) => tx.delete(automerge::ROOT, "balance"),
            None => Ok(()),
        };
    };
    let b = tx.put_object(automerge::ROOT, "balance", ObjType::Map)?;
    tx.put(
        &b,
        "answered",
        ScalarValue::Int(i64::from(balance.answered)),
    )?;
    for (p, n) in Perspective::ALL.iter().zip(balance.points) {
        tx.put(&b, p.as_str(), ScalarValue::Int(i64::from(n)))?;
    }
    Ok(())
}

/// Sets one person's published claims in the role map (`None`: they are not published).
pub fn set_published_claims(
    tx: &mut impl Transactable,
    person: ParticipantId,
    claims: Option<&BTreeMap<RoleId, Claim>>,
) -> Result<(), automerge::AutomergeError> {
    let m = ensure_map(tx, &automerge::ROOT, "role_map")?;
    let key = person.to_string();
    match claims {
        None => match tx.get(&m, key.as_str())? {
            Some(_) => tx.delete(&m, key.as_str()),
            None => Ok(()),
        },
        Some(claims) => {
            let e = tx.put_object(&m, key.as_str(), ObjType::Map)?;
            for (role, c) in claims {
                tx.put(&e, role.as_str(), c.as_str())?;
            }
            Ok(())
        }
    }
}

/// Adds or replaces a role agreement.
pub fn put_agreement(
    tx: &mut impl Transactable,
    a: &Agreement,
) -> Result<(), automerge::AutomergeError> {
    let m = ensure_map(tx, &automerge::ROOT, "agreements")?;
    let e = tx.put_object(&m, a.id.as_str(), ObjType::Map)?;
    tx.put(&e, "role", a.role.as_str())?;
    tx.put(&e, "who", a.who.as_str())?;
    tx.put(&e, "from", a.from.as_str())?;
    if !a.note.is_empty() {
        tx.put(&e, "note", a.note.as_str())?;
    }
    Ok(())
}

/// Removes a role agreement.
pub fn remove_agreement(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<(), automerge::AutomergeError> {
    let m = ensure_map(tx, &automerge::ROOT, "agreements")?;
    match tx.get(&m, id)? {
        Some(_) => tx.delete(&m, id),
        None => Ok(()),
    }
}

/// Writes how many people have rated so far (the server does).
pub fn set_rated(tx: &mut impl Transactable, n: u32) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "rated", ScalarValue::Int(i64::from(n)))
}

/// Sets how many answers a private rating needs before the group sees its aggregate.
pub fn set_k(tx: &mut impl Transactable, k: u32) -> Result<(), automerge::AutomergeError> {
    let p = ensure_map(tx, &automerge::ROOT, "plan")?;
    tx.put(&p, "k", ScalarValue::Int(i64::from(k)))
}

/// Records a participant's voice document (the server does, when it creates it).
pub fn set_voice_doc(
    tx: &mut impl Transactable,
    participant: ParticipantId,
    doc: DocumentId,
) -> Result<(), automerge::AutomergeError> {
    let roster = ensure_map(tx, &automerge::ROOT, "roster")?;
    let e = ensure_map(tx, &roster, &participant.to_string())?;
    tx.put(&e, "voice", doc.to_string())
}

/// Records the plenary table's document (the server does, when it creates it).
pub fn set_table_doc(
    tx: &mut impl Transactable,
    doc: DocumentId,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "table", doc.to_string())
}

/// Writes step 3's round: its order, who shares now, whether it runs.
pub fn set_round(
    tx: &mut impl Transactable,
    round: &Round,
) -> Result<(), automerge::AutomergeError> {
    let r = tx.put_object(automerge::ROOT, "round", ObjType::Map)?;
    let order = tx.put_object(&r, "order", ObjType::List)?;
    for (i, d) in round.order.iter().enumerate() {
        tx.insert(&order, i, d.to_string())?;
    }
    tx.put(&r, "at", ScalarValue::Int(round.at as i64))?;
    tx.put(&r, "running", round.running)
}

/// Lets participants fetch the workshop report, or stops it.
pub fn set_report_shared(
    tx: &mut impl Transactable,
    shared: bool,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "report_shared", shared)
}

/// Keeps step 1's anonymous counts (the server does, before it purges the reflections).
pub fn set_step1(
    tx: &mut impl Transactable,
    counts: &Step1Counts,
) -> Result<(), automerge::AutomergeError> {
    let m = tx.put_object(automerge::ROOT, "step1", ObjType::Map)?;
    for (k, v) in Step1Counts::KEYS.iter().zip(counts.values()) {
        tx.put(&m, *k, ScalarValue::Int(i64::from(v)))?;
    }
    Ok(())
}

/// Sets how many energy dots each person places in step 3.
pub fn set_energy_dots(
    tx: &mut impl Transactable,
    dots: u32,
) -> Result<(), automerge::AutomergeError> {
    let p = ensure_map(tx, &automerge::ROOT, "plan")?;
    tx.put(&p, "energy_dots", ScalarValue::Int(i64::from(dots)))
}

/// Moves the workshop to another step.
pub fn set_step(tx: &mut impl Transactable, step: Step) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "step", step.as_str())
}

/// Writes the timer (the server does, with its own clock).
pub fn write_timer(tx: &mut impl Transactable, t: &Timer) -> Result<(), automerge::AutomergeError> {
    let m = ensure_map(tx, &automerge::ROOT, "timer")?;
    tx.put(&m, "duration_ms", ScalarValue::Int(t.duration_ms))?;
    tx.put(&m, "remaining_ms", ScalarValue::Int(t.remaining_ms))?;
    match t.ends_at {
        Some(end) => tx.put(&m, "ends_at", ScalarValue::Int(end))?,
        None => tx.delete(&m, "ends_at")?,
    }
    Ok(())
}

/// Replaces the chosen questions of one level.
pub fn set_questions(
    tx: &mut impl Transactable,
    level: LevelId,
    ids: &[String],
) -> Result<(), automerge::AutomergeError> {
    let p = ensure_map(tx, &automerge::ROOT, "plan")?;
    let q = ensure_map(tx, &p, "questions")?;
    let list = tx.put_object(&q, level.as_str(), ObjType::List)?;
    for (i, id) in ids.iter().enumerate() {
        tx.insert(&list, i, id.as_str())?;
    }
    Ok(())
}

/// Adds one of the facilitator's own questions (not yet chosen).
pub fn add_custom_question(
    tx: &mut impl Transactable,
    q: &CustomQuestion,
) -> Result<(), automerge::AutomergeError> {
    let p = ensure_map(tx, &automerge::ROOT, "plan")?;
    let custom = ensure_map(tx, &p, "custom")?;
    let c = tx.put_object(&custom, q.id.as_str(), ObjType::Map)?;
    tx.put(&c, "level", q.level.as_str())?;
    tx.put(&c, "text", q.text.as_str())?;
    Ok(())
}

/// Sets one of the lengths in `plan.minutes`.
pub fn set_minutes(
    tx: &mut impl Transactable,
    key: &str,
    minutes: u32,
) -> Result<(), automerge::AutomergeError> {
    let p = ensure_map(tx, &automerge::ROOT, "plan")?;
    let m = ensure_map(tx, &p, "minutes")?;
    tx.put(&m, key, ScalarValue::Int(i64::from(minutes)))
}

/// Turns an extra question (`extra_marks`, `extra_small_change`) on or off.
pub fn set_extra(
    tx: &mut impl Transactable,
    key: &str,
    on: bool,
) -> Result<(), automerge::AutomergeError> {
    let p = ensure_map(tx, &automerge::ROOT, "plan")?;
    tx.put(&p, key, on)
}

/// Sends a message to everyone.
pub fn set_broadcast(
    tx: &mut impl Transactable,
    b: &Broadcast,
) -> Result<(), automerge::AutomergeError> {
    let m = tx.put_object(automerge::ROOT, "broadcast", ObjType::Map)?;
    tx.put(&m, "id", b.id.as_str())?;
    tx.put(&m, "text", b.text.as_str())?;
    tx.put(&m, "at", ScalarValue::Int(b.at))?;
    Ok(())
}

/// Locks the console to one facilitator, or unlocks it.
pub fn set_lock(
    tx: &mut impl Transactable,
    holder: Option<FacilitatorId>,
) -> Result<(), automerge::AutomergeError> {
    match holder {
        Some(f) => tx.put(automerge::ROOT, "lock", f.to_string()),
        None => tx.delete(automerge::ROOT, "lock"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;

    fn fresh() -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| init(tx, "Ronde 1", "nl"))
            .unwrap();
        doc
    }

    fn edited(f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) -> Automerge {
        let mut doc = fresh();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            f(tx);
            Ok(())
        })
        .unwrap();
        doc
    }

    #[test]
    fn access_parts_read_what_the_view_reads() {
        let fac = FacilitatorId::random();
        let duo = DuoEntry {
            id: DuoId::random(),
            members: vec![ParticipantId::random(), ParticipantId::random()],
            doc: Some(DocumentId::random()),
            number: None,
        };
        let doc = edited(|tx| {
            set_step(tx, Step::Duos).unwrap();
            set_lock(tx, Some(fac)).unwrap();
            set_duos(tx, std::slice::from_ref(&duo)).unwrap();
            set_energy_dots(tx, 7).unwrap();
            set_round(
                tx,
                &Round {
                    order: vec![duo.id],
                    at: 0,
                    running: true,
                },
            )
            .unwrap();
        });
        let v = view(&doc);
        let parts = access_parts(&doc);
        assert!(parts.round_running);
        assert_eq!(parts.energy_dots, 7);
        assert_eq!(parts.step, v.step);
        assert_eq!(parts.lock, v.lock);
        assert_eq!(parts.duos, v.duos);
        assert_eq!(parts.round_running, v.round.running);
        assert_eq!(parts.energy_dots, v.plan.energy_dots);
        // The duo reads back as written, with the number it was given.
        assert_eq!(
            parts.duos,
            vec![DuoEntry {
                number: Some(1),
                ..duo
            }]
        );
        assert_eq!(parts.lock, Some(fac));
    }

    #[test]
    fn a_new_workshop_fits_its_schema_and_reads_back() {
        let doc = edited(|tx| {
            put_roster_entry(
                tx,
                &RosterEntry {
                    id: ParticipantId::random(),
                    name: "An".into(),
                    organisation: "OCMW Gent".into(),
                    joined_at: 5,
                    reflection: None,
                    voice: None,
                    rating: None,
                    role_sheet: None,
                    answers: None,
                },
            )
            .unwrap()
        });
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.title, "Ronde 1");
        assert_eq!(v.step, Some(Step::Lobby));
        assert_eq!(v.roster[0].organisation, "OCMW Gent");
        assert_eq!(v.plan, Plan::default());
        assert_eq!(v.timer.remaining_ms, 600_000);
        assert_eq!(v.plan.chosen(LevelId::Individual, "en").len(), 2);
    }

    #[test]
    fn the_facilitators_edits_fit_the_schema() {
        let f = FacilitatorId::random();
        let doc = edited(|tx| {
            add_custom_question(
                tx,
                &CustomQuestion {
                    id: "own-1".into(),
                    level: LevelId::Collective,
                    text: "Wat nu?".into(),
                },
            )
            .unwrap();
            set_questions(
                tx,
                LevelId::Collective,
                &["collective-3".into(), "own-1".into()],
            )
            .unwrap();
            set_minutes(tx, "duos", 25).unwrap();
            set_extra(tx, "extra_marks", false).unwrap();
            set_broadcast(
                tx,
                &Broadcast {
                    id: "b1".into(),
                    text: "Nog twee minuten".into(),
                    at: 9,
                },
            )
            .unwrap();
            set_lock(tx, Some(f)).unwrap();
            set_step(tx, Step::Reflect).unwrap();
        });
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.plan.chosen(LevelId::Collective, "nl")[1], "Wat nu?");
        assert_eq!(v.plan.minutes.duos, 25);
        assert!(!v.plan.extra_marks);
        assert_eq!(v.broadcast.unwrap().text, "Nog twee minuten");
        assert_eq!(v.lock, Some(f));
    }

    #[test]
    fn the_report_flag_and_step1_counts_fit_and_read_back() {
        let counts = Step1Counts {
            people: 2,
            individual: 3,
            collegial: 1,
            collective: 0,
            green: 1,
            red: 2,
            collegial_red: 2,
            ..Step1Counts::default()
        };
        let doc = edited(|tx| {
            set_report_shared(tx, true).unwrap();
            set_step1(tx, &counts).unwrap();
        });
        validate(&doc).unwrap();
        let v = view(&doc);
        assert!(v.report_shared);
        assert_eq!(v.step1, Some(counts));
        assert!(!view(&fresh()).report_shared);
        let bad = edited(|tx| tx.put(automerge::ROOT, "report_shared", "yes").unwrap());
        assert_eq!(validate(&bad).unwrap_err().path, "/report_shared");
    }

    /// Each case breaks the schema in one way; the error names the path.
    #[test]
    fn schema_violations_are_named() {
        let check = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>), path: &str| {
            let err = validate(&edited(|tx| f(tx))).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        };
        check(&|tx| tx.put(automerge::ROOT, "evil", 1).unwrap(), "/evil");
        check(
            &|tx| tx.put(automerge::ROOT, "language", "fr").unwrap(),
            "/language",
        );
        check(
            &|tx| tx.put(automerge::ROOT, "step", "step9").unwrap(),
            "/step",
        );
        check(
            &|tx| {
                tx.put(automerge::ROOT, "title", "x".repeat(MAX_TITLE + 1))
                    .unwrap()
            },
            "/title",
        );
        check(&|tx| tx.put(automerge::ROOT, "title", 3).unwrap(), "/title");
        check(
            &|tx| {
                let r = tx.get(automerge::ROOT, "roster").unwrap().unwrap().1;
                tx.put_object(&r, "not-an-id", ObjType::Map).unwrap();
            },
            "/roster/not-an-id",
        );
        check(
            &|tx| set_questions(tx, LevelId::Individual, &["collegial-1".into()]).unwrap(),
            "/plan/questions/individual",
        );
        check(
            &|tx| {
                let ids: Vec<String> = (1..=4).map(|i| format!("individual-{i}")).collect();
                set_questions(tx, LevelId::Individual, &ids).unwrap()
            },
            "/plan/questions/individual",
        );
        check(
            &|tx| set_minutes(tx, "duos", 0).unwrap(),
            "/plan/minutes/duos",
        );
        check(
            &|tx| set_minutes(tx, "naps", 5).unwrap(),
            "/plan/minutes/naps",
        );
        check(
            &|tx| tx.put(automerge::ROOT, "lock", "me").unwrap(),
            "/lock",
        );
        check(
            &|tx| {
                set_broadcast(
                    tx,
                    &Broadcast {
                        id: "b".into(),
                        text: "x".repeat(MAX_BROADCAST + 1),
                        at: 0,
                    },
                )
                .unwrap()
            },
            "/broadcast/text",
        );
    }

    #[test]
    fn duos_read_back_and_nobody_sits_in_two() {
        let (a, b, c) = (
            ParticipantId::random(),
            ParticipantId::random(),
            ParticipantId::random(),
        );
        let duo = |m: Vec<ParticipantId>| DuoEntry {
            id: DuoId::random(),
            members: m,
            doc: Some(DocumentId::random()),
            number: None,
        };
        let good = vec![duo(vec![a, b]), duo(vec![c])];
        let doc = edited(|tx| set_duos(tx, &good).unwrap());
        validate(&doc).unwrap();
        let mut read = view(&doc).duos;
        read.sort_by_key(|d| d.members.len());
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].members, vec![a, b]);
        let bad = edited(|tx| set_duos(tx, &[duo(vec![a, b]), duo(vec![a])]).unwrap());
        let err = validate(&bad).unwrap_err();
        assert!(
            err.path.ends_with("/members") && err.problem.contains("another duo"),
            "{err}"
        );
    }

    #[test]
    fn a_duo_keeps_its_number_while_others_come_and_go() {
        let people: Vec<ParticipantId> = (0..8).map(|_| ParticipantId::random()).collect();
        let duo = |i: usize| DuoEntry {
            id: DuoId::random(),
            members: vec![people[2 * i], people[2 * i + 1]],
            doc: None,
            number: None,
        };
        let (a, b, c, d) = (duo(0), duo(1), duo(2), duo(3));
        let mut doc = fresh();
        let set = |doc: &mut Automerge, duos: Vec<DuoEntry>| {
            doc.transact::<_, _, automerge::AutomergeError>(|tx| set_duos(tx, &duos))
                .unwrap();
            validate(doc).unwrap();
            let v = view(doc);
            move |x: &DuoEntry| v.duo_number(x.id)
        };
        let n = set(&mut doc, vec![a.clone(), b.clone()]);
        assert_eq!((n(&a), n(&b)), (Some(1), Some(2)));
        // A latecomers' duo gets the next number, whatever its id; the others keep theirs.
        let n = set(&mut doc, vec![a.clone(), b.clone(), c.clone()]);
        assert_eq!((n(&a), n(&b), n(&c)), (Some(1), Some(2), Some(3)));
        // Duo 1 dissolves: 2 and 3 stay 2 and 3, and a new duo takes the free 1.
        let n = set(&mut doc, vec![b.clone(), c.clone(), d.clone()]);
        assert_eq!((n(&b), n(&c), n(&d)), (Some(2), Some(3), Some(1)));
        // A number that is no whole number from 1 to the roster's size is refused.
        for bad in [0.0, 1.5, 501.0] {
            let mut doc = doc.clone();
            doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                let (_, duos) = tx.get(automerge::ROOT, "duos")?.unwrap();
                let (_, e) = tx.get(&duos, b.id.to_string())?.unwrap();
                tx.put(&e, "number", ScalarValue::F64(bad))
            })
            .unwrap();
            let err = validate(&doc).unwrap_err();
            assert!(err.path.ends_with("/number"), "{bad}: {err}");
        }
    }

    /// A workshop document as today's `main` wrote it (no `form`, no `k`) reads as form 000.
    #[test]
    fn a_workshop_written_before_forms_reads_as_form_000() {
        let mut doc = fresh();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.delete(automerge::ROOT, "form")?;
            let plan = tx.get(automerge::ROOT, "plan")?.unwrap().1;
            tx.delete(&plan, "k")
        })
        .unwrap();
        assert!(doc.get(automerge::ROOT, "form").unwrap().is_none());
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.form, FormRef::default());
        assert_eq!(v.form.id, FormId::ThreeLevels);
        assert_eq!(v.plan, Plan::default());
    }

    #[test]
    fn a_roles_workshop_records_balance_role_map_and_agreements_and_refuses_unknown_roles() {
        let p = ParticipantId::random();
        let claims: BTreeMap<RoleId, Claim> =
            [(RoleId::Leader, Claim::HoldNow)].into_iter().collect();
        let balance = Balance {
            answered: 3,
            points: [15, 6, 9],
        };
        let agreement = |id: &str, role: RoleId, who: &str| Agreement {
            id: id.into(),
            role,
            who: who.into(),
            from: "maart".into(),
            note: String::new(),
        };
        let doc = edited(|tx| {
            set_balance(tx, Some(&balance)).unwrap();
            set_published_claims(tx, p, Some(&claims)).unwrap();
            put_agreement(tx, &agreement("z", RoleId::Initiator, "An")).unwrap();
            put_agreement(tx, &agreement("a", RoleId::Supporter, "Bert")).unwrap();
        });
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.balance, Some(balance));
        assert_eq!(v.role_map[&p], claims);
        // In the seed's order of the roles, whatever their ids.
        let roles: Vec<RoleId> = v.agreements.iter().map(|a| a.role).collect();
        assert_eq!(roles, vec![RoleId::Initiator, RoleId::Supporter]);
        let refused = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>), path: &str| {
            let err = validate(&edited(|tx| f(tx))).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        };
        // The typed writers cannot name an unknown role; a hostile peer writes the strings itself.
        refused(
            &|tx| {
                let m = ensure_map(tx, &automerge::ROOT, "role_map").unwrap();
                let e = tx.put_object(&m, p.to_string(), ObjType::Map).unwrap();
                tx.put(&e, "king", Claim::Want.as_str()).unwrap();
            },
            &format!("/role_map/{p}/king"),
        );
        refused(
            &|tx| {
                put_agreement(tx, &agreement("x", RoleId::Leader, "An")).unwrap();
                let m = ensure_map(tx, &automerge::ROOT, "agreements").unwrap();
                let (_, e) = tx.get(&m, "x").unwrap().unwrap();
                tx.put(&e, "role", "king").unwrap();
            },
            "/agreements/x/role",
        );
        refused(
            &|tx| {
                set_balance(tx, Some(&balance))
                    .and_then(|()| {
                        let (_, b) = tx.get(automerge::ROOT, "balance")?.unwrap();
                        tx.put(&b, "family", 3)
                    })
                    .unwrap()
            },
            "/balance/family",
        );
    }

    #[test]
    fn a_building_blocks_workshop_records_its_form_and_profile() {
        let mut doc = Automerge::new();
        let form = FormRef {
            id: FormId::BuildingBlocks,
            version: 1,
        };
        let profile = Profile {
            answered: 3,
            blocks: [(BlockId::Trusting, [1, 0, 2, 0, 0])].into_iter().collect(),
        };
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            init_form(tx, "Zelftest", "nl", form)?;
            set_k(tx, 4)?;
            set_rated(tx, 3)?;
            set_profile(tx, Some(&profile))
        })
        .unwrap();
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.form, form);
        assert_eq!(v.plan.k, 4);
        assert_eq!(v.rated, 3);
        assert_eq!(v.plan.minutes.reflect, 10);
        assert_eq!(v.plan.minutes.duos, 15);
        assert_eq!(v.profile, Some(profile));
        doc.transact::<_, _, automerge::AutomergeError>(|tx| set_profile(tx, None))
            .unwrap();
        assert_eq!(view(&doc).profile, None);
        let bad = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>)| {
            let mut d = doc.clone();
            d.transact::<_, _, automerge::AutomergeError>(|tx| {
                f(tx);
                Ok(())
            })
            .unwrap();
            validate(&d).unwrap_err().path
        };
        assert_eq!(bad(&|tx| set_k(tx, 1).unwrap()), "/plan/k");
        assert_eq!(
            bad(&|tx| {
                let f = tx.get(automerge::ROOT, "form").unwrap().unwrap().1;
                tx.put(&f, "id", "009").unwrap();
            }),
            "/form/id"
        );
    }

    #[test]
    fn organisations_are_offered_once_each() {
        let doc = edited(|tx| {
            for (name, org) in [
                ("A", "OCMW Gent"),
                ("B", "ocmw gent"),
                ("C", "CAW"),
                ("D", ""),
            ] {
                put_roster_entry(
                    tx,
                    &RosterEntry {
                        id: ParticipantId::random(),
                        name: name.into(),
                        organisation: org.into(),
                        joined_at: 0,
                        reflection: None,
                        voice: None,
                        rating: None,
                        role_sheet: None,
                        answers: None,
                    },
                )
                .unwrap();
            }
        });
        let mut orgs = view(&doc).organisations();
        orgs.sort();
        assert_eq!(orgs.len(), 2);
        assert!(orgs.contains(&"CAW".to_owned()));
    }
}
