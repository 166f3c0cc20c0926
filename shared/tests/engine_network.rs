//! The sync engine over an in-memory network: one hub, several clients, messages delivered in
//! order through a queue. No sockets, no clock — the same engine the server and browser drive.

use std::collections::VecDeque;

use automerge::transaction::Transactable;
use automerge::{Automerge, ReadDoc};
use kring_shared::access::{DocKind, Principal};
use kring_shared::engine::client::{ClientEvent, ClientRepo, DocStatus};
use kring_shared::engine::hub::Hub;
use kring_shared::ids::{DocumentId, FacilitatorId, ParticipantId, PeerId};
use kring_shared::protocol::{Bytes, Message};
use kring_shared::schema::{reflection, workshop};

struct Net {
    hub: Hub,
    clients: Vec<ClientRepo>,
    /// (to client index or None for the hub, from peer, message)
    queue: VecDeque<(Option<usize>, PeerId, Message)>,
    stored: Vec<(DocumentId, Vec<u8>)>,
    /// Clients that are not reading: what the hub sends them waits here, in order.
    stalled: Vec<usize>,
    held: VecDeque<(usize, Message)>,
    /// Sync messages the hub sent each client.
    syncs_to: Vec<usize>,
    /// The payload of every sync message the hub sent, with its client.
    log: Vec<(usize, Bytes)>,
}

impl Net {
    fn new() -> (Net, DocumentId) {
        let ws = DocumentId::random();
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| workshop::init(tx, "W", "nl"))
            .unwrap();
        let net = Net {
            hub: Hub::new(PeerId::new("hub"), ws, doc),
            clients: vec![],
            queue: VecDeque::new(),
            stored: vec![],
            stalled: vec![],
            held: VecDeque::new(),
            syncs_to: vec![],
            log: vec![],
        };
        (net, ws)
    }

    fn add_client(&mut self, principal: Principal) -> usize {
        let i = self.clients.len();
        let id = PeerId::new(format!("c{i}"));
        self.hub.connect(id.clone(), principal);
        let mut c = ClientRepo::new(id.clone());
        let (out, _) = c.receive(Message::Peer {
            sender_id: PeerId::new("hub"),
            target_id: id,
            selected_protocol_version: "1".into(),
            peer_metadata: None,
        });
        self.clients.push(c);
        self.syncs_to.push(0);
        self.enqueue_from_client(i, out);
        i
    }

    fn enqueue_from_client(&mut self, i: usize, out: Vec<Message>) {
        let from = self.clients[i].peer_id().clone();
        for m in out {
            self.queue.push_back((None, from.clone(), m));
        }
    }

    /// Delivers until quiet; returns every client event.
    fn run(&mut self) -> Vec<(usize, ClientEvent)> {
        let mut events = vec![];
        let mut steps = 0;
        while let Some((to, from, msg)) = self.queue.pop_front() {
            steps += 1;
            assert!(steps < 10_000, "sync did not quiesce");
            match to {
                None => {
                    let fx = self.hub.receive(&from, msg);
                    self.stored.extend(fx.persist);
                    for (peer, m) in fx.send {
                        let idx = self.clients.iter().position(|c| *c.peer_id() == peer);
                        if let Some(idx) = idx {
                            if let Message::Sync(d) = &m {
                                self.syncs_to[idx] += 1;
                                self.log.push((idx, d.data.clone()));
                            }
                            if self.stalled.contains(&idx) {
                                self.held.push_back((idx, m));
                            } else {
                                self.queue.push_back((Some(idx), PeerId::new("hub"), m));
                            }
                        }
                    }
                }
                Some(i) => {
                    let (out, ev) = self.clients[i].receive(msg);
                    events.extend(ev.into_iter().map(|e| (i, e)));
                    self.enqueue_from_client(i, out);
                }
            }
        }
        events
    }

    /// A stalled client reads again: everything held for it is delivered, then the network runs.
    fn resume(&mut self, i: usize) {
        self.stalled.retain(|c| *c != i);
        while let Some((to, m)) = self.held.pop_front() {
            self.queue.push_back((Some(to), PeerId::new("hub"), m));
        }
        self.run();
    }

    fn open(&mut self, i: usize, doc: DocumentId) -> DocStatus {
        let out = self.clients[i].open(doc);
        self.enqueue_from_client(i, out);
        self.run();
        self.clients[i].status(&doc).unwrap()
    }

    fn edit(
        &mut self,
        i: usize,
        doc: DocumentId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Vec<(usize, ClientEvent)> {
        self.clients[i]
            .change(&doc, |tx| {
                f(tx);
                Ok(())
            })
            .unwrap()
            .unwrap();
        let out = self.clients[i].flush();
        self.enqueue_from_client(i, out);
        self.run()
    }
}

fn title(c: &ClientRepo, doc: DocumentId) -> String {
    workshop::view(c.doc(&doc).unwrap()).title
}

#[test]
fn several_peers_converge_on_concurrent_edits() {
    let (mut net, ws) = Net::new();
    let f1 = net.add_client(Principal::facilitator(FacilitatorId::random()));
    let f2 = net.add_client(Principal::facilitator(FacilitatorId::random()));
    let p = net.add_client(Principal::participant(ParticipantId::random()));
    for c in [f1, f2, p] {
        assert_eq!(net.open(c, ws), DocStatus::Ready);
    }
    // Two facilitators edit at once (both changes queued before either is delivered).
    net.clients[f1]
        .change(&ws, |tx| tx.put(automerge::ROOT, "title", "A"))
        .unwrap()
        .unwrap();
    net.clients[f2]
        .change(&ws, |tx| tx.put(automerge::ROOT, "language", "en"))
        .unwrap()
        .unwrap();
    for c in [f1, f2] {
        let out = net.clients[c].flush();
        net.enqueue_from_client(c, out);
    }
    net.run();
    let hub_heads = net.hub.document(&ws).unwrap().get_heads();
    for c in [f1, f2, p] {
        let doc = net.clients[c].doc(&ws).unwrap();
        assert_eq!(doc.get_heads().len(), hub_heads.len());
        assert_eq!(title(&net.clients[c], ws), "A");
        assert_eq!(workshop::view(doc).language, "en");
    }
    assert!(
        !net.stored.is_empty(),
        "the hub asked for its changes to be stored"
    );
}

#[test]
fn a_read_only_peers_changes_are_refused_and_reach_nobody() {
    let (mut net, ws) = Net::new();
    let f = net.add_client(Principal::facilitator(FacilitatorId::random()));
    let p = net.add_client(Principal::participant(ParticipantId::random()));
    net.open(f, ws);
    net.open(p, ws);
    let stored_before = net.stored.len();
    let events = net.edit(p, ws, |tx| {
        tx.put(automerge::ROOT, "title", "hijack").unwrap()
    });
    assert!(
        events.iter().any(|(i, e)| *i == p
            && matches!(e, ClientEvent::ServerError(m) if m.contains("may read but not change"))),
        "{events:?}"
    );
    assert_eq!(title(&net.clients[f], ws), "W");
    assert_eq!(workshop::view(net.hub.document(&ws).unwrap()).title, "W");
    assert_eq!(net.stored.len(), stored_before, "nothing stored");
}

#[test]
fn a_reflection_syncs_between_its_owners_devices_only() {
    let (mut net, _) = Net::new();
    let me = ParticipantId::random();
    let refl = DocumentId::random();
    net.hub
        .create_document(refl, DocKind::Reflection { owner: me }, |tx| {
            reflection::init(tx, me)
        })
        .unwrap();
    let phone = net.add_client(Principal::participant(me));
    let laptop = net.add_client(Principal::participant(me));
    let other = net.add_client(Principal::participant(ParticipantId::random()));
    let fac = net.add_client(Principal::facilitator(FacilitatorId::random()));
    assert_eq!(net.open(phone, refl), DocStatus::Ready);
    assert_eq!(net.open(laptop, refl), DocStatus::Ready);
    assert_eq!(net.open(other, refl), DocStatus::Unavailable);
    assert_eq!(net.open(fac, refl), DocStatus::Unavailable);
    net.edit(phone, refl, |tx| {
        let notes = tx.get(automerge::ROOT, "notes").unwrap().unwrap().1;
        let n = tx
            .put_object(&notes, "n1", automerge::ObjType::Map)
            .unwrap();
        tx.put(&n, "ring", "collective").unwrap();
    });
    let doc = net.clients[laptop].doc(&refl).unwrap();
    let notes = doc.get(automerge::ROOT, "notes").unwrap().unwrap().1;
    assert_eq!(doc.length(&notes), 1);
    assert!(
        net.clients[other]
            .doc(&refl)
            .unwrap()
            .get_heads()
            .is_empty()
    );
}

fn set_title(n: u32) -> impl FnOnce(&mut automerge::transaction::Transaction<'_>) {
    move |tx| tx.put(automerge::ROOT, "title", format!("v{n}")).unwrap()
}

#[test]
fn a_reader_that_does_not_answer_gets_one_message_then_the_rest_together() {
    let (mut net, ws) = Net::new();
    let writer = net.add_client(Principal::facilitator(FacilitatorId::random()));
    let fast = net.add_client(Principal::participant(ParticipantId::random()));
    let slow = net.add_client(Principal::participant(ParticipantId::random()));
    for c in [writer, fast, slow] {
        assert_eq!(net.open(c, ws), DocStatus::Ready);
    }
    let (fast0, slow0) = (net.syncs_to[fast], net.syncs_to[slow]);
    net.stalled.push(slow);
    for n in 1..=20 {
        net.edit(writer, ws, set_title(n));
        assert_eq!(title(&net.clients[fast], ws), format!("v{n}"), "at once");
    }
    assert_eq!(
        net.syncs_to[fast] - fast0,
        20,
        "a reader that answers gets every change"
    );
    assert_eq!(
        net.syncs_to[slow] - slow0,
        1,
        "one message out, nothing more until it is answered"
    );
    let held: usize = net
        .held
        .iter()
        .map(|(_, m)| match m {
            Message::Sync(d) => d.data.len(),
            _ => 0,
        })
        .sum();
    net.resume(slow);
    assert_eq!(title(&net.clients[slow], ws), "v20", "and it converges");
    assert_eq!(
        net.syncs_to[slow] - slow0,
        2,
        "the 19 changes made meanwhile came in one message"
    );
    let hub_heads = net.hub.document(&ws).unwrap().get_heads();
    assert_eq!(net.clients[slow].doc(&ws).unwrap().get_heads(), hub_heads);
    assert!(held > 0);
}

#[test]
fn a_peer_that_never_answers_still_gets_what_it_is_owed_after_the_timeout() {
    use kring_shared::engine::hub::ANSWER_TIMEOUT_MS;
    let (mut net, ws) = Net::new();
    let writer = net.add_client(Principal::facilitator(FacilitatorId::random()));
    let mute = net.add_client(Principal::participant(ParticipantId::random()));
    for c in [writer, mute] {
        net.open(c, ws);
    }
    net.hub.set_now(1_000);
    net.stalled.push(mute);
    net.edit(writer, ws, set_title(1));
    net.edit(writer, ws, set_title(2));
    assert_eq!(net.held.len(), 1, "the second change waits for an answer");
    assert_eq!(net.hub.next_due(), Some(1_000 + ANSWER_TIMEOUT_MS));
    net.hub.set_now(1_000 + ANSWER_TIMEOUT_MS - 1);
    assert!(net.hub.send_overdue().send.is_empty(), "not yet");
    net.hub.set_now(1_000 + ANSWER_TIMEOUT_MS);
    let fx = net.hub.send_overdue();
    assert_eq!(fx.send.len(), 1, "now, without an answer");
    assert_eq!(net.hub.next_due(), None);
    for (_, m) in fx.send {
        net.held.push_back((mute, m));
    }
    net.resume(mute);
    assert_eq!(title(&net.clients[mute], ws), "v2");
}

#[test]
fn readers_at_the_same_sync_state_share_one_built_message() {
    let (mut net, ws) = Net::new();
    let writer = net.add_client(Principal::facilitator(FacilitatorId::random()));
    let readers: Vec<usize> = (0..5)
        .map(|_| net.add_client(Principal::participant(ParticipantId::random())))
        .collect();
    for c in std::iter::once(writer).chain(readers.iter().copied()) {
        net.open(c, ws);
    }
    net.log.clear();
    net.edit(writer, ws, set_title(1));
    let to_readers: Vec<&Bytes> = net
        .log
        .iter()
        .filter(|(i, _)| readers.contains(i))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(to_readers.len(), readers.len());
    assert!(
        to_readers
            .iter()
            .all(|b| b.as_ptr() == to_readers[0].as_ptr()),
        "one buffer, shared"
    );
    for r in readers {
        assert_eq!(title(&net.clients[r], ws), "v1");
    }
}
