//! Randomized convergence with faults, against the real `kring-server` binary.
//!
//! - [`randomized_edits_with_faults_converge`]: a facilitator and participants in duos edit every
//!   document kind (workshop, reflections, duo rooms) concurrently, go offline and edit there,
//!   come back, while the server is SIGKILLed and restarted. After every kill a fresh client
//!   checks that every change any client saw acknowledged is on the restarted server; at the end
//!   every replica equals the server's copy.
//! - [`crash_loop_loses_nothing_acknowledged`]: cycles of load → SIGKILL → restart → verify.
//!
//! Seeded: the seed is printed first (`KRING_SEED=…`); set `KRING_SEED` to replay the same
//! operations and faults (the network's timing still varies). Sizes come from the environment so
//! CI runs small: `KRING_CHAOS_PARTICIPANTS` (even, default 4), `KRING_CHAOS_ROUNDS` (default 40),
//! `KRING_CRASH_CYCLES` (default 5; the closing note reports 100).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use kring_shared::automerge::transaction::Transactable;
use kring_shared::automerge::{ChangeHash, ReadDoc};
use kring_shared::engine::client::{ClientRepo, DocStatus};
use kring_shared::ids::{DocumentId, DuoId};
use kring_shared::method::LevelId;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::reflection::{self, Note};
use kring_shared::schema::workshop::{self, Broadcast, CustomQuestion, DuoEntry};
use kring_testkit::{ServerProcess, SyncClient, create_workshop, join};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The run's seed: `KRING_SEED` or a fresh one, printed so a failure can be replayed.
fn seed() -> u64 {
    let seed = std::env::var("KRING_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("KRING_SEED={seed} (set it to replay this run)");
    seed
}

fn start(data: &Path) -> ServerProcess {
    ServerProcess::start(
        &kring_testkit::server_binary(env!("CARGO_BIN_EXE_kring-server")),
        data,
        &[],
        None,
    )
}

fn sorted_heads(doc: &kring_shared::automerge::Automerge) -> Vec<ChangeHash> {
    let mut h = doc.get_heads();
    h.sort();
    h
}

/// What the views read from a document, whatever its kind (equal heads must read equal).
fn render(doc: &kring_shared::automerge::Automerge) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        workshop::view(doc),
        reflection::notes(doc),
        duo::view(doc)
    )
}

/// How long the settle loops wait for quiet before calling it a failure.
const SETTLE: Duration = Duration::from_secs(120);

/// One simulated user: online with a connection, or offline holding its documents.
struct Actor {
    name: String,
    token: String,
    /// Documents it reads (and keeps a replica of).
    docs: Vec<DocumentId>,
    /// Its own sheet, if a participant.
    sheet: Option<DocumentId>,
    /// Its duo room, if a participant; facilitators write in every room.
    rooms: Vec<DocumentId>,
    workshop: Option<DocumentId>,
    conn: Option<SyncClient>,
    offline: Option<ClientRepo>,
    made: u64,
}

impl Actor {
    fn repo(&mut self) -> &mut ClientRepo {
        match (&mut self.conn, &mut self.offline) {
            (Some(c), _) => &mut c.repo,
            (None, Some(r)) => r,
            (None, None) => unreachable!("an actor always has its documents"),
        }
    }

    fn repo_ref(&self) -> &ClientRepo {
        match (&self.conn, &self.offline) {
            (Some(c), _) => &c.repo,
            (None, Some(r)) => r,
            (None, None) => unreachable!("an actor always has its documents"),
        }
    }

    fn go_offline(&mut self) {
        if let Some(c) = self.conn.take() {
            self.offline = Some(c.drop_connection());
        }
    }

    /// Connects (again); stays offline if the server does not answer.
    async fn go_online(&mut self, ws: &str) {
        let Some(repo) = self.offline.take() else {
            return;
        };
        let fresh = self.docs.iter().any(|d| repo.doc(d).is_none());
        match SyncClient::reconnect(ws, &self.token, repo.clone()).await {
            Ok(mut c) => {
                if fresh {
                    for d in self.docs.clone() {
                        if c.open(d).await.is_err() {
                            self.offline = Some(c.drop_connection());
                            return;
                        }
                    }
                }
                self.conn = Some(c);
            }
            Err(_) => self.offline = Some(repo),
        }
    }

    /// One random edit of a document it may write; sent at once when online.
    async fn edit(&mut self, rng: &mut StdRng) {
        self.made += 1;
        let tag = format!("{}-{}", self.name, self.made);
        let text: String = (0..rng.random_range(1..30))
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect();
        let roll = rng.random_range(0..100);
        let ready = |r: &ClientRepo, d: &DocumentId| r.status(d) == Some(DocStatus::Ready);
        if let Some(sheet) = self.sheet.filter(|s| ready(self.repo_ref(), s)) {
            let notes = reflection::notes(self.repo_ref().doc(&sheet).expect("open"));
            let pick =
                (!notes.is_empty()).then(|| notes[rng.random_range(0..notes.len())].id.clone());
            if roll < 45 {
                let op = rng.random_range(0..5);
                let (ring, mark) = (
                    LevelId::ALL[rng.random_range(0..3)],
                    reflection::Mark::ALL[rng.random_range(0..3)],
                );
                let (x, y) = (rng.random_range(0.0..1000.0), rng.random_range(0.0..600.0));
                let _ = self.repo().change(&sheet, |tx| match (op, &pick) {
                    (1, Some(id)) => reflection::set_text(tx, id, &text),
                    (2, Some(id)) => reflection::set_mark(tx, id, mark),
                    (3, Some(id)) => reflection::move_note(tx, id, ring, x, y),
                    (4, Some(id)) if notes.len() > 3 => reflection::delete_note(tx, id),
                    _ if notes.len() < 150 => reflection::put_note(
                        tx,
                        &Note {
                            id: format!("n{tag}"),
                            ring,
                            text: text.clone(),
                            mark,
                            x,
                            y,
                            question: None,
                        },
                    ),
                    _ => Ok(()),
                });
                return self.flush().await;
            }
        }
        if roll < 75
            && let Some(&room) = self.rooms.get(rng.random_range(0..self.rooms.len().max(1)))
            && ready(self.repo_ref(), &room)
        {
            let cards = duo::view(self.repo_ref().doc(&room).expect("open")).insights;
            // Own cards are capped per writer, so two members and a facilitator stay under
            // the schema's 40.
            let mine = cards.iter().filter(|c| c.id.contains(&self.name)).count();
            let level = [LevelId::Individual, LevelId::Collegial, LevelId::Collective]
                [rng.random_range(0..3)];
            let _ = self.repo().change(&room, |tx| {
                if !cards.is_empty() && (mine >= 10 || rng.random_bool(0.6)) {
                    let id = &cards[rng.random_range(0..cards.len())].id;
                    duo::set_insight_text(tx, id, &text)
                } else if mine < 10 {
                    duo::put_insight(
                        tx,
                        &Insight {
                            id: format!("k{tag}"),
                            text: text.clone(),
                            zone: level.into(),
                        },
                    )
                } else {
                    Ok(())
                }
            });
            return self.flush().await;
        }
        if let Some(ws) = self.workshop.filter(|w| ready(self.repo_ref(), w)) {
            let questions = workshop::view(self.repo_ref().doc(&ws).expect("open"))
                .plan
                .custom
                .len();
            let op = rng.random_range(0..3);
            let _ = self.repo().change(&ws, |tx| match op {
                0 => tx.put(kring_shared::automerge::ROOT, "title", text.as_str()),
                1 => workshop::set_broadcast(
                    tx,
                    &Broadcast {
                        id: tag.clone(),
                        text: text.clone(),
                        at: 1,
                    },
                ),
                _ if questions < 20 => workshop::add_custom_question(
                    tx,
                    &CustomQuestion {
                        id: format!("q{tag}"),
                        level: LevelId::Collegial,
                        text: text.clone(),
                    },
                ),
                _ => Ok(()),
            });
            self.flush().await;
        }
    }

    /// Sends what the engine has to say, if online; a dead connection makes it offline.
    async fn flush(&mut self) {
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        let out = c.repo.flush();
        for m in out {
            if c.send(&m).await.is_err() {
                self.go_offline();
                return;
            }
        }
    }

    /// Handles what arrived within `for_`; a closed connection makes it offline.
    async fn pump(&mut self, for_: Duration) {
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        let end = Instant::now() + for_;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match c.pump_one(left).await {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    self.go_offline();
                    return;
                }
            }
        }
    }

    /// Heads the server has acknowledged (they are on its disk), per document this actor writes.
    fn record_acks(&self, acked: &mut BTreeMap<DocumentId, BTreeSet<ChangeHash>>) {
        let Some(c) = &self.conn else {
            return;
        };
        for d in &self.docs {
            if c.repo.status(d) == Some(DocStatus::Ready) && c.repo.is_acknowledged(d) {
                let heads = c.repo.doc(d).expect("open").get_heads();
                acked.entry(*d).or_default().extend(heads);
            }
        }
    }

    fn settled(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| {
            self.docs
                .iter()
                .all(|d| c.repo.status(d) == Some(DocStatus::Ready) && c.repo.is_acknowledged(d))
        })
    }
}

/// Who may read what, for the fresh clients that check the server's copy.
struct World {
    facilitator_token: String,
    /// (token, sheet) of every participant.
    sheets: Vec<(String, DocumentId)>,
    workshop: DocumentId,
    rooms: Vec<DocumentId>,
}

impl World {
    /// The server's copy of every document, read by fresh clients (new peer ids, no local
    /// state), so nothing a test client still holds can fill a gap.
    async fn server_copies(
        &self,
        ws: &str,
    ) -> BTreeMap<DocumentId, kring_shared::automerge::Automerge> {
        let mut out = BTreeMap::new();
        let mut fac = SyncClient::connect(ws, &self.facilitator_token)
            .await
            .expect("a fresh facilitator connects");
        for d in std::iter::once(self.workshop).chain(self.rooms.iter().copied()) {
            assert_eq!(fac.open(d).await.unwrap(), DocStatus::Ready, "{d} loads");
            out.insert(d, fac.doc(d).clone());
        }
        for (token, sheet) in &self.sheets {
            let mut c = SyncClient::connect(ws, token)
                .await
                .expect("a fresh participant connects");
            assert_eq!(
                c.open(*sheet).await.unwrap(),
                DocStatus::Ready,
                "{sheet} loads"
            );
            out.insert(*sheet, c.doc(*sheet).clone());
        }
        out
    }
}

/// Every acknowledged head is in the server's copy (and so are all its ancestors).
fn assert_has_acked(
    seed: u64,
    copies: &BTreeMap<DocumentId, kring_shared::automerge::Automerge>,
    acked: &BTreeMap<DocumentId, BTreeSet<ChangeHash>>,
) -> usize {
    let mut n = 0;
    for (doc, hashes) in acked {
        let copy = &copies[doc];
        for h in hashes {
            assert!(
                copy.get_change_by_hash(h).is_some(),
                "KRING_SEED={seed}: acknowledged change {h} of {doc} is missing after restart"
            );
            n += 1;
        }
    }
    n
}

/// Sets up a workshop in step 2 with `n` participants in duos, their sheets and rooms.
async fn workshop_in_duos(base: &str, ws: &str, n: usize) -> (World, Vec<Actor>) {
    let w = create_workshop(base, "Chaos").await.unwrap();
    let mut people = Vec::new();
    for i in 0..n {
        people.push(
            join(
                base,
                &w.join_code,
                &format!("P{i}"),
                &format!("Org{}", i % 3),
            )
            .await
            .unwrap(),
        );
    }
    let mut fac = SyncClient::connect(ws, &w.facilitator_token).await.unwrap();
    fac.open(w.document).await.unwrap();
    let duos: Vec<DuoEntry> = people
        .chunks(2)
        .map(|pair| DuoEntry {
            id: DuoId::random(),
            members: pair.iter().map(|p| p.id.parse().unwrap()).collect(),
            doc: None,
            number: None,
        })
        .collect();
    let view = fac.form_duos(w.document, &duos).await.unwrap();
    let room_of = |pid: &str| {
        view.duos
            .iter()
            .find(|d| d.members.iter().any(|m| m.to_string() == pid))
            .and_then(|d| d.doc)
            .unwrap()
    };
    let rooms: Vec<DocumentId> = view.duos.iter().filter_map(|d| d.doc).collect();
    let mut actors = vec![Actor {
        name: "F".into(),
        token: w.facilitator_token.clone(),
        docs: std::iter::once(w.document).chain(rooms.clone()).collect(),
        sheet: None,
        rooms: rooms.clone(),
        workshop: Some(w.document),
        conn: None,
        offline: Some(fac.drop_connection()),
        made: 0,
    }];
    for (i, p) in people.iter().enumerate() {
        let partner = &people[i ^ 1];
        actors.push(Actor {
            name: format!("P{i}"),
            token: p.token.clone(),
            docs: vec![w.document, p.reflection, partner.reflection, room_of(&p.id)],
            sheet: Some(p.reflection),
            rooms: vec![room_of(&p.id)],
            workshop: None,
            conn: None,
            offline: Some(ClientRepo::new(kring_shared::ids::PeerId::new(format!(
                "chaos-{i}-{}",
                DocumentId::random()
            )))),
            made: 0,
        });
    }
    let world = World {
        facilitator_token: w.facilitator_token,
        sheets: people
            .iter()
            .map(|p| (p.token.clone(), p.reflection))
            .collect(),
        workshop: w.document,
        rooms,
    };
    (world, actors)
}

/// Pumps every online actor until all are online and settled, and all replicas of a document
/// agree; reconnects the offline ones.
async fn settle_all(seed: u64, actors: &mut [Actor], ws: &str) {
    let end = Instant::now() + SETTLE;
    loop {
        for a in actors.iter_mut() {
            if a.conn.is_none() {
                a.go_online(ws).await;
            }
            a.flush().await;
            a.pump(Duration::from_millis(5)).await;
        }
        let mut heads: BTreeMap<DocumentId, BTreeSet<Vec<ChangeHash>>> = BTreeMap::new();
        for a in actors.iter() {
            for d in &a.docs {
                if let Some(doc) = a.repo_ref().doc(d) {
                    heads.entry(*d).or_default().insert(sorted_heads(doc));
                }
            }
        }
        if actors.iter().all(Actor::settled) && heads.values().all(|h| h.len() == 1) {
            return;
        }
        assert!(
            Instant::now() < end,
            "KRING_SEED={seed}: replicas did not converge within {SETTLE:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomized_edits_with_faults_converge() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let n = env_usize("KRING_CHAOS_PARTICIPANTS", 4).max(2) / 2 * 2;
    let rounds = env_usize("KRING_CHAOS_ROUNDS", 40);
    let data = tempfile::tempdir().unwrap();
    let mut server = start(data.path());
    let (world, mut actors) = workshop_in_duos(&server.base, &server.ws(), n).await;
    let mut acked: BTreeMap<DocumentId, BTreeSet<ChangeHash>> = BTreeMap::new();
    let mut kills = 0;
    // At least one SIGKILL in the middle of every run, more at random.
    let forced_kill = rounds / 2;
    for round in 0..rounds {
        for a in actors.iter_mut() {
            match (a.conn.is_some(), rng.random_range(0..100)) {
                (true, 0..10) => a.go_offline(),
                (false, 0..50) => a.go_online(&server.ws()).await,
                _ => {}
            }
            for _ in 0..rng.random_range(0..3) {
                a.edit(&mut rng).await;
            }
        }
        for a in actors.iter_mut() {
            a.pump(Duration::from_millis(rng.random_range(1..30))).await;
            a.record_acks(&mut acked);
        }
        if round == forced_kill || rng.random_range(0..100) < 5 {
            server.kill();
            kills += 1;
            for a in actors.iter_mut() {
                a.go_offline();
            }
            server = start(data.path());
            let copies = world.server_copies(&server.ws()).await;
            assert_has_acked(seed, &copies, &acked);
        }
    }
    settle_all(seed, &mut actors, &server.ws()).await;
    for a in actors.iter() {
        a.record_acks(&mut acked);
    }
    // One more SIGKILL, then fresh clients read what the server has on disk.
    server.kill();
    kills += 1;
    for a in actors.iter_mut() {
        a.go_offline();
    }
    let server = start(data.path());
    let copies = world.server_copies(&server.ws()).await;
    let checked = assert_has_acked(seed, &copies, &acked);
    // A run in which nothing was acknowledged would check nothing: make that a failure.
    assert!(
        checked > 0,
        "KRING_SEED={seed}: no acknowledged change to check"
    );
    let mut compared = 0;
    for a in &actors {
        for d in &a.docs {
            let ours = a.repo_ref().doc(d).expect("replica");
            assert_eq!(
                sorted_heads(ours),
                sorted_heads(&copies[d]),
                "KRING_SEED={seed}: {}'s replica of {d} differs from the server's",
                a.name
            );
            assert!(
                render(ours) == render(&copies[d]),
                "KRING_SEED={seed}: {}'s replica of {d} reads differently from the server's",
                a.name
            );
            compared += 1;
        }
    }
    let changes: usize = copies.values().map(|d| d.get_changes(&[]).len()).sum();
    println!(
        "seed {seed}: {n} participants, {rounds} rounds, {kills} SIGKILLs, {changes} changes, \
         {checked} acknowledged heads present, {compared} replicas equal the server's"
    );
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop_loses_nothing_acknowledged() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let cycles = env_usize("KRING_CRASH_CYCLES", 5);
    let data = tempfile::tempdir().unwrap();
    let mut server = start(data.path());
    let (world, mut actors) = workshop_in_duos(&server.base, &server.ws(), 2).await;
    let mut acked: BTreeMap<DocumentId, BTreeSet<ChangeHash>> = BTreeMap::new();
    let mut total_checked = 0;
    for cycle in 0..cycles {
        // Load: everyone online, a burst of edits, part of it acknowledged…
        for a in actors.iter_mut() {
            a.go_online(&server.ws()).await;
        }
        for _ in 0..rng.random_range(3..10) {
            for a in actors.iter_mut() {
                a.edit(&mut rng).await;
            }
            for a in actors.iter_mut() {
                a.pump(Duration::from_millis(rng.random_range(1..20))).await;
                a.record_acks(&mut acked);
            }
        }
        // …and more fired without waiting, so the kill lands in the middle of writes.
        for a in actors.iter_mut() {
            for _ in 0..rng.random_range(1..5) {
                a.edit(&mut rng).await;
            }
        }
        server.kill();
        for a in actors.iter_mut() {
            a.go_offline();
        }
        server = start(data.path());
        // A corrupt document would fail to load here; a lost one would miss acknowledged heads.
        let copies = world.server_copies(&server.ws()).await;
        let checked = assert_has_acked(seed, &copies, &acked);
        total_checked = checked;
        if cycle % 10 == 0 {
            println!("cycle {cycle}: {checked} acknowledged heads present");
        }
    }
    assert!(
        total_checked > 0,
        "KRING_SEED={seed}: no acknowledged change to check"
    );
    // The clients still converge with what survived.
    settle_all(seed, &mut actors, &server.ws()).await;
    let copies = world.server_copies(&server.ws()).await;
    for a in &actors {
        for d in &a.docs {
            assert_eq!(
                sorted_heads(a.repo_ref().doc(d).expect("replica")),
                sorted_heads(&copies[d]),
                "KRING_SEED={seed}: {}'s replica of {d}",
                a.name
            );
        }
    }
    println!("seed {seed}: {cycles} crash cycles, {total_checked} acknowledged heads checked");
    server.kill();
}
