//! Thresholds (k6's pass/fail criteria): `p99<250ms`, `errors<0.1%`, `rate>=500/s`,
//! `dropped<10`, evaluated on a finished (or merged) load report.

use std::fmt;
use std::str::FromStr;

use hdrhistogram::Histogram;

use super::codec;
use crate::load::LoadReport;

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A latency percentile, 0 < p ≤ 100 (`p99.9`).
    Percentile(f64),
    /// Mean latency.
    Mean,
    /// Highest latency.
    Max,
    /// Failed events: a count, or a percentage of the events.
    Errors,
    /// Events per second achieved.
    Rate,
    /// Sends that could not start on time: a count, or a percentage of those scheduled.
    Dropped,
}

/// How the measure compares with the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The unit the limit is written in (and the measure is shown in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `us`
    Micros,
    /// `ms`
    Millis,
    /// `s`
    Seconds,
    /// `%`
    Percent,
    /// `/s`
    PerSecond,
    /// No unit: a count.
    Count,
}

/// One `--threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// What.
    pub metric: Metric,
    /// How it compares.
    pub op: Op,
    /// The limit, in `unit`.
    pub limit: f64,
    /// The limit's unit.
    pub unit: Unit,
}

/// A `--threshold` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// No comparison.
    #[error(
        "threshold `{0}` has no comparison; write METRIC<LIMIT such as p99<250ms, errors<0.1%, rate>=500/s or dropped<10"
    )]
    NoOp(String),
    /// Unknown metric.
    #[error(
        "threshold `{text}`: unknown metric `{metric}`; use p50, p90, p99, p99.9 (any pN), mean, max, errors, rate or dropped"
    )]
    Metric {
        /// The whole threshold.
        text: String,
        /// The metric as written.
        metric: String,
    },
    /// The limit is not a number with a unit this metric takes.
    #[error("threshold `{text}`: `{limit}` is not a limit for {metric}; write {expected}")]
    Limit {
        /// The whole threshold.
        text: String,
        /// The limit as written.
        limit: String,
        /// The metric.
        metric: String,
        /// What to write.
        expected: &'static str,
    },
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (at, op, op_len) = [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)]
            .into_iter()
            .find_map(|(symbol, op)| trimmed.find(symbol).map(|at| (at, op, symbol.len())))
            .ok_or_else(|| ThresholdError::NoOp(text.to_owned()))?;
        let (metric_text, limit_text) = (&trimmed[..at], &trimmed[at + op_len..]);
        let metric = parse_metric(metric_text).ok_or_else(|| ThresholdError::Metric {
            text: text.to_owned(),
            metric: metric_text.to_owned(),
        })?;
        let (limit, unit) =
            parse_limit(metric, limit_text).ok_or_else(|| ThresholdError::Limit {
                text: text.to_owned(),
                limit: limit_text.to_owned(),
                metric: metric_text.to_owned(),
                expected: match metric {
                    Metric::Percentile(_) | Metric::Mean | Metric::Max => {
                        "a latency such as 250ms, 1.5s or 800us"
                    }
                    Metric::Errors | Metric::Dropped => {
                        "a percentage such as 0.1% or a count such as 5"
                    }
                    Metric::Rate => "events per second such as 500/s",
                },
            })?;
        Ok(Threshold {
            metric,
            op,
            limit,
            unit,
        })
    }
}

fn parse_metric(text: &str) -> Option<Metric> {
    Some(match text {
        "mean" | "avg" => Metric::Mean,
        "max" => Metric::Max,
        "errors" => Metric::Errors,
        "rate" => Metric::Rate,
        "dropped" => Metric::Dropped,
        _ => {
            let percentile: f64 = text.strip_prefix('p')?.parse().ok()?;
            if !(percentile > 0.0 && percentile <= 100.0) {
                return None;
            }
            Metric::Percentile(percentile)
        }
    })
}

fn parse_limit(metric: Metric, text: &str) -> Option<(f64, Unit)> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '+'))
        .unwrap_or(text.len());
    // `1e3ms` and `5` alike; a trailing `e` of a unit never follows digits here.
    let (number, unit) = text.split_at(split);
    let limit: f64 = number.parse().ok()?;
    if !limit.is_finite() || limit < 0.0 {
        return None;
    }
    let unit = match (metric, unit) {
        (Metric::Percentile(_) | Metric::Mean | Metric::Max, "us" | "µs") => Unit::Micros,
        (Metric::Percentile(_) | Metric::Mean | Metric::Max, "ms") => Unit::Millis,
        (Metric::Percentile(_) | Metric::Mean | Metric::Max, "s") => Unit::Seconds,
        (Metric::Errors | Metric::Dropped, "%") if limit <= 100.0 => Unit::Percent,
        (Metric::Errors | Metric::Dropped, "") if limit.fract() == 0.0 => Unit::Count,
        (Metric::Rate, "/s") => Unit::PerSecond,
        _ => return None,
    };
    Some((limit, unit))
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Percentile(percentile) => write!(f, "p{percentile}"),
            Metric::Mean => f.write_str("mean"),
            Metric::Max => f.write_str("max"),
            Metric::Errors => f.write_str("errors"),
            Metric::Rate => f.write_str("rate"),
            Metric::Dropped => f.write_str("dropped"),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        })
    }
}

impl Unit {
    fn suffix(self) -> &'static str {
        match self {
            Unit::Micros => "us",
            Unit::Millis => "ms",
            Unit::Seconds => "s",
            Unit::Percent => "%",
            Unit::PerSecond => "/s",
            Unit::Count => "",
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}{}",
            self.metric,
            self.op,
            self.limit,
            self.unit.suffix()
        )
    }
}

/// What one threshold found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// The threshold as written back (`p99<250ms`).
    pub threshold: String,
    /// The measure, in the limit's unit.
    pub measured: f64,
    /// The measure with its unit (`312.417ms`).
    pub measured_text: String,
    /// Whether the measure is within the limit.
    pub passed: bool,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "threshold {} {}: measured {}",
            self.threshold,
            if self.passed { "passed" } else { "FAILED" },
            self.measured_text
        )
    }
}

impl Threshold {
    /// The measure this threshold compares, in its unit, from the report's counts and its
    /// full latency histogram (percentiles read from `histogram`, not the rounded summary).
    pub fn measure(&self, report: &LoadReport, histogram: &Histogram<u64>) -> f64 {
        let latency_us = match self.metric {
            Metric::Percentile(percentile) => {
                Some(histogram.value_at_quantile(percentile / 100.0) as f64)
            }
            Metric::Mean => Some(histogram.mean()),
            Metric::Max => Some(histogram.max() as f64),
            _ => None,
        };
        if let Some(micros) = latency_us {
            let micros = if histogram.is_empty() { 0.0 } else { micros };
            return match self.unit {
                Unit::Seconds => micros / 1e6,
                Unit::Millis => micros / 1e3,
                _ => micros,
            };
        }
        let (count, out_of) = match self.metric {
            Metric::Errors => (report.failed, report.events),
            Metric::Dropped => (report.dropped, report.events + report.dropped),
            _ => return report.achieved_rate,
        };
        match self.unit {
            Unit::Percent if out_of == 0 => 0.0,
            Unit::Percent => count as f64 * 100.0 / out_of as f64,
            _ => count as f64,
        }
    }

    /// Whether `measured` is within the limit.
    pub fn passes(&self, measured: f64) -> bool {
        match self.op {
            Op::Lt => measured < self.limit,
            Op::Le => measured <= self.limit,
            Op::Gt => measured > self.limit,
            Op::Ge => measured >= self.limit,
        }
    }

    /// Measures and judges.
    pub fn verdict(&self, report: &LoadReport, histogram: &Histogram<u64>) -> Verdict {
        let measured = self.measure(report, histogram);
        let measured_text = match self.unit {
            Unit::Count => format!("{measured}"),
            Unit::Percent => format!("{measured:.3}%"),
            Unit::PerSecond => format!("{measured:.1}/s"),
            Unit::Seconds => format!("{measured:.6}s"),
            unit => format!("{measured:.3}{}", unit.suffix()),
        };
        Verdict {
            threshold: self.to_string(),
            measured,
            measured_text,
            passed: self.passes(measured),
        }
    }
}

/// Every threshold's verdict on `report` (whose `histogram` field holds its latencies).
pub fn evaluate(
    thresholds: &[Threshold],
    report: &LoadReport,
) -> Result<Vec<Verdict>, codec::HistogramError> {
    let histogram = codec::decode(&report.histogram)?;
    Ok(thresholds
        .iter()
        .map(|threshold| threshold.verdict(report, &histogram))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(histogram: &Histogram<u64>, events: u64, failed: u64, dropped: u64) -> LoadReport {
        let mut report = LoadReport::empty();
        report.events = events;
        report.failed = failed;
        report.delivered = events - failed;
        report.dropped = dropped;
        report.achieved_rate = events as f64 / 10.0;
        report.histogram = codec::encode(histogram);
        report
    }

    /// 1000 latencies: 1 ms … 1000 ms.
    fn synthetic() -> Histogram<u64> {
        let mut histogram = codec::new_histogram();
        for ms in 1..=1000u64 {
            histogram.record(ms * 1000).unwrap();
        }
        histogram
    }

    fn check(threshold: &str, events: u64, failed: u64, dropped: u64, expected: (bool, &str)) {
        let histogram = synthetic();
        let report = report(&histogram, events, failed, dropped);
        let threshold: Threshold = threshold.parse().unwrap();
        let verdict = &evaluate(&[threshold], &report).unwrap()[0];
        assert_eq!(
            (verdict.passed, verdict.measured_text.as_str()),
            expected,
            "{threshold}"
        );
    }

    #[test]
    fn latency_thresholds_read_the_histogram() {
        // The histogram keeps 3 significant digits: 990 ms reads back as 990.207 ms at most.
        check("p99<991ms", 1000, 0, 0, (true, "990.207ms"));
        check("p99<990ms", 1000, 0, 0, (false, "990.207ms"));
        check("p50<=0.5s", 1000, 0, 0, (false, "0.500223s"));
        check("p50<=501ms", 1000, 0, 0, (true, "500.223ms"));
        check("max<1s", 1000, 0, 0, (false, "1.000447s"));
        check("mean<600ms", 1000, 0, 0, (true, "500.505ms"));
        check("p99.9<1000000us", 1000, 0, 0, (false, "1000447.000us"));
    }

    #[test]
    fn count_thresholds_read_the_counts() {
        check("errors<0.1%", 1000, 1, 0, (false, "0.100%"));
        check("errors<=0.1%", 1000, 1, 0, (true, "0.100%"));
        check("errors<1", 1000, 0, 0, (true, "0"));
        check("dropped<10", 1000, 0, 10, (false, "10"));
        check("dropped<1%", 990, 0, 10, (false, "1.000%"));
        check("rate>=100/s", 1000, 0, 0, (true, "100.0/s"));
        check("rate>100/s", 1000, 0, 0, (false, "100.0/s"));
    }

    #[test]
    fn a_failed_threshold_says_measured_and_limit() {
        let histogram = synthetic();
        let verdict = "p99<250ms"
            .parse::<Threshold>()
            .unwrap()
            .verdict(&report(&histogram, 1000, 0, 0), &histogram);
        assert_eq!(
            verdict.to_string(),
            "threshold p99<250ms FAILED: measured 990.207ms"
        );
    }

    #[test]
    fn bad_thresholds_say_what_to_write() {
        for (text, expected) in [
            ("p99 250ms", "no comparison"),
            ("p101<1s", "unknown metric"),
            ("latency<1s", "unknown metric"),
            ("p99<250", "250ms"),
            ("errors<0.5", "0.1%"),
            ("errors<200%", "0.1%"),
            ("rate>500", "500/s"),
            ("p99<-1ms", "250ms"),
        ] {
            let err = text.parse::<Threshold>().unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
        assert_eq!(
            " p99 < 250ms ".parse::<Threshold>().unwrap().to_string(),
            "p99<250ms"
        );
    }

    fn threshold() -> impl Strategy<Value = Threshold> {
        let op = prop_oneof![Just(Op::Lt), Just(Op::Le), Just(Op::Gt), Just(Op::Ge)];
        let latency = (
            prop_oneof![
                (1u32..=1000).prop_map(|tenths| Metric::Percentile(f64::from(tenths) / 10.0)),
                Just(Metric::Mean),
                Just(Metric::Max),
            ],
            prop_oneof![Just(Unit::Micros), Just(Unit::Millis), Just(Unit::Seconds)],
            0.0f64..1e6,
        );
        let count = (
            prop_oneof![Just(Metric::Errors), Just(Metric::Dropped)],
            prop_oneof![Just(Unit::Percent), Just(Unit::Count)],
            0u32..100,
        )
            .prop_map(|(metric, unit, limit)| (metric, unit, f64::from(limit)));
        let rate = (Just(Metric::Rate), Just(Unit::PerSecond), 0.0f64..1e6);
        (prop_oneof![latency, count, rate], op).prop_map(|((metric, unit, limit), op)| Threshold {
            metric,
            op,
            limit,
            unit,
        })
    }

    proptest! {
        #[test]
        fn display_parses_back(threshold in threshold()) {
            prop_assert_eq!(threshold.to_string().parse::<Threshold>(), Ok(threshold));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,30}") {
            let _ = text.parse::<Threshold>();
        }
    }
}
