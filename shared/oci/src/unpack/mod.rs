//! Apply image layers to a root directory, keeping every write inside it.
//!
//! Layers are read with `tar::Archive::entries()` (never `unpack`, which ignores whiteouts)
//! through the layer's decompressor and a sha256 of the uncompressed stream, which must equal
//! the config's `diff_id`. Paths resolve with `openat2(RESOLVE_IN_ROOT)` (see [`fsops`]), so
//! `../` and symlinks, absolute or not, cannot leave the root. OCI whiteouts: `.wh.<name>`
//! deletes `<name>`; `.wh..wh..opq` empties its directory of everything from lower layers,
//! wherever the marker sits in the tar. Device nodes and fifos are skipped, setuid/setgid bits
//! dropped, hardlinks must point at an existing non-directory inside the root, and the entry
//! count and uncompressed bytes are capped.
//!
//! On error the root is left half-written: the caller discards it.

pub(crate) mod fsops;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::FileType;
use rustix::io::Errno;
use tar::EntryType;

use crate::cache::CachedLayer;
use crate::digest::HashingReader;
use crate::error::{OciError, Result};
use fsops::RootPath;

/// Caps on what one unpack (all layers together) may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Maximum number of tar entries over all layers.
    pub max_entries: u64,
    /// Maximum uncompressed tar bytes over all layers.
    pub max_bytes: u64,
}

impl Default for UnpackLimits {
    /// One million entries, 16 GiB.
    fn default() -> Self {
        Self {
            max_entries: 1_000_000,
            max_bytes: 16 << 30,
        }
    }
}

/// What an unpack did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnpackStats {
    /// Tar entries read.
    pub entries: u64,
    /// Uncompressed tar bytes read.
    pub bytes: u64,
    /// Device nodes, fifos and other entries not materialized.
    pub skipped: u64,
    /// Whiteouts (plain and opaque) applied.
    pub whiteouts: u64,
}

/// Applies `layers` in order to `rootfs` (created if missing).
///
/// Blocking: call it from `spawn_blocking` in async code.
pub fn unpack_layers(
    layers: &[CachedLayer],
    rootfs: &Path,
    limits: &UnpackLimits,
) -> Result<UnpackStats> {
    std::fs::create_dir_all(rootfs).map_err(|e| OciError::io(rootfs, e))?;
    let root = fsops::open_root(rootfs).map_err(|e| OciError::io(rootfs, e))?;
    let mut stats = UnpackStats::default();
    for layer in layers {
        let mut unpacker = LayerUnpacker {
            root: &root,
            layer,
            limits,
            stats: &mut stats,
            touched: HashSet::new(),
        };
        unpacker.apply()?;
    }
    Ok(stats)
}

/// The state of one layer's application.
struct LayerUnpacker<'a> {
    root: &'a OwnedFd,
    layer: &'a CachedLayer,
    limits: &'a UnpackLimits,
    stats: &'a mut UnpackStats,
    /// Paths this layer wrote, and their ancestors: what an opaque marker keeps.
    touched: HashSet<RootPath>,
}

/// Marker error for the byte limit, raised inside the reader.
#[derive(Debug)]
struct ByteLimit;

impl std::fmt::Display for ByteLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("byte limit reached")
    }
}

impl std::error::Error for ByteLimit {}

/// Fails reads once more than `left` bytes went through.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| io::Error::other(ByteLimit))?;
        Ok(n)
    }
}

/// Completes a tar stream that ends early: zeros up to the next 512-byte block, then the two
/// zero blocks of an end-of-archive marker. umoci writes layers without either; Go's
/// archive/tar accepts them, the `tar` crate does not. The padding is not part of the diff_id
/// (it is added above the hashing reader), so a truncated layer still fails its digest check.
struct Padded<R> {
    inner: R,
    read: u64,
    padding: Option<u64>,
}

impl<R: Read> Padded<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            read: 0,
            padding: None,
        }
    }
}

impl<R: Read> Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.padding.is_none() {
            let n = self.inner.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.read += n as u64;
                return Ok(n);
            }
            self.padding = Some((512 - self.read % 512) % 512 + 1024);
        }
        let left = self.padding.unwrap_or(0);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        buf.iter_mut().take(n).for_each(|b| *b = 0);
        self.padding = Some(left - n as u64);
        Ok(n)
    }
}

impl LayerUnpacker<'_> {
    fn apply(&mut self) -> Result<()> {
        let path = &self.layer.path;
        let file = File::open(path).map_err(|e| OciError::io(path, e))?;
        let decoded = decoder(&self.layer.media_type, file).map_err(|e| match e {
            DecoderError::Unsupported(m) => OciError::UnsupportedMediaType(m),
            DecoderError::Io(e) => OciError::io(path, e),
        })?;
        let capped = Capped {
            inner: decoded,
            left: self.limits.max_bytes.saturating_sub(self.stats.bytes),
        };
        let mut archive = tar::Archive::new(Padded::new(HashingReader::new(capped)));
        let entries = archive.entries().map_err(|e| self.read_error(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.read_error(e))?;
            self.stats.entries += 1;
            if self.stats.entries > self.limits.max_entries {
                return Err(OciError::LimitExceeded {
                    layer: self.layer.digest.to_string(),
                    what: "entry count",
                    limit: self.limits.max_entries,
                });
            }
            self.apply_entry(&mut entry)?;
        }
        let (diff_id, bytes) = archive
            .into_inner()
            .inner
            .finish()
            .map_err(|e| self.read_error(e))?;
        self.stats.bytes += bytes;
        if diff_id != self.layer.diff_id {
            return Err(OciError::DigestMismatch {
                what: format!("uncompressed layer {} (diff_id)", self.layer.digest),
                expected: self.layer.diff_id.to_string(),
                actual: diff_id.to_string(),
            });
        }
        Ok(())
    }

    /// Maps a read error, recognizing the byte cap.
    fn read_error(&self, e: io::Error) -> OciError {
        if e.get_ref().is_some_and(|inner| inner.is::<ByteLimit>()) {
            OciError::LimitExceeded {
                layer: self.layer.digest.to_string(),
                what: "uncompressed byte",
                limit: self.limits.max_bytes,
            }
        } else {
            OciError::io(&self.layer.path, e)
        }
    }

    fn refuse(&self, path: &Path, reason: impl std::fmt::Display) -> OciError {
        OciError::UnsafeEntry {
            layer: self.layer.digest.to_string(),
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    fn apply_entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        let raw_path = entry.path().map_err(|e| self.read_error(e))?.into_owned();
        let parts = fsops::clean(&raw_path);
        let Some((name, parent)) = parts.split_last() else {
            // The root itself (`./`): keep the root as created.
            return Ok(());
        };
        let kind = entry.header().entry_type();
        let name_bytes = name.as_bytes();
        if name_bytes == b".wh..wh..opq" {
            self.stats.whiteouts += 1;
            return self.opaque(parent).map_err(|e| self.refuse(&raw_path, e));
        }
        if let Some(hidden) = name_bytes.strip_prefix(b".wh.") {
            self.stats.whiteouts += 1;
            if hidden.starts_with(b".wh.") || hidden.is_empty() {
                return Ok(()); // other AUFS metadata
            }
            let dir = match fsops::open_dir(self.root, parent) {
                Ok(dir) => dir,
                Err(Errno::NOENT | Errno::NOTDIR) => return Ok(()),
                Err(e) => return Err(self.refuse(&raw_path, e)),
            };
            return fsops::remove_all(&dir, std::ffi::OsStr::from_bytes(hidden))
                .map_err(|e| self.refuse(&raw_path, e));
        }
        match kind {
            EntryType::Directory
            | EntryType::Regular
            | EntryType::Continuous
            | EntryType::GNUSparse
            | EntryType::Symlink
            | EntryType::Link => {}
            _ => {
                self.stats.skipped += 1;
                return Ok(());
            }
        }
        let header = entry.header();
        let mode = fsops::safe_mode(header.mode().map_err(|e| self.read_error(e))?);
        let uid = header.uid().map_err(|e| self.read_error(e))?;
        let gid = header.gid().map_err(|e| self.read_error(e))?;
        let dir = fsops::mkdir_all(self.root, parent)
            .map_err(|e| self.refuse(&raw_path, format!("parent directory: {e}")))?;
        let existing = fsops::kind_at(&dir, name).map_err(|e| self.refuse(&raw_path, e))?;
        match kind {
            EntryType::Directory => {
                if existing != Some(FileType::Directory) {
                    fsops::remove_all(&dir, name).map_err(|e| self.refuse(&raw_path, e))?;
                    rustix::fs::mkdirat(&dir, name.as_os_str(), mode)
                        .map_err(|e| self.refuse(&raw_path, e))?;
                }
                let fd = fsops::open_dir(&dir, std::slice::from_ref(name))
                    .map_err(|e| self.refuse(&raw_path, e))?;
                rustix::fs::fchmod(&fd, mode).map_err(|e| self.refuse(&raw_path, e))?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(|e| self.read_error(e))?
                    .ok_or_else(|| self.refuse(&raw_path, "symlink without a target"))?
                    .into_owned();
                fsops::remove_all(&dir, name).map_err(|e| self.refuse(&raw_path, e))?;
                rustix::fs::symlinkat(&target, &dir, name.as_os_str())
                    .map_err(|e| self.refuse(&raw_path, e))?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(|e| self.read_error(e))?
                    .ok_or_else(|| self.refuse(&raw_path, "hardlink without a target"))?
                    .into_owned();
                self.hardlink(&dir, name, &parts, &target)
                    .map_err(|reason| self.refuse(&raw_path, reason))?;
            }
            _ => {
                fsops::remove_all(&dir, name).map_err(|e| self.refuse(&raw_path, e))?;
                let fd = fsops::create_file(&dir, name).map_err(|e| self.refuse(&raw_path, e))?;
                let mut file = File::from(fd);
                io::copy(entry, &mut file).map_err(|e| self.read_error(e))?;
                rustix::fs::fchmod(&file, mode).map_err(|e| self.refuse(&raw_path, e))?;
            }
        }
        fsops::chown_at(&dir, name, uid, gid);
        self.touch(&parts);
        Ok(())
    }

    /// Links `name` in `dir` to `target`, which must be an existing non-directory in the root.
    fn hardlink(
        &self,
        dir: &OwnedFd,
        name: &OsString,
        parts: &[OsString],
        target: &Path,
    ) -> std::result::Result<(), String> {
        let target_parts = fsops::clean(target);
        if target_parts == parts {
            return Ok(());
        }
        let Some((target_name, target_parent)) = target_parts.split_last() else {
            return Err("hardlink to the root".to_owned());
        };
        let target_dir = fsops::open_dir(self.root, target_parent)
            .map_err(|e| format!("hardlink target `{}`: {e}", target.display()))?;
        match fsops::kind_at(&target_dir, target_name) {
            Ok(Some(FileType::Directory)) => {
                return Err(format!("hardlink to directory `{}`", target.display()));
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(format!(
                    "hardlink target `{}` does not exist in the image",
                    target.display()
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
        fsops::remove_all(dir, name).map_err(|e| e.to_string())?;
        rustix::fs::linkat(
            &target_dir,
            target_name.as_os_str(),
            dir,
            name.as_os_str(),
            rustix::fs::AtFlags::empty(),
        )
        .map_err(|e| e.to_string())
    }

    /// Records a path written by this layer, with its ancestors.
    fn touch(&mut self, parts: &[OsString]) {
        for depth in 1..=parts.len() {
            if let Some(prefix) = parts.get(..depth) {
                self.touched.insert(prefix.to_vec());
            }
        }
    }

    /// Applies an opaque marker: removes what lower layers left under `dir_parts`.
    fn opaque(&self, dir_parts: &[OsString]) -> std::result::Result<(), Errno> {
        let dir = match fsops::open_dir(self.root, dir_parts) {
            Ok(dir) => dir,
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(e),
        };
        self.prune(&dir, dir_parts.to_vec())
    }

    /// Removes every child of `dir` not written by this layer, recursing into kept directories.
    fn prune(&self, dir: &OwnedFd, dir_parts: RootPath) -> std::result::Result<(), Errno> {
        for child in fsops::list_dir(dir)? {
            let mut child_parts = dir_parts.clone();
            child_parts.push(child.clone());
            if !self.touched.contains(&child_parts) {
                fsops::remove_all(dir, &child)?;
            } else if fsops::kind_at(dir, &child)? == Some(FileType::Directory) {
                let sub = rustix::fs::openat(
                    dir.as_fd(),
                    child.as_os_str(),
                    rustix::fs::OFlags::RDONLY
                        | rustix::fs::OFlags::DIRECTORY
                        | rustix::fs::OFlags::NOFOLLOW
                        | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )?;
                self.prune(&sub, child_parts)?;
            }
        }
        Ok(())
    }
}

enum DecoderError {
    Unsupported(String),
    Io(io::Error),
}

/// The decompressor for a layer media type.
fn decoder(media_type: &str, file: File) -> std::result::Result<Box<dyn Read>, DecoderError> {
    const TAR_TYPES: &[&str] = &[
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.foreign.diff.tar",
    ];
    let reader = BufReader::new(file);
    let (base, compression) = if let Some(base) = media_type.strip_suffix("+gzip") {
        (base, "gzip")
    } else if let Some(base) = media_type.strip_suffix(".gzip") {
        (base, "gzip")
    } else if let Some(base) = media_type.strip_suffix("+zstd") {
        (base, "zstd")
    } else {
        (media_type, "")
    };
    if !TAR_TYPES.contains(&base) {
        return Err(DecoderError::Unsupported(media_type.to_owned()));
    }
    Ok(match compression {
        "gzip" => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        "zstd" => {
            Box::new(zstd::stream::read::Decoder::with_buffer(reader).map_err(DecoderError::Io)?)
        }
        _ => Box::new(reader),
    })
}
