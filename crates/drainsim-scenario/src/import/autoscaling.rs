//! The Auto Scaling groups of a capture and the capacity providers over them.
//!
//! Input: `aws autoscaling describe-auto-scaling-groups`, `describe-lifecycle-hooks` and,
//! optionally, `aws ec2 describe-launch-template-versions` and `describe-instances` (which
//! instances are Spot), beside `aws ecs
//! describe-capacity-providers`. Each group that holds imported container instances becomes one of
//! the scenario's `autoScalingGroups`, adopting them as its members of time 0 (`Instances`), and
//! its capacity provider one of `capacityProviders`: an instance refresh, SetDesiredCapacity,
//! managed scaling and managed draining then act on the real cluster. The user data of each
//! launch template version described gives the agent configuration of the instances launched
//! from it ([`super::user_data`]). docs/import.md lists what is read and what is left out.

use std::collections::BTreeMap;

use drainsim_core::api;

use super::json::Obj;
use super::user_data::AgentSettings;
use super::{note_once, ImportError, ImportSummary, Origin};
use crate::format::{
    AsgInstanceSpec, AutoScalingGroupSpec, InstanceMaintenancePolicySpec, InstancesDistributionSpec, LaunchTemplateSpec,
    LifecycleHookSpec, Scenario, SpotSpec,
};
use crate::format::{HEARTBEAT_TIMEOUT_S, MAX_GROUP_SIZE, MAX_TIME_MS, TERMINATING_TRANSITION};

/// The attributes every member has with one value (but the AMI, which each launch template
/// version gives, and the zone's own ones), and the names of the others, which some member lacks
/// or has with another value.
fn shared_attributes<'a>(
    mut members: impl Iterator<Item = &'a BTreeMap<String, String>>,
) -> (BTreeMap<String, String>, Vec<String>) {
    const PER_INSTANCE: [&str; 3] = ["ecs.ami-id", "ecs.awsvpc-trunk-id", "ecs.subnet-id"];
    let Some(first) = members.next() else { return (BTreeMap::new(), Vec::new()) };
    let mut shared: BTreeMap<String, String> =
        first.iter().filter(|(k, _)| !PER_INSTANCE.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut differing = std::collections::BTreeSet::new();
    for m in members {
        shared.retain(|k, v| {
            let same = m.get(k) == Some(v);
            if !same {
                differing.insert(k.clone());
            }
            same
        });
        differing.extend(m.keys().filter(|k| !PER_INSTANCE.contains(&k.as_str()) && !first.contains_key(*k)).cloned());
    }
    (shared, differing.into_iter().collect())
}

/// The lifecycle hook ECS adds to the Auto Scaling group of a capacity provider with managed
/// draining (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html>).
/// drainsim models managed draining from the provider itself, so the hook is not imported.
pub(super) const MANAGED_DRAINING_HOOK: &str = "ecs-managed-draining-termination-hook";

/// A launch template as a group or an instance names it (`LaunchTemplateSpecification`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TemplateIn {
    name: String,
    /// `Version`: a number, `$Latest` or `$Default` (absent: `$Default`).
    version: String,
}

/// One instance of a group (`Instance`).
pub(super) struct MemberIn {
    id: String,
    lifecycle_state: String,
    template: Option<TemplateIn>,
    image_id: Option<String>,
    protected: bool,
}

/// One group (`AutoScalingGroup`).
pub(super) struct GroupIn {
    path: Origin,
    name: String,
    min_size: u32,
    max_size: u32,
    desired_capacity: u32,
    zones: Vec<String>,
    /// Its launch template, or why it has none drainsim reads.
    template: Result<TemplateIn, String>,
    grace_period_s: u32,
    members: Vec<MemberIn>,
    /// Whether its instances are Spot: all of them, some, or none (`MixedInstancesPolicy`).
    spot: Share,
    /// Its `InstancesDistribution`'s `OnDemandBaseCapacity` and
    /// `OnDemandPercentageAboveBaseCapacity`, when it has one.
    distribution: Option<(u32, u32)>,
    /// `CapacityRebalance`.
    capacity_rebalance: bool,
    /// `NewInstancesProtectedFromScaleIn`.
    new_instances_protected: bool,
    /// `InstanceMaintenancePolicy`: MinHealthyPercentage and MaxHealthyPercentage, when set.
    maintenance: Option<(u32, u32)>,
    /// `DefaultInstanceWarmup` (seconds), when set.
    default_warmup_s: Option<u32>,
    /// `TerminationPolicies`, as listed.
    termination_policies: Vec<String>,
    /// `MaxInstanceLifetime` (seconds), when set and not 0.
    max_instance_lifetime_s: Option<u32>,
    /// `InstanceLifecyclePolicy.RetentionTriggers.TerminateHookAbandon` (`retain` or `terminate`),
    /// when captured: not modelled, noted.
    terminate_hook_abandon: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Share {
    None,
    Some,
    All,
}

/// One lifecycle hook (`LifecycleHook`).
pub(super) struct HookIn {
    group: String,
    name: String,
    transition: String,
    heartbeat_timeout_s: u32,
    default_result: String,
}

/// One launch template version (`LaunchTemplateVersion`): its AMI and the agent settings its user
/// data writes.
pub(super) struct TemplateVersionIn {
    name: String,
    version: u64,
    default: bool,
    image_id: Option<String>,
    /// The agent variables its `UserData` assigns (none without user data), or why they cannot
    /// be read.
    agent_settings: Result<AgentSettings, String>,
}

/// How the agent of an instance launched from a launch template version is configured, as far as
/// drainsim models it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct AgentSetup {
    /// `ECS_CONTAINER_STOP_TIMEOUT`, as the agent reads it (none: its 30 s default).
    config: Option<api::AgentConfig>,
    /// `ECS_ENABLE_SPOT_INSTANCE_DRAINING`, as the agent reads it (Go's `strconv.ParseBool`; off
    /// when it is not a boolean).
    spot_instance_draining: bool,
}

/// Go's `strconv.ParseBool`, which the agent reads its boolean settings with (anything else is
/// the setting's default).
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// What the Auto Scaling outputs of a capture say.
#[derive(Default)]
pub(super) struct AutoScalingCapture {
    groups: Vec<GroupIn>,
    hooks: Vec<HookIn>,
    /// Whether any `describe-lifecycle-hooks` output was read.
    hooks_read: bool,
    versions: Vec<TemplateVersionIn>,
    /// The capacity providers of Auto Scaling groups (`describe-capacity-providers`).
    pub(super) providers: Vec<(api::CreateCapacityProviderRequest, Origin)>,
    /// `describe-instances`: whether each EC2 instance described is a Spot Instance
    /// (`InstanceLifecycle` `spot`).
    ec2_spot: BTreeMap<String, bool>,
    /// `describe-instances`: when EC2 launched each instance described (`LaunchTime`, Unix ms).
    ec2_launch_ms: BTreeMap<String, i64>,
}

fn template_of(o: &Obj<'_>) -> Result<Option<TemplateIn>, ImportError> {
    let name = o.opt_str("LaunchTemplateName")?;
    let version = o.opt_str("Version")?.unwrap_or("$Default");
    o.touch(&["LaunchTemplateId"]);
    Ok(name.map(|n| TemplateIn { name: n.to_string(), version: version.to_string() }))
}

impl AutoScalingCapture {
    /// A group's `TerminationPolicies` as drainsim takes them: `["Default"]` (or none) is left
    /// out, the default; a list `load` would refuse (a custom policy, a Lambda function's ARN,
    /// which would decide first) is left out, noted.
    fn termination_policies_of(&self, g: &GroupIn, summary: &mut ImportSummary) -> Vec<String> {
        let listed = &g.termination_policies;
        if listed.is_empty() || *listed == ["Default"] {
            return Vec::new();
        }
        match crate::load::termination_policies_refusal(listed) {
            None => listed.clone(),
            Some(why) => {
                summary.notes.push(format!(
                    "Auto Scaling group {}: TerminationPolicies {} left out ({why}): its scale-ins follow the default \
                     termination policy",
                    g.name,
                    listed.join(", ")
                ));
                Vec::new()
            }
        }
    }

    /// `describe-auto-scaling-groups`: each group, its sizes, zones, launch template and members.
    pub(super) fn read_groups(&mut self, root: &Obj<'_>, file: &str) -> Result<(), ImportError> {
        let size = 0..=i64::from(i32::MAX);
        for g in root.objects("AutoScalingGroups")? {
            let name = g.str("AutoScalingGroupName")?.to_string();
            let min_size = g.int("MinSize", size.clone())? as u32;
            let max_size = g.int("MaxSize", size.clone())? as u32;
            let desired_capacity = g.int("DesiredCapacity", size.clone())? as u32;
            let zones = g.strings("AvailabilityZones")?.iter().map(|z| z.to_string()).collect();
            let grace_period_s = g.opt_int("HealthCheckGracePeriod", size.clone())?.unwrap_or(0) as u32;
            let capacity_rebalance = g.opt_bool("CapacityRebalance")?.unwrap_or(false);
            let new_instances_protected = g.opt_bool("NewInstancesProtectedFromScaleIn")?.unwrap_or(false);
            // -1 is how the API clears either value: none. A policy `load` would refuse (the API
            // would not have taken it) is an error at its path.
            let maintenance = match g.opt_obj("InstanceMaintenancePolicy")? {
                Some(m) => {
                    let min = m.opt_int("MinHealthyPercentage", -1..=100)?;
                    let max = m.opt_int("MaxHealthyPercentage", -1..=200)?;
                    let policy = match (min, max) {
                        (Some(min), Some(max)) if min >= 0 && max >= 0 => Some((min as u32, max as u32)),
                        _ => None,
                    };
                    if let Some(refusal) =
                        policy.and_then(|(min, max)| crate::load::instance_maintenance_policy_refusal(min, max))
                    {
                        return Err(m.error(None, refusal));
                    }
                    m.finish();
                    policy
                }
                None => None,
            };
            let termination_policies: Vec<String> = g.strings("TerminationPolicies")?.iter().map(|p| p.to_string()).collect();
            let default_warmup_s =
                g.opt_int("DefaultInstanceWarmup", -1..=i64::from(i32::MAX))?.filter(|w| *w >= 0).map(|w| w as u32);
            let terminate_hook_abandon = match g.opt_obj("InstanceLifecyclePolicy")? {
                Some(policy) => {
                    let action = match policy.opt_obj("RetentionTriggers")? {
                        Some(triggers) => {
                            let action = triggers.opt_str("TerminateHookAbandon")?.map(str::to_string);
                            triggers.finish();
                            action
                        }
                        None => None,
                    };
                    policy.finish();
                    action
                }
                None => None,
            };
            let max_instance_lifetime_s = match g.opt_int("MaxInstanceLifetime", 0..=i64::from(i32::MAX))? {
                Some(s) => {
                    let s = s as u32;
                    if let Some(refusal) = crate::load::max_instance_lifetime_refusal(s) {
                        return Err(g.error(Some("MaxInstanceLifetime"), refusal));
                    }
                    Some(s).filter(|s| *s > 0)
                }
                None => None,
            };
            let mut spot = Share::None;
            let mut distribution = None;
            let template = match (g.opt_obj("LaunchTemplate")?, g.opt_obj("MixedInstancesPolicy")?) {
                (Some(t), _) => {
                    let template = template_of(&t)?;
                    t.finish();
                    template.ok_or_else(|| "its LaunchTemplate has no LaunchTemplateName".to_string())
                }
                (None, Some(mixed)) => {
                    let template = match mixed.opt_obj("LaunchTemplate")? {
                        Some(lt) => {
                            let spec = lt.opt_obj("LaunchTemplateSpecification")?;
                            let template = match &spec {
                                Some(s) => template_of(s)?,
                                None => None,
                            };
                            if let Some(s) = spec {
                                s.finish();
                            }
                            // Overrides (other instance types) are not modelled: the group
                            // launches its members' type.
                            lt.finish();
                            template
                        }
                        None => None,
                    };
                    if let Some(d) = mixed.opt_obj("InstancesDistribution")? {
                        let base = d.opt_int("OnDemandBaseCapacity", size.clone())?.unwrap_or(0);
                        let above = d.opt_int("OnDemandPercentageAboveBaseCapacity", 0..=100)?.unwrap_or(100);
                        distribution = Some((base as u32, above as u32));
                        spot = match (base, above) {
                            (0, 0) => Share::All,
                            (_, 100) => Share::None,
                            _ => Share::Some,
                        };
                        d.touch(&["OnDemandAllocationStrategy", "SpotAllocationStrategy", "SpotInstancePools", "SpotMaxPrice"]);
                        d.finish();
                    }
                    mixed.finish();
                    template.ok_or_else(|| "its MixedInstancesPolicy names no launch template by name".to_string())
                }
                (None, None) => Err(match g.opt_str("LaunchConfigurationName")? {
                    Some(lc) => format!("it launches from launch configuration {lc}; drainsim models launch templates"),
                    None => "it names no launch template".to_string(),
                }),
            };
            let mut members = Vec::new();
            for i in g.objects("Instances")? {
                let template = match i.opt_obj("LaunchTemplate")? {
                    Some(t) => {
                        let template = template_of(&t)?;
                        t.finish();
                        template
                    }
                    None => None,
                };
                members.push(MemberIn {
                    id: i.str("InstanceId")?.to_string(),
                    lifecycle_state: i.str("LifecycleState")?.to_string(),
                    template,
                    image_id: i.opt_str("ImageId")?.map(str::to_string),
                    protected: i.opt_bool("ProtectedFromScaleIn")?.unwrap_or(false),
                });
                // Its type and zone are its container instance's; its health is not modelled.
                i.touch(&["InstanceType", "AvailabilityZone", "AvailabilityZoneId", "HealthStatus", "WeightedCapacity"]);
                i.finish();
            }
            g.touch(&[
                "AutoScalingGroupARN",
                "AvailabilityZoneIds",
                "CreatedTime",
                "Tags",
                "VPCZoneIdentifier",
                "ServiceLinkedRoleARN",
                "EnabledMetrics",
            ]);
            let path = (file.to_string(), g.path().to_string());
            g.finish();
            self.groups.push(GroupIn {
                path,
                name,
                min_size,
                max_size,
                desired_capacity,
                zones,
                template,
                grace_period_s,
                members,
                capacity_rebalance,
                new_instances_protected,
                maintenance,
                default_warmup_s,
                termination_policies,
                max_instance_lifetime_s,
                terminate_hook_abandon,
                spot,
                distribution,
            });
        }
        root.touch(&["NextToken"]);
        Ok(())
    }

    /// `describe-lifecycle-hooks`: each hook of each group.
    pub(super) fn read_hooks(&mut self, root: &Obj<'_>) -> Result<(), ImportError> {
        self.hooks_read = true;
        for h in root.objects("LifecycleHooks")? {
            let hook = HookIn {
                group: h.str("AutoScalingGroupName")?.to_string(),
                name: h.str("LifecycleHookName")?.to_string(),
                transition: h.str("LifecycleTransition")?.to_string(),
                // Read within the range the hook's rule (`LifecycleHookSpec::refusal`) takes.
                heartbeat_timeout_s: h
                    .opt_int("HeartbeatTimeout", i64::from(*HEARTBEAT_TIMEOUT_S.start())..=i64::from(*HEARTBEAT_TIMEOUT_S.end()))?
                    .unwrap_or(3600) as u32,
                default_result: h.opt_str("DefaultResult")?.unwrap_or("ABANDON").to_string(),
            };
            // Refused here, at its place in this file: a hook the setup refused would be named by
            // its group's place in describe-auto-scaling-groups.
            if let Some((field, why)) = hook.spec().refusal() {
                return Err(h.error(Some(field), why));
            }
            self.hooks.push(hook);
            // Where its notices go is the handler's business; its global timeout follows from the
            // heartbeat timeout.
            h.touch(&["NotificationTargetARN", "RoleARN", "NotificationMetadata", "GlobalTimeout"]);
            h.finish();
        }
        Ok(())
    }

    /// `describe-launch-template-versions`: the AMI of each version and the agent settings of its
    /// user data.
    pub(super) fn read_template_versions(&mut self, root: &Obj<'_>) -> Result<(), ImportError> {
        for v in root.objects("LaunchTemplateVersions")? {
            let name = v.str("LaunchTemplateName")?.to_string();
            let version = v.int("VersionNumber", 1..=i64::MAX)? as u64;
            let default = v.opt_bool("DefaultVersion")?.unwrap_or(false);
            let (image_id, agent_settings) = match v.opt_obj("LaunchTemplateData")? {
                Some(data) => {
                    let ami = data.opt_str("ImageId")?.map(str::to_string);
                    let settings = match data.opt_str("UserData")? {
                        Some(user_data) => super::user_data::agent_settings(user_data),
                        None => Ok(AgentSettings::new()),
                    };
                    // The rest of the template (instance type, network) drainsim reads from the
                    // instances themselves, or does not model.
                    data.leave_out();
                    (ami, settings)
                }
                None => (None, Ok(AgentSettings::new())),
            };
            v.touch(&["LaunchTemplateId", "VersionDescription", "CreateTime", "CreatedBy", "Operator"]);
            v.finish();
            self.versions.push(TemplateVersionIn { name, version, default, image_id, agent_settings });
        }
        root.touch(&["NextToken"]);
        Ok(())
    }

    /// `aws ec2 describe-instances`: whether each instance is a Spot Instance (its
    /// `InstanceLifecycle`; absent for On-Demand) and when it was launched (`LaunchTime`, which
    /// the termination policies of its group read). The rest of EC2's description is not read.
    pub(super) fn read_ec2_instances(&mut self, root: &Obj<'_>) -> Result<(), ImportError> {
        for r in root.objects("Reservations")? {
            for i in r.objects("Instances")? {
                let id = i.str("InstanceId")?.to_string();
                let spot = i.opt_str("InstanceLifecycle")? == Some("spot");
                if let Some(launched_ms) = i.opt_time_ms("LaunchTime")? {
                    self.ec2_launch_ms.insert(id.clone(), launched_ms);
                }
                i.leave_out();
                self.ec2_spot.insert(id, spot);
            }
            r.leave_out();
        }
        root.touch(&["NextToken"]);
        Ok(())
    }

    /// Whether `describe-instances` says the instance is a Spot Instance (None: not described).
    pub(super) fn described_spot(&self, ec2_instance_id: &str) -> Option<bool> {
        self.ec2_spot.get(ec2_instance_id).copied()
    }

    /// The number `$Latest` or `$Default` of a template stands for: from its described versions,
    /// else the newest its members run.
    fn resolve(&self, template: &TemplateIn, members: &[&MemberIn]) -> Option<String> {
        if template.version.parse::<u64>().is_ok() {
            return Some(template.version.clone());
        }
        let described = self.versions.iter().filter(|v| v.name == template.name);
        let from_versions = match template.version.as_str() {
            "$Default" => described.filter(|v| v.default).map(|v| v.version).max(),
            _ => described.map(|v| v.version).max(),
        };
        from_versions
            .or_else(|| {
                members
                    .iter()
                    .filter_map(|m| m.template.as_ref())
                    .filter(|t| t.name == template.name)
                    .filter_map(|t| t.version.parse::<u64>().ok())
                    .max()
            })
            .map(|v| v.to_string())
    }

    /// The AMI of a template version: its described version, else what a member launched from it
    /// runs (its `ImageId`, or its container instance's `ecs.ami-id`).
    fn image_of(
        &self,
        name: &str,
        version: &str,
        members: &[&MemberIn],
        s: &Scenario,
        index: &BTreeMap<&str, usize>,
    ) -> Option<String> {
        let described =
            self.versions.iter().find(|v| v.name == name && v.version.to_string() == version).and_then(|v| v.image_id.clone());
        described.or_else(|| {
            members.iter().filter(|m| m.template.as_ref().is_some_and(|t| t.name == name && t.version == version)).find_map(|m| {
                m.image_id
                    .clone()
                    .or_else(|| index.get(m.id.as_str()).and_then(|k| s.instances[*k].attributes.get("ecs.ami-id").cloned()))
            })
        })
    }

    /// How the agent of the instances launched from `name` version `version` is configured, from
    /// the version's user data; `None` when the capture does not describe the version or its user
    /// data cannot be read. What it sets, and what the agent would make of a value it does not
    /// take as written, is noted once per version; so is an `ECS_CLUSTER` naming another cluster
    /// than `cluster`, the one imported.
    fn agent_setup(&self, name: &str, version: &str, cluster: &str, summary: &mut ImportSummary) -> Option<AgentSetup> {
        let described = self.versions.iter().find(|v| v.name == name && v.version.to_string() == version)?;
        let label = format!("launch template {name} version {version}");
        let settings = match &described.agent_settings {
            Ok(settings) => settings,
            Err(why) => {
                note_once(
                    summary,
                    format!(
                        "{label}: its UserData is not read ({why}): add agentConfig and spot: (spotInstanceDraining) to \
                         its instances if it sets ECS_CONTAINER_STOP_TIMEOUT or ECS_ENABLE_SPOT_INSTANCE_DRAINING"
                    ),
                );
                return None;
            }
        };
        let from_variable = |variable: &str, text: &str, summary: &mut ImportSummary| {
            let unknown = text.contains('$');
            if unknown {
                note_once(
                    summary,
                    format!(
                        "{label}: its user data sets {variable} from a shell variable ({text}), which drainsim cannot \
                         read: the agent's default is assumed; set it on the instances if it is not"
                    ),
                );
            }
            !unknown
        };
        let mut setup = AgentSetup::default();
        if let Some(text) =
            settings.get("ECS_CONTAINER_STOP_TIMEOUT").filter(|t| from_variable("ECS_CONTAINER_STOP_TIMEOUT", t, summary))
        {
            let timeout = api::AgentStopTimeout::as_the_agent_reads(text);
            let reading = match (timeout, api::AgentStopTimeout::parse(text)) {
                (Some(t), Ok(_)) => {
                    format!("the instances launched from it get agentConfig: (ECS_CONTAINER_STOP_TIMEOUT: \"{}s\")", t.seconds())
                }
                (Some(t), Err(_)) => format!("the agent raises it to its minimum, {}s", t.seconds()),
                (None, _) => "not a duration the agent reads (a number needs a unit, as in 30s): it keeps its 30s default".into(),
            };
            note_once(summary, format!("{label}: its user data sets ECS_CONTAINER_STOP_TIMEOUT={text}: {reading}"));
            setup.config = timeout.map(|t| api::AgentConfig { ecs_container_stop_timeout: Some(t) });
        }
        if let Some(text) = settings
            .get("ECS_ENABLE_SPOT_INSTANCE_DRAINING")
            .filter(|t| from_variable("ECS_ENABLE_SPOT_INSTANCE_DRAINING", t, summary))
        {
            setup.spot_instance_draining = go_bool(text.trim()).unwrap_or_else(|| {
                note_once(
                    summary,
                    format!(
                        "{label}: its user data sets ECS_ENABLE_SPOT_INSTANCE_DRAINING={text}, which is not a boolean to \
                         the agent: Spot Instance draining stays off"
                    ),
                );
                false
            });
            if setup.spot_instance_draining {
                note_once(
                    summary,
                    format!(
                        "{label}: its user data sets ECS_ENABLE_SPOT_INSTANCE_DRAINING={text}: the Spot Instances \
                         launched from it get spot: (spotInstanceDraining: true)"
                    ),
                );
            }
        }
        if let Some(other) = settings.get("ECS_CLUSTER").filter(|c| !c.contains('$')) {
            let named = other.rsplit_once(":cluster/").map_or(other.as_str(), |(_, n)| n);
            if named != cluster {
                note_once(
                    summary,
                    format!(
                        "{label}: its user data sets ECS_CLUSTER={other}: the instances launched from it would register \
                         in that cluster, not in {cluster}, where drainsim registers them"
                    ),
                );
            }
        }
        Some(setup)
    }

    /// Adds each captured group that holds imported instances to `s` (after its instances), with
    /// its hooks, and the capacity providers of the groups added that the cluster has (`kept`).
    /// The groups that hold imported container instances, adopting them (`registered_at_ms`: when
    /// each container instance registered, in Unix ms, by name).
    pub(super) fn build(
        &self,
        s: &mut Scenario,
        kept: &[String],
        registered_at_ms: &BTreeMap<&str, i64>,
        summary: &mut ImportSummary,
    ) -> Result<Vec<Origin>, ImportError> {
        let at = |path: &Origin, message: String| ImportError::new(path.0.clone(), path.1.clone(), message);
        let index: BTreeMap<&str, usize> = s.instances.iter().enumerate().map(|(k, g)| (g.name.as_str(), k)).collect();
        let cluster = s.clusters.first().cloned().unwrap_or_else(|| "default".to_string());
        let mut groups = Vec::new();
        // Where each group built was read, in the same order.
        let mut group_origins: Vec<Origin> = Vec::new();
        // Members that are Spot Instances, with whether their agent drains them on an interruption
        // notice, and members whose agent configuration their launch template's user data gives.
        let mut spot_members: Vec<(usize, bool)> = Vec::new();
        let mut member_agents: Vec<(usize, api::AgentConfig)> = Vec::new();
        // Members with the time EC2 launched them, in ms from the capture (time 0).
        let mut member_launches: Vec<(usize, i64)> = Vec::new();
        // The agent setup of each launch template version, read once (`None`: not in the capture).
        let mut setups: BTreeMap<(String, String), Option<AgentSetup>> = BTreeMap::new();
        let mut setup_of = |name: &str, version: &str, summary: &mut ImportSummary| {
            *setups
                .entry((name.to_string(), version.to_string()))
                .or_insert_with(|| self.agent_setup(name, version, &cluster, summary))
        };
        for g in &self.groups {
            let name = &g.name;
            let (adopted, outside): (Vec<&MemberIn>, Vec<&MemberIn>) =
                g.members.iter().partition(|m| index.contains_key(m.id.as_str()));
            if adopted.is_empty() {
                summary.notes.push(format!(
                    "Auto Scaling group {name} left out: none of its instances is an imported container instance of the cluster"
                ));
                continue;
            }
            let template = match &g.template {
                Ok(t) => t,
                Err(why) => {
                    summary
                        .notes
                        .push(format!("Auto Scaling group {name} left out: {why}; its instances are imported outside any group"));
                    continue;
                }
            };
            if let Some(refusal) = crate::load::launch_template_name_refusal(&template.name) {
                return Err(at(&g.path, format!("Auto Scaling group {name}: {refusal}")));
            }
            let (mut in_service, other_state): (Vec<&MemberIn>, Vec<&MemberIn>) =
                adopted.into_iter().partition(|m| m.lifecycle_state == "InService");
            // Oldest first, by when their container instances registered: drainsim's members are
            // in launch order, which a refresh's victims (oldest first) and a scale-in's last ties
            // follow. describe-auto-scaling-groups lists them in no such order. A stable sort: those
            // without a registeredAt keep their place after the others.
            in_service.sort_by_key(|m| registered_at_ms.get(m.id.as_str()).copied().unwrap_or(i64::MAX));
            for m in &other_state {
                summary.notes.push(format!(
                    "instance {} of Auto Scaling group {name} is {}: imported outside the group (drainsim's members \
                     of time 0 are InService)",
                    m.id, m.lifecycle_state
                ));
            }
            if in_service.is_empty() {
                summary.notes.push(format!("Auto Scaling group {name} left out: none of its imported instances is InService"));
                continue;
            }
            if !outside.is_empty() {
                summary.notes.push(format!(
                    "Auto Scaling group {name}: {} of its instances {} ({}): the group holds the others only",
                    outside.len(),
                    if outside.len() == 1 {
                        "is not an imported container instance of the cluster"
                    } else {
                        "are not imported container instances of the cluster"
                    },
                    outside.iter().map(|m| format!("{} {}", m.id, m.lifecycle_state)).collect::<Vec<_>>().join(", ")
                ));
            }
            let version = self.resolve(template, &in_service).ok_or_else(|| {
                at(
                    &g.path,
                    format!(
                        "Auto Scaling group {name} launches launch template {} version {}, which no member runs: add the \
                         output of aws ec2 describe-launch-template-versions --launch-template-name {} --versions {}",
                        template.name, template.version, template.name, template.version
                    ),
                )
            })?;
            if version != template.version {
                summary.notes.push(format!(
                    "Auto Scaling group {name}: launch template {} version {} taken as version {version}",
                    template.name, template.version
                ));
            }
            let launch_template = LaunchTemplateSpec { launch_template_name: template.name.clone(), version: version.clone() };
            // The members' templates, resolved, and the AMI of each template version known.
            let mut image_ids = BTreeMap::new();
            let own_ami = self.image_of(&template.name, &version, &in_service, s, &index).ok_or_else(|| {
                at(
                    &g.path,
                    format!(
                        "Auto Scaling group {name}: the AMI of launch template {} version {version}, which it launches, is \
                         not in the capture: add the output of aws ec2 describe-launch-template-versions \
                         --launch-template-name {} --versions {version}",
                        template.name, template.name
                    ),
                )
            })?;
            image_ids.insert(version.clone(), own_ami);
            let own_setup = setup_of(&template.name, &version, summary);
            let mut instances = Vec::new();
            let mut member_setups = Vec::new();
            let mut looked_up: std::collections::BTreeSet<(String, String)> = std::collections::BTreeSet::new();
            for m in &in_service {
                let member_template = m.template.as_ref().and_then(|t| {
                    let v = self.resolve(t, &in_service)?;
                    Some(LaunchTemplateSpec { launch_template_name: t.name.clone(), version: v })
                });
                // Each template version is looked up once, whatever its number of members (a
                // lookup scans the members).
                if let Some(t) =
                    member_template.as_ref().filter(|t| looked_up.insert((t.launch_template_name.clone(), t.version.clone())))
                {
                    if let Some(ami) = self.image_of(&t.launch_template_name, &t.version, &in_service, s, &index) {
                        let key = if t.launch_template_name == template.name {
                            t.version.clone()
                        } else {
                            format!("{}:{}", t.launch_template_name, t.version)
                        };
                        image_ids.entry(key).or_insert(ami);
                    }
                }
                let runs = member_template.as_ref().unwrap_or(&launch_template);
                member_setups.push((index[m.id.as_str()], setup_of(&runs.launch_template_name, &runs.version, summary)));
                instances.push(AsgInstanceSpec {
                    instance_id: m.id.clone(),
                    launch_template: member_template.filter(|t| *t != launch_template),
                    protected_from_scale_in: m.protected,
                });
            }
            // What it launches: its members' most common instance type, preferring those that run
            // its own template version, with that member's registration and agent.
            let current: Vec<usize> = in_service
                .iter()
                .filter(|m| {
                    m.template.as_ref().is_some_and(|t| {
                        t.name == template.name && self.resolve(t, &in_service).as_deref() == Some(version.as_str())
                    })
                })
                .map(|m| index[m.id.as_str()])
                .collect();
            let pool: Vec<usize> =
                if current.is_empty() { in_service.iter().map(|m| index[m.id.as_str()]).collect() } else { current };
            let mut by_type: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for (order, k) in pool.iter().enumerate() {
                by_type.entry(s.instances[*k].instance_type.as_str()).or_insert((0, order)).0 += 1;
            }
            let shape = by_type
                .iter()
                .max_by_key(|(_, (count, first))| (*count, std::cmp::Reverse(*first)))
                .map(|(_, (_, first))| &s.instances[pool[*first]])
                .expect("a group with members");
            if by_type.len() > 1 {
                summary.notes.push(format!(
                    "Auto Scaling group {name}: its members run {} instance types; it launches {} (CPU {}, memory {} MiB), \
                     the most common (other types of a MixedInstancesPolicy are not modelled)",
                    by_type.len(),
                    shape.instance_type,
                    shape.cpu,
                    shape.memory
                ));
            }
            // The attributes its members share, which the instances it launches register too (a
            // custom attribute comes from the launch template's ECS_INSTANCE_ATTRIBUTES); the AMI
            // comes from the template version, the zone's subnet differs by zone.
            let (attributes, differing) =
                shared_attributes(in_service.iter().map(|m| &s.instances[index[m.id.as_str()]].attributes));
            if !differing.is_empty() {
                summary.notes.push(format!(
                    "Auto Scaling group {name}: its members differ in {}; the instances it launches register without \
                     {}",
                    differing.join(", "),
                    if differing.len() == 1 { "it" } else { "them" }
                ));
            }
            let adopted_count = in_service.len() as u32;
            if adopted_count != g.desired_capacity {
                summary.notes.push(format!(
                    "Auto Scaling group {name}: DesiredCapacity {} captured, imported as {adopted_count}, the InService \
                     instances it holds in the cluster",
                    g.desired_capacity
                ));
            }
            let mut max_size = g.max_size.max(adopted_count);
            if max_size > MAX_GROUP_SIZE {
                summary
                    .notes
                    .push(format!("Auto Scaling group {name}: MaxSize {max_size} imported as {MAX_GROUP_SIZE}, drainsim's most"));
                max_size = MAX_GROUP_SIZE;
            }
            if adopted_count > max_size {
                return Err(at(
                    &g.path,
                    format!("Auto Scaling group {name}: {adopted_count} instances, more than drainsim's {MAX_GROUP_SIZE}"),
                ));
            }
            let min_size = g.min_size.min(adopted_count);
            if min_size != g.min_size {
                summary.notes.push(format!("Auto Scaling group {name}: MinSize {} imported as {min_size}", g.min_size));
            }
            for (k, setup) in &member_setups {
                if let Some(config) = setup.and_then(|s| s.config) {
                    member_agents.push((*k, config));
                }
            }
            // Which members are Spot Instances: as describe-instances says (their
            // InstanceLifecycle), else as the group's distribution says when it leaves no doubt.
            let described: Vec<Option<bool>> = in_service.iter().map(|m| self.described_spot(&m.id)).collect();
            let mut instances_distribution = None;
            // Which members are Spot Instances, when the capture says: a Spot group's, but those
            // described as On-Demand (launched before the group went all Spot); a partly Spot
            // group's, as described, when every member is. None: the group is imported On-Demand.
            let spot_members_of_group: Option<Vec<bool>> = match g.spot {
                Share::All => {
                    if member_setups.iter().any(|(_, setup)| setup.is_none()) || own_setup.is_none() {
                        note_once(
                            summary,
                            "a Spot Auto Scaling group's instances are imported as Spot Instances without Spot Instance \
                             draining where the user data of their launch template version is not in the capture (the \
                             agent's ECS_ENABLE_SPOT_INSTANCE_DRAINING is in no ECS output): add the output of aws ec2 \
                             describe-launch-template-versions, or set spot: (spotInstanceDraining: true) on the group \
                             and its instances if your AMI's ecs.config sets it"
                                .to_string(),
                        );
                    }
                    Some(described.iter().map(|d| *d != Some(false)).collect())
                }
                Share::Some if described.iter().all(Option::is_some) => {
                    let (base, percent) = g.distribution.expect("a partly Spot group has a distribution");
                    instances_distribution = Some(InstancesDistributionSpec {
                        on_demand_base_capacity: base,
                        on_demand_percentage_above_base_capacity: percent,
                    });
                    let spot_count = described.iter().filter(|d| **d == Some(true)).count();
                    summary.notes.push(format!(
                        "Auto Scaling group {name}: part of its capacity is Spot (OnDemandBaseCapacity {base}, \
                         OnDemandPercentageAboveBaseCapacity {percent}); {spot_count} of its {} instances are Spot \
                         Instances (describe-instances), and it launches On-Demand or Spot as its distribution says",
                        in_service.len()
                    ));
                    Some(described.iter().map(|d| *d == Some(true)).collect())
                }
                Share::Some => {
                    summary.notes.push(format!(
                        "Auto Scaling group {name}: part of its capacity is Spot (MixedInstancesPolicy), and which of its \
                         instances are Spot is not in the capture, so they are imported as On-Demand: add the output of \
                         aws ec2 describe-instances --instance-ids with their IDs"
                    ));
                    None
                }
                Share::None => {
                    let spot_ids: Vec<&str> = in_service
                        .iter()
                        .zip(&described)
                        .filter(|(_, d)| **d == Some(true))
                        .map(|(m, _)| m.id.as_str())
                        .collect();
                    if !spot_ids.is_empty() {
                        summary.notes.push(format!(
                            "Auto Scaling group {name}: {} described as Spot Instances, but the group launches On-Demand \
                             only: imported On-Demand",
                            spot_ids.join(", ")
                        ));
                    }
                    None
                }
            };
            // A Spot group, and its Spot members, with the Spot Instance draining of their launch
            // template versions' user data.
            let spot = spot_members_of_group.map(|flags| {
                for ((k, setup), _) in member_setups.iter().zip(flags).filter(|(_, is_spot)| *is_spot) {
                    spot_members.push((*k, setup.is_some_and(|s| s.spot_instance_draining)));
                }
                SpotSpec { spot_instance_draining: own_setup.is_some_and(|s| s.spot_instance_draining) }
            });
            // Capacity Rebalancing replaces Spot Instances only.
            let capacity_rebalance = g.capacity_rebalance && spot.is_some();
            if g.capacity_rebalance && spot.is_none() {
                summary.notes.push(format!(
                    "Auto Scaling group {name}: CapacityRebalance left out: the group is imported On-Demand, and Capacity \
                     Rebalancing replaces Spot Instances only"
                ));
            }
            // When EC2 launched each member (its age decides scale-ins under the default
            // termination policy): before the capture, or at it for one described as launched after.
            if let Some(capture_s) = s.epoch_unix_seconds.and_then(|t| i64::try_from(t).ok()) {
                for m in &in_service {
                    if let Some(launched_ms) = self.ec2_launch_ms.get(&m.id) {
                        let ms = launched_ms.saturating_sub(capture_s.saturating_mul(1000));
                        member_launches.push((index[m.id.as_str()], ms.clamp(-(MAX_TIME_MS as i64), 0)));
                    }
                }
            }
            let lifecycle_hooks = self.hooks_of(name, summary);
            lifecycle_policy_note(g, summary);
            group_origins.push(g.path.clone());
            groups.push(AutoScalingGroupSpec {
                auto_scaling_group_name: name.clone(),
                min_size,
                max_size,
                desired_capacity: adopted_count,
                availability_zones: g.zones.clone(),
                launch_template,
                health_check_grace_period: g.grace_period_s,
                lifecycle_hooks,
                cluster: s.clusters.first().cloned(),
                instance_type: shape.instance_type.clone(),
                cpu: shape.cpu,
                memory: shape.memory,
                gpus: shape.gpus,
                agent_version: shape.agent_version.clone(),
                agent_config: own_setup.and_then(|s| s.config),
                attributes,
                image_ids,
                launch_to_register_ms: 60_000,
                protected_instances: Vec::new(),
                new_instances_protected_from_scale_in: g.new_instances_protected,
                spot,
                instances_distribution,
                capacity_rebalance,
                instance_maintenance_policy: g
                    .maintenance
                    .map(|(min, max)| InstanceMaintenancePolicySpec { min_healthy_percentage: min, max_healthy_percentage: max }),
                default_instance_warmup: g.default_warmup_s,
                termination_policies: self.termination_policies_of(g, summary),
                max_instance_lifetime: g.max_instance_lifetime_s,
                instances,
            });
        }
        if !groups.is_empty() && !self.hooks_read {
            summary.notes.push(
                "no lifecycle hooks were captured (aws autoscaling describe-lifecycle-hooks --auto-scaling-group-name NAME): \
                 the Auto Scaling groups are imported without a termination hook"
                    .to_string(),
            );
        }
        // Instances in no imported group that describe-instances says are Spot: Spot Instances,
        // without Spot Instance draining (their agent's configuration is in no output read).
        let adopted: std::collections::BTreeSet<&str> =
            groups.iter().flat_map(|g| g.instances.iter().map(|i| i.instance_id.as_str())).collect();
        let lone_spot: Vec<usize> = (0..s.instances.len())
            .filter(|k| {
                !adopted.contains(s.instances[*k].name.as_str()) && self.described_spot(&s.instances[*k].name) == Some(true)
            })
            .collect();
        if !lone_spot.is_empty() {
            summary.notes.push(format!(
                "{} described as Spot Instances outside any imported Auto Scaling group: imported as Spot Instances \
                 without Spot Instance draining; set spot: (spotInstanceDraining: true) on them if their ecs.config sets \
                 ECS_ENABLE_SPOT_INSTANCE_DRAINING",
                lone_spot.iter().map(|k| s.instances[*k].name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        for k in lone_spot {
            s.instances[k].spot = Some(SpotSpec::default());
        }
        for (k, spot_instance_draining) in spot_members {
            s.instances[k].spot = Some(SpotSpec { spot_instance_draining });
        }
        for (k, config) in member_agents {
            s.instances[k].agent_config = Some(config);
        }
        for (k, launched_at_ms) in member_launches {
            s.instances[k].launched_at_ms = Some(launched_at_ms);
        }
        // The capacity providers of the groups imported that the cluster has.
        for (p, origin) in &self.providers {
            let group = p.auto_scaling_group_provider.group_name();
            if !kept.contains(&p.name) || !groups.iter().any(|g| g.auto_scaling_group_name == group) {
                continue;
            }
            drainsim_core::validate_capacity_provider(p).map_err(|e| at(origin, format!("capacity provider {}: {e}", p.name)))?;
            // CreateCapacityProvider takes managed termination protection only over a group that
            // protects its new instances; the group's setting may have been turned off since. ECS
            // then decides each instance's protection either way, so the scenario says it is on.
            let unprotected =
                groups.iter_mut().find(|g| g.auto_scaling_group_name == group && !g.new_instances_protected_from_scale_in);
            if let Some(g) = unprotected.filter(|_| p.auto_scaling_group_provider.managed_termination_protection_enabled()) {
                g.new_instances_protected_from_scale_in = true;
                summary.notes.push(format!(
                    "Auto Scaling group {group}: NewInstancesProtectedFromScaleIn is false under capacity provider {}'s managed \
                     termination protection, which needs it on; written true (ECS decides each instance's protection)",
                    p.name
                ));
            }
            s.capacity_providers.push(p.clone());
        }
        s.auto_scaling_groups = groups;
        Ok(group_origins)
    }

    /// The group's termination hook, as drainsim models it: ECS's managed-draining hook is the
    /// capacity provider's managed draining; launch hooks and a second termination hook are left
    /// out, each with a note.
    fn hooks_of(&self, group: &str, summary: &mut ImportSummary) -> Vec<LifecycleHookSpec> {
        let mut hooks = Vec::new();
        for h in self.hooks.iter().filter(|h| h.group == group) {
            if h.name == MANAGED_DRAINING_HOOK {
                continue;
            }
            if h.transition != TERMINATING_TRANSITION {
                summary.notes.push(format!(
                    "Auto Scaling group {group}: lifecycle hook {} ({}) left out: drainsim models termination hooks only",
                    h.name, h.transition
                ));
                continue;
            }
            if !hooks.is_empty() {
                summary.notes.push(format!(
                    "Auto Scaling group {group}: lifecycle hook {} left out: drainsim models one termination hook per group",
                    h.name
                ));
                continue;
            }
            summary.notes.push(format!(
                "Auto Scaling group {group}: lifecycle hook {} is imported as one whose handler drains the instance \
                 and completes the lifecycle action once its drain is complete (drainOnTermination: true); set it \
                 false if nothing handles the hook, and recordHeartbeats: true if the handler records heartbeats",
                h.name
            ));
            hooks.push(h.spec());
        }
        hooks
    }
}

impl HookIn {
    /// The hook as a scenario writes it: one whose handler drains the instance and completes the
    /// lifecycle action once the drain is complete, without heartbeats.
    fn spec(&self) -> LifecycleHookSpec {
        LifecycleHookSpec {
            lifecycle_hook_name: self.name.clone(),
            lifecycle_transition: self.transition.clone(),
            heartbeat_timeout: self.heartbeat_timeout_s,
            default_result: self.default_result.clone(),
            drain_on_termination: true,
            record_heartbeats: false,
        }
    }
}

/// The note of a group whose `InstanceLifecyclePolicy` retains an instance whose termination
/// lifecycle hook is abandoned or times out (`RetentionTriggers.TerminateHookAbandon: retain`:
/// the instance is left Retained instead of terminated,
/// <https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-lifecycle-policy.html>), which
/// drainsim does not model. `terminate`, the default, is what drainsim does: no note.
fn lifecycle_policy_note(g: &GroupIn, summary: &mut ImportSummary) {
    if let Some(action) = g.terminate_hook_abandon.as_deref().filter(|a| *a != "terminate") {
        summary.notes.push(format!(
            "Auto Scaling group {}: InstanceLifecyclePolicy RetentionTriggers.TerminateHookAbandon {action} is not \
             modelled (with retain, an instance whose termination lifecycle hook is abandoned or times out is left \
             Retained instead of being terminated): drainsim terminates such an instance when its hook times out, as \
             the default terminate does",
            g.name
        ));
    }
}
