//! Output files (`file_paths`) read from the job's work dir after an iteration.
//!
//! The container's root is read-only and its `/tmp` is a tmpfs that ends with it, so only the
//! work dir (mounted at [`WORK_MOUNT`]) outlives the container: a path is read from there when
//! it is under `/work` or relative (taken as relative to `/work`). Reads are confined to the
//! work dir (symlinks resolve inside it, as in a chroot), regular files only, within the
//! remaining output budget.

use std::path::Path;

use bencher_wire::values::FilePath;

use crate::sandbox::WORK_MOUNT;

/// Why the files of an iteration could not be collected.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FilesFailure {
    /// Together with stdout and stderr they exceed the output cap.
    OverCap,
    /// More files than allowed.
    TooMany(u32),
    /// A file is missing, outside the work dir, or unreadable.
    Unreadable(String),
}

/// Reads `paths` from the host side of the work dir; `required` makes a missing file an
/// error (a failed benchmark may not have written its files). Blocking.
pub(crate) fn collect(
    work: &Path,
    paths: &[FilePath],
    max_files: u32,
    budget: u64,
    required: bool,
) -> Result<Vec<(FilePath, Vec<u8>)>, FilesFailure> {
    if u32::try_from(paths.len()).unwrap_or(u32::MAX) > max_files {
        return Err(FilesFailure::TooMany(max_files));
    }
    let mut left = budget;
    let mut files = Vec::new();
    for path in paths {
        let Some(inside) = inside_work(path.as_str()) else {
            return Err(FilesFailure::Unreadable(format!(
                "output file {path} is not under {WORK_MOUNT}: only the work dir outlives the \
                 container (the root is read-only and /tmp is a tmpfs)"
            )));
        };
        let read = bencher_oci::read_file_in_root(work, Path::new(inside), left.saturating_add(1))
            .map_err(|e| FilesFailure::Unreadable(format!("output file {path}: {e}")))?;
        match read {
            Some(bytes) => {
                let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                if size > left {
                    return Err(FilesFailure::OverCap);
                }
                left -= size;
                files.push((path.clone(), bytes));
            }
            None if required => {
                return Err(FilesFailure::Unreadable(format!(
                    "output file {path} not found"
                )));
            }
            None => {}
        }
    }
    Ok(files)
}

/// The path inside the work dir: `/work/x` → `x`, `x` → `x`; `None` elsewhere.
fn inside_work(path: &str) -> Option<&str> {
    match path.strip_prefix(WORK_MOUNT) {
        Some(rest) if rest.starts_with('/') => Some(rest.trim_start_matches('/')),
        Some(_) => None,
        None if path.starts_with('/') => None,
        None => Some(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<FilePath> {
        list.iter().map(|p| FilePath::parse(p).unwrap()).collect()
    }

    #[test]
    fn reads_work_files_within_budget_and_confined() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), b"{}").unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/b.txt"), b"12345").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("escape")).unwrap();

        let got = collect(
            dir.path(),
            &paths(&["/work/a.json", "out/b.txt"]),
            10,
            7,
            true,
        )
        .unwrap();
        assert_eq!(got[0].1, b"{}");
        assert_eq!(got[1].1, b"12345");
        assert_eq!(
            collect(dir.path(), &paths(&["a.json", "out/b.txt"]), 10, 6, true),
            Err(FilesFailure::OverCap)
        );
        assert_eq!(
            collect(dir.path(), &paths(&["a.json", "out/b.txt"]), 1, 100, true),
            Err(FilesFailure::TooMany(1))
        );
        // A symlink to a host path resolves inside the work dir, where it does not exist.
        assert!(matches!(
            collect(dir.path(), &paths(&["escape"]), 10, 100, true),
            Err(FilesFailure::Unreadable(m)) if m.contains("not found")
        ));
        assert!(
            collect(dir.path(), &paths(&["missing"]), 10, 100, false)
                .unwrap()
                .is_empty()
        );
        for outside in ["/tmp/results.json", "/workspace/x", "/etc/passwd"] {
            assert!(matches!(
                collect(dir.path(), &paths(&[outside]), 10, 100, true),
                Err(FilesFailure::Unreadable(m)) if m.contains("not under /work")
            ));
        }
        assert!(matches!(
            collect(dir.path(), &paths(&["out"]), 10, 100, true),
            Err(FilesFailure::Unreadable(m)) if m.contains("regular file")
        ));
    }
}
