//! The consent forms' part of the report (001 and 002) — 001's "bondig, concreet verslag": the
//! agreements (TWOs) with why and when to review them, the canvas field by field, the proposals
//! still open with their objections, what the group dropped, and where the group said the
//! collaboration stands (only as the server published it, so never below k answers); for 002 also
//! the horizon the group agreed and the route (the k-anonymous profile of the three levels); as
//! Markdown and CSV rows.
//!
//! Cards are labelled as the report says (names only when it names people, otherwise the
//! author's organisation). The report never sees an answers document: objections appear only as
//! the server's tally wrote them, without who.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::agreements::{self, FieldId, Phase, Status};
use super::horizon::Level;
use crate::ids::ParticipantId;
use crate::method::Localized;
use crate::schema::table::TableView;
use crate::schema::voice::VoiceView;
use crate::schema::workshop::WorkshopView;

const fn l(nl: &'static str, en: &'static str) -> Localized {
    Localized { nl, en }
}

/// 001's and 002's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementsReport {
    /// Where the group said the collaboration stands; `None` while fewer than k answered.
    pub phases: Option<PhasesReport>,
    /// 002: the horizon the group agreed on (an adopted proposal of the field "horizon").
    #[serde(default)]
    pub horizon: Option<String>,
    /// 002: the route, once shown (never below k ratings).
    #[serde(default)]
    pub route: Option<RouteReport>,
    /// The adopted proposals.
    pub twos: Vec<ProposalReport>,
    /// Proposals not (yet) adopted, with their last round's objections.
    pub open: Vec<ProposalReport>,
    pub dropped: Vec<ProposalReport>,
    /// The form's fields in the seed's order, with their cards.
    pub canvas: Vec<FieldReport>,
}

/// 002's route in the report: how many rated, and per level its name, mean and counts of 1–5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteReport {
    pub answered: u32,
    pub levels: Vec<RouteLevelReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteLevelReport {
    pub level: Level,
    pub name: String,
    pub mean: f64,
    pub counts: [u32; 5],
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
    pub horizon: Localized,
    pub route: Localized,
    pub route_over_time: Localized,
    pub mean: Localized,
    pub session: Localized,
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
    horizon: l("Onze horizon", "Our horizon"),
    route: l(
        "De route: hoe gaat het onderweg?",
        "The route: how is it going?",
    ),
    route_over_time: l("De route per sessie", "The route per session"),
    mean: l("gemiddeld", "mean"),
    session: l("Sessie", "Session"),
};

/// Builds 001's or 002's part from the workshop view, the participants' voices (the canvas cards) and
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
    let fields = agreements::all_fields(ws.form.id);
    let canvas = agreements::canvas(fields, voices, table)
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
    let horizon = c.horizon().map(|p| p.text.clone());
    let route = c.route.as_ref().map(|r| RouteReport {
        answered: r.answered,
        levels: r
            .levels
            .iter()
            .filter_map(|(level, counts)| {
                Some(RouteLevelReport {
                    level: *level,
                    name: level.name().get(lang).to_owned(),
                    mean: r.mean(*level)?,
                    counts: *counts,
                })
            })
            .collect(),
    });
    AgreementsReport {
        horizon,
        route,
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

/// Appends 001's or 002's part as Markdown.
pub fn markdown(r: &AgreementsReport, lang: &str, w: &mut String) {
    let h = &HEADINGS;
    if let Some(t) = &r.horizon {
        writeln!(w, "## {}\n\n> {}\n", h.horizon.get(lang), md(t)).ok();
    }
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
    if let Some(r) = &r.route {
        writeln!(
            w,
            "## {}\n\n{} {}\n",
            h.route.get(lang),
            r.answered,
            h.answered.get(lang)
        )
        .ok();
        for l in &r.levels {
            let counts: Vec<String> = l.counts.iter().map(u32::to_string).collect();
            writeln!(
                w,
                "- {}: {} {:.1} (1–5: {})",
                md(&l.name),
                h.mean.get(lang),
                l.mean,
                counts.join(" · ")
            )
            .ok();
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
    if let Some(a) = c.horizon() {
        writeln!(w, "{}: **{}**\n", h.horizon.get(lang), md(&a.text)).ok();
    }
    for s in &c.sessions {
        write!(w, "- {} ({})", md(&s.title), s.date).ok();
        if let Some(r) = &s.route {
            let means: Vec<String> = Level::ALL
                .iter()
                .filter_map(|l| Some(format!("{} {:.1}", l.name().get(lang), r.mean(*l)?)))
                .collect();
            if !means.is_empty() {
                write!(w, " — {}: {}", h.route.get(lang), means.join(", ")).ok();
            }
        }
        w.push('\n');
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
    if let Some(t) = &r.horizon {
        row(["horizon", "horizon", "", "", t, "", "", ""]);
    }
    if let Some(route) = &r.route {
        for l in &route.levels {
            let mean = format!("{:.2}", l.mean);
            for (i, n) in l.counts.iter().enumerate() {
                let (score, n) = ((i + 1).to_string(), n.to_string());
                row(["route", l.level.as_str(), &score, "", "", "", "", &n]);
            }
            row(["route", l.level.as_str(), "", "mean", "", "", "", &mean]);
        }
    }
}
