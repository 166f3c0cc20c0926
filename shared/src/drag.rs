//! A card being dragged on the plenary table, as ephemeral data: every screen shows the card move
//! while a facilitator drags it, and who holds it, but only the drop is stored (`schema::table`).
//!
//! Positions are fractions of the table's width and height, so screens of any size agree. A sender
//! sends at most [`MAX_PER_SECOND`] updates; a hold that is not refreshed within [`HOLD_MS`]
//! (a dropped connection mid-drag) expires.

use std::collections::BTreeMap;

use ciborium::Value;

use crate::ephemeral;

/// The `kind` of this ephemeral payload.
pub const KIND: &str = "drag";

/// At most this many position updates per second from one dragging hand.
pub const MAX_PER_SECOND: f64 = 30.0;
/// A hold that is not refreshed for this long is gone.
pub const HOLD_MS: f64 = 2_000.0;

/// One position update of a dragged card.
#[derive(Debug, Clone, PartialEq)]
pub struct Drag {
    pub card: String,
    /// 0..=1 across the table.
    pub x: f64,
    /// 0..=1 down the table.
    pub y: f64,
    /// Who holds it (a facilitator's short name).
    pub by: String,
    /// The hand that holds it (one per browser tab), to tell two facilitators apart.
    pub hand: String,
    /// The card was dropped (or the drag cancelled): the hold ends.
    pub done: bool,
}

impl Drag {
    pub fn encode(&self) -> Vec<u8> {
        ephemeral::encode(
            KIND,
            vec![
                ("card", Value::Text(self.card.clone())),
                ("x", Value::Float(self.x.clamp(0.0, 1.0))),
                ("y", Value::Float(self.y.clamp(0.0, 1.0))),
                ("by", Value::Text(self.by.chars().take(40).collect())),
                ("hand", Value::Text(self.hand.chars().take(40).collect())),
                ("done", Value::Bool(self.done)),
            ],
        )
    }

    pub fn decode(bytes: &[u8]) -> Option<Drag> {
        let f = ephemeral::decode(bytes, KIND)?;
        let text = |k: &str| f.get(k).and_then(|v| v.as_text()).map(str::to_owned);
        let num = |k: &str| {
            f.get(k)
                .and_then(|v| v.as_float())
                .filter(|n| n.is_finite())
                .map(|n| n.clamp(0.0, 1.0))
        };
        Some(Drag {
            card: text("card")?,
            x: num("x")?,
            y: num("y")?,
            by: text("by").unwrap_or_default(),
            hand: text("hand").unwrap_or_default(),
            done: f.get("done").and_then(|v| v.as_bool()).unwrap_or(false),
        })
    }
}

/// Lets through at most [`MAX_PER_SECOND`] updates; the last position is never lost, because a
/// drop always sends.
#[derive(Debug, Default)]
pub struct Throttle {
    last: Option<f64>,
}

impl Throttle {
    /// Whether an update at `now_ms` may be sent (and if so, remembers it).
    pub fn ready(&mut self, now_ms: f64) -> bool {
        let gap = 1000.0 / MAX_PER_SECOND;
        match self.last {
            Some(t) if now_ms - t < gap && now_ms >= t => false,
            _ => {
                self.last = Some(now_ms);
                true
            }
        }
    }
}

/// The cards other hands hold right now, with their latest position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holds {
    held: BTreeMap<String, (Drag, f64)>,
}

impl Holds {
    /// Takes in an update received at `now_ms`.
    pub fn receive(&mut self, d: Drag, now_ms: f64) {
        if d.done {
            if self
                .held
                .get(&d.card)
                .is_some_and(|(h, _)| h.hand == d.hand)
            {
                self.held.remove(&d.card);
            }
        } else {
            self.held.insert(d.card.clone(), (d, now_ms));
        }
    }

    /// Forgets holds not refreshed within [`HOLD_MS`].
    pub fn expire(&mut self, now_ms: f64) {
        self.held.retain(|_, (_, at)| now_ms - *at < HOLD_MS);
    }

    /// Who else holds this card, if anyone.
    pub fn holder(&self, card: &str, my_hand: &str) -> Option<&Drag> {
        self.held
            .get(card)
            .map(|(d, _)| d)
            .filter(|d| d.hand != my_hand)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Drag> {
        self.held.values().map(|(d, _)| d)
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drag(card: &str, hand: &str, done: bool) -> Drag {
        Drag {
            card: card.into(),
            x: 0.25,
            y: 0.5,
            by: "An".into(),
            hand: hand.into(),
            done,
        }
    }

    #[test]
    fn drags_round_trip_and_positions_are_clamped() {
        let d = drag("d.i", "h1", false);
        assert_eq!(Drag::decode(&d.encode()), Some(d));
        let far = Drag {
            x: 7.0,
            y: -3.0,
            ..drag("c", "h", false)
        };
        let back = Drag::decode(&far.encode()).unwrap();
        assert_eq!((back.x, back.y), (1.0, 0.0));
        assert_eq!(Drag::decode(b"garbage"), None);
    }

    #[test]
    fn the_throttle_lets_through_thirty_a_second() {
        let mut t = Throttle::default();
        let sent = (0..1000).filter(|ms| t.ready(f64::from(*ms))).count();
        assert!((29..=31).contains(&sent), "{sent}");
    }

    #[test]
    fn a_hold_shows_who_holds_it_ends_on_drop_and_expires() {
        let mut h = Holds::default();
        h.receive(drag("c", "other", false), 0.0);
        assert_eq!(h.holder("c", "me").unwrap().by, "An");
        // My own hand does not block me.
        assert!(h.holder("c", "other").is_none());
        // Another hand's drop does not end this hold.
        h.receive(drag("c", "third", true), 10.0);
        assert!(h.holder("c", "me").is_some());
        h.receive(drag("c", "other", true), 20.0);
        assert!(h.holder("c", "me").is_none());
        h.receive(drag("c", "other", false), 100.0);
        h.expire(100.0 + HOLD_MS);
        assert!(h.is_empty());
    }
}
