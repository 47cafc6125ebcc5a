//! Human output: aligned tables of reports and jobs.

use std::fmt::Write;

use bencher_wire::json::{BoundaryLimit, JsonJob, JsonReport, JsonReportMeasure};

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// An aligned plain-text table: a header, a rule, the rows.
pub fn table(headers: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|(h, _)| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|(h, _)| (*h).to_owned()).collect();
    push_row(&mut out, &header, headers, &widths);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    push_row(&mut out, &rule, headers, &widths);
    for row in rows {
        push_row(&mut out, row, headers, &widths);
    }
    out
}

fn push_row(out: &mut String, row: &[String], headers: &[(&str, Align)], widths: &[usize]) {
    let mut line = String::new();
    for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = width.saturating_sub(cell.chars().count());
        match headers.get(i).map(|(_, a)| *a) {
            Some(Align::Right) => {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
            _ => {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// A number for people: up to three decimals, no trailing zeros; scientific when tiny or huge.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e15).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn opt(value: Option<f64>) -> String {
    value.map(number).unwrap_or_default()
}

/// The change of `value` against `baseline` in percent (`+12.5%`); empty without a baseline.
pub fn delta_percent(value: f64, baseline: Option<f64>) -> String {
    match baseline {
        Some(base) if base != 0.0 && base.is_finite() => {
            format!("{:+.2}%", (value - base) / base * 100.0)
        }
        _ => String::new(),
    }
}

/// Whether the report raised any alert.
pub fn has_alerts(report: &JsonReport) -> bool {
    !report.alerts.is_empty()
        || report
            .results
            .iter()
            .flatten()
            .flat_map(|r| &r.measures)
            .any(|m| m.alert.is_some())
}

const REPORT_COLUMNS: [(&str, Align); 10] = [
    ("Benchmark", Align::Left),
    ("Measure", Align::Left),
    ("Value", Align::Right),
    ("Lower Value", Align::Right),
    ("Upper Value", Align::Right),
    ("Baseline", Align::Right),
    ("Δ%", Align::Right),
    ("Lower Limit", Align::Right),
    ("Upper Limit", Align::Right),
    ("Alert", Align::Left),
];

fn measure_row(benchmark: &str, m: &JsonReportMeasure) -> Vec<String> {
    let boundary = m.boundary.unwrap_or_default();
    let alert = match m.alert.map(|a| a.limit) {
        Some(BoundaryLimit::Lower) => "🚨 below lower limit",
        Some(BoundaryLimit::Upper) => "🚨 above upper limit",
        None => "",
    };
    vec![
        benchmark.to_owned(),
        format!("{} ({})", m.measure.name, m.measure.units),
        number(m.metric.value),
        opt(m.metric.lower_value),
        opt(m.metric.upper_value),
        opt(boundary.baseline),
        delta_percent(m.metric.value, boundary.baseline),
        opt(boundary.lower_limit),
        opt(boundary.upper_limit),
        alert.to_owned(),
    ]
}

/// A report as people read it: what it is, a results table per iteration, the alert count.
pub fn report(report: &JsonReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Report {}: project {}, branch {}, testbed {}, adapter {}",
        report.uuid, report.project.slug, report.branch.slug, report.testbed.slug, report.adapter
    );
    if let Some(hash) = &report.hash {
        let _ = writeln!(out, "Hash: {hash}");
    }
    let iterations = report.results.len();
    for (i, results) in report.results.iter().enumerate() {
        out.push('\n');
        if iterations > 1 {
            let _ = writeln!(out, "Iteration {}", i + 1);
        }
        let rows: Vec<Vec<String>> = results
            .iter()
            .flat_map(|r| r.measures.iter().map(|m| measure_row(&r.benchmark.name, m)))
            .collect();
        out.push_str(&table(&REPORT_COLUMNS, &rows));
    }
    if iterations == 0 {
        out.push_str("\nNo results.\n");
    }
    let alerts = report.alerts.len().max(
        report
            .results
            .iter()
            .flatten()
            .flat_map(|r| &r.measures)
            .filter(|m| m.alert.is_some())
            .count(),
    );
    out.push('\n');
    match alerts {
        0 => out.push_str("No alerts.\n"),
        1 => out.push_str("🚨 1 alert\n"),
        n => {
            let _ = writeln!(out, "🚨 {n} alerts");
        }
    }
    out
}

/// Jobs as a table.
pub fn jobs(jobs: &[JsonJob]) -> String {
    let headers = [
        ("Job", Align::Left),
        ("Status", Align::Left),
        ("Image", Align::Left),
        ("Created", Align::Left),
        ("Exit", Align::Right),
    ];
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.uuid.to_string(),
                j.status.to_string(),
                j.image.to_string(),
                j.created.format("%Y-%m-%d %H:%M:%S").to_string(),
                j.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    table(&headers, &rows)
}

/// One job, field by field, with its output when the server sent it.
pub fn job(job: &JsonJob) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Job:      {}", job.uuid);
    let _ = writeln!(out, "Report:   {}", job.report);
    let _ = writeln!(out, "Status:   {}", job.status);
    let _ = writeln!(out, "Image:    {}", job.image);
    if let Some(digest) = &job.digest {
        let _ = writeln!(out, "Digest:   {digest}");
    }
    if let Some(spec) = &job.spec {
        let _ = writeln!(out, "Spec:     {}", spec.slug);
    }
    let _ = writeln!(out, "Priority: {}", job.priority);
    let _ = writeln!(out, "Timeout:  {} s", job.timeout);
    let _ = writeln!(out, "Attempt:  {}", job.attempt);
    if let Some(code) = job.exit_code {
        let _ = writeln!(out, "Exit:     {code}");
    }
    if let Some(reason) = crate::watch::JobEnd::from_job(job).reason {
        let _ = writeln!(out, "Reason:   {reason}");
    }
    if let Some(output) = &job.output {
        for (i, it) in output.results.iter().enumerate() {
            let _ = writeln!(out, "\n--- iteration {} (exit {}) ---", i + 1, it.exit_code);
            for (name, text) in [("stdout", &it.stdout), ("stderr", &it.stderr)] {
                if !text.is_empty() {
                    let _ = writeln!(out, "[{name}]\n{}", text.trim_end());
                }
            }
            if it.truncated {
                out.push_str("(output truncated)\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_report() -> JsonReport {
        let path = format!("{}/json_report.json", bencher_wire::SAMPLES_DIR);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn numbers_and_deltas_read_well() {
        assert_eq!(number(1520.5), "1520.5");
        assert_eq!(number(1210.0), "1210");
        assert_eq!(number(0.1234567), "0.123");
        assert_eq!(number(-0.0001), "-1.000e-4");
        assert_eq!(number(0.0), "0");
        assert_eq!(delta_percent(1520.5, Some(1210.0)), "+25.66%");
        assert_eq!(delta_percent(90.0, Some(100.0)), "-10.00%");
        assert_eq!(delta_percent(1.0, Some(0.0)), "");
        assert_eq!(delta_percent(1.0, None), "");
    }

    #[test]
    fn the_report_table_shows_values_boundaries_and_alerts_aligned() {
        let report = sample_report();
        assert!(has_alerts(&report));
        let text = super::report(&report);
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .position(|l| l.starts_with("Benchmark"))
            .unwrap();
        let row = lines[header + 2];
        for cell in [
            "fib/20 (µs)",
            "Latency (nanoseconds (ns))",
            "1520.5",
            "1490",
            "1561.25",
            "1210",
            "+25.66%",
            "1102.5",
            "1318.75",
            "🚨 above upper limit",
        ] {
            assert!(row.contains(cell), "{cell:?} missing from {row:?}");
        }
        // Right-aligned columns end where their header ends.
        let end_of = |line: &str, needle: &str| {
            let byte = line.find(needle).unwrap() + needle.len();
            line[..byte].chars().count()
        };
        assert_eq!(end_of(lines[header], "Value"), end_of(row, "1520.5"));
        assert_eq!(end_of(lines[header], "Upper Limit"), end_of(row, "1318.75"));
        assert!(text.contains("🚨 1 alert"), "{text}");
        assert!(text.contains("branch feature-login"), "{text}");
    }

    #[test]
    fn a_report_without_alerts_says_so() {
        let mut report = sample_report();
        report.alerts.clear();
        for m in report
            .results
            .iter_mut()
            .flatten()
            .flat_map(|r| &mut r.measures)
        {
            m.alert = None;
            m.boundary = None;
        }
        assert!(!has_alerts(&report));
        let text = super::report(&report);
        assert!(text.contains("No alerts."), "{text}");
        assert!(!text.contains('🚨'), "{text}");
    }
}
