//! The seeds of a sweep: a half-open range, optionally one shard of it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most seeds one sweep (or one shard's range) may name.
pub const MAX_SEEDS: u64 = 10_000_000;

/// A half-open range of seeds, `start..end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeedRange {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl SeedRange {
    /// How many seeds it holds.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether it holds no seed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Parses `A..B` (half-open: A, A+1, …, B-1), with A < B and at most [`MAX_SEEDS`] seeds.
pub fn parse_seeds(s: &str) -> Result<SeedRange, String> {
    parse_seed_range(s, "one sweep runs at most", "split it into several ranges and --merge them")
}

/// [`parse_seeds`] for a command that says what it is and what to do with too many seeds (`drainsim
/// compare` has no `--merge`): a range of more than [`MAX_SEEDS`] is refused as `'{s}': N seeds;
/// {most} {MAX_SEEDS} ({advice})`.
pub fn parse_seed_range(s: &str, most: &str, advice: &str) -> Result<SeedRange, String> {
    let Some((a, b)) = s.split_once("..") else {
        return Err(format!("'{s}': expected A..B, a half-open range of seeds such as 0..1000"));
    };
    if b.starts_with('=') {
        return Err(format!("'{s}': inclusive ranges are not accepted; A..B is half-open (write {a}..B+1)"));
    }
    let start =
        a.trim().parse::<u64>().map_err(|_| format!("'{s}': start '{a}' is not a seed (an integer from 0 to {})", u64::MAX))?;
    // The end is no seed but the one past the last: an integer up to the largest seed.
    let end = b.trim().parse::<u64>().map_err(|_| {
        format!("'{s}': end '{b}' is not an integer from 1 to {} (the end is excluded: A..B runs A to B-1)", u64::MAX)
    })?;
    if start >= end {
        return Err(format!("'{s}': the range is empty; the start must be less than the end (A..B runs A to B-1)"));
    }
    if end - start > MAX_SEEDS {
        return Err(format!("'{s}': {} seeds; {most} {MAX_SEEDS} ({advice})", end - start));
    }
    Ok(SeedRange { start, end })
}

/// Shard `index` (1-based) of `count`: the seeds `s` of the range with `(s - start) % count == index - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: u64,
    /// How many shards the range is split into.
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Parses `K/N` with 1 ≤ K ≤ N ≤ [`MAX_SEEDS`] (a sweep also refuses a shard that holds no seed
/// of its range).
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let Some((k, n)) = s.split_once('/') else {
        return Err(format!("'{s}': expected K/N, shard K (counting from 1) of N, such as 2/4"));
    };
    let num = |x: &str| x.trim().parse::<u64>().map_err(|_| format!("'{s}': '{x}' is not a positive integer"));
    let (index, count) = (num(k)?, num(n)?);
    if count == 0 || index == 0 || index > count {
        return Err(format!("'{s}': K must be between 1 and N, and N at least 1"));
    }
    if count > MAX_SEEDS {
        return Err(format!("'{s}': {count} shards; a range of seeds splits into at most {MAX_SEEDS} (its most seeds)"));
    }
    Ok(Shard { index, count })
}

/// How many seeds of `seeds` the shard runs.
pub fn shard_len(seeds: SeedRange, shard: Option<Shard>) -> u64 {
    match shard {
        None => seeds.len(),
        Some(s) => {
            let first = s.index - 1;
            if first >= seeds.len() {
                0
            } else {
                (seeds.len() - 1 - first) / s.count + 1
            }
        }
    }
}

/// The `i`-th seed the shard runs.
pub(crate) fn nth_seed(seeds: SeedRange, shard: Option<Shard>, i: u64) -> u64 {
    seeds.start + shard.map_or(i, |s| s.index - 1 + i * s.count)
}

pub(crate) fn in_shard(seeds: SeedRange, shard: Option<Shard>, seed: u64) -> bool {
    seed >= seeds.start && seed < seeds.end && shard.is_none_or(|s| (seed - seeds.start) % s.count == s.index - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_seed_ranges_and_rejects_bad_ones() {
        assert_eq!(parse_seeds("0..1000"), Ok(SeedRange { start: 0, end: 1000 }));
        assert_eq!(parse_seeds("7..8"), Ok(SeedRange { start: 7, end: 8 }));
        for bad in ["5..2", "3..3", "0", "a..5", "0..=5", "-1..4", "0..10000001"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
        assert!(parse_seeds("0..10000000").is_ok());
        // The end is not a seed (it is excluded): its refusal says what it may be.
        let e = parse_seeds("0..18446744073709551616").unwrap_err();
        assert!(
            e.contains("end '18446744073709551616' is not an integer from 1 to 18446744073709551615 (the end is excluded"),
            "{e}"
        );
        let e = parse_seeds("x..5").unwrap_err();
        assert!(e.contains("start 'x' is not a seed"), "{e}");
    }

    #[test]
    fn parses_shards() {
        assert_eq!(parse_shard("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "1", "x/2"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_the_range() {
        let seeds = SeedRange { start: 10, end: 27 };
        for count in 1..=20 {
            let mut all = Vec::new();
            for index in 1..=count {
                let shard = Some(Shard { index, count });
                let n = shard_len(seeds, shard);
                for i in 0..n {
                    let s = nth_seed(seeds, shard, i);
                    assert!(in_shard(seeds, shard, s));
                    all.push(s);
                }
            }
            all.sort();
            assert_eq!(all, (10..27).collect::<Vec<_>>(), "count {count}");
        }
    }
}
