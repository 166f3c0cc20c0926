//! Storage: the [`Store`] trait and its embedded SQLite implementation.
//!
//! Documents are stored as a snapshot plus appended incremental chunks (both are valid input to
//! `Automerge::load_incremental`), compacted into one snapshot from time to time. SQLite runs in
//! WAL mode with `synchronous=FULL` on one dedicated thread; writes that queue up while a commit
//! is running are committed together in the next transaction (group commit), so a burst of
//! changes costs one fsync, not one each.
//!
//! Retention: `secure_delete` is on, so deleted rows are overwritten with zeros, and every write
//! that deletes documents (a purge, a deleted workshop) checkpoints the WAL and truncates it, so
//! deleted bytes are neither in the database file nor in its `-wal` file afterwards.
//!
//! Architecture Invariant: the store knows rows and bytes, never automerge semantics or access
//! rules. A Postgres implementation is a second `impl Store`.

use std::path::Path;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use kring_shared::access::{DocKind, Role};
use kring_shared::ids::{DocumentId, FacilitatorId, ParticipantId, WorkshopId};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the storage thread has stopped")]
    Stopped,
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A workshop's fixed facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkshopRow {
    pub id: WorkshopId,
    pub join_code: String,
    pub workshop_doc: DocumentId,
    pub created_at: i64,
}

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub hash: Vec<u8>,
    pub workshop_id: WorkshopId,
    pub role: Role,
    pub participant: Option<ParticipantId>,
    pub facilitator: Option<FacilitatorId>,
}

impl TokenRow {
    /// Who this token makes its bearer, for access decisions.
    pub fn principal(&self) -> kring_shared::access::Principal {
        kring_shared::access::Principal {
            role: self.role,
            participant: self.participant,
            facilitator: self.facilitator,
        }
    }
}

/// A document's identity and permission scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub workshop_id: WorkshopId,
    pub kind: DocKind,
}

/// A document with its stored chunks, oldest first.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub row: DocumentRow,
    pub chunks: Vec<Vec<u8>>,
}

/// Everything one logical write puts in the database, atomically.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub workshops: Vec<WorkshopRow>,
    pub documents: Vec<DocumentRow>,
    pub tokens: Vec<TokenRow>,
    /// Incremental chunks appended to documents.
    pub chunks: Vec<(DocumentId, Vec<u8>)>,
    /// Snapshots that replace every chunk stored so far for a document.
    pub snapshots: Vec<(DocumentId, Vec<u8>)>,
    /// Documents deleted for good: their rows and every chunk (applied after the chunks above).
    pub purge: Vec<DocumentId>,
    /// When a workshop was last used, and since when it is closed (`None`: open).
    pub activity: Vec<(WorkshopId, Activity)>,
}

/// When a workshop was last used and since when it is closed, for retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Activity {
    pub active_at: i64,
    pub closed_at: Option<i64>,
}

impl WriteBatch {
    pub fn chunks(chunks: Vec<(DocumentId, Vec<u8>)>) -> Self {
        Self {
            chunks,
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.workshops.is_empty()
            && self.documents.is_empty()
            && self.tokens.is_empty()
            && self.chunks.is_empty()
            && self.snapshots.is_empty()
            && self.purge.is_empty()
            && self.activity.is_empty()
    }
}

/// Durable storage of workshops, tokens and documents.
pub trait Store: Send + Sync + 'static {
    /// Makes a batch durable; resolves once it is on disk.
    fn write(&self, batch: WriteBatch) -> BoxFuture<'_, StoreResult<()>>;
    fn workshop_by_code(&self, code: String) -> BoxFuture<'_, StoreResult<Option<WorkshopRow>>>;
    fn workshop(&self, id: WorkshopId) -> BoxFuture<'_, StoreResult<Option<WorkshopRow>>>;
    fn token(&self, hash: Vec<u8>) -> BoxFuture<'_, StoreResult<Option<TokenRow>>>;
    fn document_rows(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Vec<DocumentRow>>>;
    fn documents(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Vec<StoredDocument>>>;
    /// A workshop's retention facts, if any were written.
    fn activity(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Option<Activity>>>;
    /// Workshops last used before `cutoff` (ms); a workshop never used counts from its creation.
    fn idle_workshops(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>>;
    /// Workshops closed at or before `cutoff` (ms) that still hold reflection documents.
    fn closed_with_reflections(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>>;
    /// Deletes a workshop with its tokens, documents and chunks, for good.
    fn delete_workshop(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<()>>;
}

type Call = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    Write(WriteBatch, oneshot::Sender<StoreResult<()>>),
    Call(Call),
}

/// The database file's name inside the data folder.
pub const DB_FILE: &str = "kring.sqlite3";

/// The SQLite store: a handle to the thread that owns the connection.
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
}

/// Jobs queued for the storage thread. Bounded so that a flood of writes pushes back on the
/// workshop tasks instead of growing memory.
const JOB_QUEUE: usize = 1024;

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
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
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
";

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

/// Most writes committed in one transaction.
const GROUP_COMMIT_MAX: usize = 256;

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
                if group.len() > 1 && write_group(conn, group.iter().map(|(b, _)| b)).is_ok() {
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
                    let mut result = write_group(conn, std::iter::once(&batch));
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
            let owner = match d.kind {
                DocKind::Reflection { owner }
                | DocKind::Voice { owner }
                | DocKind::Rating { owner }
                | DocKind::RoleSheet { owner } => Some(owner.to_string()),
                DocKind::Duo { duo } => Some(duo.to_string()),
                DocKind::Workshop | DocKind::Table => None,
            };
            tx.execute(
                "INSERT INTO documents (id, workshop_id, kind, owner) VALUES (?1, ?2, ?3, ?4)",
                params![
                    d.id.to_string(),
                    d.workshop_id.to_string(),
                    d.kind.name(),
                    owner
                ],
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
    }
    tx.commit()
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Facilitator => "facilitator",
        Role::Participant => "participant",
        Role::Screen => "screen",
    }
}

fn parse<T: std::str::FromStr>(s: String) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("unparsable id `{s}`")))
}

fn workshop_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn to_workshop(r: (String, String, String, i64)) -> StoreResult<WorkshopRow> {
    Ok(WorkshopRow {
        id: parse(r.0)?,
        join_code: r.1,
        workshop_doc: parse(r.2)?,
        created_at: r.3,
    })
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
            let kind = match (kind.as_str(), owner) {
                ("workshop", _) => DocKind::Workshop,
                ("reflection", Some(o)) => DocKind::Reflection { owner: parse(o)? },
                ("duo", Some(o)) => DocKind::Duo { duo: parse(o)? },
                ("table", _) => DocKind::Table,
                ("voice", Some(o)) => DocKind::Voice { owner: parse(o)? },
                ("rating", Some(o)) => DocKind::Rating { owner: parse(o)? },
                ("role_sheet", Some(o)) => DocKind::RoleSheet { owner: parse(o)? },
                (other, _) => return Err(StoreError::Corrupt(format!("document kind `{other}`"))),
            };
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
                .send(Job::Write(batch, tx))
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
            let role = match role.as_str() {
                "facilitator" => Role::Facilitator,
                "participant" => Role::Participant,
                "screen" => Role::Screen,
                other => return Err(StoreError::Corrupt(format!("role `{other}`"))),
            };
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
                 WHERE COALESCE(a.active_at, w.created_at) < ?1",
            )?;
            let ids = stmt
                .query_map(params![cutoff], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            ids.into_iter().map(parse).collect()
        }))
    }

    fn closed_with_reflections(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>> {
        Box::pin(self.call(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT a.workshop_id FROM activity a
                 WHERE a.closed_at IS NOT NULL AND a.closed_at <= ?1
                 AND EXISTS (SELECT 1 FROM documents d
                             WHERE d.workshop_id = a.workshop_id
                             AND d.kind IN ('reflection', 'rating', 'role_sheet'))",
            )?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_workshop_its_token_and_chunks_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let w = WorkshopRow {
            id: WorkshopId::random(),
            join_code: "ABC234".into(),
            workshop_doc: DocumentId::random(),
            created_at: 1,
        };
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store
                .write(WriteBatch {
                    workshops: vec![w.clone()],
                    documents: vec![DocumentRow {
                        id: w.workshop_doc,
                        workshop_id: w.id,
                        kind: DocKind::Workshop,
                    }],
                    tokens: vec![TokenRow {
                        hash: vec![1, 2, 3],
                        workshop_id: w.id,
                        role: Role::Facilitator,
                        participant: None,
                        facilitator: Some(FacilitatorId::random()),
                    }],
                    chunks: vec![(w.workshop_doc, vec![9]), (w.workshop_doc, vec![10])],
                    ..WriteBatch::default()
                })
                .await
                .unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(
            store.workshop_by_code("ABC234".into()).await.unwrap(),
            Some(w.clone())
        );
        assert_eq!(
            store.token(vec![1, 2, 3]).await.unwrap().unwrap().role,
            Role::Facilitator
        );
        let docs = store.documents(w.id).await.unwrap();
        assert_eq!(docs[0].chunks, vec![vec![9], vec![10]]);
        store
            .write(WriteBatch {
                snapshots: vec![(w.workshop_doc, vec![42])],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        assert_eq!(
            store.documents(w.id).await.unwrap()[0].chunks,
            vec![vec![42]]
        );
    }

    #[tokio::test]
    async fn an_upgrade_starts_the_idle_clock_of_workshops_without_activity() {
        let dir = tempfile::tempdir().unwrap();
        let w = WorkshopRow {
            id: WorkshopId::random(),
            join_code: "ABC235".into(),
            workshop_doc: DocumentId::random(),
            created_at: 1,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store
                .write(WriteBatch {
                    workshops: vec![w.clone()],
                    ..WriteBatch::default()
                })
                .await
                .unwrap();
            // Created long ago and never used: idle.
            assert_eq!(store.idle_workshops(now - 1_000).await.unwrap(), vec![w.id]);
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        assert!(store.activity(w.id).await.unwrap().unwrap().active_at >= now);
        assert!(store.idle_workshops(now - 1_000).await.unwrap().is_empty());
        store.delete_workshop(w.id).await.unwrap();
        assert_eq!(store.workshop(w.id).await.unwrap(), None);
        assert_eq!(store.activity(w.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        // A chunk for a document that does not exist violates the foreign key.
        let err = store
            .write(WriteBatch::chunks(vec![(DocumentId::random(), vec![1])]))
            .await;
        assert!(err.is_err());
        assert_eq!(store.token(vec![0]).await.unwrap(), None);
    }
}
