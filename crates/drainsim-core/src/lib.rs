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

pub mod api;
pub mod engine;
pub mod errors;
pub(crate) mod infra;
pub(crate) mod placement;
pub(crate) mod rules;
pub(crate) mod state;
pub mod timings;

// Transitional paths (the re-layout keeps the old public paths until the façade replaces them).
#[doc(hidden)]
pub mod ids {
    pub use crate::infra::ids::*;
}
#[doc(hidden)]
pub mod time {
    pub use crate::infra::time::*;
}
#[doc(hidden)]
pub mod lifecycle {
    pub use crate::rules::lifecycle::*;
}
#[doc(hidden)]
pub mod transitions {
    pub use crate::rules::transitions::*;
}
#[doc(hidden)]
pub mod trace {
    pub use crate::state::trace::*;
}
#[doc(hidden)]
pub mod tasks {
    pub use crate::state::task::*;
}
#[doc(hidden)]
pub mod instances {
    pub use crate::state::instance::*;
}
#[doc(hidden)]
pub mod services {
    pub use crate::state::service::*;
}
#[doc(hidden)]
pub mod faults {
    pub use crate::infra::faults::*;
}

pub use engine::invariants::{check_invariants, InvariantViolation};
pub use engine::{Engine, EngineConfig, StepPart, StopReason, Timings};
pub use errors::{EcsError, EcsErrorKind};
