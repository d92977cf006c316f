//! awsvpc subnets (`networkConfiguration`): a task is placed only in the zones of its subnets, its
//! ENI is created in its subnet of its instance's zone, an instance elsewhere misses `LOCATION`,
//! and a request ECS refuses is refused without a change.

#[allow(dead_code)]
mod common;

use drainsim_core::api::*;
use drainsim_core::{Engine, EngineConfig};

const SUBNET_A: &str = "subnet-0aaa0001";
const SUBNET_B: &str = "subnet-0bbb0002";
const SUBNET_B2: &str = "subnet-0bbb0003";

/// A cluster `prod` with task definitions `app` (bridge) and `eni` (awsvpc), three subnets known
/// (A in us-east-1a, two in us-east-1b), and an m5.4xlarge in each of us-east-1a and us-east-1b
/// with a task ENI limit of 4.
fn engine() -> Engine {
    let mut e = Engine::new(EngineConfig {
        seed: 5,
        keep_trace_records: false,
        check_invariants_every_event: true,
        subnet_zones: [(SUBNET_A, "us-east-1a"), (SUBNET_B, "us-east-1b"), (SUBNET_B2, "us-east-1b")]
            .into_iter()
            .map(|(s, z)| (s.to_string(), z.to_string()))
            .collect(),
        ..Default::default()
    });
    e.create_cluster("prod").expect("a valid name");
    common::register_eni_task_definition(&mut e);
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![ContainerDefinition {
            name: "app".into(),
            cpu: Some(128),
            memory: Some(256),
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("a valid task definition");
    for (name, zone) in [("a", "us-east-1a"), ("b", "us-east-1b")] {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 16_384), Resource::integer("MEMORY", 65_536)],
            instance_identity: InstanceIdentity {
                name: name.into(),
                instance_type: "m5.4xlarge".into(),
                availability_zone: zone.into(),
                task_eni_limit: Some(4),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("a valid registration");
    }
    e
}

fn subnets(list: &[&str]) -> Option<NetworkConfiguration> {
    Some(NetworkConfiguration {
        awsvpc_configuration: Some(AwsVpcConfiguration {
            subnets: list.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }),
    })
}

fn run_tasks(e: &mut Engine, count: i64, network: Option<NetworkConfiguration>) -> Result<(Vec<Task>, Vec<Failure>), String> {
    match e.handle(Request::RunTask(RunTaskRequest {
        cluster: Some("prod".into()),
        task_definition: "eni".into(),
        count: Some(count),
        network_configuration: network,
        ..Default::default()
    })) {
        Ok(Response::Tasks { tasks, failures }) => Ok((tasks, failures)),
        Ok(_) => panic!("RunTask answers with tasks"),
        Err(err) => Err(err.message),
    }
}

/// The subnet its ENI attachment names.
fn subnet_of(task: &Task) -> String {
    let eni = task.attachments.iter().find(|a| a.attachment_type == "ElasticNetworkInterface").expect("an awsvpc task's ENI");
    eni.details.iter().find(|d| d.name == "subnetId").expect("every ENI names its subnet").value.clone()
}

fn describe(e: &mut Engine, arns: Vec<String>) -> Vec<Task> {
    match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: arns })) {
        Ok(Response::Tasks { tasks, .. }) => tasks,
        other => panic!("DescribeTasks answers with tasks: {}", other.is_ok()),
    }
}

#[test]
fn tasks_go_only_to_the_zones_of_their_subnets_in_the_subnet_of_their_zone() {
    let mut e = engine();
    let (tasks, failures) = run_tasks(&mut e, 4, subnets(&[SUBNET_B2, SUBNET_B])).expect("valid");
    assert!(failures.is_empty());
    assert_eq!(tasks.len(), 4);
    e.run_until_quiet(600_000, 1_000_000);
    let described = describe(&mut e, tasks.iter().map(|t| t.task_arn.clone()).collect());
    for t in &described {
        assert_eq!(t.availability_zone, "us-east-1b", "only us-east-1b has a subnet of the task");
        assert_eq!(subnet_of(t), SUBNET_B2, "the first subnet given in the instance's zone");
    }
    // Zone b has 4 task ENIs, all in use: a fifth task has nowhere to go, though zone a has room;
    // the closest instance is the one in zone a, which misses only LOCATION.
    let (tasks, failures) = run_tasks(&mut e, 1, subnets(&[SUBNET_B])).expect("valid");
    assert!(tasks.is_empty());
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].reason, "LOCATION");
    assert!(failures[0].arn.as_deref().is_some_and(|arn| arn == e.instance_named("a").unwrap().arn()));
    // Without subnets, an awsvpc task goes anywhere, its ENI in the placeholder subnet.
    let (tasks, _) = run_tasks(&mut e, 1, None).expect("valid");
    let t = &describe(&mut e, vec![tasks[0].task_arn.clone()])[0];
    assert_eq!(t.availability_zone, "us-east-1a");
    assert_eq!(subnet_of(t), "subnet-0a1b2c3d");
}

#[test]
fn start_task_on_an_instance_outside_the_subnets_zones_fails_with_location() {
    let mut e = engine();
    let arn = e.instance_named("a").unwrap().arn();
    let answer = e
        .handle(Request::StartTask(StartTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "eni".into(),
            container_instances: vec![arn.clone()],
            network_configuration: subnets(&[SUBNET_B]),
            ..Default::default()
        }))
        .expect("a valid request");
    let Response::Tasks { tasks, failures } = answer else { panic!("StartTask answers with tasks") };
    assert!(tasks.is_empty());
    assert_eq!((failures[0].arn.as_deref(), failures[0].reason.as_str()), (Some(arn.as_str()), "LOCATION"));
}

#[test]
fn a_service_keeps_its_subnets_and_describes_them() {
    let mut e = engine();
    let network = subnets(&[SUBNET_A]);
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "api".into(),
        task_definition: "eni".into(),
        desired_count: Some(6),
        network_configuration: network.clone(),
        ..Default::default()
    }))
    .expect("a valid service");
    e.run_until_quiet(600_000, 1_000_000);
    let view = e.service_named("api").expect("created");
    assert_eq!(view.subnet_zones(), vec!["us-east-1a"]);
    assert_eq!(view.member_of_expressions().count(), 0, "the zones' test is not one of its constraints");
    let described = view.describe();
    assert_eq!(described.network_configuration, network);
    // Zone a takes 4 (its task ENIs); the other 2 wait, although zone b has room.
    assert_eq!(described.running_count, 4);
    let a = e.instance_named("a").unwrap();
    let b = e.instance_named("b").unwrap();
    assert_eq!((a.running_tasks_count(), b.running_tasks_count()), (4, 0));
    // The closest instance is b (it misses only its zone, and has the most memory free); what
    // the instances of the subnets' zones lack is a task ENI.
    let api = e.service_named("api").unwrap();
    let n = api.stalls().iter().position(|s| s.reason.as_str() == "LOCATION").expect("stalled on LOCATION");
    let lack: Vec<String> = api.stall_allowed_instances_lack(n).iter().map(|r| r.to_string()).collect();
    assert_eq!(lack, ["RESOURCE:ENI"]);
}

#[test]
fn refused_network_configurations_change_nothing() {
    let mut e = engine();
    let refused = |e: &mut Engine, family: &str, network: Option<NetworkConfiguration>| -> String {
        let before = e.services().count();
        let err = e
            .handle(Request::CreateService(CreateServiceRequest {
                cluster: Some("prod".into()),
                service_name: "api".into(),
                task_definition: family.into(),
                desired_count: Some(1),
                network_configuration: network,
                ..Default::default()
            }))
            .expect_err("refused");
        assert_eq!(err.kind.name(), "InvalidParameterException");
        assert_eq!(e.services().count(), before, "nothing created");
        err.message
    };
    let vpc = |subnets: Vec<String>, groups: usize, public: Option<&str>| {
        Some(NetworkConfiguration {
            awsvpc_configuration: Some(AwsVpcConfiguration {
                subnets,
                security_groups: (0..groups).map(|n| format!("sg-{n:08x}")).collect(),
                assign_public_ip: public.map(str::to_string),
            }),
        })
    };
    assert!(refused(&mut e, "app", subnets(&[SUBNET_A])).contains("not valid for the given networkMode"));
    assert!(refused(&mut e, "eni", Some(NetworkConfiguration::default())).contains("awsvpcConfiguration"));
    assert!(refused(&mut e, "eni", vpc(Vec::new(), 0, None)).contains("subnets can not be empty"));
    assert!(refused(&mut e, "eni", vpc(vec![SUBNET_A.to_string(); 17], 0, None)).contains("at most 16 subnets"));
    assert!(refused(&mut e, "eni", vpc(vec![SUBNET_A.to_string()], 6, None)).contains("at most 5 security groups"));
    assert!(refused(&mut e, "eni", vpc(vec![SUBNET_A.to_string()], 0, Some("ENABLED"))).contains("Assign public IP"));
    assert!(refused(&mut e, "eni", vpc(vec![SUBNET_A.to_string()], 0, Some("yes"))).contains("'yes'"));
    let unknown = refused(&mut e, "eni", subnets(&[SUBNET_A, "subnet-0ddd0004"]));
    assert!(unknown.contains("subnet-0ddd0004") && unknown.contains("3 subnets of subnetZones"), "{unknown}");
    // Repeats are one subnet; DISABLED and five security groups are fine.
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "api".into(),
        task_definition: "eni".into(),
        desired_count: Some(1),
        network_configuration: vpc(vec![SUBNET_A.to_string(), SUBNET_A.to_string()], 5, Some("DISABLED")),
        ..Default::default()
    }))
    .expect("valid");
}

#[test]
fn an_engine_config_with_a_bad_subnet_or_zone_is_refused() {
    let with = |subnet: &str, zone: &str| EngineConfig {
        subnet_zones: [(subnet.to_string(), zone.to_string())].into_iter().collect(),
        ..Default::default()
    };
    assert!(with(SUBNET_A, "us-east-1a").validate().is_ok());
    assert!(with("subnet-0123456789abcdef0", "us-west-2-lax-1a").validate().is_ok());
    assert!(with("subnet-xyz", "us-east-1a").validate().unwrap_err().contains("'subnet-xyz' is not a subnet ID"));
    assert!(with(SUBNET_A, "US East").validate().unwrap_err().contains("is not an Availability Zone name"));
    assert!(Engine::try_new(with("sg-01234567", "us-east-1a")).is_err());
}

/// UpdateService's placementConstraints replace the service's constraints, not its subnets: its
/// next tasks still go only to the subnets' zones (and its ENIs to their subnets).
#[test]
fn an_update_of_placement_constraints_keeps_the_subnets() {
    let mut e = engine();
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "api".into(),
        task_definition: "eni".into(),
        desired_count: Some(2),
        network_configuration: subnets(&[SUBNET_B]),
        ..Default::default()
    }))
    .expect("a valid service");
    e.run_until_quiet(600_000, 1_000_000);
    e.handle(Request::UpdateService(UpdateServiceRequest {
        cluster: Some("prod".into()),
        service: "api".into(),
        desired_count: Some(6),
        placement_constraints: Some(Vec::new()),
        ..Default::default()
    }))
    .expect("a valid update");
    e.run_until_quiet(1_200_000, 1_000_000);
    let a = e.instance_named("a").unwrap();
    let b = e.instance_named("b").unwrap();
    assert_eq!((a.running_tasks_count(), b.running_tasks_count()), (0, 4), "zone b's 4 task ENIs, none in zone a");
    let api = e.service_named("api").unwrap();
    assert_eq!(api.subnet_zones(), ["us-east-1b"]);
    assert!(api.stalls().iter().any(|s| s.reason.as_str() == "LOCATION"), "the last 2 have nowhere to go");
}
