//! A participant's private role sheet (work form 003, step 1): the ten points divided over the
//! three perspectives, what they say about each of the 15 roles ("neem ik nu op" / "wil ik
//! opnemen"), and whether they published their claims to the group.
//!
//! ```text
//! { owner: <participant id>,
//!   points?: { organisation?: 0..10, individual?: 0..10, network?: 0..10 },  // total ≤ 10
//!   claims?: { <role id>: "hold_now" | "want" },                             // absent: nothing
//!   published?: bool }
//! ```
//! Only its owner reads and writes it. The group sees the points only as the server's
//! k-anonymous balance, and the claims only once the owner set `published` (the server then
//! copies them into the workshop document's `role_map`). Purged when the workshop closes.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError, ensure_map};
use crate::forms::roles::{self, Claim, POINTS, Perspective, RoleId};
use crate::ids::ParticipantId;

/// What the owner's page (and the server) reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleSheetView {
    /// Points per perspective, in the order of [`Perspective::ALL`].
    pub points: [u32; 3],
    /// Per role, what the owner says; roles they say nothing about are absent.
    pub claims: BTreeMap<RoleId, Claim>,
    pub published: bool,
}

impl RoleSheetView {
    pub fn points_of(&self, p: Perspective) -> u32 {
        self.points[index(p)]
    }

    /// Points not yet given.
    pub fn left(&self) -> u32 {
        POINTS.saturating_sub(self.points.iter().sum())
    }
}

fn index(p: Perspective) -> usize {
    Perspective::ALL.iter().position(|x| *x == p).unwrap_or(0)
}

/// Reads the sheet tolerantly: unknown roles, malformed values and points past ten read as
/// nothing.
pub fn view(doc: &impl ReadDoc) -> RoleSheetView {
    let root = MapReader::root(doc);
    let mut out = RoleSheetView {
        published: root.boolean("published").ok().flatten().unwrap_or(false),
        ..RoleSheetView::default()
    };
    if let Some(points) = root.map("points").ok().flatten() {
        for p in Perspective::ALL {
            let n = points
                .number(p.as_str())
                .ok()
                .flatten()
                .filter(|n| (0.0..=f64::from(POINTS)).contains(n) && n.fract() == 0.0)
                .map_or(0, |n| n as u32);
            out.points[index(p)] = n;
        }
        if out.points.iter().sum::<u32>() > POINTS {
            out.points = [0; 3];
        }
    }
    if let Some(claims) = root.map("claims").ok().flatten() {
        for r in roles::ROLES {
            if let Some(c) = claims
                .string(r.id.as_str(), 16)
                .ok()
                .flatten()
                .and_then(|s| Claim::parse(&s))
            {
                out.claims.insert(r.id, c);
            }
        }
    }
    out
}

pub fn validate(doc: &impl ReadDoc, owner: ParticipantId) -> Result<(), SchemaError> {
    let root = MapReader::root(doc);
    root.only_keys(&["owner", "points", "claims", "published"])?;
    if root.required_string("owner", 64)? != owner.to_string() {
        return Err(SchemaError::new("/owner", "cannot be changed"));
    }
    root.boolean("published")?;
    if let Some(points) = root.map("points")? {
        let ids: Vec<&str> = Perspective::ALL.iter().map(|p| p.as_str()).collect();
        points.only_keys(&ids)?;
        let mut total = 0.0;
        for p in Perspective::ALL {
            if let Some(n) = points.number_in(p.as_str(), 0.0, f64::from(POINTS))? {
                if n.fract() != 0.0 {
                    return Err(SchemaError::new(
                        format!("/points/{}", p.as_str()),
                        "must be a whole number",
                    ));
                }
                total += n;
            }
        }
        if total > f64::from(POINTS) {
            return Err(SchemaError::new(
                "/points",
                format!("add up to {total}, at most {POINTS} points may be divided"),
            ));
        }
    }
    if let Some(claims) = root.map("claims")? {
        let ids = RoleId::NAMES;
        claims.only_keys(&ids)?;
        let values: Vec<&str> = Claim::ALL.iter().map(|c| c.as_str()).collect();
        for id in ids {
            claims.one_of(id, &values)?;
        }
    }
    Ok(())
}

/// Writes the initial document of a participant's role sheet.
pub fn init(
    tx: &mut impl Transactable,
    owner: ParticipantId,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "owner", owner.to_string())?;
    tx.put_object(automerge::ROOT, "points", ObjType::Map)?;
    tx.put_object(automerge::ROOT, "claims", ObjType::Map)?;
    Ok(())
}

/// Gives a perspective `n` points (the caller keeps the total at most ten; the schema refuses
/// more).
pub fn set_points(
    tx: &mut impl Transactable,
    p: Perspective,
    n: u32,
) -> Result<(), automerge::AutomergeError> {
    let points = ensure_map(tx, &automerge::ROOT, "points")?;
    tx.put(&points, p.as_str(), ScalarValue::Int(i64::from(n)))
}

/// Says something about a role, or nothing (`None`).
pub fn set_claim(
    tx: &mut impl Transactable,
    role: RoleId,
    claim: Option<Claim>,
) -> Result<(), automerge::AutomergeError> {
    let claims = ensure_map(tx, &automerge::ROOT, "claims")?;
    let role = role.as_str();
    match claim {
        Some(c) => tx.put(&claims, role, c.as_str()),
        None => match tx.get(&claims, role)? {
            Some(_) => tx.delete(&claims, role),
            None => Ok(()),
        },
    }
}

/// Publishes the claims to the group, or takes them back.
pub fn set_published(
    tx: &mut impl Transactable,
    published: bool,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "published", published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{Automerge, AutomergeError};

    fn sheet(
        owner: ParticipantId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, AutomergeError>(|tx| {
            init(tx, owner)?;
            f(tx);
            Ok(())
        })
        .unwrap();
        doc
    }

    #[test]
    fn points_claims_and_publishing_are_written_and_read() {
        let me = ParticipantId::random();
        let doc = sheet(me, |tx| {
            set_points(tx, Perspective::Organisation, 5).unwrap();
            set_points(tx, Perspective::Network, 3).unwrap();
            set_claim(tx, RoleId::Driver, Some(Claim::HoldNow)).unwrap();
            set_claim(tx, RoleId::Critic, Some(Claim::Want)).unwrap();
            set_claim(tx, RoleId::Doer, Some(Claim::Want)).unwrap();
            set_claim(tx, RoleId::Doer, None).unwrap();
            set_published(tx, true).unwrap();
        });
        validate(&doc, me).unwrap();
        let v = view(&doc);
        assert_eq!(v.points, [5, 0, 3]);
        assert_eq!(v.left(), 2);
        assert_eq!(v.points_of(Perspective::Network), 3);
        assert_eq!(
            v.claims,
            [
                (RoleId::Critic, Claim::Want),
                (RoleId::Driver, Claim::HoldNow)
            ]
            .into_iter()
            .collect()
        );
        assert!(v.published);
    }

    /// Each case breaks the schema in one way; the error names the path.
    #[test]
    fn schema_violations_are_named() {
        let me = ParticipantId::random();
        let check = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>), path: &str| {
            let err = validate(&sheet(me, |tx| f(tx)), me).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        };
        check(
            &|tx| set_points(tx, Perspective::Individual, 11).unwrap(),
            "/points/individual",
        );
        check(
            &|tx| {
                set_points(tx, Perspective::Individual, 6).unwrap();
                set_points(tx, Perspective::Network, 5).unwrap();
            },
            "/points",
        );
        check(
            &|tx| {
                let p = ensure_map(tx, &automerge::ROOT, "points").unwrap();
                tx.put(&p, "organisation", 2.5).unwrap();
            },
            "/points/organisation",
        );
        check(
            &|tx| {
                let p = ensure_map(tx, &automerge::ROOT, "points").unwrap();
                tx.put(&p, "family", 2).unwrap();
            },
            "/points/family",
        );
        check(
            // The typed writer cannot name an unknown role; a hostile peer writes the string.
            &|tx| {
                let c = ensure_map(tx, &automerge::ROOT, "claims").unwrap();
                tx.put(&c, "king", Claim::HoldNow.as_str()).unwrap();
            },
            "/claims/king",
        );
        check(
            &|tx| {
                let c = ensure_map(tx, &automerge::ROOT, "claims").unwrap();
                tx.put(&c, "leader", "maybe").unwrap();
            },
            "/claims/leader",
        );
        check(
            &|tx| tx.put(automerge::ROOT, "published", "yes").unwrap(),
            "/published",
        );
        check(
            &|tx| tx.put(automerge::ROOT, "owner", "someone").unwrap(),
            "/owner",
        );
        check(&|tx| tx.put(automerge::ROOT, "evil", 1).unwrap(), "/evil");
    }
}
