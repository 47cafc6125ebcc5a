//! Leftovers of a runner that died: job bundles, half-unpacked images, runc containers.
//! One work dir belongs to one runner process, so everything found there is ours.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use crate::sandbox::{SandboxConfig, SandboxError};

/// Deletes every container in the runner's runc state dir and removes job bundles and
/// temporary unpack dirs under the work dir (the image and blob caches stay).
pub(crate) async fn clean_work_dir(config: &SandboxConfig) -> Result<(), SandboxError> {
    let state = config.work_dir.join("runc-state");
    for id in child_names(&state).await? {
        let status = Command::new(&config.runtime)
            .arg("--root")
            .arg(&state)
            .args(["delete", "--force", &id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
        match status {
            Ok(s) if s.success() => tracing::info!(container = %id, "leftover container deleted"),
            Ok(_) | Err(_) => tracing::warn!(container = %id, "leftover container not deleted"),
        }
    }
    let jobs = config.work_dir.join("jobs");
    for name in child_names(&jobs).await? {
        remove_dir(&jobs.join(&name)).await?;
        tracing::info!(bundle = %name, "leftover job bundle removed");
    }
    let rootfs = config.work_dir.join("rootfs");
    for name in child_names(&rootfs).await? {
        if name.starts_with(".tmp-") {
            remove_dir(&rootfs.join(&name)).await?;
        }
    }
    Ok(())
}

/// Names of the entries of `dir`; none when it does not exist.
async fn child_names(dir: &Path) -> Result<Vec<String>, SandboxError> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(SandboxError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let mut names = Vec::new();
    loop {
        match entries.next_entry().await {
            Ok(Some(entry)) => names.push(entry.file_name().to_string_lossy().into_owned()),
            Ok(None) => return Ok(names),
            Err(e) => {
                return Err(SandboxError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                });
            }
        }
    }
}

async fn remove_dir(path: &Path) -> Result<(), SandboxError> {
    match tokio::fs::remove_dir_all(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SandboxError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}
