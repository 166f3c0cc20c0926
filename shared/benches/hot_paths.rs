//! Benchmarks (divan) of the hot paths the load generator exercises: the server's fan-out of
//! one change to N subscribers and its handling of their acknowledgements, the client's
//! handling of an incoming sync message, schema validation (with the copy of the document it is
//! tried on), and access decisions.
//!
//! Run: `cargo bench -p kring-shared --bench hot_paths`. The fan-out benches time what
//! `server/src/workshop/` does per change: `Hub::receive` plus `Message::encode` of every
//! outgoing frame (`WorkshopTask::deliver` encodes each once and hands it to the connection);
//! `cargo bench -p kring-server --bench turn` times the whole turn around it.

use std::collections::VecDeque;

use automerge::transaction::Transactable;
use automerge::{Automerge, ReadDoc};
use divan::Bencher;
use kring_shared::access::{Context, DocKind, Principal, access};
use kring_shared::engine::client::ClientRepo;
use kring_shared::engine::hub::Hub;
use kring_shared::ids::{DocumentId, DuoId, FacilitatorId, ParticipantId, PeerId};
use kring_shared::method::LevelId;
use kring_shared::protocol::Message;
use kring_shared::schema::{self, duo, reflection, table, workshop};
use kring_shared::step::Step;

fn main() {
    divan::main();
}

const SUBSCRIBERS: &[usize] = &[10, 50, 200];

/// A workshop document with `people` on the roster, as the server holds it.
fn workshop_doc(people: usize) -> Automerge {
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        workshop::init(tx, "Bench", "nl")?;
        for i in 0..people {
            workshop::put_roster_entry(
                tx,
                &workshop::RosterEntry {
                    id: ParticipantId::random(),
                    name: format!("person {i}"),
                    organisation: format!("org {}", i % 7),
                    joined_at: i as i64,
                    reflection: Some(DocumentId::random()),
                    voice: Some(DocumentId::random()),
                    rating: None,
                    role_sheet: None,
                    answers: None,
                },
            )?;
        }
        Ok(())
    })
    .expect("workshop");
    doc
}

/// A hub and `n` participants plus one facilitator, all in sync on the workshop document.
struct Room {
    hub: Hub,
    doc: DocumentId,
    facilitator: ClientRepo,
    readers: Vec<ClientRepo>,
}

impl Room {
    fn new(n: usize) -> Room {
        Room::after(n, 0)
    }

    /// [`Room::new`] in a workshop document that already went through `history` changes.
    fn after(n: usize, history: usize) -> Room {
        let mut room = Room::cold_after(n, history);
        // One change and its acknowledgements, so that the benches time the steady state and
        // not a peer's first change.
        let (from, msg) = room.change(0);
        let i: usize = from.0[1..].parse().expect("client peer id");
        room.run(VecDeque::from([(None, i, msg)]));
        room
    }

    /// Everyone in sync, before the facilitator's first change.
    fn cold(n: usize) -> Room {
        Room::cold_after(n, 0)
    }

    fn cold_after(n: usize, history: usize) -> Room {
        let doc = DocumentId::random();
        let mut workshop = workshop_doc(n);
        for k in 0..history {
            workshop
                .transact::<_, _, automerge::AutomergeError>(|tx| {
                    tx.put(automerge::ROOT, "title", format!("before {k}"))
                })
                .expect("history");
        }
        let mut hub = Hub::new(PeerId::new("hub"), doc, workshop);
        let mut clients = Vec::new();
        for i in 0..=n {
            let id = PeerId::new(format!("c{i}"));
            let who = if i == 0 {
                Principal::facilitator(FacilitatorId::random())
            } else {
                Principal::participant(ParticipantId::random())
            };
            hub.connect(id.clone(), who);
            let mut c = ClientRepo::new(id.clone());
            c.receive(Message::Peer {
                sender_id: PeerId::new("hub"),
                target_id: id,
                selected_protocol_version: "1".into(),
                peer_metadata: None,
            });
            clients.push(c);
        }
        let mut queue = VecDeque::new();
        for (i, c) in clients.iter_mut().enumerate() {
            for m in c.open(doc) {
                queue.push_back((None, i, m));
            }
        }
        let mut room = Room {
            hub,
            doc,
            facilitator: clients.remove(0),
            readers: clients,
        };
        room.run(queue);
        room
    }

    fn client(&mut self, i: usize) -> &mut ClientRepo {
        if i == 0 {
            &mut self.facilitator
        } else {
            &mut self.readers[i - 1]
        }
    }

    /// Delivers (to hub = None / to client = Some(i), from client i, message) until quiet.
    fn run(&mut self, mut queue: VecDeque<(Option<usize>, usize, Message)>) {
        while let Some((to, from, m)) = queue.pop_front() {
            match to {
                None => {
                    let peer = self.client(from).peer_id().clone();
                    for (p, out) in self.hub.receive(&peer, m).send {
                        let i: usize = p.0[1..].parse().expect("client peer id");
                        queue.push_back((Some(i), i, out));
                    }
                }
                Some(i) => {
                    let (out, _) = self.client(i).receive(m);
                    for o in out {
                        queue.push_back((None, i, o));
                    }
                }
            }
        }
    }

    /// The facilitator's next change, as the message the hub receives.
    fn change(&mut self, k: u64) -> (PeerId, Message) {
        let doc = self.doc;
        self.facilitator
            .change(&doc, |tx| tx.put(automerge::ROOT, "title", format!("t{k}")))
            .expect("open")
            .expect("change");
        let m = self.facilitator.flush().pop().expect("a sync message");
        (self.facilitator.peer_id().clone(), m)
    }
}

/// One change fanned out to `n` subscribers: hub work plus encoding every frame.
#[divan::bench(args = SUBSCRIBERS, sample_count = 20, sample_size = 1)]
fn server_fan_out(bencher: Bencher, n: usize) {
    bencher
        .with_inputs(|| {
            let mut room = Room::new(n);
            let msg = room.change(1);
            (room, msg)
        })
        .bench_local_values(|(mut room, (from, msg))| {
            let fx = room.hub.receive(&from, msg);
            let frames: usize = fx.send.iter().map(|(_, m)| m.encode().len()).sum();
            (room, frames)
        });
}

/// The facilitator's first change (a new actor in the document) fanned out to `n` subscribers:
/// it once cost ~20× the next (141 ms for 200 subscribers), each subscriber's message built
/// on its own; now one message is built for all readers at the same sync state.
#[divan::bench(args = SUBSCRIBERS, sample_count = 20, sample_size = 1)]
fn server_fan_out_first_change(bencher: Bencher, n: usize) {
    bencher
        .with_inputs(|| {
            let mut room = Room::cold(n);
            let msg = room.change(1);
            (room, msg)
        })
        .bench_local_values(|(mut room, (from, msg))| {
            let fx = room.hub.receive(&from, msg);
            let frames: usize = fx.send.iter().map(|(_, m)| m.encode().len()).sum();
            (room, frames)
        });
}

/// The `n` acknowledgements that follow one fan-out, handled by the hub.
#[divan::bench(args = SUBSCRIBERS, sample_count = 20, sample_size = 1)]
fn server_acknowledgements(bencher: Bencher, n: usize) {
    acknowledgements(bencher, || Room::new(n));
}

/// Times the hub taking in every acknowledgement of one change in a room `room` makes.
fn acknowledgements(bencher: Bencher, room: impl Fn() -> Room) {
    bencher
        .with_inputs(|| {
            let mut room = room();
            let (from, msg) = room.change(1);
            let sends = room.hub.receive(&from, msg).send;
            let mut acks = Vec::new();
            for (p, m) in sends {
                let i: usize = p.0[1..].parse().expect("client peer id");
                let (out, _) = room.client(i).receive(m);
                for o in out {
                    acks.push((p.clone(), o));
                }
            }
            (room, acks)
        })
        .bench_local_values(|(mut room, acks)| {
            let mut frames = 0;
            for (p, m) in acks {
                frames += room.hub.receive(&p, m).send.len();
            }
            (room, frames)
        });
}

/// The same for 50 subscribers of a document that went through 10 or 2,000 changes before:
/// what an acknowledgement costs must not grow with the history (automerge's own handling of
/// one walks all of it; see `engine::ack`).
#[divan::bench(args = [10, 2_000], sample_count = 20, sample_size = 1)]
fn server_acknowledgements_after_history(bencher: Bencher, history: usize) {
    acknowledgements(bencher, || Room::after(50, history));
}

/// Reading one acknowledgement frame as it comes off a reader's socket (every reader answers
/// every change): with the plain reader the server uses first, and with the general one.
#[divan::bench(args = ["plain", "general"])]
fn decode_sync_frame(bencher: Bencher, how: &str) {
    let mut room = Room::new(1);
    let (from, msg) = room.change(1);
    let (peer, out) = room.hub.receive(&from, msg).send.pop().expect("a frame");
    let i: usize = peer.0[1..].parse().expect("client peer id");
    let (mut acks, _) = room.client(i).receive(out);
    let frame = acks.pop().expect("an acknowledgement").encode();
    bencher.bench_local(|| match how {
        "plain" => Message::decode(divan::black_box(&frame)),
        _ => Message::decode_any(divan::black_box(&frame)),
    });
}

/// A client applying the server's sync message carrying one change (every browser, per change).
#[divan::bench(sample_count = 50, sample_size = 1)]
fn client_applies_change(bencher: Bencher) {
    bencher
        .with_inputs(|| {
            let mut room = Room::new(1);
            let (from, msg) = room.change(1);
            let mut sends = room.hub.receive(&from, msg).send;
            let (_, m) = sends.pop().expect("a frame for the reader");
            let bytes = m.encode();
            (room, bytes)
        })
        .bench_local_values(|(mut room, bytes)| {
            let m = Message::decode(&bytes).expect("decodes");
            let (out, _) = room.readers[0].receive(m);
            (room, out)
        });
}

fn reflection_doc(owner: ParticipantId, notes: usize) -> Automerge {
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        reflection::init(tx, owner)?;
        for k in 0..notes {
            reflection::put_note(
                tx,
                &reflection::Note {
                    id: format!("n{k}"),
                    ring: LevelId::ALL[k % 3],
                    text: "we hold each other to account when the work is shared".into(),
                    mark: reflection::Mark::None,
                    x: 0.5,
                    y: 0.5,
                    question: None,
                },
            )?;
        }
        Ok(())
    })
    .expect("reflection");
    doc
}

fn duo_doc(id: DuoId, cards: usize) -> Automerge {
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        duo::init(tx, id)?;
        for k in 0..cards {
            duo::put_insight(
                tx,
                &duo::Insight {
                    id: format!("c{k}"),
                    text: "what we saw together, in a sentence or two".into(),
                    zone: LevelId::Collective.into(),
                },
            )?;
        }
        Ok(())
    })
    .expect("duo");
    doc
}

/// The full schema check of a workshop document with 200 people on the roster.
#[divan::bench]
fn validate_workshop_200(bencher: Bencher) {
    let doc = workshop_doc(200);
    let ctx = Context::at(Step::Reflect);
    bencher.bench_local(|| schema::validate(&DocKind::Workshop, &doc, &ctx));
}

/// The same check of a sheet with the most notes allowed (300).
#[divan::bench]
fn validate_reflection_300(bencher: Bencher) {
    let owner = ParticipantId::random();
    let doc = reflection_doc(owner, reflection::MAX_NOTES);
    let kind = DocKind::Reflection { owner };
    let ctx = Context::at(Step::Duos);
    bencher.bench_local(|| schema::validate(&kind, &doc, &ctx));
}

/// One note typed into a sheet of 1, 10 or 300 notes (the most allowed), as the hub takes it
/// in: applied to the trial copy, then checked whole (`whole`) or, as the hub does, only where
/// its patches touched (`touched`: the patch log and the patches included).
#[divan::bench(consts = [1, 10, 300], args = ["whole", "touched"])]
fn typed_note_checked<const NOTES: usize>(bencher: Bencher, how: &str) {
    let owner = ParticipantId::random();
    let doc = reflection_doc(owner, NOTES);
    let mut writer = doc.fork();
    writer
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            let notes = tx.get(automerge::ROOT, "notes")?.expect("notes").1;
            let note = tx.get(&notes, "n0")?.expect("note").1;
            tx.put(
                &note,
                "text",
                "we hold each other to account, also when it is hard",
            )
        })
        .expect("typed");
    let change = writer.save_after(&doc.get_heads());
    let kind = DocKind::Reflection { owner };
    let ctx = Context::at(Step::Duos);
    bencher
        .with_inputs(|| doc.clone())
        .bench_local_values(|mut trial| match how {
            "whole" => {
                trial.load_incremental(&change).expect("applies");
                schema::validate(&kind, &trial, &ctx)
            }
            _ => {
                let mut log = automerge::PatchLog::active();
                trial
                    .load_incremental_log_patches(&change, &mut log)
                    .expect("applies");
                let changed = schema::Changed::from_patches(&trial.make_patches(&mut log));
                schema::validate_changed(&kind, &trial, &ctx, &changed)
            }
        });
}

/// The same check of a duo room with the most cards allowed (40).
#[divan::bench]
fn validate_duo_40(bencher: Bencher) {
    let id = DuoId::random();
    let doc = duo_doc(id, duo::MAX_INSIGHTS);
    let kind = DocKind::Duo { duo: id };
    let ctx = Context::at(Step::Duos);
    bencher.bench_local(|| schema::validate(&kind, &doc, &ctx));
}

/// The same check of a plenary table with 300 cards placed.
#[divan::bench]
fn validate_table_300(bencher: Bencher) {
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        table::init(tx)?;
        for k in 0..300 {
            table::place_card(tx, &format!("card-{k}"), "collective", k as f64, None)?;
        }
        Ok(())
    })
    .expect("table");
    let ctx = Context::at(Step::Plenary);
    bencher.bench_local(|| schema::validate(&DocKind::Table, &doc, &ctx));
}

/// The copy a change is tried on before it is validated (the hub does one per incoming change).
#[divan::bench]
fn trial_copy_of_workshop_200(bencher: Bencher) {
    let doc = workshop_doc(200);
    bencher.bench_local(|| doc.clone());
}

/// 1,000 access decisions in a workshop of 100 duos at step 2.
#[divan::bench]
fn access_decisions_1000(bencher: Bencher) {
    let people: Vec<ParticipantId> = (0..200).map(|_| ParticipantId::random()).collect();
    let mut ctx = Context::at(Step::Duos);
    for pair in people.chunks(2) {
        ctx.duos.insert(DuoId::random(), pair.to_vec());
    }
    let duos: Vec<DuoId> = ctx.duos.keys().copied().collect();
    let f = Principal::facilitator(FacilitatorId::random());
    let cases: Vec<(Principal, DocKind)> = (0..1000)
        .map(|i| {
            let who = if i % 10 == 0 {
                f
            } else {
                Principal::participant(people[i % people.len()])
            };
            let kind = match i % 3 {
                0 => DocKind::Workshop,
                1 => DocKind::Reflection {
                    owner: people[(i * 7) % people.len()],
                },
                _ => DocKind::Duo {
                    duo: duos[i % duos.len()],
                },
            };
            (who, kind)
        })
        .collect();
    bencher.bench_local(|| {
        cases
            .iter()
            .filter(|(who, kind)| access(who, kind, &ctx).can_read())
            .count()
    });
}
