//! The event queue: timed events ordered by `(time, sequence number)`, so events at equal times fire
//! in the order they were scheduled. 24 bytes per pending event.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::SimTimeMs;

/// What a timed event does. The payload is a numeric id; `epoch` lets the engine drop events made
/// stale by a later decision (a task told to stop while its start was still scheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A task's current lifecycle stage ends (payload: task id).
    TaskStageEnds,
    /// A RUNNING task passes its health check (payload: task id).
    TaskBecomesHealthy,
    /// A service's scheduling pass (payload: service id).
    SchedulerPass,
    /// A periodic retry pass of a stalled service (payload: service id). Background: it alone never
    /// keeps a run from being quiet.
    SchedulerRetry,
    /// The next stage of an agent update (payload: instance id).
    AgentUpdateStage,
    /// An INACTIVE instance stops being describable (payload: instance id).
    InstanceForgotten,
    /// The trunk ENI attachment of a registering instance moves on (payload: instance id).
    TrunkAttachmentStage,
    /// The agent acknowledges the trunk ENI with SubmitAttachmentStateChanges (payload: instance id).
    TrunkAttachmentAcknowledged,
    /// The trunk ENI of a deregistering instance moves on (payload: instance id).
    TrunkDetachStage,
    /// A scheduled fault fires (payload: index into the fault plan).
    Fault,
}

impl EventKind {
    /// Background events do not keep a run from being quiet.
    pub fn is_background(self) -> bool {
        matches!(self, EventKind::SchedulerRetry | EventKind::InstanceForgotten)
    }
}

/// A scheduled event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub time_ms: SimTimeMs,
    pub seq: u64,
    pub kind: EventKind,
    pub id: u32,
    pub epoch: u16,
}

/// Min-queue of events by `(time_ms, seq)`.
#[derive(Debug, Default, Clone)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Event>>,
    next_seq: u64,
    foreground_pending: usize,
}

impl EventQueue {
    /// Schedules an event; returns its sequence number.
    pub fn push(&mut self, time_ms: SimTimeMs, kind: EventKind, id: u32, epoch: u16) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        if !kind.is_background() {
            self.foreground_pending += 1;
        }
        self.heap.push(Reverse(Event { time_ms, seq, kind, id, epoch }));
        seq
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTimeMs> {
        self.heap.peek().map(|e| e.0.time_ms)
    }

    /// Removes the earliest event.
    pub fn pop(&mut self) -> Option<Event> {
        let e = self.heap.pop()?.0;
        if !e.kind.is_background() {
            self.foreground_pending -= 1;
        }
        Some(e)
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Whether only background events are pending.
    pub fn is_quiet(&self) -> bool {
        self.foreground_pending == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_fire_in_scheduling_order() {
        let mut q = EventQueue::default();
        q.push(10, EventKind::SchedulerPass, 2, 0);
        q.push(5, EventKind::SchedulerPass, 1, 0);
        q.push(10, EventKind::TaskStageEnds, 3, 0);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|e| e.id).collect();
        assert_eq!(order, vec![1, 2, 3]);
    }

    #[test]
    fn event_is_24_bytes() {
        assert!(std::mem::size_of::<Event>() <= 24);
    }
}
