//! The scheduler's tables (migration `m20260203_000001_create_job_schedule`).

/// `job_schedule`: the scheduler's state of one resolved job.
pub mod job_schedule {
    use sea_orm::entity::prelude::*;

    /// A row of `job_schedule`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_schedule")]
    pub struct Model {
        /// Integer key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The job (one row each).
        #[sea_orm(unique)]
        pub job_id: i64,
        /// The concurrency key (`<tier>:org:<id>`, `unclaimed:ip:<addr>`); `None`: unlimited.
        pub slot_key: Option<String>,
        /// Bencher's numeric tier (queue order: highest first).
        pub tier: i32,
        /// The spec slug of the dispatch subject.
        pub spec_slug: String,
        /// The run command (bencher-wire `RunJob`) as resolved, before attempt and dispatch
        /// time are filled in.
        pub run: Json,
        /// The job's timeout in seconds, after the tier's cap.
        pub timeout_secs: i32,
        /// When the job was requested (queue order within a tier).
        pub queued: DateTimeUtc,
        /// Dispatch attempts so far.
        pub attempt: i32,
        /// When the job took its slot for the current attempt.
        pub dispatched: Option<DateTimeUtc>,
        /// When the run command and `job.dispatched` of the current attempt were acknowledged.
        pub published: Option<DateTimeUtc>,
        /// The run command's sequence in the dispatch stream.
        pub dispatch_seq: Option<i64>,
        /// When the job stopped needing a slot (completed, failed, canceled, processed).
        pub finished: Option<DateTimeUtc>,
        /// The runner holding the job.
        pub runner_uuid: Option<Uuid>,
        /// The latest heartbeat (or claim/running event) seen for the current attempt.
        pub last_heartbeat: Option<DateTimeUtc>,
        /// When a cancel was asked for (by a user or the timeout).
        pub cancel_requested: Option<DateTimeUtc>,
        /// Why (bencher-wire `CancelReason`).
        pub cancel_reason: Option<Json>,
        /// When the scheduler first told the runner to stop.
        pub cancel_sent: Option<DateTimeUtc>,
        /// A job event committed with a transition, not yet acknowledged by JetStream.
        pub outbox: Option<Json>,
        /// Last change (UTC).
        pub modified: DateTimeUtc,
    }

    /// No declared relations: joins are written out in the queries.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `job_slot`: how many jobs of one concurrency key hold a slot.
pub mod job_slot {
    use sea_orm::entity::prelude::*;

    /// A row of `job_slot`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_slot")]
    pub struct Model {
        /// Integer key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The concurrency key.
        #[sea_orm(unique)]
        pub slot_key: String,
        /// Jobs holding a slot of this key.
        pub in_use: i32,
        /// Last change (UTC).
        pub modified: DateTimeUtc,
    }

    /// No declared relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
