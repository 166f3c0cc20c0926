//! The step timer: its state as stored in the workshop document, the server-side actions on it,
//! and the clock-skew estimate clients use so that every screen shows the same remaining time
//! whatever its own clock says.
//!
//! Times are milliseconds on the *server's* clock. The server is the only writer of the timer
//! (it applies the facilitator's actions with its own clock); a client estimates
//! `offset = server clock − own clock` and computes the remaining time from that.

use serde::{Deserialize, Serialize};

/// The timer as stored in the workshop document under `timer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Timer {
    /// The length it was set to.
    pub duration_ms: i64,
    /// While running: when it reaches zero (server clock).
    pub ends_at: Option<i64>,
    /// While paused or not started: what is left.
    pub remaining_ms: i64,
}

/// What a facilitator can do with the timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum TimerAction {
    /// Set to `minutes` and start.
    Start {
        minutes: u32,
    },
    /// Set to `minutes`, stopped (when the facilitator moves to a step).
    Set {
        minutes: u32,
    },
    Pause,
    Resume,
    /// Add (or with a negative value, remove) time, running or not.
    Add {
        minutes: i32,
    },
    /// Back to the full length, stopped.
    Reset,
}

/// Longest timer accepted: a whole day.
pub const MAX_TIMER_MS: i64 = 24 * 60 * 60 * 1000;

impl Timer {
    pub fn is_running(&self) -> bool {
        self.ends_at.is_some()
    }

    /// Milliseconds left at server time `now`; never negative.
    pub fn remaining_at(&self, now: i64) -> i64 {
        match self.ends_at {
            Some(end) => (end - now).max(0),
            None => self.remaining_ms.max(0),
        }
    }

    /// The timer after `action` at server time `now`.
    pub fn apply(self, action: TimerAction, now: i64) -> Timer {
        match action {
            TimerAction::Start { minutes } => {
                let d = (i64::from(minutes) * 60_000).clamp(0, MAX_TIMER_MS);
                Timer {
                    duration_ms: d,
                    ends_at: Some(now + d),
                    remaining_ms: d,
                }
            }
            TimerAction::Set { minutes } => {
                let d = (i64::from(minutes) * 60_000).clamp(0, MAX_TIMER_MS);
                Timer {
                    duration_ms: d,
                    ends_at: None,
                    remaining_ms: d,
                }
            }
            TimerAction::Pause => Timer {
                ends_at: None,
                remaining_ms: self.remaining_at(now),
                ..self
            },
            TimerAction::Resume => match self.ends_at {
                Some(_) => self,
                None => Timer {
                    ends_at: Some(now + self.remaining_ms.max(0)),
                    ..self
                },
            },
            TimerAction::Add { minutes } => {
                let delta = i64::from(minutes) * 60_000;
                let left = (self.remaining_at(now) + delta).clamp(0, MAX_TIMER_MS);
                Timer {
                    duration_ms: (self.duration_ms + delta).clamp(0, MAX_TIMER_MS),
                    ends_at: self.ends_at.map(|_| now + left),
                    remaining_ms: left,
                }
            }
            TimerAction::Reset => Timer {
                duration_ms: self.duration_ms,
                ends_at: None,
                remaining_ms: self.duration_ms,
            },
        }
    }
}

/// One round trip to the server's clock: sent and received on the client's clock, and the
/// server's time in between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockSample {
    pub sent: f64,
    pub server: f64,
    pub received: f64,
}

/// Estimates `server clock − client clock` from a few samples: the one with the shortest round
/// trip wins, assuming the server read its clock halfway (as NTP does).
pub fn clock_offset(samples: &[ClockSample]) -> Option<f64> {
    samples
        .iter()
        .filter(|s| s.received >= s.sent)
        .min_by(|a, b| (a.received - a.sent).total_cmp(&(b.received - b.sent)))
        .map(|s| s.server - (s.sent + s.received) / 2.0)
}

/// `m:ss` for a number of milliseconds, rounded up so that 0:00 means really over.
pub fn format_remaining(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row: actions at times → remaining at a later time, running or not.
    #[test]
    fn timer_actions() {
        let check = |steps: &[(TimerAction, i64)], at: i64, remaining: i64, running: bool| {
            let t = steps
                .iter()
                .fold(Timer::default(), |t, (a, now)| t.apply(*a, *now));
            assert_eq!(
                (t.remaining_at(at), t.is_running()),
                (remaining, running),
                "{steps:?}"
            );
        };
        use TimerAction::*;
        check(&[(Start { minutes: 10 }, 0)], 60_000, 540_000, true);
        check(&[(Start { minutes: 1 }, 0)], 90_000, 0, true);
        check(
            &[(Start { minutes: 10 }, 0), (Pause, 60_000)],
            500_000,
            540_000,
            false,
        );
        check(
            &[
                (Start { minutes: 10 }, 0),
                (Pause, 60_000),
                (Resume, 100_000),
            ],
            160_000,
            480_000,
            true,
        );
        check(
            &[(Start { minutes: 10 }, 0), (Add { minutes: 1 }, 60_000)],
            60_000,
            600_000,
            true,
        );
        check(
            &[(Start { minutes: 10 }, 0), (Add { minutes: 5 }, 0)],
            0,
            900_000,
            true,
        );
        check(
            &[
                (Start { minutes: 10 }, 0),
                (Pause, 1_000),
                (Add { minutes: 1 }, 2_000),
            ],
            99_000,
            659_000,
            false,
        );
        check(
            &[(Start { minutes: 10 }, 0), (Reset, 300_000)],
            400_000,
            600_000,
            false,
        );
        check(
            &[(Start { minutes: 1 }, 0), (Add { minutes: -5 }, 0)],
            0,
            0,
            true,
        );
        check(&[(Resume, 0)], 10, 0, true);
        check(
            &[(Start { minutes: 10 }, 0), (Set { minutes: 20 }, 5)],
            100,
            1_200_000,
            false,
        );
    }

    #[test]
    fn clock_offset_uses_the_fastest_round_trip() {
        // Client clock is 5 s behind the server; the slow sample would mislead.
        let samples = [
            ClockSample {
                sent: 1000.0,
                server: 6100.0,
                received: 1400.0,
            },
            ClockSample {
                sent: 2000.0,
                server: 7010.0,
                received: 2020.0,
            },
        ];
        assert_eq!(clock_offset(&samples), Some(5000.0));
        assert_eq!(clock_offset(&[]), None);
    }

    #[test]
    fn remaining_time_reads_as_minutes_and_seconds() {
        assert_eq!(format_remaining(600_000), "10:00");
        assert_eq!(format_remaining(59_001), "1:00");
        assert_eq!(format_remaining(1), "0:01");
        assert_eq!(format_remaining(-5), "0:00");
    }
}
