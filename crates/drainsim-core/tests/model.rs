//! Model-based property test: random request sequences, valid and invalid, over account settings
//! (PutAccountSetting, PutAccountSettingDefault, DeleteAccountSetting, ListAccountSettings as the
//! root user, IAM users and roles, a federated user and principals that are not valid) and container
//! instance statuses (RegisterContainerInstance, UpdateContainerInstancesState,
//! DeregisterContainerInstance with and without force, ListContainerInstances, RunTask to put tasks
//! on instances, and time advances), with a small reference model stepping beside the engine.
//!
//! The model is plain Rust written from the rules (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>, docs/ecs-choices.md, docs/ecs-choices.md), not from the
//! engine's tables: a `BTreeMap` of explicit settings resolved principal → root user → AWS default,
//! and a map of instance name → expected status (with the trunk ENI's 5 s + 10 s + 2 s registration
//! and 5 s + 5 s detach, and INACTIVE instances forgotten after an hour). After every request the
//! model predicts the result (or the ECS exception), and after every transition the engine's
//! effective settings (`Engine::effective_setting`) and instance statuses (`Engine::instance`) must
//! equal the model's, and `check_invariants` must hold. proptest shrinks a failure by removing
//! requests first, then simplifying them.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use drainsim_core::api::*;
use drainsim_core::{check_invariants, EcsError, Engine};
use proptest::prelude::*;

const ROOT: &str = "arn:aws:iam::123456789012:root";
/// Callers and targets: the first four are valid principals (the federated user has no settings of
/// its own), the last two are not.
const PRINCIPALS: [&str; 6] = [
    ROOT,
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:iam::123456789012:role/ecsInstanceRole",
    "arn:aws:sts::123456789012:federated-user/bob",
    "arn:aws:iam::999999999999:user/mallory",
    "arn:aws:iam::123456789012:user/",
];
const FEDERATED: usize = 3;
const VALID_PRINCIPALS: usize = 4;

const EN_DIS: &[&str] = &["enabled", "disabled"];
/// The model's own table of ECS settings: name, AWS default, valid values, in the ECS model's order.
const SETTINGS: [(&str, &str, &[&str]); 11] = [
    ("serviceLongArnFormat", "enabled", EN_DIS),
    ("taskLongArnFormat", "enabled", EN_DIS),
    ("containerInstanceLongArnFormat", "enabled", EN_DIS),
    ("awsvpcTrunking", "disabled", EN_DIS),
    ("containerInsights", "disabled", &["enabled", "disabled", "enhanced"]),
    ("fargateFIPSMode", "disabled", EN_DIS),
    ("tagResourceAuthorization", "off", &["on", "off"]),
    ("fargateTaskRetirementWaitPeriod", "7", &["0", "7", "14"]),
    ("guardDutyActivate", "disabled", EN_DIS),
    ("defaultLogDriverMode", "non-blocking", &["blocking", "non-blocking"]),
    ("fargateEventWindows", "disabled", EN_DIS),
];
/// guardDutyActivate is AWS-managed: nobody may set it.
const AWS_MANAGED: &str = "guardDutyActivate";
/// fargateTaskRetirementWaitPeriod is set by the root user, for the root user only.
const ROOT_ONLY: &str = "fargateTaskRetirementWaitPeriod";
/// The names requests use (the last is not a setting).
const NAMES: [&str; 6] = [
    "awsvpcTrunking",
    "containerInstanceLongArnFormat",
    "containerInsights",
    "guardDutyActivate",
    "fargateTaskRetirementWaitPeriod",
    "bogusName",
];
const VALUES: [&str; 5] = ["enabled", "disabled", "enhanced", "14", "maybe"];

/// A trunking-capable type and one whose family does not support trunking.
const TYPES: [&str; 2] = ["c5.large", "c5n.large"];
const TRUNK_TYPE: &str = "c5.large";
/// Request clusters: `prod` exists, absent means `default` (created by the first registration into
/// it), `nope` never exists.
const CLUSTERS: [Option<&str>; 3] = [Some("prod"), None, Some("nope")];
const STATUSES: [&str; 5] = ["ACTIVE", "DRAINING", "REGISTERING", "INACTIVE", "DEREGISTERING"];
/// Instance names requests use; the last, `i3`, is never registered.
const INSTANCE_NAMES: u8 = 4;
/// Tasks of the `app` task definition that fit on one instance (2,048 CPU / 512 per task).
const TASKS_PER_INSTANCE: u32 = 4;
/// Default timings: trunk PRECREATED → ATTACHING → ATTACHED → acknowledged, detach stages, and how
/// long an INACTIVE instance stays describable.
const TRUNK_PROVISIONING_MS: u64 = 5_000;
const TRUNK_READY_MS: u64 = 5_000 + 10_000 + 2_000;
const TRUNK_DETACH_STAGE_MS: u64 = 5_000;
const INACTIVE_DESCRIBABLE_MS: u64 = 3_600_000;

#[derive(Debug, Clone)]
enum Op {
    Put { name: u8, value: u8, principal: Option<u8>, caller: u8 },
    PutDefault { name: u8, value: u8 },
    Delete { name: u8, principal: Option<u8>, caller: u8 },
    List { name: Option<u8>, effective: bool, principal: Option<u8>, caller: u8, max_results: Option<i64> },
    Register { name: u8, cluster: u8, instance_type: u8, caller: u8, bad_cpu: bool },
    UpdateState { cluster: u8, targets: Vec<u8>, status: u8 },
    Deregister { cluster: u8, target: u8, force: bool },
    ListInstances { cluster: u8, status: Option<u8> },
    RunTask { count: i64 },
    Advance { ms: u64 },
}

fn principal() -> impl Strategy<Value = u8> {
    // Mostly valid principals.
    prop_oneof![6 => 0u8..VALID_PRINCIPALS as u8, 1 => VALID_PRINCIPALS as u8..PRINCIPALS.len() as u8]
}

fn op() -> impl Strategy<Value = Op> {
    // awsvpcTrunking and `enabled` come up more often: trunked registrations need both.
    let name = || prop_oneof![3 => Just(0u8), 4 => 1u8..NAMES.len() as u8];
    let value = || prop_oneof![3 => Just(0u8), 4 => 1u8..VALUES.len() as u8];
    prop_oneof![
        4 => (name(), value(), prop::option::of(principal()), principal())
            .prop_map(|(name, value, principal, caller)| Op::Put { name, value, principal, caller }),
        3 => (name(), value()).prop_map(|(name, value)| Op::PutDefault { name, value }),
        2 => (name(), prop::option::of(principal()), principal())
            .prop_map(|(name, principal, caller)| Op::Delete { name, principal, caller }),
        2 => (
            prop::option::of(name()),
            any::<bool>(),
            prop::option::of(principal()),
            principal(),
            prop::option::of(prop_oneof![8 => 1i64..11, 1 => Just(0i64), 1 => Just(11i64)])
        )
            .prop_map(|(name, effective, principal, caller, max_results)| Op::List { name, effective, principal, caller, max_results }),
        5 => (0u8..INSTANCE_NAMES - 1, prop_oneof![6 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)], prop_oneof![2 => Just(0u8), 1 => Just(1u8)], principal(), prop::bool::weighted(0.1))
            .prop_map(|(name, cluster, instance_type, caller, bad_cpu)| Op::Register { name, cluster, instance_type, caller, bad_cpu }),
        4 => (
            prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
            prop::collection::vec(0u8..INSTANCE_NAMES, 0..12),
            prop_oneof![4 => 0u8..2, 1 => 2u8..5]
        )
            .prop_map(|(cluster, targets, status)| Op::UpdateState { cluster, targets, status }),
        3 => (prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)], 0u8..INSTANCE_NAMES, any::<bool>())
            .prop_map(|(cluster, target, force)| Op::Deregister { cluster, target, force }),
        1 => (0u8..3, prop::option::of(0u8..5)).prop_map(|(cluster, status)| Op::ListInstances { cluster, status }),
        2 => prop_oneof![9 => 1i64..4, 1 => Just(0i64)].prop_map(|count| Op::RunTask { count }),
        4 => prop_oneof![
            Just(1_000u64),
            Just(2_000),
            Just(4_000),
            Just(5_000),
            Just(12_000),
            Just(17_000),
            Just(60_000),
            Just(3_600_000)
        ]
        .prop_map(|ms| Op::Advance { ms }),
    ]
}

// ----- the reference model -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Registering,
    Active,
    Draining,
    Deregistering,
    Inactive,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Registering => "REGISTERING",
            Status::Active => "ACTIVE",
            Status::Draining => "DRAINING",
            Status::Deregistering => "DEREGISTERING",
            Status::Inactive => "INACTIVE",
        }
    }
}

#[derive(Debug, Clone)]
struct Instance {
    cluster: &'static str,
    status: Status,
    trunked: bool,
    long_arn: bool,
    registered_at_ms: u64,
    /// DEREGISTERING: when the trunk's detach ends and the instance becomes INACTIVE.
    inactive_due_ms: Option<u64>,
    inactive_at_ms: Option<u64>,
    tasks: u32,
}

/// What the model predicts a request returns.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    /// A setting (name, value, principal ARN).
    Setting(String, String, String),
    /// ListAccountSettings, all pages.
    Settings(Vec<(String, String, String)>),
    /// A registration: the instance, its status, and whether its ARN has the long format.
    Registered(String, &'static str, bool),
    /// UpdateContainerInstancesState: updated names, and failures (name or `?`, reason).
    Updated(Vec<String>, Vec<(String, String)>),
    Deregistered(String),
    Listed(Vec<String>),
    /// RunTask: how many tasks are placed (the engine chooses where).
    Placed(usize),
}

type Prediction = Result<Expect, &'static str>;

const INVALID: &str = "InvalidParameterException";

#[derive(Debug, Default)]
struct Model {
    now_ms: u64,
    explicit: BTreeMap<(&'static str, &'static str), &'static str>,
    clusters: BTreeSet<&'static str>,
    /// Instances by name, and the order they registered in.
    instances: BTreeMap<String, Instance>,
    order: Vec<String>,
}

fn setting(name: &str) -> Option<&'static (&'static str, &'static str, &'static [&'static str])> {
    SETTINGS.iter().find(|s| s.0 == name)
}

fn valid_principal(p: usize) -> bool {
    p < VALID_PRINCIPALS
}

impl Model {
    fn new() -> Self {
        Model { clusters: ["prod"].into(), ..Default::default() }
    }

    /// The one precedence rule: the principal's own setting, else the root user's (the account
    /// default), else the AWS default; the last two are reported with the root ARN.
    fn resolve(&self, principal: &'static str, name: &'static str) -> (&'static str, &'static str) {
        if let Some(v) = self.explicit.get(&(principal, name)) {
            return (v, principal);
        }
        match self.explicit.get(&(ROOT, name)) {
            Some(v) => (v, ROOT),
            None => (setting(name).expect("a known setting").1, ROOT),
        }
    }

    fn enabled(&self, principal: &'static str, name: &'static str) -> bool {
        self.resolve(principal, name).0 == "enabled"
    }

    fn forgotten(&self, i: &Instance) -> bool {
        i.inactive_at_ms.is_some_and(|t| self.now_ms >= t + INACTIVE_DESCRIBABLE_MS)
    }

    /// Time passed: trunks finish attaching or detaching.
    fn advance_to(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        for i in self.instances.values_mut() {
            if i.status == Status::Registering && now_ms >= i.registered_at_ms + TRUNK_READY_MS {
                i.status = Status::Active;
            }
            if let Some(due) = i.inactive_due_ms.filter(|d| i.status == Status::Deregistering && now_ms >= *d) {
                i.status = Status::Inactive;
                i.inactive_at_ms = Some(due);
            }
        }
    }

    /// The instance a request in `cluster` finds under `name`, if any.
    fn find(&self, cluster: &str, name: &str) -> Option<&Instance> {
        self.instances.get(name).filter(|i| i.cluster == cluster && !self.forgotten(i))
    }

    fn cluster(&self, c: u8) -> Result<&'static str, &'static str> {
        let name = CLUSTERS[c as usize].unwrap_or("default");
        if self.clusters.contains(name) {
            Ok(name)
        } else {
            Err("ClusterNotFoundException")
        }
    }

    fn put(&mut self, name: u8, value: u8, principal: Option<u8>, caller: u8) -> Prediction {
        let (name, value, caller) = (NAMES[name as usize], VALUES[value as usize], caller as usize);
        let s = setting(name).ok_or(INVALID)?;
        let target = principal.map_or(caller, |p| p as usize);
        if !valid_principal(target) || !s.2.contains(&value) || target == FEDERATED {
            return Err(INVALID);
        }
        if caller != 0 && caller != target {
            return Err("AccessDeniedException");
        }
        if name == AWS_MANAGED {
            return Err(INVALID);
        }
        // Only the root user sets the Fargate wait time, for itself (PutAccountSetting).
        if name == ROOT_ONLY && (caller != 0 || target != 0) {
            return Err(INVALID);
        }
        self.explicit.insert((PRINCIPALS[target], s.0), value);
        Ok(Expect::Setting(name.into(), value.into(), PRINCIPALS[target].into()))
    }

    fn put_default(&mut self, name: u8, value: u8) -> Prediction {
        let (name, value) = (NAMES[name as usize], VALUES[value as usize]);
        let s = setting(name).ok_or(INVALID)?;
        if !s.2.contains(&value) || name == AWS_MANAGED {
            return Err(INVALID);
        }
        self.explicit.insert((ROOT, s.0), value);
        Ok(Expect::Setting(name.into(), value.into(), ROOT.into()))
    }

    fn delete(&mut self, name: u8, principal: Option<u8>, caller: u8) -> Prediction {
        let (name, caller) = (NAMES[name as usize], caller as usize);
        let s = setting(name).ok_or(INVALID)?;
        let target = principal.map_or(caller, |p| p as usize);
        if !valid_principal(target) {
            return Err(INVALID);
        }
        if caller != 0 && caller != target {
            return Err("AccessDeniedException");
        }
        let old = self.explicit.remove(&(PRINCIPALS[target], s.0)).ok_or(INVALID)?;
        Ok(Expect::Setting(name.into(), old.into(), PRINCIPALS[target].into()))
    }

    fn list(&self, name: Option<u8>, effective: bool, principal: Option<u8>, caller: u8, max_results: Option<i64>) -> Prediction {
        let name = match name {
            None => None,
            Some(n) => Some(setting(NAMES[n as usize]).ok_or(INVALID)?.0),
        };
        let p = principal.map_or(caller as usize, |p| p as usize);
        if !valid_principal(p) || max_results.is_some_and(|m| !(1..=10).contains(&m)) {
            return Err(INVALID);
        }
        let p = PRINCIPALS[p];
        let list = SETTINGS
            .iter()
            .filter(|s| name.is_none_or(|n| n == s.0))
            .filter_map(|s| {
                if effective {
                    let (v, from) = self.resolve(p, s.0);
                    Some((s.0.to_string(), v.to_string(), from.to_string()))
                } else {
                    self.explicit.get(&(p, s.0)).map(|v| (s.0.to_string(), v.to_string(), p.to_string()))
                }
            })
            .collect();
        Ok(Expect::Settings(list))
    }

    fn register(&mut self, name: u8, cluster: u8, instance_type: u8, caller: u8, bad_cpu: bool) -> Prediction {
        let cluster = match CLUSTERS[cluster as usize] {
            None => "default",
            Some(c) if self.clusters.contains(c) => c,
            Some(_) => return Err("ClusterNotFoundException"),
        };
        let name = format!("i{name}");
        if self.instances.contains_key(&name) || bad_cpu || !valid_principal(caller as usize) {
            return Err(INVALID);
        }
        let caller = PRINCIPALS[caller as usize];
        let trunked = self.enabled(caller, "awsvpcTrunking") && TYPES[instance_type as usize] == TRUNK_TYPE;
        let long_arn = self.enabled(caller, "containerInstanceLongArnFormat");
        let status = if trunked { Status::Registering } else { Status::Active };
        self.clusters.insert(cluster);
        self.instances.insert(
            name.clone(),
            Instance {
                cluster,
                status,
                trunked,
                long_arn,
                registered_at_ms: self.now_ms,
                inactive_due_ms: None,
                inactive_at_ms: None,
                tasks: 0,
            },
        );
        self.order.push(name.clone());
        Ok(Expect::Registered(name, status.as_str(), long_arn))
    }

    fn update_state(&mut self, cluster: u8, targets: &[u8], status: u8) -> Prediction {
        let cluster = self.cluster(cluster)?;
        let to = match STATUSES[status as usize] {
            "ACTIVE" => Status::Active,
            "DRAINING" => Status::Draining,
            _ => return Err(INVALID),
        };
        if targets.is_empty() || targets.len() > 10 {
            return Err(INVALID);
        }
        let (mut updated, mut failures) = (Vec::new(), Vec::new());
        // A target named twice is acted on and reported once, at its first mention: a found
        // instance, or the one MISSING failure of its reference (docs/ecs-choices.md §1).
        let mut named = BTreeSet::new();
        for t in targets {
            if !named.insert(*t) {
                continue;
            }
            let name = format!("i{t}");
            let Some(from) = self.find(cluster, &name).map(|i| i.status) else {
                let shown = if self.instances.contains_key(&name) { name } else { "?".into() };
                failures.push((shown, "MISSING".to_string()));
                continue;
            };
            match from {
                f if f == to => updated.push(name),
                Status::Active | Status::Draining => {
                    self.instances.get_mut(&name).expect("found").status = to;
                    updated.push(name);
                }
                other => failures.push((name, other.as_str().to_string())),
            }
        }
        Ok(Expect::Updated(updated, failures))
    }

    fn deregister(&mut self, cluster: u8, target: u8, force: bool) -> Prediction {
        let cluster = self.cluster(cluster)?;
        let name = format!("i{target}");
        let now = self.now_ms;
        let i = self.find(cluster, &name).ok_or("ClientException")?;
        if matches!(i.status, Status::Inactive | Status::Deregistering) {
            return Err("ClientException");
        }
        if i.tasks > 0 && !force {
            return Err(INVALID);
        }
        let i = self.instances.get_mut(&name).expect("found");
        i.tasks = 0;
        if i.trunked {
            // A trunk still PRECREATED is deleted at once; one attaching or attached detaches first.
            let precreated = i.status == Status::Registering && now < i.registered_at_ms + TRUNK_PROVISIONING_MS;
            let stages = if precreated { 1 } else { 2 };
            i.status = Status::Deregistering;
            i.inactive_due_ms = Some(now + stages * TRUNK_DETACH_STAGE_MS);
        } else {
            i.status = Status::Inactive;
            i.inactive_at_ms = Some(now);
        }
        Ok(Expect::Deregistered(name))
    }

    fn list_instances(&self, cluster: u8, status: Option<u8>) -> Prediction {
        let cluster = self.cluster(cluster)?;
        let filter = status.map(|s| STATUSES[s as usize]);
        if filter == Some("INACTIVE") {
            return Err(INVALID);
        }
        let names = self
            .order
            .iter()
            .filter(|n| {
                let i = &self.instances[*n];
                i.cluster == cluster
                    && !self.forgotten(i)
                    && match filter {
                        Some(f) => i.status.as_str() == f,
                        None => i.status != Status::Inactive,
                    }
            })
            .cloned()
            .collect();
        Ok(Expect::Listed(names))
    }

    fn run_task(&self, count: i64) -> Prediction {
        if !(1..=10).contains(&count) {
            return Err(INVALID);
        }
        // No ACTIVE instance in the cluster: ECS refuses the call whole ("No Container Instances
        // were found in your cluster."), where full ones answer with failures.
        if !self.instances.values().any(|i| i.cluster == "prod" && i.status == Status::Active) {
            return Err(INVALID);
        }
        let room: u32 = self
            .instances
            .values()
            .filter(|i| i.cluster == "prod" && i.status == Status::Active)
            .map(|i| TASKS_PER_INSTANCE - i.tasks)
            .sum();
        Ok(Expect::Placed((count as usize).min(room as usize)))
    }
}

// ----- the engine side -----

fn new_engine(seed: u64) -> Engine {
    common::engine_with_app(seed)
}

fn name_of(e: &Engine, arn: &str) -> String {
    e.instances().find(|i| i.arn() == arn).map_or("?".into(), |i| i.name().to_string())
}

/// How requests name an instance: its ARN when the engine knows the name, else an ID nobody has.
fn instance_ref(e: &Engine, target: u8) -> String {
    e.instance_named(&format!("i{target}")).map_or_else(|| format!("{:032x}", 0xdead_0000 + target as u128), |i| i.arn())
}

fn cluster_member(c: u8) -> Option<String> {
    CLUSTERS[c as usize].map(str::to_string)
}

/// The request of an op, and the caller it runs as.
fn request(e: &Engine, op: &Op) -> (&'static str, Request) {
    let p = |x: u8| Some(PRINCIPALS[x as usize].to_string());
    match op {
        Op::Put { name, value, principal, caller } => (
            PRINCIPALS[*caller as usize],
            Request::PutAccountSetting(PutAccountSettingRequest {
                name: NAMES[*name as usize].into(),
                value: VALUES[*value as usize].into(),
                principal_arn: principal.and_then(p),
            }),
        ),
        Op::PutDefault { name, value } => (
            ROOT,
            Request::PutAccountSettingDefault(PutAccountSettingDefaultRequest {
                name: NAMES[*name as usize].into(),
                value: VALUES[*value as usize].into(),
            }),
        ),
        Op::Delete { name, principal, caller } => (
            PRINCIPALS[*caller as usize],
            Request::DeleteAccountSetting(DeleteAccountSettingRequest {
                name: NAMES[*name as usize].into(),
                principal_arn: principal.and_then(p),
            }),
        ),
        Op::List { name, effective, principal, caller, max_results } => (
            PRINCIPALS[*caller as usize],
            Request::ListAccountSettings(ListAccountSettingsRequest {
                name: name.map(|n| NAMES[n as usize].to_string()),
                effective_settings: Some(*effective),
                principal_arn: principal.and_then(p),
                max_results: *max_results,
                ..Default::default()
            }),
        ),
        Op::Register { name, cluster, instance_type, caller, bad_cpu } => (
            PRINCIPALS[*caller as usize],
            Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: cluster_member(*cluster),
                total_resources: vec![
                    Resource::integer("CPU", if *bad_cpu { -1 } else { 2048 }),
                    Resource::integer("MEMORY", 4096),
                ],
                instance_identity: InstanceIdentity {
                    name: format!("i{name}"),
                    instance_type: TYPES[*instance_type as usize].into(),
                    availability_zone: "us-east-1a".into(),
                    ..Default::default()
                },
                ..Default::default()
            }),
        ),
        Op::UpdateState { cluster, targets, status } => (
            ROOT,
            Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                cluster: cluster_member(*cluster),
                container_instances: targets.iter().map(|t| instance_ref(e, *t)).collect(),
                status: STATUSES[*status as usize].into(),
            }),
        ),
        Op::Deregister { cluster, target, force } => (
            ROOT,
            Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
                cluster: cluster_member(*cluster),
                container_instance: instance_ref(e, *target),
                force: Some(*force),
            }),
        ),
        Op::ListInstances { cluster, status } => (
            ROOT,
            Request::ListContainerInstances(ListContainerInstancesRequest {
                cluster: cluster_member(*cluster),
                status: status.map(|s| STATUSES[s as usize].to_string()),
                ..Default::default()
            }),
        ),
        Op::RunTask { count } => (
            ROOT,
            Request::RunTask(RunTaskRequest {
                cluster: Some("prod".into()),
                task_definition: "app".into(),
                count: Some(*count),
                ..Default::default()
            }),
        ),
        Op::Advance { .. } => unreachable!("time is not a request"),
    }
}

/// Applies the model's prediction for an op.
fn predict(m: &mut Model, op: &Op) -> Prediction {
    match op {
        Op::Put { name, value, principal, caller } => m.put(*name, *value, *principal, *caller),
        Op::PutDefault { name, value } => m.put_default(*name, *value),
        Op::Delete { name, principal, caller } => m.delete(*name, *principal, *caller),
        Op::List { name, effective, principal, caller, max_results } => {
            m.list(*name, *effective, *principal, *caller, *max_results)
        }
        Op::Register { name, cluster, instance_type, caller, bad_cpu } => {
            m.register(*name, *cluster, *instance_type, *caller, *bad_cpu)
        }
        Op::UpdateState { cluster, targets, status } => m.update_state(*cluster, targets, *status),
        Op::Deregister { cluster, target, force } => m.deregister(*cluster, *target, *force),
        Op::ListInstances { cluster, status } => m.list_instances(*cluster, *status),
        Op::RunTask { count } => m.run_task(*count),
        Op::Advance { .. } => unreachable!("time is not a request"),
    }
}

/// The engine's answer in the model's terms (for RunTask, the model learns where tasks went and
/// checks each went to an ACTIVE `prod` instance with room).
fn observe(e: &mut Engine, m: &mut Model, caller: &str, op: &Op, req: Request) -> Result<Result<Expect, String>, String> {
    let got: Result<Response, EcsError> = e.handle_as(caller, req.clone());
    let resp = match got {
        Err(err) => return Ok(Err(err.kind.name().to_string())),
        Ok(r) => r,
    };
    Ok(Ok(match (op, resp) {
        (Op::Put { .. } | Op::PutDefault { .. } | Op::Delete { .. }, Response::Setting { setting: s }) => {
            Expect::Setting(s.name, s.value, s.principal_arn)
        }
        (Op::List { .. }, Response::Settings { mut settings, mut next_token }) => {
            // Follow the pages.
            while let Some(token) = next_token {
                let Request::ListAccountSettings(mut r) = req.clone() else { unreachable!() };
                r.next_token = Some(token);
                match e.handle_as(caller, Request::ListAccountSettings(r)) {
                    Ok(Response::Settings { settings: more, next_token: next }) => {
                        settings.extend(more);
                        next_token = next;
                    }
                    other => return Err(format!("a next page failed: {other:?}")),
                }
            }
            Expect::Settings(settings.into_iter().map(|s| (s.name, s.value, s.principal_arn)).collect())
        }
        (Op::Register { .. }, Response::ContainerInstance { container_instance: c }) => {
            let name = name_of(e, &c.container_instance_arn);
            let cluster = m.instances.get(&name).map_or("?", |i| i.cluster);
            let long = c.container_instance_arn.contains(&format!(":container-instance/{cluster}/"));
            let status = STATUSES.iter().find(|s| **s == c.status).copied().unwrap_or("?");
            Expect::Registered(name, status, long)
        }
        (Op::UpdateState { .. }, Response::ContainerInstances { container_instances, failures }) => Expect::Updated(
            container_instances.iter().map(|c| name_of(e, &c.container_instance_arn)).collect(),
            failures.iter().map(|f| (name_of(e, f.arn.as_deref().unwrap_or("")), f.reason.clone())).collect(),
        ),
        (Op::Deregister { .. }, Response::ContainerInstance { container_instance: c }) => {
            Expect::Deregistered(name_of(e, &c.container_instance_arn))
        }
        (Op::ListInstances { .. }, Response::ContainerInstanceArns { container_instance_arns, next_token }) => {
            if next_token.is_some() {
                return Err("a page of at most 4 instances has a nextToken".into());
            }
            Expect::Listed(container_instance_arns.iter().map(|a| name_of(e, a)).collect())
        }
        (Op::RunTask { count }, Response::Tasks { tasks, failures }) => {
            if (tasks.len() < *count as usize) == failures.is_empty() {
                return Err(format!("RunTask of {count}: {} tasks and failures {failures:?}", tasks.len()));
            }
            for t in &tasks {
                let name = name_of(e, t.container_instance_arn.as_deref().unwrap_or(""));
                let ok = m
                    .instances
                    .get(&name)
                    .is_some_and(|i| i.cluster == "prod" && i.status == Status::Active && i.tasks < TASKS_PER_INSTANCE);
                if !ok {
                    return Err(format!("a task was placed on {name}, which the model has as {:?}", m.instances.get(&name)));
                }
                m.instances.get_mut(&name).expect("checked").tasks += 1;
            }
            Expect::Placed(tasks.len())
        }
        (op, r) => return Err(format!("{op:?} answered with an unexpected shape: {r:?}")),
    }))
}

/// After every transition: effective settings, statuses, task counts and invariants agree.
fn compare(e: &Engine, m: &Model) -> Result<(), String> {
    for p in &PRINCIPALS[..VALID_PRINCIPALS] {
        for s in &SETTINGS {
            let got = e.effective_setting(p, s.0).map_err(|err| format!("effective {} for {p}: {err}", s.0))?;
            let want = m.resolve(p, s.0).0;
            if got != want {
                return Err(format!("effective {} for {p}: engine {got}, model {want}", s.0));
            }
        }
    }
    if e.effective_setting(ROOT, "bogusName").is_ok() {
        return Err("an unknown setting name resolved".into());
    }
    for n in 0..INSTANCE_NAMES {
        let name = format!("i{n}");
        match (m.instances.get(&name), e.instance_named(&name)) {
            (None, None) => {}
            (Some(want), Some(got)) => {
                if got.status().as_str() != want.status.as_str() {
                    return Err(format!(
                        "{name} at {} ms: engine {}, model {}",
                        m.now_ms,
                        got.status().as_str(),
                        want.status.as_str()
                    ));
                }
                if got.forgotten() != m.forgotten(want) {
                    return Err(format!("{name}: engine forgotten {}, model {}", got.forgotten(), m.forgotten(want)));
                }
                if got.tasks().count() as u32 != want.tasks {
                    return Err(format!("{name}: engine has {} tasks, model {}", got.tasks().count(), want.tasks));
                }
                // The new ARN format names the cluster: `container-instance/CLUSTER/ID`.
                let long_arn = got.arn().split(":container-instance/").nth(1).is_some_and(|rest| rest.contains('/'));
                if long_arn != want.long_arn {
                    return Err(format!("{name}: engine long ARN {long_arn}, model {}", want.long_arn));
                }
                if got.trunked() != want.trunked {
                    return Err(format!("{name}: engine trunked {}, model {}", got.trunked(), want.trunked));
                }
            }
            (want, got) => return Err(format!("{name}: model {want:?}, engine {:?}", got.map(|i| i.status()))),
        }
    }
    check_invariants(e).map_err(|v| format!("invariant: {v}"))
}

/// Sequences: `PROPTEST_CASES` when set, else 2,000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn engine_agrees_with_the_reference_model(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..=30)) {
        let mut e = new_engine(seed);
        let mut m = Model::new();
        for (n, op) in ops.iter().enumerate() {
            if let Op::Advance { ms } = op {
                let t = e.now_ms() + ms;
                prop_assert!(e.advance_to(t, 1_000_000), "event bound hit");
                m.advance_to(e.now_ms());
            } else {
                let (caller, req) = request(&e, op);
                let want = predict(&mut m, op).map_err(str::to_string);
                let got = observe(&mut e, &mut m, caller, op, req).map_err(|x| TestCaseError::fail(format!("op {n} {op:?}: {x}")))?;
                prop_assert_eq!(got, want, "op {} {:?} at {} ms", n, op, m.now_ms);
            }
            if let Err(why) = compare(&e, &m) {
                prop_assert!(false, "after op {} {:?}: {}", n, op, why);
            }
        }
    }
}
