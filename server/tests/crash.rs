//! The real `kring-server` binary killed with SIGKILL and restarted on the same data folder:
//! nothing it acknowledged is lost — not a change, not a workshop, not a token.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use kring_shared::automerge::transaction::Transactable;
use kring_shared::schema::workshop;
use kring_testkit::{SyncClient, create_workshop, join, me};

struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    fn start(data: &Path) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kring-server"))
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(["--frontend", "/nonexistent"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn kring-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read address line");
        let base = line
            .trim()
            .strip_prefix("Kring is running: open ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .trim_end_matches('/')
            .to_owned();
        Proc { child, base }
    }

    fn ws(&self) -> String {
        self.base.replace("http://", "ws://")
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown code runs.
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

#[tokio::test]
async fn sigkill_loses_nothing_that_was_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let server = Proc::start(data.path());
    let w = create_workshop(&server.base, "Voor de crash")
        .await
        .unwrap();
    let mut acked_people = Vec::new();
    for i in 0..5 {
        acked_people.push(
            join(&server.base, &w.join_code, &format!("P{i}"), "Org")
                .await
                .unwrap(),
        );
    }
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.retitle(w.document, 0..40, true).await.unwrap();
    // Fire more changes and kill without waiting: those may or may not survive, but nothing
    // acknowledged before them may be lost, and the file must stay readable.
    fac.retitle(w.document, 40..60, false).await.unwrap();
    server.kill();

    let server = Proc::start(data.path());
    let mut check = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    check.open(w.document).await.unwrap();
    let view = workshop::view(check.doc(w.document));
    let n: u32 = view.title.trim_start_matches("versie ").parse().unwrap();
    assert!(n >= 39, "acknowledged title lost: {}", view.title);
    for p in &acked_people {
        assert!(
            view.roster.iter().any(|r| r.id.to_string() == p.id),
            "lost {}",
            p.id
        );
        assert_eq!(
            me(&server.base, &p.token).await.unwrap()["role"],
            "participant"
        );
    }
    // And the restarted server keeps taking changes.
    check
        .change(w.document, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", "na de crash")
        })
        .await
        .unwrap();
    check
        .wait_for("ack", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    server.kill();
}
