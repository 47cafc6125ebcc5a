//! Filesystem operations confined to a root directory.
//!
//! Every lookup goes through `openat2(RESOLVE_IN_ROOT)` from the root's descriptor: `..` stops
//! at the root and symlinks (absolute or relative) resolve as if the root were `/`, as they will
//! inside the container. The last path component is never followed: it is removed, then created
//! with `O_EXCL | O_NOFOLLOW`, `symlinkat` or `linkat`.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// A path inside the root, already lexically cleaned: only normal components.
pub(crate) type RootPath = Vec<OsString>;

/// Cleans a tar path: drops `/`, `.` and empty parts; `..` pops, stopping at the root.
pub(crate) fn clean(path: &Path) -> RootPath {
    let mut out: RootPath = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(part) => out.push(part.to_owned()),
            std::path::Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Joins components into a relative path for `openat2`.
pub(crate) fn join(parts: &[OsString]) -> OsString {
    let mut joined = OsString::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            joined.push("/");
        }
        joined.push(part);
    }
    if joined.is_empty() {
        joined.push(".");
    }
    joined
}

const RESOLVE: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// Opens the root directory itself.
pub(crate) fn open_root(root: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(root, DIR_FLAGS, Mode::empty())
}

/// Opens an existing directory inside the root.
pub(crate) fn open_dir(root: impl AsFd, parts: &[OsString]) -> Result<OwnedFd, Errno> {
    rustix::fs::openat2(root, join(parts), DIR_FLAGS, Mode::empty(), RESOLVE)
}

/// Opens (creating as needed, mode 0755) a directory inside the root.
pub(crate) fn mkdir_all(root: impl AsFd, parts: &[OsString]) -> Result<OwnedFd, Errno> {
    let root = root.as_fd();
    match open_dir(root, parts) {
        Err(Errno::NOENT) => {}
        other => return other,
    }
    let mut parent = open_root_dup(root)?;
    for depth in 1..=parts.len() {
        let prefix = parts.get(..depth).unwrap_or_default();
        parent = match open_dir(root, prefix) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => {
                let name = prefix.last().map(OsString::as_os_str).unwrap_or_default();
                match rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e),
                }
                // A dangling symlink makes mkdirat answer EEXIST and this open fail: refused.
                open_dir(root, prefix)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(parent)
}

fn open_root_dup(root: impl AsFd) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(root, ".", DIR_FLAGS, Mode::empty())
}

/// File type of `name` in `dir`, not following a symlink; `None` if absent.
pub(crate) fn kind_at(dir: impl AsFd, name: &OsStr) -> Result<Option<FileType>, Errno> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(FileType::from_raw_mode(stat.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes `name` in `dir` and, for a directory, everything below it. Absent is fine.
pub(crate) fn remove_all(dir: impl AsFd, name: &OsStr) -> Result<(), Errno> {
    let dir = dir.as_fd();
    match kind_at(dir, name)? {
        None => Ok(()),
        Some(FileType::Directory) => {
            let child = rustix::fs::openat(dir, name, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())?;
            for entry_name in list_dir(&child)? {
                remove_all(&child, &entry_name)?;
            }
            rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)
        }
        Some(_) => rustix::fs::unlinkat(dir, name, AtFlags::empty()),
    }
}

/// Names in a directory, without `.` and `..`.
pub(crate) fn list_dir(dir: impl AsFd) -> Result<Vec<OsString>, Errno> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_owned());
        }
    }
    Ok(names)
}

/// Creates a new regular file `name` in `dir` (the name must not exist).
pub(crate) fn create_file(dir: impl AsFd, name: &OsStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
}

/// Permission bits kept from a tar header: setuid and setgid are dropped, sticky is kept.
pub(crate) fn safe_mode(mode: u32) -> Mode {
    Mode::from_raw_mode(mode & 0o1777)
}

/// Sets owner of `name` in `dir` without following symlinks, when running as root.
pub(crate) fn chown_at(dir: impl AsFd, name: &OsStr, uid: u64, gid: u64) {
    if !rustix::process::geteuid().is_root() {
        return;
    }
    let (Ok(uid), Ok(gid)) = (u32::try_from(uid), u32::try_from(gid)) else {
        return;
    };
    if uid == u32::MAX || gid == u32::MAX {
        return;
    }
    let owner = rustix::fs::Uid::from_raw(uid);
    let group = rustix::fs::Gid::from_raw(gid);
    if let Err(e) = rustix::fs::chownat(
        dir,
        name,
        Some(owner),
        Some(group),
        AtFlags::SYMLINK_NOFOLLOW,
    ) {
        tracing::debug!(error = %e, "chown of unpacked entry failed");
    }
}
