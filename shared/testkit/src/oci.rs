//! Real image tooling for tests: Debian's `docker-registry` (CNCF Distribution) on a free port,
//! `umoci` to build images from busybox-static, `skopeo` to push and inspect them.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tempfile::TempDir;

/// A `docker-registry serve` child with filesystem storage, killed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Registry {
    /// Starts a registry on a free loopback port and waits until `/v2/` answers.
    pub fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )?;
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawn docker-registry")?;
        let registry = Self {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if registry.v2_status().is_ok_and(|s| s.contains(" 200 ")) {
                return Ok(registry);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("docker-registry did not answer on port {port}")
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn v2_status(&self) -> Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.write_all(b"GET /v2/ HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response.lines().next().unwrap_or_default().to_owned())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command, failing with its stderr.
pub fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("spawn {cmd:?}"))?;
    ensure!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// A minimal root filesystem: `/bin/busybox` with applet symlinks, `/tmp` mode 1777.
pub fn busybox_rootfs(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::copy("/bin/busybox", bin.join("busybox"))?;
    for applet in [
        "sh", "echo", "cat", "ls", "sleep", "env", "id", "pwd", "touch", "ip", "head", "dd",
        "true", "false", "stat", "mkdir",
    ] {
        std::os::unix::fs::symlink("busybox", bin.join(applet))?;
    }
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777))?;
    std::fs::create_dir_all(dir.join("etc"))?;
    std::fs::write(dir.join("etc/hostname"), "image\n")?;
    Ok(())
}

/// An OCI image layout built with umoci.
pub struct Layout {
    dir: TempDir,
}

impl Layout {
    /// `umoci init` a new layout.
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        run(Command::new("umoci")
            .args(["init", "--layout"])
            .arg(dir.path().join("oci")))?;
        Ok(Self { dir })
    }

    /// Path of the layout.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("oci")
    }

    fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.path().display())
    }

    /// `umoci new` an empty image.
    pub fn new_image(&self, tag: &str) -> Result<()> {
        run(Command::new("umoci")
            .args(["new", "--image"])
            .arg(self.image(tag)))?;
        Ok(())
    }

    /// Adds `src` at `target` as a new layer (`--opaque` masks lower contents of target).
    pub fn insert(&self, tag: &str, src: &Path, target: &str, opaque: bool) -> Result<()> {
        let mut cmd = Command::new("umoci");
        cmd.args(["insert", "--no-history", "--image"])
            .arg(self.image(tag));
        if opaque {
            cmd.arg("--opaque");
        }
        run(cmd.arg(src).arg(target))?;
        Ok(())
    }

    /// Adds a whiteout for `target` as a new layer.
    pub fn whiteout(&self, tag: &str, target: &str) -> Result<()> {
        run(Command::new("umoci")
            .args(["insert", "--no-history", "--image"])
            .arg(self.image(tag))
            .args(["--whiteout", target]))?;
        Ok(())
    }

    /// `umoci config` with the given flags.
    pub fn config(&self, tag: &str, flags: &[&str]) -> Result<()> {
        run(Command::new("umoci")
            .args(["config", "--no-history", "--image"])
            .arg(self.image(tag))
            .args(flags))?;
        Ok(())
    }

    /// Digest of the manifest `tag` names in the layout's index.json.
    pub fn tag_digest(&self, tag: &str) -> Result<String> {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.path().join("index.json"))?)?;
        let entry = index["manifests"]
            .as_array()
            .context("manifests")?
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
            .with_context(|| format!("tag {tag}"))?;
        Ok(entry["digest"].as_str().context("digest")?.to_owned())
    }

    /// Pushes `tag` to `registry` as `name_tag` with skopeo.
    pub fn push(&self, tag: &str, registry: &Registry, name_tag: &str) -> Result<()> {
        self.push_with(tag, registry, name_tag, &[])
    }

    /// Pushes with extra skopeo flags (e.g. `--multi-arch all`).
    pub fn push_with(
        &self,
        tag: &str,
        registry: &Registry,
        name_tag: &str,
        flags: &[&str],
    ) -> Result<()> {
        run(Command::new("skopeo")
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .args(flags)
            .arg(format!("oci:{}", self.image(tag)))
            .arg(format!("docker://{}/{name_tag}", registry.host())))?;
        Ok(())
    }
}

/// The manifest digest skopeo reports for a pushed image.
pub fn skopeo_digest(registry: &Registry, name_tag: &str, raw: bool) -> Result<String> {
    let target = format!("docker://{}/{name_tag}", registry.host());
    if raw {
        let body = run(Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--raw"])
            .arg(&target))?;
        return Ok(bencher_oci::Digest::of(body.as_bytes()).to_string());
    }
    Ok(run(Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(&target))?
    .trim()
    .to_owned())
}

/// A client that speaks plain HTTP to `registry`.
pub fn client(registry: &Registry) -> Result<bencher_oci::RegistryClient> {
    Ok(bencher_oci::RegistryClient::new(
        bencher_oci::RegistryConfig {
            insecure_registries: vec![registry.host()],
            connect_timeout: Some(Duration::from_secs(2)),
            ..Default::default()
        },
    )?)
}

/// Builds `tag` in `layout`: busybox rootfs layer plus a config.
pub fn busybox_image(layout: &Layout, tag: &str) -> Result<()> {
    let rootfs = tempfile::tempdir()?;
    busybox_rootfs(rootfs.path())?;
    layout.new_image(tag)?;
    layout.insert(tag, rootfs.path(), "/", false)?;
    layout.config(
        tag,
        &[
            "--config.entrypoint=/bin/sh",
            "--config.cmd=-c",
            "--config.cmd=echo hello",
            "--config.env=PATH=/bin",
            "--config.env=GREETING=image",
            "--config.workingdir=/tmp",
        ],
    )?;
    Ok(())
}

/// Adds to `layout` an image index tagged `tag` over existing tags, one per architecture.
pub fn make_index(layout: &Layout, tag: &str, entries: &[(&str, &str)]) -> Result<()> {
    let index_path = layout.path().join("index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path)?)?;
    let manifests = index["manifests"].as_array().context("manifests")?.clone();
    let mut children = Vec::new();
    for (source, arch) in entries {
        let descriptor = manifests
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == *source)
            .with_context(|| format!("tag {source}"))?;
        let mut child = serde_json::json!({
            "mediaType": descriptor["mediaType"],
            "digest": descriptor["digest"],
            "size": descriptor["size"],
        });
        child["platform"] = serde_json::json!({ "architecture": arch, "os": "linux" });
        children.push(child);
    }
    let body = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": children,
    }))?;
    let digest = bencher_oci::Digest::of(&body);
    std::fs::write(layout.path().join("blobs/sha256").join(digest.hex()), &body)?;
    index["manifests"]
        .as_array_mut()
        .context("manifests")?
        .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": digest.to_string(),
            "size": body.len(),
            "annotations": { "org.opencontainers.image.ref.name": tag },
        }));
    std::fs::write(index_path, serde_json::to_vec(&index)?)?;
    Ok(())
}

/// Builds `tag` in `layout`: a busybox image whose command runs `script` with `/bin/sh -c`.
/// Benchmarks in tests are such scripts (print BMF, sleep forever, exit 3, ...).
pub fn script_image(layout: &Layout, tag: &str, script: &str) -> Result<()> {
    let rootfs = tempfile::tempdir()?;
    busybox_rootfs(rootfs.path())?;
    layout.new_image(tag)?;
    layout.insert(tag, rootfs.path(), "/", false)?;
    let cmd = format!("--config.cmd={script}");
    layout.config(
        tag,
        &[
            "--config.entrypoint=/bin/sh",
            "--config.cmd=-c",
            &cmd,
            "--config.env=PATH=/bin",
            "--config.workingdir=/tmp",
        ],
    )?;
    Ok(())
}
