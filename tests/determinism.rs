//! Determinism over seeds: for random seeds (with and without swarm faults), each of a few scenario
//! files runs twice record for record alike (`runner::check_determinism`), and keeping the records
//! does not change the trace digest. A failure names the command that replays the seed.

use std::path::Path;

use drainsim_scenario::runner::{check_determinism, run};
use drainsim_scenario::{load_file, LoadedScenario, RunOptions};
use proptest::prelude::*;

const FILES: [&str; 3] = ["scenarios/demo.ron", "scenarios/drain/seed-min50-max200.ron", "scenarios/eni/c5large-trunking.ron"];

fn load(rel: &str) -> LoadedScenario {
    load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Seeds per run: `PROPTEST_CASES` when set, else 64 (each seed runs every file three times).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_seed_runs_alike_twice(seed in any::<u64>(), swarm_faults in any::<bool>()) {
        for rel in FILES {
            let loaded = load(rel);
            let opts = RunOptions { seed: Some(seed), swarm_faults, ..Default::default() };
            let reproduce = format!("drainsim run {rel} --seed {seed}{}", if swarm_faults { " --faults swarm" } else { "" });
            let digest = match check_determinism(&loaded, &opts) {
                Ok(d) => d,
                Err(e) => return Err(TestCaseError::fail(format!("{rel} is not deterministic: {e}\nreproduce with: {reproduce}"))),
            };
            let lean = run(&loaded, &RunOptions { keep_records: false, ..opts.clone() }).expect("it ran once already");
            prop_assert_eq!(lean.engine.trace().digest(), Some(digest), "{}: keeping records changed the digest ({})", rel, reproduce);
            // A sweep's run computes no digest: otherwise the same run, record for record.
            let with_records = RunOptions { keep_records: true, ..opts };
            let undigested = run(&loaded, &RunOptions { skip_trace_digest: true, ..with_records.clone() }).expect("it ran once already");
            let digested = run(&loaded, &with_records).expect("it ran once already");
            prop_assert_eq!(undigested.engine.trace().digest(), None);
            prop_assert_eq!(digested.engine.trace().digest(), Some(digest));
            prop_assert!(undigested.engine.trace().records() == digested.engine.trace().records(), "{}: skipping the digest changed the trace ({})", rel, reproduce);
        }
    }
}
