//! The OCI runtime bundle of one job: a per-job rootfs (hardlinked from the unpacked image),
//! a writable work dir, and `config.json` with the sandbox's limits.

use std::path::{Path, PathBuf};

use bencher_oci::ImageConfiguration;
use oci_spec::runtime::{
    LinuxCpuBuilder, LinuxDeviceCgroupBuilder, LinuxMemoryBuilder, LinuxNamespaceType,
    LinuxPidsBuilder, LinuxResourcesBuilder, MountBuilder, RootBuilder, Spec, UserBuilder,
};

use super::SandboxConfig;
use super::error::SandboxError;
use super::process::{JobOverrides, merge, resolve_user};

/// Where the job's writable work dir is mounted inside the container.
pub const WORK_MOUNT: &str = "/work";

/// Resource limits from the job's spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerLimits {
    /// cgroup cpuset, e.g. `"0-1"`; `None` leaves all CPUs.
    pub cpuset: Option<String>,
    /// Memory limit in bytes (swap disabled); `None` for no limit.
    pub memory_bytes: Option<u64>,
    /// Size cap of the `/tmp` tmpfs in bytes; `None` for the kernel default (half of RAM).
    pub tmp_bytes: Option<u64>,
    /// Share the host network; otherwise a new network namespace with only `lo`.
    pub network: bool,
}

impl ContainerLimits {
    /// The cpuset for `count` CPUs starting at CPU `first`: `"first-(first+count-1)"`.
    pub fn cpus(first: u32, count: u32) -> String {
        match count {
            0 | 1 => first.to_string(),
            n => format!("{first}-{}", first + n - 1),
        }
    }
}

/// A prepared bundle; [`Bundle::remove`] deletes it.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// Unique container id (`bencher-<uuid>`).
    pub id: String,
    /// Bundle directory (holds `config.json`).
    pub dir: PathBuf,
    /// The job's root filesystem.
    pub rootfs: PathBuf,
    /// Host side of the writable work dir mounted at [`WORK_MOUNT`].
    pub work: PathBuf,
    /// The runtime spec written to `config.json`.
    pub spec: Spec,
    /// cgroup path (relative to each v1 controller's mount).
    pub cgroups_path: String,
}

impl Bundle {
    /// Deletes the bundle directory.
    pub fn remove(&self) -> Result<(), SandboxError> {
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SandboxError::io(&self.dir, e)),
        }
    }
}

/// Builds a bundle for one job from an unpacked image (blocking: use `spawn_blocking`).
pub fn prepare_bundle(
    config: &SandboxConfig,
    image: &ImageConfiguration,
    unpacked: &Path,
    job: &JobOverrides,
    limits: &ContainerLimits,
) -> Result<Bundle, SandboxError> {
    let plan = merge(image, job)?;
    let id = format!("bencher-{}", uuid::Uuid::new_v4().simple());
    let dir = config.work_dir.join("jobs").join(&id);
    let rootfs = dir.join("rootfs");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).map_err(|e| SandboxError::io(&work, e))?;
    link_tree(unpacked, &rootfs)?;

    let (uid, gid) = resolve_user(&rootfs, &plan.user)?;
    chown(&work, uid, gid)?;
    bencher_oci::make_dir_in_root(&rootfs, Path::new("/tmp"), Some(0o1777))?;
    bencher_oci::make_dir_in_root(&rootfs, Path::new(WORK_MOUNT), None)?;
    bencher_oci::make_dir_in_root(&rootfs, &plan.cwd, None)?;

    let cgroups_path = format!("/{}/{id}", config.cgroup_parent);
    let spec = runtime_spec(&plan, uid, gid, &work, limits, config, &cgroups_path)?;
    let config_path = dir.join("config.json");
    spec.save(&config_path)?;
    Ok(Bundle {
        id,
        dir,
        rootfs,
        work,
        spec,
        cgroups_path,
    })
}

fn runtime_spec(
    plan: &super::process::ProcessPlan,
    uid: u32,
    gid: u32,
    work: &Path,
    limits: &ContainerLimits,
    config: &SandboxConfig,
    cgroups_path: &str,
) -> Result<Spec, SandboxError> {
    let mut spec = Spec::default();
    spec.set_hostname(Some("bencher".to_owned()));
    spec.set_root(Some(
        RootBuilder::default()
            .path("rootfs")
            .readonly(true)
            .build()?,
    ));
    if let Some(process) = spec.process_mut() {
        process.set_args(Some(plan.args.clone()));
        process.set_env(Some(plan.env.clone()));
        process.set_cwd(plan.cwd.clone());
        process.set_user(UserBuilder::default().uid(uid).gid(gid).build()?);
        process.set_no_new_privileges(Some(true));
        process.set_terminal(Some(false));
    }

    let mut tmp_options = vec![
        "nosuid".to_owned(),
        "nodev".to_owned(),
        "mode=1777".to_owned(),
    ];
    if let Some(bytes) = limits.tmp_bytes {
        tmp_options.push(format!("size={bytes}"));
    }
    let mut mounts = spec.mounts().clone().unwrap_or_default();
    mounts.push(
        MountBuilder::default()
            .destination("/tmp")
            .typ("tmpfs")
            .source("tmpfs")
            .options(tmp_options)
            .build()?,
    );
    mounts.push(
        MountBuilder::default()
            .destination(WORK_MOUNT)
            .typ("bind")
            .source(work)
            .options(vec![
                "rbind".to_owned(),
                "rw".to_owned(),
                "nosuid".to_owned(),
                "nodev".to_owned(),
            ])
            .build()?,
    );
    spec.set_mounts(Some(mounts));

    let mut resources = LinuxResourcesBuilder::default()
        .devices(vec![
            LinuxDeviceCgroupBuilder::default()
                .allow(false)
                .access("rwm")
                .build()?,
        ])
        .pids(
            LinuxPidsBuilder::default()
                .limit(config.pids_limit)
                .build()?,
        );
    if let Some(bytes) = limits.memory_bytes {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        resources = resources.memory(
            LinuxMemoryBuilder::default()
                .limit(bytes)
                .swap(bytes)
                .build()?,
        );
    }
    if let Some(cpus) = &limits.cpuset {
        resources = resources.cpu(
            LinuxCpuBuilder::default()
                .cpus(cpus.clone())
                .mems("0")
                .build()?,
        );
    }
    if let Some(linux) = spec.linux_mut() {
        linux.set_resources(Some(resources.build()?));
        linux.set_cgroups_path(Some(PathBuf::from(cgroups_path)));
        if limits.network
            && let Some(namespaces) = linux.namespaces_mut()
        {
            namespaces.retain(|ns| ns.typ() != LinuxNamespaceType::Network);
        }
    }
    Ok(spec)
}

/// Recreates `src` at `dst`: directories and symlinks copied, regular files hardlinked
/// (the container sees its root read-only, so shared inodes cannot be changed).
pub fn link_tree(src: &Path, dst: &Path) -> Result<(), SandboxError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::symlink_metadata(src).map_err(|e| SandboxError::io(src, e))?;
    std::fs::create_dir(dst).map_err(|e| SandboxError::io(dst, e))?;
    for entry in std::fs::read_dir(src).map_err(|e| SandboxError::io(src, e))? {
        let entry = entry.map_err(|e| SandboxError::io(src, e))?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| SandboxError::io(&from, e))?;
        if kind.is_dir() {
            link_tree(&from, &to)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&from).map_err(|e| SandboxError::io(&from, e))?;
            std::os::unix::fs::symlink(&target, &to).map_err(|e| SandboxError::io(&to, e))?;
            let m = std::fs::symlink_metadata(&from).map_err(|e| SandboxError::io(&from, e))?;
            std::os::unix::fs::lchown(&to, Some(m.uid()), Some(m.gid()))
                .map_err(|e| SandboxError::io(&to, e))?;
        } else if kind.is_file() {
            std::fs::hard_link(&from, &to).map_err(|e| SandboxError::io(&to, e))?;
        }
    }
    std::fs::set_permissions(dst, std::fs::Permissions::from_mode(meta.mode() & 0o1777))
        .map_err(|e| SandboxError::io(dst, e))?;
    chown(dst, meta.uid(), meta.gid())
}

fn chown(path: &Path, uid: u32, gid: u32) -> Result<(), SandboxError> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| SandboxError::io(path, e))
}
