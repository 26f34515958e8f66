//! Prometheus text metrics: requests by route and status, latency histograms, verdicts by
//! reason, the trust list's age, the log's size, checkpoint age and append latency.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Bucket bounds in seconds: fine around the 5 ms that paced verification's p99 is held to,
/// so that a scrape before and after a load run reads the gateway's own p99 to a millisecond.
const BUCKETS: [f64; 15] =
    [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (count, b) in self.counts.iter_mut().zip(BUCKETS) {
            if seconds <= b {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// What the log reports about itself at the time of a scrape.
#[derive(Debug, Clone, Copy)]
pub struct LogFacts {
    pub size: u64,
    pub commits: u64,
    pub checkpoint_age: f64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests and latency by route label (static labels: nothing allocated per request).
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    verdicts: Mutex<BTreeMap<String, u64>>,
    appends: Mutex<Histogram>,
    /// Callers refused for who they are, by reason code.
    auth_refusals: Mutex<BTreeMap<&'static str, u64>>,
    /// Connections closed at once, by which limit refused them.
    connections_refused: Mutex<BTreeMap<&'static str, u64>>,
    /// Connections told to close to make room for a client holding fewer.
    connections_evicted: std::sync::atomic::AtomicU64,
    /// Requests whose handling panicked (answered 500).
    handler_panics: std::sync::atomic::AtomicU64,
}

/// The trust list in force at the time of a scrape, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct TrustListFacts {
    /// Since it was issued.
    pub age: f64,
    /// Until its NextUpdate: negative once passed (decisions then fail closed).
    pub until_next_update: f64,
}

impl Metrics {
    pub fn request(&self, route: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route, status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            l.entry(route).or_default().observe(elapsed.as_secs_f64());
        }
    }

    pub fn verdict(&self, reason: &str) {
        if let Ok(mut v) = self.verdicts.lock() {
            *v.entry(reason.to_string()).or_default() += 1;
        }
    }

    pub fn handler_panicked(&self) {
        self.handler_panics.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn connection_refused(&self, limit: &'static str) {
        if let Ok(mut r) = self.connections_refused.lock() {
            *r.entry(limit).or_default() += 1;
        }
    }

    pub fn connection_evicted(&self) {
        self.connections_evicted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn auth_refused(&self, reason: &'static str) {
        if let Ok(mut r) = self.auth_refusals.lock() {
            *r.entry(reason).or_default() += 1;
        }
    }

    pub fn append(&self, elapsed: Duration) {
        if let Ok(mut a) = self.appends.lock() {
            a.observe(elapsed.as_secs_f64());
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, list: &TrustListFacts, log: &LogFacts) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP mrgate_requests_total Requests by route and status.\n# TYPE mrgate_requests_total counter"
        );
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                let _ = writeln!(out, "mrgate_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP mrgate_request_duration_seconds Request latency by route.\n# TYPE mrgate_request_duration_seconds histogram"
        );
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                histogram(&mut out, "mrgate_request_duration_seconds", &format!("route=\"{route}\","), h);
            }
        }
        let _ = writeln!(
            out,
            "# HELP mrgate_verdicts_total Decisions by reason code.\n# TYPE mrgate_verdicts_total counter"
        );
        if let Ok(v) = self.verdicts.lock() {
            for (reason, n) in v.iter() {
                let _ = writeln!(out, "mrgate_verdicts_total{{reason=\"{reason}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP mrgate_log_append_seconds Durable log append latency.\n# TYPE mrgate_log_append_seconds histogram"
        );
        if let Ok(a) = self.appends.lock() {
            histogram(&mut out, "mrgate_log_append_seconds", "", &a);
        }
        let _ = writeln!(
            out,
            "# HELP mrgate_trust_list_age_seconds Time since the installed list was issued.\n# TYPE mrgate_trust_list_age_seconds gauge\nmrgate_trust_list_age_seconds {}",
            list.age
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_trust_list_next_update_seconds Time until the installed list's NextUpdate; at or below 0 every decision that needs the list fails closed.\n# TYPE mrgate_trust_list_next_update_seconds gauge\nmrgate_trust_list_next_update_seconds {}",
            list.until_next_update
        );
        counters(
            &mut out,
            "mrgate_auth_refusals_total",
            "Callers refused for who they are (a role their certificate's issuer may not grant), by reason.",
            "reason",
            &self.auth_refusals,
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_handler_panics_total Requests whose handling panicked, answered 500 (a bug).\n# TYPE mrgate_handler_panics_total counter\nmrgate_handler_panics_total {}",
            self.handler_panics.load(std::sync::atomic::Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_events_lost_total Request events lost because stderr failed (closed); events that wait are never dropped.\n# TYPE mrgate_events_lost_total counter\nmrgate_events_lost_total {}",
            super::events::lost()
        );
        counters(
            &mut out,
            "mrgate_connections_refused_total",
            "Connections closed on arrival, by the limit that refused them (per_client, max_connections).",
            "limit",
            &self.connections_refused,
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_connections_evicted_total Connections told to close, all places being taken, to make room for a client holding fewer.\n# TYPE mrgate_connections_evicted_total counter\nmrgate_connections_evicted_total {}",
            self.connections_evicted.load(std::sync::atomic::Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_log_tree_size Entries in the transparency log.\n# TYPE mrgate_log_tree_size gauge\nmrgate_log_tree_size {}",
            log.size
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_log_commits_total Commits of the log since start; appends per commit is the batch size.\n# TYPE mrgate_log_commits_total counter\nmrgate_log_commits_total {}",
            log.commits
        );
        let _ = writeln!(
            out,
            "# HELP mrgate_log_checkpoint_age_seconds Time since the last checkpoint.\n# TYPE mrgate_log_checkpoint_age_seconds gauge\nmrgate_log_checkpoint_age_seconds {}",
            log.checkpoint_age
        );
        out
    }
}

/// A counter family: its help, its type, one line per label value.
fn counters(out: &mut String, name: &str, help: &str, label: &str, values: &Mutex<BTreeMap<&'static str, u64>>) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    if let Ok(v) = values.lock() {
        for (value, n) in v.iter() {
            let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
        }
    }
}

fn histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    for (b, c) in BUCKETS.iter().zip(h.counts) {
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{b}\"}} {c}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", h.count);
    let trimmed = labels.trim_end_matches(',');
    let braces = if trimmed.is_empty() { String::new() } else { format!("{{{trimmed}}}") };
    let _ = writeln!(out, "{name}_sum{braces} {}", h.sum);
    let _ = writeln!(out, "{name}_count{braces} {}", h.count);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(text: &str, le: &str) -> Option<u64> {
        let prefix = format!("mrgate_request_duration_seconds_bucket{{route=\"POST /v1/verify\",le=\"{le}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).and_then(|n| n.parse().ok())
    }

    #[test]
    fn latency_buckets_are_cumulative_and_resolve_milliseconds_around_five() {
        let m = Metrics::default();
        for ms in [0.4, 2.5, 3.5, 4.5, 6.0, 3000.0] {
            m.request("POST /v1/verify", 200, Duration::from_secs_f64(ms / 1000.0));
        }
        let text = m.render(
            &TrustListFacts { age: 0.0, until_next_update: 0.0 },
            &LogFacts { size: 0, commits: 0, checkpoint_age: 0.0 },
        );
        let counts =
            ["0.0005", "0.002", "0.003", "0.004", "0.005", "0.0075", "2.5", "+Inf"].map(|le| bucket(&text, le));
        assert_eq!(counts, [1, 1, 2, 3, 4, 5, 5, 6].map(Some));
        assert!(text.contains("mrgate_request_duration_seconds_count{route=\"POST /v1/verify\"} 6\n"), "{text}");
    }
}
