//! The setup of a run: how to run it ([`RunOptions`]), the engine a scenario describes with its
//! time-0 setup applied, and the requests that register its instance groups. Everything here
//! happens at one simulated instant; moving time is the driver's job (`driver.rs`).

use drainsim_core::api::{self, Request};
use drainsim_core::AgentUpdateStatus;
use drainsim_core::{EcsError, Engine, EngineConfig};
use drainsim_core::{FaultProfile, PinnedFault, SpotInterruptionBehavior};
use std::borrow::Cow;

use crate::format::{InstanceGroup, PinnedFaultKind};
use crate::load::{group_member_name, group_member_names, LoadedScenario, ScenarioError};

pub use crate::format::DEFAULT_END_TIME_MS;
/// Default event bound of a run (`maxEvents`).
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;

/// How to run a scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// `--account-default NAME=VALUE` overrides, applied after the scenario's own.
    pub account_defaults: Vec<(String, String)>,
    /// Keep every trace record (for the timeline and determinism diffs).
    pub keep_records: bool,
    /// Compute no trace digest (`traceDigest` then reads `not computed`): a sweep, which reads
    /// none, saves hashing every record.
    pub skip_trace_digest: bool,
    /// Check invariants after every event (tests); a release run checks at the end.
    pub check_invariants_every_event: bool,
    /// Check invariants after every instant and request too, and report the first violation and
    /// when it was found instead of panicking. The replay of an explored counterexample (a
    /// scenario whose `explore` section pins `choices`: the violation may be gone by the run's
    /// end) does so whatever this says.
    pub note_invariant_violations: bool,
    /// Draw a fault profile from the seed (`--faults swarm`).
    pub swarm_faults: bool,
    /// Which expectation results get their text (name and observation).
    pub result_text: ResultText,
}

/// Which expectation results (a scenario's expectations and its steps' own) a run writes the name
/// and observation of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResultText {
    /// Every result: what `drainsim run` prints and the JSON report holds.
    #[default]
    All,
    /// Failed results only; a passed one keeps empty `name` and `detail`. A sweep reads nothing
    /// else of a seed's results, so it does not write the text of the thousands that hold.
    FailuresOnly,
}

impl ResultText {
    /// Whether a result that `passed` gets its text.
    pub(crate) fn written(self, passed: bool) -> bool {
        !passed || self == ResultText::All
    }
}

/// Builds the engine a scenario describes and applies its setup at time 0, in the documented order:
/// account defaults (the scenario's, then `opts`'), the fault profile, account settings, clusters,
/// task definitions, the instance groups of time 0, services, pinned faults. Returns the engine and
/// the run's fault profile when it injects faults. A request ECS refuses is an error at the item.
pub(crate) fn prepare(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    prebuilt: Option<&SetupRequests>,
    spare: Option<Box<Engine>>,
) -> Result<(Box<Engine>, Option<FaultProfile>), ScenarioError> {
    let s = &loaded.scenario;
    let seed = opts.seed.unwrap_or(s.seed);
    let mut config = EngineConfig {
        seed,
        timings: s.timings.clone(),
        keep_trace_records: opts.keep_records,
        digest_trace: !opts.skip_trace_digest,
        check_invariants_every_event: opts.check_invariants_every_event,
        note_invariant_violations: opts.note_invariant_violations,
        // The engine enforces the bound itself, inside an instant too.
        max_events: s.max_events.unwrap_or(DEFAULT_MAX_EVENTS),
        ..EngineConfig::default()
    };
    if let Some(e) = s.epoch_unix_seconds {
        config.epoch_unix_s = e;
    }
    if let Some(a) = &s.account_id {
        config.account_id = a.clone();
    }
    if let Some(r) = &s.region {
        config.region = r.clone();
    }
    if let Some(v) = &s.latest_agent_version {
        config.latest_agent_version = v.clone();
    }
    config.subnet_zones = s.subnet_zones.clone();
    // A spare engine (the last run's, on a sweep's worker) is reset to the state a new one has.
    let mut engine = match spare {
        Some(mut spare) => {
            spare.reset(config);
            spare
        }
        None => Box::new(Engine::new(config)),
    };
    // A scenario with an `explore:` section replays pinned choices instead of the seeded draws
    // (unless `--faults swarm` asks for the seeded fault draws).
    if let Some(x) = s.explore.as_ref().filter(|_| !opts.swarm_faults) {
        engine.script_choices(x.engine_choices(), x.choices.clone());
        // Faults are injected from the end of the setup on: the setup's own requests must all
        // succeed as `check` and `run` find them.
        engine.pause_injections(true);
    }
    let setup_err = |needle: &str, what: &str, e: EcsError| loaded.error_at(needle, format!("{what}: {e}"));

    for (name, value) in &s.account_defaults {
        engine.override_account_default(name, value).map_err(|e| setup_err(&format!("\"{name}\""), "accountDefaults", e))?;
    }
    apply_account_default_flags(&mut engine, &opts.account_defaults)?;
    if let Some(f) = &s.faults {
        let p = FaultProfile {
            trunk_provisioning_failure_per_mille: f.trunk_provisioning_failure_per_mille,
            eni_attach_latency_ms: f.eni_attach_latency_ms,
            task_start_failure_per_mille: f.task_start_failure_per_mille,
            agent_disconnects_per_hour: f.agent_disconnects_per_hour,
            spot_interruption_per_mille_per_hour: f.spot_interruption_per_mille_per_hour,
            spot_rebalance_recommendation_lead_ms: f.spot_rebalance_recommendation_lead_ms,
            spot_rebalance_recommendation_per_mille_per_hour: f.spot_rebalance_recommendation_per_mille_per_hour,
        };
        engine.set_fault_profile(p);
        if let Some(x) = &f.failing_health_checks {
            engine.fail_health_checks_on(x).map_err(|e| loaded.error_at("failingHealthChecks", format!("faults: {e}")))?;
        }
    }
    if opts.swarm_faults {
        let p = engine.draw_swarm_fault_profile();
        engine.set_fault_profile(p);
    }
    let fault_profile = reported_fault_profile(&engine, opts.swarm_faults);
    for put in &s.account_settings {
        engine
            .submit(Request::PutAccountSetting(put.clone()))
            .map_err(|e| setup_err(&format!("\"{}\"", put.name), "accountSettings", e))?;
    }
    for c in &s.clusters {
        engine.create_cluster(c).map_err(|e| setup_err(&format!("\"{c}\""), "clusters", e))?;
    }
    for c in &s.capacity_providers {
        engine.create_capacity_provider(c).map_err(|e| setup_err(&format!("\"{}\"", c.name), "capacityProviders", e))?;
    }
    for put in &s.cluster_capacity_providers {
        engine.put_cluster_capacity_providers(put).map_err(|e| {
            // ECS's text names no provider: the one at fault is named, and the error placed at
            // it — a provider the scenario never creates, or a default strategy's provider the
            // entry does not associate.
            let created = |p: &String| s.capacity_providers.iter().any(|c| &c.name == p);
            let culprit = put.capacity_providers.iter().find(|p| !created(p)).or_else(|| {
                put.default_capacity_provider_strategy
                    .iter()
                    .map(|i| &i.capacity_provider)
                    .find(|p| !put.capacity_providers.contains(p))
            });
            match culprit.filter(|_| e.message.contains("capacity provider")) {
                Some(p) => loaded.error_at_literal(
                    ("clusterCapacityProviders", 0),
                    p,
                    format!("clusterCapacityProviders: capacity provider '{p}': {e}"),
                ),
                None => setup_err(&format!("\"{}\"", put.cluster), "clusterCapacityProviders", e),
            }
        })?;
    }
    // The engine reads each request where it is: a prebuilt one, or one built for this run.
    let caller = engine.default_caller_arn().to_string();
    for (n, td) in s.task_definitions.iter().enumerate() {
        let request = prebuilt
            .map_or_else(|| Cow::Owned(Request::RegisterTaskDefinition(td.clone())), |p| Cow::Borrowed(&p.task_definitions[n]));
        engine.submit_ref_as(&caller, &request).map_err(|e| {
            let expressions = td.placement_constraints.iter().filter_map(|c| c.expression.as_deref());
            match malformed_expression(loaded, "taskDefinitions:", expressions, &e) {
                Some((line, column)) => {
                    ScenarioError { file: loaded.file.clone(), line, column, message: format!("taskDefinitions: {e}") }
                }
                None => setup_err(&format!("\"{}\"", td.family), "taskDefinitions", e),
            }
        })?;
    }
    for (n, g) in s.instances.iter().enumerate().filter(|(_, g)| g.at_time_zero()) {
        register_group(&mut engine, loaded, g, prebuilt.map(|p| p.of_group(n)))?;
    }
    // Auto Scaling groups' instances at time 0 (`DesiredCapacity` of them), after the instance groups.
    for asg in &s.auto_scaling_groups {
        for member in s.asg_members_with_provider(asg, asg.initial_members()) {
            register_group(&mut engine, loaded, &member, None).map_err(|e| ScenarioError {
                message: format!("Auto Scaling group '{}': {}", asg.auto_scaling_group_name, e.message),
                ..loaded.error_at(&format!("\"{}\"", asg.auto_scaling_group_name), "")
            })?;
        }
    }
    for (n, svc) in s.services.iter().enumerate() {
        let request = prebuilt.map_or_else(|| Cow::Owned(Request::CreateService(svc.clone())), |p| Cow::Borrowed(&p.services[n]));
        engine.submit_ref_as(&caller, &request).map_err(|e| {
            // At a malformed `memberOf` expression of this service, else at its own `serviceName`
            // (its name may also be a task definition's family, or an earlier service's name).
            let expressions = svc.placement_constraints.iter().filter_map(|c| c.expression.as_deref());
            if let Some((line, column)) = malformed_expression(loaded, "services:", expressions, &e) {
                return ScenarioError { file: loaded.file.clone(), line, column, message: format!("services: {e}") };
            }
            // A strategy's provider its cluster does not have: named, and the error placed at it
            // (ECS's text names none).
            let cluster = svc.cluster.as_deref().unwrap_or("default");
            let associated = |p: &String| {
                s.cluster_capacity_providers.iter().any(|c| c.cluster == cluster && c.capacity_providers.contains(p))
            };
            let culprit = svc.capacity_provider_strategy.iter().map(|i| &i.capacity_provider).find(|p| !associated(p));
            if let Some(p) = culprit.filter(|_| e.message.contains("capacity provider")) {
                let at = crate::load::locate_nth_value(&loaded.source, "services:", "capacityProvider", 0, &format!("\"{p}\""));
                return loaded.error_at_position(at, format!("services: capacity provider '{p}': {e}"));
            }
            // At the field ECS's message names first (`minimumHealthyPercent must be between 0
            // and 100`, `The maximumPercent of a DAEMON service must be 100`), when this service
            // spells it: the first camelCase word of the message the service's entry has as a field.
            let located = e
                .message
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| {
                    w.len() > 1 && w.starts_with(|c: char| c.is_ascii_lowercase()) && w.chars().any(|c| c.is_ascii_uppercase())
                })
                .find_map(|f| crate::load::locate_field_in_item(&loaded.source, "services:", "serviceName:", n, &format!("{f}:")))
                // ECS's DAEMON refusals name their field in words.
                .or_else(|| {
                    [("desired count", "desiredCount:"), ("placement strateg", "placementStrategy:")]
                        .iter()
                        .filter(|(words, _)| e.message.contains(words))
                        .find_map(|(_, f)| crate::load::locate_field_in_item(&loaded.source, "services:", "serviceName:", n, f))
                });
            if let Some((line, column)) = located {
                return ScenarioError { file: loaded.file.clone(), line, column, message: format!("services: {e}") };
            }
            let name = format!("\"{}\"", svc.service_name);
            match crate::load::locate_nth_value(&loaded.source, "services:", "serviceName", n, &name) {
                Some((line, column)) => {
                    ScenarioError { file: loaded.file.clone(), line, column, message: format!("services: {e}") }
                }
                None => setup_err(&format!("\"{}\"", svc.service_name), "services", e),
            }
        })?;
    }
    for (n, rt) in s.running_tasks.iter().enumerate() {
        // An entry's error points at its own `instance:` value, not at the first place the
        // instance's name appears (its group's line).
        let entry_error = |message: String| {
            let name = format!("\"{}\"", rt.instance);
            match crate::load::locate_nth_value(&loaded.source, "runningTasks:", "instance:", n, &name) {
                Some(position) => loaded.error_at_position(Some(position), message),
                None => loaded.error_at(&name, message),
            }
        };
        let Some(i) = engine.instance_named(&rt.instance) else {
            return Err(entry_error(format!(
                "unknown instance '{}' in runningTasks (it must be registered at time 0)",
                rt.instance
            )));
        };
        let req = api::AdoptTaskRequest {
            cluster: Some(i.cluster().to_string()),
            container_instance: i.arn(),
            task_definition: rt.task_definition.clone(),
            service: rt.service.clone(),
            group: rt.group.clone(),
            started_by: rt.started_by.clone(),
            overrides: rt.overrides.clone(),
            healthy: rt.healthy,
        };
        for _ in 0..rt.count {
            engine.adopt_running_task(req.clone()).map_err(|e| entry_error(format!("runningTasks on '{}': {e}", rt.instance)))?;
        }
    }
    for g in s.instances.iter().filter(|g| g.at_time_zero() && g.status.as_deref() == Some("DRAINING")) {
        let arns: Vec<String> = group_member_names(&g.name, g.count)
            .iter()
            .map(|n| engine.instance_named(n).expect("registered at time 0").arn())
            .collect();
        for chunk in arns.chunks(10) {
            engine
                .submit(Request::UpdateContainerInstancesState(api::UpdateContainerInstancesStateRequest {
                    cluster: g.cluster.clone(),
                    container_instances: chunk.to_vec(),
                    status: "DRAINING".into(),
                }))
                .map_err(|e| {
                    loaded.error_at(&format!("\"{}\"", g.name), format!("instance group '{}' status DRAINING: {e}", g.name))
                })?;
        }
    }
    if let Some(f) = &s.faults {
        // Loading refuses a pinned fault on an instance that is not registered at time 0
        // (`load.rs`, at the fault), so `check` and `run` say the same.
        let instance = |engine: &Engine, n: &str| {
            engine.instance_named(n).map(|i| i.id()).ok_or_else(|| {
                let (line, column) = crate::load::locate_after(&loaded.source, "pinned", &format!("\"{n}\"")).unwrap_or((1, 1));
                ScenarioError {
                    file: loaded.file.clone(),
                    line,
                    column,
                    message: crate::load::pinned_fault_refusal(&loaded.scenario, n),
                }
            })
        };
        // The engine refuses a fault on an instance it does not have, or before now: neither can
        // happen here (the instances were looked up in it, and setup runs at time 0).
        let pinned = |r: Result<(), drainsim_core::ControlError>| r.map_err(|e| loaded.error_at("pinned", e.to_string()));
        for p in &f.pinned {
            match &p.fault {
                PinnedFaultKind::AgentDisconnect(n) => {
                    let i = instance(&engine, n)?;
                    pinned(engine.pin_fault(p.at_ms, PinnedFault::AgentDisconnect(i)))?;
                }
                PinnedFaultKind::AgentReconnect(n) => {
                    let i = instance(&engine, n)?;
                    pinned(engine.pin_fault(p.at_ms, PinnedFault::AgentReconnect(i)))?;
                }
                PinnedFaultKind::SpotInterruption(n, behavior) => {
                    let i = instance(&engine, n)?;
                    // `load` checked the behaviour and that the instance is a Spot Instance.
                    let behavior = SpotInterruptionBehavior::parse(behavior).unwrap_or(SpotInterruptionBehavior::Terminate);
                    pinned(engine.pin_fault(p.at_ms, PinnedFault::SpotInterruption(i, behavior)))?;
                }
                PinnedFaultKind::SpotRebalanceRecommendation(n) => {
                    // `load` checked that the instance is a Spot Instance.
                    let i = instance(&engine, n)?;
                    pinned(engine.pin_fault(p.at_ms, PinnedFault::SpotRebalanceRecommendation(i)))?;
                }
                PinnedFaultKind::AgentUpdateFailure(n, stage) => {
                    let i = instance(&engine, n)?;
                    let st = AgentUpdateStatus::parse(stage)
                        .filter(|s| !matches!(s, AgentUpdateStatus::Pending | AgentUpdateStatus::Failed))
                        .ok_or_else(|| {
                            loaded.error_at(
                                &format!("\"{stage}\""),
                                "AgentUpdateFailure stage must be STAGING, STAGED, UPDATING or UPDATED",
                            )
                        })?;
                    pinned(engine.inject_agent_update_failure(i, st))?;
                }
                PinnedFaultKind::HealthChecksFail(x) => {
                    // `load` checked the query.
                    let query = drainsim_core::query::Query::parse(x).map_err(|e| {
                        loaded.error_at(
                            "HealthChecksFail",
                            format!("{} is not a valid cluster query: {e}", crate::load::quoted_query(x)),
                        )
                    })?;
                    pinned(engine.pin_fault(p.at_ms, PinnedFault::HealthChecksFail(query)))?;
                }
                PinnedFaultKind::HealthChecksPass => pinned(engine.pin_fault(p.at_ms, PinnedFault::HealthChecksPass))?,
            }
        }
    }

    engine.pause_injections(false);
    Ok((engine, fault_profile))
}

/// Where the first of a setup item's `memberOf` expressions that is not a valid cluster query is in
/// the file, when that is what ECS refused (`refusal` carries the expression's error): the
/// character its error's column names, in the first literal of its text after the item's `section`
/// (an earlier item holding the same text would have been refused first).
fn malformed_expression<'a>(
    loaded: &LoadedScenario,
    section: &str,
    mut expressions: impl Iterator<Item = &'a str>,
    refusal: &EcsError,
) -> Option<(usize, usize)> {
    let (expression, error) = expressions.find_map(|x| drainsim_core::query::Query::parse(x).err().map(|e| (x, e)))?;
    if !refusal.to_string().contains(&error.to_string()) {
        return None;
    }
    crate::load::locate_in_literal(&loaded.source, (section, 0), expression, 0, error.column())
}

/// The `--account-default NAME=VALUE` flags, applied to `engine`; a refused one is an error at
/// its flag.
fn apply_account_default_flags(engine: &mut Engine, defaults: &[(String, String)]) -> Result<(), ScenarioError> {
    // One setting given twice is refused, as `compare --set` refuses a path given twice: the last
    // value was kept silently.
    for (n, (name, value)) in defaults.iter().enumerate() {
        if let Some((_, first)) = defaults[..n].iter().find(|(earlier, _)| earlier == name) {
            return Err(ScenarioError::flag(
                &format!("--account-default {name}={value}"),
                format!("{name} is given twice (={first} before); give each setting once"),
            ));
        }
    }
    for (name, value) in defaults {
        engine
            .override_account_default(name, value)
            .map_err(|e| ScenarioError::flag(&format!("--account-default {name}={value}"), e.to_string()))?;
    }
    Ok(())
}

/// Whether ECS accepts the `--account-default NAME=VALUE` flags, checked once before the runs of a
/// sweep or a comparison (each run would refuse them alike).
pub fn check_account_default_flags(defaults: &[(String, String)]) -> Result<(), ScenarioError> {
    apply_account_default_flags(&mut Engine::new(EngineConfig::default()), defaults)
}

/// The fault profile a run reports (`RunOutcome::fault_profile`, the text report's head): the one
/// `--faults swarm` drew, or the scenario's `faults` when not all zero; none otherwise. Read from
/// the engine's profile, so a sink printing the head as records stream by reports the same.
pub fn reported_fault_profile(engine: &Engine, swarm_faults: bool) -> Option<FaultProfile> {
    let p = engine.fault_profile();
    (swarm_faults || *p != FaultProfile::default()).then(|| p.clone())
}

/// The request that registers one member of an instance group.
pub fn registration_request(g: &InstanceGroup, index: u32, name: &str) -> api::RegisterContainerInstanceRequest {
    let az = g.zone_of(index);
    let ports: Vec<String> =
        g.reserved_ports.clone().unwrap_or_else(|| vec![22, 2375, 2376, 51678, 51679]).iter().map(|p| p.to_string()).collect();
    api::RegisterContainerInstanceRequest {
        cluster: g.cluster.clone(),
        total_resources: vec![
            api::Resource::integer("CPU", g.cpu),
            api::Resource::integer("MEMORY", g.memory),
            api::Resource::string_set("PORTS", ports),
            api::Resource::string_set("PORTS_UDP", vec![]),
        ],
        // The agent's version only: its build hash and the Docker version are nothing a scenario
        // (or a capture drainsim imports) says, and would be made up.
        version_info: Some(api::VersionInfo {
            agent_version: Some(g.agent_version.clone().unwrap_or_else(|| drainsim_core::CURRENT_AGENT_VERSION.into())),
            agent_hash: None,
            docker_version: None,
        }),
        container_instance_arn: None,
        attributes: g
            .attributes
            .iter()
            .map(|(k, v)| api::Attribute { name: k.clone(), value: Some(v.clone()), target_type: None, target_id: None })
            .collect(),
        tags: g.tags.iter().map(|(k, v)| api::Tag { key: k.clone(), value: v.clone() }).collect(),
        instance_identity: api::InstanceIdentity {
            name: name.to_string(),
            instance_type: g.instance_type.clone(),
            availability_zone: az,
            ec2_instance_id: g.ec2_instance_id.clone(),
            task_eni_limit: g.task_eni_limit,
            container_instance_id: g.container_instance_id.clone(),
            capacity_provider_name: g.capacity_provider_name.clone(),
            registered_at_ms: (g.register_at_ms < 0).then_some(g.register_at_ms),
        },
        platform_devices: (0..g.gpus)
            .map(|n| api::PlatformDevice { id: format!("GPU-{name}-{n}"), device_type: "GPU".into() })
            .collect(),
        agent_config: g.agent_config,
    }
}

/// The requests of a scenario's setup, built once for the many runs of a sweep or a comparison
/// instead of once per run, and read where they are ([`Engine::submit_ref_as`]): member `k` of
/// `instances[g]` registers with `registrations[g][k]`, which [`registration_request`] built; each
/// task definition and service of the scenario is its request as written.
#[derive(Debug)]
pub(crate) struct SetupRequests {
    registrations: Vec<Vec<Request>>,
    task_definitions: Vec<Request>,
    services: Vec<Request>,
}

/// The most instances whose requests [`SetupRequests::prebuild`] keeps (a few hundred bytes each
/// with their strings); a scenario with more builds each request as it registers the instance.
pub(crate) const MAX_PREBUILT_REGISTRATIONS: u64 = 10_000;

impl SetupRequests {
    /// The requests of `loaded`'s setup: every member's registration, the task definitions and
    /// the services; `None` when the instance groups have more than
    /// [`MAX_PREBUILT_REGISTRATIONS`] members (each request is then built in its run).
    pub(crate) fn prebuild(loaded: &LoadedScenario) -> Option<SetupRequests> {
        let groups = &loaded.scenario.instances;
        if groups.iter().map(|g| u64::from(g.count)).sum::<u64>() > MAX_PREBUILT_REGISTRATIONS {
            return None;
        }
        let registrations = groups
            .iter()
            .map(|g| {
                (0..g.count)
                    .map(|k| {
                        Request::RegisterContainerInstance(registration_request(g, k, &group_member_name(&g.name, g.count, k)))
                    })
                    .collect()
            })
            .collect();
        let s = &loaded.scenario;
        Some(SetupRequests {
            registrations,
            task_definitions: s.task_definitions.iter().cloned().map(Request::RegisterTaskDefinition).collect(),
            services: s.services.iter().cloned().map(Request::CreateService).collect(),
        })
    }

    /// The requests of the members of `instances[group]`.
    pub(crate) fn of_group(&self, group: usize) -> &[Request] {
        &self.registrations[group]
    }
}

/// Registers every member of an instance group now (a setup refusal is an error at the group's name),
/// pinning the trunk failures the scenario's faults name. `prebuilt` holds the members' requests
/// when a sweep built them once ([`SetupRequests`]); otherwise each is built as it registers.
pub(crate) fn register_group(
    engine: &mut Engine,
    loaded: &LoadedScenario,
    g: &InstanceGroup,
    prebuilt: Option<&[Request]>,
) -> Result<(), ScenarioError> {
    let caller = g.instance_role.clone().unwrap_or_else(|| engine.default_caller_arn().to_string());
    let trunk_failures = loaded.scenario.faults.as_ref().map(|f| f.trunk_failures.as_slice()).unwrap_or_default();
    debug_assert!(prebuilt.is_none_or(|p| p.len() == g.count as usize), "a request per member");
    for k in 0..g.count {
        let req = prebuilt.map_or_else(
            || {
                Cow::Owned(Request::RegisterContainerInstance(registration_request(
                    g,
                    k,
                    &group_member_name(&g.name, g.count, k),
                )))
            },
            |p| Cow::Borrowed(&p[k as usize]),
        );
        let Request::RegisterContainerInstance(r) = &*req else { unreachable!("an instance group registers its members") };
        let name = &r.instance_identity.name;
        engine
            .submit_ref_as(&caller, &req)
            .map_err(|e| loaded.error_at(&format!("\"{}\"", g.name), format!("instance group '{}': {e}", g.name)))?;
        // A pinned trunk failure applies whenever the instance registers (its trunk is provisioned later).
        if trunk_failures.contains(name) {
            let id = engine.instance_named(name).expect("just registered").id();
            engine.pin_trunk_failure(id).expect("an instance of this engine");
        }
        if let Some(spot) = &g.spot {
            let id = engine.instance_named(name).expect("just registered").id();
            engine.mark_spot_instance(id, spot.spot_instance_draining).expect("an instance of this engine");
        }
    }
    Ok(())
}
