//! The default spec of `bencherd up`: a description of this machine, so a single-machine install
//! can run jobs without anyone defining specs first.

use std::path::Path;

/// What this machine offers a benchmark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineSpec {
    /// CPU architecture, as Bencher names it (`x86_64`, `aarch64`).
    pub architecture: String,
    /// Logical CPUs.
    pub cpu: u32,
    /// Memory in bytes.
    pub memory: u64,
    /// Disk space in bytes available on the data dir's file system.
    pub disk: u64,
}

impl MachineSpec {
    /// Read this machine's CPU count, memory and the disk space at `data_dir`.
    pub fn detect(data_dir: &Path) -> Self {
        let cpu = std::thread::available_parallelism()
            .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
            .unwrap_or(1);
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total_bytes(&text))
            .unwrap_or(0);
        let disk = rustix::fs::statvfs(data_dir)
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
            .unwrap_or(0);
        Self {
            // Bencher's names (`x86_64`, `aarch64`); the resolver maps them to OCI platforms.
            architecture: std::env::consts::ARCH.to_owned(),
            cpu,
            memory,
            disk,
        }
    }
}

/// `MemTotal:       24563804 kB` → bytes.
fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_total() {
        let text = "MemTotal:       24563804 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total_bytes(text), Some(24_563_804 * 1024));
        assert_eq!(mem_total_bytes("garbage"), None);
    }

    #[test]
    fn detects_something_plausible_here() {
        let spec = MachineSpec::detect(Path::new("/"));
        assert!(spec.cpu >= 1);
        assert!(spec.memory > 0, "{spec:?}");
        assert!(spec.disk > 0, "{spec:?}");
        assert_eq!(spec.architecture, std::env::consts::ARCH);
    }
}
