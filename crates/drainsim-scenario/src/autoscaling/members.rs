//! A group's members, and the indexes its moves read instead of scanning every member it ever
//! had: the members still there (not Terminated), those that move by themselves (Pending by their
//! registration, in `Terminating:Wait` by the start of their wait, and of those the ones whose
//! drain the group saw complete), the InService ones by launch time (the order a maximum instance
//! lifetime makes them due in) and by the end of their warmup, those being replaced (by their
//! replacement, and by when what they wait for can change), and the counts of the members that
//! count toward the group's capacity — in all, by purchase option and by zone — and a log of the
//! members changed, from which a refresh keeps counts of its own.
//! A move of a group then costs what it touches, not what the group launched over the run (issue
//! 17: no operation's cost may grow with the cluster beyond a logarithm).
//!
//! The table owns its members: they are read through `Deref` (as a slice, in launch order) and
//! changed only through its mutators, which check each change and keep every index with it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use super::{Lifecycle, Member, Rebalancing, ReplacedFor};

/// A group's members in launch order (a member's index never changes) and their indexes.
#[derive(Debug, Clone, Default)]
pub(super) struct Members {
    all: Vec<Member>,
    /// Members not Terminated.
    live: BTreeSet<usize>,
    /// Pending members by when they register (`Lifecycle::Pending::register_at_ms`), then index:
    /// those due at a moment are a prefix, and how many are Pending its length.
    registering: BTreeSet<(u64, usize)>,
    /// Members in `Terminating:Wait` by the start of their wait
    /// (`Lifecycle::TerminatingWait::since_ms`), then index: a hook's timeout ends the waits of a
    /// prefix, and the next timeout is the first after a cut.
    waiting: BTreeSet<(u64, usize)>,
    /// Of them, those marked drained ([`Self::mark_drained`]: the group saw their drain complete),
    /// by the same key: a superset of those whose drain is complete now (a drain restarted after
    /// it completed stays marked), so each reader asks the engine again.
    drained_waiting: BTreeSet<(u64, usize)>,
    /// InService members not being replaced, by launch time then index: oldest first.
    in_service_by_launch: BTreeSet<(i64, usize)>,
    /// Members being replaced ([`Member::rebalancing`]) whose replacement may still matter: one is
    /// forgotten ([`Self::forget_finished_replacements`]) once it is Terminated and its
    /// replacement is healthy, gone or was never launched — which nothing undoes.
    replacing: BTreeSet<usize>,
    /// Of them (here and below: members in `replacing`), those whose replacement is launched, by
    /// replacement then member: a change of the replacement changes what its member waits for.
    replaced_by: BTreeSet<(usize, usize)>,
    /// The Terminated ones by when they can be forgotten
    /// ([`Self::forget_finished_replacements`]): at once (0) when their replacement was never
    /// launched or is Terminated, when it is healthy when it is InService; none not listed can be.
    finished_at: BTreeSet<(u64, usize)>,
    /// How many are replaced for a maximum instance lifetime.
    lifetime_replacing: usize,
    /// Of those, how many are Terminated with a replacement never launched, Terminated or in
    /// `Terminating:Wait`: no longer under way whatever the time ([`Self::lifetime_under_way`]).
    lifetime_over: usize,
    /// Of those, the InService ones by when the group can move on them (launch before
    /// terminating): at once (0) when their replacement was never launched or is Terminated, when
    /// it is healthy when it is InService; those whose replacement is Pending or leaving are not
    /// listed.
    lifetime_awaiting: BTreeSet<(u64, usize)>,
    /// Of those, the ones in `Terminating:Wait` or Terminated whose replacement is InService, by
    /// when it is healthy (which ends a replacement under way).
    lifetime_leaving_warming: BTreeSet<(u64, usize)>,
    /// Members counting toward the group's capacity ([`counts_toward_capacity`]).
    alive: u32,
    /// Of them, On-Demand Instances.
    on_demand_alive: u32,
    /// Of them, per zone (every zone a member is in, listed by the group or not).
    alive_by_zone: BTreeMap<String, u32>,
    /// Every member by name (a container instance's name is its member's): a Spot group finds the
    /// members among the instances that became INACTIVE without a walk of its members.
    by_name: BTreeMap<String, usize>,
    /// InService members (being replaced or not) by the end of their warmup
    /// (`Lifecycle::InService::healthy_at_ms`), then index: how many are healthy at a moment,
    /// whether any is still warming up and when the next one is done read from it.
    in_service_by_warmup: BTreeSet<(u64, usize)>,
    /// Every member added or changed, in the order of the changes (a member once per change): a
    /// reader that keeps counts of its own over the members (a refresh's,
    /// `RefreshCounts`) reads the changes since it last looked instead of every member.
    changes: Vec<usize>,
}

/// Whether a member counts toward the group's capacity: Pending or InService, and not being
/// replaced (its replacement counts instead).
pub(super) fn counts_toward_capacity(m: &Member) -> bool {
    matches!(m.lifecycle, Lifecycle::Pending { .. } | Lifecycle::InService { .. }) && m.rebalancing.is_none()
}

/// Whether a member may go from lifecycle `from` to `to`: Pending → InService when it registers;
/// Pending or InService → `Terminating:Wait` or Terminated when the group terminates it (or EC2
/// takes it); `Terminating:Wait` → Terminated. Terminated is final.
fn legal_transition(from: Lifecycle, to: Lifecycle) -> bool {
    use Lifecycle::*;
    matches!(
        (from, to),
        (Pending { .. }, InService { .. })
            | (Pending { .. } | InService { .. }, TerminatingWait { .. } | Terminated)
            | (TerminatingWait { .. }, Terminated)
    )
}

/// The index entries of member `k`, being replaced, read from its lifecycle and its
/// replacement's (each goes in the field of its name).
#[derive(Debug, Clone, Copy)]
struct ReplacementEntries {
    replacement: Option<usize>,
    finished_at: Option<u64>,
    lifetime: bool,
    lifetime_over: bool,
    lifetime_awaiting: Option<u64>,
    lifetime_leaving_warming: Option<u64>,
}

fn replacement_entries(all: &[Member], k: usize) -> ReplacementEntries {
    let m = &all[k];
    let r = m.rebalancing.unwrap_or_else(|| panic!("member {} is being replaced", m.name));
    let replacement = r.replacement.map(|n| all[n].lifecycle);
    let gone = matches!(replacement, None | Some(Lifecycle::Terminated));
    let healthy_at = match replacement {
        Some(Lifecycle::InService { healthy_at_ms }) => Some(healthy_at_ms),
        _ => None,
    };
    let at_once_or_healthy = if gone { Some(0) } else { healthy_at };
    let lifetime = r.reason == ReplacedFor::MaxInstanceLifetime;
    let in_service = matches!(m.lifecycle, Lifecycle::InService { .. });
    let terminated = m.lifecycle == Lifecycle::Terminated;
    ReplacementEntries {
        replacement: r.replacement,
        finished_at: if terminated { at_once_or_healthy } else { None },
        lifetime,
        lifetime_over: lifetime && terminated && (gone || matches!(replacement, Some(Lifecycle::TerminatingWait { .. }))),
        lifetime_awaiting: if lifetime && in_service { at_once_or_healthy } else { None },
        lifetime_leaving_warming: if lifetime && !in_service { healthy_at } else { None },
    }
}

/// Adds `entry` to `set` (`add`) or takes it out; false when it was (not) there.
fn toggle<T: Ord>(set: &mut BTreeSet<T>, entry: T, add: bool) -> bool {
    if add {
        set.insert(entry)
    } else {
        set.remove(&entry)
    }
}

/// Counts one more (`add`) or one fewer in `count` when `counted`.
fn step(count: &mut usize, counted: bool, add: bool) {
    let by = usize::from(counted);
    *count = if add { count.checked_add(by) } else { count.checked_sub(by) }.expect("a count of members in range");
}

impl Deref for Members {
    type Target = [Member];

    fn deref(&self) -> &[Member] {
        &self.all
    }
}

impl Members {
    /// The table of the members a group holds when the run begins.
    pub(super) fn new(initial: Vec<Member>) -> Members {
        let mut members = Members::default();
        for m in initial {
            members.push(m);
        }
        members
    }

    /// Adds a member (a launch, or one of time 0): not Terminated, not being replaced. Returns its
    /// index.
    pub(super) fn push(&mut self, m: Member) -> usize {
        assert!(m.lifecycle != Lifecycle::Terminated && m.rebalancing.is_none(), "a new member is in the group");
        self.all.push(m);
        let k = self.all.len() - 1;
        self.by_name.insert(self.all[k].name.clone(), k);
        self.index(k);
        self.changes.push(k);
        k
    }

    /// The member named `name` (its container instance's name), if the group has one.
    pub(super) fn named(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Member `k` moves to lifecycle `to` (a [`legal_transition`]).
    pub(super) fn set_lifecycle(&mut self, k: usize, to: Lifecycle) {
        let from = self.all[k].lifecycle;
        assert!(legal_transition(from, to), "member {} cannot go from {from:?} to {to:?}", self.all[k].name);
        self.change(k, |m| m.lifecycle = to);
    }

    /// Member `k`, InService, is being replaced (`r`); a member already being replaced keeps its
    /// reason and changes only its replacement.
    pub(super) fn set_rebalancing(&mut self, k: usize, r: Rebalancing) {
        let m = &self.all[k];
        assert!(matches!(m.lifecycle, Lifecycle::InService { .. }), "member {} being replaced is InService", m.name);
        assert!(m.rebalancing.is_none_or(|old| old.reason == r.reason), "member {} is replaced for one reason", m.name);
        assert!(r.replacement.is_none_or(|n| n != k && n < self.all.len()), "member {} is replaced by another", m.name);
        let newly = !self.replacing.contains(&k);
        self.change(k, |m| m.rebalancing = Some(r));
        if newly {
            self.replacing.insert(k);
            self.replacing_entries(k, true);
        }
    }

    /// Member `k`'s own scale-in protection (`ProtectedFromScaleIn`) becomes `protected`: no index
    /// reads it, since whether a member may go is asked at each scale-in, but it is a change (a
    /// refresh's kept victims read it).
    pub(super) fn set_protected(&mut self, k: usize, protected: bool) {
        assert!(self.all[k].lifecycle != Lifecycle::Terminated, "member {} is in the group", self.all[k].name);
        self.all[k].protected = protected;
        self.changes.push(k);
    }

    /// The live members not yet known by their container instance's ID (those of time 0, which
    /// setup registered) are found by name once, as `find` gives them: a datapoint each minute
    /// then reads each member's instance without a lookup by name.
    pub(super) fn resolve_instances(&mut self, find: impl Fn(&str) -> Option<drainsim_core::InstanceId>) {
        for &k in &self.live {
            let m = &mut self.all[k];
            if m.instance.is_none() && matches!(m.lifecycle, Lifecycle::InService { .. }) {
                m.instance = find(&m.name);
            }
        }
    }

    /// Member `k` registered as container instance `id`.
    pub(super) fn set_instance(&mut self, k: usize, id: Option<drainsim_core::InstanceId>) {
        self.all[k].instance = id;
    }

    /// Forgets the replacements that can matter no more at `now` (nor later): the member is
    /// Terminated, and its replacement InService past its health check grace period, Terminated,
    /// or never launched — a prefix of `finished_at`.
    pub(super) fn forget_finished_replacements(&mut self, now: u64) {
        while let Some(&(_, k)) = self.finished_at.first().filter(|&&(t, _)| t <= now) {
            self.replacing_entries(k, false);
            assert!(self.replacing.remove(&k), "member {} forgotten was being replaced", self.all[k].name);
        }
    }

    /// The members being replaced whose replacement is member `n`.
    pub(super) fn replaced_by(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        self.replaced_by.range((n, 0)..=(n, usize::MAX)).map(|&(_, k)| k)
    }

    /// How many replacements for a maximum instance lifetime are under way at `now`: the member
    /// is not Terminated yet, or its replacement is Pending or InService within its health check
    /// grace period. The members being replaced less those over whatever the time
    /// (`lifetime_over`) less the Terminated ones whose replacement is healthy at `now` (listed
    /// in `finished_at` until forgotten).
    pub(super) fn lifetime_under_way(&self, now: u64) -> usize {
        let healthy = self
            .finished_at
            .range(..=(now, usize::MAX))
            .filter(|&&(_, k)| {
                let r = self.all[k].rebalancing.expect("a member being replaced");
                r.reason == ReplacedFor::MaxInstanceLifetime
                    && r.replacement.is_some_and(|n| matches!(self.all[n].lifecycle, Lifecycle::InService { .. }))
            })
            .count();
        let under_way = self
            .lifetime_replacing
            .checked_sub(self.lifetime_over + healthy)
            .expect("the replacements over are among those counted");
        #[cfg(debug_assertions)]
        assert_eq!(under_way, self.scanned_lifetime_under_way(now), "replacements for a lifetime under way at {now}");
        under_way
    }

    /// The InService members replaced for a maximum instance lifetime that the group can move
    /// on at `now` (launch before terminating): their replacement was never launched, is
    /// Terminated, or is InService past its grace period. In launch order.
    pub(super) fn lifetime_awaiting_at(&self, now: u64) -> Vec<usize> {
        let mut due: Vec<usize> = self.lifetime_awaiting.range(..=(now, usize::MAX)).map(|&(_, k)| k).collect();
        due.sort_unstable();
        #[cfg(debug_assertions)]
        assert_eq!(due, self.scanned_lifetime_awaiting_at(now), "members awaiting their replacement at {now}");
        due
    }

    /// When a replacement for a maximum instance lifetime next matters at `now` or later: for an
    /// InService member, when its replacement is healthy (now if it is already, or if it is
    /// Terminated; one never launched is not waited for); for one leaving, when its InService
    /// replacement becomes healthy after `now`.
    pub(super) fn next_lifetime_replacement_healthy_ms(&self, now: u64) -> Option<u64> {
        use std::ops::Bound::{Excluded, Unbounded};
        let awaiting = self
            .lifetime_awaiting
            .iter()
            .find(|&&(_, k)| self.all[k].rebalancing.is_some_and(|r| r.replacement.is_some()))
            .map(|&(t, _)| t.max(now));
        let leaving = self.lifetime_leaving_warming.range((Excluded((now, usize::MAX)), Unbounded)).next().map(|&(t, _)| t);
        let next = awaiting.into_iter().chain(leaving).min();
        #[cfg(debug_assertions)]
        assert_eq!(next, self.scanned_next_lifetime_replacement_healthy_ms(now), "next replacement to matter at {now}");
        next
    }

    /// The members being replaced for a maximum instance lifetime with their replacement's
    /// lifecycle: what the rules below read, member by member.
    #[cfg(any(test, debug_assertions))]
    fn lifetime_replaced(&self) -> impl Iterator<Item = (usize, Lifecycle, Option<Lifecycle>)> + '_ {
        self.replacing().filter_map(|k| {
            let r = self.all[k].rebalancing.filter(|r| r.reason == ReplacedFor::MaxInstanceLifetime)?;
            Some((k, self.all[k].lifecycle, r.replacement.map(|n| self.all[n].lifecycle)))
        })
    }

    /// [`Self::lifetime_under_way`], by its rule: a replacement for a maximum instance lifetime
    /// is under way while its member is not Terminated, or its replacement is Pending or InService
    /// within its health check grace period.
    #[cfg(any(test, debug_assertions))]
    pub(super) fn scanned_lifetime_under_way(&self, now: u64) -> usize {
        self.lifetime_replaced()
            .filter(|&(_, m, r)| {
                m != Lifecycle::Terminated
                    || matches!(r, Some(Lifecycle::Pending { .. }))
                    || matches!(r, Some(Lifecycle::InService { healthy_at_ms }) if healthy_at_ms > now)
            })
            .count()
    }

    /// [`Self::lifetime_awaiting_at`], by its rule: the InService members whose replacement was
    /// never launched, is Terminated, or is InService past its grace period.
    #[cfg(any(test, debug_assertions))]
    pub(super) fn scanned_lifetime_awaiting_at(&self, now: u64) -> Vec<usize> {
        self.lifetime_replaced()
            .filter(|&(_, m, r)| {
                matches!(m, Lifecycle::InService { .. })
                    && match r {
                        None | Some(Lifecycle::Terminated) => true,
                        Some(Lifecycle::InService { healthy_at_ms }) => healthy_at_ms <= now,
                        Some(_) => false,
                    }
            })
            .map(|(k, _, _)| k)
            .collect()
    }

    /// [`Self::next_lifetime_replacement_healthy_ms`], by its rule.
    #[cfg(any(test, debug_assertions))]
    pub(super) fn scanned_next_lifetime_replacement_healthy_ms(&self, now: u64) -> Option<u64> {
        self.lifetime_replaced()
            .filter_map(|(_, m, r)| {
                let waiting = matches!(m, Lifecycle::InService { .. });
                match r? {
                    Lifecycle::InService { healthy_at_ms } if waiting => Some(healthy_at_ms.max(now)),
                    Lifecycle::InService { healthy_at_ms } => (healthy_at_ms > now).then_some(healthy_at_ms),
                    Lifecycle::Terminated if waiting => Some(now),
                    _ => None,
                }
            })
            .min()
    }

    /// The members not Terminated, in launch order.
    pub(super) fn live(&self) -> impl Iterator<Item = usize> + '_ {
        self.live.iter().copied()
    }

    /// Whether a member is Pending or in `Terminating:Wait`.
    pub(super) fn any_moving(&self) -> bool {
        !self.registering.is_empty() || !self.waiting.is_empty()
    }

    /// The Pending members due to register at `now`, in launch order.
    pub(super) fn registrations_due(&self, now: u64) -> Vec<usize> {
        let mut due: Vec<usize> = self.registering.range(..=(now, usize::MAX)).map(|&(_, k)| k).collect();
        due.sort_unstable();
        due
    }

    /// When the next Pending member registers.
    pub(super) fn next_registration_ms(&self) -> Option<u64> {
        self.registering.first().map(|&(t, _)| t)
    }

    /// Whether a member is in `Terminating:Wait`.
    pub(super) fn any_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// The members in `Terminating:Wait` since `cut` or before, earliest first.
    pub(super) fn waiting_since_at_most(&self, cut: u64) -> impl Iterator<Item = usize> + '_ {
        self.waiting.range(..=(cut, usize::MAX)).map(|&(_, k)| k)
    }

    /// When the first member in `Terminating:Wait` since after `cut` (any, with None) began its
    /// wait.
    pub(super) fn first_waiting_since_after(&self, cut: Option<u64>) -> Option<u64> {
        use std::ops::Bound::{Excluded, Unbounded};
        match cut {
            Some(cut) => self.waiting.range((Excluded((cut, usize::MAX)), Unbounded)).next(),
            None => self.waiting.first(),
        }
        .map(|&(since, _)| since)
    }

    /// The members in `Terminating:Wait` marked drained since `cut` or before, earliest first.
    pub(super) fn drained_waiting_since_at_most(&self, cut: u64) -> impl Iterator<Item = usize> + '_ {
        self.drained_waiting.range(..=(cut, usize::MAX)).map(|&(_, k)| k)
    }

    /// Member `k`, in `Terminating:Wait`, is marked drained: the group saw its drain complete.
    pub(super) fn mark_drained(&mut self, k: usize) {
        let Lifecycle::TerminatingWait { since_ms } = self.all[k].lifecycle else {
            panic!("member {} marked drained is in Terminating:Wait", self.all[k].name)
        };
        self.drained_waiting.insert((since_ms, k));
    }

    /// Member `k`, marked drained, is drained no more (its drain restarted).
    pub(super) fn unmark_drained(&mut self, k: usize) {
        let Lifecycle::TerminatingWait { since_ms } = self.all[k].lifecycle else {
            panic!("member {} unmarked is in Terminating:Wait", self.all[k].name)
        };
        assert!(self.drained_waiting.remove(&(since_ms, k)), "member {} was marked drained", self.all[k].name);
    }

    /// The members being replaced whose replacement may still matter, in launch order (a
    /// superset: each reader tests what it needs).
    pub(super) fn replacing(&self) -> impl Iterator<Item = usize> + '_ {
        self.replacing.iter().copied()
    }

    /// The InService members not being replaced, oldest launch first (of one launch time, in
    /// launch order).
    pub(super) fn in_service_oldest_first(&self) -> impl Iterator<Item = usize> + '_ {
        self.in_service_by_launch.iter().map(|&(_, k)| k)
    }

    /// The first of [`Self::in_service_oldest_first`] after the one keyed `after` (launch time,
    /// member), with its key: a walk that changes members as it goes.
    pub(super) fn in_service_oldest_after(&self, after: Option<(i64, usize)>) -> Option<(i64, usize)> {
        use std::ops::Bound::{Excluded, Unbounded};
        match after {
            Some(key) => self.in_service_by_launch.range((Excluded(key), Unbounded)).next().copied(),
            None => self.in_service_by_launch.first().copied(),
        }
    }

    /// How many members are Pending.
    pub(super) fn pending(&self) -> u32 {
        u32::try_from(self.registering.len()).expect("a group holds fewer than 2^32 members")
    }

    /// How many members are InService.
    pub(super) fn in_service(&self) -> u32 {
        u32::try_from(self.in_service_by_warmup.len()).expect("a group holds fewer than 2^32 members")
    }

    /// The InService members still warming up at `now` (healthy only after it), soonest done
    /// first.
    pub(super) fn warming_after(&self, now: u64) -> impl Iterator<Item = (u64, usize)> + '_ {
        use std::ops::Bound::{Excluded, Unbounded};
        self.in_service_by_warmup.range((Excluded((now, usize::MAX)), Unbounded)).copied()
    }

    /// How many members are InService and past their warmup at `now`.
    pub(super) fn healthy_at(&self, now: u64) -> u32 {
        let warming = u32::try_from(self.warming_after(now).count()).expect("fewer than 2^32 members");
        self.in_service().checked_sub(warming).expect("the members warming up are InService")
    }

    /// Whether a member is Pending, or InService within its warmup, at `now`.
    pub(super) fn warming_up(&self, now: u64) -> bool {
        !self.registering.is_empty() || self.in_service_by_warmup.last().is_some_and(|&(t, _)| t > now)
    }

    /// The members added or changed since the reader had read `seen` of the changes, and how many
    /// changes there are now (what it has read once it reads these).
    pub(super) fn changes_since(&self, seen: usize) -> (&[usize], usize) {
        (&self.changes[seen..], self.changes.len())
    }

    /// How many changes there are: a reader that keeps something computed from the members knows
    /// it is still right while this has not moved.
    pub(super) fn changes_count(&self) -> usize {
        self.changes.len()
    }

    /// How many members count toward the group's capacity ([`counts_toward_capacity`]).
    pub(super) fn alive(&self) -> u32 {
        self.alive
    }

    /// How many of them are On-Demand Instances.
    pub(super) fn on_demand_alive(&self) -> u32 {
        self.on_demand_alive
    }

    /// How many of them are in `zone`.
    pub(super) fn alive_in_zone(&self, zone: &str) -> u32 {
        self.alive_by_zone.get(zone).copied().unwrap_or(0)
    }

    /// Changes member `k` with `f`, its index entries with it.
    fn change(&mut self, k: usize, f: impl FnOnce(&mut Member)) {
        // The members `k` replaces wait on its lifecycle (none for most changes: no allocation).
        let dependents: Vec<usize> = self.replaced_by(k).collect();
        let replacing = self.replacing.contains(&k);
        for &j in dependents.iter().chain(replacing.then_some(&k)) {
            self.replacing_entries(j, false);
        }
        self.unindex(k);
        f(&mut self.all[k]);
        self.index(k);
        for &j in dependents.iter().chain(replacing.then_some(&k)) {
            self.replacing_entries(j, true);
        }
        self.changes.push(k);
    }

    /// Adds (`add`) or takes out member `k`'s entries as a member being replaced.
    fn replacing_entries(&mut self, k: usize, add: bool) {
        let e = replacement_entries(&self.all, k);
        let mut kept = true;
        if let Some(n) = e.replacement {
            kept &= toggle(&mut self.replaced_by, (n, k), add);
        }
        if let Some(t) = e.finished_at {
            kept &= toggle(&mut self.finished_at, (t, k), add);
        }
        if let Some(t) = e.lifetime_awaiting {
            kept &= toggle(&mut self.lifetime_awaiting, (t, k), add);
        }
        if let Some(t) = e.lifetime_leaving_warming {
            kept &= toggle(&mut self.lifetime_leaving_warming, (t, k), add);
        }
        assert!(kept, "member {} being replaced is indexed once", self.all[k].name);
        step(&mut self.lifetime_replacing, e.lifetime, add);
        step(&mut self.lifetime_over, e.lifetime_over, add);
    }

    /// Adds member `k`'s entries (the `replacing` set is kept apart: see its field).
    fn index(&mut self, k: usize) {
        let m = &self.all[k];
        if m.lifecycle != Lifecycle::Terminated {
            self.live.insert(k);
        }
        if matches!(m.lifecycle, Lifecycle::InService { .. }) && m.rebalancing.is_none() {
            self.in_service_by_launch.insert((m.launch_time_ms, k));
        }
        let indexed = match m.lifecycle {
            Lifecycle::Pending { register_at_ms } => self.registering.insert((register_at_ms, k)),
            Lifecycle::InService { healthy_at_ms } => self.in_service_by_warmup.insert((healthy_at_ms, k)),
            Lifecycle::TerminatingWait { since_ms } => self.waiting.insert((since_ms, k)),
            Lifecycle::Terminated => true,
        };
        assert!(indexed, "member {} indexed once", m.name);
        if counts_toward_capacity(m) {
            self.alive = self.alive.checked_add(1).expect("a group holds fewer than 2^32 members");
            self.on_demand_alive += u32::from(!m.spot);
            *self.alive_by_zone.entry(m.zone.clone()).or_insert(0) += 1;
        }
    }

    /// Removes member `k`'s entries.
    fn unindex(&mut self, k: usize) {
        let m = &self.all[k];
        self.live.remove(&k);
        self.in_service_by_launch.remove(&(m.launch_time_ms, k));
        let unindexed = match m.lifecycle {
            Lifecycle::Pending { register_at_ms } => self.registering.remove(&(register_at_ms, k)),
            Lifecycle::InService { healthy_at_ms } => self.in_service_by_warmup.remove(&(healthy_at_ms, k)),
            Lifecycle::TerminatingWait { since_ms } => {
                self.drained_waiting.remove(&(since_ms, k));
                self.waiting.remove(&(since_ms, k))
            }
            Lifecycle::Terminated => true,
        };
        assert!(unindexed, "member {} was indexed", m.name);
        if counts_toward_capacity(m) {
            self.alive = self.alive.checked_sub(1).expect("an alive member was counted");
            self.on_demand_alive = self.on_demand_alive.checked_sub(u32::from(!m.spot)).expect("an On-Demand member was counted");
            let zone = self.alive_by_zone.get_mut(&m.zone).expect("an alive member's zone was counted");
            *zone = zone.checked_sub(1).expect("an alive member was counted in its zone");
        }
    }

    /// Every index against a scan of the members (the global net of this table; debug builds run
    /// it after each move of a group).
    #[cfg(any(test, debug_assertions))]
    pub(super) fn check_indexes(&self) {
        let scan =
            |f: &dyn Fn(&Member) -> bool| -> BTreeSet<usize> { (0..self.all.len()).filter(|&k| f(&self.all[k])).collect() };
        assert_eq!(self.live, scan(&|m| m.lifecycle != Lifecycle::Terminated), "live members");
        let by_time = |f: &dyn Fn(Lifecycle) -> Option<u64>| -> BTreeSet<(u64, usize)> {
            (0..self.all.len()).filter_map(|k| f(self.all[k].lifecycle).map(|t| (t, k))).collect()
        };
        let registering = by_time(&|l| match l {
            Lifecycle::Pending { register_at_ms } => Some(register_at_ms),
            _ => None,
        });
        assert_eq!(self.registering, registering, "Pending members by registration");
        let waiting = by_time(&|l| match l {
            Lifecycle::TerminatingWait { since_ms } => Some(since_ms),
            _ => None,
        });
        assert_eq!(self.waiting, waiting, "members in Terminating:Wait by the start of their wait");
        assert!(self.drained_waiting.is_subset(&self.waiting), "members marked drained are in Terminating:Wait");
        let in_service: BTreeSet<(i64, usize)> =
            scan(&|m| matches!(m.lifecycle, Lifecycle::InService { .. }) && m.rebalancing.is_none())
                .into_iter()
                .map(|k| (self.all[k].launch_time_ms, k))
                .collect();
        assert_eq!(self.in_service_by_launch, in_service, "InService members by launch time");
        let by_warmup: BTreeSet<(u64, usize)> = (0..self.all.len())
            .filter_map(|k| match self.all[k].lifecycle {
                Lifecycle::InService { healthy_at_ms } => Some((healthy_at_ms, k)),
                _ => None,
            })
            .collect();
        assert_eq!(self.in_service_by_warmup, by_warmup, "InService members by the end of their warmup");
        assert!(self.changes.len() >= self.all.len(), "every member added is a change");
        assert!(self.replacing.iter().all(|&k| self.all[k].rebalancing.is_some()), "members being replaced");
        assert!(
            scan(&|m| m.rebalancing.is_some() && m.lifecycle != Lifecycle::Terminated).is_subset(&self.replacing),
            "every member being replaced that is still there is indexed"
        );
        let mut expected = Members::default();
        for &k in &self.replacing {
            let e = replacement_entries(&self.all, k);
            e.replacement.map(|n| expected.replaced_by.insert((n, k)));
            e.finished_at.map(|t| expected.finished_at.insert((t, k)));
            e.lifetime_awaiting.map(|t| expected.lifetime_awaiting.insert((t, k)));
            e.lifetime_leaving_warming.map(|t| expected.lifetime_leaving_warming.insert((t, k)));
            expected.lifetime_replacing += usize::from(e.lifetime);
            expected.lifetime_over += usize::from(e.lifetime_over);
        }
        assert_eq!(self.replaced_by, expected.replaced_by, "members being replaced by their replacement");
        assert_eq!(self.finished_at, expected.finished_at, "Terminated members being replaced by when they are done");
        assert_eq!(self.lifetime_awaiting, expected.lifetime_awaiting, "InService members awaiting their replacement");
        assert_eq!(
            self.lifetime_leaving_warming, expected.lifetime_leaving_warming,
            "members leaving by their replacement's warmup"
        );
        assert_eq!(self.lifetime_replacing, expected.lifetime_replacing, "members replaced for their lifetime");
        assert_eq!(self.lifetime_over, expected.lifetime_over, "replacements for a lifetime that are over");
        let alive = scan(&counts_toward_capacity);
        assert_eq!(self.alive as usize, alive.len(), "alive members");
        assert_eq!(self.on_demand_alive as usize, alive.iter().filter(|&&k| !self.all[k].spot).count(), "On-Demand members");
        for (zone, n) in &self.alive_by_zone {
            assert_eq!(*n as usize, alive.iter().filter(|&&k| self.all[k].zone == *zone).count(), "alive members in {zone}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ReplacedFor;
    use super::*;
    use proptest::prelude::*;

    fn member(n: usize, zone: usize, spot: bool, launch_time_ms: i64) -> Member {
        Member {
            name: format!("asg-{n}"),
            zone: ["a", "b", "c"][zone].to_string(),
            template: crate::format::LaunchTemplateSpec { launch_template_name: "node".into(), version: "1".into() },
            lifecycle: Lifecycle::Pending { register_at_ms: launch_time_ms.unsigned_abs() },
            protected: false,
            spot,
            launched_at_ms: None,
            launch_time_ms,
            instance: None,
            rebalancing: None,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Whatever legal changes the members go through, every index is what a scan finds, and
        /// an illegal lifecycle change is refused.
        #[test]
        fn indexes_follow_every_change(
            ops in prop::collection::vec((0u8..8, 0usize..64, 0usize..3, any::<bool>(), -5i64..5), 1..120),
        ) {
            let mut members = Members::new(vec![member(0, 0, false, 0)]);
            let mut now = 0u64;
            for (op, pick, zone, spot, launch) in ops {
                let k = pick % members.len();
                let lifecycle = members[k].lifecycle;
                match op {
                    0 => { members.push(member(members.len(), zone, spot, launch)); }
                    1 if matches!(lifecycle, Lifecycle::Pending { .. }) => {
                        members.set_lifecycle(k, Lifecycle::InService { healthy_at_ms: now + launch.unsigned_abs() });
                    }
                    2 if lifecycle != Lifecycle::Terminated => {
                        let to = if spot { Lifecycle::Terminated } else { Lifecycle::TerminatingWait { since_ms: now } };
                        if legal_transition(lifecycle, to) { members.set_lifecycle(k, to); }
                    }
                    3 if matches!(lifecycle, Lifecycle::InService { .. }) => {
                        let reason = members[k].rebalancing.map_or(
                            if spot { ReplacedFor::CapacityRebalancing } else { ReplacedFor::MaxInstanceLifetime },
                            |r| r.reason,
                        );
                        let replacement = (pick % 2 == 0).then(|| members.push(member(members.len(), zone, spot, launch)));
                        members.set_rebalancing(k, Rebalancing { replacement, reason });
                    }
                    4 => {
                        now += 1;
                        members.forget_finished_replacements(now);
                    }
                    6 if matches!(lifecycle, Lifecycle::TerminatingWait { .. }) => members.mark_drained(k),
                    7 if members.drained_waiting_since_at_most(u64::MAX).any(|d| d == k) => members.unmark_drained(k),
                    5 if lifecycle == Lifecycle::Terminated => {
                        let back = [Lifecycle::Pending { register_at_ms: 0 }, Lifecycle::InService { healthy_at_ms: 0 }, Lifecycle::TerminatingWait { since_ms: 0 }];
                        prop_assert!(back.iter().all(|&to| !legal_transition(lifecycle, to)), "a Terminated member stays Terminated");
                    }
                    _ => {}
                }
                members.check_indexes();
                let in_service = |f: &dyn Fn(u64) -> bool| members.iter().any(|m| matches!(m.lifecycle, Lifecycle::InService { healthy_at_ms } if f(healthy_at_ms)));
                let pending = members.iter().any(|m| matches!(m.lifecycle, Lifecycle::Pending { .. }));
                prop_assert_eq!(members.warming_up(now), pending || in_service(&|t| t > now));
                let healthy = members.iter().filter(|m| matches!(m.lifecycle, Lifecycle::InService { healthy_at_ms } if healthy_at_ms <= now)).count();
                prop_assert_eq!(members.healthy_at(now) as usize, healthy);
                // The moving members' ranges are what a scan finds.
                let scan = |f: &dyn Fn(Lifecycle) -> bool| -> Vec<usize> { (0..members.len()).filter(|&k| f(members[k].lifecycle)).collect() };
                let due = scan(&|l| matches!(l, Lifecycle::Pending { register_at_ms } if register_at_ms <= now));
                prop_assert_eq!(members.registrations_due(now), due);
                let next_registration = members.iter().filter_map(|m| match m.lifecycle { Lifecycle::Pending { register_at_ms } => Some(register_at_ms), _ => None }).min();
                prop_assert_eq!(members.next_registration_ms(), next_registration);
                let cut = now.saturating_sub(1);
                let mut waited: Vec<usize> = members.waiting_since_at_most(cut).collect();
                waited.sort_unstable();
                prop_assert_eq!(waited, scan(&|l| matches!(l, Lifecycle::TerminatingWait { since_ms } if since_ms <= cut)));
                let after = members.iter().filter_map(|m| match m.lifecycle { Lifecycle::TerminatingWait { since_ms } if since_ms > cut => Some(since_ms), _ => None }).min();
                prop_assert_eq!(members.first_waiting_since_after(Some(cut)), after);
                prop_assert_eq!(members.any_waiting(), !scan(&|l| matches!(l, Lifecycle::TerminatingWait { .. })).is_empty());
                // The replacements' queries are what their rules find member by member (debug
                // builds check each use too; this also runs them where nothing else would).
                prop_assert_eq!(members.lifetime_under_way(now), members.scanned_lifetime_under_way(now));
                prop_assert_eq!(members.lifetime_awaiting_at(now), members.scanned_lifetime_awaiting_at(now));
                prop_assert_eq!(members.next_lifetime_replacement_healthy_ms(now), members.scanned_next_lifetime_replacement_healthy_ms(now));
                for n in 0..members.len() {
                    let by: Vec<usize> = members.replacing().filter(|&k| members[k].rebalancing.and_then(|r| r.replacement) == Some(n)).collect();
                    prop_assert_eq!(members.replaced_by(n).collect::<Vec<_>>(), by);
                }
            }
        }
    }
}
