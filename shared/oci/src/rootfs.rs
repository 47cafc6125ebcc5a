//! Small operations on an unpacked root filesystem, confined to it like the unpacker.

use std::io::Read;
use std::path::Path;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::error::{OciError, Result};
use crate::unpack::fsops;

/// Creates the directory `path` (as seen inside the container) and its missing parents in
/// `rootfs` (mode 0755), resolving symlinks as the container would; with `mode`, sets the
/// permission bits of the last directory (setuid/setgid dropped).
pub fn make_dir_in_root(rootfs: &Path, path: &Path, mode: Option<u32>) -> Result<()> {
    let io = |e: Errno| OciError::io(rootfs.join(path.strip_prefix("/").unwrap_or(path)), e);
    let root = fsops::open_root(rootfs).map_err(io)?;
    let dir = fsops::mkdir_all(&root, &fsops::clean(path)).map_err(io)?;
    match mode {
        Some(mode) => rustix::fs::fchmod(&dir, Mode::from_raw_mode(mode & 0o1777)).map_err(io),
        None => Ok(()),
    }
}

/// Reads the regular file `path` (as seen inside the container) from `rootfs`, at most
/// `max_len` bytes; `None` if it does not exist.
pub fn read_file_in_root(rootfs: &Path, path: &Path, max_len: u64) -> Result<Option<Vec<u8>>> {
    let io =
        |e: std::io::Error| OciError::io(rootfs.join(path.strip_prefix("/").unwrap_or(path)), e);
    let root = fsops::open_root(rootfs).map_err(|e| io(e.into()))?;
    let fd = match rustix::fs::openat2(
        &root,
        fsops::join(&fsops::clean(path)),
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(io(e.into())),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| io(e.into()))?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
        return Err(io(std::io::Error::other("not a regular file")));
    }
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(max_len)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(Some(bytes))
}
