//! The event queue: timed events ordered by `(time, sequence number)`, so events at equal times fire
//! in the order they were scheduled. 24 bytes per pending event.

use std::collections::VecDeque;

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
    /// A random agent disconnect (payload: instance id). Background: a run may end before it.
    AgentFlapDisconnect,
    /// The agent reconnects after a random disconnect (payload: instance id).
    AgentFlapReconnect,
}

impl EventKind {
    /// Background events do not keep a run from being quiet.
    pub fn is_background(self) -> bool {
        matches!(self, EventKind::SchedulerRetry | EventKind::InstanceForgotten | EventKind::AgentFlapDisconnect)
    }
}

/// A scheduled event (16 bytes). Its sequence number is implicit: the queue keeps events of equal
/// times in the order they were scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub time_ms: SimTimeMs,
    pub kind: EventKind,
    pub id: u32,
    pub epoch: u16,
}

/// Min-queue of events by `(time_ms, seq)`: a monotone radix heap. Simulated time never goes back,
/// so keys are bucketed by the highest bit in which they differ from the last key taken; a pop
/// touches one bucket, and the cost per event stays flat from ten thousand to a million pending
/// (a binary heap's cache misses grow with it). Events with equal times always share a bucket and
/// keep their insertion order, so ties pop by sequence number.
#[derive(Debug, Clone)]
pub struct EventQueue {
    /// Bucket 0 holds events at `last` (the time last taken, or last redistributed to); bucket
    /// `b > 0` holds events whose time differs from `last` first at bit `b - 1`.
    buckets: Vec<VecDeque<Event>>,
    last: SimTimeMs,
    /// The earliest pending time.
    min: Option<SimTimeMs>,
    len: usize,
    next_seq: u64,
    foreground_pending: usize,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            buckets: (0..65).map(|_| VecDeque::new()).collect(),
            last: 0,
            min: None,
            len: 0,
            next_seq: 0,
            foreground_pending: 0,
        }
    }
}

fn bucket_of(time_ms: SimTimeMs, last: SimTimeMs) -> usize {
    (64 - (time_ms ^ last).leading_zeros()) as usize
}

impl EventQueue {
    /// Schedules an event; returns its sequence number. Times before the last event taken are
    /// moved up to it (the engine never schedules into the past).
    pub fn push(&mut self, time_ms: SimTimeMs, kind: EventKind, id: u32, epoch: u16) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        if !kind.is_background() {
            self.foreground_pending += 1;
        }
        let time_ms = time_ms.max(self.last);
        self.buckets[bucket_of(time_ms, self.last)].push_back(Event { time_ms, kind, id, epoch });
        self.len += 1;
        self.min = Some(self.min.map_or(time_ms, |m| m.min(time_ms)));
        seq
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTimeMs> {
        self.min
    }

    /// Removes the earliest event.
    pub fn pop(&mut self) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            self.refill();
        }
        let e = self.buckets[0].pop_front().expect("refilled");
        self.len -= 1;
        if !e.kind.is_background() {
            self.foreground_pending -= 1;
        }
        self.min = if self.len == 0 {
            None
        } else if !self.buckets[0].is_empty() {
            Some(self.last)
        } else {
            let b = self.buckets.iter().position(|b| !b.is_empty()).expect("len > 0");
            self.buckets[b].iter().map(|e| e.time_ms).min()
        };
        Some(e)
    }

    /// Moves `last` to the smallest pending time and redistributes that bucket (bucket 0 is empty).
    fn refill(&mut self) {
        let b = (1..self.buckets.len()).find(|b| !self.buckets[*b].is_empty()).expect("len > 0");
        let bucket = std::mem::take(&mut self.buckets[b]);
        // The cached minimum is this bucket's minimum (lower buckets are empty).
        self.last = self.min.expect("len > 0");
        for e in bucket {
            self.buckets[bucket_of(e.time_ms, self.last)].push_back(e);
        }
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
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
    fn matches_a_sorted_order_on_random_schedules() {
        let mut q = EventQueue::default();
        let mut reference = Vec::new();
        let mut x = 12345u64;
        let mut now = 0u64;
        for round in 0..2000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let t = now + (x >> 54);
            let seq = q.push(t, EventKind::TaskStageEnds, round, 0);
            reference.push((t, seq, round));
            if x % 3 == 0 {
                reference.sort();
                let want = reference.remove(0);
                let got = q.pop().expect("pending");
                assert_eq!((got.time_ms, got.id), (want.0, want.2));
                now = got.time_ms;
            }
        }
        reference.sort();
        for want in reference {
            let got = q.pop().expect("pending");
            assert_eq!((got.time_ms, got.id), (want.0, want.2));
        }
        assert!(q.is_empty());
    }

    #[test]
    fn event_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 16);
    }
}
