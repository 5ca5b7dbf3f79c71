//! The wire transcript of an exchange, safe to publish: credentials masked, bodies cut.
//!
//! Masked: `Authorization`-like headers (the scheme is kept: `Basic ***`), every header given
//! with `--header` (their values are secrets by contract), and the OAuth fields of form and
//! JSON bodies (`client_secret`, `refresh_token`, `access_token`, `password`, `id_token`).

use http::HeaderMap;
use serde_json::Value;

use crate::report::{BODY_EXCERPT, WireRequest, WireResponse};

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "refresh_token",
    "access_token",
    "password",
    "id_token",
];

fn mask_value(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization")
        || name.eq_ignore_ascii_case("proxy-authorization")
    {
        return match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} ***"),
            None => "***".to_owned(),
        };
    }
    "***".to_owned()
}

/// Headers as transcript pairs; `secret_names` are masked besides the usual credentials.
pub(crate) fn headers(map: &HeaderMap, secret_names: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            // The client's own User-Agent is among its default headers but is no secret.
            let secret = SECRET_HEADERS.contains(&name.as_str())
                || value.is_sensitive()
                || (secret_names.contains_key(name) && name != http::header::USER_AGENT);
            let shown = if secret {
                mask_value(name.as_str(), &text)
            } else {
                text
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

/// The body with secret fields masked, cut at [`BODY_EXCERPT`] bytes on a char boundary.
pub(crate) fn body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let masked = mask_body(&text);
    if masked.len() <= BODY_EXCERPT {
        return masked;
    }
    let mut end = BODY_EXCERPT;
    while !masked.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &masked[..end])
}

fn mask_body(text: &str) -> String {
    if !SECRET_FIELDS.iter().any(|field| text.contains(field)) {
        return text.to_owned();
    }
    if let Ok(mut json) = serde_json::from_str::<Value>(text) {
        mask_json(&mut json);
        return json.to_string();
    }
    if text.contains('=') && !text.contains(' ') {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
            .map(|(key, value)| {
                let value = if SECRET_FIELDS.contains(&key.as_ref()) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        return url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
    }
    // Neither JSON nor a form, yet it names a secret field: show nothing rather than leak.
    format!(
        "[{} bytes withheld: they may contain credentials]",
        text.len()
    )
}

fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) && !value.is_null() {
                    *value = Value::String("***".to_owned());
                } else {
                    mask_json(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// A request of the transcript.
pub(crate) fn request(
    method: &str,
    url: &str,
    sent_headers: &HeaderMap,
    secret_names: &HeaderMap,
    sent_body: &[u8],
) -> WireRequest {
    WireRequest {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: headers(sent_headers, secret_names),
        body: body(sent_body),
        body_bytes: sent_body.len(),
    }
}

/// A response of the transcript.
pub(crate) fn response(
    status: u16,
    got_headers: &HeaderMap,
    got_body: &[u8],
    secret_names: &HeaderMap,
) -> WireResponse {
    let declared = got_headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse().ok());
    WireResponse {
        status,
        headers: headers(got_headers, secret_names),
        body: body(got_body),
        body_bytes: declared.unwrap_or(got_body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn credentials_are_masked_everywhere() {
        let mut sent = HeaderMap::new();
        sent.insert(
            "authorization",
            HeaderValue::from_static("Basic dGU6czNjcmV0"),
        );
        sent.insert("x-api-key", HeaderValue::from_static("k3y"));
        sent.insert("content-type", HeaderValue::from_static("application/json"));
        let mut secret_names = HeaderMap::new();
        secret_names.insert("x-api-key", HeaderValue::from_static(""));
        let shown = headers(&sent, &secret_names);
        assert!(shown.contains(&("authorization".into(), "Basic ***".into())));
        assert!(shown.contains(&("x-api-key".into(), "***".into())));
        assert!(shown.contains(&("content-type".into(), "application/json".into())));
        assert_eq!(
            body(b"grant_type=refresh_token&refresh_token=r3fresh&client_secret=s3"),
            "grant_type=refresh_token&refresh_token=***&client_secret=***"
        );
        let token = body(br#"{"access_token":"abc","token_type":"Bearer"}"#);
        assert!(
            !token.contains("abc") && token.contains("Bearer"),
            "{token}"
        );
    }

    #[test]
    fn long_bodies_are_cut_and_their_size_kept() {
        let long = "é".repeat(BODY_EXCERPT);
        let request = request(
            "POST",
            "http://h/",
            &HeaderMap::new(),
            &HeaderMap::new(),
            long.as_bytes(),
        );
        assert_eq!(request.body_bytes, BODY_EXCERPT * 2);
        assert!(request.body.len() <= BODY_EXCERPT + '…'.len_utf8());
        assert!(request.body.ends_with('…'));
    }
}
