//! Numeric ids used inside the core. ARNs and other strings are rendered at the edges.

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// The id as a vector index.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
        impl From<$name> for u32 {
            fn from(id: $name) -> u32 {
                id.0
            }
        }
    };
}

id_type!(
    /// A cluster.
    ClusterId
);
id_type!(
    /// A container instance (in registration order).
    InstanceId
);
id_type!(
    /// A task (in launch order).
    TaskId
);
id_type!(
    /// A service (in creation order).
    ServiceId
);
id_type!(
    /// A task definition revision.
    TaskDefId
);
id_type!(
    /// An attachment (trunk ENI or task ENI).
    AttachmentId
);

/// A keyed bijection between dense indices and 128-bit IDs: task IDs look random (and change with
/// the seed) but need no lookup table — the ID is computed from the index and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdScrambler {
    key: u128,
}

const MUL1: u128 = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835;
const MUL2: u128 = 0xC2B2_AE3D_27D4_EB4F_1656_67B1_9E37_79F9;

/// The multiplicative inverse of an odd number modulo 2^128 (Newton's iteration).
const fn inverse(m: u128) -> u128 {
    let mut inv = m;
    let mut i = 0;
    while i < 7 {
        inv = inv.wrapping_mul(2u128.wrapping_sub(m.wrapping_mul(inv)));
        i += 1;
    }
    inv
}

const INV1: u128 = inverse(MUL1);
const INV2: u128 = inverse(MUL2);

/// Undoes `x ^= x >> shift`.
fn unshift(mut v: u128, shift: u32) -> u128 {
    let mut x = v;
    for _ in 0..(128 / shift + 1) {
        x = v ^ (x >> shift);
    }
    v = x;
    v
}

impl IdScrambler {
    pub fn new(key: u128) -> Self {
        IdScrambler { key }
    }

    /// The ID of an index.
    pub fn scramble(&self, index: u32) -> u128 {
        let mut v = (index as u128) ^ self.key;
        v = v.wrapping_mul(MUL1);
        v ^= v >> 64;
        v = v.wrapping_mul(MUL2);
        v ^= v >> 61;
        v ^ self.key.rotate_left(17)
    }

    /// A 64-bit ID of an index: another keyed bijection (a splitmix64 finalizer of the index and
    /// the key's high half), for IDs that are 64 bits wide (EC2 instance IDs).
    pub fn scramble64(&self, index: u32) -> u64 {
        let mut x = index as u64 ^ (self.key >> 64) as u64;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    /// The index of an ID, if the ID is one this scrambler produced for an index below `len`.
    pub fn unscramble(&self, id: u128, len: usize) -> Option<u32> {
        let mut v = id ^ self.key.rotate_left(17);
        v = unshift(v, 61);
        v = v.wrapping_mul(INV2);
        v = unshift(v, 64);
        v = v.wrapping_mul(INV1);
        let index = v ^ self.key;
        (index < len as u128).then_some(index as u32)
    }
}

/// Pushes onto a list that lives long and has many siblings (the task lists of instances and
/// services): it grows by a quarter (at least 4), not by doubling, so the spare capacity of 20,000
/// lists stays under a quarter of what they hold. Still amortized O(1).
pub fn push_growing_slowly<T>(list: &mut Vec<T>, value: T) {
    if list.len() == list.capacity() {
        list.reserve_exact((list.len() / 4).max(4));
    }
    list.push(value);
}

/// A set of ids gathered during an instant and taken in id order at its end (the services an
/// instant touched): inserting is O(1) — a mark per id, so an id is listed once however often it is
/// inserted — and taking sorts only the members. The list's memory is kept for the next instant.
#[derive(Debug, Clone)]
pub struct MarkedIds<Id> {
    members: Vec<Id>,
    marked: Vec<bool>,
}

impl<Id> Default for MarkedIds<Id> {
    fn default() -> Self {
        MarkedIds { members: Vec::new(), marked: Vec::new() }
    }
}

impl<Id: Copy + Ord + Into<u32>> MarkedIds<Id> {
    /// Adds an id (a no-op when it is in already).
    pub fn insert(&mut self, id: Id) {
        let i = id.into() as usize;
        if i >= self.marked.len() {
            self.marked.resize(i + 1, false);
        }
        if !self.marked[i] {
            self.marked[i] = true;
            self.members.push(id);
        }
    }

    /// Takes the members in id order and empties the set. Hand the list back with
    /// [`MarkedIds::give_back`] to reuse its memory.
    pub fn take_sorted(&mut self) -> Vec<Id> {
        let mut taken = std::mem::take(&mut self.members);
        for id in &taken {
            self.marked[(*id).into() as usize] = false;
        }
        taken.sort_unstable();
        taken
    }

    /// Returns a list [`MarkedIds::take_sorted`] gave, so its memory serves the next instant (kept
    /// only while nothing was inserted since).
    pub fn give_back(&mut self, mut list: Vec<Id>) {
        if self.members.is_empty() {
            list.clear();
            self.members = list;
        }
    }

    /// Whether an id is in.
    #[cfg(test)]
    pub fn contains(&self, id: Id) -> bool {
        self.marked.get(id.into() as usize).copied().unwrap_or(false)
    }
}

/// Where each task sits in the *long* list of a kind that holds it (its service's task list, its
/// instance's task list), by task index, so a task leaves a list in constant time however long the
/// list is: the last task of the list takes its place (`swap_remove`, the order the lists have
/// always had).
///
/// Only long lists keep positions. A list starts keeping them when it grows past
/// [`INDEXED_ABOVE`] tasks and stops when it shrinks below [`UNINDEXED_BELOW`] (the gap keeps a
/// list that hovers near one bound from listing its positions on every change). A short list is
/// searched instead: at most `INDEXED_ABOVE` comparisons in one contiguous array, a constant, and
/// no word per task. Most lists are short — an instance runs tens of tasks, most services run
/// fewer than 256 — so a drain of 20,000 instances keeps no positions at all, where a word per
/// task and per kind cost 1.6 MB.
///
/// A list's own first task says whether the list keeps positions: it does exactly when its first
/// task's position is recorded (as 0); outside the band between the bounds its length says so.
/// Positions live in chunks of [`POSITION_CHUNK`] task indices, allocated when a task of the
/// chunk first joins a long list.
#[derive(Debug, Clone, Default)]
pub struct TaskListPositions {
    chunks: Vec<Option<Box<[u32; POSITION_CHUNK]>>>,
    /// Recorded positions: the tasks in long lists.
    recorded: usize,
}

/// A list keeps its tasks' positions once it holds more than this many tasks.
pub const INDEXED_ABOVE: usize = 256;
/// A list that keeps positions drops them when it holds fewer than this many tasks.
pub const UNINDEXED_BELOW: usize = 64;
/// Task indices per chunk of positions.
const POSITION_CHUNK: usize = 1024;
const _: () = assert!(UNINDEXED_BELOW > 0 && UNINDEXED_BELOW < INDEXED_ABOVE);

/// The position of a task no long list holds.
const NOT_LISTED: u32 = u32::MAX;

impl crate::infra::recycle::Recycle for TaskListPositions {
    fn reset_to(&mut self, fresh: Self) {
        // The chunks allocated stay, emptied; then the fresh table's positions are copied in.
        for chunk in self.chunks.iter_mut().flatten() {
            chunk.fill(NOT_LISTED);
        }
        self.recorded = 0;
        for (c, chunk) in fresh.chunks.iter().enumerate() {
            for (k, p) in chunk.iter().flat_map(|chunk| chunk.iter().enumerate()) {
                if *p != NOT_LISTED {
                    self.record(TaskId((c * POSITION_CHUNK + k) as u32), *p as usize);
                }
            }
        }
        debug_assert_eq!(self.recorded, fresh.recorded);
    }
}

impl<Id> crate::infra::recycle::Recycle for MarkedIds<Id> {
    fn reset_to(&mut self, fresh: Self) {
        let MarkedIds { members, marked } = fresh;
        self.members.reset_to(members);
        self.marked.reset_to(marked);
    }
}

impl TaskListPositions {
    /// Appends `task` to `list`, noting its position if the list is long. Panics if a long list
    /// already holds it (debug builds also search `list` when it is short).
    pub fn push(&mut self, list: &mut Vec<TaskId>, task: TaskId) {
        assert!(self.recorded(task).is_none(), "task {task:?} joins a second list of one kind");
        let indexed = self.keeps_positions(list);
        debug_assert!(indexed || !list.contains(&task), "task {task:?} joins a list twice");
        push_growing_slowly(list, task);
        if indexed {
            self.record(task, list.len() - 1);
        } else if list.len() > INDEXED_ABOVE {
            for (p, t) in list.iter().enumerate() {
                assert!(self.recorded(*t).is_none(), "task {t:?} is in two lists of one kind");
                self.record(*t, p);
            }
        }
    }

    /// Takes `task` out of `list`: in constant time from a long list, by a search of at most
    /// [`INDEXED_ABOVE`] tasks from a short one. Panics if `list` does not hold it.
    pub fn remove(&mut self, list: &mut Vec<TaskId>, task: TaskId) {
        let pos = self.position(list, task);
        let Some(pos) = pos else { panic!("task {task:?} leaves a list that does not hold it") };
        if !self.keeps_positions(list) {
            list.swap_remove(pos);
            return;
        }
        list.swap_remove(pos);
        self.forget(task);
        if let Some(moved) = list.get(pos) {
            self.set(*moved, pos as u32);
        }
        if list.len() < UNINDEXED_BELOW {
            for t in list.iter() {
                self.forget(*t);
            }
        }
    }

    /// The position of `task` in `list`, if `list` holds it.
    pub fn position(&self, list: &[TaskId], task: TaskId) -> Option<usize> {
        if self.keeps_positions(list) {
            self.recorded(task).filter(|p| list.get(*p) == Some(&task))
        } else {
            search(list, task)
        }
    }

    /// Whether `list` keeps its tasks' positions (it is a long list). Its length answers outside
    /// the band between the two bounds, and its first task's position within it.
    pub fn keeps_positions(&self, list: &[TaskId]) -> bool {
        // A list past the upper bound got its positions when it grew past it, and keeps them
        // until it falls below the lower one. (The invariants find a list whose positions
        // disagree with it: each task's position is checked.)
        match list.len() {
            n if n > INDEXED_ABOVE => true,
            n if n < UNINDEXED_BELOW => false,
            _ => self.recorded(list[0]) == Some(0),
        }
    }

    /// Whether a position is recorded for `task` (a long list holds it).
    #[cfg(test)]
    pub fn is_recorded(&self, task: TaskId) -> bool {
        self.recorded(task).is_some()
    }

    /// How many positions are recorded: as many as the long lists hold tasks, or one is stale.
    #[cfg(test)]
    pub fn recorded_count(&self) -> usize {
        self.recorded
    }

    /// Whether as many positions are recorded as the long ones of `lists` (every list of the
    /// kind) hold tasks: with each listed task at its recorded position, exactly their tasks have
    /// one (for the invariants).
    pub fn counted_for<'a>(&self, lists: impl Iterator<Item = &'a [TaskId]>) -> bool {
        let in_long_lists: usize = lists.filter(|list| self.keeps_positions(list)).map(<[TaskId]>::len).sum();
        in_long_lists == self.recorded
    }

    fn recorded(&self, task: TaskId) -> Option<usize> {
        let i = task.index();
        let chunk = self.chunks.get(i / POSITION_CHUNK)?.as_ref()?;
        let p = chunk[i % POSITION_CHUNK];
        (p != NOT_LISTED).then_some(p as usize)
    }

    /// Records a position for a task that has none.
    fn record(&mut self, task: TaskId, pos: usize) {
        let pos = u32::try_from(pos).ok().filter(|p| *p != NOT_LISTED).expect("fewer than 2^32 - 1 tasks in a list");
        let i = task.index();
        let c = i / POSITION_CHUNK;
        if self.chunks.len() <= c {
            self.chunks.resize_with(c + 1, || None);
        }
        let chunk = self.chunks[c].get_or_insert_with(|| Box::new([NOT_LISTED; POSITION_CHUNK]));
        debug_assert_eq!(chunk[i % POSITION_CHUNK], NOT_LISTED, "task {task:?} already has a position");
        chunk[i % POSITION_CHUNK] = pos;
        self.recorded = self.recorded.checked_add(1).expect("fewer than 2^64 positions");
    }

    /// Moves a recorded position.
    fn set(&mut self, task: TaskId, pos: u32) {
        let i = task.index();
        let slot = &mut self.chunks[i / POSITION_CHUNK].as_mut().expect("a long list's task has a position")[i % POSITION_CHUNK];
        debug_assert_ne!(*slot, NOT_LISTED, "task {task:?} has a position to move");
        *slot = pos;
    }

    /// Forgets a recorded position.
    fn forget(&mut self, task: TaskId) {
        let i = task.index();
        let slot = &mut self.chunks[i / POSITION_CHUNK].as_mut().expect("a long list's task has a position")[i % POSITION_CHUNK];
        assert_ne!(*slot, NOT_LISTED, "task {task:?} has a position to forget");
        *slot = NOT_LISTED;
        self.recorded = self.recorded.checked_sub(1).expect("a recorded position was counted");
    }

    /// Bytes of the allocated chunks (for tests).
    #[cfg(test)]
    pub fn allocated_bytes(&self) -> usize {
        self.chunks.iter().flatten().count() * POSITION_CHUNK * std::mem::size_of::<u32>()
    }
}

/// The first position of `task` in a short list. Sixteen tasks are compared at a time without a
/// branch per task, which the compiler turns into vector compares, and only the chunk that holds
/// the task is searched one by one: a search of 100 tasks takes about 8 ns, a third of a plain
/// one (measured on this project's build machine).
fn search(list: &[TaskId], task: TaskId) -> Option<usize> {
    const LANES: usize = 16;
    let chunks = list.chunks_exact(LANES);
    let tail = chunks.remainder();
    for (c, chunk) in chunks.enumerate() {
        if chunk.iter().fold(false, |hit, t| hit | (t.0 == task.0)) {
            return chunk.iter().position(|t| *t == task).map(|p| c * LANES + p);
        }
    }
    tail.iter().position(|t| *t == task).map(|p| list.len() - tail.len() + p)
}

/// Append-only storage in fixed chunks: growing never copies what is stored, and spare capacity is
/// at most one chunk (a `Vec` doubling would briefly hold 1.5–3× the data). Recycled
/// ([`Recycle`](crate::infra::recycle::Recycle)), it keeps its emptied chunks and fills them again
/// before adding any.
#[derive(Clone)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

const CHUNK: usize = 1024;
const FIRST_CHUNK: usize = 8;
const _: () = assert!(CHUNK.is_power_of_two() && FIRST_CHUNK.is_power_of_two() && FIRST_CHUNK <= CHUNK);

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec { chunks: Vec::new(), len: 0 }
    }
}

impl<T> ChunkedVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn push(&mut self, value: T) {
        let chunk = self.len / CHUNK;
        if chunk == self.chunks.len() {
            // The first chunk starts small and doubles up to a full chunk (CHUNK is a power of
            // two, so it ends exactly full): a small run does not pay for 1,024 slots.
            let capacity = if self.len == 0 { FIRST_CHUNK } else { CHUNK };
            self.chunks.push(Vec::with_capacity(capacity));
        }
        // The chunk being filled: the last one, or a kept one of a recycled vector.
        let last = &mut self.chunks[chunk];
        debug_assert_eq!(last.len(), self.len % CHUNK, "the chunks before are full, those after empty");
        if last.len() == last.capacity() {
            // Only the first chunk fills before CHUNK: double it, never past CHUNK.
            last.reserve_exact(last.len().min(CHUNK - last.len()));
        }
        last.push(value);
        self.len += 1;
    }
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
    /// Room in the chunks that hold memory.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }
    /// The element at `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<T>
    where
        T: Copy,
    {
        (i < self.len).then(|| self[i])
    }
}

/// The elements, as a list (not the chunks: kept empty chunks are memory, not content).
impl<T: std::fmt::Debug> std::fmt::Debug for ChunkedVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> crate::infra::recycle::Recycle for ChunkedVec<T> {
    fn reset_to(&mut self, fresh: Self) {
        let ChunkedVec { chunks, len } = self;
        chunks.iter_mut().for_each(Vec::clear);
        *len = 0;
        let ChunkedVec { chunks: fresh_chunks, len: fresh_len } = fresh;
        fresh_chunks.into_iter().flatten().for_each(|v| self.push(v));
        debug_assert_eq!(self.len, fresh_len);
    }
}

impl<T> std::ops::Index<usize> for ChunkedVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> std::ops::IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<'a, T> IntoIterator for &'a ChunkedVec<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_ids_list_each_id_once_in_id_order_and_empty_when_taken() {
        let mut set: MarkedIds<ServiceId> = MarkedIds::default();
        for n in [7, 2, 7, 0, 2, 9] {
            set.insert(ServiceId(n));
        }
        assert!(set.contains(ServiceId(9)) && !set.contains(ServiceId(3)) && !set.contains(ServiceId(100)));
        let taken = set.take_sorted();
        assert_eq!(taken, [ServiceId(0), ServiceId(2), ServiceId(7), ServiceId(9)]);
        assert!(!set.contains(ServiceId(7)), "taking empties the set");
        set.give_back(taken);
        set.insert(ServiceId(7));
        assert_eq!(set.take_sorted(), [ServiceId(7)]);
    }

    #[test]
    fn task_list_positions_follow_swap_removal() {
        let mut at = TaskListPositions::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for n in 0..6 {
            at.push(if n % 2 == 0 { &mut a } else { &mut b }, TaskId(n));
        }
        assert_eq!(a, [TaskId(0), TaskId(2), TaskId(4)]);
        at.remove(&mut a, TaskId(0));
        assert_eq!(a, [TaskId(4), TaskId(2)], "the last task takes the removed one's place");
        assert_eq!(
            (at.position(&a, TaskId(4)), at.position(&a, TaskId(2)), at.position(&a, TaskId(0))),
            (Some(0), Some(1), None)
        );
        at.remove(&mut a, TaskId(2));
        at.remove(&mut a, TaskId(4));
        assert!(a.is_empty() && at.position(&a, TaskId(4)).is_none());
        assert_eq!(at.position(&b, TaskId(5)), Some(2));
        at.push(&mut a, TaskId(0));
        assert_eq!(at.position(&a, TaskId(0)), Some(0), "a task may join a list again once it left");
        assert_eq!((at.recorded_count(), at.allocated_bytes()), (0, 0), "short lists keep no positions");
    }

    /// A list keeps positions past `INDEXED_ABOVE` tasks, follows every removal while long, and
    /// drops them below `UNINDEXED_BELOW`; positions agree with the list's own order throughout,
    /// against a list searched by hand, whatever task leaves.
    #[test]
    fn a_list_keeps_positions_while_long_and_drops_them_when_short() {
        let mut at = TaskListPositions::default();
        let (mut long, mut short) = (Vec::new(), Vec::new());
        let agree =
            |at: &TaskListPositions, list: &[TaskId]| list.iter().enumerate().all(|(p, t)| at.position(list, *t) == Some(p));
        for n in 0..INDEXED_ABOVE as u32 {
            at.push(&mut long, TaskId(2 * n));
            at.push(&mut short, TaskId(2 * n + 1));
        }
        assert!(!at.keeps_positions(&long) && at.recorded_count() == 0, "a list of exactly INDEXED_ABOVE is short");
        at.push(&mut long, TaskId(10_000));
        assert!(at.keeps_positions(&long) && !at.keeps_positions(&short));
        assert_eq!(at.recorded_count(), INDEXED_ABOVE + 1);
        assert!(agree(&at, &long) && agree(&at, &short));
        // Remove from the front, the back and the middle until the list is short again.
        let mut k = 0usize;
        while at.keeps_positions(&long) {
            let victim = long[(k * 7919) % long.len()];
            at.remove(&mut long, victim);
            assert_eq!(at.position(&long, victim), None);
            assert!(agree(&at, &long), "positions agree after removing {victim:?}");
            k += 1;
        }
        assert_eq!(long.len(), UNINDEXED_BELOW - 1, "a long list stays long down to UNINDEXED_BELOW");
        assert_eq!(at.recorded_count(), 0, "a list gone short forgets every position");
        assert!(agree(&at, &long) && agree(&at, &short));
        // Chunks stay allocated for the tasks they cover; none grows for the short list.
        assert_eq!(
            at.allocated_bytes(),
            2 * POSITION_CHUNK * std::mem::size_of::<u32>(),
            "the chunks of tasks 0..1024 and of 10,000"
        );
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Tasks join and leave three lists at random: 900 operations of mostly joins, 1,300 of
        /// mostly leaves, then joins again, so the busiest list (70 % of the operations) grows
        /// past 256 and falls below 64 with a wide margin (checked): every
        /// list holds what a plain reference list holds, in the same order (the last task takes a
        /// removed one's place), every task's position agrees with its list, and exactly the long
        /// lists' tasks have one recorded.
        #[test]
        fn positions_follow_random_joins_and_leaves_across_both_bounds(
            ops in proptest::collection::vec((0u8..10, 0u8..100, any::<prop::sample::Index>()), 2200..3000),
        ) {
            let mut at = TaskListPositions::default();
            let mut lists: [Vec<TaskId>; 3] = Default::default();
            let mut reference: [Vec<TaskId>; 3] = Default::default();
            let (mut next, mut went_long, mut went_short_again) = (0u32, false, false);
            for (i, (which, roll, pick)) in ops.into_iter().enumerate() {
                let list = match which { 0..=6 => 0, 7..=8 => 1, _ => 2 };
                let joining = if (900..2200).contains(&i) { roll < 10 } else { roll < 90 };
                if joining || reference[list].is_empty() {
                    // Task ids scattered over a few position chunks.
                    let task = TaskId(next % 3 * 2048 + next / 3);
                    next += 1;
                    at.push(&mut lists[list], task);
                    reference[list].push(task);
                } else {
                    let task = reference[list][pick.index(reference[list].len())];
                    at.remove(&mut lists[list], task);
                    let p = reference[list].iter().position(|t| *t == task).expect("listed");
                    reference[list].swap_remove(p);
                }
                prop_assert_eq!(&lists, &reference);
                went_long |= lists[0].len() > INDEXED_ABOVE;
                went_short_again |= went_long && lists[0].len() < UNINDEXED_BELOW;
            }
            prop_assert!(went_long && went_short_again, "the busiest list crosses both bounds");
            let mut long = 0;
            for list in &lists {
                for (p, t) in list.iter().enumerate() {
                    prop_assert_eq!(at.position(list, *t), Some(p));
                    prop_assert_eq!(at.is_recorded(*t), at.keeps_positions(list));
                }
                prop_assert_eq!(at.keeps_positions(list), list.first().is_some_and(|t| at.recorded(*t) == Some(0)));
                long += if at.keeps_positions(list) { list.len() } else { 0 };
            }
            prop_assert_eq!(at.recorded_count(), long);
        }
    }

    #[test]
    fn a_short_list_search_finds_the_first_place_of_a_task_or_none() {
        for len in 0..40u32 {
            let mut list: Vec<TaskId> = (0..len).map(|n| TaskId(n * 3)).collect();
            for n in 0..len {
                assert_eq!(search(&list, TaskId(n * 3)), Some(n as usize), "task {n} of {len}");
            }
            assert_eq!(search(&list, TaskId(1)), None);
            if len > 9 {
                list[len as usize - 1] = TaskId(9 * 3);
                assert_eq!(search(&list, TaskId(9 * 3)), Some(9), "the first of two places");
            }
        }
    }

    #[test]
    fn recycling_positions_keeps_chunks_and_copies_the_fresh_ones() {
        use crate::infra::recycle::Recycle;
        let mut fresh = TaskListPositions::default();
        let mut fresh_list = Vec::new();
        for n in 0..=INDEXED_ABOVE as u32 {
            fresh.push(&mut fresh_list, TaskId(3000 + n));
        }
        let mut used = TaskListPositions::default();
        let mut used_list = Vec::new();
        for n in 0..=INDEXED_ABOVE as u32 {
            used.push(&mut used_list, TaskId(n));
        }
        used.reset_to(fresh.clone());
        assert_eq!(used.recorded_count(), fresh.recorded_count());
        assert!(!used.is_recorded(TaskId(0)), "the used positions are gone");
        assert!(fresh_list.iter().enumerate().all(|(p, t)| used.position(&fresh_list, *t) == Some(p)));
    }

    #[test]
    #[should_panic(expected = "leaves a list that does not hold it")]
    fn a_task_leaves_only_the_list_that_holds_it() {
        let mut at = TaskListPositions::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        at.push(&mut a, TaskId(0));
        at.push(&mut b, TaskId(1));
        at.remove(&mut a, TaskId(1));
    }

    #[test]
    #[should_panic(expected = "leaves a list that does not hold it")]
    fn a_task_leaves_only_the_long_list_that_holds_it() {
        let mut at = TaskListPositions::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for n in 0..=INDEXED_ABOVE as u32 {
            at.push(&mut a, TaskId(2 * n));
            at.push(&mut b, TaskId(2 * n + 1));
        }
        at.remove(&mut a, TaskId(1));
    }

    #[test]
    #[should_panic(expected = "joins a second list of one kind")]
    fn a_task_in_a_long_list_joins_no_other() {
        let mut at = TaskListPositions::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for n in 0..=INDEXED_ABOVE as u32 {
            at.push(&mut a, TaskId(n));
        }
        at.push(&mut b, TaskId(5));
    }

    #[test]
    fn scrambling_is_a_bijection() {
        let s = IdScrambler::new(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..10_000u32 {
            let id = s.scramble(i);
            assert!(seen.insert(id));
            assert_eq!(s.unscramble(id, 10_000), Some(i));
        }
        assert_eq!(s.unscramble(s.scramble(10_000), 10_000), None);
        assert_eq!(s.unscramble(12345, 10_000), None);
        let wide: std::collections::BTreeSet<u64> = (0..10_000u32).map(|i| s.scramble64(i)).collect();
        assert_eq!(wide.len(), 10_000, "scramble64 is a bijection");
    }

    #[test]
    fn slowly_growing_lists_keep_little_spare_capacity() {
        let mut v = Vec::new();
        for i in 0..10_000u32 {
            push_growing_slowly(&mut v, i);
            assert!(v.capacity() <= v.len() + (v.len() / 4).max(4), "{} for {}", v.capacity(), v.len());
        }
        assert_eq!(v, (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn chunked_vec_indexes_across_chunks() {
        let mut v = ChunkedVec::default();
        for i in 0..(CHUNK * 2 + 5) {
            v.push(i);
        }
        assert_eq!(v[CHUNK + 3], CHUNK + 3);
        v[7] = 70;
        assert_eq!(v.iter().nth(7), Some(&70));
        assert_eq!(v.len(), CHUNK * 2 + 5);
    }

    #[test]
    fn chunked_vec_starts_small_and_never_grows_a_chunk_past_its_size() {
        let mut v = ChunkedVec::default();
        for i in 0..(CHUNK * 3) {
            v.push(i);
            let first = v.chunks[0].capacity();
            assert!(first <= FIRST_CHUNK.max(2 * v.len()).min(CHUNK), "{first} slots for {} values", v.len());
            assert!(v.chunks.iter().all(|c| c.capacity() == CHUNK || c.len() < CHUNK));
        }
        assert_eq!(v.chunks.len(), 3);
        assert!(v.chunks.iter().all(|c| c.capacity() == CHUNK));
        assert!(v.iter().copied().eq(0..CHUNK * 3));
    }
}
