//! # drainsim-scenario
//!
//! The only crate that knows RON. Its modules, each depending only on the ones listed before it
//! (the `crate::` references form a directed acyclic graph):
//!
//! - [`input`]: reading a user's file whole, with a bound on its size;
//! - [`format`](mod@format): the scenario format's types (`Deserialize` to read a file, `Serialize`
//!   to write one); ECS calls are `drainsim_core::api::Request`s, only the plan steps are its own;
//! - [`load`]: parsing with file:line:column errors, and the checks RON cannot make;
//! - [`write`](mod@write): a scenario value as pretty RON text that [`load`] reads back;
//! - [`outcome`]: what a run produced ([`RunOutcome`], step and expectation verdicts);
//! - [`timeline`]: trace records as readable lines;
//! - [`setup`]: the engine a scenario describes, and its instance groups' registrations;
//! - [`driver`]: the one loop that moves simulated time (later registrations, the trace sink);
//! - [`expect`]: expectations as named properties, judged against the engine;
//! - [`step`]: one step applied (ECS calls with logical names resolved, plan steps) and judged;
//! - [`report`]: the versioned JSON report;
//! - [`runner`]: a run from start to end: setup, steps at their times, expectations, and the
//!   determinism check;
//! - [`sweep`]: one scenario over many seeds (run, aggregate, print);
//! - [`chart`]: a run as an SVG timeline (`--svg`);
//! - [`compare`]: two plans over the same seeds, side by side;
//! - [`explain`](mod@explain): why a drain took as long as it did, from a run's trace;
//! - [`synthetic`] and [`generate`]: scenarios made by code, written through [`write`](mod@write);
//! - [`import`](mod@import): a scenario from the AWS CLI's JSON about a real cluster (`drainsim import`).
//! - [`testing`]: scenario files as tests, checked as this repository's `cargo test` checks its own.
//!
//! # Example
//!
//! Load a scenario (here the built-in demo; [`load_file`] reads one from disk), run it, and read
//! the verdicts and the engine it left:
//!
//! ```
//! use drainsim_scenario::{load_str, run, RunOptions, DEMO_FILE, DEMO_SCENARIO};
//!
//! let loaded = load_str(DEMO_FILE, DEMO_SCENARIO).expect("the demo loads");
//! let outcome = run(&loaded, &RunOptions { seed: Some(7), ..Default::default() }).expect("the demo runs");
//! assert!(outcome.passed(), "every expectation holds");
//! for instance in outcome.engine.instances() {
//!     if let Some(done) = instance.drain().completed_at_ms() {
//!         println!("{} drained at {done} ms", instance.name());
//!     }
//! }
//! // The same seed runs the same way: the trace's digest is the same.
//! let again = run(&loaded, &RunOptions { seed: Some(7), ..Default::default() }).expect("runs");
//! assert_eq!(outcome.engine.trace().digest(), again.engine.trace().digest());
//! ```

#![deny(missing_docs)]

pub mod autoscaling;
pub mod chart;
pub mod compare;
pub mod driver;
pub mod expect;
pub mod explain;
pub mod explore;
pub mod format;
pub mod generate;
pub mod import;
pub mod input;
pub mod load;
pub mod outcome;
pub mod report;
pub mod runner;
pub mod setup;
pub mod step;
pub mod sweep;
pub mod synthetic;
pub mod testing;
pub mod timeline;
pub mod write;

pub use load::{load_file, load_str, LoadedScenario, ScenarioError};
pub use outcome::RunOutcome;
pub use runner::{run, RunOptions};
pub use setup::ResultText;

/// The demo scenario compiled into the binary (`drainsim` with no arguments).
pub const DEMO_SCENARIO: &str = include_str!("demo.ron");
/// The file name the demo reports errors under.
pub const DEMO_FILE: &str = "scenarios/demo.ron";
