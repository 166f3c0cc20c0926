//! The retention sweep: a task that wakes every [`Policy::every`] and
//! - has every workshop that has been closed for the grace period and still holds reflection
//!   documents run a turn, in which its task purges them (see `workshop.rs`) — this catches
//!   workshops whose grace period ends while nobody uses them, and a purge a crash interrupted;
//! - deletes every workshop unused for [`Policy::idle_delete`] (tokens, documents, everything);
//! - deletes every collaboration unused for as long — its page and every session count — with
//!   its sessions (a session of a collaboration in use is kept, however long it is idle itself).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cluster::Cluster;
use crate::registry::Registry;
use crate::store::Store;
use crate::workshop::{Command, now_ms};

/// How long data is kept.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub purge_grace: Duration,
    /// `Duration::ZERO`: never delete idle workshops.
    pub idle_delete: Duration,
    pub every: Duration,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Runs until `shutdown` is cancelled. With several nodes only the holder of the `sweep` lease
/// sweeps (the lease lasts a whole interval, so two nodes never sweep at once).
pub async fn sweep(
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    policy: Policy,
    cluster: Option<Arc<Cluster>>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(policy.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Some(c) = &cluster {
            match c
                .leases
                .hold(SWEEP_LEASE, policy.every.max(c.lease_ttl))
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "retention sweep: lease unknown; not sweeping");
                    continue;
                }
            }
        }
        sweep_once(&*store, &registry, policy, now_ms()).await;
    }
}

/// The lease of the retention sweep.
const SWEEP_LEASE: &str = "sweep";

/// One pass of the sweep at time `now` (ms). Errors are logged; the next pass tries again.
pub async fn sweep_once(store: &dyn Store, registry: &Registry, policy: Policy, now: i64) {
    match store
        .closed_with_reflections(now.saturating_sub(ms(policy.purge_grace)))
        .await
    {
        Ok(ids) => {
            for id in ids {
                let (reply, answer) = tokio::sync::oneshot::channel();
                match registry.send(id, Command::Maintain { reply }).await {
                    // The turn that answers has run the purge.
                    Ok(()) => {
                        let _ = answer.await;
                    }
                    Err(e) => {
                        tracing::warn!(workshop = %id, error = %e, "purge: workshop unavailable")
                    }
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "retention sweep: cannot list closed workshops"),
    }
    if policy.idle_delete.is_zero() {
        return;
    }
    let cutoff = now.saturating_sub(ms(policy.idle_delete));
    match store.idle_workshops(cutoff).await {
        Ok(ids) => {
            for id in ids {
                match registry.delete(id, false, cutoff).await {
                    Ok(true) => tracing::info!(workshop = %id, "idle workshop deleted"),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(workshop = %id, error = %e, "idle workshop not deleted")
                    }
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "retention sweep: cannot list idle workshops"),
    }
    match store.idle_collaborations(cutoff).await {
        Ok(ids) => {
            for id in ids {
                match crate::collaboration::delete(store, registry, id, false, cutoff).await {
                    Ok(true) => tracing::info!(collaboration = %id, "idle collaboration deleted"),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(collaboration = %id, error = %e, "idle collaboration not deleted")
                    }
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "retention sweep: cannot list idle collaborations"),
    }
}
