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
    /// Each record's position by its 128-bit ID (drawn from the seed, so not derivable from the
    /// position): SubmitAttachmentStateChanges resolves an ARN in a logarithm instead of a scan of
    /// every attachment ever created (each trunk acknowledgment scanned them all: a trunked
    /// fleet's registration was quadratic).
    by_uuid: std::collections::BTreeMap<u128, AttachmentId>,
}

impl std::ops::Index<usize> for Attachments {
    type Output = AttachmentState;
    fn index(&self, n: usize) -> &AttachmentState {
        &self.records[n]
    }
}

impl crate::infra::recycle::Recycle for Attachments {
    fn reset_to(&mut self, fresh: Self) {
        let Attachments { records, by_uuid } = fresh;
        self.records.reset_to(records);
        self.by_uuid.clear();
        self.by_uuid.extend(by_uuid);
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
        // The first record of a (astronomically unlikely) repeated ID keeps it, as the scan found.
        self.by_uuid.entry(uuid).or_insert(id);
        id
    }

    /// Moves `status` to `to` (the caller checked the transition); returns the status it left.
    pub(crate) fn set_status(&mut self, id: AttachmentId, to: AttachmentStatus) -> AttachmentStatus {
        std::mem::replace(&mut self.records[id.index()].status, to)
    }

    /// The attachment with this 128-bit ID.
    pub(crate) fn by_uuid(&self, uuid: u128) -> Option<AttachmentId> {
        let found = self.by_uuid.get(&uuid).copied();
        debug_assert!(found.is_none_or(|id| self.records[id.0 as usize].uuid == uuid), "the index names a record of another ID");
        found
    }
}

#[cfg(test)]
mod tests {
    use super::{AttachmentKind, Attachments};
    use crate::infra::recycle::Recycle;
    use crate::{AttachmentId, InstanceId};

    /// Each attachment is found by its ID through the index, as a scan of the records finds it;
    /// an unknown ID is found nowhere; a table recycled to a fresh one forgets the old IDs.
    #[test]
    fn attachments_are_found_by_their_ids_as_a_scan_finds_them() {
        let mut table = Attachments::default();
        let uuids: Vec<u128> = (0..1_000u128).map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)).collect();
        for (k, &uuid) in uuids.iter().enumerate() {
            let kind = if k % 7 == 0 { AttachmentKind::Trunk } else { AttachmentKind::TaskEni };
            assert_eq!(table.push(uuid, kind, InstanceId(k as u32 / 7), None, k as u64), AttachmentId(k as u32));
        }
        for (k, &uuid) in uuids.iter().enumerate() {
            let scanned = table.records.iter().position(|a| a.uuid == uuid).map(|p| AttachmentId(p as u32));
            assert_eq!(table.by_uuid(uuid), scanned);
            assert_eq!(scanned, Some(AttachmentId(k as u32)));
        }
        assert_eq!(table.by_uuid(1), None);
        table.reset_to(Attachments::default());
        assert_eq!(table.by_uuid(uuids[5]), None);
    }
}
