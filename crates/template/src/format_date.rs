//! `formatDate`: ThousandEyes' date helper (reference §6.4 names it; its arguments are not
//! documented anywhere we could find, so this is tesim's guess, stated in
//! docs/custom-webhooks.md): `{{formatDate alert.firstSeen.epochMilli "yyyy-MM-dd HH:mm"}}`.
//!
//! - The date: an instant object (`alert.firstSeen`), epoch milliseconds or epoch seconds (a
//!   number below 10^11 is read as seconds), as a number or as decimal text.
//! - The pattern: Java `DateTimeFormatter` letters, since ThousandEyes' templates run on a JVM
//!   (guess): `yyyy yy MMMM MMM MM M dd d HH H hh h mm m ss s SSS a EEEE EEE z Z X`, text in
//!   single quotes, `''` for a quote. Other characters are copied. Without a pattern, ISO 8601
//!   (`2024-05-02T10:15:20Z`).
//! - The zone: UTC, the zone of tesim's simulated accounts.

use serde_json::Value;

/// The epoch milliseconds a `formatDate` argument stands for.
pub(crate) fn epoch_millis(value: &Value) -> Option<i64> {
    let number = match value {
        Value::Object(object) => {
            if let Some(millis) = object.get("epochMilli").and_then(Value::as_i64) {
                return Some(millis);
            }
            return object
                .get("epochSecond")
                .and_then(Value::as_i64)?
                .checked_mul(1000);
        }
        Value::Number(number) => number.as_i64()?,
        Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    if number.unsigned_abs() < 100_000_000_000 {
        number.checked_mul(1000)
    } else {
        Some(number)
    }
}

/// `millis` since the epoch, in UTC, written with a Java-style `pattern`.
pub(crate) fn format(millis: i64, pattern: Option<&str>) -> String {
    let pattern = pattern.unwrap_or("yyyy-MM-dd'T'HH:mm:ss'Z'");
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    // 1970-01-01 was a Thursday.
    let weekday = (days + 3).rem_euclid(7) as usize;
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let month_name = MONTHS[(month - 1) as usize];
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut index = 0;
    while index < chars.len() {
        let letter = chars[index];
        let mut run = 1;
        while index + run < chars.len() && chars[index + run] == letter {
            run += 1;
        }
        if letter == '\'' {
            // `''` is a quote; `'text'` is literal text.
            if run >= 2 {
                out.push('\'');
                index += 2;
                continue;
            }
            // Quoted text runs to the next lone quote; `''` inside it is a quote too.
            index += 1;
            while index < chars.len() {
                if chars[index] == '\'' {
                    if chars.get(index + 1) == Some(&'\'') {
                        out.push('\'');
                        index += 2;
                        continue;
                    }
                    index += 1;
                    break;
                }
                out.push(chars[index]);
                index += 1;
            }
            continue;
        }
        let pad = |value: i64, width: usize| format!("{value:0width$}");
        let text = match letter {
            'y' | 'u' if run == 2 => pad(year.rem_euclid(100), 2),
            'y' | 'u' => pad(year, run),
            'M' | 'L' if run >= 4 => month_name.to_owned(),
            'M' | 'L' if run == 3 => month_name[..3].to_owned(),
            'M' | 'L' => pad(month, run),
            'd' => pad(day, run),
            'H' => pad(hour, run),
            'h' => pad((hour + 11) % 12 + 1, run),
            'm' => pad(minute, run),
            's' => pad(second, run),
            'S' => {
                let digits = format!("{milli:03}000000");
                digits[..run.min(9)].to_owned()
            }
            'a' => (if hour < 12 { "AM" } else { "PM" }).to_owned(),
            'E' if run >= 4 => DAYS[weekday].to_owned(),
            'E' => DAYS[weekday][..3].to_owned(),
            'z' | 'V' => "UTC".to_owned(),
            'Z' | 'x' => "+0000".to_owned(),
            'X' => "Z".to_owned(),
            other => std::iter::repeat_n(other, run).collect(),
        };
        out.push_str(&text);
        index += run;
    }
    out
}

/// Year, month (1-12) and day of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_java_patterns_in_utc() {
        // 2024-05-02 10:15:20.123 UTC, a Thursday.
        let millis = 1_714_644_920_123;
        assert_eq!(format(millis, None), "2024-05-02T10:15:20Z");
        assert_eq!(
            format(millis, Some("yyyy-MM-dd HH:mm:ss.SSS z")),
            "2024-05-02 10:15:20.123 UTC"
        );
        assert_eq!(
            format(millis, Some("EEE, d MMM yy h:mm a 'o''clock' Z")),
            "Thu, 2 May 24 10:15 AM o'clock +0000"
        );
        assert_eq!(format(millis, Some("EEEE MMMM")), "Thursday May");
        assert_eq!(format(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(format(-1, None), "1969-12-31T23:59:59Z");
        assert_eq!(format(951_782_400_000, Some("yyyy-MM-dd")), "2000-02-29");
    }

    #[test]
    fn reads_instants_milliseconds_seconds_and_text() {
        assert_eq!(
            epoch_millis(&json!({"epochSecond": 5, "epochMilli": 5000})),
            Some(5000)
        );
        assert_eq!(epoch_millis(&json!(1_714_644_920)), Some(1_714_644_920_000));
        assert_eq!(
            epoch_millis(&json!(1_714_644_920_123_i64)),
            Some(1_714_644_920_123)
        );
        assert_eq!(epoch_millis(&json!("1714644920")), Some(1_714_644_920_000));
        assert_eq!(epoch_millis(&json!(null)), None);
        assert_eq!(epoch_millis(&json!(i64::MAX / 10)), Some(i64::MAX / 10));
    }
}
