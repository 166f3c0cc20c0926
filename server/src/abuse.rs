//! Abuse limits: how much one address or one connection may ask of the server, and the
//! bookkeeping that enforces it (token buckets per address, connection counts per address).
//!
//! Everything here is keyed by the *peer address* of the TCP connection. Behind a reverse proxy
//! that is the proxy's address, so every client shares one budget: raise the limits there (or
//! limit at the proxy). `X-Forwarded-For` is deliberately not trusted, because any client can
//! send it. IPv6 addresses are keyed by their /64 prefix, since one host usually holds a whole
//! /64. A room full of people behind one NAT also shares an address, which is why the defaults
//! are generous: they stop floods, not a busy workshop.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The configurable limits. Every refusal they cause is logged and answered with a clear error.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Protocol messages one connection may send per second, sustained.
    pub messages_per_sec: u32,
    /// Messages one connection may send in a burst above the sustained rate (the initial sync
    /// of several documents comes as a burst).
    pub message_burst: u32,
    /// Open WebSocket connections per address.
    pub connections_per_addr: usize,
    /// Joins (`POST /api/workshops/{code}/participants`) per address per minute.
    pub joins_per_minute: u32,
    /// Workshops created per address per hour.
    pub workshops_per_hour: u32,
    /// Distinct documents one connection may ask for (known or not).
    pub documents_per_connection: usize,
    /// Frames queued for one connection; a peer that falls this far behind is disconnected.
    pub outbox_frames: usize,
    /// Longest one WebSocket write may take; a client that does not read is cut off after it.
    pub send_timeout: Duration,
    /// Bytes queued for one connection; a peer that falls this far behind is disconnected.
    pub outbox_bytes: usize,
    /// Bytes queued for all connections of one workshop together; over it the connection with
    /// the most queued is disconnected first.
    pub workshop_outbox_bytes: usize,
    /// Ephemeral messages (drags) one connection may send per second, sustained; the burst is
    /// twice that.
    pub ephemeral_per_sec: u32,
    /// Open HTTP connections per address, counted from the accept — before a request is
    /// complete. A connection that becomes a WebSocket counts against `connections_per_addr`
    /// from then on instead.
    pub sockets_per_addr: usize,
    /// How long a client may take to send a request's headers; a connection that dribbles its
    /// headers is closed after it.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            messages_per_sec: 100,
            message_burst: 500,
            connections_per_addr: 256,
            joins_per_minute: 120,
            workshops_per_hour: 30,
            documents_per_connection: 256,
            outbox_frames: 512,
            send_timeout: Duration::from_secs(30),
            outbox_bytes: 8 * 1024 * 1024,
            workshop_outbox_bytes: 128 * 1024 * 1024,
            ephemeral_per_sec: 60,
            sockets_per_addr: 512,
            header_timeout: Duration::from_secs(5),
        }
    }
}

/// The address a limit is kept for: an IPv4 address, or the /64 of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddrKey(u128);

impl From<IpAddr> for AddrKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => AddrKey(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddrKey(u128::from(u32::from(v4))),
                None => AddrKey((u128::from(v6) >> 64 << 64) | (1 << 32)),
            },
        }
    }
}

/// A token bucket: `capacity` tokens, refilled at `per_sec`.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn full(capacity: f64, now: Instant) -> Self {
        Self {
            tokens: capacity,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, capacity: f64, per_sec: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn is_full(&self, capacity: f64, per_sec: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * per_sec >= capacity
    }
}

/// One token bucket per address. Full buckets are forgotten once the map grows, so the map
/// holds only addresses that are actually being limited.
struct PerAddr {
    capacity: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<AddrKey, Bucket>>,
}

impl PerAddr {
    fn new(count: u32, per: Duration) -> Self {
        let capacity = f64::from(count.max(1));
        Self {
            capacity,
            per_sec: capacity / per.as_secs_f64(),
            buckets: Mutex::default(),
        }
    }

    fn take(&self, key: AddrKey) -> bool {
        let now = Instant::now();
        let mut map = self.buckets.lock().expect("rate limit lock poisoned");
        if map.len() > 10_000 {
            let (c, r) = (self.capacity, self.per_sec);
            map.retain(|_, b| !b.is_full(c, r, now));
        }
        map.entry(key)
            .or_insert_with(|| Bucket::full(self.capacity, now))
            .take(self.capacity, self.per_sec, now)
    }
}

/// Counted slots per address (open connections), at most `per_addr` each.
struct Slots {
    per_addr: usize,
    counts: Arc<Mutex<HashMap<AddrKey, usize>>>,
}

impl Slots {
    fn new(per_addr: usize) -> Self {
        Slots {
            per_addr,
            counts: Arc::default(),
        }
    }

    fn take(&self, ip: IpAddr) -> Option<ConnectionSlot> {
        let key = AddrKey::from(ip);
        let mut map = self.counts.lock().expect("connection count lock poisoned");
        let n = map.entry(key).or_default();
        if *n >= self.per_addr {
            if *n == 0 {
                map.remove(&key);
            }
            return None;
        }
        *n += 1;
        Some(ConnectionSlot {
            key,
            connections: Arc::clone(&self.counts),
        })
    }
}

/// The server's shared abuse bookkeeping.
pub struct Guard {
    pub limits: Limits,
    joins: PerAddr,
    workshops: PerAddr,
    connections: Slots,
    sockets: Slots,
}

/// One open connection of an address; dropping it frees the slot.
pub struct ConnectionSlot {
    key: AddrKey,
    connections: Arc<Mutex<HashMap<AddrKey, usize>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut map = self
            .connections
            .lock()
            .expect("connection count lock poisoned");
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl Guard {
    pub fn new(limits: Limits) -> Self {
        Self {
            joins: PerAddr::new(limits.joins_per_minute, Duration::from_secs(60)),
            workshops: PerAddr::new(limits.workshops_per_hour, Duration::from_secs(3600)),
            connections: Slots::new(limits.connections_per_addr),
            sockets: Slots::new(limits.sockets_per_addr),
            limits,
        }
    }

    /// A TCP connection slot for this address (taken at the accept), or `None` when it has
    /// all it may have.
    pub fn socket(&self, ip: IpAddr) -> Option<ConnectionSlot> {
        self.sockets.take(ip)
    }

    /// May this address join a workshop now?
    pub fn join(&self, ip: IpAddr) -> bool {
        self.joins.take(ip.into())
    }

    /// May this address create a workshop now?
    pub fn create_workshop(&self, ip: IpAddr) -> bool {
        self.workshops.take(ip.into())
    }

    /// A WebSocket connection slot for this address, or `None` when it has all it may have.
    pub fn connect(&self, ip: IpAddr) -> Option<ConnectionSlot> {
        self.connections.take(ip)
    }

    /// A fresh per-connection message budget.
    pub fn message_bucket(&self) -> MessageBudget {
        let capacity = f64::from(self.limits.message_burst.max(1));
        MessageBudget {
            bucket: Bucket::full(capacity, Instant::now()),
            capacity,
            per_sec: f64::from(self.limits.messages_per_sec.max(1)),
        }
    }
}

impl Guard {
    /// A fresh per-connection budget for ephemeral messages.
    pub fn ephemeral_bucket(&self) -> MessageBudget {
        let per_sec = f64::from(self.limits.ephemeral_per_sec.max(1));
        MessageBudget {
            bucket: Bucket::full(per_sec * 2.0, Instant::now()),
            capacity: per_sec * 2.0,
            per_sec,
        }
    }
}

/// How many messages a connection may still send.
pub struct MessageBudget {
    bucket: Bucket,
    capacity: f64,
    per_sec: f64,
}

impl MessageBudget {
    pub fn take(&mut self) -> bool {
        self.bucket
            .take(self.capacity, self.per_sec, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::full(3.0, t0);
        assert!(b.take(3.0, 1.0, t0));
        assert!(b.take(3.0, 1.0, t0));
        assert!(b.take(3.0, 1.0, t0));
        assert!(!b.take(3.0, 1.0, t0));
        assert!(!b.take(3.0, 1.0, t0 + Duration::from_millis(500)));
        assert!(b.take(3.0, 1.0, t0 + Duration::from_millis(1600)));
        // Never more than the capacity, however long it rested.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(b.take(3.0, 1.0, later));
        }
        assert!(!b.take(3.0, 1.0, later));
    }

    #[test]
    fn ipv6_hosts_share_their_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(AddrKey::from(a), AddrKey::from(b));
        assert_ne!(AddrKey::from(a), AddrKey::from(c));
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(AddrKey::from(v4), AddrKey::from(mapped));
    }

    #[test]
    fn connection_slots_are_counted_per_address_and_freed_on_drop() {
        let g = Guard::new(Limits {
            connections_per_addr: 2,
            ..Limits::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = g.connect(a).unwrap();
        let _s2 = g.connect(a).unwrap();
        assert!(g.connect(a).is_none());
        assert!(g.connect(b).is_some());
        drop(s1);
        assert!(g.connect(a).is_some());
    }
}
