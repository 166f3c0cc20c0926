//! Storage: the [`Store`] trait, the rows it reads and writes, and the choice of backend.
//!
//! Documents are stored as a snapshot plus appended incremental chunks (both are valid input to
//! `Automerge::load_incremental`), compacted into one snapshot from time to time (the workshop
//! task decides when and sends the snapshot in a [`WriteBatch`]). Two implementations:
//! - [`sqlite`]: the embedded default, one file in `--data`;
//! - [`postgres`]: PostgreSQL, chosen with `--database postgres://…`.
//!
//! Both promise the same: a write resolves only once it is durable (so a change is committed
//! before any peer hears of heads that include it), writes queued during a commit are committed
//! together (group commit), a batch is all or nothing, and a purge deletes the rows.
//!
//! Architecture Invariant: the store knows rows and bytes, never access rules; of automerge it
//! knows one thing: with several nodes on one PostgreSQL, a snapshot must not delete a chunk
//! another node appended that the snapshot lacks, so `PgStore` merges the chunks it replaces
//! into the snapshot (loading them is automerge's own, idempotent merge).

pub mod postgres;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use kring_shared::access::{DocKind, Role};
use kring_shared::ids::{CollaborationId, DocumentId, FacilitatorId, ParticipantId, WorkshopId};

pub use postgres::PgStore;
pub use sqlite::{DB_FILE, SqliteStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// `reason` holds the whole chain ("error connecting to server: Connection refused"):
    /// tokio-postgres's own message names only the outermost part.
    #[error("cannot connect to PostgreSQL at {url}: {reason}")]
    Connect { url: String, reason: String },
    /// `--database` names no database Kring can use.
    #[error("{0}")]
    Config(String),
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

/// A collaboration's fixed facts and its last use (its page opened, a session started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollaborationRow {
    pub id: CollaborationId,
    pub title: String,
    pub language: String,
    pub created_at: i64,
    pub active_at: i64,
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
    /// Collaborations made, or registered when a session first carried one (a row already
    /// there is kept as it is).
    pub collaborations: Vec<CollaborationRow>,
    /// Tokens of a collaboration's own facilitator links (by hash).
    pub collaboration_tokens: Vec<(Vec<u8>, CollaborationId)>,
    /// Which collaboration a workshop is a session of (a pair already there is kept).
    pub sessions: Vec<(WorkshopId, CollaborationId)>,
    /// A collaboration used at this time (ms).
    pub collaboration_used: Vec<(CollaborationId, i64)>,
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
            && self.collaborations.is_empty()
            && self.collaboration_tokens.is_empty()
            && self.sessions.is_empty()
            && self.collaboration_used.is_empty()
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
    /// Sessions of a collaboration are not listed: they go with their collaboration.
    fn idle_workshops(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>>;
    /// Workshops closed at or before `cutoff` (ms) that still hold reflection documents.
    fn closed_with_reflections(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>>;
    /// Deletes a workshop with its tokens, documents and chunks, for good.
    fn delete_workshop(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<()>>;
    fn collaboration(
        &self,
        id: CollaborationId,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationRow>>>;
    /// The collaboration a collaboration token (by hash) opens.
    fn collaboration_token(
        &self,
        hash: Vec<u8>,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationId>>>;
    /// The collaboration a workshop is a session of.
    fn collaboration_of(
        &self,
        workshop: WorkshopId,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationId>>>;
    /// A collaboration's sessions that still exist, oldest first.
    fn sessions(&self, id: CollaborationId) -> BoxFuture<'_, StoreResult<Vec<WorkshopRow>>>;
    /// Collaborations whose last use — the collaboration's own and every session's — is before
    /// `cutoff` (ms).
    fn idle_collaborations(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<CollaborationId>>>;
    /// Deletes a collaboration's row, tokens and session index (its sessions are workshops,
    /// deleted one by one before).
    fn delete_collaboration(&self, id: CollaborationId) -> BoxFuture<'_, StoreResult<()>>;
}

/// Jobs queued for a store's writer. Bounded so that a flood of writes pushes back on the
/// workshop tasks instead of growing memory.
const JOB_QUEUE: usize = 1024;

/// Most writes committed in one transaction.
const GROUP_COMMIT_MAX: usize = 256;

/// Which database `--database` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// `kring.sqlite3` in the data folder (no `--database`).
    Sqlite,
    /// A PostgreSQL connection string (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl std::str::FromStr for Database {
    type Err = StoreError;

    /// Accepts `postgres://…` and `postgresql://…`; anything else is an error that says so,
    /// rather than a silent fall-back to SQLite that would split a deployment's data in two.
    fn from_str(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(url.to_owned()))
        } else {
            Err(StoreError::Config(format!(
                "--database must be a PostgreSQL URL (postgres://user@host:5432/db); \
                 got `{}`. Without --database Kring uses SQLite in --data.",
                redact(url)
            )))
        }
    }
}

/// A URL without its password (in the user part or as `password=` in the query), for messages
/// and logs.
fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match base[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
            None => base.to_owned(),
        },
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<&str> = query
            .split('&')
            .map(|p| {
                if p.starts_with("password=") {
                    "password=***"
                } else {
                    p
                }
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// An error with its sources, outermost first, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Opens the store `database` names; SQLite lives in `data_dir`.
pub async fn open(database: &Database, data_dir: &Path) -> StoreResult<Arc<dyn Store>> {
    Ok(match database {
        Database::Sqlite => SqliteStore::open(data_dir)?,
        Database::Postgres(url) => PgStore::open(url).await?,
    })
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Facilitator => "facilitator",
        Role::Participant => "participant",
        Role::Screen => "screen",
    }
}

fn parse_role(role: &str) -> StoreResult<Role> {
    match role {
        "facilitator" => Ok(Role::Facilitator),
        "participant" => Ok(Role::Participant),
        "screen" => Ok(Role::Screen),
        other => Err(StoreError::Corrupt(format!("role `{other}`"))),
    }
}

/// The private kinds as an SQL list: `'reflection', 'rating', …` (purged when a workshop closes).
fn private_kinds_sql() -> String {
    DocKind::PRIVATE
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A document kind as its two columns: the name and the owner (a participant or a duo).
pub(crate) fn doc_kind_columns(kind: DocKind) -> (&'static str, Option<String>) {
    let owner = match kind {
        DocKind::Reflection { owner }
        | DocKind::Voice { owner }
        | DocKind::Rating { owner }
        | DocKind::RoleSheet { owner }
        | DocKind::Answers { owner } => Some(owner.to_string()),
        DocKind::Duo { duo } => Some(duo.to_string()),
        DocKind::Workshop | DocKind::Table => None,
    };
    (kind.name(), owner)
}

/// The inverse of [`doc_kind_columns`].
pub(crate) fn doc_kind(kind: &str, owner: Option<String>) -> StoreResult<DocKind> {
    Ok(match (kind, owner) {
        ("workshop", _) => DocKind::Workshop,
        ("reflection", Some(o)) => DocKind::Reflection { owner: parse(o)? },
        ("duo", Some(o)) => DocKind::Duo { duo: parse(o)? },
        ("table", _) => DocKind::Table,
        ("voice", Some(o)) => DocKind::Voice { owner: parse(o)? },
        ("rating", Some(o)) => DocKind::Rating { owner: parse(o)? },
        ("role_sheet", Some(o)) => DocKind::RoleSheet { owner: parse(o)? },
        ("answers", Some(o)) => DocKind::Answers { owner: parse(o)? },
        (other, _) => return Err(StoreError::Corrupt(format!("document kind `{other}`"))),
    })
}

fn parse<T: std::str::FromStr>(s: String) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("unparsable id `{s}`")))
}

fn to_workshop(r: (String, String, String, i64)) -> StoreResult<WorkshopRow> {
    Ok(WorkshopRow {
        id: parse(r.0)?,
        join_code: r.1,
        workshop_doc: parse(r.2)?,
        created_at: r.3,
    })
}

fn to_collaboration(r: (String, String, String, i64, i64)) -> StoreResult<CollaborationRow> {
    Ok(CollaborationRow {
        id: parse(r.0)?,
        title: r.1,
        language: r.2,
        created_at: r.3,
        active_at: r.4,
    })
}

#[cfg(test)]
mod tests {
    //! Every store test runs against both backends: `sqlite::…` on a temporary folder,
    //! `postgres::…` in a fresh schema of the server `KRING_TEST_DATABASE` names.

    use super::*;
    // Named in full: the test modules the macro below makes are called `postgres` too.
    use crate::store::postgres::test_schema::TestSchema;

    /// A database for one test, opened as often as the test likes (reopening = restarting).
    enum Backend {
        Sqlite(tempfile::TempDir),
        Postgres(TestSchema),
    }

    impl Backend {
        fn sqlite() -> Self {
            Backend::Sqlite(tempfile::tempdir().unwrap())
        }

        async fn postgres() -> Self {
            Backend::Postgres(TestSchema::create().await)
        }

        async fn open(&self) -> Arc<dyn Store> {
            match self {
                Backend::Sqlite(dir) => SqliteStore::open(dir.path()).unwrap(),
                Backend::Postgres(schema) => PgStore::open(&schema.url()).await.unwrap(),
            }
        }
    }

    /// Runs each named `async fn(Backend)` once per backend, as `sqlite::name` and
    /// `postgres::name`, so a failure names the backend and both run in parallel.
    macro_rules! on_both_backends {
        ($($test:ident),* $(,)?) => {
            mod sqlite {
                $(#[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::sqlite()).await
                })*
            }
            mod postgres {
                $(#[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::postgres().await).await
                })*
            }
        };
    }

    on_both_backends!(
        a_workshop_its_token_and_chunks_survive_reopening,
        an_upgrade_starts_the_idle_clock_of_workshops_without_activity,
        a_failed_write_changes_nothing,
        writes_queued_together_commit_together_and_a_bad_one_fails_alone,
        a_purge_deletes_the_document_and_its_chunks_and_nothing_else,
        retention_finds_idle_and_closed_workshops,
        a_collaboration_keeps_its_sessions_until_it_is_idle_as_a_whole,
    );

    fn workshop(code: &str) -> WorkshopRow {
        WorkshopRow {
            id: WorkshopId::random(),
            join_code: code.into(),
            workshop_doc: DocumentId::random(),
            created_at: 1,
        }
    }

    /// A workshop with its workshop document, written in one batch.
    fn new_workshop(w: &WorkshopRow) -> WriteBatch {
        WriteBatch {
            workshops: vec![w.clone()],
            documents: vec![DocumentRow {
                id: w.workshop_doc,
                workshop_id: w.id,
                kind: DocKind::Workshop,
            }],
            ..WriteBatch::default()
        }
    }

    fn reflection(w: &WorkshopRow) -> DocumentRow {
        DocumentRow {
            id: DocumentId::random(),
            workshop_id: w.id,
            kind: DocKind::Reflection {
                owner: ParticipantId::random(),
            },
        }
    }

    /// Two changes to one automerge document, as incremental chunks, and a snapshot of both.
    fn changes() -> (Vec<u8>, Vec<u8>, automerge::Automerge) {
        use automerge::transaction::Transactable;
        let mut doc = automerge::Automerge::new();
        let put = |doc: &mut automerge::Automerge, v: &str| {
            let before = doc.get_heads();
            doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(automerge::ROOT, "title", v)
            })
            .unwrap();
            doc.save_after(&before)
        };
        let first = put(&mut doc, "a");
        let second = put(&mut doc, "b");
        (first, second, doc)
    }

    /// The document the chunks of `stored` make.
    fn loaded(stored: &StoredDocument) -> automerge::Automerge {
        let mut doc = automerge::Automerge::new();
        for c in &stored.chunks {
            doc.load_incremental(c).unwrap();
        }
        doc
    }

    async fn a_workshop_its_token_and_chunks_survive_reopening(db: Backend) {
        let w = workshop("ABC234");
        let (first, second, doc) = changes();
        {
            let store = db.open().await;
            store
                .write(WriteBatch {
                    tokens: vec![TokenRow {
                        hash: vec![1, 2, 3],
                        workshop_id: w.id,
                        role: Role::Facilitator,
                        participant: None,
                        facilitator: Some(FacilitatorId::random()),
                    }],
                    chunks: vec![
                        (w.workshop_doc, first.clone()),
                        (w.workshop_doc, second.clone()),
                    ],
                    ..new_workshop(&w)
                })
                .await
                .unwrap();
        }
        let store = db.open().await;
        assert_eq!(
            store.workshop_by_code("ABC234".into()).await.unwrap(),
            Some(w.clone())
        );
        assert_eq!(store.workshop(w.id).await.unwrap(), Some(w.clone()));
        assert_eq!(
            store.token(vec![1, 2, 3]).await.unwrap().unwrap().role,
            Role::Facilitator
        );
        let docs = store.documents(w.id).await.unwrap();
        assert_eq!(docs[0].chunks, vec![first, second]);
        // Compaction: a snapshot replaces every chunk so far.
        store
            .write(WriteBatch {
                snapshots: vec![(w.workshop_doc, kring_shared::engine::snapshot(&doc))],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        let docs = store.documents(w.id).await.unwrap();
        assert_eq!(docs[0].chunks.len(), 1);
        assert_eq!(loaded(&docs[0]).get_heads(), doc.get_heads());
    }

    /// With several nodes, a node compacts a document while another has appended a change the
    /// first has not seen yet: the change must survive the compaction.
    #[tokio::test]
    async fn a_postgres_snapshot_keeps_a_change_it_has_not_seen() {
        let db = Backend::postgres().await;
        let w = workshop("ABC299");
        let (first, second, doc) = changes();
        let mut behind = automerge::Automerge::new();
        behind.load_incremental(&first).unwrap();
        let store = db.open().await;
        store
            .write(WriteBatch {
                chunks: vec![(w.workshop_doc, first), (w.workshop_doc, second)],
                ..new_workshop(&w)
            })
            .await
            .unwrap();
        store
            .write(WriteBatch {
                snapshots: vec![(w.workshop_doc, kring_shared::engine::snapshot(&behind))],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        let docs = store.documents(w.id).await.unwrap();
        assert_eq!(docs[0].chunks.len(), 1, "compacted");
        assert_eq!(
            loaded(&docs[0]).get_heads(),
            doc.get_heads(),
            "the second change, unseen by the snapshot, is kept"
        );
    }

    async fn an_upgrade_starts_the_idle_clock_of_workshops_without_activity(db: Backend) {
        let w = workshop("ABC235");
        let now = now_ms();
        {
            let store = db.open().await;
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
        let store = db.open().await;
        assert!(store.activity(w.id).await.unwrap().unwrap().active_at >= now);
        assert!(store.idle_workshops(now - 1_000).await.unwrap().is_empty());
        store.delete_workshop(w.id).await.unwrap();
        assert_eq!(store.workshop(w.id).await.unwrap(), None);
        assert_eq!(store.activity(w.id).await.unwrap(), None);
    }

    async fn a_failed_write_changes_nothing(db: Backend) {
        let store = db.open().await;
        let w = workshop("ABC236");
        // A chunk for a document that does not exist violates the foreign key; the workshop in
        // the same batch must not be written either.
        let err = store
            .write(WriteBatch {
                chunks: vec![(DocumentId::random(), vec![1])],
                ..new_workshop(&w)
            })
            .await;
        assert!(err.is_err());
        assert_eq!(store.workshop(w.id).await.unwrap(), None);
        assert_eq!(store.token(vec![0]).await.unwrap(), None);
    }

    async fn writes_queued_together_commit_together_and_a_bad_one_fails_alone(db: Backend) {
        let store = db.open().await;
        let w = workshop("ABC237");
        store.write(new_workshop(&w)).await.unwrap();
        // Many writes in flight at once queue behind each other's commits and are committed in
        // groups; the one that breaks a foreign key must fail without failing its neighbours.
        let writes = (0..50u8).map(|i| {
            let doc = if i == 25 {
                DocumentId::random()
            } else {
                w.workshop_doc
            };
            store.write(WriteBatch::chunks(vec![(doc, vec![i])]))
        });
        let results = futures_util::future::join_all(writes).await;
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 25, "write {i}: {r:?}");
        }
        let chunks = &store.documents(w.id).await.unwrap()[0].chunks;
        assert_eq!(chunks.len(), 49);
    }

    async fn a_purge_deletes_the_document_and_its_chunks_and_nothing_else(db: Backend) {
        let store = db.open().await;
        let w = workshop("ABC238");
        let (mine, theirs) = (reflection(&w), reflection(&w));
        let mut batch = new_workshop(&w);
        batch.documents.extend([mine.clone(), theirs.clone()]);
        batch.chunks = vec![(mine.id, vec![1]), (theirs.id, vec![2])];
        store.write(batch).await.unwrap();
        store
            .write(WriteBatch {
                // A chunk and the purge of its document in one write: the purge wins.
                chunks: vec![(mine.id, vec![3])],
                purge: vec![mine.id],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        let docs = store.documents(w.id).await.unwrap();
        let ids: Vec<DocumentId> = docs.iter().map(|d| d.row.id).collect();
        assert_eq!(ids, vec![w.workshop_doc, theirs.id]);
        assert_eq!(docs[1].chunks, vec![vec![2]]);
        assert_eq!(docs[1].row, theirs);
        assert_eq!(store.document_rows(w.id).await.unwrap().len(), 2);
    }

    async fn retention_finds_idle_and_closed_workshops(db: Backend) {
        let store = db.open().await;
        let (open, closed, closed_empty) =
            (workshop("ABC239"), workshop("ABC23A"), workshop("ABC23B"));
        let mut batch = WriteBatch::default();
        for (w, activity) in [
            (
                &open,
                Activity {
                    active_at: 100,
                    closed_at: None,
                },
            ),
            (
                &closed,
                Activity {
                    active_at: 300,
                    closed_at: Some(200),
                },
            ),
            (
                &closed_empty,
                Activity {
                    active_at: 300,
                    closed_at: Some(200),
                },
            ),
        ] {
            let b = new_workshop(w);
            batch.workshops.extend(b.workshops);
            batch.documents.extend(b.documents);
            batch.activity.push((w.id, activity));
        }
        batch.documents.push(reflection(&open));
        batch.documents.push(reflection(&closed));
        store.write(batch).await.unwrap();
        assert_eq!(store.idle_workshops(200).await.unwrap(), vec![open.id]);
        assert_eq!(
            store.closed_with_reflections(200).await.unwrap(),
            vec![closed.id]
        );
        assert!(store.closed_with_reflections(199).await.unwrap().is_empty());
        assert_eq!(
            store.activity(closed.id).await.unwrap(),
            Some(Activity {
                active_at: 300,
                closed_at: Some(200)
            })
        );
    }

    async fn a_collaboration_keeps_its_sessions_until_it_is_idle_as_a_whole(db: Backend) {
        let store = db.open().await;
        let c = CollaborationRow {
            id: CollaborationId::random(),
            title: "Wijkteam Noord".into(),
            language: "nl".into(),
            created_at: 50,
            active_at: 50,
        };
        let (first, second, alone) = (workshop("ABC2C1"), workshop("ABC2C2"), workshop("ABC2C3"));
        let mut batch = WriteBatch::default();
        for (w, active_at) in [(&first, 100), (&second, 300), (&alone, 100)] {
            let b = new_workshop(w);
            batch.workshops.extend(b.workshops);
            batch.documents.extend(b.documents);
            batch.activity.push((
                w.id,
                Activity {
                    active_at,
                    closed_at: None,
                },
            ));
        }
        batch.collaborations.push(c.clone());
        batch.collaboration_tokens.push((vec![9, 9], c.id));
        batch.sessions = vec![(first.id, c.id), (second.id, c.id)];
        store.write(batch).await.unwrap();
        // Registering again (the next session of a known collaboration) keeps what is there.
        store
            .write(WriteBatch {
                collaborations: vec![CollaborationRow {
                    title: "another title".into(),
                    ..c.clone()
                }],
                sessions: vec![(first.id, c.id)],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        assert_eq!(store.collaboration(c.id).await.unwrap(), Some(c.clone()));
        assert_eq!(
            store.collaboration_token(vec![9, 9]).await.unwrap(),
            Some(c.id)
        );
        assert_eq!(store.collaboration_token(vec![9]).await.unwrap(), None);
        assert_eq!(store.collaboration_of(first.id).await.unwrap(), Some(c.id));
        assert_eq!(store.collaboration_of(alone.id).await.unwrap(), None);
        let ids: Vec<WorkshopId> = store
            .sessions(c.id)
            .await
            .unwrap()
            .iter()
            .map(|w| w.id)
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&first.id) && ids.contains(&second.id));
        // A session idle on its own is not idle while its collaboration is in use.
        assert_eq!(store.idle_workshops(200).await.unwrap(), vec![alone.id]);
        assert!(store.idle_collaborations(200).await.unwrap().is_empty());
        assert_eq!(store.idle_collaborations(301).await.unwrap(), vec![c.id]);
        // Opening the collaboration's page counts as use (and never moves the clock back).
        store
            .write(WriteBatch {
                collaboration_used: vec![(c.id, 400), (c.id, 10)],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        assert!(store.idle_collaborations(301).await.unwrap().is_empty());
        assert_eq!(
            store.collaboration(c.id).await.unwrap().unwrap().active_at,
            400
        );
        // A deleted session leaves the index; the collaboration's deletion takes its tokens.
        store.delete_workshop(first.id).await.unwrap();
        assert_eq!(store.sessions(c.id).await.unwrap().len(), 1);
        store.delete_collaboration(c.id).await.unwrap();
        assert_eq!(store.collaboration(c.id).await.unwrap(), None);
        assert_eq!(store.collaboration_token(vec![9, 9]).await.unwrap(), None);
        assert_eq!(store.collaboration_of(second.id).await.unwrap(), None);
        assert!(
            store.workshop(second.id).await.unwrap().is_some(),
            "workshops are deleted one by one"
        );
    }

    #[tokio::test]
    async fn the_postgres_store_reconnects_after_its_connections_were_killed() {
        let schema = TestSchema::create().await;
        // A name of its own, so that only this test's sessions are killed.
        let app = format!("kring_{}", uuid::Uuid::new_v4().simple());
        let store = PgStore::open(&format!("{}&application_name={app}", schema.url()))
            .await
            .unwrap();
        let w = workshop("ABC23C");
        store.write(new_workshop(&w)).await.unwrap();
        let (admin, connection) = tokio_postgres::connect(
            &crate::store::postgres::test_schema::server_url(),
            tokio_postgres::NoTls,
        )
        .await
        .unwrap();
        tokio::spawn(connection);
        let killed = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .await
            .unwrap();
        assert_eq!(killed.len(), 2, "the writer's and the readers' connection");
        // A job that meets a connection before it noticed it was closed fails (its workshop
        // then unloads and clients resync); the ones after it must work again.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let wrote = store
                .write(WriteBatch::chunks(vec![(w.workshop_doc, vec![7])]))
                .await;
            let read = store.documents(w.id).await;
            match (wrote, read) {
                (Ok(()), Ok(docs)) => {
                    assert_eq!(docs[0].chunks.last(), Some(&vec![7]));
                    break;
                }
                (wrote, read) if std::time::Instant::now() > deadline => {
                    panic!("no reconnect within 20 s: {wrote:?} {read:?}")
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    #[test]
    fn database_urls_other_than_postgres_are_refused_with_the_reason() {
        assert_eq!(
            "postgres://u@h/db".parse::<Database>().unwrap(),
            Database::Postgres("postgres://u@h/db".into())
        );
        assert!("postgresql://h/db".parse::<Database>().is_ok());
        let err = "mysql://root:secret@h/db"
            .parse::<Database>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("PostgreSQL URL"), "{err}");
        assert!(!err.contains("secret"), "the password leaked: {err}");
        assert_eq!(
            redact("postgres://u:pw@h/db?sslmode=disable&password=pw2"),
            "postgres://u:***@h/db?sslmode=disable&password=***"
        );
    }
}
