//! Attachments (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attachment.html>, <https://github.com/aws/amazon-ecs-agent>, docs/ecs-choices.md): the trunk ENI of a container instance registered with
//! `awsvpcTrunking` (PRECREATED → ATTACHING → ATTACHED, acknowledged by the agent with
//! SubmitAttachmentStateChanges; DETACHING → DETACHED → DELETED on deregistration) and the task ENIs
//! of awsvpc tasks (PRECREATED → ATTACHING → ATTACHED → DETACHING → DELETED).

use crate::infra::ids::{AttachmentId, InstanceId, TaskId};
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

/// The statusReason of a trunk provisioning failure (the form of <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>'s example).
pub const TRUNK_FAILURE_REASON: &str =
    "Unexpected EC2 error while attempting to Create Network Interface in subnet 'subnet-0a1b2c3d': InsufficientFreeAddressesInSubnet";

/// The attachment table: every trunk and task ENI attachment ever created, in creation order. It
/// owns the records: outside this module an attachment is read through `Index` and changed only
/// through the methods below.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attachments {
    records: Vec<AttachmentState>,
}

impl std::ops::Index<usize> for Attachments {
    type Output = AttachmentState;
    fn index(&self, n: usize) -> &AttachmentState {
        &self.records[n]
    }
}

impl crate::infra::recycle::Recycle for Attachments {
    fn reset_to(&mut self, fresh: Self) {
        let Attachments { records } = fresh;
        self.records.reset_to(records);
    }
}

impl Attachments {
    /// A new attachment, PRECREATED.
    pub(crate) fn push(
        &mut self,
        uuid: u128,
        kind: AttachmentKind,
        instance: InstanceId,
        task: Option<TaskId>,
        eni_id: u64,
    ) -> AttachmentId {
        let id = AttachmentId(u32::try_from(self.records.len()).expect("fewer than 2^32 attachments"));
        self.records.push(AttachmentState { uuid, kind, instance, task, status: AttachmentStatus::Precreated, eni_id });
        id
    }

    /// Moves `status` to `to` (the caller checked the transition); returns the status it left.
    pub(crate) fn set_status(&mut self, id: AttachmentId, to: AttachmentStatus) -> AttachmentStatus {
        std::mem::replace(&mut self.records[id.index()].status, to)
    }

    /// The attachment with this 128-bit ID.
    pub(crate) fn by_uuid(&self, uuid: u128) -> Option<AttachmentId> {
        self.records.iter().position(|a| a.uuid == uuid).map(|p| AttachmentId(p as u32))
    }
}
