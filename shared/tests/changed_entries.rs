//! The hub checks a change by looking only at the entries its patches touched
//! (`schema::validate_changed`). These tests hold it to the whole-document check
//! (`schema::validate`): from a valid document, both must accept and refuse the same changes,
//! whatever two writers do concurrently (conflicts whose winner changes included).

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, AutomergeError, ObjType, PatchLog, ROOT, ReadDoc, Value};
use kring_shared::access::{Context, DocKind};
use kring_shared::ids::ParticipantId;
use kring_shared::schema::{self, Changed, reflection};
use kring_shared::step::Step;
use proptest::prelude::*;

fn owner() -> ParticipantId {
    ParticipantId(uuid::Uuid::from_bytes([3; 16]))
}

fn kind() -> DocKind {
    DocKind::Reflection { owner: owner() }
}

fn ctx() -> Context {
    Context::at(Step::Reflect)
}

fn sheet() -> Automerge {
    let mut doc = Automerge::new().with_actor(ActorId::from(b"server".as_slice()));
    doc.transact::<_, _, AutomergeError>(|tx| reflection::init(tx, owner()))
        .unwrap();
    doc
}

/// What the hub does with incoming changes: applied to a copy with a patch log; answers the
/// copy and what the changes touched.
fn apply(server: &Automerge, changes: &[u8]) -> (Automerge, Changed) {
    let mut trial = server.clone();
    let mut log = PatchLog::active();
    trial
        .load_incremental_log_patches(changes, &mut log)
        .unwrap();
    let changed = Changed::from_patches(&trial.make_patches(&mut log));
    (trial, changed)
}

fn notes(tx: &mut impl Transactable) -> automerge::ObjId {
    match tx.get(ROOT, "notes").unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(ROOT, "notes", ObjType::Map).unwrap(),
    }
}

/// One thing a writer may do to its copy of the sheet; some of them break the schema.
#[derive(Debug, Clone)]
enum Edit {
    /// A new note at `key` (replacing what is there), in a ring or in `"nowhere"`.
    New {
        key: u8,
        good_ring: bool,
    },
    /// A field of the note at `key`: a number, a string where a number belongs, or a field
    /// the schema does not know.
    Field {
        key: u8,
        what: u8,
    },
    /// Types into the note's text (a text object), past the limit when `long`.
    Type {
        key: u8,
        long: bool,
    },
    /// Puts a plain string where a note belongs.
    Scalar {
        key: u8,
    },
    Delete {
        key: u8,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let key = 0u8..4;
    prop_oneof![
        (key.clone(), any::<bool>()).prop_map(|(key, good_ring)| Edit::New { key, good_ring }),
        (key.clone(), 0u8..3).prop_map(|(key, what)| Edit::Field { key, what }),
        (key.clone(), prop::bool::weighted(0.2)).prop_map(|(key, long)| Edit::Type { key, long }),
        key.clone().prop_map(|key| Edit::Scalar { key }),
        key.prop_map(|key| Edit::Delete { key }),
    ]
}

fn make(doc: &mut Automerge, e: &Edit) {
    doc.transact::<_, _, AutomergeError>(|tx| {
        let notes = notes(tx);
        let note = |tx: &mut automerge::transaction::Transaction<'_>, key: u8| match tx
            .get(&notes, key.to_string())
            .unwrap()
        {
            Some((Value::Object(ObjType::Map), id)) => Some(id),
            _ => None,
        };
        match *e {
            Edit::New { key, good_ring } => {
                let n = tx.put_object(&notes, key.to_string(), ObjType::Map)?;
                tx.put(&n, "ring", if good_ring { "collegial" } else { "nowhere" })?;
                tx.put(&n, "x", 0.5)?;
            }
            Edit::Field { key, what } => {
                if let Some(n) = note(tx, key) {
                    match what {
                        0 => tx.put(&n, "y", 0.25)?,
                        1 => tx.put(&n, "y", "high")?,
                        _ => tx.put(&n, "votes", 3)?,
                    }
                }
            }
            Edit::Type { key, long } => {
                if let Some(n) = note(tx, key) {
                    let text = match tx.get(&n, "text")? {
                        Some((Value::Object(ObjType::Text), id)) => id,
                        _ => tx.put_object(&n, "text", ObjType::Text)?,
                    };
                    let len = if long {
                        reflection::MAX_NOTE_TEXT + 1
                    } else {
                        7
                    };
                    tx.splice_text(&text, 0, 0, &"a".repeat(len))?;
                }
            }
            Edit::Scalar { key } => tx.put(&notes, key.to_string(), "a note")?,
            Edit::Delete { key } => {
                if tx.get(&notes, key.to_string())?.is_some() {
                    tx.delete(&notes, key.to_string())?;
                }
            }
        }
        Ok(())
    })
    .unwrap();
}

/// A step of the run: writer 0 or 1 edits its copy, sends it, or hears from the other writer
/// (writers that hear each other only now make conflicts).
#[derive(Debug, Clone)]
enum Act {
    Edit(usize, Edit),
    Send(usize),
    Hear(usize),
}

fn step() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0usize..2, edit()).prop_map(|(w, e)| Act::Edit(w, e)),
        2 => (0usize..2).prop_map(Act::Send),
        1 => (0usize..2).prop_map(Act::Hear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn checking_the_touched_entries_accepts_and_refuses_what_the_whole_check_does(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let mut server = sheet();
        let mut writers: Vec<Automerge> = (0..2u8)
            .map(|w| server.fork().with_actor(ActorId::from(vec![w + 1])))
            .collect();
        let mut fresh = 2u8;
        for s in steps {
            match s {
                Act::Edit(w, e) => make(&mut writers[w], &e),
                Act::Hear(w) => {
                    let mut other = writers[1 - w].clone();
                    writers[w].merge(&mut other).unwrap();
                }
                Act::Send(w) => {
                    let changes = writers[w].save();
                    let (trial, changed) = apply(&server, &changes);
                    let whole = schema::validate(&kind(), &trial, &ctx());
                    let touched = schema::validate_changed(&kind(), &trial, &ctx(), &changed);
                    prop_assert_eq!(
                        whole.is_ok(),
                        touched.is_ok(),
                        "whole: {:?}, touched only: {:?}", whole, touched
                    );
                    if whole.is_ok() {
                        server = trial;
                    } else {
                        // Refused: the writer starts again from what the server holds, as a new
                        // actor (as a browser does when it reloads).
                        fresh += 1;
                        writers[w] = server.fork().with_actor(ActorId::from(vec![fresh]));
                    }
                }
            }
        }
    }
}

/// An entry already wrong (a sheet written before a rule was tightened) is not read again by a
/// change elsewhere, which the whole check would refuse; a change to it still is refused.
#[test]
fn a_change_is_checked_where_it_touched_and_only_there() {
    let mut server = sheet();
    let mut old = server.fork().with_actor(ActorId::from(vec![9]));
    make(
        &mut old,
        &Edit::New {
            key: 0,
            good_ring: false,
        },
    );
    server.merge(&mut old).unwrap();
    assert!(schema::validate(&kind(), &server, &ctx()).is_err());

    let mut writer = server.fork().with_actor(ActorId::from(vec![1]));
    make(
        &mut writer,
        &Edit::New {
            key: 1,
            good_ring: true,
        },
    );
    let (trial, changed) = apply(&server, &writer.save_after(&server.get_heads()));
    assert!(changed.touches(&notes_of(&trial), "1"));
    assert!(!changed.touches(&notes_of(&trial), "0"));
    schema::validate_changed(&kind(), &trial, &ctx(), &changed).unwrap();

    make(&mut writer, &Edit::Field { key: 1, what: 1 });
    let (trial, changed) = apply(&server, &writer.save_after(&server.get_heads()));
    let e = schema::validate_changed(&kind(), &trial, &ctx(), &changed).unwrap_err();
    assert_eq!(e.path, "/notes/1/y");
}

fn notes_of(doc: &Automerge) -> automerge::ObjId {
    match doc.get(ROOT, "notes").unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => panic!("no notes"),
    }
}
