//! The engine: a pure, event-driven state machine.
//!
//! # How to drive it
//! - **Inputs**: [`Engine::handle`] applies one ECS request at the current simulated time and
//!   returns its response or a typed [`EcsError`]; a rejected request changes nothing.
//! - **Time**: [`Engine::next_event_time`] tells when something happens next; [`Engine::step`]
//!   processes every event of the next instant; [`Engine::advance_to`] processes events up to a time
//!   and moves the clock there; [`Engine::run_until_quiet`] runs within bounds and says why it stopped.
//! - **Getters**: [`Engine::now_ms`], [`Engine::trace`], the describe/list operations, and the
//!   observation getters of each domain module.
//! - **Outputs**: trace records (kept or digested) are drained by the caller; nothing is pushed out.
//!
//! # The folder
//!
//! Every `impl Engine` of the crate is in this folder: `mod.rs` (inputs, time, dispatch, the
//! trace), one file per family of ECS operations with its lifecycle mutators (`instances`,
//! `tasks`, `services`, `attachments`, `agent`, `account`), the scheduler (`scheduler`: the
//! passes, `react`, observations), the placement choice over the tables (`placement`), `faults`,
//! `invariants` and the read-only `views`. The files share the one type and call each other's
//! methods; by path, only `scheduler` and `tasks` name another file's items (`placement`'s free
//! functions `unmet_requirement` and `owner_tasks_on`, the requirement check RunTask and the
//! scheduler's passes must share). The mutators never call the scheduler: they push
//! [`Trigger`](crate::state::trigger::Trigger)s, which `scheduler::react` consumes.
//!
//! Call order: construct, then any interleaving of `handle` and time advances. Events at equal times
//! fire in the order they were scheduled (their sequence number).

pub(crate) mod account;
pub(crate) mod agent;
pub(crate) mod agent_queue;
pub(crate) mod attachments;
pub(crate) mod canonical;
pub(crate) mod capacity_providers;
pub(crate) mod faults;
pub(crate) mod instances;
pub mod invariants;
pub(crate) mod placement;
pub(crate) mod rebalance;
mod reply;
pub(crate) mod scale_in;
pub(crate) mod scheduler;
pub(crate) mod services;
pub(crate) mod spot;
pub(crate) mod subnets;
pub(crate) mod tasks;
pub(crate) mod views;

use crate::errors::EcsError;
use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskId};
use crate::infra::intern::Interner;
use crate::infra::queue::{Event, EventKind, EventQueue};
use crate::infra::rng::RngStreams;
pub use reply::Receipt;
pub(crate) use reply::Reply;
use std::borrow::Cow;

use crate::infra::time::SimTimeMs;
use crate::rules::settings::AccountSettings;
use crate::state::trace::{Change, Subject, Trace, TraceRecord};
pub use crate::timings::Timings;

/// Everything an engine is built from.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The seed every random stream is derived from.
    pub seed: u64,
    /// The AWS account ID in ARNs (`123456789012`).
    pub account_id: String,
    /// The AWS Region in ARNs (`us-east-1`).
    pub region: String,
    /// Unix seconds at simulated time 0 (`registeredAt` and other timestamps).
    pub epoch_unix_s: u64,
    /// The principal requests run as when they name none: the account's root user by default.
    pub default_caller_arn: Option<String>,
    /// The newest agent version UpdateContainerAgent can install.
    pub latest_agent_version: String,
    /// Durations of the AWS-side processes.
    pub timings: Timings,
    /// Keep every trace record.
    pub keep_trace_records: bool,
    /// Compute the trace's digest ([`Trace::digest`]). A caller that reads no digest (a sweep,
    /// which aggregates outcomes) turns it off and saves the hashing of every record.
    pub digest_trace: bool,
    /// Run `check_invariants` after every event and request, panicking at the first violation.
    ///
    /// **On by default in a debug build of drainsim-core** (`cfg!(debug_assertions)`, so in a
    /// dependent's `cargo test` and `cargo run` too), off in a release build. It is the engine's
    /// self-check, and it costs: each check reads the whole state, so a run slows by one to two
    /// orders of magnitude (a day of a stalled service's retries: 31 ms without, 1.26 s with, in
    /// a debug build). A property test of many cases, or a big run in a debug build, turns it
    /// off (`check_invariants_every_event: false`) and calls [`crate::check_invariants`] where it
    /// wants the check.
    pub check_invariants_every_event: bool,
    /// Run `check_invariants` after every instant and request (where `drainsim explore` checks the
    /// states it reaches), and keep the first violation, with its time
    /// ([`Engine::first_invariant_violation`]), instead of panicking: a replay of an explored
    /// counterexample shows a violation the run's end no longer holds.
    pub note_invariant_violations: bool,
    /// The event bound of the engine: no event past this many is processed, even in the middle of
    /// an instant (the instant is left open, [`StepPart::Bounded`]). `u64::MAX` by default; the
    /// `max_events` of [`Engine::advance_to`] and [`Engine::run_until_quiet`] can only lower it.
    pub max_events: u64,
    /// The most events and scheduling passes one instant may process before the engine stops with
    /// [`StopReason::MaxEventsPerInstant`]; [`MAX_EVENTS_PER_INSTANT`] by default.
    pub max_events_per_instant: u64,
    /// The Availability Zone of each subnet a task ENI may be created in (EC2 knows it; ECS's
    /// API does not say it): an awsvpc task whose `networkConfiguration` names subnets is placed
    /// only on an instance in one of their zones. Empty by default: a `networkConfiguration`
    /// naming a subnet not listed here is refused.
    pub subnet_zones: std::collections::BTreeMap<String, String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            seed: 0,
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            epoch_unix_s: 1_559_779_200, // 2019-06-06T00:00:00Z, the seed's date
            default_caller_arn: None,
            latest_agent_version: crate::rules::versions::CURRENT_AGENT_VERSION.into(),
            timings: Timings::default(),
            keep_trace_records: true,
            digest_trace: true,
            check_invariants_every_event: cfg!(debug_assertions),
            note_invariant_violations: false,
            max_events: u64::MAX,
            max_events_per_instant: MAX_EVENTS_PER_INSTANT,
            subnet_zones: Default::default(),
        }
    }
}

impl EngineConfig {
    /// Checks what the engine writes into every ARN and reads as a version, as a scenario's are
    /// checked: `timings` ([`Timings::validate`]), `account_id` ([`crate::is_account_id`]), `region`
    /// ([`crate::is_region_name`]), `latest_agent_version` ([`crate::is_agent_version`]) and
    /// `subnet_zones` (subnet IDs and zone names, at most [`crate::MAX_SUBNET_ZONES`]). The error
    /// names the field.
    pub fn validate(&self) -> Result<(), String> {
        use crate::rules::names;
        self.timings.validate()?;
        [
            names::account_id_refusal(&self.account_id),
            names::region_refusal(&self.region),
            names::latest_agent_version_refusal(&self.latest_agent_version),
        ]
        .into_iter()
        .flatten()
        .next()
        .map_or(Ok(()), Err)?;
        if self.subnet_zones.len() > names::MAX_SUBNET_ZONES {
            return Err(format!("subnetZones: at most {} subnets; {} given", names::MAX_SUBNET_ZONES, self.subnet_zones.len()));
        }
        self.subnet_zones.iter().find_map(|(subnet, zone)| names::subnet_zone_refusal(subnet, zone)).map_or(Ok(()), Err)
    }
}

/// A trace record in words ([`Engine::describe_record`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordText {
    /// The subject's logical name (`web:task/1a2b3c4d`, an instance's name), or its ARN.
    pub subject: String,
    /// The subject's ARN (a principal's ARN for a setting change).
    pub subject_arn: String,
    /// What changed (`lastStatus RUNNING -> DEACTIVATING`, `event: (service web) has started 1 tasks: ...`).
    pub change: String,
    /// For a task's record, the logical name of the container instance the task was placed on (the
    /// instance DescribeTasks' `containerInstanceArn` names). None for other subjects.
    pub container_instance: Option<String>,
}

/// Why a bounded run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Nothing but background retries is pending. A stalled drain is quiet too: see
    /// [`Engine::run_until_quiet`].
    Quiet,
    /// The simulated-time bound was reached.
    EndTime,
    /// The event bound was reached before the run was quiet (non-convergence). It is enforced in
    /// the middle of an instant too: a run never processes more events than its bound.
    MaxEvents,
    /// The run reached the end of simulated time: an event would have landed after
    /// [`MAX_SIM_TIME_MS`](crate::time::MAX_SIM_TIME_MS) (2^50 ms) and was not scheduled, so what
    /// the run shows past that point never happens. This reason wins over `Quiet` and `EndTime`.
    TimeLimit,
    /// One instant processed [`EngineConfig::max_events_per_instant`] events and scheduling passes
    /// without ending (a loop of zero-length durations). The engine takes no event after it.
    MaxEventsPerInstant,
}

impl StopReason {
    /// The reason as the report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Quiet => "quiet",
            StopReason::EndTime => "endTime",
            StopReason::MaxEvents => "maxEvents",
            StopReason::TimeLimit => "timeLimit",
            StopReason::MaxEventsPerInstant => "maxEventsPerInstant",
        }
    }

    /// Every reason, in the order of the enum (the spellings [`StopReason::as_str`] gives).
    pub const ALL: [StopReason; 5] =
        [StopReason::Quiet, StopReason::EndTime, StopReason::MaxEvents, StopReason::TimeLimit, StopReason::MaxEventsPerInstant];
}

/// What [`Engine::step_part`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepPart {
    /// Nothing was pending.
    Idle,
    /// The instant is over.
    InstantDone,
    /// The record limit was reached; the instant is still open.
    Partial,
    /// An event bound was reached ([`Engine::bound_reached`] says which): nothing more is processed
    /// until a larger bound is given; an instant in progress is still open.
    Bounded,
}

/// Where an open instant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstantPhase {
    /// Taking the instant's events.
    Events,
    /// Running the due scheduling passes.
    Passes,
}

/// The most events and scheduling passes one instant may process. A legitimate instant stays far
/// below it: a scenario has at most 1,000,000 tasks, and each takes a handful of events at one
/// instant even when every duration is zero. An instant that reaches it can never end (every
/// event it processes schedules another at the same time), so the engine stops there with
/// [`StopReason::MaxEventsPerInstant`] instead of spinning.
pub const MAX_EVENTS_PER_INSTANT: u64 = 20_000_000;

/// The interner a new engine starts with: room for a small cluster's names, so a short run never
/// regrows it.
const INTERNER_STRINGS: usize = 64;
const INTERNER_BYTES: usize = 1024;

/// The simulation engine. See the module documentation for the call order.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) now_ms: SimTimeMs,
    pub(crate) queue: EventQueue,
    pub(crate) rng: RngStreams,
    pub(crate) strings: Interner,
    pub(crate) settings: AccountSettings,
    /// Every cluster (see [`crate::state::cluster::Clusters`]).
    pub(crate) clusters: crate::state::cluster::Clusters,
    /// Every container instance ever registered (see [`crate::state::instance::Instances`]).
    pub(crate) instances: crate::state::instance::Instances,
    /// Every registered task definition revision (see [`crate::state::task::TaskDefinitions`]).
    pub(crate) task_defs: crate::state::task::TaskDefinitions,
    /// Every task ever placed, with what the records share (see [`crate::state::task::Tasks`]).
    pub(crate) tasks: crate::state::task::Tasks,
    /// Every service ever created (see [`crate::state::service::Services`]).
    pub(crate) services: crate::state::service::Services,
    pub(crate) trace: Trace,
    pub(crate) events_processed: u64,
    /// The first invariant violation found, with its time, when the engine notes them
    /// ([`EngineConfig::note_invariant_violations`]).
    pub(crate) first_invariant_violation: Option<(SimTimeMs, crate::engine::invariants::InvariantViolation)>,
    /// Events and scheduling passes processed in the current (or open) instant.
    pub(crate) instant_work: u64,
    /// Set when an instant reached its bound of events and passes: the engine takes no more events.
    pub(crate) instant_bound_hit: bool,
    /// Set when an event was not scheduled because it would land after `MAX_SIM_TIME_MS`.
    pub(crate) time_limit_reached: bool,
    /// The instant `step_part` left open, if any.
    pub(crate) open_instant: Option<InstantPhase>,
    /// Services whose scheduling pass is due at the current instant, keyed `(not a daemon, id)`:
    /// in the order the passes run (`scheduler.rs::request_pass`).
    pub(crate) pass_due: scheduler::DuePasses,
    /// Services touched in the current instant (observations are sampled for them).
    pub(crate) touched_services: crate::infra::ids::MarkedIds<ServiceId>,
    /// What the state pushed for the scheduler since it last reacted (see [`crate::state::trigger::Trigger`]).
    pub(crate) triggers: Vec<crate::state::trigger::Trigger>,
    /// Every attachment ever created (see [`crate::state::attachment::Attachments`]).
    pub(crate) attachments: crate::state::attachment::Attachments,
    pub(crate) faults: crate::infra::faults::FaultState,
    /// The faults pinned at a time, in the order pinned (an event's payload is the index).
    pub(crate) pinned_faults: Vec<faults::PinnedFault>,
    /// Tasks on the instances this cluster query selects fail their health checks
    /// ([`Engine::fail_health_checks_on`]).
    pub(crate) failing_health_checks: Option<crate::rules::query::Query>,
    /// Since when `failing_health_checks` holds: a healthy task's checks fail from then on, and
    /// report it once their unhealthy threshold is reached ([`Engine::fail_health_checks_on`]).
    pub(crate) failing_health_checks_since_ms: SimTimeMs,
    /// `taskLongArnFormat` for the default caller, cached by settings generation.
    pub(crate) task_long_arn_cache: Option<(u64, bool)>,
    /// The built-in attribute names (and the fixed values), interned first.
    pub(crate) builtin: crate::state::instance::BuiltinAttributes,
    /// The instance type registered last and what the limit tables say of it: a cluster's
    /// registrations mostly repeat one type, and the tables are searched by string.
    pub(crate) type_limits_memo: Option<(crate::infra::intern::Sym, crate::rules::eni_limits::TypeLimits)>,
    /// The agent version a stop was last told to and whether that agent waits for resources
    /// rather than for earlier stops (1.73.0 or later): a fleet mostly runs one version, and the
    /// version is compared by reading its string.
    pub(crate) resource_aware_agent_memo: Option<(Option<crate::infra::intern::Sym>, bool)>,
    /// The orders the last few scale-ins left, each for its service's next one, and spare lists to
    /// build others in ([`scale_in::ScaleInLists`]). Derived: not part of the canonical state.
    pub(crate) scale_in_lists: scale_in::ScaleInLists,
}

impl Engine {
    /// Builds an engine, after checking `config` as a scenario's settings are checked
    /// ([`EngineConfig::validate`]: the timings' ranges, the account ID, Region and latest agent
    /// version every ARN and agent update reads): the error names the field.
    pub fn try_new(config: EngineConfig) -> Result<Self, String> {
        config.validate()?;
        Ok(Engine::new(config))
    }

    /// Builds an engine. No randomness is drawn until something needs it. `config` is taken as it
    /// is: timings built in Rust rather than read from a scenario may be out of the ranges a
    /// scenario is held to (a retry interval of 0 ms retries at one instant until the bound of
    /// events per instant stops the run), and an account ID, Region or latest agent version no
    /// scenario would take goes into every ARN as given; [`Engine::try_new`] refuses them
    /// ([`EngineConfig::validate`]).
    pub fn new(config: EngineConfig) -> Self {
        // Every table empty; what `reset_state` writes from the configuration (the one place an
        // engine's starting state is written) is a placeholder here. The built-in attribute names
        // are interned first, as `reset_state` keeps them.
        let mut strings = Interner::with_capacity(INTERNER_STRINGS, INTERNER_BYTES);
        let builtin = crate::state::instance::BuiltinAttributes::intern(&mut strings);
        let mut engine = Engine {
            now_ms: 0,
            queue: EventQueue::default(),
            rng: RngStreams::new(0),
            strings,
            settings: AccountSettings::new(""),
            clusters: Default::default(),
            instances: crate::state::instance::Instances::new(0),
            task_defs: Default::default(),
            tasks: crate::state::task::Tasks::new(0),
            services: Default::default(),
            trace: Trace::new(false, false),
            events_processed: 0,
            first_invariant_violation: None,
            instant_work: 0,
            instant_bound_hit: false,
            time_limit_reached: false,
            open_instant: None,
            pass_due: Default::default(),
            touched_services: Default::default(),
            triggers: Vec::new(),
            attachments: crate::state::attachment::Attachments::new(0),
            faults: Default::default(),
            pinned_faults: Vec::new(),
            failing_health_checks: None,
            failing_health_checks_since_ms: 0,
            task_long_arn_cache: None,
            builtin,
            type_limits_memo: None,
            resource_aware_agent_memo: None,
            scale_in_lists: Default::default(),
            config,
        };
        engine.reset_state();
        engine
    }

    /// Puts the engine in exactly the state [`Engine::new`]`(config)` builds, keeping the memory
    /// its tables hold: a caller running many short simulations one after another (a sweep's
    /// worker) saves building and freeing them each time. Nothing of the run before stays: its
    /// records, names, IDs, settings, pending events and random streams are gone, and the run
    /// that follows is record for record the one a new engine would make.
    pub fn reset(&mut self, config: EngineConfig) {
        self.config = config;
        self.reset_state();
    }

    /// Every field but the configuration to the state a run starts from, as the configuration
    /// says, keeping the tables' memory ([`crate::infra::recycle::Recycle`]). Every field is
    /// listed, so a new one is a compile error here until it is reset.
    fn reset_state(&mut self) {
        use crate::infra::recycle::Recycle as _;
        let Engine {
            config,
            now_ms,
            queue,
            rng,
            strings,
            settings,
            clusters,
            instances,
            task_defs,
            tasks,
            services,
            trace,
            events_processed,
            first_invariant_violation,
            instant_work,
            instant_bound_hit,
            time_limit_reached,
            open_instant,
            pass_due,
            touched_services,
            triggers,
            attachments,
            faults,
            pinned_faults,
            failing_health_checks,
            failing_health_checks_since_ms,
            task_long_arn_cache,
            builtin,
            type_limits_memo,
            resource_aware_agent_memo,
            scale_in_lists,
        } = self;
        // Every engine interns the built-in names first: the interner keeps them when it can.
        if !strings.keep_first(builtin.strings(), INTERNER_STRINGS) {
            strings.reset(INTERNER_STRINGS);
            *builtin = crate::state::instance::BuiltinAttributes::intern(strings);
        }
        settings.reset(&config.account_id);
        *rng = RngStreams::new(config.seed);
        trace.reset_to(Trace::new(config.keep_trace_records, config.digest_trace));
        instances.reset_to(crate::state::instance::Instances::new(RngStreams::instance_id_key(config.seed)));
        tasks.reset_to(crate::state::task::Tasks::new(RngStreams::task_id_key(config.seed)));
        *now_ms = 0;
        queue.reset_to(EventQueue::default());
        clusters.reset_to(Default::default());
        task_defs.reset_to(Default::default());
        services.reset_to(Default::default());
        *events_processed = 0;
        *first_invariant_violation = None;
        *instant_work = 0;
        *instant_bound_hit = false;
        *time_limit_reached = false;
        *open_instant = None;
        *pass_due = Default::default();
        touched_services.reset_to(Default::default());
        triggers.clear();
        attachments.reset_to(crate::state::attachment::Attachments::new(RngStreams::attachment_id_key(config.seed)));
        *faults = Default::default();
        pinned_faults.clear();
        *failing_health_checks = None;
        *failing_health_checks_since_ms = 0;
        *task_long_arn_cache = None;
        *type_limits_memo = None;
        *resource_aware_agent_memo = None;
        // Only the lists' capacity is kept: services are numbered anew.
        scale_in_lists.forget();
    }

    // ----- getters -----

    /// The current simulated time.
    pub fn now_ms(&self) -> SimTimeMs {
        self.now_ms
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The trace (digest and, if kept, records).
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Takes the kept trace records (for streaming them to a file).
    pub fn take_trace_records(&mut self) -> Vec<TraceRecord> {
        self.trace.take_records()
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Events pending.
    pub fn events_pending(&self) -> usize {
        self.queue.len()
    }

    /// Overrides an AWS default setting for this run (`--account-default NAME=VALUE`).
    pub fn override_account_default(&mut self, name: &str, value: &str) -> Result<(), EcsError> {
        self.finish_open_instant();
        let name = crate::rules::settings::SettingName::parse(name)?;
        self.settings.override_aws_default(name, value)
    }

    /// Whether anything in the run so far resolved the setting `name` to its AWS default — the one
    /// [`Engine::override_account_default`] changes — because neither the principal asking nor the
    /// root user had a setting of its own. False means an override of it changed nothing (an
    /// imported cluster's instances, say, each register with the trunking they were captured
    /// with). Refused for a name that is not a setting.
    pub fn account_default_read(&self, name: &str) -> Result<bool, EcsError> {
        Ok(self.settings.aws_default_read(crate::rules::settings::SettingName::parse(name)?))
    }

    /// The principal a request runs as when it names none.
    pub fn default_caller_arn(&self) -> &str {
        self.config.default_caller_arn.as_deref().unwrap_or_else(|| self.settings.root_arn())
    }

    // ----- time -----

    /// When the next event fires.
    pub fn next_event_time(&self) -> Option<SimTimeMs> {
        self.queue.peek_time()
    }

    /// Whether only background events are pending: a stalled service's periodic retry, an
    /// INACTIVE instance ceasing to be describable an hour after its deregistration, a random
    /// agent disconnect, the hourly draw of Spot interruptions or a moment it drew. None of them is progress of a
    /// drain, so a run may end before them; [`Engine::advance_to`] runs them when their time comes
    /// (a helper's `run_until_quiet` right after a DeregisterContainerInstance returned `Quiet`
    /// at the same time, the instance still describable).
    pub fn is_quiet(&self) -> bool {
        self.queue.is_quiet()
    }

    /// Whether the run reached the end of simulated time: an event would have landed after
    /// [`MAX_SIM_TIME_MS`](crate::time::MAX_SIM_TIME_MS) and was not scheduled
    /// ([`StopReason::TimeLimit`]).
    pub fn time_limit_reached(&self) -> bool {
        self.time_limit_reached
    }

    /// The engine's own bound that stops it taking events, if one is reached:
    /// [`StopReason::MaxEventsPerInstant`] once an instant reached
    /// [`EngineConfig::max_events_per_instant`], or
    /// [`StopReason::MaxEvents`] once [`EngineConfig::max_events`] events were processed with more
    /// pending.
    pub fn bound_reached(&self) -> Option<StopReason> {
        if self.instant_bound_hit {
            Some(StopReason::MaxEventsPerInstant)
        } else if self.events_processed >= self.config.max_events && self.queue.peek_time().is_some() {
            Some(StopReason::MaxEvents)
        } else {
            None
        }
    }

    /// The reason of a run that stopped without a bound (`Quiet` or `EndTime`), unless it reached
    /// the end of simulated time.
    fn natural_stop(&self, reason: StopReason) -> StopReason {
        if self.time_limit_reached {
            StopReason::TimeLimit
        } else {
            reason
        }
    }

    /// Processes every event of the next instant (finishing an instant [`step_part`](Self::step_part)
    /// left open); returns false if nothing was processed because nothing is pending or a bound
    /// is reached ([`bound_reached`](Self::bound_reached)).
    pub fn step(&mut self) -> bool {
        match self.run_instant(usize::MAX, self.config.max_events) {
            StepPart::Idle | StepPart::Bounded => false,
            StepPart::InstantDone => true,
            StepPart::Partial => unreachable!("no record limit"),
        }
    }

    /// Finishes the instant `step_part` left open, if any: every input (a request, a fault, a setup
    /// call) and every move of time comes after it, never inside it — unless a bound stopped it
    /// ([`bound_reached`](Self::bound_reached)), after which inputs apply at the open instant.
    pub(crate) fn finish_open_instant(&mut self) {
        if self.open_instant.is_some() {
            self.step();
        }
    }

    /// Processes the next instant, or the rest of the one left open, and stops early once at least
    /// `max_kept_records` trace records are kept (after at least one event or pass, so every call
    /// makes progress): a caller streaming the trace takes them
    /// ([`take_trace_records`](Self::take_trace_records)) and calls again, so a drain that changes
    /// a hundred thousand tasks in one instant never holds its records at once. A request, `step`,
    /// `advance_to` or `run_until_quiet` first finishes an instant left open.
    ///
    /// The order is the same however the instant is split: every event at the instant's time (in
    /// scheduling order), then every due scheduling pass, then again while passes scheduled events
    /// at the same time. The scheduler sees the whole instant: one pass per service after its
    /// events, not one per event (a hundred tasks turning healthy at once make one pass).
    ///
    /// The event bounds hold inside the instant: no event past [`EngineConfig::max_events`] is
    /// taken, and an instant stops at [`EngineConfig::max_events_per_instant`] events and passes
    /// ([`StepPart::Bounded`]).
    pub fn step_part(&mut self, max_kept_records: usize) -> StepPart {
        self.run_instant(max_kept_records, self.config.max_events)
    }

    /// [`step_part`](Self::step_part) with an event bound (at most the engine's own).
    fn run_instant(&mut self, max_kept_records: usize, max_events: u64) -> StepPart {
        if self.instant_bound_hit {
            return StepPart::Bounded;
        }
        let max_events = max_events.min(self.config.max_events);
        let mut phase = match self.open_instant.take() {
            Some(phase) => phase,
            None => {
                let Some(t) = self.queue.peek_time() else { return StepPart::Idle };
                if self.events_processed >= max_events {
                    return StepPart::Bounded;
                }
                debug_assert!(t >= self.now_ms, "event queue went back in time");
                self.now_ms = t;
                self.instant_work = 0;
                InstantPhase::Events
            }
        };
        let t = self.now_ms;
        let mut progressed = false;
        loop {
            if progressed && self.trace.records().len() >= max_kept_records {
                self.open_instant = Some(phase);
                return StepPart::Partial;
            }
            match phase {
                InstantPhase::Events => {
                    while self.queue.peek_time() == Some(t) {
                        if self.events_processed >= max_events || !self.note_instant_work() {
                            self.open_instant = Some(phase);
                            return StepPart::Bounded;
                        }
                        let event = self.queue.pop().expect("peeked");
                        self.events_processed += 1;
                        self.dispatch(event);
                        self.react();
                        progressed = true;
                        if self.config.check_invariants_every_event {
                            self.assert_invariants("after event");
                        }
                        if self.trace.records().len() >= max_kept_records {
                            self.open_instant = Some(phase);
                            return StepPart::Partial;
                        }
                    }
                    if self.pass_due.is_empty() {
                        break;
                    }
                    phase = InstantPhase::Passes;
                }
                InstantPhase::Passes if !self.pass_due.is_empty() && !self.note_instant_work() => {
                    self.open_instant = Some(phase);
                    return StepPart::Bounded;
                }
                InstantPhase::Passes => match self.next_due_pass() {
                    Some(id) => {
                        self.scheduling_pass(id);
                        self.react();
                        progressed = true;
                    }
                    None => {
                        self.check_invariants_here("after scheduling passes");
                        phase = InstantPhase::Events;
                    }
                },
            }
        }
        self.end_instant();
        // Under a script of choices, a fault may be injected as the instant ends (engine/faults.rs).
        self.inject_scripted_fault();
        self.check_invariants_here("after the instant");
        StepPart::InstantDone
    }

    /// Counts one event or pass of the current instant; false (and the engine stops taking events)
    /// once the instant reached [`EngineConfig::max_events_per_instant`].
    fn note_instant_work(&mut self) -> bool {
        if self.instant_work >= self.config.max_events_per_instant {
            self.instant_bound_hit = true;
            return false;
        }
        self.instant_work += 1;
        true
    }

    /// Processes events up to and including `time_ms`, then moves the clock to `time_ms`.
    /// Returns false if an event bound (`max_events`, the engine's own, or the instant's) was hit
    /// first, even in the middle of an instant; the clock then stays where the bound stopped it.
    /// Time never goes back: a `time_ms` before [`Engine::now_ms`] processes nothing, leaves the
    /// clock where it is and returns true (the events of an instant already open are finished).
    /// `max_events` counts the engine's events in total, from its creation
    /// ([`Engine::events_processed`]), not this call's: a loop of calls passes
    /// `events_processed() + n` to let each process `n` more.
    pub fn advance_to(&mut self, time_ms: SimTimeMs, max_events: u64) -> bool {
        if self.open_instant.is_some() && self.run_instant(usize::MAX, max_events) == StepPart::Bounded {
            return false;
        }
        while self.queue.peek_time().is_some_and(|t| t <= time_ms) {
            if self.run_instant(usize::MAX, max_events) == StepPart::Bounded {
                return false;
            }
        }
        let time_ms = time_ms.min(crate::infra::time::MAX_SIM_TIME_MS);
        if time_ms > self.now_ms {
            self.now_ms = time_ms;
        }
        true
    }

    /// Runs until quiet, until `end_time_ms`, or until `max_events` events have been processed
    /// (or the engine's own bounds stop it); [`StopReason::TimeLimit`] replaces `Quiet` and
    /// `EndTime` once the run reached the end of simulated time. Both bounds are absolute: a
    /// simulated time, and a count of the engine's events in total ([`Engine::events_processed`]),
    /// not of this call's. `Quiet` is [`Engine::is_quiet`]: background events (an INACTIVE
    /// instance's forgetting an hour on, say) may still be pending, and the clock stays where the
    /// last foreground event left it. `Quiet` does not mean every drain completed: a drain that can never
    /// progress (a service at minimumHealthyPercent 100 and maximumPercent 100) leaves nothing
    /// but background retries pending; its service's [`ServiceView::stalls`](crate::ServiceView::stalls)
    /// and the instance's [`InstanceView::drain`](crate::InstanceView::drain) say so.
    pub fn run_until_quiet(&mut self, end_time_ms: SimTimeMs, max_events: u64) -> StopReason {
        if self.open_instant.is_some() && self.run_instant(usize::MAX, max_events) == StepPart::Bounded {
            return self.bound_reached().unwrap_or(StopReason::MaxEvents);
        }
        loop {
            if self.queue.is_quiet() {
                return self.natural_stop(StopReason::Quiet);
            }
            match self.queue.peek_time() {
                None => return self.natural_stop(StopReason::Quiet),
                Some(t) if t > end_time_ms => {
                    self.now_ms = self.now_ms.max(end_time_ms);
                    return self.natural_stop(StopReason::EndTime);
                }
                Some(_) => {}
            }
            if self.run_instant(usize::MAX, max_events) == StepPart::Bounded {
                return self.bound_reached().unwrap_or(StopReason::MaxEvents);
            }
        }
    }

    fn dispatch(&mut self, event: Event) {
        match event.kind {
            EventKind::TaskStageEnds => self.on_task_stage_ends(TaskId(event.id), event.epoch),
            EventKind::TaskBecomesHealthy => self.on_task_healthy(TaskId(event.id), event.epoch),
            EventKind::TaskFailsHealthChecks => self.on_task_fails_health_checks(TaskId(event.id), event.epoch),
            EventKind::SchedulerPass | EventKind::SchedulerRetry => self.on_scheduler_event(ServiceId(event.id), event.kind),
            EventKind::AgentUpdateStage => self.on_agent_update_stage(InstanceId(event.id), event.epoch),
            EventKind::InstanceForgotten => self.on_instance_forgotten(InstanceId(event.id)),
            EventKind::TrunkAttachmentStage => self.on_trunk_stage(InstanceId(event.id)),
            EventKind::TrunkAttachmentAcknowledged => self.on_trunk_acknowledged(InstanceId(event.id)),
            EventKind::TrunkDetachStage => self.on_trunk_detach_stage(InstanceId(event.id)),
            EventKind::Fault => self.on_fault(event.id),
            EventKind::AgentFlapDisconnect => self.on_agent_flap(InstanceId(event.id), false),
            EventKind::AgentFlapReconnect => self.on_agent_flap(InstanceId(event.id), true),
            EventKind::SpotTermination => self.on_spot_termination(InstanceId(event.id)),
            EventKind::SpotInterruptionDraw => self.on_spot_draw(),
            EventKind::SpotInterruptionNotice => self.on_drawn_spot_notice(InstanceId(event.id)),
            EventKind::SpotSignalMoment => self.on_spot_moment(InstanceId(event.id)),
        }
    }

    /// Schedules an event `delay_ms` from now. One that would land after `MAX_SIM_TIME_MS` is not
    /// scheduled (it would never fire, and clamping it to the limit would make an instant that
    /// never ends: a retry rescheduled at the same time forever); the run then ends with
    /// [`StopReason::TimeLimit`].
    pub(crate) fn schedule(&mut self, delay_ms: SimTimeMs, kind: EventKind, id: u32, epoch: u16) {
        match self.now_ms.checked_add(delay_ms) {
            Some(at) if at <= crate::infra::time::MAX_SIM_TIME_MS => {
                self.queue.push(at, kind, id, epoch);
            }
            _ => self.time_limit_reached = true,
        }
    }

    // ----- requests -----

    /// Applies one request as the default caller.
    pub fn handle(&mut self, request: crate::api::Request) -> Result<crate::api::Response, EcsError> {
        let caller = self.default_caller_arn().to_string();
        self.handle_as(&caller, request)
    }

    /// Applies one request as `caller_arn` (an IAM user, role or root of the account).
    pub fn handle_as(&mut self, caller_arn: &str, request: crate::api::Request) -> Result<crate::api::Response, EcsError> {
        self.serve(caller_arn, Cow::Owned(request), |e, reply| e.render_reply(reply))
    }

    /// [`Engine::submit_as`] with the default caller.
    pub fn submit(&mut self, request: crate::api::Request) -> Result<Receipt, EcsError> {
        let caller = self.default_caller_arn().to_string();
        self.submit_as(&caller, request)
    }

    /// Applies a request exactly as [`Engine::handle_as`] does (the same state changes, records
    /// and errors) but renders no response: the [`Receipt`] names what the call made or changed
    /// and carries its failures. For callers that do not read responses (a scenario's setup, a
    /// sweep's plan steps) it saves building them.
    pub fn submit_as(&mut self, caller_arn: &str, request: crate::api::Request) -> Result<Receipt, EcsError> {
        self.serve(caller_arn, Cow::Owned(request), |_, reply| reply.into_receipt())
    }

    /// [`Engine::submit_as`] for a request the caller keeps: a caller that makes the same
    /// request in many runs (a sweep registering a scenario's instances in every seed) builds it
    /// once. RegisterContainerInstance, RegisterTaskDefinition and CreateService are read where
    /// they are; any other request is copied first.
    pub fn submit_ref_as(&mut self, caller_arn: &str, request: &crate::api::Request) -> Result<Receipt, EcsError> {
        self.serve(caller_arn, Cow::Borrowed(request), |_, reply| reply.into_receipt())
    }

    /// [`Engine::submit_as`], with `read` called on the engine as the call left it — the moment
    /// [`Engine::handle_as`] renders its response, before anything reacts to the call — and on
    /// the receipt. A caller that wants a few fields of the response (a summary line: an
    /// instance's name, status and version) reads them there through the views instead of having
    /// the whole response built.
    pub fn submit_as_with<T>(
        &mut self,
        caller_arn: &str,
        request: crate::api::Request,
        read: impl FnOnce(&Engine, &Receipt) -> T,
    ) -> Result<(Receipt, T), EcsError> {
        self.serve(caller_arn, Cow::Owned(request), |e, reply| {
            let receipt = reply.into_receipt();
            let seen = read(e, &receipt);
            (receipt, seen)
        })
    }

    /// One request: the operation, its answer made by `answer` (the response rendered, or the
    /// receipt) before anything reacts to it, then the triggers, the scheduler's deferred passes
    /// and the instant's end.
    fn serve<T>(
        &mut self,
        caller_arn: &str,
        request: Cow<'_, crate::api::Request>,
        answer: impl FnOnce(&Engine, Reply) -> T,
    ) -> Result<T, EcsError> {
        use crate::api::Request as R;
        self.act_from_outside("after request", |e| {
            let reply = match request {
                // Read where they are (`submit_ref_as`).
                Cow::Borrowed(R::RegisterContainerInstance(r)) => e.register_container_instance(caller_arn, r),
                Cow::Borrowed(R::RegisterTaskDefinition(r)) => e.register_task_definition(r),
                Cow::Borrowed(R::CreateService(r)) => e.create_service(r),
                other => e.dispatch_owned(caller_arn, other.into_owned()),
            };
            // The answer shows the state the call left, before anything reacts to it.
            reply.map(|reply| answer(e, reply))
        })
    }

    /// A change from outside the engine's own events (a request, EC2 terminating an instance):
    /// `change` runs after the instant `step_part` left open, never inside it; then the triggers,
    /// the scheduler's deferred passes and the instant's end, as after any request.
    pub(crate) fn act_from_outside<T>(&mut self, when: &str, change: impl FnOnce(&mut Engine) -> T) -> T {
        self.finish_open_instant();
        let result = change(self);
        // The state's triggers first (a rejected request pushed none: it changed nothing).
        self.react();
        // The scheduler reacts to a request asynchronously: its passes run as events at this same
        // simulated time, after every request made at this time (a drain plan's ten-instance waves
        // all land before the first replacement is placed).
        self.defer_due_passes();
        // A request's effects are observed like an instant's events.
        self.end_instant();
        // Under a script of choices, a fault may be injected after a request too (engine/faults.rs).
        self.inject_scripted_fault();
        self.check_invariants_here(when);
        result
    }

    /// The operation of a request the engine owns.
    fn dispatch_owned(&mut self, caller_arn: &str, request: crate::api::Request) -> Result<Reply, EcsError> {
        use crate::api::Request as R;
        match request {
            R::CreateCluster(r) => self.create_cluster(&r.cluster_name).map(Reply::Rendered),
            R::RegisterContainerInstance(r) => self.register_container_instance(caller_arn, &r),
            R::DeregisterContainerInstance(r) => self.deregister_container_instance(r),
            R::DescribeContainerInstances(r) => self.describe_container_instances(r),
            R::ListContainerInstances(r) => self.list_container_instances(r).map(Reply::Rendered),
            R::UpdateContainerInstancesState(r) => self.update_container_instances_state(r),
            R::UpdateContainerAgent(r) => self.update_container_agent(r),
            R::PutAccountSetting(r) => self.put_account_setting(caller_arn, r).map(Reply::Rendered),
            R::PutAccountSettingDefault(r) => self.put_account_setting_default(r).map(Reply::Rendered),
            R::DeleteAccountSetting(r) => self.delete_account_setting(caller_arn, r).map(Reply::Rendered),
            R::ListAccountSettings(r) => self.list_account_settings(caller_arn, r).map(Reply::Rendered),
            R::SubmitAttachmentStateChanges(r) => self.submit_attachment_state_changes(r).map(Reply::Rendered),
            R::CreateService(r) => self.create_service(&r),
            R::UpdateService(r) => self.update_service(r),
            R::DeleteService(r) => self.delete_service(r),
            R::DescribeServices(r) => self.describe_services(r).map(Reply::Rendered),
            R::RegisterTaskDefinition(r) => self.register_task_definition(&r),
            R::RunTask(r) => self.run_task(r),
            R::StartTask(r) => self.start_task(r),
            R::StopTask(r) => self.stop_task(r),
            R::ListTasks(r) => self.list_tasks(r).map(Reply::Rendered),
            R::DescribeTasks(r) => self.describe_tasks(r).map(Reply::Rendered),
        }
    }

    // ----- clusters -----

    /// Creates a cluster (idempotent, as in ECS).
    pub fn create_cluster(&mut self, name: &str) -> Result<crate::api::Response, EcsError> {
        self.finish_open_instant();
        if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(EcsError::invalid_parameter(
                "Cluster name must be 1-255 letters (uppercase and lowercase), numbers, hyphens, and underscores.",
            ));
        }
        let id = self.ensure_cluster(name);
        Ok(crate::api::Response::Cluster { cluster: self.render_cluster(id) })
    }

    pub(crate) fn ensure_cluster(&mut self, name: &str) -> ClusterId {
        if let Some(id) = self.clusters.by_name(name) {
            return id;
        }
        let sym = self.strings.intern(name);
        self.clusters.push(sym, name)
    }

    /// Resolves the `cluster` member: absent means `default`; a short name or a full ARN.
    pub(crate) fn resolve_cluster(&self, cluster: Option<&str>) -> Result<ClusterId, EcsError> {
        let name = match cluster {
            None => "default",
            Some(s) => match self.referenced(s, "cluster") {
                Some(r) if r.cluster.is_none() => r.name,
                _ => return Err(EcsError::cluster_not_found()),
            },
        };
        self.clusters.by_name(name).ok_or_else(EcsError::cluster_not_found)
    }

    pub(crate) fn cluster_name(&self, id: ClusterId) -> &str {
        self.strings.resolve(self.clusters[id.index()].name)
    }

    pub(crate) fn cluster_arn(&self, id: ClusterId) -> String {
        self.arn("cluster", None, self.cluster_name(id))
    }

    /// What a reference to a resource of `kind` names, as requests take it: a name or ID as it is,
    /// and for an ARN the part after `KIND/` (`[CLUSTER/]NAME`), and whether the reference was an
    /// ARN. `None` for an ARN of another partition, service, Region, account or kind: it names
    /// nothing here, though a resource of its name or ID may exist (a dogfooding helper's
    /// `UpdateService` of another cluster's service ARN scaled this cluster's service of the name).
    pub(crate) fn referenced<'r>(&self, reference: &'r str, kind: &str) -> Option<Referenced<'r>> {
        if !reference.starts_with("arn:") {
            return Some(Referenced { cluster: None, name: reference, arn: false });
        }
        let rest = reference
            .strip_prefix("arn:aws:ecs:")?
            .strip_prefix(self.config.region.as_str())?
            .strip_prefix(':')?
            .strip_prefix(self.config.account_id.as_str())?
            .strip_prefix(':')?
            .strip_prefix(kind)?
            .strip_prefix('/')?;
        Some(match rest.split_once('/') {
            Some((cluster, name)) => Referenced { cluster: Some(cluster), name, arn: true },
            None => Referenced { cluster: None, name: rest, arn: true },
        })
    }

    /// An ECS resource ARN of this engine's Region and account:
    /// `arn:aws:ecs:REGION:ACCOUNT:KIND/[CLUSTER/]NAME` (the cluster part in the long ARN format of
    /// tasks and container instances), written into one string of the right size.
    pub(crate) fn arn(&self, kind: &str, cluster: Option<&str>, name: &str) -> String {
        let (region, account) = (self.config.region.as_str(), self.config.account_id.as_str());
        let cluster_len = cluster.map_or(0, |c| c.len() + 1);
        let mut arn = String::with_capacity(15 + region.len() + account.len() + kind.len() + cluster_len + name.len());
        for part in ["arn:aws:ecs:", region, ":", account, ":", kind, "/"] {
            arn.push_str(part);
        }
        if let Some(c) = cluster {
            arn.push_str(c);
            arn.push('/');
        }
        arn.push_str(name);
        arn
    }

    pub(crate) fn render_cluster(&self, id: ClusterId) -> crate::api::Cluster {
        let c = &self.clusters[id.index()];
        crate::api::Cluster {
            cluster_arn: self.cluster_arn(id),
            cluster_name: self.cluster_name(id).to_string(),
            status: "ACTIVE".into(),
            registered_container_instances_count: c
                .instances
                .iter()
                .filter(|i| self.instances[i.index()].status != crate::rules::lifecycle::InstanceStatus::Inactive)
                .count() as u32,
        }
    }

    // ----- trace -----

    pub(crate) fn record(&mut self, subject: Subject, change: Change, reason: &'static str) {
        let rec = TraceRecord { time_ms: self.now_ms, subject, change, reason };
        if self.trace.digests() {
            let (subject_key, payload_key) = self.record_keys(subject, change);
            self.trace.append(rec, subject_key, payload_key);
        } else {
            self.trace.append_undigested(rec);
        }
        // Every change of an instance, of a task on it or of an attachment to it is recorded
        // here, so this is where the DAEMON services of its cluster learn to visit it again
        // (`scheduler.rs::daemon_pass`).
        if !self.clusters.any_daemon_service() {
            return;
        }
        let changed_instance = match subject {
            Subject::Instance(i) => Some(i),
            Subject::Task(t) => Some(self.tasks[t.index()].instance),
            Subject::Attachment(a) => Some(self.attachments[a.index()].instance),
            Subject::Service(_) | Subject::Principal(_) => None,
        };
        if let Some(i) = changed_instance {
            self.note_instance_changed(i);
        }
    }

    /// What a record adds to the trace's digest besides itself: its subject's seed-derived
    /// identifier and the canonical encoding of the change's strings.
    fn record_keys(&self, subject: Subject, change: Change) -> (u128, u64) {
        let subject_key = match subject {
            Subject::Instance(i) => self.instance_uuid(i),
            Subject::Task(t) => self.task_uuid(t),
            Subject::Service(s) => self.services[s.index()].uuid,
            Subject::Attachment(a) => self.attachments.uuid(a),
            Subject::Principal(p) => crate::infra::fnv::fnv1a(self.strings.resolve(p).as_bytes()) as u128,
        };
        let payload_key = match change {
            Change::TaskStatus { from: None, .. } => match subject {
                // Where a task was placed is part of the trace.
                Subject::Task(t) => self.instance_uuid(self.tasks[t.index()].instance) as u64,
                _ => 0,
            },
            Change::AgentVersion(s) => crate::infra::fnv::fnv1a(self.strings.resolve(s).as_bytes()),
            Change::SettingPut { value, .. } => crate::infra::fnv::fnv1a(self.strings.resolve(value).as_bytes()),
            _ => 0,
        };
        (subject_key, payload_key)
    }

    /// The text of a string this engine interned: a trace record's principal
    /// ([`Subject::Principal`](crate::Subject::Principal)), agent version
    /// ([`Change::AgentVersion`](crate::Change::AgentVersion)) or setting value. A `Sym` of
    /// another engine reads as another string, or panics past this engine's strings.
    pub fn text(&self, sym: crate::Sym) -> &str {
        self.strings.resolve(sym)
    }

    /// A trace record in words: its subject's name (the scenario's logical name, or its ARN when it
    /// has none), its subject's ARN, and the change (a service event as ECS's message).
    ///
    /// # Panics
    ///
    /// For a record of another engine whose subject (instance, task, service, attachment or
    /// principal), service event or interned value this engine never had (records name them by
    /// this engine's ids and symbols, as [`Engine::instance`] takes them). A record of another
    /// engine whose subject this one also has reads as this engine's.
    pub fn describe_record(&self, record: &TraceRecord) -> RecordText {
        let known = match record.subject {
            Subject::Instance(i) => self.get_instance(i).is_some(),
            Subject::Task(t) => self.get_task(t).is_some(),
            Subject::Service(s) => self.get_service(s).is_some_and(|v| match record.change {
                Change::ServiceEvent(n) => (n as usize) < v.events_total(),
                _ => true,
            }),
            Subject::Attachment(a) => a.index() < self.attachments.len(),
            Subject::Principal(p) => self.strings.has(p),
        } && match record.change {
            Change::AgentVersion(v) => self.strings.has(v),
            Change::SettingPut { name, value } => {
                self.strings.has(value) && crate::rules::settings::SettingName::ALL.get(name as usize).is_some()
            }
            Change::SettingDeleted { name } => crate::rules::settings::SettingName::ALL.get(name as usize).is_some(),
            _ => true,
        };
        assert!(
            known,
            "a record of another engine: its subject, service event, setting or interned value is not one of this engine's"
        );
        let subject_arn = self.subject_arn(record.subject);
        let subject = self.subject_name(record.subject).unwrap_or_else(|| subject_arn.clone());
        let container_instance = match record.subject {
            Subject::Task(t) => {
                Some(self.strings.resolve(self.instances[self.tasks[t.index()].instance.index()].name).to_string())
            }
            _ => None,
        };
        let change = match (record.change, record.subject, &container_instance) {
            (Change::ServiceEvent(n), Subject::Service(s), _) => format!("event: {}", self.service_event_message(s, n as usize)),
            (Change::TaskStatus { from: None, to }, Subject::Task(_), Some(on)) => {
                format!("placed on {on}, lastStatus {}", to.as_str())
            }
            _ => self.describe_change(&record.change),
        };
        RecordText { subject, subject_arn, change, container_instance }
    }

    /// Renders the subject of a record as its ARN (or principal ARN).
    pub(crate) fn subject_arn(&self, subject: Subject) -> String {
        match subject {
            Subject::Instance(i) => self.instance_arn(i),
            Subject::Task(t) => self.task_arn(t),
            Subject::Service(s) => self.service_arn(s),
            Subject::Attachment(a) => self.attachment_arn(a),
            Subject::Principal(p) => self.strings.resolve(p).to_string(),
        }
    }

    /// The scenario's logical name of a record's subject, when it has one.
    pub(crate) fn subject_name(&self, subject: Subject) -> Option<String> {
        match subject {
            Subject::Instance(i) => Some(self.strings.resolve(self.instances[i.index()].name).to_string()),
            Subject::Service(s) => Some(self.strings.resolve(self.services[s.index()].name).to_string()),
            Subject::Task(t) => {
                let owner = self.task_origin(t).service.map(|s| self.strings.resolve(self.services[s.index()].name).to_string());
                let id = self.task_short_id(t);
                Some(format!("{}:task/{}", owner.unwrap_or_else(|| "standalone".into()), &id[..8]))
            }
            Subject::Attachment(a) => {
                let att = &self.attachments[a.index()];
                Some(format!("{}:{}", self.strings.resolve(self.instances[att.instance.index()].name), att.kind.as_str()))
            }
            Subject::Principal(_) => None,
        }
    }

    /// A human-readable description of a change.
    pub(crate) fn describe_change(&self, change: &Change) -> String {
        match *change {
            Change::InstanceStatus { from, to } => match from {
                Some(f) => format!("status {} -> {}", f.as_str(), to.as_str()),
                None => format!("registered, status {}", to.as_str()),
            },
            Change::AgentConnected(c) => format!("agentConnected {c}"),
            Change::AgentUpdate(s) => format!("agentUpdateStatus {}", s.as_str()),
            Change::AgentVersion(v) => format!("agentVersion {}", self.strings.resolve(v)),
            Change::AttachmentStatus { from, to } => match from {
                Some(f) => format!("attachment {} -> {}", f.as_str(), to.as_str()),
                None => format!("attachment created, {}", to.as_str()),
            },
            Change::TaskStatus { from, to } => match from {
                Some(f) => format!("lastStatus {} -> {}", f.as_str(), to.as_str()),
                None => format!("placed, lastStatus {}", to.as_str()),
            },
            Change::TaskDesiredStopped => "desiredStatus STOPPED".into(),
            Change::TaskHealthy { health_status: true } => "healthStatus HEALTHY".into(),
            Change::TaskHealthy { health_status: false } => "counts healthy; healthStatus UNKNOWN".into(),
            Change::TaskUnhealthy { health_status: true } => "healthStatus UNHEALTHY".into(),
            Change::TaskUnhealthy { health_status: false } => "failed its target health check; healthStatus UNKNOWN".into(),
            Change::TaskOrphaned => "orphaned (no longer accounted)".into(),
            Change::SpotInterruptionNotice => "Spot Instance interruption notice".into(),
            Change::SpotRebalanceRecommendation => "Spot Instance rebalance recommendation".into(),
            Change::HealthChecksFailing(true) => "health checks of its tasks fail".into(),
            Change::HealthChecksFailing(false) => "health checks of its tasks pass again".into(),
            Change::TaskAgentWaits(c) => format!("agent holds it in PENDING ({})", c.as_str()),
            Change::TaskAgentStarts => "agent starts it".into(),
            Change::ServiceCreated => "service created".into(),
            Change::ServiceDesiredCount(n) => format!("desiredCount {n}"),
            Change::ServiceUpdated(fields) => format!("updated {}", fields.names().join(", ")),
            Change::ServiceDeleted => "service deleted".into(),
            Change::ServiceInactive => "status INACTIVE".into(),
            Change::ServiceEvent(_) => "service event".into(),
            Change::SettingPut { name, value } => {
                format!(
                    "setting {} = {}",
                    crate::rules::settings::SettingName::ALL[name as usize].as_str(),
                    self.strings.resolve(value)
                )
            }
            Change::SettingDeleted { name } => {
                format!("setting {} deleted", crate::rules::settings::SettingName::ALL[name as usize].as_str())
            }
        }
    }

    /// Checks the invariants as the configuration asks: panics on a violation
    /// ([`EngineConfig::check_invariants_every_event`]), or keeps the first one
    /// ([`EngineConfig::note_invariant_violations`]).
    #[inline]
    fn check_invariants_here(&mut self, when: &str) {
        // Off in release runs: one test of two flags per event.
        if self.config.check_invariants_every_event || self.config.note_invariant_violations {
            self.check_invariants_now(when);
        }
    }

    /// [`Self::check_invariants_here`] when the configuration asks for a check.
    #[cold]
    fn check_invariants_now(&mut self, when: &str) {
        if self.config.check_invariants_every_event {
            self.assert_invariants(when);
        } else if self.first_invariant_violation.is_none() {
            if let Err(v) = crate::engine::invariants::check_invariants(self) {
                self.first_invariant_violation = Some((self.now_ms, v));
            }
        }
    }

    /// The first invariant violation found and its time (simulated ms), when the engine notes
    /// them ([`EngineConfig::note_invariant_violations`]).
    pub fn first_invariant_violation(&self) -> Option<(SimTimeMs, &crate::engine::invariants::InvariantViolation)> {
        self.first_invariant_violation.as_ref().map(|(at, v)| (*at, v))
    }

    /// Panics with the violated invariant (tests and debug builds).
    pub(crate) fn assert_invariants(&self, when: &str) {
        if let Err(v) = crate::engine::invariants::check_invariants(self) {
            panic!("invariant violated {when} at {} ms: {v}", self.now_ms);
        }
    }

    /// A digest of the observable state (used to show that a rejected request changed nothing).
    pub fn state_digest(&self) -> u64 {
        let mut h = crate::infra::fnv::FNV_OFFSET;
        let mut eat = |x: u64| h = crate::infra::fnv::fnv1a_extend(h, &x.to_le_bytes());
        eat(self.now_ms);
        eat(self.trace.digest().unwrap_or(0));
        eat(self.trace.len());
        eat(self.queue.len() as u64);
        eat(self.clusters.len() as u64);
        eat(self.instances.len() as u64);
        eat(self.tasks.len() as u64);
        eat(self.services.len() as u64);
        eat(self.task_defs.len() as u64);
        for i in self.instances.iter() {
            eat(i.version);
            eat(i.status as u64);
            eat(i.remaining.cpu as u64);
            eat(i.remaining.memory as u64);
        }
        for s in self.services.iter() {
            eat(s.desired_count as u64);
            eat(s.events.len() as u64);
            // What UpdateService may change besides the desired count.
            eat(u64::from(s.minimum_healthy_percent) << 32 | u64::from(s.maximum_percent));
            eat(u64::from(s.az_rebalancing()));
            eat(s.health_check_grace_seconds.map_or(u64::MAX, |g| g as u64));
            for p in &s.strategy_specs {
                eat(crate::infra::fnv::fnv1a(p.strategy_type.as_bytes()));
                eat(p.field.as_deref().map_or(0, |f| crate::infra::fnv::fnv1a(f.as_bytes())));
            }
            eat(s.strategy_specs.len() as u64);
            for c in &s.constraint_specs {
                eat(crate::infra::fnv::fnv1a(c.constraint_type.as_bytes()));
                eat(c.expression.as_deref().map_or(0, |x| crate::infra::fnv::fnv1a(x.as_bytes())));
            }
            eat(s.constraint_specs.len() as u64);
        }
        h
    }
}

/// A reference a request gives to a service, task or container instance ([`Engine::referenced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Referenced<'r> {
    /// The cluster an ARN in the long format names.
    pub cluster: Option<&'r str>,
    /// The name or ID.
    pub name: &'r str,
    /// Whether the reference was an ARN.
    pub arn: bool,
}

impl Referenced<'_> {
    /// Whether the reference can name a resource of cluster `cluster` whose ARN is in the long
    /// format (with the cluster) or not: a name or ID always; an ARN in its own format, of its
    /// own cluster.
    pub(crate) fn fits(&self, cluster: &str, long_arn: bool) -> bool {
        !self.arn || self.cluster.map_or(!long_arn, |c| long_arn && c == cluster)
    }
}
