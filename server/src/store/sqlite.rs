//! The embedded SQLite store: one thread owns the connection, in WAL mode with
//! `synchronous=FULL`; writes that queue up while a commit is running are committed together in
//! the next transaction (group commit), so a burst of changes costs one fsync, not one each.
//!
//! Retention: `secure_delete` is on, so deleted rows are overwritten with zeros, and every write
//! that deletes documents (a purge, a deleted workshop) checkpoints the WAL and truncates it, so
//! deleted bytes are neither in the database file nor in its `-wal` file afterwards.

use std::path::Path;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use kring_shared::ids::{CollaborationId, WorkshopId};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use super::{
    Activity, CollaborationRow, DocumentRow, GROUP_COMMIT_MAX, JOB_QUEUE, Store, StoreError,
    StoreResult, StoredDocument, TokenRow, WorkshopRow, WriteBatch, doc_kind, doc_kind_columns,
    now_ms, parse, parse_role, role_name, to_collaboration, to_workshop,
};

type Call = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    Write(Box<WriteBatch>, oneshot::Sender<StoreResult<()>>),
    Call(Call),
}

/// The database file's name inside the data folder.
pub const DB_FILE: &str = "kring.sqlite3";

/// The SQLite store: a handle to the thread that owns the connection.
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
}

impl SqliteStore {
    /// Opens (or creates) `kring.sqlite3` in `dir` and starts the storage thread.
    pub fn open(dir: &Path) -> StoreResult<Arc<Self>> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", dir.display())))?;
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Deleted content is overwritten with zeros, not just unlinked: a purged reflection must
        // not be readable from the file afterwards.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.execute_batch(SCHEMA)?;
        // A database from before the `activity` table: its workshops' idle clock starts now, so
        // an upgrade never deletes a workshop that was in use just before it.
        let now = now_ms();
        conn.execute(
            "INSERT INTO activity (workshop_id, active_at)
             SELECT id, ?1 FROM workshops WHERE id NOT IN (SELECT workshop_id FROM activity)",
            params![now],
        )?;
        let (tx, rx) = mpsc::channel(JOB_QUEUE);
        std::thread::Builder::new()
            .name("kring-store".into())
            .spawn(move || storage_thread(&mut conn, rx))
            .map_err(|e| StoreError::Corrupt(format!("cannot start storage thread: {e}")))?;
        Ok(Arc::new(Self { jobs: tx }))
    }

    async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        let (tx, rx) = oneshot::channel();
        let job: Call = Box::new(move |conn| {
            // The caller may have gone away; then nobody wants the answer.
            let _ = tx.send(f(conn));
        });
        self.jobs
            .send(Job::Call(job))
            .await
            .map_err(|_| StoreError::Stopped)?;
        rx.await.map_err(|_| StoreError::Stopped)?
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS workshops (
    id TEXT PRIMARY KEY,
    join_code TEXT NOT NULL UNIQUE,
    workshop_doc TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash BLOB PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    participant_id TEXT,
    facilitator_id TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    owner TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, seq);
CREATE INDEX IF NOT EXISTS documents_by_workshop ON documents(workshop_id);
CREATE TABLE IF NOT EXISTS activity (
    workshop_id TEXT PRIMARY KEY REFERENCES workshops(id) ON DELETE CASCADE,
    active_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE TABLE IF NOT EXISTS collaborations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    active_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS collaboration_tokens (
    hash BLOB PRIMARY KEY,
    collaboration_id TEXT NOT NULL REFERENCES collaborations(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS sessions (
    workshop_id TEXT PRIMARY KEY REFERENCES workshops(id) ON DELETE CASCADE,
    collaboration_id TEXT NOT NULL REFERENCES collaborations(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS sessions_by_collaboration ON sessions(collaboration_id);
";

/// A collaboration's columns, in [`to_collaboration`]'s order.
const COLLABORATION_COLUMNS: &str = "id, title, language, created_at, active_at";

/// The collaborations whose last use — their own and every session's — is before `?1`.
const IDLE_COLLABORATIONS: &str = "SELECT c.id FROM collaborations c WHERE c.active_at < ?1
     AND NOT EXISTS (SELECT 1 FROM sessions s JOIN workshops w ON w.id = s.workshop_id
                     LEFT JOIN activity a ON a.workshop_id = w.id
                     WHERE s.collaboration_id = c.id
                     AND COALESCE(a.active_at, w.created_at) >= ?1)";

/// Moves every page of the WAL into the database file and truncates the WAL to zero bytes, so
/// content deleted (and zeroed) by the last transaction is gone from both files.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        let busy: i64 = r.get(0)?;
        if busy != 0 {
            tracing::warn!(
                "WAL checkpoint could not complete; deleted bytes may linger until the next one"
            );
        }
        Ok(())
    })
}

fn storage_thread(conn: &mut Connection, mut rx: mpsc::Receiver<Job>) {
    let mut pending: Option<Job> = None;
    loop {
        let job = match pending.take() {
            Some(j) => j,
            None => match rx.blocking_recv() {
                Some(j) => j,
                None => return, // every handle dropped: shut down
            },
        };
        match job {
            Job::Call(f) => f(conn),
            Job::Write(batch, ack) => {
                // Group commit: take every write already queued behind this one.
                let mut group = vec![(batch, ack)];
                while group.len() < GROUP_COMMIT_MAX {
                    match rx.try_recv() {
                        Ok(Job::Write(b, a)) => group.push((b, a)),
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let purges = group.iter().any(|(b, _)| !b.purge.is_empty());
                if group.len() > 1 && write_group(conn, group.iter().map(|(b, _)| &**b)).is_ok() {
                    if purges && let Err(e) = checkpoint(conn) {
                        tracing::error!(error = %e, "WAL checkpoint after a purge failed");
                    }
                    for (_, ack) in group {
                        // A writer that stopped waiting has nothing to be told.
                        let _ = ack.send(Ok(()));
                    }
                    continue;
                }
                // Alone, or the group failed: commit each batch on its own so that one bad
                // batch cannot fail its neighbours.
                for (batch, ack) in group {
                    let mut result = write_group(conn, std::iter::once(&*batch));
                    if result.is_ok() && !batch.purge.is_empty() {
                        result = checkpoint(conn);
                    }
                    let _ = ack.send(result.map_err(StoreError::from));
                }
            }
        }
    }
}

fn write_group<'a>(
    conn: &mut Connection,
    batches: impl Iterator<Item = &'a WriteBatch>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for b in batches {
        for w in &b.workshops {
            tx.execute(
                "INSERT INTO workshops (id, join_code, workshop_doc, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![w.id.to_string(), w.join_code, w.workshop_doc.to_string(), w.created_at],
            )?;
        }
        for d in &b.documents {
            let (kind, owner) = doc_kind_columns(d.kind);
            tx.execute(
                "INSERT INTO documents (id, workshop_id, kind, owner) VALUES (?1, ?2, ?3, ?4)",
                params![d.id.to_string(), d.workshop_id.to_string(), kind, owner],
            )?;
        }
        for t in &b.tokens {
            tx.execute(
                "INSERT INTO tokens (hash, workshop_id, role, participant_id, facilitator_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    t.hash,
                    t.workshop_id.to_string(),
                    role_name(t.role),
                    t.participant.map(|p| p.to_string()),
                    t.facilitator.map(|f| f.to_string())
                ],
            )?;
        }
        for (doc, data) in &b.chunks {
            tx.execute(
                "INSERT INTO chunks (doc_id, data) VALUES (?1, ?2)",
                params![doc.to_string(), data],
            )?;
        }
        for (doc, data) in &b.snapshots {
            tx.execute(
                "DELETE FROM chunks WHERE doc_id = ?1",
                params![doc.to_string()],
            )?;
            tx.execute(
                "INSERT INTO chunks (doc_id, data) VALUES (?1, ?2)",
                params![doc.to_string(), data],
            )?;
        }
        for doc in &b.purge {
            // Chunks go with their document (ON DELETE CASCADE).
            tx.execute(
                "DELETE FROM documents WHERE id = ?1",
                params![doc.to_string()],
            )?;
        }
        for (w, a) in &b.activity {
            tx.execute(
                "INSERT INTO activity (workshop_id, active_at, closed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (workshop_id) DO UPDATE SET active_at = excluded.active_at,
                 closed_at = excluded.closed_at",
                params![w.to_string(), a.active_at, a.closed_at],
            )?;
        }
        for c in &b.collaborations {
            tx.execute(
                "INSERT INTO collaborations (id, title, language, created_at, active_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                params![
                    c.id.to_string(),
                    c.title,
                    c.language,
                    c.created_at,
                    c.active_at
                ],
            )?;
        }
        for (hash, c) in &b.collaboration_tokens {
            tx.execute(
                "INSERT INTO collaboration_tokens (hash, collaboration_id) VALUES (?1, ?2)",
                params![hash, c.to_string()],
            )?;
        }
        for (w, c) in &b.sessions {
            tx.execute(
                "INSERT INTO sessions (workshop_id, collaboration_id) VALUES (?1, ?2)
                 ON CONFLICT (workshop_id) DO NOTHING",
                params![w.to_string(), c.to_string()],
            )?;
        }
        for (c, at) in &b.collaboration_used {
            tx.execute(
                "UPDATE collaborations SET active_at = MAX(active_at, ?2) WHERE id = ?1",
                params![c.to_string(), at],
            )?;
        }
    }
    tx.commit()
}

fn workshop_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn document_rows(conn: &Connection, workshop: WorkshopId) -> StoreResult<Vec<DocumentRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, owner FROM documents WHERE workshop_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt
        .query_map(params![workshop.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, kind, owner)| {
            let kind = doc_kind(&kind, owner)?;
            Ok(DocumentRow {
                id: parse(id)?,
                workshop_id: workshop,
                kind,
            })
        })
        .collect()
}

impl Store for SqliteStore {
    fn write(&self, batch: WriteBatch) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            if batch.is_empty() {
                return Ok(());
            }
            let (tx, rx) = oneshot::channel();
            self.jobs
                .send(Job::Write(Box::new(batch), tx))
                .await
                .map_err(|_| StoreError::Stopped)?;
            rx.await.map_err(|_| StoreError::Stopped)?
        })
    }

    fn workshop_by_code(&self, code: String) -> BoxFuture<'_, StoreResult<Option<WorkshopRow>>> {
        Box::pin(self.call(move |conn| {
            conn.query_row(
                "SELECT id, join_code, workshop_doc, created_at FROM workshops WHERE join_code = ?1",
                params![code],
                workshop_row,
            )
            .optional()?
            .map(to_workshop)
            .transpose()
        }))
    }

    fn workshop(&self, id: WorkshopId) -> BoxFuture<'_, StoreResult<Option<WorkshopRow>>> {
        Box::pin(self.call(move |conn| {
            conn.query_row(
                "SELECT id, join_code, workshop_doc, created_at FROM workshops WHERE id = ?1",
                params![id.to_string()],
                workshop_row,
            )
            .optional()?
            .map(to_workshop)
            .transpose()
        }))
    }

    fn token(&self, hash: Vec<u8>) -> BoxFuture<'_, StoreResult<Option<TokenRow>>> {
        Box::pin(self.call(move |conn| {
            let row = conn
                .query_row(
                    "SELECT workshop_id, role, participant_id, facilitator_id FROM tokens WHERE hash = ?1",
                    params![hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, Option<String>>(3)?,
                        ))
                    },
                )
                .optional()?;
            let Some((workshop, role, participant, facilitator)) = row else {
                return Ok(None);
            };
            let role = parse_role(&role)?;
            Ok(Some(TokenRow {
                hash,
                workshop_id: parse(workshop)?,
                role,
                participant: participant.map(parse).transpose()?,
                facilitator: facilitator.map(parse).transpose()?,
            }))
        }))
    }

    fn document_rows(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Vec<DocumentRow>>> {
        Box::pin(self.call(move |conn| document_rows(conn, workshop)))
    }

    fn documents(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Vec<StoredDocument>>> {
        Box::pin(self.call(move |conn| {
            let rows = document_rows(conn, workshop)?;
            let mut stmt =
                conn.prepare_cached("SELECT data FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let chunks = stmt
                    .query_map(params![row.id.to_string()], |r| r.get::<_, Vec<u8>>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(StoredDocument { row, chunks });
            }
            Ok(out)
        }))
    }

    fn activity(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Option<Activity>>> {
        Box::pin(self.call(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT active_at, closed_at FROM activity WHERE workshop_id = ?1",
                    params![workshop.to_string()],
                    |r| {
                        Ok(Activity {
                            active_at: r.get(0)?,
                            closed_at: r.get(1)?,
                        })
                    },
                )
                .optional()?)
        }))
    }

    fn idle_workshops(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>> {
        Box::pin(self.call(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT w.id FROM workshops w LEFT JOIN activity a ON a.workshop_id = w.id
                 WHERE COALESCE(a.active_at, w.created_at) < ?1
                 AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.workshop_id = w.id)",
            )?;
            let ids = stmt
                .query_map(params![cutoff], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            ids.into_iter().map(parse).collect()
        }))
    }

    fn closed_with_reflections(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>> {
        Box::pin(self.call(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT a.workshop_id FROM activity a
                 WHERE a.closed_at IS NOT NULL AND a.closed_at <= ?1
                 AND EXISTS (SELECT 1 FROM documents d
                             WHERE d.workshop_id = a.workshop_id
                             AND d.kind IN ({}))",
                super::private_kinds_sql()
            ))?;
            let ids = stmt
                .query_map(params![cutoff], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            ids.into_iter().map(parse).collect()
        }))
    }

    fn delete_workshop(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.call(move |conn| {
            // Tokens, documents, chunks and activity go with it (ON DELETE CASCADE).
            conn.execute(
                "DELETE FROM workshops WHERE id = ?1",
                params![workshop.to_string()],
            )?;
            checkpoint(conn)?;
            Ok(())
        }))
    }

    fn collaboration(
        &self,
        id: CollaborationId,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationRow>>> {
        Box::pin(self.call(move |conn| {
            conn.query_row(
                &format!("SELECT {COLLABORATION_COLUMNS} FROM collaborations WHERE id = ?1"),
                params![id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?
            .map(to_collaboration)
            .transpose()
        }))
    }

    fn collaboration_token(
        &self,
        hash: Vec<u8>,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationId>>> {
        Box::pin(self.call(move |conn| {
            conn.query_row(
                "SELECT collaboration_id FROM collaboration_tokens WHERE hash = ?1",
                params![hash],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(parse)
            .transpose()
        }))
    }

    fn collaboration_of(
        &self,
        workshop: WorkshopId,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationId>>> {
        Box::pin(self.call(move |conn| {
            conn.query_row(
                "SELECT collaboration_id FROM sessions WHERE workshop_id = ?1",
                params![workshop.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(parse)
            .transpose()
        }))
    }

    fn sessions(&self, id: CollaborationId) -> BoxFuture<'_, StoreResult<Vec<WorkshopRow>>> {
        Box::pin(self.call(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT w.id, w.join_code, w.workshop_doc, w.created_at FROM sessions s
                 JOIN workshops w ON w.id = s.workshop_id
                 WHERE s.collaboration_id = ?1 ORDER BY w.created_at, s.rowid",
            )?;
            let rows = stmt
                .query_map(params![id.to_string()], workshop_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(to_workshop).collect()
        }))
    }

    fn idle_collaborations(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<CollaborationId>>> {
        Box::pin(self.call(move |conn| {
            let mut stmt = conn.prepare_cached(IDLE_COLLABORATIONS)?;
            let ids = stmt
                .query_map(params![cutoff], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            ids.into_iter().map(parse).collect()
        }))
    }

    fn delete_collaboration(&self, id: CollaborationId) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.call(move |conn| {
            // Its tokens and session index go with it (ON DELETE CASCADE).
            conn.execute(
                "DELETE FROM collaborations WHERE id = ?1",
                params![id.to_string()],
            )?;
            checkpoint(conn)?;
            Ok(())
        }))
    }
}
