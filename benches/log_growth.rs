//! How long the log's committer holds the log while it grows, and what the log keeps in
//! memory: appends leaves in batches of 16 (a commit at half the verify peak carries 11–15)
//! up to N entries, timing each batch's tree push as `DurableLog` does it under its lock,
//! and prints the slowest batch in each doubling of the log. The same is done with a `Vec`
//! per level and one `HashMap` from leaf hash to index (what the log held before
//! `ledger::hashes` and the tiled tree) for comparison.
//! `cargo bench --bench log_growth [-- N]` (default 8,000,000; about 1.5 GB of memory).

use mrgate::ledger::durable::RECENT_LEAVES;
use mrgate::ledger::merkle::{self, Hash, Tree};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const BATCH: u64 = 16;

// The gateway's allocator and memory settings, since what is measured is partly theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The log's in-memory state as it was: a `Vec` per level and one `HashMap`.
#[derive(Default)]
struct Before {
    levels: Vec<Vec<Hash>>,
    by_leaf: HashMap<Hash, u64>,
}

impl Before {
    fn add(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut k = 0;
        while self.levels[k].len().is_multiple_of(2) {
            let n = self.levels[k].len();
            let parent = merkle::node_hash(&self.levels[k][n - 2], &self.levels[k][n - 1]);
            if self.levels.len() == k + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[k + 1].push(parent);
            k += 1;
        }
        let size = self.levels[0].len() as u64;
        self.by_leaf.entry(leaf).or_insert(size - 1);
    }
}

/// Grows to `n` entries through `add`; returns (log size at band end, slowest batch, mean batch).
fn grow(n: u64, mut add: impl FnMut(Hash)) -> Vec<(u64, Duration, Duration)> {
    let mut bands = Vec::new();
    let (mut band_end, mut slowest, mut total, mut batches) = (1u64 << 16, Duration::ZERO, Duration::ZERO, 0u32);
    let mut i = 0u64;
    while i < n {
        let leaves: Vec<Hash> = (i..i + BATCH).map(|j| merkle::leaf_hash(&j.to_be_bytes())).collect();
        let started = Instant::now();
        for leaf in leaves {
            add(leaf);
        }
        let took = started.elapsed();
        slowest = slowest.max(took);
        total += took;
        batches += 1;
        i += BATCH;
        if i >= band_end || i >= n {
            bands.push((i, slowest, total / batches.max(1)));
            (band_end, slowest, total, batches) = (band_end * 2, Duration::ZERO, Duration::ZERO, 0);
        }
    }
    bands
}

fn main() {
    // As `mrgate serve` does: a huge-page fault would be timed as the append's.
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true).expect("prctl");
    // `cargo bench` passes --bench; under `cargo test` a small run only shows it works.
    let benching = std::env::args().any(|a| a == "--bench");
    let given = std::env::args().skip(1).find_map(|a| a.replace('_', "").parse().ok());
    let n: u64 = given.unwrap_or(if benching { 8_000_000 } else { 70_000 });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let resident_before = resident_bytes();
    // The durable log's tree: lower levels for its recent leaves only; the index by leaf
    // hash is the store's.
    let mut now = Tree::keeping_recent(RECENT_LEAVES);
    let after = grow(n, |leaf| now.push(leaf));
    let held = resident_bytes().saturating_sub(resident_before);
    drop(now);
    let resident_before = resident_bytes();
    let mut before = Before::default();
    let old = grow(n, |leaf| before.add(leaf));
    let held_before = resident_bytes().saturating_sub(resident_before);
    drop(before);
    println!(
        "| log size up to | slowest batch, Vec + HashMap (ms) | slowest batch, tiled tree (ms) | mean batch, before → now (µs) |"
    );
    println!("|---|---|---|---|");
    for ((size, old_max, old_mean), (_, new_max, new_mean)) in old.iter().zip(&after) {
        println!(
            "| {size} | {:.2} | {:.2} | {:.1} → {:.1} |",
            ms(*old_max),
            ms(*new_max),
            ms(*old_mean) * 1e3,
            ms(*new_mean) * 1e3
        );
    }
    // What a log of n entries costs in memory, before and now.
    let per_entry = |bytes: u64| bytes as f64 / n as f64;
    println!(
        "memory held for {n} entries: before (whole tree and index) {} MiB, {:.1} bytes per entry; \
         now (tiled tree) {} MiB, {:.2} bytes per entry",
        held_before >> 20,
        per_entry(held_before),
        held >> 20,
        per_entry(held)
    );
}

/// The process's resident memory (0 where /proc is not there to tell).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}
