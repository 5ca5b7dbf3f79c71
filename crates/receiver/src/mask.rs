//! What the receiver must not show: secrets in headers and query parameters, and control
//! characters from the network that would drive the terminal (`ESC[2J` clears the screen).

use std::borrow::Cow;

/// Name fragments that mark a header or query parameter as secret (case-insensitive):
/// `Authorization`, `X-Api-Key`, `X-Credential`, `Cookie`, `?token=`, `?client_secret=`…
pub const SECRET_NAME_PARTS: &[&str] = &[
    "auth",
    "credential",
    "secret",
    "token",
    "key",
    "session",
    "password",
    "passwd",
    "cookie",
    "signature",
];

/// Whether a header or query parameter named `name` may carry a secret.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// The masked form of a secret header's value: `***`, keeping a well-known auth scheme
/// (`Bearer ***`) so a reader still sees which kind of credentials came.
pub fn mask_header_value(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    match text.split_once(' ') {
        Some((scheme, _))
            if ["basic", "bearer", "digest"].contains(&scheme.to_ascii_lowercase().as_str()) =>
        {
            format!("{scheme} ***")
        }
        _ => "***".to_owned(),
    }
}

/// A header value for display: masked when the name is secret, text otherwise.
pub fn header_for_display(name: &str, value: &[u8]) -> String {
    if is_secret_name(name) {
        mask_header_value(value)
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

/// `path_and_query` with the values of secret query parameters replaced by `***`
/// (`/hook?token=abc&x=1` → `/hook?token=***&x=1`).
pub fn mask_query(path_and_query: &str) -> Cow<'_, str> {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return Cow::Borrowed(path_and_query);
    };
    let mut masked_any = false;
    let pairs: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded: String = url_decode(name);
            if is_secret_name(&decoded) && !value.is_empty() {
                masked_any = true;
                Cow::Owned(format!("{name}=***"))
            } else {
                Cow::Borrowed(pair)
            }
        })
        .collect();
    if !masked_any {
        return Cow::Borrowed(path_and_query);
    }
    Cow::Owned(format!("{path}?{}", pairs.join("&")))
}

/// Percent-decodes a query parameter name loosely (`%74oken` is `token` too).
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with control characters (C0, DEL, C1, and the bidi overrides) escaped as `\u{1b}`,
/// so network data printed to a terminal cannot move the cursor, clear the screen or hide
/// text. Newlines and tabs are escaped too: one request stays one line.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`escape_control`], but keeps newlines and tabs (for multi-line bodies).
pub fn escape_control_multiline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "authorization",
            "X-Api-Key",
            "x-auth-token",
            "cookie",
            "x-webhook-secret",
            "X-Credential",
            "x-session-id",
            "x-password",
            "proxy-authorization",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "content-type",
            "user-agent",
            "host",
            "content-length",
            "x-event-id",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn query_secrets_are_masked() {
        assert_eq!(
            mask_query("/hook?token=abc&x=1&client_secret=s&%74oken=t"),
            "/hook?token=***&x=1&client_secret=***&%74oken=***"
        );
        assert_eq!(mask_query("/hook?x=1"), "/hook?x=1");
        assert_eq!(mask_query("/hook"), "/hook");
        assert_eq!(mask_query("/h?%"), "/h?%");
        assert_eq!(mask_query("/h?a%2"), "/h?a%2");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("A\u{1b}[2JB"), "A\\u{1b}[2JB");
        assert_eq!(escape_control("a\nb"), "a\\u{a}b");
        assert_eq!(escape_control_multiline("a\nb\u{7}"), "a\nb\\u{7}");
        assert_eq!(escape_control("plain é"), "plain é");
        assert_eq!(escape_control("\u{202e}x"), "\\u{202e}x");
    }

    #[test]
    fn auth_scheme_is_kept() {
        assert_eq!(mask_header_value(b"Bearer abc"), "Bearer ***");
        assert_eq!(mask_header_value(b"abc"), "***");
    }
}
