//! Offsets and durations in scenario files: `+90s`, `1m30s`, `2h`, `500ms`, `1.5s`.

use std::time::Duration;

use tesim_model::duration::{DurationError, MAX_DURATION, parse_duration};

/// Parses an offset or a duration in tesim's one duration grammar
/// ([`tesim_model::duration`]: `+90s`, `1m30s`, `1.5s`, `500ms`, `0`), with messages in
/// scenario words.
pub fn parse(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|err| match err {
        DurationError::Negative(_) => format!(
            "negative offset `{text}`: steps happen at or after the scenario start; use e.g. `+90s`"
        ),
        DurationError::TooLong(_) => {
            format!("duration `{text}` is too long; scenarios last at most 365 days")
        }
        other => other.to_string(),
    })
}

/// The longest a scenario may last, from its start to its last step.
pub const MAX: Duration = MAX_DURATION;

/// Writes a duration the way scenario files do (`+1m30s`), for messages.
pub fn display(duration: Duration) -> String {
    let mut ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "+0s".to_owned();
    }
    let mut text = String::from("+");
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= size {
            text.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, expected_ms: Option<u64>) {
        assert_eq!(
            parse(text).ok().map(|d| d.as_millis() as u64),
            expected_ms,
            "{text}"
        );
    }

    #[test]
    fn offsets() {
        check("+90s", Some(90_000));
        check("90s", Some(90_000));
        check("+1m30s", Some(90_000));
        check("+2h", Some(7_200_000));
        check("+500ms", Some(500));
        check("0", Some(0));
        check("+0s", Some(0));
        check("-5s", None);
        check("+", None);
        check("5", Some(5_000));
        check("+1.5s", Some(1_500));
        check("5x", None);
        check("s", None);
        check("+99999999999999999999s", None);
        check("+400d", None);
        check("+99999999999999999999d", None);
    }

    #[test]
    fn overflow_is_too_long() {
        assert_eq!(
            parse("99999999999999999999d").unwrap_err(),
            "duration `99999999999999999999d` is too long; scenarios last at most 365 days"
        );
    }

    #[test]
    fn negative_offset_message_says_what_to_do() {
        assert!(
            parse("-5s")
                .unwrap_err()
                .contains("at or after the scenario start")
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(ms in 0u64..=MAX.as_millis() as u64) {
            let duration = Duration::from_millis(ms);
            prop_assert_eq!(parse(&display(duration)).unwrap(), duration);
        }

        #[test]
        fn never_panics(text in ".{0,30}") {
            let _ = parse(&text);
        }
    }
}
