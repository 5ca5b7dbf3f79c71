//! HdrHistogram interval logs (`.hlog`): one histogram per interval of a load run, in the
//! format the standard HdrHistogram tools read (`HistogramLogProcessor`, HdrHistogram's plotter).

use std::io;
use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;

use super::codec;
use crate::load::LoadReport;

/// Writes the intervals of `report` as an interval log: StartTime and BaseTime at the run's
/// start, interval timestamps in seconds from it, values in microseconds (max column in ms).
pub fn write_interval_log(report: &LoadReport, out: &mut impl io::Write) -> io::Result<()> {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(report.started_unix_s.max(0.0));
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .add_comment("tesim send --load: latency of each event, microseconds")
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0)
        .begin_log_with(out, &mut serializer)?;
    writer.write_comment(
        "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"",
    )?;
    for interval in &report.intervals {
        let histogram = codec::decode(&interval.histogram)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        writer
            .write_histogram(
                &histogram,
                Duration::from_secs_f64(interval.start_s.max(0.0)),
                Duration::from_secs_f64(interval.duration_s.max(0.0)),
                None,
            )
            .map_err(|err| io::Error::other(err.to_string()))?;
    }
    Ok(())
}
