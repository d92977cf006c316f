//! `drainsim`: the command line. The only place that knows terminals and JSON output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use drainsim_core::time::format_sim_time;
use drainsim_scenario::{load_file, load_str, report, runner, timeline, LoadedScenario, RunOptions, ScenarioError};

/// Prints a line to stdout. When the reader has gone (`drainsim run … | head`), the program ends
/// quietly with status 141, as a Unix tool killed by SIGPIPE does, instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        emit(format_args!($($arg)*), "\n")
    };
}

/// `say!` without the line end.
macro_rules! say_raw {
    ($($arg:tt)*) => {
        emit(format_args!($($arg)*), "")
    };
}

fn emit(text: std::fmt::Arguments, end: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.write_all(end.as_bytes())) {
        exit_on_write_error(&e);
    }
}

/// Ends the program after stdout failed: quietly if the reader closed the pipe, else with an error.
fn exit_on_write_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: cannot write the output: {e}");
    std::process::exit(2);
}

/// Deterministic simulation of Amazon ECS container-instance draining.
#[derive(Parser)]
#[command(name = "drainsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (the built-in demo when FILE is absent).
    Run(RunArgs),
    /// Check scenario files without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run one scenario over many seeds in parallel and report the distribution of outcomes.
    Sweep(SweepArgs),
    /// Print a legal-transition graph as Graphviz DOT.
    Graph {
        #[arg(value_enum)]
        which: GraphKind,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphKind {
    Instance,
    Task,
    Attachment,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Faults {
    /// Each seed draws its own fault profile.
    Swarm,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
enum TimelineMode {
    /// Every record (the default; long runs print a lot).
    #[default]
    Full,
    /// No timeline, only steps, expectations and the summary.
    None,
}

/// What changes every run of a scenario: `run` and `sweep` take the same.
#[derive(clap::Args, Default)]
struct RunModifiers {
    /// Override an AWS default account setting for the run, e.g. awsvpcTrunking=enabled.
    #[arg(long = "account-default", value_name = "NAME=VALUE", value_parser = runner::parse_account_default)]
    account_defaults: Vec<(String, String)>,
    /// Turn faults on.
    #[arg(long, value_enum)]
    faults: Option<Faults>,
}

#[derive(clap::Args, Default)]
struct RunArgs {
    /// The scenario file (RON).
    file: Option<PathBuf>,
    /// Replace the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON report instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    modifiers: RunModifiers,
    /// Write every trace record to this file, one line each.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// How much of the timeline the text output prints.
    #[arg(long, value_enum, default_value_t = TimelineMode::Full)]
    timeline: TimelineMode,
}

#[derive(clap::Args)]
struct SweepArgs {
    /// The scenario file (RON); with --merge, the JSON outputs of `drainsim sweep --json` to combine.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The seeds to run, half-open: A..B runs A, A+1, ..., B-1 (at most 10,000,000).
    #[arg(long, value_name = "A..B", value_parser = drainsim_scenario::sweep::parse_seeds, required_unless_present = "merge")]
    seeds: Option<drainsim_scenario::sweep::SeedRange>,
    /// Worker threads (default: the machine's available parallelism). The result does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Run only shard K of N (1-based): the seeds S with (S - A) mod N = K - 1.
    #[arg(long, value_name = "K/N", value_parser = drainsim_scenario::sweep::parse_shard)]
    shard: Option<drainsim_scenario::sweep::Shard>,
    /// Print the result as JSON (identical for any --jobs; no wall time).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    modifiers: RunModifiers,
    /// Combine the JSON outputs of sweeps of the shards (or adjacent ranges) of one range of seeds.
    #[arg(long, conflicts_with_all = ["seeds", "shard", "jobs", "account_defaults", "faults"])]
    merge: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run(RunArgs::default())) {
        Command::Run(args) => run(args),
        Command::Check { files } => check(&files),
        Command::Sweep(args) => sweep_command(args),
        Command::Graph { which } => {
            let graphs = drainsim_core::Transitions::default();
            let dot = match which {
                GraphKind::Instance => graphs.instance.to_dot(),
                GraphKind::Task => graphs.task.to_dot(),
                GraphKind::Attachment => graphs.attachment.to_dot(),
            };
            say_raw!("{dot}");
            ExitCode::SUCCESS
        }
    }
}

fn invalid(e: &ScenarioError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut bad = false;
    for f in files {
        match load_file(f).and_then(|l| runner::check_setup(&l).map(|()| l)) {
            Ok(l) => say!("ok: {} ({})", f.display(), l.scenario.name),
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
            }
        }
    }
    if bad {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn run(args: RunArgs) -> ExitCode {
    let loaded: LoadedScenario = match &args.file {
        Some(f) => match load_file(f) {
            Ok(l) => l,
            Err(e) => return invalid(&e),
        },
        None => match load_str(drainsim_scenario::DEMO_FILE, drainsim_scenario::DEMO_SCENARIO) {
            Ok(l) => l,
            Err(e) => return invalid(&e),
        },
    };

    let opts = RunOptions {
        seed: args.seed,
        account_defaults: args.modifiers.account_defaults.clone(),
        // The text timeline needs the records; --trace streams them to its file instead.
        keep_records: !args.json && args.timeline == TimelineMode::Full && args.trace.is_none(),
        // Debug builds check every invariant after every event; a release run checks at its end.
        check_invariants_every_event: cfg!(debug_assertions),
        swarm_faults: args.modifiers.faults == Some(Faults::Swarm),
    };
    let started = Instant::now();
    let result = match &args.trace {
        None => runner::run(&loaded, &opts),
        Some(path) => {
            let file = match std::fs::File::create(path) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: cannot write the trace to {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            };
            let mut out = std::io::BufWriter::new(file);
            let mut write_error = None;
            let mut sink = |e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord]| {
                for r in records {
                    let r = timeline::render_record(e, r);
                    if let Err(err) = writeln!(out, "{}\t{}\t{}\t{}\t{}", r.time_ms, r.subject, r.subject_arn, r.change, r.reason)
                    {
                        write_error.get_or_insert(err);
                    }
                }
            };
            let result = runner::run_streaming(&loaded, &opts, &mut sink);
            if let Some(err) = write_error.take().or_else(|| out.flush().err()) {
                eprintln!("error: cannot write the trace to {}: {err}", path.display());
                return ExitCode::from(2);
            }
            result
        }
    };
    let outcome = match result {
        Ok(o) => o,
        Err(e) => return invalid(&e),
    };
    let wall = started.elapsed();
    let reproduce = reproduce_command(&args, &loaded, outcome.seed);
    let passed = outcome.passed();
    if args.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if let Err(e) = report::write_json(&outcome, &mut out)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush())
        {
            exit_on_write_error(&e);
        }
    } else {
        let mode = if args.trace.is_some() { TimelineMode::None } else { args.timeline };
        if let Some(path) = &args.trace {
            say!("timeline: {} records written to {}", outcome.engine.trace().len(), path.display());
        }
        print_text(&outcome, &loaded, mode, wall, &reproduce);
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        if args.json {
            eprintln!("expectations failed; reproduce with: {reproduce}");
        }
        ExitCode::from(1)
    }
}

fn reproduce_command(args: &RunArgs, loaded: &LoadedScenario, seed: u64) -> String {
    let mut cmd = match &args.file {
        Some(f) => format!("drainsim run {} --seed {seed}", f.display()),
        None => format!("drainsim run {} --seed {seed}", loaded.file),
    };
    for (name, value) in &args.modifiers.account_defaults {
        cmd.push_str(&format!(" --account-default {name}={value}"));
    }
    if args.modifiers.faults == Some(Faults::Swarm) {
        cmd.push_str(" --faults swarm");
    }
    cmd
}

/// A stall reason in words (a memberOf stall names the expressions).
fn stall_explanation(reason: &str, member_of: &[String]) -> String {
    if !member_of.is_empty() {
        let expressions: Vec<String> = member_of.iter().map(|e| format!("memberOf({e})")).collect();
        return format!("no instance with room satisfies {} ({reason})", expressions.join(" and "));
    }
    let what = match reason {
        "RESOURCE:CPU" => "no instance has the CPU",
        "RESOURCE:MEMORY" => "no instance has the memory",
        "RESOURCE:PORTS" => "no instance has the host ports free",
        "RESOURCE:ENI" => "no instance has a free task ENI",
        "AGENT" => "no instance with room has a connected agent",
        "NO_INSTANCES" => "no ACTIVE instance with a connected agent",
        "CONSTRAINT:distinctInstance" => "distinctInstance leaves no instance",
        "deploymentConfiguration" => "minimumHealthyPercent/maximumPercent leave no legal move",
        "TaskFailedToStart" => "backing off after tasks failed to start",
        _ => "",
    };
    if what.is_empty() {
        reason.to_string()
    } else {
        format!("{what} ({reason})")
    }
}

fn print_text(
    outcome: &drainsim_scenario::RunOutcome,
    loaded: &LoadedScenario,
    mode: TimelineMode,
    wall: std::time::Duration,
    reproduce: &str,
) {
    let e = &outcome.engine;
    say!("drainsim: scenario '{}' ({}), seed {}", outcome.scenario_name, loaded.file, outcome.seed);
    if !loaded.scenario.description.is_empty() {
        say!("  {}", loaded.scenario.description);
    }
    if let Some(p) = &outcome.fault_profile {
        say!(
            "fault profile: trunk provisioning failure {}‰, ENI attach latency {} ms, task start failure {}‰, agent disconnects {}/h per instance",
            p.trunk_provisioning_failure_per_mille, p.eni_attach_latency_ms, p.task_start_failure_per_mille, p.agent_disconnects_per_hour
        );
    }
    let failure_at = outcome.first_failure_at_ms();
    if mode == TimelineMode::Full {
        say!("\ntimeline:");
        let mut marked = false;
        for r in e.trace().records() {
            if let Some(f) = failure_at {
                if !marked && r.time_ms > f {
                    say!("  ---- first failed expectation at {} ----", format_sim_time(f));
                    marked = true;
                }
            }
            say!("  {}", timeline::render_record(e, r).to_line());
        }
    }
    if !outcome.steps.is_empty() {
        say!("\nsteps:");
        for s in &outcome.steps {
            say!("  {:>3}. {}  {:<30} {}", s.index + 1, format_sim_time(s.at_ms), s.operation, s.summary);
        }
    }
    let rep = report::build(outcome);
    if !rep.services.is_empty() {
        say!("\nservices:");
        for s in &rep.services {
            let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
            // An extreme is judged against the bound of its own instant: when the desired count
            // changed since (a DAEMON's follows its ACTIVE instances), say what the bound was then.
            let then = |bound_then: Option<u32>, bound_now: u32, what: &str| match bound_then {
                Some(b) if b != bound_now => format!(" ({what} then {b})"),
                _ => String::new(),
            };
            say!(
                "  {:<16} desired {:>4}  running {:>4}  healthy {:>4}  floor {:>4}  ceiling {:>4}  minHealthyObserved {:>4}{}  maxTasksObserved {:>4}{}  stalls {}  floorBreaches {}",
                s.service_name,
                s.desired_count,
                s.running_count,
                s.healthy_count,
                s.healthy_floor,
                s.task_ceiling,
                opt(s.min_healthy_observed),
                then(s.floor_at_min_healthy_observed, s.healthy_floor, "floor"),
                opt(s.max_tasks_observed),
                then(s.ceiling_at_max_tasks_observed, s.task_ceiling, "ceiling"),
                s.stalls.len(),
                s.floor_breaches.len()
            );
            // Why a service got stuck, and when: the answer a drain plan needs.
            let t = |v: Option<u64>| v.map_or("still".to_string(), format_sim_time);
            for stall in &s.stalls {
                say!(
                    "  {:<16} stalled {} .. {}: {}",
                    "",
                    format_sim_time(stall.started_at_ms),
                    t(stall.ended_at_ms),
                    stall_explanation(&stall.reason, &stall.member_of)
                );
            }
            for b in &s.floor_breaches {
                say!("  {:<16} below its floor {} .. {}: {}", "", format_sim_time(b.started_at_ms), t(b.ended_at_ms), b.cause);
            }
            if !s.placement_failures.is_empty() {
                let failures: Vec<String> = s.placement_failures.iter().map(|f| format!("{} x{}", f.reason, f.count)).collect();
                say!("  {:<16} placement failures: {}", "", failures.join(", "));
            }
        }
    }
    let drained: Vec<_> = rep.container_instances.iter().filter(|c| c.drain_started_at_ms.is_some()).collect();
    if !drained.is_empty() {
        say!("\ndrains:");
        let t = |v: Option<u64>| v.map_or("never".to_string(), format_sim_time);
        for c in drained {
            say!(
                "  {:<16} started {}  runningTasksCount 0 at {}  completed {}  status {}",
                c.name,
                t(c.drain_started_at_ms),
                t(c.no_running_tasks_at_ms),
                t(c.drain_completed_at_ms),
                c.status
            );
        }
    }
    say!("\nexpectations:");
    for x in &outcome.expectations {
        // A Check step's expectations say which step, and when; a step's own result names both.
        let at = match x.step {
            Some(n) if !x.name.starts_with("step ") => format!("step {n} at {}: ", drainsim_core::time::format_sim_time(x.at_ms)),
            _ => String::new(),
        };
        say!("  {} {at}{}  ({})", if x.passed { "PASS" } else { "FAIL" }, x.name, x.detail);
    }
    if let Some(v) = &outcome.invariant_violation {
        say!("  FAIL invariant: {v}");
    }
    let secs = wall.as_secs_f64();
    let events = e.events_processed();
    say!(
        "\nsummary: stopped {} at {} simulated; {} events in {:.1} ms wall ({:.0} events/s); trace digest {:016x}",
        outcome.stop_reason.as_str(),
        format_sim_time(e.now_ms()),
        events,
        secs * 1000.0,
        if secs > 0.0 { events as f64 / secs } else { 0.0 },
        e.trace().digest()
    );
    let failed = outcome.expectations.iter().filter(|x| !x.passed).count();
    if outcome.passed() {
        say!("result: all {} expectations hold", outcome.expectations.len());
    } else {
        say!("result: {failed} of {} expectations failed; reproduce with: {reproduce}", outcome.expectations.len());
    }
}

/// `drainsim sweep`: exit 0 when every run's expectations hold, 1 when some fail, 2 on invalid input.
fn sweep_command(args: SweepArgs) -> ExitCode {
    use drainsim_scenario::sweep;
    use std::io::IsTerminal;
    let started = Instant::now();
    let result = if args.merge {
        let mut inputs = Vec::new();
        for f in &args.files {
            let name = f.display().to_string();
            let parsed = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read {name}: {e}"))
                .and_then(|text| sweep::parse_report(&name, &text));
            match parsed {
                Ok(r) => inputs.push((name, r)),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        sweep::merge(&inputs)
    } else {
        let [file] = args.files.as_slice() else {
            eprintln!("error: sweep runs one scenario file (several files only with --merge)");
            return ExitCode::from(2);
        };
        let loaded = match load_file(file) {
            Ok(l) => l,
            Err(e) => return invalid(&e),
        };
        let opts = sweep::SweepOptions {
            file: file.display().to_string(),
            seeds: args.seeds.expect("clap requires --seeds without --merge"),
            shard: args.shard,
            account_defaults: args.modifiers.account_defaults.clone(),
            swarm_faults: args.modifiers.faults == Some(Faults::Swarm),
            jobs: args.jobs.map(usize::from),
        };
        // A progress bar on a terminal only, drawn to stderr.
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(sweep::shard_len(opts.seeds, opts.shard));
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {per_sec}  eta {eta}") {
                bar.set_style(style);
            }
            bar
        });
        let result = sweep::sweep(&loaded, &opts, &|| {
            if let Some(b) = &bar {
                b.inc(1);
            }
        });
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        result
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        match sweep::render_json(&report) {
            Ok(s) => say!("{s}"),
            Err(e) => {
                eprintln!("error: cannot render the sweep: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        say_raw!("{}", sweep::render_text(&report));
        let jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
        let what = if args.merge { "merged".to_string() } else { format!("{jobs} jobs") };
        say!("wall time {:.2} s ({what})", started.elapsed().as_secs_f64());
    }
    if report.failed_runs == 0 {
        ExitCode::SUCCESS
    } else {
        if args.json {
            eprintln!("{} of {} runs failed; the reproduce commands are under \"failures\"", report.failed_runs, report.runs);
        }
        ExitCode::from(1)
    }
}
