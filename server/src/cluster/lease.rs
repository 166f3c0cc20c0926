//! Leases in PostgreSQL: a row per lease (`leases`: name, holder, expiry by the database's
//! clock). A node takes a lease that is free or expired and renews it while it holds it; when
//! the holder dies its lease expires and another node takes it. One lease per loaded workshop
//! (`workshop:<id>`: creating documents, aggregates, the purge) and one for the retention
//! sweep (`sweep`). The table is made by the store's migrations.
//!
//! A holder counts itself as holding only until a renewal it *started* plus the lease's time,
//! less a margin, has passed (see `workshop::lease_loop`), measured on its own monotonic clock:
//! so it stops acting before the database lets anyone else take over, whatever the clocks say.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_postgres::{Client, NoTls, Statement};

/// Why a lease could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("leases: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("leases: {0}")]
    Config(String),
}

/// This node's connection for leases (its own, so a busy store never delays a renewal).
pub struct Leases {
    config: tokio_postgres::Config,
    node: String,
    conn: Mutex<Arc<Conn>>,
}

/// The connection with its two statements, prepared once: a renewal is one round trip.
struct Conn {
    client: Client,
    hold: Statement,
    release: Statement,
}

async fn open_conn(config: &tokio_postgres::Config) -> Result<Conn, LeaseError> {
    let client = connect(config).await?;
    let hold = client
        .prepare(
            "INSERT INTO leases (name, holder, expires_at)
             VALUES ($1, $2, now() + make_interval(secs => $3))
             ON CONFLICT (name) DO UPDATE
               SET holder = excluded.holder, expires_at = excluded.expires_at
               WHERE leases.holder = excluded.holder OR leases.expires_at < now()
             RETURNING holder",
        )
        .await?;
    let release = client
        .prepare("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .await?;
    Ok(Conn {
        client,
        hold,
        release,
    })
}

async fn connect(config: &tokio_postgres::Config) -> Result<Client, LeaseError> {
    let (client, connection) = config.connect(NoTls).await?;
    // The connection's IO runs on its own task and ends with the client (or the server).
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "lease connection ended");
        }
    });
    Ok(client)
}

impl Leases {
    pub async fn open(url: &str, node: &str) -> Result<Self, LeaseError> {
        let mut config =
            tokio_postgres::Config::from_str(url).map_err(|e| LeaseError::Config(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("kring-server leases");
        let conn = open_conn(&config).await?;
        Ok(Self {
            config,
            node: node.to_owned(),
            conn: Mutex::new(Arc::new(conn)),
        })
    }

    /// The connection, opened again when the server closed it.
    async fn conn(&self) -> Result<Arc<Conn>, LeaseError> {
        let current = Arc::clone(&self.conn.lock().expect("lease lock poisoned"));
        if !current.client.is_closed() {
            return Ok(current);
        }
        let fresh = Arc::new(open_conn(&self.config).await?);
        *self.conn.lock().expect("lease lock poisoned") = Arc::clone(&fresh);
        Ok(fresh)
    }

    /// Takes or renews `name` for `ttl`; answers whether this node holds it now.
    pub async fn hold(&self, name: &str, ttl: Duration) -> Result<bool, LeaseError> {
        let c = self.conn().await?;
        let row = c
            .client
            .query_opt(&c.hold, &[&name, &self.node, &ttl.as_secs_f64()])
            .await?;
        Ok(row.is_some())
    }

    /// Gives `name` up at once (a workshop unloading, a node draining), if this node holds it.
    pub async fn release(&self, name: &str) -> Result<(), LeaseError> {
        let c = self.conn().await?;
        c.client.execute(&c.release, &[&name, &self.node]).await?;
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        match self.conn().await {
            Ok(c) => c.client.simple_query("SELECT 1").await.is_ok(),
            Err(_) => false,
        }
    }
}
