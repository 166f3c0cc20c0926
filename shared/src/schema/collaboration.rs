//! A collaboration across sessions (samenwerking): the part of a workshop document that carries
//! what earlier sessions left — the sessions so far, the agreements (TWOs with every earlier
//! version) and the backpack (rugzak) of lessons learned, which grows.
//!
//! ```text
//! collaboration?: { id: <uuid>,                                  // the same in every session
//!   sessions: [ { title, date: "YYYY-MM-DD", form: "000".."004",   // earlier sessions, oldest first
//!                 route?: { answered, contribution?, quality?, discipline? } } ], // 002's means, 1–5
//!   ledger: { <agreement id>: { field, text: str, earlier: [str], why: str, review?: date,
//!                               status: "adopted"|"dropped", since: str } },
//!   backpack: [ str ] }                                          // lessons learned, oldest first
//! ```
//! The server writes `id`, `sessions` and `ledger` when it starts the next session; facilitators
//! add lessons to the backpack. [`next`] is the one rule of what a session passes on: the ledger
//! updated with the session's own proposals (kept, amended, dropped, new TWOs), the backpack as
//! it stands, and the session itself appended (with its route, in 002); [`agenda`] puts the
//! agreements whose review date has come on the next session's agenda. The horizon the group
//! agreed (002) is the adopted agreement of the field "horizon".

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc};
use serde::{Deserialize, Serialize};

use super::proposals::{self, MAX_PROPOSAL_TEXT, MAX_WHY, Proposal, is_date};
use super::{MapReader, SchemaError, ensure_map};
use crate::forms::FormId;
use crate::forms::agreements::{FieldId, Status};
use crate::forms::horizon::{Level, RouteMeans, tenths};

pub const MAX_SESSIONS: usize = 100;
pub const MAX_LESSONS: usize = 300;
pub const MAX_LESSON: usize = 300;

/// One earlier session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub title: String,
    pub date: String,
    pub form: FormId,
    /// The session's route (002), when the group saw one.
    #[serde(default)]
    pub route: Option<RouteMeans>,
}

/// One agreement of the collaboration, with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: String,
    pub field: FieldId,
    pub text: String,
    /// Its texts before each amendment, oldest first.
    pub earlier: Vec<String>,
    pub why: String,
    pub review: Option<String>,
    /// Adopted or dropped.
    pub status: Status,
    /// The session in which it was adopted first ("title, date").
    pub since: String,
}

impl Agreement {
    pub fn version(&self) -> u32 {
        self.earlier.len() as u32 + 1
    }

    /// Whether its review date has come by `today` (`YYYY-MM-DD`).
    pub fn due(&self, today: &str) -> bool {
        self.status == Status::Adopted && self.review.as_deref().is_some_and(|d| d <= today)
    }
}

/// What a session carries of its collaboration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CollaborationView {
    pub id: String,
    pub sessions: Vec<Session>,
    /// By id.
    pub ledger: Vec<Agreement>,
    pub backpack: Vec<String>,
}

impl CollaborationView {
    /// The horizon the group agreed on (the adopted agreement of the field "horizon"; the last
    /// by id if there were several).
    pub fn horizon(&self) -> Option<&Agreement> {
        self.ledger
            .iter()
            .rev()
            .find(|a| a.field == FieldId::Horizon && a.status == Status::Adopted)
    }
}

pub(crate) fn validate<D: ReadDoc>(root: &MapReader<'_, D>) -> Result<(), SchemaError> {
    let Some(c) = root.map("collaboration")? else {
        return Ok(());
    };
    c.only_keys(&["id", "sessions", "ledger", "backpack"])?;
    if let Some(id) = c.string("id", 64)?
        && id.parse::<uuid::Uuid>().is_err()
    {
        return Err(SchemaError::new("/collaboration/id", "is not a uuid"));
    }
    c.string_list("backpack", MAX_LESSONS, MAX_LESSON)?;
    validate_sessions(c.doc, &c)?;
    if let Some(l) = c.map("ledger")? {
        l.at_most(proposals::MAX_PROPOSALS)?;
        for (key, a) in l.map_entries()? {
            proposals::check_id(&key, "/collaboration/ledger")?;
            let path = |k: &str| format!("/collaboration/ledger/{key}/{k}");
            a.only_keys(&[
                "field", "text", "earlier", "why", "review", "status", "since",
            ])?;
            if a.one_of("field", &FieldId::NAMES)?.is_none() {
                return Err(SchemaError::new(path("field"), "is missing"));
            }
            a.required_string("text", MAX_PROPOSAL_TEXT)?;
            a.string_list("earlier", proposals::MAX_EARLIER, MAX_PROPOSAL_TEXT)?;
            a.string("why", MAX_WHY)?;
            if let Some(d) = a.string("review", 10)?
                && !is_date(&d)
            {
                return Err(SchemaError::new(path("review"), "is not a date YYYY-MM-DD"));
            }
            a.one_of(
                "status",
                &[Status::Adopted.as_str(), Status::Dropped.as_str()],
            )?;
            a.string("since", 200)?;
        }
    }
    Ok(())
}

/// The sessions list: at most [`MAX_SESSIONS`] maps of title, date and form.
fn validate_sessions<D: ReadDoc>(doc: &D, c: &MapReader<'_, D>) -> Result<(), SchemaError> {
    let path = "/collaboration/sessions";
    let Some((automerge::Value::Object(kind), list)) = doc.get(&c.obj, "sessions").ok().flatten()
    else {
        return Ok(());
    };
    if kind != ObjType::List {
        return Err(SchemaError::new(path, "must be a list"));
    }
    let n = doc.length(&list);
    if n > MAX_SESSIONS {
        return Err(SchemaError::new(
            path,
            format!("holds {n} sessions, at most {MAX_SESSIONS}"),
        ));
    }
    for i in 0..n {
        let Some((automerge::Value::Object(ObjType::Map), m)) = doc.get(&list, i).ok().flatten()
        else {
            return Err(SchemaError::new(format!("{path}/{i}"), "must be a map"));
        };
        let s = MapReader::at(doc, m, format!("{path}/{i}"));
        s.only_keys(&["title", "date", "form", "route"])?;
        s.required_string("title", super::workshop::MAX_TITLE)?;
        if !is_date(&s.required_string("date", 10)?) {
            return Err(SchemaError::new(
                format!("{path}/{i}/date"),
                "is not a date YYYY-MM-DD",
            ));
        }
        s.one_of("form", &FormId::ALL.map(|f| f.as_str()))?;
        if let Some(r) = s.map("route")? {
            let mut keys = vec!["answered"];
            keys.extend(Level::NAMES);
            r.only_keys(&keys)?;
            r.number_in("answered", 0.0, super::workshop::MAX_ROSTER as f64)?;
            for level in Level::NAMES {
                r.number_in(level, 1.0, 5.0)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn read<D: ReadDoc>(root: &MapReader<'_, D>) -> Option<CollaborationView> {
    let c = root.map("collaboration").ok().flatten()?;
    let mut out = CollaborationView {
        id: c.string("id", 64).ok().flatten()?,
        backpack: c
            .string_list("backpack", usize::MAX, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default(),
        ..CollaborationView::default()
    };
    if let Some((automerge::Value::Object(ObjType::List), list)) =
        root.doc.get(&c.obj, "sessions").ok().flatten()
    {
        for i in 0..root.doc.length(&list) {
            let Some((automerge::Value::Object(ObjType::Map), m)) =
                root.doc.get(&list, i).ok().flatten()
            else {
                continue;
            };
            let s = MapReader::at(root.doc, m, String::new());
            let (Some(title), Some(date)) = (
                s.string("title", usize::MAX).ok().flatten(),
                s.string("date", 10).ok().flatten(),
            ) else {
                continue;
            };
            let form = s
                .string("form", 8)
                .ok()
                .flatten()
                .and_then(|f| f.parse().ok())
                .unwrap_or(FormId::ThreeLevels);
            let route = s.map("route").ok().flatten().map(|r| RouteMeans {
                answered: r.number("answered").ok().flatten().unwrap_or(0.0).max(0.0) as u32,
                tenths: Level::ALL
                    .into_iter()
                    .filter_map(|l| Some((l, tenths(r.number(l.as_str()).ok().flatten()?))))
                    .collect(),
            });
            out.sessions.push(Session {
                title,
                date,
                form,
                route,
            });
        }
    }
    if let Some(l) = c.map("ledger").ok().flatten()
        && let Ok(entries) = l.map_entries()
    {
        for (id, a) in entries {
            let s = |k: &str| a.string(k, usize::MAX).ok().flatten().unwrap_or_default();
            let Some(field) = FieldId::parse(&s("field")) else {
                continue;
            };
            out.ledger.push(Agreement {
                id,
                field,
                text: s("text"),
                earlier: a
                    .string_list("earlier", usize::MAX, usize::MAX)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                why: s("why"),
                review: a.string("review", 10).ok().flatten(),
                status: Status::parse(&s("status")).unwrap_or(Status::Adopted),
                since: s("since"),
            });
        }
    }
    Some(out)
}

/// What a session passes on to the next: the ledger updated with this session's proposals (an
/// agreement the session has a proposal for takes its text, history, reasons, review date and
/// status — kept, amended or dropped; a TWO adopted here joins with `since` this session), the
/// backpack as it stands, and this session appended to the sessions.
pub fn next(
    carried: Option<&CollaborationView>,
    new_id: impl FnOnce() -> String,
    this: Session,
    proposals: &[Proposal],
) -> CollaborationView {
    let mut out = carried.cloned().unwrap_or_else(|| CollaborationView {
        id: new_id(),
        ..CollaborationView::default()
    });
    let since = format!("{}, {}", this.title, this.date);
    let mut ledger: BTreeMap<String, Agreement> =
        out.ledger.drain(..).map(|a| (a.id.clone(), a)).collect();
    for p in proposals {
        let known = ledger.get(&p.id).cloned();
        let status = match (p.status, &known) {
            (Status::Adopted, _) => Status::Adopted,
            (Status::Dropped, Some(_)) => Status::Dropped,
            // Open here: an agreement under review stays as it was; a new proposal is no TWO.
            (Status::Open, Some(a)) => {
                ledger.insert(p.id.clone(), a.clone());
                continue;
            }
            (_, None) => continue,
        };
        ledger.insert(
            p.id.clone(),
            Agreement {
                id: p.id.clone(),
                field: p.field,
                text: p.text.clone(),
                earlier: p.earlier.clone(),
                why: p.why.clone(),
                review: p.review.clone(),
                status,
                since: known.map(|a| a.since).unwrap_or_else(|| since.clone()),
            },
        );
    }
    out.ledger = ledger.into_values().collect();
    out.sessions.push(this);
    out
}

/// The proposals a 001 session starts with in a collaboration: every adopted agreement — as a
/// TWO, or open again on the agenda when its review date has come by `today` — in the ledger's
/// order. Dropped agreements stay in the ledger only.
pub fn agenda(c: &CollaborationView, today: &str) -> Vec<(Agreement, bool)> {
    c.ledger
        .iter()
        .filter(|a| a.status == Status::Adopted)
        .map(|a| (a.clone(), a.due(today)))
        .collect()
}

/// Writes the collaboration a new session carries (server, at its creation).
pub fn write(
    tx: &mut impl Transactable,
    c: &CollaborationView,
) -> Result<(), automerge::AutomergeError> {
    let m = tx.put_object(automerge::ROOT, "collaboration", ObjType::Map)?;
    tx.put(&m, "id", c.id.as_str())?;
    let sessions = tx.put_object(&m, "sessions", ObjType::List)?;
    for (i, s) in c.sessions.iter().enumerate() {
        let e = tx.insert_object(&sessions, i, ObjType::Map)?;
        tx.put(&e, "title", s.title.as_str())?;
        tx.put(&e, "date", s.date.as_str())?;
        tx.put(&e, "form", s.form.as_str())?;
        if let Some(r) = &s.route {
            let m = tx.put_object(&e, "route", ObjType::Map)?;
            tx.put(
                &m,
                "answered",
                automerge::ScalarValue::Int(i64::from(r.answered)),
            )?;
            for level in r.tenths.keys() {
                if let Some(x) = r.mean(*level) {
                    tx.put(&m, level.as_str(), automerge::ScalarValue::F64(x))?;
                }
            }
        }
    }
    let ledger = tx.put_object(&m, "ledger", ObjType::Map)?;
    for a in &c.ledger {
        let e = tx.put_object(&ledger, a.id.as_str(), ObjType::Map)?;
        tx.put(&e, "field", a.field.as_str())?;
        tx.put(&e, "text", a.text.as_str())?;
        let earlier = tx.put_object(&e, "earlier", ObjType::List)?;
        for (i, t) in a.earlier.iter().enumerate() {
            tx.insert(&earlier, i, t.as_str())?;
        }
        tx.put(&e, "why", a.why.as_str())?;
        if let Some(d) = &a.review {
            tx.put(&e, "review", d.as_str())?;
        }
        tx.put(&e, "status", a.status.as_str())?;
        tx.put(&e, "since", a.since.as_str())?;
    }
    let backpack = tx.put_object(&m, "backpack", ObjType::List)?;
    for (i, l) in c.backpack.iter().enumerate() {
        tx.insert(&backpack, i, l.as_str())?;
    }
    Ok(())
}

/// Adds a lesson learned to the backpack (facilitators).
pub fn add_lesson(tx: &mut impl Transactable, text: &str) -> Result<(), automerge::AutomergeError> {
    let m = ensure_map(tx, &automerge::ROOT, "collaboration")?;
    if tx.get(&m, "id")?.is_none() {
        tx.put(&m, "id", uuid::Uuid::new_v4().to_string())?;
    }
    let list = match tx.get(&m, "backpack")? {
        Some((automerge::Value::Object(ObjType::List), l)) => l,
        _ => tx.put_object(&m, "backpack", ObjType::List)?,
    };
    let n = tx.length(&list);
    tx.insert(&list, n, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(id: &str, text: &str, status: Status, review: Option<&str>) -> Proposal {
        Proposal {
            id: id.into(),
            field: FieldId::Rules,
            text: text.into(),
            rule: None,
            round: 1,
            status,
            earlier: vec![],
            why: "omdat".into(),
            review: review.map(str::to_owned),
            due: false,
        }
    }

    fn session(title: &str, date: &str) -> Session {
        Session {
            title: title.into(),
            date: date.into(),
            form: FormId::RulesOfPlay,
            route: None,
        }
    }

    /// Session 1 adopts two TWOs; session 2 reviews the one that is due (amends it), keeps the
    /// other untouched and drops nothing; session 3 sees version 2 with its history.
    #[test]
    fn the_ledger_carries_twos_and_their_versions_across_sessions() {
        let first = next(
            None,
            || "a0b1c2d3-0000-4000-8000-000000000000".into(),
            session("Sessie 1", "2026-12-04"),
            &[
                proposal(
                    "rule-5",
                    "Zorgen uitspreken",
                    Status::Adopted,
                    Some("2027-01-10"),
                ),
                proposal(
                    "p-1",
                    "Maandelijks overleg",
                    Status::Adopted,
                    Some("2027-06-01"),
                ),
                proposal("rule-1", "Alleen eigen oplossingen", Status::Open, None),
            ],
        );
        assert_eq!(first.ledger.len(), 2, "an open proposal is no agreement");
        assert_eq!(first.sessions.len(), 1);
        let due: Vec<_> = agenda(&first, "2027-02-01")
            .into_iter()
            .filter(|(_, due)| *due)
            .map(|(a, _)| a.id)
            .collect();
        assert_eq!(due, vec!["rule-5"]);
        let mut amended = proposal(
            "rule-5",
            "Zorgen uitspreken, en op de agenda zetten",
            Status::Adopted,
            Some("2027-09-01"),
        );
        amended.earlier = vec!["Zorgen uitspreken".into()];
        let second = next(
            Some(&first),
            || unreachable!("the collaboration keeps its id"),
            session("Sessie 2", "2027-02-01"),
            &[
                amended,
                proposal(
                    "p-1",
                    "Maandelijks overleg",
                    Status::Adopted,
                    Some("2027-06-01"),
                ),
            ],
        );
        assert_eq!(second.id, first.id);
        assert_eq!(second.sessions.len(), 2);
        let rule5 = second.ledger.iter().find(|a| a.id == "rule-5").unwrap();
        assert_eq!(rule5.version(), 2);
        assert_eq!(
            rule5.since, "Sessie 1, 2026-12-04",
            "adopted first in session 1"
        );
        assert!(!rule5.due("2027-02-01"));
        // Under review and not decided: it stays as it was.
        let third = next(
            Some(&second),
            || unreachable!(),
            session("Sessie 3", "2027-10-01"),
            &[proposal("rule-5", "iets anders", Status::Open, None)],
        );
        let rule5 = third.ledger.iter().find(|a| a.id == "rule-5").unwrap();
        assert_eq!(rule5.text, "Zorgen uitspreken, en op de agenda zetten");
        assert_eq!(third.ledger.len(), 2);
    }

    #[test]
    fn a_written_collaboration_reads_back_and_validates() {
        let mut horizon = proposal(
            "p-9",
            "Wij gaan samen sturen op minder wachtlijsten.",
            Status::Adopted,
            None,
        );
        horizon.field = FieldId::Horizon;
        let route = crate::forms::horizon::RouteProfile {
            answered: 4,
            levels: [
                (Level::Contribution, [0, 1, 1, 2, 0]),
                (Level::Discipline, [1, 1, 1, 1, 0]),
            ]
            .into(),
        };
        let c = next(
            None,
            || uuid::Uuid::new_v4().to_string(),
            Session {
                form: FormId::Horizon,
                route: Some(route.means()),
                ..session("Sessie 1", "2026-12-04")
            },
            &[
                proposal(
                    "rule-5",
                    "Zorgen uitspreken",
                    Status::Adopted,
                    Some("2027-01-10"),
                ),
                horizon,
            ],
        );
        assert_eq!(
            c.horizon().map(|a| a.text.as_str()),
            Some("Wij gaan samen sturen op minder wachtlijsten.")
        );
        let means = c.sessions[0].route.as_ref().unwrap();
        assert_eq!(means.mean(Level::Contribution), Some(3.3));
        assert_eq!(means.mean(Level::Discipline), Some(2.5));
        assert_eq!(means.mean(Level::Quality), None);
        let mut doc = automerge::Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            super::super::workshop::init_form(
                tx,
                "Sessie 2",
                "nl",
                crate::forms::FormRef {
                    id: FormId::RulesOfPlay,
                    version: 1,
                },
            )?;
            write(tx, &c)?;
            add_lesson(tx, "Eerst luisteren werkt")
        })
        .unwrap();
        super::super::workshop::validate(&doc).unwrap();
        let v = super::super::workshop::view(&doc).collaboration.unwrap();
        assert_eq!(v.ledger, c.ledger);
        assert_eq!(v.sessions, c.sessions);
        assert_eq!(v.backpack, vec!["Eerst luisteren werkt"]);
    }
}
