//! Histograms in reports: base64 of HdrHistogram's V2 compressed serialization (the encoding
//! of the standard `.hlog` files), so shards' reports merge without losing a count.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};

/// A report's histogram that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the report's latency histogram is not valid ({0}); was it written by `tesim send --load --json`?"
)]
pub struct HistogramError(String);

/// Microseconds, 1 µs to 1 h, 3 significant digits: the bounds of every load histogram.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Base64 of the V2 compressed serialization.
pub fn encode(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(histogram, &mut bytes)
        .expect("serializing into memory cannot fail");
    STANDARD.encode(bytes)
}

/// The histogram [`encode`] wrote.
pub fn decode(text: &str) -> Result<Histogram<u64>, HistogramError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|err| HistogramError(err.to_string()))?;
    let decoded: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|err| HistogramError(format!("{err:?}")))?;
    // Into the standard bounds, so that merged histograms have one shape.
    let mut histogram = new_histogram();
    histogram
        .add(&decoded)
        .map_err(|err| HistogramError(format!("{err:?}")))?;
    Ok(histogram)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_count() {
        let mut histogram = new_histogram();
        for value in [1, 2, 3, 999, 1_000, 123_456, 3_000_000_000] {
            histogram.record_n(value, value % 7 + 1).unwrap();
        }
        let decoded = decode(&encode(&histogram)).unwrap();
        assert_eq!(decoded, histogram);
        assert!(decode("not base64!").is_err());
        assert!(decode("AAAA").is_err());
    }
}
