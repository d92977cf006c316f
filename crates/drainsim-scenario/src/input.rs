//! Reading a user's input file with a bound on its size.
//!
//! Every file drainsim reads whole — a scenario, the AWS CLI's JSON for `drainsim import`, a sweep
//! report for `--merge` — is read through [`read_bounded`]. A mistaken path to a multi-gigabyte
//! file is refused from its size before a byte is read; a special file that never ends
//! (`/dev/zero`, `/dev/urandom`) or reports no size is refused once it passes the bound, instead of
//! being read until memory runs out.

use std::io::Read;
use std::path::Path;

/// The largest scenario file drainsim reads, in bytes (256 MiB). A scenario imported from a real
/// cluster writes about 80 bytes per running task and a few hundred per instance, so a cluster at
/// the engine's limit of 1,000,000 tasks is well inside it.
pub const MAX_SCENARIO_BYTES: u64 = 256 * 1024 * 1024;

/// Why [`read_bounded`] read nothing.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file holds more than the bound (`size_bytes` when the file system reports its size).
    TooLarge {
        /// The bound, in bytes.
        limit_bytes: u64,
        /// The file's size, when it is a regular file.
        size_bytes: Option<u64>,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => f.write_str(&io_error_text(e)),
            ReadError::TooLarge { limit_bytes, size_bytes: Some(size) } => {
                write!(f, "the file has {size} bytes; drainsim reads at most {limit_bytes}")
            }
            ReadError::TooLarge { limit_bytes, size_bytes: None } => {
                write!(f, "the file has more than {limit_bytes} bytes, the most drainsim reads")
            }
        }
    }
}

impl std::error::Error for ReadError {}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where the first byte of `bytes` that is not UTF-8 is, as a text editor shows it (line and
/// column, counted in the valid text before it), and that byte.
pub(crate) fn first_byte_not_utf8(e: &std::string::FromUtf8Error) -> (usize, usize, u8) {
    let valid = e.utf8_error().valid_up_to();
    let text = std::str::from_utf8(&e.as_bytes()[..valid]).expect("valid up to here");
    let (line, column) = position(text, valid);
    (line, column, e.as_bytes()[valid])
}

/// What the operating system said of a failed read or write, as a user reads it: the system's
/// own text (`No such file or directory`) without the `(os error 2)` Rust's `io::Error` appends.
pub fn io_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match (e.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => text[..at].to_string(),
        _ => text,
    }
}

/// The whole of the file at `path`, when it holds at most `limit_bytes` bytes.
pub fn read_bounded(path: &Path, limit_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if metadata.is_dir() {
        return Err(ReadError::Io(std::io::Error::other("it is a directory")));
    }
    // A regular file's size is known before reading; a special file's (a device, a pipe) is not,
    // so its reading stops one byte past the bound.
    if metadata.is_file() && metadata.len() > limit_bytes {
        return Err(ReadError::TooLarge { limit_bytes, size_bytes: Some(metadata.len()) });
    }
    let expected = if metadata.is_file() { metadata.len() } else { 0 };
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(limit_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit_bytes {
        return Err(ReadError::TooLarge { limit_bytes, size_bytes: None });
    }
    Ok(bytes)
}

/// The AWS CLI outputs drainsim recognises, by the top-level key that tells each apart: the key,
/// and the command that prints it. Here, below both readers: `import` reads them, and `load`
/// names one given as a scenario.
pub(crate) const CLI_OUTPUTS: [(&str, &str); 21] = [
    ("containerInstances", "describe-container-instances"),
    ("containerInstanceArns", "list-container-instances"),
    ("clusters", "describe-clusters"),
    ("services", "describe-services"),
    ("serviceArns", "list-services"),
    ("taskDefinition", "describe-task-definition"),
    ("tasks", "describe-tasks"),
    ("taskArns", "list-tasks"),
    ("taskDefinitionArns", "list-task-definitions"),
    ("families", "list-task-definition-families"),
    ("clusterArns", "list-clusters"),
    ("settings", "list-account-settings"),
    ("TargetGroups", "describe-target-groups"),
    ("Attributes", "describe-target-group-attributes"),
    ("TargetHealthDescriptions", "describe-target-health"),
    ("capacityProviders", "describe-capacity-providers"),
    ("AutoScalingGroups", "describe-auto-scaling-groups"),
    ("LifecycleHooks", "describe-lifecycle-hooks"),
    ("LaunchTemplateVersions", "describe-launch-template-versions"),
    ("AutoScalingInstances", "describe-auto-scaling-instances"),
    ("Reservations", "describe-instances"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("drainsim-input-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_file_up_to_the_bound_is_read_whole_and_one_byte_more_is_refused_by_its_size() {
        let path = temp_file("bound", b"0123456789");
        assert_eq!(read_bounded(&path, 10).unwrap(), b"0123456789");
        match read_bounded(&path, 9) {
            Err(e @ ReadError::TooLarge { limit_bytes: 9, size_bytes: Some(10) }) => {
                assert_eq!(e.to_string(), "the file has 10 bytes; drainsim reads at most 9")
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_missing_file_or_a_directory_is_an_io_error() {
        let missing = std::env::temp_dir().join("drainsim-input-no-such-file");
        assert!(matches!(read_bounded(&missing, 10), Err(ReadError::Io(_))));
        let path = temp_file("dir", b"");
        match read_bounded(path.parent().unwrap(), 10) {
            Err(e @ ReadError::Io(_)) => assert_eq!(e.to_string(), "it is a directory"),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_that_never_ends_is_refused_past_the_bound() {
        match read_bounded(Path::new("/dev/zero"), 4096) {
            Err(e @ ReadError::TooLarge { limit_bytes: 4096, size_bytes: None }) => {
                assert_eq!(e.to_string(), "the file has more than 4096 bytes, the most drainsim reads")
            }
            other => panic!("{other:?}"),
        }
    }
}
