//! The statuses of container instances, agent updates and attachments, with the one table of legal
//! transitions of each (built into graphs by [`crate::rules::transitions`], which the engine checks every
//! transition against).

/// `ContainerInstance.status` (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>). `INACTIVE` is a status but not a member of the
/// `ContainerInstanceStatus` filter enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceStatus {
    /// `REGISTERING`.
    Registering,
    /// `REGISTRATION_FAILED`.
    RegistrationFailed,
    /// `ACTIVE`.
    Active,
    /// `DRAINING`.
    Draining,
    /// `DEREGISTERING`.
    Deregistering,
    /// `INACTIVE`.
    Inactive,
}

impl InstanceStatus {
    /// Every `InstanceStatus`, in lifecycle order.
    pub const ALL: [InstanceStatus; 6] = [
        InstanceStatus::Registering,
        InstanceStatus::RegistrationFailed,
        InstanceStatus::Active,
        InstanceStatus::Draining,
        InstanceStatus::Deregistering,
        InstanceStatus::Inactive,
    ];

    /// The legal transitions, one row per edge.
    pub const TRANSITIONS: &'static [(InstanceStatus, InstanceStatus)] = &[
        (InstanceStatus::Registering, InstanceStatus::Active),
        (InstanceStatus::Registering, InstanceStatus::RegistrationFailed),
        (InstanceStatus::Registering, InstanceStatus::Deregistering),
        (InstanceStatus::RegistrationFailed, InstanceStatus::Deregistering),
        (InstanceStatus::RegistrationFailed, InstanceStatus::Inactive),
        (InstanceStatus::Active, InstanceStatus::Draining),
        (InstanceStatus::Active, InstanceStatus::Deregistering),
        (InstanceStatus::Active, InstanceStatus::Inactive),
        (InstanceStatus::Draining, InstanceStatus::Active),
        (InstanceStatus::Draining, InstanceStatus::Deregistering),
        (InstanceStatus::Draining, InstanceStatus::Inactive),
        (InstanceStatus::Deregistering, InstanceStatus::Inactive),
    ];

    /// The statuses a newly registered instance may start in.
    pub const INITIAL: &'static [InstanceStatus] = &[InstanceStatus::Registering, InstanceStatus::Active];

    /// ECS's text.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Registering => "REGISTERING",
            InstanceStatus::RegistrationFailed => "REGISTRATION_FAILED",
            InstanceStatus::Active => "ACTIVE",
            InstanceStatus::Draining => "DRAINING",
            InstanceStatus::Deregistering => "DEREGISTERING",
            InstanceStatus::Inactive => "INACTIVE",
        }
    }

    /// Whether the instance was deregistered (DEREGISTERING or INACTIVE): its agent's session is
    /// closed for good.
    pub(crate) fn is_deregistered(self) -> bool {
        matches!(self, InstanceStatus::Deregistering | InstanceStatus::Inactive)
    }

    /// Parses a member of the `ContainerInstanceStatus` enum (which lacks INACTIVE).
    pub fn parse_filter_enum(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s && *st != InstanceStatus::Inactive)
    }

    /// Parses any status string, INACTIVE included.
    /// The status ECS spells `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// `AgentUpdateStatus` (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerAgent.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgentUpdateStatus {
    /// `PENDING`.
    Pending,
    /// `STAGING`.
    Staging,
    /// `STAGED`.
    Staged,
    /// `UPDATING`.
    Updating,
    /// `UPDATED`.
    Updated,
    /// `FAILED`.
    Failed,
}

impl AgentUpdateStatus {
    /// Every `AgentUpdateStatus`, in lifecycle order.
    pub const ALL: [AgentUpdateStatus; 6] = [
        AgentUpdateStatus::Pending,
        AgentUpdateStatus::Staging,
        AgentUpdateStatus::Staged,
        AgentUpdateStatus::Updating,
        AgentUpdateStatus::Updated,
        AgentUpdateStatus::Failed,
    ];

    /// ECS's text.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentUpdateStatus::Pending => "PENDING",
            AgentUpdateStatus::Staging => "STAGING",
            AgentUpdateStatus::Staged => "STAGED",
            AgentUpdateStatus::Updating => "UPDATING",
            AgentUpdateStatus::Updated => "UPDATED",
            AgentUpdateStatus::Failed => "FAILED",
        }
    }

    /// The status ECS spells `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The next stage of the walk PENDING→STAGING→STAGED→UPDATING→UPDATED.
    pub fn next(self) -> Option<Self> {
        match self {
            AgentUpdateStatus::Pending => Some(AgentUpdateStatus::Staging),
            AgentUpdateStatus::Staging => Some(AgentUpdateStatus::Staged),
            AgentUpdateStatus::Staged => Some(AgentUpdateStatus::Updating),
            AgentUpdateStatus::Updating => Some(AgentUpdateStatus::Updated),
            AgentUpdateStatus::Updated | AgentUpdateStatus::Failed => None,
        }
    }

    /// Whether an update is under way (a new UpdateContainerAgent gets UpdateInProgressException).
    pub fn in_progress(self) -> bool {
        matches!(
            self,
            AgentUpdateStatus::Pending | AgentUpdateStatus::Staging | AgentUpdateStatus::Staged | AgentUpdateStatus::Updating
        )
    }
}

/// Attachment status (the seed's list plus today's FAILED; <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attachment.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttachmentStatus {
    /// `PRECREATED`.
    Precreated,
    /// `CREATED`.
    Created,
    /// `ATTACHING`.
    Attaching,
    /// `ATTACHED`.
    Attached,
    /// `DETACHING`.
    Detaching,
    /// `DETACHED`.
    Detached,
    /// `DELETED`.
    Deleted,
    /// `FAILED`.
    Failed,
}

impl AttachmentStatus {
    /// Every `AttachmentStatus`, in lifecycle order.
    pub const ALL: [AttachmentStatus; 8] = [
        AttachmentStatus::Precreated,
        AttachmentStatus::Created,
        AttachmentStatus::Attaching,
        AttachmentStatus::Attached,
        AttachmentStatus::Detaching,
        AttachmentStatus::Detached,
        AttachmentStatus::Deleted,
        AttachmentStatus::Failed,
    ];

    /// The legal transitions (trunk: PRECREATED→ATTACHING→ATTACHED→DETACHING→DETACHED→DELETED; task
    /// ENIs skip DETACHED; any pre-attached status may fail).
    pub const TRANSITIONS: &'static [(AttachmentStatus, AttachmentStatus)] = &[
        (AttachmentStatus::Precreated, AttachmentStatus::Created),
        (AttachmentStatus::Precreated, AttachmentStatus::Attaching),
        (AttachmentStatus::Created, AttachmentStatus::Attaching),
        (AttachmentStatus::Attaching, AttachmentStatus::Attached),
        (AttachmentStatus::Precreated, AttachmentStatus::Failed),
        (AttachmentStatus::Attaching, AttachmentStatus::Failed),
        (AttachmentStatus::Precreated, AttachmentStatus::Deleted),
        (AttachmentStatus::Attaching, AttachmentStatus::Detaching),
        (AttachmentStatus::Attached, AttachmentStatus::Detaching),
        (AttachmentStatus::Detaching, AttachmentStatus::Detached),
        (AttachmentStatus::Detaching, AttachmentStatus::Deleted),
        (AttachmentStatus::Detached, AttachmentStatus::Deleted),
        (AttachmentStatus::Failed, AttachmentStatus::Deleted),
    ];

    /// ECS's text.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentStatus::Precreated => "PRECREATED",
            AttachmentStatus::Created => "CREATED",
            AttachmentStatus::Attaching => "ATTACHING",
            AttachmentStatus::Attached => "ATTACHED",
            AttachmentStatus::Detaching => "DETACHING",
            AttachmentStatus::Detached => "DETACHED",
            AttachmentStatus::Deleted => "DELETED",
            AttachmentStatus::Failed => "FAILED",
        }
    }

    /// The status ECS spells `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Task `lastStatus` values in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskStatus {
    /// `PROVISIONING`.
    Provisioning,
    /// `PENDING`.
    Pending,
    /// `ACTIVATING`.
    Activating,
    /// `RUNNING`.
    Running,
    /// `DEACTIVATING`.
    Deactivating,
    /// `STOPPING`.
    Stopping,
    /// `DEPROVISIONING`.
    Deprovisioning,
    /// `STOPPED`.
    Stopped,
}

impl TaskStatus {
    /// Every `TaskStatus`, in lifecycle order.
    pub const ALL: [TaskStatus; 8] = [
        TaskStatus::Provisioning,
        TaskStatus::Pending,
        TaskStatus::Activating,
        TaskStatus::Running,
        TaskStatus::Deactivating,
        TaskStatus::Stopping,
        TaskStatus::Deprovisioning,
        TaskStatus::Stopped,
    ];

    /// The legal transitions: the forward walk, plus the short cuts a task told to stop before it
    /// ran takes (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle.html>).
    pub const TRANSITIONS: &'static [(TaskStatus, TaskStatus)] = &[
        (TaskStatus::Provisioning, TaskStatus::Pending),
        (TaskStatus::Pending, TaskStatus::Activating),
        (TaskStatus::Activating, TaskStatus::Running),
        (TaskStatus::Running, TaskStatus::Deactivating),
        (TaskStatus::Running, TaskStatus::Stopping),
        (TaskStatus::Deactivating, TaskStatus::Stopping),
        (TaskStatus::Stopping, TaskStatus::Deprovisioning),
        (TaskStatus::Stopping, TaskStatus::Stopped),
        (TaskStatus::Deprovisioning, TaskStatus::Stopped),
        (TaskStatus::Provisioning, TaskStatus::Deprovisioning),
        (TaskStatus::Provisioning, TaskStatus::Stopped),
        (TaskStatus::Pending, TaskStatus::Deprovisioning),
        (TaskStatus::Pending, TaskStatus::Stopped),
        (TaskStatus::Activating, TaskStatus::Deactivating),
        (TaskStatus::Activating, TaskStatus::Stopping),
    ];

    /// ECS's text.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Provisioning => "PROVISIONING",
            TaskStatus::Pending => "PENDING",
            TaskStatus::Activating => "ACTIVATING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Deactivating => "DEACTIVATING",
            TaskStatus::Stopping => "STOPPING",
            TaskStatus::Deprovisioning => "DEPROVISIONING",
            TaskStatus::Stopped => "STOPPED",
        }
    }

    /// The status ECS spells `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Not yet RUNNING (counts as pending on the instance).
    pub fn is_starting(self) -> bool {
        matches!(self, TaskStatus::Provisioning | TaskStatus::Pending | TaskStatus::Activating)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_is_terminal_and_not_a_filter_value() {
        assert!(InstanceStatus::TRANSITIONS.iter().all(|(from, _)| *from != InstanceStatus::Inactive));
        assert_eq!(InstanceStatus::parse_filter_enum("INACTIVE"), None);
        assert_eq!(InstanceStatus::parse_filter_enum("DRAINING"), Some(InstanceStatus::Draining));
    }

    #[test]
    fn draining_and_active_move_both_ways() {
        let t = InstanceStatus::TRANSITIONS;
        assert!(t.contains(&(InstanceStatus::Active, InstanceStatus::Draining)));
        assert!(t.contains(&(InstanceStatus::Draining, InstanceStatus::Active)));
        assert!(!t.contains(&(InstanceStatus::Registering, InstanceStatus::Draining)));
    }

    #[test]
    fn agent_update_walk_ends_updated() {
        let mut s = AgentUpdateStatus::Pending;
        let mut walk = vec![s];
        while let Some(n) = s.next() {
            walk.push(n);
            s = n;
        }
        assert_eq!(walk.last(), Some(&AgentUpdateStatus::Updated));
        assert_eq!(walk.len(), 5);
    }
}
