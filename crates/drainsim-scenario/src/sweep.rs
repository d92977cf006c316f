//! `drainsim sweep`: one scenario over a range of seeds, run in parallel, summarised as a
//! distribution of outcomes, plus the command that reproduces each failing seed.
//!
//! Determinism: every run is independent and deterministic, and the runs are folded into an
//! `Aggregate` whose merge is exactly associative and commutative (integer counts in ordered
//! maps, minima and maxima with the smaller seed winning ties, failures sorted by seed at the end).
//! So the result does not depend on how rayon splits the work, on `--jobs`, or on how a sweep is
//! split into shards: `--merge` folds the shards' aggregates with the same merge function. Nothing
//! in a [`SweepReport`] depends on wall time or the machine.
//!
//! Distributions are kept as exact histograms (value → number of runs), which merge by adding
//! counts; percentiles are computed from them by nearest rank: the p-th percentile of n sorted
//! values is the value at 1-based rank ⌈p·n/100⌉.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use drainsim_core::time::format_sim_time;

use crate::load::LoadedScenario;
use crate::report;
use crate::runner::{self, RunOptions};

/// Bumped whenever a field of [`SweepReport`] changes meaning or disappears.
pub const SWEEP_VERSION: u32 = 1;
/// The most seeds one sweep (or one shard's range) may name.
pub const MAX_SEEDS: u64 = 10_000_000;
/// How many failing seeds the text output lists (the JSON lists every one).
pub const TEXT_FAILURES_LISTED: usize = 20;

/// A half-open range of seeds, `start..end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

impl SeedRange {
    /// How many seeds it holds.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Parses `A..B` (half-open: A, A+1, …, B-1), with A < B and at most [`MAX_SEEDS`] seeds.
pub fn parse_seeds(s: &str) -> Result<SeedRange, String> {
    let Some((a, b)) = s.split_once("..") else {
        return Err(format!("'{s}': expected A..B, a half-open range of seeds such as 0..1000"));
    };
    if b.starts_with('=') {
        return Err(format!("'{s}': inclusive ranges are not accepted; A..B is half-open (write {a}..B+1)"));
    }
    let num = |x: &str, which: &str| {
        x.trim().parse::<u64>().map_err(|_| format!("'{s}': {which} '{x}' is not a seed (an integer from 0 to {})", u64::MAX))
    };
    let (start, end) = (num(a, "start")?, num(b, "end")?);
    if start >= end {
        return Err(format!("'{s}': the range is empty; the start must be less than the end (A..B runs A to B-1)"));
    }
    if end - start > MAX_SEEDS {
        return Err(format!(
            "'{s}': {} seeds; one sweep runs at most {MAX_SEEDS} (split it into several ranges and --merge them)",
            end - start
        ));
    }
    Ok(SeedRange { start, end })
}

/// Shard `index` (1-based) of `count`: the seeds `s` of the range with `(s - start) % count == index - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Parses `K/N` with 1 ≤ K ≤ N.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let Some((k, n)) = s.split_once('/') else {
        return Err(format!("'{s}': expected K/N, shard K (counting from 1) of N, such as 2/4"));
    };
    let num = |x: &str| x.trim().parse::<u64>().map_err(|_| format!("'{s}': '{x}' is not a positive integer"));
    let (index, count) = (num(k)?, num(n)?);
    if count == 0 || index == 0 || index > count {
        return Err(format!("'{s}': K must be between 1 and N, and N at least 1"));
    }
    Ok(Shard { index, count })
}

/// How many seeds of `seeds` the shard runs.
pub fn shard_len(seeds: SeedRange, shard: Option<Shard>) -> u64 {
    match shard {
        None => seeds.len(),
        Some(s) => {
            let first = s.index - 1;
            if first >= seeds.len() {
                0
            } else {
                (seeds.len() - 1 - first) / s.count + 1
            }
        }
    }
}

/// The `i`-th seed the shard runs.
fn nth_seed(seeds: SeedRange, shard: Option<Shard>, i: u64) -> u64 {
    seeds.start + shard.map_or(i, |s| s.index - 1 + i * s.count)
}

fn in_shard(seeds: SeedRange, shard: Option<Shard>, seed: u64) -> bool {
    seed >= seeds.start && seed < seeds.end && shard.is_none_or(|s| (seed - seeds.start) % s.count == s.index - 1)
}

/// What to sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// The scenario file as the user named it (it appears in the reproduce commands).
    pub file: String,
    pub seeds: SeedRange,
    pub shard: Option<Shard>,
    /// `--account-default NAME=VALUE` overrides, passed to every run.
    pub account_defaults: Vec<(String, String)>,
    /// `--faults swarm`: every seed draws its own fault profile.
    pub swarm_faults: bool,
    /// Worker threads; `None` uses the machine's available parallelism.
    pub jobs: Option<usize>,
}

// ----- the JSON result -----

/// The result of a sweep (or of merging the shards of one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub sweep_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as named on the command line.
    pub file: String,
    /// FNV-1a 64 of the scenario file's text, so that shards of different files do not merge.
    pub scenario_digest: String,
    pub seeds: SeedRange,
    pub shard: Option<Shard>,
    /// `NAME=VALUE`, as given.
    pub account_defaults: Vec<String>,
    /// `"swarm"` or null.
    pub faults: Option<String>,
    pub runs: u64,
    /// Runs with a failed expectation or an invariant violation.
    pub failed_runs: u64,
    /// One per failing run, by seed.
    pub failures: Vec<FailureReport>,
    /// How many runs failed each expectation, most first (then by name).
    pub expectation_failures: Vec<NamedCount>,
    pub distribution: Distribution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureReport {
    pub seed: u64,
    pub failed_expectations: Vec<String>,
    /// The `drainsim run` command that reproduces the run.
    pub reproduce: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedCount {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    pub all_drains_completed_at_ms: DrainDistribution,
    /// By service name.
    pub services: Vec<ServiceDistribution>,
}

/// The simulated time at which every drain a run started had completed (`allDrainsCompletedAtMs`
/// of the run report), over the runs where they all completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrainDistribution {
    /// Runs whose drains all completed (the percentiles are over these).
    pub completed_runs: u64,
    /// Runs with a drain that never completed.
    pub incomplete_runs: u64,
    /// Runs that drained no instance (or re-activated every one before it completed).
    pub no_drain_runs: u64,
    pub p50: Option<u64>,
    pub p95: Option<u64>,
    pub max: Option<u64>,
    /// The smallest seed whose drains completed at `max`.
    pub max_seed: Option<u64>,
    /// `[value, runs]` pairs, by value.
    pub histogram: Vec<(u64, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDistribution {
    pub service_name: String,
    pub min_healthy_observed: MinHealthyDistribution,
    /// Runs with at least one placement failure.
    pub runs_with_placement_failures: u64,
    /// Placement failures summed over every run, by reason.
    pub placement_failures: Vec<ReasonCount>,
}

/// The service's `minHealthyObserved` (lowest healthy count after its first steady state), per run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinHealthyDistribution {
    pub observed_runs: u64,
    /// Runs in which it was never observed (null in the run report).
    pub unobserved_runs: u64,
    pub min: Option<u32>,
    /// The smallest seed that observed `min`.
    pub min_seed: Option<u64>,
    pub p50: Option<u32>,
    /// `[value, runs]` pairs, by value.
    pub histogram: Vec<(u32, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

// ----- one run -----

enum DrainFact {
    Completed(u64),
    Incomplete,
    NoDrain,
}

struct ServiceFact {
    name: String,
    min_healthy_observed: Option<u32>,
    placement_failures: Vec<(String, u64)>,
}

struct RunFacts {
    seed: u64,
    /// Empty when the run passed.
    failed: Vec<String>,
    drain: DrainFact,
    services: Vec<ServiceFact>,
}

fn run_facts(loaded: &LoadedScenario, template: &RunOptions, seed: u64) -> Result<RunFacts, String> {
    let opts = RunOptions { seed: Some(seed), ..template.clone() };
    let outcome = runner::run(loaded, &opts).map_err(|e| e.to_string())?;
    let rep = report::build(&outcome);
    let mut failed: Vec<String> = rep.expectations.iter().filter(|x| !x.passed).map(|x| x.name.clone()).collect();
    if let Some(v) = &rep.invariant_violation {
        failed.push(format!("invariant: {v}"));
    }
    // The instances `allDrainsCompletedAtMs` counts: drained, and not re-activated before completing.
    let drained = rep
        .container_instances
        .iter()
        .any(|c| c.drain_started_at_ms.is_some() && !(c.status == "ACTIVE" && c.drain_completed_at_ms.is_none()));
    let drain = match (rep.all_drains_completed_at_ms, drained) {
        (Some(t), _) => DrainFact::Completed(t),
        (None, true) => DrainFact::Incomplete,
        (None, false) => DrainFact::NoDrain,
    };
    let services = rep
        .services
        .into_iter()
        .map(|s| ServiceFact {
            name: s.service_name,
            min_healthy_observed: s.min_healthy_observed,
            placement_failures: s.placement_failures.into_iter().map(|c| (c.reason, c.count)).collect(),
        })
        .collect();
    Ok(RunFacts { seed, failed, drain, services })
}

// ----- the mergeable aggregate -----

#[derive(Debug, Default)]
struct ServiceAgg {
    min_healthy: BTreeMap<u32, u64>,
    unobserved: u64,
    /// (value, seed): the lowest value, then the smallest seed.
    min: Option<(u32, u64)>,
    runs_with_placement_failures: u64,
    placement_failures: BTreeMap<String, u64>,
}

impl ServiceAgg {
    fn merge(&mut self, o: ServiceAgg) {
        add_counts(&mut self.min_healthy, o.min_healthy);
        self.unobserved += o.unobserved;
        self.min = min_opt(self.min, o.min);
        self.runs_with_placement_failures += o.runs_with_placement_failures;
        add_counts(&mut self.placement_failures, o.placement_failures);
    }
}

#[derive(Debug, Default)]
struct Aggregate {
    runs: u64,
    failures: Vec<FailureReport>,
    drain_completed: BTreeMap<u64, u64>,
    /// (value, seed): the highest value, then the smallest seed.
    drain_max: Option<(u64, u64)>,
    drain_incomplete: u64,
    no_drain: u64,
    services: BTreeMap<String, ServiceAgg>,
    /// The smallest seed whose run could not be set up, and why.
    error: Option<(u64, String)>,
}

fn add_counts<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, c) in from {
        *into.entry(k).or_insert(0) += c;
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The higher value; on a tie the smaller seed.
fn max_opt(a: Option<(u64, u64)>, b: Option<(u64, u64)>) -> Option<(u64, u64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if (b.0, std::cmp::Reverse(b.1)) > (a.0, std::cmp::Reverse(a.1)) { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl Aggregate {
    fn add(&mut self, f: RunFacts, reproduce: impl Fn(u64) -> String) {
        self.runs += 1;
        if !f.failed.is_empty() {
            self.failures.push(FailureReport { seed: f.seed, failed_expectations: f.failed, reproduce: reproduce(f.seed) });
        }
        match f.drain {
            DrainFact::Completed(t) => {
                *self.drain_completed.entry(t).or_insert(0) += 1;
                self.drain_max = max_opt(self.drain_max, Some((t, f.seed)));
            }
            DrainFact::Incomplete => self.drain_incomplete += 1,
            DrainFact::NoDrain => self.no_drain += 1,
        }
        for s in f.services {
            let agg = self.services.entry(s.name).or_default();
            match s.min_healthy_observed {
                Some(v) => {
                    *agg.min_healthy.entry(v).or_insert(0) += 1;
                    agg.min = min_opt(agg.min, Some((v, f.seed)));
                }
                None => agg.unobserved += 1,
            }
            if s.placement_failures.iter().any(|(_, c)| *c > 0) {
                agg.runs_with_placement_failures += 1;
            }
            for (reason, c) in s.placement_failures {
                *agg.placement_failures.entry(reason).or_insert(0) += c;
            }
        }
    }

    fn merge(mut self, o: Aggregate) -> Aggregate {
        self.runs += o.runs;
        self.failures.extend(o.failures);
        add_counts(&mut self.drain_completed, o.drain_completed);
        self.drain_max = max_opt(self.drain_max, o.drain_max);
        self.drain_incomplete += o.drain_incomplete;
        self.no_drain += o.no_drain;
        for (name, s) in o.services {
            self.services.entry(name).or_default().merge(s);
        }
        self.error = match (self.error, o.error) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        self
    }

    /// Rebuilds the aggregate a report was made from.
    fn from_report(r: &SweepReport) -> Aggregate {
        let d = &r.distribution.all_drains_completed_at_ms;
        Aggregate {
            runs: r.runs,
            failures: r.failures.clone(),
            drain_completed: d.histogram.iter().copied().collect(),
            drain_max: d.max.zip(d.max_seed),
            drain_incomplete: d.incomplete_runs,
            no_drain: d.no_drain_runs,
            services: r
                .distribution
                .services
                .iter()
                .map(|s| {
                    let m = &s.min_healthy_observed;
                    let agg = ServiceAgg {
                        min_healthy: m.histogram.iter().copied().collect(),
                        unobserved: m.unobserved_runs,
                        min: m.min.zip(m.min_seed),
                        runs_with_placement_failures: s.runs_with_placement_failures,
                        placement_failures: s.placement_failures.iter().map(|c| (c.reason.clone(), c.count)).collect(),
                    };
                    (s.service_name.clone(), agg)
                })
                .collect(),
            error: None,
        }
    }

    fn finish(mut self, header: Header) -> SweepReport {
        self.failures.sort_by_key(|f| f.seed);
        let mut by_name: BTreeMap<&str, u64> = BTreeMap::new();
        for f in &self.failures {
            // A run counts once per expectation name, even if it failed two checks of that name.
            for name in f.failed_expectations.iter().collect::<BTreeSet<_>>() {
                *by_name.entry(name.as_str()).or_insert(0) += 1;
            }
        }
        let mut expectation_failures: Vec<NamedCount> =
            by_name.into_iter().map(|(name, count)| NamedCount { name: name.to_string(), count }).collect();
        expectation_failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        let completed: u64 = self.drain_completed.values().sum();
        let drains = DrainDistribution {
            completed_runs: completed,
            incomplete_runs: self.drain_incomplete,
            no_drain_runs: self.no_drain,
            p50: nearest_rank(&self.drain_completed, 50),
            p95: nearest_rank(&self.drain_completed, 95),
            max: self.drain_max.map(|m| m.0),
            max_seed: self.drain_max.map(|m| m.1),
            histogram: self.drain_completed.into_iter().collect(),
        };
        let services = self
            .services
            .into_iter()
            .map(|(name, s)| ServiceDistribution {
                service_name: name,
                min_healthy_observed: MinHealthyDistribution {
                    observed_runs: s.min_healthy.values().sum(),
                    unobserved_runs: s.unobserved,
                    min: s.min.map(|m| m.0),
                    min_seed: s.min.map(|m| m.1),
                    p50: nearest_rank(&s.min_healthy, 50),
                    histogram: s.min_healthy.into_iter().collect(),
                },
                runs_with_placement_failures: s.runs_with_placement_failures,
                placement_failures: s
                    .placement_failures
                    .into_iter()
                    .map(|(reason, count)| ReasonCount { reason, count })
                    .collect(),
            })
            .collect();
        SweepReport {
            sweep_version: SWEEP_VERSION,
            scenario: header.scenario,
            file: header.file,
            scenario_digest: header.scenario_digest,
            seeds: header.seeds,
            shard: header.shard,
            account_defaults: header.account_defaults,
            faults: header.faults,
            runs: self.runs,
            failed_runs: self.failures.len() as u64,
            failures: self.failures,
            expectation_failures,
            distribution: Distribution { all_drains_completed_at_ms: drains, services },
        }
    }
}

/// The nearest-rank percentile of a histogram: the value at 1-based rank ⌈p·n/100⌉ of the n sorted
/// values (rank 1 when that is 0); `None` when it is empty.
pub fn nearest_rank<K: Copy>(hist: &BTreeMap<K, u64>, p: u64) -> Option<K> {
    let n: u128 = hist.values().map(|c| *c as u128).sum();
    if n == 0 {
        return None;
    }
    let rank = (p as u128 * n).div_ceil(100).max(1);
    let mut seen = 0u128;
    for (k, c) in hist {
        seen += *c as u128;
        if seen >= rank {
            return Some(*k);
        }
    }
    hist.keys().next_back().copied()
}

struct Header {
    scenario: String,
    file: String,
    scenario_digest: String,
    seeds: SeedRange,
    shard: Option<Shard>,
    account_defaults: Vec<String>,
    faults: Option<String>,
}

/// FNV-1a 64 of a text, as 16 hex digits.
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The `drainsim run` command that reproduces one seed of a sweep.
pub fn reproduce_command(opts: &SweepOptions, seed: u64) -> String {
    let mut cmd = format!("drainsim run {} --seed {seed}", shell_word(&opts.file));
    for (k, v) in &opts.account_defaults {
        cmd.push_str(&format!(" --account-default {}", shell_word(&format!("{k}={v}"))));
    }
    if opts.swarm_faults {
        cmd.push_str(" --faults swarm");
    }
    cmd
}

/// Runs the scenario once per seed of the shard, on `opts.jobs` threads, calling `progress` after
/// each run (from any thread). An error names the smallest seed whose run could not be set up.
pub fn sweep(loaded: &LoadedScenario, opts: &SweepOptions, progress: &(dyn Fn() + Sync)) -> Result<SweepReport, String> {
    if opts.seeds.is_empty() || opts.seeds.len() > MAX_SEEDS {
        return Err(format!("seeds {}: between 1 and {MAX_SEEDS} seeds", opts.seeds));
    }
    let template = RunOptions {
        seed: None,
        account_defaults: opts.account_defaults.clone(),
        keep_records: false,
        check_invariants_every_event: false,
        swarm_faults: opts.swarm_faults,
    };
    let n = shard_len(opts.seeds, opts.shard);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    let agg = pool.install(|| {
        (0..n)
            .into_par_iter()
            .fold(Aggregate::default, |mut acc, i| {
                let seed = nth_seed(opts.seeds, opts.shard, i);
                match run_facts(loaded, &template, seed) {
                    Ok(f) => acc.add(f, |s| reproduce_command(opts, s)),
                    Err(e) => acc = acc.merge(Aggregate { error: Some((seed, e)), ..Default::default() }),
                }
                progress();
                acc
            })
            .reduce(Aggregate::default, Aggregate::merge)
    });
    if let Some((seed, e)) = agg.error {
        return Err(format!("seed {seed}: {e}"));
    }
    let header = Header {
        scenario: loaded.scenario.name.clone(),
        file: opts.file.clone(),
        scenario_digest: digest(&loaded.source),
        seeds: opts.seeds,
        shard: opts.shard,
        account_defaults: opts.account_defaults.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        faults: opts.swarm_faults.then(|| "swarm".to_string()),
    };
    Ok(agg.finish(header))
}

/// Parses a sweep's JSON output; `name` is used in errors.
pub fn parse_report(name: &str, text: &str) -> Result<SweepReport, String> {
    let r: SweepReport =
        serde_json::from_str(text).map_err(|e| format!("{name}: not the JSON output of `drainsim sweep --json` ({e})"))?;
    if r.sweep_version != SWEEP_VERSION {
        return Err(format!("{name}: sweepVersion {} (this drainsim reads {SWEEP_VERSION})", r.sweep_version));
    }
    if r.seeds.is_empty() {
        return Err(format!("{name}: seeds {} is empty", r.seeds));
    }
    if let Some(s) = r.shard {
        if s.index == 0 || s.count == 0 || s.index > s.count {
            return Err(format!("{name}: shard {s} is not K/N with 1 <= K <= N"));
        }
    }
    let expected = shard_len(r.seeds, r.shard);
    let part = r.shard.map_or(String::new(), |s| format!(" shard {s}"));
    if r.runs != expected {
        return Err(format!(
            "{name}: {} runs, but seeds {}{part} hold {expected} (an incomplete or edited file?)",
            r.runs, r.seeds
        ));
    }
    if r.failed_runs != r.failures.len() as u64 {
        return Err(format!("{name}: failedRuns {} but {} failures listed", r.failed_runs, r.failures.len()));
    }
    if let Some(f) = r.failures.iter().find(|f| !in_shard(r.seeds, r.shard, f.seed)) {
        return Err(format!("{name}: failing seed {} is not in seeds {}{part}", f.seed, r.seeds));
    }
    if r.failures.windows(2).any(|w| w[0].seed >= w[1].seed) {
        return Err(format!("{name}: failures are not sorted by distinct seeds"));
    }
    let d = &r.distribution.all_drains_completed_at_ms;
    let completed: u64 = d.histogram.iter().map(|(_, c)| c).sum();
    if completed != d.completed_runs || completed + d.incomplete_runs + d.no_drain_runs != r.runs {
        return Err(format!("{name}: the drain distribution does not add up to {} runs", r.runs));
    }
    Ok(r)
}

/// Combines the outputs of sweeps that together cover one range of seeds exactly once (the shards
/// 1/N … N/N of a range, and/or adjacent ranges) into the report one sweep of it gives.
pub fn merge(inputs: &[(String, SweepReport)]) -> Result<SweepReport, String> {
    let Some((first_name, first)) = inputs.first() else {
        return Err("--merge needs at least one sweep JSON file".into());
    };
    for (name, r) in &inputs[1..] {
        let differ = |what: &str, a: &dyn fmt::Debug, b: &dyn fmt::Debug| {
            Err(format!("{first_name} and {name} are sweeps of different runs: {what} {a:?} vs {b:?}"))
        };
        if r.scenario != first.scenario {
            return differ("scenario", &first.scenario, &r.scenario);
        }
        if r.file != first.file {
            return differ("file", &first.file, &r.file);
        }
        if r.scenario_digest != first.scenario_digest {
            return differ("scenarioDigest (the scenario file's text)", &first.scenario_digest, &r.scenario_digest);
        }
        if r.account_defaults != first.account_defaults {
            return differ("accountDefaults", &first.account_defaults, &r.account_defaults);
        }
        if r.faults != first.faults {
            return differ("faults", &first.faults, &r.faults);
        }
    }
    // Each range must be covered by one unsharded sweep or by every shard of one count.
    let mut by_range: BTreeMap<SeedRange, Vec<(&str, Option<Shard>)>> = BTreeMap::new();
    for (name, r) in inputs {
        by_range.entry(r.seeds).or_default().push((name, r.shard));
    }
    for (range, parts) in &by_range {
        if parts.len() > 1 && parts.iter().any(|(_, s)| s.is_none()) {
            let names: Vec<&str> = parts.iter().map(|(n, _)| *n).collect();
            return Err(format!("{} overlap: they all run seeds of {range}", names.join(", ")));
        }
        let Some(count) = parts[0].1.map(|s| s.count) else { continue };
        let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
        for (name, s) in parts {
            let s = s.expect("checked above");
            if s.count != count {
                return Err(format!("{} and {name} split seeds {range} into {count} and {} shards", parts[0].0, s.count));
            }
            if let Some(other) = seen.insert(s.index, name) {
                return Err(format!("{other} and {name} are both shard {s} of seeds {range}"));
            }
        }
        let missing: Vec<String> = (1..=count).filter(|k| !seen.contains_key(k)).map(|k| format!("{k}/{count}")).collect();
        if !missing.is_empty() {
            return Err(format!("seeds {range}: shard {} missing", missing.join(", ")));
        }
    }
    let ranges: Vec<SeedRange> = by_range.keys().copied().collect();
    for w in ranges.windows(2) {
        if w[0].end > w[1].start {
            return Err(format!("seeds {} and {} overlap", w[0], w[1]));
        }
        if w[0].end < w[1].start {
            return Err(format!("seeds {}..{} are in no input (between {} and {})", w[0].end, w[1].start, w[0], w[1]));
        }
    }
    let seeds = SeedRange { start: ranges[0].start, end: ranges[ranges.len() - 1].end };
    let agg = inputs.iter().map(|(_, r)| Aggregate::from_report(r)).fold(Aggregate::default(), Aggregate::merge);
    let header = Header {
        scenario: first.scenario.clone(),
        file: first.file.clone(),
        scenario_digest: first.scenario_digest.clone(),
        seeds,
        shard: None,
        account_defaults: first.account_defaults.clone(),
        faults: first.faults.clone(),
    };
    Ok(agg.finish(header))
}

/// The text summary of a sweep: the distribution as a short table, then the failing seeds'
/// reproduce commands (the first [`TEXT_FAILURES_LISTED`]).
pub fn render_text(r: &SweepReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let shard = r.shard.map_or(String::new(), |s| format!(", shard {s}"));
    let extra: String = r
        .account_defaults
        .iter()
        .map(|kv| format!(" --account-default {kv}"))
        .chain(r.faults.iter().map(|f| format!(" --faults {f}")))
        .collect();
    let _ = writeln!(out, "drainsim sweep: scenario '{}' ({}), seeds {}{shard}{extra}", r.scenario, r.file, r.seeds);
    let _ = writeln!(out, "runs {}  failedRuns {}", r.runs, r.failed_runs);
    let d = &r.distribution.all_drains_completed_at_ms;
    let t = |v: Option<u64>| v.map_or("-".to_string(), format_sim_time);
    let _ = writeln!(out, "\nall drains completed at (simulated, nearest rank over {} runs):", d.completed_runs);
    let _ = writeln!(
        out,
        "  p50 {}  p95 {}  max {}{}   incomplete {}  no drain {}",
        t(d.p50),
        t(d.p95),
        t(d.max),
        d.max_seed.map_or(String::new(), |s| format!(" (seed {s})")),
        d.incomplete_runs,
        d.no_drain_runs
    );
    if !r.distribution.services.is_empty() {
        let _ = writeln!(out, "\nservices:");
        for s in &r.distribution.services {
            let m = &s.min_healthy_observed;
            let o = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
            let pf = if s.placement_failures.is_empty() {
                "none".to_string()
            } else {
                let list: Vec<String> = s.placement_failures.iter().map(|c| format!("{} {}", c.reason, c.count)).collect();
                format!("{} in {} runs", list.join(", "), s.runs_with_placement_failures)
            };
            let _ = writeln!(
                out,
                "  {:<16} minHealthyObserved min {}{}  p50 {}  (unobserved in {} runs)   placementFailures {pf}",
                s.service_name,
                o(m.min),
                m.min_seed.map_or(String::new(), |s| format!(" (seed {s})")),
                o(m.p50),
                m.unobserved_runs
            );
        }
    }
    if !r.expectation_failures.is_empty() {
        let _ = writeln!(out, "\nfailed expectations (runs):");
        for x in &r.expectation_failures {
            let _ = writeln!(out, "  {:>8}  {}", x.count, x.name);
        }
    }
    if !r.failures.is_empty() {
        let _ = writeln!(out, "\nfailing seeds, reproduce with:");
        for f in r.failures.iter().take(TEXT_FAILURES_LISTED) {
            let _ = writeln!(out, "  {}", f.reproduce);
        }
        if r.failures.len() > TEXT_FAILURES_LISTED {
            let _ = writeln!(out, "  … and {} more (--json lists every one)", r.failures.len() - TEXT_FAILURES_LISTED);
        }
    }
    if r.failed_runs == 0 {
        let _ = writeln!(out, "\nresult: every run's expectations hold");
    } else {
        let _ = writeln!(out, "\nresult: {} of {} runs failed", r.failed_runs, r.runs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seed_ranges_and_rejects_bad_ones() {
        assert_eq!(parse_seeds("0..1000"), Ok(SeedRange { start: 0, end: 1000 }));
        assert_eq!(parse_seeds("7..8"), Ok(SeedRange { start: 7, end: 8 }));
        for bad in ["5..2", "3..3", "0", "a..5", "0..=5", "-1..4", "0..10000001"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
        assert!(parse_seeds("0..10000000").is_ok());
    }

    #[test]
    fn parses_shards() {
        assert_eq!(parse_shard("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "1", "x/2"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_the_range() {
        let seeds = SeedRange { start: 10, end: 27 };
        for count in 1..=20 {
            let mut all = Vec::new();
            for index in 1..=count {
                let shard = Some(Shard { index, count });
                let n = shard_len(seeds, shard);
                for i in 0..n {
                    let s = nth_seed(seeds, shard, i);
                    assert!(in_shard(seeds, shard, s));
                    all.push(s);
                }
            }
            all.sort();
            assert_eq!(all, (10..27).collect::<Vec<_>>(), "count {count}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let h: BTreeMap<u64, u64> = (1..=20).map(|v| (v, 1)).collect();
        assert_eq!(nearest_rank(&h, 50), Some(10));
        assert_eq!(nearest_rank(&h, 95), Some(19));
        assert_eq!(nearest_rank(&h, 100), Some(20));
        assert_eq!(nearest_rank(&h, 0), Some(1));
        let one: BTreeMap<u64, u64> = [(5, 1)].into();
        assert_eq!(nearest_rank(&one, 95), Some(5));
        assert_eq!(nearest_rank(&BTreeMap::<u64, u64>::new(), 50), None);
    }

    #[test]
    fn ties_go_to_the_smaller_seed_whatever_the_order() {
        assert_eq!(max_opt(Some((5, 9)), Some((5, 3))), Some((5, 3)));
        assert_eq!(max_opt(Some((5, 3)), Some((5, 9))), Some((5, 3)));
        assert_eq!(max_opt(Some((4, 1)), Some((5, 9))), Some((5, 9)));
        assert_eq!(min_opt(Some((2u32, 9u64)), Some((2, 3))), Some((2, 3)));
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("scenarios/demo.ron"), "scenarios/demo.ron");
        assert_eq!(shell_word("my file.ron"), "'my file.ron'");
        assert_eq!(shell_word("it's.ron"), r"'it'\''s.ron'");
    }
}
