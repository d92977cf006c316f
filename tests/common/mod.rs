//! What the integration tests of the `drainsim` binary share.

use std::process::{Command, Output};

/// The `drainsim` binary, run from the workspace root (where `scenarios/` is).
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drainsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs `drainsim` with `args` to its end.
pub fn drainsim(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}
