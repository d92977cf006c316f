//! `drainsim import`: a scenario from what the AWS CLI prints about a real cluster.
//!
//! Input is the JSON of `aws ecs describe-clusters`, `describe-container-instances`,
//! `describe-services`, `describe-task-definition` (one file per revision), `describe-tasks`,
//! `list-account-settings --effective-settings` and, optionally, `describe-capacity-providers`,
//! `aws elbv2 describe-target-groups`, `describe-target-group-attributes` and
//! `describe-target-health`, and the Auto Scaling and EC2 outputs that `autoscaling.rs` reads; the `list-*`
//! outputs and `describe-auto-scaling-instances` are accepted and not needed. Each file is recognised by its content. The result is a [`Scenario`]
//! that starts as the cluster was: its instances (named by their EC2 instance IDs, with their
//! container-instance IDs and ARN formats, zones, AMIs, agent versions, trunks and statuses), task
//! definitions, services and the tasks that run where they ran, each with its own revision
//! (`runningTasks`). What drainsim does not model is skipped and listed in the [`ImportSummary`];
//! what it needs and cannot find is an [`ImportError`] naming the file and the JSON path. The
//! scenario's setup is checked before it is returned: a refused item is an error at the file and
//! JSON path it was read from, with the summary. The user guide is docs/import.md.

mod autoscaling;
mod json;
mod user_data;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use drainsim_core::api;
use serde_json::Value;

use crate::format::{
    Action, DeregisterPlan, DrainPlan, FaultsSpec, InstanceGroup, PinnedFaultKind, PinnedFaultSpec, RefreshPreferencesSpec,
    RunningTasks, Scenario, StartInstanceRefreshSpec, Step, StepExpect, WaitSpec,
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

/// The arrays of a file read one element at a time ([`json::Document`]): the outputs that grow with
/// the cluster (describe-container-instances, describe-tasks).
const STREAMED_ARRAYS: [&str; 2] = ["containerInstances", "tasks"];
/// The most instances a drain plan's wave may hold.
pub const MAX_WAVE: u32 = 1_000;

/// Which instances the drain plan drains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DrainSelection {
    /// No drain plan.
    #[default]
    None,
    /// These instances, in this order: EC2 instance IDs, or container instance IDs or ARNs (each
    /// drained as its EC2 instance).
    Ids(Vec<String>),
    /// The instances a cluster query selects (`attribute:ecs.ami-id == ami-0old`).
    Filter(String),
}

impl DrainSelection {
    /// `--drain`'s value: comma-separated instances — EC2 instance IDs (`i-…`; a managed instance
    /// `mi-…` is refused when the plan is added: the import leaves external instances out), or container
    /// instance IDs or ARNs, as ListContainerInstances prints them (an empty item, as after a
    /// trailing comma, is none) —, or else a cluster query.
    pub fn parse(value: &str) -> DrainSelection {
        let ids: Vec<&str> = value.split(',').map(str::trim).filter(|id| !id.is_empty()).collect();
        let names_an_instance = |id: &&str| {
            !id.contains(char::is_whitespace)
                && ((id.starts_with("i-") && id.len() > 2)
                    || (id.starts_with("mi-") && id.len() > 3)
                    || is_container_instance_id(id)
                    || (id.starts_with("arn:") && id.contains(":container-instance/")))
        };
        if !ids.is_empty() && ids.iter().all(names_an_instance) {
            DrainSelection::Ids(ids.into_iter().map(str::to_string).collect())
        } else {
            DrainSelection::Filter(value.to_string())
        }
    }
}

/// Whether `id` is a container instance ID: 32 hexadecimal digits, or a UUID (the old format).
fn is_container_instance_id(id: &str) -> bool {
    let hex = |part: &str, len: usize| part.len() == len && part.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = id.split('-').collect();
    match parts.as_slice() {
        [one] => hex(one, 32),
        [a, b, c, d, e] => hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12),
        _ => false,
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
    /// Task ENI limits by instance type (`--task-eni-limit m7i.large=3`): each imported instance
    /// of the type gets it as its `taskEniLimit`. A cluster that runs awsvpc tasks needs one for
    /// every instance type missing from drainsim's table.
    pub task_eni_limits: BTreeMap<String, u16>,
    /// The plan is an instance refresh of this imported Auto Scaling group (instead of a drain
    /// plan): one StartInstanceRefresh step to the group's launch template.
    pub instance_refresh: Option<String>,
    /// The refresh skips the instances already on the group's launch template version
    /// (`SkipMatching`; Auto Scaling's default is to replace every instance).
    pub skip_matching: bool,
    /// The plan terminates these EC2 instances through their imported Auto Scaling groups (instead
    /// of a drain plan): one TerminateInstanceInAutoScalingGroup each, all at once.
    pub terminate: Vec<String>,
    /// The terminations lower their groups' desired capacity (`ShouldDecrementDesiredCapacity`):
    /// no replacements.
    pub decrement: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            drain: DrainSelection::None,
            wave_size: 10,
            wave_timeout_ms: 3_600_000,
            task_eni_limits: BTreeMap::new(),
            instance_refresh: None,
            skip_matching: false,
            terminate: Vec::new(),
            decrement: false,
        }
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
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Each input file and the kind of output it was recognised as.
    pub files: Vec<(String, &'static str)>,
    /// Instances, task definitions, services and running tasks imported.
    pub counts: [usize; 4],
    /// Fields drainsim does not model, by path pattern, with how often each occurred.
    pub skipped_fields: Vec<(String, u64)>,
    /// What was left out or changed, in words.
    pub notes: Vec<String>,
    /// Auto Scaling groups imported.
    pub auto_scaling_groups: usize,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [i, t, s, r] = self.counts;
        let groups = match self.auto_scaling_groups {
            0 => String::new(),
            1 => " (1 Auto Scaling group)".to_string(),
            n => format!(" ({n} Auto Scaling groups)"),
        };
        writeln!(f, "imported {i} container instances{groups}, {t} task definitions, {s} services and {r} running tasks from:")?;
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
    input_files(paths)?.0.iter().map(|f| read_input(f)).collect()
}

/// The input files: each path is a JSON file, or a directory whose `*.json` files are taken in
/// name order.
/// Whether a text that is not JSON opens as a drainsim scenario in RON: `Scenario(` after blanks
/// and `//` comments.
fn looks_like_ron_scenario(text: &str) -> bool {
    let code = text.lines().map(str::trim_start).find(|l| !l.is_empty() && !l.starts_with("//"));
    code.is_some_and(|l| l.strip_prefix("Scenario").is_some_and(|rest| rest.trim_start().starts_with('(')))
}

/// The files to read, and the other files of the directories given (not read: named in a note).
fn input_files(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), ImportError> {
    let err = |p: &Path, m: String| ImportError::whole_file(p.display().to_string(), m);
    let (mut files, mut not_read) = (Vec::new(), Vec::new());
    for p in paths {
        if p.is_dir() {
            let (mut entries, others): (Vec<PathBuf>, Vec<PathBuf>) = std::fs::read_dir(p)
                .map_err(|e| err(p, format!("cannot read the directory: {}", crate::input::io_error_text(&e))))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|q| q.is_file())
                .partition(|q| q.extension().is_some_and(|x| x == "json"));
            not_read.extend(others);
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
        return Err(ImportError::whole_file("(none)", "no input files"));
    }
    not_read.sort();
    Ok((files, not_read))
}

/// One input file's name and contents. A UTF-8 byte order mark is not part of the text: Windows
/// PowerShell writes one (`aws ecs describe-tasks ... | Out-File -Encoding utf8`), as it writes
/// UTF-16 with `>`, which is refused with what to do instead.
fn read_input(f: &Path) -> Result<(String, String), ImportError> {
    let err = |m: String| ImportError::whole_file(f.display().to_string(), m);
    let mut bytes = crate::input::read_bounded(f, MAX_FILE_BYTES).map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(err("UTF-16 text (Windows PowerShell's `>` writes it); write the AWS CLI's output as UTF-8 (in \
             PowerShell: `| Out-File -Encoding utf8`)"
            .into()));
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column, byte) = crate::input::first_byte_not_utf8(&e);
        err(format!("not UTF-8: byte 0x{byte:02X} at line {line}, column {column}"))
    })?;
    Ok((f.display().to_string(), text))
}

/// Where something was read: the file and the JSON path in it.
type Origin = (String, String);

/// What the input files say, gathered before the scenario is built.
#[derive(Default)]
struct Capture {
    /// Per container instance (its [`id_key`]), the tasks described on it but left out as stopping:
    /// described all the same, for [`missing_tasks_note`].
    stopping_tasks_on: BTreeMap<String, u64>,
    /// Each described cluster's name, ARN and where it was read.
    clusters: Vec<(String, String, Origin)>,
    /// Each described cluster's capacity providers and default strategy, as PutClusterCapacityProviders
    /// would set them.
    cluster_providers: Vec<(api::PutClusterCapacityProvidersRequest, Origin)>,
    /// The Auto Scaling groups, their hooks and launch template versions, and the capacity
    /// providers over them.
    autoscaling: autoscaling::AutoScalingCapture,
    arn_context: Option<(String, String)>,
    /// Where the first ARN (the one `arn_context` is from) was read, `FILE: PATH`.
    arn_origin: String,
    instances: Vec<InstanceIn>,
    /// The container-instance ID of every described instance, imported or left out (`id_key`).
    described_ids: BTreeSet<String>,
    /// The name of every service the capture describes, imported or left out, or that
    /// describe-services reported as a failure (a deleted service, `MISSING`).
    described_services: BTreeSet<String>,
    /// Services captured DRAINING that are left out (an EXTERNAL controller, no task definition,
    /// not on EC2): ECS is stopping their tasks, which are left out too rather than imported as
    /// standalone tasks no drain stops.
    stopping_left_out: BTreeSet<String>,
    task_defs: BTreeMap<(String, u32), (api::RegisterTaskDefinitionRequest, Origin)>,
    services: Vec<ServiceIn>,
    tasks: Vec<TaskIn>,
    /// Where each task was read, by its ARN: a task described twice (overlapping describe-tasks
    /// outputs) is refused, as an instance described twice is, rather than counted twice.
    task_arns: BTreeMap<String, Origin>,
    settings: Vec<(api::PutAccountSettingRequest, Origin)>,
    /// Settings AWS manages (type aws_managed), `(name, value)`: carried as account defaults.
    managed_settings: Vec<(String, String)>,
    target_groups: BTreeMap<String, TargetGroupIn>,
    /// `(file, attributes)` of describe-target-group-attributes outputs, matched afterwards.
    tg_attributes: Vec<(String, Option<u32>)>,
    /// The targets of describe-target-health outputs, matched to the tasks afterwards
    /// ([`targets_unhealthy`]).
    target_health: Vec<TargetHealthIn>,
    /// The latest time the files mention, in Unix ms: the capture.
    latest_time_ms: Option<i64>,
    /// The Availability Zone of each subnet the capture shows one in (a task's ENI attachment
    /// `subnetId` with the task's `availabilityZone`; an instance's `ecs.subnet-id` attribute
    /// with its `ecs.availability-zone`), and where it was first read.
    subnet_zones: BTreeMap<String, (String, Origin)>,
}

struct InstanceIn {
    path: Origin,
    /// Where its `ecs.instance-type` attribute was read.
    type_path: Origin,
    group: InstanceGroup,
    cluster: Option<String>,
    long_arn: bool,
    status: String,
    agent_connected: bool,
    trunked: bool,
    /// `registeredAt` (Unix ms), when given.
    registered_at_ms: Option<i64>,
    /// `runningTasksCount` + `pendingTasksCount`, when given: the tasks describe-tasks should
    /// describe on it (checked against them: a capture missing a describe-tasks batch imports
    /// a cluster with fewer tasks than it runs).
    reported_tasks: Option<u64>,
}

struct ServiceIn {
    path: Origin,
    /// Where its `taskDefinition` was read.
    td_path: Origin,
    cluster: String,
    request: api::CreateServiceRequest,
    task_def: (String, u32),
    /// Captured DRAINING: deleted (DeleteService), its tasks still being stopped.
    deleted: bool,
}

struct TaskIn {
    path: Origin,
    /// Its ID (the end of its ARN).
    short_id: String,
    /// Where its `taskDefinitionArn` was read.
    td_path: Origin,
    cluster: String,
    instance_id: String,
    task_def: (String, u32),
    group: Option<String>,
    started_by: Option<String>,
    /// Its task-level `cpu` and `memory` as ECS reports them (its own size: its RunTask
    /// `overrides`' where it had some, else its task definition's).
    size: SizeTexts,
    healthy: bool,
    /// The host ports its containers' `networkBindings` bound (bridge and host network modes): a
    /// load balancer's `instance` targets name them.
    host_ports: Vec<u16>,
    /// The `privateIPv4Address` of its ENI attachments (awsvpc): a load balancer's `ip` targets
    /// name them.
    private_ips: Vec<String>,
}

impl TaskIn {
    /// The service its `group` names (`service:NAME`), if any.
    fn service_name(&self) -> Option<&str> {
        self.group.as_deref().and_then(|g| g.strip_prefix("service:"))
    }
}

/// One target of a `describe-target-health` output.
struct TargetHealthIn {
    path: Origin,
    /// `Target.Id`: an EC2 instance ID (target type `instance`) or an IP address (`ip`).
    id: String,
    port: Option<u16>,
    /// `TargetHealth.State`, one of [`TARGET_HEALTH_STATES`].
    state: &'static str,
    /// `TargetHealth.Reason`, as captured.
    reason: Option<String>,
}

/// ELBv2's `TargetHealthStateEnum`
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>).
const TARGET_HEALTH_STATES: [&str; 7] =
    ["initial", "healthy", "unhealthy", "unhealthy.draining", "unused", "draining", "unavailable"];

#[derive(Default)]
struct TargetGroupIn {
    name: String,
    interval_s: Option<u32>,
    healthy_threshold: Option<u32>,
    unhealthy_threshold: Option<u32>,
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

/// Refuses an ARN of another partition than `aws`: drainsim writes every ARN as `arn:aws:…`, so a
/// cluster of the China (`aws-cn`) or AWS GovCloud (US) (`aws-us-gov`) Regions would come out
/// with ARNs it does not have (and its settings' principals would not be of its account).
fn aws_partition(o: &Obj<'_>, field: &str, arn: &str) -> Result<(), ImportError> {
    match arn.strip_prefix("arn:").and_then(|rest| rest.split(':').next()) {
        Some(partition) if partition != "aws" => Err(o.error(
            Some(field),
            format!(
                "'{arn}' is an ARN of the {partition} partition: drainsim writes the ARNs of the aws partition only, \
                 so it does not import a cluster of the China or AWS GovCloud (US) Regions"
            ),
        )),
        _ => Ok(()),
    }
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

/// Adds a note unless the summary has it already.
fn note_once(summary: &mut ImportSummary, note: String) {
    if !summary.notes.contains(&note) {
        summary.notes.push(note);
    }
}

impl Capture {
    fn note_time(&mut self, t_ms: Option<i64>) {
        if let Some(t) = t_ms {
            self.latest_time_ms = Some(self.latest_time_ms.map_or(t, |l| l.max(t)));
        }
    }

    /// Notes the Region and account of an ARN read at `field` of `o`: the first gives the
    /// scenario's; an ARN of another Region or account is of another cluster (outputs of two
    /// captures in one directory, both of a cluster named `prod`), refused at its path.
    fn note_arn(&mut self, o: &Obj<'_>, field: &str, region: &str, account: &str) -> Result<(), ImportError> {
        match &self.arn_context {
            None => {
                self.arn_context = Some((region.to_string(), account.to_string()));
                let at = o.error(Some(field), String::new());
                self.arn_origin = format!("{}: {}", at.file, at.path);
                Ok(())
            }
            Some((r, a)) if r == region && a == account => Ok(()),
            Some((r, a)) => Err(o.error(
                Some(field),
                format!(
                    "an ARN of Region {region}, account {account}, where {} gives Region {r}, account {a}: \
                     the files are of two clusters; import one cluster at a time",
                    self.arn_origin
                ),
            )),
        }
    }

    fn read_document(
        &mut self,
        file: &str,
        doc: &json::Document<'_>,
        notes: &Notes,
        summary: &mut ImportSummary,
    ) -> Result<(), ImportError> {
        let value = &doc.root;
        let keys: BTreeSet<&str> = value.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        // drainsim's own outputs and scenarios are no capture: said, rather than read as the AWS
        // outputs whose keys they share (a report's `containerInstances` and `services`).
        if keys.contains("reportVersion") {
            return Err(ImportError::new(
                file,
                "$",
                "a drainsim report (drainsim run --json), not an AWS CLI output: leave it out of the capture",
            ));
        }
        if ["compareVersion", "sweepVersion", "totalDrainMs"].iter().any(|k| keys.contains(k)) {
            return Err(ImportError::new(
                file,
                "$",
                "a drainsim report (of compare, sweep or explain --json), not an AWS CLI output: leave it out of the capture",
            ));
        }
        if ["taskDefinitions", "steps", "expectations", "instances"].iter().any(|k| keys.contains(k)) {
            return Err(ImportError::new(
                file,
                "$",
                "a drainsim scenario, not an AWS CLI output: leave it out of the capture (drainsim run reads it)",
            ));
        }
        // One output per file: a file holding two (`jq -s add a.json b.json`) would be read as the
        // first kind, the other's items listed as fields drainsim does not model.
        let found: Vec<(&str, &str)> = crate::input::CLI_OUTPUTS.iter().copied().filter(|(key, _)| keys.contains(key)).collect();
        if let [(k1, kind1), (k2, kind2), ..] = found.as_slice() {
            return Err(ImportError::new(
                file,
                "$",
                format!(
                    "holds the outputs of two commands ({k1}: {kind1}, {k2}: {kind2}): give each command's output as \
                     a file of its own"
                ),
            ));
        }
        let kind = found
            .first()
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
            ImportError::new(
                file,
                "$",
                "not an AWS CLI output drainsim reads: expected the JSON of aws ecs describe-clusters, \
                 describe-container-instances, describe-services, describe-task-definition, describe-tasks, \
                 describe-capacity-providers, list-account-settings, aws elbv2 describe-target-groups, describe-target-group-attributes, \
                 describe-target-health, aws autoscaling describe-auto-scaling-groups, describe-lifecycle-hooks, \
                 describe-auto-scaling-instances, or aws ec2 describe-launch-template-versions, describe-instances",
            )
        })?;
        summary.files.push((file.to_string(), kind));
        // A page token means the output is one page of several (the CLI prints one after
        // --max-items or --no-paginate, https://docs.aws.amazon.com/cli/latest/userguide/pagination.html):
        // what the other pages hold would be missing without a word.
        for token in ["nextToken", "NextToken", "NextMarker"] {
            if value.get(token).is_some_and(|v| !v.is_null()) {
                return Err(ImportError::new(
                    file,
                    format!("$.{token}"),
                    format!(
                        "the {kind} output is one page of several: capture it again without --max-items or \
                         --no-paginate (the AWS CLI then reads every page)"
                    ),
                ));
            }
        }
        // What ECS could not describe is not in the capture: say so, rather than let its tasks be
        // left out as if the instance had been.
        if let Some(Value::Array(failures)) = value.get("failures") {
            for (n, f) in failures.iter().enumerate() {
                let field = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("?").escape_debug().to_string();
                if kind == "describe-services" {
                    // A service ECS could not describe (deleted): its tasks, if any still run, are
                    // standalone tasks, not tasks of a service the capture misses.
                    if let Some(name) = f.get("arn").and_then(Value::as_str).and_then(|arn| arn.rsplit('/').next()) {
                        self.described_services.insert(name.to_string());
                    }
                }
                summary.notes.push(format!(
                    "{file}: $.failures[{n}]: {kind} did not describe {} ({}): it is not in the capture",
                    field("arn"),
                    field("reason")
                ));
            }
        }
        let root = Obj::root(value, file, kind, notes)?;
        match kind {
            "describe-container-instances" => {
                root.for_each_object("containerInstances", doc, |ci| self.read_instance(ci, file, summary))?;
                root.touch(&["failures"]);
            }
            "describe-clusters" => {
                let clusters = root.objects("clusters")?;
                // The AWS CLI prints an empty list (and a failure, MISSING) for a cluster name ECS
                // does not know: importing on would drop every capacity provider without a word.
                if clusters.is_empty() {
                    let missing: Vec<&str> = match value.get("failures") {
                        Some(Value::Array(failures)) => failures.iter().filter_map(|f| f.get("arn")?.as_str()).collect(),
                        _ => Vec::new(),
                    };
                    let why = match missing.as_slice() {
                        [] => String::new(),
                        names => format!(" (not found: {})", names.join(", ")),
                    };
                    return Err(ImportError::new(
                        file,
                        "$.clusters",
                        format!(
                            "describe-clusters described no cluster{why}: capture it again with the name of the \
                             cluster the container instances belong to"
                        ),
                    ));
                }
                for c in clusters {
                    let arn = c.str("clusterArn")?;
                    aws_partition(&c, "clusterArn", arn)?;
                    let name = c.str("clusterName")?;
                    let (region, account, _) =
                        split_arn(arn, "cluster").ok_or_else(|| c.error(Some("clusterArn"), "not a cluster ARN"))?;
                    self.note_arn(&c, "clusterArn", region, account)?;
                    if c.opt_str("status")?.is_some_and(|s| s != "ACTIVE") {
                        return Err(c.error(Some("status"), "the cluster is not ACTIVE"));
                    }
                    self.clusters.push((
                        name.to_string(),
                        arn.to_string(),
                        (file.to_string(), format!("{}.clusterName", c.path())),
                    ));
                    let capacity_providers: Vec<String> = c.strings("capacityProviders")?.iter().map(|p| p.to_string()).collect();
                    let mut default_capacity_provider_strategy = Vec::new();
                    for item in c.objects("defaultCapacityProviderStrategy")? {
                        default_capacity_provider_strategy.push(read_strategy_item(&item)?);
                        item.finish();
                    }
                    if !capacity_providers.is_empty() || !default_capacity_provider_strategy.is_empty() {
                        let put = api::PutClusterCapacityProvidersRequest {
                            cluster: name.to_string(),
                            capacity_providers,
                            default_capacity_provider_strategy,
                        };
                        self.cluster_providers.push((put, (file.to_string(), c.path().to_string())));
                    }
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
                self.read_task_def(td, file)?;
                root.touch(&["tags"]);
            }
            "describe-tasks" => {
                root.for_each_object("tasks", doc, |t| self.read_task(t, file, summary))?;
                root.touch(&["failures"]);
            }
            "list-account-settings" => {
                for s in root.objects("settings")? {
                    let name = s.str("name")?;
                    let value = s.str("value")?;
                    let principal_arn = s.opt_str("principalArn")?;
                    if let Some(p) = principal_arn {
                        aws_partition(&s, "principalArn", p)?;
                    }
                    // A setting AWS manages (type aws_managed) is read-only: PutAccountSetting refuses
                    // it, so it is not one. guardDutyActivate, "the only one Amazon Web Services
                    // manages" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Setting.html),
                    // is read by nothing drainsim models; another is what AWS applies to every
                    // principal, an account default.
                    if name == "guardDutyActivate" {
                        note_once(
                            summary,
                            format!(
                                "account setting {name} left out: AWS manages it (type aws_managed, read-only), \
                                 and drainsim does not model it"
                            ),
                        );
                        s.touch(&["type"]);
                        s.finish();
                        continue;
                    }
                    if s.opt_str("type")? == Some("aws_managed") {
                        // Refused here, at its place: an account default the setup refuses has no
                        // file of its own to be named by.
                        let mut probe = drainsim_core::Engine::new(drainsim_core::EngineConfig::default());
                        if let Err(e) = probe.override_account_default(name, value) {
                            return Err(s.error(Some("name"), format!("an account default AWS manages does not set up: {e}")));
                        }
                        note_once(
                            summary,
                            format!(
                                "account setting {name} is managed by AWS (type aws_managed, read-only): carried as \
                                 the account default {name}={value} (accountDefaults), not as a PutAccountSetting"
                            ),
                        );
                        self.managed_settings.push((name.to_string(), value.to_string()));
                        s.finish();
                        continue;
                    }
                    let request = api::PutAccountSettingRequest {
                        name: name.to_string(),
                        value: value.to_string(),
                        principal_arn: principal_arn.map(str::to_string),
                    };
                    self.settings.push((request, (file.to_string(), s.path().to_string())));
                    s.finish();
                }
                root.touch(&["nextToken"]);
            }
            "describe-target-groups" => {
                for tg in root.objects("TargetGroups")? {
                    let arn = tg.str("TargetGroupArn")?.to_string();
                    aws_partition(&tg, "TargetGroupArn", &arn)?;
                    let entry = self.target_groups.entry(arn).or_default();
                    entry.name = tg.str("TargetGroupName")?.to_string();
                    // The ranges the engine checks (api::TargetGroupSettings), refused here at their path.
                    let range = |r: std::ops::RangeInclusive<u32>| i64::from(*r.start())..=i64::from(*r.end());
                    entry.interval_s = tg
                        .opt_int("HealthCheckIntervalSeconds", range(api::TargetGroupSettings::INTERVAL_RANGE_S))?
                        .map(|n| n as u32);
                    entry.healthy_threshold = tg
                        .opt_int("HealthyThresholdCount", range(api::TargetGroupSettings::HEALTHY_THRESHOLD_RANGE))?
                        .map(|n| n as u32);
                    entry.unhealthy_threshold = tg
                        .opt_int("UnhealthyThresholdCount", range(api::TargetGroupSettings::UNHEALTHY_THRESHOLD_RANGE))?
                        .map(|n| n as u32);
                    tg.finish();
                }
                root.touch(&["NextMarker"]);
            }
            "describe-capacity-providers" => {
                for cp in root.objects("capacityProviders")? {
                    let name = cp.str("name")?.to_string();
                    if let Some(asg) = cp.opt_obj("autoScalingGroupProvider")? {
                        let managed_scaling = match asg.opt_obj("managedScaling")? {
                            Some(scaling) => {
                                let step = 1..=10_000;
                                let m = api::ManagedScaling {
                                    status: scaling.opt_str("status")?.map(str::to_string),
                                    target_capacity: scaling.opt_int("targetCapacity", 1..=100)?.map(|n| n as u32),
                                    minimum_scaling_step_size: scaling
                                        .opt_int("minimumScalingStepSize", step.clone())?
                                        .map(|n| n as u32),
                                    maximum_scaling_step_size: scaling.opt_int("maximumScalingStepSize", step)?.map(|n| n as u32),
                                    instance_warmup_period: scaling
                                        .opt_int("instanceWarmupPeriod", 0..=10_000)?
                                        .map(|n| n as u32),
                                };
                                scaling.finish();
                                Some(m)
                            }
                            None => None,
                        };
                        let request = api::CreateCapacityProviderRequest {
                            name: name.clone(),
                            auto_scaling_group_provider: api::AutoScalingGroupProvider {
                                auto_scaling_group_arn: asg.str("autoScalingGroupArn")?.to_string(),
                                managed_scaling,
                                managed_termination_protection: asg.opt_str("managedTerminationProtection")?.map(str::to_string),
                                managed_draining: asg.opt_str("managedDraining")?.map(str::to_string),
                            },
                        };
                        self.autoscaling.providers.push((request, (file.to_string(), cp.path().to_string())));
                        asg.finish();
                    }
                    cp.touch(&["capacityProviderArn", "status", "updateStatus", "updateStatusReason", "tags", "type"]);
                    cp.finish();
                }
                root.touch(&["failures", "nextToken"]);
            }
            "describe-auto-scaling-groups" => self.autoscaling.read_groups(&root, file)?,
            "describe-lifecycle-hooks" => self.autoscaling.read_hooks(&root)?,
            "describe-launch-template-versions" => self.autoscaling.read_template_versions(&root)?,
            "describe-instances" => self.autoscaling.read_ec2_instances(&root)?,
            "describe-target-group-attributes" => {
                let mut delay = None;
                for a in root.objects("Attributes")? {
                    if a.str("Key")? == "deregistration_delay.timeout_seconds" {
                        let v = a.str("Value")?;
                        let n: u32 = v
                            .parse()
                            .ok()
                            .filter(|n| api::TargetGroupSettings::DEREGISTRATION_DELAY_RANGE_S.contains(n))
                            .ok_or_else(|| {
                                let r = api::TargetGroupSettings::DEREGISTRATION_DELAY_RANGE_S;
                                a.error(Some("Value"), format!("'{v}' is not a delay of {} to {} seconds", r.start(), r.end()))
                            })?;
                        delay = Some(n);
                    } else {
                        a.touch(&["Value"]);
                    }
                    a.finish();
                }
                self.tg_attributes.push((file.to_string(), delay));
            }
            "describe-target-health" => {
                for d in root.objects("TargetHealthDescriptions")? {
                    let target = d.opt_obj("Target")?.ok_or_else(|| d.error(Some("Target"), "missing (drainsim needs it)"))?;
                    let id = target.str("Id")?.to_string();
                    let port = target.opt_int("Port", 1..=65535)?.map(|p| p as u16);
                    target.touch(&["AvailabilityZone", "QuicServerId"]);
                    target.finish();
                    let health =
                        d.opt_obj("TargetHealth")?.ok_or_else(|| d.error(Some("TargetHealth"), "missing (drainsim needs it)"))?;
                    let state_text = health.str("State")?;
                    let state = TARGET_HEALTH_STATES.iter().copied().find(|s| *s == state_text).ok_or_else(|| {
                        health.error(
                            Some("State"),
                            format!("'{state_text}' is not a target health state ({})", TARGET_HEALTH_STATES.join(", ")),
                        )
                    })?;
                    let reason = health.opt_str("Reason")?.map(str::to_string);
                    health.touch(&["Description"]);
                    health.finish();
                    d.touch(&["HealthCheckPort", "AnomalyDetection", "AdministrativeOverride"]);
                    self.target_health.push(TargetHealthIn {
                        path: (file.to_string(), d.path().to_string()),
                        id,
                        port,
                        state,
                        reason,
                    });
                    d.finish();
                }
            }
            _ => {
                // list-* and describe-auto-scaling-instances (which finds the groups to describe):
                // recognised, nothing drainsim needs.
                for k in keys {
                    root.touch(&[k]);
                }
            }
        }
        root.finish();
        Ok(())
    }

    fn read_instance(&mut self, ci: Obj<'_>, file: &str, summary: &mut ImportSummary) -> Result<(), ImportError> {
        let arn = ci.str("containerInstanceArn")?;
        aws_partition(&ci, "containerInstanceArn", arn)?;
        let (region, account, rest) = split_arn(arn, "container-instance")
            .ok_or_else(|| ci.error(Some("containerInstanceArn"), "not a container instance ARN"))?;
        self.note_arn(&ci, "containerInstanceArn", region, account)?;
        let (cluster, id) = match rest.split_once('/') {
            Some((c, id)) => (Some(c.to_string()), id),
            None => (None, rest),
        };
        self.described_ids.insert(id_key(id));
        let ec2 = ci.str("ec2InstanceId")?;
        if ec2.starts_with("mi-") {
            // An external instance (ECS Anywhere): its ec2InstanceId is its Systems Manager managed
            // instance ID. Its tasks are left out with it (the instance was not imported).
            summary.notes.push(format!(
                "instance {ec2} (container instance {id}) left out: it is an external instance (ECS Anywhere); \
                 drainsim models EC2 container instances only"
            ));
            ci.leave_out();
            return Ok(());
        }
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
        let (mut cpu, mut memory, mut ports, mut gpus) = (None, None, None, None);
        for r in ci.objects("registeredResources")? {
            match r.str("name")? {
                // The GPUs it registered (its platformDevices), a STRINGSET of their IDs: the
                // written group registers as many. The IDs are checked as RegisterContainerInstance
                // checks its platformDevices (distinct, not empty, at most 64), and one GPU
                // resource is all an instance has.
                "GPU" => {
                    if gpus.is_some() {
                        return Err(r.error(Some("name"), "a second GPU resource: an instance registers its GPUs once"));
                    }
                    let ids = r.strings("stringSetValue")?;
                    if ids.len() > drainsim_core::MAX_GPUS_PER_INSTANCE {
                        return Err(r.error(
                            Some("stringSetValue"),
                            format!("{} GPUs; drainsim models at most {}", ids.len(), drainsim_core::MAX_GPUS_PER_INSTANCE),
                        ));
                    }
                    if ids.is_empty() && r.opt_str("type")? != Some("STRINGSET") {
                        return Err(r.error(Some("stringSetValue"), "a GPU resource lists its GPU IDs (type STRINGSET)"));
                    }
                    let devices: Vec<api::PlatformDevice> = ids
                        .iter()
                        .map(|id| api::PlatformDevice { id: (*id).to_string(), device_type: "GPU".to_string() })
                        .collect();
                    let count = drainsim_core::platform_device_gpus(&devices).map_err(|e| {
                        r.error(
                            Some("stringSetValue"),
                            format!("RegisterContainerInstance would refuse these GPUs: {}", e.message.trim_end_matches('.')),
                        )
                    })?;
                    gpus = Some(count);
                }
                "CPU" => cpu = Some(r.int("integerValue", 0..=10_000_000)?),
                "MEMORY" => memory = Some(r.int("integerValue", 1..=100_000_000)?),
                "PORTS" => {
                    let list = r.strings("stringSetValue")?;
                    let parsed: Result<Vec<u16>, _> = list.iter().map(|p| p.parse::<u16>()).collect();
                    ports = Some(parsed.map_err(|_| r.error(Some("stringSetValue"), "expected port numbers"))?);
                }
                other => {
                    // PORTS_UDP (the agent's reserved UDP ports), …: drainsim reserves none of
                    // them. An empty one reserves nothing, so nothing is lost; one that reserves
                    // something is listed as not modelled.
                    let reserves = !r.strings("stringSetValue")?.is_empty()
                        || r.opt_int("integerValue", i64::MIN..=i64::MAX)?.is_some_and(|n| n != 0)
                        || r.opt_int("longValue", i64::MIN..=i64::MAX)?.is_some_and(|n| n != 0);
                    if reserves {
                        r.skipped(other);
                    }
                }
            }
            r.touch(&["type", "doubleValue", "longValue", "integerValue", "stringSetValue"]);
            r.finish();
        }
        let cpu = cpu.ok_or_else(|| ci.error(Some("registeredResources"), "no CPU resource"))?;
        let memory = memory.ok_or_else(|| ci.error(Some("registeredResources"), "no MEMORY resource"))?;
        let status = ci.str("status")?.to_string();
        // ECS's container instance statuses (ListContainerInstances' `status` filter, and
        // REGISTERING, REGISTRATION_FAILED, DEREGISTERING of trunked instances); anything else is
        // no capture of ECS.
        if drainsim_core::InstanceStatus::parse(&status).is_none() {
            return Err(ci.error(
                Some("status"),
                format!(
                    "'{status}' is not a container instance status (ACTIVE, DRAINING, REGISTERING, DEREGISTERING, \
                     REGISTRATION_FAILED or INACTIVE)"
                ),
            ));
        }
        let agent_connected = ci.opt_bool("agentConnected")?.unwrap_or(true);
        let registered_at_ms = ci.opt_time_ms("registeredAt")?;
        self.note_time(registered_at_ms);
        // The instance's health checks are not modelled, but they are dated: the agent updates
        // them every few minutes, so on a quiet cluster the newest is the capture's last moment.
        if let Some(health) = ci.opt_obj("healthStatus")? {
            for check in health.objects("details")? {
                self.note_time(check.opt_time_ms("lastUpdated")?);
                self.note_time(check.opt_time_ms("lastStatusChange")?);
                check.finish();
            }
            health.finish();
        }
        let (mut instance_type, mut zone, mut trunk) = (None, None, None);
        let mut attributes = BTreeMap::new();
        for a in ci.objects("attributes")? {
            let name = a.str("name")?;
            let value = a.opt_str("value")?;
            match (name, value) {
                ("ecs.instance-type", Some(v)) => instance_type = Some((v.to_string(), a.path().to_string())),
                ("ecs.availability-zone", Some(v)) => zone = Some(v.to_string()),
                ("ecs.awsvpc-trunk-id", Some(v)) => trunk = Some(v.to_string()),
                // The rest with a value are kept, ecs.os-type and ecs.cpu-architecture included:
                // the engine gives an instance linux and x86_64 only when its registration names
                // none, and a Graviton (arm64) or Windows instance names its own.
                (_, Some(v)) => {
                    attributes.insert(name.to_string(), v.to_string());
                }
                // Capabilities (attributes without a value) are not modelled.
                (_, None) => {}
            }
            a.touch(&["targetType", "targetId"]);
            a.finish();
        }
        let (instance_type, type_path) =
            instance_type.ok_or_else(|| ci.error(Some("attributes"), "no ecs.instance-type attribute"))?;
        let zone = zone.ok_or_else(|| ci.error(Some("attributes"), "no ecs.availability-zone attribute"))?;
        if let Some(subnet) = attributes.get("ecs.subnet-id").cloned() {
            self.note_subnet_zone(&ci, "attributes", &subnet, &zone, file)?;
        }
        // Its trunk ENI is in a subnet of its zone too (EC2 attaches an ENI within its zone).
        self.note_attachment_subnets(&ci, Some(&zone), file)?;
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
        let mut reserved = Vec::new();
        for t in ci.objects("tags")? {
            let tag = api::Tag { key: t.str("key")?.to_string(), value: t.str("value")?.to_string() };
            t.finish();
            // AWS's own tags (`aws:` keys or values) are no one's to register: RegisterContainerInstance
            // refuses them (`Tag::is_reserved`), so the written scenario leaves them out.
            if tag.is_reserved() {
                reserved.push(tag.key);
            } else {
                tags.insert(tag.key, tag.value);
            }
        }
        if !reserved.is_empty() {
            summary.notes.push(format!(
                "instance {ec2}: tags {} left out: a tag whose key or value begins with aws: is AWS's own, and RegisterContainerInstance refuses it",
                reserved.join(", ")
            ));
        }
        let mut group = InstanceGroup::new(ec2, &instance_type, cpu, memory);
        group.availability_zones = vec![zone];
        group.reserved_ports = ports.filter(|p| *p != [22, 2375, 2376, 51678, 51679]);
        group.gpus = gpus.unwrap_or(0);
        group.attributes = attributes;
        group.tags = tags;
        group.agent_version = agent_version;
        group.ec2_instance_id = Some(ec2.to_string());
        group.container_instance_id = Some(id.to_string());
        group.cluster = cluster.clone();
        group.capacity_provider_name = ci.opt_str("capacityProviderName")?.map(str::to_string);
        let reported_tasks = match (
            ci.opt_int("runningTasksCount", 0..=i64::from(u32::MAX))?,
            ci.opt_int("pendingTasksCount", 0..=i64::from(u32::MAX))?,
        ) {
            (None, None) => None,
            (running, pending) => Some(running.unwrap_or(0).unsigned_abs() + pending.unwrap_or(0).unsigned_abs()),
        };
        ci.touch(&["remainingResources", "version", "attachments", "statusReason"]);
        let path = (file.to_string(), ci.path().to_string());
        ci.finish();
        self.instances.push(InstanceIn {
            path,
            type_path: (file.to_string(), type_path),
            group,
            cluster,
            long_arn: rest.contains('/'),
            status,
            agent_connected,
            trunked,
            registered_at_ms,
            reported_tasks,
        });
        Ok(())
    }

    fn read_task_def(&mut self, td: Obj<'_>, file: &str) -> Result<(), ImportError> {
        let arn = td.str("taskDefinitionArn")?;
        aws_partition(&td, "taskDefinitionArn", arn)?;
        if let Some((region, account, _)) = split_arn(arn, "task-definition") {
            self.note_arn(&td, "taskDefinitionArn", region, account)?;
        }
        let family = td.str("family")?.to_string();
        let revision = td.int("revision", 1..=i64::from(drainsim_core::MAX_TASK_DEFINITION_REVISION))? as u32;
        let mut containers = Vec::new();
        for c in td.objects("containerDefinitions")? {
            // No cap of its own on EC2 (a container may take every CPU unit of its instance, 1,024
            // per vCPU): the bound is the engine's for a task's CPU units.
            let cpu = c.opt_int("cpu", 0..=10_000_000)?.map(|n| n as u32);
            let hard = c.opt_int("memory", 1..=100_000_000)?;
            // Placement reserves memoryReservation when it is set, else memory.
            let memory = c.opt_int("memoryReservation", 1..=100_000_000)?.or(hard).map(|n| n as u32);
            let mut port_mappings = Vec::new();
            for p in c.objects("portMappings")? {
                let container_port = p.opt_int("containerPort", 0..=65_535)?.map(|n| n as u16);
                // ECS's other form, a `containerPortRange`, is not modelled: the mapping is left
                // out whole, and the summary says so. One with neither is written as it is, and
                // RegisterTaskDefinition's own rule refuses it when the import sets up what it
                // wrote (`check_setup`, naming the task definition).
                if container_port.is_none() && p.opt_str("containerPortRange")?.is_some() {
                    p.skipped("a mapping of a containerPortRange, left out whole: port ranges are not modelled");
                    p.leave_out();
                    continue;
                }
                port_mappings.push(api::PortMapping {
                    container_port,
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
                        let r = api::HealthCheck::range_of(name).expect("one of HealthCheck::RANGES");
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
            // GPUs are kept as written; ECS's own checks (RegisterTaskDefinition's) refuse what
            // drainsim does not model when the scenario loads.
            let mut resource_requirements = Vec::new();
            for r in c.objects("resourceRequirements")? {
                resource_requirements.push(api::ResourceRequirement {
                    requirement_type: r.str("type")?.to_string(),
                    value: r.str("value")?.to_string(),
                });
                r.finish();
            }
            containers.push(api::ContainerDefinition {
                name: c.str("name")?.to_string(),
                cpu,
                memory,
                port_mappings,
                health_check,
                resource_requirements,
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
        let origin = (file.to_string(), td.path().to_string());
        // A revision is immutable (RegisterTaskDefinition makes a new one for any change), so two
        // descriptions of it that differ mean the capture mixes in a file from elsewhere: which
        // one its tasks reserve cannot be told. The same one described twice (a script that
        // describes each service's task definition, two services sharing it) is one revision.
        if let Some((first, (first_file, first_path))) = self.task_defs.get(&(family.clone(), revision)) {
            if *first != request {
                return Err(td.error(
                    Some("taskDefinitionArn"),
                    format!(
                        "task definition {family}:{revision} is described twice, differently (first at {first_file}: {first_path}): a revision never changes, so one of the files is not of this capture"
                    ),
                ));
            }
            td.finish();
            return Ok(());
        }
        td.finish();
        self.task_defs.insert((family, revision), (request, origin));
        Ok(())
    }

    fn read_service(&mut self, s: Obj<'_>, file: &str, summary: &mut ImportSummary) -> Result<(), ImportError> {
        let name = s.str("serviceName")?.to_string();
        self.described_services.insert(name.clone());
        let cluster_arn = s.str("clusterArn")?;
        aws_partition(&s, "clusterArn", cluster_arn)?;
        let (region, account, cluster) =
            split_arn(cluster_arn, "cluster").ok_or_else(|| s.error(Some("clusterArn"), "not a cluster ARN"))?;
        self.note_arn(&s, "clusterArn", region, account)?;
        let status = s.str("status")?;
        let launch = s.opt_str("launchType")?;
        self.note_time(s.opt_time_ms("createdAt")?);
        // The service's events and deployments are the latest moments a capture of a quiet cluster
        // mentions: ECS posts a steady-state event every few hours, long after the last task start.
        for e in s.objects("events")? {
            self.note_time(e.opt_time_ms("createdAt")?);
            e.leave_out();
        }
        for d in s.objects("deployments")? {
            self.note_time(d.opt_time_ms("updatedAt")?);
            self.note_time(d.opt_time_ms("createdAt")?);
            d.leave_out();
        }
        let mut capacity_provider_strategy = Vec::new();
        for cp in s.objects("capacityProviderStrategy")? {
            capacity_provider_strategy.push(read_strategy_item(&cp)?);
            cp.finish();
        }
        let providers: Vec<&str> = capacity_provider_strategy.iter().map(|i| i.capacity_provider.as_str()).collect();
        let controller = match s.opt_obj("deploymentController")? {
            Some(d) => {
                let t = d.opt_str("type")?.map(str::to_string);
                d.finish();
                t
            }
            None => None,
        };
        let td_text = s.opt_str("taskDefinition")?;
        // A service left out, and why: an EXTERNAL-controller service takes its task definitions
        // from its task sets, which drainsim does not model (CreateService needs a task
        // definition only for the ECS and CODE_DEPLOY controllers,
        // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
        // A DRAINING service was deleted and ECS is stopping its tasks ("the service status moves
        // from ACTIVE to DRAINING, ... the service scheduler stops its tasks", DeleteService,
        // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html): it is
        // imported with its tasks and deleted at time 0, so that a drain waits for what ECS stops
        // and no more. An INACTIVE one has no tasks left.
        let deleted = match status {
            "ACTIVE" => false,
            "DRAINING" => true,
            "INACTIVE" => false,
            other => {
                return Err(s.error(Some("status"), format!("'{other}' is not a service status (ACTIVE, DRAINING or INACTIVE)")))
            }
        };
        let left_out = if status == "INACTIVE" {
            Some(format!("it is {status}"))
        } else if launch.is_some_and(|l| l != "EC2") || providers.iter().any(|p| is_fargate_provider(p)) {
            Some("it does not run on EC2 container instances".to_string())
        } else if controller.as_deref() == Some("EXTERNAL") {
            Some("it uses the EXTERNAL deployment controller, whose task sets drainsim does not model".to_string())
        } else {
            None
        };
        let td_text = match (left_out, td_text) {
            (None, Some(td)) => td,
            (why, _) => {
                let why = why.unwrap_or_else(|| "it names no task definition".to_string());
                summary.notes.push(format!("service {name} left out: {why}"));
                if deleted {
                    self.stopping_left_out.insert(name.clone());
                }
                s.leave_out();
                return Ok(());
            }
        };
        if controller.as_deref() == Some("CODE_DEPLOY") {
            summary.notes.push(format!(
                "service {name} uses the CODE_DEPLOY deployment controller: drainsim models it as a rolling-update (ECS) \
                 service; blue/green deployments are not modelled"
            ));
        }
        let task_def = task_def_ref(td_text)
            .ok_or_else(|| s.error(Some("taskDefinition"), format!("'{td_text}' is not a task definition ARN")))?;
        let scheduling = s.opt_str("schedulingStrategy")?.unwrap_or("REPLICA").to_string();
        let deployment_configuration = match s.opt_obj("deploymentConfiguration")? {
            Some(d) => {
                let dc = api::DeploymentConfiguration {
                    maximum_percent: d.opt_int("maximumPercent", 0..=i64::from(i32::MAX))?,
                    minimum_healthy_percent: d.opt_int("minimumHealthyPercent", 0..=100)?,
                };
                d.finish();
                Some(dc)
            }
            None => {
                // DescribeServices always gives it: a capture without it was edited or cut, and
                // the floor and ceiling every drain of the service is bounded by are ECS's
                // defaults, which may not be the service's.
                if scheduling == "REPLICA" {
                    summary.notes.push(format!(
                        "service {name} has no deploymentConfiguration in the capture: imported with ECS's defaults, \
                         minimumHealthyPercent 100 and maximumPercent 200"
                    ));
                }
                None
            }
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
            let target_group_arn = lb.opt_str("targetGroupArn")?;
            if let Some(arn) = target_group_arn {
                aws_partition(&lb, "targetGroupArn", arn)?;
            }
            let spec = api::LoadBalancer {
                target_group_arn: target_group_arn.map(str::to_string),
                load_balancer_name: lb.opt_str("loadBalancerName")?.map(str::to_string),
                container_name: lb.opt_str("containerName")?.map(str::to_string),
                container_port: lb.opt_int("containerPort", 0..=65_535)?.map(|n| n as u16),
            };
            lb.finish();
            if n == 0 {
                if let (None, Some(elb)) = (&spec.target_group_arn, &spec.load_balancer_name) {
                    let (interval_s, checks, delay_s) = api::TargetGroupSettings::default().in_force(true);
                    summary.notes.push(format!(
                        "service {name}: the Classic Load Balancer {elb}'s health check and connection draining are not \
                         captured: drainsim assumes its defaults (healthy after {checks} checks {interval_s} s apart, \
                         {delay_s} s draining); give them in the service's targetGroup"
                    ));
                }
                load_balancers.push(spec);
            } else {
                summary.notes.push(format!("service {name}: only its first load balancer is modelled"));
            }
        }
        let grace = s.opt_int("healthCheckGracePeriodSeconds", 0..=2_147_483_647)?;
        // Carried as captured: ECS returns ENABLED or DISABLED. A capture without the field is of a
        // service that never had a value, which ECS "treats as DISABLED" (UpdateService,
        // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html); it is
        // written out, since a scenario's CreateService without it would default to ENABLED.
        let availability_zone_rebalancing = match s.opt_str("availabilityZoneRebalancing")? {
            None => Some("DISABLED".to_string()),
            Some(v @ ("ENABLED" | "DISABLED")) => Some(v.to_string()),
            Some(other) => {
                return Err(s.error(
                    Some("availabilityZoneRebalancing"),
                    format!("'{other}' is not an availabilityZoneRebalancing value (ENABLED or DISABLED)"),
                ))
            }
        };
        // ENABLED on a service the guide says rebalancing does not support (CreateService refuses
        // it): what ECS holds is carried as what it does, no rebalancing, rather than refusing the
        // whole capture.
        let maximum_percent = deployment_configuration.as_ref().and_then(|d| d.maximum_percent).unwrap_or(200);
        let unsupported = drainsim_core::az_rebalancing_unsupported(
            scheduling == "DAEMON",
            u32::try_from(maximum_percent).unwrap_or(u32::MAX),
            load_balancers.iter().any(|lb| lb.is_classic()),
            &placement_constraints,
        );
        let availability_zone_rebalancing = match (availability_zone_rebalancing, unsupported) {
            (Some(v), Some(why)) if v == "ENABLED" => {
                summary.notes.push(format!(
                    "service {name}: availabilityZoneRebalancing ENABLED written as DISABLED: {why} \
                     (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html)"
                ));
                Some("DISABLED".to_string())
            }
            (v, _) => v,
        };
        let network_configuration = match s.opt_obj("networkConfiguration")? {
            None => None,
            Some(nc) => {
                let vpc = nc.opt_obj("awsvpcConfiguration")?;
                let read = match vpc {
                    None => None,
                    Some(vpc) => {
                        let subnets: Vec<String> = vpc.strings("subnets")?.into_iter().map(str::to_string).collect();
                        let security_groups: Vec<String> =
                            vpc.strings("securityGroups")?.into_iter().map(str::to_string).collect();
                        vpc.touch(&["assignPublicIp"]);
                        vpc.finish();
                        Some(api::AwsVpcConfiguration { subnets, security_groups, assign_public_ip: None })
                    }
                };
                nc.finish();
                read.map(|v| api::NetworkConfiguration { awsvpc_configuration: Some(v) })
            }
        };
        let request = api::CreateServiceRequest {
            cluster: Some(cluster.to_string()),
            service_name: name,
            task_definition: String::new(),
            // A deleted service wants no task (DeleteService scales it to 0).
            desired_count: match (scheduling.as_str(), deleted) {
                ("DAEMON", _) => None,
                (_, true) => {
                    s.int("desiredCount", 0..=1_000_000)?;
                    Some(0)
                }
                _ => Some(s.int("desiredCount", 0..=1_000_000)?),
            },
            scheduling_strategy: Some(scheduling.clone()).filter(|s| s != "REPLICA"),
            deployment_configuration,
            placement_strategy,
            placement_constraints,
            health_check_grace_period_seconds: grace.filter(|g| *g > 0),
            load_balancers,
            target_group: None,
            availability_zone_rebalancing,
            // As captured: a service shows its launch type or its strategy, the one it was created
            // with (the cluster's default strategy included), so the cluster's default never
            // applies to an imported service.
            launch_type: if capacity_provider_strategy.is_empty() { Some("EC2".to_string()) } else { None },
            capacity_provider_strategy,
            network_configuration,
        };
        s.touch(&["serviceArn", "desiredCount", "runningCount", "pendingCount", "status", "launchType", "events", "deployments"]);
        let path = (file.to_string(), s.path().to_string());
        let td_path = (file.to_string(), format!("{}.taskDefinition", s.path()));
        s.finish();
        if deleted {
            summary.notes.push(format!(
                "service {} is DRAINING (deleted, ECS stopping its tasks): imported with its tasks and deleted at \
                 time 0 (DeleteService, force), so the scheduler stops them as ECS does",
                request.service_name
            ));
        }
        self.services.push(ServiceIn { path, td_path, cluster: cluster.to_string(), request, task_def, deleted });
        Ok(())
    }

    /// Notes that `subnet` is in `zone` (read at `key` of `at`), refusing a capture that puts it
    /// in two zones (a subnet is in one, <https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html>).
    fn note_subnet_zone(&mut self, at: &Obj<'_>, key: &str, subnet: &str, zone: &str, file: &str) -> Result<(), ImportError> {
        if let Some(refusal) = drainsim_core::subnet_zone_refusal(subnet, zone) {
            return Err(at.error(Some(key), refusal));
        }
        match self.subnet_zones.get(subnet) {
            Some((first, (first_file, first_path))) if first != zone => Err(at.error(
                Some(key),
                format!(
                    "subnet {subnet} is in {zone} here but in {first} at {first_file}: {first_path}; a subnet is in one zone"
                ),
            )),
            Some(_) => Ok(()),
            None => {
                self.subnet_zones.insert(subnet.to_string(), (zone.to_string(), (file.to_string(), at.path().to_string())));
                Ok(())
            }
        }
    }

    /// Notes the subnet of each ENI attachment of `owner` (a task's, or an instance's trunk) as in
    /// `zone`, the owner's, when it is known ([`Self::note_subnet_zone`]), and returns the ENIs'
    /// private IPv4 addresses (a load balancer's `ip` targets).
    fn note_attachment_subnets(&mut self, owner: &Obj<'_>, zone: Option<&str>, file: &str) -> Result<Vec<String>, ImportError> {
        let mut private_ips = Vec::new();
        for a in owner.objects("attachments")? {
            if a.opt_str("type")? == Some("ElasticNetworkInterface") {
                for d in a.objects("details")? {
                    match d.str("name")? {
                        "subnetId" => {
                            if let (Some(subnet), Some(zone)) = (d.opt_str("value")?, zone) {
                                self.note_subnet_zone(&d, "value", subnet, zone, file)?;
                            }
                        }
                        "privateIPv4Address" => private_ips.extend(d.opt_str("value")?.map(str::to_string)),
                        _ => {}
                    }
                    d.touch(&["value"]);
                    d.finish();
                }
            }
            a.touch(&["id", "status", "details"]);
            a.finish();
        }
        Ok(private_ips)
    }

    fn read_task(&mut self, t: Obj<'_>, file: &str, summary: &mut ImportSummary) -> Result<(), ImportError> {
        let arn = t.str("taskArn")?;
        if let Some((first_file, first_path)) = self.task_arns.get(arn) {
            return Err(t.error(
                Some("taskArn"),
                format!("task {arn} appears twice (first at {first_file}: {first_path}): describe each task once"),
            ));
        }
        self.task_arns.insert(arn.to_string(), (file.to_string(), t.path().to_string()));
        let cluster_arn = t.str("clusterArn")?;
        aws_partition(&t, "clusterArn", cluster_arn)?;
        let (region, account, cluster) =
            split_arn(cluster_arn, "cluster").ok_or_else(|| t.error(Some("clusterArn"), "not a cluster ARN"))?;
        self.note_arn(&t, "clusterArn", region, account)?;
        let last = t.str("lastStatus")?;
        let desired = t.opt_str("desiredStatus")?.unwrap_or("RUNNING");
        self.note_time(t.opt_time_ms("startedAt")?);
        self.note_time(t.opt_time_ms("createdAt")?);
        let td_text = t.str("taskDefinitionArn")?;
        aws_partition(&t, "taskDefinitionArn", td_text)?;
        let task_def = task_def_ref(td_text)
            .ok_or_else(|| t.error(Some("taskDefinitionArn"), format!("'{td_text}' is not a task definition ARN")))?;
        let Some(ci_arn) = t.opt_str("containerInstanceArn")? else {
            summary.notes.push(format!("task {arn} left out: it has no container instance (Fargate)"));
            t.leave_out();
            return Ok(());
        };
        aws_partition(&t, "containerInstanceArn", ci_arn)?;
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
            // Left out, with a note: none of its fields is one drainsim does not model.
            *self.stopping_tasks_on.entry(id_key(&instance_id)).or_insert(0) += 1;
            t.leave_out();
            return Ok(());
        }
        if starting {
            summary.notes.push(format!("task {} was {last}: imported as RUNNING", arn.rsplit('/').next().unwrap_or(arn)));
        }
        let healthy = t.opt_str("healthStatus")? != Some("UNHEALTHY");
        let size = (t.opt_str("cpu")?.map(str::to_string), t.opt_str("memory")?.map(str::to_string));
        // Its task-level size is read from `cpu` and `memory` (what it reserves, whether its
        // RunTask overrode it or not); its container overrides are not modelled.
        if let Some(o) = t.opt_obj("overrides")? {
            o.touch(&["cpu", "memory"]);
            o.finish();
        }
        // The host ports its containers bound, which a load balancer's `instance` targets name
        // (describe-target-health); of its containers nothing else is modelled.
        let mut host_ports = Vec::new();
        let containers = t.objects("containers")?;
        if !containers.is_empty() {
            t.skipped("containers, but for their networkBindings' hostPort");
        }
        for c in containers {
            for b in c.objects("networkBindings")? {
                host_ports.extend(b.opt_int("hostPort", 0..=65535)?.filter(|p| *p > 0).map(|p| p as u16));
                b.leave_out();
            }
            c.leave_out();
        }
        let task = TaskIn {
            path: (file.to_string(), t.path().to_string()),
            short_id: arn.rsplit('/').next().unwrap_or(arn).to_string(),
            td_path: (file.to_string(), format!("{}.taskDefinitionArn", t.path())),
            cluster: cluster.to_string(),
            instance_id,
            task_def,
            group: t.opt_str("group")?.map(str::to_string),
            started_by: t.opt_str("startedBy")?.map(str::to_string),
            size,
            healthy,
            host_ports,
            // An awsvpc task's ENI tells its subnet's zone (the task's) and its address.
            private_ips: self.note_attachment_subnets(&t, t.opt_str("availabilityZone")?, file)?,
        };
        t.touch(&["launchType", "version", "availabilityZone", "attachments"]);
        t.finish();
        self.tasks.push(task);
        Ok(())
    }
}

/// Keeps, of a service's awsvpc subnets, those whose zone the capture shows
/// (`Capture::subnet_zones`), saying which it drops: the engine places a task only in its
/// subnets' zones, and a subnet without one is refused. With none left, the service places its
/// tasks in any zone, as a scenario without `networkConfiguration` does.
fn keep_subnets_of_known_zones(
    r: &mut api::CreateServiceRequest,
    zones: &BTreeMap<String, (String, Origin)>,
    summary: &mut ImportSummary,
) {
    let Some(vpc) = r.network_configuration.as_mut().and_then(|n| n.awsvpc_configuration.as_mut()) else { return };
    let (known, unknown): (Vec<String>, Vec<String>) = vpc.subnets.drain(..).partition(|s| zones.contains_key(s));
    vpc.subnets = known;
    if unknown.is_empty() {
        return;
    }
    let how = "no task ENI or instance of the capture is in it: describe a running task of the service, or add the subnet back to the service's networkConfiguration with its zone in subnetZones";
    if vpc.subnets.is_empty() {
        summary.notes.push(format!(
            "service {}: the zones of its subnets {} are not known ({how}): its tasks are placed in any zone",
            r.service_name,
            unknown.join(", ")
        ));
        r.network_configuration = None;
    } else {
        summary.notes.push(format!(
            "service {}: subnets {} left out of its networkConfiguration, their zones not known ({how}): its tasks are placed only in the zones of {}",
            r.service_name,
            unknown.join(", "),
            vpc.subnets.join(", ")
        ));
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
    let (files, not_read) = input_files(paths)?;
    let mut imported = import_inputs(files.iter().map(|f| read_input(f)), opts)?;
    if !not_read.is_empty() {
        const NAMED: usize = 5;
        let names: Vec<String> = not_read.iter().take(NAMED).map(|p| p.display().to_string()).collect();
        let more = if not_read.len() > NAMED { format!(" and {} more", not_read.len() - NAMED) } else { String::new() };
        imported.summary.notes.push(format!(
            "not read: {}{more} (of a directory, the .json files are read; give another file by name to read it)",
            names.join(", ")
        ));
    }
    Ok(imported)
}

/// Imports files as `(name, contents)` pairs come, each dropped once read.
fn import_inputs<T: AsRef<str>>(
    inputs: impl IntoIterator<Item = Result<(String, T), ImportError>>,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    if opts.instance_refresh.is_some() && opts.drain != DrainSelection::None {
        return Err(ImportError::flag(
            "--instance-refresh",
            "one plan per import: a drain plan (--drain) or an instance refresh (--instance-refresh), not both",
        ));
    }
    let plans = [opts.drain != DrainSelection::None, opts.instance_refresh.is_some(), !opts.terminate.is_empty()];
    if plans.iter().filter(|p| **p).count() > 1 {
        return Err(ImportError::flag(
            "--terminate",
            "one plan per import: a drain plan (--drain), an instance refresh (--instance-refresh) or terminations (--terminate)",
        ));
    }
    if opts.decrement && opts.terminate.is_empty() {
        return Err(ImportError::flag("--decrement", "--decrement is an option of --terminate"));
    }
    if opts.skip_matching && opts.instance_refresh.is_none() {
        return Err(ImportError::flag("--skip-matching", "--skip-matching is a preference of --instance-refresh"));
    }
    if opts.wave_size == 0 || opts.wave_size > MAX_WAVE {
        return Err(ImportError::flag("--wave", format!("{} instances per wave; a wave has 1 to {MAX_WAVE}", opts.wave_size)));
    }
    let notes = Notes::default();
    let mut summary = ImportSummary::default();
    let mut cap = Capture::default();
    let (mut first_file, mut files) = (None, 0usize);
    for input in inputs {
        let (file, text) = input?;
        // An empty file (a capture command that failed, its output redirected) is said to be one,
        // not "EOF while parsing a value at line 1 column 0".
        if text.as_ref().trim().is_empty() {
            return Err(ImportError::whole_file(
                file,
                "the file is empty: import reads the JSON an AWS CLI command printed (docs/import.md lists the commands)",
            ));
        }
        let doc = json::Document::parse(text.as_ref(), &STREAMED_ARRAYS).map_err(|e| {
            // A drainsim scenario in RON is refused as what it is (one in JSON is, when read).
            let message = if looks_like_ron_scenario(text.as_ref()) {
                "a drainsim scenario (RON), not an AWS CLI capture: import reads the JSON the AWS CLI writes \
                     (docs/import.md); run the scenario with drainsim run"
                    .to_string()
            } else {
                format!("not valid JSON: {e}")
            };
            ImportError::new(file.clone(), "$", message)
        })?;
        cap.read_document(&file, &doc, &notes, &mut summary)?;
        files += 1;
        first_file.get_or_insert(file);
    }
    match_tg_attributes(&mut cap)?;
    let (mut scenario, origins) = build(&cap, first_file.as_deref(), files, opts, &mut summary)?;
    // What was read is in the scenario now: its memory goes before the setup check's.
    drop(cap);
    summary.skipped_fields = notes.skipped.into_inner().into_iter().collect();
    summary.counts = [
        scenario.instances.len(),
        scenario.task_definitions.len(),
        scenario.services.len(),
        scenario.running_tasks.iter().map(|r| r.count as usize).sum(),
    ];
    // What is written must set up: a refusal names where the refused item was read, and carries
    // the summary (what was read and left out may explain it).
    if let Err(mut e) = check_setup(&scenario, &origins, first_file.as_deref()) {
        e.summary = Some(Box::new(summary));
        return Err(e);
    }
    let drained = add_drain_plan(&mut scenario, opts)?;
    summary.notes.extend(standalone_task_notes(&scenario, &drained, TakenBy::Drain));
    summary.notes.extend(managed_scaling_drain_notes(&scenario, &drained));
    let refreshed = add_refresh_plan(&mut scenario, opts)?;
    if let Some(group) = &opts.instance_refresh {
        summary.notes.extend(standalone_task_notes(&scenario, &refreshed, TakenBy::Refresh(group)));
    }
    add_terminate_plan(&mut scenario, opts)?;
    summary.notes.extend(standalone_task_notes(&scenario, &opts.terminate, TakenBy::Terminate));
    summary.auto_scaling_groups = scenario.auto_scaling_groups.len();
    Ok(Imported { scenario, summary })
}

/// Where each item of a built scenario was read, in the order the setup applies the items
/// (`setup.rs`): account settings, task definitions, instances, the Auto Scaling groups adopting
/// them (with their capacity providers), services, then the running tasks one by one. `None`: an
/// item the import adds itself.
#[derive(Default)]
struct Origins {
    settings: Vec<Option<Origin>>,
    task_definitions: Vec<Origin>,
    instances: Vec<Origin>,
    groups: Vec<Origin>,
    services: Vec<Origin>,
    /// Each `runningTasks` entry's tasks.
    running_tasks: Vec<Vec<Origin>>,
    /// Each `clusterCapacityProviders` entry's cluster (set up before the items, with what the
    /// import derives).
    cluster_providers: Vec<Origin>,
}

impl Origins {
    /// How many items there are (a running task is one).
    fn items(&self) -> usize {
        self.settings.len()
            + self.task_definitions.len()
            + self.instances.len()
            + self.groups.len()
            + self.services.len()
            + self.running_tasks.iter().map(Vec::len).sum::<usize>()
    }

    /// Where the item at `n` (in setup order) was read.
    fn of(&self, mut n: usize) -> Option<&Origin> {
        if n < self.settings.len() {
            return self.settings.get(n).and_then(Option::as_ref);
        }
        n -= self.settings.len();
        for list in [&self.task_definitions, &self.instances, &self.groups, &self.services] {
            if n < list.len() {
                return list.get(n);
            }
            n -= list.len();
        }
        self.running_tasks.iter().flatten().nth(n)
    }
}

/// A container instance ID as a key: the old format writes it as a UUID (`5f1d6a0c-3e8b-…`), the
/// new one as 32 hex digits.
fn id_key(id: &str) -> String {
    id.chars().filter(|c| *c != '-').map(|c| c.to_ascii_lowercase()).collect()
}

/// `n` tasks, in words.
fn tasks(n: u32) -> String {
    if n == 1 {
        "1 task".into()
    } else {
        format!("{n} tasks")
    }
}

/// One of the Fargate capacity providers every account has, on which drainsim runs nothing.
fn is_fargate_provider(name: &str) -> bool {
    drainsim_core::FARGATE_CAPACITY_PROVIDERS.contains(&name)
}

/// One `CapacityProviderStrategyItem` of a capture.
fn read_strategy_item(item: &Obj<'_>) -> Result<api::CapacityProviderStrategyItem, ImportError> {
    Ok(api::CapacityProviderStrategyItem {
        capacity_provider: item.str("capacityProvider")?.to_string(),
        weight: item.opt_int("weight", 0..=1_000)?,
        base: item.opt_int("base", 0..=100_000)?,
    })
}

/// The scenario of a capture read from `files` files, the first named `first_file`, and where each
/// of its items was read.
fn build(
    cap: &Capture,
    first_file: Option<&str>,
    files: usize,
    opts: &ImportOptions,
    summary: &mut ImportSummary,
) -> Result<(Scenario, Origins), ImportError> {
    let at = |path: &Origin, message: String| ImportError::new(path.0.clone(), path.1.clone(), message);
    let whole = |message: String| ImportError::new(first_file.unwrap_or("(none)"), "$", message);
    // The one cluster. Where each cluster name was first read: a second one is refused there.
    let mut named: Vec<(String, Origin)> = Vec::new();
    let described = cap.clusters.iter().map(|(n, _, o)| (n.clone(), o.clone()));
    let services = cap.services.iter().map(|s| (s.cluster.clone(), (s.path.0.clone(), format!("{}.clusterArn", s.path.1))));
    let task_clusters = cap.tasks.iter().map(|t| (t.cluster.clone(), (t.path.0.clone(), format!("{}.clusterArn", t.path.1))));
    let instances = cap
        .instances
        .iter()
        .filter_map(|i| Some((i.cluster.clone()?, (i.path.0.clone(), format!("{}.containerInstanceArn", i.path.1)))));
    for (name, origin) in described.chain(services).chain(task_clusters).chain(instances) {
        if !named.iter().any(|(n, _)| *n == name) {
            named.push((name, origin));
        }
    }
    let cluster = match named.as_slice() {
        [] => return Err(whole("no cluster named: add the output of aws ecs describe-clusters".into())),
        [(one, _)] => one.clone(),
        [(first, first_at), (second, second_at), ..] => {
            let all: BTreeSet<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
            return Err(at(
                second_at,
                format!(
                    "cluster '{second}', where {}: {} names cluster '{first}': the files describe {} clusters ({}); \
                     import one cluster at a time",
                    first_at.0,
                    first_at.1,
                    all.len(),
                    all.into_iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    };
    let mut s = Scenario {
        name: format!("import-{cluster}"),
        description: format!("Imported by drainsim import from {files} AWS CLI output files."),
        clusters: vec![cluster.clone()],
        ..Default::default()
    };
    s.subnet_zones = cap.subnet_zones.iter().map(|(subnet, (zone, _))| (subnet.clone(), zone.clone())).collect();
    let mut origins = Origins::default();
    if let Some((region, account)) = &cap.arn_context {
        s.region = Some(region.clone());
        s.account_id = Some(account.clone());
    }
    // Time 0 is the capture: the latest time the files mention (its whole second: the scenario's
    // epoch is in seconds).
    if let Some(t) = cap.latest_time_ms {
        s.epoch_unix_seconds = Some(u64::try_from(t.div_euclid(1000)).unwrap_or(0));
        // Said, so that a date no capture could hold (an edited `registeredAt` of 9999-12-31,
        // which made every instance thousands of years old) shows where the run starts.
        summary.notes.push(format!(
            "time 0 is {}, the latest moment the files mention (when instances registered and their health checks ran, services' \
             events and deployments): the capture",
            json::format_iso8601(t.div_euclid(1000))
        ));
    }
    s.end_time_ms = Some(7 * 24 * 3_600_000);

    // Task definitions, each family's in revision order, keeping their revision numbers: a
    // revision after a gap (the ones between were deregistered in ECS) names its number with the
    // `revision` extension; the family's next needs none.
    // (The captured task definitions are keyed, and so ordered, by family, then revision.)
    let mut previous: Option<(&str, u32)> = None;
    for ((family, revision), (request, origin)) in &cap.task_defs {
        let next = match previous {
            Some((f, r)) if f == family => r + 1,
            _ => 1,
        };
        previous = Some((family, *revision));
        let mut request = request.clone();
        request.revision = (*revision != next).then_some(*revision);
        s.task_definitions.push(request);
        origins.task_definitions.push(origin.clone());
    }
    let td_name = |path: &Origin, td: &(String, u32)| {
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

    // Account settings as they were.
    for (put, origin) in &cap.settings {
        s.account_settings.push(put.clone());
        origins.settings.push(Some(origin.clone()));
    }
    let account = s.account_id.clone().unwrap_or_else(|| "123456789012".into());
    // The ARN format new instances get: the instances' own when they share one, else the long one.
    let long: BTreeSet<bool> = cap.instances.iter().map(|i| i.long_arn).collect();
    let default_long = long.contains(&true);
    if !long.is_empty() {
        let value = if default_long { "enabled" } else { "disabled" };
        s.account_defaults.insert("containerInstanceLongArnFormat".into(), value.into());
    }
    for (name, value) in &cap.managed_settings {
        s.account_defaults.insert(name.clone(), value.clone());
    }
    // What the root user registers with (it registers the instances that name no role): its
    // captured setting, else the account default.
    let root = format!("arn:aws:iam::{account}:root");
    let root_long = cap
        .settings
        .iter()
        .rev()
        .find(|(p, _)| p.name == "containerInstanceLongArnFormat" && p.principal_arn.as_deref().is_none_or(|a| a == root))
        .map(|(p, _)| p.value.as_str())
        .or(s.account_defaults.get("containerInstanceLongArnFormat").map(String::as_str))
        .map_or(default_long, |v| v == "enabled");
    // Each instance registers keeping what it had, whatever the account settings say today: one
    // that was not trunked as a role with awsvpcTrunking disabled, so that the setting cannot trunk
    // it; one whose ARN format is not the root user's as a role with its own format ("Only
    // resources launched after opting in receive the new ARN and resource ID format",
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html).
    let role_of = |trunked: bool, long: bool| -> Option<String> {
        let format = (long != root_long).then_some(if long { "long-arn" } else { "short-arn" });
        let name = match (trunked, format) {
            (true, None) => return None,
            (false, None) => "drainsim-import-untrunked".to_string(),
            (true, Some(f)) => format!("drainsim-import-{f}"),
            (false, Some(f)) => format!("drainsim-import-untrunked-{f}"),
        };
        Some(format!("arn:aws:iam::{account}:role/{name}"))
    };
    let mut roles: BTreeMap<String, (bool, bool)> = BTreeMap::new();

    // The cluster's capacity providers, as PutClusterCapacityProviders would set them: its Auto
    // Scaling group providers (drainsim runs nothing on Fargate), and its default strategy when
    // every provider it names is one of them.
    let providers: Vec<String> = match cap.cluster_providers.iter().rev().find(|(p, _)| p.cluster == cluster) {
        None => Vec::new(),
        Some((put, origin)) => {
            let kept: Vec<String> = put.capacity_providers.iter().filter(|p| !is_fargate_provider(p)).cloned().collect();
            let default_ok = put.default_capacity_provider_strategy.iter().all(|i| kept.contains(&i.capacity_provider));
            if !default_ok {
                summary.notes.push(format!(
                    "cluster {cluster}: its default capacity provider strategy names a Fargate or unknown capacity \
                     provider and is left out"
                ));
            }
            let default_capacity_provider_strategy =
                if default_ok { put.default_capacity_provider_strategy.clone() } else { Vec::new() };
            if !kept.is_empty() || !default_capacity_provider_strategy.is_empty() {
                s.cluster_capacity_providers.push(api::PutClusterCapacityProvidersRequest {
                    cluster: cluster.clone(),
                    capacity_providers: kept.clone(),
                    default_capacity_provider_strategy,
                });
                origins.cluster_providers.push(origin.clone());
            }
            kept
        }
    };

    // Instances.
    let mut imported_ids: BTreeMap<String, String> = BTreeMap::new();
    // The instances captured DRAINING: their tasks are not the ones a scale-in stops.
    let mut draining: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut type_paths = Vec::new();
    let mut disconnected = Vec::new();
    let mut undated = Vec::new();
    // Notes that would repeat per instance, said once each with the instances they are about
    // (a cluster of 300 instances printed 274 alike lines, burying the others).
    let mut left_out_by_status: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut unknown_provider: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in &cap.instances {
        match i.status.as_str() {
            "ACTIVE" | "DRAINING" => {}
            other => {
                left_out_by_status.entry(other).or_default().push(i.group.name.clone());
                continue;
            }
        }
        let mut g = i.group.clone();
        g.cluster = Some(cluster.clone());
        // When it registered with ECS: before the capture, which is time 0, so a negative
        // `registerAtMs` (its `registeredAt`, which the cluster query language reads).
        match (i.registered_at_ms, cap.latest_time_ms) {
            (Some(registered_ms), Some(capture_ms)) => {
                // From time 0, the capture's whole second: to the millisecond.
                let ms = registered_ms.saturating_sub(capture_ms.div_euclid(1000).saturating_mul(1000));
                g.register_at_ms = ms.clamp(-i64::try_from(crate::format::MAX_TIME_MS).expect("2^50"), 0);
            }
            _ => undated.push(g.name.clone()),
        }
        if let Some(p) = g.capacity_provider_name.take() {
            if providers.contains(&p) {
                g.capacity_provider_name = Some(p);
            } else {
                unknown_provider.entry(p).or_default().push(g.name.clone());
            }
        }
        if i.status == "DRAINING" {
            g.status = Some("DRAINING".into());
            draining.insert(g.name.clone());
        }
        g.instance_role = role_of(i.trunked, i.long_arn);
        if let Some(role) = &g.instance_role {
            roles.insert(role.clone(), (i.trunked, i.long_arn));
        }
        if let Some(limit) = opts.task_eni_limits.get(&g.instance_type) {
            g.task_eni_limit = Some(*limit);
        }
        if imported_ids.insert(id_key(g.container_instance_id.as_deref().unwrap_or_default()), g.name.clone()).is_some() {
            return Err(at(&i.path, format!("container instance {} appears twice", g.name)));
        }
        if !i.agent_connected {
            disconnected.push(g.name.clone());
        }
        s.instances.push(g);
        origins.instances.push(i.path.clone());
        type_paths.push(&i.type_path);
    }
    for (status, names) in left_out_by_status {
        summary.notes.push(format!(
            "{} left out: {} {status}",
            instances_named(&names),
            if names.len() == 1 { "it is" } else { "they are" }
        ));
    }
    for (provider, names) in unknown_provider {
        summary.notes.push(format!(
            "{}: {} capacity provider {provider} is not one of the cluster's described capacity providers (aws ecs \
             describe-clusters): {} imported without one",
            instances_named(&names),
            if names.len() == 1 { "its" } else { "their" },
            if names.len() == 1 { "it is" } else { "they are" },
        ));
    }
    if !undated.is_empty() {
        summary.notes.push(undated_note(&s, &undated));
    }
    // The Auto Scaling groups holding the instances, adopting them, and their capacity providers.
    // When each imported instance registered: a group's members are ordered by it, oldest first.
    let registered_at_ms: BTreeMap<&str, i64> =
        cap.instances.iter().filter_map(|i| Some((i.group.name.as_str(), i.registered_at_ms?))).collect();
    origins.groups = cap.autoscaling.build(&mut s, &providers, &registered_at_ms, summary)?;
    for (p, _) in &cap.autoscaling.providers {
        let imported = s.capacity_providers.iter().any(|c| c.name == p.name);
        if providers.contains(&p.name) && !imported && p.auto_scaling_group_provider.managed_scaling_enabled() {
            summary.notes.push(format!(
                "capacity provider {} has managed scaling ENABLED, but its Auto Scaling group {} is not imported: a task \
                 of its strategy without room fails placement, where ECS would keep it PROVISIONING and scale the group \
                 out (capture it with aws autoscaling describe-auto-scaling-groups to model that)",
                p.name,
                p.auto_scaling_group_provider.group_name()
            ));
        }
    }
    for (role, (trunked, long)) in roles {
        let mut setting = |name: &str, value: &str| {
            s.account_settings.push(api::PutAccountSettingRequest {
                name: name.into(),
                value: value.into(),
                principal_arn: Some(role.clone()),
            });
            origins.settings.push(None);
        };
        if !trunked {
            setting("awsvpcTrunking", "disabled");
        }
        if long != root_long {
            setting("containerInstanceLongArnFormat", if long { "enabled" } else { "disabled" });
        }
    }

    // Services.
    let mut service_tds: BTreeMap<String, String> = BTreeMap::new();
    for svc in &cap.services {
        let mut r = svc.request.clone();
        r.cluster = Some(cluster.clone());
        r.task_definition = td_name(&svc.td_path, &svc.task_def)?;
        if let Some(unknown) = r.capacity_provider_strategy.iter().find(|i| !providers.contains(&i.capacity_provider)) {
            summary.notes.push(format!(
                "service {}: its capacityProviderStrategy names {}, which is not one of the cluster's described capacity \
                 providers: drainsim places its tasks on any instance of the cluster",
                r.service_name, unknown.capacity_provider
            ));
            r.capacity_provider_strategy.clear();
            r.launch_type = Some("EC2".to_string());
        }
        if let Some(tg) = r.load_balancers.first().and_then(|lb| lb.target_group_arn.clone()) {
            if let Some(t) = cap.target_groups.get(&tg) {
                r.target_group = Some(api::TargetGroupSettings {
                    health_check_interval_seconds: t.interval_s,
                    healthy_threshold_count: t.healthy_threshold,
                    unhealthy_threshold_count: t.unhealthy_threshold,
                    deregistration_delay_seconds: t.deregistration_delay_s,
                });
            } else {
                summary.notes.push(format!(
                    "service {}: its target group was not described (aws elbv2 describe-target-groups); ELB defaults apply",
                    r.service_name
                ));
            }
        }
        keep_subnets_of_known_zones(&mut r, &cap.subnet_zones, summary);
        service_tds.insert(r.service_name.clone(), r.task_definition.clone());
        s.services.push(r);
        origins.services.push(svc.path.clone());
    }

    // The services captured DRAINING are deleted first thing.
    for svc in cap.services.iter().filter(|svc| svc.deleted) {
        s.steps.push(Step {
            at_ms: None,
            caller: None,
            action: Action::Ecs(api::Request::DeleteService(api::DeleteServiceRequest {
                cluster: Some(cluster.clone()),
                service: svc.request.service_name.clone(),
                force: Some(true),
            })),
            expect: None,
        });
    }

    // How long a container takes to exit after SIGTERM is in no AWS response, and it often sets a
    // drain's pace: say what drainsim assumes, once, where services will stop tasks.
    if !s.services.is_empty() {
        summary.notes.push(
            "no capture says how long a container takes to exit after SIGTERM: drainsim assumes every container \
             ignores it and is killed at its stop timeout (its stopTimeout, else the agent's), the slowest case; \
             give exitAfterSigtermMs to the written containers that exit sooner"
                .to_string(),
        );
    }

    // Tasks where they run, each with the task definition it runs: during a deployment a
    // service's older tasks run an older revision, with its reservation.
    let mut running: BTreeMap<RunKey, Vec<Origin>> = BTreeMap::new();
    let mut order = Vec::new();
    let mut older: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut of_left_out: BTreeMap<String, u32> = BTreeMap::new();
    let mut of_stopping: BTreeMap<String, u32> = BTreeMap::new();
    let mut overridden: Vec<(String, String, SizeTexts)> = Vec::new();
    // Each service's imported tasks on instances not DRAINING (those a scale-in stops), against
    // its desiredCount.
    let mut of_service: BTreeMap<String, u32> = BTreeMap::new();
    let unhealthy_targets = targets_unhealthy(cap, &imported_ids, summary);
    for (n, t) in cap.tasks.iter().enumerate() {
        let Some(instance) = imported_ids.get(&id_key(&t.instance_id)) else {
            if !cap.described_ids.contains(&id_key(&t.instance_id)) {
                // Not left out: never described. The capture misses it (a describe-container-instances
                // batch not run), as a task definition can be missing.
                let path = (t.path.0.clone(), format!("{}.containerInstanceArn", t.path.1));
                return Err(at(
                    &path,
                    format!(
                        "container instance {} was not described: add the output of aws ecs \
                         describe-container-instances --container-instances {}",
                        t.instance_id, t.instance_id
                    ),
                ));
            }
            summary.notes.push(format!("a task on container instance {} left out: the instance was not imported", t.instance_id));
            continue;
        };
        let td = td_name(&t.td_path, &t.task_def)?;
        let named = t.service_name();
        if let Some(missing) = named.filter(|n| !cap.described_services.contains(*n)) {
            // Not left out: never described. The capture misses it (a describe-services batch not
            // run), and its tasks would run as standalone tasks nothing replaces.
            let path = (t.path.0.clone(), format!("{}.group", t.path.1));
            return Err(at(
                &path,
                format!(
                    "service {missing} was not described: add the output of aws ecs describe-services --cluster {cluster} \
                     --services {missing}"
                ),
            ));
        }
        if let Some(stopping) = named.filter(|n| cap.stopping_left_out.contains(*n)) {
            *of_stopping.entry(stopping.to_string()).or_insert(0) += 1;
            continue;
        }
        let service = named.filter(|n| service_tds.contains_key(*n)).map(str::to_string);
        match (&service, named) {
            (Some(sv), _) if service_tds.get(sv) != Some(&td) => *older.entry((sv.clone(), td.clone())).or_insert(0) += 1,
            (None, Some(left_out)) => *of_left_out.entry(left_out.to_string()).or_insert(0) += 1,
            _ => {}
        }
        let (group, started_by) = match &service {
            Some(_) => (None, None),
            None => (t.group.clone().filter(|g| !g.starts_with("family:")), t.started_by.clone()),
        };
        // A standalone task whose own size is not its task definition's had a RunTask override:
        // it is written with it, so it reserves what it reserves on ECS (a service's tasks have
        // none).
        let overrides = match &service {
            Some(_) => (None, None),
            None => size_override(&t.size, &cap.task_defs[&t.task_def].0),
        };
        if overrides != (None, None) {
            overridden.push((t.short_id.clone(), td.clone(), overrides.clone()));
        }
        if let Some(sv) = service.as_ref().filter(|_| !draining.contains(instance)) {
            *of_service.entry(sv.clone()).or_insert(0) += 1;
        }
        let key = (instance.clone(), td, service, group, started_by, overrides, t.healthy && !unhealthy_targets.contains(&n));
        match running.get_mut(&key) {
            Some(paths) => paths.push(t.path.clone()),
            None => {
                order.push(key.clone());
                running.insert(key, vec![t.path.clone()]);
            }
        }
    }
    summary.notes.extend(missing_tasks_note(cap, &imported_ids));
    for ((sv, td), n) in older {
        let own = service_tds.get(&sv).cloned().unwrap_or_default();
        summary.notes.push(format!(
            "service {sv}: {} {td}, not the service's {own} (a deployment in progress): imported as {}, with \
             {td}'s reservation; drainsim does not carry the deployment on, so the service starts tasks of {own} only \
             and {} until stopped (a scale-in stops {} before the service's own)",
            if n == 1 { "1 task runs".to_string() } else { format!("{n} tasks run") },
            if n == 1 { "it runs" } else { "they run" },
            if n == 1 { "it runs" } else { "these run" },
            if n == 1 { "it" } else { "them" },
        ));
    }
    // More tasks off DRAINING instances than desiredCount (a deployment's new tasks started beside
    // the old ones, up to maximumPercent): the service's first pass scales in at time 0.
    for sv in &cap.services {
        let name = &sv.request.service_name;
        let daemon = sv.request.scheduling_strategy.as_deref() == Some("DAEMON");
        let (Some(desired), Some(&n)) = (sv.request.desired_count, of_service.get(name)) else { continue };
        if daemon || sv.deleted || i64::from(n) <= desired {
            continue;
        }
        let surplus = i64::from(n) - desired;
        summary.notes.push(format!(
            "service {name}: {n} tasks run on instances not DRAINING for a desiredCount of {desired}: its first \
             scheduling pass, at time 0, stops the {surplus} beyond it — tasks of another revision than the service's \
             first (as the deployment would), then unhealthy ones, then by its placement strategy"
        ));
    }
    for (sv, n) in of_stopping {
        summary.notes.push(format!(
            "{} of service {sv} left out: the service is DRAINING (deleted) and ECS is stopping {}",
            tasks(n),
            if n == 1 { "it" } else { "them" }
        ));
    }
    for (sv, n) in of_left_out {
        summary.notes.push(format!(
            "{} of service {sv} imported as {} (group service:{sv}): the service was not imported, so nothing \
             replaces {}",
            tasks(n),
            if n == 1 { "a standalone task" } else { "standalone tasks" },
            if n == 1 { "it when it stops" } else { "them when they stop" },
        ));
    }
    if !overridden.is_empty() {
        summary.notes.push(overridden_note(&overridden));
    }
    for key in order {
        let Some(paths) = running.remove(&key) else { continue };
        let (instance, task_definition, service, group, started_by, (cpu, memory), healthy) = key;
        let count = paths.len() as u32;
        let overrides = (cpu.is_some() || memory.is_some()).then_some(api::TaskOverride { cpu, memory });
        s.running_tasks.push(RunningTasks { instance, task_definition, service, group, started_by, overrides, count, healthy });
        origins.running_tasks.push(paths);
    }

    // An awsvpc task needs the task ENI limit of every instance of the cluster (the engine's rule,
    // `engine/placement.rs::check_eni_limits_known`): one of a type missing from drainsim's table
    // needs it from the command line.
    let awsvpc: BTreeSet<String> = cap
        .task_defs
        .iter()
        .filter(|(_, (r, _))| r.network_mode.as_deref() == Some("awsvpc"))
        .map(|((f, r), _)| format!("{f}:{r}"))
        .collect();
    let user = s
        .services
        .iter()
        .find(|r| awsvpc.contains(&r.task_definition))
        .map(|r| format!("service {} runs {}", r.service_name, r.task_definition))
        .or_else(|| {
            s.running_tasks
                .iter()
                .find(|r| awsvpc.contains(&r.task_definition))
                .map(|r| format!("a task of {} runs on {}", r.task_definition, r.instance))
        });
    if let Some(user) = user {
        let known: BTreeSet<&str> = drainsim_core::known_instance_types().collect();
        for (g, type_path) in s.instances.iter().zip(&type_paths) {
            let t = &g.instance_type;
            if g.task_eni_limit.is_none() && !known.contains(t.as_str()) {
                return Err(at(
                    type_path,
                    format!(
                        "instance type {t} is not in drainsim's task ENI limit table, and drainsim runs awsvpc tasks \
                         ({user}) only in a cluster whose every instance's limit it knows, whatever the tasks' placement \
                         constraints: give it with --task-eni-limit {t}=N, N the task \
                         ENIs an instance of the type takes (trunked: the ENI trunking table, \
                         https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html; \
                         untrunked: its EC2 network interface limit less the primary one)"
                    ),
                ));
            }
        }
    }

    if !disconnected.is_empty() {
        // Said at import: a drain of such an instance waits for its agent, which no step brings back.
        const NAMED: usize = 5;
        let more = if disconnected.len() > NAMED { format!(" and {} more", disconnected.len() - NAMED) } else { String::new() };
        // One instance is "it", several are "they", all through the sentence.
        let (noun, its, it_takes, of_it) = if disconnected.len() == 1 {
            ("instance", "its", "it takes", "a drain of it")
        } else {
            ("instances", "their", "they take", "a drain of them")
        };
        summary.notes.push(format!(
            "{noun} {}{more}: agentConnected false in the capture, imported with {its} agent disconnected from time 0 \
             (faults.pinned AgentDisconnect): {it_takes} no placements, and {of_it} stops no task until an \
             AgentReconnect the scenario does not have",
            disconnected.iter().take(NAMED).cloned().collect::<Vec<_>>().join(", "),
        ));
        let pinned = disconnected
            .iter()
            .map(|n| PinnedFaultSpec { at_ms: 0, fault: PinnedFaultKind::AgentDisconnect(n.clone()) })
            .collect();
        s.faults = Some(FaultsSpec { pinned, ..Default::default() });
    }

    Ok((s, origins))
}

/// `instance i-1` or `instances i-1, i-2, … and N more` (at most five named): a note about many
/// instances names a few and counts the rest.
fn instances_named(names: &[String]) -> String {
    const NAMED: usize = 5;
    let listed = names.iter().take(NAMED).cloned().collect::<Vec<_>>().join(", ");
    match names.len() {
        1 => format!("instance {listed}"),
        n if n > NAMED => format!("{n} instances ({listed} and {} more)", n - NAMED),
        _ => format!("instances {listed}"),
    }
}

/// The tasks (their places in `cap.tasks`) a service's load balancer found unhealthy: a target of
/// a describe-target-health output in state `unhealthy` (or `unhealthy.draining`) that is one of
/// the task's — an `instance` target by its instance and one of the task's host ports, an `ip`
/// target by the address of the task's ENI — where the task's service has a load balancer. ECS
/// replaces such a task as it replaces one it found UNHEALTHY
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html>),
/// so it is imported with `healthy: false`. A target still `initial` or `draining` is said in a
/// note (the task is imported healthy: drainsim has no imported task that is still starting or
/// deregistering); targets that match no imported task are counted in a note.
fn targets_unhealthy(cap: &Capture, imported_ids: &BTreeMap<String, String>, summary: &mut ImportSummary) -> BTreeSet<usize> {
    let mut unhealthy = BTreeSet::new();
    if cap.target_health.is_empty() {
        return unhealthy;
    }
    let load_balanced: BTreeSet<&str> =
        cap.services.iter().filter(|s| !s.request.load_balancers.is_empty()).map(|s| s.request.service_name.as_str()).collect();
    let mut by_instance_port: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    let mut by_ip: BTreeMap<&str, usize> = BTreeMap::new();
    // Only the tasks the scenario runs: those on imported instances, but for those of a DRAINING
    // service left out (ECS is stopping them).
    for (n, t) in cap.tasks.iter().enumerate() {
        let Some(instance) = imported_ids.get(&id_key(&t.instance_id)) else { continue };
        if t.service_name().is_some_and(|s| cap.stopping_left_out.contains(s)) {
            continue;
        }
        for port in &t.host_ports {
            by_instance_port.insert((instance.as_str(), *port), n);
        }
        for ip in &t.private_ips {
            by_ip.insert(ip.as_str(), n);
        }
    }
    let mut unmatched: BTreeMap<&str, u32> = BTreeMap::new();
    for target in &cap.target_health {
        let task = match target.port {
            Some(port) if target.id.starts_with("i-") => by_instance_port.get(&(target.id.as_str(), port)),
            _ => by_ip.get(target.id.as_str()),
        };
        let Some(&n) = task else {
            // A `draining` target is most often a stopping task's, which the import leaves out.
            if !matches!(target.state, "unused" | "unavailable" | "draining") {
                *unmatched.entry(target.path.0.as_str()).or_insert(0) += 1;
            }
            continue;
        };
        let t = &cap.tasks[n];
        let named = match target.port {
            Some(port) => format!("{}:{port}", target.id),
            None => target.id.clone(),
        };
        let reason = target.reason.as_deref().map(|r| format!(", {r}")).unwrap_or_default();
        let judged = t.service_name().is_some_and(|s| load_balanced.contains(s));
        match target.state {
            "unhealthy" | "unhealthy.draining" if judged => {
                // Noted once per task (a task may be a target of two target groups), and only when
                // its own healthStatus did not already make it UNHEALTHY.
                let first = unhealthy.insert(n);
                if first && t.healthy {
                    summary.notes.push(format!(
                        "task {} imported UNHEALTHY (healthy: false; its service replaces it): its target {named} was \
                         {}{reason} at {}: {}",
                        t.short_id, target.state, target.path.0, target.path.1
                    ));
                }
            }
            "unhealthy" | "unhealthy.draining" => summary.notes.push(format!(
                "target {named} ({}{reason}, at {}: {}) is task {}'s, which no service with a load balancer \
                 runs: ECS does not read its health, and neither does drainsim",
                target.state, target.path.0, target.path.1, t.short_id
            )),
            "initial" | "draining" => summary.notes.push(format!(
                "task {} imported healthy, but its target {named} was {}{reason} at {}: {} ({})",
                t.short_id,
                target.state,
                target.path.0,
                target.path.1,
                if target.state == "initial" {
                    "registered, its health checks not yet passed: a drain may wait longer for it than drainsim shows"
                } else {
                    "being deregistered: ECS is likely stopping the task"
                }
            )),
            _ => {}
        }
    }
    for (file, count) in unmatched {
        summary.notes.push(format!(
            "{file}: {count} target(s) match no imported task (neither an imported instance's task with that host port \
             in its containers' networkBindings nor a task ENI with that address): their health is not read"
        ));
    }
    unhealthy
}

/// A note when the imported instances report more tasks (`runningTasksCount` +
/// `pendingTasksCount`) than describe-tasks describes on them: the capture misses tasks (a
/// describe-tasks batch not run, a file left out), and the services would start them again at time
/// 0. Counts can drift by a task or two between the calls of a live cluster, so this is a note
/// naming the instances, not a refusal.
fn missing_tasks_note(cap: &Capture, imported_ids: &BTreeMap<String, String>) -> Option<String> {
    let mut described: BTreeMap<&str, u64> = BTreeMap::new();
    let on_instances =
        cap.tasks.iter().map(|t| (id_key(&t.instance_id), 1)).chain(cap.stopping_tasks_on.iter().map(|(k, n)| (k.clone(), *n)));
    for (key, n) in on_instances {
        if let Some(name) = imported_ids.get(&key) {
            let d = described.entry(name.as_str()).or_insert(0);
            *d = d.saturating_add(n);
        }
    }
    let (mut reported_total, mut described_total) = (0u64, 0u64);
    let mut short: Vec<String> = Vec::new();
    for i in &cap.instances {
        let Some(reported) = i.reported_tasks else { continue };
        // Imported (an instance left out reports tasks left out with it): looked up by its ID, as
        // its tasks were.
        let Some(name) = imported_ids.get(&id_key(i.group.container_instance_id.as_deref().unwrap_or_default())) else {
            continue;
        };
        let got = described.get(name.as_str()).copied().unwrap_or(0);
        reported_total = reported_total.saturating_add(reported);
        described_total = described_total.saturating_add(got.min(reported));
        if got < reported {
            short.push(format!("{name} {got} of {reported}"));
        }
    }
    if short.is_empty() {
        return None;
    }
    const NAMED: usize = 5;
    let more = match short.len().saturating_sub(NAMED) {
        0 => String::new(),
        1 => ", and 1 more instance".to_string(),
        n => format!(", and {n} more instances"),
    };
    Some(format!(
        "describe-tasks describes {described_total} of the {reported_total} tasks the container instances report (runningTasksCount + pendingTasksCount; {}{more}): the capture misses tasks (a describe-tasks batch of at most 100 not run, or its file left out), and the services will start theirs again at time 0; add aws ecs describe-tasks for every ARN aws ecs list-tasks gives (docs/import.md)",
        short.iter().take(NAMED).cloned().collect::<Vec<_>>().join(", ")
    ))
}

/// The note on imported instances without a `registeredAt` (AWS CLI output always has one; a
/// hand-edited capture may not): they register at time 0, the capture, which is what a cluster
/// query on `registeredAt` then reads of them.
fn undated_note(s: &Scenario, undated: &[String]) -> String {
    let when = s.epoch_unix_seconds.map_or_else(
        || "the capture".to_string(),
        |t| format!("{}, the capture", json::format_iso8601(i64::try_from(t).unwrap_or(i64::MAX))),
    );
    let shown: Vec<&str> = undated.iter().take(5).map(String::as_str).collect();
    let more = if undated.len() > shown.len() { format!(" and {} more", undated.len() - shown.len()) } else { String::new() };
    format!(
        "instance {}{more}: no registeredAt in the capture: registered at time 0 ({when}), which a cluster query on \
         registeredAt (a --drain query, a memberOf constraint) reads",
        shown.join(", ")
    )
}

/// The name the setup check loads what the import built under (it is never written there).
const SETUP_CHECK_FILE: &str = "(drainsim import)";

/// Checks that what the import built sets up, as `drainsim check` sets it up. A refusal is an error
/// at the file and JSON path of the item refused: the setup applies the items in order (see
/// [`Origins`]), so the first prefix of them that fails ends with it, found by bisection (a
/// handful of setups, only when the whole fails).
fn check_setup(s: &Scenario, origins: &Origins, first_file: Option<&str>) -> Result<(), ImportError> {
    let probe = |items: Option<usize>| -> Result<(), crate::ScenarioError> {
        let cut;
        let s = match items {
            Some(n) => {
                cut = first_items(s, n);
                &cut
            }
            None => s,
        };
        let loaded = crate::load_str(SETUP_CHECK_FILE, &crate::write::to_ron(s))?;
        crate::runner::check_setup_of(loaded)
    };
    let Err(mut refusal) = probe(None) else { return Ok(()) };
    let culprit = match probe(Some(0)) {
        Err(e) => {
            refusal = e;
            // Of what is set up before the items, the clusters' capacity providers were read at a
            // place: the first cluster's entry without which the rest sets up.
            let providers = &s.cluster_capacity_providers;
            let refused_at = (0..providers.len()).find(|&k| {
                let mut cut = first_items(s, 0);
                cut.cluster_capacity_providers = providers[..k].iter().chain(&providers[k + 1..]).cloned().collect();
                let loaded = crate::load_str(SETUP_CHECK_FILE, &crate::write::to_ron(&cut));
                loaded.and_then(crate::runner::check_setup_of).is_ok()
            });
            if let Some(origin) = refused_at.and_then(|k| origins.cluster_providers.get(k)) {
                let message = format!("the imported cluster does not set up: {}", refusal.message);
                return Err(ImportError::new(origin.0.clone(), origin.1.clone(), message));
            }
            None
        }
        Ok(()) => {
            // The first `good` items set up; the first `bad` do not.
            let (mut good, mut bad) = (0, origins.items());
            while bad - good > 1 {
                let mid = good + (bad - good) / 2;
                match probe(Some(mid)) {
                    Ok(()) => good = mid,
                    Err(e) => {
                        bad = mid;
                        refusal = e;
                    }
                }
            }
            bad.checked_sub(1)
        }
    };
    let message = format!("the imported cluster does not set up: {}", refusal.message);
    Err(match culprit.and_then(|n| origins.of(n)) {
        Some((file, path)) => ImportError::new(file.clone(), path.clone(), message),
        None => ImportError::new(
            first_file.unwrap_or("(none)"),
            "$",
            format!(
                "{message} (in what the import derives itself: the cluster, its Region and account, the \
                 account defaults of the instances' ARN format and of the settings AWS manages, or the roles \
                 the instances register as)"
            ),
        ),
    })
}

/// The scenario with only its first `n` items (in setup order, see [`Origins`]).
fn first_items(s: &Scenario, mut n: usize) -> Scenario {
    fn keep<T>(items: &mut Vec<T>, n: &mut usize) {
        let kept = (*n).min(items.len());
        items.truncate(kept);
        *n -= kept;
    }
    let mut t = s.clone();
    keep(&mut t.account_settings, &mut n);
    keep(&mut t.task_definitions, &mut n);
    keep(&mut t.instances, &mut n);
    keep(&mut t.auto_scaling_groups, &mut n);
    keep(&mut t.services, &mut n);
    let mut running = Vec::new();
    for rt in std::mem::take(&mut t.running_tasks) {
        if n == 0 {
            break;
        }
        let count = rt.count.min(u32::try_from(n).unwrap_or(u32::MAX));
        n -= count as usize;
        running.push(RunningTasks { count, ..rt });
    }
    t.running_tasks = running;
    let names: BTreeSet<&str> = t.instances.iter().map(|g| g.name.as_str()).collect();
    // A group adopts all its instances or is not set up.
    t.auto_scaling_groups.retain(|g| g.instances.iter().all(|i| names.contains(i.instance_id.as_str())));
    let groups: BTreeSet<&str> = t.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str()).collect();
    t.capacity_providers.retain(|c| groups.contains(c.auto_scaling_group_provider.group_name()));
    if let Some(f) = t.faults.as_mut() {
        f.pinned.retain(|p| p.fault.instance().is_none_or(|n| names.contains(n.as_str())));
    }
    t
}

/// Adds the instance refresh plan: one StartInstanceRefresh of the named imported group to its
/// own launch template, with Auto Scaling's default preferences (and `SkipMatching` when asked).
fn add_refresh_plan(s: &mut Scenario, opts: &ImportOptions) -> Result<Vec<String>, ImportError> {
    let Some(group) = &opts.instance_refresh else { return Ok(Vec::new()) };
    if !s.auto_scaling_groups.iter().any(|g| &g.auto_scaling_group_name == group) {
        let imported = s.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str());
        let known = if s.auto_scaling_groups.is_empty() {
            " (none was: add the output of aws autoscaling describe-auto-scaling-groups)".to_string()
        } else {
            crate::load::did_you_mean(group, imported)
        };
        return Err(ImportError::flag("--instance-refresh", format!("'{group}' is not an imported Auto Scaling group{known}")));
    }
    // The members the refresh replaces: every one, or with SkipMatching those launched from
    // another launch template version than the group's.
    let spec = s.auto_scaling_groups.iter().find(|g| &g.auto_scaling_group_name == group).expect("found above");
    let replaced: Vec<String> = spec
        .instances
        .iter()
        .filter(|m| !opts.skip_matching || m.launch_template.as_ref().is_some_and(|t| *t != spec.launch_template))
        .map(|m| m.instance_id.clone())
        .collect();
    let preferences = RefreshPreferencesSpec { skip_matching: opts.skip_matching.then_some(true), ..Default::default() };
    s.steps.push(Step {
        at_ms: None,
        caller: None,
        action: Action::StartInstanceRefresh(StartInstanceRefreshSpec {
            auto_scaling_group_name: group.clone(),
            desired_configuration: None,
            preferences,
        }),
        expect: Some(StepExpect::InstanceRefreshStatus("Successful".into())),
    });
    s.steps.push(Step { at_ms: None, caller: None, action: Action::RunUntilQuiet, expect: None });
    Ok(replaced)
}

/// Adds the termination plan: a TerminateInstanceInAutoScalingGroup of each named instance, all at
/// the start of the run (each call returns at once, so the groups replace them side by side), then
/// the run until quiet. Each instance must be a member of an imported group, named once; with
/// `decrement`, no group may be taken below its `MinSize` (Auto Scaling would refuse the call).
fn add_terminate_plan(s: &mut Scenario, opts: &ImportOptions) -> Result<(), ImportError> {
    if opts.terminate.is_empty() {
        return Ok(());
    }
    let refuse = |message: String| ImportError::flag("--terminate", message);
    if s.auto_scaling_groups.is_empty() {
        return Err(refuse(
            "no Auto Scaling group was imported (add the output of aws autoscaling describe-auto-scaling-groups)".into(),
        ));
    }
    let mut taken: BTreeMap<&str, u32> = BTreeMap::new();
    let mut named = BTreeSet::new();
    for id in &opts.terminate {
        let Some(g) = s.auto_scaling_groups.iter().find(|g| g.instances.iter().any(|i| &i.instance_id == id)) else {
            return Err(refuse(format!("{id} is not an instance of an imported Auto Scaling group")));
        };
        if !named.insert(id.as_str()) {
            return Err(refuse(format!("{id} is named twice")));
        }
        // A member already past its group's maximum instance lifetime is replaced by the group
        // itself from the start of the run (terminate first: it is in Terminating:Wait before the
        // plan's first step), and a request naming it would then be refused
        // (ScalingActivityInProgress): refused here, as a decrement below MinSize is.
        if let Some(lifetime_ms) = g.max_instance_lifetime_ms() {
            let launched = s.instances.iter().find(|i| i.name == *id).map_or(0, |i| i.launch_time_ms());
            if crate::format::AutoScalingGroupSpec::lifetime_ends_at_ms(launched, lifetime_ms) <= 0 {
                return Err(refuse(format!(
                    "{id} has been in service longer than the MaxInstanceLifetime of {} ({} s): the group replaces it \
                     itself from the start of the run, and a TerminateInstanceInAutoScalingGroup of it would find it \
                     terminating (ScalingActivityInProgress)",
                    g.auto_scaling_group_name,
                    lifetime_ms / 1000
                )));
            }
        }
        let n = taken.entry(g.auto_scaling_group_name.as_str()).or_default();
        *n += 1;
        if opts.decrement && g.desired_capacity.saturating_sub(*n) < g.min_size {
            return Err(ImportError::flag(
                "--decrement",
                format!(
                    "terminating {n} instance(s) of {} without replacement would take its desired capacity {} below its MinSize {}",
                    g.auto_scaling_group_name, g.desired_capacity, g.min_size
                ),
            ));
        }
    }
    for id in &opts.terminate {
        s.steps.push(Step {
            at_ms: None,
            caller: None,
            action: Action::TerminateInstanceInAutoScalingGroup(crate::format::TerminateInstanceSpec {
                instance_id: id.clone(),
                should_decrement_desired_capacity: opts.decrement,
            }),
            expect: None,
        });
    }
    s.steps.push(Step { at_ms: None, caller: None, action: Action::RunUntilQuiet, expect: None });
    Ok(())
}

/// Why a container instance ARN `id` given to `--drain` cannot be one of the imported cluster's
/// (`None` for a bare ID, or an ARN that can): an ARN names its Region, account and (in the
/// current format, `container-instance/CLUSTER/ID`) its cluster, and ECS finds no instance of
/// another in this cluster, whatever ID ends it.
fn arn_of_another_cluster(id: &str, s: &Scenario, cluster: &str) -> Option<String> {
    let (region, account, rest) = split_arn(id, "container-instance")?;
    let mut differs = Vec::new();
    if s.region.as_deref().is_some_and(|r| r != region) {
        differs.push(format!("Region {region}, not {}", s.region.as_deref().unwrap_or_default()));
    }
    if s.account_id.as_deref().is_some_and(|a| a != account) {
        differs.push(format!("account {account}, not {}", s.account_id.as_deref().unwrap_or_default()));
    }
    if let Some((arn_cluster, _)) = rest.split_once('/').filter(|(c, _)| *c != cluster) {
        differs.push(format!("cluster {arn_cluster}, not {cluster}"));
    }
    (!differs.is_empty()).then(|| format!("{id} is the ARN of a container instance of another cluster ({})", differs.join("; ")))
}

/// Adds the drain plan: the selected instances in waves, each drained, waited for and deregistered
/// before the next. A filter is evaluated on the imported cluster at time 0 (ListContainerInstances
/// with the filter, ACTIVE and DRAINING instances, in the order ECS lists them), and the waves name
/// the instances it selected: a step carrying the filter would evaluate it again when it runs, and
/// a drain changes what a query on `runningTasksCount`, `task:group` or `agentConnected` selects,
/// so the wait and the deregistration after it would miss the drained instances. Returns the
/// instances it drains, in drain order.
fn add_drain_plan(s: &mut Scenario, opts: &ImportOptions) -> Result<Vec<String>, ImportError> {
    let cluster = s.clusters.first().cloned().unwrap_or_else(|| "default".into());
    let refuse = |message: String| ImportError::flag("--drain", message);
    let selected = match &opts.drain {
        DrainSelection::None => return Ok(Vec::new()),
        DrainSelection::Ids(ids) => {
            // Sets, so that naming thousands of instances costs no scan of the cluster per name.
            let imported: std::collections::BTreeSet<&str> = s.instances.iter().map(|g| g.name.as_str()).collect();
            // A container instance (its ID, or the ID that ends its ARN) is drained as its EC2
            // instance, the name the import gives it.
            let by_container_id: BTreeMap<&str, &str> =
                s.instances.iter().filter_map(|g| Some((g.container_instance_id.as_deref()?, g.name.as_str()))).collect();
            let mut named = std::collections::BTreeSet::new();
            let mut selected = Vec::with_capacity(ids.len());
            for id in ids {
                // A managed instance (ECS Anywhere) is an external instance, which the import
                // leaves out (drainsim models EC2 container instances only).
                if id.starts_with("mi-") {
                    return Err(refuse(format!(
                        "{id} is an external instance (ECS Anywhere): the import leaves those out, so it cannot be drained"
                    )));
                }
                let name = if id.starts_with("i-") {
                    imported.get(id.as_str()).copied().ok_or_else(|| {
                        refuse(format!(
                            "{id} is not an imported ACTIVE or DRAINING container instance{}",
                            crate::load::did_you_mean(id, imported.iter().copied())
                        ))
                    })?
                } else {
                    if let Some(wrong) = arn_of_another_cluster(id, s, &cluster) {
                        return Err(refuse(wrong));
                    }
                    let container_id = id.rsplit('/').next().unwrap_or(id);
                    by_container_id.get(container_id).copied().ok_or_else(|| {
                        refuse(format!(
                            "{id} is not the container instance of an imported ACTIVE or DRAINING instance{}",
                            crate::load::did_you_mean(container_id, by_container_id.keys().copied())
                        ))
                    })?
                };
                // A drain step names each instance once (ECS refuses a repeated one).
                if !named.insert(name) {
                    return Err(refuse(if name == id {
                        format!("{id} is named twice")
                    } else {
                        format!("{id} ({name}) is named twice")
                    }));
                }
                selected.push(name.to_string());
            }
            selected
        }
        DrainSelection::Filter(f) => {
            drainsim_core::query::Query::parse(f)
                .map_err(|e| refuse(format!("{} is not a valid cluster query: {e}", crate::load::quoted_query(f))))?;
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
            names
        }
    };
    for wave in selected.chunks(opts.wave_size as usize) {
        let instances = wave.to_vec();
        let step = |action| Step { at_ms: None, caller: None, action, expect: None };
        s.steps.push(step(Action::DrainInstances(DrainPlan {
            cluster: Some(cluster.clone()),
            instances: instances.clone(),
            filter: None,
            status: None,
            wave_size: None,
        })));
        s.steps.push(step(Action::WaitForDrain(WaitSpec {
            cluster: None,
            instances: instances.clone(),
            filter: None,
            status: None,
            timeout_ms: opts.wave_timeout_ms,
        })));
        s.steps.push(step(Action::DeregisterInstances(DeregisterPlan {
            cluster: Some(cluster.clone()),
            instances,
            filter: None,
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
    Ok(selected)
}

/// A note for each Auto Scaling group some of whose members a `--drain` plan drains while its
/// capacity provider has managed scaling: once the cluster has been below its target capacity
/// for 15 minutes, managed scaling may scale the group in and terminate them — by the group's
/// termination policies, a drained instance still running tasks too unless managed termination
/// protection keeps it — before the plan's `DeregisterInstances` step, which ECS then refuses
/// (`Container instance … is inactive.`, or `… is already deregistering.` while the group's
/// termination holds it), failing the plan. A group's instances are retired
/// through the group: `--terminate` or `--instance-refresh`.
fn managed_scaling_drain_notes(s: &Scenario, drained: &[String]) -> Vec<String> {
    const NAMED: usize = 5;
    let drained: std::collections::BTreeSet<&str> = drained.iter().map(String::as_str).collect();
    let mut notes = Vec::new();
    for g in &s.auto_scaling_groups {
        let members: Vec<&str> = g.instances.iter().map(|m| m.instance_id.as_str()).filter(|m| drained.contains(m)).collect();
        let Some(provider) = s.capacity_providers.iter().find(|c| {
            c.auto_scaling_group_provider.group_name() == g.auto_scaling_group_name
                && c.auto_scaling_group_provider.managed_scaling_enabled()
        }) else {
            continue;
        };
        if members.is_empty() {
            continue;
        }
        let named = match members.len() {
            n if n <= NAMED => members.join(", "),
            n => format!("{} and {} more", members[..NAMED].join(", "), n - NAMED),
        };
        notes.push(format!(
            "{} drained instance(s) ({named}) are members of Auto Scaling group {}, whose capacity provider {} has managed \
             scaling: once the cluster has been below its target capacity for 15 minutes, it may scale the group in and \
             terminate them (one still draining too, unless managed termination protection keeps an instance with tasks) \
             before the plan's DeregisterInstances step, which ECS then refuses (Container instance … is inactive., or … \
             is already deregistering.); to retire a group's instances, import with --terminate or --instance-refresh",
            members.len(),
            g.auto_scaling_group_name,
            provider.name
        ));
    }
    notes
}

/// Which plan takes the instances a standalone-task note is about.
#[derive(Clone, Copy)]
enum TakenBy<'a> {
    /// `--drain`: drained, waited for and deregistered.
    Drain,
    /// `--instance-refresh`: replaced by the refresh of this group.
    Refresh(&'a str),
    /// `--terminate`: terminated by TerminateInstanceInAutoScalingGroup.
    Terminate,
}

/// A note for each instance the plan takes (`drained`) that runs tasks no service owns (RunTask,
/// StartTask): a drain does not stop them — "Service tasks on the container instance that are in
/// the `RUNNING` state are stopped and replaced" only
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html>)
/// — so the instance's drain does not complete until they stop: a drain plan's `WaitForDrain`
/// waits its whole timeout and the `DeregisterInstances` after it is refused; an Auto Scaling
/// group terminates the instance with them (after its termination lifecycle hook times out, when
/// it has one). The note says how to stop them. At most ten instances are named, then the rest
/// counted.
fn standalone_task_notes(s: &Scenario, drained: &[String], taken_by: TakenBy<'_>) -> Vec<String> {
    const NAMED: usize = 10;
    if drained.is_empty() {
        return Vec::new();
    }
    let drained_set: std::collections::BTreeSet<&str> = drained.iter().map(String::as_str).collect();
    // By instance: the standalone tasks, and their groups (or task definitions) in first-seen order.
    let mut held: std::collections::BTreeMap<&str, (u64, Vec<String>)> = std::collections::BTreeMap::new();
    for r in s.running_tasks.iter().filter(|r| r.service.is_none() && drained_set.contains(r.instance.as_str())) {
        let (n, groups) = held.entry(r.instance.as_str()).or_default();
        *n += u64::from(r.count);
        let group = match &r.group {
            Some(g) => format!("group {g}"),
            None => format!("task definition {}", r.task_definition),
        };
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    let cluster = s.clusters.first().map_or("default", String::as_str);
    let in_order: Vec<(&str, &(u64, Vec<String>))> =
        drained.iter().filter_map(|d| held.get_key_value(d.as_str()).map(|(k, v)| (*k, v))).collect();
    let mut notes: Vec<String> = in_order
        .iter()
        .take(NAMED)
        .map(|(instance, (n, groups))| {
            let (tasks, them) = if *n == 1 { ("1 task".to_string(), "it stops") } else { (format!("{n} tasks"), "they stop") };
            let stop = format!("StopTasksOn((cluster: \"{cluster}\", instance: \"{instance}\"))");
            let groups = groups.join(", ");
            match taken_by {
                TakenBy::Drain => format!(
                    "drained instance {instance} runs {tasks} no service owns ({groups}): a drain does not stop such tasks, \
                     so its drain does not complete until {them}, and the plan's WaitForDrain waits its whole timeout; \
                     add a step {stop} after the DrainInstances step to stop them, or leave the instance out of --drain"
                ),
                TakenBy::Refresh(_) | TakenBy::Terminate => format!(
                    "instance {instance}, which {}, runs {tasks} no service owns ({groups}): a drain does not stop such \
                     tasks, so the group terminates the instance with {} running (after its termination lifecycle hook \
                     times out, when it has one); add a step {stop} before the plan's first step to stop them first",
                    match taken_by {
                        TakenBy::Refresh(group) => format!("the instance refresh of {group} replaces"),
                        _ => "--terminate terminates".to_string(),
                    },
                    if *n == 1 { "it" } else { "them" }
                ),
            }
        })
        .collect();
    if in_order.len() > NAMED {
        let taken = match taken_by {
            TakenBy::Drain => "drained instances",
            TakenBy::Refresh(_) => "instances the refresh replaces",
            TakenBy::Terminate => "instances --terminate terminates",
        };
        notes.push(format!("{} more {taken} run tasks no service owns", in_order.len() - NAMED));
    }
    notes
}

/// Alike running tasks: instance, task definition, service, group, startedBy, healthy.
/// A task's task-level `cpu` and `memory` texts (reported, or written as an override).
type SizeTexts = (Option<String>, Option<String>);

type RunKey = (String, String, Option<String>, Option<String>, Option<String>, SizeTexts, bool);

/// The `overrides` a standalone task is written with: its reported task-level `cpu` and `memory`
/// (`size`) where they differ from what its task definition as written reserves (its task-level
/// value, else its containers' sum, as RegisterTaskDefinition computes it), so that it reserves
/// what it does on ECS ("The cpu override for the task", "The memory override for the task":
/// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html>). A value
/// that is not a whole number is written as captured, for RunTask's own check to refuse at the
/// task.
fn size_override(size: &SizeTexts, td: &api::RegisterTaskDefinitionRequest) -> SizeTexts {
    let sum = |f: fn(&api::ContainerDefinition) -> Option<u32>| {
        td.container_definitions.iter().map(|c| i64::from(f(c).unwrap_or(0))).sum::<i64>()
    };
    let own = |declared: &Option<String>, containers: i64| match declared {
        Some(text) => text.trim().parse::<i64>().ok(),
        None => Some(containers),
    };
    let of_definition = (own(&td.cpu, sum(|c| c.cpu)), own(&td.memory, sum(|c| c.memory)));
    let differs = |reported: &Option<String>, defined: Option<i64>| {
        reported.clone().filter(|r| defined.is_none_or(|d| r.trim().parse::<i64>() != Ok(d)))
    };
    (differs(&size.0, of_definition.0), differs(&size.1, of_definition.1))
}

/// The note of the standalone tasks imported with a RunTask override of their size (`tasks`: each
/// one's ID, task definition and override).
fn overridden_note(tasks: &[(String, String, SizeTexts)]) -> String {
    const NAMED: usize = 5;
    let said: Vec<String> = tasks
        .iter()
        .take(NAMED)
        .map(|(id, td, (cpu, memory))| {
            let parts: Vec<String> = [("cpu", cpu), ("memory", memory)]
                .iter()
                .filter_map(|(name, v)| v.as_ref().map(|v| format!("{name} {v}")))
                .collect();
            format!("{id} ({td}, {})", parts.join(", "))
        })
        .collect();
    let more = if tasks.len() > NAMED { format!(" and {} more", tasks.len() - NAMED) } else { String::new() };
    let said = format!("{}{more}", said.join(", "));
    if tasks.len() == 1 {
        format!(
            "standalone task {said} runs with a size other than its task definition's (a RunTask override): \
             imported with that override, so it reserves what ECS reports"
        )
    } else {
        format!(
            "standalone tasks {said} run with sizes other than their task definitions' (RunTask overrides): \
             imported with those overrides, so they reserve what ECS reports"
        )
    }
}

/// Matches the target-group attribute files to their target groups: by a `-<target-group-name>.json`
/// suffix of the file name, or to the only target group there is.
fn match_tg_attributes(cap: &mut Capture) -> Result<(), ImportError> {
    let pending = std::mem::take(&mut cap.tg_attributes);
    for (file, delay) in pending {
        let stem = Path::new(&file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        // The target group whose name ends the file name: the longest such name, so that
        // `…-web-tg.json` is web-tg's even beside a target group named tg (two names that both
        // end the name after a hyphen differ in length, so the longest is one).
        let by_name = cap
            .target_groups
            .iter()
            .filter(|(_, t)| stem.ends_with(&format!("-{}", t.name)))
            .max_by_key(|(_, t)| t.name.len())
            .map(|(a, _)| a.clone());
        let only = (cap.target_groups.len() == 1).then(|| cap.target_groups.keys().next().cloned()).flatten();
        let arn = match by_name.or(only) {
            Some(arn) => arn,
            // No target group at all: the file is fine, the capture misses what it belongs to.
            None if cap.target_groups.is_empty() => {
                return Err(ImportError::new(
                    file,
                    "$",
                    "no target group is described, so these attributes belong to none: add the output of aws elbv2 \
                     describe-target-groups",
                ))
            }
            None => {
                return Err(ImportError::new(
                    file,
                    "$",
                    "cannot tell which target group these attributes belong to: name the file \
                     …-<target-group-name>.json, or import one target group",
                ))
            }
        };
        if let Some(t) = cap.target_groups.get_mut(&arn) {
            t.deregistration_delay_s = delay;
        }
    }
    Ok(())
}
