//! The mergeable aggregate of a sweep's runs: integer counts in ordered maps, minima and maxima
//! with the smaller seed winning ties, failures sorted by seed when it is finished. `Aggregate::merge`
//! is exactly associative and commutative, so neither rayon's split of the work, `--jobs`, nor the
//! split into shards changes the result; [`merge`] folds the reports of shards with it.

use std::collections::{BTreeMap, BTreeSet};

use super::result::*;
use super::seeds::{SeedRange, Shard};

pub(super) enum DrainFact {
    Completed(u64),
    Incomplete,
    NoDrain,
}

/// A service's figures, borrowed from the run's engine (its name) while it is added.
pub(super) struct ServiceFact<'a> {
    pub(super) name: &'a str,
    pub(super) min_healthy_observed: Option<u32>,
    /// ECS's reason text and the failed placements for it.
    pub(super) placement_failures: Vec<(&'static str, u64)>,
    /// Tasks found UNHEALTHY (and replaced).
    pub(super) unhealthy_tasks: u32,
    /// Its floor breaches' causes, one entry per breach.
    pub(super) floor_breaches: Vec<&'static str>,
    /// Its stalls' reasons, one entry per stall.
    pub(super) stalls: Vec<&'static str>,
}

impl ServiceFact<'_> {
    /// Folds in the figures of a later service of the same name: the service deleted and created
    /// again under its name in the run (a name is used in one cluster only, so the services of a
    /// name are its incarnations, in creation order). A sweep counts each run once per service
    /// name. The latest incarnation's `minHealthyObserved` is the one counted, as `compare`'s
    /// deepest dip and the expectations (`Engine::service_named`) read it; its placement failures,
    /// unhealthy tasks and floor breaches are those of every incarnation, as `compare`'s totals
    /// count them: all of them happened, in that run, to the service of that name.
    fn absorb(&mut self, later: Self) {
        self.min_healthy_observed = later.min_healthy_observed;
        self.placement_failures.extend(later.placement_failures);
        self.unhealthy_tasks = self.unhealthy_tasks.saturating_add(later.unhealthy_tasks);
        self.floor_breaches.extend(later.floor_breaches);
        self.stalls.extend(later.stalls);
    }
}

/// A run's service facts, one per name ([`ServiceFact::absorb`]), in the order each name first
/// appears.
fn one_per_name(facts: Vec<ServiceFact<'_>>) -> Vec<ServiceFact<'_>> {
    let mut out: Vec<ServiceFact<'_>> = Vec::with_capacity(facts.len());
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for fact in facts {
        match at.get(fact.name).copied() {
            Some(k) => out[k].absorb(fact),
            None => {
                at.insert(fact.name, out.len());
                out.push(fact);
            }
        }
    }
    out
}

/// A capacity provider's managed scaling in one run, borrowed from the run's record.
pub(super) struct ScalingFact<'a> {
    pub(super) name: &'a str,
    pub(super) instances_launched: u32,
    /// Its last datapoint still had tasks waiting PROVISIONING.
    pub(super) ended_with_tasks_provisioning: bool,
}

#[derive(Debug, Default)]
struct ScalingAgg {
    launched: BTreeMap<u32, u64>,
    /// (value, seed): the highest value, then the smallest seed.
    max: Option<(u64, u64)>,
    runs_ending_with_tasks_provisioning: u64,
}

impl ScalingAgg {
    fn merge(&mut self, o: ScalingAgg) {
        add_counts(&mut self.launched, o.launched);
        self.max = max_opt(self.max, o.max);
        self.runs_ending_with_tasks_provisioning += o.runs_ending_with_tasks_provisioning;
    }
}

/// An instance refresh of one run, borrowed from the run's record.
pub(super) struct RefreshFact<'a> {
    pub(super) group: &'a str,
    pub(super) status: &'a str,
    /// `EndTime` − `StartTime`, when it ended.
    pub(super) duration_ms: Option<u64>,
}

#[derive(Debug, Default)]
struct RefreshAgg {
    statuses: BTreeMap<String, u64>,
    durations: BTreeMap<u64, u64>,
    /// (value, seed): the longest, then the smallest seed.
    max: Option<(u64, u64)>,
}

impl RefreshAgg {
    fn merge(&mut self, o: RefreshAgg) {
        add_counts(&mut self.statuses, o.statuses);
        add_counts(&mut self.durations, o.durations);
        self.max = max_opt(self.max, o.max);
    }
}

pub(super) struct RunFacts<'a> {
    pub(super) seed: u64,
    /// Empty when the run passed.
    pub(super) failed: Vec<String>,
    pub(super) drain: DrainFact,
    /// ECS refused a request to set an instance DRAINING that never drained in the run
    /// ([`crate::outcome::refused_drains`]).
    pub(super) drains_refused: bool,
    /// Every service of the run, in creation order (a name deleted and created again appears once
    /// per incarnation; [`Aggregate::add`] counts the run once per name).
    pub(super) services: Vec<ServiceFact<'a>>,
    pub(super) managed_scaling: Vec<ScalingFact<'a>>,
    pub(super) instance_refreshes: Vec<RefreshFact<'a>>,
}

#[derive(Debug, Default)]
struct ServiceAgg {
    min_healthy: BTreeMap<u32, u64>,
    unobserved: u64,
    /// (value, seed): the lowest value, then the smallest seed.
    min: Option<(u32, u64)>,
    runs_with_placement_failures: u64,
    placement_failures: BTreeMap<String, u64>,
    runs_with_unhealthy_tasks: u64,
    unhealthy_tasks: u64,
    runs_with_floor_breaches: u64,
    /// Floor breaches by cause.
    floor_breaches: BTreeMap<String, u64>,
    runs_with_stalls: u64,
    /// Stalls by reason.
    stalls: BTreeMap<String, u64>,
}

impl ServiceAgg {
    fn merge(&mut self, o: ServiceAgg) {
        add_counts(&mut self.min_healthy, o.min_healthy);
        self.unobserved += o.unobserved;
        self.min = min_opt(self.min, o.min);
        self.runs_with_placement_failures += o.runs_with_placement_failures;
        add_counts(&mut self.placement_failures, o.placement_failures);
        self.runs_with_unhealthy_tasks += o.runs_with_unhealthy_tasks;
        self.unhealthy_tasks = self.unhealthy_tasks.saturating_add(o.unhealthy_tasks);
        self.runs_with_floor_breaches += o.runs_with_floor_breaches;
        add_counts(&mut self.floor_breaches, o.floor_breaches);
        self.runs_with_stalls += o.runs_with_stalls;
        add_counts(&mut self.stalls, o.stalls);
    }
}

#[derive(Debug, Default)]
pub(super) struct Aggregate {
    runs: u64,
    /// Runs with a failed expectation.
    failed_runs: u64,
    /// The failing runs of the smallest seeds: at most [`MAX_FAILURES_LISTED`] once trimmed (up to
    /// twice that between trims). Keeping the smallest seeds of each part keeps the smallest of
    /// the whole, so merging stays exact.
    failures: Vec<FailureReport>,
    /// Per expectation name, the runs that failed it (once per run).
    expectation_failures: BTreeMap<String, u64>,
    drain_completed: BTreeMap<u64, u64>,
    /// (value, seed): the highest value, then the smallest seed.
    drain_max: Option<(u64, u64)>,
    drain_incomplete: u64,
    no_drain: u64,
    drains_refused: u64,
    services: BTreeMap<String, ServiceAgg>,
    managed_scaling: BTreeMap<String, ScalingAgg>,
    instance_refreshes: BTreeMap<String, RefreshAgg>,
    /// The smallest seed whose run could not be set up, and why.
    pub(super) error: Option<(u64, String)>,
}

/// Adds one histogram's counts into another (a merge of distributions; `compare` folds with it too).
/// Saturating: `--merge` bounds each file's counts (runs by `MAX_SEEDS`, placement failures and
/// floor breaches by 2^53), but not how many files it folds, and 2,049 files of 2^53 each pass u64.
pub(crate) fn add_counts<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, c) in from {
        let n = into.entry(k).or_insert(0);
        *n = n.saturating_add(c);
    }
}

/// Counts one more of a reason, its text copied only the first time (every seed names the same).
fn count_one(into: &mut BTreeMap<String, u64>, reason: &str) {
    match into.get_mut(reason) {
        Some(n) => *n += 1,
        None => {
            into.insert(reason.to_string(), 1);
        }
    }
}

/// Of two runs' errors, the one of the smaller seed (so a parallel fold reports the same error
/// whatever its split; `compare` uses it too).
pub(crate) fn smaller_seed_error(a: Option<(u64, String)>, b: Option<(u64, String)>) -> Option<(u64, String)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
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
    /// The aggregate of a seed whose run could not be set up.
    pub(super) fn setup_error(seed: u64, message: String) -> Aggregate {
        Aggregate { error: Some((seed, message)), ..Default::default() }
    }

    pub(super) fn add(&mut self, f: RunFacts<'_>, reproduce: impl Fn(u64) -> String) {
        self.runs += 1;
        if !f.failed.is_empty() {
            self.failed_runs += 1;
            // A run counts once per expectation name, even if it failed two checks of that name.
            for name in f.failed.iter().collect::<BTreeSet<_>>() {
                *self.expectation_failures.entry(name.clone()).or_insert(0) += 1;
            }
            let mut failed = f.failed;
            let more = failed.len().saturating_sub(MAX_EXPECTATIONS_LISTED_PER_RUN) as u64;
            failed.truncate(MAX_EXPECTATIONS_LISTED_PER_RUN);
            self.failures.push(FailureReport {
                seed: f.seed,
                failed_expectations: failed,
                more_failed_expectations: more,
                reproduce: reproduce(f.seed),
            });
            self.trim_failures(2 * MAX_FAILURES_LISTED);
        }
        match f.drain {
            DrainFact::Completed(t) => {
                *self.drain_completed.entry(t).or_insert(0) += 1;
                self.drain_max = max_opt(self.drain_max, Some((t, f.seed)));
            }
            DrainFact::Incomplete => self.drain_incomplete += 1,
            DrainFact::NoDrain => self.no_drain += 1,
        }
        self.drains_refused += u64::from(f.drains_refused);
        for m in f.managed_scaling {
            let agg = match self.managed_scaling.get_mut(m.name) {
                Some(agg) => agg,
                None => self.managed_scaling.entry(m.name.to_string()).or_default(),
            };
            *agg.launched.entry(m.instances_launched).or_insert(0) += 1;
            agg.max = max_opt(agg.max, Some((u64::from(m.instances_launched), f.seed)));
            agg.runs_ending_with_tasks_provisioning += u64::from(m.ended_with_tasks_provisioning);
        }
        for r in f.instance_refreshes {
            let agg = match self.instance_refreshes.get_mut(r.group) {
                Some(agg) => agg,
                None => self.instance_refreshes.entry(r.group.to_string()).or_default(),
            };
            match agg.statuses.get_mut(r.status) {
                Some(n) => *n += 1,
                None => {
                    agg.statuses.insert(r.status.to_string(), 1);
                }
            }
            if let Some(d) = r.duration_ms {
                *agg.durations.entry(d).or_insert(0) += 1;
                agg.max = max_opt(agg.max, Some((d, f.seed)));
            }
        }
        // One value per run per service name, whatever the run deleted and created again.
        for s in one_per_name(f.services) {
            // Every seed names the same services: the name is copied for the first seed only.
            let agg = match self.services.get_mut(s.name) {
                Some(agg) => agg,
                None => self.services.entry(s.name.to_string()).or_default(),
            };
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
            if s.unhealthy_tasks > 0 {
                agg.runs_with_unhealthy_tasks += 1;
                agg.unhealthy_tasks += u64::from(s.unhealthy_tasks);
            }
            if !s.floor_breaches.is_empty() {
                agg.runs_with_floor_breaches += 1;
            }
            for cause in s.floor_breaches {
                count_one(&mut agg.floor_breaches, cause);
            }
            if !s.stalls.is_empty() {
                agg.runs_with_stalls += 1;
            }
            for reason in s.stalls {
                count_one(&mut agg.stalls, reason);
            }
            for (reason, c) in s.placement_failures {
                match agg.placement_failures.get_mut(reason) {
                    Some(n) => *n += c,
                    None => {
                        agg.placement_failures.insert(reason.to_string(), c);
                    }
                }
            }
        }
    }

    /// Keeps the failing runs of the smallest seeds once more than `over` are listed.
    fn trim_failures(&mut self, over: usize) {
        if self.failures.len() > over {
            self.failures.sort_unstable_by_key(|f| f.seed);
            self.failures.truncate(MAX_FAILURES_LISTED);
        }
    }

    pub(super) fn merge(mut self, o: Aggregate) -> Aggregate {
        self.runs += o.runs;
        self.failed_runs += o.failed_runs;
        self.failures.extend(o.failures);
        self.trim_failures(2 * MAX_FAILURES_LISTED);
        add_counts(&mut self.expectation_failures, o.expectation_failures);
        add_counts(&mut self.drain_completed, o.drain_completed);
        self.drain_max = max_opt(self.drain_max, o.drain_max);
        self.drain_incomplete += o.drain_incomplete;
        self.no_drain += o.no_drain;
        self.drains_refused += o.drains_refused;
        for (name, s) in o.services {
            self.services.entry(name).or_default().merge(s);
        }
        for (name, m) in o.managed_scaling {
            self.managed_scaling.entry(name).or_default().merge(m);
        }
        for (name, r) in o.instance_refreshes {
            self.instance_refreshes.entry(name).or_default().merge(r);
        }
        self.error = smaller_seed_error(self.error, o.error);
        self
    }

    /// Rebuilds the aggregate a report was made from.
    fn from_report(r: &SweepReport) -> Aggregate {
        let d = &r.distribution.all_drains_completed_at_ms;
        Aggregate {
            runs: r.runs,
            failed_runs: r.failed_runs,
            failures: r.failures.clone(),
            expectation_failures: r.expectation_failures.iter().map(|x| (x.name.clone(), x.count)).collect(),
            drain_completed: d.histogram.iter().copied().collect(),
            drain_max: d.max.zip(d.max_seed),
            drain_incomplete: d.incomplete_runs,
            no_drain: d.no_drain_runs,
            drains_refused: d.drains_refused_runs,
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
                        runs_with_unhealthy_tasks: s.runs_with_unhealthy_tasks,
                        unhealthy_tasks: s.unhealthy_tasks,
                        runs_with_floor_breaches: s.runs_with_floor_breaches,
                        floor_breaches: s.floor_breaches.iter().map(|c| (c.reason.clone(), c.count)).collect(),
                        runs_with_stalls: s.runs_with_stalls,
                        stalls: s.stalls.iter().map(|c| (c.reason.clone(), c.count)).collect(),
                    };
                    (s.service_name.clone(), agg)
                })
                .collect(),
            managed_scaling: r
                .distribution
                .managed_scaling
                .iter()
                .map(|m| {
                    let agg = ScalingAgg {
                        launched: m.histogram.iter().copied().collect(),
                        max: m.instances_launched_max.map(u64::from).zip(m.instances_launched_max_seed),
                        runs_ending_with_tasks_provisioning: m.runs_ending_with_tasks_provisioning,
                    };
                    (m.capacity_provider_name.clone(), agg)
                })
                .collect(),
            instance_refreshes: r
                .distribution
                .instance_refreshes
                .iter()
                .map(|x| {
                    let agg = RefreshAgg {
                        statuses: x.statuses.iter().map(|c| (c.name.clone(), c.count)).collect(),
                        durations: x.histogram.iter().copied().collect(),
                        max: x.duration_max_ms.zip(x.duration_max_seed),
                    };
                    (x.auto_scaling_group_name.clone(), agg)
                })
                .collect(),
            error: None,
        }
    }

    pub(super) fn finish(mut self, header: Header) -> SweepReport {
        self.trim_failures(MAX_FAILURES_LISTED);
        self.failures.sort_by_key(|f| f.seed);
        let expectation_failures = NamedCount::most_first(self.expectation_failures);
        let completed: u64 = self.drain_completed.values().sum();
        let drains = DrainDistribution {
            completed_runs: completed,
            incomplete_runs: self.drain_incomplete,
            no_drain_runs: self.no_drain,
            drains_refused_runs: self.drains_refused,
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
                runs_with_unhealthy_tasks: s.runs_with_unhealthy_tasks,
                unhealthy_tasks: s.unhealthy_tasks,
                runs_with_floor_breaches: s.runs_with_floor_breaches,
                floor_breaches: s.floor_breaches.into_iter().map(|(reason, count)| ReasonCount { reason, count }).collect(),
                runs_with_stalls: s.runs_with_stalls,
                stalls: s.stalls.into_iter().map(|(reason, count)| ReasonCount { reason, count }).collect(),
            })
            .collect();
        let managed_scaling = self
            .managed_scaling
            .into_iter()
            .map(|(name, m)| ManagedScalingDistribution {
                capacity_provider_name: name,
                instances_launched_p50: nearest_rank(&m.launched, 50),
                instances_launched_p95: nearest_rank(&m.launched, 95),
                instances_launched_max: m.max.map(|x| u32::try_from(x.0).expect("a count of launches")),
                instances_launched_max_seed: m.max.map(|x| x.1),
                runs_ending_with_tasks_provisioning: m.runs_ending_with_tasks_provisioning,
                histogram: m.launched.into_iter().collect(),
            })
            .collect();
        let instance_refreshes = self
            .instance_refreshes
            .into_iter()
            .map(|(name, x)| InstanceRefreshDistribution {
                auto_scaling_group_name: name,
                statuses: NamedCount::most_first(x.statuses),
                ended_refreshes: x.durations.values().sum(),
                duration_p50_ms: nearest_rank(&x.durations, 50),
                duration_p95_ms: nearest_rank(&x.durations, 95),
                duration_max_ms: x.max.map(|m| m.0),
                duration_max_seed: x.max.map(|m| m.1),
                histogram: x.durations.into_iter().collect(),
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
            partial: false,
            failed_runs: self.failed_runs,
            failures: self.failures,
            expectation_failures,
            distribution: Distribution { all_drains_completed_at_ms: drains, services, managed_scaling, instance_refreshes },
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

pub(super) struct Header {
    pub(super) scenario: String,
    pub(super) file: String,
    pub(super) scenario_digest: String,
    pub(super) seeds: SeedRange,
    pub(super) shard: Option<Shard>,
    pub(super) account_defaults: Vec<String>,
    pub(super) faults: Option<String>,
}

/// A file name as `--merge` compares it: without `.` segments and repeated separators, so that
/// `seed.ron`, `./seed.ron` and `scenarios//./seed.ron`'s kin name one file as they were typed on
/// different machines (an absolute and a relative path still differ: no directory is read).
fn lexical_path(file: &str) -> String {
    let absolute = file.starts_with('/');
    let parts: Vec<&str> = file.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    format!("{}{}", if absolute { "/" } else { "" }, parts.join("/"))
}

/// Combines the outputs of sweeps that together cover one range of seeds exactly once (the shards
/// 1/N … N/N of a range, and/or adjacent ranges) into the report one sweep of it gives.
pub fn merge(inputs: &[(String, SweepReport)]) -> Result<SweepReport, String> {
    let mut merger = Merger::default();
    for (name, r) in inputs {
        merger.add(name, r)?;
    }
    merger.finish()
}

/// A merge of sweep outputs one at a time ([`merge`]): each is checked against the first as it
/// comes and folded in, so a merge of 1,000 shards holds one of them and their sum, not all of
/// them (it held every file: 147 MB for 1,000 shards), and an input that does not fit is refused
/// when it is read, not after every other one.
#[derive(Default)]
pub struct Merger {
    /// The first input's name and header: every other must match.
    first: Option<(String, Header)>,
    /// Each range's inputs: their names and shards.
    by_range: BTreeMap<SeedRange, Vec<(String, Option<Shard>)>>,
    agg: Aggregate,
}

impl Merger {
    /// Folds in one sweep's output, `name` being how the errors call it; refused if it is of
    /// another scenario, file or set of flags than the first, or runs seeds another input ran.
    pub fn add(&mut self, name: &str, r: &SweepReport) -> Result<(), String> {
        // Runs of one scenario may name different services: a bound can end a run before the step
        // that creates one (the seed's jitter or faults decide where), so the inputs' service
        // lists need not match; the merge adds each service's runs by name.
        match &mut self.first {
            None => {
                let header = Header {
                    scenario: r.scenario.clone(),
                    file: r.file.clone(),
                    scenario_digest: r.scenario_digest.clone(),
                    seeds: r.seeds,
                    shard: None,
                    account_defaults: r.account_defaults.clone(),
                    faults: r.faults.clone(),
                };
                self.first = Some((name.to_string(), header));
            }
            Some((first_name, first)) => {
                let differ = |what: &str, a: String, b: String| {
                    Err(format!("{first_name} and {name} are sweeps of different runs: {what} {a} vs {b}"))
                };
                let quoted = |s: &str| format!("'{s}'");
                let defaults = |d: &[String]| if d.is_empty() { "none".to_string() } else { d.join(", ") };
                let faults = |f: &Option<String>| f.as_deref().map_or("none".to_string(), quoted);
                if r.scenario != first.scenario {
                    return differ("scenario", quoted(&first.scenario), quoted(&r.scenario));
                }
                if lexical_path(&r.file) != lexical_path(&first.file) {
                    return differ("file", quoted(&first.file), quoted(&r.file));
                }
                // One file, spelled as one of the inputs spells it — the shortest, then the first
                // in byte order, whatever the order of the inputs — and every reproduce command
                // written with it when the merge is finished: shards that spelled it
                // `./seed.ron` and `seed.ron` merged into a result whose commands mixed the two,
                // which a merge then refused as edited.
                if (r.file.len(), &r.file) < (first.file.len(), &first.file) {
                    first.file = r.file.clone();
                }
                if r.scenario_digest != first.scenario_digest {
                    return differ(
                        "scenarioDigest (the scenario file's text)",
                        first.scenario_digest.clone(),
                        r.scenario_digest.clone(),
                    );
                }
                if r.account_defaults != first.account_defaults {
                    return differ("accountDefaults", defaults(&first.account_defaults), defaults(&r.account_defaults));
                }
                if r.faults != first.faults {
                    return differ("faults", faults(&first.faults), faults(&r.faults));
                }
            }
        }
        // Each range must be covered by one unsharded sweep or by every shard of one count: an
        // input that runs seeds another ran is refused now, also one whose range overlaps
        // another's in part.
        let before = self.by_range.range(..r.seeds).next_back().map(|(k, _)| *k);
        let after = self.by_range.range((std::ops::Bound::Excluded(r.seeds), std::ops::Bound::Unbounded)).next().map(|(k, _)| *k);
        for other in [before, after].into_iter().flatten() {
            if other.start < r.seeds.end && r.seeds.start < other.end {
                // Named by file, as the other refusals are.
                let theirs = self.by_range.get(&other).and_then(|parts| parts.first()).map_or("", |(file, _)| file.as_str());
                let (first, second) =
                    if other < r.seeds { ((theirs, other), (name, r.seeds)) } else { ((name, r.seeds), (theirs, other)) };
                return Err(format!("{} (seeds {}) and {} (seeds {}) overlap", first.0, first.1, second.0, second.1));
            }
        }
        let parts = self.by_range.entry(r.seeds).or_default();
        if let Some((other, _)) = parts.iter().find(|(_, s)| s.is_none() || r.shard.is_none()) {
            return Err(format!("{other}, {name} overlap: they all run seeds of {}", r.seeds));
        }
        if let (Some((other, Some(theirs))), Some(mine)) = (parts.first(), r.shard) {
            if theirs.count != mine.count {
                return Err(format!(
                    "{other} and {name} split seeds {} into {} and {} shards",
                    r.seeds, theirs.count, mine.count
                ));
            }
        }
        if let Some((other, _)) = parts.iter().find(|(_, s)| *s == r.shard) {
            let shard = r.shard.expect("an unsharded input was refused above");
            return Err(format!("{other} and {name} are both shard {shard} of seeds {}", r.seeds));
        }
        parts.push((name.to_string(), r.shard));
        self.agg = std::mem::take(&mut self.agg).merge(Aggregate::from_report(r));
        Ok(())
    }

    /// The merged report, once every shard of every range is in and the ranges are adjacent.
    pub fn finish(self) -> Result<SweepReport, String> {
        let Some((_, mut header)) = self.first else {
            return Err("--merge needs at least one sweep JSON file".into());
        };
        for (range, parts) in &self.by_range {
            let Some(count) = parts[0].1.map(|s| s.count) else { continue };
            // Shards past the range's length run no seed (the sweep refuses them): only the others
            // are needed. A few missing ones are named, and how many more.
            let seen: std::collections::BTreeSet<u64> = parts.iter().filter_map(|(_, s)| s.map(|s| s.index)).collect();
            let needed = count.min(range.len());
            let missing = needed - seen.range(1..=needed).count() as u64;
            if missing > 0 {
                let named: Vec<String> = (1..=needed)
                    .filter(|k| !seen.contains(k))
                    .take(MISSING_SHARDS_NAMED)
                    .map(|k| format!("{k}/{count}"))
                    .collect();
                let more = missing - named.len() as u64;
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                return Err(format!("seeds {range}: shard {}{more} missing", named.join(", ")));
            }
        }
        let ranges: Vec<SeedRange> = self.by_range.keys().copied().collect();
        for w in ranges.windows(2) {
            if w[0].end > w[1].start {
                return Err(format!("seeds {} and {} overlap", w[0], w[1]));
            }
            if w[0].end < w[1].start {
                return Err(format!("seeds {}..{} are in no input (between {} and {})", w[0].end, w[1].start, w[0], w[1]));
            }
        }
        header.seeds = SeedRange { start: ranges[0].start, end: ranges[ranges.len() - 1].end };
        let mut agg = self.agg;
        for f in &mut agg.failures {
            f.reproduce =
                super::run::reproduce_command_of(&header.file, &header.account_defaults, header.faults.as_deref(), f.seed);
        }
        Ok(agg.finish(header))
    }
}

/// How many missing shards a refused merge names (it counts the rest).
const MISSING_SHARDS_NAMED: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    /// Shards of one file typed differently on two machines merge; two files do not.
    #[test]
    fn file_names_compare_without_dot_segments_and_repeated_slashes() {
        for alike in ["seed.ron", "./seed.ron", "././seed.ron"] {
            assert_eq!(lexical_path(alike), "seed.ron");
        }
        assert_eq!(lexical_path("scenarios//./drain/seed.ron"), lexical_path("./scenarios/drain/seed.ron"));
        assert_eq!(lexical_path("/tmp/./seed.ron"), "/tmp/seed.ron");
        assert_ne!(lexical_path("/tmp/seed.ron"), lexical_path("tmp/seed.ron"));
        assert_ne!(lexical_path("../seed.ron"), lexical_path("seed.ron"));
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

    /// A failing run names at most 20 of its failed expectations and counts the rest; every one is
    /// counted in `expectationFailures`.
    #[test]
    fn a_failing_run_names_twenty_failed_expectations_and_counts_the_rest() {
        let mut agg = Aggregate::default();
        let failed: Vec<String> = (0..30).map(|k| format!("check {k:02}")).collect();
        agg.add(
            RunFacts {
                seed: 7,
                failed,
                drain: DrainFact::NoDrain,
                drains_refused: false,
                services: vec![],
                managed_scaling: vec![],
                instance_refreshes: vec![],
            },
            |s| format!("drainsim run s.ron --seed {s}"),
        );
        let r = agg.finish(Header {
            scenario: "s".into(),
            file: "s.ron".into(),
            scenario_digest: "0".into(),
            seeds: SeedRange { start: 7, end: 8 },
            shard: None,
            account_defaults: vec![],
            faults: None,
        });
        assert_eq!(r.failures[0].failed_expectations.len(), MAX_EXPECTATIONS_LISTED_PER_RUN);
        assert_eq!(r.failures[0].failed_expectations.last().map(String::as_str), Some("check 19"));
        assert_eq!(r.failures[0].more_failed_expectations, 10);
        assert_eq!(r.expectation_failures.len(), 30);
        // It reads back, and one listing more is refused.
        let text = crate::sweep::render_json(&r).unwrap();
        assert!(text.contains("\"moreFailedExpectations\": 10"), "{text}");
        assert_eq!(crate::sweep::parse_report("r.json", &text).expect("reads back"), r);
        let mut edited = r.clone();
        edited.failures[0].failed_expectations.push("check 20".into());
        let err = crate::sweep::parse_report("e.json", &crate::sweep::render_json(&edited).unwrap()).expect_err("refused");
        assert!(err.contains("lists 21 failed expectations, more than the 20"), "{err}");
    }

    /// 5,000 runs of which 3,000 fail: the result lists the failures of the 1,000 smallest failing
    /// seeds and counts all 3,000, whatever order the runs are added in and however they are split.
    #[test]
    fn the_failures_listed_are_the_smallest_seeds_and_all_are_counted() {
        let facts = |seed: u64| RunFacts {
            seed,
            failed: match seed % 5 {
                0 | 1 => vec!["a".to_string(), "a".to_string()],
                2 => vec!["b".to_string(), "a".to_string()],
                _ => vec![],
            },
            drain: DrainFact::Completed(1000 + seed % 7),
            drains_refused: seed % 50 == 0,
            services: vec![],
            managed_scaling: vec![ScalingFact {
                name: "cp",
                instances_launched: (seed % 4) as u32,
                ended_with_tasks_provisioning: seed % 10 == 0,
            }],
            instance_refreshes: vec![RefreshFact {
                group: "asg",
                status: if seed % 3 == 0 { "InProgress" } else { "Successful" },
                duration_ms: (seed % 3 != 0).then_some(60_000 + seed % 11),
            }],
        };
        let header = || Header {
            scenario: "s".into(),
            file: "s.ron".into(),
            scenario_digest: "0".into(),
            seeds: SeedRange { start: 0, end: 5000 },
            shard: None,
            account_defaults: vec![],
            faults: None,
        };
        let reproduce = |seed: u64| format!("drainsim run s.ron --seed {seed}");
        let fold = |seeds: &mut dyn Iterator<Item = u64>| {
            let mut agg = Aggregate::default();
            for seed in seeds {
                agg.add(facts(seed), reproduce);
            }
            agg
        };
        let forward = fold(&mut (0..5000)).finish(header());
        let backward = fold(&mut (0..5000).rev()).finish(header());
        let split = fold(&mut (2500..5000).rev())
            .merge(fold(&mut (0..700)))
            .merge(fold(&mut (700..2500).filter(|s| s % 2 == 0)))
            .merge(fold(&mut (700..2500).filter(|s| s % 2 == 1)))
            .finish(header());
        assert_eq!(forward, backward);
        assert_eq!(forward, split);
        assert_eq!((forward.runs, forward.failed_runs, forward.failures.len()), (5000, 3000, MAX_FAILURES_LISTED));
        let smallest: Vec<u64> = (0..5000).filter(|s| s % 5 < 3).take(MAX_FAILURES_LISTED).collect();
        assert_eq!(forward.failures.iter().map(|f| f.seed).collect::<Vec<_>>(), smallest);
        let counts: Vec<(&str, u64)> = forward.expectation_failures.iter().map(|x| (x.name.as_str(), x.count)).collect();
        assert_eq!(counts, [("a", 3000), ("b", 1000)], "every failing run counted once per name");
        assert_eq!(forward.distribution.all_drains_completed_at_ms.drains_refused_runs, 100, "seeds 0, 50, …, 4950");
        let m = &forward.distribution.managed_scaling[0];
        assert_eq!((m.instances_launched_max, m.instances_launched_max_seed), (Some(3), Some(3)));
        assert_eq!((m.instances_launched_p50, m.runs_ending_with_tasks_provisioning), (Some(1), 500));
        assert_eq!(m.histogram, [(0, 1250), (1, 1250), (2, 1250), (3, 1250)]);
        let x = &forward.distribution.instance_refreshes[0];
        let statuses: Vec<(&str, u64)> = x.statuses.iter().map(|c| (c.name.as_str(), c.count)).collect();
        assert_eq!(statuses, [("Successful", 3333), ("InProgress", 1667)], "most first");
        assert_eq!(x.ended_refreshes, 3333);
        // The longest, 60,010 ms (seed % 11 == 10, seed % 3 != 0): seed 10 first.
        assert_eq!((x.duration_max_ms, x.duration_max_seed), (Some(60_010), Some(10)));
        // Read back and merged with nothing, the report is the same.
        assert_eq!(Aggregate::from_report(&forward).finish(header()), forward);
    }

    #[test]
    fn ties_go_to_the_smaller_seed_whatever_the_order() {
        assert_eq!(max_opt(Some((5, 9)), Some((5, 3))), Some((5, 3)));
        assert_eq!(max_opt(Some((5, 3)), Some((5, 9))), Some((5, 3)));
        assert_eq!(max_opt(Some((4, 1)), Some((5, 9))), Some((5, 9)));
        assert_eq!(min_opt(Some((2u32, 9u64)), Some((2, 3))), Some((2, 3)));
    }
}
