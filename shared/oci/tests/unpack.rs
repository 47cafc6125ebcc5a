//! Proves the unpacker keeps hand-made hostile layers inside the root (traversal, escaping
//! symlinks, hardlinks out), applies whiteouts and opaque markers, reads gzip, zstd and plain
//! tars, strips setuid, skips devices, enforces limits and checks diff_ids.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use bencher_oci::{CachedLayer, Digest, OciError, UnpackLimits, unpack_layers};
use tar::{EntryType, Header};
use tempfile::TempDir;

const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// One tar entry, names written raw so `..` and absolute paths reach the unpacker.
struct E<'a> {
    path: &'a str,
    kind: EntryType,
    link: &'a str,
    data: &'a [u8],
    mode: u32,
}

fn file<'a>(path: &'a str, data: &'a [u8]) -> E<'a> {
    E {
        path,
        kind: EntryType::Regular,
        link: "",
        data,
        mode: 0o644,
    }
}
fn dir(path: &str) -> E<'_> {
    E {
        path,
        kind: EntryType::Directory,
        link: "",
        data: b"",
        mode: 0o755,
    }
}
fn symlink<'a>(path: &'a str, link: &'a str) -> E<'a> {
    E {
        path,
        kind: EntryType::Symlink,
        link,
        data: b"",
        mode: 0o777,
    }
}
fn hardlink<'a>(path: &'a str, link: &'a str) -> E<'a> {
    E {
        path,
        kind: EntryType::Link,
        link,
        data: b"",
        mode: 0o644,
    }
}

fn tar_bytes(entries: &[E<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for e in entries {
        let mut header = Header::new_ustar();
        let old = header.as_old_mut();
        old.name[..e.path.len()].copy_from_slice(e.path.as_bytes());
        old.linkname[..e.link.len()].copy_from_slice(e.link.as_bytes());
        header.set_entry_type(e.kind);
        header.set_mode(e.mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(e.data.len() as u64);
        header.set_cksum();
        builder.append(&header, e.data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Writes a layer blob (compressed per media type) with the diff_id of its tar.
fn layer(dir: &Path, entries: &[E<'_>], media_type: &str) -> CachedLayer {
    let tar = tar_bytes(entries);
    let blob = match media_type {
        GZIP => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&tar).unwrap();
            gz.finish().unwrap()
        }
        ZSTD => zstd::encode_all(&tar[..], 3).unwrap(),
        _ => tar.clone(),
    };
    let digest = Digest::of(&blob);
    let path = dir.join(digest.hex());
    std::fs::write(&path, &blob).unwrap();
    CachedLayer {
        digest,
        media_type: media_type.to_owned(),
        path,
        diff_id: Digest::of(&tar),
    }
}

fn unpack(layers: &[CachedLayer]) -> (TempDir, Result<bencher_oci::UnpackStats, OciError>) {
    let root = tempfile::tempdir().unwrap();
    let result = unpack_layers(
        layers,
        &root.path().join("rootfs"),
        &UnpackLimits::default(),
    );
    (root, result)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

#[test]
fn dot_dot_paths_are_clamped_to_the_root() {
    let blobs = tempfile::tempdir().unwrap();
    let name = unique("escape");
    let path = format!("../../../../../../tmp/{name}");
    let l = layer(blobs.path(), &[file(&path, b"owned")], TAR);
    let (root, result) = unpack(&[l]);
    result.unwrap();
    assert!(
        !Path::new("/tmp").join(&name).exists(),
        "wrote outside the root"
    );
    let inside = root.path().join("rootfs/tmp").join(&name);
    assert_eq!(std::fs::read(inside).unwrap(), b"owned");
}

#[test]
fn writes_through_escaping_symlinks_stay_inside() {
    let blobs = tempfile::tempdir().unwrap();
    let abs = unique("abs");
    let rel = unique("rel");
    let l = layer(
        blobs.path(),
        &[
            dir("tmp/"),
            symlink("abs", "/tmp"),
            symlink("rel", "../../../../../../../tmp"),
            file(&format!("abs/{abs}"), b"a"),
            file(&format!("rel/{rel}"), b"r"),
        ],
        GZIP,
    );
    let (root, result) = unpack(&[l]);
    result.unwrap();
    let rootfs = root.path().join("rootfs");
    for name in [&abs, &rel] {
        assert!(
            !Path::new("/tmp").join(name).exists(),
            "wrote {name} on the host"
        );
        assert!(rootfs.join("tmp").join(name).is_file());
    }
    // The symlinks themselves are kept as written (chroot semantics).
    assert_eq!(
        std::fs::read_link(rootfs.join("abs")).unwrap(),
        Path::new("/tmp")
    );
}

#[test]
fn a_file_replaces_a_symlink_instead_of_writing_through_it() {
    let blobs = tempfile::tempdir().unwrap();
    let victim = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(victim.path(), b"host").unwrap();
    let target = victim.path().to_str().unwrap().to_owned();
    let l1 = layer(blobs.path(), &[symlink("f", &target)], TAR);
    let l2 = layer(blobs.path(), &[file("f", b"image")], TAR);
    let (root, result) = unpack(&[l1, l2]);
    result.unwrap();
    assert_eq!(std::fs::read(victim.path()).unwrap(), b"host");
    let f = root.path().join("rootfs/f");
    assert!(std::fs::symlink_metadata(&f).unwrap().is_file());
    assert_eq!(std::fs::read(f).unwrap(), b"image");
}

#[test]
fn hardlinks_out_of_the_root_are_refused_and_inside_ones_work() {
    let blobs = tempfile::tempdir().unwrap();
    let before = std::fs::metadata("/etc/passwd").unwrap().nlink();
    let l = layer(
        blobs.path(),
        &[hardlink("pw", "../../../../../etc/passwd")],
        TAR,
    );
    let (root, result) = unpack(&[l]);
    assert!(
        matches!(result, Err(OciError::UnsafeEntry { .. })),
        "{result:?}"
    );
    assert!(!root.path().join("rootfs/pw").exists());
    assert_eq!(std::fs::metadata("/etc/passwd").unwrap().nlink(), before);

    let l = layer(blobs.path(), &[file("a", b"x"), hardlink("b", "a")], TAR);
    let (root, result) = unpack(&[l]);
    result.unwrap();
    let a = std::fs::metadata(root.path().join("rootfs/a")).unwrap();
    let b = std::fs::metadata(root.path().join("rootfs/b")).unwrap();
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
}

#[test]
fn setuid_is_stripped_and_devices_are_skipped() {
    let blobs = tempfile::tempdir().unwrap();
    let mut suid = file("suid", b"#!/bin/sh\n");
    suid.mode = 0o6755;
    let dev = E {
        path: "dev/null",
        kind: EntryType::Char,
        link: "",
        data: b"",
        mode: 0o666,
    };
    let fifo = E {
        path: "fifo",
        kind: EntryType::Fifo,
        link: "",
        data: b"",
        mode: 0o666,
    };
    let mut tmp = dir("tmp/");
    tmp.mode = 0o1777;
    let l = layer(blobs.path(), &[suid, dev, fifo, tmp], TAR);
    let (root, result) = unpack(&[l]);
    let stats = result.unwrap();
    let rootfs = root.path().join("rootfs");
    let mode = std::fs::metadata(rootfs.join("suid"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    let mode = std::fs::metadata(rootfs.join("tmp"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o1777);
    assert!(!rootfs.join("dev/null").exists() && !rootfs.join("fifo").exists());
    assert_eq!(stats.skipped, 2);
}

#[test]
fn whiteouts_and_opaque_markers_apply_to_lower_layers_only() {
    let blobs = tempfile::tempdir().unwrap();
    let lower = layer(
        blobs.path(),
        &[
            file("d/old", b"1"),
            file("d/sub/deep", b"1"),
            file("e/old", b"1"),
            file("gone/x", b"1"),
            file("keep", b"1"),
        ],
        TAR,
    );
    // Marker after this layer's own entries in d/, before them in e/.
    let upper = layer(
        blobs.path(),
        &[
            file("d/new", b"2"),
            file("d/sub/fresh", b"2"),
            file("d/.wh..wh..opq", b""),
            file("e/.wh..wh..opq", b""),
            file("e/new", b"2"),
            file(".wh.gone", b""),
        ],
        ZSTD,
    );
    let (root, result) = unpack(&[lower, upper]);
    let stats = result.unwrap();
    let rootfs = root.path().join("rootfs");
    let names = |p: &str| {
        let mut v: Vec<String> = std::fs::read_dir(rootfs.join(p))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("d"), ["new", "sub"]);
    assert_eq!(names("d/sub"), ["fresh"]);
    assert_eq!(names("e"), ["new"]);
    assert_eq!(names("."), ["d", "e", "keep"]);
    assert_eq!(stats.whiteouts, 3);
}

#[test]
fn multi_member_gzip_is_read_whole() {
    let blobs = tempfile::tempdir().unwrap();
    let tar = tar_bytes(&[file("a", b"first"), file("b", b"second")]);
    let (head, tail) = tar.split_at(512 + 512);
    let mut blob = Vec::new();
    for part in [head, tail] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(part).unwrap();
        blob.extend(gz.finish().unwrap());
    }
    let path = blobs.path().join("multi");
    std::fs::write(&path, &blob).unwrap();
    let l = CachedLayer {
        digest: Digest::of(&blob),
        media_type: GZIP.to_owned(),
        path,
        diff_id: Digest::of(&tar),
    };
    let (root, result) = unpack(&[l]);
    result.unwrap();
    assert_eq!(
        std::fs::read(root.path().join("rootfs/b")).unwrap(),
        b"second"
    );
}

#[test]
fn diff_id_mismatch_is_refused() {
    let blobs = tempfile::tempdir().unwrap();
    let mut l = layer(blobs.path(), &[file("a", b"x")], GZIP);
    l.diff_id = Digest::of(b"something else");
    let (_root, result) = unpack(&[l]);
    assert!(
        matches!(result, Err(OciError::DigestMismatch { .. })),
        "{result:?}"
    );
}

#[test]
fn limits_and_unknown_media_types_are_enforced() {
    let blobs = tempfile::tempdir().unwrap();
    let big = vec![7u8; 64 * 1024];
    let l = layer(
        blobs.path(),
        &[file("a", b"1"), file("b", b"2"), file("c", &big)],
        TAR,
    );
    let root = tempfile::tempdir().unwrap();
    let few = UnpackLimits {
        max_entries: 2,
        ..UnpackLimits::default()
    };
    let result = unpack_layers(std::slice::from_ref(&l), root.path(), &few);
    assert!(matches!(
        result,
        Err(OciError::LimitExceeded {
            what: "entry count",
            ..
        })
    ));
    let small = UnpackLimits {
        max_bytes: 16 * 1024,
        ..UnpackLimits::default()
    };
    let result = unpack_layers(std::slice::from_ref(&l), &root.path().join("2"), &small);
    assert!(
        matches!(
            result,
            Err(OciError::LimitExceeded {
                what: "uncompressed byte",
                ..
            })
        ),
        "{result:?}"
    );
    let mut odd = l;
    odd.media_type = "application/vnd.example.layer.v1.tar+lz4".to_owned();
    let (_r, result) = unpack(&[odd]);
    assert!(
        matches!(result, Err(OciError::UnsupportedMediaType(_))),
        "{result:?}"
    );
}

#[test]
fn a_tar_without_end_marker_unpacks_and_a_truncated_one_fails_its_diff_id() {
    let blobs = tempfile::tempdir().unwrap();
    let full = tar_bytes(&[file("a", b"first"), file("b", b"xy")]);
    // umoci writes layers like this: last file unpadded, no end-of-archive blocks.
    let short = &full[..512 * 3 + 2];
    let write = |name: &str, bytes: &[u8], diff_id: Digest| {
        let path = blobs.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        CachedLayer {
            digest: Digest::of(bytes),
            media_type: TAR.to_owned(),
            path,
            diff_id,
        }
    };
    let (root, result) = unpack(&[write("short", short, Digest::of(short))]);
    result.unwrap();
    assert_eq!(std::fs::read(root.path().join("rootfs/b")).unwrap(), b"xy");

    let cut = &full[..512 * 3 + 1];
    let (_root, result) = unpack(&[write("cut", cut, Digest::of(&full))]);
    assert!(
        matches!(result, Err(OciError::DigestMismatch { .. })),
        "{result:?}"
    );
}
