//! Several nodes (`--nats nats://…`): what one node accepted reaches the others, and work that
//! must happen once per workshop runs on one node at a time. Absent `--nats`, none of this runs
//! and a single node works exactly as before.
//!
//! PostgreSQL is the truth; NATS only tells. A workshop task makes its turn durable in the store
//! first, as on a single node, and then publishes what the turn wrote (new documents, changes,
//! purged documents) on JetStream under `<prefix>.changes.<workshop>`. Every node that has the
//! workshop loaded consumes that subject with an ordered consumer created *before* it read the
//! workshop from the store, so a change is either in what it read or in what it consumes
//! (applying a change twice changes nothing). It applies them without checking access (the
//! node that accepted them checked) and fans them out to its own peers. Ephemeral messages
//! (drags) go over core NATS (`<prefix>.eph.<workshop>`), never stored. Whenever the feed is in
//! doubt — a gap, an error, a reconnect to NATS — the task reads the workshop from the store
//! again and merges it.
//!
//! Layout: [`codec`] encodes what goes over NATS; [`lease`] holds the leases in PostgreSQL.

pub mod codec;
pub mod lease;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use futures_util::StreamExt;
use kring_shared::ids::WorkshopId;
use kring_shared::presence::Presence;
use tokio::sync::watch;

use crate::workshop::core::{Relay, Replica};

/// The header that names the node a message comes from (a node skips its own).
const NODE_HEADER: &str = "Kring-Node";
/// The header of the message that says a workshop was deleted (its payload is empty).
const DELETED_HEADER: &str = "Kring-Deleted";
/// The header of the message a node sends when it was cut off from NATS: what it stored
/// meanwhile reached nobody, so every node reads the workshop from the store again.
const REREAD_HEADER: &str = "Kring-Reread";

/// How long JetStream keeps published changes: long enough for an ordered consumer to resume
/// after a short NATS outage; anything older is read from the store.
const STREAM_MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// How long a turn waits for JetStream to store its changes before it goes on without.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// How `--nats` is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// `nats://host:4222`.
    pub url: String,
    /// Subjects start with it and the stream is named after it, so several deployments (or
    /// tests) can share one NATS server. Letters, digits, `-` and `_` only.
    pub prefix: String,
    /// This node's name in logs, metrics, messages and leases.
    pub node: String,
    /// How long a lease lasts unless renewed; its holder renews it every third of that.
    pub lease_ttl: Duration,
    /// The PostgreSQL URL (`--database`), where the leases are.
    pub database: String,
}

/// Why the cluster could not start or a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{0}")]
    Config(String),
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("NATS: {0}")]
    Nats(String),
    #[error(transparent)]
    Lease(#[from] lease::LeaseError),
}

fn nats_error(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Nats(e.to_string())
}

/// This node's connection to the others.
pub struct Cluster {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: jetstream::stream::Stream,
    prefix: String,
    node: Arc<str>,
    /// Counts reconnects to NATS: every loaded workshop reloads from the store when it moves.
    reconnects: watch::Receiver<u64>,
    pub leases: lease::Leases,
    pub lease_ttl: Duration,
}

/// Whether `prefix` can be a subject token and (upper-cased) a stream name.
fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Cluster {
    /// Connects to NATS, makes sure the changes stream exists and opens the leases.
    pub async fn connect(options: Options) -> Result<Arc<Self>, ClusterError> {
        if !valid_prefix(&options.prefix) {
            return Err(ClusterError::Config(format!(
                "--nats-prefix `{}` may hold only letters, digits, `-` and `_`",
                options.prefix
            )));
        }
        let (tx, reconnects) = watch::channel(0u64);
        let client = async_nats::ConnectOptions::new()
            .name(format!("kring-server {}", options.node))
            .connection_timeout(Duration::from_secs(10))
            // Changes published while NATS is away are lost to the other nodes (they reload
            // from the store on reconnect); never queue them without bound.
            .client_capacity(4096)
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            tracing::info!("NATS connected");
                            tx.send_modify(|n| *n += 1);
                        }
                        async_nats::Event::Disconnected => tracing::warn!("NATS disconnected"),
                        other => tracing::info!(event = %other, "NATS"),
                    }
                }
            })
            .connect(options.url.as_str())
            .await
            .map_err(|e| ClusterError::Connect {
                url: options.url.clone(),
                reason: e.to_string(),
            })?;
        let js = jetstream::new(client.clone());
        let config = jetstream::stream::Config {
            name: format!("{}_CHANGES", options.prefix.to_uppercase()),
            subjects: vec![format!("{}.changes.>", options.prefix)],
            // On disk, so a NATS restart keeps the stream and the consumers resume; its
            // messages only live for `STREAM_MAX_AGE`.
            storage: jetstream::stream::StorageType::File,
            max_age: STREAM_MAX_AGE,
            ..Default::default()
        };
        let stream = js
            .get_or_create_stream(config.clone())
            .await
            .map_err(nats_error)?;
        // A NATS server that lost its store (a new machine) lost the stream: make it again
        // after every reconnect, before the workshops read the store and publish again.
        let mut watch = reconnects.clone();
        let again = js.clone();
        tokio::spawn(async move {
            while watch.changed().await.is_ok() {
                if let Err(e) = again.get_or_create_stream(config.clone()).await {
                    tracing::warn!(error = %e, "changes stream not made again after reconnecting");
                }
            }
        });
        let leases = lease::Leases::open(&options.database, &options.node).await?;
        tracing::info!(node = %options.node, prefix = %options.prefix, "cluster joined");
        Ok(Arc::new(Self {
            client,
            js,
            stream,
            prefix: options.prefix,
            node: Arc::from(options.node),
            reconnects,
            leases,
            lease_ttl: options.lease_ttl,
        }))
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether NATS is connected now (for `/readyz`).
    pub fn nats_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    fn changes_subject(&self, workshop: WorkshopId) -> String {
        format!("{}.changes.{workshop}", self.prefix)
    }

    fn ephemeral_subject(&self, workshop: WorkshopId) -> String {
        format!("{}.eph.{workshop}", self.prefix)
    }

    fn presence_subject(&self, workshop: WorkshopId) -> String {
        format!("{}.presence.{workshop}", self.prefix)
    }

    fn headers(&self) -> async_nats::HeaderMap {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(NODE_HEADER, self.node.as_ref());
        headers
    }

    /// Starts listening to a workshop's changes and ephemeral messages. Call it *before* the
    /// workshop is read from the store.
    pub async fn subscribe(&self, workshop: WorkshopId) -> Result<Feed, ClusterError> {
        let consumer = self
            .stream
            .create_consumer(jetstream::consumer::push::OrderedConfig {
                deliver_subject: self.client.new_inbox(),
                filter_subject: self.changes_subject(workshop),
                deliver_policy: jetstream::consumer::DeliverPolicy::New,
                ..Default::default()
            })
            .await
            .map_err(nats_error)?;
        let changes = consumer.messages().await.map_err(nats_error)?;
        let ephemeral = self
            .client
            .subscribe(self.ephemeral_subject(workshop))
            .await
            .map_err(nats_error)?;
        let presence = self
            .client
            .subscribe(self.presence_subject(workshop))
            .await
            .map_err(nats_error)?;
        // Only reconnects from now on are a doubt: what came before is in what the caller reads.
        let mut reconnects = self.reconnects.clone();
        reconnects.mark_unchanged();
        Ok(Feed {
            changes,
            ephemeral,
            presence,
            node: Arc::clone(&self.node),
            reconnects,
            ended: [false; 4],
        })
    }

    /// Tells the other nodes what a turn wrote, once it is durable in the store, and waits until
    /// JetStream has stored the message too: only then may a peer hear of it (see the
    /// workshop task), so a change anyone saw acknowledged reaches every other node even when
    /// this one dies right after. `payload` is [`codec::encode_replica`] of the turn's write.
    ///
    /// A failure (NATS away) is logged and the turn goes on: the change is in the store, and
    /// every node reads the store again when it reconnects to NATS.
    pub async fn publish(&self, workshop: WorkshopId, payload: Vec<u8>) {
        if !self.nats_connected() {
            // Waiting would stall every turn while NATS is away; this node asks everyone to
            // read the store again once it is back (see `publish_reread`).
            tracing::debug!(%workshop, "NATS away: change not published");
            return;
        }
        let subject = self.changes_subject(workshop);
        let sent = async {
            self.js
                .publish_with_headers(subject, self.headers(), payload.into())
                .await
                .map_err(nats_error)?
                .await
                .map_err(nats_error)
        };
        match tokio::time::timeout(PUBLISH_TIMEOUT, sent).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(%workshop, error = %e, "change not published"),
            Err(_) => tracing::warn!(%workshop, "change not published: JetStream did not answer"),
        }
    }

    /// Asks every node with the workshop loaded to read it from the store again (this node was
    /// cut off from NATS and may have stored changes nobody heard of).
    pub async fn publish_reread(&self, workshop: WorkshopId) {
        let mut headers = self.headers();
        headers.insert(REREAD_HEADER, "1");
        if let Err(e) = self
            .js
            .publish_with_headers(self.changes_subject(workshop), headers, Vec::new().into())
            .await
        {
            tracing::warn!(%workshop, error = %e, "reread request not published");
        }
    }

    /// Tells the other nodes a workshop was deleted, so they stop serving it (best effort: a
    /// node that misses it fails its next write to the workshop and unloads it then).
    pub async fn publish_deleted(&self, workshop: WorkshopId) {
        let mut headers = self.headers();
        headers.insert(DELETED_HEADER, "1");
        let sent = async {
            self.js
                .publish_with_headers(self.changes_subject(workshop), headers, Vec::new().into())
                .await
                .map_err(nats_error)?
                .await
                .map_err(nats_error)
        };
        match tokio::time::timeout(PUBLISH_TIMEOUT, sent).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(%workshop, error = %e, "deletion not published"),
            Err(_) => tracing::warn!(%workshop, "deletion not published: JetStream did not answer"),
        }
    }

    /// Tells the other nodes who is connected to a workshop here (core NATS; repeated by the
    /// workshop task, so a lost message only delays it).
    pub async fn publish_presence(&self, workshop: WorkshopId, presence: &Presence) {
        if let Err(e) = self
            .client
            .publish_with_headers(
                self.presence_subject(workshop),
                self.headers(),
                presence.encode().into(),
            )
            .await
        {
            tracing::debug!(%workshop, error = %e, "presence not published");
        }
    }

    /// Relays ephemeral messages local peers sent to the other nodes (core NATS: best effort).
    pub async fn relay(&self, workshop: WorkshopId, relays: &[Relay]) {
        for r in relays {
            let payload = codec::encode_relay(r);
            if let Err(e) = self
                .client
                .publish_with_headers(
                    self.ephemeral_subject(workshop),
                    self.headers(),
                    payload.into(),
                )
                .await
            {
                tracing::debug!(%workshop, error = %e, "ephemeral message not relayed");
            }
        }
    }

    /// Sends whatever is buffered (a node draining before it stops).
    pub async fn flush(&self) {
        if let Err(e) = self.client.flush().await {
            tracing::warn!(error = %e, "NATS flush failed");
        }
    }
}

/// What a workshop hears from the other nodes.
#[derive(Debug)]
pub enum Heard {
    Replica(Replica),
    Ephemeral(Relay),
    /// Another node deleted the workshop.
    Deleted,
    /// Who is connected to the workshop on another node.
    Presence {
        node: String,
        presence: Presence,
    },
    /// Something may have been missed: reload from the store; and when this node was cut off
    /// from NATS (`tell_others`), ask the others to do the same.
    Doubt {
        why: String,
        tell_others: bool,
    },
}

fn doubt(why: &str, tell_others: bool) -> Heard {
    Heard::Doubt {
        why: why.to_owned(),
        tell_others,
    }
}

/// One workshop's subscriptions.
pub struct Feed {
    changes: jetstream::consumer::push::Ordered,
    ephemeral: async_nats::Subscriber,
    presence: async_nats::Subscriber,
    node: Arc<str>,
    reconnects: watch::Receiver<u64>,
    /// Which of changes, ephemeral, reconnects and presence ended (never polled again).
    ended: [bool; 4],
}

impl Feed {
    fn sent_by_me(&self, headers: Option<&async_nats::HeaderMap>) -> bool {
        headers
            .and_then(|h| h.get(NODE_HEADER))
            .is_some_and(|n| n.as_str() == self.node.as_ref())
    }

    /// The next thing heard from another node. Cancel-safe (for `select!`).
    pub async fn next(&mut self) -> Heard {
        loop {
            tokio::select! {
                m = self.changes.next(), if !self.ended[0] => match m {
                    Some(Ok(m)) => {
                        if self.sent_by_me(m.headers.as_ref()) {
                            continue;
                        }
                        let header = |name| m.headers.as_ref().is_some_and(|h| h.get(name).is_some());
                        if header(DELETED_HEADER) {
                            return Heard::Deleted;
                        }
                        if header(REREAD_HEADER) {
                            return doubt("another node was cut off from NATS", false);
                        }
                        return match codec::decode_replica(&m.payload) {
                            Ok(r) => Heard::Replica(r),
                            Err(e) => doubt(&format!("undecodable change: {e}"), false),
                        };
                    }
                    Some(Err(e)) => return doubt(&format!("changes feed: {e}"), false),
                    None => {
                        self.ended[0] = true;
                        return doubt("the changes feed ended", false);
                    }
                },
                m = self.ephemeral.next(), if !self.ended[1] => match m {
                    Some(m) => {
                        if self.sent_by_me(m.headers.as_ref()) {
                            continue;
                        }
                        match codec::decode_relay(&m.payload) {
                            Ok(r) => return Heard::Ephemeral(r),
                            Err(e) => tracing::debug!(error = %e, "undecodable ephemeral message"),
                        }
                    }
                    None => self.ended[1] = true,
                },
                m = self.presence.next(), if !self.ended[3] => match m {
                    Some(m) => {
                        if self.sent_by_me(m.headers.as_ref()) {
                            continue;
                        }
                        let node = m
                            .headers
                            .as_ref()
                            .and_then(|h| h.get(NODE_HEADER))
                            .map(|n| n.as_str().to_owned());
                        if let (Some(node), Some(presence)) = (node, Presence::decode(&m.payload)) {
                            return Heard::Presence { node, presence };
                        }
                    }
                    None => self.ended[3] = true,
                },
                changed = self.reconnects.changed(), if !self.ended[2] => {
                    if changed.is_err() {
                        self.ended[2] = true;
                        continue;
                    }
                    return doubt("reconnected to NATS", true);
                }
                else => std::future::pending::<()>().await,
            }
        }
    }
}
