//! Numeric ids used inside the core. ARNs and other strings are rendered at the edges.

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// The id as a vector index.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A cluster.
    ClusterId
);
id_type!(
    /// A container instance (in registration order).
    InstanceId
);
id_type!(
    /// A task (in launch order).
    TaskId
);
id_type!(
    /// A service (in creation order).
    ServiceId
);
id_type!(
    /// A task definition revision.
    TaskDefId
);
id_type!(
    /// An attachment (trunk ENI or task ENI).
    AttachmentId
);
