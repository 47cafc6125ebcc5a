//! The consumer handler: `job.completed` (image runs) and `report.submitted` (local runs), then
//! the events: `alert.raised` per alert, `report.processed`, and `job.processed` or `job.failed`.

use async_nats::jetstream::{self, Message};
use bencher_db::DatabaseConnection;
use bencher_db::queries::job::job_by_uuid;
use bencher_db::queries::processor::report::report_by_id;
use bencher_runtime::{Handler, HandlerError, publish_deduplicated};
use bencher_wire::ids::{JobUuid, ReportUuid, RunnerUuid};
use bencher_wire::msg::{
    AlertRaised, IterationResult, JobConfig, JobEvent, JobEventMessage, ReportEvent,
    ReportEventMessage, SchemaV1,
};
use bencher_wire::nats::Subjects;
use bencher_wire::status::{FailureReason, FailureStage};
use bytes::Bytes;
use chrono::Utc;
use serde::Serialize;
use tracing::{info, instrument, warn};

use crate::error::ProcessorError;
use crate::outputs::fetch_text;
use crate::parse::{IterationOutput, parse_outputs};
use crate::process::{
    Outcome, ReportWork, already_processed, parse_settings, process_local, store_report,
};

/// Processes results. Stateless between messages: replicas share one durable consumer.
pub(crate) struct Processor {
    pub(crate) db: DatabaseConnection,
    pub(crate) js: jetstream::Context,
    pub(crate) subjects: Subjects,
}

/// The job an outcome belongs to, for its `processed` / `failed` event.
struct JobRun {
    job: JobUuid,
    runner: RunnerUuid,
    attempt: u32,
    results: Vec<IterationResult>,
}

/// The raw output of an image run, kept on the report (`results_ref`).
#[derive(Serialize)]
struct StoredJobResults<'a> {
    kind: &'static str,
    iterations: &'a [IterationResult],
}

impl Handler for Processor {
    #[instrument(skip_all, fields(subject = %msg.subject))]
    async fn handle(&self, msg: &Message) -> Result<(), HandlerError> {
        let value: serde_json::Value = serde_json::from_slice(&msg.payload)
            .map_err(|e| HandlerError::poison(format!("malformed event: {e}")))?;
        let result = if value.get("job").is_some() {
            let event: JobEventMessage = serde_json::from_value(value)
                .map_err(|e| HandlerError::poison(format!("malformed job event: {e}")))?;
            self.job_completed(event).await
        } else {
            let event: ReportEventMessage = serde_json::from_value(value)
                .map_err(|e| HandlerError::poison(format!("malformed report event: {e}")))?;
            self.report_submitted(event).await
        };
        result.map_err(HandlerError::from)
    }

    async fn on_poison(&self, msg: &Message, reason: &str) {
        let Ok(event) = serde_json::from_slice::<JobEventMessage>(&msg.payload) else {
            warn!(subject = %msg.subject, reason, "poison message is no job event; dead-lettered");
            return;
        };
        let (runner, attempt, results) = match event.event {
            JobEvent::Completed {
                runner,
                attempt,
                results,
            } => (Some(runner), Some(attempt), results),
            _ => (None, None, Vec::new()),
        };
        let failed = JobEvent::Failed {
            stage: FailureStage::Processing,
            reason: FailureReason::Internal {
                message: format!("the result-processor could not process the results: {reason}"),
            },
            runner,
            attempt,
            results,
        };
        if let Err(e) = self
            .publish_job(JobEventMessage::new(event.job, failed))
            .await
        {
            warn!(job = %event.job, error = %e, "failed event not published");
        }
    }
}

impl Processor {
    async fn report_submitted(&self, event: ReportEventMessage) -> Result<(), ProcessorError> {
        let ReportEvent::Submitted { results, .. } = &event.event else {
            return Err(ProcessorError::malformed(format!(
                "expected a submitted report event, got {}",
                event.kind()
            )));
        };
        let outcome = process_local(&self.db, event.report, results).await?;
        self.publish(event.report, &outcome, None).await
    }

    async fn job_completed(&self, event: JobEventMessage) -> Result<(), ProcessorError> {
        let JobEvent::Completed {
            runner,
            attempt,
            results,
        } = event.event
        else {
            return Err(ProcessorError::malformed(format!(
                "expected a completed job event, got {}",
                event.event.kind()
            )));
        };
        let run = JobRun {
            job: event.job,
            runner,
            attempt,
            results,
        };
        let job = job_by_uuid(&self.db, run.job)
            .await?
            .ok_or_else(|| ProcessorError::malformed(format!("job {} does not exist", run.job)))?;
        let report = report_by_id(&self.db, job.report_id)
            .await?
            .ok_or_else(|| {
                ProcessorError::malformed(format!("report of job {} missing", run.job))
            })?;
        let report_uuid = ReportUuid::from(report.uuid);
        if let Some(outcome) = already_processed(&self.db, &report).await? {
            return self.publish(report_uuid, &outcome, Some(&run)).await;
        }
        let config: JobConfig = serde_json::from_value(job.config.clone()).unwrap_or_else(|e| {
            warn!(job = %run.job, error = %e, "unreadable job config, using defaults");
            JobConfig::default()
        });
        let parsed = match run
            .results
            .iter()
            .find(|r| r.exit_code != 0)
            .filter(|_| !config.allow_failure)
        {
            Some(failed) => Err(FailureReason::ExitCode {
                exit_code: failed.exit_code,
            }),
            None => match self.outputs(&run.results, &config, &job.image).await? {
                Ok(outputs) => parse_outputs(parse_settings(&report)?, &outputs)
                    .map_err(|message| FailureReason::Parse { message }),
                Err(reason) => Err(reason),
            },
        };
        let results_ref = serde_json::to_value(StoredJobResults {
            kind: "job",
            iterations: &run.results,
        })?;
        let work = ReportWork {
            report,
            end_time: Some(event.at),
            results_ref: Some(results_ref),
            parsed,
        };
        let outcome = store_report(&self.db, work).await?;
        self.publish(report_uuid, &outcome, Some(&run)).await
    }

    /// Each iteration's stdout and job measures; `Ok(Err)` when an output can never be read.
    async fn outputs(
        &self,
        results: &[IterationResult],
        config: &JobConfig,
        image: &str,
    ) -> Result<Result<Vec<IterationOutput>, FailureReason>, ProcessorError> {
        let mut outputs = Vec::with_capacity(results.len());
        for result in results {
            let stdout = match fetch_text(&self.js, &result.stdout).await? {
                Ok(text) => text,
                Err(reason) => return Ok(Err(reason)),
            };
            #[allow(clippy::cast_precision_loss)] // nanoseconds and bytes far below 2^53
            let output = IterationOutput {
                stdout,
                build_time: config
                    .build_time
                    .then(|| (image.to_owned(), result.wall_time_ns as f64 / 1e9)),
                file_sizes: if config.file_size {
                    result
                        .files
                        .iter()
                        .map(|f| (f.path.as_str().to_owned(), f.size as f64))
                        .collect()
                } else {
                    Vec::new()
                },
            };
            outputs.push(output);
        }
        Ok(Ok(outputs))
    }

    /// Publish what processing decided: alerts first, then the report's and the job's event, so
    /// whoever reacts to `processed` finds the alerts already announced.
    async fn publish(
        &self,
        report: ReportUuid,
        outcome: &Outcome,
        run: Option<&JobRun>,
    ) -> Result<(), ProcessorError> {
        match outcome {
            Outcome::Processed {
                project,
                metrics,
                alerts,
            } => {
                for alert in alerts {
                    let raised = AlertRaised {
                        schema: SchemaV1,
                        project: *project,
                        at: Utc::now(),
                        alert: alert.clone(),
                    };
                    self.send(&raised.subject(&self.subjects), &raised.msg_id(), &raised)
                        .await?;
                }
                let count = u32::try_from(alerts.len()).unwrap_or(u32::MAX);
                let processed = ReportEventMessage::new(
                    report,
                    ReportEvent::Processed {
                        project: *project,
                        job: run.map(|r| r.job),
                        metrics: *metrics,
                        alerts: count,
                    },
                );
                self.send(
                    &processed.subject(&self.subjects),
                    &processed.msg_id(),
                    &processed,
                )
                .await?;
                if let Some(run) = run {
                    let event = JobEvent::Processed {
                        report,
                        metrics: *metrics,
                        alerts: count,
                    };
                    self.publish_job(JobEventMessage::new(run.job, event))
                        .await?;
                }
                info!(%report, metrics, alerts = count, "report processed");
            }
            Outcome::Failed { project, reason } => {
                match run {
                    Some(run) => {
                        let event = JobEvent::Failed {
                            stage: FailureStage::Processing,
                            reason: reason.clone(),
                            runner: Some(run.runner),
                            attempt: Some(run.attempt),
                            results: run.results.clone(),
                        };
                        self.publish_job(JobEventMessage::new(run.job, event))
                            .await?;
                    }
                    None => {
                        // A local run has no job to fail: its report is processed, empty, with
                        // the failure stored on it.
                        let processed = ReportEventMessage::new(
                            report,
                            ReportEvent::Processed {
                                project: *project,
                                job: None,
                                metrics: 0,
                                alerts: 0,
                            },
                        );
                        self.send(
                            &processed.subject(&self.subjects),
                            &processed.msg_id(),
                            &processed,
                        )
                        .await?;
                    }
                }
                info!(%report, reason = %reason, "report gave no metrics");
            }
        }
        Ok(())
    }

    async fn publish_job(&self, event: JobEventMessage) -> Result<(), ProcessorError> {
        self.send(&event.subject(&self.subjects), &event.msg_id(), &event)
            .await
    }

    async fn send<T: Serialize>(
        &self,
        subject: &str,
        msg_id: &str,
        message: &T,
    ) -> Result<(), ProcessorError> {
        let payload = Bytes::from(serde_json::to_vec(message)?);
        publish_deduplicated(&self.js, subject, msg_id, payload, None).await?;
        Ok(())
    }
}
