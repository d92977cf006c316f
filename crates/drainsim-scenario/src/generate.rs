//! Generated scenario cases and named properties, stateright-style.
//!
//! A [`ScenarioCase`] is a small cluster (1–5 instances of one size), one task definition, 1–3
//! services with their `minimumHealthyPercent`/`maximumPercent`, and a drain plan of at most
//! [`MAX_PLAN_STEPS`] steps. [`scenario_of`] builds it as a [`Scenario`] value and [`render`] writes
//! that with the format's own `Serialize` (so it is always text [`crate::load_str`] accepts), and
//! [`check_case`] runs it with invariants checked after every event and judges the [`Property`]s:
//!
//! - **always** (safety): must hold in every run;
//! - **sometimes** (reachability): must hold in *some* run of a batch, which proves the batch reached
//!   the interesting state (a drain moved a task, a service stalled, ...) and did not pass vacuously;
//! - **eventually** (liveness, bounded): under its precondition, must hold by a bound computed from
//!   the timings; a run where the precondition fails counts as vacuous, and a batch where every run
//!   was vacuous has not checked the property at all.
//!
//! A violated property comes with the expectations that encode it (`Named("<property>", ...)`), so
//! [`write_counterexample`] can write the case as a scenario file under
//! `target/counterexamples/` that `drainsim run` replays and fails on exactly that expectation.
//! Property tests generate cases with proptest (`tests/counterexamples.rs`); this module has no
//! dependency on it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use drainsim_core::time::SECOND_MS;
use drainsim_core::{BreachCause, EcsErrorKind, Engine, InstanceStatus, ServiceView};

use drainsim_core::api;

use crate::format::{
    Action, Cmp, DeregisterPlan, DrainPlan, Expectation, FaultsSpec, InstanceGroup, PinnedFaultKind, PinnedFaultSpec, Scenario,
    Step, StepExpect, WaitSpec,
};
use crate::load::load_str;
use crate::outcome::RunOutcome;
use crate::runner::{run, RunOptions};
use crate::write::to_ron;

/// Most steps of a generated drain plan.
pub const MAX_PLAN_STEPS: usize = 10;
/// Most instances of a generated case.
pub const MAX_INSTANCES: usize = 5;
/// Most services of a generated case.
pub const MAX_SERVICES: usize = 3;
/// The cluster every generated case uses.
pub const CLUSTER: &str = "prod";
/// CPU units of one task (an instance of `slots` slots has `slots` × this).
pub const TASK_CPU: i64 = 256;
/// Memory of one task in MiB.
pub const TASK_MEMORY_MIB: i64 = 512;
/// The host port of the task definition when `TaskCase::host_port` is set (one task per instance).
pub const HOST_PORT: u16 = 8080;
const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
/// Load balancer settings of service 0 when `ScenarioCase::load_balancer` is set.
const LB_INTERVAL_S: u64 = 5;
const LB_HEALTHY_THRESHOLD: u64 = 2;
const LB_DEREGISTRATION_DELAY_S: u64 = 10;

/// One instance: `slots` tasks fit on it by CPU and memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceCase {
    /// How many tasks fit on it.
    pub slots: u32,
    /// Index into us-east-1a/b/c.
    pub zone: u8,
}

/// A service's placement strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyCase {
    /// None given: ECS's default AZ spread.
    Default,
    /// `binpack` on memory.
    BinpackMemory,
    /// `spread` over `instanceId`.
    SpreadInstanceId,
    /// `random`.
    Random,
}

/// One REPLICA service of the case's task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCase {
    /// desiredCount.
    pub desired: u32,
    /// minimumHealthyPercent.
    pub min_percent: u32,
    /// maximumPercent.
    pub max_percent: u32,
    /// Its placement strategy.
    pub strategy: StrategyCase,
}

impl ServiceCase {
    /// ceil(desired × min / 100): the healthy floor (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html>).
    pub fn floor(&self) -> u32 {
        (self.desired * self.min_percent).div_ceil(100)
    }

    /// floor(desired × max / 100): the task ceiling (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html>).
    pub fn ceiling(&self) -> u32 {
        self.desired * self.max_percent / 100
    }

    /// Whether min/max leave the scheduler a legal move while draining (stop one, or start one first).
    pub fn has_legal_move(&self) -> bool {
        self.desired == 0 || self.floor() < self.desired || self.ceiling() > self.desired
    }
}

/// A service's capacity provider strategy in a case with capacity providers ([`CapacityCase`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStrategyCase {
    /// None: its tasks go to any instance.
    None,
    /// Only provider `even` (or `odd`).
    One {
        /// `odd` rather than `even`.
        odd: bool,
    },
    /// Both: `base` tasks on `odd` first, the rest by the weights (at least one above 0).
    Both {
        /// `base` of `odd`.
        base: u32,
        /// `weight` of `even`.
        even_weight: u32,
        /// `weight` of `odd`.
        odd_weight: u32,
    },
}

/// Capacity providers: the cluster has `even` and `odd`, instance `n` belongs to the one of its
/// index's parity, and service `n` runs by `strategies[n % len]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityCase {
    /// The services' strategies (at least one).
    pub strategies: Vec<ProviderStrategyCase>,
}

/// The one task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCase {
    /// A fixed host port: at most one task (of any service) per instance.
    pub host_port: bool,
    /// The container's stopTimeout in seconds.
    pub stop_timeout_s: u32,
    /// How long the process takes to exit after SIGTERM (None: killed at the stop timeout).
    pub exit_after_sigterm_ms: Option<u64>,
}

/// One step of the drain plan. Instance indices are taken modulo the number of instances, so that
/// shrinking the instance list never leaves a dangling reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanStep {
    /// `DrainInstances` of the listed instances.
    Drain {
        /// Instance indices.
        instances: Vec<u8>,
        /// Instances per call (clamped to 1–10 when written).
        wave_size: u32,
    },
    /// `ActivateInstances` of the listed instances.
    Activate {
        /// Instance indices.
        instances: Vec<u8>,
    },
    /// `WaitForDrain` of the listed instances.
    WaitForDrain {
        /// Instance indices.
        instances: Vec<u8>,
        /// How long to wait at most.
        timeout_ms: u64,
    },
    /// `DeregisterInstances` of one instance.
    Deregister {
        /// Instance index.
        instance: u8,
        /// Deregister with `force: true`.
        force: bool,
    },
    /// Only moves the clock.
    Advance,
}

/// An agent disconnect or reconnect pinned to the declared time of a plan step plus a delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFaultCase {
    /// The step (modulo the number of steps) whose declared time the fault follows.
    pub step: u8,
    /// How long after that step's declared time.
    pub delay_ms: u64,
    /// Instance index.
    pub instance: u8,
    /// A reconnect (else a disconnect).
    pub reconnect: bool,
}

/// Health checks that fail in a zone for a while (`HealthChecksFail`, then `HealthChecksPass`),
/// pinned after a step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthFaultCase {
    /// The step (modulo the number of steps) whose declared time the fault follows.
    pub step: u8,
    /// How long after that step's declared time.
    pub delay_ms: u64,
    /// Index into us-east-1a/b/c: the zone whose tasks' checks fail.
    pub zone: u8,
    /// How long they fail before they pass again.
    pub lasts_ms: u64,
}

/// A generated scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioCase {
    /// The scenario's seed.
    pub seed: u64,
    /// The instances, named `i0`, `i1`, ...
    pub instances: Vec<InstanceCase>,
    /// The one task definition, `app`.
    pub task: TaskCase,
    /// The services, named `svc0`, `svc1`, ...
    pub services: Vec<ServiceCase>,
    /// Service 0 sits behind a load balancer (health after interval × threshold, deregistration delay).
    pub load_balancer: bool,
    /// The instances register with a trunk ENI (`awsvpcTrunking` enabled as the AWS default): they
    /// are REGISTERING for the trunk's 17 s, and DEREGISTERING while it detaches.
    pub trunked: bool,
    /// Agent faults pinned around the plan's steps (`faults.pinned`).
    pub agent_faults: Vec<AgentFaultCase>,
    /// Health-check faults pinned around the plan's steps (`faults.pinned`): only service 0's
    /// load balancer judges tasks, so they matter when it has one.
    pub health_faults: Vec<HealthFaultCase>,
    /// Capacity providers and the services' strategies (None: none).
    pub capacity: Option<CapacityCase>,
    /// Simulated time of the first step.
    pub first_step_at_ms: u64,
    /// Each step with the time since the previous step's declared time.
    pub steps: Vec<(u64, PlanStep)>,
}

impl ScenarioCase {
    /// The logical name of instance `i` (modulo the instance count).
    pub fn instance_name(&self, i: u8) -> String {
        format!("i{}", i as usize % self.instances.len().max(1))
    }

    /// Distinct instance names of a step's list, in first-mention order.
    fn names(&self, list: &[u8]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in list {
            let n = self.instance_name(*i);
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }

    /// Tasks an instance can hold (one when the task definition has a fixed host port).
    fn effective_slots(&self, inst: &InstanceCase) -> u32 {
        if self.task.host_port {
            inst.slots.min(1)
        } else {
            inst.slots
        }
    }

    /// Declared time of every step.
    pub fn step_times_ms(&self) -> Vec<u64> {
        let mut t = self.first_step_at_ms;
        self.steps
            .iter()
            .map(|(gap, _)| {
                t += gap;
                t
            })
            .collect()
    }

    fn total_desired(&self) -> u32 {
        self.services.iter().map(|s| s.desired).sum()
    }

    fn has_forced_deregistration(&self) -> bool {
        self.steps.iter().any(|(_, s)| matches!(s, PlanStep::Deregister { force: true, .. }))
    }

    /// Instances no step drains or deregisters.
    fn stable_slots(&self) -> u32 {
        let mut touched = vec![false; self.instances.len()];
        for (_, s) in &self.steps {
            match s {
                PlanStep::Drain { instances, .. } => {
                    for i in instances {
                        touched[*i as usize % self.instances.len()] = true;
                    }
                }
                PlanStep::Deregister { instance, .. } => touched[*instance as usize % self.instances.len()] = true,
                _ => {}
            }
        }
        self.instances.iter().zip(touched).filter(|(_, t)| !t).map(|(i, _)| self.effective_slots(i)).sum()
    }

    /// Every service is placed and healthy before the plan's first drain or deregistration: there is
    /// room for all of them, and the first such step comes after a task's start and health time.
    fn healthy_before_first_disruption(&self) -> bool {
        let room: u32 = self.instances.iter().map(|i| self.effective_slots(i)).sum();
        let first = self
            .steps
            .iter()
            .zip(self.step_times_ms())
            .find(|((_, s), _)| matches!(s, PlanStep::Drain { .. } | PlanStep::Deregister { .. }))
            .map(|(_, t)| t);
        // With capacity providers a service has only its providers' room, which is not counted
        // here: its floor may not be reached before the plan begins.
        self.capacity.is_none()
            && room >= self.total_desired()
            && first.is_none_or(|t| t >= self.task_start_ms() + self.health_ms())
    }

    /// PROVISIONING → RUNNING with the default timings (1 s + 10 s + 1 s, no jitter), after the
    /// trunk's registration (5 s + 10 s + 2 s) when the instances are trunked.
    fn task_start_ms(&self) -> u64 {
        let t = drainsim_core::Timings::default();
        let trunk_ms = if self.trunked { t.trunk_provisioning_ms + t.trunk_attach_ms + t.trunk_acknowledge_ms } else { 0 };
        12 * SECOND_MS + trunk_ms
    }

    /// RUNNING → healthy with the default timings, for the slowest service: one load balancer
    /// health check (a new target must pass one) for service 0 behind a load balancer, 40 s
    /// (`Timings::healthy_after_running_ms`) for a service without one.
    fn health_ms(&self) -> u64 {
        let behind_lb = LB_INTERVAL_S * SECOND_MS;
        let without_lb = drainsim_core::Timings::default().healthy_after_running_ms;
        if self.load_balancer && self.services.len() == 1 {
            behind_lb
        } else if self.load_balancer {
            behind_lb.max(without_lb)
        } else {
            without_lb
        }
    }

    /// The liveness bound of a drain: per task of the case, one start, health, deregistration delay,
    /// stop and deprovisioning, and one scheduler retry interval; plus a minute.
    pub fn drain_bound_ms(&self) -> u64 {
        let stop_ms = self.task.exit_after_sigterm_ms.unwrap_or(u64::MAX).min(self.task.stop_timeout_s as u64 * SECOND_MS);
        let dereg_ms = if self.load_balancer { LB_DEREGISTRATION_DELAY_S * SECOND_MS } else { 0 };
        let retry_ms = 30 * SECOND_MS;
        let per_task_ms = self.task_start_ms() + self.health_ms() + dereg_ms + stop_ms + SECOND_MS + retry_ms;
        per_task_ms * self.total_desired().max(1) as u64 + 60 * SECOND_MS
    }
}

/// Renders a case as a scenario (no expectations, every step expected to succeed).
pub fn render(case: &ScenarioCase) -> String {
    scenario_ron(case, "generated", &[], &[])
}

/// Renders a case with step expectations (`expect:` of step k, or None for success) and
/// end-of-run expectations, through [`scenario_of`] and [`crate::write::to_ron`].
pub fn scenario_ron(
    case: &ScenarioCase,
    name: &str,
    step_expects: &[Option<StepExpect>],
    expectations: &[Expectation],
) -> String {
    to_ron(&scenario_of(case, name, step_expects, expectations))
}

/// A case as a [`Scenario`] value, with step expectations (`expect:` of step k, or None for
/// success) and end-of-run expectations.
pub fn scenario_of(
    case: &ScenarioCase,
    name: &str,
    step_expects: &[Option<StepExpect>],
    expectations: &[Expectation],
) -> Scenario {
    let instances = case
        .instances
        .iter()
        .enumerate()
        .map(|(n, i)| InstanceGroup {
            cluster: Some(CLUSTER.into()),
            availability_zones: vec![ZONES[i.zone as usize % ZONES.len()].into()],
            capacity_provider_name: case.capacity.as_ref().map(|_| PROVIDERS[n % 2].to_string()),
            ..InstanceGroup::new(&format!("i{n}"), "m5.large", TASK_CPU * i.slots as i64, TASK_MEMORY_MIB * i.slots as i64)
        })
        .collect();
    let task_definition = api::RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![api::ContainerDefinition {
            name: "app".into(),
            cpu: Some(TASK_CPU as u32),
            memory: Some(TASK_MEMORY_MIB as u32),
            port_mappings: vec![api::PortMapping {
                container_port: Some(80),
                host_port: case.task.host_port.then_some(HOST_PORT),
                protocol: None,
            }],
            stop_timeout: Some(case.task.stop_timeout_s),
            exit_after_sigterm_ms: case.task.exit_after_sigterm_ms,
            ..Default::default()
        }],
        ..Default::default()
    };
    let services = case.services.iter().enumerate().map(|(n, sv)| service_of(case, n, sv)).collect();
    let steps = case
        .steps
        .iter()
        .zip(case.step_times_ms())
        .enumerate()
        .map(|(k, ((_, step), at))| Step {
            at_ms: Some(at),
            caller: None,
            action: action_of(case, step),
            expect: step_expects.get(k).cloned().flatten(),
        })
        .collect();
    let times = case.step_times_ms();
    let pinned: Vec<PinnedFaultSpec> = case
        .agent_faults
        .iter()
        .filter(|_| !times.is_empty())
        .map(|f| {
            let name = case.instance_name(f.instance);
            PinnedFaultSpec {
                at_ms: times[f.step as usize % times.len()] + f.delay_ms,
                fault: if f.reconnect { PinnedFaultKind::AgentReconnect(name) } else { PinnedFaultKind::AgentDisconnect(name) },
            }
        })
        .chain(case.health_faults.iter().filter(|_| !times.is_empty()).flat_map(|f| {
            let at_ms = times[f.step as usize % times.len()] + f.delay_ms;
            let zone = ZONES[f.zone as usize % ZONES.len()];
            [
                PinnedFaultSpec {
                    at_ms,
                    fault: PinnedFaultKind::HealthChecksFail(format!("attribute:ecs.availability-zone == {zone}")),
                },
                PinnedFaultSpec { at_ms: at_ms + f.lasts_ms, fault: PinnedFaultKind::HealthChecksPass },
            ]
        }))
        .collect();
    Scenario {
        name: name.into(),
        description: format!(
            "Generated case (instances: {}, services: {}, plan steps: {})",
            case.instances.len(),
            case.services.len(),
            case.steps.len()
        ),
        seed: case.seed,
        account_defaults: if case.trunked {
            [("awsvpcTrunking".to_string(), "enabled".to_string())].into()
        } else {
            Default::default()
        },
        clusters: vec![CLUSTER.into()],
        cluster_capacity_providers: case
            .capacity
            .iter()
            .map(|_| api::PutClusterCapacityProvidersRequest {
                cluster: CLUSTER.into(),
                capacity_providers: PROVIDERS.iter().map(|p| p.to_string()).collect(),
                default_capacity_provider_strategy: vec![],
            })
            .collect(),
        instances,
        task_definitions: vec![task_definition],
        services,
        faults: (!pinned.is_empty()).then(|| FaultsSpec { pinned, ..Default::default() }),
        steps,
        expectations: expectations.to_vec(),
        ..Default::default()
    }
}

/// Service `n` of a case: REPLICA, of the one task definition, service 0 behind the load balancer
/// when the case has one.
fn service_of(case: &ScenarioCase, n: usize, sv: &ServiceCase) -> api::CreateServiceRequest {
    let strategy = |kind: &str, field: Option<&str>| {
        vec![api::PlacementStrategy { strategy_type: kind.into(), field: field.map(str::to_string) }]
    };
    let lb = case.load_balancer && n == 0;
    api::CreateServiceRequest {
        cluster: Some(CLUSTER.into()),
        service_name: format!("svc{n}"),
        task_definition: "app".into(),
        desired_count: Some(sv.desired as i64),
        deployment_configuration: Some(api::DeploymentConfiguration {
            maximum_percent: Some(sv.max_percent as i64),
            minimum_healthy_percent: Some(sv.min_percent as i64),
        }),
        placement_strategy: match sv.strategy {
            StrategyCase::Default => vec![],
            StrategyCase::BinpackMemory => strategy("binpack", Some("memory")),
            StrategyCase::SpreadInstanceId => strategy("spread", Some("instanceId")),
            StrategyCase::Random => strategy("random", None),
        },
        load_balancers: if lb {
            vec![api::LoadBalancer {
                target_group_arn: Some(
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/svc0/0123456789abcdef".into(),
                ),
                load_balancer_name: None,
                container_name: Some("app".into()),
                container_port: Some(80),
            }]
        } else {
            vec![]
        },
        target_group: lb.then_some(api::TargetGroupSettings {
            health_check_interval_seconds: Some(LB_INTERVAL_S as u32),
            healthy_threshold_count: Some(LB_HEALTHY_THRESHOLD as u32),
            deregistration_delay_seconds: Some(LB_DEREGISTRATION_DELAY_S as u32),
            ..Default::default()
        }),
        capacity_provider_strategy: case.capacity.as_ref().map_or_else(Vec::new, |c| provider_strategy(c, n)),
        ..Default::default()
    }
}

/// The capacity providers of a case with them: instance `n` belongs to `PROVIDERS[n % 2]`.
const PROVIDERS: [&str; 2] = ["even", "odd"];

/// Service `n`'s capacity provider strategy in a case with capacity providers.
fn provider_strategy(c: &CapacityCase, n: usize) -> Vec<api::CapacityProviderStrategyItem> {
    let item = |odd: bool, base: u32, weight: u32| api::CapacityProviderStrategyItem {
        capacity_provider: PROVIDERS[usize::from(odd)].into(),
        base: (base > 0).then_some(i64::from(base)),
        weight: Some(i64::from(weight)),
    };
    match c.strategies.get(n % c.strategies.len().max(1)).copied().unwrap_or(ProviderStrategyCase::None) {
        ProviderStrategyCase::None => vec![],
        ProviderStrategyCase::One { odd } => vec![item(odd, 0, 1)],
        ProviderStrategyCase::Both { base, even_weight, odd_weight } => {
            // At least one weight above 0, as the API demands of two providers.
            let even_weight = if even_weight == 0 && odd_weight == 0 { 1 } else { even_weight };
            vec![item(false, 0, even_weight), item(true, base, odd_weight)]
        }
    }
}

/// The scenario action of one plan step.
fn action_of(case: &ScenarioCase, step: &PlanStep) -> Action {
    match step {
        PlanStep::Drain { instances, wave_size } => Action::DrainInstances(DrainPlan {
            cluster: Some(CLUSTER.into()),
            instances: case.names(instances),
            filter: None,
            status: None,
            wave_size: Some((*wave_size).clamp(1, 10)),
        }),
        PlanStep::Activate { instances } => Action::ActivateInstances(DrainPlan {
            cluster: Some(CLUSTER.into()),
            instances: case.names(instances),
            filter: None,
            status: None,
            wave_size: None,
        }),
        PlanStep::WaitForDrain { instances, timeout_ms } => Action::WaitForDrain(WaitSpec {
            cluster: None,
            instances: case.names(instances),
            filter: None,
            status: None,
            timeout_ms: *timeout_ms,
        }),
        PlanStep::Deregister { instance, force } => Action::DeregisterInstances(DeregisterPlan {
            cluster: Some(CLUSTER.into()),
            instances: vec![case.instance_name(*instance)],
            filter: None,
            status: None,
            force: *force,
        }),
        PlanStep::Advance => Action::Advance,
    }
}

/// A finished run of a case.
pub struct CaseRun<'a> {
    /// The case that ran.
    pub case: &'a ScenarioCase,
    /// What its run produced.
    pub outcome: RunOutcome,
}

impl CaseRun<'_> {
    fn engine(&self) -> &Engine {
        &self.outcome.engine
    }

    fn service(&self, n: usize) -> Option<ServiceView<'_>> {
        self.engine().service_named(&format!("svc{n}"))
    }
}

/// Safety, reachability, or bounded liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// Must hold in every run (safety).
    Always,
    /// Must hold in some run of a batch (reachability).
    Sometimes,
    /// Must hold by a bound, in runs where its precondition holds (bounded liveness).
    Eventually,
}

/// One way a run breaks a property, and the expectation that pins it in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What the run did, for the failure message.
    pub detail: String,
    /// An expectation that fails on this run (None when no expectation can say it).
    pub expectation: Option<Expectation>,
}

/// What a property says of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Held, and its subject was there (a `sometimes` property: the state was reached).
    Holds,
    /// Nothing to judge (a `sometimes` property: not reached; an `eventually` property: the
    /// precondition did not hold).
    Vacuous,
    /// Broken, in these ways.
    Violated(Vec<Finding>),
}

/// A named property of a run.
#[derive(Clone, Copy)]
pub struct Property {
    /// The property's name (`always: ...`, `sometimes: ...`, `eventually: ...`).
    pub name: &'static str,
    /// Safety, reachability, or bounded liveness.
    pub kind: PropertyKind,
    /// Judges one run.
    pub eval: fn(&CaseRun) -> Verdict,
}

impl std::fmt::Debug for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)
    }
}

/// Names an expectation after the property it pins: `Named("<property>", ...)`.
pub fn named(property: &str, expectation: Expectation) -> Expectation {
    Expectation::Named(property.to_string(), Box::new(expectation))
}

/// The invariants of `drainsim_core::check_invariants`, after every event and request.
pub const INVARIANTS: &str = "always: invariants hold after every event";
/// The generator's own check: the rendered case loads and its setup is accepted.
pub const LOADS: &str = "always: the generated scenario loads and runs";
/// No service ever has more tasks than its ceiling (maximumPercent).
pub const MAX_TASKS: &str = "always: maxTasksObserved <= ceiling";
/// No service goes below its healthy floor (minimumHealthyPercent) without a recorded breach.
pub const MIN_HEALTHY: &str = "always: minHealthyObserved >= floor unless a floor breach is recorded";
/// Every floor breach has a cause the plan explains (a forced deregistration, a deficit).
pub const BREACH_CAUSES: &str = "always: every floor breach has a cause the plan explains";
/// Some run has a drain stop a service task.
pub const DRAIN_MOVED_TASK: &str = "sometimes: a drain moved a service task";
/// Some run has a service stall.
pub const STALLED: &str = "sometimes: a service stalled";
/// Some run has a drain complete.
pub const DRAIN_COMPLETED: &str = "sometimes: a drain completed";
/// Some run records a floor breach.
pub const BREACH_RECORDED: &str = "sometimes: a floor breach was recorded";
/// With room and a legal move, every drain completes within [`ScenarioCase::drain_bound_ms`].
pub const DRAINS_COMPLETE: &str = "eventually: a drain with capacity and a legal move completes within the timing bound";

fn end_invariants(r: &CaseRun) -> Verdict {
    match &r.outcome.invariant_violation {
        None => Verdict::Holds,
        Some(v) => Verdict::Violated(vec![Finding { detail: format!("at the end of the run: {v}"), expectation: None }]),
    }
}

fn max_tasks(r: &CaseRun) -> Verdict {
    let mut found = Vec::new();
    for (n, sv) in r.case.services.iter().enumerate() {
        let Some(s) = r.service(n) else { continue };
        if let Some(m) = s.max_tasks_observed() {
            if m > sv.ceiling() {
                found.push(Finding {
                    detail: format!("svc{n}: {m} tasks observed, ceiling {}", sv.ceiling()),
                    expectation: Some(named(
                        MAX_TASKS,
                        Expectation::MaxTasksObserved(format!("svc{n}"), Cmp::AtMost(sv.ceiling().into())),
                    )),
                });
            }
        }
    }
    verdict(found)
}

fn min_healthy(r: &CaseRun) -> Verdict {
    let mut found = Vec::new();
    for (n, sv) in r.case.services.iter().enumerate() {
        let Some(s) = r.service(n) else { continue };
        if let Some(m) = s.min_healthy_observed() {
            if m < sv.floor() && s.floor_breaches().is_empty() {
                found.push(Finding {
                    detail: format!("svc{n}: {m} healthy observed, floor {}, and no floor breach recorded", sv.floor()),
                    expectation: Some(named(
                        MIN_HEALTHY,
                        Expectation::MinHealthyObserved(format!("svc{n}"), Cmp::AtLeast(sv.floor().into())),
                    )),
                });
            }
        }
    }
    verdict(found)
}

/// A forced deregistration explains `forcedDeregistration` (and a deficit it leaves behind); a
/// service that cannot be fully placed, or is disrupted before it is healthy, explains
/// `preExistingDeficit`; checks made to fail explain `healthCheckFailed` (and a deficit). Nothing
/// in a generated case explains `taskFailed` or `agentDisconnected`.
fn breach_causes(r: &CaseRun) -> Verdict {
    let checks_fail = !r.case.health_faults.is_empty();
    let forced = r.case.has_forced_deregistration();
    let deficit = forced || checks_fail || !r.case.healthy_before_first_disruption();
    let mut found = Vec::new();
    for n in 0..r.case.services.len() {
        let Some(s) = r.service(n) else { continue };
        let breaches = s.floor_breaches();
        let explained = breaches
            .iter()
            .filter(|b| match b.reason {
                BreachCause::ForcedDeregistration => forced,
                BreachCause::PreExistingDeficit => deficit,
                BreachCause::HealthCheckFailed => checks_fail,
                _ => false,
            })
            .count();
        if explained < breaches.len() {
            let causes: Vec<String> = breaches.iter().map(|b| format!("{} at {} ms", b.reason, b.started_at_ms)).collect();
            found.push(Finding {
                detail: format!("svc{n}: floor breaches [{}], {explained} explained by the plan", causes.join(", ")),
                expectation: Some(named(
                    BREACH_CAUSES,
                    Expectation::FloorBreaches(format!("svc{n}"), Cmp::AtMost(explained as u64)),
                )),
            });
        }
    }
    verdict(found)
}

fn drain_moved_task(r: &CaseRun) -> Verdict {
    let e = r.engine();
    let moved = e
        .tasks()
        .any(|t| t.service().is_some() && t.stopped_reason().is_some_and(|s| s.contains("container instance is DRAINING")));
    reached(moved)
}

fn stalled(r: &CaseRun) -> Verdict {
    reached((0..r.case.services.len()).any(|n| r.service(n).is_some_and(|s| !s.stalls().is_empty())))
}

fn drain_completed(r: &CaseRun) -> Verdict {
    let e = r.engine();
    reached(e.instances().any(|i| i.drain().completed_at_ms().is_some()))
}

fn breach_recorded(r: &CaseRun) -> Verdict {
    reached((0..r.case.services.len()).any(|n| r.service(n).is_some_and(|s| !s.floor_breaches().is_empty())))
}

/// Precondition: every service has a legal move, the instances no step drains or deregisters
/// hold every task, no health checks are made to fail (replacements that fail hold a drain
/// past the timing bound), and there are no capacity providers (a service has only its
/// providers' room, which the room counted here does not split). Then every instance still DRAINING at the end finished its (last) drain
/// within [`ScenarioCase::drain_bound_ms`] of its start.
fn drains_complete(r: &CaseRun) -> Verdict {
    let c = r.case;
    if !c.services.iter().all(ServiceCase::has_legal_move)
        || c.stable_slots() < c.total_desired()
        || !c.health_faults.is_empty()
        || c.capacity.is_some()
    {
        return Verdict::Vacuous;
    }
    let e = r.engine();
    let bound = c.drain_bound_ms();
    let mut checked = false;
    let mut found = Vec::new();
    for i in e.instances() {
        if i.status() != InstanceStatus::Draining {
            continue;
        }
        let Some(start) = i.drain().started_at_ms() else { continue };
        checked = true;
        let took = i.drain().completed_at_ms().map(|c| c - start);
        if took.is_none_or(|t| t > bound) {
            let name = i.name().to_string();
            found.push(Finding {
                detail: format!(
                    "{name}: drain started at {start} ms {}, bound {bound} ms",
                    took.map_or("never completed".to_string(), |t| format!("completed after {t} ms"))
                ),
                expectation: Some(named(DRAINS_COMPLETE, Expectation::DrainCompletedWithin(name, bound))),
            });
        }
    }
    match (checked, found.is_empty()) {
        (false, _) => Verdict::Vacuous,
        (true, true) => Verdict::Holds,
        (true, false) => Verdict::Violated(found),
    }
}

fn verdict(found: Vec<Finding>) -> Verdict {
    if found.is_empty() {
        Verdict::Holds
    } else {
        Verdict::Violated(found)
    }
}

fn reached(b: bool) -> Verdict {
    if b {
        Verdict::Holds
    } else {
        Verdict::Vacuous
    }
}

/// The properties every generated case is checked against (the invariants after every event are
/// checked by the run itself, see [`check_case`]).
pub fn standard_properties() -> Vec<Property> {
    use PropertyKind::*;
    vec![
        Property { name: INVARIANTS, kind: Always, eval: end_invariants },
        Property { name: MAX_TASKS, kind: Always, eval: max_tasks },
        Property { name: MIN_HEALTHY, kind: Always, eval: min_healthy },
        Property { name: BREACH_CAUSES, kind: Always, eval: breach_causes },
        Property { name: DRAIN_MOVED_TASK, kind: Sometimes, eval: drain_moved_task },
        Property { name: STALLED, kind: Sometimes, eval: stalled },
        Property { name: DRAIN_COMPLETED, kind: Sometimes, eval: drain_completed },
        Property { name: BREACH_RECORDED, kind: Sometimes, eval: breach_recorded },
        Property { name: DRAINS_COMPLETE, kind: Eventually, eval: drains_complete },
    ]
}

/// A violated property of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The property's name.
    pub property: &'static str,
    /// Its kind.
    pub kind: PropertyKind,
    /// How the run broke it.
    pub findings: Vec<Finding>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let details: Vec<&str> = self.findings.iter().map(|x| x.detail.as_str()).collect();
        write!(f, "{}: {}", self.property, details.join("; "))
    }
}

/// What the properties said of one case.
#[derive(Debug, Clone, Default)]
pub struct CaseReport {
    /// Properties that held non-vacuously (for `sometimes`: reached).
    pub held: Vec<&'static str>,
    /// `always` and `eventually` properties that were violated (a `sometimes` one never is).
    pub violations: Vec<Violation>,
}

/// Runs a case once (invariants after every event) and judges the properties. A panic of the run (an
/// invariant the engine asserts) is a violation of [`INVARIANTS`]; a case whose scenario does not
/// load or whose setup is refused is a violation of [`LOADS`] (a generator bug).
pub fn check_case(case: &ScenarioCase, properties: &[Property]) -> CaseReport {
    let mut report = CaseReport::default();
    let outcome = match run_case(case) {
        Ok(o) => o,
        Err(v) => {
            report.violations.push(v);
            return report;
        }
    };
    let r = CaseRun { case, outcome };
    for p in properties {
        match (p.eval)(&r) {
            Verdict::Holds => report.held.push(p.name),
            Verdict::Vacuous => {}
            Verdict::Violated(findings) => {
                if p.kind == PropertyKind::Sometimes {
                    continue;
                }
                report.violations.push(Violation { property: p.name, kind: p.kind, findings });
            }
        }
    }
    report
}

fn run_case(case: &ScenarioCase) -> Result<RunOutcome, Violation> {
    let loads = |detail: String| Violation {
        property: LOADS,
        kind: PropertyKind::Always,
        findings: vec![Finding { detail, expectation: None }],
    };
    let text = render(case);
    let loaded = load_str("generated.ron", &text).map_err(|e| loads(format!("{e}\n{text}")))?;
    let opts = RunOptions { check_invariants_every_event: true, ..Default::default() };
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&loaded, &opts)));
    match ran {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(e)) => Err(loads(format!("setup refused: {e}"))),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the run panicked".into());
            Err(Violation {
                property: INVARIANTS,
                kind: PropertyKind::Always,
                findings: vec![Finding { detail: msg, expectation: None }],
            })
        }
    }
}

/// Each step's actual result as a step expectation (None: it succeeded), from a run of the case, so
/// that a counterexample file fails only on the property it pins.
pub fn settle_step_expects(case: &ScenarioCase) -> Result<Vec<Option<StepExpect>>, String> {
    let loaded = load_str("generated.ron", &render(case)).map_err(|e| e.to_string())?;
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&loaded, &RunOptions::default())));
    let outcome = ran.map_err(|_| "the run panicked".to_string())?.map_err(|e| e.to_string())?;
    let mut out = vec![None; case.steps.len()];
    for s in &outcome.steps {
        let prefix = format!("step {} ", s.index + 1);
        let passed = outcome.expectations.iter().find(|x| x.name.starts_with(&prefix)).is_none_or(|x| x.passed);
        if passed {
            continue;
        }
        out[s.index] = if s.summary == "timed out" || s.summary.starts_with("timed out (") {
            Some(StepExpect::TimedOut)
        } else {
            let kind = s.summary.split_once(": ").map(|(k, _)| k).filter(|k| EcsErrorKind::from_name(k).is_some());
            match kind {
                Some(k) => Some(StepExpect::Error(k.to_string())),
                None => return Err(format!("step {} has an unexpected result: {}", s.index + 1, s.summary)),
            }
        };
    }
    Ok(out)
}

/// The file-name form of a property name: `always: maxTasksObserved <= ceiling` →
/// `always-maxtasksobserved-le-ceiling`.
pub fn slug(property: &str) -> String {
    let spelled = property.replace(">=", " ge ").replace("<=", " le ").replace('+', " plus ");
    let mut out = String::new();
    for c in spelled.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Where counterexamples go: `$CARGO_TARGET_DIR/counterexamples` (relative to the workspace when
/// relative), else `<workspace>/target/counterexamples`. Never under `scenarios/`.
pub fn counterexample_dir(workspace_root: &Path) -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if !t.is_empty() => workspace_root.join(t),
        _ => workspace_root.join("target"),
    };
    target.join("counterexamples")
}

/// A counterexample written to disk.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// Where the file was written.
    pub path: PathBuf,
    /// The command that replays it, relative to the workspace when the file is under it.
    pub reproduce: String,
    /// The file's text.
    pub text: String,
}

/// Writes a (shrunk) failing case as `<dir>/<property-slug>-<hash>.ron`: a scenario whose steps
/// expect what they did, and whose expectations encode the violated property.
pub fn write_counterexample(
    workspace_root: &Path,
    dir: &Path,
    case: &ScenarioCase,
    violation: &Violation,
) -> std::io::Result<Counterexample> {
    // A run that cannot be settled (it panics) keeps every step's default expectation.
    let (step_expects, unsettled) = match settle_step_expects(case) {
        Ok(x) => (x, None),
        Err(why) => (vec![None; case.steps.len()], Some(why)),
    };
    let expectations: Vec<Expectation> = violation.findings.iter().filter_map(|f| f.expectation.clone()).collect();
    let name = format!("counterexample-{}", slug(violation.property));
    let body = scenario_ron(case, &name, &step_expects, &expectations);
    let file = format!("{}-{:012x}.ron", slug(violation.property), drainsim_core::fnv1a(body.as_bytes()) & 0xffff_ffff_ffff);
    let path = dir.join(&file);
    let shown = path.strip_prefix(workspace_root).unwrap_or(&path).display().to_string();
    let reproduce = format!("drainsim run {shown}");
    let mut text = String::new();
    let _ =
        writeln!(text, "// Counterexample to the property `{}` ({:?}), shrunk by proptest.", violation.property, violation.kind);
    for f in &violation.findings {
        for line in f.detail.lines() {
            let _ = writeln!(text, "// {line}");
        }
    }
    if expectations.is_empty() {
        let _ = writeln!(text, "// No expectation can state this property; the run's final invariant check may still show it.");
    }
    if let Some(why) = unsettled {
        let _ = writeln!(text, "// Step results could not be settled ({why}): steps expect success.");
    }
    let _ = writeln!(text, "// Reproduce: {reproduce}");
    let _ = writeln!(text, "// Once fixed, copy it to scenarios/regressions/<what-it-pins>.ron (see docs/properties.md).");
    text.push_str(&body);
    std::fs::create_dir_all(dir)?;
    std::fs::write(&path, &text)?;
    Ok(Counterexample { path, reproduce, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> ScenarioCase {
        ScenarioCase {
            seed: 3,
            instances: vec![InstanceCase { slots: 2, zone: 0 }, InstanceCase { slots: 2, zone: 1 }],
            task: TaskCase { host_port: false, stop_timeout_s: 5, exit_after_sigterm_ms: Some(1000) },
            services: vec![ServiceCase { desired: 2, min_percent: 50, max_percent: 200, strategy: StrategyCase::Default }],
            load_balancer: true,
            trunked: false,
            agent_faults: vec![],
            health_faults: vec![],
            capacity: None,
            first_step_at_ms: 60_000,
            steps: vec![
                (0, PlanStep::Drain { instances: vec![0], wave_size: 1 }),
                (0, PlanStep::WaitForDrain { instances: vec![0, 2], timeout_ms: 1000 }),
                (1000, PlanStep::Deregister { instance: 0, force: false }),
                (0, PlanStep::Advance),
            ],
        }
    }

    #[test]
    fn a_rendered_case_loads_and_keeps_the_standard_properties() {
        let c = case();
        crate::load_str("x.ron", &render(&c)).unwrap_or_else(|e| panic!("{e}\n{}", render(&c)));
        let r = check_case(&c, &standard_properties());
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert!(r.held.contains(&DRAIN_MOVED_TASK), "{:?}", r.held);
    }

    #[test]
    fn settled_steps_expect_what_they_did() {
        // The wait times out after 1 s, and the deregistration without force still finds tasks; the
        // settled file passes every step.
        let c = case();
        let expects = settle_step_expects(&c).unwrap();
        assert_eq!(expects[0], None);
        assert_eq!(expects[1], Some(StepExpect::TimedOut));
        assert_eq!(expects[2], Some(StepExpect::Error("InvalidParameterException".into())));
        let text = scenario_ron(&c, "settled", &expects, &[]);
        let o = run(&crate::load_str("x.ron", &text).unwrap(), &RunOptions::default()).unwrap();
        assert!(o.passed(), "{:?}", o.expectations);
    }

    #[test]
    fn slugs_spell_comparisons() {
        assert_eq!(slug("always: minHealthyObserved >= floor + 1"), "always-minhealthyobserved-ge-floor-plus-1");
        assert_eq!(slug(MAX_TASKS), "always-maxtasksobserved-le-ceiling");
    }
}
