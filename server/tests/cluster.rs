//! Several `kring-server` nodes (`--nats`) on one PostgreSQL schema and one NATS server, each the
//! real binary on a port of its own — no mocks: the tests need PostgreSQL (`KRING_TEST_DATABASE`)
//! and NATS with JetStream (`KRING_TEST_NATS`, default nats://127.0.0.1:4222), and each test has
//! a schema and a NATS prefix (subjects, stream) of its own.
//!
//! - Clients on different nodes converge, a facilitator's drag on one node reaches a screen on
//!   another, and what one node refuses (a participant moving a card) every node refuses.
//! - Two nodes with the workshop loaded open each duo room, the table and each voice once.
//! - The workshop's lease moves when its holder is SIGKILLed, and closing then purges the
//!   private documents exactly once, by the new holder, after the grace period, with nobody
//!   doing anything then. (That only the holder does the once-per-workshop work is shown on a
//!   virtual clock in `workshop::core`'s tests: here the node that accepts a change also does
//!   what follows from it in the same turn, so a race would be rare to catch.)
//! - Who is online, as a facilitator sees it, counts the peers of every node.
//! - NATS killed and restarted (a server of the test's own): a change acknowledged meanwhile
//!   reaches the other node from PostgreSQL, `/readyz` says 503 while NATS is away.
//! - The retention sweep runs under a lease of its own and purges a closed workshop that no
//!   node holds, once.
//! - SIGKILL of one node mid-workload: its clients reconnect to another node and find every
//!   change they saw acknowledged; with writers on three nodes (two of them on one document),
//!   the changes the killed node's writers saw acknowledged reach both other nodes without the
//!   writers' help, and the survivors converge on the live writers' copies.

use std::path::Path;
use std::time::{Duration, Instant};

use kring_shared::drag::Drag;
use kring_shared::engine::client::{ClientEvent, DocStatus};
use kring_shared::ids::DuoId;
use kring_shared::method::LevelId;
use kring_shared::plenary;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::reflection::{self, Note};
use kring_shared::schema::table;
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::hostile::{eventually, metric};
use kring_testkit::postgres::TestSchema;
use kring_testkit::{Participant, ServerProcess, SyncClient, create_workshop, join, server_binary};

/// Where the tests find NATS when `KRING_TEST_NATS` is not set.
const DEFAULT_TEST_NATS: &str = "nats://127.0.0.1:4222";

fn nats_url() -> String {
    std::env::var("KRING_TEST_NATS").unwrap_or_else(|_| DEFAULT_TEST_NATS.to_owned())
}

/// One test's cluster: a schema, a NATS prefix, a data folder per node.
struct Cluster {
    db: TestSchema,
    prefix: String,
    dir: tempfile::TempDir,
    nats: String,
}

impl Cluster {
    async fn new() -> Self {
        Self::on_nats(nats_url()).await
    }

    async fn on_nats(nats: String) -> Self {
        Cluster {
            db: TestSchema::create().await,
            prefix: format!("t{}", uuid::Uuid::new_v4().simple()),
            dir: tempfile::tempdir().unwrap(),
            nats,
        }
    }

    /// Starts node `name` (its lease lasts `lease_secs`).
    fn node(&self, name: &str, lease_secs: u64) -> ServerProcess {
        self.node_with(name, lease_secs, &[])
    }

    fn node_with(&self, name: &str, lease_secs: u64, extra: &[&str]) -> ServerProcess {
        let data = self.dir.path().join(name);
        std::fs::create_dir_all(&data).unwrap();
        let url = self.db.url();
        let nats = self.nats.clone();
        let lease = lease_secs.to_string();
        let log = std::env::var_os("KRING_TEST_CLUSTER_LOGS")
            .map(|d| Path::new(&d).join(format!("{}-{name}.log", self.prefix)));
        ServerProcess::start(
            &server_binary(env!("CARGO_BIN_EXE_kring-server")),
            &data,
            &[
                "--database",
                &url,
                "--nats",
                &nats,
                "--nats-prefix",
                &self.prefix,
                "--node-id",
                name,
                "--lease-secs",
                &lease,
            ]
            .into_iter()
            .chain(extra.iter().copied())
            .collect::<Vec<_>>(),
            log.as_deref(),
        )
    }

    /// Who holds `workshop`'s lease now, if anyone.
    async fn lease_holder(&self, sql: &tokio_postgres::Client, workshop: &str) -> Option<String> {
        sql.query_opt(
            "SELECT holder FROM leases WHERE name = $1 AND expires_at > now()",
            &[&format!("workshop:{workshop}")],
        )
        .await
        .unwrap()
        .map(|r| r.get(0))
    }
}

impl Drop for Cluster {
    /// Deletes this test's JetStream stream (the NATS server is shared), also when the test
    /// failed. Drop cannot await and the test's runtime may be single-threaded: a thread with a
    /// runtime of its own does it and is waited for.
    fn drop(&mut self) {
        let (nats, stream) = (
            self.nats.clone(),
            format!("{}_CHANGES", self.prefix.to_uppercase()),
        );
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let client = async_nats::connect(nats.as_str()).await.ok()?;
                async_nats::jetstream::new(client)
                    .delete_stream(stream)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Documents of `kind` the database holds for workshop `id`.
async fn documents_of(sql: &tokio_postgres::Client, id: &str, kind: &str) -> i64 {
    sql.query_one(
        "SELECT count(*) FROM documents WHERE workshop_id = $1 AND kind = $2",
        &[&id, &kind],
    )
    .await
    .unwrap()
    .get(0)
}

/// Waits (up to the test kit's deadline) until `f` answers something.
async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = Instant::now() + kring_testkit::DEADLINE;
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn drags(c: &SyncClient) -> Vec<Drag> {
    c.events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Ephemeral { data, .. } => Drag::decode(data),
            _ => None,
        })
        .collect()
}

fn pid(p: &Participant) -> kring_shared::ids::ParticipantId {
    p.id.parse().unwrap()
}

fn drag(card: &str, by: &str) -> Vec<u8> {
    Drag {
        card: card.to_owned(),
        x: 0.7,
        y: 0.4,
        by: by.to_owned(),
        hand: format!("hand-{by}"),
        done: false,
    }
    .encode()
}

#[tokio::test]
async fn clients_on_two_nodes_converge_see_each_others_drags_and_meet_the_same_refusals() {
    let cluster = Cluster::new().await;
    let sql = cluster.db.connect().await;
    let (a, b) = (cluster.node("a", 15), cluster.node("b", 15));
    let w = create_workshop(&a.base, "Twee knopen").await.unwrap();
    let an = join(&a.base, &w.join_code, "An", "OCMW").await.unwrap();
    // Joined through the other node: the roster entry is replicated to A.
    let bert = join(&b.base, &w.join_code, "Bert", "CAW").await.unwrap();

    let mut fac = SyncClient::connect(&a.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.wait_for("both on the roster", |c| {
        workshop::view(c.doc(w.document)).roster.len() == 2
    })
    .await
    .unwrap();
    // Both nodes hold the workshop before the duos are formed.
    let mut cb = SyncClient::connect(&b.ws(), &bert.token).await.unwrap();
    let mut screen = SyncClient::connect(&b.ws(), &w.screen_token).await.unwrap();
    cb.open(w.document).await.unwrap();
    screen.open(w.document).await.unwrap();

    // A title written on A reaches B.
    fac.change(w.document, |tx| {
        use kring_shared::automerge::transaction::Transactable;
        tx.put(kring_shared::automerge::ROOT, "title", "Van knoop A")
    })
    .await
    .unwrap();
    screen
        .wait_for("the title from node A", |c| {
            workshop::view(c.doc(w.document)).title == "Van knoop A"
        })
        .await
        .unwrap();

    // Duos formed on A: one room, one table, a voice each — whichever node holds the lease.
    let duo_id = DuoId::random();
    let v = fac
        .form_duos(
            w.document,
            &[DuoEntry {
                id: duo_id,
                members: vec![pid(&an), pid(&bert)],
                doc: None,
                number: None,
            }],
        )
        .await
        .unwrap();
    let (room, table_doc) = (v.duos[0].doc.unwrap(), v.table.unwrap());

    // Bert writes in the room on B (once B's copy of the workshop names it, as a browser
    // would learn of it); An reads it on A.
    cb.wait_for("the room on node B", |c| {
        workshop::view(c.doc(w.document))
            .duos
            .iter()
            .any(|d| d.doc == Some(room))
    })
    .await
    .unwrap();
    assert_eq!(cb.open(room).await.unwrap(), DocStatus::Ready);
    cb.change(room, |tx| {
        duo::put_insight(
            tx,
            &Insight {
                id: "k1".into(),
                text: "Samen over twee knopen".into(),
                zone: LevelId::Collective.into(),
            },
        )
    })
    .await
    .unwrap();
    let mut ca = SyncClient::connect(&a.ws(), &an.token).await.unwrap();
    assert_eq!(ca.open(room).await.unwrap(), DocStatus::Ready);
    ca.wait_for("Bert's insight", |c| {
        duo::view(c.doc(room)).insights.iter().any(|i| i.id == "k1")
    })
    .await
    .unwrap();

    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    assert_eq!(fac.open(table_doc).await.unwrap(), DocStatus::Ready);
    for c in [&mut cb, &mut screen] {
        c.wait_for("step 3", |c| {
            workshop::view(c.doc(w.document)).step == Some(Step::Plenary)
        })
        .await
        .unwrap();
        assert_eq!(c.open(table_doc).await.unwrap(), DocStatus::Ready);
    }

    // The facilitator's drag on A reaches the screen on B (core NATS, never stored).
    let card = plenary::insight_key(duo_id, "k1");
    let out = fac.repo.ephemeral(table_doc, drag(&card, "Fien")).unwrap();
    fac.send(&out).await.unwrap();
    screen
        .wait_for("Fien's drag from node A", |c| {
            drags(c).iter().any(|d| d.card == card && d.by == "Fien")
        })
        .await
        .unwrap();

    // Bert may not move a card: refused on B…
    cb.change(table_doc, |tx| {
        table::place_card(tx, &card, "individual", 1.0, None)
    })
    .await
    .unwrap();
    cb.wait_for("refusal on B", |c| !c.errors().is_empty())
        .await
        .unwrap();
    // …and on A, where the step he is refused in arrived over NATS.
    let mut bert_on_a = SyncClient::connect(&a.ws(), &bert.token).await.unwrap();
    assert_eq!(bert_on_a.open(table_doc).await.unwrap(), DocStatus::Ready);
    bert_on_a
        .change(table_doc, |tx| {
            table::place_card(tx, &card, "individual", 1.0, None)
        })
        .await
        .unwrap();
    bert_on_a
        .wait_for("refusal on A", |c| !c.errors().is_empty())
        .await
        .unwrap();
    // His pretended drag on B reaches nobody on A.
    let fake = cb.repo.ephemeral(table_doc, drag(&card, "Bert")).unwrap();
    cb.send(&fake).await.unwrap();
    cb.wait_for("drag refusal", |c| c.errors().len() >= 2)
        .await
        .unwrap();

    // The facilitator's drop on A is what everybody has, on both nodes.
    fac.change(table_doc, |tx| {
        table::place_card(tx, &card, "collective", 1.0, None)
    })
    .await
    .unwrap();
    for c in [&mut screen, &mut bert_on_a, &mut cb] {
        c.wait_for("card in collective", |c| {
            table::view(c.doc(table_doc))
                .cluster_of(&card)
                .is_some_and(|cl| cl.id == "collective")
        })
        .await
        .unwrap();
    }
    fac.wait_for("ack", |c| c.repo.is_acknowledged(&table_doc))
        .await
        .unwrap();
    // A drag from B after Bert's fake one is a barrier: once a screen on A has it, anything
    // Bert's drag could have caused on A would have arrived too (one NATS connection keeps order).
    let mut fac_screen = SyncClient::connect(&a.ws(), &w.screen_token).await.unwrap();
    fac_screen.open(table_doc).await.unwrap();
    let mut fac_b = SyncClient::connect(&b.ws(), &w.facilitator_token)
        .await
        .unwrap();
    assert_eq!(fac_b.open(table_doc).await.unwrap(), DocStatus::Ready);
    let late = fac_b
        .repo
        .ephemeral(table_doc, drag(&card, "Laat"))
        .unwrap();
    fac_b.send(&late).await.unwrap();
    fac_screen
        .wait_for("the late drag", |c| drags(c).iter().any(|d| d.by == "Laat"))
        .await
        .unwrap();
    assert!(
        !drags(&fac_screen).iter().any(|d| d.by == "Bert"),
        "a participant's drag crossed to node A"
    );

    // Each document the server opens was opened once, though both nodes had the workshop.
    assert_eq!(documents_of(&sql, &w.id, "duo").await, 1);
    assert_eq!(documents_of(&sql, &w.id, "table").await, 1);
    assert_eq!(documents_of(&sql, &w.id, "voice").await, 2);
    let view = workshop::view(screen.doc(w.document));
    assert_eq!(view.duos[0].doc, Some(room));
    assert_eq!(view.table, Some(table_doc));
    drop((a, b));
}

#[tokio::test]
async fn the_lease_moves_when_its_holder_is_killed_and_the_purge_happens_once() {
    let cluster = Cluster::new().await;
    let sql = cluster.db.connect().await;
    let mut nodes: Vec<(String, ServerProcess)> = ["a", "b", "c"]
        .into_iter()
        .map(|n| {
            (
                n.to_owned(),
                cluster.node_with(n, 2, &["--purge-grace-secs", "5"]),
            )
        })
        .collect();
    let w = create_workshop(&nodes[0].1.base, "Drie knopen")
        .await
        .unwrap();
    let an = join(&nodes[0].1.base, &w.join_code, "An", "OCMW")
        .await
        .unwrap();
    // A note in An's reflection, and the workshop loaded on every node.
    let mut owner = SyncClient::connect(&nodes[1].1.ws(), &an.token)
        .await
        .unwrap();
    owner.open(an.reflection).await.unwrap();
    owner
        .change(an.reflection, |tx| {
            reflection::put_note(
                tx,
                &Note {
                    id: "n1".into(),
                    ring: LevelId::Collegial,
                    text: "Eerst bellen".into(),
                    mark: reflection::Mark::Green,
                    x: 0.5,
                    y: 0.5,
                    question: None,
                },
            )
        })
        .await
        .unwrap();
    owner
        .wait_for("ack", |c| c.repo.is_acknowledged(&an.reflection))
        .await
        .unwrap();
    let mut screens = Vec::new();
    for (_, node) in &nodes {
        let mut s = SyncClient::connect(&node.ws(), &w.screen_token)
            .await
            .unwrap();
        s.open(w.document).await.unwrap();
        screens.push(s);
    }
    let holder = until("a node holds the lease", || {
        cluster.lease_holder(&sql, &w.id)
    })
    .await;
    let i = nodes.iter().position(|(n, _)| *n == holder).unwrap();
    let (_, killed) = nodes.remove(i);
    screens.remove(i);
    killed.kill();

    let next = until("another node takes the lease", || async {
        cluster
            .lease_holder(&sql, &w.id)
            .await
            .filter(|n| *n != holder)
    })
    .await;
    assert!(nodes.iter().any(|(n, _)| *n == next));

    // Closing purges the reflection once the grace period (5 s) has passed, though nobody does
    // anything then: the new holder's lease renewals are its turns, and only it purges.
    let mut fac = SyncClient::connect(&nodes[0].1.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    fac.wait_for("closed", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    let reflection = an.reflection.to_string();
    let held = sql
        .query_one(
            "SELECT count(*) FROM documents WHERE id = $1",
            &[&reflection],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(held, 1, "kept during the grace period");
    eventually("the reflection's rows deleted", || async {
        sql.query_one(
            "SELECT count(*) FROM documents WHERE id = $1",
            &[&reflection],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
            == 0
    })
    .await;
    // Every surviving screen sees the counts the purge kept: the purge reached every node.
    for s in &mut screens {
        s.wait_for("step 1's counts", |c| {
            workshop::view(c.doc(w.document))
                .step1
                .is_some_and(|s| s.people == 1)
        })
        .await
        .unwrap();
    }
    // A later change seen on both survivors is a barrier for anything the purge caused.
    fac.change(w.document, |tx| {
        use kring_shared::automerge::transaction::Transactable;
        tx.put(kring_shared::automerge::ROOT, "title", "Na de purge")
    })
    .await
    .unwrap();
    for s in &mut screens {
        s.wait_for("the barrier", |c| {
            workshop::view(c.doc(w.document)).title == "Na de purge"
        })
        .await
        .unwrap();
    }
    let mut purges = 0;
    for (name, node) in &nodes {
        let here = metric(&node.base, "kring_purges_total").await;
        if *name == next {
            assert_eq!(here, 1, "the lease holder purged");
        }
        purges += here;
    }
    assert_eq!(purges, 1, "the purge happened exactly once over the nodes");
    let kept = workshop::view(screens[0].doc(w.document)).step1.unwrap();
    assert_eq!((kept.people, kept.collegial, kept.green), (1, 1, 1));
    drop(nodes);
}

#[tokio::test]
async fn sigkill_of_a_node_mid_workload_loses_nothing_acknowledged() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.node("a", 15), cluster.node("b", 15));
    let w = create_workshop(&a.base, "Voor de crash").await.unwrap();
    let mut reader = SyncClient::connect(&b.ws(), &w.screen_token).await.unwrap();
    reader.open(w.document).await.unwrap();
    let mut fac = SyncClient::connect(&a.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.retitle(w.document, 0..20, true).await.unwrap();
    // More, fired without waiting, and the node killed under them: they may or may not
    // survive; the acknowledged ones must.
    fac.retitle(w.document, 20..30, false).await.unwrap();
    a.kill();

    // Before the facilitator is back (its copy could bring the changes itself), a fresh client
    // on node B finds every acknowledged change: an acknowledged change was in JetStream.
    let version = |c: &SyncClient| -> Option<u32> {
        workshop::view(c.doc(w.document))
            .title
            .strip_prefix("versie ")?
            .parse()
            .ok()
    };
    let mut check = SyncClient::connect(&b.ws(), &w.screen_token).await.unwrap();
    check.open(w.document).await.unwrap();
    check
        .wait_for("every acknowledged title on node B", |c| {
            version(c).is_some_and(|n| n >= 19)
        })
        .await
        .unwrap();
    // The facilitator reconnects to the other node with what it had, as a browser would.
    let repo = fac.drop_connection();
    let mut fac = SyncClient::reconnect(&b.ws(), &w.facilitator_token, repo)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    // And the client that never left node B converges on the same document.
    fac.wait_for("ack after reconnecting", |c| {
        c.repo.is_acknowledged(&w.document)
    })
    .await
    .unwrap();
    let heads = fac.doc(w.document).get_heads();
    reader
        .wait_for("the reconnected facilitator's heads", |c| {
            let mut mine = c.doc(w.document).get_heads();
            let mut theirs = heads.clone();
            mine.sort();
            theirs.sort();
            mine == theirs
        })
        .await
        .unwrap();
    drop(b);
}

#[tokio::test]
async fn a_node_drains_on_sigterm_and_its_clients_carry_on_at_another_node() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.node("a", 15), cluster.node("b", 15));
    for node in [&a, &b] {
        let r = reqwest::get(format!("{}/readyz", node.base)).await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let w = create_workshop(&a.base, "Onderhoud").await.unwrap();
    let mut fac = SyncClient::connect(&a.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.retitle(w.document, 0..5, true).await.unwrap();

    let status = std::process::Command::new("kill")
        .args(["-TERM", &a.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Told why, with "going away": a browser reconnects (the load balancer sends it to B).
    let end = Instant::now() + kring_testkit::DEADLINE;
    while fac.pump_one(Duration::from_millis(200)).await.unwrap() {
        assert!(Instant::now() < end, "node A never closed the connection");
    }
    assert_eq!(fac.close_code, Some(1001), "{:?}", fac.closed);
    assert_eq!(fac.closed.as_deref(), Some("server shutting down"));

    let repo = fac.drop_connection();
    let mut fac = SyncClient::reconnect(&b.ws(), &w.facilitator_token, repo)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    assert_eq!(workshop::view(fac.doc(w.document)).title, "versie 4");
    fac.retitle(w.document, 5..6, true).await.unwrap();
    drop((a, b));
}

#[tokio::test]
async fn a_workshop_deleted_through_one_node_is_closed_on_every_node() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.node("a", 15), cluster.node("b", 15));
    let w = create_workshop(&a.base, "Weg").await.unwrap();
    let mut screen = SyncClient::connect(&b.ws(), &w.screen_token).await.unwrap();
    screen.open(w.document).await.unwrap();
    let (status, _) = kring_testkit::request(
        reqwest::Method::DELETE,
        format!("{}/api/workshop", a.base),
        Some(&w.facilitator_token),
        "",
    )
    .await;
    assert!((200..300).contains(&status), "delete answered {status}");
    let end = Instant::now() + kring_testkit::DEADLINE;
    while screen.pump_one(Duration::from_millis(200)).await.unwrap() {
        assert!(
            Instant::now() < end,
            "node B kept serving a deleted workshop"
        );
    }
    assert_eq!(
        screen.closed.as_deref(),
        Some("this workshop has been deleted")
    );
    assert!(
        SyncClient::connect(&b.ws(), &w.screen_token).await.is_err(),
        "node B let a token of a deleted workshop in"
    );
    drop((a, b));
}

#[tokio::test]
async fn nats_without_postgres_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = kring_server::Config::new(dir.path().into(), "/nonexistent".into());
    config.nats = Some(kring_server::NatsConfig {
        url: nats_url(),
        prefix: "unused".into(),
        lease_ttl: Duration::from_secs(15),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let run = kring_server::run(listener, config, std::future::pending());
    let err = tokio::time::timeout(kring_testkit::DEADLINE, run)
        .await
        .expect("the server started with --nats on SQLite")
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("--nats needs --database postgres://"),
        "{err}"
    );
}

#[tokio::test]
async fn a_node_unloads_a_workshop_nobody_uses_there_though_others_change_it() {
    let cluster = Cluster::new().await;
    let a = cluster.node("a", 2);
    let b = cluster.node_with("b", 2, &["--idle-unload-secs", "1"]);
    let w = create_workshop(&a.base, "Elders druk").await.unwrap();
    // Node B loads the workshop first, so it most likely holds the lease (renewed every
    // 0.7 s): neither the renewals nor A's changes may keep it loaded on B.
    let mut screen = SyncClient::connect(&b.ws(), &w.screen_token).await.unwrap();
    screen.open(w.document).await.unwrap();
    let mut fac = SyncClient::connect(&a.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.retitle(w.document, 0..1, true).await.unwrap();
    screen
        .wait_for("A's change on B", |c| {
            workshop::view(c.doc(w.document)).title == "versie 0"
        })
        .await
        .unwrap();
    assert_eq!(metric(&b.base, "kring_workshops_loaded").await, 1);
    drop(screen);
    // A changes it every 100 ms or so, far more often than B's idle time of 1 s: before the
    // fix, every change heard restarted B's idle clock and B never unloaded.
    let end = Instant::now() + kring_testkit::DEADLINE;
    for i in 1.. {
        fac.retitle(w.document, i..i + 1, true).await.unwrap();
        if metric(&b.base, "kring_workshops_loaded").await == 0 {
            break;
        }
        assert!(Instant::now() < end, "node B kept the workshop loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop((a, b));
}

#[tokio::test]
async fn a_facilitator_sees_who_is_online_on_every_node() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.node("a", 15), cluster.node("b", 15));
    let w = create_workshop(&a.base, "Wie is er").await.unwrap();
    let an = join(&a.base, &w.join_code, "An", "OCMW").await.unwrap();
    let mut fac = SyncClient::connect(&a.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let online = |c: &SyncClient| -> Option<kring_shared::presence::Presence> {
        c.events.iter().rev().find_map(|e| match e {
            ClientEvent::Ephemeral { data, .. } => kring_shared::presence::Presence::decode(data),
            _ => None,
        })
    };
    let mut part = SyncClient::connect(&b.ws(), &an.token).await.unwrap();
    part.open(w.document).await.unwrap();
    fac.wait_for("An online, through node B", |c| {
        online(c).is_some_and(|p| p.online == vec![pid(&an)])
    })
    .await
    .unwrap();
    drop(part);
    fac.wait_for("An gone again", |c| {
        online(c).is_some_and(|p| p.online.is_empty())
    })
    .await
    .unwrap();
    drop((a, b));
}

/// A NATS server of the test's own (Debian's `nats-server`, as `.ci/nats.sh` installs it), on a
/// port of its own with JetStream in a folder of its own, so the test can stop and restart it.
struct OwnNats {
    child: std::process::Child,
    port: u16,
    store: tempfile::TempDir,
}

impl OwnNats {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = tempfile::tempdir().unwrap();
        let child = Self::spawn(port, store.path());
        OwnNats { child, port, store }
    }

    fn spawn(port: u16, store: &Path) -> std::process::Child {
        let child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("this test runs its own `nats-server` (sudo .ci/nats.sh installs it)");
        let end = Instant::now() + kring_testkit::DEADLINE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < end,
                "nats-server did not come up on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, then wait until the port is free.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn restart(&mut self) {
        self.child = Self::spawn(self.port, self.store.path());
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn nodes_catch_up_from_postgres_after_nats_went_away_and_came_back() {
    let mut nats = OwnNats::start();
    let cluster = Cluster::on_nats(nats.url()).await;
    let (a, b) = (cluster.node("a", 15), cluster.node("b", 15));
    let w = create_workshop(&a.base, "Voor").await.unwrap();
    let mut screen = SyncClient::connect(&b.ws(), &w.screen_token).await.unwrap();
    screen.open(w.document).await.unwrap();
    let mut fac = SyncClient::connect(&a.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let title_is =
        |t: &'static str| move |c: &SyncClient| workshop::view(c.doc(w.document)).title == t;
    let retitle = |t: &'static str| {
        move |tx: &mut kring_shared::automerge::transaction::Transaction<'_>| {
            use kring_shared::automerge::transaction::Transactable;
            tx.put(kring_shared::automerge::ROOT, "title", t)
        }
    };

    nats.kill();
    let ready = |base: String| async move {
        reqwest::get(format!("{base}/readyz"))
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    eventually("node A not ready without NATS", || {
        let base = a.base.clone();
        async move { ready(base).await == 503 }
    })
    .await;
    // Accepted, stored and acknowledged while NATS is away: nobody else hears of it now.
    fac.change(w.document, retitle("Zonder NATS"))
        .await
        .unwrap();
    fac.wait_for("ack", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();

    nats.restart();
    // Back: every node reads the workshop from PostgreSQL again, and B's screen has it.
    screen
        .wait_for(
            "the change made while NATS was away",
            title_is("Zonder NATS"),
        )
        .await
        .unwrap();
    for node in [&a, &b] {
        let base = node.base.clone();
        eventually("ready again", || {
            let base = base.clone();
            async move { ready(base).await == 200 }
        })
        .await;
    }
    // And changes flow over NATS again.
    fac.change(w.document, retitle("Met NATS")).await.unwrap();
    screen
        .wait_for("a change after NATS came back", title_is("Met NATS"))
        .await
        .unwrap();
    drop((a, b));
}

#[tokio::test]
async fn the_retention_sweep_runs_on_one_node_and_purges_a_workshop_nobody_has_loaded() {
    let cluster = Cluster::new().await;
    let sql = cluster.db.connect().await;
    let flags = [
        "--purge-grace-secs",
        "2",
        "--retention-sweep-secs",
        "1",
        "--idle-unload-secs",
        "1",
    ];
    let nodes = [
        ("a", cluster.node_with("a", 2, &flags)),
        ("b", cluster.node_with("b", 2, &flags)),
    ];
    let w = create_workshop(&nodes[0].1.base, "Opruimen").await.unwrap();
    let an = join(&nodes[0].1.base, &w.join_code, "An", "OCMW")
        .await
        .unwrap();
    let mut fac = SyncClient::connect(&nodes[1].1.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    fac.wait_for("closed", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    drop(fac);
    // Nobody uses it: both nodes unload it; the grace period ends with nobody holding it, and
    // the sweep (on the node holding its lease) loads it and has it purged.
    let reflection = an.reflection.to_string();
    eventually("the reflection purged by the sweep", || async {
        sql.query_one(
            "SELECT count(*) FROM documents WHERE id = $1",
            &[&reflection],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
            == 0
    })
    .await;
    let mut purges = 0;
    for (_, node) in &nodes {
        purges += metric(&node.base, "kring_purges_total").await;
    }
    assert_eq!(purges, 1, "purged once");
    let sweepers: Vec<String> = sql
        .query("SELECT holder FROM leases WHERE name = 'sweep'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(sweepers.len(), 1, "one sweep lease: {sweepers:?}");
    assert!(nodes.iter().any(|(n, _)| *n == sweepers[0]));
}

/// One writer in [`writers_on_three_nodes_lose_nothing_acknowledged_when_one_node_is_killed`]:
/// its document, its node, and every head it saw acknowledged.
struct Writer {
    token: String,
    doc: kring_shared::ids::DocumentId,
    node: usize,
    client: Option<SyncClient>,
    acknowledged: Vec<kring_shared::automerge::ChangeHash>,
}

#[tokio::test]
async fn writers_on_three_nodes_lose_nothing_acknowledged_when_one_node_is_killed() {
    use kring_shared::automerge::ReadDoc;
    use kring_shared::automerge::transaction::Transactable;
    let cluster = Cluster::new().await;
    let mut nodes: Vec<Option<ServerProcess>> = ["a", "b", "c"]
        .into_iter()
        .map(|n| Some(cluster.node(n, 2)))
        .collect();
    let base = |nodes: &[Option<ServerProcess>], i: usize| nodes[i].as_ref().unwrap().base.clone();
    let ws = |nodes: &[Option<ServerProcess>], i: usize| nodes[i].as_ref().unwrap().ws();
    let w = create_workshop(&base(&nodes, 0), "Drukte").await.unwrap();
    // Two facilitators write the same workshop document on nodes a and c, four participants
    // their own sheets on every node.
    let mut writers = vec![
        Writer {
            token: w.facilitator_token.clone(),
            doc: w.document,
            node: 0,
            client: None,
            acknowledged: vec![],
        },
        Writer {
            token: w.facilitator_token.clone(),
            doc: w.document,
            node: 2,
            client: None,
            acknowledged: vec![],
        },
    ];
    for (i, node) in [0, 0, 1, 2].into_iter().enumerate() {
        let p = join(&base(&nodes, node), &w.join_code, &format!("P{i}"), "OCMW")
            .await
            .unwrap();
        writers.push(Writer {
            token: p.token,
            doc: p.reflection,
            node,
            client: None,
            acknowledged: vec![],
        });
    }
    for wr in &mut writers {
        let mut c = SyncClient::connect(&ws(&nodes, wr.node), &wr.token)
            .await
            .unwrap();
        assert_eq!(c.open(wr.doc).await.unwrap(), DocStatus::Ready);
        wr.client = Some(c);
    }

    let rounds = 24;
    for round in 0..rounds {
        if round == rounds / 2 {
            // Mid-workload: node a dies, and its writers with it (their browsers closed): what
            // they saw acknowledged must be on the other nodes without their help.
            nodes[0].take().unwrap().kill();
            for wr in writers.iter_mut().filter(|wr| wr.node == 0) {
                wr.client = None;
            }
        }
        for (i, wr) in writers.iter_mut().enumerate() {
            let Some(c) = wr.client.as_mut() else {
                continue;
            };
            let edit = |tx: &mut kring_shared::automerge::transaction::Transaction<'_>| {
                if i < 2 {
                    tx.put(
                        kring_shared::automerge::ROOT,
                        "title",
                        format!("t{i}-{round}"),
                    )
                    .map(|_| ())
                } else {
                    reflection::put_note(
                        tx,
                        &Note {
                            id: format!("n{round}"),
                            ring: LevelId::Collective,
                            text: format!("ronde {round}"),
                            mark: reflection::Mark::Green,
                            x: 0.5,
                            y: 0.5,
                            question: None,
                        },
                    )
                }
            };
            // Every third round waits for the acknowledgement and remembers those heads; the
            // others are fired and may or may not survive the kill.
            if round % 3 == 0 {
                c.change(wr.doc, edit).await.unwrap();
                c.wait_for("ack", |c| c.repo.is_acknowledged(&wr.doc))
                    .await
                    .unwrap();
                wr.acknowledged.extend(c.doc(wr.doc).get_heads());
            } else {
                c.change_nowait(wr.doc, edit).await.unwrap();
            }
        }
    }
    // Settle: every live writer's last changes acknowledged.
    for wr in &mut writers {
        if let Some(c) = wr.client.as_mut() {
            c.wait_for("final ack", |c| c.repo.is_acknowledged(&wr.doc))
                .await
                .unwrap();
        }
    }
    // On each surviving node, a fresh client of each writer finds every acknowledged change
    // and, once caught up, every change the writer has; and both nodes end with one document.
    for wr in &writers {
        let mut on_node = Vec::new();
        for node in [1, 2] {
            let mut fresh = SyncClient::connect(&ws(&nodes, node), &wr.token)
                .await
                .unwrap();
            assert_eq!(fresh.open(wr.doc).await.unwrap(), DocStatus::Ready);
            // Every change the writer saw acknowledged (and, for a writer still there, every
            // change it has) reaches this node.
            let mut needed = wr.acknowledged.clone();
            if let Some(c) = &wr.client {
                needed.extend(c.doc(wr.doc).get_heads());
            }
            fresh
                .wait_for("every acknowledged change on this node", |c| {
                    needed
                        .iter()
                        .all(|h| c.doc(wr.doc).get_change_by_hash(h).is_some())
                })
                .await
                .unwrap_or_else(|e| panic!("node {node}, writer {:?}: {e}", wr.node));
            on_node.push(fresh);
        }
        let (first, second) = on_node.split_at_mut(1);
        let mut want = first[0].doc(wr.doc).get_heads();
        want.sort();
        second[0]
            .wait_for("the same document on both nodes", |c| {
                let mut have = c.doc(wr.doc).get_heads();
                have.sort();
                have == want
            })
            .await
            .unwrap();
    }
    // Node a's writers had four acknowledged rounds before the kill, the others eight.
    assert!(writers.iter().all(|wr| wr.acknowledged.len() >= 4));
}
