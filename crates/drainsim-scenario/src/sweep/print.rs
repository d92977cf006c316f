//! The two output formats of a sweep (pretty JSON and a text summary), and reading the JSON back
//! for `--merge`.

use drainsim_core::time::format_sim_time;

use super::result::SweepReport;
use super::result::{MAX_EXPECTATIONS_LISTED_PER_RUN, MAX_FAILURES_LISTED, SWEEP_VERSION};
use super::seeds::{in_shard, shard_len, MAX_SEEDS};

/// How many failing seeds the text output lists (the JSON lists those of the smallest
/// [`MAX_FAILURES_LISTED`] seeds).
pub const TEXT_FAILURES_LISTED: usize = 20;

/// The JSON output of `drainsim sweep --json`: pretty-printed, each histogram bucket
/// (`[value, runs]`) on one line.
pub fn render_json(r: &SweepReport) -> serde_json::Result<String> {
    serde_json::to_string_pretty(r).map(|pretty| inline_number_pairs(&pretty))
}

/// `serde_json`'s pretty text with every array of two numbers on one line: a histogram bucket
/// took four lines and 52 bytes, so a sweep of a million seeds with a distinct drain time each
/// wrote 52 MB of them; now about 21 bytes a bucket. Only whitespace changes.
fn inline_number_pairs(pretty: &str) -> String {
    let is_number = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out = String::with_capacity(pretty.len());
    let mut k = 0;
    while k < lines.len() {
        let line = lines[k];
        if line.trim() == "[" && k + 3 < lines.len() {
            let (a, b, end) = (lines[k + 1].trim(), lines[k + 2].trim(), lines[k + 3].trim());
            if let Some(a) = a.strip_suffix(',').filter(|a| is_number(a)) {
                if is_number(b) && (end == "]" || end == "],") {
                    out.push_str(line);
                    out.push_str(a);
                    out.push_str(", ");
                    out.push_str(b);
                    out.push_str(end);
                    out.push('\n');
                    k += 4;
                    continue;
                }
            }
        }
        out.push_str(line);
        out.push('\n');
        k += 1;
    }
    if !pretty.ends_with('\n') {
        out.pop();
    }
    out
}

/// The largest sweep report `--merge` reads, in bytes (1 GiB). A report lists at most
/// [`MAX_FAILURES_LISTED`] failing runs and one histogram bucket per distinct value (about 21
/// bytes each), so real ones are kilobytes to a few megabytes, and a sweep of the most seeds one
/// sweep runs, each with a distinct drain time, about 210 MB: what any sweep or `--merge` writes
/// is read back.
pub const MAX_REPORT_BYTES: u64 = 1024 * 1024 * 1024;

/// Reads and parses the sweep JSON output in the file at `path` (at most [`MAX_REPORT_BYTES`]).
pub fn read_report(path: &std::path::Path) -> Result<SweepReport, String> {
    let name = path.display().to_string();
    let bytes = crate::input::read_bounded(path, MAX_REPORT_BYTES).map_err(|e| format!("cannot read {name}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column, byte) = crate::input::first_byte_not_utf8(&e);
        format!("{name}: not the JSON output of `drainsim sweep --json` (byte 0x{byte:02X} at line {line}, column {column} is not UTF-8)")
    })?;
    parse_report(&name, &text)
}

/// The JSON path of the first string (or key) of `value` that holds a control character, with
/// why it is refused ([`crate::load::control_character_refusal`]).
fn control_character_in(value: &serde_json::Value, path: String) -> Option<(String, String)> {
    match value {
        serde_json::Value::String(s) => crate::load::control_character_refusal(s).map(|r| (path, r)),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(k, v)| control_character_in(v, format!("{path}[{k}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(key, v)| match crate::load::control_character_refusal(key) {
            Some(r) => Some((path.clone(), format!("a key {r}"))),
            None => control_character_in(v, format!("{path}.{key}")),
        }),
        _ => None,
    }
}

/// Parses a sweep's JSON output; `name` is used in errors.
pub fn parse_report(name: &str, text: &str) -> Result<SweepReport, String> {
    let r: SweepReport = serde_json::from_str(text).map_err(|e| {
        let plain = crate::load::plain_serde_message(&e.to_string());
        format!("{name}: not the JSON output of `drainsim sweep --json` ({plain})")
    })?;
    // No sweep writes a control character (its names come from a loaded scenario, which refuses
    // them), and the merged report prints the shard's names to the terminal. JSON writes one below
    // U+0020 only escaped (`\u0007`, `\b`, `\f`; `\t`, `\n` and `\r` are allowed), and DEL and the
    // C1 controls as they are: a text with neither is searched no further (a second parse into a
    // `Value` of a 200 MB report took GBs).
    let may_hold_control = ["\\u", "\\b", "\\f"].iter().any(|escape| text.contains(escape))
        || text.chars().any(|c| c.is_control() && !c.is_ascii_whitespace());
    if may_hold_control {
        let value: serde_json::Value = serde_json::from_str(text).expect("parsed above");
        if let Some((path, refusal)) = control_character_in(&value, "$".to_string()) {
            return Err(format!("{name}: {path}: {refusal} (an edited file?)"));
        }
    }
    if r.sweep_version != SWEEP_VERSION {
        return Err(format!("{name}: sweepVersion {} (this drainsim reads {SWEEP_VERSION})", r.sweep_version));
    }
    if r.seeds.is_empty() {
        return Err(format!("{name}: seeds {} is empty", r.seeds));
    }
    // No bound on the seeds of an unsharded result: one sweep runs at most MAX_SEEDS, but a merge
    // of merges covers more, and what a merge writes is read back (a batch system's tree of
    // merges). The counts below are checked against `runs`, which the seeds bound.
    if let Some(s) = r.shard {
        if s.index == 0 || s.count == 0 || s.index > s.count {
            return Err(format!("{name}: shard {s} is not K/N with 1 <= K <= N"));
        }
        if s.count > MAX_SEEDS {
            return Err(format!("{name}: shard {s}: a range of seeds splits into at most {MAX_SEEDS} shards (an edited file?)"));
        }
        if s.index > r.seeds.len() {
            return Err(format!("{name}: shard {s} of seeds {} runs no seed, which no sweep writes (an edited file?)", r.seeds));
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
    if r.failures.len() as u64 != r.failed_runs.min(MAX_FAILURES_LISTED as u64) {
        return Err(format!(
            "{name}: failedRuns {} but {} failures listed (a result lists every failing run up to {MAX_FAILURES_LISTED})",
            r.failed_runs,
            r.failures.len()
        ));
    }
    if let Some(f) = r.failures.iter().find(|f| !in_shard(r.seeds, r.shard, f.seed)) {
        return Err(format!("{name}: failing seed {} is not in seeds {}{part}", f.seed, r.seeds));
    }
    // A failure's reproduce command is the one the sweep writes for its seed, never a text the file
    // brings: the merged result prints it for the user to run.
    let reproduce = |seed| super::run::reproduce_command_of(&r.file, &r.account_defaults, r.faults.as_deref(), seed);
    if let Some(f) = r.failures.iter().find(|f| f.reproduce != reproduce(f.seed)) {
        return Err(format!(
            "{name}: the failure of seed {} reproduces with something else than `drainsim run` of its file and flags (an edited file?)",
            f.seed
        ));
    }
    if let Some(f) = r.failures.iter().find(|f| f.failed_expectations.len() > MAX_EXPECTATIONS_LISTED_PER_RUN) {
        return Err(format!(
            "{name}: seed {} lists {} failed expectations, more than the {MAX_EXPECTATIONS_LISTED_PER_RUN} a run names (an edited file?)",
            f.seed,
            f.failed_expectations.len()
        ));
    }
    if r.failures.windows(2).any(|w| w[0].seed >= w[1].seed) {
        return Err(format!("{name}: failures are not sorted by distinct seeds"));
    }
    check_counts(name, &r)?;
    // A run that failed an expectation is a failed run.
    if let Some(x) = r.expectation_failures.iter().find(|x| x.count > r.failed_runs) {
        return Err(format!(
            "{name}: expectationFailures counts {} runs failing '{}', more than its failedRuns {} (an edited file?)",
            x.count, x.name, r.failed_runs
        ));
    }
    // The seeds that reproduce the extremes are seeds the file ran.
    let extremes = std::iter::once(("maxSeed", r.distribution.all_drains_completed_at_ms.max_seed))
        .chain(r.distribution.services.iter().map(|sv| ("minSeed", sv.min_healthy_observed.min_seed)))
        .chain(r.distribution.managed_scaling.iter().map(|m| ("instancesLaunchedMaxSeed", m.instances_launched_max_seed)))
        .chain(r.distribution.instance_refreshes.iter().map(|x| ("durationMaxSeed", x.duration_max_seed)));
    for (what, seed) in extremes {
        if let Some(seed) = seed.filter(|s| !in_shard(r.seeds, r.shard, *s)) {
            return Err(format!("{name}: {what} {seed} is not in seeds {}{part} (an edited file?)", r.seeds));
        }
    }
    let d = &r.distribution.all_drains_completed_at_ms;
    let completed: u64 = d.histogram.iter().map(|(_, c)| c).sum();
    if completed != d.completed_runs || completed + d.incomplete_runs + d.no_drain_runs != r.runs {
        return Err(format!("{name}: the drain distribution does not add up to {} runs", r.runs));
    }
    // Every run records each capacity provider with managed scaling once, and the most launched
    // is the histogram's last value, with its seed.
    for m in &r.distribution.managed_scaling {
        let counted = m.histogram.iter().try_fold(0u64, |a, (_, c)| a.checked_add(*c));
        let highest = m.histogram.last().map(|(v, _)| *v);
        if counted != Some(r.runs)
            || m.histogram.windows(2).any(|w| w[0].0 >= w[1].0)
            || highest != m.instances_launched_max
            || m.instances_launched_max.is_some() != m.instances_launched_max_seed.is_some()
            || m.runs_ending_with_tasks_provisioning > r.runs
        {
            return Err(format!(
                "{name}: managed scaling of {}: a distribution that does not add up to {} runs (an edited file?)",
                m.capacity_provider_name, r.runs
            ));
        }
    }
    // A group's ended refreshes are those its histogram counts, each with a status; the longest is
    // the histogram's last value, with its seed. A run starts at most MAX refreshes of a group.
    for x in &r.distribution.instance_refreshes {
        let counted = x.histogram.iter().try_fold(0u64, |a, (_, c)| a.checked_add(*c));
        let statuses = x.statuses.iter().try_fold(0u64, |a, c| a.checked_add(c.count));
        let most = r.runs.checked_mul(MAX_REFRESHES_PER_GROUP_AND_RUN);
        if counted != Some(x.ended_refreshes)
            || statuses.is_none_or(|n| n < x.ended_refreshes || most.is_none_or(|m| n > m))
            || x.histogram.windows(2).any(|w| w[0].0 >= w[1].0)
            || x.histogram.last().map(|(v, _)| *v) != x.duration_max_ms
            || x.duration_max_ms.is_some() != x.duration_max_seed.is_some()
        {
            return Err(format!(
                "{name}: instance refreshes of {}: a distribution that does not add up (an edited file?)",
                x.auto_scaling_group_name
            ));
        }
    }
    Ok(r)
}

/// The most instance refreshes a merged result may count per run for a group: a bound on edited
/// files (a run's steps start each refresh, and a scenario has at most a few thousand steps).
const MAX_REFRESHES_PER_GROUP_AND_RUN: u64 = 1 << 20;

/// The most placement failures one result may count for a reason: 2^53, the largest integer a
/// JSON number holds exactly (so merging any plausible number of results cannot overflow).
pub const MAX_PLACEMENT_FAILURE_COUNT: u64 = 1 << 53;

/// Every count of runs in a result is at most its `runs` (the length of its seeds, disjoint from
/// every other input's, so that the sums of a merge stay within `u64`), so the sums
/// `parse_report` and `merge` make cannot overflow; a placement failure count is at most
/// [`MAX_PLACEMENT_FAILURE_COUNT`], and so is a floor breach count per cause (a cause is one
/// [`drainsim_core::BreachCause`] names). An edited or corrupt file is refused.
fn check_counts(name: &str, r: &SweepReport) -> Result<(), String> {
    let runs = r.runs;
    let at_most_runs = |what: &str, c: u64| {
        if c > runs {
            Err(format!("{name}: {what} counts {c} runs, more than the {runs} it made (an edited file?)"))
        } else {
            Ok(())
        }
    };
    let d = &r.distribution.all_drains_completed_at_ms;
    for (what, c) in [
        ("completedRuns", d.completed_runs),
        ("incompleteRuns", d.incomplete_runs),
        ("noDrainRuns", d.no_drain_runs),
        ("drainsRefusedRuns", d.drains_refused_runs),
    ] {
        at_most_runs(what, c)?;
    }
    d.histogram.iter().try_for_each(|(_, c)| at_most_runs("the drain histogram", *c))?;
    r.expectation_failures.iter().try_for_each(|e| at_most_runs("expectationFailures", e.count))?;
    for sv in &r.distribution.services {
        let m = &sv.min_healthy_observed;
        at_most_runs("observedRuns", m.observed_runs)?;
        at_most_runs("unobservedRuns", m.unobserved_runs)?;
        // Each run counts once per service name it had (a run a bound ended before a step created
        // the service has none).
        at_most_runs("observedRuns + unobservedRuns", m.observed_runs.saturating_add(m.unobserved_runs))?;
        // Its histogram counts the runs that observed it, by increasing value, the lowest `min`
        // (a run that ended in an error observed nothing and is in neither count).
        let counted = m.histogram.iter().try_fold(0u64, |a, (_, c)| a.checked_add(*c));
        if counted != Some(m.observed_runs)
            || m.histogram.windows(2).any(|w| w[0].0 >= w[1].0)
            || m.histogram.first().map(|(v, _)| *v) != m.min
            || m.min.is_some() != m.min_seed.is_some()
        {
            return Err(format!(
                "{name}: {}: a minHealthyObserved distribution that does not add up to {runs} runs (an edited file?)",
                sv.service_name
            ));
        }
        at_most_runs("runsWithPlacementFailures", sv.runs_with_placement_failures)?;
        at_most_runs("runsWithUnhealthyTasks", sv.runs_with_unhealthy_tasks)?;
        if sv.runs_with_unhealthy_tasks > 0 && sv.unhealthy_tasks < sv.runs_with_unhealthy_tasks
            || sv.runs_with_unhealthy_tasks == 0 && sv.unhealthy_tasks > 0
            || sv.unhealthy_tasks > MAX_PLACEMENT_FAILURE_COUNT
        {
            return Err(format!(
                "{name}: {}: {} unhealthy tasks in {} runs with some (an edited file?)",
                sv.service_name, sv.unhealthy_tasks, sv.runs_with_unhealthy_tasks
            ));
        }
        at_most_runs("runsWithFloorBreaches", sv.runs_with_floor_breaches)?;
        let breach_cause = |r: &str| drainsim_core::BreachCause::ALL.iter().any(|b| b.as_str() == r);
        episodes_by_reason(
            name,
            sv,
            "floor breaches",
            "a floor breach cause",
            sv.runs_with_floor_breaches,
            &sv.floor_breaches,
            breach_cause,
        )?;
        at_most_runs("runsWithStalls", sv.runs_with_stalls)?;
        let stall_reason = |r: &str| drainsim_core::StallReason::all().any(|s| s.as_str() == r);
        episodes_by_reason(name, sv, "stalls", "a stall reason", sv.runs_with_stalls, &sv.stalls, stall_reason)?;
        m.histogram.iter().try_for_each(|(_, c)| at_most_runs("the minHealthyObserved histogram", *c))?;
        if let Some(c) = sv.placement_failures.iter().find(|c| c.count > MAX_PLACEMENT_FAILURE_COUNT) {
            return Err(format!(
                "{name}: {} placement failures for {} is more than {MAX_PLACEMENT_FAILURE_COUNT} (an edited file?)",
                c.count, c.reason
            ));
        }
    }
    // A histogram has one bucket per value, in increasing order (a merge adds bucket to bucket;
    // two of one value would drop runs), and a drain time is a simulated time.
    let increasing = |values: &mut dyn Iterator<Item = u64>| {
        let values: Vec<u64> = values.collect();
        values.windows(2).all(|w| w[0] < w[1])
    };
    if !increasing(&mut d.histogram.iter().map(|(v, _)| *v))
        || d.histogram.last().is_some_and(|(v, _)| *v > drainsim_core::time::MAX_SIM_TIME_MS)
    {
        return Err(format!("{name}: the drain histogram's times are not increasing simulated times (an edited file?)"));
    }
    // Its percentiles and maximum are its histogram's: a merge recomputes them from the
    // histograms, so one edited apart from its histogram would reach the merged result as it is.
    let hist: std::collections::BTreeMap<u64, u64> = d.histogram.iter().copied().collect();
    let from_histogram =
        (super::aggregate::nearest_rank(&hist, 50), super::aggregate::nearest_rank(&hist, 95), hist.keys().next_back().copied());
    if (d.p50, d.p95, d.max) != from_histogram {
        return Err(format!("{name}: allDrainsCompletedAtMs: p50, p95 and max are not those of its histogram (an edited file?)"));
    }
    let mut services = std::collections::BTreeSet::new();
    for sv in &r.distribution.services {
        if !services.insert(sv.service_name.as_str()) {
            return Err(format!("{name}: service {} is listed twice (an edited file?)", sv.service_name));
        }
        if !increasing(&mut sv.min_healthy_observed.histogram.iter().map(|(v, _)| u64::from(*v))) {
            return Err(format!(
                "{name}: {}: the minHealthyObserved histogram's values are not increasing (an edited file?)",
                sv.service_name
            ));
        }
    }
    // Sums of at most `runs` each: checked, so a histogram of many entries cannot wrap.
    let sums = [
        d.histogram.iter().try_fold(0u64, |a, (_, c)| a.checked_add(*c)),
        r.distribution
            .services
            .iter()
            .flat_map(|sv| sv.min_healthy_observed.histogram.iter())
            .try_fold(0u64, |a, (_, c)| a.checked_add(*c)),
    ];
    if sums.iter().any(Option::is_none) {
        return Err(format!("{name}: its counts do not add up to {runs} runs (an edited file?)"));
    }
    Ok(())
}

/// A service's episodes counted by reason (floor breaches by cause, stalls by reason) against the
/// runs that had some: each count positive, bounded and of a reason the run report names, and
/// their sum at least those runs (none when no run had one).
fn episodes_by_reason(
    name: &str,
    sv: &super::result::ServiceDistribution,
    what: &str,
    one: &str,
    runs_with_some: u64,
    counts: &[super::result::ReasonCount],
    known: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let total = counts.iter().try_fold(0u64, |a, c| a.checked_add(c.count));
    if total.is_none_or(|n| (n == 0) != (runs_with_some == 0) || n < runs_with_some) {
        return Err(format!(
            "{name}: {}: {what} that do not add up to the {runs_with_some} runs with some (an edited file?)",
            sv.service_name
        ));
    }
    if let Some(c) = counts.iter().find(|c| c.count == 0 || c.count > MAX_PLACEMENT_FAILURE_COUNT || !known(&c.reason)) {
        return Err(format!("{name}: {}: {one} '{}' counted {} (an edited file?)", sv.service_name, c.reason, c.count));
    }
    Ok(())
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
    if d.drains_refused_runs > 0 {
        let _ = writeln!(
            out,
            "  drain refused in {} {}: ECS refused to set an instance DRAINING that never drained (see a run's drainsRefused)",
            d.drains_refused_runs,
            if d.drains_refused_runs == 1 { "run" } else { "runs" }
        );
    }
    if !r.distribution.services.is_empty() {
        let _ = writeln!(out, "\nservices:");
        let all = &r.distribution.services;
        // Past the bound, the services with a stall, a floor breach, a placement failure or an UNHEALTHY
        // task in some run first (a sweep of 10,000 services printed 10,000 lines).
        let notable = |k: usize| {
            all[k].runs_with_floor_breaches > 0
                || all[k].runs_with_stalls > 0
                || !all[k].placement_failures.is_empty()
                || all[k].runs_with_unhealthy_tasks > 0
        };
        let listed = crate::outcome::listed_first(all.len(), crate::outcome::MAX_SERVICE_LINES, notable);
        if listed.len() < all.len() {
            let _ = writeln!(
                out,
                "  {} services, {} with a stall, a floor breach, a placement failure or an UNHEALTHY task in some run; \
                 listed: {} of them, those first (--json has every service)",
                all.len(),
                (0..all.len()).filter(|k| notable(*k)).count(),
                listed.len()
            );
        }
        for s in listed.into_iter().map(|k| &all[k]) {
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
            if s.runs_with_unhealthy_tasks > 0 {
                let _ = writeln!(
                    out,
                    "  {:<16} unhealthyTasks {} in {} runs (each replaced)",
                    "", s.unhealthy_tasks, s.runs_with_unhealthy_tasks
                );
            }
            if s.runs_with_floor_breaches > 0 {
                let causes: Vec<String> = s.floor_breaches.iter().map(|c| format!("{} {}", c.reason, c.count)).collect();
                let total: u64 = s.floor_breaches.iter().map(|c| c.count).sum();
                let _ = writeln!(
                    out,
                    "  {:<16} floorBreaches {total} in {} runs: {}",
                    "",
                    s.runs_with_floor_breaches,
                    causes.join(", ")
                );
            }
            if s.runs_with_stalls > 0 {
                let reasons: Vec<String> = s.stalls.iter().map(|c| format!("{} {}", c.reason, c.count)).collect();
                let total: u64 = s.stalls.iter().map(|c| c.count).sum();
                let _ = writeln!(out, "  {:<16} stalls {total} in {} runs: {}", "", s.runs_with_stalls, reasons.join(", "));
            }
        }
    }
    if !r.distribution.managed_scaling.is_empty() {
        let _ = writeln!(out, "\nmanaged scaling (instances launched per run, nearest rank):");
        for m in &r.distribution.managed_scaling {
            let o = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
            let _ = writeln!(
                out,
                "  {:<16} p50 {}  p95 {}  max {}{}   runs ending with tasks PROVISIONING {}",
                m.capacity_provider_name,
                o(m.instances_launched_p50),
                o(m.instances_launched_p95),
                o(m.instances_launched_max),
                m.instances_launched_max_seed.map_or(String::new(), |s| format!(" (seed {s})")),
                m.runs_ending_with_tasks_provisioning
            );
        }
    }
    if !r.distribution.instance_refreshes.is_empty() {
        let _ = writeln!(out, "\ninstance refreshes (how each ended; how long the ended ones took, nearest rank):");
        for x in &r.distribution.instance_refreshes {
            let d = |v: Option<u64>| v.map_or("-".to_string(), crate::timeline::duration_text);
            let statuses: Vec<String> = x.statuses.iter().map(|c| format!("{} {}", c.name, c.count)).collect();
            let _ = writeln!(
                out,
                "  {:<16} {}   took p50 {}  p95 {}  max {}{}",
                x.auto_scaling_group_name,
                statuses.join(", "),
                d(x.duration_p50_ms),
                d(x.duration_p95_ms),
                d(x.duration_max_ms),
                x.duration_max_seed.map_or(String::new(), |s| format!(" (seed {s})"))
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
        let shown = r.failures.len().min(TEXT_FAILURES_LISTED) as u64;
        if r.failed_runs > shown {
            let json = if r.failures.len() as u64 == r.failed_runs {
                "--json lists every one".to_string()
            } else {
                format!("--json lists the first {} by seed", r.failures.len())
            };
            let _ = writeln!(out, "  … and {} more ({json})", r.failed_runs - shown);
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

#[cfg(test)]
mod tests {
    use super::inline_number_pairs;

    /// Pairs of numbers go on one line, with their comma; anything else is left as it was, and the
    /// text parses to the same value.
    #[test]
    fn number_pairs_go_on_one_line_and_nothing_else_changes() {
        let value = serde_json::json!({
            "histogram": [[171857, 1], [-3, 2.5]],
            "names": ["a", "b"],
            "triple": [1, 2, 3],
            "nested": [[1, [2]], ["1", 2]],
            "empty": [],
        });
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let inlined = inline_number_pairs(&pretty);
        assert!(inlined.contains("\n    [171857, 1],\n    [-3, 2.5]\n  ]"), "{inlined}");
        assert!(inlined.contains("\"names\": [\n    \"a\",\n    \"b\"\n  ]"), "{inlined}");
        assert!(inlined.contains("\"triple\": [\n    1,\n    2,\n    3\n  ]"), "{inlined}");
        assert!(!inlined.ends_with('\n'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&inlined).unwrap(), value);
        assert!(inlined.len() < pretty.len());
    }
}
