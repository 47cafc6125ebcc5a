//! The scheduler's own state: one `job_schedule` row per resolved job (its run command, its
//! concurrency slot, dispatch, liveness, cancel and outbox columns) and one `job_slot` row per
//! concurrency key (an organization or a source address) counting the slots in use.
//!
//! Both tables are written only by the scheduler; the `job` row keeps the public lifecycle.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, integer, json_binary, json_binary_null, string, string_null, uuid_null,
};

use crate::m20260101_000010_create_job::Job;
use crate::util::{fk, fk_col, id, index, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobSchedule {
    Table,
    Id,
    JobId,
    SlotKey,
    Tier,
    SpecSlug,
    Run,
    TimeoutSecs,
    Queued,
    Attempt,
    Dispatched,
    Published,
    DispatchSeq,
    Finished,
    RunnerUuid,
    LastHeartbeat,
    CancelRequested,
    CancelReason,
    CancelSent,
    Outbox,
    Modified,
}

#[derive(DeriveIden)]
enum JobSlot {
    Table,
    Id,
    SlotKey,
    InUse,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobSchedule::Table)
                    .col(id(JobSchedule::Id))
                    .col(fk_col(JobSchedule::JobId).unique_key())
                    // `<tier>:org:<id>` or `unclaimed:ip:<addr>`; NULL for an unlimited tier.
                    .col(string_null(JobSchedule::SlotKey))
                    .col(integer(JobSchedule::Tier))
                    .col(string(JobSchedule::SpecSlug))
                    // The run command (bencher-wire `RunJob`) without attempt and dispatch time.
                    .col(json_binary(JobSchedule::Run))
                    .col(integer(JobSchedule::TimeoutSecs))
                    // When the job was requested: the queue order within a tier.
                    .col(time(JobSchedule::Queued))
                    .col(integer(JobSchedule::Attempt).default(0))
                    // Set when the job took a slot; the run command is owed from then on.
                    .col(time_null(JobSchedule::Dispatched))
                    // Set once the run command and `job.dispatched` were acknowledged.
                    .col(time_null(JobSchedule::Published))
                    .col(big_integer_null(JobSchedule::DispatchSeq))
                    // Set when the job stopped needing its slot (completed or terminal).
                    .col(time_null(JobSchedule::Finished))
                    .col(uuid_null(JobSchedule::RunnerUuid))
                    .col(time_null(JobSchedule::LastHeartbeat))
                    .col(time_null(JobSchedule::CancelRequested))
                    .col(json_binary_null(JobSchedule::CancelReason))
                    .col(time_null(JobSchedule::CancelSent))
                    // A job event committed with a transition and not yet acknowledged by
                    // JetStream (the scheduler's outbox).
                    .col(json_binary_null(JobSchedule::Outbox))
                    .col(time(JobSchedule::Modified))
                    .foreign_key(&mut fk(
                        JobSchedule::Table,
                        JobSchedule::JobId,
                        Job::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "slot_waiting",
                vec![
                    JobSchedule::SlotKey.into_iden(),
                    JobSchedule::Dispatched.into_iden(),
                    JobSchedule::Finished.into_iden(),
                ],
            ),
            (
                "active",
                vec![
                    JobSchedule::Finished.into_iden(),
                    JobSchedule::Dispatched.into_iden(),
                ],
            ),
        ] {
            manager
                .create_index(index(JobSchedule::Table, name, cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(JobSlot::Table)
                    .col(id(JobSlot::Id))
                    .col(string(JobSlot::SlotKey).unique_key())
                    .col(integer(JobSlot::InUse).default(0))
                    .col(time(JobSlot::Modified))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [JobSlot::Table.into_iden(), JobSchedule::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
