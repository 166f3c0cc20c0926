//! Work form 003's part of the report: the balance over the three perspectives (only as the
//! server published it, so never below k answers), the role map of the published claims with
//! its uncovered and crowded roles and piled-up core roles, and the role agreements; rendered
//! as Markdown, CSV rows and an SVG picture of the role map.
//!
//! People are labelled as the report says (names only when it names people, otherwise their
//! organisation): the report never sees a role sheet, so no unpublished claim can reach it.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::roles::{
    BALANCE_QUESTION, CORE_ROLES, CROWDED_FROM, Claim, Cluster, Perspective, ROLES, RoleId,
    RoleMap, SHARED_OWNERSHIP,
};
use crate::ids::ParticipantId;
use crate::method::Localized;
use crate::schema::workshop::WorkshopView;

/// 003's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolesReport {
    /// Answers needed before the balance is shown.
    pub k: u32,
    /// The balance; `None` while fewer than k divided their points.
    pub balance: Option<BalanceReport>,
    /// The people who published their claims, as rows of the role map.
    pub people: Vec<PersonRoles>,
    /// The 15 roles in the seed's order, with who holds and wants each.
    pub roles: Vec<RoleReport>,
    /// Labels of the people who hold two or more core roles now.
    pub core_piled_on: Vec<String>,
    /// The seed's advice, when someone holds two or more core roles.
    pub advice: Option<String>,
    pub agreements: Vec<AgreementReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceReport {
    pub answered: u32,
    /// Per perspective (in the seed's order): its name and the mean points per person.
    pub perspectives: Vec<(Perspective, String, f64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRoles {
    pub label: String,
    /// Role → claim, in the seed's order of the roles.
    pub claims: Vec<(RoleId, Claim)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleReport {
    pub id: RoleId,
    pub name: String,
    pub cluster: Cluster,
    pub holders: Vec<String>,
    pub wanted_by: Vec<String>,
    pub uncovered: bool,
    pub crowded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementReport {
    pub role: RoleId,
    pub role_name: String,
    pub who: String,
    pub from: String,
    pub note: String,
}

/// The role map of a workshop's published claims (as every screen computes it).
pub fn role_map(ws: &WorkshopView) -> RoleMap<ParticipantId> {
    let claims: Vec<(ParticipantId, std::collections::BTreeMap<RoleId, Claim>)> =
        ws.role_map.iter().map(|(p, c)| (*p, c.clone())).collect();
    RoleMap::of(&claims, CROWDED_FROM)
}

/// A person's label in the role map: as `label` says, else "—".
fn label_of(p: ParticipantId, label: &impl Fn(ParticipantId) -> Option<String>) -> String {
    label(p).unwrap_or_else(|| "—".to_owned())
}

/// Builds 003's part from the workshop document alone (balance, role map, agreements).
pub fn build(ws: &WorkshopView, label: impl Fn(ParticipantId) -> Option<String>) -> RolesReport {
    let lang = ws.language.as_str();
    let map = role_map(ws);
    // Rows in roster order, so the map reads the same on every screen.
    let order: Vec<ParticipantId> = ws
        .roster
        .iter()
        .map(|r| r.id)
        .filter(|p| ws.role_map.contains_key(p))
        .chain(
            ws.role_map
                .keys()
                .copied()
                .filter(|p| !ws.roster.iter().any(|r| r.id == *p)),
        )
        .collect();
    let labels = |set: Option<&std::collections::BTreeSet<ParticipantId>>| -> Vec<String> {
        order
            .iter()
            .filter(|p| set.is_some_and(|s| s.contains(p)))
            .map(|p| label_of(*p, &label))
            .collect()
    };
    RolesReport {
        k: ws.plan.k,
        balance: ws.balance.map(|b| BalanceReport {
            answered: b.answered,
            perspectives: Perspective::ALL
                .into_iter()
                .map(|p| (p, p.name().get(lang).to_owned(), b.mean(p)))
                .collect(),
        }),
        people: order
            .iter()
            .map(|p| PersonRoles {
                label: label_of(*p, &label),
                claims: ROLES
                    .iter()
                    .filter_map(|r| Some((r.id, *ws.role_map[p].get(&r.id)?)))
                    .collect(),
            })
            .collect(),
        roles: ROLES
            .iter()
            .map(|r| RoleReport {
                id: r.id,
                name: r.name.get(lang).to_owned(),
                cluster: r.cluster,
                holders: labels(map.holders.get(&r.id)),
                wanted_by: labels(map.wanted_by.get(&r.id)),
                uncovered: map.uncovered.contains(&r.id),
                crowded: map.crowded.contains(&r.id),
            })
            .collect(),
        core_piled_on: map
            .core_piled_on
            .iter()
            .map(|p| label_of(*p, &label))
            .collect(),
        advice: (!map.core_piled_on.is_empty()).then(|| SHARED_OWNERSHIP.get(lang).to_owned()),
        agreements: ws
            .agreements
            .iter()
            .map(|a| AgreementReport {
                role: a.role,
                role_name: a.role.role().name.get(lang).to_owned(),
                who: a.who.trim().to_owned(),
                from: a.from.trim().to_owned(),
                note: a.note.trim().to_owned(),
            })
            .collect(),
    }
}

const BALANCE: Localized = Localized {
    nl: "Evenwicht tussen de perspectieven",
    en: "Balance between the perspectives",
};
const TOO_FEW: Localized = Localized {
    nl: "Te weinig antwoorden om het evenwicht te tonen (minstens",
    en: "Too few answers to show the balance (at least",
};
const ANSWERED: Localized = Localized {
    nl: "antwoorden, gemiddeld aantal punten van 10",
    en: "answers, mean points out of 10",
};
const MAP: Localized = Localized {
    nl: "Rollenkaart",
    en: "Role map",
};
const NOBODY_PUBLISHED: Localized = Localized {
    nl: "Nog niemand heeft zijn rollen gedeeld.",
    en: "Nobody has shared their roles yet.",
};
const UNCOVERED: Localized = Localized {
    nl: "Niet opgenomen",
    en: "Not taken up",
};
const CROWDED: Localized = Localized {
    nl: "Druk bezet",
    en: "Crowded",
};
const CORE_PILED: Localized = Localized {
    nl: "Meerdere kernrollen bij één persoon",
    en: "Several core roles on one person",
};
const HOLDS: Localized = Localized {
    nl: "neemt nu op",
    en: "takes up now",
};
const WANTS: Localized = Localized {
    nl: "wil opnemen",
    en: "wants to take up",
};
const AGREEMENTS: Localized = Localized {
    nl: "Rolafspraken",
    en: "Role agreements",
};
const FROM: Localized = Localized {
    nl: "vanaf",
    en: "from",
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

/// The balance, the role map (per role who holds and wants it) and the agreements as Markdown.
pub fn markdown(r: &RolesReport, lang: &str, out: &mut String) {
    writeln!(out, "## {}\n", BALANCE.get(lang)).ok();
    match &r.balance {
        None => {
            writeln!(out, "{} {}).\n", TOO_FEW.get(lang), r.k).ok();
        }
        Some(b) => {
            writeln!(out, "{} {}\n", b.answered, ANSWERED.get(lang)).ok();
            for (_, name, mean) in &b.perspectives {
                writeln!(out, "- {}: {mean:.1}", md(name)).ok();
            }
            writeln!(out, "\n{}\n", md(BALANCE_QUESTION.get(lang))).ok();
        }
    }
    writeln!(out, "## {}\n", MAP.get(lang)).ok();
    if r.people.is_empty() {
        writeln!(out, "{}\n", NOBODY_PUBLISHED.get(lang)).ok();
    }
    writeln!(out, "| | {} | {} | |", HOLDS.get(lang), WANTS.get(lang)).ok();
    writeln!(out, "|---|---|---|---|").ok();
    for role in &r.roles {
        let flag = if role.uncovered {
            UNCOVERED.get(lang)
        } else if role.crowded {
            CROWDED.get(lang)
        } else {
            ""
        };
        let list = |v: &[String]| {
            if v.is_empty() {
                "–".to_owned()
            } else {
                v.iter().map(|s| md(s)).collect::<Vec<_>>().join(", ")
            }
        };
        let flag = if flag.is_empty() {
            " ".to_owned()
        } else {
            format!(" {flag} ")
        };
        writeln!(
            out,
            "| {} | {} | {} |{flag}|",
            md(&role.name),
            list(&role.holders),
            list(&role.wanted_by)
        )
        .ok();
    }
    out.push('\n');
    if let Some(advice) = &r.advice {
        writeln!(
            out,
            "**{}:** {}. {}\n",
            CORE_PILED.get(lang),
            r.core_piled_on
                .iter()
                .map(|s| md(s))
                .collect::<Vec<_>>()
                .join(", "),
            md(advice)
        )
        .ok();
    }
    writeln!(out, "## {}\n", AGREEMENTS.get(lang)).ok();
    if r.agreements.is_empty() {
        writeln!(out, "{}\n", NONE.get(lang)).ok();
    }
    for a in &r.agreements {
        let note = if a.note.is_empty() {
            String::new()
        } else {
            format!(" — {}", md(&a.note))
        };
        let from = if a.from.is_empty() {
            String::new()
        } else {
            format!(" {} {}", FROM.get(lang), md(&a.from))
        };
        writeln!(out, "- {}: {}{from}{note}", md(&a.role_name), md(&a.who)).ok();
    }
    out.push('\n');
}

/// 003's rows of the report's CSV (`section, cluster, level, kind, text, by, shared, value`):
/// `balance` per perspective (kind `mean`, value the mean points, text how many answered), `role`
/// per claim (cluster the role, kind `hold_now` or `want`, by who) and per uncovered role (kind
/// `uncovered`), `agreement` per agreement (cluster the role, kind from when, text the note, by
/// who).
pub fn csv_rows(r: &RolesReport, row: &mut impl FnMut([&str; 8])) {
    if let Some(b) = &r.balance {
        for (p, _, mean) in &b.perspectives {
            let mean = format!("{mean:.2}");
            let n = b.answered.to_string();
            row(["balance", p.as_str(), "", "mean", &n, "", "", &mean]);
        }
    }
    for role in &r.roles {
        for (claim, people) in [
            (Claim::HoldNow, &role.holders),
            (Claim::Want, &role.wanted_by),
        ] {
            for who in people {
                row([
                    "role",
                    role.id.as_str(),
                    "",
                    claim.as_str(),
                    "",
                    who,
                    "",
                    "",
                ]);
            }
        }
        if role.uncovered {
            row(["role", role.id.as_str(), "", "uncovered", "", "", "", ""]);
        }
    }
    for a in &r.agreements {
        row([
            "agreement",
            a.role.as_str(),
            "",
            &a.from,
            &a.note,
            &a.who,
            "",
            "",
        ]);
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The role map as an SVG picture: a row per person who published, a column per role grouped by
/// cluster, ● for "takes up now" and ○ for "wants to"; uncovered roles are tinted red, crowded
/// ones orange, and the advice is written under it when core roles pile up on someone.
pub fn svg(r: &RolesReport, title: &str, lang: &str) -> String {
    let (left, col, row_h, head) = (230u32, 46u32, 34u32, 170u32);
    let top = 90u32;
    let w = left + col * ROLES.len() as u32 + 30;
    let rows = r.people.len().max(1) as u32;
    let h = top + head + row_h * rows + 150;
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" role="img" aria-label="{}">"#,
        xml(MAP.get(lang))
    )
    .ok();
    writeln!(s, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##).ok();
    writeln!(
        s,
        r##"<text x="24" y="40" font-size="26" font-weight="bold" fill="#222">{}</text>"##,
        xml(title)
    )
    .ok();
    let sub = match &r.balance {
        Some(b) => format!(
            "{} · {}",
            MAP.get(lang),
            b.perspectives
                .iter()
                .map(|(_, n, m)| format!("{n} {m:.1}"))
                .collect::<Vec<_>>()
                .join(" · ")
        ),
        None => MAP.get(lang).to_owned(),
    };
    writeln!(
        s,
        r##"<text x="24" y="68" font-size="16" fill="#555">{}</text>"##,
        xml(&sub)
    )
    .ok();
    let grid_top = top + head;
    for (i, role) in r.roles.iter().enumerate() {
        let x = left + i as u32 * col;
        let fill = if role.uncovered {
            "#fbe3e0"
        } else if role.crowded {
            "#fdebd0"
        } else if CORE_ROLES.contains(&role.id) {
            "#eaf2f8"
        } else {
            "#ffffff"
        };
        writeln!(
            s,
            r##"<rect x="{x}" y="{}" width="{col}" height="{}" fill="{fill}" stroke="#dddddd" data-role="{}" data-uncovered="{}" data-crowded="{}"/>"##,
            grid_top - 6,
            row_h * rows + 12,
            role.id,
            role.uncovered,
            role.crowded
        )
        .ok();
        writeln!(
            s,
            r##"<text transform="translate({},{}) rotate(-60)" font-size="15" fill="#222">{}</text>"##,
            x + col / 2 + 4,
            grid_top - 12,
            xml(&role.name)
        )
        .ok();
    }
    for (j, person) in r.people.iter().enumerate() {
        let y = grid_top + j as u32 * row_h;
        writeln!(
            s,
            r##"<text x="24" y="{}" font-size="16" fill="#222">{}</text>"##,
            y + 22,
            xml(&person.label)
        )
        .ok();
        for (id, claim) in &person.claims {
            let i = *id as usize;
            let cx = left + i as u32 * col + col / 2;
            let (fill, stroke) = match claim {
                Claim::HoldNow => ("#2e86ab", "#2e86ab"),
                Claim::Want => ("#ffffff", "#2e86ab"),
            };
            writeln!(
                s,
                r##"<circle cx="{cx}" cy="{}" r="10" fill="{fill}" stroke="{stroke}" stroke-width="3" data-claim="{}"/>"##,
                y + 16,
                claim.as_str()
            )
            .ok();
        }
    }
    if r.people.is_empty() {
        writeln!(
            s,
            r##"<text x="24" y="{}" font-size="16" fill="#555">{}</text>"##,
            grid_top + 22,
            xml(NOBODY_PUBLISHED.get(lang))
        )
        .ok();
    }
    let ly = grid_top + row_h * rows + 40;
    writeln!(
        s,
        r##"<circle cx="34" cy="{}" r="9" fill="#2e86ab"/><text x="50" y="{}" font-size="15" fill="#222">{}</text><circle cx="234" cy="{}" r="9" fill="#ffffff" stroke="#2e86ab" stroke-width="3"/><text x="250" y="{}" font-size="15" fill="#222">{}</text><rect x="440" y="{}" width="18" height="18" fill="#fbe3e0"/><text x="464" y="{}" font-size="15" fill="#222">{}</text><rect x="640" y="{}" width="18" height="18" fill="#fdebd0"/><text x="664" y="{}" font-size="15" fill="#222">{}</text>"##,
        ly - 5,
        ly,
        xml(HOLDS.get(lang)),
        ly - 5,
        ly,
        xml(WANTS.get(lang)),
        ly - 18,
        ly - 4,
        xml(UNCOVERED.get(lang)),
        ly - 18,
        ly - 4,
        xml(CROWDED.get(lang)),
    )
    .ok();
    if let Some(advice) = &r.advice {
        let mut y = ly + 34;
        let text = format!(
            "{}: {}. {advice}",
            CORE_PILED.get(lang),
            r.core_piled_on.join(", ")
        );
        for line in crate::report::wrap(&text, 110, 3) {
            writeln!(
                s,
                r##"<text x="24" y="{y}" font-size="15" fill="#8e2c1f" data-advice="true">{}</text>"##,
                xml(&line)
            )
            .ok();
            y += 20;
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::roles::Balance;
    use crate::schema::workshop::{Agreement, RosterEntry};
    use std::collections::BTreeMap;

    fn person(name: &str) -> RosterEntry {
        RosterEntry {
            id: ParticipantId::random(),
            name: name.into(),
            organisation: format!("{name} vzw"),
            joined_at: 0,
            reflection: None,
            voice: None,
            rating: None,
            role_sheet: None,
            answers: None,
        }
    }

    #[test]
    fn the_report_holds_the_role_map_the_advice_and_the_agreements() {
        let (an, bert, chris) = (person("An"), person("Bert"), person("Chris"));
        let claims = |list: &[(RoleId, Claim)]| -> BTreeMap<RoleId, Claim> {
            list.iter().copied().collect()
        };
        let ws = WorkshopView {
            language: "nl".into(),
            roster: vec![an.clone(), bert.clone(), chris.clone()],
            balance: Balance::of(&[[5, 2, 3], [4, 4, 2], [6, 0, 4]], 3),
            role_map: [
                (
                    an.id,
                    claims(&[
                        (RoleId::Initiator, Claim::HoldNow),
                        (RoleId::Leader, Claim::HoldNow),
                    ]),
                ),
                (bert.id, claims(&[(RoleId::Critic, Claim::Want)])),
            ]
            .into_iter()
            .collect(),
            agreements: vec![Agreement {
                id: "a1".into(),
                role: RoleId::Leader,
                who: "Bert".into(),
                from: "januari".into(),
                note: "An blijft initiatiefnemer".into(),
            }],
            ..WorkshopView::default()
        };
        let names = |p: ParticipantId| ws.roster.iter().find(|r| r.id == p).map(|r| r.name.clone());
        let r = build(&ws, names);
        assert_eq!(r.people.len(), 2, "Chris did not publish");
        assert_eq!(r.people[0].label, "An");
        assert_eq!(r.core_piled_on, vec!["An"]);
        assert!(r.advice.as_deref().unwrap().starts_with("Haal taken"));
        let leader = r.roles.iter().find(|x| x.id == RoleId::Leader).unwrap();
        assert_eq!(leader.holders, vec!["An"]);
        assert!(!leader.uncovered);
        let critic = r.roles.iter().find(|x| x.id == RoleId::Critic).unwrap();
        assert!(critic.uncovered);
        assert_eq!(critic.wanted_by, vec!["Bert"]);
        assert_eq!(r.balance.as_ref().unwrap().answered, 3);
        let mut md = String::new();
        markdown(&r, "nl", &mut md);
        assert!(md.contains("| Leider | An | – | |"), "{md}");
        assert!(
            md.contains("| Criticus | – | Bert | Niet opgenomen |"),
            "{md}"
        );
        assert!(
            md.contains("- Leider: Bert vanaf januari — An blijft initiatiefnemer"),
            "{md}"
        );
        assert!(md.contains("- De organisatie: 5.0"), "{md}");
        let mut rows = vec![];
        csv_rows(&r, &mut |f| rows.push(f.join(",")));
        assert!(
            rows.contains(&"role,leader,,hold_now,,An,,".to_owned()),
            "{rows:?}"
        );
        assert!(
            rows.contains(&"agreement,leader,,januari,An blijft initiatiefnemer,Bert,,".to_owned()),
            "{rows:?}"
        );
        assert!(
            rows.contains(&"balance,organisation,,mean,3,,,5.00".to_owned()),
            "{rows:?}"
        );
        let pic = svg(&r, "Rollen", "nl");
        assert_eq!(pic.matches("data-claim=\"hold_now\"").count(), 2);
        assert_eq!(pic.matches("data-claim=\"want\"").count(), 1);
        assert!(pic.contains("data-advice"));
        assert!(!pic.contains("Chris"));
        // By organisation when the report names nobody.
        let orgs = build(&ws, |p| {
            ws.roster
                .iter()
                .find(|r| r.id == p)
                .map(|r| r.organisation.clone())
        });
        assert_eq!(orgs.people[0].label, "An vzw");
    }
}
