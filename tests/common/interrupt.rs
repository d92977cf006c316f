//! Ctrl-C sent to a running `drainsim`, as a terminal sends it.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Starts `cmd` with its output captured, sends it SIGINT after `after`, and waits for it to end.
/// `cmd` must run far longer than `after` (its handler is installed long before). Unix only: the
/// including test file declares this module under `#[cfg(unix)]`.
pub fn interrupted(cmd: Command, after: Duration) -> Output {
    signalled(cmd, after, "INT")
}

/// [`interrupted`] with another signal (`TERM`: what a batch system sends at a job's time limit).
#[allow(dead_code)] // not every test file that includes this module sends another
pub fn signalled(mut cmd: Command, after: Duration, signal: &str) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts");
    std::thread::sleep(after);
    let kill = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().expect("kill runs");
    assert!(kill.success(), "kill -{signal} {}", child.id());
    child.wait_with_output().expect("it ends")
}

/// [`signalled`], the signal sent twice at once, as `timeout` sends it (to the process, then to
/// its group).
#[allow(dead_code)] // not every test file that includes this module sends it twice
pub fn signalled_twice(mut cmd: Command, after: Duration, signal: &str) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts");
    std::thread::sleep(after);
    let pid = child.id().to_string();
    for _ in 0..2 {
        let kill = Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("kill runs");
        assert!(kill.success(), "kill -{signal} {pid}");
    }
    child.wait_with_output().expect("it ends")
}
