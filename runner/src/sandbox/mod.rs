//! The runner's sandbox: turn a pulled image and a job's overrides into an OCI runtime bundle
//! and run it with runc (no NATS here).
//!
//! Layout:
//! - [`process`]: Docker-style merge of image Entrypoint/Cmd/Env/WorkingDir/User with the job.
//! - [`bundle`]: per-job rootfs (hardlinks into the unpacked image), work dir, `config.json`.
//! - [`run`]: `runc run --keep`, log streaming, timeout/cancel, cgroup stats, `runc delete`.
//! - [`error`]: the [`SandboxError`] type.
//!
//! The container gets a read-only root, a tmpfs `/tmp` (1777), a writable [`WORK_MOUNT`], a
//! new network namespace (only `lo`) unless the spec allows network, the spec's cpuset and
//! memory limit (no swap), a pids limit, no new privileges, runc's minimal default
//! capabilities and its masked and read-only paths.

pub mod bundle;
pub mod error;
pub mod process;
pub mod run;

use std::path::{Path, PathBuf};

pub use bundle::{Bundle, ContainerLimits, WORK_MOUNT, prepare_bundle};
pub use error::SandboxError;
pub use process::{JobOverrides, ProcessPlan};
pub use run::{ContainerOutcome, LogLine, Stream, run_container};

/// Settings of the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Scratch directory: `jobs/<id>` bundles, `runc-state` (runc `--root`), `rootfs/<digest>`.
    pub work_dir: PathBuf,
    /// The OCI runtime binary.
    pub runtime: PathBuf,
    /// Maximum processes in a container.
    pub pids_limit: i64,
    /// Bytes of stdout and of stderr kept per run (Bencher: 25 MiB).
    pub output_cap: usize,
    /// Parent cgroup of the containers (`/<parent>/<id>`).
    pub cgroup_parent: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            work_dir: PathBuf::from("/var/lib/bencher-runner"),
            runtime: PathBuf::from("runc"),
            pids_limit: 1024,
            output_cap: 25 << 20,
            cgroup_parent: "bencher".to_owned(),
        }
    }
}

/// The unpacked rootfs of an image, unpacked once per manifest digest under
/// `<work_dir>/rootfs/<hex>` (unpacked to a temporary dir, then renamed). Blocking.
pub fn unpacked_rootfs(
    config: &SandboxConfig,
    image: &bencher_oci::PulledImage,
    limits: &bencher_oci::UnpackLimits,
) -> Result<PathBuf, SandboxError> {
    let base = config.work_dir.join("rootfs");
    let target = base.join(image.digest.hex());
    if target.is_dir() {
        return Ok(target);
    }
    let tmp = base.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = bencher_oci::unpack_layers(&image.layers, &tmp, limits)
        .map_err(SandboxError::from)
        .and_then(|_| rename_dir(&tmp, &target));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| target)
}

fn rename_dir(from: &Path, to: &Path) -> Result<(), SandboxError> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        // Another job unpacked the same image first: keep theirs.
        Err(_) if to.is_dir() => {
            std::fs::remove_dir_all(from).map_err(|e| SandboxError::io(from, e))
        }
        Err(e) => Err(SandboxError::io(to, e)),
    }
}
