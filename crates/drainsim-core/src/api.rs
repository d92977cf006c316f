//! Requests and responses of the ECS operations drainsim models, spelled exactly as the ECS API model
//! spells them (camelCase members, ECS enum strings). Requests are deserialisable so that scenario
//! files can carry them verbatim; responses are serialisable so the edges can print them.
//!
//! Members the simulation needs but ECS derives from elsewhere (the EC2 instance identity document,
//! the target group's health check) are grouped in clearly named drainsim extension members.

use serde::{Deserialize, Serialize};

/// `Resource` (registered/remaining/total resources).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    pub name: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub double_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_set_value: Option<Vec<String>>,
}

impl Resource {
    /// An `INTEGER` resource (`CPU`, `MEMORY`, or a custom one).
    pub fn integer(name: &str, value: i64) -> Self {
        Resource { name: name.into(), resource_type: "INTEGER".into(), integer_value: Some(value), ..Default::default() }
    }

    /// A `STRINGSET` resource (`PORTS`, `PORTS_UDP`).
    pub fn string_set(name: &str, values: Vec<String>) -> Self {
        Resource { name: name.into(), resource_type: "STRINGSET".into(), string_set_value: Some(values), ..Default::default() }
    }
}

/// `VersionInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
}

/// `Attribute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attribute {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
}

/// `Tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// `KeyValuePair` (attachment details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    pub name: String,
    pub value: String,
}

/// `Attachment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    #[serde(rename = "type")]
    pub attachment_type: String,
    pub status: String,
    pub details: Vec<KeyValuePair>,
}

/// `Failure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `ContainerInstance`, every member of the seed's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstance {
    pub container_instance_arn: String,
    pub ec2_instance_id: String,
    pub version: u64,
    pub version_info: VersionInfo,
    pub remaining_resources: Vec<Resource>,
    pub registered_resources: Vec<Resource>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub agent_connected: bool,
    pub running_tasks_count: u32,
    pub pending_tasks_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_update_status: Option<String>,
    pub attributes: Vec<Attribute>,
    /// Seconds since the Unix epoch (the JSON protocol's timestamp form).
    pub registered_at: f64,
    pub attachments: Vec<Attachment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// `Setting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub principal_arn: String,
    #[serde(rename = "type")]
    pub setting_type: String,
}

/// drainsim extension of RegisterContainerInstance: what ECS reads from the EC2 instance identity
/// document (and the instance profile) instead of from request members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceIdentity {
    /// The scenario's logical name of the instance (`web-3`).
    pub name: String,
    /// The EC2 instance type (`c5.large`).
    pub instance_type: String,
    /// The Availability Zone (`us-east-1a`).
    pub availability_zone: String,
    /// The EC2 instance ID; generated from the seed when absent.
    #[serde(default)]
    pub ec2_instance_id: Option<String>,
    /// Task ENI limit when the instance type is not in the built-in table.
    #[serde(default)]
    pub task_eni_limit: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterContainerInstanceRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub total_resources: Vec<Resource>,
    #[serde(default)]
    pub version_info: Option<VersionInfo>,
    #[serde(default)]
    pub container_instance_arn: Option<String>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// drainsim extension: the identity document's content.
    pub instance_identity: InstanceIdentity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeregisterContainerInstanceRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instance: String,
    #[serde(default)]
    pub force: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeContainerInstancesRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instances: Vec<String>,
    #[serde(default)]
    pub include: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListContainerInstancesRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub max_results: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateContainerInstancesStateRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instances: Vec<String>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateContainerAgentRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instance: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutAccountSettingRequest {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub principal_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutAccountSettingDefaultRequest {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteAccountSettingRequest {
    pub name: String,
    #[serde(default)]
    pub principal_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAccountSettingsRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub principal_arn: Option<String>,
    #[serde(default)]
    pub effective_settings: Option<bool>,
    #[serde(default)]
    pub next_token: Option<String>,
    #[serde(default)]
    pub max_results: Option<i64>,
}

/// `AttachmentStateChange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentStateChange {
    pub attachment_arn: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitAttachmentStateChangesRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub attachments: Vec<AttachmentStateChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateClusterRequest {
    pub cluster_name: String,
}

/// One of the ECS operations, with its request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    CreateCluster(CreateClusterRequest),
    RegisterContainerInstance(RegisterContainerInstanceRequest),
    DeregisterContainerInstance(DeregisterContainerInstanceRequest),
    DescribeContainerInstances(DescribeContainerInstancesRequest),
    ListContainerInstances(ListContainerInstancesRequest),
    UpdateContainerInstancesState(UpdateContainerInstancesStateRequest),
    UpdateContainerAgent(UpdateContainerAgentRequest),
    PutAccountSetting(PutAccountSettingRequest),
    PutAccountSettingDefault(PutAccountSettingDefaultRequest),
    DeleteAccountSetting(DeleteAccountSettingRequest),
    ListAccountSettings(ListAccountSettingsRequest),
    SubmitAttachmentStateChanges(SubmitAttachmentStateChangesRequest),
    RegisterTaskDefinition(RegisterTaskDefinitionRequest),
    CreateService(CreateServiceRequest),
    UpdateService(UpdateServiceRequest),
    DeleteService(DeleteServiceRequest),
    DescribeServices(DescribeServicesRequest),
    RunTask(RunTaskRequest),
    StartTask(StartTaskRequest),
    StopTask(StopTaskRequest),
    ListTasks(ListTasksRequest),
    DescribeTasks(DescribeTasksRequest),
}

impl Request {
    /// The operation's name as ECS spells it.
    pub fn operation(&self) -> &'static str {
        match self {
            Request::CreateCluster(_) => "CreateCluster",
            Request::RegisterContainerInstance(_) => "RegisterContainerInstance",
            Request::DeregisterContainerInstance(_) => "DeregisterContainerInstance",
            Request::DescribeContainerInstances(_) => "DescribeContainerInstances",
            Request::ListContainerInstances(_) => "ListContainerInstances",
            Request::UpdateContainerInstancesState(_) => "UpdateContainerInstancesState",
            Request::UpdateContainerAgent(_) => "UpdateContainerAgent",
            Request::PutAccountSetting(_) => "PutAccountSetting",
            Request::PutAccountSettingDefault(_) => "PutAccountSettingDefault",
            Request::DeleteAccountSetting(_) => "DeleteAccountSetting",
            Request::ListAccountSettings(_) => "ListAccountSettings",
            Request::SubmitAttachmentStateChanges(_) => "SubmitAttachmentStateChanges",
            Request::RegisterTaskDefinition(_) => "RegisterTaskDefinition",
            Request::CreateService(_) => "CreateService",
            Request::UpdateService(_) => "UpdateService",
            Request::DeleteService(_) => "DeleteService",
            Request::DescribeServices(_) => "DescribeServices",
            Request::RunTask(_) => "RunTask",
            Request::StartTask(_) => "StartTask",
            Request::StopTask(_) => "StopTask",
            Request::ListTasks(_) => "ListTasks",
            Request::DescribeTasks(_) => "DescribeTasks",
        }
    }
}

/// `Cluster` (the members drainsim keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub cluster_arn: String,
    pub cluster_name: String,
    pub status: String,
    pub registered_container_instances_count: u32,
}

/// The response of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Response {
    Cluster {
        cluster: Cluster,
    },
    ContainerInstance {
        #[serde(rename = "containerInstance")]
        container_instance: Box<ContainerInstance>,
    },
    ContainerInstances {
        #[serde(rename = "containerInstances")]
        container_instances: Vec<ContainerInstance>,
        failures: Vec<Failure>,
    },
    ContainerInstanceArns {
        #[serde(rename = "containerInstanceArns")]
        container_instance_arns: Vec<String>,
        #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    },
    Setting {
        setting: Setting,
    },
    Settings {
        settings: Vec<Setting>,
        #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    },
    Acknowledgment {
        acknowledgment: String,
    },
    TaskDefinition {
        #[serde(rename = "taskDefinition")]
        task_definition: TaskDefinition,
    },
    Service {
        service: Box<Service>,
    },
    Services {
        services: Vec<Service>,
        failures: Vec<Failure>,
    },
    Tasks {
        tasks: Vec<Task>,
        failures: Vec<Failure>,
    },
    Task {
        task: Box<Task>,
    },
    TaskArns {
        #[serde(rename = "taskArns")]
        task_arns: Vec<String>,
        #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    },
}

/// `PortMapping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortMapping {
    #[serde(default)]
    pub container_port: Option<u16>,
    #[serde(default)]
    pub host_port: Option<u16>,
    /// `tcp` (default) or `udp`.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// `HealthCheck` of a container definition (seconds, as in ECS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub interval: Option<u32>,
    #[serde(default)]
    pub timeout: Option<u32>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub start_period: Option<u32>,
}

/// `ContainerDefinition` (the members drainsim uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDefinition {
    pub name: String,
    #[serde(default)]
    pub cpu: Option<u32>,
    #[serde(default)]
    pub memory: Option<u32>,
    #[serde(default)]
    pub port_mappings: Vec<PortMapping>,
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
    #[serde(default)]
    pub essential: Option<bool>,
    /// Seconds between SIGTERM and SIGKILL (default 30).
    #[serde(default)]
    pub stop_timeout: Option<u32>,
    /// drainsim extension: how long the process takes to exit after SIGTERM, in milliseconds;
    /// absent means it never exits on its own and is killed at `stopTimeout` (the conservative case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_after_sigterm_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterTaskDefinitionRequest {
    pub family: String,
    #[serde(default)]
    pub network_mode: Option<String>,
    /// Task-level CPU units, a string as in ECS (`"256"`).
    #[serde(default)]
    pub cpu: Option<String>,
    /// Task-level memory in MiB, a string as in ECS (`"512"`).
    #[serde(default)]
    pub memory: Option<String>,
    pub container_definitions: Vec<ContainerDefinition>,
}

/// `TaskDefinition` (the members drainsim keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub task_definition_arn: String,
    pub family: String,
    pub revision: u32,
    pub network_mode: String,
    pub cpu: String,
    pub memory: String,
    pub status: String,
}

/// `DeploymentConfiguration` (the members drainsim models).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentConfiguration {
    #[serde(default)]
    pub maximum_percent: Option<i64>,
    #[serde(default)]
    pub minimum_healthy_percent: Option<i64>,
}

/// `PlacementStrategy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementStrategy {
    #[serde(rename = "type")]
    pub strategy_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `PlacementConstraint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementConstraint {
    #[serde(rename = "type")]
    pub constraint_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// `LoadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
}

/// drainsim extension: the ELB target group's settings that decide when a target is healthy and
/// how long deregistration takes (ELB defaults: 30 s interval, 5 healthy checks, 300 s delay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetGroupSettings {
    #[serde(default)]
    pub health_check_interval_seconds: Option<u32>,
    #[serde(default)]
    pub healthy_threshold_count: Option<u32>,
    #[serde(default)]
    pub deregistration_delay_seconds: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateServiceRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub service_name: String,
    pub task_definition: String,
    #[serde(default)]
    pub desired_count: Option<i64>,
    #[serde(default)]
    pub scheduling_strategy: Option<String>,
    #[serde(default)]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    #[serde(default)]
    pub placement_strategy: Vec<PlacementStrategy>,
    #[serde(default)]
    pub placement_constraints: Vec<PlacementConstraint>,
    #[serde(default)]
    pub load_balancers: Vec<LoadBalancer>,
    #[serde(default)]
    pub health_check_grace_period_seconds: Option<i64>,
    /// drainsim extension: the target group's health-check and deregistration settings.
    #[serde(default)]
    pub target_group: Option<TargetGroupSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateServiceRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub service: String,
    #[serde(default)]
    pub desired_count: Option<i64>,
    #[serde(default)]
    pub deployment_configuration: Option<DeploymentConfiguration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteServiceRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub service: String,
    #[serde(default)]
    pub force: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeServicesRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunTaskRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub task_definition: String,
    #[serde(default)]
    pub count: Option<i64>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub started_by: Option<String>,
    #[serde(default)]
    pub placement_strategy: Vec<PlacementStrategy>,
    #[serde(default)]
    pub placement_constraints: Vec<PlacementConstraint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTaskRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub task_definition: String,
    pub container_instances: Vec<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub started_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTaskRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub task: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTasksRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub container_instance: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub desired_status: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub started_by: Option<String>,
    #[serde(default)]
    pub max_results: Option<i64>,
    #[serde(default)]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeTasksRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub tasks: Vec<String>,
}

/// `ServiceEvent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    pub id: String,
    pub created_at: f64,
    pub message: String,
}

/// `Service` (the members drainsim models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub service_arn: String,
    pub service_name: String,
    pub cluster_arn: String,
    pub status: String,
    pub desired_count: u32,
    pub running_count: u32,
    pub pending_count: u32,
    pub launch_type: String,
    pub task_definition: String,
    pub deployment_configuration: DeploymentConfiguration,
    pub placement_strategy: Vec<PlacementStrategy>,
    pub placement_constraints: Vec<PlacementConstraint>,
    pub load_balancers: Vec<LoadBalancer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i64>,
    pub scheduling_strategy: String,
    pub events: Vec<ServiceEvent>,
    pub created_at: f64,
}

/// `Task` (the members drainsim models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub task_arn: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_instance_arn: Option<String>,
    pub last_status: String,
    pub desired_status: String,
    pub cpu: String,
    pub memory: String,
    pub group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    pub version: u64,
    pub launch_type: String,
    pub availability_zone: String,
    pub health_status: String,
    pub created_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopping_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    pub attachments: Vec<Attachment>,
}
