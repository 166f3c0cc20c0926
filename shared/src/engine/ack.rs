//! A peer's acknowledgement, taken in without a walk over the document's whole history.
//!
//! automerge's `receive_sync_message` trims the hashes it sent a peer (`sent_hashes`) by visiting
//! every ancestor of the heads the peer names, collecting them in a fresh `BTreeSet` — the
//! whole history, on every message, even when nothing was sent. A reader that keeps up answers
//! every change, so in the plenary that walk was a quarter of the server's CPU, and it grows with
//! every change the table ever had. When the peer names exactly our heads and brings no changes
//! (a reader confirming what it was sent), every change we hold is an ancestor of those heads:
//! the trim empties the set, and the rest of the state update is a handful of assignments.
//! [`acknowledge`] makes exactly that update; anything else goes to automerge.

use automerge::ChangeHash;
use automerge::sync::{Capability, Message, MessageFlags, State};

/// Takes in `msg` as `Automerge::receive_sync_message` would, when it carries no changes and its
/// heads are `heads` (the document's, as `get_heads` answers them); answers `msg` back,
/// untouched, when it is not such a message.
pub fn acknowledge(heads: &[ChangeHash], state: &mut State, msg: Message) -> Option<Message> {
    if !msg.changes.is_empty() || msg.heads != heads {
        return Some(msg);
    }
    let Message {
        heads,
        need,
        have,
        flags,
        ..
    } = msg;
    state.in_flight = false;
    if let Some(flags) = flags {
        // Whoever sends flags speaks the second message format (automerge's own rule).
        let mut caps = vec![Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            caps.push(Capability::SyncReset);
        }
        state.their_capabilities = Some(caps);
        state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
    }
    // Every change is an ancestor of our own heads: nothing sent is still unseen.
    state.sent_hashes.clear();
    // No changes and our heads: the peer has everything we last sent, and shares our heads.
    state.last_sent_heads.clone_from(&heads);
    state.shared_heads.clone_from(&heads);
    state.their_have = Some(have);
    state.their_heads = Some(heads);
    state.their_need = Some(need);
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, Automerge, AutomergeError, ROOT};
    use proptest::prelude::*;

    fn edited(doc: &mut Automerge, k: u32) {
        doc.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, format!("k{}", k % 5), k as i64))
            .unwrap();
    }

    /// What one side of a sync does in a run: edit, or send the other side its next message.
    #[derive(Debug, Clone, Copy)]
    enum Act {
        ServerEdits,
        PeerEdits,
        ServerSends,
        PeerSends,
    }

    fn act() -> impl Strategy<Value = Act> {
        prop_oneof![
            Just(Act::ServerEdits),
            Just(Act::PeerEdits),
            Just(Act::ServerSends),
            Just(Act::PeerSends),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Wherever two peers are in a sync, an acknowledgement taken in here leaves the
        /// server's sync state exactly as automerge leaves it.
        #[test]
        fn an_acknowledgement_updates_the_state_as_automerge_does(
            acts in prop::collection::vec(act(), 0..30),
            flags in prop::option::of(0u8..8),
            need_one in any::<bool>(),
        ) {
            let mut server = Automerge::new().with_actor(ActorId::from(vec![1]));
            let mut peer = Automerge::new().with_actor(ActorId::from(vec![2]));
            let (mut at_server, mut at_peer) = (State::new(), State::new());
            for (k, a) in acts.into_iter().enumerate() {
                match a {
                    Act::ServerEdits => edited(&mut server, k as u32),
                    Act::PeerEdits => edited(&mut peer, k as u32 + 100),
                    Act::ServerSends => {
                        if let Some(m) = server.generate_sync_message(&mut at_server) {
                            let m = Message::decode(&m.encode()).unwrap();
                            peer.receive_sync_message(&mut at_peer, m).unwrap();
                        }
                    }
                    Act::PeerSends => {
                        if let Some(m) = peer.generate_sync_message(&mut at_peer) {
                            let m = Message::decode(&m.encode()).unwrap();
                            server.receive_sync_message(&mut at_server, m).unwrap();
                        }
                    }
                }
            }
            // The peer confirms the server's heads (it may not hold them: automerge then asks
            // for them, and so must the fast path agree).
            let heads = server.get_heads();
            let mut ack = peer
                .generate_sync_message(&mut at_peer.clone())
                .unwrap_or_else(|| Message::decode(
                    &peer.generate_sync_message(&mut State::new()).unwrap().encode()
                ).unwrap());
            ack.heads = heads.clone();
            ack.changes = Vec::<Vec<u8>>::new().into();
            ack.flags = flags.map(|f| {
                let mut m = MessageFlags::new();
                for bit in [MessageFlags::SYNC_RESET, MessageFlags::READ_ONLY, MessageFlags::SUPPORTS_SYNC_RESET] {
                    if f & bit != 0 {
                        m.set(bit);
                    }
                }
                m
            });
            if need_one && let Some(h) = heads.first() {
                ack.need = vec![*h];
            }
            let ack = Message::decode(&ack.encode()).unwrap();
            let mut by_automerge = at_server.clone();
            server.receive_sync_message(&mut by_automerge, ack.clone()).unwrap();
            let mut here = at_server.clone();
            prop_assert!(acknowledge(&heads, &mut here, ack).is_none());
            prop_assert_eq!(here, by_automerge);
        }
    }

    #[test]
    fn other_messages_go_to_automerge_untouched() {
        let mut server = Automerge::new();
        edited(&mut server, 1);
        let mut peer = Automerge::new();
        let m = server.generate_sync_message(&mut State::new()).unwrap();
        let with_changes = Message::decode(&m.encode()).unwrap();
        let mut state = State::new();
        let back = acknowledge(&peer.get_heads(), &mut state, with_changes.clone());
        assert_eq!(back.map(|m| m.encode()), Some(with_changes.encode()));
        assert_eq!(state, State::new());
        // No changes, but heads that are not ours (behind, or ahead).
        edited(&mut peer, 2);
        let behind = peer.generate_sync_message(&mut State::new()).unwrap();
        assert!(acknowledge(&server.get_heads(), &mut state, behind).is_some());
        assert_eq!(state, State::new());
    }
}
