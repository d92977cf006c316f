//! The event queue: timed events ordered by `(time, sequence number)`, so events at equal times fire
//! in the order they were scheduled. A pending event takes at most 16 bytes (events scheduled one
//! after another at one time for consecutive ids share one 16-byte entry, [`Entry`]): entries live in a shared pool of
//! blocks of up to 256 (4 KiB; a new block starts small and doubles as it fills), each bucket of
//! the radix heap is a first-in-first-out chain of blocks, and a block emptied by a pop or by redistributing a bucket goes to a free list that any
//! bucket reuses. So the pool holds the pending events plus at most about one partly filled block
//! per bucket. Free blocks beyond one per bucket and a quarter of the blocks in use give their
//! memory back, so a queue past its peak does not hold the peak's memory for the rest of the run.
//!
//! A queue of at most [`FEW`] pending events (a small run's whole life, a sweep seed's) keeps them
//! in one sorted array instead: the radix heap moves an event once per bit its time shares with
//! no earlier pop, which for a few events spread over minutes costs more than keeping them sorted.
//! Both orders are `(time, sequence)`, so which one holds the events changes nothing but speed.

use crate::infra::time::SimTimeMs;

/// What a timed event does. The payload is a numeric id; `epoch` lets the engine drop events made
/// stale by a later decision (a task told to stop while its start was still scheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A task's current lifecycle stage ends (payload: task id).
    TaskStageEnds,
    /// A RUNNING task passes its health check (payload: task id).
    TaskBecomesHealthy,
    /// A healthy task's failing health checks reach their unhealthy threshold (payload: task id).
    TaskFailsHealthChecks,
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
    /// A Spot Instance's two-minute interruption notice runs out: EC2 terminates it (payload:
    /// instance id).
    SpotTermination,
    /// The hourly draw of Spot interruptions (payload: 0). Background: a run may end before it.
    SpotInterruptionDraw,
    /// A drawn Spot interruption's notice, its rebalance recommendation given earlier (payload:
    /// instance id).
    SpotInterruptionNotice,
    /// The moment within the hour a Spot draw picked for an instance's interruption or rebalance
    /// recommendation (payload: instance id). Background, as the draw: nothing has happened yet.
    SpotSignalMoment,
}

impl EventKind {
    /// Background events do not keep a run from being quiet.
    pub fn is_background(self) -> bool {
        matches!(
            self,
            EventKind::SchedulerRetry
                | EventKind::InstanceForgotten
                | EventKind::AgentFlapDisconnect
                | EventKind::SpotInterruptionDraw
                | EventKind::SpotSignalMoment
        )
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

/// A pending event as the radix heap keeps it: a run of `1 + more` events with one time, kind and
/// epoch whose ids follow each other (`id`, `id + 1`, …), scheduled one right after another
/// (16 bytes, like an [`Event`]). A bucket's events are in scheduling order, so an event that
/// would be appended right after the bucket's last entry and continues its run joins that entry:
/// popping the run one event at a time gives exactly the events the separate entries would have.
/// A scheduling pass that launches thousands of tasks schedules their first stage at one time, in
/// task order, so their events take an entry per 256 instead of one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    time_ms: SimTimeMs,
    id: u32,
    epoch: u16,
    kind: EventKind,
    /// Events in the run after the first.
    more: u8,
}

impl Entry {
    fn single(e: Event) -> Entry {
        Entry { time_ms: e.time_ms, id: e.id, epoch: e.epoch, kind: e.kind, more: 0 }
    }

    /// The run's first event.
    fn first(&self) -> Event {
        Event { time_ms: self.time_ms, kind: self.kind, id: self.id, epoch: self.epoch }
    }

    /// Takes `next` (a run scheduled right after this one, in the same bucket) into this run, if
    /// it continues it and the run has room.
    fn absorb(&mut self, next: &Entry) -> bool {
        let continues = self.time_ms == next.time_ms
            && self.kind == next.kind
            && self.epoch == next.epoch
            && self.id.checked_add(u32::from(self.more) + 1) == Some(next.id);
        let Some(more) = continues.then(|| u16::from(self.more) + u16::from(next.more) + 1) else { return false };
        match u8::try_from(more) {
            Ok(more) => {
                self.more = more;
                true
            }
            Err(_) => false,
        }
    }
}

/// Events per pool block (4 KiB of 16-byte events). Blocks of 64 made a short run about 2 %
/// faster (its few pending events are spread over a dozen buckets, a block each) but raised the
/// peak memory of the 20,000-instance drain by 1.2 MB (4 %): many small blocks given back and
/// taken again fragment the heap.
const BLOCK: usize = 256;
/// Events a new block has room for; it doubles as it fills, up to [`BLOCK`]. A short run (a sweep
/// seed has a few dozen events, spread over a dozen buckets) then does not allocate and fill 4 KiB
/// per bucket, and a long run's blocks reach full size once and are reused from the free list.
const FIRST_BLOCK_CAPACITY: usize = 16;
const _: () = assert!(BLOCK.is_power_of_two() && FIRST_BLOCK_CAPACITY.is_power_of_two() && FIRST_BLOCK_CAPACITY <= BLOCK);
/// The most pending events kept in the sorted array ([`EventQueue::few`]); one more moves them
/// all to the radix heap, which keeps them until the queue is next empty. A sweep seed of the
/// drain scenarios has about a dozen pending; inserting into 32 sorted slots moves at most 512
/// bytes.
const FEW: usize = 32;
/// Buckets of the radix heap: bucket 0 plus one per bit of a 64-bit time.
const BUCKETS: usize = 65;
const _: () = assert!(BUCKETS <= 128, "the occupied mask has a bit per bucket");
/// No block: the end of a chain, or of the free list.
const NIL: u32 = u32::MAX;

/// One bucket: a chain of pool blocks from `head` to `tail`, linked by `EventQueue::next`. Its
/// events are slots `head_pos..` of the head block, every slot of the blocks between, and slots
/// `..tail_pos` of the tail block (or `head_pos..tail_pos` when head and tail are one block). An
/// empty bucket holds no block.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    head: u32,
    tail: u32,
    head_pos: u32,
    tail_pos: u32,
}

impl Bucket {
    const EMPTY: Bucket = Bucket { head: NIL, tail: NIL, head_pos: 0, tail_pos: 0 };

    fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

/// Min-queue of events by `(time_ms, seq)`: a monotone radix heap. Simulated time never goes back,
/// so keys are bucketed by the highest bit in which they differ from the last key taken; a pop
/// touches one bucket, and the cost per event stays flat from ten thousand to a million pending
/// (a binary heap's cache misses grow with it). Events with equal times always share a bucket and
/// keep their insertion order, so ties pop by sequence number.
#[derive(Clone)]
pub struct EventQueue {
    /// While `in_buckets` is false: every pending event, latest first (the next to pop is the
    /// last element; of equal times, the earlier scheduled is nearer the end). Empty otherwise.
    few: Vec<Event>,
    /// Whether the pending events are in the radix heap's buckets rather than in `few`.
    in_buckets: bool,
    /// Bucket 0 holds events at `last` (the time last taken, or last redistributed to); bucket
    /// `b > 0` holds events whose time differs from `last` first at bit `b - 1`.
    buckets: [Bucket; BUCKETS],
    /// Bit `b` set when bucket `b` is not empty, so finding the first non-empty bucket is one
    /// instruction instead of a scan of 65 buckets (most pops of a small run empty bucket 0).
    occupied: u128,
    /// The block pool, shared by all buckets. A block in a chain holds its events in `0..len`
    /// (its tail is appended to, its head read from `head_pos`); a free block is empty with its
    /// memory kept; a slot whose memory was given back has no capacity.
    blocks: Vec<Vec<Entry>>,
    /// Per block: the next block of its bucket's chain, or of its list (`NIL` at the end).
    next: Vec<u32>,
    /// The first free block (with memory, ready for reuse), or `NIL`.
    free: u32,
    /// Blocks on the free list.
    free_len: usize,
    /// The first pool slot without memory, or `NIL`.
    vacant: u32,
    /// Pool slots without memory.
    vacant_len: usize,
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
            few: Vec::new(),
            in_buckets: false,
            buckets: [Bucket::EMPTY; BUCKETS],
            occupied: 0,
            blocks: Vec::new(),
            next: Vec::new(),
            free: NIL,
            free_len: 0,
            vacant: NIL,
            vacant_len: 0,
            last: 0,
            min: None,
            len: 0,
            next_seq: 0,
            foreground_pending: 0,
        }
    }
}

impl crate::infra::recycle::Recycle for EventQueue {
    fn reset_to(&mut self, fresh: Self) {
        let EventQueue {
            few,
            in_buckets,
            buckets,
            occupied,
            blocks,
            next,
            free,
            free_len,
            vacant,
            vacant_len,
            last,
            min,
            len,
            next_seq,
            foreground_pending,
        } = fresh;
        // The sorted array is what a small run uses; the radix heap's pool is rebuilt as needed.
        self.few.reset_to(few);
        self.in_buckets = in_buckets;
        self.buckets = buckets;
        self.occupied = occupied;
        self.blocks = blocks;
        self.next = next;
        self.free = free;
        self.free_len = free_len;
        self.vacant = vacant;
        self.vacant_len = vacant_len;
        self.last = last;
        self.min = min;
        self.len = len;
        self.next_seq = next_seq;
        self.foreground_pending = foreground_pending;
    }
}

/// Shows the pending events bucket by bucket (not the pool's stale slots).
impl std::fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Events<'a>(&'a EventQueue, usize);
        impl std::fmt::Debug for Events<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.0.slices(self.1).flatten()).finish()
            }
        }
        struct Buckets<'a>(&'a EventQueue);
        impl std::fmt::Debug for Buckets<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries((0..BUCKETS).map(|b| Events(self.0, b))).finish()
            }
        }
        f.debug_struct("EventQueue")
            .field("few_latest_first", &self.few)
            .field("buckets", &Buckets(self))
            .field("blocks_with_memory", &(self.blocks.len() - self.vacant_len))
            .field("last", &self.last)
            .field("min", &self.min)
            .field("len", &self.len)
            .field("next_seq", &self.next_seq)
            .field("foreground_pending", &self.foreground_pending)
            .finish()
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
        let e = Event { time_ms, kind, id, epoch };
        self.len += 1;
        self.min = Some(self.min.map_or(time_ms, |m| m.min(time_ms)));
        if !self.in_buckets {
            if self.few.len() < FEW {
                // After every event due at or before it, so equal times keep scheduling order.
                let at = self.few.partition_point(|x| x.time_ms > time_ms);
                self.few.insert(at, e);
                debug_assert!(self.few.windows(2).all(|w| w[0].time_ms >= w[1].time_ms), "few is latest first");
                return seq;
            }
            self.spill();
        }
        self.push_back(bucket_of(time_ms, self.last), Entry::single(e));
        seq
    }

    /// Moves the sorted array's events to the buckets, earliest first, so events of equal times
    /// enter their bucket in scheduling order.
    fn spill(&mut self) {
        debug_assert!(!self.in_buckets && self.occupied == 0, "the buckets are empty while few holds the events");
        self.in_buckets = true;
        while let Some(e) = self.few.pop() {
            self.push_back(bucket_of(e.time_ms, self.last), Entry::single(e));
        }
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
        if !self.in_buckets {
            let e = self.few.pop().expect("few holds the pending events");
            self.len -= 1;
            if !e.kind.is_background() {
                self.foreground_pending -= 1;
            }
            self.last = e.time_ms;
            self.min = self.few.last().map(|x| x.time_ms);
            return Some(e);
        }
        if self.buckets[0].is_empty() {
            self.refill();
        }
        let e = self.pop_front_0();
        self.len -= 1;
        if !e.kind.is_background() {
            self.foreground_pending -= 1;
        }
        self.min = if self.len == 0 {
            // Empty: the next events go to the sorted array until there are more than FEW.
            self.in_buckets = false;
            None
        } else if !self.buckets[0].is_empty() {
            Some(self.last)
        } else {
            let b = self.first_occupied();
            self.slices(b).filter_map(|s| s.iter().map(|e| e.time_ms).min()).min()
        };
        Some(e)
    }

    /// Moves `last` to the smallest pending time and redistributes that bucket (bucket 0 is empty).
    /// Each block of the taken bucket goes back to the free list as soon as it has been read, so
    /// the buckets it feeds reuse it.
    fn refill(&mut self) {
        let b = self.first_occupied();
        debug_assert!(b > 0, "bucket 0 is empty when refilled");
        let src = std::mem::replace(&mut self.buckets[b], Bucket::EMPTY);
        self.occupied &= !(1 << b);
        // The cached minimum is this bucket's minimum (lower buckets are empty).
        self.last = self.min.expect("len > 0");
        let mut block = src.head;
        let mut start = src.head_pos as usize;
        loop {
            let end = if block == src.tail { src.tail_pos as usize } else { BLOCK };
            for i in start..end {
                let e = self.block(block)[i];
                self.push_back(bucket_of(e.time_ms, self.last), e);
            }
            let following = self.next[block as usize];
            self.release_block(block);
            if block == src.tail {
                break;
            }
            block = following;
            start = 0;
        }
    }

    /// Appends a run of events to a bucket's chain: into the chain's last entry if it continues
    /// that entry's run ([`Entry::absorb`]), else as an entry of its own.
    fn push_back(&mut self, bucket: usize, e: Entry) {
        let Bucket { head, tail, tail_pos, .. } = self.buckets[bucket];
        if head != NIL && self.blocks[tail as usize][tail_pos as usize - 1].absorb(&e) {
            return;
        }
        if head == NIL {
            let block = self.take_block();
            self.append(block, e);
            self.buckets[bucket] = Bucket { head: block, tail: block, head_pos: 0, tail_pos: 1 };
            self.occupied |= 1 << bucket;
            return;
        }
        let (tail, pos) = if tail_pos as usize == BLOCK {
            let block = self.take_block();
            self.next[tail as usize] = block;
            (block, 0)
        } else {
            (tail, tail_pos)
        };
        self.append(tail, e);
        debug_assert_eq!(
            self.blocks[tail as usize].len(),
            pos as usize + 1,
            "a chain's tail block holds its events up to tail_pos"
        );
        let b = &mut self.buckets[bucket];
        b.tail = tail;
        b.tail_pos = pos + 1;
    }

    /// Removes the first event of bucket 0, which is not empty: the first of its first run.
    fn pop_front_0(&mut self) -> Event {
        let Bucket { head, tail, head_pos, tail_pos } = self.buckets[0];
        let entry = &mut self.blocks[head as usize][head_pos as usize];
        let e = entry.first();
        if entry.more > 0 {
            entry.id += 1;
            entry.more -= 1;
            return e;
        }
        let pos = head_pos + 1;
        if head == tail && pos == tail_pos {
            self.release_block(head);
            self.buckets[0] = Bucket::EMPTY;
            self.occupied &= !1;
        } else if pos as usize == BLOCK {
            let following = self.next[head as usize];
            self.release_block(head);
            self.buckets[0].head = following;
            self.buckets[0].head_pos = 0;
        } else {
            self.buckets[0].head_pos = pos;
        }
        e
    }

    /// The lowest non-empty bucket (some bucket is not empty).
    fn first_occupied(&self) -> usize {
        debug_assert!(self.occupied != 0, "some bucket holds an event");
        debug_assert!((0..BUCKETS).all(|b| (self.occupied >> b & 1 == 1) != self.buckets[b].is_empty()));
        self.occupied.trailing_zeros() as usize
    }

    /// The entries of a bucket in order, as one slice per block.
    fn slices(&self, bucket: usize) -> impl Iterator<Item = &[Entry]> + '_ {
        let Bucket { head, tail, head_pos, tail_pos } = self.buckets[bucket];
        let mut block = head;
        let mut start = head_pos as usize;
        std::iter::from_fn(move || {
            if block == NIL {
                return None;
            }
            let end = if block == tail { tail_pos as usize } else { BLOCK };
            let slice = &self.block(block)[start..end];
            block = if block == tail { NIL } else { self.next[block as usize] };
            start = 0;
            Some(slice)
        })
    }

    fn block(&self, block: u32) -> &[Entry] {
        &self.blocks[block as usize]
    }

    /// Appends an entry to a block that is not full, doubling its room (up to [`BLOCK`]) when it
    /// has none left.
    fn append(&mut self, block: u32, e: Entry) {
        let events = &mut self.blocks[block as usize];
        debug_assert!(events.len() < BLOCK, "only a block that is not full is appended to");
        if events.len() == events.capacity() {
            let room = (events.capacity() * 2).clamp(FIRST_BLOCK_CAPACITY, BLOCK);
            events.reserve_exact(room - events.len());
        }
        events.push(e);
    }

    /// A block from the free list, else a slot given back (with new memory), else a new one.
    fn take_block(&mut self) -> u32 {
        if self.free != NIL {
            let block = self.free;
            self.free = self.next[block as usize];
            self.free_len -= 1;
            self.next[block as usize] = NIL;
            return block;
        }
        if self.vacant != NIL {
            let block = self.vacant;
            self.vacant = self.next[block as usize];
            self.vacant_len -= 1;
            self.next[block as usize] = NIL;
            self.blocks[block as usize] = Vec::with_capacity(FIRST_BLOCK_CAPACITY);
            return block;
        }
        let block = u32::try_from(self.blocks.len()).ok().filter(|b| *b != NIL).expect("fewer than 2^32 - 1 blocks");
        self.blocks.push(Vec::with_capacity(FIRST_BLOCK_CAPACITY));
        self.next.push(NIL);
        block
    }

    /// Returns a block to the free list, or its memory to the allocator when the free list already
    /// holds a block per bucket and a quarter of the blocks in use.
    fn release_block(&mut self, block: u32) {
        let in_use = self.blocks.len() - self.free_len - self.vacant_len;
        if self.free_len < BUCKETS.max(in_use / 4) {
            self.blocks[block as usize].clear();
            self.next[block as usize] = self.free;
            self.free = block;
            self.free_len += 1;
        } else {
            self.blocks[block as usize] = Vec::new();
            self.next[block as usize] = self.vacant;
            self.vacant = block;
            self.vacant_len += 1;
        }
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is pending.
    #[cfg(test)]
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

    /// A small deterministic generator for the tests below.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 11
        }
    }

    /// The queue against a sorted reference (a `BTreeMap` keyed by `(time, seq)`, with pushes into
    /// the past clamped to the last time taken): every pop, `peek_time`, `len` and `is_quiet`.
    struct Checked {
        q: EventQueue,
        reference: std::collections::BTreeMap<(SimTimeMs, u64), (EventKind, u32, u16)>,
        now: SimTimeMs,
        foreground: usize,
    }

    impl Checked {
        fn new() -> Self {
            Checked { q: EventQueue::default(), reference: Default::default(), now: 0, foreground: 0 }
        }

        fn push(&mut self, t: SimTimeMs, kind: EventKind, id: u32, epoch: u16) {
            let seq = self.q.push(t, kind, id, epoch);
            assert!(self.reference.insert((t.max(self.now), seq), (kind, id, epoch)).is_none());
            self.foreground += usize::from(!kind.is_background());
            self.check();
        }

        fn pop(&mut self) {
            let got = self.q.pop();
            let want = self.reference.pop_first();
            match (got, want) {
                (None, None) => {}
                (Some(got), Some(((t, _), (kind, id, epoch)))) => {
                    assert_eq!(got, Event { time_ms: t, kind, id, epoch });
                    self.now = t;
                    self.foreground -= usize::from(!kind.is_background());
                }
                (got, want) => panic!("queue {got:?}, reference {want:?}"),
            }
            self.check();
        }

        fn check(&self) {
            assert_eq!(self.q.peek_time(), self.reference.keys().next().map(|k| k.0));
            assert_eq!(self.q.len(), self.reference.len());
            assert_eq!(self.q.is_empty(), self.reference.is_empty());
            assert_eq!(self.q.is_quiet(), self.foreground == 0);
        }
    }

    const KINDS: [EventKind; 4] =
        [EventKind::TaskStageEnds, EventKind::SchedulerRetry, EventKind::SchedulerPass, EventKind::AgentFlapDisconnect];

    #[test]
    fn matches_a_sorted_reference_through_bursts_and_random_schedules() {
        let mut c = Checked::new();
        let mut rng = Lcg(7);
        let mut id = 0u32;
        for round in 0..6u32 {
            // A burst at one time (100,000 in the first round), which must pop in push order.
            let burst = if round == 0 { 100_000 } else { 3_000 + (rng.next() % 5_000) as u32 };
            let at = c.now + rng.next() % 1_000;
            for _ in 0..burst {
                id += 1;
                c.push(at, KINDS[(rng.next() % 4) as usize], id, (rng.next() % 3) as u16);
            }
            // Random pushes and pops: near times, far times, equal times, times in the past.
            for _ in 0..40_000 {
                let r = rng.next();
                if r % 5 < 3 {
                    let t = match r % 7 {
                        0 => c.now,
                        1 => c.now.saturating_sub(rng.next() % 100),
                        2 => c.now + rng.next() % (1 << 40),
                        _ => c.now + rng.next() % 2_000,
                    };
                    id += 1;
                    c.push(t, KINDS[(rng.next() % 4) as usize], id, (rng.next() % 3) as u16);
                } else {
                    c.pop();
                }
            }
            // Drain about half of what is left.
            for _ in 0..c.reference.len() / 2 {
                c.pop();
            }
        }
        while !c.reference.is_empty() {
            c.pop();
        }
        c.pop();
        assert!(c.q.is_empty() && c.q.is_quiet() && c.q.peek_time().is_none());
    }

    /// Around the sorted array's limit: the pending count wanders across [`FEW`], so events move
    /// to the buckets with others of equal times still pending, and the queue empties and goes
    /// back to the array, many times over; every pop, `peek_time` and `len` match the reference.
    #[test]
    fn matches_a_sorted_reference_across_the_sorted_array_limit() {
        let mut c = Checked::new();
        let mut rng = Lcg(3);
        let (mut id, mut spills, mut back_to_few) = (0u32, 0u32, 0u32);
        for _ in 0..200_000 {
            let pending = c.reference.len();
            let r = rng.next();
            // Pushes outnumber pops below FEW + 8 pending, and pops outnumber pushes above it; one
            // round in 500 empties the queue.
            if r % 500 == 0 {
                let was_in_buckets = c.q.in_buckets;
                while !c.reference.is_empty() {
                    c.pop();
                }
                back_to_few += u32::from(was_in_buckets && !c.q.in_buckets);
            } else if (r >> 10) % 16 < if pending < FEW + 8 { 10 } else { 5 } {
                let t = match r % 5 {
                    0 => c.now,
                    1 => c.now.saturating_sub(rng.next() % 50),
                    2 => c.now + 60_000 + rng.next() % 4,
                    _ => c.now + rng.next() % 3_000,
                };
                id += 1;
                let was_in_buckets = c.q.in_buckets;
                c.push(t, KINDS[(rng.next() % 4) as usize], id, 0);
                spills += u32::from(!was_in_buckets && c.q.in_buckets);
            } else {
                let was_in_buckets = c.q.in_buckets;
                c.pop();
                back_to_few += u32::from(was_in_buckets && !c.q.in_buckets);
            }
            assert!(c.q.in_buckets || c.q.few.len() == c.q.len(), "the array holds every event while in use");
            assert!(!c.q.in_buckets || c.q.few.is_empty(), "the array is empty while the buckets are in use");
        }
        assert!(spills > 100 && back_to_few > 100, "{spills} moves to the buckets, {back_to_few} back to the array");
    }

    /// The blocks of a list threaded through `next`, from `first`.
    fn list(q: &EventQueue, first: u32) -> Vec<u32> {
        std::iter::successors(Some(first).filter(|b| *b != NIL), |b| Some(q.next[*b as usize]).filter(|b| *b != NIL)).collect()
    }

    /// Every pool slot is in exactly one bucket chain, the free list or the vacant list, and has
    /// memory unless vacant. Returns the blocks with memory.
    fn check_pool(q: &EventQueue) -> usize {
        let mut seen = vec![0u8; q.blocks.len()];
        for b in 0..BUCKETS {
            let Bucket { head, tail, .. } = q.buckets[b];
            if head == NIL {
                continue;
            }
            let chain = list(q, head);
            assert_eq!(chain.last(), Some(&tail));
            chain.iter().for_each(|b| seen[*b as usize] += 1);
        }
        let free = list(q, q.free);
        let vacant = list(q, q.vacant);
        assert_eq!((free.len(), vacant.len()), (q.free_len, q.vacant_len));
        free.iter().chain(&vacant).for_each(|b| seen[*b as usize] += 1);
        assert!(seen.iter().all(|n| *n == 1), "a block is in no list or in two");
        assert!(vacant.iter().all(|b| q.blocks[*b as usize].capacity() == 0));
        assert!(q.blocks.iter().all(|b| b.capacity() <= BLOCK), "a block never grows past BLOCK events");
        let with_memory = q.blocks.iter().filter(|b| b.capacity() > 0).count();
        assert_eq!(with_memory, q.blocks.len() - vacant.len());
        with_memory
    }

    #[test]
    fn emptied_blocks_are_reused_and_surplus_memory_given_back() {
        let mut q = EventQueue::default();
        let mut rng = Lcg(11);
        let n = 50_000u64;
        let bound = n as usize / BLOCK + BUCKETS + 1;
        // Push and pop n events, ten times over: the pool stays at the size of one round, and an
        // empty queue keeps memory for at most a block per bucket.
        for round in 0..10 {
            let base = q.last;
            for i in 0..n {
                q.push(base + 1 + rng.next() % 1_000_000, EventKind::TaskStageEnds, i as u32, 0);
            }
            assert!(check_pool(&q) <= bound, "round {round}: {} blocks with memory, bound {bound}", check_pool(&q));
            while q.pop().is_some() {}
            assert!(q.blocks.len() <= bound, "round {round}: {} blocks, bound {bound}", q.blocks.len());
            assert!(check_pool(&q) <= BUCKETS, "round {round}: {} blocks kept while empty", check_pool(&q));
        }
        // A steady state of n pending over 20 n events stays within the bound too.
        let now = q.last;
        for i in 0..n {
            q.push(now + 1 + rng.next() % 1_000_000, EventKind::TaskStageEnds, i as u32, 0);
        }
        for i in 0..20 * n {
            let e = q.pop().expect("pending");
            q.push(e.time_ms + 1 + rng.next() % 1_000_000, EventKind::TaskStageEnds, i as u32, 0);
            if i % 100_000 == 0 {
                check_pool(&q);
            }
        }
        assert!(q.blocks.len() <= bound, "{} blocks after the steady state", q.blocks.len());
        assert!(check_pool(&q) <= bound);
    }

    #[test]
    fn event_and_entry_are_16_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 16);
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    /// Entries in the buckets (a run counts once).
    fn entries(q: &EventQueue) -> usize {
        (0..BUCKETS).map(|b| q.slices(b).map(<[Entry]>::len).sum::<usize>()).sum()
    }

    /// A pass that launches 100,000 tasks schedules their first stage at one time in task order:
    /// the queue holds an entry per 256 of them, and they pop one by one in that order, between
    /// events scheduled before and after at the same time.
    #[test]
    fn consecutive_events_share_entries_and_pop_one_by_one() {
        let mut q = EventQueue::default();
        q.push(500, EventKind::SchedulerPass, 7, 0);
        for id in 0..100_000u32 {
            q.push(1_000, EventKind::TaskStageEnds, id, 0);
        }
        q.push(1_000, EventKind::SchedulerPass, 7, 0);
        assert_eq!(q.len(), 100_002);
        assert_eq!(entries(&q), 1 + 100_000usize.div_ceil(256) + 1);
        assert_eq!(q.pop().map(|e| (e.time_ms, e.kind, e.id)), Some((500, EventKind::SchedulerPass, 7)));
        // Scheduled while the run is being taken: an event that continues it joins it.
        q.push(1_000, EventKind::TaskStageEnds, 100_000, 0);
        for id in 0..100_000u32 {
            assert_eq!(q.pop(), Some(Event { time_ms: 1_000, kind: EventKind::TaskStageEnds, id, epoch: 0 }));
            if id == 10 {
                q.push(1_000, EventKind::TaskStageEnds, 100_001, 0);
            }
        }
        assert_eq!(q.pop().map(|e| (e.kind, e.id)), Some((EventKind::SchedulerPass, 7)));
        assert_eq!(q.pop().map(|e| (e.kind, e.id)), Some((EventKind::TaskStageEnds, 100_000)));
        assert_eq!(q.pop().map(|e| (e.kind, e.id)), Some((EventKind::TaskStageEnds, 100_001)));
        assert_eq!(q.pop(), None);
    }

    /// Runs against the sorted reference: most pushes continue the previous one (same time, kind
    /// and epoch, the next id), the others break runs by time, kind, epoch or id, with pops, pushes
    /// into the past and ids near `u32::MAX` (a run never wraps) in between.
    #[test]
    fn runs_match_a_sorted_reference() {
        let mut c = Checked::new();
        let mut rng = Lcg(19);
        let (mut t, mut kind, mut id, mut epoch) = (0u64, EventKind::TaskStageEnds, 0u32, 0u16);
        let (mut entries_seen, mut events_seen) = (0usize, 0usize);
        for round in 0..300_000u32 {
            let r = rng.next();
            match r % 16 {
                0..=10 => id = id.wrapping_add(1),
                11 => t = c.now + rng.next() % 3_000,
                12 => kind = KINDS[(rng.next() % 4) as usize],
                13 => epoch = (rng.next() % 2) as u16,
                14 => id = if r % 3 == 0 { u32::MAX - (rng.next() % 3) as u32 } else { rng.next() as u32 },
                _ => {
                    for _ in 0..rng.next() % 40 {
                        c.pop();
                    }
                    continue;
                }
            }
            c.push(t, kind, id, epoch);
            if round % 1_000 == 0 && c.q.in_buckets {
                entries_seen += entries(&c.q);
                events_seen += c.q.len();
            }
        }
        while !c.reference.is_empty() {
            c.pop();
        }
        // About four pushes in fifteen start a run: the entries are well under half the events.
        assert!(entries_seen * 2 < events_seen, "{entries_seen} entries held {events_seen} events");
    }
}
