//! The container's process: image config merged with the job's overrides, as Docker does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bencher_oci::ImageConfiguration;

use super::error::SandboxError;

/// `PATH` when neither the image nor the job sets one (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What a job may override in the image's process (Bencher's `job.entrypoint/cmd/env`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobOverrides {
    /// Replaces the image `Entrypoint`; also drops the image `Cmd` unless `cmd` is given.
    pub entrypoint: Option<Vec<String>>,
    /// Replaces the image `Cmd`.
    pub cmd: Option<Vec<String>>,
    /// Set or replace environment variables by key.
    pub env: BTreeMap<String, String>,
}

/// The merged process the container runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessPlan {
    /// argv: entrypoint followed by cmd.
    pub args: Vec<String>,
    /// `KEY=value` pairs, image order first, job additions after.
    pub env: Vec<String>,
    /// Working directory inside the container.
    pub cwd: PathBuf,
    /// The image `User` field as written (`""`, `name`, `uid`, `uid:gid`, `name:group`).
    pub user: String,
}

/// Merges the image config with the job's overrides.
pub fn merge(image: &ImageConfiguration, job: &JobOverrides) -> Result<ProcessPlan, SandboxError> {
    let config = image.config().clone().unwrap_or_default();
    let image_entrypoint = config.entrypoint().clone().unwrap_or_default();
    let image_cmd = config.cmd().clone().unwrap_or_default();
    let (entrypoint, cmd) = match (&job.entrypoint, &job.cmd) {
        (Some(entrypoint), Some(cmd)) => (entrypoint.clone(), cmd.clone()),
        (Some(entrypoint), None) => (entrypoint.clone(), Vec::new()),
        (None, Some(cmd)) => (image_entrypoint, cmd.clone()),
        (None, None) => (image_entrypoint, image_cmd),
    };
    let args: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
    if args.is_empty() {
        return Err(SandboxError::NoCommand);
    }

    let mut env: Vec<String> = Vec::new();
    let mut overrides = job.env.clone();
    for pair in config.env().clone().unwrap_or_default() {
        let key = pair.split_once('=').map_or(pair.as_str(), |(k, _)| k);
        match overrides.remove(key) {
            Some(value) => env.push(format!("{key}={value}")),
            None => env.push(pair),
        }
    }
    env.extend(overrides.into_iter().map(|(k, v)| format!("{k}={v}")));
    if !env.iter().any(|pair| pair.starts_with("PATH=")) {
        env.push(format!("PATH={DEFAULT_PATH}"));
    }

    let cwd = match config.working_dir().as_deref() {
        Some(dir) if !dir.is_empty() => Path::new("/").join(dir),
        _ => PathBuf::from("/"),
    };
    Ok(ProcessPlan {
        args,
        env,
        cwd,
        user: config.user().clone().unwrap_or_default(),
    })
}

/// Resolves a Docker `User` string to numeric ids, using the image's `/etc/passwd` and
/// `/etc/group` for names (read confined to the rootfs).
pub fn resolve_user(rootfs: &Path, user: &str) -> Result<(u32, u32), SandboxError> {
    let (name, group) = match user.split_once(':') {
        Some((name, group)) => (name, Some(group)),
        None => (user, None),
    };
    let (uid, primary_gid) = match name {
        "" | "root" => (0, 0),
        numeric if numeric.parse::<u32>().is_ok() => {
            let uid = numeric.parse::<u32>().unwrap_or_default();
            let gid = lookup(rootfs, "/etc/passwd", 2, numeric)?
                .and_then(|fields| fields.get(3).and_then(|g| g.parse().ok()))
                .unwrap_or(uid);
            (uid, gid)
        }
        named => {
            let fields = lookup(rootfs, "/etc/passwd", 0, named)?
                .ok_or_else(|| SandboxError::UnknownUser(user.to_owned()))?;
            let id = |i: usize| fields.get(i).and_then(|v| v.parse::<u32>().ok());
            match (id(2), id(3)) {
                (Some(uid), Some(gid)) => (uid, gid),
                _ => return Err(SandboxError::UnknownUser(user.to_owned())),
            }
        }
    };
    let gid = match group {
        None | Some("") => primary_gid,
        Some(numeric) if numeric.parse::<u32>().is_ok() => numeric.parse().unwrap_or_default(),
        Some(named) => lookup(rootfs, "/etc/group", 0, named)?
            .and_then(|fields| fields.get(2).and_then(|g| g.parse().ok()))
            .ok_or_else(|| SandboxError::UnknownUser(user.to_owned()))?,
    };
    Ok((uid, gid))
}

/// The `:`-separated fields of the first line of `file` whose field `column` equals `value`.
fn lookup(
    rootfs: &Path,
    file: &str,
    column: usize,
    value: &str,
) -> Result<Option<Vec<String>>, SandboxError> {
    let Some(bytes) = bencher_oci::read_file_in_root(rootfs, Path::new(file), 1 << 20)? else {
        return Ok(None);
    };
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .map(|line| line.split(':').map(str::to_owned).collect::<Vec<_>>())
        .find(|fields| fields.get(column).is_some_and(|f| f == value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(entrypoint: &[&str], cmd: &[&str], env: &[&str]) -> ImageConfiguration {
        let json = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": []},
            "config": {"Entrypoint": entrypoint, "Cmd": cmd, "Env": env, "WorkingDir": "/app"},
        });
        serde_json::from_value(json).unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn job_entrypoint_resets_image_cmd_unless_cmd_given() {
        let img = image(&["/bin/bench"], &["--fast"], &[]);
        let plan = merge(&img, &JobOverrides::default()).unwrap();
        assert_eq!(plan.args, ["/bin/bench", "--fast"]);
        assert_eq!(plan.cwd, Path::new("/app"));

        let job = JobOverrides {
            entrypoint: Some(strings(&["/bin/sh"])),
            ..Default::default()
        };
        assert_eq!(merge(&img, &job).unwrap().args, ["/bin/sh"]);

        let job = JobOverrides {
            entrypoint: Some(strings(&["/bin/sh"])),
            cmd: Some(strings(&["-c", "true"])),
            ..Default::default()
        };
        assert_eq!(merge(&img, &job).unwrap().args, ["/bin/sh", "-c", "true"]);

        let job = JobOverrides {
            cmd: Some(strings(&["--slow"])),
            ..Default::default()
        };
        assert_eq!(merge(&img, &job).unwrap().args, ["/bin/bench", "--slow"]);

        let empty = image(&[], &[], &[]);
        assert!(matches!(
            merge(&empty, &JobOverrides::default()),
            Err(SandboxError::NoCommand)
        ));
    }

    #[test]
    fn env_overrides_by_key_and_keeps_order() {
        let img = image(&["x"], &[], &["PATH=/bin", "A=1", "B=2"]);
        let mut job = JobOverrides::default();
        job.env.insert("A".into(), "override".into());
        job.env.insert("C".into(), "3".into());
        let plan = merge(&img, &job).unwrap();
        assert_eq!(plan.env, ["PATH=/bin", "A=override", "B=2", "C=3"]);

        let img = image(&["x"], &[], &[]);
        let plan = merge(&img, &JobOverrides::default()).unwrap();
        assert_eq!(plan.env, [format!("PATH={DEFAULT_PATH}")]);
    }
}
