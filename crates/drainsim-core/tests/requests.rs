//! Property: random request sequences, valid and invalid, interleaved with time advances. The
//! engine never panics, its invariants hold after every event and request (the engine checks them
//! itself in test builds), and a rejected request leaves the state digest unchanged.

mod common;

use drainsim_core::api::*;
use drainsim_core::{check_invariants, Engine, SchedulingStrategy, ServiceStatus};
use proptest::prelude::*;

const ROOT: &str = "arn:aws:iam::123456789012:root";
const USERS: [&str; 3] = ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:role/ecsInstanceRole", ROOT];

#[derive(Debug, Clone)]
enum Op {
    Register {
        name: u8,
        cluster: u8,
        instance_type: u8,
        role: u8,
        cpu: i64,
        memory: i64,
    },
    Deregister {
        target: u8,
        force: bool,
    },
    UpdateState {
        targets: Vec<u8>,
        status: u8,
    },
    Describe {
        targets: Vec<u8>,
    },
    List {
        status: u8,
        max_results: Option<i64>,
        filter: u8,
    },
    UpdateAgent {
        target: u8,
    },
    PutSetting {
        name: u8,
        value: u8,
        principal: u8,
        caller: u8,
    },
    PutDefault {
        name: u8,
        value: u8,
    },
    DeleteSetting {
        name: u8,
        principal: u8,
    },
    ListSettings {
        name: u8,
        effective: bool,
        max_results: Option<i64>,
    },
    Submit {
        garbage: bool,
        cluster: u8,
    },
    CreateService {
        name: u8,
        desired: i64,
        min: i64,
        max: i64,
        strategy: u8,
        constraint: u8,
        daemon: bool,
    },
    /// Each field `None` leaves the service's value; a strategy or constraint list as
    /// CreateService's (`strategies`, `constraints`).
    UpdateService {
        name: u8,
        desired: Option<i64>,
        strategy: Option<u8>,
        constraint: Option<u8>,
        grace: Option<i64>,
    },
    DeleteService {
        name: u8,
        force: bool,
    },
    RunTask {
        count: i64,
        awsvpc: bool,
    },
    StopTask {
        nth: u16,
    },
    Advance {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..8, 0u8..3, 0u8..4, 0u8..3, prop_oneof![Just(2048i64), Just(4096), Just(-1)], prop_oneof![Just(4096i64), Just(8192), Just(0)])
            .prop_map(|(name, cluster, instance_type, role, cpu, memory)| Op::Register { name, cluster, instance_type, role, cpu, memory }),
        1 => (0u8..10, any::<bool>()).prop_map(|(target, force)| Op::Deregister { target, force }),
        3 => (prop::collection::vec(0u8..10, 0..12), 0u8..4).prop_map(|(targets, status)| Op::UpdateState { targets, status }),
        1 => prop::collection::vec(0u8..10, 0..4).prop_map(|targets| Op::Describe { targets }),
        1 => (0u8..4, prop::option::of(-1i64..102), 0u8..4).prop_map(|(status, max_results, filter)| Op::List { status, max_results, filter }),
        1 => (0u8..10).prop_map(|target| Op::UpdateAgent { target }),
        2 => (0u8..6, 0u8..3, 0u8..3, 0u8..3).prop_map(|(name, value, principal, caller)| Op::PutSetting { name, value, principal, caller }),
        1 => (0u8..6, 0u8..3).prop_map(|(name, value)| Op::PutDefault { name, value }),
        1 => (0u8..6, 0u8..3).prop_map(|(name, principal)| Op::DeleteSetting { name, principal }),
        1 => (0u8..6, any::<bool>(), prop::option::of(0i64..12)).prop_map(|(name, effective, max_results)| Op::ListSettings { name, effective, max_results }),
        1 => (any::<bool>(), 0u8..2).prop_map(|(garbage, cluster)| Op::Submit { garbage, cluster }),
        2 => (0u8..3, -1i64..8, prop_oneof![Just(0i64), Just(50), Just(100), Just(150)], prop_oneof![Just(100i64), Just(150), Just(200), Just(250)], 0u8..11, 0u8..6, prop::bool::weighted(0.25))
            .prop_map(|(name, desired, min, max, strategy, constraint, daemon)| Op::CreateService { name, desired, min, max, strategy, constraint, daemon }),
        2 => (0u8..3, prop::option::of(-1i64..8), prop::option::of(0u8..11), prop::option::of(0u8..6), prop::option::weighted(0.2, -1i64..100))
            .prop_map(|(name, desired, strategy, constraint, grace)| Op::UpdateService { name, desired, strategy, constraint, grace }),
        1 => (0u8..3, any::<bool>()).prop_map(|(name, force)| Op::DeleteService { name, force }),
        2 => (0i64..4, any::<bool>()).prop_map(|(count, awsvpc)| Op::RunTask { count, awsvpc }),
        1 => any::<u16>().prop_map(|nth| Op::StopTask { nth }),
        4 => prop_oneof![Just(500u64), Just(5_000), Just(30_000), Just(400_000), Just(4_000_000)].prop_map(|ms| Op::Advance { ms }),
    ]
}

/// Placement strategies of CreateService and UpdateService requests: none (the default), each
/// strategy drainsim applies, spreads by attributes some instances lack, and the rules after them.
fn strategies(strategy: u8) -> Vec<PlacementStrategy> {
    match strategy {
        0 => vec![],
        1 => vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }],
        2 => vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
        3 => vec![PlacementStrategy { strategy_type: "random".into(), field: None }],
        4 => vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.instance-type".into()) }],
        5 => vec![
            PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.availability-zone".into()) },
            PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:rack".into()) },
        ],
        // The rest of a strategy picks within the attribute's value.
        6 => vec![
            PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.instance-type".into()) },
            PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) },
        ],
        7 => vec![
            PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:rack".into()) },
            PlacementStrategy { strategy_type: "random".into(), field: None },
        ],
        8 => vec![
            PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.availability-zone".into()) },
            PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.instance-type".into()) },
            PlacementStrategy { strategy_type: "binpack".into(), field: Some("cpu".into()) },
        ],
        // Spread by instance, its ties broken by binpack.
        10 => vec![
            PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) },
            PlacementStrategy { strategy_type: "binpack".into(), field: Some("cpu".into()) },
        ],
        _ => vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.availability-zone".into()) }],
    }
}

/// Placement constraints of CreateService and UpdateService requests for service `svc{name}`:
/// memberOf an instance type, anti-affinity with itself, a malformed expression, distinctInstance,
/// or none.
fn constraints(constraint: u8, name: u8) -> Vec<PlacementConstraint> {
    match constraint {
        0 => vec![member_of("attribute:ecs.instance-type == c5.large")],
        1 => vec![member_of(&format!("not(task:group == service:svc{name})"))],
        2 => vec![member_of("task:group in [service:svc0")],
        3 => vec![PlacementConstraint { constraint_type: "distinctInstance".into(), expression: None }],
        4 => vec![
            PlacementConstraint { constraint_type: "distinctInstance".into(), expression: None },
            member_of("attribute:ecs.instance-type == c5.large"),
        ],
        _ => vec![],
    }
}

fn member_of(expression: &str) -> PlacementConstraint {
    PlacementConstraint { constraint_type: "memberOf".into(), expression: Some(expression.into()) }
}

const TYPES: [&str; 4] = ["c5.large", "m5.xlarge", "i4i.large", "zz9.mystery"];
const SETTINGS: [&str; 6] = [
    "awsvpcTrunking",
    "containerInstanceLongArnFormat",
    "serviceLongArnFormat",
    "taskLongArnFormat",
    "containerInsights",
    "bogusName",
];
const VALUES: [&str; 3] = ["enabled", "disabled", "maybe"];
const STATUSES: [&str; 4] = ["DRAINING", "ACTIVE", "INACTIVE", "REGISTERING"];
const CLUSTERS: [&str; 3] = ["default", "prod", "nope"];

fn instance_ref(e: &Engine, target: u8) -> String {
    match e.instances().nth(target as usize) {
        Some(i) => i.arn(),
        None => format!("{:032x}", target as u128 * 7919),
    }
}

fn request(e: &Engine, op: &Op) -> Option<(String, Request)> {
    let root = ROOT.to_string();
    Some(match op {
        Op::Register { name, cluster, instance_type, role, cpu, memory } => (
            USERS[*role as usize].to_string(),
            Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: Some(CLUSTERS[*cluster as usize % 2].into()),
                total_resources: vec![Resource::integer("CPU", *cpu), Resource::integer("MEMORY", *memory)],
                version_info: Some(VersionInfo { agent_version: Some("1.20.0".into()), ..Default::default() }),
                instance_identity: InstanceIdentity {
                    name: format!("i{name}"),
                    instance_type: TYPES[*instance_type as usize].into(),
                    availability_zone: ["us-east-1a", "us-east-1b"][*name as usize % 2].into(),
                    ..Default::default()
                },
                // A custom attribute some instances lack (spread by it puts them first).
                attributes: match name % 3 {
                    0 => vec![],
                    n => {
                        vec![Attribute { name: "rack".into(), value: Some(format!("r{n}")), target_type: None, target_id: None }]
                    }
                },
                // Some agents kill containers without a stopTimeout sooner than the default.
                agent_config: (name % 4 == 1).then(|| AgentConfig {
                    ecs_container_stop_timeout: Some(AgentStopTimeout::from_seconds(3).expect("at least 1 s")),
                }),
                ..Default::default()
            }),
        ),
        Op::Deregister { target, force } => (
            root,
            Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
                cluster: Some("prod".into()),
                container_instance: instance_ref(e, *target),
                force: Some(*force),
            }),
        ),
        Op::UpdateState { targets, status } => (
            root,
            Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                cluster: Some("prod".into()),
                container_instances: targets.iter().map(|t| instance_ref(e, *t)).collect(),
                status: STATUSES[*status as usize].into(),
            }),
        ),
        Op::Describe { targets } => (
            root,
            Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
                cluster: Some("prod".into()),
                container_instances: targets.iter().map(|t| instance_ref(e, *t)).collect(),
                include: vec!["TAGS".into()],
            }),
        ),
        Op::List { status, max_results, filter } => (
            root,
            Request::ListContainerInstances(ListContainerInstancesRequest {
                cluster: Some("prod".into()),
                status: (*status < 3).then(|| STATUSES[*status as usize].to_string()),
                max_results: *max_results,
                // A cluster query language filter, or a malformed one (refused).
                filter: match filter {
                    0 => Some("attribute:ecs.instance-type =~ c5.* or runningTasksCount > 0".into()),
                    1 => Some("attribute:ecs.instance-type ==".into()),
                    _ => None,
                },
                ..Default::default()
            }),
        ),
        Op::UpdateAgent { target } => (
            root,
            Request::UpdateContainerAgent(UpdateContainerAgentRequest {
                cluster: Some("prod".into()),
                container_instance: instance_ref(e, *target),
            }),
        ),
        Op::PutSetting { name, value, principal, caller } => (
            USERS[*caller as usize].to_string(),
            Request::PutAccountSetting(PutAccountSettingRequest {
                name: SETTINGS[*name as usize].into(),
                value: VALUES[*value as usize].into(),
                principal_arn: Some(USERS[*principal as usize].into()),
            }),
        ),
        Op::PutDefault { name, value } => (
            root,
            Request::PutAccountSettingDefault(PutAccountSettingDefaultRequest {
                name: SETTINGS[*name as usize].into(),
                value: VALUES[*value as usize].into(),
            }),
        ),
        Op::DeleteSetting { name, principal } => (
            root,
            Request::DeleteAccountSetting(DeleteAccountSettingRequest {
                name: SETTINGS[*name as usize].into(),
                principal_arn: Some(USERS[*principal as usize].into()),
            }),
        ),
        Op::ListSettings { name, effective, max_results } => (
            root,
            Request::ListAccountSettings(ListAccountSettingsRequest {
                name: (*name < 5).then(|| SETTINGS[*name as usize].to_string()),
                effective_settings: Some(*effective),
                max_results: *max_results,
                ..Default::default()
            }),
        ),
        Op::Submit { garbage, cluster } => (
            root,
            Request::SubmitAttachmentStateChanges(SubmitAttachmentStateChangesRequest {
                cluster: Some(CLUSTERS[*cluster as usize + 1].into()),
                attachments: vec![AttachmentStateChange {
                    attachment_arn: if *garbage {
                        "arn:aws:ecs:us-east-1:123456789012:attachment/nope".into()
                    } else {
                        String::new()
                    },
                    status: "ATTACHED".into(),
                }],
            }),
        ),
        Op::CreateService { name, desired, min, max, strategy, constraint, daemon } => (
            root,
            Request::CreateService(CreateServiceRequest {
                cluster: Some("prod".into()),
                service_name: format!("svc{name}"),
                task_definition: "app".into(),
                // A DAEMON service (one task per instance) takes no desired count.
                desired_count: (!daemon).then_some(*desired),
                scheduling_strategy: daemon.then(|| "DAEMON".into()),
                deployment_configuration: Some(DeploymentConfiguration {
                    minimum_healthy_percent: Some(*min),
                    maximum_percent: Some(*max),
                }),
                placement_strategy: if *daemon { vec![] } else { strategies(*strategy) },
                // memberOf: an instance type, anti-affinity with itself, or a malformed expression.
                placement_constraints: constraints(*constraint, *name),
                ..Default::default()
            }),
        ),
        Op::UpdateService { name, desired, strategy, constraint, grace } => (
            root,
            Request::UpdateService(UpdateServiceRequest {
                cluster: Some("prod".into()),
                service: format!("svc{name}"),
                desired_count: *desired,
                placement_strategy: strategy.map(strategies),
                placement_constraints: constraint.map(|c| constraints(c, *name)),
                health_check_grace_period_seconds: *grace,
                ..Default::default()
            }),
        ),
        Op::DeleteService { name, force } => (
            root,
            Request::DeleteService(DeleteServiceRequest {
                cluster: Some("prod".into()),
                service: format!("svc{name}"),
                force: Some(*force),
            }),
        ),
        Op::RunTask { count, awsvpc } => (
            root,
            Request::RunTask(RunTaskRequest {
                cluster: Some("prod".into()),
                // awsvpc tasks exercise the task ENI limit and the ENI attachments.
                task_definition: if *awsvpc { "eni".into() } else { "app".into() },
                count: Some(*count),
                ..Default::default()
            }),
        ),
        Op::StopTask { nth } => {
            let n = e.tasks().count();
            if n == 0 {
                return None;
            }
            let t = e.tasks().nth(*nth as usize % n).expect("in range");
            (root, Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: t.arn(), reason: None }))
        }
        Op::Advance { .. } => return None,
    })
}

/// `app`, and `eni` (awsvpc: 128 CPU units, 256 MiB, stopTimeout 2 s).
fn new_engine(seed: u64) -> Engine {
    let mut e = common::engine_with_app(seed);
    common::register_eni_task_definition(&mut e);
    e
}

/// Cases per property: `PROPTEST_CASES` when set, else 2,000 (the CI budget).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_requests_keep_invariants_and_rejections_change_nothing(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..40)) {
        let mut e = new_engine(seed);
        // Each service's highest ceiling so far, as the views show it between requests: it
        // never comes down, and a REPLICA service's (whose desired count only requests change) is
        // the highest ceiling seen.
        let mut highest: std::collections::BTreeMap<drainsim_core::ServiceId, u32> = std::collections::BTreeMap::new();
        let mut check_highest = |e: &Engine| -> Result<(), TestCaseError> {
            for s in e.services() {
                let seen = highest.entry(s.id()).or_insert(0);
                prop_assert!(s.highest_ceiling() >= s.task_ceiling(), "{}: the highest ceiling is below the ceiling", s.name());
                prop_assert!(s.highest_ceiling() >= *seen, "{}: the highest ceiling came down", s.name());
                *seen = (*seen).max(s.task_ceiling());
                if s.scheduling_strategy() == SchedulingStrategy::Replica {
                    prop_assert_eq!(s.highest_ceiling(), *seen, "{}: the highest ceiling is not the highest seen", s.name());
                }
                // Found by name: the one not INACTIVE if there is one, else the last created.
                let named: Vec<_> = e.services().filter(|o| o.name() == s.name()).collect();
                let want = named.iter().rfind(|o| o.status() != ServiceStatus::Inactive).or(named.last()).map(|o| o.id());
                prop_assert_eq!(e.service_named(s.name()).map(|o| o.id()), want, "{}: found by name", s.name());
                // Found by ARN as by name: of those created with that ARN (a name used again after
                // its service became INACTIVE gives the same ARN), the one not INACTIVE if there
                // is one, else the last created.
                let arn = s.arn();
                let same: Vec<_> = e.services().filter(|o| o.arn() == arn).collect();
                let want = same.iter().rfind(|o| o.status() != ServiceStatus::Inactive).or(same.last()).map(|o| o.id());
                prop_assert_eq!(e.service_by_arn(&arn).map(|o| o.id()), want, "{}: found by ARN", arn);
                // A REPLICA service never starts a task above its ceiling: the most tasks it had
                // is within the ceiling it is paired with (after a scale-in, the highest since the
                // service was last steady).
                if let (Some(most), Some(ceiling), SchedulingStrategy::Replica) =
                    (s.max_tasks_observed(), s.ceiling_at_max_tasks_observed(), s.scheduling_strategy())
                {
                    prop_assert!(most <= ceiling, "{}: most tasks {} above the ceiling then, {}", s.name(), most, ceiling);
                }
            }
            Ok(())
        };
        for op in &ops {
            check_highest(&e)?;
            if let Op::Advance { ms } = op {
                let t = e.now_ms() + ms;
                prop_assert!(e.advance_to(t, 1_000_000), "event bound hit");
                continue;
            }
            let Some((caller, req)) = request(&e, op) else { continue };
            let before = e.state_digest();
            let trace_before = e.trace().len();
            match e.handle_as(&caller, req.clone()) {
                Ok(_) => {}
                Err(err) => {
                    prop_assert_eq!(before, e.state_digest(), "rejected {:?} ({}) changed the state", req.operation(), err);
                    prop_assert_eq!(trace_before, e.trace().len());
                }
            }
            prop_assert!(check_invariants(&e).is_ok(), "{:?}", check_invariants(&e));
        }
        check_highest(&e)?;
        let _ = e.run_until_quiet(e.now_ms() + 24 * 3_600_000, 1_000_000);
        prop_assert!(check_invariants(&e).is_ok(), "{:?}", check_invariants(&e));
    }
}

/// Task moments are stored as 4-byte offsets from creation; one 60 days later (past 2^32 ms) must
/// still be described exactly.
#[test]
fn task_moments_far_after_creation_are_exact() {
    let mut e = new_engine(7);
    e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
        instance_identity: InstanceIdentity {
            name: "far".into(),
            instance_type: "m5.large".into(),
            availability_zone: "us-east-1a".into(),
            ..Default::default()
        },
        ..Default::default()
    }))
    .expect("registers");
    let Ok(Response::Tasks { tasks, .. }) = e.handle(Request::RunTask(RunTaskRequest {
        cluster: Some("prod".into()),
        task_definition: "app".into(),
        ..Default::default()
    })) else {
        panic!("RunTask answers with tasks")
    };
    let arn = tasks[0].task_arn.clone();
    let created = tasks[0].created_at;
    let sixty_days_ms: u64 = 60 * 24 * 3_600_000;
    e.advance_to(sixty_days_ms, 1_000_000);
    e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: arn.clone(), reason: None }))
        .expect("stops");
    e.run_until_quiet(sixty_days_ms + 3_600_000, 1_000_000);
    let Ok(Response::Tasks { tasks, .. }) =
        e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: vec![arn] }))
    else {
        panic!("DescribeTasks answers with tasks")
    };
    let t = &tasks[0];
    assert_eq!(t.last_status, "STOPPED");
    assert_eq!(t.created_at, created);
    assert!(t.started_at.expect("started") - created < 60.0, "started within a minute");
    assert_eq!(t.stopping_at, Some(created + sixty_days_ms as f64 / 1000.0));
    assert!(t.stopped_at.expect("stopped") >= t.stopping_at.expect("stopping"));
    assert!(t.stopped_at.expect("stopped") - t.stopping_at.expect("stopping") <= 30.0);
    check_invariants(&e).expect("invariants hold");
}

/// A container without a `stopTimeout` is killed at its instance's agent's
/// `ECS_CONTAINER_STOP_TIMEOUT` (30 s when the registration sets none); one with its own keeps it.
/// The setting is read from JSON as the agent reads it, and a bad one is refused with the reason.
#[test]
fn stop_timeout_of_a_container_without_one_is_its_agents() {
    let mut e = new_engine(5);
    for (family, stop_timeout) in [("plain", None), ("own", Some(20))] {
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: family.into(),
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                cpu: Some(128),
                memory: Some(256),
                stop_timeout,
                ..Default::default()
            }],
            ..Default::default()
        }))
        .expect("a valid task definition");
    }
    let register = |e: &mut Engine, name: &str, agent_config: Option<&str>| {
        let json = format!(
            r#"{{"cluster": "prod", "totalResources": [{{"name": "CPU", "type": "INTEGER", "integerValue": 2048}},
                {{"name": "MEMORY", "type": "INTEGER", "integerValue": 4096}}],
              "instanceIdentity": {{"name": "{name}", "instanceType": "m5.large", "availabilityZone": "us-east-1a"}}
              {}}}"#,
            agent_config.map_or(String::new(), |c| format!(r#", "agentConfig": {c}"#))
        );
        serde_json::from_str::<RegisterContainerInstanceRequest>(&json)
            .map(|r| e.handle(Request::RegisterContainerInstance(r)).expect("registers"))
    };
    register(&mut e, "default-agent", None).expect("valid JSON");
    register(&mut e, "quick-agent", Some(r#"{"ECS_CONTAINER_STOP_TIMEOUT": "1m30s"}"#)).expect("valid JSON");
    let refused = register(&mut e, "bad-agent", Some(r#"{"ECS_CONTAINER_STOP_TIMEOUT": "90"}"#)).expect_err("no unit");
    assert!(refused.to_string().contains("missing unit"), "{refused}");
    let mut stop_timeouts = Vec::new();
    for instance in ["default-agent", "quick-agent"] {
        let arn = e.instance_named(instance).expect("registered").arn();
        for family in ["plain", "own"] {
            let Ok(Response::Tasks { tasks, .. }) = e.handle(Request::StartTask(StartTaskRequest {
                cluster: Some("prod".into()),
                task_definition: family.into(),
                container_instances: vec![arn.clone()],
                ..Default::default()
            })) else {
                panic!("StartTask answers with tasks")
            };
            let task = e.task_by_arn(&tasks[0].task_arn).expect("started");
            stop_timeouts.push((instance, family, task.stop_timeout_ms(), task.stopping_end()));
        }
    }
    let killed = |ms, agent_default| drainsim_core::StoppingEnd::KilledAtStopTimeout {
        stop_timeout_ms: ms,
        agent_default,
        exit_assumed: true,
    };
    assert_eq!(
        stop_timeouts,
        [
            ("default-agent", "plain", 30_000, killed(30_000, true)),
            ("default-agent", "own", 20_000, killed(20_000, false)),
            ("quick-agent", "plain", 90_000, killed(90_000, true)),
            ("quick-agent", "own", 20_000, killed(20_000, false)),
        ]
    );
    check_invariants(&e).expect("invariants hold");
}

/// RegisterContainerInstance keeps resources other than CPU, MEMORY and ports as registered (every
/// member, a DOUBLE exactly), reports them in registeredResources and remainingResources, and
/// instances registered alike share one profile; an unknown resource type is refused.
#[test]
fn custom_resources_are_kept_as_registered() {
    let mut e = new_engine(11);
    let fpga = Resource { name: "FPGA".into(), resource_type: "DOUBLE".into(), double_value: Some(1.5), ..Default::default() };
    let zones = Resource::string_set("ZONES", vec!["blue".into(), "green".into()]);
    let register = |e: &mut Engine, name: &str, resource_type: &str| {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![
                Resource::integer("CPU", 2048),
                Resource::integer("MEMORY", 4096),
                Resource { resource_type: resource_type.into(), ..fpga.clone() },
                zones.clone(),
            ],
            instance_identity: InstanceIdentity {
                name: name.into(),
                instance_type: "m5.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        }))
    };
    let Ok(Response::ContainerInstance { container_instance }) = register(&mut e, "g1", "DOUBLE") else { panic!("registers") };
    for listed in [&container_instance.registered_resources, &container_instance.remaining_resources] {
        assert!(listed.contains(&fpga), "{listed:?}");
        assert!(listed.contains(&zones), "{listed:?}");
    }
    register(&mut e, "g2", "DOUBLE").expect("registers");
    let (g1, g2) = (e.instance_named("g1").unwrap(), e.instance_named("g2").unwrap());
    assert_eq!(g1.attributes(), g2.attributes(), "instances registered alike have the same attributes");

    let refused = register(&mut e, "g3", "FLOAT").expect_err("FLOAT is not a resource type");
    assert_eq!(refused.kind, drainsim_core::EcsErrorKind::InvalidParameterException);
    assert!(e.instance_named("g3").is_none());
    check_invariants(&e).expect("invariants hold");
}
