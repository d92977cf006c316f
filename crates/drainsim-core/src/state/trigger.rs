//! Triggers: what happened in the state that the scheduler must react to, pushed by the code that
//! changes the state and consumed by the scheduler ([`crate::engine`]'s `react`), in the order they
//! were pushed. The state never calls the scheduler: it says what happened, as quinn-proto's
//! connections hand endpoint events to their endpoint.
//!
//! The engine consumes the queue after every event, every scheduling pass and every request,
//! before anything else can observe the state (the instant's passes, `end_instant`'s sampling,
//! the invariant check), so a reaction is never late by more than the input that caused it.

use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskId};
use crate::state::service::BreachCause;

/// Something the scheduler reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// A task reached STOPPED: its service re-plans; freed room wakes services waiting for it; on a
    /// DRAINING instance, daemon services check whether only their task is left.
    TaskStopped(TaskId),
    /// A task of a service on an instance reached STOPPING (a deleted service may now be
    /// INACTIVE).
    TaskStopping(ServiceId, InstanceId),
    /// A task's room on an instance of a cluster was freed before it stopped (at STOPPING): the
    /// cluster's DAEMON services waiting for room try again before a replica can take it.
    RoomFreed(ClusterId, InstanceId),
    /// A task of a service turned healthy (it now counts toward minimumHealthyPercent).
    TaskHealthy(ServiceId),
    /// A task of a service failed its health checks (its service replaces it).
    TaskUnhealthy(ServiceId),
    /// A healthy task of a service was lost for a reason other than the scheduler's own stop.
    HealthyTaskLost(ServiceId, BreachCause),
    /// A task of a service left without the scheduler asking (orphaned, or stopped by a user).
    TaskLeft(ServiceId),
    /// A task of a service failed to start.
    TaskFailedToStart(ServiceId),
    /// A task was placed: services waiting for room whose `memberOf` expressions read task groups
    /// try again (the new task may be what an affinity expression waits for).
    TaskPlaced(TaskId),
    /// The count of RUNNING tasks on an instance of a cluster with DAEMON services changed: those
    /// whose `memberOf` expressions read `runningTasksCount` re-evaluate.
    RunningTasksChanged(InstanceId),
    /// An instance became placeable: services waiting for room its free CPU and memory can hold,
    /// and daemon services, try again.
    InstancePlaceable(InstanceId),
    /// An instance registered or deregistered: daemon services re-count their instances.
    ClusterInstancesChanged(ClusterId),
    /// An instance was set to DRAINING by a request.
    DrainStarted(InstanceId),
    /// An instance was set back to ACTIVE by a request.
    DrainEnded(InstanceId),
    /// A service was created.
    ServiceCreated(ServiceId),
    /// A service was updated or deleted.
    ServiceChanged(ServiceId),
}
