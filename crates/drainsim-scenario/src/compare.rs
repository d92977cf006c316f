//! `drainsim compare`: two plans over the same seeds, side by side.
//!
//! Plan A is a scenario; plan B is a second scenario, or the first with `--set` overrides
//! (`web.deploymentConfiguration.maximumPercent=150`) and `--account-default`s. Both run once per
//! seed on a rayon pool; each run is reduced to a few numbers ([`RunNumbers`]), folded as the runs
//! finish into each number's distribution (how many runs measured each value, so memory grows with
//! the distinct values, not with the seeds), and each distribution over the seeds (min, median,
//! p95, max by nearest rank) is printed beside the other plan's, with the difference of the
//! medians and which plan is better (every measure here is better lower). The result depends
//! neither on the number of threads nor on the order runs finish in.

use crate::setup::SetupRequests;
use drainsim_core::StopReason;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::format::{InstanceGroup, Scenario};
use crate::load::LoadedScenario;
use crate::runner::{self, RunOptions};
use crate::sweep::{add_counts, nearest_rank, smaller_seed_error, SeedRange, MAX_JOBS, MAX_SEEDS};

/// Bumped whenever a field of [`CompareReport`] changes meaning or disappears (6: a run that ended
/// with a stall still open has no `time stalled`, counted in `stalls still open at the end`, and
/// `failed expectations` is `not ranked` between plans that judge different numbers; 5: `placement
/// failures` is `not ranked`, `time stalled` is a measure, and a run with a drain ECS refused has
/// no total drain time; 3: a service's deepest dip below
/// its floor is the depth of its floor breaches, and a service only one plan has is `n/a`; 2: the
/// drain times leave out managed scaling's scale-in).
pub const COMPARE_VERSION: u32 = 6;
/// The most `--set` overrides.
pub const MAX_OVERRIDES: usize = 64;

/// Scenario fields `--set` may change directly (`endTimeMs=3600000`). Not `seed`: every run of
/// both plans takes its seed from `--seeds`, so a scenario's own seed changes nothing.
const TOP_SCALARS: [&str; 3] = ["endTimeMs", "maxEvents", "latestAgentVersion"];
/// Scenario fields `--set` may change inside (`timings.jitterPercent=10`).
const TOP_OBJECTS: [&str; 3] = ["timings", "accountDefaults", "faults"];

/// One plan: a loaded scenario, how to name it, and the options of its runs.
pub struct Plan {
    /// The file and overrides, as the user gave them.
    pub label: String,
    /// The scenario.
    pub loaded: LoadedScenario,
    /// `--account-default` overrides of its runs.
    pub account_defaults: Vec<(String, String)>,
    /// The scenario was written from `--set` overrides ([`apply_overrides`]): a line and column
    /// in it point into text no file holds, so its errors are reported without them.
    pub rewritten: bool,
    /// The command that reproduces this plan's run of a seed, as the user would type it (the
    /// report's [`PlanFailures::reproduce`]).
    pub reproduce: Box<dyn Fn(u64) -> String + Sync>,
}

/// What one run of a plan measured. `None` where the run measured nothing (a drain never
/// completed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunNumbers {
    /// From the first drain's start to the moment every drain was complete
    /// ([`crate::outcome::total_drain_ms`]: a cancelled drain is no drain); 0 when nothing was
    /// drained (nothing to wait for).
    pub total_drain_ms: Option<u64>,
    /// From the first drain's start to the last completion among the drains that completed, and how
    /// many did not ([`crate::outcome::completed_drains`]).
    pub completed_drains_ms: Option<u64>,
    /// Drains that did not complete (a cancelled one is no drain).
    pub open_drains: u64,
    /// Drains ECS refused that never began ([`crate::outcome::refused_drains`]).
    pub drains_refused: u64,
    /// The slowest single drain that completed, from its start to its completion
    /// ([`crate::outcome::slowest_completed_drain`]); None when none completed.
    pub slowest_drain_ms: Option<u64>,
    /// Per service: its deepest dip below its floor (0 when it never dipped, or its observation
    /// window never opened: no drain, no steady state).
    pub dips: BTreeMap<String, u64>,
    /// Per service: how many healthy tasks short of its desired count it was at its lowest (0 when
    /// it never fell short or nothing was observed): what a plan that lowers the floor itself
    /// (`minimumHealthyPercent`) costs, which no dip below that lower floor shows.
    pub shortfalls: BTreeMap<String, u64>,
    /// Stall episodes, all services.
    pub stalls: u64,
    /// How long services were stalled, summed over the services, from the first drain on; None
    /// for a run a bound cut short, which measures no time (what it did not run is not the plan's),
    /// and for a run that ended with a stall still open, whose length is unknown (counted up to
    /// the end of the run, it measured how long the plan's steps waited, not the stall).
    pub stalled_ms: Option<u64>,
    /// Stalls of the drain still open when the run ended (a service that never got its tasks
    /// placed again); None for a run a bound cut short, whose stalls may have ended after it.
    pub open_stalls: Option<u64>,
    /// Tasks moved more than once, all services.
    pub tasks_moved_more_than_once: u64,
    /// Tasks found UNHEALTHY (and replaced), all services.
    pub unhealthy_tasks: u64,
    /// Floor breaches (episodes below a floor, whatever their cause), all services.
    pub floor_breaches: u64,
    /// Failed placement attempts, all services and reasons.
    pub placement_failures: u64,
    /// Instances managed scaling launched, all capacity providers.
    pub instances_launched_by_managed_scaling: u64,
    /// Drains managed scaling's scale-in began ([`crate::outcome::DrainScope`]), which the drain
    /// times leave out.
    pub scale_in_drains: u64,
    /// Spot Instances EC2 interrupted.
    pub spot_interruptions: u64,
    /// Spot Instances an Auto Scaling group's Capacity Rebalancing began to replace.
    pub capacity_rebalancing_replacements: u64,
    /// Instances an Auto Scaling group began to replace at their maximum instance lifetime.
    pub max_instance_lifetime_replacements: u64,
    /// Tasks orphaned: still on their instance when it went away (a forced deregistration, a Spot
    /// Instance terminated, a lifecycle hook that timed out), so never stopped by the plan.
    pub tasks_orphaned: u64,
    /// Whether a bound of the run (`maxEvents`, the events of one instant, the end of simulated
    /// time) stopped it before it was quiet: its drain times are then no measure of the plan.
    pub cut_short: bool,
    /// Whether the run started an instance refresh.
    pub refreshed: bool,
    /// From the first instance refresh's start to the end of the last, when every refresh ended
    /// `Successful` (`None` when one failed or the run ended first).
    pub instance_refresh_ms: Option<u64>,
    /// Failed expectations (and a violated invariant).
    pub failed_expectations: u64,
    /// Their names, each once (a violated invariant as [`INVARIANT_VIOLATED`]).
    pub failed_names: Vec<String>,
}

/// The name a violated invariant is counted under among a plan's failed expectations: one name,
/// whatever the violation, so the count per name stays bounded by the scenario's expectations.
pub const INVARIANT_VIOLATED: &str = "the engine's invariants";

/// min / median / p95 / max of one measure over the runs that measured it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Runs that measured it.
    pub runs: u64,
    /// The smallest value.
    pub min: Option<u64>,
    /// The median (nearest rank).
    pub median: Option<u64>,
    /// The 95th percentile (nearest rank).
    pub p95: Option<u64>,
    /// The largest value.
    pub max: Option<u64>,
}

/// How many runs measured each value of one measure: its distribution, exact, and mergeable by
/// adding counts.
type Counts = BTreeMap<u64, u64>;

impl Stats {
    /// The statistics of a distribution; a percentile is the value of nearest rank (the sweep's
    /// [`nearest_rank`]).
    fn of_counts(counts: &Counts) -> Stats {
        Stats {
            runs: counts.values().sum(),
            min: counts.keys().next().copied(),
            median: nearest_rank(counts, 50),
            p95: nearest_rank(counts, 95),
            max: counts.keys().next_back().copied(),
        }
    }

    #[cfg(test)]
    fn of(values: Vec<u64>) -> Stats {
        let mut counts = Counts::new();
        for v in values {
            *counts.entry(v).or_insert(0) += 1;
        }
        Stats::of_counts(&counts)
    }
}

/// One plan's runs, folded: each measure's distribution, and the smallest seed whose run failed.
#[derive(Debug, Default)]
struct PlanRuns {
    total_drain_ms: Counts,
    completed_drains_ms: Counts,
    open_drains: Counts,
    slowest_drain_ms: Counts,
    /// Runs whose slowest drain is shorter than their total drain time (or whose total drain time
    /// is undefined): drains that did not run side by side.
    drains_apart_runs: u64,
    /// Per service (every service some run had, even one that never measured a dip).
    dips: BTreeMap<String, Counts>,
    /// Per service: healthy tasks short of desired at the lowest.
    shortfalls: BTreeMap<String, Counts>,
    stalls: Counts,
    stalled_ms: Counts,
    open_stalls: Counts,
    drains_refused: Counts,
    tasks_moved_more_than_once: Counts,
    unhealthy_tasks: Counts,
    floor_breaches: Counts,
    placement_failures: Counts,
    instances_launched: Counts,
    scale_in_drains: Counts,
    spot_interruptions: Counts,
    capacity_rebalancing_replacements: Counts,
    max_instance_lifetime_replacements: Counts,
    tasks_orphaned: Counts,
    runs_cut_short: Counts,
    /// Runs that started an instance refresh.
    refreshed_runs: u64,
    instance_refresh_ms: Counts,
    failed_expectations: Counts,
    /// The runs that failed an expectation or broke an invariant, per expectation name.
    expectation_failures: BTreeMap<String, u64>,
    /// The smallest seed among them.
    smallest_failed_seed: Option<u64>,
    error: Option<(u64, String)>,
}

fn count(into: &mut Counts, value: Option<u64>) {
    if let Some(v) = value {
        *into.entry(v).or_insert(0) += 1;
    }
}

impl PlanRuns {
    fn add(mut self, seed: u64, run: Result<RunNumbers, String>) -> PlanRuns {
        match run {
            Ok(n) => {
                count(&mut self.total_drain_ms, n.total_drain_ms);
                count(&mut self.completed_drains_ms, n.completed_drains_ms);
                count(&mut self.open_drains, Some(n.open_drains));
                count(&mut self.slowest_drain_ms, n.slowest_drain_ms);
                if n.slowest_drain_ms.is_some() && n.total_drain_ms.is_none_or(|total| n.slowest_drain_ms < Some(total)) {
                    self.drains_apart_runs += 1;
                }
                for (service, dip) in n.dips {
                    count(self.dips.entry(service).or_default(), Some(dip));
                }
                for (service, short) in n.shortfalls {
                    count(self.shortfalls.entry(service).or_default(), Some(short));
                }
                count(&mut self.stalls, Some(n.stalls));
                count(&mut self.stalled_ms, n.stalled_ms);
                count(&mut self.open_stalls, n.open_stalls);
                count(&mut self.drains_refused, Some(n.drains_refused));
                count(&mut self.tasks_moved_more_than_once, Some(n.tasks_moved_more_than_once));
                count(&mut self.unhealthy_tasks, Some(n.unhealthy_tasks));
                count(&mut self.floor_breaches, Some(n.floor_breaches));
                count(&mut self.placement_failures, Some(n.placement_failures));
                count(&mut self.instances_launched, Some(n.instances_launched_by_managed_scaling));
                count(&mut self.scale_in_drains, Some(n.scale_in_drains));
                count(&mut self.spot_interruptions, Some(n.spot_interruptions));
                count(&mut self.capacity_rebalancing_replacements, Some(n.capacity_rebalancing_replacements));
                count(&mut self.max_instance_lifetime_replacements, Some(n.max_instance_lifetime_replacements));
                count(&mut self.tasks_orphaned, Some(n.tasks_orphaned));
                count(&mut self.runs_cut_short, Some(u64::from(n.cut_short)));
                if n.refreshed {
                    self.refreshed_runs += 1;
                    count(&mut self.instance_refresh_ms, n.instance_refresh_ms);
                }
                count(&mut self.failed_expectations, Some(n.failed_expectations));
                for name in n.failed_names {
                    *self.expectation_failures.entry(name).or_insert(0) += 1;
                }
                if n.failed_expectations > 0 {
                    self.smallest_failed_seed = Some(self.smallest_failed_seed.map_or(seed, |s| s.min(seed)));
                }
            }
            Err(e) => self.error = smaller_seed_error(self.error, Some((seed, e))),
        }
        self
    }

    /// Exactly associative and commutative, so rayon's split of the seeds changes nothing.
    fn merge(mut self, o: PlanRuns) -> PlanRuns {
        add_counts(&mut self.total_drain_ms, o.total_drain_ms);
        add_counts(&mut self.completed_drains_ms, o.completed_drains_ms);
        add_counts(&mut self.open_drains, o.open_drains);
        add_counts(&mut self.slowest_drain_ms, o.slowest_drain_ms);
        self.drains_apart_runs += o.drains_apart_runs;
        for (service, counts) in o.dips {
            add_counts(self.dips.entry(service).or_default(), counts);
        }
        for (service, counts) in o.shortfalls {
            add_counts(self.shortfalls.entry(service).or_default(), counts);
        }
        add_counts(&mut self.stalls, o.stalls);
        add_counts(&mut self.stalled_ms, o.stalled_ms);
        add_counts(&mut self.open_stalls, o.open_stalls);
        add_counts(&mut self.drains_refused, o.drains_refused);
        add_counts(&mut self.tasks_moved_more_than_once, o.tasks_moved_more_than_once);
        add_counts(&mut self.unhealthy_tasks, o.unhealthy_tasks);
        add_counts(&mut self.floor_breaches, o.floor_breaches);
        add_counts(&mut self.placement_failures, o.placement_failures);
        add_counts(&mut self.instances_launched, o.instances_launched);
        add_counts(&mut self.scale_in_drains, o.scale_in_drains);
        add_counts(&mut self.spot_interruptions, o.spot_interruptions);
        add_counts(&mut self.capacity_rebalancing_replacements, o.capacity_rebalancing_replacements);
        add_counts(&mut self.max_instance_lifetime_replacements, o.max_instance_lifetime_replacements);
        add_counts(&mut self.tasks_orphaned, o.tasks_orphaned);
        add_counts(&mut self.runs_cut_short, o.runs_cut_short);
        self.refreshed_runs += o.refreshed_runs;
        add_counts(&mut self.instance_refresh_ms, o.instance_refresh_ms);
        add_counts(&mut self.failed_expectations, o.failed_expectations);
        add_counts(&mut self.expectation_failures, o.expectation_failures);
        self.smallest_failed_seed = match (self.smallest_failed_seed, o.smallest_failed_seed) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.error = smaller_seed_error(self.error, o.error);
        self
    }
}

/// One measure, both plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasureReport {
    /// What is measured (`total drain time`, `web: deepest dip below floor`, …).
    pub name: String,
    /// `ms` or `count`.
    pub unit: &'static str,
    /// Plan A's distribution.
    pub a: Stats,
    /// Plan B's distribution.
    pub b: Stats,
    /// B's median minus A's (null if either has none).
    pub median_difference: Option<i128>,
    /// `A`, `B` or `same`: the lower median, then p95, then max; fewer runs without a value wins
    /// first (a plan whose drains do not complete is worse). `n/a` for a time of the drains that
    /// completed ([`ONLY_COMPLETED_DRAINS`]) when the plans leave different numbers of drains not
    /// completed: a plan that finishes fewer drains is not faster for it; for `time stalled` when as
    /// many runs of each plan (and some) ended with a stall still open. `not ranked` for
    /// `placement failures`, which counts attempts, not what the plan cost, and for `failed
    /// expectations` between plans that judge different numbers of steps and expectations.
    pub better: &'static str,
}

/// The result of a comparison, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompareReport {
    /// [`COMPARE_VERSION`].
    pub compare_version: u32,
    /// Plan A.
    pub a: String,
    /// Plan B.
    pub b: String,
    /// The seeds asked for.
    pub seeds: SeedRange,
    /// The seeds both plans ran: all of `seeds` unless the comparison was interrupted.
    pub runs: u64,
    /// Interrupted (Ctrl-C): only `runs` of the seeds ran, and the measures cover only them. Absent
    /// from the JSON of a complete comparison.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The measures.
    pub measures: Vec<MeasureReport>,
    /// The runs of each plan that failed an expectation (or broke an invariant), and the command
    /// that reproduces the smallest seed's.
    pub failed_runs: FailedRuns,
}

/// Both plans' failed runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedRuns {
    /// Plan A's.
    pub a: PlanFailures,
    /// Plan B's.
    pub b: PlanFailures,
}

/// One plan's runs that failed an expectation (or broke an invariant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFailures {
    /// How many.
    pub runs: u64,
    /// The smallest seed among them (absent when none failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smallest_seed: Option<u64>,
    /// The command that reproduces that seed's run of the plan: `drainsim run FILE --seed N` for a
    /// plan that is a file, `drainsim compare … --seeds N..N+1` for one written from `--set`
    /// overrides (absent when none failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
    /// Each expectation that failed and in how many runs, the most failed first (absent when none
    /// failed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<crate::sweep::NamedCount>,
}

impl PlanFailures {
    fn of(runs: &PlanRuns, plan: &Plan) -> PlanFailures {
        PlanFailures {
            // The runs whose failed expectations number one or more.
            runs: runs.failed_expectations.range(1..).map(|(_, runs)| runs).sum(),
            smallest_seed: runs.smallest_failed_seed,
            reproduce: runs.smallest_failed_seed.map(|seed| (plan.reproduce)(seed)),
            expectations: crate::sweep::NamedCount::most_first(runs.expectation_failures.clone()),
        }
    }

    /// The line the text ends with for a plan some of whose runs failed, naming it `A` or `B`.
    pub fn line(&self, plan: &str, runs: u64) -> Option<String> {
        let reproduce = self.reproduce.as_deref()?;
        // The most failed expectation names what went wrong without a run of its own.
        let most = self.expectations.first().map_or_else(String::new, |e| {
            let others = match self.expectations.len() - 1 {
                0 => String::new(),
                1 => "; one other expectation failed too".to_string(),
                n => format!("; {n} other expectations failed too"),
            };
            if self.runs == 1 {
                // One failed run: its expectation, with no "most often".
                return format!(" ('{}'{others})", e.name);
            }
            // Failed in every failed run: no "most often ... in all N".
            if e.count == self.runs {
                return format!(" (each failed '{}'{others})", e.name);
            }
            format!(" (most often '{}', in {} of them{others})", e.name, e.count)
        });
        Some(format!(
            "plan {plan}: {} of {runs} run{} failed an expectation{most}; the smallest seed's, {}, reproduces with: {reproduce}",
            self.runs,
            if runs == 1 { "" } else { "s" },
            self.smallest_seed.unwrap_or_default()
        ))
    }
}

/// Applies `--set PATH=VALUE` overrides to a scenario. `PATH` is `SERVICE.FIELD[.FIELD…]` (a
/// service of `services`, then its fields as the format spells them:
/// `web.deploymentConfiguration.maximumPercent`, `web.desiredCount`,
/// `web.targetGroup.deregistrationDelaySeconds`), an Auto Scaling group's (`GROUP.MaxSize`; with
/// `GROUP.Preferences.FIELD`, the preferences of the group's StartInstanceRefresh steps; of a
/// group and a service of one name, a PascalCase field is the group's) or a top-level field path
/// (`timings.jitterPercent`). `VALUE` is JSON (`150`, `true`, `"binpack"`) or else a string. The
/// result is loaded again, so every check of the format applies to it.
pub fn apply_overrides(loaded: &LoadedScenario, overrides: &[(String, String)]) -> Result<LoadedScenario, String> {
    if overrides.len() > MAX_OVERRIDES {
        return Err(format!("{} --set overrides; at most {MAX_OVERRIDES}", overrides.len()));
    }
    if overrides.is_empty() {
        // Nothing to change: the scenario as loaded, its text (where errors point) included.
        return Ok(loaded.clone());
    }
    // One value per field: a second `--set` of a path would silently win over the first.
    let mut seen = std::collections::BTreeSet::new();
    if let Some((path, _)) = overrides.iter().find(|(path, _)| !seen.insert(path.as_str())) {
        return Err(format!("--set {path} is given twice: give each field one value"));
    }
    // Plan B starts as a copy of the scenario. Its instances and running tasks — most of an
    // imported cluster, and no override reaches them — stay out of the JSON the overrides edit.
    let mut b = loaded.scenario.clone();
    let instances = std::mem::take(&mut b.instances);
    let running_tasks = std::mem::take(&mut b.running_tasks);
    let base = serde_json::to_value(&b).map_err(|e| e.to_string())?;
    drop(b);
    let mut v = base.clone();
    let mut instances = instances;
    let mut on_json: Vec<&(String, String)> = Vec::with_capacity(overrides.len());
    for o in overrides {
        let (first, rest) = split_target(&instances, &v, &o.0)?;
        if !set_instance_group(&mut instances, &v, &o.0, (first, &rest), &o.1)? {
            set_one(&mut v, &o.0, (first, &rest), &o.1)?;
            on_json.push(o);
        }
    }
    let mut scenario: Scenario = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => {
            // Name the first override after which the scenario no longer reads.
            let mut v = base;
            let mut culprit = *on_json.last().expect("an override of the JSON made it unreadable");
            for o in on_json {
                let (first, rest) = split_target(&[], &v, &o.0)?;
                set_one(&mut v, &o.0, (first, &rest), &o.1)?;
                if serde_json::from_value::<Scenario>(v.clone()).is_err() {
                    culprit = o;
                    break;
                }
            }
            return Err(format!("--set {}={}: the scenario no longer reads: {}", culprit.0, culprit.1, plain_serde_error(&e)));
        }
    };
    scenario.instances = instances;
    scenario.running_tasks = running_tasks;
    let text = crate::write::to_ron(&scenario);
    // Loaded from its text alone: the scenario it was written from is dropped first, and the
    // text is kept, not copied (an imported cluster is tens of megabytes of each).
    drop(scenario);
    // The text is written here, not the user's file: a line and column in it would point into the
    // user's file at the wrong place, so the error says which overrides made it and what is wrong.
    crate::load::load_string_keeping_text(&loaded.file, text).map_err(|(e, text)| {
        // Where in plan B: the line of its text the error is at (a step, an expectation), quoted.
        let line = text.lines().nth(e.line.saturating_sub(1)).map(str::trim).filter(|l| !l.is_empty() && e.line > 0);
        let at = match line {
            Some(l) if l.chars().count() > 160 => format!(" (at `{}…` in plan B)", l.chars().take(160).collect::<String>()),
            Some(l) => format!(" (at `{l}` in plan B)"),
            None => String::new(),
        };
        format!("{}: {}{at}", set_flags(overrides), e.message)
    })
}

/// `--set A=1 --set B=2`, as the command line gave them.
fn set_flags(overrides: &[(String, String)]) -> String {
    overrides.iter().map(|(k, v)| format!("--set {k}={v}")).collect::<Vec<_>>().join(" ")
}

/// serde's message without Rust's type names ([`crate::load::plain_serde_message`]).
fn plain_serde_error(e: &serde_json::Error) -> String {
    crate::load::plain_serde_message(&e.to_string())
}

/// An override's `VALUE`: JSON, or else a string. A value that begins as JSON's lists, objects and
/// strings do (`[`, `{`, `"`) is meant as JSON and must be JSON; a whole number must fit a whole
/// number (JSON would read `18446744073709551616` as a fraction).
fn override_value(path: &str, value: &str) -> Result<Value, String> {
    let trimmed = value.trim_start();
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Number(n)) if n.is_f64() && !trimmed.contains(['.', 'e', 'E']) => Err(format!(
            "--set {path}={value}: {trimmed} is out of range: a whole number here is from {} to {}",
            i64::MIN,
            u64::MAX
        )),
        Ok(parsed) => Ok(parsed),
        Err(e) if trimmed.starts_with(['[', '{', '"']) => Err(format!(
            "--set {path}={value}: not JSON: {} (a list, an object or a quoted string is written as JSON)",
            plain_serde_error(&e)
        )),
        Err(_) => Ok(Value::String(value.to_string())),
    }
}

/// What `--set PATH` names first, and the fields after it: the longest name of an instance group,
/// a service, an Auto Scaling group or a scenario field (`timings`) that `PATH` starts with,
/// followed by a dot (a name may hold dots: `sp.are.count`), else the part before the first dot.
/// A scenario field that a service or a group is named after is refused as ambiguous.
fn split_target<'p>(instances: &[InstanceGroup], v: &Value, path: &'p str) -> Result<(&'p str, Vec<&'p str>), String> {
    let named = |list: &str, key: &str| -> Vec<String> {
        v.get(list)
            .and_then(Value::as_array)
            .map_or(Vec::new(), |l| l.iter().filter_map(|x| x[key].as_str().map(str::to_string)).collect())
    };
    let entities: Vec<String> = instances
        .iter()
        .map(|g| g.name.clone())
        .chain(named("services", "serviceName"))
        .chain(named("autoScalingGroups", "AutoScalingGroupName"))
        .collect();
    let prefix_of = |name: &str| path.len() > name.len() + 1 && path.starts_with(name) && path.as_bytes()[name.len()] == b'.';
    let first = entities
        .iter()
        .map(String::as_str)
        .chain(TOP_OBJECTS)
        .filter(|n| !n.is_empty() && prefix_of(n))
        .max_by_key(|n| n.len())
        .map(|n| &path[..n.len()])
        .unwrap_or_else(|| path.split_once('.').map_or(path, |(first, _)| first));
    if TOP_OBJECTS.contains(&first) && entities.iter().any(|e| e == first) {
        return Err(format!(
            "--set {path}: '{first}' names the scenario's field and a service or group alike; rename the service or group to \
             change it"
        ));
    }
    let rest = if first.len() < path.len() { path[first.len() + 1..].split('.').collect() } else { Vec::new() };
    Ok((first, rest))
}

/// Applies one `--set GROUP.FIELD=VALUE` to an instance group of `instances` (kept out of the
/// scenario's JSON value `v`, since an imported cluster holds thousands), when `GROUP` (`first`,
/// with the fields `rest` after it: [`split_target`]) names one: what its instances register
/// (`gpu.gpus=2`), how many (`old.count=20`), when. False when `GROUP` names none. A name a
/// service or an Auto Scaling group of `v` shares is refused as ambiguous.
fn set_instance_group(
    instances: &mut [InstanceGroup],
    v: &Value,
    path: &str,
    (first, rest): (&str, &[&str]),
    value: &str,
) -> Result<bool, String> {
    if rest.is_empty() {
        return Ok(false);
    }
    let Some(group) = instances.iter_mut().find(|g| g.name == first) else { return Ok(false) };
    let named = |list: &str, key: &str| v.get(list).and_then(Value::as_array).is_some_and(|l| l.iter().any(|x| x[key] == first));
    if let Some(other) =
        [("services", "serviceName", "service"), ("autoScalingGroups", "AutoScalingGroupName", "Auto Scaling group")]
            .iter()
            .find(|(list, key, _)| named(list, key))
            .map(|(_, _, what)| what)
    {
        return Err(format!("--set {path}: '{first}' names an instance group and {other} alike; rename one to change it"));
    }
    let parsed = override_value(path, value)?;
    let mut as_json = serde_json::to_value(&*group).map_err(|e| e.to_string())?;
    set_fields(&mut as_json, path, rest, &parsed)?;
    *group = serde_json::from_value(as_json).map_err(|e| {
        // A number the field's type cannot hold is out of range for the field, whatever range the
        // type has (`count` is 1 to 100,000, `gpus` 0 to 64: docs/scenario-format.md).
        let message = plain_serde_error(&e);
        let number = message.strip_prefix("invalid value: integer `").and_then(|m| m.split_once('`')).map(|(n, _)| n);
        match (number, rest.last()) {
            (Some(n), Some(field)) => {
                format!("--set {path}={value}: {n} is out of range for `{field}`{}", crate::load::never_negative(n))
            }
            _ => format!("--set {path}={value}: instance group '{first}' no longer reads: {message}"),
        }
    })?;
    Ok(true)
}

/// Applies one `--set PATH=VALUE` to the scenario's JSON value (`first` and `rest`: what `PATH`
/// names, [`split_target`]).
fn set_one(v: &mut Value, path: &str, (first, rest): (&str, &[&str]), value: &str) -> Result<(), String> {
    let parsed = override_value(path, value)?;
    if rest.is_empty() {
        if first == "seed" {
            return Err(format!(
                "--set {path}: every run of both plans takes its seed from --seeds; a scenario's seed changes nothing"
            ));
        }
        if !TOP_SCALARS.contains(&first) {
            return Err(format!(
                "--set {path}: name a service and a field (web.desiredCount), a field path (timings.jitterPercent) or one of {}",
                TOP_SCALARS.join(", ")
            ));
        }
        v[first] = parsed;
        return Ok(());
    }
    let is_group = v
        .get("autoScalingGroups")
        .and_then(Value::as_array)
        .is_some_and(|groups| groups.iter().any(|g| g["AutoScalingGroupName"] == first));
    let is_service =
        v.get("services").and_then(Value::as_array).is_some_and(|list| list.iter().any(|s| s["serviceName"] == first));
    // A service and a group may share a name: a field in Auto Scaling's spelling (PascalCase:
    // `MaxSize`, `Preferences`) is the group's, one in ECS's (camelCase) the service's.
    let to_group = is_group && (!is_service || rest[0].starts_with(|c: char| c.is_ascii_uppercase()));
    if to_group && rest[0] == "Preferences" {
        // The Preferences of the group's StartInstanceRefresh steps.
        let steps = v.get_mut("steps").and_then(Value::as_array_mut);
        let mut refreshes: Vec<&mut Value> = steps
            .into_iter()
            .flatten()
            .filter_map(|step| step.get_mut("do").and_then(|d| d.get_mut("StartInstanceRefresh")))
            .filter(|r| r["AutoScalingGroupName"] == first)
            .collect();
        if refreshes.is_empty() {
            return Err(format!("--set {path}: Auto Scaling group '{first}' has no StartInstanceRefresh step"));
        }
        for r in refreshes.iter_mut() {
            set_fields(r, path, rest, &parsed)?;
        }
        return Ok(());
    }
    let target: &mut Value = if to_group {
        let groups = v.get_mut("autoScalingGroups").and_then(Value::as_array_mut).expect("the group was found above");
        groups.iter_mut().find(|g| g["AutoScalingGroupName"] == first).expect("the group was found above")
    } else if is_service {
        let services = v.get_mut("services").and_then(Value::as_array_mut).expect("the service was found above");
        services.iter_mut().find(|s| s["serviceName"] == first).expect("the service was found above")
    } else {
        if !TOP_OBJECTS.contains(&first) {
            // The closest of the names a path may begin with: a service, an Auto Scaling group,
            // a scenario field.
            let names = |list: &str, key: &str| -> Vec<String> {
                v.get(list)
                    .and_then(Value::as_array)
                    .map(|l| l.iter().filter_map(|x| x[key].as_str().map(str::to_string)).collect())
                    .unwrap_or_default()
            };
            let known: Vec<String> = names("services", "serviceName")
                .into_iter()
                .chain(names("autoScalingGroups", "AutoScalingGroupName"))
                .chain(TOP_OBJECTS.iter().map(|s| s.to_string()))
                .collect();
            return Err(format!(
                "--set {path}: '{first}' is neither a service, an instance group nor an Auto Scaling group of the scenario, \
                 nor a scenario field{}",
                crate::load::did_you_mean(first, known.iter().map(String::as_str))
            ));
        }
        let top = v.as_object_mut().expect("a scenario serializes to an object");
        top.entry(first.to_string()).or_insert_with(|| Value::Object(Default::default()))
    };
    set_fields(target, path, rest, &parsed)
}

/// Sets the field at `fields` (object members, created when absent) of `target` to `value`.
fn set_fields(target: &mut Value, path: &str, fields: &[&str], value: &Value) -> Result<(), String> {
    let mut at = target;
    for (n, field) in fields.iter().enumerate() {
        let obj = at.as_object_mut().ok_or_else(|| format!("--set {path}: '{}' is not an object", fields[..n].join(".")))?;
        if n + 1 == fields.len() {
            obj.insert(field.to_string(), value.clone());
            break;
        }
        at = obj.entry(field.to_string()).or_insert_with(|| Value::Object(Default::default()));
        if at.is_null() {
            *at = Value::Object(Default::default());
        }
    }
    Ok(())
}

/// One plan's run of a seed, on `spare` (reset) when given; the run's engine is left in `spare`
/// for the next run.
fn numbers(
    plan: &Plan,
    prebuilt: Option<&SetupRequests>,
    seed: u64,
    spare: &mut Option<Box<drainsim_core::Engine>>,
) -> Result<RunNumbers, String> {
    let opts = RunOptions {
        seed: Some(seed),
        account_defaults: plan.account_defaults.clone(),
        // Only failures are counted; the text of the expectations that hold is not read.
        result_text: crate::setup::ResultText::FailuresOnly,
        // Nor is the trace digest.
        skip_trace_digest: true,
        ..Default::default()
    };
    let outcome = runner::run_reusing(&plan.loaded, &opts, prebuilt, spare.take()).map_err(|e| {
        // A rewritten scenario's line and column point into text no file holds.
        let what = if plan.rewritten && e.file == plan.loaded.file { e.message } else { e.to_string() };
        // A plan labelled by its file already names it in the error's place (`plan.ron:29:40: …`).
        if what.starts_with(&format!("{}:", plan.label)) {
            what
        } else {
            format!("{}: {what}", plan.label)
        }
    })?;
    let numbers = numbers_of(&outcome);
    *spare = Some(outcome.engine);
    Ok(numbers)
}

fn numbers_of(outcome: &crate::outcome::RunOutcome) -> RunNumbers {
    let e = &outcome.engine;
    // The total drain time of `run`'s headline and `explain`, where a cancelled drain (the instance
    // set ACTIVE again before it completed) is no drain. A plan that drains nothing (Spot capacity
    // made On-Demand, say, or every drain cancelled) waits for nothing: 0, not a run without a
    // value, which would count against it.
    // A run a bound stopped before it was quiet (`maxEvents`, say) measures no drain time: what it
    // did not run (a drain step never reached, a drain not finished) is not the plan's speed.
    let cut_short =
        matches!(outcome.stop_reason, StopReason::MaxEvents | StopReason::MaxEventsPerInstant | StopReason::TimeLimit);
    // Drains managed scaling's scale-in began are the group shrinking after the plan, not the
    // plan's drains: counted apart.
    let scope = outcome.drain_scope();
    // A drain ECS refused never drained what the plan asked for: the run has no total drain
    // time, as when a drain never completes (the plan is not faster for it).
    let drains_refused = crate::outcome::refused_drains(e).len() as u64;
    let total_drain_ms = match crate::outcome::first_drain_started_at(e, &scope) {
        _ if cut_short || drains_refused > 0 => None,
        None => Some(0),
        Some(_) => crate::outcome::total_drain_ms(e, &scope),
    };
    let (completed_drains_ms, open_drains) = crate::outcome::completed_drains(e, &scope);
    let completed_drains_ms = completed_drains_ms.filter(|_| !cut_short);
    let first_drain = crate::outcome::first_drain_started_at(e, &scope);
    let slowest_drain_ms = crate::outcome::slowest_completed_drain(e, &scope).map(|(ms, _)| ms).filter(|_| !cut_short);
    let scale_in_drains = scope.scale_in_drains(e).len() as u64;
    let tasks_orphaned = e.tasks().filter(|t| t.orphaned()).count() as u64;
    let mut open_stalls = 0u64;
    let mut n = RunNumbers {
        total_drain_ms,
        completed_drains_ms,
        open_drains,
        slowest_drain_ms,
        tasks_orphaned,
        cut_short,
        scale_in_drains,
        drains_refused,
        stalled_ms: (!cut_short).then_some(0),
        ..Default::default()
    };
    for s in e.services() {
        let dip = s.deepest_dip_below_floor().map_or(0, |d| u64::from(d.depth()));
        n.dips.insert(s.name().to_string(), dip);
        n.shortfalls.insert(s.name().to_string(), u64::from(s.healthy_shortfall_observed().unwrap_or(0)));
        // Only the stalls of the drain: one that ended before the first drain began (a service
        // waiting for trunked instances to finish REGISTERING at start-up, say) is no cost of the
        // plan, and counting it made a plan whose drain never stalls look as bad as one whose
        // drain stalled for minutes.
        let drain_start = first_drain.unwrap_or(0);
        let of_drain = || s.stalls().iter().filter(|st| st.ended_at_ms.is_none_or(|end| end > drain_start));
        n.stalls += of_drain().count() as u64;
        open_stalls += of_drain().filter(|st| st.ended_at_ms.is_none()).count() as u64;
        n.stalled_ms = n.stalled_ms.map(|ms| {
            of_drain().fold(ms, |sum, st| {
                let (from, to) = (st.started_at_ms.max(drain_start), st.ended_at_ms.unwrap_or(e.now_ms()));
                sum.saturating_add(to.saturating_sub(from))
            })
        });
        n.tasks_moved_more_than_once += u64::from(s.tasks_moved_more_than_once());
        n.unhealthy_tasks += u64::from(s.unhealthy_tasks());
        n.floor_breaches += s.floor_breaches().len() as u64;
        // Like the stalls, only the failures of the drain: a start-up failure is no cost of the plan.
        let all: u64 = s.placement_failures().map(|(_, c)| c).sum();
        n.placement_failures += if first_drain.is_some() { all - s.placement_failures_before_first_drain() } else { all };
    }
    n.instances_launched_by_managed_scaling = outcome.managed_scaling.iter().map(|m| u64::from(m.instances_launched)).sum();
    n.spot_interruptions = e.spot_interruptions();
    n.capacity_rebalancing_replacements = outcome
        .group_terminations
        .iter()
        .filter(|t| matches!(t.cause, crate::outcome::TerminationCause::CapacityRebalancing(_)))
        .count() as u64;
    n.max_instance_lifetime_replacements =
        outcome.group_terminations.iter().filter(|t| t.cause == crate::outcome::TerminationCause::MaxInstanceLifetime).count()
            as u64;
    let refreshes = &outcome.instance_refreshes;
    n.refreshed = !refreshes.is_empty();
    if refreshes.iter().all(|r| r.status == "Successful") {
        let start = refreshes.iter().map(|r| r.start_time_ms).min();
        let end = refreshes.iter().map(|r| r.end_time_ms).max().flatten();
        n.instance_refresh_ms = start.zip(end).map(|(s, e)| e.saturating_sub(s));
    }
    // A stall still open at the end has no length: counted up to the end of the run, it measured
    // how long the plan's steps waited (a plan of four waves, each waiting an hour for a drain
    // the stall holds, read three hours worse than one wave stuck on the same stall).
    if open_stalls > 0 {
        n.stalled_ms = None;
    }
    n.open_stalls = (!cut_short).then_some(open_stalls);
    n.failed_expectations =
        outcome.expectations.iter().filter(|x| !x.passed).count() as u64 + u64::from(outcome.invariant_violation.is_some());
    let failed: std::collections::BTreeSet<String> = outcome
        .expectations
        .iter()
        .filter(|x| !x.passed)
        .map(|x| x.label())
        .chain(outcome.invariant_violation.as_ref().map(|_| INVARIANT_VIOLATED.to_string()))
        .collect();
    n.failed_names = failed.into_iter().collect();
    n
}

/// Runs both plans over the seeds, a seed's two runs together (so that an interrupted comparison
/// has run both plans on the same seeds), folding each run into its plan's distributions as it
/// finishes. Returns the two plans' runs and how many seeds ran; the error of the smallest seed
/// whose run failed, if one did.
fn run_plans(
    a: &Plan,
    b: &Plan,
    seeds: SeedRange,
    pool: &rayon::ThreadPool,
    progress: &(dyn Fn() + Sync),
    interrupt: &AtomicBool,
) -> Result<(PlanRuns, PlanRuns, u64), String> {
    // Every seed sets up each plan the same way: its setup's requests are built once.
    let (prebuilt_a, prebuilt_b) = (SetupRequests::prebuild(&a.loaded), SetupRequests::prebuild(&b.loaded));
    let (mut ra, mut rb, ran) = pool.install(|| {
        (seeds.start..seeds.end)
            .into_par_iter()
            // Stops handing out seeds at once when interrupted (the rest are never visited).
            .take_any_while(|_| !interrupt.load(Ordering::Relaxed))
            // Each fold runs its seeds one after another on one engine, reset between runs.
            .fold(
                || (PlanRuns::default(), PlanRuns::default(), 0u64, None),
                |(ra, rb, ran, mut spare), seed| {
                    let both = (
                        ra.add(seed, numbers(a, prebuilt_a.as_ref(), seed, &mut spare)),
                        rb.add(seed, numbers(b, prebuilt_b.as_ref(), seed, &mut spare)),
                        ran + 1,
                        spare,
                    );
                    progress();
                    both
                },
            )
            .map(|(ra, rb, ran, _spare)| (ra, rb, ran))
            .reduce(|| (PlanRuns::default(), PlanRuns::default(), 0), |x, y| (x.0.merge(y.0), x.1.merge(y.1), x.2 + y.2))
    });
    match smaller_seed_error(ra.error.take(), rb.error.take()) {
        Some((_, e)) => Err(e),
        None => Ok((ra, rb, ran)),
    }
}

/// The ends of the names of a service's rows (`web: deepest dip below floor`).
const SERVICE_ROWS: [&str; 2] = [": deepest dip below floor", ": healthy tasks short of desired"];

/// The measures that time only the drains that completed.
pub const ONLY_COMPLETED_DRAINS: [&str; 2] = ["slowest single drain", "time to the last completed drain"];

/// The count of the drains the drain times leave out ([`crate::outcome::DrainScope`]).
const SCALE_IN_DRAINS: &str = "drains begun by managed scaling's scale-in (not in the drain times)";

/// The measure of how long the instance refreshes took: `n/a` when the plans refresh in
/// different numbers of runs.
const REFRESH_TIME: &str = "instance refresh time";

/// What [`MeasureReport::better`] says of a measure the plans' open drains, refreshes in different
/// runs, a service only one plan has, or as many runs of each ending with a stall still open make
/// meaningless.
const NOT_COMPARABLE: &str = "n/a";

/// What [`MeasureReport::better`] says of a measure shown but not ranked: `placement failures`,
/// which counts attempts (how often a waiting service tried again), not what the plan cost; and
/// `failed expectations` between plans that judge different numbers of results.
const NOT_RANKED: &str = "not ranked";

/// The measure of how long services were stalled during the drains.
const TIME_STALLED: &str = "time stalled";

/// The measure of the stalls still open when a run ended.
const OPEN_STALLS: &str = "stalls still open at the end";

/// The measure of the expectations that failed (steps and the scenario's expectations).
const FAILED_EXPECTATIONS: &str = "failed expectations";

/// The measure of failed placement attempts.
const PLACEMENT_FAILURES: &str = "placement failures";

/// What [`MeasureReport::better`] says when neither plan is better on a measure.
const SAME: &str = "same";

fn better(a: &Stats, b: &Stats, a_missing: u64, b_missing: u64) -> &'static str {
    if a_missing != b_missing {
        return if a_missing < b_missing { "A" } else { "B" };
    }
    for (x, y) in [(a.median, b.median), (a.p95, b.p95), (a.max, b.max)] {
        match (x, y) {
            (Some(x), Some(y)) if x < y => return "A",
            (Some(x), Some(y)) if x > y => return "B",
            _ => {}
        }
    }
    SAME
}

/// The runs of a plan that ended with a stall still open (a run a bound cut short is not one).
fn ended_stalled(p: &PlanRuns) -> u64 {
    p.open_stalls.range(1..).map(|(_, runs)| runs).sum()
}

/// The runs of a plan a bound cut short.
fn cut_short_runs(p: &PlanRuns) -> u64 {
    p.runs_cut_short.get(&1).copied().unwrap_or(0)
}

/// How the runs that ended stalled rank two plans, when they do: `n/a` when the plans have
/// different numbers of runs a bound cut short (whose stalls are unknown: a plan every run of
/// which was cut short would otherwise beat one with a run ending stalled), else the plan with
/// fewer runs ending stalled; `None` when both have as many.
fn by_runs_ending_stalled(ra: &PlanRuns, rb: &PlanRuns) -> Option<&'static str> {
    let (open_a, open_b) = (ended_stalled(ra), ended_stalled(rb));
    if open_a + open_b > 0 && cut_short_runs(ra) != cut_short_runs(rb) {
        return Some(NOT_COMPARABLE);
    }
    (open_a != open_b).then_some(if open_a < open_b { "A" } else { "B" })
}

/// `time stalled`: a run that ended stalled has none (the stall has no end), so the plans rank
/// first by their runs ending stalled ([`by_runs_ending_stalled`]); with as many (and some), the
/// runs that did measure one are not the same seeds', `n/a`; with none, the usual ranking (a run
/// a bound cut short has none either, and counts as a run without a value, as in every measure).
fn time_stalled(runs: u64, ra: &PlanRuns, rb: &PlanRuns) -> MeasureReport {
    let mut stalled = measure(TIME_STALLED.into(), "ms", runs, &ra.stalled_ms, &rb.stalled_ms);
    match by_runs_ending_stalled(ra, rb) {
        Some(better) => stalled.better = better,
        None if ended_stalled(ra) > 0 => stalled.better = NOT_COMPARABLE,
        None => {}
    }
    stalled
}

/// `stalls still open at the end`, ranked as [`time_stalled`] is: by the runs ending stalled (a
/// run cut short, which has no count, does not make a plan better), then by the counts.
fn open_stalls(runs: u64, ra: &PlanRuns, rb: &PlanRuns) -> MeasureReport {
    let mut open = measure(OPEN_STALLS.into(), "count", runs, &ra.open_stalls, &rb.open_stalls);
    open.better = match by_runs_ending_stalled(ra, rb) {
        Some(better) => better,
        None => better(&open.a, &open.b, 0, 0),
    };
    open
}

fn measure(name: String, unit: &'static str, runs: u64, a: &Counts, b: &Counts) -> MeasureReport {
    let (sa, sb) = (Stats::of_counts(a), Stats::of_counts(b));
    let median_difference = match (sa.median, sb.median) {
        (Some(x), Some(y)) => Some(i128::from(y) - i128::from(x)),
        _ => None,
    };
    let better = better(&sa, &sb, runs - sa.runs, runs - sb.runs);
    MeasureReport { name, unit, a: sa, b: sb, median_difference, better }
}

/// Runs both plans over `seeds` on at most `jobs` threads (default: the machine's parallelism,
/// never more than the runs nor the sweep's [`MAX_JOBS`]) and compares them, calling `progress`
/// once per seed both plans ran. When `interrupt` is set (Ctrl-C), no seed starts after it, the
/// runs in progress finish, and the comparison of the seeds that ran is returned marked `partial`.
pub fn compare(
    a: &Plan,
    b: &Plan,
    seeds: SeedRange,
    jobs: Option<usize>,
    progress: &(dyn Fn() + Sync),
    interrupt: &AtomicBool,
) -> Result<CompareReport, String> {
    if seeds.is_empty() || seeds.len() > MAX_SEEDS {
        return Err(format!("seeds {seeds}: between 1 and {MAX_SEEDS} seeds"));
    }
    if jobs == Some(0) || jobs.is_some_and(|j| j > MAX_JOBS) {
        return Err(format!("--jobs: 1 to {MAX_JOBS} threads"));
    }
    let threads = crate::sweep::worker_threads(jobs, seeds.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    let (ra, rb, runs) = run_plans(a, b, seeds, &pool, progress, interrupt)?;
    let mut measures = vec![measure("total drain time".into(), "ms", runs, &ra.total_drain_ms, &rb.total_drain_ms)];
    // Where drains did not run side by side (waves, Spot interruptions an hour apart), the total
    // drain time spans the gaps between them: the slowest single drain is what each one cost.
    if ra.drains_apart_runs + rb.drains_apart_runs > 0 {
        measures.push(measure("slowest single drain".into(), "ms", runs, &ra.slowest_drain_ms, &rb.slowest_drain_ms));
    }
    // Where some drain never completed (an instance captured DRAINING that a standalone task
    // holds, say), the total drain time is undefined for those runs: the drains that did complete,
    // and how many did not, still tell the plans apart.
    let any_open = |p: &PlanRuns| p.open_drains.keys().any(|open| *open > 0);
    let open_total =
        |p: &PlanRuns| p.open_drains.iter().map(|(open, runs)| open.saturating_mul(*runs)).fold(0u64, u64::saturating_add);
    if any_open(&ra) || any_open(&rb) {
        measures.push(measure("drains not completed".into(), "count", runs, &ra.open_drains, &rb.open_drains));
        measures.push(measure(
            "time to the last completed drain".into(),
            "ms",
            runs,
            &ra.completed_drains_ms,
            &rb.completed_drains_ms,
        ));
    }
    if open_total(&ra) != open_total(&rb) {
        for m in measures.iter_mut().filter(|m| ONLY_COMPLETED_DRAINS.contains(&m.name.as_str())) {
            m.better = NOT_COMPARABLE;
        }
    }
    // A plan that refreshes an Auto Scaling group: how long until every refresh succeeded (a run
    // whose refresh failed, or did not end, measures none).
    if ra.refreshed_runs + rb.refreshed_runs > 0 {
        let mut m = measure(REFRESH_TIME.into(), "ms", runs, &ra.instance_refresh_ms, &rb.instance_refresh_ms);
        // A plan that refreshes in fewer runs has fewer refresh times, not a slower refresh: the
        // runs without one would make the plan that does not refresh the worse (or, refreshing
        // in none, the better by none).
        if ra.refreshed_runs != rb.refreshed_runs {
            m.better = NOT_COMPARABLE;
        }
        measures.push(m);
    }
    let services: std::collections::BTreeSet<&String> = ra.dips.keys().chain(rb.dips.keys()).collect();
    let none = Counts::new();
    for s in services {
        // A service of one plan only has no runs in the other, which is not worse for it.
        let in_one_plan = ra.dips.contains_key(s) != rb.dips.contains_key(s);
        let (a, b) = (ra.dips.get(s).unwrap_or(&none), rb.dips.get(s).unwrap_or(&none));
        let mut dip = measure(format!("{s}{}", SERVICE_ROWS[0]), "count", runs, a, b);
        // Against the desired count, not the floor: a plan that lowers minimumHealthyPercent
        // dips below its own lower floor less, or not at all, and is no more available for it.
        let (a, b) = (ra.shortfalls.get(s).unwrap_or(&none), rb.shortfalls.get(s).unwrap_or(&none));
        let mut short = measure(format!("{s}{}", SERVICE_ROWS[1]), "count", runs, a, b);
        if in_one_plan {
            dip.better = NOT_COMPARABLE;
            short.better = NOT_COMPARABLE;
        }
        measures.extend([dip, short]);
    }
    measures.push(measure("stalls".into(), "count", runs, &ra.stalls, &rb.stalls));
    let stalled = time_stalled(runs, &ra, &rb);
    measures.push(stalled);
    if ended_stalled(&ra) + ended_stalled(&rb) > 0 {
        measures.push(open_stalls(runs, &ra, &rb));
    }
    measures.push(measure(
        "tasks moved more than once".into(),
        "count",
        runs,
        &ra.tasks_moved_more_than_once,
        &rb.tasks_moved_more_than_once,
    ));
    let mut failures = measure(PLACEMENT_FAILURES.into(), "count", runs, &ra.placement_failures, &rb.placement_failures);
    // Counted per attempt: a waiting service tries again whenever a task stops anywhere in its
    // cluster, so the count follows how many distinct moments things happen at (stage jitter alone
    // quadrupled it), not the plan. Shown, not ranked: `time stalled` ranks what it costs.
    failures.better = NOT_RANKED;
    measures.push(failures);
    let mut failed = measure(FAILED_EXPECTATIONS.into(), "count", runs, &ra.failed_expectations, &rb.failed_expectations);
    // Two plans that judge different numbers count their failures out of different totals (a plan
    // of four waves, each with a step that can time out, fails four where one wave fails one).
    if runner::results_judged(&a.loaded.scenario) != runner::results_judged(&b.loaded.scenario) {
        failed.better = NOT_RANKED;
    }
    measures.push(failed);
    // Only plans that fell below a floor, found UNHEALTHY tasks (adopted so, or failing
    // health checks), launched instances through managed scaling or lost Spot Instances to EC2
    // show those measures: a breach outside a drain (a health check failing, a forced
    // deregistration) shows in no dip, which only a drain's observation window measures.
    let any = |f: fn(&PlanRuns) -> &Counts| [&ra, &rb].iter().any(|p| f(p).keys().any(|n| *n > 0));
    for (name, f) in [
        ("drains ECS refused (never DRAINING)", (|p: &PlanRuns| &p.drains_refused) as fn(&PlanRuns) -> &Counts),
        ("floor breaches", |p| &p.floor_breaches),
        ("unhealthy tasks replaced", |p| &p.unhealthy_tasks),
        ("instances launched by managed scaling", |p| &p.instances_launched),
        (SCALE_IN_DRAINS, |p| &p.scale_in_drains),
        ("Spot Instances interrupted", |p| &p.spot_interruptions),
        ("Spot Instances replaced by Capacity Rebalancing", |p| &p.capacity_rebalancing_replacements),
        ("instances replaced at their maximum instance lifetime", |p| &p.max_instance_lifetime_replacements),
        ("tasks orphaned with their instance", |p| &p.tasks_orphaned),
        ("runs cut short by a bound (maxEvents)", |p| &p.runs_cut_short),
    ] {
        if any(f) {
            let at = measures.len() - 1;
            measures.insert(at, measure(name.into(), "count", runs, f(&ra), f(&rb)));
        }
    }
    Ok(CompareReport {
        compare_version: COMPARE_VERSION,
        a: a.label.clone(),
        b: b.label.clone(),
        seeds,
        runs,
        partial: runs < seeds.len(),
        measures,
        failed_runs: FailedRuns { a: PlanFailures::of(&ra, a), b: PlanFailures::of(&rb, b) },
    })
}

fn show(v: Option<u64>, unit: &str) -> String {
    match v {
        None => "-".into(),
        Some(ms) if unit == "ms" => crate::timeline::duration_text(ms),
        Some(n) => n.to_string(),
    }
}

/// A duration to the millisecond, in the words of [`crate::timeline::duration_text`] (which rounds
/// a second or more to the second): `1.440s`, `1m01.440s`, `52s` when whole. The difference of
/// two medians is printed so: two plans 1.44 s apart read `+1s` otherwise.
fn duration_to_the_ms(ms: u64) -> String {
    let whole = crate::timeline::duration_text(ms - ms % 1000);
    match ms % 1000 {
        0 => whole,
        _ if ms < 1000 => crate::timeline::duration_text(ms),
        frac => format!("{}.{frac:03}s", whole.trim_end_matches('s')),
    }
}

/// The comparison as a table a person reads.
pub fn render_text(r: &CompareReport) -> String {
    let mut out =
        format!("A: {}\nB: {}\nseeds {} ({} runs each); min / median / p95 / max, lower is better\n", r.a, r.b, r.seeds, r.runs);
    if r.partial {
        out.push_str(&format!(
            "PARTIAL: interrupted after {} of {} seeds; the measures cover only them\n",
            r.runs,
            r.seeds.len()
        ));
    }
    // Two plans for one cluster share their services; plans that share none are two clusters,
    // whose cluster-wide rows a "better" would rank as if one were a plan for the other (a
    // helper compared the demo with a 300-instance cluster and was told which plan is better).
    let service_rows: Vec<&MeasureReport> = r.measures.iter().filter(|m| m.name.ends_with(SERVICE_ROWS[0])).collect();
    if !service_rows.is_empty() && service_rows.iter().all(|m| m.better == NOT_COMPARABLE) {
        out.push_str(
            "warning: the plans share no service: they look like two clusters, not two plans for one, and \
             their cluster-wide rows compare unrelated runs\n",
        );
    }
    out.push('\n');
    let cell = |s: &Stats, unit: &str, runs: u64| {
        let mut c = format!("{} / {} / {} / {}", show(s.min, unit), show(s.median, unit), show(s.p95, unit), show(s.max, unit));
        if s.runs < runs {
            c.push_str(&format!(" ({} runs without)", runs - s.runs));
        }
        c
    };
    // A service's rows where neither plan ever dipped below its floor or fell short of its desired
    // count say nothing: a cluster of 1,000 services, one of them changed, printed 2,000 rows of
    // zeros. They are counted instead (the JSON has them).
    let quiet_service_row = |m: &MeasureReport| {
        let zero = |x: &Stats| x.max.is_none_or(|max| max == 0);
        SERVICE_ROWS.iter().any(|suffix| m.name.ends_with(suffix)) && zero(&m.a) && zero(&m.b)
    };
    let mut quiet_services: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let mut loud_services: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for m in &r.measures {
        if let Some(service) = SERVICE_ROWS.iter().find_map(|suffix| m.name.strip_suffix(suffix)) {
            if quiet_service_row(m) {
                quiet_services.insert(service);
            } else {
                loud_services.insert(service);
            }
        }
    }
    // Past the bound, the services whose rows the plans differ on first, then the others, in the
    // measures' order; the rest are counted (a cluster of 1,000 services printed 2,000 rows).
    let shown_services: Vec<&str> = {
        let mut order: Vec<&str> = Vec::new();
        for m in &r.measures {
            if let Some(s) = SERVICE_ROWS.iter().find_map(|suffix| m.name.strip_suffix(suffix)) {
                if loud_services.contains(s) && order.last() != Some(&s) {
                    order.push(s);
                }
            }
        }
        let differs: std::collections::BTreeSet<&str> = r
            .measures
            .iter()
            .filter(|m| m.better != SAME)
            .filter_map(|m| SERVICE_ROWS.iter().find_map(|suffix| m.name.strip_suffix(suffix)))
            .collect();
        crate::outcome::listed_first(order.len(), crate::outcome::MAX_SERVICE_LINES, |k| differs.contains(order[k]))
            .into_iter()
            .map(|k| order[k])
            .collect()
    };
    let shown: std::collections::BTreeSet<&str> = shown_services.iter().copied().collect();
    let rows: Vec<[String; 5]> = r
        .measures
        .iter()
        .filter(|m| {
            let service = SERVICE_ROWS.iter().find_map(|suffix| m.name.strip_suffix(suffix));
            service.is_none_or(|s| shown.contains(s))
        })
        .map(|m| {
            let diff = match m.median_difference {
                None => "-".to_string(),
                Some(d) if m.unit == "ms" => {
                    let d_ms = u64::try_from(d.unsigned_abs()).unwrap_or(u64::MAX);
                    format!("{}{}", if d < 0 { "-" } else { "+" }, duration_to_the_ms(d_ms))
                }
                Some(d) => format!("{d:+}"),
            };
            [m.name.clone(), cell(&m.a, m.unit, r.runs), cell(&m.b, m.unit, r.runs), diff, m.better.to_string()]
        })
        .collect();
    let header = ["measure".to_string(), "A".into(), "B".into(), "median B-A".into(), "better".into()];
    let widths: Vec<usize> =
        (0..5).map(|c| rows.iter().chain([&header]).map(|row| row[c].chars().count()).max().unwrap_or(0)).collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    let unshown = loud_services.len() - shown.len();
    if unshown > 0 {
        out.push_str(&format!(
            "\n{unshown} more services' rows left out: {} listed, those the plans differ on first (--json lists them all)\n",
            shown.len()
        ));
    }
    let fully_quiet = quiet_services.difference(&loud_services).count();
    if fully_quiet > 0 {
        out.push_str(&format!(
            "\n{} left out: no dip below the floor and no healthy task short of desired in either plan (--json lists them)\n",
            if fully_quiet == 1 { "1 service's rows".to_string() } else { format!("{fully_quiet} services' rows") }
        ));
    }
    let not_comparable = |m: &&MeasureReport| m.better == NOT_COMPARABLE;
    if r.measures.iter().filter(not_comparable).any(|m| ONLY_COMPLETED_DRAINS.contains(&m.name.as_str())) {
        out.push_str(
            "\nn/a: the plans leave different numbers of drains not completed, so the times of the drains that did complete \
             do not compare (a plan that finishes fewer drains is not faster for it)\n",
        );
    }
    let not_ranked = |name: &str| {
        r.measures.iter().any(|m| m.name == name && m.better == NOT_RANKED && m.median_difference.is_some_and(|d| d != 0))
    };
    if r.measures.iter().any(|m| m.name == TIME_STALLED && m.better == NOT_COMPARABLE) {
        out.push_str(
            "\nn/a: time stalled: as many runs of each plan ended with a stall still open, which has no length (counted to \
             the end of the run, it would measure how long the plan's steps waited, not the stall)\n",
        );
    }
    if r.measures.iter().any(|m| m.name == FAILED_EXPECTATIONS && m.better == NOT_RANKED) {
        // The runs that failed an expectation are counted after the table, when there are any.
        let below =
            if r.failed_runs.a.runs + r.failed_runs.b.runs > 0 { " (the runs that failed one are counted below)" } else { "" };
        out.push_str(&format!(
            "\nnot ranked: failed expectations: the plans judge different numbers of steps and expectations, so their \
             failures are counts out of different totals{below}\n",
        ));
    }
    if not_ranked(PLACEMENT_FAILURES) {
        out.push_str(
            "\nnot ranked: placement failures count attempts, and a waiting service tries again whenever a task stops \
             anywhere in its cluster, so the count follows how often things happen, not what the plan costs; \
             time stalled measures that\n",
        );
    }
    // A plan whose every run measured the same on every row, and failed the same expectations
    // in every run (or none), draws nothing from its seed that changes them (no fault profile, no
    // timing jitter, no tie its task IDs break): its distribution is one run's, and more seeds add
    // nothing. Said, so that 50 equal runs do not read as a spread of 50; not said of a plan
    // whose runs fail differently, whose seeds do matter.
    if r.runs > 1 {
        let same = |side: fn(&MeasureReport) -> &Stats, failures: &PlanFailures| {
            let verdicts_alike =
                (failures.runs == 0 || failures.runs == r.runs) && failures.expectations.iter().all(|e| e.count == r.runs);
            verdicts_alike
                && r.measures.iter().all(|m| {
                    let s = side(m);
                    s.runs == 0 || (s.runs == r.runs && s.min == s.max)
                })
        };
        let plans: Vec<&str> = [("A", same(|m| &m.a, &r.failed_runs.a)), ("B", same(|m| &m.b, &r.failed_runs.b))]
            .into_iter()
            .filter_map(|(plan, same)| same.then_some(plan))
            .collect();
        if !plans.is_empty() {
            let which = match plans.as_slice() {
                [one] => format!("plan {one}"),
                _ => "both plans".to_string(),
            };
            out.push_str(&format!(
                "\nevery run of {which} measured the same on every row and failed the same expectations: nothing drawn \
                 from the seed (a fault profile, timing jitter, the task IDs that break ties) changed them, and more \
                 seeds add nothing\n"
            ));
        }
    }
    let in_one_plan: Vec<&str> = r
        .measures
        .iter()
        .filter(not_comparable)
        .filter_map(|m| m.name.strip_suffix(SERVICE_ROWS[0]))
        .filter(|s| shown.contains(s))
        .collect();
    if !in_one_plan.is_empty() {
        out.push_str(&format!(
            "\nn/a: {}: only one plan has {}, so its rows do not compare\n",
            in_one_plan.join(", "),
            if in_one_plan.len() == 1 { "the service" } else { "each of these services" }
        ));
    }
    if r.measures.iter().filter(not_comparable).any(|m| m.name == REFRESH_TIME) {
        out.push_str(&format!(
            "\nn/a: {REFRESH_TIME}: the plans start an instance refresh in different numbers of runs, so their refresh \
             times do not compare (a plan that does not refresh is not slower for it)\n"
        ));
    }
    let failures: Vec<String> =
        [("A", &r.failed_runs.a), ("B", &r.failed_runs.b)].iter().filter_map(|(p, f)| f.line(p, r.runs)).collect();
    if !failures.is_empty() {
        out.push('\n');
        for line in failures {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The difference of two medians keeps its milliseconds past a second (docs/import.md: "the
    /// difference of the medians to the millisecond"); it read `+1s` for 1,440 ms.
    #[test]
    fn a_difference_of_medians_is_shown_to_the_millisecond() {
        for (ms, shown) in
            [(1_440, "1.440s"), (61_440, "1m01.440s"), (52_000, "52s"), (276, "0.276s"), (0, "0s"), (3_600_001, "1h00m00.001s")]
        {
            assert_eq!(duration_to_the_ms(ms), shown, "{ms} ms");
        }
    }

    /// A service and an Auto Scaling group may share a name: a PascalCase field is the group's,
    /// a camelCase one the service's.
    #[test]
    fn a_group_and_a_service_of_one_name_take_their_own_fields() {
        let mut v = serde_json::json!({
            "services": [{"serviceName": "web", "desiredCount": 2}],
            "autoScalingGroups": [{"AutoScalingGroupName": "web", "MaxSize": 4}],
        });
        let set = |v: &mut Value, path: &str, value: &str| {
            let (first, rest) = split_target(&[], v, path).unwrap();
            set_one(v, path, (first, &rest), value)
        };
        set(&mut v, "web.MaxSize", "8").unwrap();
        set(&mut v, "web.desiredCount", "3").unwrap();
        assert_eq!((&v["autoScalingGroups"][0]["MaxSize"], &v["services"][0]["desiredCount"]), (&8.into(), &3.into()));
        assert!(v["services"][0].get("MaxSize").is_none() && v["autoScalingGroups"][0].get("desiredCount").is_none());
    }

    /// `--set` names the longest service, group or scenario field its path starts with (a name
    /// may hold dots), and refuses a scenario field a service is named after.
    #[test]
    fn a_path_names_the_longest_known_name_and_a_field_shared_with_a_service_is_ambiguous() {
        let v = serde_json::json!({
            "services": [{"serviceName": "sp.are", "desiredCount": 2}, {"serviceName": "sp", "desiredCount": 1}],
        });
        assert_eq!(split_target(&[], &v, "sp.are.desiredCount").unwrap(), ("sp.are", vec!["desiredCount"]));
        assert_eq!(split_target(&[], &v, "sp.desiredCount").unwrap(), ("sp", vec!["desiredCount"]));
        assert_eq!(split_target(&[], &v, "timings.jitterPercent").unwrap(), ("timings", vec!["jitterPercent"]));
        assert_eq!(split_target(&[], &v, "endTimeMs").unwrap(), ("endTimeMs", vec![]));
        let clash = serde_json::json!({"services": [{"serviceName": "timings", "desiredCount": 2}]});
        let e = split_target(&[], &clash, "timings.jitterPercent").unwrap_err();
        assert!(e.contains("'timings' names the scenario's field and a service or group alike"), "{e}");
    }

    #[test]
    fn stats_by_nearest_rank() {
        let s = Stats::of((1..=20).collect());
        assert_eq!((s.runs, s.min, s.median, s.p95, s.max), (20, Some(1), Some(10), Some(19), Some(20)));
        assert_eq!(Stats::of(vec![]), Stats::default());
        assert_eq!(Stats::of(vec![7]).p95, Some(7));
    }

    /// The distribution's statistics are those of the sorted values (the nearest rank read off the
    /// sorted list), whatever the values and their repeats.
    #[test]
    fn stats_of_a_distribution_are_those_of_the_sorted_values() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..300u64 {
            let mut values: Vec<u64> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % (1 + len / 3)
                })
                .collect();
            let s = Stats::of(values.clone());
            values.sort_unstable();
            let rank = |p: u64| (!values.is_empty()).then(|| values[((p * len).div_ceil(100).clamp(1, len) - 1) as usize]);
            let want =
                Stats { runs: len, min: values.first().copied(), median: rank(50), p95: rank(95), max: values.last().copied() };
            assert_eq!(s, want, "{values:?}");
        }
    }

    /// `time stalled` ranks first by the runs that ended stalled, and a run a bound cut short is
    /// not one of them: plan A's 2 cut-short runs (no stall) and 2 of 10 min against plan B's 2
    /// runs ending stalled and 2 of 30 s is A (both miss 2 runs, and the medians said B); as many
    /// runs ending stalled is `n/a` whatever the cut-short runs.
    #[test]
    fn time_stalled_ranks_runs_ending_stalled_apart_from_runs_cut_short() {
        let run = |stalled_ms: Option<u64>, open_stalls: Option<u64>, cut_short: bool| RunNumbers {
            stalled_ms,
            open_stalls,
            cut_short,
            ..Default::default()
        };
        let plan =
            |runs: &[RunNumbers]| runs.iter().enumerate().fold(PlanRuns::default(), |p, (s, n)| p.add(s as u64, Ok(n.clone())));
        let a = plan(&[
            run(None, None, true),
            run(None, None, true),
            run(Some(600_000), Some(0), false),
            run(Some(600_000), Some(0), false),
        ]);
        let b = plan(&[
            run(None, Some(1), false),
            run(None, Some(1), false),
            run(Some(30_000), Some(0), false),
            run(Some(30_000), Some(0), false),
        ]);
        // Runs cut short in different numbers: the runs ending stalled do not rank the plans.
        assert_eq!(time_stalled(4, &a, &b).better, NOT_COMPARABLE);
        assert_eq!(open_stalls(4, &a, &b).better, NOT_COMPARABLE);
        // As many cut short: the plan with fewer runs ending stalled, on both rows (the medians
        // said B; the runs without a value, as many on each side, did not tell them apart).
        let b =
            plan(&[run(None, None, true), run(None, Some(1), false), run(Some(30_000), Some(0), false), run(None, None, true)]);
        assert_eq!(time_stalled(4, &a, &b).better, "A");
        assert_eq!(time_stalled(4, &b, &a).better, "B");
        assert_eq!(open_stalls(4, &a, &b).better, "A");
        let c = plan(&[run(None, None, true), run(None, Some(1), false), run(None, None, true), run(Some(1), Some(0), false)]);
        assert_eq!(time_stalled(4, &b, &c).better, NOT_COMPARABLE);
        // No run ended stalled: the usual ranking, the cut-short runs counting as runs without a value.
        let d = plan(&[
            run(Some(5), Some(0), false),
            run(Some(5), Some(0), false),
            run(Some(5), Some(0), false),
            run(Some(5), Some(0), false),
        ]);
        assert_eq!(time_stalled(4, &a, &d).better, "B");
    }

    #[test]
    fn folding_in_any_split_gives_one_result() {
        let run = |seed: u64| -> Result<RunNumbers, String> {
            if seed == 7 || seed == 3 {
                return Err(format!("seed {seed} failed"));
            }
            let mut dips = BTreeMap::new();
            dips.insert("web".to_string(), seed % 2);
            let failed_expectations = u64::from(seed % 4 == 0 && seed > 0) + u64::from(seed == 11 || seed == 19) * 2;
            Ok(RunNumbers {
                total_drain_ms: Some(1000 + seed * 37 % 11),
                dips,
                stalls: seed % 4,
                failed_expectations,
                failed_names: (0..failed_expectations).map(|k| format!("check {k}")).collect(),
                ..Default::default()
            })
        };
        let whole = (0..20).fold(PlanRuns::default(), |p, s| p.add(s, run(s)));
        let halves = (0..20).rev().fold(PlanRuns::default(), |p, s| p.add(s, run(s)));
        let split = (0..9)
            .fold(PlanRuns::default(), |p, s| p.add(s, run(s)))
            .merge((9..20).fold(PlanRuns::default(), |p, s| p.add(s, run(s))));
        for other in [&halves, &split] {
            assert_eq!(whole.total_drain_ms, other.total_drain_ms);
            assert_eq!(whole.dips, other.dips);
            assert_eq!(whole.stalls, other.stalls);
            assert_eq!(whole.error, other.error);
            assert_eq!(whole.smallest_failed_seed, other.smallest_failed_seed);
            assert_eq!(whole.expectation_failures, other.expectation_failures);
        }
        let per_name: Vec<(&str, u64)> = whole.expectation_failures.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        assert_eq!(per_name, [("check 0", 6), ("check 1", 2)], "each failing run counts once per name");
        let failed_runs: u64 = whole.failed_expectations.range(1..).map(|(_, runs)| runs).sum();
        assert_eq!((failed_runs, whole.smallest_failed_seed), (6, Some(4)), "seeds 4, 8, 11, 12, 16 and 19 failed");
        assert_eq!(whole.error, Some((3, "seed 3 failed".to_string())), "the smallest seed's error");
        assert_eq!(whole.total_drain_ms.values().sum::<u64>(), 18);
    }

    #[test]
    fn the_better_plan_has_fewer_missing_values_then_lower_numbers() {
        let lo = Stats::of(vec![1, 2, 3]);
        let hi = Stats::of(vec![1, 3, 3]);
        assert_eq!(better(&lo, &hi, 0, 0), "A");
        assert_eq!(better(&hi, &lo, 0, 0), "B");
        assert_eq!(better(&lo, &lo, 0, 0), "same");
        assert_eq!(better(&lo, &hi, 1, 0), "B", "a plan whose drains do not complete is worse");
    }

    #[test]
    fn overrides_reach_the_service_and_are_checked_again() {
        let loaded = crate::load_str(crate::DEMO_FILE, crate::DEMO_SCENARIO).expect("the demo loads");
        let changed =
            apply_overrides(&loaded, &[("web.deploymentConfiguration.maximumPercent".into(), "150".into())]).expect("applies");
        let web = &changed.scenario.services[0];
        assert_eq!(web.deployment_configuration.as_ref().and_then(|d| d.maximum_percent), Some(150));
        let err = apply_overrides(&loaded, &[("web.deploymentConfiguration.maximumPercent".into(), "\"lots\"".into())])
            .expect_err("refused");
        assert!(err.contains("--set"), "{err}");
        let err = apply_overrides(&loaded, &[("webb.desiredCount".into(), "3".into())]).expect_err("refused");
        assert!(err.contains("nor a scenario field (did you mean 'web'?)"), "{err}");
        let err = apply_overrides(&loaded, &[("nosuch.desiredCount".into(), "3".into())]).expect_err("refused");
        assert!(err.contains("'nosuch' is neither a service"), "{err}");
        let err = apply_overrides(&loaded, &[("web".into(), "3".into())]).expect_err("refused");
        assert!(err.contains("name a service and a field"), "{err}");
        // A list cut short is not taken for a string, and a number too big for any field is not
        // taken for a fraction.
        let strategy = r#"[{"type":"binpack","field":"memory""#;
        let err = apply_overrides(&loaded, &[("web.placementStrategy".into(), strategy.into())]).expect_err("refused");
        assert!(err.starts_with(&format!("--set web.placementStrategy={strategy}: not JSON: EOF while parsing")), "{err}");
        assert!(!err.contains("\\\""), "no escaped quotes: {err}");
        let err = apply_overrides(&loaded, &[("web.desiredCount".into(), "18446744073709551616".into())]).expect_err("refused");
        assert!(
            err.ends_with(
                "18446744073709551616 is out of range: a whole number here is from -9223372036854775808 to 18446744073709551615"
            ),
            "{err}"
        );
        let fixed = r#"[{"type":"binpack","field":"memory"}]"#;
        assert!(apply_overrides(&loaded, &[("web.placementStrategy".into(), fixed.into())]).is_ok());
    }

    /// Plan B keeps plan A's instances and running tasks, which the overrides' JSON leaves out.
    #[test]
    fn overrides_keep_the_instances_and_running_tasks() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/format/running-tasks.ron");
        let loaded = crate::load_file(std::path::Path::new(file)).expect("the scenario loads");
        assert!(!loaded.scenario.instances.is_empty() && !loaded.scenario.running_tasks.is_empty());
        let service = loaded.scenario.services[0].service_name.clone();
        let changed =
            apply_overrides(&loaded, &[(format!("{service}.desiredCount"), "7".into()), ("endTimeMs".into(), "3600000".into())])
                .expect("applies");
        assert_eq!(changed.scenario.instances, loaded.scenario.instances);
        assert_eq!(changed.scenario.running_tasks, loaded.scenario.running_tasks);
        assert_eq!(changed.scenario.services[0].desired_count, Some(7));
        assert_eq!(changed.scenario.end_time_ms, Some(3_600_000));
        // Without overrides, the plan is the scenario as loaded: its own text, where errors point.
        let same = apply_overrides(&loaded, &[]).expect("applies");
        assert_eq!((same.source, same.scenario), (loaded.source.clone(), loaded.scenario.clone()));
    }
}
