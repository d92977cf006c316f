//! # drainsim-scenario
//!
//! The only crate that knows RON: the scenario format ([`format`](mod@format)), loading with file:line:column
//! errors ([`load`]), the bounded runner ([`runner`]), expectations as named properties
//! ([`expect`]), the readable timeline ([`timeline`]) and the versioned report ([`report`]).

pub mod driver;
pub mod expect;
pub mod format;
pub mod generate;
pub mod load;
pub mod outcome;
pub mod report;
pub mod runner;
pub mod setup;
pub mod sweep;
pub mod synthetic;
pub mod timeline;
pub mod write;

pub use load::{load_file, load_str, LoadedScenario, ScenarioError};
pub use outcome::RunOutcome;
pub use runner::{run, RunOptions};

/// The demo scenario compiled into the binary (`drainsim` with no arguments).
pub const DEMO_SCENARIO: &str = include_str!("../../../scenarios/demo.ron");
/// The file name the demo reports errors under.
pub const DEMO_FILE: &str = "scenarios/demo.ron";
