//! What an accepted request did, by ID ([`Reply`]), rendered into its ECS response only when
//! someone reads it: [`Engine::handle_as`] renders it at once (the same instant, before the
//! request's triggers are handled, so the response shows the state the call left), while
//! [`Engine::submit_as`] hands back a [`Receipt`] of the IDs and failures and renders nothing, and
//! [`Engine::submit_as_with`] lets its caller read the views at the moment the response would
//! have been rendered (a scenario step's one-line summary).
//! A setup that registers 20,000 instances, or a sweep running a plan on each of a million seeds,
//! reads none of those responses.

use crate::api::{Failure, Response};
use crate::infra::ids::{InstanceId, ServiceId, TaskDefId, TaskId};
use crate::Engine;

/// What a request did, by ID; rendered into a [`Response`] by [`Engine::render_reply`].
pub(crate) enum Reply {
    /// One container instance (`tags` for RegisterContainerInstance and DeregisterContainerInstance).
    Instance { id: InstanceId, tags: bool },
    /// DescribeContainerInstances (with its `include` options: `tags`, `health`) and
    /// UpdateContainerInstancesState.
    Instances { ids: Vec<InstanceId>, failures: Vec<Failure>, tags: bool, health: bool },
    /// CreateService, UpdateService, DeleteService.
    Service(ServiceId),
    /// RegisterTaskDefinition.
    TaskDefinition(TaskDefId),
    /// RunTask, StartTask.
    Tasks { ids: Vec<TaskId>, failures: Vec<Failure> },
    /// StopTask.
    Task(TaskId),
    /// Lists, the other describes and account settings: built by the call, as reading is their
    /// point.
    Rendered(Response),
}

/// What an accepted request did, without its response: the failures ECS would return and the
/// resources it made or changed ([`Engine::submit_as`]). Read them through the engine's views.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The `failures` of the response (UpdateContainerInstancesState, RunTask, StartTask, and the
    /// describe calls); empty for the others.
    pub failures: Vec<Failure>,
    /// The container instances the call registered, deregistered or changed.
    pub instances: Vec<InstanceId>,
    /// The tasks the call started or stopped.
    pub tasks: Vec<TaskId>,
    /// The service the call created, updated or deleted.
    pub service: Option<ServiceId>,
}

impl Engine {
    /// The response a reply stands for, rendered from the state now.
    pub(crate) fn render_reply(&self, reply: Reply) -> Response {
        match reply {
            Reply::Instance { id, tags } => {
                Response::ContainerInstance { container_instance: Box::new(self.render_instance(id, tags, false)) }
            }
            Reply::Instances { ids, failures, tags, health } => Response::ContainerInstances {
                container_instances: ids.iter().map(|id| self.render_instance(*id, tags, health)).collect(),
                failures,
            },
            Reply::Service(id) => Response::Service { service: Box::new(self.render_service(id)) },
            Reply::TaskDefinition(id) => Response::TaskDefinition { task_definition: self.render_task_def(id) },
            Reply::Tasks { ids, failures } => {
                Response::Tasks { tasks: ids.iter().map(|t| self.render_task(*t)).collect(), failures }
            }
            Reply::Task(id) => Response::Task { task: Box::new(self.render_task(id)) },
            Reply::Rendered(r) => r,
        }
    }
}

impl Reply {
    /// The IDs and failures, without rendering anything.
    pub(crate) fn into_receipt(self) -> Receipt {
        let mut receipt = Receipt::default();
        match self {
            Reply::TaskDefinition(_) => {}
            Reply::Instance { id, .. } => receipt.instances.push(id),
            Reply::Instances { ids, failures, .. } => {
                receipt.instances = ids;
                receipt.failures = failures;
            }
            Reply::Service(id) => receipt.service = Some(id),
            Reply::Tasks { ids, failures } => {
                receipt.tasks = ids;
                receipt.failures = failures;
            }
            Reply::Task(id) => receipt.tasks.push(id),
            Reply::Rendered(r) => {
                receipt.failures = match r {
                    Response::ContainerInstances { failures, .. }
                    | Response::Tasks { failures, .. }
                    | Response::Services { failures, .. } => failures,
                    _ => Vec::new(),
                }
            }
        }
        receipt
    }
}
