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
    pub kind: AttachmentKind,
    pub instance: InstanceId,
    pub task: Option<TaskId>,
    pub status: AttachmentStatus,
    /// A task ENI's subnet, when its request named subnets (`crate::engine::subnets`).
    pub subnet: Option<crate::infra::intern::Sym>,
}

/// The statusReason of a trunk provisioning failure (the form of <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>'s example).
pub const TRUNK_FAILURE_REASON: &str =
    "Unexpected EC2 error while attempting to Create Network Interface in subnet 'subnet-0a1b2c3d': InsufficientFreeAddressesInSubnet";

/// The attachment table: every trunk and task ENI attachment ever created, in creation order. It
/// owns the records: outside this module an attachment is read through `Index` and changed only
/// through the methods below.
#[derive(Debug, Clone)]
pub(crate) struct Attachments {
    records: Vec<AttachmentState>,
    /// An attachment's 128-bit ID and its ENI's 64-bit ID are keyed bijections of its position:
    /// nothing is stored, and SubmitAttachmentStateChanges finds an attachment by its ID in O(1)
    /// (a scan of every attachment ever created made registering a trunked fleet quadratic).
    ids: crate::infra::ids::IdScrambler,
}

impl std::ops::Index<usize> for Attachments {
    type Output = AttachmentState;
    fn index(&self, n: usize) -> &AttachmentState {
        &self.records[n]
    }
}

impl crate::infra::recycle::Recycle for Attachments {
    fn reset_to(&mut self, fresh: Self) {
        let Attachments { records, ids } = fresh;
        self.records.reset_to(records);
        self.ids = ids;
    }
}

impl Attachments {
    /// How many attachments there are (every one ever created stays).
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// An empty table whose IDs are scrambled with `id_key`.
    pub(crate) fn new(id_key: u128) -> Self {
        Attachments { records: Vec::new(), ids: crate::infra::ids::IdScrambler::new(id_key) }
    }

    /// A new attachment, PRECREATED.
    pub(crate) fn push(
        &mut self,
        kind: AttachmentKind,
        instance: InstanceId,
        task: Option<TaskId>,
        subnet: Option<crate::infra::intern::Sym>,
    ) -> AttachmentId {
        assert!(subnet.is_none() || kind == AttachmentKind::TaskEni, "only a task ENI is created in a task's subnet");
        let id = AttachmentId(u32::try_from(self.records.len()).expect("fewer than 2^32 attachments"));
        self.records.push(AttachmentState { kind, instance, task, status: AttachmentStatus::Precreated, subnet });
        id
    }

    /// Moves `status` to `to` (the caller checked the transition); returns the status it left.
    pub(crate) fn set_status(&mut self, id: AttachmentId, to: AttachmentStatus) -> AttachmentStatus {
        std::mem::replace(&mut self.records[id.index()].status, to)
    }

    /// The attachment's 128-bit ID.
    pub(crate) fn uuid(&self, id: AttachmentId) -> u128 {
        self.ids.scramble(id.0)
    }

    /// The 64 bits its ENI's ID, MAC and address are made of.
    pub(crate) fn eni_id(&self, id: AttachmentId) -> u64 {
        self.ids.scramble64(id.0)
    }

    /// Its ENI's ID (`eni-0` and 16 hex digits): the attachment's `networkInterfaceId`, and a
    /// trunk's `ecs.awsvpc-trunk-id` attribute.
    pub(crate) fn network_interface_id(&self, id: AttachmentId) -> String {
        format!("eni-0{:016x}", self.eni_id(id))
    }

    /// The attachment with this 128-bit ID.
    pub(crate) fn by_uuid(&self, uuid: u128) -> Option<AttachmentId> {
        self.ids.unscramble(uuid, self.records.len()).map(AttachmentId)
    }
}

#[cfg(test)]
mod tests {
    use super::{AttachmentKind, Attachments};
    use crate::infra::recycle::Recycle;
    use crate::{AttachmentId, InstanceId};

    /// Each attachment is found by its own ID, no ID is shared, an ID no attachment has is found
    /// nowhere (nor one of an attachment not created yet), and a table recycled to a fresh one
    /// forgets the old IDs.
    #[test]
    fn attachments_are_found_by_their_ids() {
        let mut table = Attachments::new(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        for k in 0..1_000u32 {
            let kind = if k % 7 == 0 { AttachmentKind::Trunk } else { AttachmentKind::TaskEni };
            assert_eq!(table.push(kind, InstanceId(k / 7), None, None), AttachmentId(k));
        }
        let mut seen = std::collections::BTreeSet::new();
        for k in 0..1_000u32 {
            let uuid = table.uuid(AttachmentId(k));
            assert!(seen.insert(uuid), "attachment {k} shares its ID");
            assert_eq!(table.by_uuid(uuid), Some(AttachmentId(k)));
        }
        assert_eq!(table.by_uuid(table.ids.scramble(1_000)), None, "not created yet");
        assert_eq!(table.by_uuid(1), None);
        let fresh = Attachments::new(7);
        let old = table.uuid(AttachmentId(5));
        table.reset_to(fresh);
        assert_eq!(table.by_uuid(old), None);
    }
}
