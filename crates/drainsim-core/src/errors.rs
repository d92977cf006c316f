//! ECS's error shapes. Every rejected request returns one of these and changes nothing.

use std::fmt;

/// The ECS exception names of the operations drainsim models (<https://github.com/boto/botocore/blob/develop/botocore/data/ecs/2014-11-13/service-2.json>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum EcsErrorKind {
    /// `ClientException`.
    ClientException,
    /// `InvalidParameterException`.
    InvalidParameterException,
    /// `ClusterNotFoundException`.
    ClusterNotFoundException,
    /// `AccessDeniedException`.
    AccessDeniedException,
    /// `ServerException`.
    ServerException,
    /// `NoUpdateAvailableException`.
    NoUpdateAvailableException,
    /// `MissingVersionException`.
    MissingVersionException,
    /// `UpdateInProgressException`.
    UpdateInProgressException,
    /// `ServiceNotFoundException`.
    ServiceNotFoundException,
    /// `ServiceNotActiveException`.
    ServiceNotActiveException,
    /// `AttributeLimitExceededException`.
    AttributeLimitExceededException,
    /// `TargetNotFoundException`.
    TargetNotFoundException,
    /// `ResourceInUseException`.
    ResourceInUseException,
}

impl EcsErrorKind {
    /// The exception name exactly as ECS spells it.
    pub fn name(self) -> &'static str {
        match self {
            EcsErrorKind::ClientException => "ClientException",
            EcsErrorKind::InvalidParameterException => "InvalidParameterException",
            EcsErrorKind::ClusterNotFoundException => "ClusterNotFoundException",
            EcsErrorKind::AccessDeniedException => "AccessDeniedException",
            EcsErrorKind::ServerException => "ServerException",
            EcsErrorKind::NoUpdateAvailableException => "NoUpdateAvailableException",
            EcsErrorKind::MissingVersionException => "MissingVersionException",
            EcsErrorKind::UpdateInProgressException => "UpdateInProgressException",
            EcsErrorKind::ServiceNotFoundException => "ServiceNotFoundException",
            EcsErrorKind::ServiceNotActiveException => "ServiceNotActiveException",
            EcsErrorKind::AttributeLimitExceededException => "AttributeLimitExceededException",
            EcsErrorKind::TargetNotFoundException => "TargetNotFoundException",
            EcsErrorKind::ResourceInUseException => "ResourceInUseException",
        }
    }

    /// Parses an exception name.
    pub fn from_name(name: &str) -> Option<Self> {
        use EcsErrorKind::*;
        [
            ClientException,
            InvalidParameterException,
            ClusterNotFoundException,
            AccessDeniedException,
            ServerException,
            NoUpdateAvailableException,
            MissingVersionException,
            UpdateInProgressException,
            ServiceNotFoundException,
            ServiceNotActiveException,
            AttributeLimitExceededException,
            TargetNotFoundException,
            ResourceInUseException,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// A typed ECS error with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsError {
    /// The exception.
    pub kind: EcsErrorKind,
    /// The message ECS returns with it.
    pub message: String,
}

// The constructors are `#[cold]`: a request's validation builds an error only on a path it
// rarely takes, and a cold call moves that path (its message formatting) out of the hot code,
// which a sweep seed runs through once per request (docs/performance.md, "Instruction cache").
impl EcsError {
    /// An error of this kind with this message.
    #[cold]
    pub fn new(kind: EcsErrorKind, message: impl Into<String>) -> Self {
        EcsError { kind, message: message.into() }
    }
    /// `InvalidParameterException` with this message.
    #[cold]
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(EcsErrorKind::InvalidParameterException, message)
    }
    /// `ClientException` with this message.
    #[cold]
    pub fn client(message: impl Into<String>) -> Self {
        Self::new(EcsErrorKind::ClientException, message)
    }
    /// `ClusterNotFoundException: Cluster not found.` (the text ECS returns).
    #[cold]
    pub fn cluster_not_found() -> Self {
        Self::new(EcsErrorKind::ClusterNotFoundException, "Cluster not found.")
    }
}

/// The exception's name, as [`EcsErrorKind::name`] gives it (`InvalidParameterException`).
impl fmt::Display for EcsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for EcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for EcsError {}

/// Why a call that steers the simulation rather than ECS — a pinned fault
/// ([`Engine::pin_fault`](crate::Engine::pin_fault)), a Spot mark, an injected failure — was
/// refused. It changed nothing. Its text names the call: `pin_fault: 1000 ms is before now (5000 ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlError {
    /// The instance id is not one this engine gave (another engine's, or one built by hand).
    UnknownInstance {
        /// The refused call (`pin_fault`).
        call: &'static str,
        /// The id given.
        id: crate::InstanceId,
        /// How many instances the engine has (its ids are `0..instances`).
        instances: usize,
    },
    /// The time given is before the engine's now.
    BeforeNow {
        /// The refused call.
        call: &'static str,
        /// The time given.
        at_ms: crate::time::SimTimeMs,
        /// The engine's now.
        now_ms: crate::time::SimTimeMs,
    },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::UnknownInstance { call, id, instances } => {
                write!(f, "{call}: no container instance {} in this engine (it has {instances})", id.0)
            }
            ControlError::BeforeNow { call, at_ms, now_ms } => write!(f, "{call}: {at_ms} ms is before now ({now_ms} ms)"),
        }
    }
}

impl std::error::Error for ControlError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_error<E: std::error::Error>(_: &E) {}

    #[test]
    fn errors_print_ecs_names_and_are_std_errors() {
        assert_eq!(EcsErrorKind::ServiceNotFoundException.to_string(), "ServiceNotFoundException");
        let e = EcsError::invalid_parameter("desiredCount must be between 0 and 1000000.");
        assert_eq!(e.to_string(), "InvalidParameterException: desiredCount must be between 0 and 1000000.");
        is_error(&e);
        is_error(&crate::InvariantViolation { invariant: "tasks-on-instance", detail: String::new() });
    }
}
