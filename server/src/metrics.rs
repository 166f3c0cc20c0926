//! Prometheus metrics at `/metrics`, in the OpenMetrics text format (`prometheus-client`): the
//! counters and gauges the server always had, and three latency histograms that follow a frame
//! from the socket loop to the store, to every subscriber's outbox and to every socket.
//!
//! A frame's [`Stamp`] (one `Instant` and two static labels, `Copy`) is taken when the socket
//! loop receives it and travels with it: in the workshop command, beside the workshop's answer,
//! and in each outbox entry it caused. Observing is a hash lookup in a label family and a
//! histogram update, with no allocation. The sans-IO workshop never sees the clock; it only says
//! which outgoing frames a received frame caused.

use std::fmt;
use std::time::Instant;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The histograms' upper bounds in seconds: from 50 µs (a turn with nothing to write) to 5 s
/// (a store that stalls), roughly ×2–2.5 apart so p50 and p99 stay readable at either end.
pub const BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

/// The histogram names, in the order a frame passes them.
pub const RECEIVE_TO_PERSISTED: &str = "kring_receive_to_persisted_seconds";
pub const RECEIVE_TO_QUEUED: &str = "kring_receive_to_queued_seconds";
pub const RECEIVE_TO_WRITTEN: &str = "kring_receive_to_written_seconds";

/// What a received frame is: a document change (sync) or a relayed ephemeral message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Sync,
    Ephemeral,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Sync => "sync",
            Class::Ephemeral => "ephemeral",
        }
    }
}

impl EncodeLabelValue for Class {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        fmt::Write::write_str(encoder, self.name())
    }
}

/// A histogram's labels: the document's kind (`DocKind::name`, a closed set) and the class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct Labels {
    pub kind: &'static str,
    pub class: Class,
}

/// When a frame was received and what it was: carried along with everything it causes.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    pub received: Instant,
    pub labels: Labels,
}

/// How far a frame got.
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    /// Its turn's store write is committed.
    Persisted,
    /// The last frame it caused is in every subscriber's outbox.
    Queued,
    /// A frame it caused was written to one subscriber's socket.
    Written,
}

type Latency = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Every metric of the server. Fields are handles into `registry` (they share their atomics).
pub struct Metrics {
    pub connections: Gauge,
    pub workshops_loaded: Gauge,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub refusals: Counter,
    pub slow_consumers: Counter,
    pub workshops_created: Counter,
    pub participants_joined: Counter,
    /// Purges of a workshop's private documents this node carried out (with several nodes
    /// only the lease holder purges; the sum over the nodes is the number of purges).
    pub purges: Counter,
    /// Workshop leases this node holds (several nodes only).
    pub leases_held: Gauge,
    /// `kring_node_info{node="…"} 1`: which node this is.
    node_info: Family<Vec<(String, String)>, Gauge>,
    persisted: Latency,
    queued: Latency,
    written: Latency,
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Self {
        let latency = || Latency::new_with_constructor(latency_histogram as fn() -> Histogram);
        let m = Metrics {
            connections: Gauge::default(),
            workshops_loaded: Gauge::default(),
            messages_in: Counter::default(),
            messages_out: Counter::default(),
            refusals: Counter::default(),
            slow_consumers: Counter::default(),
            workshops_created: Counter::default(),
            participants_joined: Counter::default(),
            purges: Counter::default(),
            leases_held: Gauge::default(),
            node_info: Family::default(),
            persisted: latency(),
            queued: latency(),
            written: latency(),
            registry: Registry::default(),
        };
        let mut r = Registry::default();
        // Counters are registered without `_total`: the encoder appends it, so the names on the
        // wire are the ones the hand-rolled text had.
        let gauges = [
            (
                "kring_connections",
                "open WebSocket connections",
                &m.connections,
            ),
            (
                "kring_workshops_loaded",
                "workshops held in memory",
                &m.workshops_loaded,
            ),
            (
                "kring_workshop_leases_held",
                "workshop leases this node holds (with --nats)",
                &m.leases_held,
            ),
        ];
        for (name, help, g) in gauges {
            r.register(name, help, g.clone());
        }
        let counters = [
            (
                "kring_messages_in",
                "protocol messages received",
                &m.messages_in,
            ),
            (
                "kring_messages_out",
                "protocol messages sent",
                &m.messages_out,
            ),
            (
                "kring_refusals",
                "messages refused (access, schema, limits)",
                &m.refusals,
            ),
            (
                "kring_slow_consumers",
                "peers disconnected for not keeping up",
                &m.slow_consumers,
            ),
            (
                "kring_workshops_created",
                "workshops created",
                &m.workshops_created,
            ),
            (
                "kring_participants_joined",
                "participants joined",
                &m.participants_joined,
            ),
            (
                "kring_purges",
                "purges of a workshop's private documents carried out by this node",
                &m.purges,
            ),
        ];
        for (name, help, c) in counters {
            r.register(name, help, c.clone());
        }
        r.register(
            "kring_node_info",
            "this node's name (--node-id), as a label",
            m.node_info.clone(),
        );
        r.register(
            RECEIVE_TO_PERSISTED,
            "frame received by the socket loop until its turn's store write was committed",
            m.persisted.clone(),
        );
        r.register(
            RECEIVE_TO_QUEUED,
            "frame received until the last frame it caused was queued for every subscriber",
            m.queued.clone(),
        );
        r.register(
            RECEIVE_TO_WRITTEN,
            "frame received until a frame it caused was written to a subscriber's socket",
            m.written.clone(),
        );
        Metrics { registry: r, ..m }
    }
}

impl Metrics {
    /// Names this node in `kring_node_info`.
    pub fn set_node(&self, node: &str) {
        self.node_info
            .get_or_create(&vec![("node".to_owned(), node.to_owned())])
            .set(1);
    }

    /// Records how long `stamp`'s frame took to reach `stage`, as of `now`.
    pub fn observe(&self, stage: Stage, stamp: &Stamp, now: Instant) {
        let family = match stage {
            Stage::Persisted => &self.persisted,
            Stage::Queued => &self.queued,
            Stage::Written => &self.written,
        };
        let took = now.saturating_duration_since(stamp.received);
        family
            .get_or_create(&stamp.labels)
            .observe(took.as_secs_f64());
    }

    /// The OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; an encoder error would be a bug in a metric's labels.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        out
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn existing_names_keep_their_meaning_and_histograms_are_labelled() {
        let m = Metrics::default();
        m.participants_joined.inc();
        m.connections.inc();
        let received = Instant::now();
        let stamp = Stamp {
            received,
            labels: Labels {
                kind: "table",
                class: Class::Ephemeral,
            },
        };
        m.observe(Stage::Written, &stamp, received + Duration::from_millis(3));
        let text = m.render();
        for line in [
            "kring_participants_joined_total 1",
            "kring_connections 1",
            "kring_refusals_total 0",
            "# TYPE kring_receive_to_written_seconds histogram",
            "kring_receive_to_written_seconds_count{kind=\"table\",class=\"ephemeral\"} 1",
            "kring_receive_to_written_seconds_bucket{le=\"0.005\",kind=\"table\",class=\"ephemeral\"} 1",
            "kring_receive_to_written_seconds_bucket{le=\"0.0025\",kind=\"table\",class=\"ephemeral\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
    }
}
