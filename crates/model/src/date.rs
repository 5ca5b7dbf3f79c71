//! ThousandEyes' date formats.
//!
//! Classic webhooks write `YYYY-MM-DD hh:mm:ss` with no `T` and no zone, in the account's time
//! zone (reference §6.1); the v6 API writes the same form in UTC (§3.2). The `*Zoned` variants
//! add the account zone's abbreviation, KB-era agent notifications use epoch seconds, and v7
//! uses ISO 8601 with `Z`. [`TeDate`] is the one instant type; the wire formats are views of it
//! (through an [`AccountZone`] for the webhook's wall-clock forms), so a value can never be
//! half-valid and webhook and API always agree on the instant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::PrimitiveDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// The format ThousandEyes documents, spelled as its docs spell it.
pub const TE_DATE_FORMAT: &str = "YYYY-MM-DD hh:mm:ss";

const CLASSIC: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const ISO: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Smallest and largest instants tesim represents: years 1970 to 9999, so every value prints
/// in exactly [`TE_DATE_FORMAT`] and converts to epoch seconds without sign surprises.
const MIN_EPOCH: i64 = 0;
const MAX_EPOCH: i64 = 253_402_300_799; // 9999-12-31 23:59:59 UTC

/// An instant with one-second precision, in UTC, as ThousandEyes reports alert times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeDate(i64);

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not in the classic format.
    #[error(
        "invalid date `{found}`: expected `YYYY-MM-DD hh:mm:ss` in UTC, e.g. `2014-08-24 01:01:47`"
    )]
    Classic {
        /// The text that was refused.
        found: String,
    },
    /// The text is not in the v7 ISO format.
    #[error(
        "invalid date `{found}`: expected ISO 8601 UTC `YYYY-MM-DDThh:mm:ssZ`, e.g. `2022-07-17T22:00:54Z`"
    )]
    Iso {
        /// The text that was refused.
        found: String,
    },
    /// The instant is outside 1970..=9999.
    #[error(
        "date out of range: {epoch} seconds since 1970; tesim supports 1970-01-01 to 9999-12-31"
    )]
    OutOfRange {
        /// The epoch seconds that were refused.
        epoch: i64,
    },
}

impl TeDate {
    /// 1970-01-01 00:00:00 UTC.
    pub const EPOCH: TeDate = TeDate(0);

    /// The instant `epoch` seconds after 1970-01-01 00:00:00 UTC.
    pub fn from_epoch(epoch: i64) -> Result<Self, DateError> {
        if (MIN_EPOCH..=MAX_EPOCH).contains(&epoch) {
            Ok(TeDate(epoch))
        } else {
            Err(DateError::OutOfRange { epoch })
        }
    }

    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub fn epoch(self) -> i64 {
        self.0
    }

    /// Milliseconds since the epoch (what `WEBHOOK_TEST` event ids and custom-webhook
    /// `epochMilli` carry).
    pub fn epoch_millis(self) -> i64 {
        self.0 * 1000
    }

    /// This instant plus `seconds`, saturating at the supported range.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        TeDate(self.0.saturating_add(seconds).clamp(MIN_EPOCH, MAX_EPOCH))
    }

    /// Parses the classic `YYYY-MM-DD hh:mm:ss` form, and nothing else.
    pub fn parse_classic(text: &str) -> Result<Self, DateError> {
        let refuse = || DateError::Classic {
            found: text.to_owned(),
        };
        // `time` accepts some variants (signs, short years); ThousandEyes never sends them, so
        // the shape is checked byte by byte first.
        if !has_shape(text, b"dddd-dd-dd dd:dd:dd") {
            return Err(refuse());
        }
        let parsed = PrimitiveDateTime::parse(text, CLASSIC).map_err(|_| refuse())?;
        TeDate::from_epoch(parsed.assume_utc().unix_timestamp()).map_err(|_| refuse())
    }

    /// Parses the v7 `YYYY-MM-DDThh:mm:ssZ` form, and nothing else.
    pub fn parse_iso(text: &str) -> Result<Self, DateError> {
        let refuse = || DateError::Iso {
            found: text.to_owned(),
        };
        if !has_shape(text, b"dddd-dd-ddTdd:dd:ddZ") {
            return Err(refuse());
        }
        let parsed = PrimitiveDateTime::parse(text, ISO).map_err(|_| refuse())?;
        TeDate::from_epoch(parsed.assume_utc().unix_timestamp()).map_err(|_| refuse())
    }

    /// The `time` view: the oracle the hand-written formatting is tested against.
    #[cfg(test)]
    fn datetime(self) -> time::OffsetDateTime {
        // In range by construction.
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    /// `YYYY-MM-DD hh:mm:ss`.
    pub fn classic(self) -> String {
        // ASCII digits and separators only.
        String::from_utf8_lossy(&self.classic_bytes()).into_owned()
    }

    /// `YYYY-MM-DDThh:mm:ssZ` (v7 API).
    pub fn iso(self) -> String {
        let mut text = self.classic_bytes().to_vec();
        text[10] = b'T';
        text.push(b'Z');
        String::from_utf8_lossy(&text).into_owned()
    }

    /// `YYYY-MM-DD hh:mm:ss` as bytes, without going through `time`'s format descriptions:
    /// every payload carries several dates and a million-alert scenario renders millions of
    /// them (issue 17). The range (1970..=9999) makes the year exactly four digits.
    pub fn classic_bytes(self) -> [u8; 19] {
        let days = self.0.div_euclid(86_400);
        let second_of_day = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut text = *b"0000-00-00 00:00:00";
        let mut put = |at: usize, value: i64, width: usize| {
            let mut value = value;
            for index in (at..at + width).rev() {
                text[index] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, year, 4);
        put(5, month, 2);
        put(8, day, 2);
        put(11, second_of_day / 3600, 2);
        put(14, second_of_day / 60 % 60, 2);
        put(17, second_of_day % 60, 2);
        text
    }

    /// `YYYY-MM-DD hh:mm:ss UTC`: the `dateStartZoned` form for an account whose time zone is UTC.
    ///
    /// Real accounts show their own zone abbreviation (`EST` in [ezabala]); tesim's simulated
    /// account is in UTC, so the instant and the text always agree.
    pub fn zoned_utc(self) -> String {
        format!("{} UTC", self.classic())
    }
}

/// Year, month and day of the proleptic Gregorian calendar `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn has_shape(text: &str, shape: &[u8]) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == shape.len()
        && bytes.iter().zip(shape).all(|(byte, want)| match want {
            b'd' => byte.is_ascii_digit(),
            other => byte == other,
        })
}

impl fmt::Display for TeDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.classic_bytes();
        f.write_str(std::str::from_utf8(&bytes).unwrap_or_default())
    }
}

impl FromStr for TeDate {
    type Err = DateError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TeDate::parse_classic(text)
    }
}

impl Serialize for TeDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self.classic_bytes();
        serializer.serialize_str(std::str::from_utf8(&bytes).unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for TeDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TeDate::parse_classic(&text).map_err(serde::de::Error::custom)
    }
}

/// A [`TeDate`] written in the v7 ISO form (`2022-07-17T22:00:54Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate(pub TeDate);

impl Serialize for IsoDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.iso())
    }
}

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TeDate::parse_iso(&text)
            .map(IsoDate)
            .map_err(serde::de::Error::custom)
    }
}

/// An agent-notification date: epoch seconds in the KB (2019) samples, the classic string in
/// 2025 captures (reference §1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgentDate {
    /// `1476987748`
    Epoch(TeDate),
    /// `"2025-03-24 17:28:40"`
    Classic(TeDate),
}

impl AgentDate {
    /// The instant, whatever the wire form.
    pub fn date(self) -> TeDate {
        match self {
            AgentDate::Epoch(date) | AgentDate::Classic(date) => date,
        }
    }
}

impl Serialize for AgentDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AgentDate::Epoch(date) => serializer.serialize_i64(date.epoch()),
            AgentDate::Classic(date) => date.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for AgentDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AgentDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("epoch seconds or a `YYYY-MM-DD hh:mm:ss` string")
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<AgentDate, E> {
                TeDate::from_epoch(value)
                    .map(AgentDate::Epoch)
                    .map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<AgentDate, E> {
                let value = i64::try_from(value).map_err(E::custom)?;
                self.visit_i64(value)
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<AgentDate, E> {
                TeDate::parse_classic(value)
                    .map(AgentDate::Classic)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A `*Zoned` date: `YYYY-MM-DD hh:mm:ss TZ` (e.g. `2022-02-17 23:43:00 EST`).
///
/// Kept as text when parsing, because the abbreviation alone does not fix the offset
/// (`CST` is three different zones).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ZonedDate(String);

impl ZonedDate {
    /// The zoned form of `date` for a UTC account.
    pub fn utc(date: TeDate) -> Self {
        ZonedDate(date.zoned_utc())
    }

    /// The zoned form of `date` in `zone`: its wall-clock time and the abbreviation in force at
    /// that instant (`EST` in January, `EDT` in July for New York).
    pub fn in_zone(date: TeDate, zone: &AccountZone) -> Self {
        let mut text = Vec::with_capacity(24);
        zone.write_zoned(date, &mut text);
        ZonedDate(String::from_utf8_lossy(&text).into_owned())
    }

    /// The wire text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ZonedDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // `get`, not indexing: arbitrary text may put a multi-byte character across byte 19.
        let valid = text.len() > 20
            && text
                .get(..19)
                .is_some_and(|date| TeDate::parse_classic(date).is_ok())
            && text.as_bytes()[19] == b' '
            && text.as_bytes()[20..]
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || b"+-:/_".contains(byte));
        if valid {
            Ok(ZonedDate(text))
        } else {
            Err(serde::de::Error::custom(format!(
                "invalid zoned date `{text}`: expected `YYYY-MM-DD hh:mm:ss TZ`, e.g. `2022-02-17 23:43:00 EST`"
            )))
        }
    }
}

/// The account's time zone (IANA name), in which classic webhooks write their dates.
///
/// The zone database is the one bundled into the binary (jiff's `tzdb-bundle-always`), so
/// conversions read no file and give the same answer on every machine.
#[derive(Clone, Debug)]
pub struct AccountZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

/// A time-zone name the bundled database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone `{0}`; use an IANA name such as `UTC`, `America/New_York` or `Europe/Paris`"
)]
pub struct UnknownZone(pub String);

impl AccountZone {
    /// UTC, the default.
    pub fn utc() -> Self {
        AccountZone {
            name: "UTC".to_owned(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }

    /// The zone of an IANA name (`America/New_York`).
    pub fn parse(name: &str) -> Result<Self, UnknownZone> {
        jiff::tz::TimeZone::get(name)
            .map(|zone| AccountZone {
                name: name.to_owned(),
                zone,
            })
            .map_err(|_| UnknownZone(name.to_owned()))
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is UTC (no conversion happens).
    pub fn is_utc(&self) -> bool {
        self.name == "UTC"
    }

    /// The wall-clock time of `date` in this zone, as a naive [`TeDate`] (the zone's local
    /// date and time read as if it were UTC: what a classic `dateStart` shows), and the zone's
    /// abbreviation at that instant.
    pub fn wall_clock(&self, date: TeDate) -> (TeDate, String) {
        let Ok(timestamp) = jiff::Timestamp::from_second(date.epoch()) else {
            return (date, "UTC".to_owned());
        };
        let info = self.zone.to_offset_info(timestamp);
        let offset = i64::from(info.offset().seconds());
        (date.plus_seconds(offset), info.abbreviation().to_owned())
    }

    /// The classic `YYYY-MM-DD hh:mm:ss` wall-clock form of `date` in this zone.
    pub fn classic(&self, date: TeDate) -> TeDate {
        let Ok(timestamp) = jiff::Timestamp::from_second(date.epoch()) else {
            return date;
        };
        date.plus_seconds(i64::from(self.zone.to_offset(timestamp).seconds()))
    }

    /// Appends the `*Zoned` text of `date` (`YYYY-MM-DD hh:mm:ss TZ`) to `out`, as
    /// [`ZonedDate::in_zone`] writes it, without allocating.
    pub fn write_zoned(&self, date: TeDate, out: &mut Vec<u8>) {
        let Ok(timestamp) = jiff::Timestamp::from_second(date.epoch()) else {
            out.extend_from_slice(&date.classic_bytes());
            out.extend_from_slice(b" UTC");
            return;
        };
        let info = self.zone.to_offset_info(timestamp);
        let wall = date.plus_seconds(i64::from(info.offset().seconds()));
        out.extend_from_slice(&wall.classic_bytes());
        out.push(b' ');
        out.extend_from_slice(info.abbreviation().as_bytes());
    }
}

impl Default for AccountZone {
    fn default() -> Self {
        AccountZone::utc()
    }
}

impl PartialEq for AccountZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for AccountZone {}

impl std::hash::Hash for AccountZone {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_classic(text: &str, expected_epoch: Option<i64>) {
        assert_eq!(
            TeDate::parse_classic(text).ok().map(TeDate::epoch),
            expected_epoch,
            "{text}"
        );
    }

    #[test]
    fn classic_accepts_only_the_documented_form() {
        check_classic("2014-08-24 01:01:47", Some(1_408_842_107));
        check_classic("1970-01-01 00:00:00", Some(0));
        check_classic("2014-08-24T01:01:47", None);
        check_classic("2014-08-24 01:01:47Z", None);
        check_classic("2014-8-24 01:01:47", None);
        check_classic("2014-08-24 01:01", None);
        check_classic("2014-13-24 01:01:47", None);
        check_classic("2014-02-30 01:01:47", None);
        check_classic("+014-08-24 01:01:47", None);
        check_classic("1476987748", None);
        check_classic("", None);
    }

    #[test]
    fn error_names_the_expected_format() {
        let err = TeDate::parse_classic("2014-08-24T01:01:47Z").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid date `2014-08-24T01:01:47Z`: expected `YYYY-MM-DD hh:mm:ss` in UTC, e.g. `2014-08-24 01:01:47`"
        );
    }

    #[test]
    fn iso_and_zoned_views() {
        let date = TeDate::parse_classic("2022-07-17 22:00:54").unwrap();
        assert_eq!(date.iso(), "2022-07-17T22:00:54Z");
        assert_eq!(TeDate::parse_iso("2022-07-17T22:00:54Z").unwrap(), date);
        assert!(TeDate::parse_iso("2022-07-17 22:00:54").is_err());
        assert_eq!(date.zoned_utc(), "2022-07-17 22:00:54 UTC");
    }

    #[test]
    fn agent_date_reads_both_forms() {
        let epoch: AgentDate = serde_json::from_str("1476987748").unwrap();
        assert_eq!(
            epoch,
            AgentDate::Epoch(TeDate::from_epoch(1_476_987_748).unwrap())
        );
        let classic: AgentDate = serde_json::from_str("\"2016-10-20 18:22:28\"").unwrap();
        assert_eq!(classic.date(), epoch.date());
        assert!(serde_json::from_str::<AgentDate>("\"2016-10-20\"").is_err());
        assert!(serde_json::from_str::<AgentDate>("-5").is_err());
    }

    fn new_york(text: &str) -> (String, String) {
        let zone = AccountZone::parse("America/New_York").unwrap();
        let date = TeDate::parse_classic(text).unwrap();
        (
            zone.classic(date).classic(),
            ZonedDate::in_zone(date, &zone).as_str().to_owned(),
        )
    }

    #[test]
    fn new_york_is_five_hours_behind_in_january_and_four_in_july() {
        assert_eq!(
            new_york("2022-01-15 12:00:00"),
            (
                "2022-01-15 07:00:00".into(),
                "2022-01-15 07:00:00 EST".into()
            )
        );
        assert_eq!(
            new_york("2022-07-15 12:00:00"),
            (
                "2022-07-15 08:00:00".into(),
                "2022-07-15 08:00:00 EDT".into()
            )
        );
        // The DST switch: 2022-03-13 07:00 UTC is 03:00 EDT, one second before is 01:59:59 EST.
        assert_eq!(new_york("2022-03-13 06:59:59").1, "2022-03-13 01:59:59 EST");
        assert_eq!(new_york("2022-03-13 07:00:00").1, "2022-03-13 03:00:00 EDT");
    }

    #[test]
    fn utc_is_the_identity_and_unknown_zones_are_refused() {
        let date = TeDate::parse_classic("2022-07-15 12:00:00").unwrap();
        assert_eq!(AccountZone::utc().classic(date), date);
        assert_eq!(
            ZonedDate::in_zone(date, &AccountZone::utc()),
            ZonedDate::utc(date)
        );
        assert_eq!(
            AccountZone::parse("Mars/Olympus").unwrap_err().to_string(),
            "unknown time zone `Mars/Olympus`; use an IANA name such as `UTC`, `America/New_York` or `Europe/Paris`"
        );
    }

    proptest! {
        #[test]
        fn classic_round_trips(epoch in MIN_EPOCH..=MAX_EPOCH) {
            let date = TeDate::from_epoch(epoch).unwrap();
            prop_assert_eq!(TeDate::parse_classic(&date.classic()).unwrap(), date);
            prop_assert_eq!(TeDate::parse_iso(&date.iso()).unwrap(), date);
            let json = serde_json::to_string(&date).unwrap();
            prop_assert_eq!(serde_json::from_str::<TeDate>(&json).unwrap(), date);
        }

        /// The hand-written formatting is `time`'s, over the whole range.
        #[test]
        fn classic_bytes_are_times_format(epoch in MIN_EPOCH..=MAX_EPOCH) {
            let date = TeDate::from_epoch(epoch).unwrap();
            prop_assert_eq!(date.classic(), date.datetime().format(CLASSIC).unwrap());
            prop_assert_eq!(date.iso(), date.datetime().format(ISO).unwrap());
            prop_assert_eq!(date.to_string(), date.classic());
        }

        /// `classic` and `write_zoned` (no allocation, offset only) agree with `wall_clock`,
        /// around DST switches and anywhere else.
        #[test]
        fn zoned_writing_is_wall_clocks(
            zone in prop::sample::select(vec!["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns"]),
            near in prop::sample::select(vec![
                1_647_154_800, // 2022-03-13 07:00 UTC, New York springs forward
                1_667_714_400, // 2022-11-06 06:00 UTC, New York falls back
                1_648_918_800, // 2022-04-02 17:00 UTC, around Lord Howe's half-hour switch
                1_679_792_400, // 2023-03-26 01:00 UTC, London
                0,
                MAX_EPOCH - 7200,
            ]),
            delta in -7200i64..7200,
            anywhere in MIN_EPOCH..=MAX_EPOCH,
        ) {
            let zone = AccountZone::parse(zone).unwrap();
            for epoch in [(near + delta).clamp(MIN_EPOCH, MAX_EPOCH), anywhere] {
                let date = TeDate::from_epoch(epoch).unwrap();
                let (wall, abbreviation) = zone.wall_clock(date);
                prop_assert_eq!(zone.classic(date), wall);
                let mut written = Vec::new();
                zone.write_zoned(date, &mut written);
                let expected = format!("{} {abbreviation}", wall.datetime().format(CLASSIC).unwrap());
                prop_assert_eq!(String::from_utf8(written).unwrap(), expected.clone());
                let zoned = ZonedDate::in_zone(date, &zone);
                prop_assert_eq!(zoned.as_str(), expected);
            }
        }

        #[test]
        fn parsing_never_panics(text in ".{0,40}") {
            let _ = TeDate::parse_classic(&text);
            let _ = TeDate::parse_iso(&text);
            let _ = serde_json::from_str::<ZonedDate>(&format!("{text:?}"));
        }
    }
}
