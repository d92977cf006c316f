//! Choice points: every place the engine would draw from a random stream (a task failing to start, a
//! trunk ENI failing to provision, the jitter of a duration, a `random` placement) can instead take
//! one of a small finite set of outcomes from a *script* of choices. The seeded streams of
//! [`crate::infra::rng`] are one chooser (the default: nothing here is consulted, and every draw is
//! what it always was); a script is the other, used by `drainsim explore` to enumerate every outcome
//! and by a counterexample scenario to replay the outcomes of one path.
//!
//! A script also holds the explorer's *injections*: at the end of every instant and after every
//! request that changed something (recorded a trace record since the last such point; an instant of retries that found
//! nothing to do is no new moment to inject at), one choice point
//! offers "nothing", or one of the faults of [`InjectableFaults`] that are on (a running task's
//! essential container exiting, an agent disconnecting for [`AGENT_RECONNECT_AFTER_MS`], a drain
//! or activate request arriving). Every fault a script takes, injected or drawn, spends one of its
//! `max_faults`; once none is left no choice offers a fault, so every path's faults stop.

/// How long an injected agent disconnect lasts before the agent reconnects.
pub const AGENT_RECONNECT_AFTER_MS: u64 = 60_000;

/// The draw a choice point replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChoiceKind {
    /// Whether a task fails to start (0: it starts, 1: it fails).
    TaskStartFailure,
    /// Whether a trunk ENI fails to provision (0: it attaches, 1: it fails).
    TrunkFailure,
    /// Which of the jitter values a duration takes (0: the shortest, then longer ones).
    Jitter,
    /// Which instance a `random` placement takes, among the candidates in instance order.
    Placement,
    /// What happens at the end of an instant: 0 nothing, k the k-th candidate fault.
    Injection,
}

impl ChoiceKind {
    /// The kind's name in text output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChoiceKind::TaskStartFailure => "task start failure",
            ChoiceKind::TrunkFailure => "trunk ENI failure",
            ChoiceKind::Jitter => "jitter",
            ChoiceKind::Placement => "random placement",
            ChoiceKind::Injection => "injection",
        }
    }
}

/// One choice a script made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoiceTaken {
    /// The draw it replaced.
    pub kind: ChoiceKind,
    /// How many outcomes there were (always at least 2: a single outcome is no choice).
    pub arity: u32,
    /// The outcome taken, below `arity`.
    pub chosen: u32,
}

/// The faults a script may take (each spends one of [`ExploreChoices::max_faults`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InjectableFaults {
    /// A placed task fails to start (at the draw of the fault profile's start failures).
    pub task_start_failure: bool,
    /// A RUNNING task's essential container exits.
    pub task_exit: bool,
    /// A connected agent disconnects, and reconnects [`AGENT_RECONNECT_AFTER_MS`] later.
    pub agent_disconnect: bool,
    /// A trunk ENI fails to provision (at the draw of the fault profile's trunk failures).
    pub trunk_failure: bool,
    /// An UpdateContainerInstancesState request sets an ACTIVE instance to DRAINING.
    pub drain_request: bool,
    /// An UpdateContainerInstancesState request sets a DRAINING instance to ACTIVE.
    pub activate_request: bool,
    /// A healthy RUNNING task's health checks (a container's or its target's) fail: it is
    /// UNHEALTHY, and its service replaces it.
    pub health_check_failure: bool,
}

impl InjectableFaults {
    /// Whether any fault injected at the end of an instant is on.
    pub fn any_injection(&self) -> bool {
        self.task_exit || self.agent_disconnect || self.drain_request || self.activate_request || self.health_check_failure
    }
}

/// The most jitter values a scripted duration may take.
pub const MAX_JITTER_VALUES: u8 = 3;

/// What a script offers at its choice points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExploreChoices {
    /// The faults on.
    pub faults: InjectableFaults,
    /// How many faults one path may take in all.
    pub max_faults: u32,
    /// How many values a jittered duration takes: 1 the nominal duration, 2 the shortest and the
    /// longest, 3 those and the nominal one (at most [`MAX_JITTER_VALUES`]).
    pub jitter_values: u8,
}

/// A script: the choices still to take (past its end every choice is 0: no fault, the shortest
/// jitter, the first candidate) and the log of those taken.
#[derive(Debug, Clone)]
pub(crate) struct ChoiceScript {
    pub(crate) config: ExploreChoices,
    pending: Vec<u32>,
    next: usize,
    taken: Vec<ChoiceTaken>,
    pub(crate) faults_left: u32,
    /// The trace's length at the last injection point: an instant that recorded nothing since
    /// (a retry that found nothing to do) offers no injection.
    pub(crate) records_seen: u64,
    /// While the scenario's setup runs no fault is injected: an injected drain or disconnect there
    /// would make the setup itself refuse what comes after it (a `runningTasks` entry on an
    /// instance no longer ACTIVE with a connected agent).
    pub(crate) injections_paused: bool,
    /// The first pinned value past its choice point's outcomes, if any.
    past_arity: Option<ChoiceDeparture>,
}

/// How a run under pinned choices departed from them ([`crate::Engine::choice_departure`]): the
/// choices were written for another path (the scenario was edited after `drainsim explore` wrote
/// its counterexample, or the choices by hand), so the replay is not that path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceDeparture {
    /// The choice point at `index` (counted from 0, in the order the run met them) had `arity`
    /// outcomes, and the pinned value `pinned` is past them: the last outcome was taken.
    PastArity {
        /// The choice point's place among those the run met.
        index: u32,
        /// The value pinned for it.
        pinned: u32,
        /// Its outcomes.
        arity: u32,
    },
    /// The run met fewer choice points than there are pinned values: `unused` were never taken.
    Unused {
        /// Pinned values no choice point took.
        unused: u32,
    },
}

impl ChoiceScript {
    pub(crate) fn new(config: ExploreChoices, pending: Vec<u32>) -> Self {
        ChoiceScript {
            config,
            pending,
            next: 0,
            taken: Vec::new(),
            faults_left: config.max_faults,
            records_seen: 0,
            injections_paused: false,
            past_arity: None,
        }
    }

    /// How the choices taken so far departed from those pinned: the first value past its choice
    /// point's outcomes, else the pinned values no choice point has taken yet.
    pub(crate) fn departure(&self) -> Option<ChoiceDeparture> {
        self.past_arity.or_else(|| {
            let unused = self.pending.len().saturating_sub(self.next);
            (unused > 0).then(|| ChoiceDeparture::Unused { unused: u32::try_from(unused).unwrap_or(u32::MAX) })
        })
    }

    /// Replaces the choices still to take and clears the log.
    pub(crate) fn repin(&mut self, pending: Vec<u32>) {
        self.pending = pending;
        self.next = 0;
        self.taken.clear();
        self.past_arity = None;
    }

    pub(crate) fn taken(&self) -> &[ChoiceTaken] {
        &self.taken
    }

    /// Takes one choice among `arity` outcomes (a single outcome is no choice: 0, not logged). A
    /// pinned value past the arity (a script written for another engine) takes the last outcome.
    pub(crate) fn choose(&mut self, kind: ChoiceKind, arity: u32) -> u32 {
        if arity <= 1 {
            return 0;
        }
        let pinned = self.pending.get(self.next).copied().unwrap_or(0);
        if pinned >= arity && self.past_arity.is_none() {
            let index = u32::try_from(self.next).unwrap_or(u32::MAX);
            self.past_arity = Some(ChoiceDeparture::PastArity { index, pinned, arity });
        }
        self.next += 1;
        let chosen = pinned.min(arity - 1);
        self.taken.push(ChoiceTaken { kind, arity, chosen });
        chosen
    }

    /// A fault drawn at one point: offered when its class is on and the budget allows; taking it
    /// spends one fault.
    pub(crate) fn choose_fault(&mut self, kind: ChoiceKind, on: bool) -> bool {
        if !on || self.faults_left == 0 {
            return false;
        }
        let fails = self.choose(kind, 2) == 1;
        if fails {
            self.faults_left -= 1;
        }
        fails
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_faults: u32) -> ExploreChoices {
        ExploreChoices {
            faults: InjectableFaults { task_start_failure: true, ..Default::default() },
            max_faults,
            jitter_values: 1,
        }
    }

    #[test]
    fn pinned_choices_are_taken_in_order_then_zero() {
        let mut s = ChoiceScript::new(config(5), vec![2, 1]);
        assert_eq!(s.choose(ChoiceKind::Placement, 3), 2);
        assert_eq!(s.choose(ChoiceKind::Placement, 1), 0, "one outcome is no choice");
        assert_eq!(s.choose(ChoiceKind::Placement, 3), 1);
        assert_eq!(s.choose(ChoiceKind::Placement, 3), 0, "past the end: 0");
        assert_eq!(s.taken().len(), 3);
        assert_eq!(s.taken()[0], ChoiceTaken { kind: ChoiceKind::Placement, arity: 3, chosen: 2 });
    }

    #[test]
    fn faults_stop_when_the_budget_is_spent() {
        let mut s = ChoiceScript::new(config(1), vec![1, 1]);
        assert!(s.choose_fault(ChoiceKind::TaskStartFailure, true));
        assert!(!s.choose_fault(ChoiceKind::TaskStartFailure, true), "no fault left: no choice offered");
        assert_eq!(s.taken().len(), 1);
        assert!(!s.choose_fault(ChoiceKind::TrunkFailure, false));
    }
}
