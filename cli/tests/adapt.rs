//! `bencher adapt` through the real binary: a harness output file gives the same BMF as the
//! adapters' golden file; `--average` reaches the parser (honoured, or refused with exit 1);
//! several files fold, or print one document each; output nothing recognises, in any of the
//! files, exits 1 with the parser's message and prints nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/adapters/tests/fixtures"
);

fn bencher(args: &[&str], stdin: impl AsRef<[u8]>) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bencher"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_ref())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `a` and `b` are the same JSON, numbers within 1e-12 relative (the golden files' tolerance:
/// the last of 15 significant digits may differ from a file written by hand-checked blessing).
fn assert_close(a: &Value, b: &Value, what: &str) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "{what}"
            );
            for (key, value) in a {
                assert_close(value, &b[key], &format!("{what}/{key}"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                "{what}: {x} != {y}"
            );
        }
        _ => assert_eq!(a, b, "{what}"),
    }
}

fn golden(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{path}")).unwrap()).unwrap()
}

#[test]
fn a_file_gives_the_golden_bmf_and_stdin_works_too() {
    let input = format!("{FIXTURES}/go_bench/five.txt");
    let (code, stdout, stderr) = bencher(&["adapt", "--adapter", "go_bench", "--file", &input], "");
    assert_eq!(code, Some(0), "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed, golden("go_bench/five.expected.json"));
    let text = std::fs::read_to_string(&input).unwrap();
    let (code, stdout, _) = bencher(&["adapt"], &text);
    assert_eq!(code, Some(0));
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), printed);
}

#[test]
fn several_files_fold_into_one() {
    let input = format!("{FIXTURES}/go_bench/five.txt");
    let (code, stdout, stderr) = bencher(
        &[
            "adapt",
            "--adapter",
            "go_bench",
            "--fold",
            "max",
            "--file",
            &input,
            "--file",
            &input,
        ],
        "",
    );
    assert_eq!(code, Some(0), "{stderr}");
    // The max of two equal documents is the document.
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed, golden("go_bench/five.expected.json"));
    let (_, stdout, _) = bencher(
        &[
            "adapt",
            "--adapter",
            "go_bench",
            "--file",
            &input,
            "--file",
            &input,
        ],
        "",
    );
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed.as_array().map(Vec::len), Some(2));
}

#[test]
fn unparsable_output_exits_1_with_the_reason() {
    let (code, stdout, stderr) = bencher(&["adapt", "--adapter", "go_bench"], "hello\n");
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("no go_bench benchmark results found"),
        "{stderr}"
    );
    let (code, _, stderr) = bencher(&["adapt", "--adapter", "json"], "{not json");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not json JSON"), "{stderr}");
}

#[test]
fn average_reaches_the_parser_and_a_refusal_exits_1() {
    let pytest = format!("{FIXTURES}/python_pytest/five.json");
    for average in ["mean", "median"] {
        let args = ["adapt", "--adapter", "python_pytest", "--average", average];
        let (code, stdout, stderr) = bencher(&[&args[..], &["--file", &pytest]].concat(), "");
        assert_eq!(code, Some(0), "{average}: {stderr}");
        let printed: Value = serde_json::from_str(&stdout).unwrap();
        let expected = golden(&format!("python_pytest/five.{average}.expected.json"));
        assert_close(&printed, &expected, average);
    }
    let mean: Value = golden("python_pytest/five.mean.expected.json");
    assert_ne!(mean, golden("python_pytest/five.median.expected.json"));

    // go test -bench reports means only: the explicit adapter refuses, magic finds nothing else.
    let go = std::fs::read_to_string(format!("{FIXTURES}/go_bench/five.txt")).unwrap();
    let (code, stdout, stderr) = bencher(
        &["adapt", "--adapter", "go_bench", "--average", "median"],
        &go,
    );
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("the go_bench adapter cannot report the median"),
        "{stderr}"
    );
    let (code, stdout, stderr) = bencher(&["adapt", "--average", "median"], &go);
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no adapter recognised the output"),
        "{stderr}"
    );
    let (code, _, stderr) = bencher(&["adapt", "--average", "mean"], &go);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn one_unparsable_file_among_several_exits_1_naming_it() {
    let dir = std::env::temp_dir().join(format!("bencher-adapt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let noise = dir.join("noise.txt");
    std::fs::write(&noise, "PASS\nok  example 0.2s\n").unwrap();
    let good = format!("{FIXTURES}/go_bench/five.txt");
    let noise_path = noise.to_str().unwrap();
    for fold in [&[][..], &["--fold", "mean"][..]] {
        let args = [
            "adapt",
            "--adapter",
            "go_bench",
            "--file",
            &good,
            "--file",
            noise_path,
        ];
        let (code, stdout, stderr) = bencher(&[&args[..], fold].concat(), "");
        assert_eq!(code, Some(1), "{fold:?}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(&format!("parsing {noise_path}"))
                && stderr.contains("no go_bench benchmark results found"),
            "{stderr}"
        );
    }
    // A missing file is named too.
    let missing = dir.join("missing.txt");
    let (code, _, stderr) = bencher(
        &[
            "adapt",
            "--file",
            &good,
            "--file",
            missing.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("missing.txt"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_utf8_on_stdin_is_read_like_a_file() {
    let mut input = b"\xff\xfe garbage from the harness\n".to_vec();
    input.extend(std::fs::read(format!("{FIXTURES}/go_bench/five.txt")).unwrap());
    let (code, stdout, stderr) = bencher(&["adapt", "--adapter", "go_bench"], &input);
    assert_eq!(code, Some(0), "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed, golden("go_bench/five.expected.json"));
}
