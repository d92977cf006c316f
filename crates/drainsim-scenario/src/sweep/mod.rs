//! `drainsim sweep`: one scenario over a range of seeds, run in parallel, summarised as a
//! distribution of outcomes, plus the command that reproduces each failing seed.
//!
//! Determinism: every run is independent and deterministic, and the runs are folded into an
//! `Aggregate` whose merge is exactly associative and commutative (integer counts in ordered
//! maps, minima and maxima with the smaller seed winning ties, failures sorted by seed at the end).
//! So the result does not depend on how rayon splits the work, on `--jobs`, or on how a sweep is
//! split into shards: `--merge` folds the shards' aggregates with the same merge function. Nothing
//! in a [`SweepReport`] depends on wall time or the machine.
//!
//! Distributions are kept as exact histograms (value → number of runs), which merge by adding
//! counts; percentiles are computed from them by nearest rank: the p-th percentile of n sorted
//! values is the value at 1-based rank ⌈p·n/100⌉.
//!
//! The module is split by job: [`seeds`] names the seeds a sweep (or a shard of one) runs, [`run`]
//! runs them on a thread pool and turns each run into facts, [`aggregate`] folds facts (and the
//! reports of shards, for `--merge`) into an aggregate with the associative and commutative merge
//! described above, [`result`] is the versioned JSON result, and [`print`](mod@print) renders it as JSON or
//! as text and reads the JSON back. The files reference each other only in that order (`run` →
//! `aggregate` → `result` → `seeds`; `print` → `result`), never backwards.

pub mod aggregate;
pub mod print;
pub mod result;
pub mod run;
pub mod seeds;

pub(crate) use aggregate::{add_counts, smaller_seed_error};
pub use aggregate::{merge, nearest_rank, Merger};
pub use print::{parse_report, read_report, render_json, render_text, MAX_REPORT_BYTES, TEXT_FAILURES_LISTED};
pub use result::*;
pub use run::{
    account_default_flags, parse_jobs, parse_jobs_of, reproduce_command, shell_word, sweep, worker_threads, SweepOptions,
    SweepRun, MAX_JOBS,
};
pub use seeds::{parse_seed_range, parse_seeds, parse_shard, shard_len, SeedRange, Shard, MAX_SEEDS};
