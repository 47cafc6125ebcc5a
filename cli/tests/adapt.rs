//! `bencher adapt` through the real binary: a harness output file gives the same BMF as the
//! adapters' golden file; several files fold; output nothing recognises exits 1 with the
//! parser's message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/adapters/tests/fixtures"
);

fn bencher(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
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
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
