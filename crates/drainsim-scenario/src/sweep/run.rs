//! Running the seeds: one run per seed on a rayon pool, each reduced to the facts the aggregate
//! needs, folded as they finish.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::aggregate::{Aggregate, DrainFact, Header, RefreshFact, RunFacts, ScalingFact, ServiceFact};
use super::result::SweepReport;
use super::seeds::{nth_seed, shard_len, SeedRange, Shard, MAX_SEEDS};
use crate::load::LoadedScenario;
use crate::runner::{self, RunOptions};
use crate::setup::{ResultText, SetupRequests};

/// What to sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// The scenario file as the user named it (it appears in the reproduce commands).
    pub file: String,
    /// The seeds to run.
    pub seeds: SeedRange,
    /// Only this shard of the seeds.
    pub shard: Option<Shard>,
    /// `--account-default NAME=VALUE` overrides, passed to every run.
    pub account_defaults: Vec<(String, String)>,
    /// `--faults swarm`: every seed draws its own fault profile.
    pub swarm_faults: bool,
    /// Worker threads asked for (`--jobs`); `None` uses the machine's available parallelism.
    /// [`worker_threads`] says how many a sweep starts.
    pub jobs: Option<usize>,
}

/// The most worker threads a sweep starts, whatever `--jobs` asks: a larger `--jobs` is refused
/// ([`parse_jobs`]), and a machine with more cores uses this many.
pub const MAX_JOBS: usize = 256;

/// Parses `--jobs N`: a number of worker threads from 1 to [`MAX_JOBS`].
pub fn parse_jobs(s: &str) -> Result<usize, String> {
    parse_jobs_of(s, "a sweep")
}

/// [`parse_jobs`] for another command (`explore`), named in the refusal.
pub fn parse_jobs_of(s: &str, command: &str) -> Result<usize, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_JOBS as u64).contains(&n) => Ok(n as usize),
        Ok(n) => Err(format!("'{s}': {n} worker threads; {command} starts 1 to {MAX_JOBS}")),
        Err(_) => Err(format!("'{s}': not a number of worker threads (1 to {MAX_JOBS})")),
    }
}

/// How many worker threads a sweep of `seeds_to_run` seeds starts: `jobs` (by default the machine's
/// available parallelism), but never more than there are seeds to run, nor more than [`MAX_JOBS`],
/// and at least one.
pub fn worker_threads(jobs: Option<usize>, seeds_to_run: u64) -> usize {
    let asked = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let seeds = usize::try_from(seeds_to_run).unwrap_or(usize::MAX);
    asked.min(seeds).clamp(1, MAX_JOBS)
}

/// What a sweep did: its result, and what the machine did to get it (never part of the result,
/// which depends on neither).
#[derive(Debug)]
pub struct SweepRun {
    /// The result (`partial` when it was interrupted).
    pub report: SweepReport,
    /// The worker threads the sweep started (counted as they were spawned).
    pub worker_threads_started: usize,
}

/// Runs one seed, on `spare` (reset) when given, and hands its facts to `add`; the run's engine is
/// left in `spare` for the next seed.
fn run_seed(
    loaded: &LoadedScenario,
    template: &RunOptions,
    prebuilt: Option<&SetupRequests>,
    seed: u64,
    spare: &mut Option<Box<drainsim_core::Engine>>,
    add: impl FnOnce(RunFacts<'_>),
) -> Result<(), String> {
    let opts = RunOptions { seed: Some(seed), ..template.clone() };
    let outcome = runner::run_reusing(loaded, &opts, prebuilt, spare.take()).map_err(|e| e.to_string())?;
    add(facts_of(&outcome, seed));
    *spare = Some(outcome.engine);
    Ok(())
}

fn facts_of(outcome: &crate::outcome::RunOutcome, seed: u64) -> RunFacts<'_> {
    // Only the figures the aggregate needs, read from the engine's views: the full report (every
    // instance described, every service's time series) is not built per seed.
    let mut failed: Vec<String> = outcome.expectations.iter().filter(|x| !x.passed).map(|x| x.label()).collect();
    if let Some(v) = &outcome.invariant_violation {
        failed.push(format!("invariant: {v}"));
    }
    let e = &outcome.engine;
    // The drains `allDrainsCompletedAtMs` counts ([`crate::outcome::DrainScope`]): not re-activated
    // before completing, not begun by managed scaling's scale-in while the run has others.
    let scope = outcome.drain_scope();
    let drained = crate::outcome::first_drain_started_at(e, &scope).is_some();
    let drain = match (crate::outcome::all_drains_completed_at(e, &scope), drained) {
        (Some(t), _) => DrainFact::Completed(t),
        (None, true) => DrainFact::Incomplete,
        (None, false) => DrainFact::NoDrain,
    };
    // The cluster settling at start-up is no stall of a service's (as the run's warnings and
    // `NoStalls` say, [`crate::outcome::StartupSettling`]).
    let settling = crate::outcome::StartupSettling::of_engine(e, &scope);
    let services = e
        .services()
        .map(|s| ServiceFact {
            name: s.name(),
            min_healthy_observed: s.min_healthy_observed(),
            placement_failures: s.placement_failures().map(|(r, c)| (r.as_str(), c)).collect(),
            unhealthy_tasks: s.unhealthy_tasks(),
            floor_breaches: s.floor_breaches().iter().map(|b| b.reason.as_str()).collect(),
            stalls: s.stalls().iter().filter(|st| !settling.passes_by(&s, st)).map(|st| st.reason.as_str()).collect(),
        })
        .collect();
    let managed_scaling = outcome
        .managed_scaling
        .iter()
        .map(|m| ScalingFact {
            name: &m.capacity_provider_name,
            instances_launched: m.instances_launched,
            ended_with_tasks_provisioning: m.samples.last().is_some_and(|p| p.tasks_provisioning > 0),
        })
        .collect();
    let instance_refreshes = outcome
        .instance_refreshes
        .iter()
        .map(|r| RefreshFact { group: &r.auto_scaling_group_name, status: &r.status, duration_ms: r.duration_ms() })
        .collect();
    let drains_refused = !crate::outcome::refused_drains(e).is_empty();
    RunFacts { seed, failed, drain, drains_refused, services, managed_scaling, instance_refreshes }
}

/// FNV-1a 64 of a text, as 16 hex digits.
fn digest(text: &str) -> String {
    format!("{:016x}", drainsim_core::fnv1a(text.as_bytes()))
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `--account-default NAME=VALUE` for each override, as a command line gives them back: each
/// with a leading space, quoted for the shell where it must be. Every reproduce command (a sweep's,
/// a run's, a comparison's) writes them so.
pub fn account_default_flags(overrides: &[(String, String)]) -> String {
    overrides.iter().map(|(name, value)| format!(" --account-default {}", shell_word(&format!("{name}={value}")))).collect()
}

/// The `drainsim run` command that reproduces one seed of a sweep whose result names `file`, its
/// `accountDefaults` (`NAME=VALUE`) and its `faults`, as a result file gives them back.
pub(super) fn reproduce_command_of(file: &str, account_defaults: &[String], faults: Option<&str>, seed: u64) -> String {
    let opts = SweepOptions {
        file: file.to_string(),
        account_defaults: account_defaults
            .iter()
            .map(|kv| kv.split_once('=').map_or((kv.clone(), String::new()), |(k, v)| (k.to_string(), v.to_string())))
            .collect(),
        swarm_faults: faults == Some("swarm"),
        ..Default::default()
    };
    reproduce_command(&opts, seed)
}

/// The `drainsim run` command that reproduces one seed of a sweep.
pub fn reproduce_command(opts: &SweepOptions, seed: u64) -> String {
    let mut cmd = format!("drainsim run {} --seed {seed}", shell_word(&opts.file));
    cmd.push_str(&account_default_flags(&opts.account_defaults));
    if opts.swarm_faults {
        cmd.push_str(" --faults swarm");
    }
    cmd
}

/// Runs the scenario once per seed of the shard, on [`worker_threads`] threads, calling `progress`
/// after each run (from any thread). Once `interrupt` is set (Ctrl-C), no further seed starts: the
/// runs in progress finish and the result, of the seeds that ran, is marked `partial`. An error
/// names the smallest seed whose run could not be set up.
pub fn sweep(
    loaded: &LoadedScenario,
    opts: &SweepOptions,
    progress: &(dyn Fn() + Sync),
    interrupt: &AtomicBool,
) -> Result<SweepRun, String> {
    if opts.seeds.is_empty() || opts.seeds.len() > MAX_SEEDS {
        return Err(format!("seeds {}: between 1 and {MAX_SEEDS} seeds", opts.seeds));
    }
    if let Some(j) = opts.jobs.filter(|j| !(1..=MAX_JOBS).contains(j)) {
        return Err(format!("--jobs {j}: a sweep starts 1 to {MAX_JOBS} worker threads"));
    }
    let template = RunOptions {
        seed: None,
        account_defaults: opts.account_defaults.clone(),
        keep_records: false,
        // Nothing in a sweep's result reads a seed's trace digest.
        skip_trace_digest: true,
        check_invariants_every_event: false,
        note_invariant_violations: false,
        swarm_faults: opts.swarm_faults,
        // The aggregate reads the names of failed expectations only.
        result_text: ResultText::FailuresOnly,
    };
    let n = shard_len(opts.seeds, opts.shard);
    if let (Some(shard), 0) = (opts.shard, n) {
        return Err(format!(
            "shard {shard} of seeds {} runs no seed: {} seeds split into at most {} shards",
            opts.seeds,
            opts.seeds.len(),
            opts.seeds.len()
        ));
    }
    // Every seed sets up the same instances, task definitions and services: their requests are
    // built once.
    let prebuilt = SetupRequests::prebuild(loaded);
    let started = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(worker_threads(opts.jobs, n))
        .spawn_handler(|thread| {
            std::thread::Builder::new().spawn(|| thread.run())?;
            started.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .build()
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    let agg = pool.install(|| {
        (0..n)
            .into_par_iter()
            // Stops handing out seeds at once when interrupted (the rest are never visited).
            .take_any_while(|_| !interrupt.load(Ordering::Relaxed))
            // Each fold runs its seeds one after another on one engine, reset between them.
            .fold(
                || (Aggregate::default(), None),
                |(mut acc, mut spare), i| {
                    let seed = nth_seed(opts.seeds, opts.shard, i);
                    let ran = run_seed(loaded, &template, prebuilt.as_ref(), seed, &mut spare, |f| {
                        acc.add(f, |s| reproduce_command(opts, s))
                    });
                    if let Err(e) = ran {
                        acc = acc.merge(Aggregate::setup_error(seed, e));
                    }
                    progress();
                    (acc, spare)
                },
            )
            .map(|(acc, _spare)| acc)
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
    let mut report = agg.finish(header);
    report.partial = report.runs < n;
    Ok(SweepRun { report, worker_threads_started: started.load(Ordering::Relaxed) })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("scenarios/demo.ron"), "scenarios/demo.ron");
        assert_eq!(shell_word("my file.ron"), "'my file.ron'");
        assert_eq!(shell_word("it's.ron"), r"'it'\''s.ron'");
    }
}
