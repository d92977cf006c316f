//! The one loop that moves simulated time. A run moves the clock in three ways — to a step's time,
//! while a `WaitForDrain` step waits, and until quiet at the end — and each goes through `Driver`,
//! which is the only code of the crate that calls the engine's time methods (`advance_to`, `step`,
//! `step_part`, `next_event_time`, `is_quiet`). It owns what must happen whatever moves the clock:
//! instance groups that register later (at their `registerAtMs`, in time order, after the events of
//! that instant), the managed scaling of Auto Scaling groups (`autoscaling::managed_scaling`: it
//! acts at the times it gives, after the events and registrations of that instant; a run is quiet
//! only once it would change nothing) and the streamed trace sink (records handed over in batches,
//! even in the middle of an instant).

use std::collections::VecDeque;

use drainsim_core::Engine;
use drainsim_core::TraceRecord;
use drainsim_core::{StepPart, StopReason};

use crate::format::InstanceGroup;
use crate::load::{LoadedScenario, ScenarioError};
use crate::setup::{register_group, SetupRequests};

/// Receives trace records in batches during a run (e.g. to write them to a file), so a long run's
/// records never pile up in memory.
pub type TraceSink<'s> = dyn FnMut(&Engine, &[TraceRecord]) + 's;

/// A [`TraceSink`] also told, with each batch, the time of the first failed step expectation so
/// far (`None` while none has failed). A step's expectation is judged when the step ends, before
/// any record of a later time is handed over, so a sink printing a timeline can mark the failure
/// in its place (before the first record after it).
pub type FailureAwareTraceSink<'s> = dyn FnMut(&Engine, &[TraceRecord], Option<u64>) + 's;

/// Records kept before they are handed to a sink.
const SINK_BATCH: usize = 4096;

/// What acts outside the engine between its events, whatever moves the clock: the scenario's Auto
/// Scaling groups (`autoscaling`: managed scaling, Spot replacements). The driver defines it and
/// the layer above implements it, so the driver calls nothing above it.
pub(crate) trait Background {
    /// When it next acts (not before the engine's clock), or None while nothing would change. It
    /// may first take in what the engine logged since it last asked (the drains completed), so
    /// that asking costs what changed.
    fn next_time(&mut self, e: &Engine) -> Option<u64>;
    /// Acts at the engine's clock (a time `next_time` gave).
    fn act(&mut self, e: &mut Engine, loaded: &LoadedScenario);
    /// How many times it acted: the driver's measure of progress.
    fn acts(&self) -> u64;
    /// Whether what EC2 does to an instance may make it due at once — an instance going INACTIVE
    /// (a Spot group replaces the members EC2 took) or a Spot signal (a group with Capacity
    /// Rebalancing replaces the members EC2 signals at risk): then the driver moves the clock
    /// instant by instant and asks [`Self::next_time`] again after an instant that did either.
    fn wakes_on_ec2_events(&self) -> bool {
        false
    }
    /// Whether a drain completing may make it due at once (a lifecycle hook that ends when its
    /// instance's drain is complete): then the driver moves the clock instant by instant and asks
    /// [`Self::next_time`] again after an instant that completed a drain.
    fn wakes_on_drain_completion(&self) -> bool {
        false
    }
}

/// How far [`Driver::advance_engine_watching`] moved the clock.
enum Advanced {
    /// To the time asked.
    Reached,
    /// To an instant that deregistered an instance, gave a Spot signal or completed a drain, which
    /// may have made the background due.
    Woken,
    /// An event bound stopped it.
    Bounded,
}

/// Moves an engine's clock for one run: its bounds, its later registrations and its sink.
pub(crate) struct Driver<'a, 's, B> {
    loaded: &'a LoadedScenario,
    /// Instance groups that register after time 0, in time order, with their index in the
    /// scenario's `instances`.
    pending: VecDeque<(usize, &'a InstanceGroup)>,
    /// The setup's requests (the groups' registrations among them) when a sweep or a comparison
    /// built them once.
    prebuilt: Option<&'a SetupRequests>,
    /// Where trace records are streamed as the run goes (records are then not kept).
    sink: Option<&'s mut FailureAwareTraceSink<'s>>,
    /// When the first failed step expectation was judged, once one has failed.
    first_failure_at_ms: Option<u64>,
    end_time_ms: u64,
    max_events: u64,
    /// Whether an event bound (`maxEvents`, or the bound per instant) stopped the clock inside a
    /// step that runs it (`WaitForDrain`, `RunUntilQuiet`, a wave of `RolloutInstances`, an
    /// instance refresh or `SetDesiredCapacity`): the run is over, and the steps after it are
    /// skipped as the ones the bound stops before are.
    pub(crate) bounded: bool,
    /// What acts between the engine's events (the scenario's Auto Scaling groups; the steps that
    /// act on them reach them here too).
    pub(crate) background: B,
}

impl<'a, 's, B: Background> Driver<'a, 's, B> {
    /// A driver for `loaded`, whose groups with a `registerAtMs` after 0 register as time reaches them.
    pub(crate) fn new(
        loaded: &'a LoadedScenario,
        sink: Option<&'s mut FailureAwareTraceSink<'s>>,
        end_time_ms: u64,
        max_events: u64,
        prebuilt: Option<&'a SetupRequests>,
        background: B,
    ) -> Self {
        let mut later: Vec<(usize, &InstanceGroup)> =
            loaded.scenario.instances.iter().enumerate().filter(|(_, g)| !g.at_time_zero()).collect();
        later.sort_by_key(|(_, g)| g.register_at_ms);
        Driver {
            loaded,
            pending: later.into(),
            prebuilt,
            sink,
            first_failure_at_ms: None,
            end_time_ms,
            max_events,
            bounded: false,
            background,
        }
    }

    /// Hands the kept records to the sink (all of them when `all`, else when a batch is full).
    fn flush(&mut self, e: &mut Engine, all: bool) {
        if let Some(sink) = self.sink.as_mut() {
            if all || e.trace().records().len() >= SINK_BATCH {
                let records = e.take_trace_records();
                sink(e, &records, self.first_failure_at_ms);
            }
        }
    }

    /// A step ended with these results (its expectations'): the sink learns of the first failure
    /// before any record of a later time.
    pub(crate) fn note_results(&mut self, results: &[crate::outcome::ExpectationResult]) {
        if let Some(at) = crate::outcome::first_failure_at_ms(results) {
            self.first_failure_at_ms = Some(self.first_failure_at_ms.map_or(at, |f| f.min(at)));
        }
    }

    /// After a step: hands a full batch of records to the sink.
    pub(crate) fn after_step(&mut self, e: &mut Engine) {
        self.flush(e, false);
    }

    /// The run's end time (`endTimeMs`), which no step waits past.
    pub(crate) fn end_time_ms(&self) -> u64 {
        self.end_time_ms
    }

    /// At the end of the run: hands every remaining record to the sink.
    pub(crate) fn finish(&mut self, e: &mut Engine) {
        self.flush(e, true);
    }

    fn next_time(&self) -> Option<u64> {
        self.pending.front().map(|(_, g)| g.registers_at_ms())
    }

    /// When the background next acts.
    fn background_time(&mut self, e: &Engine) -> Option<u64> {
        self.background.next_time(e)
    }

    /// Moves the clock to `time`: events, due registrations and managed scaling in time order
    /// (events of an instant first, then every registration of the instant, then managed
    /// scaling). Returns false if an
    /// event bound was hit (the engine enforces `maxEvents` and its bound per instant inside an
    /// instant, [`Engine::bound_reached`]).
    pub(crate) fn advance_to(&mut self, e: &mut Engine, time: u64) -> Result<bool, ScenarioError> {
        loop {
            let registration = self.next_time().filter(|t| *t <= time);
            let background = self.background_time(e).filter(|t| *t <= time);
            match (registration, background) {
                (Some(t), b) if b.is_none_or(|b| t <= b) => match self.advance_engine_watching(e, t.max(e.now_ms())) {
                    Advanced::Bounded => return Ok(false),
                    Advanced::Woken => {}
                    // Every group due at this instant registers, all together, before the passes their
                    // registrations wake: instances that register together are seen together (those
                    // passes, a rebalancing service's count of the zones, run once, after all of them).
                    Advanced::Reached => {
                        let now = e.now_ms();
                        while let Some((n, g)) = self.pending.front().copied().filter(|(_, g)| g.registers_at_ms() <= now) {
                            self.pending.pop_front();
                            register_group(e, self.loaded, g, self.prebuilt.map(|p| p.of_group(n)))?;
                        }
                    }
                },
                (_, Some(t)) => match self.advance_engine_watching(e, t.max(e.now_ms())) {
                    Advanced::Bounded => return Ok(false),
                    Advanced::Woken => {}
                    // Scaling may itself have moved (an event of that instant changed it): it acts
                    // only at a time it still gives.
                    Advanced::Reached => {
                        if self.background_time(e) == Some(e.now_ms()) {
                            self.background.act(e, self.loaded);
                        }
                    }
                },
                _ => match self.advance_engine_watching(e, time.max(e.now_ms())) {
                    Advanced::Bounded => return Ok(false),
                    Advanced::Woken => {}
                    Advanced::Reached => return Ok(true),
                },
            }
        }
    }

    /// [`Self::advance_engine`], stopping after an instant that deregistered an instance or gave
    /// a Spot signal when the background [wakes on one](Background::wakes_on_ec2_events), or that
    /// completed a drain when it [wakes on that](Background::wakes_on_drain_completion): the
    /// caller then asks it when it acts again. Each stop is after an instant processed, so the
    /// caller's loop ends.
    fn advance_engine_watching(&mut self, e: &mut Engine, time: u64) -> Advanced {
        let (ec2, drains) = (self.background.wakes_on_ec2_events(), self.background.wakes_on_drain_completion());
        if !ec2 && !drains {
            return if self.advance_engine(e, time) { Advanced::Reached } else { Advanced::Bounded };
        }
        // Each count only grows, so their sum moves when one does.
        let watched = |e: &Engine| {
            let ec2_events = if ec2 { e.instances_deregistered() + e.spot_signals() } else { 0 };
            ec2_events + if drains { e.drains_completed() } else { 0 }
        };
        let seen = watched(e);
        while let Some(instant) = e.next_event_time().filter(|t| *t <= time) {
            // One instant: with a sink, in batches as `advance_engine` does.
            let progressed = if self.sink.is_some() { self.step_instant(e) } else { e.advance_to(instant, self.max_events) };
            self.flush(e, false);
            if !progressed {
                return Advanced::Bounded;
            }
            if watched(e) != seen {
                return Advanced::Woken;
            }
        }
        if e.advance_to(time, self.max_events) {
            Advanced::Reached
        } else {
            Advanced::Bounded
        }
    }

    /// `Engine::advance_to`, handing records to the sink as it goes.
    fn advance_engine(&mut self, e: &mut Engine, time: u64) -> bool {
        if self.sink.is_none() {
            return e.advance_to(time, self.max_events);
        }
        while e.next_event_time().is_some_and(|t| t <= time) {
            let progressed = self.step_instant(e);
            self.flush(e, false);
            if !progressed {
                return false;
            }
        }
        e.advance_to(time, self.max_events)
    }

    /// `Engine::step`; with a sink, records go out in batches even in the middle of an instant (a
    /// drain can change a hundred thousand tasks at once). False when nothing was processed:
    /// nothing pending, or a bound reached.
    fn step_instant(&mut self, e: &mut Engine) -> bool {
        if self.sink.is_none() {
            return e.step();
        }
        loop {
            match e.step_part(SINK_BATCH) {
                StepPart::Idle | StepPart::Bounded => return false,
                StepPart::InstantDone => return true,
                StepPart::Partial => self.flush(e, true),
            }
        }
    }

    /// One unit of progress no later than `deadline` (the next event instant, or the next
    /// registration); false when nothing happens until then.
    fn step(&mut self, e: &mut Engine, deadline: u64) -> Result<bool, ScenarioError> {
        self.flush(e, false);
        let event = e.next_event_time().filter(|t| *t <= deadline);
        let outside = [self.next_time(), self.background_time(e)].into_iter().flatten().filter(|t| *t <= deadline).min();
        match (event, outside) {
            (_, Some(r)) if event.is_none_or(|ev| r <= ev) => self.advance_to(e, r),
            (Some(_), _) => Ok(self.step_instant(e)),
            _ => Ok(false),
        }
    }

    /// Runs until `done` holds or `timeout_ms` passes (then the clock is at the deadline). Returns
    /// whether it timed out.
    pub(crate) fn wait_until(
        &mut self,
        e: &mut Engine,
        timeout_ms: u64,
        done: impl Fn(&Engine) -> bool,
    ) -> Result<bool, ScenarioError> {
        let deadline = e.now_ms().saturating_add(timeout_ms);
        loop {
            if done(e) {
                return Ok(false);
            }
            if e.bound_reached().is_some() || !self.step(e, deadline)? {
                // An event bound cuts the wait short: it did not time out, the run is over.
                if !self.advance_to(e, deadline)? {
                    self.bounded = true;
                }
                return Ok(!done(e));
            }
        }
    }

    /// Runs until nothing but background retries is pending and nothing is left to register, until
    /// the run's end time, or until an event bound. A run that reached the end of simulated time
    /// (an event past `MAX_SIM_TIME_MS` was not scheduled) says so instead of `quiet` or `endTime`.
    pub(crate) fn run_until_quiet(&mut self, e: &mut Engine) -> Result<StopReason, ScenarioError> {
        let end_time = self.end_time_ms;
        let natural = |e: &Engine, reason| if e.time_limit_reached() { StopReason::TimeLimit } else { reason };
        loop {
            if e.is_quiet()
                && self.pending.is_empty()
                && self.background_time(e).is_none()
                && e.bound_reached() != Some(StopReason::MaxEventsPerInstant)
            {
                return Ok(natural(e, StopReason::Quiet));
            }
            if let Some(bound) = e.bound_reached() {
                self.bounded = true;
                return Ok(bound);
            }
            let before = (e.now_ms(), e.events_processed(), self.pending.len(), self.background.acts());
            if !self.step(e, end_time)? {
                if let Some(bound) = e.bound_reached() {
                    self.bounded = true;
                    return Ok(bound);
                }
                if e.is_quiet() && self.pending.is_empty() && self.background_time(e).is_none() {
                    return Ok(natural(e, StopReason::Quiet));
                }
                if !self.advance_engine(e, end_time.max(e.now_ms())) {
                    self.bounded = true;
                    return Ok(e.bound_reached().unwrap_or(StopReason::MaxEvents));
                }
                return Ok(natural(e, StopReason::EndTime));
            }
            debug_assert_ne!(
                before,
                (e.now_ms(), e.events_processed(), self.pending.len(), self.background.acts()),
                "no progress"
            );
        }
    }
}
