//! Every ECS-shaped object drainsim prints uses the member names and enum values of the ECS API
//! model (`tests/data/ecs-model-subset.json`: botocore's ECS service model, documentation removed).
//! Responses of real runs are checked against each operation's output shape, recursively; request
//! types against input shapes (drainsim's documented extension members excepted).

use drainsim_core::api::*;
use drainsim_core::{Engine, EngineConfig};
use serde_json::Value;

fn model() -> Value {
    serde_json::from_str(include_str!("data/ecs-model-subset.json")).expect("the model is JSON")
}

/// Members drainsim adds to requests (documented in docs/scenario-format.md).
const EXTENSIONS: [&str; 3] = ["instanceIdentity", "targetGroup", "exitAfterSigtermMs"];

fn check(model: &Value, shape: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
    let s = &model["shapes"][shape];
    if value.is_null() {
        return; // an absent member
    }
    if s.is_null() {
        errors.push(format!("{path}: unknown shape {shape}"));
        return;
    }
    match s["type"].as_str().unwrap_or("") {
        "structure" => {
            let Some(obj) = value.as_object() else {
                errors.push(format!("{path}: expected an object for {shape}"));
                return;
            };
            for (k, v) in obj {
                match s["members"].get(k) {
                    Some(m) => check(model, m["shape"].as_str().unwrap(), v, &format!("{path}.{k}"), errors),
                    None if EXTENSIONS.contains(&k.as_str()) => {}
                    None => errors.push(format!("{path}: `{k}` is not a member of {shape}")),
                }
            }
        }
        "list" => {
            let member = s["member"]["shape"].as_str().unwrap();
            for (n, v) in value.as_array().into_iter().flatten().enumerate() {
                check(model, member, v, &format!("{path}[{n}]"), errors);
            }
        }
        "string" => {
            if let (Some(allowed), Some(v)) = (s["enum"].as_array(), value.as_str()) {
                if !allowed.iter().any(|a| a == v) {
                    errors.push(format!("{path}: `{v}` is not a value of enum {shape}"));
                }
            }
        }
        _ => {}
    }
}

fn check_response(model: &Value, operation: &str, response: &Response, errors: &mut Vec<String>) {
    let shape =
        model["operations"][operation]["output"]["shape"].as_str().unwrap_or_else(|| panic!("{operation} is in the model"));
    let v = serde_json::to_value(response).unwrap();
    check(model, shape, &v, operation, errors);
}

fn check_request(model: &Value, request: &Request, errors: &mut Vec<String>) {
    let op = request.operation();
    let shape = model["operations"][op]["input"]["shape"].as_str().unwrap_or_else(|| panic!("{op} is in the model"));
    let v = serde_json::to_value(request).unwrap();
    let inner = v.as_object().and_then(|o| o.values().next()).cloned().unwrap();
    check(model, shape, &inner, &format!("{op} request"), errors);
}

#[test]
fn responses_and_requests_use_the_models_names_and_enums() {
    let model = model();
    let mut errors = Vec::new();
    let mut e = Engine::new(EngineConfig { seed: 9, ..Default::default() });
    let call = |e: &mut Engine, req: Request, errors: &mut Vec<String>| -> Response {
        check_request(&model, &req, errors);
        let op = req.operation();
        let r = e.handle(req).unwrap_or_else(|err| panic!("{op}: {err}"));
        check_response(&model, op, &r, errors);
        r
    };
    call(&mut e, Request::CreateCluster(CreateClusterRequest { cluster_name: "prod".into() }), &mut errors);
    call(
        &mut e,
        Request::PutAccountSettingDefault(PutAccountSettingDefaultRequest {
            name: "awsvpcTrunking".into(),
            value: "enabled".into(),
        }),
        &mut errors,
    );
    for (n, t) in ["c5.large", "m5.xlarge", "m5.xlarge"].iter().enumerate() {
        call(
            &mut e,
            Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: Some("prod".into()),
                total_resources: vec![Resource::integer("CPU", 4096), Resource::integer("MEMORY", 8192)],
                version_info: Some(VersionInfo { agent_version: Some("1.20.0".into()), ..Default::default() }),
                tags: vec![Tag { key: "team".into(), value: "web".into() }],
                attributes: vec![Attribute {
                    name: "stack".into(),
                    value: Some("prod".into()),
                    target_type: None,
                    target_id: None,
                }],
                instance_identity: InstanceIdentity {
                    name: format!("i{n}"),
                    instance_type: t.to_string(),
                    availability_zone: "us-east-1a".into(),
                    ..Default::default()
                },
                platform_devices: (0..2)
                    .map(|g| PlatformDevice { id: format!("GPU-{n}-{g}"), device_type: "GPU".into() })
                    .collect(),
                ..Default::default()
            }),
            &mut errors,
        );
    }
    e.advance_to(120_000, 1_000_000);
    call(
        &mut e,
        Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "web".into(),
            network_mode: Some("awsvpc".into()),
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                cpu: Some(256),
                memory: Some(512),
                port_mappings: vec![PortMapping { container_port: Some(80), host_port: None, protocol: Some("tcp".into()) }],
                health_check: None,
                resource_requirements: vec![ResourceRequirement { requirement_type: "GPU".into(), value: "1".into() }],
                essential: Some(true),
                stop_timeout: Some(10),
                exit_after_sigterm_ms: None,
            }],
            placement_constraints: vec![TaskDefinitionPlacementConstraint {
                constraint_type: "memberOf".into(),
                expression: Some("attribute:stack == prod".into()),
            }],
            ..Default::default()
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "web".into(),
            task_definition: "web".into(),
            desired_count: Some(2),
            placement_strategy: vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }],
            placement_constraints: vec![PlacementConstraint { constraint_type: "distinctInstance".into(), expression: None }],
            ..Default::default()
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::RunTask(RunTaskRequest { cluster: Some("prod".into()), task_definition: "web".into(), ..Default::default() }),
        &mut errors,
    );
    e.advance_to(240_000, 1_000_000);
    let arns: Vec<String> = e.instances().map(|i| i.arn()).collect();
    call(
        &mut e,
        Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: vec![arns[0].clone(), "ghost".into()],
            status: "DRAINING".into(),
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::UpdateContainerAgent(UpdateContainerAgentRequest {
            cluster: Some("prod".into()),
            container_instance: arns[1].clone(),
        }),
        &mut errors,
    );
    e.advance_to(400_000, 1_000_000);
    call(
        &mut e,
        Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
            cluster: Some("prod".into()),
            container_instances: arns.clone(),
            include: vec!["TAGS".into()],
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::ListContainerInstances(ListContainerInstancesRequest {
            cluster: Some("prod".into()),
            max_results: Some(1),
            ..Default::default()
        }),
        &mut errors,
    );
    let tasks = call(
        &mut e,
        Request::ListTasks(ListTasksRequest {
            cluster: Some("prod".into()),
            desired_status: Some("STOPPED".into()),
            ..Default::default()
        }),
        &mut errors,
    );
    let Response::TaskArns { task_arns, .. } = tasks else { panic!("ListTasks returns task ARNs") };
    assert!(!task_arns.is_empty(), "the drain stopped tasks");
    call(&mut e, Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: task_arns }), &mut errors);
    call(
        &mut e,
        Request::DescribeServices(DescribeServicesRequest {
            cluster: Some("prod".into()),
            services: vec!["web".into(), "nope".into()],
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::ListAccountSettings(ListAccountSettingsRequest { effective_settings: Some(true), ..Default::default() }),
        &mut errors,
    );
    call(
        &mut e,
        Request::PutAccountSetting(PutAccountSettingRequest {
            name: "taskLongArnFormat".into(),
            value: "enabled".into(),
            principal_arn: None,
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::DeleteAccountSetting(DeleteAccountSettingRequest { name: "taskLongArnFormat".into(), principal_arn: None }),
        &mut errors,
    );
    call(
        &mut e,
        Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: "web".into(),
            desired_count: Some(0),
            placement_strategy: Some(vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }]),
            placement_constraints: Some(vec![PlacementConstraint {
                constraint_type: "distinctInstance".into(),
                expression: None,
            }]),
            health_check_grace_period_seconds: Some(30),
            ..Default::default()
        }),
        &mut errors,
    );
    call(
        &mut e,
        Request::DeleteService(DeleteServiceRequest { cluster: Some("prod".into()), service: "web".into(), force: None }),
        &mut errors,
    );
    call(
        &mut e,
        Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            container_instance: arns[0].clone(),
            force: Some(true),
        }),
        &mut errors,
    );
    assert!(errors.is_empty(), "{} mismatches with the ECS model:\n{}", errors.len(), errors.join("\n"));
}
