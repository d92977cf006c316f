//! The streamed JSON report (`report::write_json`) is byte for byte the built one (`report::build`).
//! (An integration test: the report module itself never refers to the runner.)

use drainsim_scenario::report::{build, write_json};
use drainsim_scenario::{load_str, run, RunOptions, DEMO_FILE, DEMO_SCENARIO};

#[test]
fn streamed_json_equals_the_built_report() {
    let loaded = load_str(DEMO_FILE, DEMO_SCENARIO).expect("the demo loads");
    let outcome = run(&loaded, &RunOptions::default()).expect("the demo runs");
    let mut streamed = Vec::new();
    write_json(&outcome, &mut streamed).expect("writes");
    let built = serde_json::to_vec_pretty(&build(&outcome)).expect("serialises");
    assert_eq!(String::from_utf8(streamed).unwrap(), String::from_utf8(built).unwrap());
}
