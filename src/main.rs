//! `drainsim`: the command line. The only place that knows terminals and JSON output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use drainsim_core::time::format_sim_time;
use drainsim_scenario::input::io_error_text;
use drainsim_scenario::outcome::{listed_first, service_is_notable, MAX_SERVICE_LINES};
use drainsim_scenario::{load_file, load_str, report, runner, timeline, LoadedScenario, RunOptions, ScenarioError};

/// Every line drainsim writes to standard error goes through this `eprintln!` (it shadows the
/// standard one in this crate, so no message can forget it): a control character other than line
/// feed and tab — from a file name, a command-line value, or the text of a file refused for
/// holding one — and a bidirectional formatting character (U+202E reverses what follows it) are
/// written escaped (`\u{1b}`), so an error message cannot recolour, rewrite or reorder the
/// terminal (load and import refuse control characters: docs/scenario-format.md). drainsim's own
/// colours are on standard output only. A standard error that cannot be written (its reader gone:
/// `drainsim check bad.ron 2>&1 >/dev/null | head -c 10`) loses the message, not the exit status:
/// the standard macro would panic there.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::complain(format_args!($($arg)*), "\n")
    };
}

/// [`eprintln!`] without the line end.
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::complain(format_args!($($arg)*), "")
    };
}

/// Writes a message and `end` to standard error ([`eprintln!`]).
fn complain(text: std::fmt::Arguments, end: &str) {
    let text = text.to_string();
    let mut err = std::io::stderr().lock();
    // Nothing is left to tell a failure to: the exit status still tells it.
    let _ = err.write_all(printable(&text).as_bytes()).and_then(|()| err.write_all(end.as_bytes()));
}

/// Whether `c` is written escaped to standard error ([`eprintln!`]): a control character but line
/// feed and tab, or a bidirectional formatting character (the embeddings, overrides and isolates
/// U+202A–U+202E and U+2066–U+2069, and the marks U+200E, U+200F and U+061C).
fn escaped_on_stderr(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` with each character [`escaped_on_stderr`] escaped ([`eprintln!`]).
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let escaped = escaped_on_stderr;
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let shown = |c: char| match escaped(c) {
        true if c.is_control() => c.escape_debug().to_string(),
        true => c.escape_unicode().to_string(),
        false => c.to_string(),
    };
    std::borrow::Cow::Owned(text.chars().map(shown).collect())
}

/// Prints a line to stdout. When the reader has gone (`drainsim run … | head`), the program ends
/// quietly with status 141, as a Unix tool killed by SIGPIPE does, instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*), "\n")
    };
}

/// `say!` without the line end.
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*), "")
    };
}

// After the macros: its output goes through `say!` too.
mod explore_cmd;

fn emit(text: std::fmt::Arguments, end: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.write_all(end.as_bytes())) {
        exit_on_write_error(&e);
    }
}

/// The most bytes `run --trace FILE` writes (8 GiB): a run whose trace is longer is refused, and
/// the file keeps the records that fit.
const MAX_TRACE_BYTES: u64 = 8 << 30;

/// The trace file of `run --trace`: one line per record, written until `max_bytes`.
struct TraceFile<W: Write> {
    out: W,
    max_bytes: u64,
    written_bytes: u64,
    written_records: u64,
    /// The first write error, or the bound reached.
    error: Option<String>,
    /// The reader went away (a closed pipe: `--trace - | head`).
    broken_pipe: bool,
}

impl<W: Write> TraceFile<W> {
    fn new(out: W, max_bytes: u64) -> Self {
        TraceFile { out, max_bytes, written_bytes: 0, written_records: 0, error: None, broken_pipe: false }
    }

    /// Writes records until an error or the bound; after that, records are dropped.
    fn write(&mut self, e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord]) {
        for r in records {
            if self.error.is_some() {
                return;
            }
            let mut line = match serde_json::to_string(&timeline::trace_line(e, r)) {
                Ok(l) => l,
                Err(err) => {
                    self.error = Some(err.to_string());
                    return;
                }
            };
            line.push('\n');
            if self.written_bytes + line.len() as u64 > self.max_bytes {
                self.error = Some(format!(
                    "the trace is longer than {} bytes, the most --trace writes; the file holds its first {} records \
                     (lower the scenario's maxEvents or endTimeMs, or run without --trace)",
                    self.max_bytes, self.written_records
                ));
                return;
            }
            match self.out.write_all(line.as_bytes()) {
                Ok(()) => {
                    self.written_bytes += line.len() as u64;
                    self.written_records += 1;
                }
                Err(err) => {
                    self.broken_pipe = err.kind() == std::io::ErrorKind::BrokenPipe;
                    self.error = Some(io_error_text(&err));
                }
            }
        }
    }

    /// Flushes; the first error, if any.
    fn finish(mut self) -> Result<(), String> {
        match self.error.take() {
            Some(_) if self.broken_pipe => exit_on_write_error(&std::io::ErrorKind::BrokenPipe.into()),
            Some(e) => Err(e),
            None => self.out.flush().map_err(|e| {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    exit_on_write_error(&e);
                }
                io_error_text(&e)
            }),
        }
    }
}

/// The exit code of a sweep stopped by Ctrl-C (128 + SIGINT, as a shell reports it), after it
/// printed what finished.
const EXIT_INTERRUPTED: u8 = 130;

/// Runs `work` (a sweep or a comparison of `seeds` seeds) with a progress callback that advances a
/// bar on a terminal (drawn to stderr; CI, a pipe or a file get none), cleared when `work` ends.
fn with_seed_progress<T>(seeds: u64, work: impl FnOnce(&(dyn Fn() + Sync)) -> T) -> T {
    use std::io::IsTerminal;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(seeds);
        // The rate as a whole number of seeds per second (indicatif's {per_sec} prints decimals).
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:24} {pos}/{len} seeds  {rate}  eta {eta}") {
            bar.set_style(style.with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} seeds/s", s.per_sec());
            }));
        }
        bar
    });
    let result = work(&|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    result
}

/// Set by the first Ctrl-C of a sweep or a comparison ([`stop_on_ctrl_c`]).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// When the first Ctrl-C (or SIGTERM, SIGHUP) came.
static FIRST_INTERRUPT: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// How long after the first signal another is the same interruption: `timeout` and a batch
/// system signal the process and then its group, two signals at once, and the second ended a
/// sweep with nothing printed, as a user's second Ctrl-C does (about one time in twenty).
const REPEATED_SIGNAL_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);

/// Makes Ctrl-C stop a sweep or a comparison: no seed starts after it, the runs in progress finish,
/// and what finished is printed marked partial. A second Ctrl-C, a second or more after the first,
/// ends the process at once.
fn stop_on_ctrl_c(what: &str) {
    set_interrupt_flag(&INTERRUPTED, &format!("Ctrl-C will end the {what} without printing what finished"));
}

/// Whether a signal that comes `since_first` after the first interruption ends the process at
/// once: a user's second Ctrl-C does; the same signal again within [`REPEATED_SIGNAL_WINDOW`] is
/// the same interruption.
fn ends_at_once(since_first: std::time::Duration) -> bool {
    since_first >= REPEATED_SIGNAL_WINDOW
}

/// Sets `flag` at the first Ctrl-C, SIGTERM or SIGHUP (the `ctrlc` crate's `termination`
/// feature), and ends the process with exit code 130 at another a second or more after the first
/// ([`REPEATED_SIGNAL_WINDOW`]); warns with `lost` when no handler can be set.
pub(crate) fn set_interrupt_flag(flag: &'static AtomicBool, lost: &str) {
    if let Err(e) = ctrlc::set_handler(move || {
        let first = *FIRST_INTERRUPT.get_or_init(std::time::Instant::now);
        if flag.swap(true, Ordering::SeqCst) && ends_at_once(first.elapsed()) {
            std::process::exit(EXIT_INTERRUPTED.into());
        }
    }) {
        eprintln!("warning: {lost} ({e})");
    }
}

/// Ends the program after stdout failed: quietly if the reader closed the pipe, else with an error.
fn exit_on_write_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: cannot write the output: {}", io_error_text(e));
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
    #[command(
        after_help = "Examples:\n  drainsim run scenarios/demo.ron\n  drainsim run plan.ron --seed 7 --svg plan.svg --timeline changes\n  drainsim run plan.ron --json --trace plan.jsonl --strict"
    )]
    Run(RunArgs),
    /// Check scenario files without running them.
    #[command(after_help = "Examples:\n  drainsim check scenarios/demo.ron\n  drainsim check scenarios/*/*.ron")]
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Refuse what is otherwise a warning (an instance type drainsim does not know).
        #[arg(long)]
        strict: bool,
    },
    /// Run one scenario over many seeds in parallel and report the distribution of outcomes.
    #[command(
        after_help = "Examples:\n  drainsim sweep scenarios/demo.ron --seeds 0..1000\n  drainsim sweep plan.ron --seeds 0..100000 --shard 3/8 --json > shard3.json\n  drainsim sweep --merge shard*.json"
    )]
    Sweep(SweepArgs),
    /// Explain why each drain took as long as it did, and what held each service back.
    #[command(
        after_help = "Examples:\n  drainsim explain scenarios/demo.ron\n  drainsim explain plan.ron --seed 7 --json\n  drainsim explain plan.ron --instance i-0a1c2e3f405a6b701\n  drainsim explain plan.ron --seed 72 --faults swarm"
    )]
    Explain {
        /// The scenario file (RON, or JSON when it starts with `{`)
        file: PathBuf,
        /// Replace the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Explain only this instance, by its name in the scenario (an imported one's is its EC2
        /// instance ID); repeat it for several (at most 1,000). The services and the headline stay
        /// whole.
        #[arg(long = "instance", value_name = "NAME")]
        instances: Vec<String>,
        /// Print the explanation as JSON.
        #[arg(long)]
        json: bool,
        /// The run's account defaults and faults, as `run` takes them: the run a sweep's or a
        /// comparison's reproduce command names is the one explained.
        #[command(flatten)]
        modifiers: RunModifiers,
    },
    /// Compare two plans over the same seeds: distributions of drain time, dips, stalls, side by side.
    #[command(
        after_help = "Examples:\n  drainsim compare plan-a.ron plan-b.ron --seeds 0..200\n  drainsim compare plan.ron --set web.deploymentConfiguration.maximumPercent=150 --seeds 0..200 --json"
    )]
    Compare(CompareArgs),
    /// Write a scenario from the JSON the AWS CLI prints about a real cluster (see docs/import.md).
    #[command(
        after_help = "Examples:\n  drainsim import captured/ -o cluster.ron --drain i-0a1c2e3f405a6b701,i-0a1c2e3f405a6b702\n  drainsim import captured/ -o rollout.ron --drain 'attribute:ecs.ami-id == ami-0old' --wave 5\n  drainsim import captured/ -o cluster.ron --task-eni-limit m7i.large=2"
    )]
    Import(ImportArgs),
    /// Explore every interleaving of a small cluster's drain and check the drain properties (docs/explore.md).
    #[command(
        after_help = "Examples:\n  drainsim explore scenarios/explore/three-instances-start-failures.ron\n  drainsim explore plan.ron --faults TaskStartFailure,AgentDisconnect --max-faults 2 --json\n\nExit codes: 0 explored completely and every property holds, 1 a violation (counterexample written), 3 a bound reached with no violation, 2 bad input."
    )]
    Explore(explore_cmd::ExploreArgs),
    /// Print a legal-transition graph as Graphviz DOT.
    #[command(after_help = "Examples:\n  drainsim graph task > task.dot\n  drainsim graph instance | dot -Tsvg > instance.svg")]
    Graph {
        #[arg(value_enum)]
        which: GraphKind,
    },
}

#[derive(clap::Args)]
struct CompareArgs {
    /// Plan A (a scenario file); plan B is the second file, or A with the --set and --account-default overrides.
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The seeds both plans run, half-open: A..B (at most 10,000,000).
    #[arg(long, value_name = "A..B", value_parser = |s: &str| drainsim_scenario::sweep::parse_seed_range(s, "one comparison runs at most", "compare a smaller range"))]
    seeds: drainsim_scenario::sweep::SeedRange,
    /// Change plan B: SERVICE.FIELD…=VALUE (web.deploymentConfiguration.maximumPercent=150),
    /// GROUP.FIELD=VALUE or GROUP.Preferences.FIELD=VALUE (an Auto Scaling group, or its refresh
    /// steps' preferences), or timings.FIELD=VALUE. VALUE is JSON, or else a string.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    sets: Vec<(String, String)>,
    /// Override an AWS default account setting in plan B's runs, e.g. awsvpcTrunking=enabled.
    #[arg(long = "account-default", value_name = "NAME=VALUE", value_parser = runner::parse_account_default)]
    account_defaults: Vec<(String, String)>,
    /// Worker threads (default: the machine's; never more than the seeds, at most 256).
    #[arg(long, value_name = "N", value_parser = |s: &str| drainsim_scenario::sweep::parse_jobs_of(s, "a comparison"))]
    jobs: Option<usize>,
    /// Print the comparison as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not PATH=VALUE")),
    }
}

#[derive(clap::Args)]
struct ImportArgs {
    /// JSON files printed by `aws ecs describe-…`, `aws elbv2 describe-…`, `aws autoscaling
    /// describe-…`, `aws ec2 describe-launch-template-versions` and `aws ec2 describe-instances`,
    /// or directories of them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write the scenario here (default: standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to drain, wait for and deregister, in waves: EC2 instance IDs (or container instance
    /// IDs or ARNs), comma-separated, in this order, or a cluster query
    /// ('attribute:ecs.ami-id == ami-0old').
    #[arg(long, value_name = "IDS|QUERY")]
    drain: Option<String>,
    /// Instances per wave of the drain plan (1 to 1000); only with --drain.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "drain", conflicts_with_all = ["instance_refresh", "terminate"], value_parser = clap::value_parser!(u32).range(1..=1000))]
    wave: u32,
    /// The task ENI limit of an instance type drainsim's table lacks, e.g. m7i.large=3: needed when
    /// the cluster runs awsvpc tasks on such instances (repeatable).
    #[arg(long = "task-eni-limit", value_name = "TYPE=N", value_parser = parse_task_eni_limit)]
    task_eni_limits: Vec<(String, u16)>,
    /// Plan an instance refresh of this imported Auto Scaling group (instead of a drain plan), to
    /// its launch template, with Auto Scaling's default preferences.
    #[arg(long = "instance-refresh", value_name = "GROUP", conflicts_with = "drain")]
    instance_refresh: Option<String>,
    /// The instance refresh skips instances already on the group's launch template version.
    #[arg(long = "skip-matching", requires = "instance_refresh")]
    skip_matching: bool,
    /// Plan TerminateInstanceInAutoScalingGroup of these EC2 instance IDs (comma-separated), all at
    /// once, each through its imported Auto Scaling group (instead of a drain plan); each group
    /// launches a replacement unless --decrement.
    #[arg(long, value_name = "IDS", value_delimiter = ',', conflicts_with_all = ["drain", "instance_refresh"])]
    terminate: Vec<String>,
    /// The terminations lower their groups' desired capacity (ShouldDecrementDesiredCapacity): no
    /// replacements.
    #[arg(long, requires = "terminate")]
    decrement: bool,
}

fn parse_task_eni_limit(s: &str) -> Result<(String, u16), String> {
    match s.split_once('=') {
        Some((t, n)) if !t.is_empty() => match n.parse::<u16>() {
            Ok(n) => Ok((t.to_string(), n)),
            Err(_) => Err(format!("'{n}' is not a task ENI limit (0 to {})", u16::MAX)),
        },
        _ => Err(format!("'{s}' is not TYPE=N")),
    }
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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TimelineMode {
    /// Every record.
    Full,
    /// Records of instances, services and settings (no task or attachment lifecycle).
    Changes,
    /// Only how many records of each kind there were.
    Summary,
    /// No timeline, only steps, expectations and the summary.
    None,
}

/// The default timeline prints every record of a run with at most this many, else a summary.
const AUTO_TIMELINE_RECORDS: usize = 300;

/// The timeline lines a text run collects as the records stream by.
#[derive(Default)]
struct TimelineText {
    /// (time, line) of the records the mode prints (in auto mode, the first ones only).
    lines: Vec<(u64, String)>,
    /// Records by subject kind.
    by_kind: std::collections::BTreeMap<&'static str, u64>,
    total: u64,
    /// Whether the report's head and the timeline were printed as the records streamed by
    /// (`--timeline full` or `changes`): then `lines` is empty and the report goes on after them.
    streamed: bool,
}

/// What a text report starts with: the scenario, its seed and the run's fault profile.
fn write_report_head(
    out: &mut impl Write,
    name: &str,
    loaded: &LoadedScenario,
    seed: u64,
    fault_profile: Option<&drainsim_core::FaultProfile>,
) -> std::io::Result<()> {
    writeln!(out, "drainsim: scenario '{name}' ({}), seed {seed}", loaded.file)?;
    if !loaded.scenario.description.is_empty() {
        writeln!(out, "  {}", loaded.scenario.description)?;
    }
    if let Some(p) = fault_profile {
        write!(
            out,
            "fault profile: trunk provisioning failure {}‰, ENI attach latency {} ms, task start failure {}‰, agent disconnects {}/h per instance",
            p.trunk_provisioning_failure_per_mille, p.eni_attach_latency_ms, p.task_start_failure_per_mille, p.agent_disconnects_per_hour
        )?;
        // The Spot rates only where a scenario draws them.
        if p.spot_interruption_per_mille_per_hour > 0 {
            write!(out, ", Spot interruptions {}‰/h per Spot Instance", p.spot_interruption_per_mille_per_hour)?;
            if p.spot_rebalance_recommendation_lead_ms > 0 {
                write!(out, " (rebalance recommendation {} ms before the notice)", p.spot_rebalance_recommendation_lead_ms)?;
            }
        }
        if p.spot_rebalance_recommendation_per_mille_per_hour > 0 {
            write!(out, ", rebalance recommendations alone {}‰/h", p.spot_rebalance_recommendation_per_mille_per_hour)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The heading of a printed timeline.
fn write_timeline_heading(out: &mut impl Write, mode: TimelineMode) -> std::io::Result<()> {
    writeln!(out, "\ntimeline{}:", if mode == TimelineMode::Changes { " (instances, services and settings)" } else { "" })
}

/// The line before the first record after the first failed expectation.
fn write_failure_mark(out: &mut impl Write, failed_at_ms: u64) -> std::io::Result<()> {
    writeln!(out, "  ---- first failed expectation at {} ----", format_sim_time(failed_at_ms))
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
    /// The scenario file (RON, or JSON when it starts with `{`)
    file: Option<PathBuf>,
    /// Replace the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON report instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    modifiers: RunModifiers,
    /// Write every trace record to this file as JSON Lines, one object per record (docs/trace.md;
    /// at most 8 GiB: past it the run is refused and the file holds the records that fit). `-`
    /// writes them to standard output, in place of the report.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// How much of the timeline the text output prints (default: full up to 300 records, else summary).
    #[arg(long, value_enum)]
    timeline: Option<TimelineMode>,
    /// Fail the run (exit 1) when it finds a floor breach or a stall that no expectation mentions.
    #[arg(long)]
    strict: bool,
    /// Draw the run as an SVG chart (docs/chart.md): tasks per service over time with floor and ceiling, and a lane
    /// per drained instance. `-` writes it to standard output, in place of the report.
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
}

#[derive(clap::Args)]
struct SweepArgs {
    /// The scenario file (RON, or JSON when it starts with `{`); with --merge, the JSON outputs of `drainsim sweep --json` to combine.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The seeds to run, half-open: A..B runs A, A+1, ..., B-1 (at most 10,000,000).
    #[arg(long, value_name = "A..B", value_parser = drainsim_scenario::sweep::parse_seeds, required_unless_present = "merge")]
    seeds: Option<drainsim_scenario::sweep::SeedRange>,
    /// Worker threads, 1 to 256 (default: the machine's available parallelism); never more than the
    /// seeds to run. The result does not depend on it.
    #[arg(long, value_name = "N", value_parser = drainsim_scenario::sweep::parse_jobs)]
    jobs: Option<usize>,
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
        Command::Check { files, strict } => check(&files, strict),
        Command::Sweep(args) => sweep_command(args),
        Command::Import(args) => import_command(args),
        Command::Compare(args) => compare_command(args),
        Command::Explore(args) => explore_cmd::explore_command(args),
        Command::Explain { file, seed, json, instances, modifiers } => explain_command(&file, seed, json, &instances, &modifiers),
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

/// The most `--instance` names `explain` takes.
const MAX_EXPLAIN_INSTANCES: usize = 1_000;

fn explain_command(file: &std::path::Path, seed: Option<u64>, json: bool, only: &[String], modifiers: &RunModifiers) -> ExitCode {
    if only.len() > MAX_EXPLAIN_INSTANCES {
        eprintln!("error: --instance is given {} times; at most {MAX_EXPLAIN_INSTANCES}", only.len());
        return ExitCode::from(2);
    }
    let loaded = match load_file(file) {
        Ok(l) => l,
        Err(e) => return invalid(&e),
    };
    // A name no instance of the run can have is refused before the run (a typo cost a whole
    // simulation first): without Auto Scaling groups, the run's instances are those the scenario
    // declares and those its steps register.
    if let Some(known) = names_a_run_can_have(&loaded) {
        if let Some(name) = only.iter().find(|n| !known.contains(*n)) {
            let hint = drainsim_scenario::load::did_you_mean(name, known.iter().map(String::as_str));
            eprintln!("error: --instance {name}: the scenario has no instance of that name{hint}");
            return ExitCode::from(2);
        }
    }
    // The scenario's warnings, as `run` prints them (on standard error: the explanation is unchanged).
    report_warnings(&loaded, false);
    // The task records the explanation reads are gathered as they stream by; the trace is not kept.
    let opts = RunOptions {
        seed,
        account_defaults: modifiers.account_defaults.clone(),
        swarm_faults: modifiers.faults == Some(Faults::Swarm),
        ..Default::default()
    };
    let (outcome, x) = match drainsim_scenario::explain::run_explained(&loaded, &opts) {
        Ok(run) => run,
        Err(e) => return invalid(&e),
    };
    // The run's findings no expectation mentions, as `run --json` prints them.
    for w in finding_lines(&drainsim_scenario::outcome::unmentioned_findings(&loaded.scenario, &outcome)) {
        eprintln!("warning: {w}");
    }
    for w in drainsim_scenario::outcome::unread_account_defaults(&outcome.engine, &modifiers.account_defaults) {
        eprintln!("warning: {w}");
    }
    if let Some(w) = drainsim_scenario::outcome::choice_departure_warning(&outcome.engine) {
        eprintln!("warning: {w}");
    }
    let mut x = x;
    if !only.is_empty() {
        let e = &outcome.engine;
        for name in only {
            if e.instance_named(name).is_none() {
                let hint = drainsim_scenario::load::did_you_mean(name, e.instances().map(|i| i.name()));
                eprintln!("error: --instance {name}: the run has no instance of that name{hint}");
                return ExitCode::from(2);
            }
        }
        x.instances.retain(|i| only.contains(&i.name));
        x.gone_undrained.retain(|g| only.contains(&g.name));
        // An instance asked for that was neither drained nor gone with tasks has nothing to explain.
        for name in only {
            let explained = x.instances.iter().any(|i| &i.name == name) || x.gone_undrained.iter().any(|g| &g.name == name);
            if !explained && !x.not_drained.contains(name) {
                x.not_drained.push(name.clone());
            }
        }
    }
    if json {
        match serde_json::to_string_pretty(&x) {
            Ok(text) => say!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        // The run's modifiers are named, so the header says which run of the seed this is.
        let mut header = format!("drainsim explain: scenario '{}', seed {}", outcome.scenario_name, outcome.seed);
        for (name, value) in &modifiers.account_defaults {
            header.push_str(&format!(", account default {name}={value}"));
        }
        if modifiers.faults == Some(Faults::Swarm) {
            header.push_str(", faults swarm");
        }
        say!("{header}\n");
        for name in &x.not_drained {
            say!("{name}: neither drained nor gone with tasks in this run: nothing to explain");
        }
        say_raw!("{}", drainsim_scenario::explain::render_text(&x));
    }
    ExitCode::SUCCESS
}

/// Every instance name a run of the scenario can have, when they are known before it runs: the
/// instances it declares and those its steps register. `None` when it has Auto Scaling groups,
/// whose launches are named as the run goes.
fn names_a_run_can_have(loaded: &LoadedScenario) -> Option<std::collections::BTreeSet<String>> {
    let s = &loaded.scenario;
    if !s.auto_scaling_groups.is_empty() {
        return None;
    }
    let registered_by_steps = s.steps.iter().filter_map(|step| match &step.action {
        drainsim_scenario::format::Action::Ecs(drainsim_core::api::Request::RegisterContainerInstance(r)) => {
            Some(r.instance_identity.name.clone())
        }
        _ => None,
    });
    Some(loaded.instance_names().into_iter().chain(registered_by_steps).collect())
}

fn compare_command(args: CompareArgs) -> ExitCode {
    use drainsim_scenario::compare;
    if let Err(e) = drainsim_scenario::setup::check_account_default_flags(&args.account_defaults) {
        return invalid(&e);
    }
    let load = |f: &PathBuf| load_file(f);
    let a_loaded = match load(&args.files[0]) {
        Ok(l) => l,
        Err(e) => return invalid(&e),
    };
    // Plan B's own file, if it has one; else plan A is the base the overrides apply to (read,
    // not copied: an imported cluster is tens of megabytes).
    let b_file = match args.files.get(1) {
        Some(f) => match load(f) {
            Ok(l) => Some(l),
            Err(e) => return invalid(&e),
        },
        None => None,
    };
    if args.files.len() == 1 && args.sets.is_empty() && args.account_defaults.is_empty() {
        eprintln!("error: compare needs a second scenario file, or --set / --account-default to make plan B");
        return ExitCode::from(2);
    }
    let b_loaded = match b_file {
        // Plan B's own file, unchanged: used as loaded.
        Some(b) if args.sets.is_empty() => b,
        b_file => match compare::apply_overrides(b_file.as_ref().unwrap_or(&a_loaded), &args.sets) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let mut b_label = args.files.last().expect("one or two files").display().to_string();
    for (k, v) in &args.sets {
        b_label.push_str(&format!(" --set {k}={v}"));
    }
    for (k, v) in &args.account_defaults {
        b_label.push_str(&format!(" --account-default {k}={v}"));
    }
    // Each plan's warnings, as `run` prints them: plan A's at their place in its file, plan B's
    // that A does not share (an override that leaves a GPU task no instance with GPUs, say), at
    // their place in B's own file, or naming plan B when overrides made it (its text is in no file).
    let a_warnings = drainsim_scenario::load::warnings(&a_loaded);
    report_warning_list(&a_warnings, false);
    for w in drainsim_scenario::load::warnings(&b_loaded) {
        if a_warnings.iter().any(|a| a.message == w.message) {
            continue;
        }
        if args.sets.is_empty() {
            report_problem("warning", &w);
        } else {
            eprintln!("warning: plan B ({b_label}): {}", w.message);
        }
    }
    // An `--account-default` that plan B never reads makes it plan A: said before the runs, from
    // one run of plan B (whether a registration reads the account default does not depend on
    // the seed).
    if !args.account_defaults.is_empty() {
        let opts =
            RunOptions { seed: Some(args.seeds.start), account_defaults: args.account_defaults.clone(), ..Default::default() };
        if let Ok(outcome) = drainsim_scenario::runner::run(&b_loaded, &opts) {
            for w in drainsim_scenario::outcome::unread_account_defaults(&outcome.engine, &args.account_defaults) {
                eprintln!("warning: plan B ({b_label}): {w}");
            }
        }
    }
    use drainsim_scenario::sweep::shell_word;
    let a_file = shell_word(&args.files[0].display().to_string());
    // Plan B from `--set` overrides is no file `run` reads: its seed is reproduced by the
    // comparison of that seed alone.
    let b_reproduce: Box<dyn Fn(u64) -> String + Sync> = if args.sets.is_empty() {
        let cmd = format!(
            "drainsim run {}{}",
            shell_word(&args.files.last().expect("one or two files").display().to_string()),
            drainsim_scenario::sweep::account_default_flags(&args.account_defaults)
        );
        Box::new(move |seed| format!("{cmd} --seed {seed}"))
    } else {
        let mut cmd = String::from("drainsim compare");
        for f in &args.files {
            cmd.push_str(&format!(" {}", shell_word(&f.display().to_string())));
        }
        for (k, v) in &args.sets {
            cmd.push_str(&format!(" --set {}", shell_word(&format!("{k}={v}"))));
        }
        cmd.push_str(&drainsim_scenario::sweep::account_default_flags(&args.account_defaults));
        Box::new(move |seed| format!("{cmd} --seeds {seed}..{}", seed.saturating_add(1)))
    };
    let a = compare::Plan {
        label: args.files[0].display().to_string(),
        loaded: a_loaded,
        account_defaults: Vec::new(),
        rewritten: false,
        reproduce: Box::new(move |seed| format!("drainsim run {a_file} --seed {seed}")),
    };
    let b = compare::Plan {
        label: b_label,
        loaded: b_loaded,
        account_defaults: args.account_defaults,
        rewritten: !args.sets.is_empty(),
        reproduce: b_reproduce,
    };
    stop_on_ctrl_c("comparison");
    let compared =
        with_seed_progress(args.seeds.len(), |progress| compare::compare(&a, &b, args.seeds, args.jobs, progress, &INTERRUPTED));
    let r = match compared {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&r) {
            Ok(text) => say!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        say_raw!("{}", compare::render_text(&r));
    }
    if r.partial {
        eprintln!("interrupted: {} of {} seeds ran; the comparison above covers only them (partial)", r.runs, r.seeds.len());
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    // A plan's failed expectations are one of the measures, not the comparison's failure: a
    // scenario's expectations are written for plan A, and plan B is meant to differ.
    ExitCode::SUCCESS
}

/// The input (a file, or a directory whose `.json` files the import reads) that writing the scenario
/// to `out` would overwrite, if any: `drainsim import capture/ -o capture/describe-tasks.json`
/// replaced a capture file with the scenario.
fn output_overwrites_input(out: &Path, inputs: &[PathBuf]) -> Option<PathBuf> {
    // A file that does not exist yet is none of the inputs.
    let out = std::fs::canonicalize(out).ok()?;
    inputs.iter().find_map(|p| {
        let input = std::fs::canonicalize(p).ok()?;
        let read_from_dir =
            input.is_dir() && out.parent() == Some(input.as_path()) && out.extension().is_some_and(|e| e == "json");
        (input == out || read_from_dir).then(|| p.clone())
    })
}

fn import_command(args: ImportArgs) -> ExitCode {
    use drainsim_scenario::import;
    let drain = args.drain.as_deref().map_or(import::DrainSelection::None, import::DrainSelection::parse);
    let task_eni_limits = args.task_eni_limits.into_iter().collect();
    // Blanks around the IDs and empty items (a trailing comma) are dropped; a --terminate that
    // names no instance at all is refused, as --drain '' and --instance-refresh '' are, rather
    // than read as no --terminate (a scenario without the plan asked for).
    let terminate: Vec<String> = args.terminate.iter().map(|id| id.trim().to_string()).filter(|id| !id.is_empty()).collect();
    if !args.terminate.is_empty() && terminate.is_empty() {
        eprintln!("error: --terminate: no instance ID given: IDS is a comma-separated list of EC2 instance IDs");
        return ExitCode::from(2);
    }
    let opts = import::ImportOptions {
        drain,
        wave_size: args.wave,
        task_eni_limits,
        instance_refresh: args.instance_refresh,
        skip_matching: args.skip_matching,
        terminate,
        decrement: args.decrement,
        ..Default::default()
    };
    if let Some(input) = args.output.as_deref().and_then(|out| output_overwrites_input(out, &args.paths)) {
        eprintln!(
            "error: --output {}: it is one of the capture's files (read from {}): the scenario would overwrite it; write it elsewhere",
            args.output.as_deref().map_or_else(String::new, |o| o.display().to_string()),
            input.display()
        );
        return ExitCode::from(2);
    }
    let not_written = match &args.output {
        Some(path) => format!("{} was not written", path.display()),
        None => "no scenario was written".to_string(),
    };
    let imported = match import::import_paths(&args.paths, &opts) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            // A refusal after the whole capture was read (its setup failed) says what was read,
            // left out and noted: it may explain the refusal.
            if let Some(summary) = &e.summary {
                eprintln!("{not_written}; what the import read:");
                eprint!("{summary}");
            }
            return ExitCode::from(2);
        }
    };
    let import::Imported { scenario, summary } = imported;
    let text = drainsim_scenario::write::to_ron(&scenario);
    // The text is what is written and checked: the scenario itself is not needed again.
    drop(scenario);
    // The import checked that the cluster sets up; what is written must load too (the drain plan
    // included): a scenario `check` refuses is a bug of the import.
    if let Err(e) = load_str("(drainsim import)", &text) {
        eprintln!(
            "error: drainsim import made a scenario that does not load (a bug of drainsim import), so {not_written}: {}",
            e.message
        );
        eprint!("{summary}");
        return ExitCode::from(2);
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write {}: {}", path.display(), io_error_text(&e));
                return ExitCode::from(2);
            }
        }
        None => say_raw!("{text}"),
    }
    eprint!("{summary}");
    ExitCode::SUCCESS
}

/// Whether output may be coloured: only on a terminal, and never with `NO_COLOR` set to anything
/// (<https://no-color.org>).
fn colour_for(is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// A word in green (good) or red (bad) when stdout may be coloured, else as it is.
fn paint(word: &str, good: bool) -> String {
    use std::io::IsTerminal;
    static COLOUR: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *COLOUR.get_or_init(|| colour_for(std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR"))) {
        format!("\x1b[{}m{word}\x1b[0m", if good { 32 } else { 31 })
    } else {
        word.to_string()
    }
}

/// `n` of `noun`, in the plural unless one: `1 finding`, `2 findings`.
fn count_text(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn invalid(e: &ScenarioError) -> ExitCode {
    report_problem("error", e);
    ExitCode::from(2)
}

/// `error: FILE:LINE:COL: message` (or `warning: …`), then the source line with a caret under the
/// column when the file can be read (a hand-written renderer: one line and a caret is all a
/// scenario error needs, so no diagnostics crate).
fn report_problem(kind: &str, e: &ScenarioError) {
    eprintln!("{kind}: {e}");
    let source = if e.file == drainsim_scenario::DEMO_FILE {
        Some(drainsim_scenario::DEMO_SCENARIO.to_string())
    } else if std::fs::metadata(&e.file).is_ok_and(|m| m.is_file()) {
        // A regular file is read again for its line; a device or pipe was read once already and
        // would give something else (or nothing) the second time.
        drainsim_scenario::input::read_bounded(Path::new(&e.file), drainsim_scenario::input::MAX_SCENARIO_BYTES)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    } else {
        None
    };
    let Some(line) = source.as_deref().and_then(|s| s.lines().nth(e.line.saturating_sub(1))) else { return };
    if e.line == 0 || line.len() > 400 {
        return;
    }
    let number = e.line.to_string();
    let pad = " ".repeat(number.len());
    // The caret goes under the column's character; tabs keep their width, and a control character
    // the line is printed with escaped (`printable`) that of its escape.
    let lead: String = line
        .chars()
        .take(e.column.saturating_sub(1))
        .map(|c| if c == '\t' { "\t".to_string() } else { " ".repeat(printable(&c.to_string()).chars().count()) })
        .collect();
    eprintln!("{pad} |\n{number} | {line}\n{pad} | {lead}^");
}

/// The most findings no expectation mentions a text output prints one by one (a cluster of
/// 100,000 services under swarm faults printed 105,007 lines); past it, a line counts the rest,
/// which `--json` lists (`unmentionedFindings`).
const MAX_FINDING_LINES: usize = drainsim_scenario::outcome::MAX_SERVICE_LINES;

/// The findings a text output prints: the first [`MAX_FINDING_LINES`], then a line for the rest.
fn finding_lines(findings: &[String]) -> impl Iterator<Item = String> + '_ {
    let more = findings.len().saturating_sub(MAX_FINDING_LINES);
    findings.iter().take(MAX_FINDING_LINES).cloned().chain((more > 0).then(|| {
        format!(
            "and {} no expectation mentions (--json lists every one in unmentionedFindings)",
            count_text(more, "more finding")
        )
    }))
}

/// Prints a scenario's warnings; with `strict`, they are errors (exit code 2).
fn report_warnings(loaded: &LoadedScenario, strict: bool) -> bool {
    report_warning_list(&drainsim_scenario::load::warnings(loaded), strict)
}

/// Prints warnings found earlier; with `strict`, they are errors (exit code 2).
fn report_warning_list(warnings: &[ScenarioError], strict: bool) -> bool {
    for w in warnings {
        report_problem(if strict { "error" } else { "warning" }, w);
    }
    strict && !warnings.is_empty()
}

fn check(files: &[PathBuf], strict: bool) -> ExitCode {
    let mut bad = false;
    for f in files {
        // The warnings and the name are read first, so that the setup's dry run takes the
        // scenario itself rather than a copy (a big imported cluster is tens of megabytes).
        let checked = load_file(f).and_then(|l| {
            let (warnings, name) = (drainsim_scenario::load::warnings(&l), l.scenario.name.clone());
            runner::check_setup_of(l).map(|()| (warnings, name))
        });
        match checked {
            Ok((warnings, _)) if report_warning_list(&warnings, strict) => bad = true,
            Ok((_, name)) => say!("ok: {} ({})", f.display(), name),
            Err(e) => {
                report_problem("error", &e);
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
    if report_warnings(&loaded, args.strict) {
        return ExitCode::from(2);
    }
    // The chart is written after the trace: one path for both would leave the chart alone.
    if let (Some(trace), Some(svg)) = (&args.trace, &args.svg) {
        if trace.as_os_str() == "-" && svg.as_os_str() == "-" {
            eprintln!("error: --trace - and --svg - both write to standard output: give one of them a file");
            return ExitCode::from(2);
        }
        let same = trace == svg || output_overwrites_input(trace, std::slice::from_ref(svg)).is_some();
        if same {
            eprintln!("error: --trace and --svg both name {}: give each its own file", trace.display());
            return ExitCode::from(2);
        }
    }
    // Neither may be the scenario being run (a symlink to it included): it was overwritten, and the
    // reproduce command printed named a file that was no longer a scenario.
    if let Some(input) = &args.file {
        for (flag, out) in [("--trace", &args.trace), ("--svg", &args.svg)] {
            if let Some(out) = out.as_deref().filter(|o| o.as_os_str() != "-") {
                if output_overwrites_input(out, std::slice::from_ref(input)).is_some() {
                    eprintln!(
                        "error: {flag} {}: it is the scenario file being run ({}), which it would overwrite; write it elsewhere",
                        out.display(),
                        input.display()
                    );
                    return ExitCode::from(2);
                }
            }
        }
    }
    // `-` puts the chart or the trace on standard output, which then carries it alone: the text
    // report is not printed, and what the JSON report's reader gets on standard error (warnings, a
    // failure and its reproduction) goes there too, with the headline.
    let to_stdout = |p: &Option<PathBuf>| p.as_deref() == Some(std::path::Path::new("-"));
    let stdout_document = match (to_stdout(&args.svg), to_stdout(&args.trace)) {
        (true, _) => Some("--svg -"),
        (_, true) => Some("--trace -"),
        _ => None,
    };
    if let (Some(flag), true) = (stdout_document, args.json) {
        eprintln!("error: --json and {flag} both write to standard output: give the other one a file");
        return ExitCode::from(2);
    }
    let quiet_report = args.json || stdout_document.is_some();

    let opts = RunOptions {
        seed: args.seed,
        account_defaults: args.modifiers.account_defaults.clone(),
        // The text timeline collects its lines as the records stream by; --trace writes them.
        keep_records: false,
        // The report's header gives the digest.
        skip_trace_digest: false,
        // Debug builds check every invariant after every event; a release run checks at its end.
        check_invariants_every_event: cfg!(debug_assertions),
        note_invariant_violations: false,
        swarm_faults: args.modifiers.faults == Some(Faults::Swarm),
        // The report lists every expectation, passed or not.
        result_text: drainsim_scenario::ResultText::All,
    };
    let started = Instant::now();
    let mut collected = TimelineText::default();
    let collect = !quiet_report && args.trace.is_none() && args.timeline != Some(TimelineMode::None);
    let stream = collect && matches!(args.timeline, Some(TimelineMode::Full | TimelineMode::Changes));
    let result = match &args.trace {
        None if stream => {
            // Every record is printed as it streams by (a big run's timeline is never held in
            // memory), after the report's head, which the first batch knows all of.
            let mode = args.timeline.expect("a streamed timeline has a mode");
            let seed = args.seed.unwrap_or(loaded.scenario.seed);
            let swarm = opts.swarm_faults;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut marked = false;
            let mut sink = |e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord], failed_at: Option<u64>| {
                let mut write = || -> std::io::Result<()> {
                    if !collected.streamed {
                        let profile = drainsim_scenario::setup::reported_fault_profile(e, swarm);
                        write_report_head(&mut out, &loaded.scenario.name, &loaded, seed, profile.as_ref())?;
                        write_timeline_heading(&mut out, mode)?;
                        collected.streamed = true;
                    }
                    for r in records {
                        let kind = timeline::subject_kind(r.subject);
                        collected.total += 1;
                        *collected.by_kind.entry(kind).or_insert(0) += 1;
                        if mode == TimelineMode::Changes && matches!(kind, "task" | "attachment") {
                            continue;
                        }
                        if let Some(f) = failed_at.filter(|f| !marked && r.time_ms > *f) {
                            write_failure_mark(&mut out, f)?;
                            marked = true;
                        }
                        writeln!(out, "  {}", timeline::render_record(e, r).to_line())?;
                    }
                    Ok(())
                };
                if let Err(err) = write() {
                    exit_on_write_error(&err);
                }
            };
            let result = runner::run_streaming_with_failures(&loaded, &opts, &mut sink);
            if let Err(err) = out.flush() {
                exit_on_write_error(&err);
            }
            result
        }
        None if collect => {
            let limit = if args.timeline.is_none() { AUTO_TIMELINE_RECORDS + 1 } else { usize::MAX };
            let changes_only = args.timeline == Some(TimelineMode::Changes);
            let mut sink = |e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord]| {
                for r in records {
                    // Counting needs only the subject's kind; a record is rendered only when printed
                    // (the summary of a big run counts a million records and prints none).
                    let kind = timeline::subject_kind(r.subject);
                    collected.total += 1;
                    *collected.by_kind.entry(kind).or_insert(0) += 1;
                    let wanted = !changes_only || !matches!(kind, "task" | "attachment");
                    if wanted && collected.lines.len() < limit && args.timeline != Some(TimelineMode::Summary) {
                        collected.lines.push((r.time_ms, timeline::render_record(e, r).to_line()));
                    }
                }
            };
            runner::run_streaming(&loaded, &opts, &mut sink)
        }
        None => runner::run(&loaded, &opts),
        Some(path) => {
            let file: Box<dyn Write> = if to_stdout(&args.trace) {
                Box::new(std::io::stdout().lock())
            } else {
                match std::fs::File::create(path) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        eprintln!("error: cannot write the trace to {}: {}", path.display(), io_error_text(&e));
                        return ExitCode::from(2);
                    }
                }
            };
            let mut out = TraceFile::new(std::io::BufWriter::new(file), MAX_TRACE_BYTES);
            let mut sink = |e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord]| out.write(e, records);
            let result = runner::run_streaming(&loaded, &opts, &mut sink);
            if let Err(err) = out.finish() {
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
    if let Some(path) = &args.svg {
        let written = drainsim_scenario::chart::render_svg(&outcome).and_then(|svg| {
            if to_stdout(&args.svg) {
                let mut out = std::io::stdout().lock();
                out.write_all(svg.as_bytes()).and_then(|()| out.flush()).map_err(|e| io_error_text(&e))
            } else {
                std::fs::write(path, svg).map_err(|e| io_error_text(&e))
            }
        });
        if let Err(e) = written {
            eprintln!("error: cannot write the chart to {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    for w in drainsim_scenario::outcome::unread_account_defaults(&outcome.engine, &args.modifiers.account_defaults) {
        eprintln!("warning: {w}");
    }
    if let Some(w) = drainsim_scenario::outcome::choice_departure_warning(&outcome.engine) {
        eprintln!("warning: {w}");
    }
    let reproduce = reproduce_command(&args, &loaded, outcome.seed);
    let passed = outcome.passed();
    let warnings = drainsim_scenario::outcome::unmentioned_findings(&loaded.scenario, &outcome);
    if args.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if let Err(e) = report::write_json_with_findings(&outcome, &warnings, &mut out)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush())
        {
            exit_on_write_error(&e);
        }
    } else if stdout_document.is_some() {
        eprintln!("headline: {}", drainsim_scenario::explain::run_headline(&outcome).0);
    } else {
        let mode = match (args.trace.is_some(), args.timeline) {
            (true, _) => TimelineMode::None,
            (false, Some(m)) => m,
            (false, None) if collected.total as usize > AUTO_TIMELINE_RECORDS => TimelineMode::Summary,
            (false, None) => TimelineMode::Full,
        };
        if let Some(path) = &args.trace {
            say!("timeline: {} records written to {}", outcome.engine.trace().len(), path.display());
        }
        print_text(&outcome, &loaded, mode, &collected, wall, &reproduce, Findings { warnings: &warnings, strict: args.strict });
    }
    if quiet_report {
        for w in finding_lines(&warnings) {
            eprintln!("warning: {w}");
        }
    }
    let strict_failure = args.strict && !warnings.is_empty();
    if passed && !strict_failure {
        ExitCode::SUCCESS
    } else if passed {
        // The text report's last line says so; the JSON report's reader gets it here.
        if quiet_report {
            eprintln!(
                "error: --strict: {} no expectation mentions; reproduce with: {reproduce}",
                count_text(warnings.len(), "finding")
            );
        }
        ExitCode::from(1)
    } else {
        if quiet_report {
            let what = if outcome.invariant_violation.is_some() { "the engine's invariants" } else { "expectations" };
            eprintln!("{what} failed; reproduce with: {reproduce}");
        }
        ExitCode::from(1)
    }
}

fn reproduce_command(args: &RunArgs, loaded: &LoadedScenario, seed: u64) -> String {
    use drainsim_scenario::sweep::shell_word;
    let file = args.file.as_ref().map_or(loaded.file.clone(), |f| f.display().to_string());
    let mut cmd = format!("drainsim run {} --seed {seed}", shell_word(&file));
    cmd.push_str(&drainsim_scenario::sweep::account_default_flags(&args.modifiers.account_defaults));
    if args.modifiers.faults == Some(Faults::Swarm) {
        cmd.push_str(" --faults swarm");
    }
    // `--strict` decides the exit status of a run whose findings no expectation mentions.
    if args.strict {
        cmd.push_str(" --strict");
    }
    cmd
}

/// A stall reason in words (a memberOf stall names the expressions, a stall of a task of a
/// capacity provider strategy its provider).
fn stall_explanation(reason: &str, member_of: &[String], allowed_lack: &[String], capacity_provider: Option<&str>) -> String {
    if let Some(p) = capacity_provider {
        if reason == "NO_INSTANCES" {
            return format!("capacity provider {p} has no ACTIVE instance with a connected agent ({reason})");
        }
        let base = stall_explanation(reason, member_of, allowed_lack, None);
        return match base.strip_prefix("the closest instance ") {
            Some(rest) => format!("the closest instance of capacity provider {p} {rest}"),
            None => format!("{base} (capacity provider {p})"),
        };
    }
    if !member_of.is_empty() {
        let expressions: Vec<String> = member_of.iter().map(|e| format!("memberOf({e})")).collect();
        let stall = match expressions.as_slice() {
            [one] => format!("no instance with room satisfies {one} ({reason})"),
            _ => format!("no instance with room satisfies all of {} together ({reason})", expressions.join(", ")),
        };
        // What the instances the expressions allow are short of: the capacity a plan must add.
        let lack: Vec<&str> = allowed_lack.iter().map(|r| drainsim_scenario::explain::requirement_words(r)).collect();
        return match lack.as_slice() {
            [] => stall,
            _ => format!("{stall}; the instances it allows lack {} ({})", lack.join(" and "), allowed_lack.join(", ")),
        };
    }
    // A resource reason is what ECS's closest matching instance lacked ("The closest matching
    // container-instance … has insufficient memory available"): other instances may lack
    // something else, so the words name the closest one, in `explain`'s words for it.
    if reason.starts_with("RESOURCE:") {
        return format!("the closest instance lacked {} ({reason})", drainsim_scenario::explain::requirement_words(reason));
    }
    let what = match reason {
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

/// A run's findings no expectation mentions (floor breaches, stalls), and whether `--strict`
/// makes them fail the run.
#[derive(Clone, Copy)]
struct Findings<'a> {
    warnings: &'a [String],
    strict: bool,
}

/// The most stalls the text report lists for one service: the first and last half of them.
const MAX_STALL_LINES: usize = 10;

/// The services the text report lists: every one up to [`MAX_SERVICE_LINES`]; past it, the
/// notable ones ([`service_is_notable`]) first, then the others, up to the bound, in creation
/// order.
fn services_listed<'e>(all: &[drainsim_core::ServiceView<'e>]) -> Vec<drainsim_core::ServiceView<'e>> {
    listed_first(all.len(), MAX_SERVICE_LINES, |k| service_is_notable(&all[k])).into_iter().map(|k| all[k]).collect()
}

/// The most drains the text report lists one by one; past it, a summary line and the drains worth
/// a look (a 100,000-instance run printed 50,000 lines here, also with `--timeline summary`).
const MAX_DRAIN_LINES: usize = 50;

/// The drains the text report lists: every one up to [`MAX_DRAIN_LINES`]; past it, those not
/// completed (open, cancelled), those its instance's going ended with tasks orphaned, and the
/// slowest completed ones, up to the bound, in registration order.
fn drains_listed<'e>(
    drained: &[drainsim_core::InstanceView<'e>],
    orphaned: &std::collections::BTreeMap<String, u32>,
) -> Vec<drainsim_core::InstanceView<'e>> {
    if drained.len() <= MAX_DRAIN_LINES {
        return drained.to_vec();
    }
    let took = |i: &drainsim_core::InstanceView| i.drain().duration_ms();
    // Worth a look first (not completed, or cut short), then the slowest; ties in registration order.
    let mut order: Vec<usize> = (0..drained.len()).collect();
    order.sort_by_key(|&k| {
        let i = &drained[k];
        let notable = took(i).is_none() || orphaned.contains_key(i.name());
        (!notable, std::cmp::Reverse(took(i).unwrap_or(u64::MAX)), k)
    });
    let mut chosen: Vec<usize> = order.into_iter().take(MAX_DRAIN_LINES).collect();
    chosen.sort_unstable();
    chosen.into_iter().map(|k| drained[k]).collect()
}

/// The line above a shortened drains list: how many drains, how many completed and in how long
/// (the slowest as the headline names it, [`drainsim_scenario::outcome::slowest_completed_drain`]),
/// how many of those the instance's going cut short, and how many did not complete.
fn drains_summary(
    e: &drainsim_core::Engine,
    scope: &drainsim_scenario::outcome::DrainScope,
    drained: &[drainsim_core::InstanceView],
    orphaned: &std::collections::BTreeMap<String, u32>,
    listed: usize,
) -> String {
    let mut took: Vec<u64> = drained
        .iter()
        .filter_map(|i| {
            let d = i.drain();
            Some(d.completed_at_ms()?.saturating_sub(d.started_at_ms()?))
        })
        .collect();
    took.sort_unstable();
    let duration = drainsim_scenario::timeline::duration_text;
    let completed =
        match (took.get((took.len().saturating_sub(1)) / 2), drainsim_scenario::outcome::slowest_completed_drain(e, scope)) {
            (Some(p50), Some((max, slowest))) => {
                format!("{} completed in {} (median) to {} ({slowest})", took.len(), duration(*p50), duration(max))
            }
            _ => "none completed".to_string(),
        };
    // Drains that completed only because the instance went with tasks still on it.
    let cut_short = drained.iter().filter(|i| i.drain().completed_at_ms().is_some() && orphaned.contains_key(i.name())).count();
    let completed = match cut_short {
        0 => completed,
        n => format!("{completed}, {n} of them cut short: the instance went with tasks not yet STOPPED, orphaned"),
    };
    let cancelled = drained.iter().filter(|i| drainsim_scenario::outcome::drain_cancelled(i)).count();
    let cancelled = if cancelled > 0 { format!(" ({cancelled} of them cancelled)") } else { String::new() };
    format!(
        "{} drains, {completed}, {} not completed{cancelled}; listed: {listed} of them, those not completed or cut short first, then the slowest (--json has every instance)",
        drained.len(),
        drained.len() - took.len()
    )
}

/// Prints a run's text report, buffered (a report of thousands of lines is written in a few
/// system calls, not one per line).
fn print_text(
    outcome: &drainsim_scenario::RunOutcome,
    loaded: &LoadedScenario,
    mode: TimelineMode,
    collected: &TimelineText,
    wall: std::time::Duration,
    reproduce: &str,
    findings: Findings<'_>,
) {
    let Findings { warnings, strict } = findings;
    // Which drains the drain times count: the drains section and the headline read the same.
    let scope = outcome.drain_scope();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut write = || -> std::io::Result<()> {
        let e = &outcome.engine;
        if !collected.streamed {
            write_report_head(&mut out, &outcome.scenario_name, loaded, outcome.seed, outcome.fault_profile.as_ref())?;
        }
        let failure_at = outcome.first_failure_at_ms();
        match mode {
            // Printed as the records streamed by.
            TimelineMode::Full | TimelineMode::Changes if collected.streamed => {}
            TimelineMode::Full | TimelineMode::Changes => {
                write_timeline_heading(&mut out, mode)?;
                let mut marked = false;
                for (at, line) in &collected.lines {
                    if let Some(f) = failure_at.filter(|f| !marked && *at > *f) {
                        write_failure_mark(&mut out, f)?;
                        marked = true;
                    }
                    writeln!(out, "  {line}")?;
                }
            }
            TimelineMode::Summary => {
                let kinds: Vec<String> = collected.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
                writeln!(
                    out,
                    "\ntimeline: {} records ({}); --timeline full or changes prints them, --trace FILE writes them as JSON Lines",
                    collected.total,
                    kinds.join(", ")
                )?;
            }
            TimelineMode::None => {}
        }
        if !outcome.steps.is_empty() {
            writeln!(out, "\nsteps:")?;
            // The names' column: 30 wide, or as wide as the longest name of this run
            // (TerminateInstanceInAutoScalingGroup is 35).
            let width = outcome.steps.iter().map(|s| s.operation.len()).max().unwrap_or(0).max(30);
            // When each step began; one that took time (a wait, a refresh) says when it ended.
            for s in &outcome.steps {
                let until =
                    if s.at_ms > s.started_at_ms { format!(" (until {})", format_sim_time(s.at_ms)) } else { String::new() };
                writeln!(
                    out,
                    "  {:>3}. {}  {:<width$} {}{until}",
                    s.index + 1,
                    format_sim_time(s.started_at_ms),
                    s.operation,
                    s.summary
                )?;
            }
        }
        // One report row at a time, printed and dropped: the text output holds no row of the whole
        // report (JSON streams the same way, `report::write_json`).
        if e.services().next().is_some() {
            writeln!(out, "\nservices:")?;
            let all: Vec<_> = e.services().collect();
            let listed = services_listed(&all);
            if listed.len() < all.len() {
                let notable = all.iter().filter(|s| service_is_notable(s)).count();
                writeln!(
                    out,
                    "  {} services, {notable} with a stall, a floor breach, a placement failure, an UNHEALTHY task or fewer running \
                     than desired; listed: {} of them, those first (--json has every service)",
                    all.len(),
                    listed.len()
                )?;
            }
            for view in listed {
                let daemon_above = drainsim_scenario::outcome::daemon_tasks_above_ceiling(&view);
                let s = report::service_row(view);
                let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
                // An extreme is judged against the bound of its own instant: when the desired count
                // changed since (a DAEMON's follows its ACTIVE instances), say what the bound was then.
                let then = |bound_then: Option<u32>, bound_now: u32, what: &str| match bound_then {
                    Some(b) if b != bound_now => format!(" ({what} then {b})"),
                    _ => String::new(),
                };
                writeln!(
                    out,
                    "  {:<16} desired {:>4}  running {:>4}  healthy {:>4}  floor {:>4}  ceiling {:>4}  minHealthyObserved {:>4}{}  maxTasksObserved {:>4}{}  stalls {}  floorBreaches {}{}{}",
                    s.service_name,
                    s.desired_count,
                    s.running_count,
                    s.healthy_count,
                    s.healthy_floor,
                    s.task_ceiling,
                    opt(s.min_healthy_observed),
                    then(s.floor_at_min_healthy_observed, s.healthy_floor, "floor"),
                    opt(s.max_tasks_observed),
                    // A DAEMON's tasks above the ceiling always say which ceiling they stood
                    // against, so that the two numbers do not read as a breach.
                    match (s.ceiling_at_max_tasks_observed, daemon_above) {
                        (Some(c), Some(n)) => format!(" (ceiling then {c}; {n} on DRAINING instances, stopped last)"),
                        (None, Some(n)) => format!(" ({n} on DRAINING instances, stopped last)"),
                        (c, None) => then(c, s.task_ceiling, "ceiling"),
                    },
                    s.stalls.len(),
                    s.floor_breaches.len(),
                    // Replacements moved again by a later drain: a cost of the plan's order (only
                    // in the JSON before; a helper's four wasted replacements went unread).
                    match s.tasks_moved_more_than_once {
                        0 => String::new(),
                        n => format!("  tasksMovedMoreThanOnce {n}"),
                    },
                    // A deleted service keeps its row (DRAINING, then INACTIVE): one re-created
                    // under its name would otherwise read as a twin.
                    if s.status == "ACTIVE" { String::new() } else { format!("  status {}", s.status) },
                )?;
                // Why a service got stuck, and when: the answer a drain plan needs. A service that
                // stalled again and again (a retry every 30 s for an hour) lists its first and
                // last stalls and counts the rest.
                let t = |v: Option<u64>| v.map_or("still".to_string(), format_sim_time);
                let (first, last) = s.stalls.split_at(s.stalls.len().min(MAX_STALL_LINES / 2));
                let skipped = last.len().saturating_sub(MAX_STALL_LINES / 2);
                let last = &last[skipped..];
                for (k, stall) in first.iter().chain(last).enumerate() {
                    if k == first.len() && skipped > 0 {
                        writeln!(out, "  {:<16} … {skipped} more stalls (--json lists every one)", "")?;
                    }
                    writeln!(
                        out,
                        "  {:<16} stalled {} .. {}: {}",
                        "",
                        format_sim_time(stall.started_at_ms),
                        t(stall.ended_at_ms),
                        stall_explanation(
                            &stall.reason,
                            &stall.member_of,
                            &stall.member_of_instances_lack,
                            stall.capacity_provider.as_deref()
                        )
                    )?;
                }
                if s.unhealthy_tasks > 0 {
                    writeln!(
                        out,
                        "  {:<16} {} {} found UNHEALTHY (adopted so, or failing health checks)",
                        "",
                        s.unhealthy_tasks,
                        if s.unhealthy_tasks == 1 { "task" } else { "tasks" }
                    )?;
                }
                for b in &s.floor_breaches {
                    writeln!(
                        out,
                        "  {:<16} below its floor {} .. {}: {}",
                        "",
                        format_sim_time(b.started_at_ms),
                        t(b.ended_at_ms),
                        b.cause
                    )?;
                }
                if !s.placement_failures.is_empty() {
                    let failures: Vec<String> =
                        s.placement_failures.iter().map(|f| format!("{} x{}", f.reason, f.count)).collect();
                    writeln!(out, "  {:<16} placement failures: {}", "", failures.join(", "))?;
                }
            }
        }
        let drained: Vec<_> = e.instances().filter(|i| i.drain().started_at_ms().is_some()).collect();
        let refused = drainsim_scenario::outcome::refused_drains(e);
        if !drained.is_empty() || !refused.is_empty() {
            writeln!(out, "\ndrains:")?;
            let t = |v: Option<u64>| v.map_or("never".to_string(), format_sim_time);
            let orphaned = drainsim_scenario::outcome::orphaned_tasks_ending_drains(e);
            let listed = drains_listed(&drained, &orphaned);
            if listed.len() < drained.len() {
                writeln!(out, "  {}", drains_summary(e, &scope, &drained, &orphaned, listed.len()))?;
            }
            for i in listed {
                let d = i.drain();
                // A drain that ended because the instance went with tasks still running says so.
                let mut cut_short = match orphaned.get(i.name()) {
                    Some(n) => format!("  ({n} task(s) never stopped: orphaned when the instance went away)"),
                    None => String::new(),
                };
                // The group shrinking after the plan: not in the headline's drain times.
                if scope.begun_by_scale_in(&i) {
                    cut_short.push_str("  (begun by managed scaling's scale-in: not in the drain times)");
                }
                // A drain still open at the end says so, not "at never"; one whose count fell to 0
                // only as the instance went with its tasks says so (a helper read "runningTasksCount
                // 0 at" of a Spot instance terminated with its tasks RUNNING as the tasks stopped).
                let went_with_tasks = orphaned.contains_key(i.name()) && d.no_running_at_ms() == d.completed_at_ms();
                let no_running = d.no_running_at_ms().map_or("runningTasksCount never 0".to_string(), |at| {
                    let when = if went_with_tasks { " (only as the instance went)" } else { "" };
                    format!("runningTasksCount 0 at {}{when}", format_sim_time(at))
                });
                // A drain cancelled by setting the instance ACTIVE again says so, not "not completed".
                let completed = match (d.completed_at_ms(), drainsim_scenario::outcome::drain_cancelled_at(&i)) {
                    (Some(at), _) => format!("completed {}", format_sim_time(at)),
                    (None, Some(at)) => format!("cancelled {} (set ACTIVE again)", format_sim_time(at)),
                    (None, None) => "not completed".to_string(),
                };
                writeln!(
                    out,
                    "  {:<16} started {}  {no_running}  {completed}  status {}{cut_short}",
                    i.name(),
                    t(d.started_at_ms()),
                    i.status().as_str()
                )?;
            }
            // Drains ECS refused (the instance's status could not move): asked for, never begun.
            for r in refused.iter().take(MAX_DRAIN_LINES) {
                writeln!(
                    out,
                    "  {:<16} refused {}: UpdateContainerInstancesState failed with {}; never DRAINING",
                    r.instance,
                    format_sim_time(r.at_ms),
                    r.status.as_str()
                )?;
            }
            if refused.len() > MAX_DRAIN_LINES {
                writeln!(out, "  and {} more drains refused (--json lists every one)", refused.len() - MAX_DRAIN_LINES)?;
            }
        }
        write_managed_scaling(&mut out, outcome)?;
        writeln!(out, "\nexpectations:")?;
        for x in &outcome.expectations {
            // A Check step's expectations say which step, and when; a step's own result names both.
            let when = drainsim_core::time::format_sim_time(x.at_ms);
            let name = match (x.step, x.name.split_once(": ")) {
                // A step's own result: `step 2 WaitForDrain at +00:01:01.000: succeeds`.
                (Some(_), Some((head, tail))) if x.is_steps_own() => format!("{head} at {when}: {tail}"),
                // A Check step's expectation says which step, and when.
                (Some(n), _) => format!("step {n} at {when}: {}", x.name),
                (None, _) => x.name.clone(),
            };
            writeln!(out, "  {} {name}  ({})", paint(if x.passed { "PASS" } else { "FAIL" }, x.passed), x.detail)?;
        }
        if let Some(v) = &outcome.invariant_violation {
            writeln!(out, "  FAIL invariant: {v}")?;
        }
        let secs = wall.as_secs_f64();
        let events = e.events_processed();
        let simulated_s = e.now_ms() as f64 / 1000.0;
        let faster = if secs > 0.0 { format!(", {:.0}x faster than real time", simulated_s / secs) } else { String::new() };
        writeln!(
            out,
            "\nsummary: stopped {} at {}; simulated {} in {:.1} ms wall ({} events, {:.0} events/s{faster}); trace digest {}",
            outcome.stop_reason.as_str(),
            format_sim_time(e.now_ms()),
            drainsim_scenario::timeline::duration_text(e.now_ms()),
            secs * 1000.0,
            events,
            if secs > 0.0 { events as f64 / secs } else { 0.0 },
            drainsim_scenario::report::digest_text(e.trace().digest())
        )?;
        writeln!(out, "headline: {}", drainsim_scenario::explain::run_headline(outcome).0)?;
        for w in finding_lines(warnings) {
            writeln!(out, "{}: {w}", paint(if strict { "error" } else { "warning" }, false))?;
        }
        let failed = outcome.expectations.iter().filter(|x| !x.passed).count();
        let held = match outcome.expectations.len() {
            0 => "no expectation to check".to_string(),
            1 => "the 1 expectation holds".to_string(),
            n => format!("all {n} expectations hold"),
        };
        if !outcome.passed() {
            let what = what_failed(outcome.invariant_violation.is_some(), failed, outcome.expectations.len(), &held);
            writeln!(out, "result: {what}; reproduce with: {reproduce}")?;
        } else if strict && !warnings.is_empty() {
            // The exit status is 1: the last line says why, as it does for a failed expectation.
            writeln!(
                out,
                "result: {held}, but --strict fails the run on {} above that no expectation mentions; reproduce with: {reproduce}",
                count_text(warnings.len(), "finding")
            )?;
        } else {
            writeln!(out, "result: {held}")?;
        }
        Ok(())
    };
    if let Err(e) = write().and_then(|()| out.flush()) {
        exit_on_write_error(&e);
    }
}

/// `drainsim sweep`: exit 0 when every run's expectations hold, 1 when some fail, 2 on invalid input.
fn sweep_command(args: SweepArgs) -> ExitCode {
    use drainsim_scenario::sweep;
    let started = Instant::now();
    let mut workers = None;
    let result = if args.merge {
        // One input at a time, checked and folded in as it is read, then dropped.
        let mut merger = sweep::Merger::default();
        for f in &args.files {
            let name = f.display().to_string();
            if let Err(e) = sweep::read_report(f).and_then(|r| merger.add(&name, &r)) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        merger.finish()
    } else {
        let [file] = args.files.as_slice() else {
            eprintln!("error: sweep runs one scenario file (several files only with --merge)");
            return ExitCode::from(2);
        };
        if let Err(e) = drainsim_scenario::setup::check_account_default_flags(&args.modifiers.account_defaults) {
            return invalid(&e);
        }
        let loaded = match load_file(file) {
            Ok(l) => l,
            Err(e) => return invalid(&e),
        };
        // The scenario's warnings, once, as `run` prints them.
        report_warnings(&loaded, false);
        let opts = sweep::SweepOptions {
            file: file.display().to_string(),
            seeds: args.seeds.expect("clap requires --seeds without --merge"),
            shard: args.shard,
            account_defaults: args.modifiers.account_defaults.clone(),
            swarm_faults: args.modifiers.faults == Some(Faults::Swarm),
            jobs: args.jobs,
        };
        stop_on_ctrl_c("sweep");
        let result = with_seed_progress(sweep::shard_len(opts.seeds, opts.shard), |progress| {
            sweep::sweep(&loaded, &opts, progress, &INTERRUPTED)
        });
        result.map(|run| {
            workers = Some(run.worker_threads_started);
            run.report
        })
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
        let what = match workers {
            Some(1) => "1 worker thread".to_string(),
            Some(n) => format!("{n} worker threads"),
            None => "merged".to_string(),
        };
        say!("wall time {:.2} s ({what})", started.elapsed().as_secs_f64());
    }
    if report.partial {
        eprintln!("interrupted: {} runs finished; the result above covers only them (partial)", report.runs);
        ExitCode::from(EXIT_INTERRUPTED)
    } else if report.failed_runs == 0 {
        ExitCode::SUCCESS
    } else {
        if args.json {
            let which = if report.failures.len() as u64 == report.failed_runs { "" } else { " (of the smallest seeds)" };
            eprintln!(
                "{} of {} runs failed; the reproduce commands{which} are under \"failures\"",
                report.failed_runs, report.runs
            );
        }
        ExitCode::from(1)
    }
}

/// Most datapoints of one capacity provider the text report lists (the JSON report has them all).
const MANAGED_SCALING_TEXT_ROWS: usize = 20;

/// The text report's managed scaling section: per capacity provider with managed scaling ENABLED,
/// its activity and the datapoints at which something changed.
fn write_managed_scaling(out: &mut dyn std::io::Write, outcome: &drainsim_scenario::RunOutcome) -> std::io::Result<()> {
    if outcome.managed_scaling.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nmanaged scaling:")?;
    for m in &outcome.managed_scaling {
        writeln!(
            out,
            "  {:<16} group {}  targetCapacity {}%  scale-outs {}  scale-ins {}  launched {}  terminated {}",
            m.capacity_provider_name,
            m.auto_scaling_group_name,
            m.target_capacity,
            m.scale_outs,
            m.scale_ins,
            m.instances_launched,
            m.instances_terminated
        )?;
        let mut desired_before = m.initial_desired_capacity;
        for p in m.samples.iter().take(MANAGED_SCALING_TEXT_ROWS) {
            // Only the datapoint's own change is shown as one; a change between datapoints was
            // another actor's (a step, a request).
            if desired_before != p.desired_capacity_before {
                writeln!(
                    out,
                    "  {:<16} by {}  desired {desired_before} -> {} (set between datapoints by a step or request, not managed scaling)",
                    "",
                    format_sim_time(p.at_ms),
                    p.desired_capacity_before
                )?;
            }
            desired_before = p.desired_capacity_before;
            let desired = if desired_before != p.desired_capacity {
                format!("desired {desired_before} -> {}", p.desired_capacity)
            } else {
                format!("desired {}", p.desired_capacity)
            };
            desired_before = p.desired_capacity;
            writeln!(
                out,
                "  {:<16} {}  CapacityProviderReservation {}.{:02}% (M {} / N {})  PROVISIONING {}  {desired}",
                "",
                format_sim_time(p.at_ms),
                p.capacity_provider_reservation_hundredths / 100,
                p.capacity_provider_reservation_hundredths % 100,
                p.instances_needed,
                p.instances_running,
                p.tasks_provisioning
            )?;
        }
        let more = m.samples.len().saturating_sub(MANAGED_SCALING_TEXT_ROWS);
        if more > 0 || m.samples_truncated {
            writeln!(out, "  {:<16} ... {more} more datapoints in the JSON report", "")?;
        }
        if let Some(err) = &m.error {
            writeln!(out, "  {:<16} refused: {err}", "")?;
        }
    }
    Ok(())
}

/// What failed in a run that did not pass, for its last line: an invariant violation fails the
/// run whatever its expectations say (it read "0 of 1 expectations failed" under its FAIL line).
fn what_failed(invariant_violated: bool, failed: usize, expectations: usize, held: &str) -> String {
    match (invariant_violated, failed) {
        (true, 0) => format!("the engine's invariants failed ({held})"),
        (true, _) => format!("the engine's invariants failed, and {failed} of {expectations} expectations"),
        (false, _) => format!("{failed} of {expectations} expectations failed"),
    }
}

#[cfg(test)]
mod tests {
    /// A signal within a second of the first is the same interruption (`timeout` signals the
    /// process and then its group); one a second or more later ends the process at once.
    #[test]
    fn a_repeated_signal_ends_the_process_only_after_the_window() {
        use std::time::Duration;
        assert!(!super::ends_at_once(Duration::ZERO));
        assert!(!super::ends_at_once(Duration::from_millis(999)));
        assert!(super::ends_at_once(Duration::from_secs(1)));
        assert!(super::ends_at_once(Duration::from_secs(30)));
    }

    #[test]
    fn a_run_whose_invariants_failed_says_so_beside_its_expectations() {
        assert_eq!(
            super::what_failed(true, 0, 1, "the 1 expectation holds"),
            "the engine's invariants failed (the 1 expectation holds)"
        );
        assert_eq!(super::what_failed(true, 2, 4, "-"), "the engine's invariants failed, and 2 of 4 expectations");
        assert_eq!(super::what_failed(false, 2, 4, "-"), "2 of 4 expectations failed");
    }

    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_for(true, None));
        assert!(!colour_for(false, None));
        assert!(!colour_for(true, Some("1".into())));
        assert!(colour_for(true, Some("".into())), "an empty NO_COLOR does not count");
    }

    #[test]
    fn a_trace_longer_than_its_bound_is_cut_at_a_record_and_refused() {
        let loaded = load_str(drainsim_scenario::DEMO_FILE, drainsim_scenario::DEMO_SCENARIO).expect("the demo loads");
        let opts = RunOptions { keep_records: true, ..Default::default() };
        let whole = runner::run(&loaded, &opts).expect("runs");
        let lines: Vec<String> = whole
            .engine
            .trace()
            .records()
            .iter()
            .map(|r| format!("{}\n", serde_json::to_string(&timeline::trace_line(&whole.engine, r)).expect("serializes")))
            .collect();
        // Room for exactly the first three records.
        let bound: usize = lines[..3].iter().map(String::len).sum();
        let mut bytes = Vec::new();
        let mut file = TraceFile::new(&mut bytes, bound as u64 + 1);
        let mut sink = |e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord]| file.write(e, records);
        runner::run_streaming(&loaded, &opts, &mut sink).expect("runs");
        let err = file.finish().expect_err("the trace does not fit");
        assert!(err.contains("the file holds its first 3 records"), "{err}");
        assert_eq!(String::from_utf8(bytes).unwrap(), lines[..3].concat());
        // A bound the whole trace fits in writes it all.
        let mut bytes = Vec::new();
        let mut file = TraceFile::new(&mut bytes, lines.iter().map(String::len).sum::<usize>() as u64);
        let mut sink = |e: &drainsim_core::Engine, records: &[drainsim_core::TraceRecord]| file.write(e, records);
        runner::run_streaming(&loaded, &opts, &mut sink).expect("runs");
        file.finish().expect("fits");
        assert_eq!(String::from_utf8(bytes).unwrap(), lines.concat());
    }
}
