//! Proves `bencherd up` on embedded defaults: it prints its ready line, answers `/healthz` with
//! every service and a connected NATS, stops cleanly on SIGINT/SIGTERM, and leaves no
//! nats-server behind — also when it is killed outright.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_up(data_dir: &Path, http_port: u16, nats_port: u16) -> (Child, mpsc::Receiver<String>) {
    let nats_server = bencher_testkit::nats::nats_server_binary().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bencherd"))
        .args(["up", "--listen", &format!("127.0.0.1:{http_port}")])
        .args(["--nats-port", &nats_port.to_string(), "--no-runner"])
        .arg("--data-dir")
        .arg(data_dir)
        .env("BENCHER_NATS_SERVER", nats_server)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    (child, lines)
}

fn wait_ready(lines: &mpsc::Receiver<String>, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with("bencherd ready on http://") => return line,
            Ok(_) => continue,
            Err(e) => panic!("no ready line within {within:?}: {e}"),
        }
    }
}

fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// nats-server processes whose command line mentions `store`.
fn nats_servers_using(store: &Path) -> Vec<String> {
    let output = Command::new("pgrep")
        .args(["-af", "nats-server"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.contains(&*store.to_string_lossy()))
        .map(str::to_owned)
        .collect()
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "bencherd did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn up_is_ready_healthy_and_stops_without_leftovers() {
    let data = tempfile::tempdir().unwrap();
    let (http_port, nats_port) = (free_port(), free_port());
    let started = Instant::now();
    let (mut child, lines) = start_up(data.path(), http_port, nats_port);
    let ready = wait_ready(&lines, Duration::from_secs(30));
    println!("{ready} after {:?}", started.elapsed());
    assert!(
        ready.ends_with(&format!("127.0.0.1:{http_port}")),
        "{ready}"
    );

    let health = http_get(http_port, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    for service in ["intake", "resolver", "scheduler", "processor", "notifier"] {
        assert!(health.contains(service), "{service} missing: {health}");
    }
    assert!(health.contains("\"nats\":\"connected\""), "{health}");
    assert!(http_get(http_port, "/metrics").starts_with("HTTP/1.1 200"));
    assert_eq!(
        nats_servers_using(data.path()).len(),
        1,
        "one embedded server"
    );
    assert!(
        data.path().join("bencher.db").exists(),
        "SQLite under the data dir"
    );

    signal(&child, "-INT");
    let status = wait_exit(&mut child, Duration::from_secs(20));
    assert!(status.success(), "clean exit on SIGINT: {status}");
    assert!(
        nats_servers_using(data.path()).is_empty(),
        "nats-server left behind: {:?}",
        nats_servers_using(data.path())
    );

    // Same data dir again: the embedded server recovers its store, provisioning is a no-op.
    let (mut child, lines) = start_up(data.path(), http_port, nats_port);
    wait_ready(&lines, Duration::from_secs(30));
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(20)).success());
    assert!(nats_servers_using(data.path()).is_empty());
}

#[test]
fn a_killed_bencherd_leaves_no_nats_server() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, lines) = start_up(data.path(), free_port(), free_port());
    wait_ready(&lines, Duration::from_secs(30));
    assert_eq!(nats_servers_using(data.path()).len(), 1);
    signal(&child, "-KILL");
    wait_exit(&mut child, Duration::from_secs(5));
    // The child notices its parent died (it was told to at spawn) and exits on its own.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !nats_servers_using(data.path()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "nats-server survived its parent: {:?}",
            nats_servers_using(data.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
