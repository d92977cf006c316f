//! `drainsim explore` throughput (docs/explore.md): distinct states per second, beside the engine's
//! events per second in the same run.
//!
//! - `explore/states/<scenario>`: one full exploration; the throughput is its distinct states.
//! - `explore/events/<scenario>`: the same exploration; the throughput is the engine events its
//!   transitions processed (what the explorer makes of the engine's speed: cloning a state,
//!   re-running a transition for each combination of its choices, digesting the result).
//! - `explore/engine/<scenario>`: the scenario run once by the runner (its choices all 0: no
//!   fault); the throughput is its events (the engine alone).
//!
//! The ratio of the last two is the explorer's overhead per engine event (docs/explore.md#speed).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use drainsim_scenario::explore::{explore, ExploreOptions};
use drainsim_scenario::{load_file, runner, RunOptions};

const SCENARIOS: [&str; 2] = ["three-instances-start-failures", "window-three-spares-disconnected"];

fn exploration(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut g = c.benchmark_group("explore");
    g.sample_size(10);
    for name in SCENARIOS {
        let loaded = load_file(&root.join("scenarios/explore").join(format!("{name}.ron"))).expect("the scenario loads");
        let opts = ExploreOptions::default();
        let report = explore(&loaded, &opts, &|| false).expect("explores");
        let run = runner::run(&loaded, &RunOptions::default()).expect("runs");
        println!(
            "{name}: {} distinct states ({} visited), {} engine events in the exploration; one seeded run: {} events",
            report.distinct_states,
            report.states_visited,
            report.engine_events,
            run.engine.events_processed()
        );
        g.throughput(Throughput::Elements(report.distinct_states));
        g.bench_function(format!("states/{name}"), |b| b.iter(|| explore(&loaded, &opts, &|| false).expect("explores")));
        g.throughput(Throughput::Elements(report.engine_events));
        g.bench_function(format!("events/{name}"), |b| b.iter(|| explore(&loaded, &opts, &|| false).expect("explores")));
        g.throughput(Throughput::Elements(run.engine.events_processed()));
        g.bench_function(format!("engine/{name}"), |b| b.iter(|| runner::run(&loaded, &RunOptions::default()).expect("runs")));
    }
    g.finish();
}

criterion_group!(benches, exploration);
criterion_main!(benches);
