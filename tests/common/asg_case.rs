//! What the property tests of Capacity Rebalancing and of the maximum instance lifetime share: how
//! a generated Auto Scaling group terminates an instance, as scenario text, and a case's run.

use drainsim_scenario::outcome::RunOutcome;
use drainsim_scenario::runner::run;
use drainsim_scenario::{load_str, LoadedScenario, RunOptions};
use proptest::prelude::*;

/// Loads and runs a case's scenario `text` with its records kept: every invariant held and every
/// request its groups made was accepted (the failure shows the scenario that replays it).
pub fn run_case(text: &str) -> Result<(LoadedScenario, RunOutcome), TestCaseError> {
    let loaded = load_str("case.ron", text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let out = run(&loaded, &RunOptions { keep_records: true, ..Default::default() })
        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert!(out.invariant_violation.is_none(), "{:?}\n{text}", out.invariant_violation);
    let refused: Vec<_> = out.expectations.iter().filter(|r| !r.passed).map(|r| (&r.name, &r.detail)).collect();
    prop_assert!(refused.is_empty(), "{refused:?}\n{text}");
    Ok((loaded, out))
}

/// How the group terminates an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// A termination hook whose handler drains the instance.
    HookDrain,
    /// A termination hook nothing handles: it holds the instance until it times out.
    HookWait,
    /// The capacity provider's managed draining.
    ManagedDraining,
    /// No hook: terminated at once.
    Immediate,
}

impl Path {
    /// The group's `LifecycleHooks` field (a five-minute hook), when the path has a hook.
    pub fn hook(self) -> String {
        match self {
            Path::HookDrain | Path::HookWait => format!(
                r#"LifecycleHooks: [(LifecycleHookName: "h", LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
                HeartbeatTimeout: 300, DefaultResult: "CONTINUE", drainOnTermination: {})],"#,
                self == Path::HookDrain
            ),
            _ => String::new(),
        }
    }

    /// The scenario's `capacityProviders` and `clusterCapacityProviders` for managed draining: a
    /// provider `provider` of group `group`, the cluster `prod`'s only one.
    pub fn providers(self, provider: &str, group: &str) -> String {
        if self != Path::ManagedDraining {
            return String::new();
        }
        format!(
            r#"capacityProviders: [(name: "{provider}", autoScalingGroupProvider: (autoScalingGroupArn: "{group}", managedDraining: "ENABLED"))],
    clusterCapacityProviders: [(cluster: "prod", capacityProviders: ["{provider}"], defaultCapacityProviderStrategy: [])],"#
        )
    }
}
