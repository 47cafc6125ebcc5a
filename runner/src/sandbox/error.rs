//! Errors of the sandbox.

use std::path::PathBuf;

/// What can go wrong while preparing or running a container.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Neither the image nor the job gives a command to run.
    #[error("no command to run: the image has no Entrypoint/Cmd and the job gives none")]
    NoCommand,
    /// The image's `User` names a user or group its `/etc/passwd` or `/etc/group` lacks.
    #[error("user `{0}` not found in the image")]
    UnknownUser(String),
    /// Preparing the root filesystem failed.
    #[error(transparent)]
    Oci(#[from] bencher_oci::OciError),
    /// Building or writing the runtime spec failed.
    #[error("runtime spec: {0}")]
    Spec(#[from] oci_spec::OciSpecError),
    /// A filesystem error.
    #[error("i/o error on {path}: {source}", path = path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The runtime (runc) could not be started or failed outside the container.
    #[error("runtime `{command}` failed: {message}")]
    Runtime {
        /// The runtime command line.
        command: String,
        /// Its error output or the spawn error.
        message: String,
    },
}

impl SandboxError {
    /// Builds a [`SandboxError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
