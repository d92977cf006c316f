//! `drainsim import`: a scenario from what the AWS CLI prints about a real cluster.
//!
//! Input is the JSON of `aws ecs describe-clusters`, `describe-container-instances`,
//! `describe-services`, `describe-task-definition` (one file per revision), `describe-tasks`,
//! `list-account-settings --effective-settings` and, optionally, `aws elbv2 describe-target-groups`,
//! `describe-target-group-attributes` and `describe-target-health`; the `list-*` outputs are
//! accepted and not needed. Each file is recognised by its content. The result is a [`Scenario`]
//! that starts as the cluster was: its instances (named by their EC2 instance IDs, with their
//! container-instance IDs, zones, AMIs, agent versions, trunks and statuses), task definitions,
//! services and the tasks that run where they ran (`runningTasks`). What drainsim does not model is
//! skipped and listed in the [`ImportSummary`]; what it needs and cannot find is an [`ImportError`]
//! naming the file and the JSON path. The user guide is docs/import.md.

mod json;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use drainsim_core::api;
use serde_json::Value;

use crate::format::{
    Action, DeregisterPlan, DrainPlan, FaultsSpec, InstanceGroup, PinnedFaultKind, PinnedFaultSpec, RunningTasks, Scenario, Step,
    WaitSpec,
};
pub use json::ImportError;
use json::{Notes, Obj};

/// Most input files an import reads. The AWS CLI describes at most 100 tasks per call, so a
/// cluster at ECS's quota of 5,000 container instances running 100 tasks on each is 5,000
/// `describe-tasks` files (until 2026-12-01 the bound was 1,000 files: 100,000 tasks). Files are
/// read one at a time ([`import_paths`]), so the bound is on the listing, not on memory.
pub const MAX_FILES: usize = 100_000;
/// The largest input file, in bytes.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// The most instances a drain plan's wave may hold.
pub const MAX_WAVE: u32 = 1_000;

/// Which instances the drain plan drains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DrainSelection {
    /// No drain plan.
    #[default]
    None,
    /// These EC2 instance IDs, in this order.
    Ids(Vec<String>),
    /// The instances a cluster query selects (`attribute:ecs.ami-id == ami-0old`).
    Filter(String),
}

impl DrainSelection {
    /// `--drain`'s value: comma-separated EC2 instance IDs (`i-…`), or else a cluster query.
    pub fn parse(value: &str) -> DrainSelection {
        let ids: Vec<&str> = value.split(',').map(str::trim).collect();
        if ids.iter().all(|id| id.starts_with("i-") && !id.contains(char::is_whitespace) && id.len() > 2) {
            DrainSelection::Ids(ids.into_iter().map(str::to_string).collect())
        } else {
            DrainSelection::Filter(value.to_string())
        }
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The instances to drain, wait for and deregister, in waves (the drain plan).
    pub drain: DrainSelection,
    /// Instances per wave (1 to [`MAX_WAVE`]).
    pub wave_size: u32,
    /// How long each wave may take before its `WaitForDrain` times out.
    pub wave_timeout_ms: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { drain: DrainSelection::None, wave_size: 10, wave_timeout_ms: 3_600_000 }
    }
}

/// The scenario an import made, and what it did with its input.
#[derive(Debug)]
pub struct Imported {
    /// The scenario (write it with [`crate::write::to_ron`]).
    pub scenario: Scenario,
    /// What was read, skipped and noticed.
    pub summary: ImportSummary,
}

/// What an import read, skipped and noticed.
#[derive(Debug, Default)]
pub struct ImportSummary {
    /// Each input file and the kind of output it was recognised as.
    pub files: Vec<(String, &'static str)>,
    /// Instances, task definitions, services and running tasks imported.
    pub counts: [usize; 4],
    /// Fields drainsim does not model, by path pattern, with how often each occurred.
    pub skipped_fields: Vec<(String, u64)>,
    /// What was left out or changed, in words.
    pub notes: Vec<String>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [i, t, s, r] = self.counts;
        writeln!(f, "imported {i} container instances, {t} task definitions, {s} services and {r} running tasks from:")?;
        for (file, kind) in &self.files {
            writeln!(f, "  {file}  ({kind})")?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        if !self.skipped_fields.is_empty() {
            writeln!(f, "not modelled, skipped ({} fields):", self.skipped_fields.len())?;
            for (field, count) in &self.skipped_fields {
                writeln!(f, "  {field} (x{count})")?;
            }
        }
        Ok(())
    }
}

/// Reads the input: each path is a JSON file, or a directory whose `*.json` files are read in
/// name order. Returns `(name, contents)` pairs.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, String)>, ImportError> {
    input_files(paths)?.iter().map(|f| read_input(f)).collect()
}

/// The input files: each path is a JSON file, or a directory whose `*.json` files are taken in
/// name order.
fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let err = |p: &Path, m: String| ImportError { file: p.display().to_string(), path: "$".into(), message: m };
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| err(p, format!("cannot read the directory: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|q| q.extension().is_some_and(|x| x == "json") && q.is_file())
                .collect();
            entries.sort();
            if entries.is_empty() {
                return Err(err(p, "the directory has no .json files".into()));
            }
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
        if files.len() > MAX_FILES {
            return Err(err(p, format!("more than {MAX_FILES} input files")));
        }
    }
    if files.is_empty() {
        return Err(ImportError { file: "(none)".into(), path: "$".into(), message: "no input files".into() });
    }
    Ok(files)
}

/// One input file's name and contents.
fn read_input(f: &Path) -> Result<(String, String), ImportError> {
    let err = |m: String| ImportError { file: f.display().to_string(), path: "$".into(), message: m };
    let bytes = crate::input::read_bounded(f, MAX_FILE_BYTES).map_err(|e| err(format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| err(format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to())))?;
    Ok((f.display().to_string(), text))
}

/// What the input files say, gathered before the scenario is built.
#[derive(Default)]
struct Capture {
    clusters: Vec<(String, String)>,
    arn_context: Option<(String, String)>,
    instances: Vec<InstanceIn>,
    task_defs: BTreeMap<(String, u32), api::RegisterTaskDefinitionRequest>,
    services: Vec<ServiceIn>,
    tasks: Vec<TaskIn>,
    settings: Vec<api::PutAccountSettingRequest>,
    target_groups: BTreeMap<String, TargetGroupIn>,
    /// `(file, attributes)` of describe-target-group-attributes outputs, matched afterwards.
    tg_attributes: Vec<(String, Option<u32>)>,
    latest_time: Option<i64>,
}

struct InstanceIn {
    path: (String, String),
    group: InstanceGroup,
    cluster: Option<String>,
    long_arn: bool,
    status: String,
    agent_connected: bool,
    trunked: bool,
}

struct ServiceIn {
    path: (String, String),
    cluster: String,
    request: api::CreateServiceRequest,
    task_def: (String, u32),
}

struct TaskIn {
    path: (String, String),
    cluster: String,
    instance_id: String,
    task_def: (String, u32),
    group: Option<String>,
    started_by: Option<String>,
    healthy: bool,
}

#[derive(Default)]
struct TargetGroupIn {
    name: String,
    interval_s: Option<u32>,
    healthy_threshold: Option<u32>,
    deregistration_delay_s: Option<u32>,
}

/// `arn:aws:ecs:REGION:ACCOUNT:KIND/REST` → (region, account, REST), if `KIND` matches.
fn split_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let mut parts = arn.splitn(6, ':');
    let (a, _partition, _service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if a != "arn" {
        return None;
    }
    let rest = resource.strip_prefix(kind)?.strip_prefix('/')?;
    Some((region, account, rest))
}

/// `family:revision` of a task definition ARN (or of `family:revision` itself).
fn task_def_ref(s: &str) -> Option<(String, u32)> {
    let tail = match split_arn(s, "task-definition") {
        Some((_, _, rest)) => rest,
        None => s,
    };
    let (family, rev) = tail.rsplit_once(':')?;
    let rev: u32 = rev.parse().ok().filter(|r| *r >= 1)?;
    (!family.is_empty()).then(|| (family.to_string(), rev))
}

impl Capture {
    fn note_time(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.latest_time = Some(self.latest_time.map_or(t, |l| l.max(t)));
        }
    }

    fn note_arn(&mut self, region: &str, account: &str) {
        if self.arn_context.is_none() {
            self.arn_context = Some((region.to_string(), account.to_string()));
        }
    }

    fn read_document(
        &mut self,
        file: &str,
        value: &Value,
        notes: &Notes,
        summary: &mut ImportSummary,
    ) -> Result<(), ImportError> {
        let keys: BTreeSet<&str> = value.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        let kind = [
            ("containerInstances", "describe-container-instances"),
            ("containerInstanceArns", "list-container-instances"),
            ("clusters", "describe-clusters"),
            ("services", "describe-services"),
            ("serviceArns", "list-services"),
            ("taskDefinition", "describe-task-definition"),
            ("tasks", "describe-tasks"),
            ("taskArns", "list-tasks"),
            ("settings", "list-account-settings"),
            ("TargetGroups", "describe-target-groups"),
            ("Attributes", "describe-target-group-attributes"),
            ("TargetHealthDescriptions", "describe-target-health"),
        ]
        .into_iter()
        .find(|(key, _)| keys.contains(key))
        .map(|(_, kind)| kind)
        .ok_or_else(|| ImportError {
            file: file.to_string(),
            path: "$".into(),
            message: "not an AWS CLI output drainsim reads: expected the JSON of aws ecs describe-clusters, \
                      describe-container-instances, describe-services, describe-task-definition, describe-tasks, \
                      list-account-settings, or aws elbv2 describe-target-groups, describe-target-group-attributes, \
                      describe-target-health"
                .into(),
        })?;
        summary.files.push((file.to_string(), kind));
        let root = Obj::root(value, file, kind, notes)?;
        match kind {
            "describe-container-instances" => {
                for ci in root.objects("containerInstances")? {
                    self.read_instance(ci, file)?;
                }
                root.touch(&["failures"]);
            }
            "describe-clusters" => {
                for c in root.objects("clusters")? {
                    let arn = c.str("clusterArn")?;
                    let name = c.str("clusterName")?;
                    let (region, account, _) =
                        split_arn(arn, "cluster").ok_or_else(|| c.error(Some("clusterArn"), "not a cluster ARN"))?;
                    self.note_arn(region, account);
                    if c.opt_str("status")?.is_some_and(|s| s != "ACTIVE") {
                        return Err(c.error(Some("status"), "the cluster is not ACTIVE"));
                    }
                    self.clusters.push((name.to_string(), arn.to_string()));
                    c.finish();
                }
                root.touch(&["failures"]);
            }
            "describe-services" => {
                for s in root.objects("services")? {
                    self.read_service(s, file, summary)?;
                }
                root.touch(&["failures"]);
            }
            "describe-task-definition" => {
                let td =
                    root.opt_obj("taskDefinition")?.ok_or_else(|| root.error(Some("taskDefinition"), "expected an object"))?;
                self.read_task_def(td)?;
                root.touch(&["tags"]);
            }
            "describe-tasks" => {
                for t in root.objects("tasks")? {
                    self.read_task(t, file, summary)?;
                }
                root.touch(&["failures"]);
            }
            "list-account-settings" => {
                for s in root.objects("settings")? {
                    self.settings.push(api::PutAccountSettingRequest {
                        name: s.str("name")?.to_string(),
                        value: s.str("value")?.to_string(),
                        principal_arn: s.opt_str("principalArn")?.map(str::to_string),
                    });
                    s.touch(&["type"]);
                    s.finish();
                }
                root.touch(&["nextToken"]);
            }
            "describe-target-groups" => {
                for tg in root.objects("TargetGroups")? {
                    let arn = tg.str("TargetGroupArn")?.to_string();
                    let entry = self.target_groups.entry(arn).or_default();
                    entry.name = tg.str("TargetGroupName")?.to_string();
                    entry.interval_s = tg.opt_int("HealthCheckIntervalSeconds", 5..=300)?.map(|n| n as u32);
                    entry.healthy_threshold = tg.opt_int("HealthyThresholdCount", 2..=10)?.map(|n| n as u32);
                    tg.finish();
                }
                root.touch(&["NextMarker"]);
            }
            "describe-target-group-attributes" => {
                let mut delay = None;
                for a in root.objects("Attributes")? {
                    if a.str("Key")? == "deregistration_delay.timeout_seconds" {
                        let v = a.str("Value")?;
                        let n: u32 = v
                            .parse()
                            .ok()
                            .filter(|n| *n <= 3600)
                            .ok_or_else(|| a.error(Some("Value"), format!("'{v}' is not a delay of 0 to 3600 seconds")))?;
                        delay = Some(n);
                    } else {
                        a.touch(&["Value"]);
                    }
                    a.finish();
                }
                self.tg_attributes.push((file.to_string(), delay));
            }
            _ => {
                // list-* and describe-target-health: recognised, nothing drainsim needs.
                for k in keys {
                    root.touch(&[k]);
                }
            }
        }
        root.finish();
        Ok(())
    }

    fn read_instance(&mut self, ci: Obj<'_>, file: &str) -> Result<(), ImportError> {
        let arn = ci.str("containerInstanceArn")?;
        let (region, account, rest) = split_arn(arn, "container-instance")
            .ok_or_else(|| ci.error(Some("containerInstanceArn"), "not a container instance ARN"))?;
        self.note_arn(region, account);
        let (cluster, id) = match rest.split_once('/') {
            Some((c, id)) => (Some(c.to_string()), id),
            None => (None, rest),
        };
        let ec2 = ci.str("ec2InstanceId")?;
        if !ec2.starts_with("i-") {
            return Err(ci.error(Some("ec2InstanceId"), format!("'{ec2}' is not an EC2 instance ID")));
        }
        let agent_version = match ci.opt_obj("versionInfo")? {
            Some(v) => {
                let a = v.opt_str("agentVersion")?.map(str::to_string);
                v.touch(&["agentHash", "dockerVersion"]);
                v.finish();
                a
            }
            None => None,
        };
        let (mut cpu, mut memory, mut ports) = (None, None, None);
        for r in ci.objects("registeredResources")? {
            match r.str("name")? {
                "CPU" => cpu = Some(r.int("integerValue", 0..=10_000_000)?),
                "MEMORY" => memory = Some(r.int("integerValue", 1..=100_000_000)?),
                "PORTS" => {
                    let list = r.strings("stringSetValue")?;
                    let parsed: Result<Vec<u16>, _> = list.iter().map(|p| p.parse::<u16>()).collect();
                    ports = Some(parsed.map_err(|_| r.error(Some("stringSetValue"), "expected port numbers"))?);
                }
                _ => {}
            }
            r.touch(&["type", "doubleValue", "longValue", "integerValue", "stringSetValue"]);
            r.finish();
        }
        let cpu = cpu.ok_or_else(|| ci.error(Some("registeredResources"), "no CPU resource"))?;
        let memory = memory.ok_or_else(|| ci.error(Some("registeredResources"), "no MEMORY resource"))?;
        let status = ci.str("status")?.to_string();
        let agent_connected = ci.opt_bool("agentConnected")?.unwrap_or(true);
        let registered_at = ci.opt_time("registeredAt")?;
        self.note_time(registered_at);
        let (mut instance_type, mut zone, mut trunk) = (None, None, None);
        let mut attributes = BTreeMap::new();
        for a in ci.objects("attributes")? {
            let name = a.str("name")?;
            let value = a.opt_str("value")?;
            match (name, value) {
                ("ecs.instance-type", Some(v)) => instance_type = Some(v.to_string()),
                ("ecs.availability-zone", Some(v)) => zone = Some(v.to_string()),
                ("ecs.awsvpc-trunk-id", Some(v)) => trunk = Some(v.to_string()),
                // Built in: drainsim adds them itself.
                ("ecs.os-type" | "ecs.cpu-architecture", _) => {}
                (_, Some(v)) => {
                    attributes.insert(name.to_string(), v.to_string());
                }
                // Capabilities (attributes without a value) are not modelled.
                (_, None) => {}
            }
            a.touch(&["targetType", "targetId"]);
            a.finish();
        }
        let instance_type = instance_type.ok_or_else(|| ci.error(Some("attributes"), "no ecs.instance-type attribute"))?;
        let zone = zone.ok_or_else(|| ci.error(Some("attributes"), "no ecs.availability-zone attribute"))?;
        if attributes.keys().filter(|k| !k.starts_with("ecs.")).count() > 10 {
            return Err(
                ci.error(Some("attributes"), "more than 10 custom attributes (RegisterContainerInstance takes at most 10)")
            );
        }
        let trunked = trunk.is_some();
        if let Some(t) = trunk {
            attributes.insert("ecs.awsvpc-trunk-id".into(), t);
        }
        let mut tags = BTreeMap::new();
        for t in ci.objects("tags")? {
            tags.insert(t.str("key")?.to_string(), t.str("value")?.to_string());
            t.finish();
        }
        let mut group = InstanceGroup::new(ec2, &instance_type, cpu, memory);
        group.availability_zones = vec![zone];
        group.reserved_ports = ports.filter(|p| *p != [22, 2375, 2376, 51678, 51679]);
        group.attributes = attributes;
        group.tags = tags;
        group.agent_version = agent_version;
        group.ec2_instance_id = Some(ec2.to_string());
        group.container_instance_id = Some(id.to_string());
        group.cluster = cluster.clone();
        ci.touch(&["remainingResources", "runningTasksCount", "pendingTasksCount", "version", "attachments", "statusReason"]);
        let path = (file.to_string(), ci.path().to_string());
        ci.finish();
        self.instances.push(InstanceIn { path, group, cluster, long_arn: rest.contains('/'), status, agent_connected, trunked });
        Ok(())
    }

    fn read_task_def(&mut self, td: Obj<'_>) -> Result<(), ImportError> {
        let arn = td.str("taskDefinitionArn")?;
        if let Some((region, account, _)) = split_arn(arn, "task-definition") {
            self.note_arn(region, account);
        }
        let family = td.str("family")?.to_string();
        let revision = td.int("revision", 1..=i64::from(drainsim_core::MAX_TASK_DEFINITION_REVISION))? as u32;
        let mut containers = Vec::new();
        for c in td.objects("containerDefinitions")? {
            let cpu = c.opt_int("cpu", 0..=10_240)?.map(|n| n as u32);
            let hard = c.opt_int("memory", 1..=100_000_000)?;
            // Placement reserves memoryReservation when it is set, else memory.
            let memory = c.opt_int("memoryReservation", 1..=100_000_000)?.or(hard).map(|n| n as u32);
            let mut port_mappings = Vec::new();
            for p in c.objects("portMappings")? {
                port_mappings.push(api::PortMapping {
                    container_port: p.opt_int("containerPort", 0..=65_535)?.map(|n| n as u16),
                    // hostPort 0 is a dynamic port: nothing reserved.
                    host_port: p.opt_int("hostPort", 0..=65_535)?.filter(|n| *n != 0).map(|n| n as u16),
                    protocol: p.opt_str("protocol")?.map(str::to_string),
                });
                p.finish();
            }
            let health_check = match c.opt_obj("healthCheck")? {
                Some(h) => {
                    // ECS's ranges, as RegisterTaskDefinition checks them.
                    let member = |name: &'static str| {
                        let r = api::HealthCheck::range_of(name);
                        h.opt_int(name, i64::from(*r.start())..=i64::from(*r.end())).map(|n| n.map(|n| n as u32))
                    };
                    let hc = api::HealthCheck {
                        command: h.strings("command")?.into_iter().map(str::to_string).collect(),
                        interval: member("interval")?,
                        timeout: member("timeout")?,
                        retries: member("retries")?,
                        start_period: member("startPeriod")?,
                    };
                    h.finish();
                    Some(hc)
                }
                None => None,
            };
            containers.push(api::ContainerDefinition {
                name: c.str("name")?.to_string(),
                cpu,
                memory,
                port_mappings,
                health_check,
                essential: c.opt_bool("essential")?,
                stop_timeout: c.opt_int("stopTimeout", 0..=120)?.map(|n| n as u32),
                exit_after_sigterm_ms: None,
            });
            c.finish();
        }
        let mut placement_constraints = Vec::new();
        for p in td.objects("placementConstraints")? {
            placement_constraints.push(api::TaskDefinitionPlacementConstraint {
                constraint_type: p.str("type")?.to_string(),
                expression: p.opt_str("expression")?.map(str::to_string),
            });
            p.finish();
        }
        let request = api::RegisterTaskDefinitionRequest {
            placement_constraints,
            family: family.clone(),
            network_mode: td.opt_str("networkMode")?.map(str::to_string),
            cpu: td.opt_str("cpu")?.map(str::to_string),
            memory: td.opt_str("memory")?.map(str::to_string),
            container_definitions: containers,
            revision: None,
        };
        td.touch(&["revision", "status", "registeredAt"]);
        td.finish();
        self.task_defs.insert((family, revision), request);
        Ok(())
    }

    fn read_service(&mut self, s: Obj<'_>, file: &str, summary: &mut ImportSummary) -> Result<(), ImportError> {
        let name = s.str("serviceName")?.to_string();
        let cluster_arn = s.str("clusterArn")?;
        let (region, account, cluster) =
            split_arn(cluster_arn, "cluster").ok_or_else(|| s.error(Some("clusterArn"), "not a cluster ARN"))?;
        self.note_arn(region, account);
        let status = s.str("status")?;
        let launch = s.opt_str("launchType")?;
        self.note_time(s.opt_time("createdAt")?);
        let mut fargate_provider = false;
        for cp in s.objects("capacityProviderStrategy")? {
            fargate_provider |= cp.str("capacityProvider")?.starts_with("FARGATE");
            cp.touch(&["weight", "base"]);
            cp.finish();
        }
        if status != "ACTIVE" || launch.is_some_and(|l| l != "EC2") || fargate_provider {
            summary.notes.push(format!(
                "service {name} left out: {}",
                if status != "ACTIVE" { format!("it is {status}") } else { "it does not run on EC2 container instances".into() }
            ));
            s.touch(&[
                "serviceArn",
                "desiredCount",
                "taskDefinition",
                "deploymentConfiguration",
                "placementStrategy",
                "placementConstraints",
                "loadBalancers",
                "healthCheckGracePeriodSeconds",
                "schedulingStrategy",
                "availabilityZoneRebalancing",
            ]);
            s.finish();
            return Ok(());
        }
        let td_text = s.str("taskDefinition")?;
        let task_def = task_def_ref(td_text)
            .ok_or_else(|| s.error(Some("taskDefinition"), format!("'{td_text}' is not a task definition ARN")))?;
        let scheduling = s.opt_str("schedulingStrategy")?.unwrap_or("REPLICA").to_string();
        let deployment_configuration = match s.opt_obj("deploymentConfiguration")? {
            Some(d) => {
                let dc = api::DeploymentConfiguration {
                    maximum_percent: d.opt_int("maximumPercent", 0..=100_000)?,
                    minimum_healthy_percent: d.opt_int("minimumHealthyPercent", 0..=100)?,
                };
                d.finish();
                Some(dc)
            }
            None => None,
        };
        let mut placement_strategy = Vec::new();
        for p in s.objects("placementStrategy")? {
            placement_strategy.push(api::PlacementStrategy {
                strategy_type: p.str("type")?.to_string(),
                field: p.opt_str("field")?.map(str::to_string),
            });
            p.finish();
        }
        let mut placement_constraints = Vec::new();
        for p in s.objects("placementConstraints")? {
            placement_constraints.push(api::PlacementConstraint {
                constraint_type: p.str("type")?.to_string(),
                expression: p.opt_str("expression")?.map(str::to_string),
            });
            p.finish();
        }
        let mut load_balancers = Vec::new();
        for (n, lb) in s.objects("loadBalancers")?.into_iter().enumerate() {
            let spec = api::LoadBalancer {
                target_group_arn: lb.opt_str("targetGroupArn")?.map(str::to_string),
                load_balancer_name: lb.opt_str("loadBalancerName")?.map(str::to_string),
                container_name: lb.opt_str("containerName")?.map(str::to_string),
                container_port: lb.opt_int("containerPort", 0..=65_535)?.map(|n| n as u16),
            };
            lb.finish();
            if n == 0 {
                load_balancers.push(spec);
            } else {
                summary.notes.push(format!("service {name}: only its first load balancer is modelled"));
            }
        }
        let grace = s.opt_int("healthCheckGracePeriodSeconds", 0..=2_147_483_647)?;
        // Carried as captured: ECS returns ENABLED or DISABLED.
        let availability_zone_rebalancing = match s.opt_str("availabilityZoneRebalancing")? {
            None => None,
            Some(v @ ("ENABLED" | "DISABLED")) => Some(v.to_string()),
            Some(other) => {
                return Err(s.error(
                    Some("availabilityZoneRebalancing"),
                    format!("'{other}' is not an availabilityZoneRebalancing value (ENABLED or DISABLED)"),
                ))
            }
        };
        let request = api::CreateServiceRequest {
            cluster: Some(cluster.to_string()),
            service_name: name,
            task_definition: String::new(),
            desired_count: if scheduling == "DAEMON" { None } else { Some(s.int("desiredCount", 0..=1_000_000)?) },
            scheduling_strategy: Some(scheduling.clone()).filter(|s| s != "REPLICA"),
            deployment_configuration,
            placement_strategy,
            placement_constraints,
            health_check_grace_period_seconds: grace.filter(|g| *g > 0),
            load_balancers,
            target_group: None,
            availability_zone_rebalancing,
        };
        s.touch(&["serviceArn", "desiredCount", "runningCount", "pendingCount", "status", "launchType", "events", "deployments"]);
        let path = (file.to_string(), s.path().to_string());
        s.finish();
        self.services.push(ServiceIn { path, cluster: cluster.to_string(), request, task_def });
        Ok(())
    }

    fn read_task(&mut self, t: Obj<'_>, file: &str, summary: &mut ImportSummary) -> Result<(), ImportError> {
        let arn = t.str("taskArn")?;
        let cluster_arn = t.str("clusterArn")?;
        let (region, account, cluster) =
            split_arn(cluster_arn, "cluster").ok_or_else(|| t.error(Some("clusterArn"), "not a cluster ARN"))?;
        self.note_arn(region, account);
        let last = t.str("lastStatus")?;
        let desired = t.opt_str("desiredStatus")?.unwrap_or("RUNNING");
        self.note_time(t.opt_time("startedAt")?);
        self.note_time(t.opt_time("createdAt")?);
        let td_text = t.str("taskDefinitionArn")?;
        let task_def = task_def_ref(td_text)
            .ok_or_else(|| t.error(Some("taskDefinitionArn"), format!("'{td_text}' is not a task definition ARN")))?;
        let Some(ci_arn) = t.opt_str("containerInstanceArn")? else {
            summary.notes.push(format!("task {arn} left out: it has no container instance (Fargate)"));
            t.finish();
            return Ok(());
        };
        let instance_id = match split_arn(ci_arn, "container-instance") {
            Some((_, _, rest)) => rest.rsplit('/').next().unwrap_or(rest).to_string(),
            None => return Err(t.error(Some("containerInstanceArn"), "not a container instance ARN")),
        };
        let starting = matches!(last, "PROVISIONING" | "PENDING" | "ACTIVATING");
        if desired != "RUNNING" || !(last == "RUNNING" || starting) {
            summary.notes.push(format!(
                "task {} left out: it is {last} (desired {desired}); its resources are free within its stopTimeout",
                arn.rsplit('/').next().unwrap_or(arn)
            ));
            t.touch(&["group", "startedBy", "healthStatus"]);
            t.finish();
            return Ok(());
        }
        if starting {
            summary.notes.push(format!("task {} was {last}: imported as RUNNING", arn.rsplit('/').next().unwrap_or(arn)));
        }
        let healthy = t.opt_str("healthStatus")? != Some("UNHEALTHY");
        let task = TaskIn {
            path: (file.to_string(), t.path().to_string()),
            cluster: cluster.to_string(),
            instance_id,
            task_def,
            group: t.opt_str("group")?.map(str::to_string),
            started_by: t.opt_str("startedBy")?.map(str::to_string),
            healthy,
        };
        t.touch(&["launchType", "cpu", "memory", "version", "availabilityZone"]);
        t.finish();
        self.tasks.push(task);
        Ok(())
    }
}

/// Imports already-read files (see [`read_inputs`]) into a scenario.
pub fn import(inputs: &[(String, String)], opts: &ImportOptions) -> Result<Imported, ImportError> {
    import_inputs(inputs.iter().map(|(file, text)| Ok((file.clone(), text.as_str()))), opts)
}

/// Imports the files at `paths` (as [`read_inputs`] finds them) into a scenario, reading one file
/// at a time: a capture of a big cluster is never all in memory at once, only what drainsim keeps
/// of it. The same scenario as [`import`] of the files read first.
pub fn import_paths(paths: &[PathBuf], opts: &ImportOptions) -> Result<Imported, ImportError> {
    import_inputs(input_files(paths)?.iter().map(|f| read_input(f)), opts)
}

/// Imports files as `(name, contents)` pairs come, each dropped once read.
fn import_inputs<T: AsRef<str>>(
    inputs: impl IntoIterator<Item = Result<(String, T), ImportError>>,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    if opts.wave_size == 0 || opts.wave_size > MAX_WAVE {
        return Err(ImportError {
            file: "--wave".into(),
            path: "$".into(),
            message: format!("{} instances per wave; a wave has 1 to {MAX_WAVE}", opts.wave_size),
        });
    }
    let notes = Notes::default();
    let mut summary = ImportSummary::default();
    let mut cap = Capture::default();
    let (mut first_file, mut files) = (None, 0usize);
    for input in inputs {
        let (file, text) = input?;
        let value: Value = serde_json::from_str(text.as_ref()).map_err(|e| ImportError {
            file: file.clone(),
            path: "$".into(),
            message: format!("not valid JSON: {e} (line {}, column {})", e.line(), e.column()),
        })?;
        cap.read_document(&file, &value, &notes, &mut summary)?;
        files += 1;
        first_file.get_or_insert(file);
    }
    match_tg_attributes(&mut cap)?;
    let mut scenario = build(&mut cap, first_file.as_deref(), files, &mut summary)?;
    add_drain_plan(&mut scenario, opts)?;
    summary.skipped_fields = notes.skipped.into_inner().into_iter().collect();
    summary.counts = [
        scenario.instances.len(),
        scenario.task_definitions.len(),
        scenario.services.len(),
        scenario.running_tasks.iter().map(|r| r.count as usize).sum(),
    ];
    Ok(Imported { scenario, summary })
}

/// The scenario of a capture read from `files` files, the first named `first_file`.
fn build(
    cap: &mut Capture,
    first_file: Option<&str>,
    files: usize,
    summary: &mut ImportSummary,
) -> Result<Scenario, ImportError> {
    let at = |path: &(String, String), message: String| ImportError { file: path.0.clone(), path: path.1.clone(), message };
    // The one cluster.
    let mut names: BTreeSet<String> = cap.clusters.iter().map(|(n, _)| n.clone()).collect();
    names.extend(cap.services.iter().map(|s| s.cluster.clone()));
    names.extend(cap.tasks.iter().map(|t| t.cluster.clone()));
    names.extend(cap.instances.iter().filter_map(|i| i.cluster.clone()));
    let cluster = match names.len() {
        1 => names.into_iter().next().expect("one"),
        0 => {
            return Err(ImportError {
                file: first_file.unwrap_or("(none)").to_string(),
                path: "$".into(),
                message: "no cluster named: add the output of aws ecs describe-clusters".into(),
            })
        }
        _ => {
            return Err(ImportError {
                file: first_file.unwrap_or("(none)").to_string(),
                path: "$".into(),
                message: format!(
                    "the files describe {} clusters ({}); import one cluster at a time",
                    names.len(),
                    names.into_iter().collect::<Vec<_>>().join(", ")
                ),
            })
        }
    };
    let mut s = Scenario {
        name: format!("import-{cluster}"),
        description: format!("Imported by drainsim import from {files} AWS CLI output files."),
        clusters: vec![cluster.clone()],
        ..Default::default()
    };
    if let Some((region, account)) = &cap.arn_context {
        s.region = Some(region.clone());
        s.account_id = Some(account.clone());
    }
    // Time 0 is the capture: the latest time the files mention.
    if let Some(t) = cap.latest_time {
        s.epoch_unix_seconds = Some(u64::try_from(t).unwrap_or(0));
    }
    s.end_time_ms = Some(7 * 24 * 3_600_000);

    // Task definitions, each family's in revision order, keeping their revision numbers: a
    // revision after a gap (the ones between were deregistered in ECS) names its number with the
    // `revision` extension; the family's next needs none.
    // (The captured task definitions are keyed, and so ordered, by family, then revision.)
    let mut previous: Option<(&str, u32)> = None;
    for ((family, revision), request) in &cap.task_defs {
        let next = match previous {
            Some((f, r)) if f == family => r + 1,
            _ => 1,
        };
        previous = Some((family, *revision));
        let mut request = request.clone();
        request.revision = (*revision != next).then_some(*revision);
        s.task_definitions.push(request);
    }
    let td_name = |path: &(String, String), td: &(String, u32)| {
        cap.task_defs.contains_key(td).then(|| format!("{}:{}", td.0, td.1)).ok_or_else(|| {
            at(
                path,
                format!(
                    "task definition {}:{} was not imported: add the output of aws ecs describe-task-definition --task-definition {}:{}",
                    td.0, td.1, td.0, td.1
                ),
            )
        })
    };

    // Account settings as they were; instances that were not trunked register as a role with
    // trunking off, so today's setting cannot trunk them.
    s.account_settings = cap.settings.clone();
    let account = s.account_id.clone().unwrap_or_else(|| "123456789012".into());
    let untrunked_role = format!("arn:aws:iam::{account}:role/drainsim-import-untrunked");
    let any_untrunked = cap.instances.iter().any(|i| !i.trunked);
    if any_untrunked {
        s.account_settings.push(api::PutAccountSettingRequest {
            name: "awsvpcTrunking".into(),
            value: "disabled".into(),
            principal_arn: Some(untrunked_role.clone()),
        });
    }
    let long: BTreeSet<bool> = cap.instances.iter().map(|i| i.long_arn).collect();
    if long.len() == 1 {
        let value = if long.contains(&true) { "enabled" } else { "disabled" };
        s.account_defaults.insert("containerInstanceLongArnFormat".into(), value.into());
    } else if long.len() > 1 {
        summary.notes.push("the instances use both ARN formats: every instance gets the long format".into());
        s.account_defaults.insert("containerInstanceLongArnFormat".into(), "enabled".into());
    }

    // Instances.
    let mut imported_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut disconnected = Vec::new();
    for i in &mut cap.instances {
        match i.status.as_str() {
            "ACTIVE" | "DRAINING" => {}
            other => {
                summary.notes.push(format!("instance {} left out: it is {other}", i.group.name));
                continue;
            }
        }
        let mut g = i.group.clone();
        g.cluster = Some(cluster.clone());
        if i.status == "DRAINING" {
            g.status = Some("DRAINING".into());
        }
        if !i.trunked {
            g.instance_role = Some(untrunked_role.clone());
        }
        if imported_ids.insert(g.container_instance_id.clone().unwrap_or_default(), g.name.clone()).is_some() {
            return Err(at(&i.path, format!("container instance {} appears twice", g.name)));
        }
        if !i.agent_connected {
            disconnected.push(g.name.clone());
        }
        s.instances.push(g);
    }

    // Services.
    let mut service_tds: BTreeMap<String, String> = BTreeMap::new();
    for svc in &cap.services {
        let mut r = svc.request.clone();
        r.cluster = Some(cluster.clone());
        r.task_definition = td_name(&svc.path, &svc.task_def)?;
        if let Some(tg) = r.load_balancers.first().and_then(|lb| lb.target_group_arn.clone()) {
            if let Some(t) = cap.target_groups.get(&tg) {
                r.target_group = Some(api::TargetGroupSettings {
                    health_check_interval_seconds: t.interval_s,
                    healthy_threshold_count: t.healthy_threshold,
                    deregistration_delay_seconds: t.deregistration_delay_s,
                });
            } else {
                summary.notes.push(format!(
                    "service {}: its target group was not described (aws elbv2 describe-target-groups); ELB defaults apply",
                    r.service_name
                ));
            }
        }
        service_tds.insert(r.service_name.clone(), r.task_definition.clone());
        s.services.push(r);
    }

    // Tasks where they run.
    let mut running: BTreeMap<RunKey, u32> = BTreeMap::new();
    let mut order = Vec::new();
    for t in &cap.tasks {
        let Some(instance) = imported_ids.get(&t.instance_id) else {
            summary.notes.push(format!("a task on container instance {} left out: the instance was not imported", t.instance_id));
            continue;
        };
        let mut td = td_name(&t.path, &t.task_def)?;
        let service = t
            .group
            .as_deref()
            .and_then(|g| g.strip_prefix("service:"))
            .filter(|n| service_tds.contains_key(*n))
            .map(str::to_string);
        if let Some(sv) = &service {
            let want = &service_tds[sv];
            if *want != td {
                summary.notes.push(format!("a task of service {sv} ran {td}; it is imported with the service's {want}"));
                td = want.clone();
            }
        }
        let (group, started_by) = match &service {
            Some(_) => (None, None),
            None => (t.group.clone().filter(|g| !g.starts_with("family:")), t.started_by.clone()),
        };
        let key = (instance.clone(), td, service, group, started_by, t.healthy);
        if !running.contains_key(&key) {
            order.push(key.clone());
        }
        *running.entry(key).or_insert(0) += 1;
    }
    for key in order {
        let count = running[&key];
        let (instance, task_definition, service, group, started_by, healthy) = key;
        s.running_tasks.push(RunningTasks { instance, task_definition, service, group, started_by, count, healthy });
    }
    if !disconnected.is_empty() {
        let pinned = disconnected
            .iter()
            .map(|n| PinnedFaultSpec { at_ms: 0, fault: PinnedFaultKind::AgentDisconnect(n.clone()) })
            .collect();
        s.faults = Some(FaultsSpec { pinned, ..Default::default() });
    }

    Ok(s)
}

/// Adds the drain plan: the selected instances in waves, each drained, waited for and deregistered
/// before the next. A filter is evaluated on the imported cluster at time 0 (ListContainerInstances
/// with the filter, ACTIVE and DRAINING instances, in the order ECS lists them); when the selection
/// fits one wave, the steps carry the filter itself, else the waves name their instances.
fn add_drain_plan(s: &mut Scenario, opts: &ImportOptions) -> Result<(), ImportError> {
    let cluster = s.clusters.first().cloned().unwrap_or_else(|| "default".into());
    let refuse = |message: String| ImportError { file: "--drain".into(), path: "$".into(), message };
    let (selected, filter) = match &opts.drain {
        DrainSelection::None => return Ok(()),
        DrainSelection::Ids(ids) => {
            // A set, so that naming thousands of instances costs no scan of the cluster per name.
            let imported: std::collections::BTreeSet<&str> = s.instances.iter().map(|g| g.name.as_str()).collect();
            for id in ids {
                if !imported.contains(id.as_str()) {
                    return Err(refuse(format!("{id} is not an imported ACTIVE or DRAINING container instance")));
                }
            }
            (ids.clone(), None)
        }
        DrainSelection::Filter(f) => {
            drainsim_core::query::Query::parse(f).map_err(|e| refuse(format!("'{f}' is not a valid cluster query: {e}")))?;
            let text = crate::write::to_ron(s);
            let loaded =
                crate::load_str("(import)", &text).map_err(|e| refuse(format!("the imported cluster does not load: {e}")))?;
            let mut engine = crate::runner::setup_engine(&loaded, &crate::runner::RunOptions::default())
                .map_err(|e| refuse(format!("the imported cluster does not set up: {e}")))?;
            let mut names = Vec::new();
            for status in ["ACTIVE", "DRAINING"] {
                let mut next_token = None;
                loop {
                    let response = engine
                        .handle(api::Request::ListContainerInstances(api::ListContainerInstancesRequest {
                            cluster: Some(cluster.clone()),
                            filter: Some(f.clone()),
                            next_token: next_token.take(),
                            max_results: Some(100),
                            status: Some(status.into()),
                        }))
                        .map_err(|e| refuse(format!("'{f}': {e}")))?;
                    let api::Response::ContainerInstanceArns { container_instance_arns, next_token: more } = response else {
                        unreachable!("ListContainerInstances answers with ARNs");
                    };
                    names.extend(
                        container_instance_arns
                            .iter()
                            .filter_map(|arn| engine.instance_by_arn(arn).map(|i| i.name().to_string())),
                    );
                    match more {
                        Some(t) => next_token = Some(t),
                        None => break,
                    }
                }
            }
            if names.is_empty() {
                return Err(refuse(format!("'{f}' selects no ACTIVE or DRAINING instance of the imported cluster")));
            }
            (names, Some(f.clone()))
        }
    };
    let one_wave = selected.len() <= opts.wave_size as usize;
    for wave in selected.chunks(opts.wave_size as usize) {
        let (instances, filter) = match (&filter, one_wave) {
            (Some(f), true) => (Vec::new(), Some(f.clone())),
            _ => (wave.to_vec(), None),
        };
        let step = |action| Step { at_ms: None, caller: None, action, expect: None };
        s.steps.push(step(Action::DrainInstances(DrainPlan {
            cluster: Some(cluster.clone()),
            instances: instances.clone(),
            filter: filter.clone(),
            status: None,
            wave_size: None,
        })));
        s.steps.push(step(Action::WaitForDrain(WaitSpec {
            cluster: filter.is_some().then(|| cluster.clone()),
            instances: instances.clone(),
            filter: filter.clone(),
            status: None,
            timeout_ms: opts.wave_timeout_ms,
        })));
        s.steps.push(step(Action::DeregisterInstances(DeregisterPlan {
            cluster: Some(cluster.clone()),
            instances,
            filter,
            status: None,
            force: false,
        })));
    }
    if let DrainSelection::Filter(f) = &opts.drain {
        s.description.push_str(&format!(
            " Drain plan: the {} instances '{f}' selects, {} per wave.",
            selected.len(),
            opts.wave_size
        ));
    }
    Ok(())
}

/// Alike running tasks: instance, task definition, service, group, startedBy, healthy.
type RunKey = (String, String, Option<String>, Option<String>, Option<String>, bool);

/// Matches the target-group attribute files to their target groups: by a `-<target-group-name>.json`
/// suffix of the file name, or to the only target group there is.
fn match_tg_attributes(cap: &mut Capture) -> Result<(), ImportError> {
    let pending = std::mem::take(&mut cap.tg_attributes);
    for (file, delay) in pending {
        let stem = Path::new(&file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let by_name: Vec<&String> =
            cap.target_groups.iter().filter(|(_, t)| stem.ends_with(&format!("-{}", t.name))).map(|(a, _)| a).collect();
        let arn = match (by_name.as_slice(), cap.target_groups.len()) {
            ([one], _) => (*one).clone(),
            ([], 1) => cap.target_groups.keys().next().expect("one").clone(),
            _ => {
                return Err(ImportError {
                    file,
                    path: "$".into(),
                    message: "cannot tell which target group these attributes belong to: name the file \
                              …-<target-group-name>.json, or import one target group"
                        .into(),
                })
            }
        };
        cap.target_groups.get_mut(&arn).expect("found").deregistration_delay_s = delay;
    }
    Ok(())
}
