//! Attachments (reference §4.3, §4.4, §9.2): the trunk ENI of a container instance registered with
//! `awsvpcTrunking` (PRECREATED → ATTACHING → ATTACHED, acknowledged by the agent with
//! SubmitAttachmentStateChanges; DETACHING → DETACHED → DELETED on deregistration) and the task ENIs
//! of awsvpc tasks (PRECREATED → ATTACHING → ATTACHED → DETACHING → DELETED).

use crate::infra::ids::{InstanceId, TaskId};
use crate::rules::lifecycle::AttachmentStatus;

/// Which kind of ENI an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// The instance's trunk ENI.
    Trunk,
    /// A task's ENI (a branch ENI on a trunked instance).
    TaskEni,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Trunk => "trunk-eni",
            AttachmentKind::TaskEni => "task-eni",
        }
    }
}

/// One attachment.
#[derive(Debug, Clone)]
pub struct AttachmentState {
    pub uuid: u128,
    pub kind: AttachmentKind,
    pub instance: InstanceId,
    pub task: Option<TaskId>,
    pub status: AttachmentStatus,
    pub eni_id: u64,
}

/// The statusReason of a trunk provisioning failure (the form of reference §3.1's example).
pub const TRUNK_FAILURE_REASON: &str =
    "Unexpected EC2 error while attempting to Create Network Interface in subnet 'subnet-0a1b2c3d': InsufficientFreeAddressesInSubnet";
