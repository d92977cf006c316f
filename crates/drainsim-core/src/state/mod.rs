//! The entity tables: clusters, container instances, task definitions and tasks, services and
//! attachments, each owning its records (read through `Index`, changed only through the table's
//! methods, which keep its invariants), plus the trace records every change appends and the
//! triggers the scheduler reacts to. The operations that change several tables at once live in
//! [`crate::engine`]. Nothing here calls the engine or the scheduler.
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
        assert_eq!(std::mem::size_of::<super::task::TaskState>(), 24);
        let instance = std::mem::size_of::<super::instance::InstanceState>();
        assert!(instance <= 160, "InstanceState is {instance} bytes");
        // The placement index key, made at every change of an instance's room: its free GPUs are
        // a byte in what was padding.
        let key = std::mem::size_of::<crate::placement::IndexKey>();
        assert!(key <= 28, "IndexKey is {key} bytes");
        // A service's load balancer settings are boxed: most services have none. Its time series
        // keeps its two newest points whole beside the encoded ones (64 bytes more than a `Vec`
        // of points, for a fifth of the points' memory). Its capacity provider strategy is boxed
        // too (8 bytes, 16 with the record's alignment). A spread by an attribute's order of
        // values is boxed too (16 bytes with the alignment): only services spreading so keep one.
        // The replacements of drained tasks it owes or started ahead (`DrainReplacements`, one
        // `i32`) take 16 bytes with the alignment: a service has a hundred tasks or more on the
        // clusters where memory counts, so well under a byte per task.
        let service = std::mem::size_of::<super::service::ServiceState>();
        assert!(service <= 976, "ServiceState is {service} bytes");
        // Every service event is kept (expectations search them all); with jittered timings a
        // drain makes one or more per service at most instants.
        let event = std::mem::size_of::<(crate::infra::time::SimTimeMs, super::service::ServiceEventKind)>();
        assert!(event <= 32, "a service event is {event} bytes");
    }
}
