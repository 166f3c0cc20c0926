//! Benchmarks (divan) of one workshop turn, the sans-IO [`Workshop::turn`] the server's
//! workshop task runs for every batch of commands: a facilitator's change fanned out to `n`
//! participants (with every outgoing frame encoded, as delivery does), and the `n`
//! acknowledgements that follow, taken as one turn the way the task batches them.
//!
//! Run: `cargo bench -p kring-server --bench turn`. Compare with `cargo bench -p kring-shared
//! --bench hot_paths server_` in the same run: the difference is what a turn adds to the
//! hub's own work (presence, the checks of what follows the workshop document, retention,
//! progress, compaction bookkeeping).

use std::collections::VecDeque;

use automerge::Automerge;
use automerge::transaction::Transactable;
use divan::Bencher;
use kring_server::workshop::core::{Answer, Input, Workshop};
use kring_server::workshop::server_peer_id;
use kring_shared::access::Principal;
use kring_shared::engine::client::ClientRepo;
use kring_shared::engine::hub::Hub;
use kring_shared::forms::FormRef;
use kring_shared::ids::{DocumentId, FacilitatorId, PeerId, WorkshopId};
use kring_shared::protocol::Message;
use kring_shared::schema::workshop as workshop_schema;

fn main() {
    divan::main();
}

const PARTICIPANTS: &[usize] = &[10, 50, 200];
const NOW: i64 = 1_764_579_600_000;

/// A loaded workshop with a facilitator and `n` participants connected and in sync on the
/// workshop document; client 0 is the facilitator.
struct Room {
    workshop: Workshop,
    doc: DocumentId,
    clients: Vec<ClientRepo>,
    now: i64,
}

impl Room {
    fn new(n: usize) -> Room {
        let id = WorkshopId::random();
        let doc = DocumentId::random();
        let mut ws = Automerge::new();
        ws.transact::<_, _, automerge::AutomergeError>(|tx| {
            workshop_schema::init_form(tx, "Bench", "nl", FormRef::default())
        })
        .expect("workshop document");
        let hub = Hub::new(server_peer_id(id), doc, ws);
        let mut workshop = Workshop::new(id, hub, None, 0, NOW);
        let mut principals = vec![Principal::facilitator(FacilitatorId::random())];
        for i in 0..n {
            let turn = workshop.turn(
                [Input::AddParticipant {
                    name: format!("person {i}"),
                    organisation: format!("org {}", i % 7),
                }],
                NOW,
            );
            let Some(Answer::AddParticipant(Ok(p))) = turn.answers.into_iter().next() else {
                panic!("join refused");
            };
            principals.push(Principal::participant(p.participant_id));
        }
        let mut clients = Vec::new();
        let mut connects = Vec::new();
        for (i, principal) in principals.into_iter().enumerate() {
            let peer = PeerId::new(format!("c{i}"));
            connects.push(Input::Connect {
                peer: peer.clone(),
                conn: i as u64,
                principal,
            });
            let mut c = ClientRepo::new(peer.clone());
            c.receive(Message::Peer {
                sender_id: server_peer_id(id),
                target_id: peer,
                selected_protocol_version: "1".into(),
                peer_metadata: None,
            });
            clients.push(c);
        }
        workshop.turn(connects, NOW);
        let mut room = Room {
            workshop,
            doc,
            clients,
            now: NOW,
        };
        let opens: Vec<(usize, Message)> = (0..room.clients.len())
            .flat_map(|i| room.clients[i].open(doc).into_iter().map(move |m| (i, m)))
            .collect();
        room.run(opens);
        // One change and its acknowledgements, so the benches time the steady state.
        let first = room.change(0);
        room.run(vec![first]);
        room
    }

    /// Runs turns (one per message, from client i) and delivers until quiet.
    fn run(&mut self, first: Vec<(usize, Message)>) {
        let mut queue = VecDeque::from(first);
        while let Some((from, m)) = queue.pop_front() {
            self.now += 1;
            let peer = self.clients[from].peer_id().clone();
            let turn = self
                .workshop
                .turn([Input::Receive { peer, message: m }], self.now);
            for (to, out) in turn.send {
                let i: usize = to.0[1..].parse().expect("client peer id");
                let (replies, _) = self.clients[i].receive(out);
                queue.extend(replies.into_iter().map(|r| (i, r)));
            }
        }
    }

    /// The facilitator's next change, as the message the workshop receives.
    fn change(&mut self, k: u64) -> (usize, Message) {
        let doc = self.doc;
        self.clients[0]
            .change(&doc, |tx| tx.put(automerge::ROOT, "title", format!("t{k}")))
            .expect("open")
            .expect("change");
        (0, self.clients[0].flush().pop().expect("a sync message"))
    }

    fn input(&self, (from, message): (usize, Message)) -> Input {
        Input::Receive {
            peer: self.clients[from].peer_id().clone(),
            message,
        }
    }
}

/// One turn taking a facilitator's change: fan-out to everyone and every frame encoded.
#[divan::bench(args = PARTICIPANTS, sample_count = 20, sample_size = 1)]
fn turn_fan_out(bencher: Bencher, n: usize) {
    bencher
        .with_inputs(|| {
            let mut room = Room::new(n);
            let input = room.change(1);
            let input = room.input(input);
            (room, input)
        })
        .bench_local_values(|(mut room, input)| {
            let now = room.now + 1000;
            let turn = room.workshop.turn([input], now);
            let frames: usize = turn.send.iter().map(|(_, m)| m.encode().len()).sum();
            (room, frames)
        });
}

/// The `n` acknowledgements of one fan-out, taken as one turn.
#[divan::bench(args = PARTICIPANTS, sample_count = 20, sample_size = 1)]
fn turn_acknowledgements(bencher: Bencher, n: usize) {
    bencher
        .with_inputs(|| {
            let mut room = Room::new(n);
            let input = room.change(1);
            let input = room.input(input);
            room.now += 1000;
            let sends = room.workshop.turn([input], room.now).send;
            let mut acks = Vec::new();
            for (to, m) in sends {
                let i: usize = to.0[1..].parse().expect("client peer id");
                let (out, _) = room.clients[i].receive(m);
                acks.extend(out.into_iter().map(|o| room.input((i, o))));
            }
            (room, acks)
        })
        .bench_local_values(|(mut room, acks)| {
            let now = room.now + 1000;
            let turn = room.workshop.turn(acks, now);
            (room, turn.send.len())
        });
}
