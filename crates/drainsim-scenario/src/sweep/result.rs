//! The result of a sweep, as `--json` prints it and `--merge` reads it.

use serde::{Deserialize, Serialize};

use super::seeds::{SeedRange, Shard};

/// Bumped whenever a field of [`SweepReport`] changes meaning or disappears (2: `failures` lists
/// at most [`MAX_FAILURES_LISTED`] runs; 3: `minHealthyObserved` counts the runs' dips below the
/// floor outside a drain too, so a result of version 2 does not merge with one of 3; 4:
/// `allDrainsCompletedAtMs` leaves out the drains managed scaling's scale-in began, when a run has
/// others; 5: `instanceRefreshes`, so that a result without them does not merge with one that has
/// them; 6: a failed `Check` expectation is named with its step; 7: `stalls` and
/// `runsWithStalls`; 8: `drainsRefusedRuns`, so that a result without the count does not merge
/// with one that has it and print a part of it as the whole, and a failing run lists at most
/// [`MAX_EXPECTATIONS_LISTED_PER_RUN`] failed expectations, `moreFailedExpectations` counting
/// the rest).
pub const SWEEP_VERSION: u32 = 9;
/// The most failed expectations a listed failing run names: a run of a scenario of thousands of
/// expectations failing them all kept every name in each of up to 2,000 listed runs (476 MB for
/// 2,000 a run); `expectationFailures` counts every one.
pub const MAX_EXPECTATIONS_LISTED_PER_RUN: usize = 20;

/// The most failing runs a result lists: those of the smallest seeds. `failedRuns` and
/// `expectationFailures` count every failing run; the list is bounded so that a sweep's memory and
/// output do not grow with the number of seeds that fail (up to 10,000,000).
pub const MAX_FAILURES_LISTED: usize = 1_000;
/// The result of a sweep (or of merging the shards of one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// The version of this format ([`SWEEP_VERSION`]).
    pub sweep_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as named on the command line.
    pub file: String,
    /// FNV-1a 64 of the scenario file's text, so that shards of different files do not merge.
    pub scenario_digest: String,
    /// The seeds the sweep (or, merged, all its inputs together) ran.
    pub seeds: SeedRange,
    /// The shard of `seeds` it ran (null for a whole range or a merge).
    pub shard: Option<Shard>,
    /// The command line's `--account-default NAME=VALUE` overrides, as given (the scenario's own
    /// `accountDefaults` are in its file, which `scenario_digest` covers).
    pub account_defaults: Vec<String>,
    /// `"swarm"` or null.
    pub faults: Option<String>,
    /// How many runs it made.
    pub runs: u64,
    /// The sweep was interrupted (Ctrl-C): only `runs` of the seeds ran, and the result covers only
    /// them. Absent from the JSON of a complete sweep; a partial result cannot be merged.
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// Runs with a failed expectation or an invariant violation.
    pub failed_runs: u64,
    /// The failing runs of the smallest seeds, by seed: all of them up to [`MAX_FAILURES_LISTED`].
    pub failures: Vec<FailureReport>,
    /// How many runs failed each expectation, most first (then by name).
    pub expectation_failures: Vec<NamedCount>,
    /// Distributions of the runs' outcomes.
    pub distribution: Distribution,
}

/// One failing run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureReport {
    /// The run's seed.
    pub seed: u64,
    /// The names of its failed expectations (and `invariant: ...` for a violated invariant), the
    /// first [`MAX_EXPECTATIONS_LISTED_PER_RUN`] of them.
    pub failed_expectations: Vec<String>,
    /// How many more it failed than are listed (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_failed_expectations: u64,
    /// The `drainsim run` command that reproduces the run.
    pub reproduce: String,
}

/// An expectation and the number of runs that failed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedCount {
    /// The expectation's name.
    pub name: String,
    /// How many runs failed it.
    pub count: u64,
}

impl NamedCount {
    /// Runs per expectation name, the most failed first (ties by name): how a sweep and a
    /// comparison list them.
    pub fn most_first(counts: std::collections::BTreeMap<String, u64>) -> Vec<NamedCount> {
        let mut v: Vec<NamedCount> = counts.into_iter().map(|(name, count)| NamedCount { name, count }).collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        v
    }
}

/// The distributions of a sweep's outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    /// When every drain of a run had completed.
    pub all_drains_completed_at_ms: DrainDistribution,
    /// By service name.
    pub services: Vec<ServiceDistribution>,
    /// By capacity provider with managed scaling (absent without one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_scaling: Vec<ManagedScalingDistribution>,
    /// By Auto Scaling group an instance refresh ran on (absent without one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_refreshes: Vec<InstanceRefreshDistribution>,
}

/// The instance refreshes of one Auto Scaling group over the runs (the run report's
/// `instanceRefreshes`): how each ended and how long the ended ones took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRefreshDistribution {
    /// `AutoScalingGroupName`.
    pub auto_scaling_group_name: String,
    /// Refreshes by their `Status` at the end of the run (`Successful`, `Failed`, `InProgress`:
    /// the run ended first), most first; a run that started two counts both.
    pub statuses: Vec<NamedCount>,
    /// Refreshes that ended (the durations are over these).
    pub ended_refreshes: u64,
    /// How long an ended refresh took (`EndTime` − `StartTime`, simulated ms): nearest-rank median.
    pub duration_p50_ms: Option<u64>,
    /// Nearest-rank 95th percentile.
    pub duration_p95_ms: Option<u64>,
    /// The longest.
    pub duration_max_ms: Option<u64>,
    /// The smallest seed whose refresh took `durationMaxMs`.
    pub duration_max_seed: Option<u64>,
    /// `[duration ms, refreshes]` pairs, by value.
    pub histogram: Vec<(u64, u64)>,
}

/// What a capacity provider's managed scaling did over the runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedScalingDistribution {
    /// The capacity provider's name.
    pub capacity_provider_name: String,
    /// Instances it launched, per run: nearest-rank median.
    pub instances_launched_p50: Option<u32>,
    /// Nearest-rank 95th percentile.
    pub instances_launched_p95: Option<u32>,
    /// The most.
    pub instances_launched_max: Option<u32>,
    /// The smallest seed that launched `instancesLaunchedMax`.
    pub instances_launched_max_seed: Option<u64>,
    /// Runs whose last datapoint still had tasks waiting PROVISIONING.
    pub runs_ending_with_tasks_provisioning: u64,
    /// `[instances launched, runs]` pairs, by value.
    pub histogram: Vec<(u32, u64)>,
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
    /// Runs in which ECS refused a request to set an instance DRAINING (its status could not
    /// move) and the instance never drained: the plan did not drain everything it asked for,
    /// whichever of the three counts above the run is in (since version 8; read as 0 when absent
    /// only so that a file of an older version parses, and is then refused for its version).
    #[serde(default)]
    pub drains_refused_runs: u64,
    /// Nearest-rank median over the completed runs.
    pub p50: Option<u64>,
    /// Nearest-rank 95th percentile over the completed runs.
    pub p95: Option<u64>,
    /// The latest over the completed runs.
    pub max: Option<u64>,
    /// The smallest seed whose drains completed at `max`.
    pub max_seed: Option<u64>,
    /// `[value, runs]` pairs, by value.
    pub histogram: Vec<(u64, u64)>,
}

/// The distributions of one service over the runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDistribution {
    /// The service's name.
    pub service_name: String,
    /// Its `minHealthyObserved`, per run.
    pub min_healthy_observed: MinHealthyDistribution,
    /// Runs with at least one placement failure.
    pub runs_with_placement_failures: u64,
    /// Placement failures summed over every run, by reason.
    pub placement_failures: Vec<ReasonCount>,
    /// Runs in which some task was found UNHEALTHY (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub runs_with_unhealthy_tasks: u64,
    /// Tasks found UNHEALTHY, each replaced, summed over every run (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unhealthy_tasks: u64,
    /// Runs in which the service fell below its floor at least once (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub runs_with_floor_breaches: u64,
    /// Its floor breaches summed over every run, by cause (`reason`: `forcedDeregistration`,
    /// `healthCheckFailed`, ...; absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub floor_breaches: Vec<ReasonCount>,
    /// Runs in which the service stalled at least once: work left, nothing in flight, and its
    /// last pass changed nothing (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub runs_with_stalls: u64,
    /// Its stalls summed over every run, by reason (`reason`: ECS's placement failure reason such
    /// as `RESOURCE:CPU`, `deploymentConfiguration`, `TaskFailedToStart` or `PROVISIONING`; absent
    /// when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stalls: Vec<ReasonCount>,
}

/// The service's `minHealthyObserved` (lowest healthy count after its first steady state), per run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinHealthyDistribution {
    /// Runs in which it was observed (the percentiles are over these).
    pub observed_runs: u64,
    /// Runs in which it was never observed (null in the run report).
    pub unobserved_runs: u64,
    /// The lowest over the runs.
    pub min: Option<u32>,
    /// The smallest seed that observed `min`.
    pub min_seed: Option<u64>,
    /// Nearest-rank median.
    pub p50: Option<u32>,
    /// `[value, runs]` pairs, by value.
    pub histogram: Vec<(u32, u64)>,
}

/// A count of one reason: the placement attempts that failed for it, or the floor breaches it
/// caused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    /// The reason: a placement failure's as ECS spells it (`RESOURCE:CPU`, ...), or a floor
    /// breach's cause as the run report spells it (`healthCheckFailed`, ...).
    pub reason: String,
    /// How many placement attempts failed, or breaches happened, for it.
    pub count: u64,
}

fn is_false(b: &bool) -> bool {
    !b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
