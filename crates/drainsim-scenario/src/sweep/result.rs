//! The result of a sweep, as `--json` prints it and `--merge` reads it.

use serde::{Deserialize, Serialize};

use super::seeds::{SeedRange, Shard};

/// Bumped whenever a field of [`SweepReport`] changes meaning or disappears.
pub const SWEEP_VERSION: u32 = 1;
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
