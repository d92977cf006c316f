//! Container agent versions: how they compare, and the features that need a minimum version.

/// Compares dotted version strings numerically (`1.9.0` < `1.29.0`); None if either is not one.
/// Leading `v`s are ignored; every part must be a decimal number (`u64`, as `str::parse` reads it:
/// an optional `+`, then digits); a version that is a prefix of another is the older.
pub(crate) fn compare_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    let (mut a, mut b) = (VersionParts::new(a), VersionParts::new(b));
    let mut order = Ordering::Equal;
    loop {
        // Both are read to the end: a malformed part anywhere makes the comparison None.
        let step = match (a.next()?, b.next()?) {
            (None, None) => return Some(order),
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
        };
        order = order.then(step);
    }
}

/// Whether `version` is a container agent version drainsim can compare with others: dotted
/// decimal numbers (`1.89.2`), after an optional `v`, which `compare_versions` reads.
pub fn is_agent_version(version: &str) -> bool {
    compare_versions(version, version).is_some()
}

/// The numbers of a dotted version, read in place (a registration compares several versions).
struct VersionParts<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> VersionParts<'a> {
    fn new(s: &'a str) -> Self {
        VersionParts { rest: s.trim_start_matches('v').as_bytes(), done: false }
    }

    /// `None` when a part is not a number; `Some(None)` after the last part.
    fn next(&mut self) -> Option<Option<u64>> {
        if self.done {
            return Some(None);
        }
        let end = self.rest.iter().position(|c| *c == b'.').unwrap_or(self.rest.len());
        let (part, rest) = self.rest.split_at(end);
        match rest.split_first() {
            Some((_, after_dot)) => self.rest = after_dot,
            None => self.done = true,
        }
        decimal(part.strip_prefix(b"+").unwrap_or(part)).map(Some)
    }
}

/// A version part's decimal digits as a number: None if there are none, if one is not a digit,
/// or past `u64`. The one reader of a version's numbers ([`compare_versions`] and the cluster
/// query language's `version_key`).
pub(crate) fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, c| {
        let d = c.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// The container agent a scenario's instances run unless they say otherwise, and the version
/// UpdateContainerAgent installs by default: the agent of the Amazon ECS-optimized AMI of September
/// 2026 (<https://github.com/aws/amazon-ecs-ami/pull/774>). A cluster today runs a current agent, so
/// a scenario that names none gets today's agent rules (a task waits only for the resources it
/// needs, not for every earlier stop: `agent_waits_only_for_needed_resources`).
pub const CURRENT_AGENT_VERSION: &str = "1.106.2";

/// The oldest container agent that supports ENI trunking: "Only Linux variants of the Amazon
/// ECS-optimized AMI, or other Amazon Linux variants with version 1.28.1 or later of the container
/// agent" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html>,
/// ENI trunking considerations).
pub(crate) const MIN_TRUNKING_AGENT_VERSION: &str = "1.28.1";

/// Whether an instance whose agent reports `agent_version` can be trunked. A registration that
/// reports no version is taken to run a current agent (the agent always reports one; a caller of
/// the API without an agent is not held back); a version that is not dotted numbers cannot be
/// compared, so it is not trunked.
pub(crate) fn agent_supports_trunking(agent_version: Option<&str>) -> bool {
    agent_at_least(agent_version, MIN_TRUNKING_AGENT_VERSION)
}

/// The one rule of every agent-version gate: a registration that reports no version runs a current
/// agent; a version that is not dotted numbers cannot be compared, so it is taken to be older.
fn agent_at_least(agent_version: Option<&str>, min: &str) -> bool {
    match agent_version {
        None => true,
        Some(v) => compare_versions(v, min).is_some_and(|o| o != std::cmp::Ordering::Less),
    }
}

/// The oldest container agent that starts a new task as soon as the resources it needs are free,
/// instead of waiting for every task stopping on the instance: "ECS Agent waited for all stopping
/// tasks to shutdown before starting new tasks. Starting today, ECS Agent can start new tasks on an
/// instance if requisite resources are available even if there are tasks pending shutdown ... with
/// ECS Agent version 1.73.0 or later"
/// (<https://aws.amazon.com/about-aws/whats-new/2023/06/amazon-ecs-tasks-faster-prolonged-shutdown/>).
pub(crate) const MIN_RESOURCE_AWARE_AGENT_VERSION: &str = "1.73.0";

/// Whether an agent reporting `agent_version` queues new tasks for host resources (1.73.0 or
/// later) rather than for every earlier stop. No version is taken to be a current agent, like
/// [`agent_supports_trunking`]; a version that is not dotted numbers cannot be compared, so it is
/// taken to be an older one.
pub(crate) fn agent_waits_only_for_needed_resources(agent_version: Option<&str>) -> bool {
    agent_at_least(agent_version, MIN_RESOURCE_AWARE_AGENT_VERSION)
}

/// The oldest container agent whose instance ECS health-checks: "Amazon ECS performs automated
/// checks on every running container instance with agent version 1.57.0 or later"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-health.html>).
pub(crate) const MIN_INSTANCE_HEALTH_AGENT_VERSION: &str = "1.57.0";

/// Whether ECS reports a container runtime check for an instance whose agent reports `agent_version`
/// (no version: a current agent; not dotted numbers: an older one).
pub(crate) fn agent_reports_instance_health(agent_version: Option<&str>) -> bool {
    agent_at_least(agent_version, MIN_INSTANCE_HEALTH_AGENT_VERSION)
}

/// The oldest container agent that applies a container's own `stopTimeout`: "Container instances
/// require at least version 1.26.0 of the container agent to enable a container stop timeout
/// value" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout>).
/// An older agent stops every container at its own `ECS_CONTAINER_STOP_TIMEOUT`.
pub(crate) const MIN_CONTAINER_STOP_TIMEOUT_AGENT_VERSION: &str = "1.26.0";

/// Whether an agent reporting `agent_version` applies a container's `stopTimeout` (1.26.0 or
/// later; no version: a current agent; not dotted numbers: an older one).
pub(crate) fn agent_honours_container_stop_timeout(agent_version: Option<&str>) -> bool {
    agent_at_least(agent_version, MIN_CONTAINER_STOP_TIMEOUT_AGENT_VERSION)
}

#[cfg(test)]
mod tests {
    use super::{agent_supports_trunking, agent_waits_only_for_needed_resources, compare_versions};

    /// The comparison as it was first written (collecting and parsing each part with `str::parse`):
    /// the reference the in-place reader must agree with.
    fn reference(a: &str, b: &str) -> Option<std::cmp::Ordering> {
        fn parts(s: &str) -> Option<Vec<u64>> {
            s.trim_start_matches('v').split('.').map(|p| p.parse::<u64>().ok()).collect()
        }
        Some(parts(a)?.cmp(&parts(b)?))
    }

    #[test]
    fn the_in_place_comparison_agrees_with_parsing_every_part() {
        let fixed = [
            "1.29.0",
            "1.106.2",
            "v1.28.1",
            "vv1.2",
            "1.2",
            "1.2.0",
            "1..2",
            "1.2.",
            ".1",
            "",
            "v",
            "+1.2",
            "1.+2",
            "-1.2",
            "1.a",
            "18446744073709551615.1",
            "18446744073709551616.1",
            "01.002",
            "1.2.3.4.5",
            "1 .2",
            "١.2",
        ];
        for a in fixed {
            for b in fixed {
                assert_eq!(compare_versions(a, b), reference(a, b), "{a:?} against {b:?}");
            }
        }
        // Random strings over the characters that matter (a fixed-seed LCG: the test is repeatable).
        let alphabet = b"v0123456789..+-a";
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut random = || {
            let len = (x >> 59) as usize % 9;
            (0..len)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    alphabet[(x >> 60) as usize] as char
                })
                .collect::<String>()
        };
        for _ in 0..20_000 {
            let (a, b) = (random(), random());
            assert_eq!(compare_versions(&a, &b), reference(&a, &b), "{a:?} against {b:?}");
        }
    }

    #[test]
    fn instance_health_needs_agent_1_57_0() {
        use super::agent_reports_instance_health as health;
        assert!(!health(Some("1.56.9")) && health(Some("1.57.0")) && health(None) && !health(Some("custom")));
    }

    #[test]
    fn resource_aware_start_needs_agent_1_73_0() {
        assert!(!agent_waits_only_for_needed_resources(Some("1.72.9")));
        assert!(!agent_waits_only_for_needed_resources(Some("1.29.0")));
        assert!(agent_waits_only_for_needed_resources(Some("1.73.0")));
        assert!(agent_waits_only_for_needed_resources(Some("1.89.2")));
        assert!(!agent_waits_only_for_needed_resources(Some("custom")));
        assert!(agent_waits_only_for_needed_resources(None));
    }

    use std::cmp::Ordering;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("1.9.0", "1.29.0"), Some(Ordering::Less));
        assert_eq!(compare_versions("1.29.0", "1.29.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("custom", "1.29.0"), None);
        assert_eq!(compare_versions("1.29.0", "1.x"), None, "either side not dotted numbers");
        assert_eq!(compare_versions("1.28", "1.28.0"), Some(Ordering::Less), "a prefix is older");
        assert_eq!(compare_versions("v1.30.0", "1.29.9"), Some(Ordering::Greater), "a leading v is ignored");
    }

    #[test]
    fn trunking_needs_agent_1_28_1() {
        assert!(!agent_supports_trunking(Some("1.28.0")));
        assert!(agent_supports_trunking(Some("1.28.1")));
        assert!(agent_supports_trunking(Some("1.29.0")));
        assert!(!agent_supports_trunking(Some("1.9.9")));
        assert!(!agent_supports_trunking(Some("custom")));
        assert!(agent_supports_trunking(None));
    }
}
