//! Writing a scenario: the format types' `Serialize` through ron's pretty printer, read back by
//! [`crate::load_str`] to an equal [`Scenario`]. Scenarios made by code (the generator's cases,
//! counterexamples, the synthetic large scenario) are built as [`Scenario`] values and written here,
//! never assembled from format strings, so a format change cannot leave them behind.

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;

use crate::format::Scenario;
use crate::load::ron_options;

/// The scenario as pretty RON text, laid out as the hand-written files are: one line per instance
/// group, task definition, service, step and expectation (everything below the second level is
/// written compactly), two-space indentation, no struct names, `Some(..)` left out as the loader
/// allows.
pub fn to_ron(scenario: &Scenario) -> String {
    let config = PrettyConfig::new().indentor("  ").depth_limit(2).struct_names(false).extensions(Extensions::IMPLICIT_SOME);
    let mut text = ron_options().to_string_pretty(scenario, config).expect("every scenario value serializes to RON");
    text.push('\n');
    text
}
