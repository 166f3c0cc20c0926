//! The server's own latency histograms (`kring_receive_to_*_seconds` at `/metrics`), scraped
//! before and after a run: the bucket deltas give the server-side p50/p99 of that run alone, so
//! the server's share of the latency is known even when the clients saturate the machine.
//!
//! Percentiles are estimated as Prometheus' `histogram_quantile` does: linear within the bucket
//! that holds the rank, and the highest finite bound when the rank falls in `+Inf`.

use std::collections::BTreeMap;
use std::time::Duration;

/// The histograms, in the order a frame passes them, with a short label for printing.
pub const STAGES: [(&str, &str); 3] = [
    ("kring_receive_to_persisted_seconds", "received → persisted"),
    (
        "kring_receive_to_queued_seconds",
        "received → queued for all",
    ),
    (
        "kring_receive_to_written_seconds",
        "received → written (each)",
    ),
];

/// One histogram series: cumulative counts per upper bound (`+Inf` last, as `f64::INFINITY`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buckets(pub Vec<(f64, u64)>);

/// A series' identity: histogram name and its labels other than `le` (e.g. `workshop/sync`).
pub type SeriesKey = (String, String);

/// Every `kring_receive_to_*` series of one scrape.
pub type Scrape = BTreeMap<SeriesKey, Buckets>;

/// What a run's deltas say about one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub stage: &'static str,
    pub labels: String,
    pub count: u64,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
}

/// Fetches `/metrics` from `base` (with the metrics token, if the server wants one).
pub async fn scrape(base: &str, token: Option<&str>) -> Result<Scrape, String> {
    let mut req = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("/metrics answered {}", resp.status()));
    }
    Ok(parse(&resp.text().await.map_err(|e| e.to_string())?))
}

/// Reads the `_bucket` lines of the stage histograms; anything else (and any line it cannot
/// read) is skipped: the numbers are for people, and a server of another version may differ.
pub fn parse(text: &str) -> Scrape {
    let mut out = Scrape::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once("_bucket{") else {
            continue;
        };
        if !STAGES.iter().any(|(s, _)| *s == name) {
            continue;
        }
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let mut le = None;
        let mut others = Vec::new();
        for pair in labels.split(',') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let v = v.trim_matches('"');
            if k == "le" {
                le = if v == "+Inf" {
                    Some(f64::INFINITY)
                } else {
                    v.parse().ok()
                };
            } else {
                others.push(v);
            }
        }
        let Some(le) = le else { continue };
        out.entry((name.to_owned(), others.join("/")))
            .or_default()
            .0
            .push((le, value as u64));
    }
    for b in out.values_mut() {
        b.0.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

impl Buckets {
    /// The observations in `self` that were not yet in `before`.
    pub fn since(&self, before: Option<&Buckets>) -> Buckets {
        let earlier = |le: f64| {
            before
                .and_then(|b| b.0.iter().find(|(l, _)| *l == le))
                .map_or(0, |(_, c)| *c)
        };
        Buckets(
            self.0
                .iter()
                .map(|&(le, c)| (le, c.saturating_sub(earlier(le))))
                .collect(),
        )
    }

    pub fn count(&self) -> u64 {
        self.0.last().map_or(0, |(_, c)| *c)
    }

    /// The `q` quantile (0..=1) in seconds; `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = q * total as f64;
        let (mut lower, mut below) = (0.0, 0u64);
        for &(le, cumulative) in &self.0 {
            if cumulative as f64 >= rank && cumulative > below {
                if le.is_infinite() {
                    // Past the last bound there is nothing to interpolate towards.
                    return Some(lower);
                }
                let within = (rank - below as f64) / (cumulative - below) as f64;
                return Some(lower + (le - lower) * within);
            }
            (lower, below) = (le, cumulative);
        }
        Some(lower)
    }
}

/// Each series that had observations between `before` and `after`, in stage order.
pub fn summarize(before: &Scrape, after: &Scrape) -> Vec<Summary> {
    let mut out = Vec::new();
    for (stage, label) in STAGES {
        for ((name, labels), buckets) in after {
            if name != stage {
                continue;
            }
            let delta = buckets.since(before.get(&(name.clone(), labels.clone())));
            if delta.count() == 0 {
                continue;
            }
            let secs = |q| delta.quantile(q).map(Duration::from_secs_f64);
            out.push(Summary {
                stage: label,
                labels: labels.clone(),
                count: delta.count(),
                p50: secs(0.50),
                p99: secs(0.99),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"# TYPE kring_receive_to_written_seconds histogram
kring_receive_to_written_seconds_sum{kind="table",class="ephemeral"} 0.01
kring_receive_to_written_seconds_count{kind="table",class="ephemeral"} 10
kring_receive_to_written_seconds_bucket{le="0.001",kind="table",class="ephemeral"} 10
kring_receive_to_written_seconds_bucket{le="0.002",kind="table",class="ephemeral"} 10
kring_receive_to_written_seconds_bucket{le="0.004",kind="table",class="ephemeral"} 10
kring_receive_to_written_seconds_bucket{le="+Inf",kind="table",class="ephemeral"} 10
kring_connections 3
"#;

    /// 100 more: 50 under 1 ms, 40 in (1, 2] ms, 9 in (2, 4] ms, 1 over 4 ms.
    const AFTER: &str = r#"kring_receive_to_written_seconds_bucket{le="0.001",kind="table",class="ephemeral"} 60
kring_receive_to_written_seconds_bucket{le="0.002",kind="table",class="ephemeral"} 100
kring_receive_to_written_seconds_bucket{le="0.004",kind="table",class="ephemeral"} 109
kring_receive_to_written_seconds_bucket{le="+Inf",kind="table",class="ephemeral"} 110
kring_receive_to_queued_seconds_bucket{le="0.001",kind="workshop",class="sync"} 0
kring_receive_to_queued_seconds_bucket{le="+Inf",kind="workshop",class="sync"} 0
"#;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn percentiles_come_from_the_bucket_deltas_interpolated_within_a_bucket() {
        let (before, after) = (parse(BEFORE), parse(AFTER));
        let key = (
            "kring_receive_to_written_seconds".to_owned(),
            "table/ephemeral".to_owned(),
        );
        let run = after[&key].since(before.get(&key));
        assert_eq!(run.count(), 100, "the 10 from before the run are not in it");
        // Rank 50 is the last of the first bucket's 50.
        assert!(close(run.quantile(0.50), 0.001));
        // Rank 70 is 20 of 40 into (1, 2] ms.
        assert!(close(run.quantile(0.70), 0.0015));
        // Rank 99 is the last of the 9 in (2, 4] ms.
        assert!(close(run.quantile(0.99), 0.004));
        // Rank 100 is in +Inf: the highest finite bound.
        assert!(close(run.quantile(1.0), 0.004));
        assert_eq!(Buckets::default().quantile(0.5), None);
    }

    #[test]
    fn only_series_observed_during_the_run_are_summarized() {
        let s = summarize(&parse(BEFORE), &parse(AFTER));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].labels, "table/ephemeral");
        assert_eq!(s[0].count, 100);
        assert_eq!(s[0].p50, Some(Duration::from_millis(1)));
    }
}
