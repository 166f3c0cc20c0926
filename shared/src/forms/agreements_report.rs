//! Work form 001's part of the report — the seed's "bondig, concreet verslag": the agreements
//! (TWOs) with why and when to review them, the canvas field by field, the proposals still open
//! with their objections, what the group dropped, and where the group said the collaboration
//! stands (only as the server published it, so never below k answers); as Markdown and CSV rows.
//!
//! Cards are labelled as the report says (names only when it names people, otherwise the
//! author's organisation). The report never sees an answers document: objections appear only as
//! the server's tally wrote them, without who.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::agreements::{self, FieldId, Phase, Status};
use crate::ids::ParticipantId;
use crate::method::Localized;
use crate::schema::table::TableView;
use crate::schema::voice::VoiceView;
use crate::schema::workshop::WorkshopView;

const fn l(nl: &'static str, en: &'static str) -> Localized {
    Localized { nl, en }
}

/// 001's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementsReport {
    /// Where the group said the collaboration stands; `None` while fewer than k answered.
    pub phases: Option<PhasesReport>,
    /// The adopted proposals.
    pub twos: Vec<ProposalReport>,
    /// Proposals not (yet) adopted, with their last round's objections.
    pub open: Vec<ProposalReport>,
    pub dropped: Vec<ProposalReport>,
    /// The nine fields in the seed's order, with their cards.
    pub canvas: Vec<FieldReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhasesReport {
    pub answered: u32,
    /// Per phase (in the seed's order): its name and how many chose it.
    pub phases: Vec<(Phase, String, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalReport {
    pub id: String,
    pub field: FieldId,
    pub field_name: String,
    pub text: String,
    /// 1 for the first text, one more per amendment.
    pub version: u32,
    /// The texts before each amendment, oldest first.
    pub earlier: Vec<String>,
    pub why: String,
    pub review: Option<String>,
    /// The last round's counts: agree, workable for now, objection (all 0 if never asked).
    pub agree: u32,
    pub workable: u32,
    pub object: u32,
    pub objections: Vec<String>,
    pub concerns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldReport {
    pub id: FieldId,
    pub name: String,
    /// Each group of merged cards as one entry: the texts, and who wrote them.
    pub cards: Vec<CanvasCardReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanvasCardReport {
    pub texts: Vec<String>,
    pub by: Vec<String>,
}

/// Headings of 001's part, in both languages (the report page uses them too).
pub struct Headings {
    pub twos: Localized,
    pub why: Localized,
    pub review: Localized,
    pub earlier: Localized,
    pub open: Localized,
    pub objections: Localized,
    pub concerns: Localized,
    pub dropped: Localized,
    pub canvas: Localized,
    pub phases: Localized,
    pub answered: Localized,
    pub none_yet: Localized,
    pub version: Localized,
    pub collaboration: Localized,
    pub ledger: Localized,
    pub backpack: Localized,
    pub due: Localized,
    pub sessions: Localized,
}

pub const HEADINGS: Headings = Headings {
    twos: l(
        "Tijdelijk werkbare overeenkomsten (TWO's)",
        "Temporary workable agreements (TWOs)",
    ),
    why: l("Waarom", "Why"),
    review: l("Herzien op", "Review on"),
    earlier: l("Eerdere versies", "Earlier versions"),
    open: l("Nog open voorstellen", "Proposals still open"),
    objections: l("Bezwaren", "Objections"),
    concerns: l(
        "Werkbaar voor nu, met de kanttekening",
        "Workable for now, noting",
    ),
    dropped: l("Laten vallen", "Dropped"),
    canvas: l("Consensus vastleggen", "Recording consensus"),
    phases: l(
        "Waar staat de samenwerking?",
        "Where does the collaboration stand?",
    ),
    answered: l("antwoorden", "answers"),
    none_yet: l("Nog geen", "None yet"),
    version: l("versie", "version"),
    collaboration: l("De samenwerking", "The collaboration"),
    ledger: l(
        "Afspraken over de sessies heen",
        "Agreements across the sessions",
    ),
    backpack: l("Rugzak: lessons learned", "Backpack: lessons learned"),
    due: l("Op de agenda: herzien", "On the agenda: review"),
    sessions: l("Eerdere sessies", "Earlier sessions"),
};

/// Builds 001's part from the workshop view, the participants' voices (the canvas cards) and
/// the table (the facilitator's curation); `by` labels a participant as the report does.
pub fn build(
    ws: &WorkshopView,
    voices: &[(ParticipantId, VoiceView)],
    table: &TableView,
    by: impl Fn(ParticipantId) -> Option<String>,
) -> AgreementsReport {
    let lang = ws.language.as_str();
    let c = &ws.consensus;
    let report = |p: &crate::schema::proposals::Proposal| {
        let t = c.tally(&p.id).cloned().unwrap_or_default();
        ProposalReport {
            id: p.id.clone(),
            field: p.field,
            field_name: p.field.name().get(lang).to_owned(),
            text: p.text.clone(),
            version: p.version(),
            earlier: p.earlier.clone(),
            why: p.why.clone(),
            review: p.review.clone(),
            agree: t.agree,
            workable: t.workable,
            object: t.object,
            objections: t.objections,
            concerns: t.concerns,
        }
    };
    let with = |s: Status| {
        c.proposals
            .iter()
            .filter(|p| p.status == s)
            .map(report)
            .collect::<Vec<_>>()
    };
    let canvas = agreements::canvas(voices, table)
        .into_iter()
        .map(|(f, groups)| FieldReport {
            id: f,
            name: f.name().get(lang).to_owned(),
            cards: groups
                .into_iter()
                .map(|g| {
                    let mut by_list: Vec<String> =
                        g.cards.iter().filter_map(|c| by(c.owner)).collect();
                    by_list.sort();
                    by_list.dedup();
                    CanvasCardReport {
                        texts: g.cards.into_iter().map(|c| c.text).collect(),
                        by: by_list,
                    }
                })
                .collect(),
        })
        .collect();
    AgreementsReport {
        phases: c.phases.as_ref().map(|p| PhasesReport {
            answered: p.answered,
            phases: Phase::ALL
                .iter()
                .map(|ph| (*ph, ph.name().get(lang).to_owned(), p.count(*ph)))
                .collect(),
        }),
        twos: with(Status::Adopted),
        open: with(Status::Open),
        dropped: with(Status::Dropped),
        canvas,
    }
}

fn md(s: &str) -> String {
    crate::report::md(s)
}

/// Appends 001's part as Markdown.
pub fn markdown(r: &AgreementsReport, lang: &str, w: &mut String) {
    let h = &HEADINGS;
    writeln!(w, "## {}\n", h.twos.get(lang)).ok();
    if r.twos.is_empty() {
        writeln!(w, "{}\n", h.none_yet.get(lang)).ok();
    }
    for p in &r.twos {
        writeln!(
            w,
            "- **{}** ({}, {} {})",
            md(&p.text),
            md(&p.field_name),
            h.version.get(lang),
            p.version
        )
        .ok();
        if !p.why.trim().is_empty() {
            writeln!(w, "  - {}: {}", h.why.get(lang), md(&p.why)).ok();
        }
        if let Some(d) = &p.review {
            writeln!(w, "  - {}: {d}", h.review.get(lang)).ok();
        }
        for c in &p.concerns {
            writeln!(w, "  - {}: {}", h.concerns.get(lang), md(c)).ok();
        }
        if !p.earlier.is_empty() {
            let e: Vec<String> = p.earlier.iter().map(|t| md(t)).collect();
            writeln!(w, "  - {}: {}", h.earlier.get(lang), e.join(" → ")).ok();
        }
    }
    w.push('\n');
    if !r.open.is_empty() {
        writeln!(w, "## {}\n", h.open.get(lang)).ok();
        for p in &r.open {
            writeln!(w, "- {} ({})", md(&p.text), md(&p.field_name)).ok();
            for o in &p.objections {
                writeln!(w, "  - {}: {}", h.objections.get(lang), md(o)).ok();
            }
        }
        w.push('\n');
    }
    if !r.dropped.is_empty() {
        writeln!(w, "## {}\n", h.dropped.get(lang)).ok();
        for p in &r.dropped {
            writeln!(w, "- {}", md(&p.text)).ok();
        }
        w.push('\n');
    }
    writeln!(w, "## {}\n", h.canvas.get(lang)).ok();
    for f in &r.canvas {
        writeln!(w, "### {}\n", md(&f.name)).ok();
        if f.cards.is_empty() {
            writeln!(w, "–\n").ok();
            continue;
        }
        for c in &f.cards {
            let texts: Vec<String> = c.texts.iter().map(|t| md(t)).collect();
            if c.by.is_empty() {
                writeln!(w, "- {}", texts.join(" / ")).ok();
            } else {
                writeln!(w, "- {} ({})", texts.join(" / "), md(&c.by.join(", "))).ok();
            }
        }
        w.push('\n');
    }
    if let Some(p) = &r.phases {
        writeln!(
            w,
            "## {}\n\n{} {}\n",
            h.phases.get(lang),
            p.answered,
            h.answered.get(lang)
        )
        .ok();
        for (_, name, n) in &p.phases {
            writeln!(w, "- {}: {n}", md(name)).ok();
        }
        w.push('\n');
    }
}

/// Appends the collaboration's part as Markdown: the sessions so far, every agreement with its
/// versions, the backpack.
pub fn collaboration_markdown(
    c: &crate::schema::collaboration::CollaborationView,
    lang: &str,
    w: &mut String,
) {
    let h = &HEADINGS;
    writeln!(w, "## {}\n", h.collaboration.get(lang)).ok();
    for s in &c.sessions {
        writeln!(w, "- {} ({})", md(&s.title), s.date).ok();
    }
    w.push('\n');
    writeln!(w, "### {}\n", h.ledger.get(lang)).ok();
    for a in &c.ledger {
        let status = if a.status == Status::Dropped {
            format!(" — {}", h.dropped.get(lang))
        } else {
            String::new()
        };
        writeln!(
            w,
            "- **{}** ({} {}{status}; {})",
            md(&a.text),
            h.version.get(lang),
            a.version(),
            md(&a.since)
        )
        .ok();
        if let Some(d) = &a.review {
            writeln!(w, "  - {}: {d}", h.review.get(lang)).ok();
        }
        if !a.earlier.is_empty() {
            let e: Vec<String> = a.earlier.iter().map(|t| md(t)).collect();
            writeln!(w, "  - {}: {}", h.earlier.get(lang), e.join(" → ")).ok();
        }
    }
    w.push('\n');
    writeln!(w, "### {}\n", h.backpack.get(lang)).ok();
    for l in &c.backpack {
        writeln!(w, "- {}", md(l)).ok();
    }
    w.push('\n');
}

/// Appends 001's rows to the report's CSV (`section, cluster, level, kind, text, by, shared,
/// value`): per proposal its status as section, its field as cluster, its version as kind, why
/// as by, the review date as shared and the objections counted as value, then a row per
/// objection and per canvas card, and the phases.
pub fn csv_rows(r: &AgreementsReport, row: &mut impl FnMut([&str; 8])) {
    for (section, list) in [("two", &r.twos), ("open", &r.open), ("dropped", &r.dropped)] {
        for p in list {
            let version = format!("v{}", p.version);
            let object = p.object.to_string();
            let review = p.review.as_deref().unwrap_or("");
            let field = p.field.as_str();
            row([
                section, field, "", &version, &p.text, &p.why, review, &object,
            ]);
            for o in &p.objections {
                row(["objection", field, "", "", o, "", "", ""]);
            }
        }
    }
    for f in &r.canvas {
        for c in &f.cards {
            let texts = c.texts.join(" / ");
            let by = c.by.join(", ");
            row(["canvas", f.id.as_str(), "", "card", &texts, &by, "", ""]);
        }
    }
    if let Some(p) = &r.phases {
        for (phase, _, n) in &p.phases {
            let n = n.to_string();
            row(["phase", phase.as_str(), "", "", "", "", "", &n]);
        }
    }
}
