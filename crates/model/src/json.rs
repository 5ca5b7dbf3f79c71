//! A small JSON writer into a `Vec<u8>`, byte for byte what `serde_json`'s compact serializer
//! writes for the same values (the tests hold it to that).
//!
//! It exists for speed (issue 17): a million-alert scenario renders two million payloads, and
//! building the wire structs and then serializing them through serde cost most of the time.
//! Renderers write straight into one reused buffer with it instead.

/// `serde_json`'s escape for each byte: `0` none, `u` a `\u00XX`, anything else the letter
/// after the backslash.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `text` as a JSON string (quotes included), escaped as `serde_json` escapes it:
/// `"`, `\` and control characters only; everything else, non-ASCII included, as is.
pub fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    string_body(out, text.as_bytes());
    out.push(b'"');
}

/// Whether any of the 8 bytes of `word` may need an escape (a control character, `"` or
/// `\`). False positives are allowed (the bytes are then looked at one by one), false
/// negatives are not: the classic "has a byte less than n" and "has a zero byte" tricks.
fn may_need_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |word: u64, bound: u64| word.wrapping_sub(ONES * bound) & !word & HIGHS;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    (control | quote | backslash) != 0
}

/// Whether `bytes` may hold a byte that needs an escape (false positives allowed, as in
/// [`may_need_escape`]): eight bytes at a time, the tail padded with spaces.
pub fn string_needs_escape(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if may_need_escape(u64::from_le_bytes(word)) {
            return true;
        }
    }
    let rest = chunks.remainder();
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    may_need_escape(u64::from_le_bytes(word))
}

/// Appends the escaped body of a JSON string, without the quotes.
pub fn string_body(out: &mut Vec<u8>, bytes: &[u8]) {
    // Nearly every string needs no escape: checked in one pass, then copied in one.
    if !string_needs_escape(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    escape_body(out, bytes);
}

/// [`string_body`] for text that may need escapes.
fn escape_body(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        // Eight bytes at a time while none can need an escape: nearly all text.
        if let Some(chunk) = bytes.get(index..index + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if !may_need_escape(u64::from_le_bytes(word)) {
                index += 8;
                continue;
            }
        }
        let byte = bytes[index];
        index += 1;
        let escape = ESCAPE[byte as usize];
        if escape == 0 {
            continue;
        }
        let index = index - 1;
        out.extend_from_slice(&bytes[start..index]);
        if escape == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(byte >> 4) as usize]);
            out.push(HEX[(byte & 0xf) as usize]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Two decimal digits for each value below 100, for writing numbers two digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The two digits of `value` (below 100).
fn pair(value: u64) -> [u8; 2] {
    let at = (value % 100) as usize * 2;
    [DIGIT_PAIRS[at], DIGIT_PAIRS[at + 1]]
}

/// Appends `value` in decimal.
pub fn u64(out: &mut Vec<u8>, value: u64) {
    if value < 10 {
        out.push(b'0' + value as u8);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut value = value;
    while value >= 100 {
        at -= 2;
        digits[at..at + 2].copy_from_slice(&pair(value));
        value /= 100;
    }
    if value >= 10 {
        at -= 2;
        digits[at..at + 2].copy_from_slice(&pair(value));
    } else {
        at -= 1;
        digits[at] = b'0' + value as u8;
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends `value` in decimal, with a `-` when negative.
pub fn i64(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    u64(out, value.unsigned_abs());
}

/// Appends `"YYYY-MM-DD hh:mm:ss"` (quotes included), the bytes of
/// [`crate::TeDate::classic_bytes`], two digits at a time: every payload carries several dates.
pub fn date(out: &mut Vec<u8>, date: crate::TeDate) {
    out.extend_from_slice(&quoted_date(date));
}

/// The 21 bytes [`date`] appends.
pub fn quoted_date(date: crate::TeDate) -> [u8; 21] {
    let epoch = date.epoch();
    let days = epoch.div_euclid(86_400);
    let second_of_day = epoch.rem_euclid(86_400) as u64;
    let (year, month, day) = crate::date::civil_from_days(days);
    let mut text = *b"\"0000-00-00 00:00:00\"";
    // `TeDate` keeps years within 1970..=9999: four digits.
    let year = year.clamp(0, 9999) as u64;
    text[1..3].copy_from_slice(&pair(year / 100));
    text[3..5].copy_from_slice(&pair(year));
    text[6..8].copy_from_slice(&pair(month as u64));
    text[9..11].copy_from_slice(&pair(day as u64));
    text[12..14].copy_from_slice(&pair(second_of_day / 3600));
    text[15..17].copy_from_slice(&pair(second_of_day / 60 % 60));
    text[18..20].copy_from_slice(&pair(second_of_day % 60));
    text
}

/// `,"name":` as one constant: what writers append before every member but an object's first,
/// whose key they write with its `{`.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
}
pub(crate) use key;

/// Writes the members of one JSON object: `{` on creation, a `,` between members, `}` at
/// [`Object::end`]. Keys are Rust literals that need no escaping.
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    /// Opens an object in `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, first: true }
    }

    /// Writes `"key":` and hands out the buffer for the value.
    pub fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A string member.
    pub fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    /// A number member.
    pub fn u64(&mut self, key: &str, value: u64) {
        u64(self.key(key), value);
    }

    /// A string member made of raw, already valid JSON-string bytes (ASCII digits, dates).
    pub fn raw_str(&mut self, key: &str, value: &[u8]) {
        let out = self.key(key);
        out.push(b'"');
        string_body(out, value);
        out.push(b'"');
    }

    /// A classic date member (`"YYYY-MM-DD hh:mm:ss"`): digits need no escaping.
    pub fn date(&mut self, key: &str, date: crate::TeDate) {
        let out = self.key(key);
        out.push(b'"');
        out.extend_from_slice(&date.classic_bytes());
        out.push(b'"');
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_string(text: &str) {
        let mut out = Vec::new();
        string(&mut out, text);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(text).unwrap()
        );
    }

    #[test]
    fn escapes_as_serde_json_does() {
        check_string("");
        check_string("plain");
        check_string("quote \" backslash \\ slash / tab \t nl \n cr \r");
        check_string("\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f} ≤ é 日本 🦀");
        // Escapes in the padded tail and at every place of an eight-byte word.
        for at in 0..17 {
            for special in ["\"", "\\", "\n", "\u{0}", "\u{1f}"] {
                let mut text = "a".repeat(16);
                text.insert_str(at, special);
                check_string(&text);
                check_string(&text[..at + special.len()]);
            }
        }
    }

    proptest! {
        #[test]
        fn strings_are_serde_jsons(text in any::<String>()) {
            let mut out = Vec::new();
            string(&mut out, &text);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap());
        }

        /// A string said to need no escape is written as it is by serde_json: the fast
        /// path may be taken only when it is right.
        #[test]
        fn no_escape_means_none(text in any::<String>(), ascii in "[ -~]{0,40}") {
            for text in [&text, &ascii] {
                if !string_needs_escape(text.as_bytes()) {
                    prop_assert_eq!(serde_json::to_string(text).unwrap(), format!("\"{text}\""));
                }
            }
            // Printable ASCII without quote or backslash never takes the slow path.
            let plain = ascii.replace(['"', '\\'], "");
            prop_assert!(!string_needs_escape(plain.as_bytes()));
        }

        #[test]
        fn dates_are_classic_bytes(epoch in 0i64..=253_402_300_799) {
            let date = crate::TeDate::from_epoch(epoch).unwrap();
            let mut out = Vec::new();
            super::date(&mut out, date);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&date.classic()).unwrap());
        }

        #[test]
        fn small_and_edge_numbers_are_serde_jsons(unsigned in 0u64..100_000) {
            for value in [unsigned, u64::MAX - unsigned, 10u64.pow((unsigned % 20) as u32)] {
                let mut out = Vec::new();
                u64(&mut out, value);
                prop_assert_eq!(String::from_utf8(out).unwrap(), value.to_string());
            }
        }

        #[test]
        fn numbers_are_serde_jsons(unsigned in any::<u64>(), signed in any::<i64>()) {
            let mut out = Vec::new();
            u64(&mut out, unsigned);
            out.push(b' ');
            i64(&mut out, signed);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("{unsigned} {signed}"));
        }
    }
}
