//! Batched storage of results: get-or-create benchmarks and measures by key, then report
//! benchmarks and metrics, each step a handful of statements whatever the number of rows.
//!
//! Every insert is `ON CONFLICT DO NOTHING` against a unique key, so processing the same report
//! twice stores each metric once (the first values win).

use std::collections::{BTreeSet, HashMap};

use bencher_wire::Slug;
use bencher_wire::measure::{CUSTOM_UNITS, built_in_measure};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::{benchmark, measure, metric, report_benchmark};
use crate::error::DbError;

/// Rows per statement: keeps bind parameters well under SQLite's and PostgreSQL's limits.
const CHUNK: usize = 500;

/// A measure to create when a result names one the project does not have yet.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMeasure {
    /// Slug (the BMF measure key).
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// Units.
    pub units: String,
}

impl NewMeasure {
    /// The measure a slug names: a built-in ([`bencher_wire::measure`], the table the
    /// result-processor uses too) with its name and units; any other slug gets its slug as name
    /// and [`CUSTOM_UNITS`].
    pub fn for_slug(slug: &Slug) -> Self {
        let (name, units) = match built_in_measure(slug.as_str()) {
            Some(info) => (info.name, info.units),
            None => (slug.as_str(), CUSTOM_UNITS),
        };
        Self {
            slug: slug.clone(),
            name: name.to_owned(),
            units: units.to_owned(),
        }
    }
}

/// One value of one benchmark in one iteration of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMetric {
    /// Iteration index, from 0.
    pub iteration: i32,
    /// Benchmark name as the harness reports it.
    pub benchmark: String,
    /// Measure slug.
    pub measure: Slug,
    /// The value.
    pub value: f64,
    /// Lower bound, if reported.
    pub lower_value: Option<f64>,
    /// Upper bound, if reported.
    pub upper_value: Option<f64>,
}

/// A stored metric with what it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMetric {
    /// Iteration index.
    pub iteration: i32,
    /// The benchmark.
    pub benchmark: benchmark::Model,
    /// The measure.
    pub measure: measure::Model,
    /// The stored row (on re-processing: the row stored the first time).
    pub metric: metric::Model,
}

/// The project's benchmarks named `names`, creating the missing ones. Slugs derive from names;
/// when two names share a slug, the later one gets a random suffix.
pub async fn get_or_create_benchmarks<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    names: &[String],
) -> Result<HashMap<String, benchmark::Model>, DbError> {
    let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let mut found = find_benchmarks(db, project_id, &wanted).await?;
    for attempt in 0..3 {
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|name| !found.contains_key(*name))
            .collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let now = Utc::now();
        for chunk in missing.chunks(CHUNK) {
            let rows = chunk.iter().map(|name| benchmark::ActiveModel {
                uuid: Set(Uuid::now_v7()),
                project_id: Set(project_id),
                name: Set((*name).to_owned()),
                slug: Set(benchmark_slug(name, attempt)),
                created: Set(now),
                modified: Set(now),
                ..Default::default()
            });
            benchmark::Entity::insert_many(rows)
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .try_insert()
                .exec_without_returning(db)
                .await?;
        }
        let missing: BTreeSet<&str> = missing.into_iter().collect();
        found.extend(find_benchmarks(db, project_id, &missing).await?);
    }
    match wanted.iter().find(|name| !found.contains_key(**name)) {
        Some(name) => Err(DbError::NotFound {
            what: "benchmark",
            key: (*name).to_owned(),
        }),
        None => Ok(found),
    }
}

fn benchmark_slug(name: &str, attempt: u32) -> String {
    let base = Slug::from_name(name).map_or_else(|| "benchmark".to_owned(), String::from);
    if attempt == 0 {
        return base;
    }
    let suffix = Uuid::new_v4().simple().to_string();
    let keep = Slug::MAX_LEN - 9;
    let base = base.get(..keep).unwrap_or(&base).trim_end_matches('-');
    format!("{base}-{}", &suffix[..8])
}

async fn find_benchmarks<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    names: &BTreeSet<&str>,
) -> Result<HashMap<String, benchmark::Model>, DbError> {
    let names: Vec<&str> = names.iter().copied().collect();
    let mut found = HashMap::with_capacity(names.len());
    for chunk in names.chunks(CHUNK) {
        let rows = benchmark::Entity::find()
            .filter(benchmark::Column::ProjectId.eq(project_id))
            .filter(benchmark::Column::Name.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|row| (row.name.clone(), row)));
    }
    Ok(found)
}

/// The project's measures with these slugs, creating the missing ones.
pub async fn get_or_create_measures<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    measures: &[NewMeasure],
) -> Result<HashMap<String, measure::Model>, DbError> {
    let now = Utc::now();
    let mut wanted: HashMap<&str, &NewMeasure> = HashMap::new();
    for m in measures {
        wanted.entry(m.slug.as_str()).or_insert(m);
    }
    let slugs: Vec<&str> = wanted.keys().copied().collect();
    for chunk in slugs.chunks(CHUNK) {
        let rows = chunk
            .iter()
            .filter_map(|slug| wanted.get(slug))
            .map(|m| measure::ActiveModel {
                uuid: Set(Uuid::now_v7()),
                project_id: Set(project_id),
                name: Set(m.name.clone()),
                slug: Set(m.slug.to_string()),
                units: Set(m.units.clone()),
                created: Set(now),
                modified: Set(now),
                ..Default::default()
            });
        measure::Entity::insert_many(rows)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?;
    }
    let mut found = HashMap::with_capacity(slugs.len());
    for chunk in slugs.chunks(CHUNK) {
        let rows = measure::Entity::find()
            .filter(measure::Column::ProjectId.eq(project_id))
            .filter(measure::Column::Slug.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|row| (row.slug.clone(), row)));
    }
    match slugs.iter().find(|slug| !found.contains_key(**slug)) {
        Some(slug) => Err(DbError::NotFound {
            what: "measure",
            key: (*slug).to_owned(),
        }),
        None => Ok(found),
    }
}

/// Store the metrics of a report: benchmarks and measures (created as needed, measures with
/// [`NewMeasure::for_slug`]), one report benchmark per (iteration, benchmark), one metric per
/// (report benchmark, measure). Idempotent. Returns one entry per distinct
/// (iteration, benchmark, measure) of the input, in input order.
pub async fn store_metrics<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    report_id: i64,
    metrics: &[NewMetric],
) -> Result<Vec<StoredMetric>, DbError> {
    let names: Vec<String> = metrics.iter().map(|m| m.benchmark.clone()).collect();
    let benchmarks = get_or_create_benchmarks(db, project_id, &names).await?;
    let new_measures: Vec<NewMeasure> = metrics
        .iter()
        .map(|m| NewMeasure::for_slug(&m.measure))
        .collect();
    let measures = get_or_create_measures(db, project_id, &new_measures).await?;

    let lookup = |m: &NewMetric| -> Result<(&benchmark::Model, &measure::Model), DbError> {
        let b = benchmarks
            .get(&m.benchmark)
            .ok_or_else(|| DbError::NotFound {
                what: "benchmark",
                key: m.benchmark.clone(),
            })?;
        let s = measures
            .get(m.measure.as_str())
            .ok_or_else(|| DbError::NotFound {
                what: "measure",
                key: m.measure.to_string(),
            })?;
        Ok((b, s))
    };

    let mut pairs = BTreeSet::new();
    for m in metrics {
        pairs.insert((m.iteration, lookup(m)?.0.id));
    }
    let pairs: Vec<(i32, i64)> = pairs.into_iter().collect();
    for chunk in pairs.chunks(CHUNK) {
        let rows = chunk
            .iter()
            .map(|(iteration, benchmark_id)| report_benchmark::ActiveModel {
                uuid: Set(Uuid::now_v7()),
                report_id: Set(report_id),
                iteration: Set(*iteration),
                benchmark_id: Set(*benchmark_id),
                ..Default::default()
            });
        report_benchmark::Entity::insert_many(rows)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?;
    }
    let report_benchmarks: HashMap<(i32, i64), i64> = report_benchmark::Entity::find()
        .filter(report_benchmark::Column::ReportId.eq(report_id))
        .all(db)
        .await?
        .into_iter()
        .map(|rb| ((rb.iteration, rb.benchmark_id), rb.id))
        .collect();
    let rb_id = |m: &NewMetric| -> Result<i64, DbError> {
        let (b, _) = lookup(m)?;
        report_benchmarks
            .get(&(m.iteration, b.id))
            .copied()
            .ok_or_else(|| DbError::NotFound {
                what: "report benchmark",
                key: format!("{}#{}", m.benchmark, m.iteration),
            })
    };

    let mut rows = Vec::with_capacity(metrics.len());
    for m in metrics {
        rows.push(metric::ActiveModel {
            uuid: Set(Uuid::now_v7()),
            report_benchmark_id: Set(rb_id(m)?),
            measure_id: Set(lookup(m)?.1.id),
            value: Set(m.value),
            lower_value: Set(m.lower_value),
            upper_value: Set(m.upper_value),
            ..Default::default()
        });
    }
    for chunk in rows.chunks(CHUNK) {
        metric::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?;
    }
    let rb_ids: Vec<i64> = report_benchmarks.values().copied().collect();
    let mut stored: HashMap<(i64, i64), metric::Model> = HashMap::new();
    for chunk in rb_ids.chunks(CHUNK) {
        let found = metric::Entity::find()
            .filter(metric::Column::ReportBenchmarkId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        stored.extend(
            found
                .into_iter()
                .map(|row| ((row.report_benchmark_id, row.measure_id), row)),
        );
    }

    let mut out = Vec::with_capacity(metrics.len());
    let mut seen = BTreeSet::new();
    for m in metrics {
        let (b, s) = lookup(m)?;
        let key = (rb_id(m)?, s.id);
        if !seen.insert(key) {
            continue;
        }
        let row = stored.remove(&key).ok_or_else(|| DbError::NotFound {
            what: "metric",
            key: format!("{}#{}/{}", m.benchmark, m.iteration, m.measure),
        })?;
        out.push(StoredMetric {
            iteration: m.iteration,
            benchmark: b.clone(),
            measure: s.clone(),
            metric: row,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bencher_wire::measure::BUILT_IN_MEASURES;

    #[test]
    fn measures_for_slugs_come_from_the_one_built_in_table() {
        for info in BUILT_IN_MEASURES {
            let m = NewMeasure::for_slug(&info.slug.parse().unwrap());
            assert_eq!((m.name.as_str(), m.units.as_str()), (info.name, info.units));
        }
        let latency = NewMeasure::for_slug(&"latency".parse().unwrap());
        assert_eq!(latency.units, "nanoseconds (ns)");
        let custom = NewMeasure::for_slug(&"dhat-bytes".parse().unwrap());
        assert_eq!(
            (custom.name.as_str(), custom.units.as_str()),
            ("dhat-bytes", "units")
        );
    }
}
