//! The runner's control paths against real parts: timeouts and cancels kill the container,
//! higher tiers are taken first, a claimed attempt is never run twice, malformed commands fail
//! their job, shutdown cancels and cleans up, and an idle runner claims within milliseconds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use bencher_wire::Priority;
use bencher_wire::msg::{JobControl, JobControlMessage, JobEvent, JobEventMessage};
use bencher_wire::status::{Actor, CancelReason, FailureReason};
use bytes::Bytes;
use common::{World, kinds};

#[tokio::test]
async fn a_job_past_its_timeout_is_killed_and_canceled_for_timeout() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let mut run = world.run_job("echo up; sleep 1000", Priority::Free);
    run.timeout = "2".parse().unwrap();
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    let started = Instant::now();
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(8),
        "{took:?}"
    );
    match &events.last().unwrap().event {
        JobEvent::Canceled {
            reason: CancelReason::Timeout { timeout },
            runner: Some(_),
        } => assert_eq!(timeout.get(), 2),
        other => panic!("{other:?}"),
    }
    assert!(kinds(&events).contains(&"running"));
    world.stop_runner().await.unwrap();
    // The container is gone: no state left in runc's root.
    let state = world.work_dir().join("runc-state");
    assert_eq!(std::fs::read_dir(state).unwrap().count(), 0);
}

#[tokio::test]
async fn a_cancel_on_the_control_subject_stops_the_job() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let run = world.run_job("echo up; sleep 1000", Priority::Free);
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    loop {
        let event = watch.next(Duration::from_secs(30)).await;
        if matches!(event.event, JobEvent::Running { .. }) {
            break;
        }
    }
    let reason = CancelReason::Requested {
        by: Actor::System {
            service: "scheduler".to_owned(),
        },
    };
    let control = JobControlMessage::new(
        run.job,
        JobControl::Cancel {
            reason: reason.clone(),
        },
    );
    let sent = Instant::now();
    world
        .client
        .publish(
            control.subject(world.subjects()),
            Bytes::from(serde_json::to_vec(&control).unwrap()),
        )
        .await
        .unwrap();
    let events = watch.until_terminal(Duration::from_secs(10)).await;
    let took = sent.elapsed();
    assert!(took < Duration::from_secs(3), "cancel took {took:?}");
    match &events.last().unwrap().event {
        JobEvent::Canceled { reason: got, .. } => assert_eq!(*got, reason),
        other => panic!("{other:?}"),
    }
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn a_plus_job_queued_behind_a_free_job_is_taken_first() {
    let mut world = World::start().await;
    // Queue before the runner exists: the runner's consumers read from the stream's start.
    let spec = "default".parse().unwrap();
    bencher_runtime::provision_dispatch(&world.js, &world.topo, &spec, &Priority::HIGHEST_FIRST)
        .await
        .unwrap();
    let unclaimed = world.run_job("echo unclaimed", Priority::Unclaimed);
    let free = world.run_job("echo free", Priority::Free);
    let plus = world.run_job("echo plus", Priority::Plus);
    let mut all = world
        .client
        .subscribe(
            world
                .subjects()
                .job_event_filter(bencher_wire::nats::JobEventKind::Claimed),
        )
        .await
        .unwrap();
    for run in [&unclaimed, &free, &plus] {
        world.dispatch(run).await;
    }
    world.start_runner(world.runner_config()).await;
    let mut order = Vec::new();
    for _ in 0..3 {
        let message =
            tokio::time::timeout(Duration::from_secs(30), futures::StreamExt::next(&mut all))
                .await
                .unwrap()
                .unwrap();
        let event: JobEventMessage = serde_json::from_slice(&message.payload).unwrap();
        order.push(event.job);
    }
    assert_eq!(order, [plus.job, free.job, unclaimed.job]);
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn an_attempt_claimed_by_another_runner_is_not_run_again() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let run = world.run_job("echo must not run", Priority::Free);
    // A runner that died after claiming this attempt.
    let gone = JobEventMessage::new(
        run.job,
        JobEvent::Claimed {
            runner: bencher_wire::ids::RunnerUuid::new(),
            attempt: 1,
        },
    );
    bencher_runtime::publish_deduplicated(
        &world.js,
        &gone.subject(world.subjects()),
        &gone.msg_id(),
        Bytes::from(serde_json::to_vec(&gone).unwrap()),
        None,
    )
    .await
    .unwrap();
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    // Our runner's claim is a duplicate (dropped by the stream, but core subscribers see it);
    // nothing else follows, and the message leaves the queue.
    let first = watch.next(Duration::from_secs(10)).await;
    assert!(matches!(first.event, JobEvent::Claimed { .. }));
    assert!(
        tokio::time::timeout(
            Duration::from_secs(2),
            futures::StreamExt::next(&mut watch.events)
        )
        .await
        .is_err(),
        "the attempt ran"
    );
    let stream = world
        .js
        .get_stream(world.topo.dispatch_stream().name)
        .await
        .unwrap();
    assert_eq!(stream.clone().info().await.unwrap().state.messages, 0);

    // The next attempt (a new dispatch) runs.
    let mut next = run.clone();
    next.attempt = 2;
    world.dispatch(&next).await;
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    assert!(matches!(
        events[0].event,
        JobEvent::Claimed { attempt: 2, .. }
    ));
    assert_eq!(kinds(&events).last(), Some(&"completed"));
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn a_malformed_run_command_fails_its_job_and_leaves_the_queue() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let run = world.run_job("echo x", Priority::Free);
    let mut body = serde_json::to_value(&run).unwrap();
    body["timeout"] = serde_json::json!(0);
    let mut watch = world.watch(run.job).await;
    bencher_runtime::publish_deduplicated(
        &world.js,
        &run.subject(world.subjects()),
        &run.msg_id(),
        Bytes::from(serde_json::to_vec(&body).unwrap()),
        None,
    )
    .await
    .unwrap();
    let event = watch.next(Duration::from_secs(10)).await;
    match event.event {
        JobEvent::Failed {
            reason: FailureReason::Internal { message },
            attempt: Some(1),
            ..
        } => assert!(message.contains("timeout"), "{message}"),
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stream = world
        .js
        .get_stream(world.topo.dispatch_stream().name)
        .await
        .unwrap();
    assert_eq!(stream.clone().info().await.unwrap().state.messages, 0);
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn shutdown_cancels_the_running_job_and_cleans_the_work_dir() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let run = world.run_job("echo up; sleep 1000", Priority::Free);
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    loop {
        if matches!(
            watch.next(Duration::from_secs(30)).await.event,
            JobEvent::Running { .. }
        ) {
            break;
        }
    }
    // The container is up once it printed.
    tokio::time::timeout(
        Duration::from_secs(10),
        futures::StreamExt::next(&mut watch.logs),
    )
    .await
    .unwrap()
    .unwrap();
    world.stop_runner().await.unwrap();
    let events = watch.until_terminal(Duration::from_secs(5)).await;
    match &events.last().unwrap().event {
        JobEvent::Canceled {
            reason:
                CancelReason::Requested {
                    by: Actor::System { service },
                },
            ..
        } => assert_eq!(service, "runner"),
        other => panic!("{other:?}"),
    }
    for dir in ["runc-state", "jobs"] {
        let left = std::fs::read_dir(world.work_dir().join(dir))
            .unwrap()
            .count();
        assert_eq!(left, 0, "{dir} not empty");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_runner_claims_a_dispatched_job_within_milliseconds() {
    let mut world = World::start().await;
    let mut config = world.runner_config();
    // A long idle poll: only the doorbell can explain a fast claim.
    config.idle_poll = Duration::from_secs(30);
    world.start_runner(config).await;
    let mut delays = Vec::new();
    let mut seen = Vec::new();
    let mut to_running = Vec::new();
    for _ in 0..7 {
        let run = world.run_job("true", Priority::Free);
        let mut watch = world.watch(run.job).await;
        let sent_at = chrono::Utc::now();
        let sent = Instant::now();
        world.dispatch(&run).await;
        let first = watch.next(Duration::from_secs(10)).await;
        seen.push(sent.elapsed());
        assert!(matches!(first.event, JobEvent::Claimed { .. }));
        // When the runner made its claim (same clock, same machine).
        delays.push((first.at - sent_at).to_std().unwrap_or_default());
        let events = watch.until_terminal(Duration::from_secs(30)).await;
        let running = events
            .iter()
            .find(|e| matches!(e.event, JobEvent::Running { .. }))
            .unwrap();
        to_running.push((running.at - first.at).to_std().unwrap_or_default());
        // Idle again before the next one.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    delays.sort();
    seen.sort();
    to_running.sort();
    let median = delays[delays.len() / 2];
    println!(
        "publish -> claim made: median {median:?}, all {delays:?}; \
         publish -> claimed event received: median {:?}; \
         claimed -> running (cached image): median {:?}",
        seen[seen.len() / 2],
        to_running[to_running.len() / 2]
    );
    assert!(median < Duration::from_millis(50), "{delays:?}");
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn a_job_longer_than_ack_wait_keeps_its_message_with_progress_acks() {
    let mut world = World::start().await;
    world.start_runner(world.runner_config()).await;
    let spec = "default".parse().unwrap();
    let def = world.topo.dispatch_consumer(&spec, Priority::Free);
    let run_for = def.ack_wait + Duration::from_secs(6);
    let run = world.run_job(&format!("sleep {}", run_for.as_secs()), Priority::Free);
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    loop {
        let event = watch.next(Duration::from_secs(30)).await;
        if matches!(event.event, JobEvent::Running { .. }) {
            break;
        }
    }
    // Past ack_wait, a second runner on the same consumer finds nothing to redeliver.
    tokio::time::sleep(def.ack_wait + Duration::from_secs(2)).await;
    let consumer: async_nats::jetstream::consumer::PullConsumer = world
        .js
        .get_stream(world.topo.dispatch_stream().name)
        .await
        .unwrap()
        .get_consumer(&def.durable)
        .await
        .unwrap();
    let mut fetch = consumer.fetch().max_messages(1).messages().await.unwrap();
    let redelivered = futures::StreamExt::next(&mut fetch).await;
    assert!(
        !matches!(redelivered, Some(Ok(_))),
        "the running job's message was redelivered"
    );
    let events = watch.until_terminal(Duration::from_secs(30)).await;
    assert_eq!(kinds(&events).last(), Some(&"completed"));
    world.stop_runner().await.unwrap();
}

#[tokio::test]
async fn with_the_finish_policy_shutdown_waits_for_the_job() {
    let mut world = World::start().await;
    let mut config = world.runner_config();
    config.on_shutdown = bencher_runner::ShutdownPolicy::Finish;
    world.start_runner(config).await;
    let run = world.run_job("echo up; sleep 1; echo done", Priority::Free);
    let mut watch = world.watch(run.job).await;
    world.dispatch(&run).await;
    tokio::time::timeout(
        Duration::from_secs(10),
        futures::StreamExt::next(&mut watch.logs),
    )
    .await
    .unwrap()
    .unwrap();
    world.stop_runner().await.unwrap();
    let events = watch.until_terminal(Duration::from_secs(5)).await;
    match &events.last().unwrap().event {
        JobEvent::Completed { results, .. } => {
            assert_eq!(
                results[0].stdout,
                bencher_wire::msg::OutputRef::inline("up\ndone\n")
            );
        }
        other => panic!("{other:?}"),
    }
}
