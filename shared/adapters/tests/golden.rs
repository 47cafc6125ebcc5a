//! Golden files: real tool output under `tests/fixtures/<adapter>/<case>.{txt,json}` (each
//! directory's NOTES.md says which tool, version and command produced it), parsed by its
//! adapter and by `magic`, compared with `<case>.expected.json`. Variants for `--average`:
//! `<case>.mean.expected.json` / `<case>.median.expected.json` when honoured,
//! `<case>.mean.error.txt` / `<case>.median.error.txt` (a substring of the message) when refused.
//!
//! `BLESS=1 cargo test -p bencher-adapters --test golden` writes missing expected files; each
//! written file must then be checked by hand against the tool's output.

use std::fs;
use std::path::{Path, PathBuf};

use bencher_adapters::{Adapter, Average, Bmf, Settings, adapt};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn is_input(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    (ext == "txt" || ext == "json") && !name.contains(".expected.") && !name.contains(".error.")
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn assert_same(actual: &Bmf, expected: &Bmf, what: &str) {
    let names = |b: &Bmf| b.0.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(actual), names(expected), "{what}: benchmark names");
    for (name, measures) in &expected.0 {
        let got = &actual.0[name];
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            measures.keys().collect::<Vec<_>>(),
            "{what}: measures of {name:?}"
        );
        for (measure, want) in measures {
            let have = got[measure];
            let same = close(have.value, want.value)
                && match (have.lower_value, want.lower_value) {
                    (Some(a), Some(b)) => close(a, b),
                    (a, b) => a == b,
                }
                && match (have.upper_value, want.upper_value) {
                    (Some(a), Some(b)) => close(a, b),
                    (a, b) => a == b,
                };
            assert!(
                same,
                "{what}: {name:?} {measure}: got {have:?}, expected {want:?}"
            );
        }
    }
}

fn variants() -> [(&'static str, Settings); 3] {
    [
        ("", Settings::default()),
        (
            ".mean",
            Settings {
                average: Some(Average::Mean),
            },
        ),
        (
            ".median",
            Settings {
                average: Some(Average::Median),
            },
        ),
    ]
}

#[test]
fn every_fixture_parses_to_its_golden_file() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut checked = 0;
    let mut dirs: Vec<_> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let adapter_name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let kind: Adapter = adapter_name.parse().unwrap();
        assert!(
            dir.join("NOTES.md").exists(),
            "{adapter_name}: NOTES.md missing"
        );
        let mut inputs: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        inputs.retain(|p| is_input(p));
        inputs.sort();
        assert!(
            bless || inputs.len() >= 2,
            "{adapter_name}: want at least two cases"
        );
        for input_path in inputs {
            let input = fs::read_to_string(&input_path).unwrap();
            let stem = input_path.file_stem().unwrap().to_str().unwrap().to_owned();
            for (suffix, settings) in variants() {
                let expected_path = dir.join(format!("{stem}{suffix}.expected.json"));
                let error_path = dir.join(format!("{stem}{suffix}.error.txt"));
                let what = format!("{adapter_name}/{stem}{suffix}");
                let result = adapt(kind, settings, &input);
                if expected_path.exists() {
                    let expected: Bmf =
                        serde_json::from_str(&fs::read_to_string(&expected_path).unwrap()).unwrap();
                    let actual = result.unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_same(&actual, &expected, &what);
                    let magic = adapt(Adapter::Magic, settings, &input)
                        .unwrap_or_else(|e| panic!("{what} (magic): {e}"));
                    assert_same(&magic, &expected, &format!("{what} (magic)"));
                    checked += 1;
                } else if error_path.exists() {
                    let want = fs::read_to_string(&error_path).unwrap();
                    let err = result
                        .err()
                        .unwrap_or_else(|| panic!("{what}: expected an error"));
                    assert!(err.to_string().contains(want.trim()), "{what}: {err}");
                    checked += 1;
                } else if bless {
                    match result {
                        Ok(bmf) => {
                            let json = serde_json::to_string_pretty(&bmf).unwrap();
                            fs::write(&expected_path, json + "\n").unwrap();
                        }
                        Err(e) => fs::write(&error_path, e.to_string() + "\n").unwrap(),
                    }
                } else {
                    assert!(!suffix.is_empty(), "{what}: no expected file");
                }
            }
        }
    }
    assert!(bless || checked >= 36, "only {checked} golden comparisons");
}
