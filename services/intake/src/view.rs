//! Rows to `/v0` JSON: [`JsonJob`] and [`JsonReport`] in Bencher's shapes.

use std::collections::HashMap;

use bencher_db::entities::{branch, job, project, report, spec, testbed};
use bencher_db::queries::intake::views::{JobRow, ReportDetail};
use bencher_db::{DbError, parse_job_status};
use bencher_wire::Priority;
use bencher_wire::ids::JobUuid;
use bencher_wire::json::{
    JsonAlert, JsonBenchmark, JsonBoundary, JsonJob, JsonJobOutput, JsonMeasure, JsonReport,
    JsonReportAlert, JsonReportMeasure, JsonReportMetric, JsonReportResult, JsonReportThreshold,
    JsonResourceRef, JsonSpec, JsonThresholdModel, JsonWatch,
};
use bencher_wire::status::{CancelReason, FailureReason, JobStatus};
use bencher_wire::values::Timeout;
use serde::de::DeserializeOwned;

use crate::error::IntakeError;

/// Parse a stored text column as a wire value (a slug, an image reference, an adapter...).
pub fn parse_text<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, IntakeError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        IntakeError::Db(DbError::UnknownValue {
            what,
            value: text.to_owned(),
        })
    })
}

fn num<T: TryFrom<i64>>(what: &'static str, value: i64) -> Result<T, IntakeError> {
    T::try_from(value).map_err(|_| {
        IntakeError::Db(DbError::UnknownValue {
            what,
            value: value.to_string(),
        })
    })
}

/// A spec row as JSON.
pub fn spec_json(spec: &spec::Model) -> Result<JsonSpec, IntakeError> {
    Ok(JsonSpec {
        uuid: spec.uuid.into(),
        name: parse_text("spec name", &spec.name)?,
        slug: parse_text("spec slug", &spec.slug)?,
        architecture: parse_text("architecture", &spec.architecture)?,
        cpu: num("cpu", i64::from(spec.cpu))?,
        memory: num("memory", spec.memory)?,
        disk: num("disk", spec.disk)?,
        network: spec.network,
        default: spec.is_default,
    })
}

/// A job as JSON, with how to watch it and (when read) its output.
pub fn job_json(
    row: &JobRow,
    watch: Option<JsonWatch>,
    output: Option<JsonJobOutput>,
) -> Result<JsonJob, IntakeError> {
    let job: &job::Model = &row.job;
    let status = parse_job_status(&job.status)?;
    let (failure, cancel) = reasons(status, job.reason.as_ref());
    Ok(JsonJob {
        uuid: JobUuid::from(job.uuid),
        report: row.report,
        status,
        priority: Priority::from_value(job.priority),
        spec: row.spec.as_ref().map(spec_json).transpose()?,
        runner: row.runner.as_ref().map(|r| r.uuid.into()),
        image: parse_text("image", &job.image)?,
        digest: job
            .digest
            .as_deref()
            .map(|d| parse_text("digest", d))
            .transpose()?,
        timeout: Timeout::new(num("timeout", i64::from(job.timeout))?)?,
        attempt: num("attempts", i64::from(job.attempts))?,
        created: job.created,
        started: job.started,
        completed: job.completed,
        modified: job.modified,
        exit_code: job.exit_code,
        output,
        failure,
        cancel,
        watch,
    })
}

/// The stored reason as the one its status calls for; an unreadable reason is left out.
fn reasons(
    status: JobStatus,
    reason: Option<&serde_json::Value>,
) -> (Option<FailureReason>, Option<CancelReason>) {
    let Some(reason) = reason else {
        return (None, None);
    };
    match status {
        JobStatus::Failed => (serde_json::from_value(reason.clone()).ok(), None),
        JobStatus::Canceled => (None, serde_json::from_value(reason.clone()).ok()),
        _ => (None, None),
    }
}

fn resource_ref<Id: From<uuid::Uuid>>(
    uuid: uuid::Uuid,
    name: &str,
    slug: &str,
) -> Result<JsonResourceRef<Id>, IntakeError> {
    Ok(JsonResourceRef {
        uuid: uuid.into(),
        name: parse_text("name", name)?,
        slug: parse_text("slug", slug)?,
    })
}

/// The parts of a report every view has.
pub struct ReportHead<'a> {
    /// The report.
    pub report: &'a report::Model,
    /// Its project.
    pub project: &'a project::Model,
    /// Its branch.
    pub branch: &'a branch::Model,
    /// Its testbed.
    pub testbed: &'a testbed::Model,
}

/// A report without results (as `POST /v0/run` answers).
pub fn report_json(head: &ReportHead<'_>, job: Option<JsonJob>) -> Result<JsonReport, IntakeError> {
    let r = head.report;
    Ok(JsonReport {
        uuid: r.uuid.into(),
        project: resource_ref(head.project.uuid, &head.project.name, &head.project.slug)?,
        branch: resource_ref(head.branch.uuid, &head.branch.name, &head.branch.slug)?,
        testbed: resource_ref(head.testbed.uuid, &head.testbed.name, &head.testbed.slug)?,
        hash: r
            .hash
            .as_deref()
            .map(|h| parse_text("hash", h))
            .transpose()?,
        start_time: r.start_time,
        end_time: r.end_time,
        adapter: parse_text("adapter", &r.adapter)?,
        results: Vec::new(),
        alerts: Vec::new(),
        job,
        created: r.created,
    })
}

/// A report with its results, boundaries and alerts.
pub fn report_detail_json(
    d: &ReportDetail,
    job: Option<JsonJob>,
) -> Result<JsonReport, IntakeError> {
    let head = ReportHead {
        report: &d.report,
        project: &d.project,
        branch: &d.branch,
        testbed: &d.testbed,
    };
    let mut json = report_json(&head, job)?;
    let benchmarks = d
        .benchmarks
        .iter()
        .map(|b| {
            Ok((
                b.id,
                JsonBenchmark {
                    uuid: b.uuid.into(),
                    name: b.name.clone(),
                    slug: parse_text("benchmark slug", &b.slug)?,
                },
            ))
        })
        .collect::<Result<HashMap<_, _>, IntakeError>>()?;
    let measures = d
        .measures
        .iter()
        .map(|m| {
            Ok((
                m.id,
                JsonMeasure {
                    uuid: m.uuid.into(),
                    name: parse_text("measure name", &m.name)?,
                    slug: parse_text("measure slug", &m.slug)?,
                    units: m.units.clone(),
                },
            ))
        })
        .collect::<Result<HashMap<_, _>, IntakeError>>()?;
    let boundaries: HashMap<i64, _> = d.boundaries.iter().map(|b| (b.metric_id, b)).collect();
    let alerts: HashMap<i64, _> = d.alerts.iter().map(|a| (a.boundary_id, a)).collect();
    let iterations = d
        .report_benchmarks
        .iter()
        .map(|rb| usize::try_from(rb.iteration).unwrap_or(0) + 1)
        .max()
        .unwrap_or(0);
    json.results = vec![Vec::new(); iterations];
    for rb in &d.report_benchmarks {
        let Some(benchmark) = benchmarks.get(&rb.benchmark_id) else {
            continue;
        };
        let mut result = JsonReportResult {
            benchmark: benchmark.clone(),
            measures: Vec::new(),
        };
        for metric in d.metrics.iter().filter(|m| m.report_benchmark_id == rb.id) {
            let Some(measure) = measures.get(&metric.measure_id) else {
                continue;
            };
            let metric_json = JsonReportMetric {
                uuid: Some(metric.uuid.into()),
                value: metric.value,
                lower_value: metric.lower_value,
                upper_value: metric.upper_value,
            };
            let boundary = boundaries.get(&metric.id).copied();
            let threshold = match boundary {
                Some(b) => threshold_json(d, b.threshold_id, b.model_id)?,
                None => None,
            };
            let boundary_json = boundary.map(|b| JsonBoundary {
                baseline: b.baseline,
                lower_limit: b.lower_limit,
                upper_limit: b.upper_limit,
            });
            let alert = match boundary.and_then(|b| alerts.get(&b.id)) {
                Some(a) => {
                    let limit = parse_text("boundary limit", &a.boundary_limit)?;
                    let status = parse_text("alert status", &a.status)?;
                    json.alerts.push(JsonAlert {
                        uuid: a.uuid.into(),
                        report: json.uuid,
                        limit,
                        status,
                        benchmark: benchmark.clone(),
                        measure: measure.clone(),
                        metric: metric_json,
                        boundary: boundary_json.unwrap_or_default(),
                        created: a.created,
                        modified: a.modified,
                    });
                    Some(JsonReportAlert {
                        uuid: a.uuid.into(),
                        limit,
                        status,
                    })
                }
                None => None,
            };
            result.measures.push(JsonReportMeasure {
                measure: measure.clone(),
                metric: metric_json,
                threshold,
                boundary: boundary_json,
                alert,
            });
        }
        if let Some(slot) = usize::try_from(rb.iteration)
            .ok()
            .and_then(|i| json.results.get_mut(i))
        {
            slot.push(result);
        }
    }
    Ok(json)
}

fn threshold_json(
    d: &ReportDetail,
    threshold_id: i64,
    model_id: i64,
) -> Result<Option<JsonReportThreshold>, IntakeError> {
    let (Some(threshold), Some(model)) = (
        d.thresholds.iter().find(|t| t.id == threshold_id),
        d.models.iter().find(|m| m.id == model_id),
    ) else {
        return Ok(None);
    };
    let size = |v: Option<i64>| v.map(|v| num::<u32>("sample size", v)).transpose();
    Ok(Some(JsonReportThreshold {
        uuid: threshold.uuid.into(),
        model: JsonThresholdModel {
            test: parse_text("threshold test", &model.test)?,
            min_sample_size: size(model.min_sample_size)?,
            max_sample_size: size(model.max_sample_size)?,
            window: size(model.window)?,
            lower_boundary: model.lower_boundary,
            upper_boundary: model.upper_boundary,
        },
    }))
}
