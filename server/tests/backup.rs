//! `kring-server backup` while the server takes writes, and `kring-server restore` into a fresh
//! folder: every change acknowledged before the backup began is in the restored workshop, and
//! the restore refuses what it must not do.

use std::path::Path;
use std::process::Command;

use kring_shared::engine::client::DocStatus;
use kring_shared::method::LevelId;
use kring_shared::schema::reflection::{self, Mark, Note};
use kring_testkit::{SyncClient, TestServer, create_workshop, join, me};

fn kring(args: &[&str], data: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kring-server"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run kring-server");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn note(i: usize) -> Note {
    Note {
        id: format!("n{i}"),
        ring: LevelId::Individual,
        text: format!("notitie {i}"),
        mark: Mark::None,
        x: 0.0,
        y: 0.0,
        question: None,
    }
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_every_acknowledged_change() {
    let data = tempfile::tempdir().unwrap();
    let frontend = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), frontend.path()).await;
    let w = create_workshop(&server.http(), "Back-up").await.unwrap();
    let p = join(&server.http(), &w.join_code, "An", "OCMW")
        .await
        .unwrap();
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(c.open(p.reflection).await.unwrap(), DocStatus::Ready);
    for i in 0..40 {
        c.change(p.reflection, |tx| reflection::put_note(tx, &note(i)))
            .await
            .unwrap();
    }
    assert!(c.repo.is_acknowledged(&p.reflection));

    // The backup runs in another process while this client keeps writing.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("kring-backup.sqlite3");
    let backup = {
        let copy = copy.clone();
        let data = data.path().to_owned();
        tokio::task::spawn_blocking(move || {
            kring(&["backup", "--to", copy.to_str().unwrap()], &data)
        })
    };
    let mut i = 40;
    while !backup.is_finished() && i < 250 {
        c.change_nowait(p.reflection, |tx| reflection::put_note(tx, &note(i)))
            .await
            .unwrap();
        c.settle(std::time::Duration::from_millis(5)).await.unwrap();
        i += 1;
    }
    let (ok, out) = backup.await.unwrap();
    assert!(ok, "backup failed: {out}");
    assert!(out.contains("1 workshops"), "{out}");
    println!("{out}notes written while the backup ran: {}", i - 40);

    // A second backup to the same file is refused; the first stays.
    let (ok, out) = kring(&["backup", "--to", copy.to_str().unwrap()], data.path());
    assert!(!ok && out.contains("never overwrites"), "{out}");
    server.stop().await;

    // Restore into a fresh folder and serve it.
    let fresh = tempfile::tempdir().unwrap();
    let (ok, out) = kring(&["restore", "--from", copy.to_str().unwrap()], fresh.path());
    assert!(ok, "restore failed: {out}");
    let (ok, out) = kring(&["restore", "--from", copy.to_str().unwrap()], fresh.path());
    assert!(
        !ok && out.contains("--replace"),
        "a second restore must not overwrite silently: {out}"
    );
    let restored = TestServer::start_in(fresh.path(), frontend.path()).await;
    assert_eq!(
        me(&restored.http(), &p.token).await.unwrap()["role"],
        "participant"
    );
    let mut r = SyncClient::connect(&restored.ws(), &p.token).await.unwrap();
    assert_eq!(r.open(p.reflection).await.unwrap(), DocStatus::Ready);
    r.wait_for("the restored notes", |c| {
        reflection::notes(c.doc(p.reflection)).len() >= 40
    })
    .await
    .unwrap();
    let notes = reflection::notes(r.doc(p.reflection));
    for i in 0..40 {
        assert!(
            notes.iter().any(|n| n.id == format!("n{i}")),
            "acknowledged note n{i} is missing from the restored backup"
        );
    }
    // And the restored server takes changes.
    r.change(p.reflection, |tx| reflection::put_note(tx, &note(999)))
        .await
        .unwrap();
    assert!(r.repo.is_acknowledged(&p.reflection));
    restored.stop().await;
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_no_kring_database() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.sqlite3");
    std::fs::write(&junk, b"this is not a database").unwrap();
    let data = dir.path().join("data");
    let (ok, out) = kring(&["restore", "--from", junk.to_str().unwrap()], &data);
    assert!(!ok, "{out}");
    assert!(!data.join("kring.sqlite3").exists());
    let empty = dir.path().join("empty.sqlite3");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE other (x)")
        .unwrap();
    let (ok, out) = kring(&["restore", "--from", empty.to_str().unwrap()], &data);
    assert!(!ok && out.contains("no Kring database"), "{out}");
    let to = dir.path().join("never.sqlite3");
    let (ok, out) = kring(
        &["backup", "--to", to.to_str().unwrap()],
        &dir.path().join("nothing"),
    );
    assert!(!ok && out.contains("no Kring database"), "{out}");
}
