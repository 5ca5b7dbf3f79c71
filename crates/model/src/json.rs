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

/// Appends the escaped body of a JSON string, without the quotes.
pub fn string_body(out: &mut Vec<u8>, bytes: &[u8]) {
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

/// Appends `value` in decimal.
pub fn u64(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut value = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
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
    }

    proptest! {
        #[test]
        fn strings_are_serde_jsons(text in any::<String>()) {
            let mut out = Vec::new();
            string(&mut out, &text);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap());
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
