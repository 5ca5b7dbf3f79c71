//! The plots of `results.md`: SVG files drawn by `plotters` from the same [`Results`] the
//! tables come from, so a figure and its table can never disagree. They go to `plots/` beside
//! `results.md` and are linked from it with relative paths, which GitHub and editors render.

use std::path::Path;

use anyhow::Context as _;
use plotters::prelude::*;

use super::report::{LoadRow, Results, Status, StreamRow};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 360;

/// Colours by role, the same in every plot: tesim, then the references.
const TESIM: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
const REFERENCE: RGBColor = RGBColor(0x88, 0x88, 0x88);
const SECOND: RGBColor = RGBColor(0xd6, 0x5f, 0x0e);
const THIRD: RGBColor = RGBColor(0x2c, 0x9f, 0x2c);
const GOAL: RGBColor = RGBColor(0xc0, 0x20, 0x20);

/// One plot file: its name under `plots/`, its alt text and its SVG.
#[derive(Debug, Clone)]
pub struct Plot {
    /// File name under `plots/` (`throughput.svg`).
    pub file: &'static str,
    /// What it shows, for the Markdown image's alt text.
    pub alt: &'static str,
    /// The drawing.
    pub svg: String,
}

type Drawn<'a> = Result<(), Box<dyn std::error::Error + 'a>>;

/// A bar: the row's subject, the median, and the min–max whisker.
type Bar<'r> = (&'r str, Option<f64>, Option<f64>, Option<f64>);

/// A line: its legend, its colour, its (alerts, value) points.
type Line<'r> = (&'r str, RGBColor, Vec<(f64, f64)>);

/// Every plot the results have data for (none for a section that was not run).
pub fn plots(results: &Results) -> Vec<Plot> {
    let mut plots = Vec::new();
    let measured = |rows: &[LoadRow]| rows.iter().any(|row| row.per_s.median().is_some());
    if measured(&results.sender) || measured(&results.api) {
        plots.push(Plot {
            file: "throughput.svg",
            alt: "Throughput and CPU per request: tesim against wrk, the ceiling server, Prism and WireMock",
            svg: throughput(results),
        });
    }
    if results
        .api_scale
        .iter()
        .any(|row| matches!(row.status, Status::Ok))
    {
        plots.push(Plot {
            file: "api-scale.svg",
            alt: "tesim api over 10k, 100k and 1M alerts: request times, startup and memory per alert",
            svg: api_scale(results),
        });
    }
    if !results.stream.is_empty() {
        plots.push(Plot {
            file: "stream.svg",
            alt: "tesim send --dry-run over 10k, 100k and 1M alerts: events per second and peak memory",
            svg: stream(results),
        });
    }
    plots
}

/// Writes `plots` under `dir/plots/`, removing plot files of an earlier run that this one
/// did not draw (a stale plot beside fresh tables would mislead).
pub fn write(dir: &Path, plots: &[Plot]) -> anyhow::Result<()> {
    let plots_dir = dir.join("plots");
    std::fs::create_dir_all(&plots_dir)
        .with_context(|| format!("cannot create {}", plots_dir.display()))?;
    for stale in ["throughput.svg", "api-scale.svg", "stream.svg"] {
        if !plots.iter().any(|plot| plot.file == stale) {
            let _ = std::fs::remove_file(plots_dir.join(stale));
        }
    }
    for plot in plots {
        let path = plots_dir.join(plot.file);
        std::fs::write(&path, &plot.svg)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The Markdown line that shows `file`, if it was drawn.
pub fn image(plots: &[Plot], file: &str) -> Option<String> {
    plots
        .iter()
        .find(|plot| plot.file == file)
        .map(|plot| format!("\n![{}](plots/{})\n", plot.alt, plot.file))
}

fn draw(
    width: u32,
    height: u32,
    body: impl for<'a> FnOnce(&DrawingArea<SVGBackend<'a>, plotters::coord::Shift>) -> Drawn<'a>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|err| Box::new(err) as Box<dyn std::error::Error>)
            .and_then(|()| body(&root))
            .and_then(|()| {
                root.present()
                    .map_err(|err| Box::new(err) as Box<dyn std::error::Error>)
            });
        // Drawing into a string fails only on a bug in a chart's own ranges.
        drawn.unwrap_or_else(|err| panic!("a chart drawn into memory failed: {err}"));
    }
    svg
}

fn colour(subject: &str, position: usize) -> RGBColor {
    if subject.starts_with("tesim") {
        TESIM
    } else {
        [REFERENCE, SECOND, THIRD][position % 3]
    }
}

/// Short names for bar labels: the first words of the row's subject.
fn short(subject: &str) -> String {
    let name = subject.split(':').next().unwrap_or(subject);
    name.chars().take(28).collect()
}

/// Horizontal bars of a series' median per row, with a min–max whisker.
fn bars<'a>(
    area: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    title: &str,
    unit: &str,
    rows: &[Bar<'_>],
) -> Drawn<'a> {
    let max = rows
        .iter()
        .filter_map(|(_, median, _, high)| high.or(*median))
        .fold(0.0f64, f64::max);
    let max = if max > 0.0 { max * 1.15 } else { 1.0 };
    let count = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|(name, ..)| short(name)).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(190)
        .build_cartesian_2d(0.0..max, 0.0..count as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(unit)
        .y_labels(count * 2 + 1)
        .y_label_formatter(&|y| {
            // Labels sit at the middle of each bar.
            let slot = (y - 0.5).round();
            if (y - 0.5 - slot).abs() < 1e-6 && slot >= 0.0 {
                names
                    .get(count - 1 - slot as usize)
                    .cloned()
                    .unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    for (position, (name, median, low, high)) in rows.iter().enumerate() {
        let Some(median) = median else { continue };
        let y = (count - 1 - position) as f64;
        let fill = colour(name, position);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.2), (*median, y + 0.8)],
            fill.filled(),
        )))?;
        if let (Some(low), Some(high)) = (low, high) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(*low, y + 0.5), (*high, y + 0.5)],
                BLACK.stroke_width(2),
            )))?;
        }
    }
    Ok(())
}

fn load_bars(rows: &[LoadRow], cpu: bool) -> Vec<Bar<'_>> {
    rows.iter()
        .map(|row| {
            let series = if cpu { &row.cpu_us } else { &row.per_s };
            (
                row.subject.as_str(),
                series.median(),
                series.min(),
                series.max(),
            )
        })
        .collect()
}

fn throughput(results: &Results) -> String {
    draw(WIDTH, HEIGHT * 2, |root| {
        let panels = root.split_evenly((2, 2));
        bars(
            &panels[0],
            "Sender: events/s (higher is better)",
            "events/s",
            &load_bars(&results.sender, false),
        )?;
        bars(
            &panels[1],
            "Sender: CPU µs per event (lower is better)",
            "µs",
            &load_bars(&results.sender, true),
        )?;
        bars(
            &panels[2],
            "API GET /v7/alerts: req/s (higher is better)",
            "req/s",
            &load_bars(&results.api, false),
        )?;
        bars(
            &panels[3],
            "API: CPU µs per request (lower is better)",
            "µs",
            &load_bars(&results.api, true),
        )?;
        Ok(())
    })
}

/// A log–log line plot of `series` over alert counts; `goal`, if any, drawn as a dashed
/// horizontal line.
fn scale_panel<'a>(
    area: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    title: &str,
    unit: &str,
    series: &[Line<'_>],
    goal: Option<(&str, f64)>,
) -> Drawn<'a> {
    let xs = series
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|(x, _)| *x));
    let (x_min, x_max) = xs.fold((f64::MAX, 0.0f64), |(low, high), x| {
        (low.min(x), high.max(x))
    });
    let (x_min, x_max) = if x_max > 0.0 {
        (x_min / 2.0, x_max * 2.0)
    } else {
        (1e3, 1e7)
    };
    let ys = series
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|(_, y)| *y))
        .chain(goal.map(|(_, y)| y))
        .filter(|y| *y > 0.0);
    let (y_min, y_max) = ys.fold((f64::MAX, 0.0f64), |(low, high), y| {
        (low.min(y), high.max(y))
    });
    let (y_min, y_max) = if y_max > 0.0 {
        (y_min / 3.0, y_max * 3.0)
    } else {
        (0.1, 10.0)
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .margin_right(20)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d((x_min..x_max).log_scale(), (y_min..y_max).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("alerts")
        .y_desc(unit)
        .x_label_formatter(&|x| {
            if *x >= 1e6 {
                format!("{:.0}M", x / 1e6)
            } else if *x >= 1e3 {
                format!("{:.0}k", x / 1e3)
            } else {
                format!("{x:.0}")
            }
        })
        .y_label_formatter(&|y| {
            if *y >= 100.0 {
                format!("{y:.0}")
            } else if *y >= 1.0 {
                format!("{y:.1}")
            } else {
                format!("{y:.2}")
            }
        })
        .draw()?;
    for (name, colour, points) in series {
        let colour = *colour;
        chart
            .draw_series(
                LineSeries::new(points.iter().copied(), colour.stroke_width(2)).point_size(3),
            )?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    if let Some((name, y)) = goal {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x_min, y), (x_max, y)],
                6,
                4,
                GOAL.stroke_width(1),
            ))?
            .label(name)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GOAL.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn points(values: impl Iterator<Item = (u64, Option<f64>)>) -> Vec<(f64, f64)> {
    values
        .filter_map(|(x, y)| y.filter(|y| *y > 0.0).map(|y| (x as f64, y)))
        .collect()
}

fn api_scale(results: &Results) -> String {
    let rows: Vec<_> = results
        .api_scale
        .iter()
        .filter(|row| matches!(row.status, Status::Ok))
        .collect();
    let smallest = rows.iter().min_by_key(|row| row.alerts);
    // The goal is relative to the smallest size's own time: < 2× it.
    let page_goal = smallest
        .and_then(|row| row.page_ms.median())
        .map(|ms| ms * 2.0);
    draw(WIDTH, HEIGHT, |root| {
        let panels = root.split_evenly((1, 3));
        scale_panel(
            &panels[0],
            "Request time, median (ms)",
            "ms",
            &[
                (
                    "page window=2d",
                    TESIM,
                    points(rows.iter().map(|row| (row.alerts, row.page_ms.median()))),
                ),
                (
                    "page window=1h",
                    SECOND,
                    points(
                        rows.iter()
                            .map(|row| (row.alerts, row.late_page_ms.median())),
                    ),
                ),
                (
                    "by id",
                    THIRD,
                    points(rows.iter().map(|row| (row.alerts, row.by_id_ms.median()))),
                ),
            ],
            page_goal.map(|ms| ("goal: 2× the smallest's page", ms)),
        )?;
        scale_panel(
            &panels[1],
            "Startup (s)",
            "s",
            &[(
                "spawn to first answer",
                TESIM,
                points(rows.iter().map(|row| (row.alerts, row.startup_s))),
            )],
            Some(("goal: 5 s", 5.0)),
        )?;
        scale_panel(
            &panels[2],
            "Peak RSS per alert (bytes)",
            "B/alert",
            &[(
                "VmHWM / alerts",
                TESIM,
                points(rows.iter().map(|row| {
                    (
                        row.alerts,
                        row.peak_rss_mb
                            .map(|mb| mb * 1024.0 * 1024.0 / row.alerts as f64),
                    )
                })),
            )],
            Some(("goal: 1 KB", 1024.0)),
        )?;
        Ok(())
    })
}

/// 10× the pre-streaming build's events/s at the largest size both builds ran in this run;
/// without that build, 10× the issue's figure.
fn stream_goal(results: &Results) -> f64 {
    let before = results
        .stream_before
        .iter()
        .filter(|old| results.stream.iter().any(|row| row.alerts == old.alerts))
        .max_by_key(|old| old.alerts)
        .map_or(super::stream::BEFORE_EVENTS_PER_S, |old| {
            old.events as f64 / old.wall_s
        });
    before * 10.0
}

fn stream(results: &Results) -> String {
    let rows = &results.stream;
    let before = &results.stream_before;
    let per_s = |rows: &[StreamRow]| {
        points(
            rows.iter()
                .map(|row| (u64::from(row.alerts), Some(row.events as f64 / row.wall_s))),
        )
    };
    let rss = |rows: &[StreamRow]| {
        points(
            rows.iter()
                .map(|row| (u64::from(row.alerts), row.peak_rss_mb)),
        )
    };
    let goal = stream_goal(results);
    let mut speed = vec![("this build", TESIM, per_s(rows))];
    let mut memory = vec![("this build", TESIM, rss(rows))];
    if !before.is_empty() {
        speed.push(("before streaming", REFERENCE, per_s(before)));
        memory.push(("before streaming", REFERENCE, rss(before)));
    }
    draw(WIDTH, HEIGHT, |root| {
        let panels = root.split_evenly((1, 2));
        scale_panel(
            &panels[0],
            "send --dry-run: events/s",
            "events/s",
            &speed,
            Some(("goal: 10× before streaming", goal)),
        )?;
        scale_panel(
            &panels[1],
            "send --dry-run: peak RSS (MB)",
            "MB",
            &memory,
            Some(("goal: 100 MB", 100.0)),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::super::api_scale::ScaleRow;
    use super::super::report::Series;
    use super::*;

    fn series(values: &[f64]) -> Series {
        Series {
            values: values.to_vec(),
        }
    }

    fn load_row(subject: &str, per_s: &[f64], cpu: &[f64]) -> LoadRow {
        let mut row = LoadRow::new(subject);
        row.per_s = series(per_s);
        row.cpu_us = series(cpu);
        row
    }

    #[test]
    fn nothing_measured_draws_nothing() {
        assert!(plots(&Results::default()).is_empty());
    }

    #[test]
    fn every_section_gets_its_plot_with_its_labels() {
        let scale = |alerts, page| ScaleRow {
            alerts,
            status: Status::Ok,
            startup_s: Some(0.5),
            peak_rss_mb: Some(alerts as f64 / 2000.0),
            page_ms: series(&[page]),
            late_page_ms: series(&[page]),
            by_id_ms: series(&[0.2]),
        };
        let results = Results {
            sender: vec![
                load_row("tesim send --load", &[90_000.0, 95_000.0], &[10.0]),
                load_row("wrk", &[100_000.0], &[9.0]),
            ],
            api: vec![load_row("Prism 5.14.2", &[3_000.0], &[300.0])],
            api_scale: vec![scale(10_000, 1.0), scale(1_000_000, 1.5)],
            stream: vec![StreamRow {
                alerts: 10_000,
                events: 20_000,
                wall_s: 0.1,
                first_line_ms: 5.0,
                peak_rss_mb: Some(9.0),
            }],
            ..Results::default()
        };
        let plots = plots(&results);
        let files: Vec<_> = plots.iter().map(|plot| plot.file).collect();
        assert_eq!(files, ["throughput.svg", "api-scale.svg", "stream.svg"]);
        assert!(
            plots[0].svg.contains("tesim send --load"),
            "{}",
            plots[0].svg
        );
        assert!(plots[0].svg.contains("Prism 5.14.2"));
        assert!(plots[1].svg.contains("goal: 5 s"));
        assert!(plots[2].svg.contains("goal: 100 MB"));
        for plot in &plots {
            assert!(plot.svg.starts_with("<svg"), "{}", plot.file);
        }
        assert_eq!(
            image(&plots, "stream.svg").as_deref(),
            Some(
                "\n![tesim send --dry-run over 10k, 100k and 1M alerts: events per second and peak memory](plots/stream.svg)\n"
            )
        );
        assert_eq!(image(&plots, "absent.svg"), None);
    }

    #[test]
    fn the_stream_goal_is_ten_times_the_reference_in_the_same_run() {
        let row = |alerts, events, wall_s| StreamRow {
            alerts,
            events,
            wall_s,
            first_line_ms: 1.0,
            peak_rss_mb: Some(10.0),
        };
        let mut results = Results {
            stream: vec![row(10_000, 20_000, 0.1), row(100_000, 200_000, 0.5)],
            ..Results::default()
        };
        let issue = super::super::stream::BEFORE_EVENTS_PER_S * 10.0;
        assert!((stream_goal(&results) - issue).abs() < 1e-6);
        // The reference ran 10k and a size this build did not: the goal uses 10k.
        results.stream_before = vec![row(10_000, 20_000, 2.0), row(1_000_000, 1, 1.0)];
        assert!((stream_goal(&results) - 100_000.0).abs() < 1e-6);
        // Both ran 100k too: the largest common size wins.
        results.stream_before.push(row(100_000, 200_000, 40.0));
        assert!((stream_goal(&results) - 50_000.0).abs() < 1e-6);
        assert!(stream(&results).contains("before streaming"));
    }

    #[test]
    fn failed_and_missing_figures_do_not_break_a_plot() {
        let results = Results {
            sender: vec![
                load_row("tesim send --load", &[], &[]),
                load_row("wrk", &[1.0], &[]),
            ],
            api_scale: vec![ScaleRow {
                alerts: 10_000,
                status: Status::Ok,
                startup_s: None,
                peak_rss_mb: None,
                page_ms: Series::default(),
                late_page_ms: Series::default(),
                by_id_ms: Series::default(),
            }],
            ..Results::default()
        };
        let plots = plots(&results);
        assert_eq!(plots.len(), 2);
    }
}
