//! The accept loop, in place of `axum::serve`, for what that does not offer: a time limit on
//! reading a request's headers and a cap on open TCP connections per address, both enforced from
//! the moment a socket is accepted. Without them, a client that opens a thousand sockets and
//! sends one header byte every few seconds holds a thousand file handles until the process can
//! accept nothing at all.
//!
//! - Over the per-address cap a new socket is closed at once (counted as a refusal).
//! - hyper closes a connection whose headers are not complete within the header timeout.
//! - An accept error (out of file handles) is logged and retried after a short pause; the loop
//!   never stops serving the addresses that still fit.
//! - HTTP/1.1 with upgrades (the `/sync` WebSocket); `ConnectInfo` carries the peer address as
//!   with `axum::serve`.
//! - With TLS (`--tls-cert`), the handshake runs in the connection's own task and must finish
//!   within the header timeout too.
//! - On shutdown: stop accepting, ask every connection to finish its request, wait for them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::abuse::Guard;
use crate::metrics::Metrics;

/// Serves `router` on `listener` until `cancel`, then drains the open connections.
pub async fn accept_loop(
    listener: TcpListener,
    router: Router,
    guard: Arc<Guard>,
    metrics: Arc<Metrics>,
    tls: Option<Arc<rustls::ServerConfig>>,
    cancel: CancellationToken,
) {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            a = listener.accept() => a,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Typically EMFILE: out of file handles. Pause so the loop does not spin, and
                // go on: the sockets that hold them time out or finish.
                tracing::warn!(error = %e, "accept error");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = guard.socket(addr.ip()) else {
            metrics.refusals.inc();
            tracing::debug!(addr = %addr.ip(), "socket refused: too many open from this address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceBuilder::new()
            .map_request(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(addr));
                    req
                },
            )
            .service(router.clone());
        let header_timeout = guard.limits.header_timeout;
        let cancel = cancel.clone();
        let tls = tls.clone();
        // Each connection's task runs in the span `run` was called in (the node's, with
        // `--node-id`), so every log line of a request or a workshop names the node.
        let span = tracing::Span::current();
        connections.spawn(tracing::Instrument::instrument(
            async move {
                let _slot = slot;
                let Some(tls) = tls else {
                    return serve_connection(stream, service, header_timeout, cancel).await;
                };
                match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        serve_connection(stream, service, header_timeout, cancel).await
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            },
            span,
        ));
    }
    connections.close();
    connections.wait().await;
}

/// One HTTP/1.1 connection (with upgrades) over a plain or TLS stream, until it ends or the
/// server shuts down.
async fn serve_connection<I, S>(
    io: I,
    service: S,
    header_timeout: Duration,
    cancel: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            axum::extract::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let conn = builder
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
