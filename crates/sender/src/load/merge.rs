//! Merging the reports of a sharded run into the report of the one run: counts add up, the
//! latency histograms add losslessly (so percentiles are those of every recorded value), and
//! the k-th interval of each shard adds into the k-th interval of the whole.

use super::codec::{self, HistogramError};
use crate::load::{LatencySummary, LoadInterval, LoadReport};

/// Reports that cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no reports to merge; give the JSON reports of `tesim send --load --json`")]
    Empty,
    /// A histogram does not decode.
    #[error("report {index}: {source}")]
    Histogram {
        /// 1-based, in the order given.
        index: usize,
        /// Why.
        #[source]
        source: HistogramError,
    },
}

/// One report of `reports` run together: the shards' events, failures and drops added, the
/// longest elapsed time, the rate of all events over it, every latency in one histogram.
pub fn merge(reports: &[LoadReport]) -> Result<LoadReport, MergeError> {
    let first = reports.first().ok_or(MergeError::Empty)?;
    let mut merged = LoadReport::empty();
    let mut histogram = codec::new_histogram();
    let mut intervals: Vec<(LoadInterval, hdrhistogram::Histogram<u64>)> = Vec::new();
    merged.started_unix_s = first.started_unix_s;
    merged.stages = first.stages.clone();
    merged.target_rate = first.target_rate;
    for (index, report) in reports.iter().enumerate() {
        let decode = |text: &str| {
            codec::decode(text).map_err(|source| MergeError::Histogram {
                index: index + 1,
                source,
            })
        };
        histogram
            .add(&decode(&report.histogram)?)
            .expect("same bounds");
        merged.events += report.events;
        merged.delivered += report.delivered;
        merged.failed += report.failed;
        merged.dropped += report.dropped;
        merged.concurrency += report.concurrency;
        merged.elapsed_s = merged.elapsed_s.max(report.elapsed_s);
        merged.coordinated_omission_corrected |= report.coordinated_omission_corrected;
        merged.cancelled |= report.cancelled;
        if report.started_unix_s > 0.0 {
            merged.started_unix_s = if merged.started_unix_s > 0.0 {
                merged.started_unix_s.min(report.started_unix_s)
            } else {
                report.started_unix_s
            };
        }
        for (kind, count) in &report.errors {
            *merged.errors.entry(kind.clone()).or_insert(0) += count;
        }
        for (kind, message) in &report.first_errors {
            merged
                .first_errors
                .entry(kind.clone())
                .or_insert_with(|| message.clone());
        }
        for (position, interval) in report.intervals.iter().enumerate() {
            let interval_histogram = decode(&interval.histogram)?;
            match intervals.get_mut(position) {
                Some((into, into_histogram)) => {
                    into.events += interval.events;
                    into.failed += interval.failed;
                    into.duration_s = into.duration_s.max(interval.duration_s);
                    into_histogram
                        .add(&interval_histogram)
                        .expect("same bounds");
                }
                None => intervals.push((interval.clone(), interval_histogram)),
            }
        }
    }
    merged.achieved_rate = if merged.elapsed_s > 0.0 {
        merged.events as f64 / merged.elapsed_s
    } else {
        0.0
    };
    merged.latency = LatencySummary::of(&histogram);
    merged.histogram = codec::encode(&histogram);
    merged.shard = Some(format!("merged from {} reports", reports.len()));
    merged.intervals = intervals
        .into_iter()
        .map(|(mut interval, histogram)| {
            interval.latency = LatencySummary::of(&histogram);
            interval.histogram = codec::encode(&histogram);
            interval
        })
        .collect();
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report_of(values: &[u64]) -> LoadReport {
        let mut histogram = codec::new_histogram();
        for value in values {
            histogram.record(*value).unwrap();
        }
        let mut report = LoadReport::empty();
        report.events = values.len() as u64;
        report.delivered = report.events;
        report.elapsed_s = 1.0;
        report.latency = LatencySummary::of(&histogram);
        report.histogram = codec::encode(&histogram);
        report.intervals = vec![LoadInterval {
            start_s: 0.0,
            duration_s: 1.0,
            events: report.events,
            failed: 0,
            latency: report.latency.clone(),
            histogram: report.histogram.clone(),
        }];
        report
    }

    proptest! {
        /// The precise property: the merged histogram is the histogram of every value the
        /// shards recorded, whatever the split.
        #[test]
        fn merging_shards_equals_recording_everything(
            values in proptest::collection::vec(1u64..3_600_000_000, 0..300),
            n_shards in 1usize..5,
        ) {
            let shards: Vec<LoadReport> = (0..n_shards)
                .map(|shard| {
                    let mine: Vec<u64> = values
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| k % n_shards == shard)
                        .map(|(_, value)| *value)
                        .collect();
                    report_of(&mine)
                })
                .collect();
            let merged = merge(&shards).unwrap();
            let whole = report_of(&values);
            prop_assert_eq!(
                codec::decode(&merged.histogram).unwrap(),
                codec::decode(&whole.histogram).unwrap()
            );
            prop_assert_eq!(&merged.latency, &whole.latency);
            prop_assert_eq!(merged.events, values.len() as u64);
            prop_assert_eq!(&merged.intervals[0].latency, &whole.latency);
        }
    }

    #[test]
    fn errors_and_drops_add_up() {
        let mut one = report_of(&[1000]);
        one.failed = 1;
        one.delivered = 0;
        one.errors.insert("timeout".into(), 1);
        one.first_errors.insert("timeout".into(), "first".into());
        one.dropped = 2;
        let mut two = report_of(&[2000, 3000]);
        two.errors.insert("timeout".into(), 4);
        two.first_errors.insert("timeout".into(), "second".into());
        two.elapsed_s = 2.0;
        let merged = merge(&[one, two]).unwrap();
        assert_eq!((merged.events, merged.failed, merged.dropped), (3, 1, 2));
        assert_eq!(merged.errors["timeout"], 5);
        assert_eq!(merged.first_errors["timeout"], "first");
        assert!((merged.achieved_rate - 1.5).abs() < 1e-9);
        assert_eq!(merge(&[]).unwrap_err(), MergeError::Empty);
        let mut broken = report_of(&[1]);
        broken.histogram = "!".into();
        assert!(
            merge(&[broken])
                .unwrap_err()
                .to_string()
                .starts_with("report 1: ")
        );
    }
}
