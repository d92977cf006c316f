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
