//! The entity tables' types: clusters, container instances, task definitions and tasks, services,
//! attachments, and the trace records every change appends. Each type owns its own small methods
//! (flags, counters, drain moments, floor and ceiling); the operations that change several tables
//! at once live in [`crate::engine`]. Nothing here calls the engine or the scheduler.
//!
//! Inside the folder: `task` and `instance` name the ids of their shared tables; `trace` names the
//! statuses it records; `service` names tasks' contributions (`task::Contribution`), the one
//! task-to-service fact both sides must agree on.

pub(crate) mod attachment;
pub(crate) mod cluster;
pub(crate) mod instance;
pub(crate) mod service;
pub(crate) mod task;
pub(crate) mod trace;
