//! The self-contained HTML report of a load run: summary tables, and plots of latency
//! percentiles and throughput over time and of the latency distribution, drawn by `plotters`
//! as inline SVG. No script, no stylesheet or font from the network: the file is the report.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::codec;
use crate::load::LoadReport;

const WIDTH: u32 = 860;
const HEIGHT: u32 = 320;

/// The report as one HTML document.
pub fn render_html(report: &LoadReport, title: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        title = escape(title)
    );
    summary(&mut html, report);
    html.push_str("<h2>Latency over time</h2>\n");
    html.push_str(&latency_plot(report));
    html.push_str("\n<h2>Throughput over time</h2>\n");
    html.push_str(&throughput_plot(report));
    html.push_str("\n<h2>Latency by percentile</h2>\n");
    html.push_str(&percentile_plot(report));
    html.push_str("\n</body>\n</html>\n");
    html
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:900px}\
table{border-collapse:collapse;margin:0 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}\
th{background:#f3f3f3}td.text,th.text{text-align:left}.passed{color:#176f2c}.failed{color:#b00020;font-weight:bold}\
svg{display:block;margin:0 0 1.5em}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn summary(html: &mut String, report: &LoadReport) {
    let mut rows = vec![
        ("events sent", report.events.to_string()),
        ("delivered (2xx)", report.delivered.to_string()),
        ("failed", report.failed.to_string()),
        ("elapsed", format!("{:.2} s", report.elapsed_s)),
        (
            "achieved rate",
            format!("{:.1} events/s", report.achieved_rate),
        ),
        ("connections", report.concurrency.to_string()),
    ];
    if let Some(rate) = report.target_rate {
        rows.push(("target rate", format!("{rate} events/s")));
    }
    if let Some(stages) = &report.stages {
        rows.push(("stages", stages.clone()));
        rows.push((
            "dropped (connection busy at start)",
            report.dropped.to_string(),
        ));
    }
    if let Some(shard) = &report.shard {
        rows.push(("shard", shard.clone()));
    }
    if report.cancelled {
        rows.push(("stopped early", "yes".to_owned()));
    }
    html.push_str("<h2>Summary</h2>\n<table>\n");
    for (name, value) in rows {
        let _ = writeln!(
            html,
            "<tr><th class=\"text\">{name}</th><td>{}</td></tr>",
            escape(&value)
        );
    }
    html.push_str("</table>\n");
    let latency = &report.latency;
    let _ = writeln!(
        html,
        "<h2>Latency{}</h2>\n<table>\n<tr><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n<tr><td>{:.3} ms</td><td>{:.3} ms</td><td>{:.3} ms</td><td>{:.3} ms</td><td>{:.3} ms</td><td>{:.3} ms</td></tr>\n</table>",
        if report.coordinated_omission_corrected {
            " (from intended send times)"
        } else {
            ""
        },
        latency.mean_ms,
        latency.p50_ms,
        latency.p90_ms,
        latency.p99_ms,
        latency.p99_9_ms,
        latency.max_ms
    );
    if !report.thresholds.is_empty() {
        html.push_str("<h2>Thresholds</h2>\n<table>\n<tr><th class=\"text\">threshold</th><th>measured</th><th class=\"text\">result</th></tr>\n");
        for verdict in &report.thresholds {
            let (class, word) = if verdict.passed {
                ("passed", "passed")
            } else {
                ("failed", "FAILED")
            };
            let _ = writeln!(
                html,
                "<tr><td class=\"text\">{}</td><td>{}</td><td class=\"text {class}\">{word}</td></tr>",
                escape(&verdict.threshold),
                escape(&verdict.measured_text)
            );
        }
        html.push_str("</table>\n");
    }
    if !report.errors.is_empty() {
        html.push_str("<h2>Errors</h2>\n<table>\n<tr><th class=\"text\">kind</th><th>count</th><th class=\"text\">first message</th></tr>\n");
        for (kind, count) in &report.errors {
            let _ = writeln!(
                html,
                "<tr><td class=\"text\">{}</td><td>{count}</td><td class=\"text\">{}</td></tr>",
                escape(kind),
                escape(report.first_errors.get(kind).map_or("", String::as_str))
            );
        }
        html.push_str("</table>\n");
    }
}

/// One line of a chart: its legend, colour and points.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

/// A line chart of `series` (name, colour, points) over `x_range`, `y_label` on the y axis.
fn line_chart(
    caption_x: &str,
    y_label: &str,
    x_range: std::ops::Range<f64>,
    series: &[Series<'_>],
    x_labels: &dyn Fn(&f64) -> String,
    n_x_labels: usize,
) -> String {
    let mut svg = String::new();
    let y_max = series
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|(_, y)| *y))
        .fold(0.0f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let x_range = if x_range.end > x_range.start {
        x_range
    } else {
        x_range.start..x_range.start + 1.0
    };
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .margin_right(40)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d(x_range, 0.0..y_max)?;
            chart
                .configure_mesh()
                .x_desc(caption_x)
                .y_desc(y_label)
                .x_labels(n_x_labels)
                .x_label_formatter(x_labels)
                .y_label_formatter(&|y| format!("{y:.1}"))
                .draw()?;
            for (name, colour, points) in series {
                let colour = *colour;
                chart
                    .draw_series(
                        LineSeries::new(points.iter().copied(), colour.stroke_width(2))
                            .point_size(2),
                    )?
                    .label(*name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
            root.present()?;
            Ok(())
        })();
        // Drawing into a string only fails on a bug in the chart's own ranges.
        drawn.expect("a chart drawn into memory");
    }
    svg
}

fn latency_plot(report: &LoadReport) -> String {
    let end = report
        .intervals
        .last()
        .map_or(report.elapsed_s, |interval| {
            interval.start_s + interval.duration_s
        });
    let at = |pick: fn(&crate::load::LatencySummary) -> f64| {
        report
            .intervals
            .iter()
            .filter(|interval| interval.events > 0)
            .map(|interval| {
                (
                    interval.start_s + interval.duration_s,
                    pick(&interval.latency),
                )
            })
            .collect::<Vec<_>>()
    };
    line_chart(
        "seconds from start",
        "latency (ms)",
        0.0..end,
        &[
            ("p50", RGBColor(31, 119, 180), at(|latency| latency.p50_ms)),
            ("p90", RGBColor(44, 160, 44), at(|latency| latency.p90_ms)),
            ("p99", RGBColor(255, 127, 14), at(|latency| latency.p99_ms)),
            ("max", RGBColor(214, 39, 40), at(|latency| latency.max_ms)),
        ],
        &|x| seconds_label(*x, end),
        10,
    )
}

fn throughput_plot(report: &LoadReport) -> String {
    let end = report
        .intervals
        .last()
        .map_or(report.elapsed_s, |interval| {
            interval.start_s + interval.duration_s
        });
    let per_second = |count: fn(&crate::load::LoadInterval) -> u64| {
        report
            .intervals
            .iter()
            .filter(|interval| interval.duration_s > 0.0)
            .map(|interval| {
                (
                    interval.start_s + interval.duration_s,
                    count(interval) as f64 / interval.duration_s,
                )
            })
            .collect::<Vec<_>>()
    };
    line_chart(
        "seconds from start",
        "events per second",
        0.0..end,
        &[
            (
                "sent",
                RGBColor(31, 119, 180),
                per_second(|interval| interval.events),
            ),
            (
                "failed",
                RGBColor(214, 39, 40),
                per_second(|interval| interval.failed),
            ),
        ],
        &|x| seconds_label(*x, end),
        10,
    )
}

/// Seconds on a time axis, with as many decimals as its length needs to tell labels apart.
fn seconds_label(x: f64, end: f64) -> String {
    match end {
        end if end < 2.0 => format!("{x:.2}"),
        end if end < 20.0 => format!("{x:.1}"),
        _ => format!("{x:.0}"),
    }
}

/// HdrHistogram's percentile spectrum: x is log10(1 / (1 − q)), so 90 %, 99 %, 99.9 % … are
/// evenly spaced.
fn percentile_plot(report: &LoadReport) -> String {
    let histogram = codec::decode(&report.histogram).unwrap_or_else(|_| codec::new_histogram());
    let mut points = Vec::new();
    if !histogram.is_empty() {
        for step in 0..=100 {
            let x = f64::from(step) * 0.05;
            let quantile = 1.0 - 10f64.powf(-x);
            points.push((x, histogram.value_at_quantile(quantile) as f64 / 1e3));
        }
    }
    line_chart(
        "percentile",
        "latency (ms)",
        0.0..5.0,
        &[("latency", RGBColor(31, 119, 180), points)],
        &|x| {
            // 0 → 0%, 1 → 90%, 2 → 99%, 3 → 99.9% …
            let percent = format!("{:.5}", 100.0 * (1.0 - 10f64.powf(-x)));
            format!("{}%", percent.trim_end_matches('0').trim_end_matches('.'))
        },
        6,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LatencySummary, LoadInterval, Verdict};

    fn synthetic() -> LoadReport {
        let mut report = LoadReport::empty();
        let mut total = codec::new_histogram();
        for second in 0..3u64 {
            let mut histogram = codec::new_histogram();
            for k in 1..=100u64 {
                histogram.record(k * 100 * (second + 1)).unwrap();
            }
            total.add(&histogram).unwrap();
            report.intervals.push(LoadInterval {
                start_s: second as f64,
                duration_s: 1.0,
                events: 100,
                failed: second,
                latency: LatencySummary::of(&histogram),
                histogram: codec::encode(&histogram),
            });
        }
        report.events = 300;
        report.failed = 3;
        report.delivered = 297;
        report.elapsed_s = 3.0;
        report.achieved_rate = 100.0;
        report.concurrency = 4;
        report.stages = Some("1s:100/s,2s:100/s".to_owned());
        report.latency = LatencySummary::of(&total);
        report.histogram = codec::encode(&total);
        report.errors.insert("status_5xx".into(), 3);
        report
            .first_errors
            .insert("status_5xx".into(), "POST <x> got 503".into());
        report.thresholds.push(Verdict {
            threshold: "p99<25ms".into(),
            measured: 29.7,
            measured_text: "29.7ms".into(),
            passed: false,
        });
        report
    }

    /// The document with each SVG reduced to what it draws: the structure, not the pixels.
    fn outline(html: &str) -> String {
        let mut out = String::new();
        let mut rest = html;
        while let Some(start) = rest.find("<svg") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("</svg>").expect("closed svg") + start + "</svg>".len();
            let svg = &rest[start..end];
            let count = |tag: &str| svg.matches(tag).count();
            let _ = write!(
                out,
                "<svg polylines={} texts={} rects={}/>",
                count("<polyline"),
                count("<text"),
                count("<rect")
            );
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn report_structure() {
        let html = render_html(&synthetic(), "tesim load <storm>");
        // Nothing fetched: the only URL is the SVG namespace, a name.
        assert_eq!(
            html.matches("http").count(),
            html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link"));
        assert!(html.contains("tesim load &lt;storm&gt;"));
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../snapshots/sender"
        ));
        settings.bind(|| insta::assert_snapshot!("load_report_html", outline(&html)));
    }

    #[test]
    fn an_empty_run_still_renders() {
        let html = render_html(&LoadReport::empty(), "empty");
        assert_eq!(html.matches("<svg").count(), 3);
    }
}
