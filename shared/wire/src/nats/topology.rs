//! What the services provision on the NATS server: streams, durable consumers, the job-status
//! key-value bucket and the outputs object store. Plain data; `bencher-runtime` turns it into
//! server configurations and checks what the server echoes back.

use std::time::Duration;

use crate::priority::Priority;
use crate::slug::Slug;

use super::subjects::{JobEventKind, ReportEventKind, Subjects};

/// How a stream keeps messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// Until limits (age, bytes) are reached: a replayable history.
    Limits,
    /// Until one consumer acknowledges it: a queue of work.
    WorkQueue,
}

/// Where a stream keeps messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// On disk: survives a server restart.
    File,
    /// In memory: fast, lost on restart.
    Memory,
}

/// A JetStream stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamDef {
    /// Stream name, e.g. `BENCHER_EVENTS`.
    pub name: String,
    /// Subjects the stream captures.
    pub subjects: Vec<String>,
    /// Retention policy.
    pub retention: Retention,
    /// Storage backend.
    pub storage: Storage,
    /// Oldest message kept (zero: no age limit).
    pub max_age: Duration,
    /// Largest total size in bytes (-1: unlimited).
    pub max_bytes: i64,
    /// Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate.
    pub duplicate_window: Duration,
    /// Replicas (1 on one machine, 3 in a cluster).
    pub replicas: usize,
    /// Whether messages may carry their own TTL (`Nats-TTL`, server 2.11+).
    pub allow_msg_ttl: bool,
}

/// A durable pull consumer with explicit acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerDef {
    /// The stream it reads.
    pub stream: String,
    /// Durable name, shared by every replica of the service.
    pub durable: String,
    /// Subjects it receives; never overlapping another consumer's on a work-queue stream.
    pub filter_subjects: Vec<String>,
    /// How long the server waits for an ack (or progress) before redelivering.
    pub ack_wait: Duration,
    /// Deliveries before the message goes to the dead-letter path.
    pub max_deliver: i64,
    /// Unacknowledged messages in flight across all replicas.
    pub max_ack_pending: i64,
}

/// A key-value bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct KvDef {
    /// Bucket name (the stream is `KV_<bucket>`).
    pub bucket: String,
    /// Values kept per key.
    pub history: i64,
    /// Oldest value kept (zero: no age limit).
    pub max_age: Duration,
    /// Storage backend.
    pub storage: Storage,
    /// Replicas.
    pub replicas: usize,
    /// Where every write is republished, so clients can subscribe to plain subjects.
    pub republish: Option<Republish>,
}

/// A bucket's republish rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Republish {
    /// Source subject pattern inside the bucket's stream (`$KV.<bucket>.>`).
    pub source: String,
    /// Destination pattern (`<p>.v1.status.>`).
    pub destination: String,
}

/// An object store bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectStoreDef {
    /// Bucket name (the stream is `OBJ_<bucket>`).
    pub bucket: String,
    /// Oldest object kept (zero: no age limit).
    pub max_age: Duration,
    /// Largest total size in bytes (-1: unlimited).
    pub max_bytes: i64,
    /// Storage backend.
    pub storage: Storage,
    /// Replicas.
    pub replicas: usize,
}

/// The services that read the events stream, each through its own durable consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceConsumer {
    /// Resolves requested jobs.
    Resolver,
    /// Drives the job state machine after resolution.
    Scheduler,
    /// Parses outputs into metrics.
    Processor,
    /// Projects events into the status bucket and webhooks.
    Notifier,
}

impl ServiceConsumer {
    /// Every event-reading service.
    pub const ALL: [ServiceConsumer; 4] = [
        ServiceConsumer::Resolver,
        ServiceConsumer::Scheduler,
        ServiceConsumer::Processor,
        ServiceConsumer::Notifier,
    ];

    /// The durable consumer name.
    pub fn durable(self) -> &'static str {
        match self {
            ServiceConsumer::Resolver => "resolver",
            ServiceConsumer::Scheduler => "scheduler",
            ServiceConsumer::Processor => "processor",
            ServiceConsumer::Notifier => "notifier",
        }
    }
}

/// Every NATS resource of one deployment, derived from its subject prefix and replica count.
#[derive(Clone, Debug)]
pub struct Topology {
    subjects: Subjects,
    replicas: usize,
}

impl Topology {
    /// How long a duplicate `Nats-Msg-Id` is remembered. Longer than any retry loop of a service.
    pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);
    /// How long a job's events are kept: long enough to replay any job a client still watches.
    pub const EVENTS_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
    /// How long live log lines stay replayable for a client that attached late.
    pub const LOGS_MAX_AGE: Duration = Duration::from_secs(3600);
    /// How long outputs (stdout, stderr, files) stay in the object store.
    pub const OUTPUTS_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
    /// How long a dead letter is kept for an operator to inspect.
    pub const DEAD_LETTER_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

    /// The topology for `subjects` with `replicas` copies of every stream (at least 1).
    pub fn new(subjects: Subjects, replicas: usize) -> Self {
        Self {
            subjects,
            replicas: replicas.max(1),
        }
    }

    /// The subject builder this topology uses.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    fn name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.subjects.name_prefix())
    }

    /// `<P>_EVENTS`: every job, report and alert event, the jobs' timelines.
    pub fn events_stream(&self) -> StreamDef {
        StreamDef {
            name: self.name("EVENTS"),
            subjects: vec![self.subjects.events_wildcard()],
            retention: Retention::Limits,
            storage: Storage::File,
            max_age: Self::EVENTS_MAX_AGE,
            max_bytes: -1,
            duplicate_window: Self::DUPLICATE_WINDOW,
            replicas: self.replicas,
            allow_msg_ttl: true,
        }
    }

    /// `<P>_DISPATCH`: run commands for runners, one work item per job attempt.
    pub fn dispatch_stream(&self) -> StreamDef {
        StreamDef {
            name: self.name("DISPATCH"),
            subjects: vec![self.subjects.dispatch_wildcard()],
            retention: Retention::WorkQueue,
            storage: Storage::File,
            max_age: Duration::ZERO,
            max_bytes: -1,
            duplicate_window: Self::DUPLICATE_WINDOW,
            replicas: self.replicas,
            allow_msg_ttl: false,
        }
    }

    /// `<P>_LOGS`: live log lines, kept briefly so a late client sees the beginning.
    pub fn logs_stream(&self) -> StreamDef {
        StreamDef {
            name: self.name("LOGS"),
            subjects: vec![self.subjects.log_wildcard()],
            retention: Retention::Limits,
            storage: Storage::File,
            max_age: Self::LOGS_MAX_AGE,
            max_bytes: 1 << 30,
            duplicate_window: Duration::from_secs(60),
            replicas: self.replicas,
            allow_msg_ttl: false,
        }
    }

    /// `<P>_DEAD_LETTER`: messages a consumer gave up on.
    pub fn dead_letter_stream(&self) -> StreamDef {
        StreamDef {
            name: self.name("DEAD_LETTER"),
            subjects: vec![self.subjects.dead_letter_wildcard()],
            retention: Retention::Limits,
            storage: Storage::File,
            max_age: Self::DEAD_LETTER_MAX_AGE,
            max_bytes: 1 << 30,
            duplicate_window: Self::DUPLICATE_WINDOW,
            replicas: self.replicas,
            allow_msg_ttl: false,
        }
    }

    /// Every stream, in provisioning order.
    pub fn streams(&self) -> Vec<StreamDef> {
        vec![
            self.events_stream(),
            self.dispatch_stream(),
            self.logs_stream(),
            self.dead_letter_stream(),
        ]
    }

    /// `<P>_JOB_STATUS`: the latest status of every job, republished to `status.<job>`.
    pub fn job_status_kv(&self) -> KvDef {
        let bucket = self.name("JOB_STATUS");
        KvDef {
            republish: Some(Republish {
                source: format!("$KV.{bucket}.>"),
                destination: self.subjects.status_wildcard(),
            }),
            bucket,
            history: 1,
            max_age: Self::EVENTS_MAX_AGE,
            storage: Storage::File,
            replicas: self.replicas,
        }
    }

    /// `<P>_OUTPUTS`: stdout, stderr and output files too large for a message.
    pub fn outputs_store(&self) -> ObjectStoreDef {
        ObjectStoreDef {
            bucket: self.name("OUTPUTS"),
            max_age: Self::OUTPUTS_MAX_AGE,
            max_bytes: -1,
            storage: Storage::File,
            replicas: self.replicas,
        }
    }

    /// The durable consumer of one service on the events stream.
    pub fn service_consumer(&self, service: ServiceConsumer) -> ConsumerDef {
        use JobEventKind as J;
        let s = &self.subjects;
        let jobs = |kinds: &[J]| {
            kinds
                .iter()
                .map(|k| s.job_event_filter(*k))
                .collect::<Vec<_>>()
        };
        let (filter_subjects, ack_wait) = match service {
            // Registry round trips can be slow; the handler sends progress while it waits.
            ServiceConsumer::Resolver => (jobs(&[J::Requested]), Duration::from_secs(60)),
            ServiceConsumer::Scheduler => (
                jobs(&[
                    J::Resolved,
                    J::Claimed,
                    J::Running,
                    J::Heartbeat,
                    J::Completed,
                    J::Failed,
                    J::Canceled,
                    J::CancelRequested,
                    J::Processed,
                ]),
                Duration::from_secs(30),
            ),
            ServiceConsumer::Processor => {
                let mut filters = jobs(&[J::Completed]);
                filters.push(s.report_event_filter(ReportEventKind::Submitted));
                // Large reports take a while to store; the handler sends progress.
                (filters, Duration::from_secs(120))
            }
            ServiceConsumer::Notifier => {
                let mut filters = jobs(&[
                    J::Requested,
                    J::Resolved,
                    J::Dispatched,
                    J::Claimed,
                    J::Running,
                    J::Completed,
                    J::Failed,
                    J::Canceled,
                    J::CancelRequested,
                    J::Processed,
                ]);
                filters.push(s.report_event_filter(ReportEventKind::Processed));
                filters.push(s.alert_raised_filter());
                (filters, Duration::from_secs(30))
            }
        };
        ConsumerDef {
            stream: self.events_stream().name,
            durable: service.durable().to_owned(),
            filter_subjects,
            ack_wait,
            max_deliver: 10,
            max_ack_pending: 1024,
        }
    }

    /// The durable consumer shared by every runner of `spec` for one tier. Runners pull the
    /// highest tier first, so each tier has its own.
    pub fn dispatch_consumer(&self, spec: &Slug, tier: Priority) -> ConsumerDef {
        ConsumerDef {
            stream: self.dispatch_stream().name,
            durable: format!("dispatch_{}_{}", spec.as_str().replace('-', "_"), tier),
            filter_subjects: vec![self.subjects.dispatch(spec, tier)],
            // Runners send progress every few seconds while a job runs.
            ack_wait: Duration::from_secs(30),
            max_deliver: 3,
            max_ack_pending: 256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_prefix() {
        let topo = Topology::new(Subjects::new("bench-dev").unwrap(), 1);
        assert_eq!(topo.events_stream().name, "BENCH_DEV_EVENTS");
        let kv = topo.job_status_kv();
        assert_eq!(kv.bucket, "BENCH_DEV_JOB_STATUS");
        let republish = kv.republish.unwrap();
        assert_eq!(republish.source, "$KV.BENCH_DEV_JOB_STATUS.>");
        assert_eq!(republish.destination, "bench-dev.v1.status.>");
    }

    #[test]
    fn dispatch_consumers_do_not_overlap() {
        let topo = Topology::new(Subjects::default(), 3);
        let spec: Slug = "x86-64-4c".parse().unwrap();
        let filters: Vec<_> = Priority::HIGHEST_FIRST
            .iter()
            .map(|t| topo.dispatch_consumer(&spec, *t).filter_subjects)
            .collect();
        assert_eq!(filters.len(), 3);
        assert_ne!(filters[0], filters[1]);
        assert_eq!(
            topo.dispatch_consumer(&spec, Priority::Free).durable,
            "dispatch_x86_64_4c_free"
        );
    }

    #[test]
    fn every_event_has_a_reader() {
        let topo = Topology::new(Subjects::default(), 1);
        let all: Vec<String> = ServiceConsumer::ALL
            .iter()
            .flat_map(|c| topo.service_consumer(*c).filter_subjects)
            .collect();
        for kind in JobEventKind::ALL {
            let filter = topo.subjects().job_event_filter(kind);
            assert!(all.contains(&filter), "nobody reads {kind}");
        }
    }
}
