use std::sync::Mutex;
use std::time::Instant;

use bencher_testkit::nats::NatsServer;
use bencher_wire::nats::Topology;

use super::*;
use crate::metrics::Outcome;
use crate::provision::{ensure_consumer, provision};

/// A handler that answers by call number, optionally sleeping first, and records what it saw.
#[derive(Clone)]
struct Script {
    answer: fn(usize) -> Result<(), HandlerError>,
    sleep: Duration,
    calls: Arc<Mutex<Vec<Instant>>>,
    finished: Arc<Mutex<usize>>,
    poisoned: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn new(answer: fn(usize) -> Result<(), HandlerError>) -> Self {
        Self {
            answer,
            sleep: Duration::ZERO,
            calls: Arc::default(),
            finished: Arc::default(),
            poisoned: Arc::default(),
        }
    }
    fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

impl Handler for Script {
    async fn handle(&self, _msg: &jetstream::Message) -> Result<(), HandlerError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push(Instant::now());
            calls.len()
        };
        tokio::time::sleep(self.sleep).await;
        *self.finished.lock().unwrap() += 1;
        (self.answer)(n)
    }

    async fn on_poison(&self, _msg: &jetstream::Message, reason: &str) {
        self.poisoned.lock().unwrap().push(reason.to_owned());
    }
}

struct Fixture {
    _server: NatsServer,
    js: jetstream::Context,
    topo: Topology,
    def: ConsumerDef,
    metrics: Metrics,
    shutdown: Shutdown,
}

impl Fixture {
    async fn new(name: &str, ack_wait: Duration, max_deliver: i64) -> Self {
        let server = NatsServer::start().await.unwrap();
        let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
        let topo = Topology::new(Subjects::default(), 1);
        provision(&js, &topo).await.unwrap();
        let def = ConsumerDef {
            stream: topo.events_stream().name,
            durable: name.to_owned(),
            filter_subjects: vec![format!("bencher.v1.evt.job.{name}.*")],
            ack_wait,
            max_deliver,
            max_ack_pending: 100,
        };
        ensure_consumer(&js, &def).await.unwrap();
        Self {
            _server: server,
            js,
            topo,
            def,
            metrics: Metrics::new(),
            shutdown: Shutdown::new(),
        }
    }

    fn run(&self, handler: Script) -> tokio::task::JoinHandle<Result<(), ConsumerError>> {
        let js = self.js.clone();
        let def = self.def.clone();
        let mut options = ConsumerOptions::new(self.topo.subjects().clone());
        options.metrics = self.metrics.clone();
        options.pull_expires = Duration::from_millis(500);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move { run_consumer(&js, &def, handler, options, shutdown).await })
    }

    async fn publish(&self, event: &str) {
        let subject = format!("bencher.v1.evt.job.{}.{event}", self.def.durable);
        self.js
            .publish(subject, event.to_owned().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    async fn settled(&self) -> (usize, u64) {
        let stream = self.js.get_stream(&self.def.stream).await.unwrap();
        let info = stream.consumer_info(&self.def.durable).await.unwrap();
        (info.num_ack_pending, info.num_pending)
    }

    fn count(&self, outcome: Outcome) -> u64 {
        self.metrics.consumer().get(&self.def.durable, outcome)
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn success_is_acked_and_not_redelivered() {
    let fx = Fixture::new("ok", Duration::from_secs(1), 5).await;
    let handler = Script::new(|_| Ok(()));
    let run = fx.run(handler.clone());
    fx.publish("requested").await;
    eventually("ack", || fx.count(Outcome::Acked) == 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(handler.calls(), 1, "redelivered after ack");
    assert_eq!(fx.settled().await, (0, 0));
    fx.shutdown.trigger();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn transient_is_redelivered_after_the_delay() {
    let fx = Fixture::new("nak", Duration::from_secs(30), 5).await;
    let handler = Script::new(|n| match n {
        1 => Err(HandlerError::Transient {
            delay: Some(Duration::from_millis(700)),
            reason: "db busy".into(),
        }),
        _ => Ok(()),
    });
    let run = fx.run(handler.clone());
    fx.publish("requested").await;
    eventually("redelivery", || fx.count(Outcome::Acked) == 1).await;
    let calls = handler.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    let gap = calls[1] - calls[0];
    assert!(
        gap >= Duration::from_millis(650),
        "redelivered after {gap:?}"
    );
    assert!(
        gap < Duration::from_secs(10),
        "redelivered after {gap:?}, not the nak delay"
    );
    assert_eq!(fx.count(Outcome::Naked), 1);
    fx.shutdown.trigger();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn poison_is_dead_lettered_with_headers_and_terminated() {
    let fx = Fixture::new("bad", Duration::from_secs(1), 5).await;
    let handler = Script::new(|_| Err(HandlerError::poison("malformed payload")));
    let run = fx.run(handler.clone());
    fx.publish("requested").await;
    eventually("term", || fx.count(Outcome::Termed) == 1).await;
    assert_eq!(*handler.poisoned.lock().unwrap(), ["malformed payload"]);

    let dead = fx
        .js
        .get_stream(fx.topo.dead_letter_stream().name)
        .await
        .unwrap();
    let msg = dead
        .get_last_raw_message_by_subject("bencher.v1.dead.bad")
        .await
        .unwrap();
    assert_eq!(&msg.payload[..], b"requested");
    let h = msg.headers;
    let get = |name: &str| h.get(name).map(|v| v.as_str().to_owned());
    assert_eq!(
        get(DEAD_SUBJECT_HEADER).as_deref(),
        Some("bencher.v1.evt.job.bad.requested")
    );
    assert_eq!(get(DEAD_SEQUENCE_HEADER).as_deref(), Some("1"));
    assert_eq!(get(DEAD_DELIVERIES_HEADER).as_deref(), Some("1"));
    assert_eq!(
        get(DEAD_REASON_HEADER).as_deref(),
        Some("malformed payload")
    );
    assert_eq!(get(DEAD_CONSUMER_HEADER).as_deref(), Some("bad"));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(handler.calls(), 1, "a terminated message came back");
    assert_eq!(fx.settled().await, (0, 0));
    fx.shutdown.trigger();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn transient_on_the_last_delivery_is_dead_lettered() {
    let fx = Fixture::new("flaky", Duration::from_secs(30), 3).await;
    let handler = Script::new(|_| {
        Err(HandlerError::Transient {
            delay: Some(Duration::from_millis(50)),
            reason: "still down".into(),
        })
    });
    let run = fx.run(handler.clone());
    fx.publish("requested").await;
    eventually("term", || fx.count(Outcome::Termed) == 1).await;
    assert_eq!(handler.calls(), 3);
    assert_eq!(fx.count(Outcome::Naked), 2);
    let reasons = handler.poisoned.lock().unwrap().clone();
    assert_eq!(reasons, ["gave up after 3 deliveries: still down"]);
    let dead = fx
        .js
        .get_stream(fx.topo.dead_letter_stream().name)
        .await
        .unwrap();
    let msg = dead
        .get_last_raw_message_by_subject("bencher.v1.dead.flaky")
        .await
        .unwrap();
    assert_eq!(
        msg.headers.get(DEAD_DELIVERIES_HEADER).map(|v| v.as_str()),
        Some("3")
    );
    fx.shutdown.trigger();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn long_handlers_keep_their_message_with_progress() {
    let fx = Fixture::new("slow", Duration::from_secs(1), 5).await;
    let mut handler = Script::new(|_| Ok(()));
    handler.sleep = Duration::from_millis(2500);
    let run = fx.run(handler.clone());
    fx.publish("requested").await;
    eventually("ack", || fx.count(Outcome::Acked) == 1).await;
    assert_eq!(handler.calls(), 1, "redelivered while the handler ran");
    fx.shutdown.trigger();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_finishes_in_flight_handlers() {
    let fx = Fixture::new("drain", Duration::from_secs(30), 5).await;
    let mut handler = Script::new(|_| Ok(()));
    handler.sleep = Duration::from_millis(800);
    let run = fx.run(handler.clone());
    fx.publish("requested").await;
    fx.publish("resolved").await;
    eventually("both started", || handler.calls() == 2).await;
    fx.shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(*handler.finished.lock().unwrap(), 2);
    assert_eq!(fx.count(Outcome::Acked), 2);
    assert_eq!(fx.settled().await, (0, 0));
}

#[test]
fn backoff_grows_and_caps() {
    assert_eq!(backoff(1), Duration::from_secs(1));
    assert_eq!(backoff(2), Duration::from_secs(2));
    assert_eq!(backoff(4), Duration::from_secs(8));
    assert_eq!(backoff(100), Duration::from_secs(60));
    assert_eq!(backoff(0), Duration::from_secs(1));
}
