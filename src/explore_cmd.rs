//! `drainsim explore`: the command line of the exhaustive explorer (docs/explore.md). It measures
//! the wall time (the time bound and states per second), writes the counterexample and the DOT
//! file, and prints text or JSON; the search itself is `drainsim_scenario::explore`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use drainsim_scenario::explore::{self, ExploreOptions, ExploreReport};
use drainsim_scenario::format::ExploreFault;
use drainsim_scenario::input::io_error_text;
use drainsim_scenario::load_file;

/// The largest `--time-limit` in seconds (one hour).
pub const MAX_TIME_LIMIT_S: u64 = 3_600;
/// The default `--time-limit` in seconds.
pub const DEFAULT_TIME_LIMIT_S: u64 = 300;

#[derive(clap::Args)]
pub struct ExploreArgs {
    /// The scenario file (RON, or JSON when it starts with `{`): a small cluster, its steps acting at their times.
    file: PathBuf,
    /// Most transitions from the start (1 to 100,000).
    #[arg(long, value_name = "N", default_value_t = explore::DEFAULT_MAX_DEPTH)]
    depth: u32,
    /// Most distinct states (1 to 1,000,000).
    #[arg(long, value_name = "N", default_value_t = explore::DEFAULT_MAX_STATES)]
    max_states: u64,
    /// Most MiB the states held at once may take (the estimate: the same stop on every run), and
    /// the process's resident size (which depends on the process) (64 to 1048576; docs/explore.md#bounds).
    #[arg(long, value_name = "MIB", default_value_t = explore::DEFAULT_MAX_MEMORY_MIB)]
    max_memory: u64,
    /// Wall-clock bound in seconds, checked before every transition (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TIME_LIMIT_S)]
    time_limit: u64,
    /// Fault classes to inject, comma-separated (TaskStartFailure, TaskExit, AgentDisconnect,
    /// TrunkFailure, DrainRequest, ActivateRequest, HealthCheckFailure, or none); default: the scenario's
    /// explore.faults.
    #[arg(long, value_name = "LIST", value_parser = parse_fault_list)]
    faults: Option<FaultList>,
    /// Most faults on one path (0 to 8); default: the scenario's explore.maxFaults (1).
    #[arg(long, value_name = "N")]
    max_faults: Option<u32>,
    /// Worker threads, 1 to 256 (default: the machine's). The result does not depend on it, unless
    /// --time-limit, Ctrl-C or the process's resident size (--max-memory) stops the search.
    #[arg(long, value_name = "N", value_parser = |s: &str| drainsim_scenario::sweep::parse_jobs_of(s, "explore"))]
    jobs: Option<usize>,
    /// Where a counterexample scenario is written.
    #[arg(long, value_name = "DIR", default_value = "target/counterexamples")]
    out: PathBuf,
    /// Write the explored state graph as Graphviz DOT (at most 2,000 states).
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// The classes of `--faults`.
#[derive(Clone)]
struct FaultList(Vec<ExploreFault>);

fn parse_fault_list(text: &str) -> Result<FaultList, String> {
    explore::parse_faults(text).map(FaultList)
}

/// The process's resident size, where the system says it (`VmRSS` of `/proc/self/status` on
/// Linux). The explorer asks after every outcome: the file is read at most once a millisecond, and
/// the last reading answered in between.
fn resident_bytes() -> Option<u64> {
    use std::sync::atomic::AtomicU64;
    use std::sync::OnceLock;
    /// Microseconds from the first call to the last reading (`u64::MAX`: none yet).
    static READ_AT_US: AtomicU64 = AtomicU64::new(u64::MAX);
    /// The last reading (0: unknown).
    static LAST: AtomicU64 = AtomicU64::new(0);
    static FIRST_CALL: OnceLock<Instant> = OnceLock::new();
    let now_us = u64::try_from(FIRST_CALL.get_or_init(Instant::now).elapsed().as_micros()).unwrap_or(u64::MAX - 1);
    let read_at = READ_AT_US.load(Ordering::Relaxed);
    if read_at != u64::MAX && now_us.saturating_sub(read_at) < 1_000 {
        return Some(LAST.load(Ordering::Relaxed)).filter(|&b| b > 0);
    }
    READ_AT_US.store(now_us, Ordering::Relaxed);
    let read = || -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().ok()?;
        kib.checked_mul(1024)
    };
    let bytes = read();
    LAST.store(bytes.unwrap_or(0), Ordering::Relaxed);
    bytes
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

pub fn explore_command(args: ExploreArgs) -> ExitCode {
    if !(1..=MAX_TIME_LIMIT_S).contains(&args.time_limit) {
        return bad_input(&format!("--time-limit {}: 1 to {MAX_TIME_LIMIT_S} seconds", args.time_limit));
    }
    // A counterexample is written under --out, named after the scenario file, and its path goes
    // into a comment line of the file it writes (`// Replay: …`) and into the replay command: a
    // path with a control character (a line feed would end the comment) or that is not UTF-8
    // (printed, it would name another file) is refused, as a path that is a file is, before the
    // search. (`write_counterexample` checks the path it writes again.)
    // Of the scenario's path, only its name (its stem) goes into the counterexample's.
    let scenario_name = args.file.file_name().map(Path::new).unwrap_or(Path::new(""));
    for (what, path) in [("--out", args.out.as_path()), ("the scenario file", scenario_name)] {
        match path.to_str() {
            Some(text) if text.chars().any(char::is_control) => {
                return bad_input(&format!(
                    "{what} {}: the path holds a control character, which a counterexample's replay command cannot \
                     name; give one without",
                    path.display()
                ))
            }
            None => {
                return bad_input(&format!(
                    "{what} {}: the path is not UTF-8, which a counterexample's replay command cannot name; give one \
                     that is",
                    path.display()
                ))
            }
            Some(_) => {}
        }
    }
    if args.out.exists() && !args.out.is_dir() {
        return bad_input(&format!(
            "--out {}: it is a file; give the directory counterexamples are written in",
            args.out.display()
        ));
    }
    let loaded = match load_file(&args.file) {
        Ok(l) => l,
        Err(e) => return bad_input(&e.to_string()),
    };
    let opts = ExploreOptions {
        max_depth: args.depth,
        max_states: args.max_states,
        faults: args.faults.clone().map(|f| f.0),
        max_faults: args.max_faults,
        keep_graph: args.dot.is_some(),
        max_memory_mib: args.max_memory,
        resident_bytes: Some(resident_bytes),
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(drainsim_scenario::sweep::worker_threads(args.jobs, u64::MAX))
        .build()
    {
        Ok(p) => p,
        Err(e) => return bad_input(&format!("cannot start the worker threads: {e}")),
    };
    // The DOT file is opened before the search, so a path that cannot be written is refused at
    // once (as `run --trace` is), not after an exploration that may take an hour. An existing
    // file is not truncated until the graph is written: a refused flag, a scenario explore
    // refuses or a graph too big to draw leaves it as it was.
    // Nor may it be the scenario file, which it would overwrite (`run`'s --trace and --svg alike).
    if let Some(dot) =
        args.dot.as_deref().filter(|d| crate::output_overwrites_input(d, std::slice::from_ref(&args.file)).is_some())
    {
        return bad_input(&format!(
            "--dot {}: it is the scenario file being explored ({}), which it would overwrite; write it elsewhere",
            dot.display(),
            args.file.display()
        ));
    }
    let dot_existed = args.dot.as_deref().is_some_and(Path::exists);
    let mut dot_file = match &args.dot {
        None => None,
        Some(path) => match std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path) {
            Ok(f) => Some(f),
            Err(e) => return bad_input(&format!("--dot {}: cannot write it: {}", path.display(), io_error_text(&e))),
        },
    };
    // Closes the DOT file when none is written, and removes it if this run created it.
    let forget_dot = |dot_file: Option<std::fs::File>| {
        if let (Some(path), Some(file)) = (&args.dot, dot_file) {
            drop(file);
            if !dot_existed {
                let _ = std::fs::remove_file(path);
            }
        }
    };
    // Ctrl-C stops the search before the next transition: what was explored is printed, with exit 3 (a bound)
    // unless a violation was found. A second Ctrl-C, a second or more after the first, ends the process at once.
    crate::set_interrupt_flag(&INTERRUPTED, "Ctrl-C will end the exploration without printing what was explored");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.time_limit);
    let stop = move || Instant::now() >= deadline || INTERRUPTED.load(Ordering::SeqCst);
    let result = pool.install(|| explore::explore(&loaded, &opts, &stop));
    let elapsed = started.elapsed();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            forget_dot(dot_file.take());
            return bad_input(&e.to_string());
        }
    };
    let stem = args.file.file_stem().map_or("scenario".to_string(), |s| s.to_string_lossy().into_owned());
    // A counterexample that cannot be written is reported after the result, which is printed
    // all the same: the search may have taken an hour.
    let (counterexample, unwritten) = match &report.violation {
        Some(v) => match explore::write_counterexample(&args.out, &stem, &loaded.scenario, &report, v) {
            Ok(p) => (Some(p), None),
            Err(e) => {
                (None, Some(format!("cannot write the counterexample under {}: {}", args.out.display(), io_error_text(&e))))
            }
        },
        None => (None, None),
    };
    // A graph too big to draw is a bound (a warning, and no file); a DOT file that cannot be
    // written is reported after the result, like the counterexample.
    let mut dot_unwritten = None;
    if let (Some(path), Some(mut file)) = (&args.dot, dot_file.take()) {
        match &report.graph {
            Some(g) => {
                if let Err(e) = file.set_len(0).and_then(|()| file.write_all(g.to_dot().as_bytes())).and_then(|()| file.flush()) {
                    dot_unwritten = Some(format!("--dot {}: cannot write it: {}", path.display(), io_error_text(&e)));
                }
            }
            None => {
                forget_dot(Some(file));
                eprintln!(
                    "warning: --dot {}: the explored graph has more than {} states; no DOT written",
                    path.display(),
                    explore::graph::MAX_GRAPH_STATES
                );
            }
        }
    }
    let per_second = report.states_visited as f64 / elapsed.as_secs_f64().max(1e-9);
    if args.json {
        // The JSON is the exploration's result alone, the same bytes for the same exploration:
        // the machine's rate goes to standard error.
        print_json(&report, counterexample.as_deref());
        eprintln!("explored {} states in {:.2} s ({:.0} states/s)", report.states_visited, elapsed.as_secs_f64(), per_second);
    } else {
        print_text(&args.file, &report, counterexample.as_deref(), per_second, elapsed);
    }
    if unwritten.is_some() || dot_unwritten.is_some() {
        for e in [unwritten, dot_unwritten].into_iter().flatten() {
            eprintln!("error: {e}");
        }
        return ExitCode::from(2);
    }
    match (&report.violation, report.bound) {
        (Some(_), _) => ExitCode::from(1),
        (None, Some(_)) => ExitCode::from(3),
        (None, None) => ExitCode::SUCCESS,
    }
}

fn verdict_text(report: &ExploreReport, p: &explore::PropertyVerdict) -> String {
    // A property is checked at every state reached, a state reached by several paths each time:
    // these are visits, where the header's terminal states are distinct ones.
    let noun = match p.kind {
        explore::properties::Kind::Always => "state",
        explore::properties::Kind::Eventually => "terminal state",
    };
    // `1 terminal state visited`, `45 terminal states visited`.
    let visited = |n: u64| format!("{n} {noun}{} visited", if n == 1 { "" } else { "s" });
    // Nothing checked: no word of it holding (a search a bound stopped before any path ended
    // holds an `eventually` property nowhere).
    match verdict_name(p) {
        "violated" => return "violated".to_string(),
        "notChecked" => return format!("not checked: no {noun}s visited before the search stopped"),
        _ => {}
    }
    if report.violation.is_some() || report.bound.is_some() {
        format!("holds in the {} (search incomplete)", visited(p.checked))
    } else if let Some(paths) = report.paths {
        match paths {
            1 => format!("holds on the one path ({})", visited(p.checked)),
            n => format!("holds on all {n} paths ({})", visited(p.checked)),
        }
    } else {
        format!("holds in all {}", visited(p.checked))
    }
}

fn print_text(file: &Path, report: &ExploreReport, counterexample: Option<&Path>, per_second: f64, elapsed: Duration) {
    let faults: Vec<&str> = report.spec.faults.iter().map(|f| f.as_str()).collect();
    let faults = if faults.is_empty() {
        "faults none".to_string()
    } else {
        format!("faults [{}], at most {} per path", faults.join(", "), report.spec.max_faults)
    };
    say!("explore {}: {faults}, {} jitter value(s)", file.display(), report.spec.jitter_values);
    say!(
        "states visited {}, distinct states {}, distinct terminal states {}, depth reached {}, {:.0} states/s ({:.2} s)",
        report.states_visited,
        report.distinct_states,
        report.terminal_states,
        report.depth_reached,
        per_second,
        elapsed.as_secs_f64()
    );
    if report.time_left_kept {
        say!(
            "states alike but for the clock kept apart: a later arrival at a state merged by the first search could end at endTimeMs with a drain incomplete"
        );
    }
    for p in &report.properties {
        say!("  {:<80} {}", p.name, verdict_text(report, p));
    }
    // Drains that did not complete where the eventually property makes no claim: said, so that
    // "every property holds" is not read as "every drain completes".
    if !report.unjudged_drains.is_empty() {
        say!("  drains not judged (incomplete at a terminal state, and no claim is made of them):");
        for ((instance, why), visits) in &report.unjudged_drains {
            let s = if *visits == 1 { "" } else { "s" };
            say!("    {instance}: {} ({visits} terminal state{s} visited)", why.as_str());
        }
    }
    if let Some(v) = &report.violation {
        say!(
            "VIOLATED: {} after {} transitions (a shortest path), at {}",
            v.finding.property,
            v.depth,
            drainsim_core::time::format_sim_time(v.at_ms)
        );
        say!("  {}", v.finding.detail);
        let faults: Vec<String> = v
            .choice_points
            .iter()
            .filter(|c| {
                c.chosen > 0
                    && matches!(
                        c.kind,
                        drainsim_core::ChoiceKind::Injection
                            | drainsim_core::ChoiceKind::TaskStartFailure
                            | drainsim_core::ChoiceKind::TrunkFailure
                    )
            })
            .map(|c| match c.kind {
                drainsim_core::ChoiceKind::Injection => format!("injection (candidate {} of {})", c.chosen, c.arity - 1),
                kind => kind.as_str().to_string(),
            })
            .collect();
        say!(
            "  {} choice points on the path; faults taken: {}",
            v.choices.len(),
            if faults.is_empty() { "none".into() } else { faults.join(", ") }
        );
        if let Some(p) = counterexample {
            say!("counterexample: {}", p.display());
            say!("replay: drainsim run {}", drainsim_scenario::sweep::shell_word(&p.display().to_string()));
        }
    } else if let Some(b) = report.bound {
        say!("bound reached ({}) with no violation: the properties hold in what was explored", bound_name(b));
        if b == explore::Bound::Memory {
            say!(
                "  the states held at once, or the process, reached --max-memory (a state is about {} KiB by the estimate, which leaves out task definitions, clusters and long attribute values): explore a smaller cluster, fewer fault classes, fewer jitter values or fewer tasks placed by a `random` strategy at one instant, or raise --max-memory",
                report.largest_state_bytes.div_ceil(1024)
            );
        }
    } else if report.unjudged_drains.is_empty() {
        say!("explored completely: every property holds");
    } else {
        say!(
            "explored completely: every property holds where it is judged; the drains above did not complete on some paths (drainsim run shows why)"
        );
    }
}

/// Set by the first Ctrl-C: the search stops before its next transition.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// A bound's name in output: the search's own, but for a stop by the caller, which is named for
/// what stopped it — `timeLimit` (`--time-limit` passed) or `stopped` (Ctrl-C).
fn bound_name(b: explore::Bound) -> &'static str {
    match b {
        explore::Bound::Stopped if !INTERRUPTED.load(Ordering::SeqCst) => "timeLimit",
        b => b.as_str(),
    }
}

/// A property's verdict in the JSON output: `notChecked` when no state it is checked at was
/// reached before the search stopped (as the text says), never `holds`.
fn verdict_name(p: &explore::PropertyVerdict) -> &'static str {
    match (p.violated, p.checked) {
        (true, _) => "violated",
        (false, 0) => "notChecked",
        (false, _) => "holds",
    }
}

fn print_json(report: &ExploreReport, counterexample: Option<&Path>) {
    let properties: Vec<serde_json::Value> = report
        .properties
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "kind": match p.kind { explore::properties::Kind::Always => "always", explore::properties::Kind::Eventually => "eventually" },
                "checked": p.checked,
                "verdict": verdict_name(p),
            })
        })
        .collect();
    let mut out = serde_json::json!({
        "statesVisited": report.states_visited,
        "distinctStates": report.distinct_states,
        "terminalStates": report.terminal_states,
        "depthReached": report.depth_reached,
        "complete": report.bound.is_none() && report.violation.is_none(),
        "paths": report.paths,
        "bound": report.bound.map(bound_name),
        "faults": report.spec.faults.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "maxFaults": report.spec.max_faults,
        "largestStateBytes": report.largest_state_bytes,
        "timeLeftKept": report.time_left_kept,
        "properties": properties,
        "drainsNotJudged": report
            .unjudged_drains
            .iter()
            .map(|((instance, why), visits)| serde_json::json!({
                "instance": instance,
                "reason": why.code(),
                "why": why.as_str(),
                "terminalStatesVisited": visits,
            }))
            .collect::<Vec<_>>(),
    });
    if let Some(v) = &report.violation {
        out["violation"] = serde_json::json!({
            "property": v.finding.property,
            "detail": v.finding.detail,
            "depth": v.depth,
            "atMs": v.at_ms,
            "choices": v.choices,
        });
    }
    if let Some(p) = counterexample {
        out["counterexample"] = serde_json::Value::String(p.display().to_string());
    }
    say!("{}", serde_json::to_string_pretty(&out).expect("a JSON value serializes"));
}

#[cfg(test)]
mod tests {
    use super::resident_bytes;

    /// On Linux the probe reads the process's resident size (more than the megabyte the binary's
    /// code alone takes) and answers from its last reading within a millisecond; elsewhere it
    /// says nothing, and the estimate alone bounds the search.
    #[test]
    fn the_memory_probe_reads_the_resident_size_where_the_system_says_it() {
        let first = resident_bytes();
        if !std::path::Path::new("/proc/self/status").exists() {
            assert_eq!(first, None);
            return;
        }
        let first = first.expect("VmRSS is read");
        assert!(first > 1 << 20, "{first}");
        // Allocating and touching 64 MiB shows once the reading is older than a millisecond.
        let held = vec![1u8; 64 << 20];
        std::thread::sleep(std::time::Duration::from_millis(5));
        let later = resident_bytes().expect("VmRSS is read");
        assert!(later >= first + (32 << 20), "{first} then {later}");
        assert_eq!(held.iter().map(|&b| u64::from(b)).sum::<u64>(), 64 << 20);
    }
}
