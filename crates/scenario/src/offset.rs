//! Offsets and durations in scenario files: `+90s`, `1m30s`, `2h`, `500ms`.

use std::time::Duration;

/// Parses `[+]<n><unit>...` with units `ms`, `s`, `m`, `h`, `d`; a bare `0` is zero.
pub fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!(
            "negative offset `{text}`: steps happen at or after the scenario start; use e.g. `+90s`"
        ));
    }
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    let expected = || {
        format!(
            "invalid duration `{text}`: expected a number and a unit (ms, s, m, h, d), e.g. `+90s` or `+1m30s`"
        )
    };
    if body.is_empty() {
        return Err(expected());
    }
    let mut total_ms: u64 = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(expected());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| expected())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit_ms: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(expected()),
        };
        rest = &rest[unit_len..];
        total_ms = number
            .checked_mul(unit_ms)
            .and_then(|part| total_ms.checked_add(part))
            .filter(|total| *total <= MAX_MS)
            .ok_or_else(|| {
                format!("duration `{text}` is too long; scenarios last at most 365 days")
            })?;
    }
    Ok(Duration::from_millis(total_ms))
}

const MAX_MS: u64 = 365 * 86_400_000;

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
        check("5", None);
        check("5x", None);
        check("s", None);
        check("+99999999999999999999s", None);
        check("+400d", None);
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
        fn display_round_trips(ms in 0u64..MAX_MS) {
            let duration = Duration::from_millis(ms);
            prop_assert_eq!(parse(&display(duration)).unwrap(), duration);
        }

        #[test]
        fn never_panics(text in ".{0,30}") {
            let _ = parse(&text);
        }
    }
}
