//! # drainsim-core
//!
//! The pure simulation engine of drainsim: Amazon ECS container instances that register, get trunk
//! network interfaces, drain and go away, and the service scheduler that replaces their tasks in
//! batches bounded by `minimumHealthyPercent` and `maximumPercent`.
//!
//! **This crate is deterministic and never reads a clock.** Simulated time is a `u64` of
//! milliseconds that moves only when the caller advances the [`Engine`]; every random draw comes from
//! one ChaCha8 generator seeded from the scenario seed; events at equal times fire in the order they
//! were scheduled; no hash-map order reaches an output. It does no I/O and starts no threads.

//!
//! # The API
//!
//! - [`Engine`]: requests in ([`Engine::handle`], with [`api::Request`] spelled as ECS spells it;
//!   [`Engine::submit`] applies one alike and returns a [`Receipt`] of IDs and failures without
//!   rendering the response; [`Engine::submit_as_with`] also lets a caller read what it needs
//!   through the views at the moment the response would have been rendered), time moved by the caller ([`Engine::step`], [`Engine::advance_to`],
//!   [`Engine::run_until_quiet`]), the trace out ([`Engine::trace`], [`Engine::describe_record`]);
//!   [`Engine::reset`] puts an engine back in the state [`Engine::new`] builds, keeping its
//!   memory, for many short runs one after another.
//! - Lookups by name and by ARN ([`Engine::instance_named`], [`Engine::service_named`],
//!   [`Engine::instance_by_arn`], ...) give read-only views: [`InstanceView`] (status, counts,
//!   [`DrainTimes`]), [`ServiceView`] (floor and ceiling, the fewest healthy and most tasks
//!   observed, [`StallReason`]s, floor breaches and their [`BreachCause`]s, service events) and
//!   [`TaskView`].
//! - Rejected requests return an [`EcsError`] and change nothing; [`check_invariants`] checks the
//!   whole state. (A request made while [`Engine::step_part`] left an instant open first finishes
//!   that instant, accepted or not: the request comes after the instant's events, and those
//!   change the state as they would have.)
//!
//! # Example
//!
//! Three instances, a four-task service with minimumHealthyPercent 50 and maximumPercent 200, one
//! instance drained (the same program is `examples/library.rs`):
//!
//! ```
#![doc = include_str!("library_example.rs")]
//! ```

#![deny(missing_docs)]

/// `Display` of a closed enum: its `as_str`, ECS's text (`DRAINING`, `REPLICA`).
macro_rules! display_as_str {
    ($($t:ty),* $(,)?) => {
        $(impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        })*
    };
}

display_as_str!(
    InstanceStatus,
    TaskStatus,
    AttachmentStatus,
    AgentUpdateStatus,
    ServiceStatus,
    SchedulingStrategy,
    SpotInterruptionBehavior,
    SpotSignal,
    StopReason,
    ChoiceKind,
);

pub mod api;
mod engine;
mod errors;
mod infra;
mod placement;
mod rules;
mod state;
mod timings;

pub use engine::faults::PinnedFault;
pub use engine::invariants::{check_invariants, InvariantViolation};
pub use engine::views::{DrainTimes, InstanceView, SchedulingStrategy, ServiceStatus, ServiceView, TaskSize, TaskView};
pub use engine::{Engine, EngineConfig, Receipt, RecordText, StepPart, StopReason, MAX_EVENTS_PER_INSTANT};
pub use errors::{ControlError, EcsError, EcsErrorKind};
pub use infra::choice::{
    ChoiceDeparture, ChoiceKind, ChoiceTaken, ExploreChoices, InjectableFaults, AGENT_RECONNECT_AFTER_MS, MAX_JITTER_VALUES,
};
pub use infra::faults::{FaultProfile, SpotInterruptionBehavior, SpotSignal};
pub use infra::ids::{AttachmentId, InstanceId, ServiceId, TaskId};
pub use infra::intern::Sym;
pub use placement::PlacementFailureReason;
pub use rules::capacity_providers::{validate_capacity_provider, FARGATE_CAPACITY_PROVIDERS};
pub use rules::lifecycle::{AgentUpdateStatus, AttachmentStatus, InstanceStatus, TaskStatus};
pub use rules::names::{
    account_id_refusal, is_account_id, is_region_name, is_subnet_id, is_zone_name, latest_agent_version_refusal, region_refusal,
    subnet_zone_refusal, MAX_SUBNET_ZONES,
};
pub use rules::rebalancing::az_rebalancing_unsupported;
pub use rules::transitions::{TransitionGraph, Transitions};
pub use rules::versions::{is_agent_version, CURRENT_AGENT_VERSION};
pub use state::instance::MAX_GPUS_PER_INSTANCE;
pub use state::service::{
    AgentWaitTally, BreachCause, DeploymentSettings, Episode, FloorDip, SeriesPoint, StallReason, MAX_SERIES_POINTS,
};
pub use state::task::{
    AgentWaitCause, StoppingEnd, AGENT_DEFAULT_STOP_TIMEOUT_MS, MAX_TASK_DEFINITION_REVISION, SERVICE_DELETED_STOPPED_REASON,
};
pub use state::trace::{Change, Subject, Trace, TraceRecord, UpdatedFields};
pub use timings::Timings;

/// The EC2 instance types whose task ENI limits drainsim knows (the ENI trunking guide's table,
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html>,
/// the `t2`, `t3`, `t3a` and `t4g` families, and the types and families the guide lists as not
/// supporting trunking — `c5n`, `g4dn`, `i3`, `z1d`, … —, which have no trunking, from EC2's
/// interface limits), sorted. A type outside it registers fine; its awsvpc tasks need an explicit task ENI limit.
pub fn known_instance_types() -> impl Iterator<Item = &'static str> {
    rules::eni_limits::known_types().into_iter()
}

/// How many of a service's or RunTask's placement strategy rules drainsim applies, from the
/// first; the rules after them break ties in ECS but not in drainsim (docs/ecs-choices.md,
/// "Placement strategies and tie-breaks"). A rule after `random` breaks no tie in ECS either.
/// The list is checked as CreateService checks it.
pub fn placement_rules_applied(strategies: &[api::PlacementStrategy]) -> Result<usize, EcsError> {
    let mut strings = infra::intern::Interner::with_capacity(8, 64);
    let rules = placement::parse_strategies(&mut strings, strategies, true)?;
    let zone = strings.intern(state::instance::AVAILABILITY_ZONE_ATTRIBUTE);
    let applied = placement::applied_rules(&rules, zone);
    // After a random pick nothing is tied: its later rules change nothing anywhere.
    Ok(if rules[..applied].last() == Some(&placement::Strategy::Random) { rules.len() } else { applied })
}

/// The GPUs a task of these containers reserves (their `resourceRequirements` of type `GPU`,
/// summed), checked as RegisterTaskDefinition checks them: the one rule, for callers that reason
/// about task definitions before an engine registers them (docs/ecs-choices.md, "GPUs").
pub fn task_definition_gpus(containers: &[api::ContainerDefinition]) -> Result<u32, EcsError> {
    engine::tasks::task_gpus(containers)
}

/// The GPUs a container instance registers with these `platformDevices`, checked as
/// RegisterContainerInstance checks them (type `GPU` only, IDs distinct, at most
/// [`MAX_GPUS_PER_INSTANCE`]): the one rule, for callers that reason about registrations before an
/// engine runs them. A list RegisterContainerInstance refuses registers no instance, and is the
/// error it would give.
pub fn platform_device_gpus(devices: &[api::PlatformDevice]) -> Result<u32, EcsError> {
    let ids = state::instance::parse_platform_devices(devices)?;
    Ok(u32::try_from(ids.len()).expect("at most MAX_GPUS_PER_INSTANCE GPUs"))
}

/// FNV-1a, 64 bits: the stable hash behind the trace digest (the same for the same bytes on every
/// platform, run and Rust version), for callers that digest their own outputs alike.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    infra::fnv::fnv1a(bytes)
}

/// Simulated time: milliseconds since the start of the run, how to print it, and how to read a
/// bounded one with serde.
pub mod time {
    pub use crate::infra::time::{days_from_civil, format_sim_time, SimTimeMs, HOUR_MS, MAX_SIM_TIME_MS, MINUTE_MS, SECOND_MS};
    pub use crate::timings::{bounded_time, bounded_time_opt};
}

/// ECS cluster auto scaling: the arithmetic of a capacity provider's managed scaling (the
/// CapacityProviderReservation metric, the instances waiting tasks need, the capacity target
/// tracking sets), for the Auto Scaling group that acts on it outside the engine.
pub mod managed_scaling {
    pub use crate::rules::managed_scaling::*;
}

/// The cluster query language of ListContainerInstances' `filter` and `memberOf` placement
/// constraints (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html>;
/// the choices the documentation leaves open are in docs/ecs-choices.md §8): parse an expression to
/// check it or to see its canonical text.
pub mod query {
    pub use crate::rules::query::{quoted, Query, QueryError, MAX_QUERY_CHARS, MAX_QUERY_DEPTH};
}
