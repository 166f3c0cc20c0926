//! `kring-server backup` and `kring-server restore`: a consistent copy of the SQLite database
//! taken while the server runs, and putting one back.
//!
//! The backup uses SQLite's online backup API from a second connection: it reads one snapshot
//! (the server's WAL mode lets it go on writing meanwhile), so every change the server had
//! acknowledged when the backup started is in the copy. A copy holds what the database holds,
//! private notes of workshops not yet purged included: keep backups as safe as the server.
//!
//! Restore checks the copy (SQLite's integrity check and Kring's tables), then replaces the
//! database in the data folder by renaming, so a failed restore leaves the old one in place. The
//! server must be stopped while it runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::store::DB_FILE;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Refused(String),
}

/// What a backup or restore did, for the one line the command prints.
#[derive(Debug)]
pub struct Summary {
    pub file: PathBuf,
    pub bytes: u64,
    pub workshops: i64,
    pub documents: i64,
}

fn count(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
}

/// Copies the database of `data_dir` into `to` (which must not exist yet).
pub fn backup(data_dir: &Path, to: &Path) -> Result<Summary, BackupError> {
    let db = data_dir.join(DB_FILE);
    if !db.is_file() {
        return Err(BackupError::Refused(format!(
            "no Kring database at {} (is --data right?)",
            db.display()
        )));
    }
    if to.exists() {
        return Err(BackupError::Refused(format!(
            "{} exists already; a backup never overwrites a file",
            to.display()
        )));
    }
    let src = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // The server holds its write lock only for the length of one group commit.
    src.busy_timeout(Duration::from_secs(10))?;
    let partial = to.with_extension("partial");
    let mut dst = Connection::open(&partial)?;
    {
        let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
        // All pages in one step (-1): one read transaction, so one consistent snapshot. The
        // step is retried while the database is busy, as SQLite's documentation advises.
        let mut tries = 0;
        loop {
            match b.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                _ if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    return Err(BackupError::Refused(
                        "the database stayed busy for 5 s; try again".into(),
                    ));
                }
            }
        }
    }
    let summary = check(&dst, to)?;
    drop(dst);
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, to)?;
    Ok(Summary {
        bytes: std::fs::metadata(to)?.len(),
        ..summary
    })
}

/// Puts the copy `from` back as the database of `data_dir`. Refuses to replace an existing
/// database unless `replace` is set.
pub fn restore(from: &Path, data_dir: &Path, replace: bool) -> Result<Summary, BackupError> {
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let summary = check(&src, from)?;
    drop(src);
    std::fs::create_dir_all(data_dir)?;
    let db = data_dir.join(DB_FILE);
    if db.exists() && !replace {
        return Err(BackupError::Refused(format!(
            "{} holds a database already; stop the server and add --replace to overwrite it",
            db.display()
        )));
    }
    let incoming = data_dir.join(format!("{DB_FILE}.restoring"));
    std::fs::copy(from, &incoming)?;
    std::fs::File::open(&incoming)?.sync_all()?;
    // The old database's WAL belongs to the old file; left beside the new one SQLite would
    // replay it into the copy.
    for suffix in ["-wal", "-shm"] {
        let stale = data_dir.join(format!("{DB_FILE}{suffix}"));
        if stale.exists() {
            std::fs::remove_file(stale)?;
        }
    }
    std::fs::rename(&incoming, &db)?;
    Ok(Summary {
        file: db.clone(),
        bytes: std::fs::metadata(&db)?.len(),
        ..summary
    })
}

/// SQLite's integrity check and Kring's tables, with the counts for the summary.
fn check(conn: &Connection, file: &Path) -> Result<Summary, BackupError> {
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(BackupError::Refused(format!(
            "{} fails SQLite's integrity check: {verdict}",
            file.display()
        )));
    }
    let (Ok(workshops), Ok(documents)) = (count(conn, "workshops"), count(conn, "documents"))
    else {
        return Err(BackupError::Refused(format!(
            "{} is no Kring database (no workshops or documents table)",
            file.display()
        )));
    };
    Ok(Summary {
        file: file.to_owned(),
        bytes: 0,
        workshops,
        documents,
    })
}
