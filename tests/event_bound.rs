//! The event bound (`maxEvents`) cuts a run short wherever it falls, steps that run the clock
//! included (`WaitForDrain`, `RolloutInstances`, `StartInstanceRefresh`, `SetDesiredCapacity`,
//! `RunUntilQuiet`): the bounded run is the unbounded one's prefix, record for record, stops with
//! reason `maxEvents` after exactly that many events when the full run has more, and runs no step
//! past the bound (docs/scenario-format.md, "endTimeMs and maxEvents"). A bound the run never
//! needed (as many events as it has, or 0 in a run of none) cuts nothing. Before, a bound inside
//! such a step let the steps after it run, and a refresh stopped at a bound that cut nothing.

use std::path::Path;

use drainsim_core::StopReason;
use drainsim_scenario::runner::run;
use drainsim_scenario::{load_file, RunOptions};

const FILES: [&str; 7] = [
    "scenarios/drain/drain-two-waves.ron",
    "scenarios/rollouts/instance-refresh-checkpoints.ron",
    "scenarios/rollouts/instance-refresh-checkpoints-reached-together.ron",
    "scenarios/rollouts/ami-rollout-waves-of-10-percent.ron",
    "scenarios/rollouts/instance-refresh-hook-timeout.ron",
    "scenarios/rollouts/managed-draining-hook-timeout.ron",
    "scenarios/regressions/max-events-inside-a-wait.ron",
];

#[test]
fn a_bounded_run_is_the_prefix_of_the_unbounded_one() {
    let opts = RunOptions { keep_records: true, ..Default::default() };
    for rel in FILES {
        let mut loaded = load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        loaded.scenario.max_events = None;
        let full = run(&loaded, &opts).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let events = full.engine.events_processed();
        let mut bounds = vec![0, events / 8, events / 3, events / 2, events * 3 / 4, events.saturating_sub(1), events];
        bounds.dedup();
        for k in bounds {
            loaded.scenario.max_events = Some(k);
            let cut = run(&loaded, &opts).unwrap_or_else(|e| panic!("{rel} with maxEvents {k}: {e}"));
            if k < events {
                assert_eq!(cut.stop_reason, StopReason::MaxEvents, "{rel} with maxEvents {k}");
                assert_eq!(cut.engine.events_processed(), k, "{rel}");
            }
            let (cut_records, full_records) = (cut.engine.trace().records(), full.engine.trace().records());
            assert!(cut_records.len() <= full_records.len(), "{rel} with maxEvents {k}");
            if let Some(n) = cut_records.iter().zip(full_records).position(|(a, b)| a != b) {
                panic!("{rel} with maxEvents {k}: record {n} differs:\n{:?}\n{:?}", cut_records[n], full_records[n]);
            }
            // The steps the cut run ran are the full run's first ones, at the same times.
            let ran: Vec<(usize, u64)> = cut.steps.iter().map(|s| (s.index, s.at_ms)).collect();
            let full_ran: Vec<(usize, u64)> = full.steps.iter().take(ran.len()).map(|s| (s.index, s.at_ms)).collect();
            assert!(
                ran.len() <= full_ran.len() && ran[..ran.len().saturating_sub(1)] == full_ran[..ran.len().saturating_sub(1)],
                "{rel} with maxEvents {k}: {ran:?} against {full_ran:?}"
            );
        }
    }
}
