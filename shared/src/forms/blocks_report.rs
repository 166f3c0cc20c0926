//! Work form 004's part of the report: the group profile (per block the distribution of ratings,
//! only as the server published it, so never below k answers) and the actions per block with
//! their dots, and the key insights duos tied to each block in step 2 (duos are optional in 004);
//! rendered as Markdown and as an SVG chart of the profile.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::blocks::{self, BlockId};
use crate::ids::{DuoId, ParticipantId};
use crate::method::Localized;
use crate::schema::duo::DuoView;
use crate::schema::table::TableView;
use crate::schema::voice::VoiceView;
use crate::schema::workshop::WorkshopView;

/// 004's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlocksReport {
    /// Answers needed before a profile is shown.
    pub k: u32,
    /// People who rated; `None` while fewer than k did (then no block has counts).
    pub answered: Option<u32>,
    /// The six blocks in the seed's order.
    pub blocks: Vec<BlockReport>,
}

/// One block in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockReport {
    pub block: BlockId,
    /// In the report's language.
    pub name: String,
    /// How many gave 1, 2, 3, 4 and 5; `None` when fewer than k rated it.
    pub counts: Option<[u32; 5]>,
    pub mean: Option<f64>,
    /// Most dots first.
    pub actions: Vec<ActionReport>,
    /// The key insights duos tied to this block in step 2, in the order of the duos.
    #[serde(default)]
    pub duo_cards: Vec<DuoCardReport>,
}

/// A key insight a duo tied to a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuoCardReport {
    pub text: String,
    /// The duo, as the report names duos (`Duo 2 · …`).
    pub by: Option<String>,
}

/// One action, or a group of actions the facilitator put together (they say the same thing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    /// The group's base: the action the others were put with.
    pub text: String,
    /// The dots on the whole group.
    pub dots: u32,
    /// Who wrote the base, when the report names people.
    pub by: Option<String>,
    /// The other actions of the group, in the order they were put there.
    #[serde(default)]
    pub also: Vec<String>,
}

/// Builds 004's part from the workshop (its published profile), the duo rooms (their cards per
/// block), the voices (the actions) and the table (how the facilitator grouped them). `by` names
/// an action's writer, `duo_by` a duo card's duo.
pub fn build(
    ws: &WorkshopView,
    rooms: &[(DuoId, DuoView)],
    voices: &[(ParticipantId, VoiceView)],
    table: &TableView,
    by: impl Fn(ParticipantId) -> Option<String>,
    duo_by: impl Fn(DuoId) -> Option<String>,
) -> BlocksReport {
    let lang = ws.language.as_str();
    let profile = ws.profile.clone().unwrap_or_default();
    let actions = blocks::grouped_actions(voices, table);
    let duo_cards = blocks::duo_cards(rooms);
    let owner_of = |key: &str| -> Option<ParticipantId> { key.split('.').next()?.parse().ok() };
    BlocksReport {
        k: ws.plan.k,
        answered: ws.profile.as_ref().map(|p| p.answered),
        blocks: BlockId::ALL
            .into_iter()
            .map(|b| BlockReport {
                block: b,
                name: b.block().name.get(lang).to_owned(),
                counts: profile.blocks.get(&b).copied(),
                mean: profile.mean(b),
                actions: actions
                    .iter()
                    .find(|(blk, _)| *blk == b)
                    .map(|(_, groups)| {
                        groups
                            .iter()
                            .map(|g| ActionReport {
                                text: g.base().text.trim().to_owned(),
                                dots: g.dots(),
                                by: owner_of(&g.base().key).and_then(&by),
                                also: g.cards[1..]
                                    .iter()
                                    .map(|c| c.text.trim().to_owned())
                                    .collect(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                duo_cards: duo_cards
                    .iter()
                    .find(|(blk, _)| *blk == b)
                    .map(|(_, cards)| {
                        cards
                            .iter()
                            .map(|c| DuoCardReport {
                                text: c.text.clone(),
                                by: duo_by(c.duo),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

const PROFILE: Localized = Localized {
    nl: "Groepsprofiel",
    en: "Group profile",
};
const ANSWERED: Localized = Localized {
    nl: "antwoorden",
    en: "answers",
};
const TOO_FEW: Localized = Localized {
    nl: "Te weinig antwoorden om een profiel te tonen (minstens",
    en: "Too few answers to show a profile (at least",
};
const MEAN: Localized = Localized {
    nl: "gemiddeld",
    en: "mean",
};
const ACTIONS: Localized = Localized {
    nl: "Acties per bouwsteen",
    en: "Actions per building block",
};
const DOTS: Localized = Localized {
    nl: "stippen",
    en: "dots",
};
const ALSO: Localized = Localized {
    nl: "ook",
    en: "also",
};
const DUO_CARDS: Localized = Localized {
    nl: "Kerninzichten uit de duo's",
    en: "Key insights from the duos",
};
const NONE: Localized = Localized {
    nl: "(geen)",
    en: "(none)",
};

fn md(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if "\\`*_{}[]<>()#+-.!|".contains(ch) {
            out.push('\\');
        }
        out.push(if ch == '\n' { ' ' } else { ch });
    }
    out
}

/// The profile as a Markdown table and the actions per block.
pub fn markdown(r: &BlocksReport, lang: &str, out: &mut String) {
    writeln!(out, "## {}\n", PROFILE.get(lang)).ok();
    match r.answered {
        None => {
            writeln!(out, "{} {}).\n", TOO_FEW.get(lang), r.k).ok();
        }
        Some(n) => {
            writeln!(out, "{n} {}\n", ANSWERED.get(lang)).ok();
            writeln!(out, "| | 1 | 2 | 3 | 4 | 5 | {} |", MEAN.get(lang)).ok();
            writeln!(out, "|---|---|---|---|---|---|---|").ok();
            for b in &r.blocks {
                let cells = match b.counts {
                    Some(c) => c.map(|n| n.to_string()).join(" | "),
                    None => ["–"; 5].join(" | "),
                };
                let mean = b.mean.map_or("–".to_owned(), |m| format!("{m:.1}"));
                writeln!(out, "| {} | {cells} | {mean} |", md(&b.name)).ok();
            }
            out.push('\n');
        }
    }
    writeln!(out, "## {}\n", ACTIONS.get(lang)).ok();
    for b in &r.blocks {
        writeln!(out, "### {}\n", md(&b.name)).ok();
        if !b.duo_cards.is_empty() {
            writeln!(out, "{}:\n", DUO_CARDS.get(lang)).ok();
            for c in &b.duo_cards {
                let by =
                    c.by.as_ref()
                        .map(|b| format!(" — {}", md(b)))
                        .unwrap_or_default();
                writeln!(out, "- {}{by}", md(&c.text)).ok();
            }
            out.push('\n');
        }
        if b.actions.is_empty() {
            writeln!(out, "{}\n", NONE.get(lang)).ok();
            continue;
        }
        for a in &b.actions {
            let by =
                a.by.as_ref()
                    .map(|b| format!(" — {}", md(b)))
                    .unwrap_or_default();
            writeln!(out, "- {} ({} {}){by}", md(&a.text), a.dots, DOTS.get(lang)).ok();
            if !a.also.is_empty() {
                let also: Vec<String> = a.also.iter().map(|t| md(t)).collect();
                writeln!(out, "  - {}: {}", ALSO.get(lang), also.join("; ")).ok();
            }
        }
        out.push('\n');
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The colours of ratings 1 (weak, warm) to 5 (strong, cool).
pub const SCORE_COLORS: [&str; 5] = ["#c0392b", "#e67e22", "#f1c40f", "#7fb77e", "#2e86ab"];

/// The profile as an SVG chart: per block one horizontal bar split by how many gave each rating,
/// with its mean; self-contained (no fonts or images loaded). The same picture on the report page,
/// in the downloads and (drawn by the same numbers) on the screens.
pub fn svg(r: &BlocksReport, title: &str, lang: &str) -> String {
    let (w, left, bar_w, row_h, top) = (1000u32, 260u32, 560u32, 56u32, 90u32);
    let h = top + row_h * r.blocks.len() as u32 + 70;
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" role="img" aria-label="{}">"#,
        xml(PROFILE.get(lang))
    )
    .ok();
    writeln!(s, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##).ok();
    writeln!(
        s,
        r##"<text x="24" y="40" font-size="26" font-weight="bold" fill="#222">{}</text>"##,
        xml(title)
    )
    .ok();
    let sub = match r.answered {
        Some(n) => format!("{} · {n} {}", PROFILE.get(lang), ANSWERED.get(lang)),
        None => format!("{} {})", TOO_FEW.get(lang), r.k),
    };
    writeln!(
        s,
        r##"<text x="24" y="68" font-size="16" fill="#555">{}</text>"##,
        xml(&sub)
    )
    .ok();
    for (i, b) in r.blocks.iter().enumerate() {
        let y = top + i as u32 * row_h;
        writeln!(
            s,
            r##"<text x="24" y="{}" font-size="18" fill="#222">{}</text>"##,
            y + 28,
            xml(&b.name)
        )
        .ok();
        writeln!(
            s,
            r##"<rect x="{left}" y="{}" width="{bar_w}" height="30" fill="#eeeeee" rx="4"/>"##,
            y + 8
        )
        .ok();
        if let Some(c) = b.counts {
            let n: u32 = c.iter().sum();
            let mut x = left as f64;
            for (score, count) in c.iter().enumerate() {
                if *count == 0 || n == 0 {
                    continue;
                }
                let width = f64::from(bar_w) * f64::from(*count) / f64::from(n);
                writeln!(
                    s,
                    r##"<rect x="{x:.1}" y="{}" width="{width:.1}" height="30" fill="{}" data-score="{}"><title>{}: {count}</title></rect>"##,
                    y + 8,
                    SCORE_COLORS[score],
                    score + 1,
                    score + 1
                )
                .ok();
                if width >= 22.0 {
                    writeln!(
                        s,
                        r##"<text x="{:.1}" y="{}" font-size="14" fill="#111" text-anchor="middle">{count}</text>"##,
                        x + width / 2.0,
                        y + 28
                    )
                    .ok();
                }
                x += width;
            }
        }
        let mean = b.mean.map_or("–".to_owned(), |m| format!("{m:.1}"));
        writeln!(
            s,
            r##"<text x="{}" y="{}" font-size="18" fill="#222">{} {mean}</text>"##,
            left + bar_w + 20,
            y + 28,
            MEAN.get(lang)
        )
        .ok();
    }
    let ly = top + row_h * r.blocks.len() as u32 + 30;
    for (i, c) in SCORE_COLORS.iter().enumerate() {
        let x = left + i as u32 * 80;
        writeln!(
            s,
            r##"<rect x="{x}" y="{}" width="18" height="18" fill="{c}"/><text x="{}" y="{}" font-size="15" fill="#222">{}</text>"##,
            ly - 14,
            x + 24,
            ly,
            i + 1
        )
        .ok();
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::blocks::Profile;
    use crate::schema::voice::Action;

    #[test]
    fn the_report_holds_the_published_profile_and_the_actions() {
        let an = ParticipantId::random();
        let ws = WorkshopView {
            language: "nl".into(),
            profile: Profile::of(
                &[
                    [(BlockId::Trusting, 2)].into_iter().collect(),
                    [(BlockId::Trusting, 2)].into_iter().collect(),
                    [(BlockId::Trusting, 5)].into_iter().collect(),
                ],
                3,
            ),
            ..WorkshopView::default()
        };
        let action = |id: &str, text: &str| Action {
            id: id.into(),
            block: BlockId::Trusting,
            text: text.into(),
        };
        let voice = VoiceView {
            actions: vec![
                action("a", "Samen lunchen"),
                action("b", "Elke maand lunchen"),
            ],
            card_dots: [(format!("{an}.a"), 1), (format!("{an}.b"), 1)]
                .into_iter()
                .collect(),
            ..VoiceView::default()
        };
        // The facilitator put the second lunch with the first.
        let mut table = crate::schema::table::TableView::default();
        table.cards.insert(
            format!("{an}.b"),
            crate::schema::table::Placement {
                cluster: "trusting".into(),
                order: 1.0,
                stack: Some(format!("{an}.a")),
            },
        );
        let r = build(
            &ws,
            &[],
            &[(an, voice)],
            &table,
            |_| Some("An".into()),
            |_| None,
        );
        assert_eq!(r.answered, Some(3));
        let trusting = &r.blocks[BlockId::Trusting as usize];
        assert_eq!(trusting.name, "Vertrouwen");
        assert_eq!(trusting.counts, Some([0, 2, 0, 0, 1]));
        assert_eq!(trusting.actions.len(), 1, "one group");
        assert_eq!(trusting.actions[0].dots, 2);
        assert_eq!(trusting.actions[0].also, vec!["Elke maand lunchen"]);
        assert_eq!(r.blocks[0].counts, None);
        let mut md = String::new();
        markdown(&r, "nl", &mut md);
        assert!(
            md.contains("| Vertrouwen | 0 | 2 | 0 | 0 | 1 | 3.0 |"),
            "{md}"
        );
        assert!(md.contains("- Samen lunchen (2 stippen) — An"), "{md}");
        assert!(md.contains("  - ook: Elke maand lunchen"), "{md}");
        let report = crate::report::Report {
            blocks: Some(r.clone()),
            ..crate::report::build(
                &crate::report::Sources {
                    workshop: ws.clone(),
                    created_at_ms: 0,
                    duos: vec![],
                    table: Default::default(),
                    voices: vec![],
                    step1: Default::default(),
                },
                Default::default(),
            )
        };
        let csv = crate::report::csv(&report);
        assert!(csv.contains("profile,trusting,,2,,,,2\r\n"), "{csv}");
        assert!(
            csv.contains("action,trusting,,,Samen lunchen,An,,2\r\n"),
            "{csv}"
        );
        assert!(!csv.contains("step1"), "{csv}");
        let pic = svg(&r, "Zelftest", "nl");
        assert_eq!(pic.matches("data-score=").count(), 2);
        assert!(pic.contains("Vertrouwen"));
        // Below k there is nothing to draw.
        let few = build(
            &WorkshopView::default(),
            &[],
            &[],
            &TableView::default(),
            |_| None,
            |_| None,
        );
        assert_eq!(few.answered, None);
        assert_eq!(svg(&few, "x", "en").matches("data-score=").count(), 0);
    }

    #[test]
    fn the_report_lists_the_duo_cards_per_block() {
        use crate::method::LevelId;
        use crate::schema::duo::{Insight, Zone};
        use crate::schema::workshop::DuoEntry;
        let (d1, d2) = (DuoId::random(), DuoId::random());
        let ws = WorkshopView {
            language: "nl".into(),
            duos: vec![
                DuoEntry {
                    id: d1,
                    members: vec![],
                    doc: None,
                    number: Some(1),
                },
                DuoEntry {
                    id: d2,
                    members: vec![],
                    doc: None,
                    number: Some(2),
                },
            ],
            ..WorkshopView::default()
        };
        let card = |id: &str, text: &str, zone: Zone| Insight {
            id: id.into(),
            text: text.into(),
            zone,
        };
        let rooms = vec![
            (
                d1,
                DuoView {
                    insights: vec![
                        card("a", "Zeggen wat je doet", Zone::Block(BlockId::Trusting)),
                        card("b", "Een niveau", Zone::Level(LevelId::Collegial)),
                    ],
                    ..DuoView::default()
                },
            ),
            (
                d2,
                DuoView {
                    insights: vec![card(
                        "a",
                        "Doen wat je zegt",
                        Zone::Block(BlockId::Trusting),
                    )],
                    ..DuoView::default()
                },
            ),
        ];
        let r = build(
            &ws,
            &rooms,
            &[],
            &TableView::default(),
            |_| None,
            |d| {
                Some(crate::plenary::duo_title(
                    &ws,
                    d,
                    crate::schema::table::Labels::Anonymous,
                    "Duo",
                ))
            },
        );
        let trusting = &r.blocks[BlockId::Trusting as usize];
        assert_eq!(
            trusting.duo_cards,
            vec![
                DuoCardReport {
                    text: "Zeggen wat je doet".into(),
                    by: Some("Duo 1".into())
                },
                DuoCardReport {
                    text: "Doen wat je zegt".into(),
                    by: Some("Duo 2".into())
                },
            ]
        );
        assert!(
            r.blocks
                .iter()
                .filter(|b| b.block != BlockId::Trusting)
                .all(|b| b.duo_cards.is_empty()),
            "a level card is no block's"
        );
        let mut md = String::new();
        markdown(&r, "nl", &mut md);
        assert!(
            md.contains("### Vertrouwen\n\nKerninzichten uit de duo's:\n\n- Zeggen wat je doet — Duo 1\n- Doen wat je zegt — Duo 2\n"),
            "{md}"
        );
        let report = crate::report::Report {
            blocks: Some(r.clone()),
            ..crate::report::build(
                &crate::report::Sources {
                    workshop: ws.clone(),
                    created_at_ms: 0,
                    duos: vec![],
                    table: Default::default(),
                    voices: vec![],
                    step1: Default::default(),
                },
                Default::default(),
            )
        };
        let csv = crate::report::csv(&report);
        assert!(
            csv.contains("duo_card,trusting,,,Doen wat je zegt,Duo 2,,\r\n"),
            "{csv}"
        );
        // A report written before duo cards existed still reads.
        let mut json = serde_json::to_value(&r).unwrap();
        for b in json["blocks"].as_array_mut().unwrap() {
            b.as_object_mut().unwrap().remove("duo_cards");
        }
        let old: BlocksReport = serde_json::from_value(json).unwrap();
        assert!(old.blocks.iter().all(|b| b.duo_cards.is_empty()));
    }
}
