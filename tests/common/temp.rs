//! A test's own temporary directory, removed when the test ends.

use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, named after the test and the process
/// (tests of one binary run in parallel, so `name` must differ between them). It is removed when
/// dropped, also when the test fails and unwinds, so a test run leaves nothing behind.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("drainsim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
