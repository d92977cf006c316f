//! The entity tables' types: clusters, container instances, task definitions and tasks, services,
//! attachments, and the trace records every change appends. Each type owns its own small methods
//! (flags, counters, drain moments, floor and ceiling); the operations that change several tables
//! at once live in [`crate::engine`]. Nothing here calls the engine or the scheduler.
//!
//! Inside the folder, references go one way: `instance` and `service` use `task::Contribution` and
//! `task::counter_moved` (what a task adds to its instance's and service's counters, the one fact
//! both sides must agree on), and `trigger` names `service::BreachCause`.

pub(crate) mod attachment;
pub(crate) mod cluster;
pub(crate) mod instance;
pub(crate) mod service;
pub(crate) mod task;
pub(crate) mod trace;
pub(crate) mod trigger;

#[cfg(test)]
mod tests {
    #[test]
    fn records_stay_small() {
        // Tasks and instances dominate memory on big clusters (issue 6: at most 256 bytes per task
        // in all); what they share lives in shared tables.
        assert_eq!(std::mem::size_of::<super::task::TaskState>(), 28);
        let instance = std::mem::size_of::<super::instance::InstanceState>();
        assert!(instance <= 160, "InstanceState is {instance} bytes");
    }
}
