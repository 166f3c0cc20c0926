//! The workshop report: what the group leaves with. [`build`] turns the report's sources (the
//! workshop document, the duo rooms, the table, the voices and step 1's anonymous counts) into a
//! [`Report`] — a serde struct whose JSON is the documented export shape — and [`markdown`],
//! [`csv`] and [`svg`] render it as minutes, a table for analysis and a picture of the flip chart.
//!
//! Architecture Invariant: a reflection document never reaches this module. Step 1 enters only as
//! [`Step1Counts`] (notes per ring, green/red marks), so no individual note can appear in a report.
//! People are named only when [`Options::names`] is set; by default a card says which
//! organisations wrote it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::forms::agreements_report::{self, AgreementsReport};
use crate::forms::blocks_report::{self, BlocksReport};
use crate::forms::roles_report::{self, RolesReport};
use crate::forms::{FormId, FormRef};
use crate::ids::{DuoId, ParticipantId};
use crate::method::{self, LevelId, Localized};
use crate::plenary::{self, Card, Source};
use crate::schema::duo::DuoView;
use crate::schema::table::{Labels, Stack, TableView};
use crate::schema::voice::{CardKind, VoiceView};
use crate::schema::workshop::{DuoEntry, WorkshopView};

pub use crate::schema::workshop::Step1Counts;

/// The version of the JSON shape below; bumped when a field changes meaning or disappears.
pub const FORMAT: u32 = 1;

/// Everything a report is made of. No reflection document: step 1 comes as counts only.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub workshop: WorkshopView,
    /// When the workshop was created (ms since the Unix epoch); the report's date.
    pub created_at_ms: i64,
    /// Each duo's room, in the order of `workshop.duos`.
    pub duos: Vec<(DuoId, DuoView)>,
    pub table: TableView,
    pub voices: Vec<(ParticipantId, VoiceView)>,
    pub step1: Step1Counts,
}

/// Choices the reader of a report makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Name people (and duos by their members' names); otherwise by organisation only.
    pub names: bool,
}

/// The whole workshop result. Serialised as JSON this is the documented export shape
/// (`docs/report.md`); field order is the order of the printed report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`FORMAT`].
    pub format: u32,
    pub title: String,
    /// "nl" or "en"; the language of the level names and headings.
    pub language: String,
    /// The workshop's date, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The step the workshop is in (`lobby` … `closed`).
    pub step: String,
    /// Whether people are named in this report.
    pub names: bool,
    /// Whether participants may fetch this report (the facilitators shared it).
    pub shared: bool,
    pub participants: Participants,
    /// The three levels, inner to outer ring.
    pub levels: Vec<LevelReport>,
    /// The facilitators' own clusters on the flip chart, in their order.
    pub clusters: Vec<ClusterReport>,
    /// Cards still lying on the table, in no cluster.
    pub unsorted: Vec<CardReport>,
    /// "What is needed around responsibility in the collaboration?"
    pub needed: Vec<Answer>,
    /// "Where are chances to organise responsibility differently?"
    pub chances: Vec<Answer>,
    /// Energy dots each person could place.
    pub energy_dots_per_person: u32,
    /// The level with the most energy dots (`None` on a tie for first or without dots).
    pub most_energy: Option<LevelId>,
    /// Step 1, anonymous: notes per ring and green/red marks over everyone.
    pub step1: Step1Counts,
    /// The work form the workshop ran (000 for reports of workshops made before forms).
    #[serde(default)]
    pub form: FormRef,
    /// Work form 004: the group profile and the actions per block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<BlocksReport>,
    /// Work form 003: the balance, the role map and the role agreements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<RolesReport>,
    /// Work form 001: the TWOs, open proposals and objections, the canvas, the phases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreements: Option<AgreementsReport>,
    /// The collaboration this session belongs to: the earlier sessions, the agreements with
    /// their history and the backpack, as this session started from them (and its lessons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration: Option<crate::schema::collaboration::CollaborationView>,
}

/// Who took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participants {
    pub count: usize,
    /// Each organisation once, with how many people came from it; sorted by name.
    pub organisations: Vec<OrganisationCount>,
    /// Names, only when the report names people (otherwise empty).
    pub people: Vec<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationCount {
    pub organisation: String,
    pub people: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub organisation: String,
}

/// One level of responsibility in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelReport {
    pub level: LevelId,
    /// The level's name in the report's language.
    pub name: String,
    /// The questions chosen for this level, as texts.
    pub questions: Vec<String>,
    /// The level's cluster on the flip chart and the cards in it.
    pub cluster: ClusterReport,
    /// The insights shared in the round that their duo tagged with this level, in round order.
    pub shared: Vec<Answer>,
    /// Energy dots on this level, over everyone.
    pub energy: u32,
    /// Small changes in one's own actions that aim at this level.
    pub changes: Vec<Answer>,
}

/// A cluster of the flip chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterReport {
    pub id: String,
    pub title: String,
    /// One of `schema::table::COLORS`.
    pub color: String,
    /// Set for the three level clusters.
    pub level: Option<LevelId>,
    /// In their order on the flip chart.
    pub cards: Vec<CardReport>,
}

/// One card of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardReport {
    /// `<duo id>.<insight id>` or `<participant id>.<card id>`.
    pub key: String,
    pub text: String,
    /// "insight", "needed" or "chance".
    pub kind: String,
    /// The level its duo tagged it with (insights only).
    pub level: Option<LevelId>,
    /// Who wrote it: organisations, or names when the report names people.
    pub by: Option<String>,
    /// The insight its duo shared in the round.
    pub shared: bool,
    /// The card this one lies on (they say the same thing).
    pub stacked_on: Option<String>,
}

/// A short text and who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub text: String,
    pub by: Option<String>,
}

/// The day (UTC) of a Unix time in ms, as `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
pub fn date_of(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A duo as the report names it: its number (duos of the same two organisations differ only by
/// it), then names or organisations.
fn duo_by(ws: &WorkshopView, duo: &DuoEntry, opts: Options) -> Option<String> {
    let labels = if opts.names {
        Labels::Names
    } else {
        Labels::Organisations
    };
    Some(plenary::duo_title(ws, duo.id, labels, "Duo"))
}

fn person_by(ws: &WorkshopView, p: ParticipantId, opts: Options) -> Option<String> {
    let r = ws.roster.iter().find(|r| r.id == p)?;
    let s = if opts.names {
        r.name.trim()
    } else {
        r.organisation.trim()
    };
    (!s.is_empty()).then(|| s.to_owned())
}

/// Builds the report. Pure: the same sources give the same report.
pub fn build(src: &Sources, opts: Options) -> Report {
    let ws = &src.workshop;
    let lang = ws.language.as_str();
    let cards = plenary::cards(&src.duos, &src.voices);
    let by_of = |c: &Card| match &c.source {
        Source::Insight { duo } => ws
            .duos
            .iter()
            .find(|d| d.id == *duo)
            .and_then(|d| duo_by(ws, d, opts)),
        Source::Voice { owner, .. } => person_by(ws, *owner, opts),
    };
    let card_report = |c: &Card| CardReport {
        key: c.key.clone(),
        text: c.text.trim().to_owned(),
        kind: match &c.source {
            Source::Insight { .. } => "insight".to_owned(),
            Source::Voice { kind, .. } => kind.as_str().to_owned(),
        },
        level: c.level,
        by: by_of(c),
        shared: c.shared,
        // Named even when the card it is stacked on lies in another cluster (the layout then
        // shows it on its own there).
        stacked_on: src
            .table
            .cards
            .get(&c.key)
            .and_then(|p| p.stack.clone())
            .filter(|s| cards.iter().any(|o| &o.key == s)),
    };
    // The table page's layout: cards per cluster in their order, stacks after their base.
    let layout = src.table.layout(cards.iter().map(|c| c.key.as_str()));
    let by_key: BTreeMap<&str, &Card> = cards.iter().map(|c| (c.key.as_str(), c)).collect();
    let stack_reports = |stacks: &[Stack]| -> Vec<CardReport> {
        stacks
            .iter()
            .flat_map(Stack::keys)
            .filter_map(|k| by_key.get(k).map(|c| card_report(c)))
            .collect()
    };
    let unsorted = stack_reports(&layout.unsorted);
    let cluster_report = |cl: &crate::schema::table::Cluster| ClusterReport {
        id: cl.id.clone(),
        title: match cl.level {
            Some(l) if cl.title.trim().is_empty() => method::level(l).name.get(lang).to_owned(),
            _ => cl.title.clone(),
        },
        color: cl.color.clone(),
        level: cl.level,
        cards: stack_reports(layout.stacks_of(&cl.id)),
    };

    // The round: each duo's shared insight, in the round's order when there was one.
    let mut order: Vec<DuoId> = ws.round.order.clone();
    for (d, _) in &src.duos {
        if !order.contains(d) {
            order.push(*d);
        }
    }
    let shared: Vec<(LevelId, Answer)> = order
        .iter()
        .filter_map(|d| {
            let (_, room) = src.duos.iter().find(|(id, _)| id == d)?;
            let id = room.share.as_deref()?;
            let i = room.insights.iter().find(|i| i.id == id)?;
            if i.text.trim().is_empty() {
                return None;
            }
            let by = ws
                .duos
                .iter()
                .find(|e| e.id == *d)
                .and_then(|e| duo_by(ws, e, opts));
            Some((
                i.zone.level()?,
                Answer {
                    text: i.text.trim().to_owned(),
                    by,
                },
            ))
        })
        .collect();

    let energy = plenary::energy(&src.voices);
    let voice_answers = |kind: CardKind| -> Vec<Answer> {
        src.voices
            .iter()
            .flat_map(|(owner, v)| {
                v.cards
                    .iter()
                    .filter(move |c| c.kind == kind && !c.text.trim().is_empty())
                    .map(move |c| Answer {
                        text: c.text.trim().to_owned(),
                        by: person_by(ws, *owner, opts),
                    })
            })
            .collect()
    };

    let levels = LevelId::ALL
        .into_iter()
        .map(|level| {
            let cluster = src
                .table
                .clusters
                .iter()
                .find(|c| c.level == Some(level) && c.id == level.as_str())
                .map(cluster_report)
                .unwrap_or_else(|| ClusterReport {
                    id: level.as_str().to_owned(),
                    title: method::level(level).name.get(lang).to_owned(),
                    color: crate::schema::table::level_color(level).to_owned(),
                    level: Some(level),
                    cards: vec![],
                });
            LevelReport {
                level,
                name: method::level(level).name.get(lang).to_owned(),
                questions: ws.plan.chosen(level, lang),
                cluster,
                shared: shared
                    .iter()
                    .filter(|(l, _)| *l == level)
                    .map(|(_, a)| a.clone())
                    .collect(),
                energy: energy.get(&level).copied().unwrap_or(0),
                changes: src
                    .voices
                    .iter()
                    .filter_map(|(owner, v)| {
                        let c = v.change.as_ref().filter(|c| c.level == level)?;
                        (!c.text.trim().is_empty()).then(|| Answer {
                            text: c.text.trim().to_owned(),
                            by: person_by(ws, *owner, opts),
                        })
                    })
                    .collect(),
            }
        })
        .collect();

    let most_energy = {
        let max = energy.values().copied().max().unwrap_or(0);
        let top: Vec<LevelId> = energy
            .iter()
            .filter(|(_, n)| **n == max && max > 0)
            .map(|(l, _)| *l)
            .collect();
        (top.len() == 1).then(|| top[0])
    };

    let mut orgs: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for r in &ws.roster {
        let o = r.organisation.trim();
        if o.is_empty() {
            continue;
        }
        orgs.entry(o.to_lowercase())
            .or_insert_with(|| (o.to_owned(), 0))
            .1 += 1;
    }
    Report {
        format: FORMAT,
        title: ws.title.clone(),
        language: lang.to_owned(),
        date: date_of(src.created_at_ms),
        step: ws.step.map(|s| s.as_str()).unwrap_or("lobby").to_owned(),
        names: opts.names,
        shared: ws.report_shared,
        participants: Participants {
            count: ws.roster.len(),
            organisations: orgs
                .into_values()
                .map(|(organisation, people)| OrganisationCount {
                    organisation,
                    people,
                })
                .collect(),
            people: if opts.names {
                ws.roster
                    .iter()
                    .map(|r| Person {
                        name: r.name.trim().to_owned(),
                        organisation: r.organisation.trim().to_owned(),
                    })
                    .collect()
            } else {
                vec![]
            },
        },
        levels,
        clusters: src
            .table
            .clusters
            .iter()
            .filter(|c| !(c.level.is_some() && LevelId::parse(&c.id).is_some()))
            .map(cluster_report)
            .collect(),
        unsorted,
        needed: voice_answers(CardKind::Needed),
        chances: voice_answers(CardKind::Chance),
        energy_dots_per_person: ws.plan.energy_dots,
        most_energy,
        step1: src.step1,
        form: ws.form,
        blocks: (ws.form.id == FormId::BuildingBlocks).then(|| {
            blocks_report::build(
                ws,
                &src.duos,
                &src.voices,
                &src.table,
                |p| person_by(ws, p, opts),
                |d| {
                    ws.duos
                        .iter()
                        .find(|e| e.id == d)
                        .and_then(|e| duo_by(ws, e, opts))
                },
            )
        }),
        roles: (ws.form.id == FormId::Roles)
            .then(|| roles_report::build(ws, |p| person_by(ws, p, opts))),
        agreements: ws.form.form().consents().then(|| {
            agreements_report::build(ws, &src.voices, &src.table, |p| person_by(ws, p, opts))
        }),
        collaboration: ws.collaboration.clone(),
    }
}

/// Headings and labels of the rendered report, in both languages (the report page uses them too,
/// so the printed page and the Markdown say the same).
pub struct Headings {
    pub participants: Localized,
    pub organisations: Localized,
    pub people: Localized,
    pub questions: Localized,
    pub flip_chart: Localized,
    pub shared: Localized,
    pub energy: Localized,
    pub dots: Localized,
    pub dot: Localized,
    pub changes: Localized,
    pub clusters: Localized,
    pub unsorted: Localized,
    pub needed: Localized,
    pub chances: Localized,
    pub step1: Localized,
    pub step1_note: Localized,
    pub notes_in: Localized,
    pub note_in: Localized,
    pub green: Localized,
    pub red: Localized,
    pub green_short: Localized,
    pub red_short: Localized,
    pub most_energy: Localized,
    pub none: Localized,
    pub stacked: Localized,
    pub date: Localized,
}

pub const HEADINGS: Headings = Headings {
    participants: Localized {
        nl: "Deelnemers",
        en: "Participants",
    },
    organisations: Localized {
        nl: "Organisaties",
        en: "Organisations",
    },
    people: Localized {
        nl: "personen",
        en: "people",
    },
    questions: Localized {
        nl: "Gekozen denkvragen",
        en: "Chosen questions",
    },
    flip_chart: Localized {
        nl: "Op de flap",
        en: "On the flip chart",
    },
    shared: Localized {
        nl: "Gedeeld in de ronde",
        en: "Shared in the round",
    },
    energy: Localized {
        nl: "Energie",
        en: "Energy",
    },
    dots: Localized {
        nl: "stippen",
        en: "dots",
    },
    dot: Localized {
        nl: "stip",
        en: "dot",
    },
    changes: Localized {
        nl: "Kleine veranderingen",
        en: "Small changes",
    },
    clusters: Localized {
        nl: "Andere clusters",
        en: "Other clusters",
    },
    unsorted: Localized {
        nl: "Nog niet op de flap",
        en: "Not on the flip chart yet",
    },
    needed: Localized {
        nl: "Wat is er nodig m.b.t. verantwoordelijkheid in de samenwerking?",
        en: "What is needed around responsibility in the collaboration?",
    },
    chances: Localized {
        nl: "Waar liggen kansen om verantwoordelijkheid anders te organiseren?",
        en: "Where are chances to organise responsibility differently?",
    },
    step1: Localized {
        nl: "Stap 1 in cijfers",
        en: "Step 1 in numbers",
    },
    step1_note: Localized {
        nl: "Alleen tellingen: de individuele notities blijven privé.",
        en: "Counts only: the individual notes stay private.",
    },
    notes_in: Localized {
        nl: "notities in",
        en: "notes in",
    },
    note_in: Localized {
        nl: "notitie in",
        en: "note in",
    },
    green: Localized {
        nl: "groen (ideaal)",
        en: "green (ideal)",
    },
    red: Localized {
        nl: "rood (spanning)",
        en: "red (tension)",
    },
    green_short: Localized {
        nl: "groen",
        en: "green",
    },
    red_short: Localized {
        nl: "rood",
        en: "red",
    },
    most_energy: Localized {
        nl: "De meeste energie zit op niveau",
        en: "Most energy is at the level",
    },
    none: Localized {
        nl: "(niets)",
        en: "(nothing)",
    },
    stacked: Localized {
        nl: "op de stapel van",
        en: "stacked on",
    },
    date: Localized {
        nl: "Datum",
        en: "Date",
    },
};

const W: &Headings = &HEADINGS;

impl Headings {
    /// "1 dot", "3 dots" (and "0 dots"), in `lang`.
    pub fn dots_of(&self, n: u32, lang: &str) -> String {
        let word = if n == 1 { &self.dot } else { &self.dots };
        format!("{n} {}", word.get(lang))
    }

    /// "1 note in", "2 notes in", in `lang`.
    pub fn notes_in_of(&self, n: u32, lang: &str) -> String {
        let word = if n == 1 {
            &self.note_in
        } else {
            &self.notes_in
        };
        format!("{n} {}", word.get(lang))
    }
}

/// One line of Markdown text: no line breaks, and characters that would start markup escaped.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

fn md_answer(out: &mut String, a: &Answer) {
    match &a.by {
        Some(by) => writeln!(out, "- {} — *{}*", md(&a.text), md(by)),
        None => writeln!(out, "- {}", md(&a.text)),
    }
    .ok();
}

fn md_cards(out: &mut String, cards: &[CardReport], lang: &str) {
    if cards.is_empty() {
        writeln!(out, "{}", W.none.get(lang)).ok();
        return;
    }
    for c in cards {
        let mut line = format!("- {}", md(&c.text));
        if let Some(by) = &c.by {
            write!(line, " — *{}*", md(by)).ok();
        }
        if c.shared {
            line.push_str(" ★");
        }
        if let Some(s) = &c.stacked_on
            && let Some(base) = cards.iter().find(|o| &o.key == s)
        {
            write!(line, " ({} \"{}\")", W.stacked.get(lang), md(&base.text)).ok();
        }
        writeln!(out, "{line}").ok();
    }
}

/// The report as Markdown, for minutes.
pub fn markdown(r: &Report) -> String {
    let lang = r.language.as_str();
    let mut out = String::new();
    let w = &mut out;
    writeln!(w, "# {}\n", md(&r.title)).ok();
    writeln!(w, "{}: {}\n", W.date.get(lang), r.date).ok();
    writeln!(
        w,
        "## {} ({})\n",
        W.participants.get(lang),
        r.participants.count
    )
    .ok();
    if !r.participants.organisations.is_empty() {
        let orgs: Vec<String> = r
            .participants
            .organisations
            .iter()
            .map(|o| format!("{} ({})", md(&o.organisation), o.people))
            .collect();
        writeln!(w, "{}: {}\n", W.organisations.get(lang), orgs.join(", ")).ok();
    }
    for p in &r.participants.people {
        if p.organisation.is_empty() {
            writeln!(w, "- {}", md(&p.name)).ok();
        } else {
            writeln!(w, "- {} ({})", md(&p.name), md(&p.organisation)).ok();
        }
    }
    if !r.participants.people.is_empty() {
        w.push('\n');
    }
    if let Some(b) = &r.blocks {
        blocks_report::markdown(b, lang, w);
        return out;
    }
    if let Some(roles) = &r.roles {
        roles_report::markdown(roles, lang, w);
        return out;
    }
    if let Some(a) = &r.agreements {
        agreements_report::markdown(a, lang, w);
        if let Some(c) = &r.collaboration {
            agreements_report::collaboration_markdown(c, lang, w);
        }
        return out;
    }
    for l in &r.levels {
        writeln!(w, "## {}\n", md(&l.name)).ok();
        writeln!(w, "### {}\n", W.questions.get(lang)).ok();
        for q in &l.questions {
            writeln!(w, "- {}", md(q)).ok();
        }
        writeln!(w, "\n### {}\n", W.flip_chart.get(lang)).ok();
        md_cards(w, &l.cluster.cards, lang);
        writeln!(w, "\n### {}\n", W.shared.get(lang)).ok();
        if l.shared.is_empty() {
            writeln!(w, "{}", W.none.get(lang)).ok();
        }
        for a in &l.shared {
            md_answer(w, a);
        }
        writeln!(
            w,
            "\n### {}\n\n{}\n",
            W.energy.get(lang),
            W.dots_of(l.energy, lang)
        )
        .ok();
        if !l.changes.is_empty() {
            writeln!(w, "### {}\n", W.changes.get(lang)).ok();
            for a in &l.changes {
                md_answer(w, a);
            }
            w.push('\n');
        }
    }
    if let Some(top) = r.most_energy {
        let name = r
            .levels
            .iter()
            .find(|l| l.level == top)
            .map(|l| l.name.as_str())
            .unwrap_or(top.as_str());
        writeln!(w, "**{} {}.**\n", W.most_energy.get(lang), md(name)).ok();
    }
    if !r.clusters.is_empty() {
        writeln!(w, "## {}\n", W.clusters.get(lang)).ok();
        for c in &r.clusters {
            writeln!(w, "### {}\n", md(&c.title)).ok();
            md_cards(w, &c.cards, lang);
            w.push('\n');
        }
    }
    if !r.unsorted.is_empty() {
        writeln!(w, "## {}\n", W.unsorted.get(lang)).ok();
        md_cards(w, &r.unsorted, lang);
        w.push('\n');
    }
    for (title, list) in [(&W.needed, &r.needed), (&W.chances, &r.chances)] {
        writeln!(w, "## {}\n", title.get(lang)).ok();
        if list.is_empty() {
            writeln!(w, "{}", W.none.get(lang)).ok();
        }
        for a in list {
            md_answer(w, a);
        }
        w.push('\n');
    }
    let s = &r.step1;
    writeln!(w, "## {}\n", W.step1.get(lang)).ok();
    writeln!(w, "{}\n", W.step1_note.get(lang)).ok();
    writeln!(w, "- {}: {}", W.participants.get(lang), s.people).ok();
    for l in &r.levels {
        let (n, g, red) = s.ring(l.level);
        writeln!(
            w,
            "- {} {} ({g} {}, {red} {})",
            W.notes_in_of(n, lang),
            md(&l.name),
            W.green_short.get(lang),
            W.red_short.get(lang)
        )
        .ok();
    }
    writeln!(w, "- {}: {}", W.green.get(lang), s.green).ok();
    writeln!(w, "- {}: {}", W.red.get(lang), s.red).ok();
    out
}

/// A collaboration on its own as Markdown (its page's export): the title, then the sessions with
/// their route, every agreement with its versions and the backpack.
pub fn collaboration_markdown(
    title: &str,
    c: &crate::schema::collaboration::CollaborationView,
    lang: &str,
) -> String {
    let mut w = format!("# {}\n\n", md(title));
    agreements_report::collaboration_markdown(c, lang, &mut w);
    w
}

/// A collaboration on its own as CSV, in the report's columns: a row per session (`session`,
/// date, form, title, how many rated the route as value) and per route level mean (`route`),
/// per agreement (`agreement`, field, status, version, text, why as by, review date as shared,
/// since as value) and per earlier text (`earlier`), and per lesson (`lesson`).
pub fn collaboration_csv(c: &crate::schema::collaboration::CollaborationView) -> String {
    use crate::forms::horizon::Level;
    let mut out = String::new();
    let mut row = |fields: [&str; 8]| csv_line(&mut out, fields);
    row(CSV_HEADER);
    for s in &c.sessions {
        let answered = s.route.as_ref().map(|r| r.answered.to_string());
        row([
            "session",
            &s.date,
            s.form.as_str(),
            "",
            &s.title,
            "",
            "",
            answered.as_deref().unwrap_or(""),
        ]);
        for level in Level::ALL {
            if let Some(m) = s.route.as_ref().and_then(|r| r.mean(level)) {
                let mean = format!("{m:.1}");
                row(["route", &s.date, level.as_str(), "", "", "", "", &mean]);
            }
        }
    }
    for a in &c.ledger {
        let version = format!("v{}", a.version());
        row([
            "agreement",
            a.field.as_str(),
            a.status.as_str(),
            &version,
            &a.text,
            &a.why,
            a.review.as_deref().unwrap_or(""),
            &a.since,
        ]);
        for (i, e) in a.earlier.iter().enumerate() {
            let version = format!("v{}", i + 1);
            row(["earlier", a.field.as_str(), "", &version, e, "", "", &a.id]);
        }
    }
    for l in &c.backpack {
        row(["lesson", "", "", "", l, "", "", ""]);
    }
    out
}

/// Appends one CSV row (RFC 4180, CRLF).
fn csv_line(out: &mut String, fields: [&str; 8]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 8] = [
    "section", "cluster", "level", "kind", "text", "by", "shared", "value",
];

/// One CSV field: quoted when needed, and a leading `=`, `+`, `-`, `@` neutralised with `'` so a
/// spreadsheet does not run a card's text as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The report as CSV (RFC 4180, CRLF): one row per card, shared insight, answer, energy total
/// and step-1 count, for analysis in a spreadsheet.
pub fn csv(r: &Report) -> String {
    let mut out = String::new();
    let mut row = |fields: [&str; 8]| csv_line(&mut out, fields);
    row(CSV_HEADER);
    if let Some(b) = &r.blocks {
        // Form 004: the profile as counts per block and score, the actions with their dots, then
        // the duos' key insights on the block.
        for blk in &b.blocks {
            let id = blk.block.as_str();
            for (i, n) in blk.counts.iter().flat_map(|c| c.iter().enumerate()) {
                let (score, n) = ((i + 1).to_string(), n.to_string());
                row(["profile", id, "", &score, "", "", "", &n]);
            }
            for a in &blk.actions {
                let dots = a.dots.to_string();
                row([
                    "action",
                    id,
                    "",
                    "",
                    &a.text,
                    a.by.as_deref().unwrap_or(""),
                    "",
                    &dots,
                ]);
            }
            for c in &blk.duo_cards {
                row([
                    "duo_card",
                    id,
                    "",
                    "",
                    &c.text,
                    c.by.as_deref().unwrap_or(""),
                    "",
                    "",
                ]);
            }
        }
        return out;
    }
    if let Some(roles) = &r.roles {
        // Form 003: the balance, who holds or wants each role, and the agreements.
        roles_report::csv_rows(roles, &mut row);
        return out;
    }
    if let Some(a) = &r.agreements {
        // Form 001: the proposals by status, their objections, the canvas and the phases.
        agreements_report::csv_rows(a, &mut row);
        return out;
    }
    let level = |l: Option<LevelId>| l.map(|l| l.as_str()).unwrap_or("");
    let yes = |b: bool| if b { "yes" } else { "" };
    let clusters = r.levels.iter().map(|l| &l.cluster).chain(r.clusters.iter());
    for cl in clusters {
        for c in &cl.cards {
            row([
                "card",
                &cl.id,
                level(c.level),
                &c.kind,
                &c.text,
                c.by.as_deref().unwrap_or(""),
                yes(c.shared),
                "",
            ]);
        }
    }
    for c in &r.unsorted {
        row([
            "card",
            "",
            level(c.level),
            &c.kind,
            &c.text,
            c.by.as_deref().unwrap_or(""),
            yes(c.shared),
            "",
        ]);
    }
    for l in &r.levels {
        for a in &l.shared {
            let by = a.by.as_deref().unwrap_or("");
            row([
                "round",
                "",
                l.level.as_str(),
                "insight",
                &a.text,
                by,
                "yes",
                "",
            ]);
        }
    }
    for l in &r.levels {
        let n = l.energy.to_string();
        row(["energy", "", l.level.as_str(), "", "", "", "", &n]);
    }
    for (kind, list) in [("needed", &r.needed), ("chance", &r.chances)] {
        for a in list {
            let by = a.by.as_deref().unwrap_or("");
            row(["answer", "", "", kind, &a.text, by, "", ""]);
        }
    }
    for l in &r.levels {
        for a in &l.changes {
            let by = a.by.as_deref().unwrap_or("");
            row(["change", "", l.level.as_str(), "", &a.text, by, "", ""]);
        }
    }
    let s = &r.step1;
    for (what, lvl, n) in [
        ("people", "", s.people),
        ("notes", "individual", s.individual),
        ("notes", "collegial", s.collegial),
        ("notes", "collective", s.collective),
        ("green", "", s.green),
        ("red", "", s.red),
        ("green", "individual", s.individual_green),
        ("red", "individual", s.individual_red),
        ("green", "collegial", s.collegial_green),
        ("red", "collegial", s.collegial_red),
        ("green", "collective", s.collective_green),
        ("red", "collective", s.collective_red),
    ] {
        let n = n.to_string();
        row(["step1", "", lvl, what, "", "", "", &n]);
    }
    out
}

/// The colour of a cluster in pictures: fill, then border/heading — the app's palette
/// (`frontend/static/style.css`, `.c-*`), whose first three are the rings' colours.
pub fn color_hex(name: &str) -> (&'static str, &'static str) {
    match name {
        "blue" => ("#e6f0f5", "#2f6f8f"),
        "green" => ("#ebf2e7", "#3f6b33"),
        "orange" => ("#f8eee3", "#8a5524"),
        "purple" => ("#f0eaf6", "#6d4c91"),
        "pink" => ("#f8e8ee", "#a8476b"),
        "teal" => ("#e3f1f0", "#236661"),
        "yellow" => ("#fbf4d8", "#8a6d00"),
        _ => ("#f0f0ee", "#5b6576"),
    }
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Breaks a text into at most `lines` lines of at most `width` characters (by words; an
/// over-long word is cut), ending with "…" when it had to leave text out.
pub fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cut = false;
    for word in text.split_whitespace() {
        let mut word: String = word.to_owned();
        loop {
            let need = if cur.is_empty() {
                word.chars().count()
            } else {
                cur.chars().count() + 1 + word.chars().count()
            };
            if need <= width {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if cur.is_empty() {
                // A word longer than a line: cut it.
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                out.push(head);
            } else {
                out.push(std::mem::take(&mut cur));
            }
            if out.len() == lines {
                cut = true;
                break;
            }
        }
        if cut {
            break;
        }
    }
    if !cut && !cur.is_empty() {
        if out.len() == lines {
            cut = true;
        } else {
            out.push(cur);
        }
    }
    if cut && let Some(last) = out.last_mut() {
        while last.chars().count() + 1 > width {
            last.pop();
        }
        last.push('…');
    }
    out
}

const SVG_WIDTH: u32 = 1200;
const CARD_CHARS: usize = 30;
const CARD_LINES: usize = 5;
const LINE_H: u32 = 18;

/// The flip chart as an SVG picture: one column per cluster (the three levels first), the cards
/// as notes in their order, the energy dots under each level's heading, and what still lies on
/// the table below. Self-contained (no fonts or images loaded), for slides and minutes.
pub fn svg(r: &Report) -> String {
    let lang = r.language.as_str();
    if let Some(b) = &r.blocks {
        return blocks_report::svg(b, &r.title, lang);
    }
    if let Some(roles) = &r.roles {
        return roles_report::svg(roles, &r.title, lang);
    }
    let columns: Vec<(&ClusterReport, Option<u32>)> = r
        .levels
        .iter()
        .map(|l| (&l.cluster, Some(l.energy)))
        .chain(r.clusters.iter().map(|c| (c, None)))
        .collect();
    let n = columns.len().max(1) as u32;
    let margin = 24;
    let gap = 16;
    let col_w = (SVG_WIDTH - 2 * margin - gap * (n - 1)) / n;
    let chars = ((col_w.saturating_sub(24)) / 8).clamp(8, CARD_CHARS as u32) as usize;
    let top = 90;
    let mut body = String::new();
    let mut bottom = top;
    for (i, (cl, energy)) in columns.iter().enumerate() {
        let x = margin + i as u32 * (col_w + gap);
        let (fill, ink) = color_hex(&cl.color);
        let mut y = top;
        writeln!(
            body,
            r#"<g class="cluster" data-cluster="{id}"><rect x="{x}" y="{y}" width="{col_w}" height="__H{i}__" rx="10" fill="{fill}" stroke="{ink}" stroke-width="2"/>"#,
            id = xml(&cl.id)
        )
        .ok();
        for (j, line) in wrap(&cl.title, chars, 2).iter().enumerate() {
            writeln!(
                body,
                r#"<text x="{}" y="{}" font-size="18" font-weight="bold" fill="{ink}">{}</text>"#,
                x + 12,
                y + 26 + j as u32 * 22,
                xml(line)
            )
            .ok();
        }
        y += if cl.title.chars().count() > chars {
            60
        } else {
            40
        };
        if let Some(e) = energy {
            let shown = (*e).min(30);
            for d in 0..shown {
                writeln!(
                    body,
                    r#"<circle cx="{}" cy="{}" r="6" fill="{ink}"/>"#,
                    x + 18 + (d % 15) * 16,
                    y + 6 + (d / 15) * 16
                )
                .ok();
            }
            writeln!(
                body,
                r#"<text x="{}" y="{}" font-size="13" fill="{ink}">{}</text>"#,
                x + 12,
                y + 14 + shown.div_ceil(15).max(1) * 16,
                W.dots_of(*e, lang)
            )
            .ok();
            y += 22 + shown.div_ceil(15).max(1) * 16;
        }
        for c in &cl.cards {
            let lines = wrap(&c.text, chars, CARD_LINES);
            let by_h = if c.by.is_some() { LINE_H } else { 0 };
            let h = 12 + lines.len() as u32 * LINE_H + by_h + 4;
            let stacked = c.stacked_on.is_some();
            let cx = x + 10 + if stacked { 10 } else { 0 };
            let cw = col_w - 20 - if stacked { 10 } else { 0 };
            writeln!(
                body,
                r##"<g class="card"><rect x="{cx}" y="{y}" width="{cw}" height="{h}" rx="6" fill="#fffdf5" stroke="{}" stroke-width="{}"/>"##,
                if c.shared { ink } else { "#b9b29a" },
                if c.shared { 3 } else { 1 }
            )
            .ok();
            for (k, line) in lines.iter().enumerate() {
                writeln!(
                    body,
                    r##"<text x="{}" y="{}" font-size="14" fill="#222">{}</text>"##,
                    cx + 8,
                    y + 20 + k as u32 * LINE_H,
                    xml(line)
                )
                .ok();
            }
            if let Some(by) = &c.by {
                let by: String = wrap(by, chars, 1).concat();
                writeln!(
                    body,
                    r##"<text x="{}" y="{}" font-size="12" font-style="italic" fill="#666">{}</text>"##,
                    cx + 8,
                    y + 20 + lines.len() as u32 * LINE_H,
                    xml(&by)
                )
                .ok();
            }
            if c.shared {
                writeln!(
                    body,
                    r#"<text x="{}" y="{}" font-size="16" fill="{ink}">★</text>"#,
                    cx + cw - 20,
                    y + 18
                )
                .ok();
            }
            body.push_str("</g>\n");
            y += h + 8;
        }
        y += 8;
        let height = (y - top).max(120);
        body = body.replace(&format!("__H{i}__"), &height.to_string());
        body.push_str("</g>\n");
        bottom = bottom.max(top + height);
    }
    let mut y = bottom + 30;
    if !r.unsorted.is_empty() {
        writeln!(
            body,
            r##"<text x="{margin}" y="{y}" font-size="16" font-weight="bold" fill="#555">{}</text>"##,
            xml(W.unsorted.get(lang))
        )
        .ok();
        y += 12;
        let per_row = 4;
        let w = (SVG_WIDTH - 2 * margin - gap * (per_row - 1)) / per_row;
        let chars = ((w - 24) / 8) as usize;
        let mut row_h = 0;
        for (i, c) in r.unsorted.iter().enumerate() {
            let col = i as u32 % per_row;
            if col == 0 && i > 0 {
                y += row_h + 8;
                row_h = 0;
            }
            let lines = wrap(&c.text, chars, 3);
            let h = 12 + lines.len() as u32 * LINE_H;
            row_h = row_h.max(h);
            let x = margin + col * (w + gap);
            writeln!(
                body,
                r##"<g class="card unsorted"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="#f7f7f7" stroke="#bbb"/>"##
            )
            .ok();
            for (k, line) in lines.iter().enumerate() {
                writeln!(
                    body,
                    r##"<text x="{}" y="{}" font-size="13" fill="#444">{}</text>"##,
                    x + 8,
                    y + 18 + k as u32 * LINE_H,
                    xml(line)
                )
                .ok();
            }
            body.push_str("</g>\n");
        }
        y += row_h + 8;
    }
    let height = y + 16;
    let mut out = String::new();
    writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{height}" viewBox="0 0 {SVG_WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="{}">"##,
        xml(&r.title)
    )
    .ok();
    writeln!(
        out,
        r##"<rect width="{SVG_WIDTH}" height="{height}" fill="#ffffff"/>"##
    )
    .ok();
    writeln!(
        out,
        r##"<text x="{margin}" y="44" font-size="28" font-weight="bold" fill="#222">{}</text>"##,
        xml(&r.title)
    )
    .ok();
    writeln!(
        out,
        r##"<text x="{margin}" y="70" font-size="14" fill="#666">{} · {} {}</text>"##,
        r.date,
        r.participants.count,
        W.people.get(lang)
    )
    .ok();
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::duo::Insight;
    use crate::schema::table::{Cluster, Placement};
    use crate::schema::voice::{SmallChange, VoiceCard};
    use crate::schema::workshop::RosterEntry;

    struct Fixture {
        src: Sources,
        d1: DuoId,
        d2: DuoId,
    }

    fn person(name: &str, org: &str) -> RosterEntry {
        RosterEntry {
            id: ParticipantId::random(),
            name: name.into(),
            organisation: org.into(),
            joined_at: 0,
            reflection: None,
            voice: None,
            rating: None,
            role_sheet: None,
            answers: None,
        }
    }

    fn place(t: &mut TableView, key: &str, cluster: &str, order: f64, stack: Option<&str>) {
        t.cards.insert(
            key.into(),
            Placement {
                cluster: cluster.into(),
                order,
                stack: stack.map(Into::into),
            },
        );
    }

    fn fixture() -> Fixture {
        let (an, bert, cis, dirk) = (
            person("An", "OCMW Gent"),
            person("Bert", "CAW"),
            person("Cis", "ocmw gent"),
            person("Dirk", "Kind & Gezin"),
        );
        let (d1, d2) = (DuoId::random(), DuoId::random());
        let ws = WorkshopView {
            title: "Samen sterk".into(),
            language: "nl".into(),
            step: Some(crate::step::Step::Closed),
            duos: vec![
                DuoEntry {
                    id: d1,
                    members: vec![an.id, bert.id],
                    doc: None,
                    number: None,
                },
                DuoEntry {
                    id: d2,
                    members: vec![cis.id, dirk.id],
                    doc: None,
                    number: None,
                },
            ],
            roster: vec![an.clone(), bert.clone(), cis.clone(), dirk.clone()],
            ..WorkshopView::default()
        };
        let room = |ins: &[(&str, &str, LevelId)], share: &str| DuoView {
            insights: ins
                .iter()
                .map(|(id, text, level)| Insight {
                    id: (*id).into(),
                    text: (*text).into(),
                    zone: (*level).into(),
                })
                .collect(),
            share: Some(share.into()),
            ..DuoView::default()
        };
        let duos = vec![
            (
                d1,
                room(
                    &[
                        ("a", "Elkaar vaker bellen", LevelId::Collegial),
                        ("b", "Eigen grenzen kennen", LevelId::Individual),
                    ],
                    "a",
                ),
            ),
            (
                d2,
                room(
                    &[("c", "Een gedeeld doel, \"samen\"", LevelId::Collective)],
                    "c",
                ),
            ),
        ];
        let voices = vec![
            (
                an.id,
                VoiceView {
                    energy: [(LevelId::Collegial, 2), (LevelId::Collective, 1)].into(),
                    cards: vec![VoiceCard {
                        id: "n1".into(),
                        kind: CardKind::Needed,
                        text: "Tijd voor overleg".into(),
                        duo: None,
                    }],
                    change: Some(SmallChange {
                        text: "Elke week één collega bellen".into(),
                        level: LevelId::Collegial,
                    }),
                    ..VoiceView::default()
                },
            ),
            (
                bert.id,
                VoiceView {
                    energy: [(LevelId::Collegial, 3)].into(),
                    cards: vec![VoiceCard {
                        id: "k1".into(),
                        kind: CardKind::Chance,
                        text: "=Gedeelde agenda".into(),
                        duo: None,
                    }],
                    change: None,
                    ..VoiceView::default()
                },
            ),
        ];
        let mut table = TableView::default();
        table.clusters.push(Cluster {
            id: "c-tijd".into(),
            title: "Tijd".into(),
            color: "orange".into(),
            level: None,
            order: 5.0,
        });
        place(&mut table, &format!("{d1}.a"), "collegial", 2.0, None);
        place(&mut table, &format!("{d1}.b"), "collegial", 1.0, None);
        place(
            &mut table,
            &format!("{d2}.c"),
            "collective",
            1.0,
            Some(&format!("{d1}.a")),
        );
        place(&mut table, &format!("{}.n1", an.id), "c-tijd", 1.0, None);
        Fixture {
            src: Sources {
                workshop: ws,
                created_at_ms: 1_764_000_000_000,
                duos,
                table,
                voices,
                step1: Step1Counts {
                    people: 3,
                    individual: 4,
                    collegial: 2,
                    collective: 1,
                    green: 2,
                    red: 1,
                    individual_green: 2,
                    collective_red: 1,
                    ..Step1Counts::default()
                },
            },
            d1,
            d2,
        }
    }

    #[test]
    fn cards_land_in_their_clusters_in_order_named_by_organisation() {
        let f = fixture();
        let r = build(&f.src, Options::default());
        assert_eq!(r.date, "2025-11-24");
        let texts = |c: &ClusterReport| c.cards.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&r.levels[0].cluster), Vec::<String>::new());
        assert_eq!(
            texts(&r.levels[1].cluster),
            vec!["Eigen grenzen kennen", "Elkaar vaker bellen"],
            "by placement order, not by level tag"
        );
        assert_eq!(
            r.levels[1].cluster.cards[1].by.as_deref(),
            Some("Duo 1 · OCMW Gent & CAW")
        );
        assert!(r.levels[1].cluster.cards[1].shared);
        assert_eq!(
            texts(&r.levels[2].cluster),
            vec!["Een gedeeld doel, \"samen\""]
        );
        // A stack on a card in another cluster is still named.
        assert_eq!(
            r.levels[2].cluster.cards[0].stacked_on,
            Some(format!("{}.a", f.d1))
        );
        assert_eq!(r.clusters.len(), 1);
        assert_eq!(texts(&r.clusters[0]), vec!["Tijd voor overleg"]);
        assert_eq!(r.clusters[0].cards[0].by.as_deref(), Some("OCMW Gent"));
        // The chance card lies on the table, unsorted.
        assert_eq!(r.unsorted.len(), 1);
        assert_eq!(r.unsorted[0].kind, "chance");
        assert_eq!(r.levels[1].energy, 5);
        assert_eq!(r.most_energy, Some(LevelId::Collegial));
        assert_eq!(r.levels[1].shared[0].text, "Elkaar vaker bellen");
        assert_eq!(
            r.levels[2].shared[0].by.as_deref(),
            Some("Duo 2 · ocmw gent & Kind & Gezin")
        );
        assert_eq!(r.levels[1].changes[0].text, "Elke week één collega bellen");
        assert_eq!(r.participants.count, 4);
        assert_eq!(
            r.participants.organisations,
            vec![
                OrganisationCount {
                    organisation: "CAW".into(),
                    people: 1
                },
                OrganisationCount {
                    organisation: "Kind & Gezin".into(),
                    people: 1
                },
                OrganisationCount {
                    organisation: "OCMW Gent".into(),
                    people: 2
                },
            ]
        );
        assert!(r.participants.people.is_empty());
        let _ = f.d2;
    }

    #[test]
    fn names_appear_only_when_asked_for() {
        let f = fixture();
        for (names, expect) in [(false, false), (true, true)] {
            let r = build(&f.src, Options { names });
            let all = format!(
                "{}{}{}{}",
                markdown(&r),
                csv(&r),
                svg(&r),
                serde_json::to_string(&r).unwrap()
            );
            if expect {
                assert!(all.contains("An & Bert") && all.contains("Cis & Dirk"));
            } else {
                for name in ["Bert", "Cis", "Dirk"] {
                    assert!(!all.contains(name), "{name} named without names");
                }
            }
        }
    }

    #[test]
    fn markdown_has_every_section_and_escapes_markup() {
        let f = fixture();
        let mut src = f.src.clone();
        src.workshop.title = "Ronde *1*".into();
        let m = markdown(&build(&src, Options::default()));
        assert!(m.starts_with("# Ronde \\*1\\*\n"), "{m}");
        for heading in [
            "## Individueel",
            "## Collegiaal",
            "## Collectief",
            "### Gedeeld in de ronde",
            "## Andere clusters",
            "### Tijd",
            "## Nog niet op de flap",
            "## Stap 1 in cijfers",
        ] {
            assert!(m.contains(heading), "missing {heading}");
        }
        assert!(m.contains("- Elkaar vaker bellen — *Duo 1 · OCMW Gent & CAW* ★"));
        assert!(m.contains("- 4 notities in Individueel (2 groen, 0 rood)"));
        assert!(m.contains("- 1 notitie in Collectief (0 groen, 1 rood)"));
        assert!(m.contains("**De meeste energie zit op niveau Collegiaal.**"));
    }

    #[test]
    fn csv_quotes_escapes_and_neutralises_formulas() {
        let f = fixture();
        let c = csv(&build(&f.src, Options::default()));
        let lines: Vec<&str> = c.split("\r\n").collect();
        assert_eq!(lines[0], "section,cluster,level,kind,text,by,shared,value");
        assert!(lines.contains(
            &"card,collective,collective,insight,\"Een gedeeld doel, \"\"samen\"\"\",Duo 2 · ocmw gent & Kind & Gezin,yes,"
        ));
        assert!(lines.contains(&"card,,,chance,'=Gedeelde agenda,CAW,,"));
        assert!(lines.contains(&"energy,,collegial,,,,,5"));
        assert!(lines.contains(&"step1,,individual,notes,,,,4"));
        assert!(lines.contains(&"step1,,collective,red,,,,1"));
    }

    #[test]
    fn the_report_round_trips_through_json() {
        let r = build(&fixture().src, Options::default());
        let json = serde_json::to_string(&r).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert!(json.contains("\"level\":\"collegial\""));
    }

    #[test]
    fn the_svg_is_well_formed_and_shows_every_card() {
        let r = build(&fixture().src, Options::default());
        let s = svg(&r);
        assert!(s.starts_with("<svg ") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<g class=\"card").count(), 5);
        assert_eq!(s.matches("<g class=\"cluster\"").count(), 4);
        assert!(s.contains("Een gedeeld doel, &quot;samen&quot;"));
        assert!(!s.contains("__H"));
        // Every opened group is closed.
        assert_eq!(s.matches("<g ").count(), s.matches("</g>").count());
    }

    #[test]
    fn text_wraps_by_words_and_marks_what_it_leaves_out() {
        assert_eq!(wrap("een twee drie", 8, 3), vec!["een twee", "drie"]);
        assert_eq!(wrap("abcdefghij", 4, 3), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a b c d e f", 3, 2), vec!["a b", "c …"]);
        assert_eq!(wrap("", 5, 2), Vec::<String>::new());
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(951_782_400_000), "2000-02-29");
        assert_eq!(date_of(1_764_028_799_999), "2025-11-24");
    }
}
