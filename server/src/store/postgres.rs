//! The PostgreSQL store (`--database postgres://…`): the same tables and promises as SQLite.
//!
//! One writer task owns one connection and commits every write; writes that queue up while a
//! commit is running are committed together in the next transaction (group commit), and a write
//! resolves only after `COMMIT` returned with `synchronous_commit = on`, so a change is durable
//! (and, with synchronous replication, on the standby) before any peer hears of it. Reads share a
//! second connection (tokio-postgres pipelines concurrent queries on it), so loading a workshop
//! never waits behind a commit. Every statement is prepared once per connection, so a read is
//! one round trip. Both connections come back by themselves after the server restarts: a
//! closed one is replaced before the next job.
//!
//! The schema is created and upgraded by numbered migrations at start, recorded in
//! `schema_migrations`, under an advisory lock so that two servers starting at once do not race.
//!
//! Retention: a purge or a deleted workshop deletes the rows in one transaction. Unlike SQLite's
//! `secure_delete`, PostgreSQL does not overwrite them: the old row versions stay in the table
//! files until VACUUM reclaims the space and new rows reuse it, and in the WAL until its segments
//! are recycled; WAL archives and base backups keep them until they expire (README, "Postgres").

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use kring_shared::ids::{CollaborationId, DocumentId, WorkshopId};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, NoTls, Statement};

use super::{
    Activity, CollaborationRow, DocumentRow, GROUP_COMMIT_MAX, JOB_QUEUE, Store, StoreError,
    StoreResult, StoredDocument, TokenRow, WorkshopRow, WriteBatch, doc_kind, doc_kind_columns,
    error_chain, now_ms, parse, parse_role, redact, role_name, to_collaboration, to_workshop,
};

/// The schema, one step per version. A step is never edited once released; a change is a new
/// step. Each runs in the transaction that records it in `schema_migrations`.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "
CREATE TABLE workshops (
    id TEXT PRIMARY KEY,
    join_code TEXT NOT NULL UNIQUE,
    workshop_doc TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE tokens (
    hash BYTEA PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    participant_id TEXT,
    facilitator_id TEXT
);
-- Postgres does not index a foreign key by itself; deleting a workshop would scan all tokens.
CREATE INDEX tokens_by_workshop ON tokens(workshop_id);
CREATE TABLE documents (
    -- Insertion order (SQLite's rowid): a workshop's documents are listed in the order made.
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id TEXT PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    owner TEXT
);
CREATE INDEX documents_by_workshop ON documents(workshop_id, seq);
CREATE TABLE chunks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    data BYTEA NOT NULL
);
CREATE INDEX chunks_by_doc ON chunks(doc_id, seq);
CREATE TABLE activity (
    workshop_id TEXT PRIMARY KEY REFERENCES workshops(id) ON DELETE CASCADE,
    active_at BIGINT NOT NULL,
    closed_at BIGINT
);
",
    ),
    (
        2,
        "
-- Several nodes (--nats): who does the once-per-workshop work. Expiry by the database's clock.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
",
    ),
    (
        3,
        "
-- Collaborations across sessions: their own facilitator links and the index of their sessions.
CREATE TABLE collaborations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    active_at BIGINT NOT NULL
);
CREATE TABLE collaboration_tokens (
    hash BYTEA PRIMARY KEY,
    collaboration_id TEXT NOT NULL REFERENCES collaborations(id) ON DELETE CASCADE
);
CREATE INDEX collaboration_tokens_by_collaboration ON collaboration_tokens(collaboration_id);
CREATE TABLE sessions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    workshop_id TEXT PRIMARY KEY REFERENCES workshops(id) ON DELETE CASCADE,
    collaboration_id TEXT NOT NULL REFERENCES collaborations(id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_collaboration ON sessions(collaboration_id);
",
    ),
];

/// How long connecting may take before the server gives up with a clear error, when the URL
/// does not say (`connect_timeout=`): a wrong host should fail the start, not hang it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

enum Job {
    Write(Box<WriteBatch>, oneshot::Sender<StoreResult<()>>),
    DeleteWorkshop(WorkshopId, oneshot::Sender<StoreResult<()>>),
    DeleteCollaboration(CollaborationId, oneshot::Sender<StoreResult<()>>),
}

/// The PostgreSQL store: a handle to the writer task and the shared read connection.
#[derive(Clone)]
pub struct PgStore {
    jobs: mpsc::Sender<Job>,
    reads: Arc<Reads>,
}

/// The read connection with its statements; replaced whole when the server closed it.
struct Reader {
    client: Client,
    statements: ReadStatements,
}

/// The reads' statements, prepared once per connection: each read is then one round trip.
struct ReadStatements {
    workshop_by_code: Statement,
    workshop: Statement,
    token: Statement,
    document_rows: Statement,
    documents: Statement,
    activity: Statement,
    idle_workshops: Statement,
    closed_with_reflections: Statement,
    collaboration: Statement,
    collaboration_token: Statement,
    collaboration_of: Statement,
    sessions: Statement,
    idle_collaborations: Statement,
}

impl ReadStatements {
    async fn prepare(client: &Client) -> StoreResult<Self> {
        Ok(Self {
            workshop_by_code: client
                .prepare("SELECT id, join_code, workshop_doc, created_at FROM workshops WHERE join_code = $1")
                .await?,
            workshop: client
                .prepare("SELECT id, join_code, workshop_doc, created_at FROM workshops WHERE id = $1")
                .await?,
            token: client
                .prepare("SELECT workshop_id, role, participant_id, facilitator_id FROM tokens WHERE hash = $1")
                .await?,
            document_rows: client
                .prepare("SELECT id, kind, owner FROM documents WHERE workshop_id = $1 ORDER BY seq")
                .await?,
            // One statement, so the documents and their chunks are one consistent snapshot even
            // while a compaction replaces chunks.
            documents: client
                .prepare(
                    "SELECT d.id, d.kind, d.owner, c.data FROM documents d
                     LEFT JOIN chunks c ON c.doc_id = d.id
                     WHERE d.workshop_id = $1 ORDER BY d.seq, c.seq",
                )
                .await?,
            activity: client
                .prepare("SELECT active_at, closed_at FROM activity WHERE workshop_id = $1")
                .await?,
            idle_workshops: client
                .prepare(
                    "SELECT w.id FROM workshops w LEFT JOIN activity a ON a.workshop_id = w.id
                     WHERE COALESCE(a.active_at, w.created_at) < $1
                     AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.workshop_id = w.id)",
                )
                .await?,
            closed_with_reflections: client
                .prepare(&format!(
                    "SELECT a.workshop_id FROM activity a
                     WHERE a.closed_at IS NOT NULL AND a.closed_at <= $1
                     AND EXISTS (SELECT 1 FROM documents d
                                 WHERE d.workshop_id = a.workshop_id
                                 AND d.kind IN ({}))",
                    super::private_kinds_sql()
                ))
                .await?,
            collaboration: client
                .prepare(
                    "SELECT id, title, language, created_at, active_at FROM collaborations
                     WHERE id = $1",
                )
                .await?,
            collaboration_token: client
                .prepare("SELECT collaboration_id FROM collaboration_tokens WHERE hash = $1")
                .await?,
            collaboration_of: client
                .prepare("SELECT collaboration_id FROM sessions WHERE workshop_id = $1")
                .await?,
            sessions: client
                .prepare(
                    "SELECT w.id, w.join_code, w.workshop_doc, w.created_at FROM sessions s
                     JOIN workshops w ON w.id = s.workshop_id
                     WHERE s.collaboration_id = $1 ORDER BY w.created_at, s.seq",
                )
                .await?,
            idle_collaborations: client
                .prepare(
                    "SELECT c.id FROM collaborations c WHERE c.active_at < $1
                     AND NOT EXISTS (SELECT 1 FROM sessions s JOIN workshops w ON w.id = s.workshop_id
                                     LEFT JOIN activity a ON a.workshop_id = w.id
                                     WHERE s.collaboration_id = c.id
                                     AND COALESCE(a.active_at, w.created_at) >= $1)",
                )
                .await?,
        })
    }
}

/// The shared read connection, replaced when the server closed it.
struct Reads {
    config: tokio_postgres::Config,
    /// What the messages call the database: the URL without its password.
    name: String,
    /// A std mutex is enough: it is held only to clone or swap the `Arc`, never across an await.
    current: Mutex<Arc<Reader>>,
}

impl Reads {
    async fn open(config: tokio_postgres::Config, name: String) -> StoreResult<Self> {
        let reader = Self::connect(&config, &name).await?;
        Ok(Self {
            config,
            name,
            current: Mutex::new(Arc::new(reader)),
        })
    }

    async fn connect(config: &tokio_postgres::Config, name: &str) -> StoreResult<Reader> {
        let client = connect(config, name).await?;
        let statements = ReadStatements::prepare(&client).await?;
        Ok(Reader { client, statements })
    }

    /// The reader, reconnected first if the old connection was closed.
    async fn get(&self) -> StoreResult<Arc<Reader>> {
        let current = Arc::clone(&*self.current.lock().map_err(|_| StoreError::Stopped)?);
        if !current.client.is_closed() {
            return Ok(current);
        }
        let fresh = Arc::new(Self::connect(&self.config, &self.name).await?);
        *self.current.lock().map_err(|_| StoreError::Stopped)? = Arc::clone(&fresh);
        Ok(fresh)
    }
}

/// Connects and sets what every Kring session relies on.
async fn connect(config: &tokio_postgres::Config, name: &str) -> StoreResult<Client> {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| StoreError::Connect {
            url: name.to_owned(),
            reason: error_chain(&e),
        })?;
    // The connection's IO runs on its own task; it ends when the client is dropped or the
    // server goes away (the next `get` then reconnects), so nobody needs to await it.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection ended");
        }
    });
    // A write is acknowledged only after COMMIT; with `synchronous_commit` off (a server or
    // role default some tune for speed) COMMIT would return before the WAL is flushed, and a
    // crash could lose a change peers were already told about.
    client.batch_execute("SET synchronous_commit = on").await?;
    Ok(client)
}

impl PgStore {
    /// Connects to `url`, runs the migrations and starts the writer task.
    pub async fn open(url: &str) -> StoreResult<Arc<Self>> {
        let name = redact(url);
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Config(format!("--database `{name}`: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // So an operator can tell Kring's sessions apart in pg_stat_activity.
        if config.get_application_name().is_none() {
            config.application_name("kring-server");
        }
        let mut writer = connect(&config, &name).await?;
        migrate(&mut writer).await?;
        let reads = Arc::new(Reads::open(config.clone(), name.clone()).await?);
        let statements = WriteStatements::prepare(&writer).await?;
        let (tx, rx) = mpsc::channel(JOB_QUEUE);
        tokio::spawn(writer_task(
            Writer {
                config,
                name,
                client: writer,
                statements,
            },
            rx,
        ));
        Ok(Arc::new(Self { jobs: tx, reads }))
    }

    async fn job(
        &self,
        make: impl FnOnce(oneshot::Sender<StoreResult<()>>) -> Job,
    ) -> StoreResult<()> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(make(tx))
            .await
            .map_err(|_| StoreError::Stopped)?;
        rx.await.map_err(|_| StoreError::Stopped)?
    }
}

/// Brings the schema to the newest version this binary knows.
async fn migrate(client: &mut Client) -> StoreResult<()> {
    let tx = client.transaction().await?;
    // Two servers starting at once on one database: the second waits here until the first has
    // committed, then finds nothing to do. Keyed by schema, so databases in different schemas
    // (the tests) do not wait for each other.
    tx.batch_execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .await?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let newest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > newest {
        return Err(StoreError::Config(format!(
            "the database's schema is version {current}, newer than this kring-server knows \
             ({newest}); run a newer kring-server"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &now_ms()],
        )
        .await?;
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    // As in SQLite: a workshop without retention facts starts its idle clock now, so no start
    // ever deletes a workshop that was in use just before it.
    tx.execute(
        "INSERT INTO activity (workshop_id, active_at)
         SELECT id, $1 FROM workshops WHERE id NOT IN (SELECT workshop_id FROM activity)",
        &[&now_ms()],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The writes' statements, prepared once per connection so a commit costs no parse round trips.
struct WriteStatements {
    workshop: Statement,
    document: Statement,
    token: Statement,
    chunk: Statement,
    lock_chunks: Statement,
    clear_chunks: Statement,
    purge: Statement,
    activity: Statement,
    delete_workshop: Statement,
    collaboration: Statement,
    collaboration_token: Statement,
    session: Statement,
    collaboration_used: Statement,
    delete_collaboration: Statement,
}

impl WriteStatements {
    async fn prepare(client: &Client) -> StoreResult<Self> {
        Ok(Self {
            workshop: client
                .prepare("INSERT INTO workshops (id, join_code, workshop_doc, created_at) VALUES ($1, $2, $3, $4)")
                .await?,
            document: client
                .prepare("INSERT INTO documents (id, workshop_id, kind, owner) VALUES ($1, $2, $3, $4)")
                .await?,
            token: client
                .prepare("INSERT INTO tokens (hash, workshop_id, role, participant_id, facilitator_id) VALUES ($1, $2, $3, $4, $5)")
                .await?,
            chunk: client
                .prepare("INSERT INTO chunks (doc_id, data) VALUES ($1, $2)")
                .await?,
            lock_chunks: client
                .prepare("SELECT seq, data FROM chunks WHERE doc_id = $1 ORDER BY seq FOR UPDATE")
                .await?,
            clear_chunks: client
                .prepare("DELETE FROM chunks WHERE seq = ANY($1)")
                .await?,
            // Chunks go with their document (ON DELETE CASCADE).
            purge: client.prepare("DELETE FROM documents WHERE id = $1").await?,
            activity: client
                .prepare(
                    "INSERT INTO activity (workshop_id, active_at, closed_at) VALUES ($1, $2, $3)
                     ON CONFLICT (workshop_id) DO UPDATE SET active_at = excluded.active_at,
                     closed_at = excluded.closed_at",
                )
                .await?,
            // Tokens, documents, chunks and activity go with it (ON DELETE CASCADE).
            delete_workshop: client.prepare("DELETE FROM workshops WHERE id = $1").await?,
            collaboration: client
                .prepare(
                    "INSERT INTO collaborations (id, title, language, created_at, active_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                )
                .await?,
            collaboration_token: client
                .prepare("INSERT INTO collaboration_tokens (hash, collaboration_id) VALUES ($1, $2)")
                .await?,
            session: client
                .prepare(
                    "INSERT INTO sessions (workshop_id, collaboration_id) VALUES ($1, $2)
                     ON CONFLICT (workshop_id) DO NOTHING",
                )
                .await?,
            collaboration_used: client
                .prepare(
                    "UPDATE collaborations SET active_at = GREATEST(active_at, $2) WHERE id = $1",
                )
                .await?,
            // Its tokens and session index go with it (ON DELETE CASCADE).
            delete_collaboration: client
                .prepare("DELETE FROM collaborations WHERE id = $1")
                .await?,
        })
    }
}

/// The writer task's connection.
struct Writer {
    config: tokio_postgres::Config,
    name: String,
    client: Client,
    statements: WriteStatements,
}

impl Writer {
    /// Replaces a connection the server closed (a restart, a failover) before the next job.
    /// A commit that was in flight when it closed has failed for its writers: they were told so
    /// and retry or report it; nothing is committed twice behind their backs.
    async fn ensure_open(&mut self) -> StoreResult<()> {
        if self.client.is_closed() {
            let client = connect(&self.config, &self.name).await?;
            self.statements = WriteStatements::prepare(&client).await?;
            self.client = client;
        }
        Ok(())
    }

    async fn write_group(&mut self, batches: &[&WriteBatch]) -> StoreResult<()> {
        let s = &self.statements;
        let tx = self.client.transaction().await?;
        for b in batches {
            for w in &b.workshops {
                tx.execute(
                    &s.workshop,
                    &[
                        &w.id.to_string(),
                        &w.join_code,
                        &w.workshop_doc.to_string(),
                        &w.created_at,
                    ],
                )
                .await?;
            }
            for d in &b.documents {
                let (kind, owner) = doc_kind_columns(d.kind);
                tx.execute(
                    &s.document,
                    &[&d.id.to_string(), &d.workshop_id.to_string(), &kind, &owner],
                )
                .await?;
            }
            for t in &b.tokens {
                tx.execute(
                    &s.token,
                    &[
                        &t.hash,
                        &t.workshop_id.to_string(),
                        &role_name(t.role),
                        &t.participant.map(|p| p.to_string()),
                        &t.facilitator.map(|f| f.to_string()),
                    ],
                )
                .await?;
            }
            for (doc, data) in &b.chunks {
                tx.execute(&s.chunk, &[&doc.to_string(), data]).await?;
            }
            for (doc, data) in &b.snapshots {
                // With several nodes another one may have appended a change this snapshot has
                // not seen: the snapshot replaces exactly the chunks read (and locked) here,
                // merged into it, and a chunk committed meanwhile stays beside it.
                let doc = doc.to_string();
                let rows = tx.query(&s.lock_chunks, &[&doc]).await?;
                let mut merged = automerge::Automerge::load(data)
                    .map_err(|e| StoreError::Corrupt(format!("snapshot of {doc}: {e}")))?;
                let mut seqs = Vec::with_capacity(rows.len());
                for r in &rows {
                    seqs.push(r.try_get::<_, i64>(0).map_err(corrupt)?);
                    let chunk: &[u8] = r.try_get(1).map_err(corrupt)?;
                    merged
                        .load_incremental(chunk)
                        .map_err(|e| StoreError::Corrupt(format!("chunk of {doc}: {e}")))?;
                }
                tx.execute(&s.clear_chunks, &[&seqs]).await?;
                let snapshot = kring_shared::engine::snapshot(&merged);
                tx.execute(&s.chunk, &[&doc, &snapshot]).await?;
            }
            for doc in &b.purge {
                tx.execute(&s.purge, &[&doc.to_string()]).await?;
            }
            for (w, a) in &b.activity {
                tx.execute(&s.activity, &[&w.to_string(), &a.active_at, &a.closed_at])
                    .await?;
            }
            for c in &b.collaborations {
                tx.execute(
                    &s.collaboration,
                    &[
                        &c.id.to_string(),
                        &c.title,
                        &c.language,
                        &c.created_at,
                        &c.active_at,
                    ],
                )
                .await?;
            }
            for (hash, c) in &b.collaboration_tokens {
                tx.execute(&s.collaboration_token, &[hash, &c.to_string()])
                    .await?;
            }
            for (w, c) in &b.sessions {
                tx.execute(&s.session, &[&w.to_string(), &c.to_string()])
                    .await?;
            }
            for (c, at) in &b.collaboration_used {
                tx.execute(&s.collaboration_used, &[&c.to_string(), at])
                    .await?;
            }
        }
        // Resolves only once the server has flushed the commit (synchronous_commit = on).
        tx.commit().await?;
        Ok(())
    }

    async fn delete_workshop(&mut self, workshop: WorkshopId) -> StoreResult<()> {
        // One statement is one transaction: the workshop and everything cascading from it.
        self.client
            .execute(&self.statements.delete_workshop, &[&workshop.to_string()])
            .await?;
        Ok(())
    }

    async fn delete_collaboration(&mut self, id: CollaborationId) -> StoreResult<()> {
        self.client
            .execute(&self.statements.delete_collaboration, &[&id.to_string()])
            .await?;
        Ok(())
    }
}

async fn writer_task(mut writer: Writer, mut rx: mpsc::Receiver<Job>) {
    let mut pending: Option<Job> = None;
    loop {
        let job = match pending.take() {
            Some(j) => j,
            None => match rx.recv().await {
                Some(j) => j,
                None => return, // every handle dropped: shut down
            },
        };
        if let Err(e) = writer.ensure_open().await {
            // The database is unreachable: this job fails; the next one tries again.
            let ack = match job {
                Job::Write(_, ack)
                | Job::DeleteWorkshop(_, ack)
                | Job::DeleteCollaboration(_, ack) => ack,
            };
            let _ = ack.send(Err(e));
            continue;
        }
        match job {
            Job::DeleteWorkshop(workshop, ack) => {
                // A caller that stopped waiting has nothing to be told.
                let _ = ack.send(writer.delete_workshop(workshop).await);
            }
            Job::DeleteCollaboration(id, ack) => {
                let _ = ack.send(writer.delete_collaboration(id).await);
            }
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
                if group.len() > 1 {
                    let batches: Vec<&WriteBatch> = group.iter().map(|(b, _)| &**b).collect();
                    if writer.write_group(&batches).await.is_ok() {
                        for (_, ack) in group {
                            // A writer that stopped waiting has nothing to be told.
                            let _ = ack.send(Ok(()));
                        }
                        continue;
                    }
                }
                // Alone, or the group failed: commit each batch on its own so that one bad
                // batch cannot fail its neighbours.
                for (batch, ack) in group {
                    let _ = ack.send(writer.write_group(&[&*batch]).await);
                }
            }
        }
    }
}

fn corrupt(e: tokio_postgres::Error) -> StoreError {
    StoreError::Corrupt(format!("unexpected column type: {e}"))
}

impl Store for PgStore {
    fn write(&self, batch: WriteBatch) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move {
            if batch.is_empty() {
                return Ok(());
            }
            self.job(|ack| Job::Write(Box::new(batch), ack)).await
        })
    }

    fn workshop_by_code(&self, code: String) -> BoxFuture<'_, StoreResult<Option<WorkshopRow>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let row = r
                .client
                .query_opt(&r.statements.workshop_by_code, &[&code])
                .await?;
            row.map(|r| workshop_row(&r)).transpose()
        })
    }

    fn workshop(&self, id: WorkshopId) -> BoxFuture<'_, StoreResult<Option<WorkshopRow>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let row = r
                .client
                .query_opt(&r.statements.workshop, &[&id.to_string()])
                .await?;
            row.map(|r| workshop_row(&r)).transpose()
        })
    }

    fn token(&self, hash: Vec<u8>) -> BoxFuture<'_, StoreResult<Option<TokenRow>>> {
        Box::pin(async move {
            let reader = self.reads.get().await?;
            let Some(r) = reader
                .client
                .query_opt(&reader.statements.token, &[&hash])
                .await?
            else {
                return Ok(None);
            };
            let role: String = r.try_get(1).map_err(corrupt)?;
            let participant: Option<String> = r.try_get(2).map_err(corrupt)?;
            let facilitator: Option<String> = r.try_get(3).map_err(corrupt)?;
            Ok(Some(TokenRow {
                workshop_id: parse(r.try_get(0).map_err(corrupt)?)?,
                role: parse_role(&role)?,
                participant: participant.map(parse).transpose()?,
                facilitator: facilitator.map(parse).transpose()?,
                hash,
            }))
        })
    }

    fn document_rows(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Vec<DocumentRow>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let rows = r
                .client
                .query(&r.statements.document_rows, &[&workshop.to_string()])
                .await?;
            rows.iter().map(|r| document_row(r, workshop)).collect()
        })
    }

    fn documents(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Vec<StoredDocument>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let rows = r
                .client
                .query(&r.statements.documents, &[&workshop.to_string()])
                .await?;
            let mut out: Vec<StoredDocument> = Vec::new();
            let mut last_id: Option<String> = None;
            for r in &rows {
                let id: String = r.try_get(0).map_err(corrupt)?;
                let data: Option<Vec<u8>> = r.try_get(3).map_err(corrupt)?;
                if last_id.as_deref() != Some(id.as_str()) {
                    last_id = Some(id);
                    out.push(StoredDocument {
                        row: document_row(r, workshop)?,
                        chunks: Vec::new(),
                    });
                }
                if let (Some(data), Some(doc)) = (data, out.last_mut()) {
                    doc.chunks.push(data);
                }
            }
            Ok(out)
        })
    }

    fn activity(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<Option<Activity>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let row = r
                .client
                .query_opt(&r.statements.activity, &[&workshop.to_string()])
                .await?;
            row.map(|r| {
                Ok(Activity {
                    active_at: r.try_get(0).map_err(corrupt)?,
                    closed_at: r.try_get(1).map_err(corrupt)?,
                })
            })
            .transpose()
        })
    }

    fn idle_workshops(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let rows = r
                .client
                .query(&r.statements.idle_workshops, &[&cutoff])
                .await?;
            ids(&rows)
        })
    }

    fn closed_with_reflections(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<WorkshopId>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let rows = r
                .client
                .query(&r.statements.closed_with_reflections, &[&cutoff])
                .await?;
            ids(&rows)
        })
    }

    fn delete_workshop(&self, workshop: WorkshopId) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.job(move |ack| Job::DeleteWorkshop(workshop, ack)))
    }

    fn collaboration(
        &self,
        id: CollaborationId,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationRow>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let Some(row) = r
                .client
                .query_opt(&r.statements.collaboration, &[&id.to_string()])
                .await?
            else {
                return Ok(None);
            };
            to_collaboration((
                row.try_get(0).map_err(corrupt)?,
                row.try_get(1).map_err(corrupt)?,
                row.try_get(2).map_err(corrupt)?,
                row.try_get(3).map_err(corrupt)?,
                row.try_get(4).map_err(corrupt)?,
            ))
            .map(Some)
        })
    }

    fn collaboration_token(
        &self,
        hash: Vec<u8>,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationId>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let row = r
                .client
                .query_opt(&r.statements.collaboration_token, &[&hash])
                .await?;
            row.map(|r| parse(r.try_get(0).map_err(corrupt)?))
                .transpose()
        })
    }

    fn collaboration_of(
        &self,
        workshop: WorkshopId,
    ) -> BoxFuture<'_, StoreResult<Option<CollaborationId>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let row = r
                .client
                .query_opt(&r.statements.collaboration_of, &[&workshop.to_string()])
                .await?;
            row.map(|r| parse(r.try_get(0).map_err(corrupt)?))
                .transpose()
        })
    }

    fn sessions(&self, id: CollaborationId) -> BoxFuture<'_, StoreResult<Vec<WorkshopRow>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let rows = r
                .client
                .query(&r.statements.sessions, &[&id.to_string()])
                .await?;
            rows.iter().map(workshop_row).collect()
        })
    }

    fn idle_collaborations(&self, cutoff: i64) -> BoxFuture<'_, StoreResult<Vec<CollaborationId>>> {
        Box::pin(async move {
            let r = self.reads.get().await?;
            let rows = r
                .client
                .query(&r.statements.idle_collaborations, &[&cutoff])
                .await?;
            ids(&rows)
        })
    }

    fn delete_collaboration(&self, id: CollaborationId) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(self.job(move |ack| Job::DeleteCollaboration(id, ack)))
    }
}

fn workshop_row(r: &tokio_postgres::Row) -> StoreResult<WorkshopRow> {
    to_workshop((
        r.try_get(0).map_err(corrupt)?,
        r.try_get(1).map_err(corrupt)?,
        r.try_get(2).map_err(corrupt)?,
        r.try_get(3).map_err(corrupt)?,
    ))
}

/// A document row from columns `id, kind, owner`.
fn document_row(r: &tokio_postgres::Row, workshop: WorkshopId) -> StoreResult<DocumentRow> {
    let id: String = r.try_get(0).map_err(corrupt)?;
    let kind: String = r.try_get(1).map_err(corrupt)?;
    let owner: Option<String> = r.try_get(2).map_err(corrupt)?;
    Ok(DocumentRow {
        id: parse::<DocumentId>(id)?,
        workshop_id: workshop,
        kind: doc_kind(&kind, owner)?,
    })
}

fn ids<T: FromStr>(rows: &[tokio_postgres::Row]) -> StoreResult<Vec<T>> {
    rows.iter()
        .map(|r| parse(r.try_get(0).map_err(corrupt)?))
        .collect()
}

#[cfg(test)]
pub(super) mod test_schema {
    //! A schema of its own per test, in the database `KRING_TEST_DATABASE` names, so tests run
    //! in parallel and leave nothing behind.

    use tokio_postgres::NoTls;

    /// Where the tests find PostgreSQL when `KRING_TEST_DATABASE` is not set.
    pub const DEFAULT_TEST_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/test";

    pub fn server_url() -> String {
        std::env::var("KRING_TEST_DATABASE").unwrap_or_else(|_| DEFAULT_TEST_DATABASE.to_owned())
    }

    /// A fresh schema, dropped with everything in it when this is dropped.
    pub struct TestSchema {
        server: String,
        name: String,
    }

    impl TestSchema {
        /// Creates the schema. Panics with what to do when no PostgreSQL answers: CI runs one,
        /// so a missing database is a failure, not a skip.
        pub async fn create() -> Self {
            let server = server_url();
            let (client, connection) = tokio_postgres::connect(&server, NoTls)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "the Postgres store tests need PostgreSQL at {server} \
                         (set KRING_TEST_DATABASE; README, \"Tests\"): {}",
                        super::super::error_chain(&e)
                    )
                });
            tokio::spawn(connection);
            let name = format!("kring_test_{}", uuid::Uuid::new_v4().simple());
            client
                .batch_execute(&format!("CREATE SCHEMA {name}"))
                .await
                .unwrap_or_else(|e| panic!("cannot create schema {name} at {server}: {e}"));
            Self { server, name }
        }

        /// The database URL with this schema as the only one on the search path.
        pub fn url(&self) -> String {
            let sep = if self.server.contains('?') { '&' } else { '?' };
            format!(
                "{}{sep}options=-c%20search_path%3D{}",
                self.server, self.name
            )
        }
    }

    impl Drop for TestSchema {
        fn drop(&mut self) {
            let (server, name) = (self.server.clone(), self.name.clone());
            // Drop cannot await, and the test's runtime may be single-threaded: a thread with a
            // runtime of its own drops the schema and is waited for.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let (client, connection) = tokio_postgres::connect(&server, NoTls).await?;
                    tokio::spawn(connection);
                    client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .await
                })
                .map_err(std::io::Error::other)
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop test schema {}: {dropped:?}", self.name);
            }
        }
    }
}
