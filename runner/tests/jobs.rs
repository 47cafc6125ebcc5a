//! Runs real jobs through the runner daemon (real nats-server, docker-registry, umoci image,
//! runc as root): the event sequence, log lines, results inline and in the object store, exit
//! codes and pull failures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bencher_wire::Priority;
use bencher_wire::msg::{IterationResult, JobEvent, LogStream, OutputRef};
use bencher_wire::status::{FailureReason, FailureStage};
use common::{World, kinds};
use tokio::io::AsyncReadExt;

const BMF: &str =
    r#"{"bench::fib":{"latency":{"value":1500.0,"lower_value":1400.0,"upper_value":1600.0}}}"#;

fn completed(events: &[bencher_wire::msg::JobEventMessage]) -> Vec<IterationResult> {
    match &events.last().unwrap().event {
        JobEvent::Completed { results, .. } => results.clone(),
        other => panic!("not completed: {other:?}"),
    }
}

#[tokio::test]
async fn a_bmf_job_is_claimed_runs_heartbeats_streams_logs_and_completes() {
    let mut world = World::start().await;
    let config = world.runner_config();
    let runner_id = config.runner;
    world.start_runner(config).await;
    let mut run = world.run_job(
        &format!("echo starting >&2; sleep 1.3; echo '{BMF}'; sleep 0.2; echo done >&2"),
        Priority::Free,
    );
    run.heartbeat_interval_ms = 300;
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    let kinds = kinds(&events);
    let steps: Vec<_> = kinds.iter().filter(|k| **k != "heartbeat").collect();
    assert_eq!(steps, [&"claimed", &"running", &"completed"], "{kinds:?}");
    let beats: Vec<u64> = events
        .iter()
        .filter_map(|e| match e.event {
            JobEvent::Heartbeat {
                seq,
                attempt,
                runner,
            } => {
                assert_eq!((attempt, runner), (1, runner_id));
                Some(seq)
            }
            _ => None,
        })
        .collect();
    assert!(beats.len() >= 3, "heartbeats {beats:?}");
    assert_eq!(beats, (1..=beats.len() as u64).collect::<Vec<_>>());
    assert!(
        matches!(events[0].event, JobEvent::Claimed { runner, attempt: 1 } if runner == runner_id)
    );

    let results = completed(&events);
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result.exit_code, 0);
    assert_eq!(result.stdout, OutputRef::inline(format!("{BMF}\n")));
    assert_eq!(result.stderr, OutputRef::inline("starting\ndone\n"));
    assert!(
        result.wall_time_ns > 1_300_000_000,
        "{}",
        result.wall_time_ns
    );
    assert!(result.peak_memory_bytes.is_some_and(|m| m > 0));
    assert!(!result.truncated);

    let logs = watch.logs_so_far().await;
    // Lines of one stream keep their order; across streams, order is what the pipes gave
    // (the script pauses between streams).
    let lines: Vec<(LogStream, &str)> = logs.iter().map(|l| (l.stream, l.line.as_str())).collect();
    assert_eq!(
        lines,
        [
            (LogStream::Stderr, "starting"),
            (LogStream::Stdout, BMF),
            (LogStream::Stderr, "done"),
        ]
    );
    assert_eq!(logs.iter().map(|l| l.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(logs.iter().all(|l| l.job == run.job && l.attempt == 1));

    // Acked: the dispatch stream is empty; and the work dir holds no bundle.
    let info = world
        .js
        .get_stream(world.topo.dispatch_stream().name)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(info.state.messages, 0);
    world.stop_runner().await.unwrap();
    let jobs = world.work_dir().join("jobs");
    assert_eq!(std::fs::read_dir(jobs).unwrap().count(), 0);
}

#[tokio::test]
async fn a_non_zero_exit_completes_with_its_code_and_stops_iterating() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let mut run = world.run_job("echo partial; exit 3", Priority::Free);
    run.config.iter = "3".parse().unwrap();
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    let results = completed(&events);
    assert_eq!(results.len(), 1, "later iterations skipped");
    assert_eq!(results[0].exit_code, 3);
    assert_eq!(results[0].stdout, OutputRef::inline("partial\n"));
    let running: Vec<_> = events
        .iter()
        .filter_map(|e| match e.event {
            JobEvent::Running { iteration, .. } => Some(iteration),
            _ => None,
        })
        .collect();
    assert_eq!(running, [Some(1)]);

    // With allow_failure every iteration runs.
    let mut run = world.run_job("echo again; exit 3", Priority::Free);
    run.config.iter = "2".parse().unwrap();
    run.config.allow_failure = true;
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    let results = completed(&events);
    assert_eq!(
        results.iter().map(|r| r.exit_code).collect::<Vec<_>>(),
        [3, 3]
    );
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn stdout_over_two_mib_goes_to_the_object_store() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    // 1001-byte lines, 2.2 MB in all (the last line cut short by head).
    let script = "l=0123456789; l=$l$l$l$l$l$l$l$l$l$l; l=$l$l$l$l$l$l$l$l$l$l; \
                  /bin/busybox yes $l | head -c 2200000";
    let run = world.run_job(script, Priority::Free);
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(60)).await;
    let results = completed(&events);
    let line = format!("{}\n", "0123456789".repeat(100));
    let expected: Vec<u8> = line.repeat(2200).into_bytes()[..2_200_000].to_vec();
    let OutputRef::Object {
        bucket,
        name,
        size,
        digest,
    } = &results[0].stdout
    else {
        panic!("stdout inline: {:?}", results[0].stdout.size());
    };
    assert_eq!(*bucket, world.topo.outputs_store().bucket);
    assert_eq!(*size, 2_200_000);
    assert_eq!(
        digest.as_str(),
        bencher_oci::Digest::of(&expected).to_string()
    );
    let store = world.js.get_object_store(bucket).await.unwrap();
    let mut object = store.get(name).await.unwrap();
    let mut content = Vec::new();
    object.read_to_end(&mut content).await.unwrap();
    assert!(content == expected, "object content differs");
    // Every line was streamed too, in order.
    let logs = world_logs(&mut watch).await;
    assert_eq!(logs.len(), 2_200_000usize.div_ceil(line.len()), "log lines");
    assert_eq!(logs.last().unwrap().line.len(), 2_200_000 % line.len());
    assert!(logs.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    world.stop_runner().await.unwrap();
}

async fn world_logs(watch: &mut common::Watch) -> Vec<bencher_wire::msg::LogLine> {
    watch.logs_so_far().await
}

#[tokio::test]
async fn output_over_the_cap_fails_the_job_with_output_too_large() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let mut run = world.run_job(
        "/bin/busybox yes 0123456789 | head -c 300000",
        Priority::Free,
    );
    run.output_limits.max_bytes = 100_000;
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    match &events.last().unwrap().event {
        JobEvent::Failed {
            stage: FailureStage::Run,
            reason: FailureReason::OutputTooLarge { limit_bytes },
            results,
            ..
        } => {
            assert_eq!(*limit_bytes, 100_000);
            assert!(results[0].truncated);
            assert_eq!(results[0].stdout.size(), 100_000);
        }
        other => panic!("{other:?}"),
    }
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn pulling_a_digest_that_does_not_exist_fails_with_a_reason() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let mut run = world.run_job("echo never", Priority::Free);
    let missing = format!("sha256:{}", "ab".repeat(32));
    run.image = bencher_wire::image::PinnedImage::parse(&format!(
        "{}/team/bench@{missing}",
        world.registry.host()
    ))
    .unwrap();
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    assert_eq!(kinds(&events)[0], "claimed");
    match &events.last().unwrap().event {
        JobEvent::Failed {
            stage: FailureStage::Pull,
            reason: reason @ FailureReason::ImageNotFound { image },
            attempt: Some(1),
            ..
        } => {
            assert_eq!(image.to_string(), run.image.to_string());
            assert!(reason.message().contains("not found"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // An unreachable registry is a runner failure naming the registry.
    let mut run = world.run_job("echo never", Priority::Free);
    run.registry.registry = format!("127.0.0.1:{}", bencher_testkit::nats::free_port().unwrap());
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(60)).await;
    match &events.last().unwrap().event {
        JobEvent::Failed {
            stage: FailureStage::Pull,
            reason: FailureReason::Runner { message },
            ..
        } => assert!(message.contains("unreachable"), "{message}"),
        other => panic!("{other:?}"),
    }
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn iterations_each_report_their_output_files_from_the_work_dir() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let mut run = world.run_job(
        &format!("echo '{BMF}' > /work/results.json; mkdir -p out; echo hi > /work/out/x"),
        Priority::Free,
    );
    run.config.iter = "2".parse().unwrap();
    run.config.file_paths =
        Some(serde_json::from_value(serde_json::json!(["/work/results.json", "out/x"])).unwrap());
    // The image's working dir is /tmp; relative paths are read from /work.
    run.config.cmd = Some(
        serde_json::from_value(serde_json::json!([format!(
            "cd /work && echo '{BMF}' > results.json && mkdir -p out && echo hi > out/x"
        )]))
        .unwrap(),
    );
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    let iterations: Vec<_> = events
        .iter()
        .filter_map(|e| match e.event {
            JobEvent::Running { iteration, .. } => Some(iteration),
            _ => None,
        })
        .collect();
    assert_eq!(iterations, [Some(1), Some(2)]);
    let results = completed(&events);
    assert_eq!(results.len(), 2);
    for result in &results {
        let files: Vec<_> = result
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.size, f.content.clone()))
            .collect();
        assert_eq!(
            files,
            [
                (
                    "/work/results.json",
                    BMF.len() as u64 + 1,
                    OutputRef::inline(format!("{BMF}\n"))
                ),
                ("out/x", 3, OutputRef::inline("hi\n")),
            ]
        );
    }

    // A file the benchmark did not write fails the job, naming it.
    let mut run = world.run_job("true", Priority::Free);
    run.config.file_paths =
        Some(serde_json::from_value(serde_json::json!(["/work/none.json"])).unwrap());
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    match &events.last().unwrap().event {
        JobEvent::Failed {
            reason: FailureReason::Runner { message },
            ..
        } => assert!(message.contains("/work/none.json not found"), "{message}"),
        other => panic!("{other:?}"),
    }
    world.stop_runner().await.unwrap();
}
