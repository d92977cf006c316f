//! # drainsim-core
//!
//! The pure simulation engine of drainsim: Amazon ECS container instances that register, get trunk
//! network interfaces, drain and go away, and the service scheduler that replaces their tasks in
//! batches bounded by `minimumHealthyPercent` and `maximumPercent`.
//!
//! **This crate is deterministic and never reads a clock.** Simulated time is a `u64` of
//! milliseconds that moves only when the caller advances the [`Engine`]; every random draw comes from
//! one ChaCha8 generator seeded from the scenario seed; events at equal times fire in the order they
//! were scheduled; no hash-map order reaches an output. It does no I/O and starts no threads.

pub mod account;
pub mod agent;
pub mod api;
pub mod attachments;
pub mod drain;
pub mod engine;
pub mod eni_limits;
pub mod errors;
pub mod faults;
pub mod ids;
pub mod instances;
pub mod intern;
pub mod invariants;
pub mod lifecycle;
pub mod placement;
pub mod queue;
pub mod rng;
pub mod services;
pub mod settings;
pub mod shared;
pub mod tasks;
pub mod time;
pub mod timings;
pub mod trace;
pub mod transitions;

pub use engine::{Engine, EngineConfig, StepPart, StopReason, Timings};
pub use errors::{EcsError, EcsErrorKind};
pub use invariants::{check_invariants, InvariantViolation};
