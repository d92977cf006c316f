//! Running the seeds: one run per seed on a rayon pool, each reduced to the facts the aggregate
//! needs, folded as they finish.

use rayon::prelude::*;

use super::aggregate::{Aggregate, DrainFact, Header, RunFacts, ServiceFact};
use super::result::SweepReport;
use super::seeds::{nth_seed, shard_len, SeedRange, Shard, MAX_SEEDS};
use crate::load::LoadedScenario;
use crate::report;
use crate::runner::{self, RunOptions};

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
    /// Worker threads; `None` uses the machine's available parallelism.
    pub jobs: Option<usize>,
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

/// FNV-1a 64 of a text, as 16 hex digits.
fn digest(text: &str) -> String {
    format!("{:016x}", drainsim_core::fnv1a(text.as_bytes()))
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
                    Err(e) => acc = acc.merge(Aggregate::setup_error(seed, e)),
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
