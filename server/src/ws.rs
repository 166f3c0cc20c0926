//! The `/sync` WebSocket: authenticates at the upgrade, performs the automerge-repo handshake,
//! then shuttles frames between the socket and the workshop task.
//!
//! The peer's identity (role, participant) comes from the token in the upgrade request and is
//! bound for the life of the connection; nothing a client says later can change it. Protocol
//! violations end the connection with an `error` message and a close code saying why.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use kring_shared::ids::{DocumentId, PeerId};
use kring_shared::limits::MAX_FRAME_BYTES;
use kring_shared::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::AppState;
use crate::abuse::ConnectionSlot;
use crate::api::{authenticate, registry_error};
use crate::error::ApiError;
use crate::metrics::Stage;
use crate::store::TokenRow;
use crate::workshop::{Command, Outgoing, SERVER_PEER_PREFIX, server_peer_id};

/// How many bytes a socket read asks for. tungstenite zero-fills this much of its read buffer
/// before *every* read attempt (also one that finds nothing): at its default of 128 KiB that
/// memset was an eighth of the server's CPU in the plenary. A frame larger than this is read in
/// several chunks; its length is reserved once its header is known.
pub const READ_CHUNK: usize = 8 * 1024;

/// How long a new connection may take to send `join`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Close codes (RFC 6455 §7.4.1).
mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const UNSUPPORTED: u16 = 1003;
    pub const INVALID: u16 = 1007;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN: u16 = 1013;
}

#[derive(Deserialize)]
pub struct SyncQuery {
    token: Option<String>,
}

/// `GET /sync?token=…`
pub async fn upgrade(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<SyncQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let who = authenticate(&app, q.token.as_deref()).await?;
    // Held for the life of the connection; dropping it (also when the upgrade fails) frees it.
    let Some(slot) = app.guard.connect(addr.ip()) else {
        app.metrics.refusals.inc();
        tracing::warn!(addr = %addr.ip(), "connection refused: too many from this address");
        return Err(ApiError::TooManyRequests(format!(
            "this address already has {} open connections; close some and try again",
            app.guard.limits.connections_per_addr
        )));
    };
    // Load the workshop now, so a missing one is a 404 rather than a dropped socket.
    app.registry
        .get(who.workshop_id)
        .await
        .map_err(registry_error)?;
    let span = tracing::info_span!("conn", workshop = %who.workshop_id, role = ?who.role);
    Ok(ws
        // Tungstenite's own cap is four times ours, so that a message over the limit (up to
        // 4 MiB) reaches our check and gets close 1009 with a reason instead of a bare error.
        .max_message_size(MAX_FRAME_BYTES * 4)
        .max_frame_size(MAX_FRAME_BYTES * 4)
        .read_buffer_size(READ_CHUNK)
        .on_upgrade(move |socket| connection(app, who, socket, slot).instrument(span)))
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        // Close reasons are limited to 123 bytes.
        reason: reason.chars().take(120).collect::<String>().into(),
    };
    // The peer may be gone already; the connection ends either way.
    if socket.send(WsMessage::Close(Some(frame))).await.is_err() {
        return;
    }
    // Read (and drop) what the peer still sends until it answers the close, briefly: closing
    // the socket with unread bytes in it makes the kernel send a reset, and a reset can take the
    // close frame with it, so a flooding client would see 1006 instead of the reason.
    let _ = tokio::time::timeout(CLOSE_DRAIN, async {
        while let Some(Ok(frame)) = socket.recv().await {
            if matches!(frame, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// How long a closing connection waits for the peer's close answer.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);

async fn send_error(socket: &mut WebSocket, server: &PeerId, message: String) {
    let m = Message::Error {
        sender_id: Some(server.clone()),
        target_id: None,
        message,
        document_id: None,
    };
    let _ = socket.send(WsMessage::Binary(m.encode().into())).await;
}

/// Decodes one frame, or says why it is refused (close code and reason).
fn decode_frame(frame: WsMessage) -> Result<Option<Message>, (u16, String)> {
    match frame {
        WsMessage::Binary(bytes) => {
            if bytes.len() > MAX_FRAME_BYTES {
                return Err((
                    close::TOO_BIG,
                    format!(
                        "message of {} bytes is over the limit of {MAX_FRAME_BYTES}",
                        bytes.len()
                    ),
                ));
            }
            Message::decode(&bytes)
                .map(Some)
                .map_err(|e| (close::INVALID, format!("invalid message: {e}")))
        }
        WsMessage::Text(_) => Err((
            close::UNSUPPORTED,
            "text frames are not part of the protocol; send CBOR in binary frames".into(),
        )),
        WsMessage::Ping(_) | WsMessage::Pong(_) => Ok(None),
        WsMessage::Close(_) => Err((close::NORMAL, String::new())),
    }
}

async fn connection(app: AppState, who: TokenRow, mut socket: WebSocket, _slot: ConnectionSlot) {
    app.metrics.connections.inc();
    let server = server_peer_id(who.workshop_id);
    static NEXT_CONN: AtomicU64 = AtomicU64::new(1);
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    if let Some((peer, outbox)) = handshake(&app, &who, &server, conn, &mut socket).await {
        serve(&app, &who, &server, &peer, outbox, &mut socket).await;
        // Tell the workshop; if it is gone there is nothing to tell.
        if let Ok(h) = app.registry.get(who.workshop_id).await {
            let _ = h.commands.send(Command::Disconnect { peer, conn }).await;
        }
    }
    app.metrics.connections.dec();
}

/// Waits for `join`, answers `peer`. Returns the client's peer id.
async fn handshake(
    app: &AppState,
    who: &TokenRow,
    server: &PeerId,
    conn: u64,
    socket: &mut WebSocket,
) -> Option<(PeerId, Outbox)> {
    let first = match tokio::time::timeout(JOIN_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(frame))) => frame,
        Ok(Some(Err(e))) => {
            tracing::info!(error = %e, "connection failed before join");
            close_with(socket, close::TOO_BIG, "message too large").await;
            return None;
        }
        Ok(None) => return None,
        Err(_) => {
            close_with(socket, close::POLICY, "expected `join` within 10 seconds").await;
            return None;
        }
    };
    let (sender_id, versions) = match decode_frame(first) {
        Ok(Some(Message::Join {
            sender_id,
            supported_protocol_versions,
            ..
        })) => (sender_id, supported_protocol_versions),
        Ok(_) => {
            send_error(socket, server, "the first message must be `join`".into()).await;
            close_with(socket, close::POLICY, "the first message must be `join`").await;
            return None;
        }
        Err((code, reason)) => {
            send_error(socket, server, reason.clone()).await;
            close_with(socket, code, &reason).await;
            return None;
        }
    };
    // The server's own peer id (and anything that looks like one) is reserved: presence and
    // progress from it are trusted by every browser.
    if sender_id == *server || sender_id.0.starts_with(SERVER_PEER_PREFIX) {
        let reason = format!("peer id `{sender_id}` is reserved for the server");
        app.metrics.refusals.inc();
        tracing::warn!(%reason, "refused join");
        send_error(socket, server, reason.clone()).await;
        close_with(socket, close::POLICY, &reason).await;
        return None;
    }
    if !versions.iter().any(|v| v == PROTOCOL_VERSION) {
        let reason =
            format!("unsupported protocol versions {versions:?}; this server speaks \"1\"");
        send_error(socket, server, reason.clone()).await;
        close_with(socket, close::POLICY, &reason).await;
        return None;
    }
    let (outbox_tx, outbox_rx) = mpsc::channel(app.guard.limits.outbox_frames.max(1));
    let queued = Arc::new(AtomicUsize::new(0));
    let (reply, answer) = oneshot::channel();
    let principal = who.principal();
    let connect = Command::Connect {
        peer: sender_id.clone(),
        conn,
        principal,
        outbox: outbox_tx,
        queued: Arc::clone(&queued),
        reply,
    };
    if app.registry.send(who.workshop_id, connect).await.is_err() {
        close_with(socket, close::TRY_AGAIN, "workshop unavailable").await;
        return None;
    }
    match answer.await {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => {
            send_error(socket, server, reason.clone()).await;
            close_with(socket, close::POLICY, &reason).await;
            return None;
        }
        Err(_) => {
            close_with(socket, close::TRY_AGAIN, "workshop unavailable").await;
            return None;
        }
    }
    let peer = Message::Peer {
        sender_id: server.clone(),
        target_id: sender_id.clone(),
        selected_protocol_version: PROTOCOL_VERSION.into(),
        peer_metadata: Some(PeerMetadata {
            storage_id: None,
            is_ephemeral: false,
        }),
    };
    if socket
        .send(WsMessage::Binary(peer.encode().into()))
        .await
        .is_err()
    {
        return None;
    }
    tracing::info!(peer = %sender_id, "joined");
    Some((
        sender_id,
        Outbox {
            frames: outbox_rx,
            queued,
        },
    ))
}

/// What the workshop queued for this connection, with the byte count it keeps of it.
struct Outbox {
    frames: mpsc::Receiver<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// The connected loop: frames from the socket go to the workshop, frames from the workshop go
/// to the socket, until either side ends or the server shuts down.
async fn serve(
    app: &AppState,
    who: &TokenRow,
    server: &PeerId,
    peer: &PeerId,
    mut outbox: Outbox,
    socket: &mut WebSocket,
) {
    let Ok(workshop) = app.registry.get(who.workshop_id).await else {
        close_with(socket, close::TRY_AGAIN, "workshop unavailable").await;
        return;
    };
    let limits = &app.guard.limits;
    let mut budget = app.guard.message_bucket();
    let mut ephemeral_budget = app.guard.ephemeral_bucket();
    let mut documents: HashSet<DocumentId> = HashSet::new();
    loop {
        tokio::select! {
            _ = app.shutdown.cancelled() => {
                close_with(socket, close::GOING_AWAY, "server shutting down").await;
                return;
            }
            out = outbox.frames.recv() => match out {
                Some(Outgoing::Frame { bytes, stamp }) => {
                    outbox.queued.fetch_sub(bytes.len(), Ordering::Relaxed);
                    let frame = WsMessage::Binary(bytes);
                    match tokio::time::timeout(limits.send_timeout, socket.send(frame)).await {
                        Ok(Ok(())) => {
                            if let Some(stamp) = stamp {
                                app.metrics.observe(Stage::Written, &stamp, Instant::now());
                            }
                        }
                        Ok(Err(_)) => return,
                        Err(_) => {
                            // The client stopped reading: its socket buffers are full. Drop it
                            // (and the frames queued for it) instead of holding them.
                            app.metrics.slow_consumers.inc();
                            tracing::warn!(%peer, "client not reading; disconnecting");
                            return;
                        }
                    }
                }
                Some(Outgoing::Close(reason)) => {
                    close_with(socket, close::TRY_AGAIN, &reason).await;
                    return;
                }
                None => {
                    close_with(socket, close::POLICY, "too slow: the connection fell too far behind").await;
                    return;
                }
            },
            incoming = socket.recv() => {
                // The one clock read per frame: its latency histograms start here.
                let received = Instant::now();
                let frame = match incoming {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => {
                        tracing::info!(error = %e, "socket error");
                        close_with(socket, close::TOO_BIG, "message too large or malformed frame").await;
                        return;
                    }
                    None => return,
                };
                let message = match decode_frame(frame) {
                    Ok(Some(m)) => m,
                    Ok(None) => continue,
                    Err((close::NORMAL, _)) => return,
                    Err((code, reason)) => {
                        app.metrics.refusals.inc();
                        tracing::warn!(%peer, %reason, "refused frame");
                        send_error(socket, server, reason.clone()).await;
                        close_with(socket, code, &reason).await;
                        return;
                    }
                };
                app.metrics.messages_in.inc();
                let over = over_limit(limits, &mut budget, &mut documents, &message).or_else(|| {
                    (matches!(message, Message::Ephemeral { .. }) && !ephemeral_budget.take()).then(|| {
                        format!(
                            "too many ephemeral messages: more than {} per second",
                            limits.ephemeral_per_sec
                        )
                    })
                });
                if let Some(reason) = over {
                    app.metrics.refusals.inc();
                    tracing::warn!(%peer, %reason, "connection over its limits; closing");
                    send_error(socket, server, reason.clone()).await;
                    close_with(socket, close::POLICY, &reason).await;
                    return;
                }
                if let Some(claimed) = claimed_sender(&message).filter(|c| *c != peer) {
                    let reason = format!("senderId `{claimed}` is not this connection's peer id `{peer}`");
                    app.metrics.refusals.inc();
                    tracing::warn!(%peer, %reason, "refused frame");
                    send_error(socket, server, reason.clone()).await;
                    close_with(socket, close::POLICY, &reason).await;
                    return;
                }
                if matches!(message, Message::Leave { .. }) {
                    close_with(socket, close::NORMAL, "bye").await;
                    return;
                }
                let cmd = Command::Receive { peer: peer.clone(), message, received };
                if workshop.commands.send(cmd).await.is_err() {
                    close_with(socket, close::TRY_AGAIN, "workshop unavailable").await;
                    return;
                }
            }
        }
    }
}

/// Whether a message takes a connection over its message rate or its number of documents.
fn over_limit(
    limits: &crate::abuse::Limits,
    budget: &mut crate::abuse::MessageBudget,
    documents: &mut HashSet<DocumentId>,
    message: &Message,
) -> Option<String> {
    if !budget.take() {
        return Some(format!(
            "too many messages: more than {} per second (burst {})",
            limits.messages_per_sec, limits.message_burst
        ));
    }
    let doc = match message {
        Message::Request(d) | Message::Sync(d) => Some(d.document_id),
        Message::Ephemeral { document_id, .. } => Some(*document_id),
        _ => None,
    };
    if let Some(doc) = doc
        && documents.len() >= limits.documents_per_connection
        && !documents.contains(&doc)
    {
        return Some(format!(
            "too many documents: one connection may open at most {}",
            limits.documents_per_connection
        ));
    }
    documents.extend(doc);
    None
}

/// The `senderId` a message claims, where it has one.
fn claimed_sender(m: &Message) -> Option<&PeerId> {
    match m {
        Message::Join { sender_id, .. }
        | Message::Peer { sender_id, .. }
        | Message::DocUnavailable { sender_id, .. }
        | Message::Ephemeral { sender_id, .. }
        | Message::Leave { sender_id } => Some(sender_id),
        Message::Request(d) | Message::Sync(d) => Some(&d.sender_id),
        Message::Error { sender_id, .. } => sender_id.as_ref(),
        Message::Unknown { .. } => None,
    }
}
