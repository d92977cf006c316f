//! Ctrl-C sent to a running `drainsim`, as a terminal sends it.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Starts `cmd` with its output captured, sends it SIGINT after `after`, and waits for it to end.
/// `cmd` must run far longer than `after` (its handler is installed long before). Unix only: the
/// including test file declares this module under `#[cfg(unix)]`.
pub fn interrupted(mut cmd: Command, after: Duration) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts");
    std::thread::sleep(after);
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(kill.success(), "kill -INT {}", child.id());
    child.wait_with_output().expect("it ends")
}
