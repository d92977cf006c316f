//! The two output formats of a sweep (pretty JSON and a text summary), and reading the JSON back
//! for `--merge`.

use drainsim_core::time::format_sim_time;

use super::result::SweepReport;
use super::result::SWEEP_VERSION;
use super::seeds::{in_shard, shard_len};

/// How many failing seeds the text output lists (the JSON lists every one).
pub const TEXT_FAILURES_LISTED: usize = 20;

/// The JSON output of `drainsim sweep --json`.
pub fn render_json(r: &SweepReport) -> serde_json::Result<String> {
    serde_json::to_string_pretty(r)
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
    if r.partial {
        return Err(format!(
            "{name}: a partial sweep (interrupted after {} of the {expected} runs of seeds {}{part}) cannot be merged; run it again",
            r.runs, r.seeds
        ));
    }
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
    if r.partial {
        let total = shard_len(r.seeds, r.shard);
        let _ =
            writeln!(out, "PARTIAL: interrupted after {} of {total} runs; what follows covers only the seeds that ran", r.runs);
    }
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
    let partial = if r.partial { " (partial: interrupted)" } else { "" };
    if r.failed_runs == 0 {
        let _ = writeln!(out, "\nresult: every run's expectations hold{partial}");
    } else {
        let _ = writeln!(out, "\nresult: {} of {} runs failed{partial}", r.failed_runs, r.runs);
    }
    out
}
