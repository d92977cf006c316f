//! The standing soak: fuzz targets for the inputs drainsim takes, each asserting no panic, no run
//! past its bound, and errors with a position (docs/reliability.md gives the long-soak command and
//! its last figures).
//!
//! - `scenario_files`: every file under `scenarios/` (valid and invalid), mutated — bytes deleted,
//!   duplicated or replaced (also by bytes that are not UTF-8), numbers blown up, block comments,
//!   escape sequences and deep nesting inserted — is read by `load_file` and either refused at a
//!   `line:column` inside the file or run (its bounds capped) with its invariants checked after
//!   every event (at the end for a scenario of more than 1,000 instances), ending within its event
//!   bound.
//! - `cli_arguments`: random argument lists for the `drainsim` binary (every subcommand and flag,
//!   valid and absurd values, files that exist and files that do not), each run as a process that
//!   must exit 0, 1 or 2 within its bound, with an error on stderr (and no Rust Debug text) when it
//!   exits 2.
//! - `sweep_json`: the JSON `sweep --merge` reads, mutated: refused with a message naming the input,
//!   or merged — never a panic.
//! - `query_strings`: cluster query language expressions, parsed (refused at a column inside the
//!   text, or parsed back from their canonical text to the same expression) and used as a
//!   ListContainerInstances filter.
//! - `import_json`: the AWS CLI output `drainsim import` reads, mutated as JSON values and as text:
//!   refused naming a file and a JSON path, or written as a scenario that loads and sets up.
//!
//! CI runs a bounded number of cases (`SOAK_CASES`; by default 200 files, 40 argument lists, 200
//! JSON pairs, 400 queries and 200 imports, a few seconds); a
//! long soak sets it (`SOAK_CASES=100000 cargo test --release --test soak -- --nocapture`). Each
//! target prints its figures: inputs tried, panics, hangs, wall time.

#[path = "common/mutation.rs"]
mod mutation;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mutation::{apply, Mutation};

use drainsim_scenario::{load_file, run, RunOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

/// The most events a soaked scenario may process (its own `maxEvents` is capped to this).
const MAX_EVENTS: u64 = 100_000;
/// Scenarios of at most this many instances have their invariants checked after every event.
const SMALL_INSTANCES: u64 = 1_000;
/// How long one `drainsim` process may take before it counts as a hang (a run is bounded by its
/// events; this is far above what any generated argument list needs).
const PROCESS_BOUND: Duration = Duration::from_secs(60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Cases of a target: `SOAK_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("SOAK_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A runner with a fixed seed unless `PROPTEST_RNG_SEED` is set (CI sees the same inputs).
fn runner(cases: u32) -> TestRunner {
    let mut config = Config { cases, failure_persistence: None, ..Config::default() };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x50a6_0018);
    }
    TestRunner::new(config)
}

/// Every `.ron` file under `scenarios/`, sorted.
fn every_scenario_file() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("readable") {
            let p = e.expect("an entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "ron") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("scenarios"), &mut out);
    out.sort();
    out
}

/// A fresh directory for one target's files, removed when the target ends.
fn temp_dir(target: &str) -> TempDir {
    TempDir::new(&format!("soak-{target}"))
}

/// Prints a target's figures.
fn figures(target: &str, tried: u64, panics: u64, hangs: u64, started: Instant) {
    eprintln!(
        "soak {target}: {tried} inputs tried, {panics} panics, {hangs} hangs, {:.1} s wall",
        started.elapsed().as_secs_f64()
    );
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 1usize..60).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => (any::<usize>(), 1usize..60).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        3 => (any::<usize>(), prop::sample::select(b"(){}[],:\"0-9aZ \n/*\\#r\xff\xc3\xe9\x00".to_vec()))
            .prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        3 => (
            any::<usize>(),
            prop::sample::select(vec![
                "0", "1", "18446744073709551615", "18446744073709551616", "99999999999", "-1", "4294967295",
                "4294967296", "1125899906842624", "1125899906842625", "1e9", "0.5", "0x10", "100001",
            ])
        )
            .prop_map(|(nth, value)| Mutation::Number { nth, value }),
        2 => (
            any::<usize>(),
            prop::sample::select(vec![
                "/* a comment */", "/* \"web\" */", "/* /* nested */ */", "// line\n", "/* unclosed", "\"", "r#\"raw\"#",
                "Some(", "None", ",", "()", "\u{e9}", "\u{1F600}",
            ])
        )
            .prop_map(|(at, text)| Mutation::Insert { at, text }),
        1 => any::<usize>().prop_map(|nth| Mutation::Escape { nth }),
        1 => (any::<usize>(), prop_oneof![1usize..50, Just(10_000usize)]).prop_map(|(at, depth)| Mutation::Nest { at, depth }),
    ]
}

/// One mutated file: refused with a position inside it, or run within its bounds. The error
/// names what went wrong.
fn soak_file(path: &Path, text: &[u8]) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let lines = text.split(|b| *b == b'\n').count();
    let positioned = |e: &drainsim_scenario::ScenarioError| {
        if e.line >= 1 && e.column >= 1 && e.line <= lines && !e.message.is_empty() {
            Ok(())
        } else {
            Err(format!("an error without a position inside the file ({lines} lines): {e}"))
        }
    };
    let mut loaded = match load_file(path) {
        Err(e) => return positioned(&e),
        Ok(l) => l,
    };
    // Keep runs short: the point is no panic and no run past its bound, not the outcome.
    loaded.scenario.end_time_ms = Some(loaded.scenario.end_time_ms.unwrap_or(u64::MAX).min(6 * 3_600_000));
    loaded.scenario.max_events = Some(loaded.scenario.max_events.unwrap_or(u64::MAX).min(MAX_EVENTS));
    // Every invariant after every event costs the size of the state each time: a mutation that
    // makes 60,000 instances (`count: 0x10` beside a group of 60,000) would take hours. Such
    // scenarios are checked at the end, as a release build of `drainsim run` does.
    let instances: u64 = loaded.scenario.instances.iter().map(|g| u64::from(g.count)).sum();
    let every_event = instances <= SMALL_INSTANCES;
    match run(&loaded, &RunOptions { check_invariants_every_event: every_event, ..Default::default() }) {
        Err(e) => positioned(&e),
        Ok(o) if o.engine.events_processed() > MAX_EVENTS => {
            Err(format!("{} events, past the bound of {MAX_EVENTS}", o.engine.events_processed()))
        }
        Ok(o) => match o.invariant_violation {
            Some(v) => Err(format!("invariant violated: {v}")),
            None => Ok(()),
        },
    }
}

fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

#[test]
fn scenario_files() {
    let sources: Vec<(PathBuf, Vec<u8>)> =
        every_scenario_file().into_iter().map(|p| (p.clone(), std::fs::read(&p).expect("readable"))).collect();
    let dir = temp_dir("files");
    let n = cases(200);
    let started = Instant::now();
    let tried = std::sync::atomic::AtomicU64::new(0);
    let strategy = (0..sources.len(), prop::collection::vec(mutation(), 1..4));
    let result = runner(n).run(&strategy, |(source, mutations)| {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut text = sources[source].1.clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        let path = dir.join("mutated.ron");
        let outcome = std::panic::catch_unwind(|| soak_file(&path, &text));
        let what = match outcome {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(p) => format!("panic: {}", panic_text(p)),
        };
        Err(TestCaseError::fail(format!(
            "{what}\nfrom {} with {mutations:?}\n--- the input ---\n{}",
            sources[source].0.display(),
            String::from_utf8_lossy(&text)
        )))
    });
    let tried = tried.into_inner();
    match result {
        Ok(()) => figures("scenario_files", tried, 0, 0, started),
        Err(TestError::Fail(why, _)) => {
            let panics = u64::from(why.message().starts_with("panic:"));
            figures("scenario_files", tried, panics, 0, started);
            panic!("{why}");
        }
        Err(e) => panic!("{e}"),
    }
}

/// One argument of a generated command line: a fixed word, or a value drawn for a flag.
fn argument_list() -> impl Strategy<Value = Vec<String>> {
    let files = prop::sample::select(vec![
        "scenarios/demo.ron",
        "scenarios/drain/seed-min50-max200.ron",
        "scenarios/format/faults.ron",
        "scenarios/regressions/clock-edge-retry.ron",
        "scenarios/invalid/truncated.ron",
        "scenarios/invalid/duplicate_name_after_block_comment.ron",
        "scenarios/no-such-file.ron",
        "scenarios",
        "tests/data/aws/three-zones",
        "tests/data/aws/three-zones/describe-tasks.json",
        "",
        "-",
        "\u{e9}.ron",
    ]);
    let seeds = prop::sample::select(vec![
        "0..3",
        "5..6",
        "0..0",
        "3..1",
        "0..10000001",
        "0..=3",
        "a..b",
        "18446744073709551614..18446744073709551615",
        "0",
        "..",
        "-1..2",
    ]);
    let numbers = prop::sample::select(vec!["0", "1", "2", "256", "257", "65535", "-1", "18446744073709551616", "x", ""]);
    let shards = prop::sample::select(vec!["1/2", "2/2", "3/2", "0/1", "1/0", "4/4", "1/10000001", "1", "a/b"]);
    let word = prop_oneof![
        3 => files.prop_map(str::to_string),
        2 => seeds.prop_map(|s| format!("--seeds={s}")),
        2 => numbers.clone().prop_map(|n| format!("--jobs={n}")),
        2 => numbers.clone().prop_map(|n| format!("--seed={n}")),
        1 => shards.prop_map(|s| format!("--shard={s}")),
        1 => prop::sample::select(vec!["--json", "--merge", "--faults=swarm", "--faults=none", "--timeline=none", "--timeline=full",
            "--account-default=awsvpcTrunking=enabled", "--account-default=x", "--account-default==", "--help", "-V", "--bogus",
            "--trace=TRACE", "--trace=/nonexistent-dir/t.txt", "instance", "task", "attachment", "service",
            "--set=web.deploymentConfiguration.maximumPercent=150", "--set=timings.jitterPercent=101", "--set=x", "--set==",
            "--drain=i-0a1c2e3f405a6b701", "--drain=attribute:ecs.availability-zone == us-east-1a", "--drain=not (", "--wave=0",
            "--wave=5", "--wave=1001", "-o", "--output=OUT", "--svg=SVG", "--svg=/nonexistent-dir/run.svg"])
            .prop_map(str::to_string),
    ];
    let command =
        prop::sample::select(vec!["run", "check", "sweep", "compare", "import", "explain", "graph", "help", "bogus", ""]);
    (command, prop::collection::vec(word, 0..6)).prop_map(|(c, mut words)| {
        if !c.is_empty() {
            words.insert(0, c.to_string());
        }
        words
    })
}

/// Runs `drainsim` with the arguments; the exit code, stderr, and whether it ran past its bound.
fn run_binary(args: &[String], trace: &Path) -> (Option<i32>, String, bool) {
    let out = trace.with_file_name("out.ron");
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("TRACE", &trace.display().to_string())
                .replace("OUT", &out.display().to_string())
                .replace("SVG", &trace.with_file_name("run.svg").display().to_string())
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(&args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return (status.code(), reader.join().unwrap_or_default(), false);
        }
        if started.elapsed() > PROCESS_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            return (None, reader.join().unwrap_or_default(), true);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn cli_arguments() {
    let dir = temp_dir("cli");
    let trace = dir.join("trace.txt");
    let n = cases(40);
    let started = Instant::now();
    let tried = std::sync::atomic::AtomicU64::new(0);
    let hangs = std::sync::atomic::AtomicU64::new(0);
    let panics = std::sync::atomic::AtomicU64::new(0);
    let result = runner(n).run(&argument_list(), |args| {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (code, stderr, hung) = run_binary(&args, &trace);
        if hung {
            hangs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Err(TestCaseError::fail(format!("drainsim {args:?} ran past {PROCESS_BOUND:?}")));
        }
        if stderr.contains("panicked") {
            panics.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Err(TestCaseError::fail(format!("drainsim {args:?} panicked:\n{stderr}")));
        }
        prop_assert!(matches!(code, Some(0..=2)), "drainsim {:?} exited {:?}:\n{}", args, code, stderr);
        if code == Some(2) {
            prop_assert!(stderr.starts_with("error"), "drainsim {:?} exited 2 without an error:\n{}", args, stderr);
            prop_assert!(
                !["Error {", "Some(\"", "Shard {", "SeedRange {"].iter().any(|d| stderr.contains(d)),
                "Rust Debug text:\n{}",
                stderr
            );
        }
        Ok(())
    });
    figures("cli_arguments", tried.into_inner(), panics.into_inner(), hangs.into_inner(), started);
    match result {
        Ok(()) => {}
        Err(e) => panic!("{e}"),
    }
}

/// The one JSON drainsim reads: `sweep --merge` inputs. Two real shard results, each mutated, are
/// read by `parse_report` and, when both are accepted, merged: refused with a message naming the
/// input (and no Rust Debug text), or merged — never a panic.
#[test]
fn sweep_json() {
    use drainsim_scenario::sweep::{self, SweepOptions};
    let loaded = load_file(&root().join("scenarios/drain/seed-min50-max200.ron")).expect("loads");
    let shard = |index| {
        let opts = SweepOptions {
            file: "scenarios/drain/seed-min50-max200.ron".into(),
            seeds: sweep::SeedRange { start: 0, end: 6 },
            shard: Some(sweep::Shard { index, count: 2 }),
            jobs: Some(1),
            swarm_faults: true,
            ..Default::default()
        };
        let run = sweep::sweep(&loaded, &opts, &|| {}, &std::sync::atomic::AtomicBool::new(false)).expect("sweeps");
        sweep::render_json(&run.report).expect("renders").into_bytes()
    };
    let shards = [shard(1), shard(2)];
    let n = cases(200);
    let started = Instant::now();
    let tried = std::sync::atomic::AtomicU64::new(0);
    let strategy = (prop::collection::vec(mutation(), 0..3), prop::collection::vec(mutation(), 0..3));
    let result = runner(n).run(&strategy, |(first, second)| {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let texts: Vec<String> = [first, second]
            .iter()
            .zip(&shards)
            .map(|(ms, s)| String::from_utf8_lossy(&ms.iter().fold(s.clone(), |t, m| apply(&t, m))).into_owned())
            .collect();
        let outcome = std::panic::catch_unwind(|| {
            let parsed: Vec<Result<_, String>> =
                texts.iter().enumerate().map(|(k, t)| sweep::parse_report(&format!("shard{k}.json"), t)).collect();
            for (k, p) in parsed.iter().enumerate() {
                if let Err(e) = p {
                    if !e.starts_with(&format!("shard{k}.json: ")) {
                        return Err(format!("the error does not name its input: {e}"));
                    }
                }
            }
            let inputs: Vec<(String, _)> =
                parsed.into_iter().enumerate().filter_map(|(k, p)| p.ok().map(|r| (format!("shard{k}.json"), r))).collect();
            match sweep::merge(&inputs) {
                // What Debug prints of an Option<String> or a struct, never a message's own words.
                Err(e) if ["Some(\"", "Shard {", "SeedRange {", "[\""].iter().any(|d| e.contains(d)) => {
                    Err(format!("Rust Debug text: {e}"))
                }
                _ => Ok(()),
            }
        });
        let what = match outcome {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(p) => format!("panic: {}", panic_text(p)),
        };
        Err(TestCaseError::fail(format!("{what}\n--- the inputs ---\n{}\n---\n{}", texts[0], texts[1])))
    });
    let tried = tried.into_inner();
    match result {
        Ok(()) => figures("sweep_json", tried, 0, 0, started),
        Err(TestError::Fail(why, _)) => {
            figures("sweep_json", tried, u64::from(why.message().starts_with("panic:")), 0, started);
            panic!("{why}");
        }
        Err(e) => panic!("{e}"),
    }
}

/// A cluster query language expression: grammar pieces (subjects, operators, values, connectors,
/// brackets) and garbage, sometimes repeated past the length and nesting bounds.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "attribute:ecs.instance-type",
        "attribute:ecs.availability-zone",
        "attribute:stack",
        "attribute:",
        "ec2InstanceId",
        "agentConnected",
        "agentVersion",
        "registeredAt",
        "runningTasksCount",
        "task:group",
        "memberOf(",
        "==",
        "!=",
        ">",
        ">=",
        "<",
        "<=",
        "exists",
        "!exists",
        "not_exists",
        "in",
        "!in",
        "not_in",
        "=~",
        "!~",
        "matches",
        "not_matches",
        "and",
        "or",
        "not",
        "&&",
        "||",
        "!",
        "(",
        ")",
        "[",
        "]",
        ",",
        "t2.micro",
        "t2.*",
        "'quoted value'",
        "\"dq\"",
        "'",
        "\"",
        "true",
        "false",
        "1.29.0",
        "v1.2",
        "2019-06-06",
        "2019-06-06T12:00:00Z",
        "-1",
        "18446744073709551616",
        "0",
        "us-east-1a",
        "i-0123456789abcdef0",
        "service:web",
        "family:app",
        "*",
        "\\",
        "\u{e9}",
        "\u{1F600}",
        "\0",
        " ",
        "  ",
    ]);
    prop_oneof![
        9 => prop::collection::vec(piece, 0..14).prop_map(|p| p.join(" ")),
        1 => (prop::sample::select(vec!["(", "not ", "!", "a", "attribute:x == y and "]), 60usize..1200)
            .prop_map(|(p, n)| p.repeat(n)),
        1 => ".{0,40}",
    ]
}

/// An engine with a few instances to evaluate queries against (ListContainerInstances' filter).
fn query_engine() -> drainsim_core::Engine {
    use drainsim_core::api::*;
    let mut e = drainsim_core::Engine::new(drainsim_core::EngineConfig::default());
    e.create_cluster("prod").expect("a valid name");
    for (n, (ty, az)) in [("t2.micro", "us-east-1a"), ("c5.large", "us-east-1b"), ("m5.large", "us-east-1c")].iter().enumerate() {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
            attributes: vec![Attribute {
                name: "stack".into(),
                value: Some(format!("s{n}")),
                target_type: None,
                target_id: None,
            }],
            instance_identity: InstanceIdentity {
                name: format!("i{n}"),
                instance_type: (*ty).into(),
                availability_zone: (*az).into(),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("registers");
    }
    e
}

/// Query strings: `Query::parse` refuses with a column inside the text (or just after it), or
/// accepts an expression whose canonical text parses back to it; ListContainerInstances with it as
/// its filter answers or refuses with an ECS error — never a panic.
#[test]
fn query_strings() {
    use drainsim_core::query::Query;
    let engine = query_engine();
    let n = cases(400);
    let started = Instant::now();
    let tried = std::sync::atomic::AtomicU64::new(0);
    let result = runner(n).run(&query_text(), |text| {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = std::panic::catch_unwind(|| -> Result<(), String> {
            match Query::parse(&text) {
                Err(e) => {
                    let chars = text.chars().count();
                    if e.column() < 1 || e.column() > chars + 1 {
                        return Err(format!("column {} outside the {chars} characters: {e}", e.column()));
                    }
                }
                Ok(q) => {
                    let canonical = q.to_string();
                    match Query::parse(&canonical) {
                        Ok(again) if again == q => {}
                        other => return Err(format!("the canonical text {canonical:?} does not parse back: {other:?}")),
                    }
                }
            }
            let mut e = engine.clone();
            let _ = e.handle(drainsim_core::api::Request::ListContainerInstances(
                drainsim_core::api::ListContainerInstancesRequest {
                    cluster: Some("prod".into()),
                    filter: Some(text.clone()),
                    ..Default::default()
                },
            ));
            Ok(())
        });
        let what = match outcome {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(p) => format!("panic: {}", panic_text(p)),
        };
        Err(TestCaseError::fail(format!("{what}\nthe query: {text:?}")))
    });
    let tried = tried.into_inner();
    match result {
        Ok(()) => figures("query_strings", tried, 0, 0, started),
        Err(TestError::Fail(why, _)) => {
            figures("query_strings", tried, u64::from(why.message().starts_with("panic:")), 0, started);
            panic!("{why}");
        }
        Err(e) => panic!("{e}"),
    }
}

/// One change somewhere in a JSON value: a field removed, nulled or given another type, an array
/// item replaced, a number blown up, a string lengthened.
fn mutate_json(v: &mut serde_json::Value, choice: &mut impl Iterator<Item = u32>) {
    use serde_json::{json, Value};
    let pick = choice.next().unwrap_or(0);
    match v {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = keys[pick as usize % keys.len()].clone();
            match choice.next().unwrap_or(0) % 5 {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, Value::Null);
                }
                2 => {
                    map.insert(key, json!([1, "x", {"y": -1}]));
                }
                3 => {
                    map.insert(key, json!(18_446_744_073_709_551_615_u64));
                }
                _ => mutate_json(map.get_mut(&key).expect("a key"), choice),
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let n = pick as usize % items.len();
            match choice.next().unwrap_or(0) % 4 {
                0 => items[n] = Value::String("garbage".into()),
                1 => {
                    let copy = items[n].clone();
                    items.push(copy);
                }
                _ => mutate_json(&mut items[n], choice),
            }
        }
        Value::Number(_) => *v = [json!(-9_999_999_999_i64), json!(1e300), json!(0), json!(u64::MAX)][pick as usize % 4].clone(),
        Value::String(s) => s.push_str(["\u{0}:", "'", "é", "-1", " "][pick as usize % 5]),
        _ => *v = Value::Bool(true),
    }
}

/// The JSON `drainsim import` reads (AWS CLI output, the fixture `tests/data/aws/three-zones/`),
/// mutated as JSON values or as text, with and without a drain plan: the import fails naming a file
/// and a JSON path, or writes a scenario that loads (or is refused with a position) and whose setup
/// runs or is refused — never a panic.
#[test]
fn import_json() {
    use drainsim_scenario::import::{import, read_inputs, DrainSelection, ImportOptions};
    let inputs = read_inputs(&[root().join("tests/data/aws/three-zones")]).expect("the fixture reads");
    let drains = ["", "i-0a1c2e3f405a6b701", "attribute:ecs.availability-zone == us-east-1a", "not (", "i-0nothere"];
    let n = cases(200);
    let started = Instant::now();
    let tried = std::sync::atomic::AtomicU64::new(0);
    let strategy = (
        0..inputs.len(),
        prop::collection::vec(0u32..1000, 1..14),
        prop::collection::vec(mutation(), 0..2),
        0..drains.len(),
        prop_oneof![Just(10u32), Just(1), Just(0), Just(1001)],
    );
    let result = runner(n).run(&strategy, |(file, path, text_mutations, drain, wave)| {
        tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut inputs = inputs.clone();
        let mut v: serde_json::Value = serde_json::from_str(&inputs[file].1).expect("the fixture is JSON");
        mutate_json(&mut v, &mut path.iter().copied());
        let bytes = text_mutations.iter().fold(v.to_string().into_bytes(), |t, m| apply(&t, m));
        inputs[file].1 = String::from_utf8_lossy(&bytes).into_owned();
        let opts = ImportOptions { drain: DrainSelection::parse(drains[drain]), wave_size: wave, ..Default::default() };
        let outcome = std::panic::catch_unwind(|| -> Result<(), String> {
            match import(&inputs, &opts) {
                // An error names its file and JSON path, or its command-line flag (no path).
                Err(e) if e.file.is_empty() || !(e.path.starts_with('$') || e.file.starts_with("--") && e.path.is_empty()) => {
                    Err(format!("an error without a file and a path: {e}"))
                }
                Err(_) => Ok(()),
                Ok(imported) => {
                    let text = drainsim_scenario::write::to_ron(&imported.scenario);
                    match drainsim_scenario::load_str("cluster.ron", &text) {
                        Ok(loaded) => {
                            let _ = drainsim_scenario::runner::check_setup(&loaded);
                            Ok(())
                        }
                        Err(e) if e.line >= 1 && e.column >= 1 => Ok(()),
                        Err(e) => Err(format!("the written scenario is refused without a position: {e}")),
                    }
                }
            }
        });
        let what = match outcome {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(p) => format!("panic: {}", panic_text(p)),
        };
        Err(TestCaseError::fail(format!("{what}\nfile {} mutated at {path:?} and {text_mutations:?}", inputs[file].0)))
    });
    let tried = tried.into_inner();
    match result {
        Ok(()) => figures("import_json", tried, 0, 0, started),
        Err(TestError::Fail(why, _)) => {
            figures("import_json", tried, u64::from(why.message().starts_with("panic:")), 0, started);
            panic!("{why}");
        }
        Err(e) => panic!("{e}"),
    }
}
