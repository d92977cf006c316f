//! `drainsim explore` ([docs/explore.md](../../../../docs/explore.md)): breadth-first, exhaustive
//! exploration of what can happen in a small scenario, on the real engine.
//!
//! The engine runs under a *script of choices* (`Engine::script_choices`): every draw it would
//! make from a seeded stream — a task failing to start, a trunk ENI failing, a jittered duration, a
//! `random` placement — and, at the end of every instant, the injection of a fault (a task exit,
//! an agent disconnect, a drain or activate request) becomes a choice among a few outcomes. One
//! *transition* is what the runner would do next — the next instant of events, or the scenario's
//! next step when its time comes first, with the moves before it that changed nothing (retries
//! that found nothing to do) folded in — and the explorer enumerates every combination of the
//! choices it meets (an odometer over the choice points, re-running the transition from a clone of
//! the state for each). States are merged by `Engine::canonical_digest` (plus the next step and its
//! distance), so each is expanded once.
//!
//! The search is level by level: a level's states are expanded in parallel (rayon) and merged in
//! the level's order, so what it finds does not depend on the number of threads. The *always*
//! properties ([`properties`]) are checked on every state reached, the *eventually* property on
//! every terminal one (quiet, past its steps); the first violation in level order is on a shortest
//! path. Its choices, concatenated, are the `explore.choices` of the counterexample scenario
//! ([`counterexample_scenario`]), which `drainsim run` replays through the same choice points.
//!
//! Inside the folder, references go one way: `mod` → `properties`, `graph`.

pub mod graph;
pub mod properties;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use drainsim_core::{ChoiceTaken, Engine};
use rayon::prelude::*;

use crate::autoscaling::AutoScaling;
use crate::driver::Driver;
use crate::format::{Action, ExploreFault, ExploreSpec, Scenario, MAX_EXPLORE_FAULTS};
use crate::load::{LoadedScenario, ScenarioError};
use crate::setup::{prepare, ResultText, RunOptions, DEFAULT_MAX_EVENTS};
use crate::step::{run_step, StepResults};
use properties::Finding;

/// The default bound on the depth (transitions from the start).
pub const DEFAULT_MAX_DEPTH: u32 = 5_000;
/// The largest `--depth`.
pub const MAX_DEPTH: u32 = 100_000;
/// The default bound on distinct states.
pub const DEFAULT_MAX_STATES: u64 = 200_000;
/// The largest `--max-states` (each state on the frontier holds an engine: tens of KiB for the
/// small clusters explore is for).
pub const MAX_STATES: u64 = 1_000_000;
/// The most moves that change nothing one transition folds in before the move that does.
pub const MAX_FOLDED_MOVES: u32 = 1_000_000;
/// The most outcomes one transition may have (a product of its choice points' arities).
pub const MAX_OUTCOMES_PER_TRANSITION: usize = 65_536;
/// The most outcomes (each an engine) the states expanded together may hold before they are
/// merged. Fewer states are expanded together when each has many outcomes; states whose outcomes
/// pass it together are expanded again one at a time, so at most this many, plus one state's
/// (at most [`MAX_OUTCOMES_PER_TRANSITION`]), are held at once.
pub const MAX_OUTCOMES_IN_FLIGHT: usize = 65_536;
/// The default `--max-memory` (MiB): the most the engines the search holds at once may take, by
/// [`estimated_state_bytes`].
pub const DEFAULT_MAX_MEMORY_MIB: u64 = 4_096;
/// The smallest `--max-memory` (MiB): the process itself takes about 10 MiB.
pub const MIN_MAX_MEMORY_MIB: u64 = 64;
/// The largest `--max-memory` (MiB): 1 TiB.
pub const MAX_MAX_MEMORY_MIB: u64 = 1 << 20;

/// What an engine held by the search takes, estimated from what it holds: a fixed part, and a part
/// per container instance, task, service and pending event. The figures are measured clones (an
/// engine of 2,000 instances and 4,000 `awsvpc` tasks takes 0.96 MB, one of 3 instances and 4 tasks
/// 10 KB), rounded up so the estimate is never below what a clone allocates and at most twice it
/// (`tests/explore_memory.rs` checks it with a counting allocator). The search sizes its work by
/// it, and without a probe of the process's own size ([`ExploreOptions::resident_bytes`]) it is
/// all `--max-memory` counts. It leaves out what a scenario rarely has much of (task definitions,
/// clusters, long attribute names and values), the allocator's overhead, and what is kept of every
/// distinct state (a few dozen bytes each).
pub fn estimated_state_bytes(e: &Engine) -> u64 {
    const FIXED: u64 = 12 * 1024;
    const PER_INSTANCE: u64 = 256;
    const PER_TASK: u64 = 160;
    const PER_SERVICE: u64 = 1024;
    const PER_PENDING_EVENT: u64 = 64;
    let count = |n: usize| n as u64;
    FIXED
        + PER_INSTANCE * count(e.instances().count())
        + PER_TASK * count(e.tasks().count())
        + PER_SERVICE * count(e.services().count())
        + PER_PENDING_EVENT * count(e.events_pending())
}

/// How to explore.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// Most transitions from the start.
    pub max_depth: u32,
    /// Most distinct states.
    pub max_states: u64,
    /// Replaces the scenario's `explore.faults`.
    pub faults: Option<Vec<ExploreFault>>,
    /// Replaces the scenario's `explore.maxFaults`.
    pub max_faults: Option<u32>,
    /// Keep the state graph (for `--dot`; at most [`graph::MAX_GRAPH_STATES`] states).
    pub keep_graph: bool,
    /// Most MiB the engines held at once may take, by [`estimated_state_bytes`]: the frontier,
    /// the next level as far as it is merged, and the outcomes of the states being expanded.
    pub max_memory_mib: u64,
    /// Reads what the process holds, in bytes (the command line reads its resident size), when it
    /// can. The estimate leaves out what a scenario rarely has much of (task definitions,
    /// clusters, long attribute values) and the allocator's own overhead; with a probe, the search
    /// also stops at the bound once the probe passes it. It is called after every outcome, so it
    /// should be cheap (the command line's reads the system at most once a millisecond).
    pub resident_bytes: Option<fn() -> Option<u64>>,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions {
            max_depth: DEFAULT_MAX_DEPTH,
            max_states: DEFAULT_MAX_STATES,
            faults: None,
            max_faults: None,
            keep_graph: false,
            max_memory_mib: DEFAULT_MAX_MEMORY_MIB,
            resident_bytes: None,
        }
    }
}

/// Why an exploration stopped before it was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Some state at the depth bound still had successors.
    Depth,
    /// The bound on distinct states was reached.
    States,
    /// The caller stopped it (its time bound, or Ctrl-C).
    Stopped,
    /// The engines held at once would pass `max_memory_mib` (a cluster too big to explore, or a
    /// level too wide).
    Memory,
}

impl Bound {
    /// The bound's name in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Depth => "depth",
            Bound::States => "maxStates",
            Bound::Stopped => "stopped",
            Bound::Memory => "maxMemory",
        }
    }
}

/// A property's verdict over the explored graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyVerdict {
    /// The property (one of [`properties::ALL`]).
    pub name: &'static str,
    /// Safety or liveness.
    pub kind: properties::Kind,
    /// States it was checked at (every state reached for an *always* property, every terminal
    /// state for the *eventually* one).
    pub checked: u64,
    /// Whether the exploration's violation is of this property.
    pub violated: bool,
}

/// A violation on a shortest path.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// What broke.
    pub finding: Finding,
    /// Transitions from the start.
    pub depth: u32,
    /// Simulated time of the violation: the violating state's, or for a property of the run's end
    /// (every drain completes), when the run ends (at `endTimeMs` when its next event lies past
    /// it), as the counterexample's replay ends.
    pub at_ms: u64,
    /// The path's choices, in the order the choice points came.
    pub choices: Vec<u32>,
    /// The choice points of the path (kind and arity with the outcome taken), for the text output.
    pub choice_points: Vec<ChoiceTaken>,
}

/// What an exploration found.
#[derive(Debug, Clone)]
pub struct ExploreReport {
    /// States reached, counting each time a transition reached one (before merging).
    pub states_visited: u64,
    /// Distinct states (by canonical digest).
    pub distinct_states: u64,
    /// The deepest level reached.
    pub depth_reached: u32,
    /// Distinct terminal states (quiet, past every step).
    pub terminal_states: u64,
    /// Engine events processed by all the transitions.
    pub engine_events: u64,
    /// Distinct paths from the start to a terminal state (saturating), when the graph was explored
    /// completely and has no cycle: what "holds on all N paths" counts.
    pub paths: Option<u64>,
    /// Each property's verdict.
    pub properties: Vec<PropertyVerdict>,
    /// The first violation in breadth-first order, if any.
    pub violation: Option<Violation>,
    /// Set when a bound stopped the search before it was complete (and found no violation).
    pub bound: Option<Bound>,
    /// The explored graph, when asked for and small enough.
    pub graph: Option<graph::StateGraph>,
    /// The settings explored (the scenario's, with the options' overrides).
    pub spec: ExploreSpec,
    /// The largest [`estimated_state_bytes`] of a state reached (the start's when none was).
    pub largest_state_bytes: u64,
    /// Whether states were merged only when alike in the time left until `endTimeMs` too: a first
    /// search, which merges states alike but for the clock, found a state that a later arrival
    /// could leave cut by `endTimeMs` with a drain incomplete ([`explore`]).
    pub time_left_kept: bool,
    /// Terminal states (each time one was reached, as the *eventually* property counts them) at
    /// which a DRAINING instance's drain had not completed and the property makes no claim of it,
    /// by instance and why ([`properties::unjudged_drains`]): what "every property holds" does not
    /// speak for.
    pub unjudged_drains: std::collections::BTreeMap<(String, properties::NoClaim), u64>,
}

/// One state on the frontier.
struct Node {
    engine: Engine,
    next_step: usize,
    index: u32,
}

/// What is kept of every distinct state: how it was reached (its path is rebuilt from the parents),
/// and what the liveness check over cycles needs.
struct Meta {
    parent: Option<u32>,
    taken: Vec<ChoiceTaken>,
    depth: u32,
    terminal: bool,
    at_ms: u64,
    /// A DRAINING instance whose drain has not completed though it has room (its name).
    stuck_drain: Option<String>,
    /// Whether the state is past every step with such a drain: a copy of it reached later (merged
    /// into this one: the digest leaves the clock out) whose transitions run past `endTimeMs`
    /// ends there with the drain incomplete ([`cut_by_a_later_arrival`]).
    open_drain_past_steps: bool,
}

/// The choices of the path to a state: its parents' transitions in order, then its own.
fn path_to(metas: &[Meta], mut index: Option<u32>) -> Vec<ChoiceTaken> {
    let mut parts = Vec::new();
    while let Some(i) = index {
        let m = &metas[i as usize];
        parts.push(&m.taken);
        index = m.parent;
    }
    parts.into_iter().rev().flatten().copied().collect()
}

/// One outcome of a transition.
struct Outcome {
    engine: Engine,
    next_step: usize,
    taken: Vec<ChoiceTaken>,
    /// Its [`estimated_state_bytes`].
    bytes: u64,
}

/// A state reached by a transition, before it is checked and merged.
struct Reached {
    parent: Option<u32>,
    outcome: Outcome,
}

/// The explored scenario, checked, with what every transition needs.
struct Explored {
    loaded: LoadedScenario,
    end_time_ms: u64,
    max_events: u64,
    /// Whether states are merged only when alike in the time left until `endTimeMs` too (the
    /// second search of [`explore`]).
    keep_time_left: bool,
}

/// Checks that a scenario can be explored and returns it with its `explore:` settings (the options'
/// overrides applied, pinned choices cleared).
fn explorable(loaded: &LoadedScenario, opts: &ExploreOptions) -> Result<(LoadedScenario, ExploreSpec), ScenarioError> {
    let s = &loaded.scenario;
    let refuse = |needle: &str, message: String| Err(loaded.error_at(needle, message));
    let refuse_flag = |flag: String, message: String| Err(ScenarioError::flag(&flag, message));
    if opts.max_depth == 0 || opts.max_depth > MAX_DEPTH {
        return refuse_flag(format!("--depth {}", opts.max_depth), format!("explore takes 1 to {MAX_DEPTH} transitions"));
    }
    if opts.max_states == 0 || opts.max_states > MAX_STATES {
        return refuse_flag(
            format!("--max-states {}", opts.max_states),
            format!("explore keeps 1 to {MAX_STATES} distinct states"),
        );
    }
    if !(MIN_MAX_MEMORY_MIB..=MAX_MAX_MEMORY_MIB).contains(&opts.max_memory_mib) {
        return refuse_flag(
            format!("--max-memory {}", opts.max_memory_mib),
            format!("explore holds {MIN_MAX_MEMORY_MIB} to {MAX_MAX_MEMORY_MIB} MiB of states"),
        );
    }
    if let Some(message) = crate::format::too_big_to_explore(s) {
        return refuse("instances", message);
    }
    if let Some(g) = s.instances.iter().find(|g| !g.at_time_zero()) {
        // At the group's name: the first `registerAtMs` of the file may be another group's (`0`).
        let (line, column) = crate::load::locate_field_value(&loaded.source, "name", &g.name)
            .or_else(|| crate::load::locate(&loaded.source, "registerAtMs", 0))
            .unwrap_or((1, 1));
        return Err(ScenarioError {
            file: loaded.file.clone(),
            line,
            column,
            message: format!(
                "instance group '{}' registers at {} ms; explore takes instances registered at time 0 only",
                g.name, g.register_at_ms
            ),
        });
    }
    if !s.auto_scaling_groups.is_empty() {
        return refuse("autoScalingGroups", "explore does not take Auto Scaling groups".into());
    }
    if s.faults.as_ref().is_some_and(|f| f.spot_interruption_per_mille_per_hour > 0) {
        return refuse(
            "spotInterruptionPerMillePerHour",
            "explore does not draw Spot interruptions (they come from the seed); spotInterruptionPerMillePerHour must be 0 (a pinned SpotInterruption is explored)".into(),
        );
    }
    if s.faults.as_ref().is_some_and(|f| f.spot_rebalance_recommendation_per_mille_per_hour > 0) {
        return refuse(
            "spotRebalanceRecommendationPerMillePerHour",
            "explore does not draw Spot rebalance recommendations (they come from the seed); spotRebalanceRecommendationPerMillePerHour must be 0".into(),
        );
    }
    if s.faults.as_ref().is_some_and(|f| f.agent_disconnects_per_hour > 0) {
        return refuse(
            "agentDisconnectsPerHour",
            "explore injects agent disconnects itself (explore.faults: [AgentDisconnect]); agentDisconnectsPerHour must be 0"
                .into(),
        );
    }
    for step in &s.steps {
        match &step.action {
            Action::Ecs(_)
            | Action::DrainInstances(_)
            | Action::ActivateInstances(_)
            | Action::DeregisterInstances(_)
            | Action::StopTasksOn(_)
            | Action::Advance
            | Action::Check(_) => {}
            other => {
                return refuse(
                    other.name(),
                    format!(
                        "step {} moves the clock itself; explore takes steps that act at their time (ECS calls, DrainInstances, ActivateInstances, DeregisterInstances, StopTasksOn, Advance, Check)",
                        other.name()
                    ),
                );
            }
        }
    }
    let mut spec = s.explore.clone().unwrap_or(ExploreSpec { faults: vec![], max_faults: 1, jitter_values: 1, choices: vec![] });
    if let Some(f) = &opts.faults {
        spec.faults = f.clone();
    }
    if let Some(m) = opts.max_faults {
        if m > MAX_EXPLORE_FAULTS {
            return refuse_flag(format!("--max-faults {m}"), format!("at most {MAX_EXPLORE_FAULTS} faults per path"));
        }
        spec.max_faults = m;
    }
    spec.faults.sort();
    spec.faults.dedup();
    spec.choices.clear();
    let mut l = loaded.clone();
    l.scenario.explore = Some(spec.clone());
    Ok((l, spec))
}

/// Parses `--faults a,b,c` (the classes' names, case-insensitive, `-` and `_` ignored; `none`
/// for no fault).
pub fn parse_faults(text: &str) -> Result<Vec<ExploreFault>, String> {
    let norm = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    if norm(text) == "none" {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for part in text.split(',') {
        let want = norm(part);
        if want == "none" {
            return Err(format!("'{}': none means no fault class and is given alone, not with others", part.trim()));
        }
        match ExploreFault::ALL.iter().find(|f| norm(f.as_str()) == want) {
            Some(f) => out.push(*f),
            None => {
                let names: Vec<&str> = ExploreFault::ALL.iter().map(|f| f.as_str()).collect();
                return Err(format!("'{}': not a fault class (one of {}, or none)", part.trim(), names.join(", ")));
            }
        }
    }
    Ok(out)
}

impl Explored {
    /// One transition: the scenario's next moves until one changes something. A move that records
    /// nothing, meets no choice point and applies no step (a retry pass that finds nothing to do)
    /// leaves the state as it was but for the clock, so it is folded into the transition instead
    /// of making a state of its own (at most [`MAX_FOLDED_MOVES`] of them).
    fn transition(&self, e: &mut Engine, next_step: usize) -> Result<usize, ScenarioError> {
        let mut folded = 0;
        loop {
            let (records, choices, now, events) = (e.trace().len(), e.choices_taken().len(), e.now_ms(), e.events_processed());
            let next = self.move_once(e, next_step)?;
            let no_op = next == next_step && e.trace().len() == records && e.choices_taken().len() == choices;
            let stuck = e.now_ms() == now && e.events_processed() == events;
            if !no_op || stuck || folded >= MAX_FOLDED_MOVES || self.is_terminal(e, next) {
                return Ok(next);
            }
            folded += 1;
        }
    }

    /// The scenario's next move from a state, as the runner would make it: the next step when no
    /// event comes before its time, else the next instant. Returns the index of the next step.
    fn move_once(&self, e: &mut Engine, next_step: usize) -> Result<usize, ScenarioError> {
        if let Some(step) = self.loaded.scenario.steps.get(next_step) {
            let at = step.at_ms.unwrap_or(e.now_ms());
            if e.next_event_time().is_none_or(|t| t > at) {
                let mut driver =
                    Driver::new(&self.loaded, None, self.end_time_ms, self.max_events, None, AutoScaling::new(&self.loaded));
                driver.advance_to(e, at)?;
                // The explorer judges its own properties; the step's results are not read.
                let results = StepResults { text: ResultText::FailuresOnly, into: &mut Vec::new() };
                run_step(e, &mut driver, &self.loaded, next_step, step, results)?;
                return Ok(next_step + 1);
            }
        }
        e.step();
        Ok(next_step)
    }

    /// Whether a state ends its paths: past every step, and quiet (or its next event is past the
    /// end time, or a bound of the engine is reached), as the runner's run ends.
    fn is_terminal(&self, e: &Engine, next_step: usize) -> bool {
        next_step >= self.loaded.scenario.steps.len()
            && (e.is_quiet() || e.next_event_time().is_none_or(|t| t > self.end_time_ms) || e.bound_reached().is_some())
    }

    /// When the run of a terminal state ends, as its replay (`drainsim run`) ends it: now when
    /// nothing is left to happen or a bound stopped it, else at `endTimeMs` (its next event lies
    /// past it, and nothing changes until then).
    fn run_end_ms(&self, e: &Engine) -> u64 {
        if e.is_quiet() || e.bound_reached().is_some() {
            e.now_ms()
        } else {
            self.end_time_ms.max(e.now_ms())
        }
    }

    /// The digest a state is merged by: the engine's canonical digest, the next step, and how far
    /// away that step's time is; in the second search, how far away `endTimeMs` is too.
    fn digest(&self, e: &Engine, next_step: usize) -> u64 {
        let until_step =
            self.loaded.scenario.steps.get(next_step).and_then(|s| s.at_ms).map_or(0, |t| t.saturating_sub(e.now_ms()));
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(&e.canonical_digest().to_le_bytes());
        bytes.extend_from_slice(&(next_step as u64).to_le_bytes());
        bytes.extend_from_slice(&until_step.to_le_bytes());
        if self.keep_time_left {
            bytes.extend_from_slice(&self.end_time_ms.saturating_sub(e.now_ms()).to_le_bytes());
        }
        drainsim_core::fnv1a(&bytes)
    }
}

/// Why a state's expansion ended before it listed every outcome.
enum Cut {
    /// The scenario cannot be explored (too many outcomes, a refused request).
    Error(ScenarioError),
    /// `stop` said so (the time bound or Ctrl-C).
    Stopped,
    /// A state expanded alone has outcomes that would pass the memory bound, or the process's
    /// size passed it.
    Memory,
    /// The states expanded together passed [`MAX_OUTCOMES_IN_FLIGHT`], or another of them was
    /// cut: expand them again one at a time.
    Crowded,
}

/// What bounds the expansion of the states expanded together.
struct Limits<'a> {
    stop: &'a (dyn Fn() -> bool + Sync),
    /// Outcomes the states expanded together hold so far.
    held: &'a AtomicUsize,
    /// Their [`estimated_state_bytes`] so far.
    held_bytes: &'a AtomicU64,
    /// What they may hold (the memory bound less the frontier and the next level).
    room_bytes: u64,
    /// The memory bound, and what reads the process's own size (see
    /// [`ExploreOptions::resident_bytes`]).
    max_bytes: u64,
    resident_bytes: Option<fn() -> Option<u64>>,
    /// Whether more than one state is expanded together (alone, only its own bound applies).
    shared: bool,
    /// Set when one of them was cut: the others stop too.
    cut: &'a AtomicBool,
}

/// Every outcome of one transition: `run` makes the transition with the given choices pinned,
/// and the odometer moves to the next combination of the choice points it met.
fn outcomes(
    file: &str,
    limits: &Limits,
    mut run: impl FnMut(Vec<u32>) -> Result<(Engine, usize), ScenarioError>,
) -> Result<Vec<Outcome>, Cut> {
    let mut out = Vec::new();
    let mut prefix = Vec::new();
    let cut = |why: Cut| {
        limits.cut.store(true, Ordering::Relaxed);
        Err(why)
    };
    loop {
        if (limits.stop)() {
            return cut(Cut::Stopped);
        }
        if limits.shared && limits.cut.load(Ordering::Relaxed) {
            return Err(Cut::Crowded);
        }
        let (engine, next_step) = match run(prefix) {
            Ok(r) => r,
            Err(e) => return cut(Cut::Error(e)),
        };
        let taken = engine.choices_taken().to_vec();
        let next = taken.iter().rposition(|c| c.chosen + 1 < c.arity);
        let bytes = estimated_state_bytes(&engine);
        out.push(Outcome { engine, next_step, taken: taken.clone(), bytes });
        // The `random` placement choices of a transition's first outcome multiply: when their
        // product is far past the bound, and so is that of the path taking the last outcome at
        // every point (instances of unequal room: the first candidate may take every task, the
        // last one only), the transition is refused at once, where enumerating would refuse it
        // only after seconds and gigabytes (4 tasks placed at random among 150 instances are 490
        // million outcomes).
        let placements = |taken: &[ChoiceTaken]| -> (u64, usize) {
            let points = taken.iter().filter(|c| c.kind == drainsim_core::ChoiceKind::Placement);
            (points.clone().fold(1u64, |n, c| n.saturating_mul(u64::from(c.arity))), points.count())
        };
        let far_past = (MAX_OUTCOMES_PER_TRANSITION as u64).saturating_mul(PLACEMENT_ESTIMATE_MARGIN);
        // Only a transition's first outcome is estimated from (the later ones are enumerated).
        let (first_product, points) = if out.len() == 1 { placements(&taken) } else { (0, 0) };
        let placements = if first_product > far_past {
            // Values past a point's outcomes take its last one.
            let last = match run(vec![u32::MAX; taken.len().saturating_mul(4).max(64)]) {
                Ok((engine, _)) => placements(engine.choices_taken()).0,
                Err(e) => return cut(Cut::Error(e)),
            };
            first_product.min(last)
        } else {
            0
        };
        if placements > far_past {
            return cut(Cut::Error(ScenarioError {
                file: file.into(),
                line: 0,
                column: 0,
                message: format!(
                    "{file}: one transition places {points} task(s) at random among its candidate instances, about {placements} outcomes (more than {MAX_OUTCOMES_PER_TRANSITION} can be explored); explore a smaller cluster, or fewer tasks placed by a `random` strategy at one instant (RunTask's default)"
                ),
            }));
        }
        if out.len() > MAX_OUTCOMES_PER_TRANSITION {
            // What multiplies: the choice points of the last outcome, by kind and arity.
            let mut points: BTreeMap<(&str, u32), usize> = BTreeMap::new();
            for c in taken.iter().filter(|c| c.arity > 1) {
                *points.entry((c.kind.as_str(), c.arity)).or_default() += 1;
            }
            let points: Vec<String> =
                points.iter().map(|((kind, arity), n)| format!("{n} {kind} choice(s) of {arity}")).collect();
            return cut(Cut::Error(ScenarioError {
                file: file.into(),
                line: 0,
                column: 0,
                message: format!(
                    "{file}: one transition has more than {MAX_OUTCOMES_PER_TRANSITION} outcomes ({}); explore a smaller cluster, fewer fault classes, fewer jitter values, or fewer tasks placed by a `random` strategy at one instant (RunTask's default)",
                    points.join(", ")
                ),
            }));
        }
        if limits.shared && limits.held.fetch_add(1, Ordering::Relaxed) >= MAX_OUTCOMES_IN_FLIGHT {
            return cut(Cut::Crowded);
        }
        let resident_over = || limits.resident_bytes.and_then(|probe| probe()).is_some_and(|held| held > limits.max_bytes);
        if limits.held_bytes.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes) > limits.room_bytes || resident_over() {
            return cut(if limits.shared { Cut::Crowded } else { Cut::Memory });
        }
        match next {
            None => return Ok(out),
            Some(j) => {
                prefix = taken[..j].iter().map(|c| c.chosen).collect();
                prefix.push(taken[j].chosen + 1);
            }
        }
    }
}

/// How far past [`MAX_OUTCOMES_PER_TRANSITION`] the product of a transition's first outcome's
/// `random` placement choices must be for the transition to be refused before its other outcomes
/// are run: an estimate (another outcome may meet other choice points), so only one far past the
/// bound refuses.
const PLACEMENT_ESTIMATE_MARGIN: u64 = 2;

/// What one merge of a reached state decided.
enum Merged {
    /// Checked and merged (kept on the frontier if it still moves).
    Kept,
    /// It breaks a property: the search ends.
    Violation,
    /// The bound on distinct states is reached: the search ends.
    Full,
    /// The frontier and the next level pass the memory bound: the search ends.
    Memory,
}

/// The transitions between distinct states, each pair of states kept once. Most outcomes of a
/// transition are states seen before, and a long search visits hundreds of millions of states: an
/// edge per visit would grow without bound. They are pushed as they come and sorted and
/// deduplicated whenever they double, so they hold at most twice the distinct pairs (or
/// [`Edges::FIRST_COMPACTION`]). What reads them does not depend on their order.
#[derive(Default)]
struct Edges {
    /// (from, to, how much later `to` was reached than `from`).
    pairs: Vec<(u32, u32, u64)>,
    compact_at: usize,
}

impl Edges {
    /// The length at which the pairs are first deduplicated.
    const FIRST_COMPACTION: usize = 1 << 16;

    fn push(&mut self, from: u32, to: u32, later_ms: u64) {
        self.pairs.push((from, to, later_ms));
        if self.pairs.len() >= self.compact_at.max(Self::FIRST_COMPACTION) {
            self.compact();
            self.compact_at = self.pairs.len().saturating_mul(2);
        }
    }

    /// Keeps each pair once, with the longest time between its states.
    fn compact(&mut self) {
        self.pairs.sort_unstable_by_key(|(a, b, later)| (*a, *b, std::cmp::Reverse(*later)));
        self.pairs.dedup_by_key(|(a, b, _)| (*a, *b));
    }

    /// The distinct pairs, sorted, each with the longest time between its states.
    fn into_distinct(mut self) -> Vec<(u32, u32, u64)> {
        self.compact();
        self.pairs
    }
}

/// The search's bookkeeping: every distinct state, the transitions between them, the report.
struct Search<'a> {
    x: &'a Explored,
    opts: &'a ExploreOptions,
    report: ExploreReport,
    seen: BTreeMap<u64, u32>,
    metas: Vec<Meta>,
    edges: Edges,
    /// The memory bound, in bytes.
    max_bytes: u64,
    /// The [`estimated_state_bytes`] of the frontier being expanded and of the next level so far.
    frontier_bytes: u64,
    next_bytes: u64,
}

impl Search<'_> {
    /// The estimated bytes of the frontier and the next level.
    fn held_bytes(&self) -> u64 {
        self.frontier_bytes.saturating_add(self.next_bytes)
    }

    /// What the states expanded next may hold.
    fn room_bytes(&self) -> u64 {
        self.max_bytes.saturating_sub(self.held_bytes())
    }

    /// The next level becomes the frontier.
    fn next_level(&mut self) {
        self.frontier_bytes = std::mem::take(&mut self.next_bytes);
    }

    /// Checks a reached state, merges it by digest, and keeps it on `next` if it still moves.
    fn merge(&mut self, reached: Reached, depth: u32, next: &mut Vec<Node>) -> Merged {
        let Reached { parent, outcome: o } = reached;
        let report = &mut self.report;
        report.states_visited += 1;
        report.largest_state_bytes = report.largest_state_bytes.max(o.bytes);
        let terminal = self.x.is_terminal(&o.engine, o.next_step);
        let run_end_ms = self.x.run_end_ms(&o.engine);
        let always = properties::check_always(&o.engine);
        // A property of the run's end is violated when the run ends, not at its last change.
        let (finding, at_ms) = match always {
            Some(f) => (Some(f), o.engine.now_ms()),
            None if terminal => (properties::check_eventually(&o.engine, self.x.end_time_ms, run_end_ms), run_end_ms),
            None => (None, o.engine.now_ms()),
        };
        for p in report.properties.iter_mut() {
            if p.kind == properties::Kind::Always || terminal {
                p.checked += 1;
            }
        }
        if terminal && finding.is_none() {
            for drain in properties::unjudged_drains(&o.engine) {
                *report.unjudged_drains.entry(drain).or_insert(0) += 1;
            }
        }
        if let Some(finding) = finding {
            let mut points = path_to(&self.metas, parent);
            points.extend(o.taken.iter().copied());
            if let Some(p) = report.properties.iter_mut().find(|p| p.name == finding.property) {
                p.violated = true;
            }
            report.violation = Some(Violation {
                finding,
                depth,
                at_ms,
                choices: points.iter().map(|c| c.chosen).collect(),
                choice_points: points,
            });
            // The violating state is a state reached, and a terminal one when the run ended
            // there, as an `eventually` property's violation is: counted as the others are, when
            // it is new (the digest leaves time out, so a state seen before may end the run
            // later) and within the bound on distinct states.
            let new = !self.seen.contains_key(&self.x.digest(&o.engine, o.next_step));
            if new && report.distinct_states < self.opts.max_states {
                report.distinct_states += 1;
                if terminal {
                    report.terminal_states += 1;
                }
            }
            return Merged::Violation;
        }
        let digest = self.x.digest(&o.engine, o.next_step);
        let later_ms = |metas: &[Meta], from: u32| o.engine.now_ms().saturating_sub(metas[from as usize].at_ms);
        if let Some(i) = self.seen.get(&digest) {
            if let Some(from) = parent {
                self.edges.push(from, *i, later_ms(&self.metas, from));
            }
            return Merged::Kept;
        }
        // The bound on distinct states: a new one past it ends the search (terminal or not: each
        // is kept in `metas` and `seen`), so a graph of exactly `max_states` states is explored
        // completely and none of more is.
        if report.distinct_states >= self.opts.max_states {
            return Merged::Full;
        }
        let index = self.metas.len() as u32;
        self.seen.insert(digest, index);
        if let Some(from) = parent {
            self.edges.push(from, index, later_ms(&self.metas, from));
        }
        report.distinct_states += 1;
        let stuck_drain = if terminal { None } else { properties::stuck_drain(&o.engine) };
        let open_drain_past_steps = stuck_drain.is_some() && o.next_step >= self.x.loaded.scenario.steps.len();
        let at_ms = o.engine.now_ms();
        self.metas.push(Meta { parent, taken: o.taken, depth, terminal, at_ms, stuck_drain, open_drain_past_steps });
        if terminal {
            report.terminal_states += 1;
        } else {
            next.push(Node { engine: o.engine, next_step: o.next_step, index });
            self.next_bytes = self.next_bytes.saturating_add(o.bytes);
        }
        if self.held_bytes() > self.max_bytes {
            return Merged::Memory;
        }
        Merged::Kept
    }
}

/// The most states of the frontier expanded in parallel at once (fewer when each has many
/// outcomes, [`MAX_OUTCOMES_IN_FLIGHT`]): their successors are merged (in order) before the next
/// ones are expanded.
pub const EXPANSION_CHUNK: usize = 256;

/// Explores a scenario. `stop` (the caller's time bound or Ctrl-C) is polled before every
/// transition is run.
///
/// The search merges states alike but for the clock (the digest leaves the absolute time out, so
/// a stuck drain closes a cycle). The run ends at `endTimeMs`, though, so a copy of a state
/// reached later than the one kept is cut sooner: when a complete search finds a state, with a
/// drain that has room and is not complete, that some path reaches late enough for its next event
/// to fall past `endTimeMs` (`cut_by_a_later_arrival`), the scenario is explored again with the
/// time left until `endTimeMs` in the digest, and that search's report is returned
/// ([`ExploreReport::time_left_kept`]).
pub fn explore(
    loaded: &LoadedScenario,
    opts: &ExploreOptions,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<ExploreReport, ScenarioError> {
    let (report, cut_later) = explore_merging(loaded, opts, stop, false)?;
    if !cut_later {
        return Ok(report);
    }
    let (mut report, _) = explore_merging(loaded, opts, stop, true)?;
    report.time_left_kept = true;
    Ok(report)
}

/// One search; `keep_time_left`: states are merged only when alike in the time left until
/// `endTimeMs` too. Also returns whether a later arrival at a kept state could be cut by
/// `endTimeMs` with a drain incomplete (asked only of a complete search that found no violation).
fn explore_merging(
    loaded: &LoadedScenario,
    opts: &ExploreOptions,
    stop: &(dyn Fn() -> bool + Sync),
    keep_time_left: bool,
) -> Result<(ExploreReport, bool), ScenarioError> {
    let (loaded, spec) = explorable(loaded, opts)?;
    let x = Explored {
        end_time_ms: loaded.scenario.end_time_or_default_ms(),
        max_events: loaded.scenario.max_events.unwrap_or(DEFAULT_MAX_EVENTS),
        loaded,
        keep_time_left,
    };
    let run_opts = RunOptions::default();
    let file = x.loaded.file.clone();

    // The start: setup may meet choice points too (a jittered registration).
    let max_bytes = opts.max_memory_mib.saturating_mul(1 << 20);
    let (held, held_bytes, cut) = (AtomicUsize::new(0), AtomicU64::new(0), AtomicBool::new(false));
    let alone = Limits {
        stop,
        held: &held,
        held_bytes: &held_bytes,
        room_bytes: max_bytes,
        max_bytes,
        resident_bytes: opts.resident_bytes,
        shared: false,
        cut: &cut,
    };
    // What a start state takes, for the report even when the start alone passes the memory bound.
    let start_bytes = AtomicU64::new(0);
    let start = match outcomes(&file, &alone, |prefix| {
        let mut l = x.loaded.clone();
        if let Some(s) = l.scenario.explore.as_mut() {
            s.choices = prefix;
        }
        prepare(&l, &run_opts, None, None).map(|(e, _)| {
            start_bytes.fetch_max(estimated_state_bytes(&e), Ordering::Relaxed);
            (*e, 0)
        })
    }) {
        Ok(start) => Ok(start),
        Err(Cut::Error(e)) => return Err(e),
        // Stopped before the start was listed: nothing explored.
        Err(Cut::Memory) => Err(Bound::Memory),
        Err(_) => Err(Bound::Stopped),
    };
    let (start, bound_at_start) = match start {
        Ok(start) => (start, None),
        Err(bound) => (Vec::new(), Some(bound)),
    };
    // The most outcomes one state had: how many states are expanded together.
    let mut most_outcomes = start.len().max(1);
    let mut search = Search {
        x: &x,
        opts,
        report: ExploreReport {
            states_visited: 0,
            distinct_states: 0,
            depth_reached: 0,
            terminal_states: 0,
            engine_events: 0,
            paths: None,
            properties: properties::ALL
                .iter()
                .map(|(name, kind)| PropertyVerdict { name, kind: *kind, checked: 0, violated: false })
                .collect(),
            violation: None,
            bound: None,
            graph: None,
            spec,
            largest_state_bytes: start_bytes.load(Ordering::Relaxed),
            time_left_kept: false,
            unjudged_drains: Default::default(),
        },
        seen: BTreeMap::new(),
        metas: Vec::new(),
        edges: Edges::default(),
        max_bytes,
        frontier_bytes: 0,
        next_bytes: 0,
    };

    let mut frontier: Vec<Node> = Vec::new();
    let mut depth = 0u32;
    let mut ended: Option<Merged> = None;
    for outcome in start {
        match search.merge(Reached { parent: None, outcome }, depth, &mut frontier) {
            Merged::Kept => {}
            other => {
                ended = Some(other);
                break;
            }
        }
    }
    search.next_level();
    let bound = 'levels: loop {
        search.report.depth_reached = depth;
        if bound_at_start.is_some() {
            break bound_at_start;
        }
        match ended {
            Some(Merged::Violation) => break 'levels None,
            Some(Merged::Full) => break 'levels Some(Bound::States),
            Some(Merged::Memory) => break 'levels Some(Bound::Memory),
            _ => {}
        }
        if frontier.is_empty() {
            break None;
        }
        if depth >= opts.max_depth {
            break Some(Bound::Depth);
        }
        if stop() {
            break Some(Bound::Stopped);
        }
        depth += 1;
        let mut next: Vec<Node> = Vec::new();
        // The states before `alone_until` are expanded one at a time (their expansion together
        // was cut).
        let (mut at, mut alone_until) = (0, 0);
        while at < frontier.len() {
            let room_bytes = search.room_bytes();
            let together = if at < alone_until {
                1
            } else {
                // As many as the bounds on outcomes and bytes let, if each has as many outcomes as
                // the most a state had so far, each as big as the biggest state.
                let state_bytes = search.report.largest_state_bytes.max(1);
                let by_bytes = room_bytes / state_bytes.saturating_mul(most_outcomes as u64);
                (MAX_OUTCOMES_IN_FLIGHT / most_outcomes)
                    .min(usize::try_from(by_bytes).unwrap_or(usize::MAX))
                    .clamp(1, EXPANSION_CHUNK)
            };
            let chunk = &frontier[at..(at + together).min(frontier.len())];
            let (held, held_bytes, cut) = (AtomicUsize::new(0), AtomicU64::new(0), AtomicBool::new(false));
            let limits = Limits {
                stop,
                held: &held,
                held_bytes: &held_bytes,
                room_bytes,
                max_bytes,
                resident_bytes: opts.resident_bytes,
                shared: chunk.len() > 1,
                cut: &cut,
            };
            // Expand in parallel; the results come back in the frontier's order.
            let expanded: Vec<Result<Vec<Outcome>, Cut>> = chunk
                .par_iter()
                .map(|n| {
                    outcomes(&file, &limits, |prefix| {
                        let mut e = n.engine.clone();
                        e.repin_choices(prefix);
                        let next = x.transition(&mut e, n.next_step)?;
                        Ok((e, next))
                    })
                })
                .collect();
            if expanded.iter().any(|r| matches!(r, Err(Cut::Stopped))) {
                break 'levels Some(Bound::Stopped);
            }
            if chunk.len() == 1 && matches!(expanded[0], Err(Cut::Memory)) {
                break 'levels Some(Bound::Memory);
            }
            if chunk.len() > 1 && expanded.iter().any(Result::is_err) {
                // Which state's error comes first, and whether a state before it ends the search,
                // is decided one state at a time, in order.
                alone_until = at + chunk.len();
                continue;
            }
            for (n, outs) in chunk.iter().zip(expanded) {
                let outs = match outs {
                    Ok(outs) => outs,
                    Err(Cut::Error(e)) => return Err(e),
                    Err(_) => unreachable!("a state expanded alone is cut only by an error, a stop or the memory bound"),
                };
                most_outcomes = most_outcomes.max(outs.len());
                for o in outs {
                    search.report.engine_events += o.engine.events_processed() - n.engine.events_processed();
                    match search.merge(Reached { parent: Some(n.index), outcome: o }, depth, &mut next) {
                        Merged::Kept => {}
                        other => {
                            ended = Some(other);
                            frontier = next;
                            search.next_level();
                            continue 'levels;
                        }
                    }
                }
            }
            at += chunk.len();
        }
        frontier = next;
        search.next_level();
    };
    let Search { mut report, metas, edges, .. } = search;
    let timed = edges.into_distinct();
    let edges: Vec<(u32, u32)> = timed.iter().map(|(a, b, _)| (*a, *b)).collect();
    report.bound = bound;
    // Liveness over cycles: a cycle of states in which a drain with room never completes (and
    // never reaches a terminal state) is a counterexample too. Only a complete graph has them all.
    if bound.is_none() && report.violation.is_none() {
        if let Some((entry, name, size)) = stuck_cycle(&metas, &edges) {
            let points = path_to(&metas, Some(entry));
            let m = &metas[entry as usize];
            report.violation = Some(Violation {
                finding: properties::Finding {
                    property: properties::DRAINS_COMPLETE,
                    detail: format!(
                        "{name}: DRAINING with room elsewhere in every state of a cycle of {size} states reached at {} ms; its drain never completes",
                        m.at_ms
                    ),
                    expectation: Some(crate::generate::named(
                        properties::DRAINS_COMPLETE,
                        crate::format::Expectation::DrainCompletedBy(name, x.end_time_ms),
                    )),
                },
                depth: m.depth,
                at_ms: m.at_ms,
                choices: points.iter().map(|c| c.chosen).collect(),
                choice_points: points,
            });
            if let Some(p) = report.properties.iter_mut().find(|p| p.name == properties::DRAINS_COMPLETE) {
                p.violated = true;
            }
        }
    }
    let cut_later =
        !keep_time_left && bound.is_none() && report.violation.is_none() && cut_by_a_later_arrival(&metas, &timed, x.end_time_ms);
    if bound.is_none() && report.violation.is_none() {
        report.paths = count_paths(&metas, &edges);
    }
    Ok((finish(report, opts, &metas, &edges), cut_later))
}

/// Whether some path may reach a kept state with a drain that has room and is not complete
/// (`open_drain_past_steps`) later than the state was kept at, late enough that one of its
/// transitions runs past `end_time_ms`: that copy's run may end there with the drain incomplete,
/// which the search did not see (it expanded the earliest copy only; a transition folds the moves
/// that change nothing, so the time it takes is what counts, not the next event's). `edges` carry
/// the longest time between their states. The latest arrival at each state is a longest path over
/// the graph's strongly connected components in topological order; a component whose cycle takes
/// time has no latest arrival (a path may go round it until `endTimeMs`). Erring towards yes
/// costs a second search, not a wrong verdict.
fn cut_by_a_later_arrival(metas: &[Meta], edges: &[(u32, u32, u64)], end_time_ms: u64) -> bool {
    if metas.iter().all(|m| !m.open_drain_past_steps) {
        return false;
    }
    let mut g: petgraph::graph::DiGraph<(), u64> = petgraph::graph::DiGraph::with_capacity(metas.len(), edges.len());
    for _ in metas {
        g.add_node(());
    }
    for (a, b, later) in edges {
        g.add_edge(petgraph::graph::NodeIndex::new(*a as usize), petgraph::graph::NodeIndex::new(*b as usize), *later);
    }
    let mut latest: Vec<u64> = metas.iter().map(|m| m.at_ms).collect();
    // Tarjan's components come in reverse topological order.
    let mut components = petgraph::algo::tarjan_scc(&g);
    components.reverse();
    let mut component_of = vec![0usize; metas.len()];
    for (n, c) in components.iter().enumerate() {
        for v in c {
            component_of[v.index()] = n;
        }
    }
    for (n, c) in components.iter().enumerate() {
        let timed_cycle = c
            .iter()
            .any(|v| g.edges(*v).any(|e| component_of[petgraph::visit::EdgeRef::target(&e).index()] == n && *e.weight() > 0));
        let most = if timed_cycle { u64::MAX } else { c.iter().map(|v| latest[v.index()]).max().unwrap_or(0) };
        for v in c {
            latest[v.index()] = most;
        }
        for v in c {
            for e in g.edges(*v) {
                let to = petgraph::visit::EdgeRef::target(&e).index();
                latest[to] = latest[to].max(most.saturating_add(*e.weight()));
            }
        }
    }
    // The longest transition out of each state.
    let mut longest_out = vec![0u64; metas.len()];
    for (a, _, later) in edges {
        longest_out[*a as usize] = longest_out[*a as usize].max(*later);
    }
    metas
        .iter()
        .enumerate()
        .any(|(n, m)| m.open_drain_past_steps && latest[n] > m.at_ms && latest[n].saturating_add(longest_out[n]) > end_time_ms)
}

/// The number of paths from a start state to a terminal state (saturating), if the graph has no
/// cycle. Each transition between two states counts once, however many choice combinations led
/// along it (`edges` are distinct).
fn count_paths(metas: &[Meta], edges: &[(u32, u32)]) -> Option<u64> {
    let mut g: petgraph::graph::DiGraph<(), ()> = petgraph::graph::DiGraph::with_capacity(metas.len(), edges.len());
    for _ in metas {
        g.add_node(());
    }
    for (a, b) in edges {
        g.add_edge((*a).into(), (*b).into(), ());
    }
    let order = petgraph::algo::toposort(&g, None).ok()?;
    let mut into: Vec<u64> = metas.iter().map(|m| u64::from(m.parent.is_none())).collect();
    let mut total: u64 = 0;
    for n in order {
        let here = into[n.index()];
        if metas[n.index()].terminal {
            total = total.saturating_add(here);
        }
        for next in g.neighbors(n) {
            into[next.index()] = into[next.index()].saturating_add(here);
        }
    }
    Some(total)
}

/// The first (in discovery order) state that enters a cycle of the graph in whose every state
/// the same drain is stuck: (the state, the instance, the cycle's size).
fn stuck_cycle(metas: &[Meta], edges: &[(u32, u32)]) -> Option<(u32, String, usize)> {
    let mut g: petgraph::graph::DiGraph<(), ()> = petgraph::graph::DiGraph::with_capacity(metas.len(), edges.len());
    for _ in metas {
        g.add_node(());
    }
    for (a, b) in edges {
        g.add_edge((*a).into(), (*b).into(), ());
    }
    let mut best: Option<(u32, String, usize)> = None;
    for scc in petgraph::algo::tarjan_scc(&g) {
        let cyclic = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
        if !cyclic {
            continue;
        }
        let name = metas[scc[0].index()].stuck_drain.clone();
        let all_stuck = name.is_some() && scc.iter().all(|n| metas[n.index()].stuck_drain == name);
        let entry = scc.iter().map(|n| n.index() as u32).min().expect("non-empty");
        if let (true, Some(name)) = (all_stuck, name) {
            if best.as_ref().is_none_or(|(b, _, _)| entry < *b) {
                best = Some((entry, name, scc.len()));
            }
        }
    }
    best
}

/// The graph for `--dot`, when asked for and small enough.
fn finish(mut report: ExploreReport, opts: &ExploreOptions, metas: &[Meta], edges: &[(u32, u32)]) -> ExploreReport {
    if opts.keep_graph && metas.len() <= graph::MAX_GRAPH_STATES {
        let mut g = graph::StateGraph::default();
        for (n, m) in metas.iter().enumerate() {
            g.node(n as u32, m.depth, m.terminal, m.at_ms);
        }
        for (a, b) in edges {
            g.edge(*a, *b);
        }
        report.graph = Some(g);
    }
    report
}

/// The counterexample of a violation as a scenario: the explored scenario with the path's choices
/// pinned (`explore.choices`) and, as its only expectations, the one that states the violated
/// property (none when no expectation can; the run's invariant check then shows it).
pub fn counterexample_scenario(explored: &Scenario, report: &ExploreReport, violation: &Violation) -> Scenario {
    let mut s = explored.clone();
    s.name = format!("{} counterexample", explored.name);
    s.description = format!(
        "drainsim explore: `{}` violated after {} transitions at {} ms. {}",
        violation.finding.property, violation.depth, violation.at_ms, violation.finding.detail
    );
    let mut spec = report.spec.clone();
    spec.choices = violation.choices.clone();
    s.explore = Some(spec);
    s.expectations = violation.finding.expectation.iter().cloned().collect();
    // The scenario's own checks speak of the planned run, not of this path: they keep their time
    // (a step is where a choice point may come) but check nothing.
    for step in &mut s.steps {
        if matches!(step.action, Action::Check(_)) {
            step.action = Action::Advance;
        }
    }
    s
}

/// Writes a counterexample scenario under `dir` as `<stem>-<property>.ron` (with a comment header
/// naming the property, the detail and the replay command); returns its path.
pub fn write_counterexample(
    dir: &std::path::Path,
    stem: &str,
    explored: &Scenario,
    report: &ExploreReport,
    violation: &Violation,
) -> std::io::Result<std::path::PathBuf> {
    let scenario = counterexample_scenario(explored, report, violation);
    let body = crate::write::to_ron(&scenario);
    let slug = crate::generate::slug(violation.finding.property);
    // The path goes into the file's `// Replay:` comment: one that is not UTF-8, or holds a
    // control character (a line feed would end the comment), cannot be named there.
    let named = dir.join(stem);
    if named.to_str().is_none_or(|p| p.chars().any(char::is_control)) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path is not UTF-8 or holds a control character, which its replay command cannot name",
        ));
    }
    std::fs::create_dir_all(dir)?;
    // `STEM-PROPERTY.ron`, or `STEM-PROPERTY-2.ron`, … when that file holds another counterexample
    // (an exploration of the same file with other faults): one is never overwritten by another,
    // and the same exploration run again writes the same file.
    for n in 1..=MAX_COUNTEREXAMPLES_PER_NAME {
        let path = match n {
            1 => dir.join(format!("{stem}-{slug}.ron")),
            n => dir.join(format!("{stem}-{slug}-{n}.ron")),
        };
        let mut text = String::new();
        text.push_str(&format!(
            "// Counterexample to `{}`, found by drainsim explore on a shortest path.\n",
            violation.finding.property
        ));
        for line in violation.finding.detail.lines() {
            text.push_str(&format!("// {line}\n"));
        }
        if violation.finding.expectation.is_none() {
            text.push_str("// No expectation can state this property; the run's invariant check, made throughout, shows it.\n");
        }
        // Quoted for a shell, as every reproduce command is (a path with a space or a quote).
        text.push_str(&format!("// Replay: drainsim run {}\n", crate::sweep::shell_word(&path.display().to_string())));
        text.push_str(&body);
        // The same counterexample whatever the spelling of `--out` (`out`, `./out`, an absolute
        // path): the replay comment, which names the path as given, is left out of the comparison.
        let without_replay = |t: &str| t.lines().filter(|l| !l.starts_with("// Replay: ")).collect::<Vec<_>>().join("\n");
        match std::fs::read_to_string(&path) {
            Ok(held) if without_replay(&held) != without_replay(&text) => continue,
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(&path, text)?;
                return Ok(path);
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{MAX_COUNTEREXAMPLES_PER_NAME} counterexamples named {stem}-{slug} are there already; clear the directory or give another --out"
    )))
}

/// The most counterexample files of one scenario and property `explore` writes into one
/// directory before it asks for another (each a few KiB).
pub const MAX_COUNTEREXAMPLES_PER_NAME: u32 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(parent: Option<u32>, stuck: Option<&str>) -> Meta {
        Meta {
            parent,
            taken: Vec::new(),
            depth: 0,
            terminal: false,
            at_ms: 0,
            stuck_drain: stuck.map(str::to_string),
            open_drain_past_steps: false,
        }
    }

    #[test]
    fn a_cycle_where_the_same_drain_stays_stuck_is_found_from_its_first_state() {
        // 0 -> 1 -> 2 -> 1 (stuck on `a` in 1 and 2), 0 -> 3 -> 3 (a self-loop, not stuck).
        let metas = vec![meta(None, None), meta(Some(0), Some("a")), meta(Some(1), Some("a")), meta(Some(0), None)];
        let edges = vec![(0, 1), (1, 2), (2, 1), (0, 3), (3, 3)];
        assert_eq!(stuck_cycle(&metas, &edges), Some((1, "a".to_string(), 2)));
        // A cycle that leaves the stuck state somewhere is no counterexample.
        let metas = vec![meta(None, None), meta(Some(0), Some("a")), meta(Some(1), None)];
        assert_eq!(stuck_cycle(&metas, &[(0, 1), (1, 2), (2, 1)]), None);
        // Nor is a path without a cycle.
        assert_eq!(stuck_cycle(&metas, &[(0, 1), (1, 2)]), None);
    }

    #[test]
    fn edges_reached_again_and_again_are_kept_once() {
        // Ten million visits along 1,000 distinct transitions: the pairs never pass the first
        // compaction's length, and what is left is each pair once, sorted.
        let mut edges = Edges::default();
        let mut longest = 0;
        for visit in 0..10_000_000u32 {
            let pair = visit.wrapping_mul(2_654_435_761) % 1_000;
            edges.push(pair / 10, pair, u64::from(visit % 7));
            longest = longest.max(edges.pairs.len());
        }
        assert!(longest <= Edges::FIRST_COMPACTION, "{longest}");
        let distinct = edges.into_distinct();
        assert_eq!(distinct.len(), 1_000);
        assert!(distinct.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
        assert!(distinct.iter().all(|(_, _, later)| *later == 6), "each pair keeps its longest time");
        // Distinct pairs past the first compaction, each reached ten times (3,000,000 visits):
        // at most twice the distinct ones are held.
        let mut edges = Edges::default();
        let mut longest = 0;
        for n in 0..300_000u32 {
            for _ in 0..10 {
                edges.push(n, n + 1, 0);
            }
            longest = longest.max(edges.pairs.len());
        }
        assert!(longest <= 2 * 300_000, "{longest}");
        assert_eq!(edges.into_distinct().len(), 300_000);
    }

    /// A state with an incomplete drain kept at the time it was first reached is reached later by
    /// another path: whether that copy's next event falls past the end decides. A cycle that takes
    /// time reaches its states as late as the end; one that takes none does not.
    #[test]
    fn a_later_arrival_cut_by_the_end_is_found() {
        // 0 -> 1 (2 ms) -> 3 (1 ms), 0 -> 2 (6 ms) -> 3 (1 ms), 3 -> 4 (7 ms): 3 is kept at 3 ms,
        // reached at 7 ms too; its transition ends at 10 ms (14 ms for the later copy).
        let mut metas: Vec<Meta> = (0..5).map(|n| meta(if n == 0 { None } else { Some(0) }, None)).collect();
        for (n, at) in [(1, 2), (2, 6), (3, 3), (4, 10)] {
            metas[n].at_ms = at;
        }
        metas[3].open_drain_past_steps = true;
        let edges = [(0, 1, 2), (0, 2, 6), (1, 3, 1), (2, 3, 1), (3, 4, 7)];
        assert!(cut_by_a_later_arrival(&metas, &edges, 12), "the later copy's transition ends at 14 ms, past the end");
        assert!(!cut_by_a_later_arrival(&metas, &edges, 14), "at the end exactly, the copy still moves");
        assert!(!cut_by_a_later_arrival(&metas, &[(0, 1, 2), (1, 3, 1), (3, 4, 7)], 12), "reached only at 3 ms");
        // 0 -> 1 (1 ms), 1 -> 1 (5 ms): 1 can be reached as late as the end.
        let mut metas: Vec<Meta> = (0..2).map(|n| meta(if n == 0 { None } else { Some(0) }, None)).collect();
        metas[1].at_ms = 1;
        metas[1].open_drain_past_steps = true;
        assert!(cut_by_a_later_arrival(&metas, &[(0, 1, 1), (1, 1, 5)], 1_000_000));
        assert!(!cut_by_a_later_arrival(&metas, &[(0, 1, 1), (1, 1, 0)], 1_000_000), "a cycle taking no time");
    }

    #[test]
    fn paths_to_terminal_states_are_counted_on_an_acyclic_graph() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 4: three paths to the terminal states 3 and 4.
        let mut metas: Vec<Meta> = (0..5).map(|n| meta(if n == 0 { None } else { Some(0) }, None)).collect();
        metas[3].terminal = true;
        metas[4].terminal = true;
        // (2, 4) reached twice counts once.
        let mut edges = Edges::default();
        for (from, to) in [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4), (2, 4)] {
            edges.push(from, to, 0);
        }
        let distinct: Vec<(u32, u32)> = edges.into_distinct().iter().map(|(a, b, _)| (*a, *b)).collect();
        assert_eq!(count_paths(&metas, &distinct), Some(3));
        assert_eq!(count_paths(&metas, &[(0, 1), (1, 2), (2, 1)]), None, "a cycle");
    }

    #[test]
    fn a_path_is_its_parents_transitions_in_order() {
        let c = |chosen| ChoiceTaken { kind: drainsim_core::ChoiceKind::Injection, arity: 4, chosen };
        let mut metas = vec![meta(None, None), meta(Some(0), None), meta(Some(1), None)];
        metas[0].taken = vec![c(1)];
        metas[2].taken = vec![c(2), c(3)];
        let chosen: Vec<u32> = path_to(&metas, Some(2)).iter().map(|c| c.chosen).collect();
        assert_eq!(chosen, [1, 2, 3]);
        assert!(path_to(&metas, None).is_empty());
    }
}
