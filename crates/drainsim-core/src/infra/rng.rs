//! The engine's only source of randomness: one `ChaCha8Rng` seeded from the scenario seed and split
//! into named streams (ChaCha's 64-bit stream selector), so that drawing more jitter never shifts the
//! IDs, and turning faults on never changes the jitter.

use crate::infra::choice::{ChoiceKind, ChoiceScript};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The named random streams. Each is an independent ChaCha8 stream of the same seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StreamName {
    /// Resource IDs drawn as they are made (a service's; container instance, task and attachment IDs are keyed bijections of their positions, each keyed from a stream of its own).
    Ids = 1,
    /// Duration jitter of AWS-side processes.
    Jitter = 2,
    /// Fault injection (drawn by the fault planner only).
    Faults = 3,
    /// Placement choices of the `random` strategy.
    Placement = 4,
    /// The key of the task ID bijection (one draw at engine start).
    TaskIds = 5,
    /// The key of the container instance ID bijection (one draw at engine start).
    InstanceIds = 6,
    /// The key of the attachment ID bijection (one draw at engine start).
    AttachmentIds = 7,
    /// Spot rebalance recommendations that no interruption follows: a stream of their own, so
    /// that a recommendation rate leaves the interruption draws (`Faults`) as they are.
    SpotRecommendations = 8,
}

/// One generator per named stream, all derived from the scenario seed.
#[derive(Debug, Clone)]
pub struct RngStreams {
    ids: ChaCha8Rng,
    jitter: ChaCha8Rng,
    faults: ChaCha8Rng,
    placement: ChaCha8Rng,
    spot_recommendations: ChaCha8Rng,
    /// A script of choices that replaces the jitter and placement draws (and, through
    /// `engine/faults.rs`, the fault draws): `None` for a seeded run, which draws as it always did.
    pub(crate) script: Option<Box<ChoiceScript>>,
}

impl RngStreams {
    /// Derives every stream from `seed`.
    pub fn new(seed: u64) -> Self {
        let stream = |name: StreamName| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(name as u64);
            rng
        };
        RngStreams {
            ids: stream(StreamName::Ids),
            jitter: stream(StreamName::Jitter),
            faults: stream(StreamName::Faults),
            placement: stream(StreamName::Placement),
            spot_recommendations: stream(StreamName::SpotRecommendations),
            script: None,
        }
    }

    /// The key task IDs are derived with, from its own stream (drawing it shifts no other ID).
    pub fn task_id_key(seed: u64) -> u128 {
        Self::key_of(seed, StreamName::TaskIds)
    }

    /// The key container instance IDs are derived with, from its own stream.
    pub fn instance_id_key(seed: u64) -> u128 {
        Self::key_of(seed, StreamName::InstanceIds)
    }

    /// The key attachment IDs (and their ENI IDs) are derived with, from its own stream.
    pub fn attachment_id_key(seed: u64) -> u128 {
        Self::key_of(seed, StreamName::AttachmentIds)
    }

    fn key_of(seed: u64, name: StreamName) -> u128 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(name as u64);
        ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128
    }

    /// The generator of one stream.
    pub fn stream(&mut self, name: StreamName) -> &mut ChaCha8Rng {
        match name {
            StreamName::Ids => &mut self.ids,
            StreamName::Jitter => &mut self.jitter,
            StreamName::Faults => &mut self.faults,
            StreamName::Placement => &mut self.placement,
            StreamName::SpotRecommendations => &mut self.spot_recommendations,
            StreamName::TaskIds | StreamName::InstanceIds | StreamName::AttachmentIds => {
                unreachable!("ID keys are drawn once, by task_id_key, instance_id_key and attachment_id_key")
            }
        }
    }

    /// A fresh 128-bit identifier (rendered as a UUID or a 32-hex-digit ECS ID at the edges).
    pub fn next_id128(&mut self) -> u128 {
        let hi = self.ids.next_u64() as u128;
        let lo = self.ids.next_u64() as u128;
        (hi << 64) | lo
    }

    /// Applies ±`jitter_percent` uniform jitter to `duration_ms`, kept within `bounds` (which hold
    /// `duration_ms`): the range drawn from is the jittered one cut to the bounds. Nothing is drawn
    /// when jitter is zero or the range is one value; a script chooses among the range's distinct
    /// ends and middle.
    pub fn jitter_within(&mut self, duration_ms: u64, jitter_percent: u32, bounds: std::ops::RangeInclusive<u64>) -> u64 {
        assert!(bounds.contains(&duration_ms), "a stage's duration {duration_ms} ms lies within its bounds {bounds:?}");
        if jitter_percent == 0 || duration_ms == 0 {
            return duration_ms;
        }
        let span = duration_ms.saturating_mul(jitter_percent as u64) / 100;
        let low = (duration_ms - span.min(duration_ms)).max(*bounds.start());
        let high = duration_ms.saturating_add(span).min(*bounds.end());
        if low == high {
            return duration_ms;
        }
        if let Some(script) = self.script.as_mut() {
            let all = [low, duration_ms, high];
            let values: &[u64] = match script.config.jitter_values {
                0 | 1 => &all[1..2],
                2 => &[low, high],
                _ if low == duration_ms => &all[1..],
                _ if high == duration_ms => &all[..2],
                _ => &all,
            };
            return values[script.choose(ChoiceKind::Jitter, values.len() as u32) as usize];
        }
        self.jitter.random_range(low..=high)
    }

    /// A uniform index in `0..len` from the placement stream (`len > 0`).
    pub fn placement_index(&mut self, len: usize) -> usize {
        if let Some(script) = self.script.as_mut() {
            return script.choose(ChoiceKind::Placement, len as u32) as usize;
        }
        self.placement.random_range(0..len)
    }

    /// One uniform sample in `0..len` of the `random` strategy's sampling loop, or `None` under a
    /// script: a scripted placement chooses among the candidates that fit
    /// ([`placement_index`](Self::placement_index)), never by rejection sampling.
    pub fn placement_sample(&mut self, len: usize) -> Option<usize> {
        if self.script.is_some() {
            return None;
        }
        Some(self.placement.random_range(0..len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl RngStreams {
        fn jitter(&mut self, duration_ms: u64, jitter_percent: u32) -> u64 {
            self.jitter_within(duration_ms, jitter_percent, 0..=u64::MAX)
        }
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let mut a = RngStreams::new(7);
        let mut b = RngStreams::new(7);
        let _ = b.jitter(1000, 50); // drawing jitter must not shift IDs
        assert_eq!(a.next_id128(), b.next_id128());
        assert_ne!(RngStreams::new(8).next_id128(), RngStreams::new(7).next_id128());
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let mut r = RngStreams::new(1);
        for _ in 0..1000 {
            let d = r.jitter(1000, 20);
            assert!((800..=1200).contains(&d));
        }
        assert_eq!(r.jitter(1000, 0), 1000);
    }

    #[test]
    fn bounded_jitter_stays_within_its_bounds_and_draws_nothing_for_one_value() {
        let mut r = RngStreams::new(1);
        let (mut lowest, mut highest) = (u64::MAX, 0);
        for _ in 0..1000 {
            let d = r.jitter_within(1000, 50, 1000..=u64::MAX);
            (lowest, highest) = (lowest.min(d), highest.max(d));
            let e = r.jitter_within(1000, 50, 0..=1200);
            assert!((500..=1200).contains(&e), "{e}");
        }
        assert_eq!((lowest, highest > 1400), (1000, true));
        // One value: nothing is drawn, so the next draw is the one an unbounded stream makes first.
        let (mut a, mut b) = (RngStreams::new(3), RngStreams::new(3));
        assert_eq!(a.jitter_within(1000, 50, 1000..=1000), 1000);
        assert_eq!(a.jitter(1000, 50), b.jitter(1000, 50));
    }
}
