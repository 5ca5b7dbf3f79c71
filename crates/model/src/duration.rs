//! One grammar for every duration tesim reads, on the command line and in scenario files.
//!
//! A duration is one or more `<number><unit>` parts, added up: `90s`, `1m30s`, `500ms`,
//! `1.5s`, `2h`, `1d`. Units are `ms`, `s`, `m`, `h` and `d`; numbers may have a fraction
//! (`0.25s`). A bare number is seconds (`10`), so `0` is zero. A leading `+` is allowed, as
//! scenario offsets write it (`+90s`). Nothing may exceed [`MAX_DURATION`]: a longer value is
//! "too long", never silently clamped or wrapped.

use std::time::Duration;

/// The longest duration accepted anywhere: a scenario lasts at most this long, and no flag
/// needs more.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Fraction digits beyond this are read but cannot change a nanosecond count.
const MAX_FRACTION_DIGITS: usize = 12;

/// Why a text is not a duration. Each variant keeps the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing (or only a `+`) was given.
    #[error("empty duration; write e.g. `90s`, `1.5s`, `500ms` or `1m30s`")]
    Empty,
    /// A leading `-`.
    #[error("negative duration `{0}`; durations count forward, e.g. `90s`")]
    Negative(String),
    /// Not numbers with units.
    #[error(
        "invalid duration `{0}`: expected numbers with units (ms, s, m, h, d), e.g. `90s`, `1.5s` or `1m30s`"
    )]
    Invalid(String),
    /// More than [`MAX_DURATION`], however many digits.
    #[error("duration `{0}` is too long; at most 365 days")]
    TooLong(String),
    /// Zero where zero makes no sense (see [`parse_nonzero_duration`]).
    #[error("duration `{0}` is zero; give a positive duration, e.g. `10s`")]
    Zero(String),
}

/// Parses a duration (see the module documentation); zero is allowed.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(DurationError::Negative(text.to_owned()));
    }
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if body.is_empty() {
        return Err(DurationError::Empty);
    }
    let max = MAX_DURATION.as_nanos();
    let too_long = || DurationError::TooLong(text.to_owned());
    // A bare number is seconds: `--timeout 10`, `0`.
    if body
        .bytes()
        .all(|byte| byte.is_ascii_digit() || byte == b'.')
    {
        let nanos = number_nanos(text, body, NANOS_PER_SECOND)?;
        return if nanos > max {
            Err(too_long())
        } else {
            Ok(from_nanos(nanos))
        };
    }
    let mut total: u128 = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let number_len = rest
            .bytes()
            .take_while(|byte| byte.is_ascii_digit() || *byte == b'.')
            .count();
        let (number, after) = rest.split_at(number_len);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let unit_nanos = unit_nanos(unit).ok_or_else(|| DurationError::Invalid(text.to_owned()))?;
        let part = number_nanos(text, number, unit_nanos)?;
        total = total
            .checked_add(part)
            .filter(|total| *total <= max)
            .ok_or_else(too_long)?;
        rest = after;
    }
    Ok(from_nanos(total))
}

/// Parses a duration that must be more than zero: a timeout, an interval, a run length.
pub fn parse_nonzero_duration(text: &str) -> Result<Duration, DurationError> {
    match parse_duration(text)? {
        Duration::ZERO => Err(DurationError::Zero(text.to_owned())),
        duration => Ok(duration),
    }
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ms" => NANOS_PER_SECOND / 1000,
        "s" => NANOS_PER_SECOND,
        "m" => 60 * NANOS_PER_SECOND,
        "h" => 3_600 * NANOS_PER_SECOND,
        "d" => 86_400 * NANOS_PER_SECOND,
        _ => return None,
    })
}

/// `number` (`12` or `1.25`) times `unit_nanos`, exactly, truncated to whole nanoseconds.
fn number_nanos(text: &str, number: &str, unit_nanos: u128) -> Result<u128, DurationError> {
    let invalid = || DurationError::Invalid(text.to_owned());
    let too_long = || DurationError::TooLong(text.to_owned());
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty()
        || !digits_only(whole)
        || !digits_only(fraction)
        || (number.contains('.') && fraction.is_empty())
    {
        return Err(invalid());
    }
    let mut whole_value: u128 = 0;
    for digit in whole.bytes() {
        whole_value = whole_value
            .checked_mul(10)
            .and_then(|value| value.checked_add(u128::from(digit - b'0')))
            .ok_or_else(too_long)?;
    }
    let fraction = &fraction[..fraction.len().min(MAX_FRACTION_DIGITS)];
    let mut fraction_value: u128 = 0;
    for digit in fraction.bytes() {
        fraction_value = fraction_value * 10 + u128::from(digit - b'0');
    }
    let scale = 10u128.pow(fraction.len() as u32);
    whole_value
        .checked_mul(unit_nanos)
        .and_then(|nanos| nanos.checked_add(fraction_value * unit_nanos / scale))
        .ok_or_else(too_long)
}

fn from_nanos(nanos: u128) -> Duration {
    // Callers have checked `nanos <= MAX_DURATION`, so the seconds fit a u64.
    let seconds = u64::try_from(nanos / NANOS_PER_SECOND).unwrap_or(u64::MAX);
    Duration::new(seconds, (nanos % NANOS_PER_SECOND) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, expected: Result<Duration, DurationError>) {
        assert_eq!(parse_duration(text), expected, "{text}");
    }

    fn ms(ms: u64) -> Result<Duration, DurationError> {
        Ok(Duration::from_millis(ms))
    }

    #[test]
    fn accepted() {
        check("90s", ms(90_000));
        check("+90s", ms(90_000));
        check(" 1m30s ", ms(90_000));
        check("500ms", ms(500));
        check("1.5s", ms(1_500));
        check("0.25m", ms(15_000));
        check("2h", ms(7_200_000));
        check("1d", ms(86_400_000));
        check("10", ms(10_000));
        check("2.5", ms(2_500));
        check("0", ms(0));
        check("+0s", ms(0));
        check("365d", Ok(MAX_DURATION));
        check("0.000000001s", Ok(Duration::from_nanos(1)));
        check("1.0000000000000000000009s", ms(1_000));
    }

    #[test]
    fn refused() {
        let invalid = |text: &str| Err(DurationError::Invalid(text.to_owned()));
        check("", Err(DurationError::Empty));
        check("+", Err(DurationError::Empty));
        check("-5s", Err(DurationError::Negative("-5s".to_owned())));
        for text in [
            "s", "5x", "1.s", ".5s", "1..5s", "1.2.3s", "1 s", "5sms", "1e3s",
        ] {
            check(text, invalid(text));
        }
    }

    #[test]
    fn too_long_is_said_so() {
        for text in [
            "99999999999999999999d",
            "999999999999999999999999999999999999999999999999s",
            "366d",
            "365d1ms",
            "31536001",
        ] {
            check(text, Err(DurationError::TooLong(text.to_owned())));
        }
        assert_eq!(
            parse_duration("99999999999999999999d")
                .unwrap_err()
                .to_string(),
            "duration `99999999999999999999d` is too long; at most 365 days"
        );
    }

    #[test]
    fn nonzero_refuses_zero_only() {
        for text in ["0", "0s", "+0ms", "0.0s"] {
            assert_eq!(
                parse_nonzero_duration(text),
                Err(DurationError::Zero(text.to_owned()))
            );
        }
        assert_eq!(parse_nonzero_duration("1ms"), ms(1));
        assert!(parse_nonzero_duration("x").is_err());
    }

    proptest! {
        #[test]
        fn parts_add_up(d in 0u64..365, h in 0u64..24, m in 0u64..60, s in 0u64..60, milli in 0u64..1000) {
            let text = format!("{d}d{h}h{m}m{s}s{milli}ms");
            let expected = Duration::from_millis((((d * 24 + h) * 60 + m) * 60 + s) * 1000 + milli);
            prop_assert_eq!(parse_duration(&text), Ok(expected));
        }

        #[test]
        fn fractions_are_exact(whole in 0u64..100_000, milli in 0u64..1000) {
            let text = format!("{whole}.{milli:03}s");
            prop_assert_eq!(parse_duration(&text), Ok(Duration::from_millis(whole * 1000 + milli)));
        }

        #[test]
        fn millis_round_trip(milli in 0u64..=MAX_DURATION.as_millis() as u64) {
            let duration = Duration::from_millis(milli);
            prop_assert_eq!(parse_duration(&format!("{}ms", duration.as_millis())), Ok(duration));
        }

        #[test]
        fn never_panics_and_never_exceeds_the_bound(text in "\\PC{0,40}") {
            if let Ok(duration) = parse_duration(&text) {
                prop_assert!(duration <= MAX_DURATION);
            }
        }

        #[test]
        fn never_panics_on_duration_like_text(text in "[+-]?[0-9.]{0,25}(ms|s|m|h|d|x)?([0-9.]{0,25}(ms|s|m|h|d))?") {
            if let Ok(duration) = parse_duration(&text) {
                prop_assert!(duration <= MAX_DURATION);
            }
        }
    }
}
