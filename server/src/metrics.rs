//! Prometheus metrics: a few counters and gauges, written out in the text exposition format.
//! Hand-rolled because Kring needs eight numbers, not a metrics framework.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};

/// A counter or gauge.
#[derive(Default)]
pub struct Metric(AtomicI64);

impl Metric {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Default)]
pub struct Metrics {
    pub connections: Metric,
    pub workshops_loaded: Metric,
    pub messages_in: Metric,
    pub messages_out: Metric,
    pub refusals: Metric,
    pub slow_consumers: Metric,
    pub workshops_created: Metric,
    pub participants_joined: Metric,
}

impl Metrics {
    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let rows: [(&str, &str, &str, &Metric); 8] = [
            (
                "kring_connections",
                "gauge",
                "open WebSocket connections",
                &self.connections,
            ),
            (
                "kring_workshops_loaded",
                "gauge",
                "workshops held in memory",
                &self.workshops_loaded,
            ),
            (
                "kring_messages_in_total",
                "counter",
                "protocol messages received",
                &self.messages_in,
            ),
            (
                "kring_messages_out_total",
                "counter",
                "protocol messages sent",
                &self.messages_out,
            ),
            (
                "kring_refusals_total",
                "counter",
                "messages refused (access, schema, limits)",
                &self.refusals,
            ),
            (
                "kring_slow_consumers_total",
                "counter",
                "peers disconnected for not keeping up",
                &self.slow_consumers,
            ),
            (
                "kring_workshops_created_total",
                "counter",
                "workshops created",
                &self.workshops_created,
            ),
            (
                "kring_participants_joined_total",
                "counter",
                "participants joined",
                &self.participants_joined,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, m) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                m.get()
            );
        }
        out
    }
}
