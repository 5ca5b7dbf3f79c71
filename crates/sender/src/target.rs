//! The webhook URL a notification goes to.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use http::Uri;

/// A parsed webhook URL: `http` or `https`, a host, no credentials, no fragment, and written in
/// decoded form.
///
/// ThousandEyes wants the webhook URL entered decoded ("percent-encoded URLs are unsupported",
/// reference 1.1) and encodes it itself, so a target containing `%XX` is refused with the decoded
/// spelling to use instead. Credentials in the URL are refused too: they would end up in logs,
/// and the real service takes them in its auth settings (`--auth`).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    url: url::Url,
    uri: Uri,
    text: Arc<str>,
}

impl Target {
    /// The URL as sent on the wire (encoded).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The URL as text, encoded, without credentials. Safe to log.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Shared text of [`Target::as_str`], for logs that keep it per attempt.
    pub fn text(&self) -> Arc<str> {
        self.text.clone()
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// Whether the target uses TLS.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The host, as written (IPv6 without brackets).
    pub fn host(&self) -> &str {
        match self.url.host() {
            Some(url::Host::Ipv6(_)) => {
                let host = self.url.host_str().unwrap_or_default();
                host.trim_start_matches('[').trim_end_matches(']')
            }
            _ => self.url.host_str().unwrap_or_default(),
        }
    }

    /// The port, the scheme's default when none is written.
    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(80)
    }

    /// `host:port`, for messages.
    pub fn authority(&self) -> String {
        format!(
            "{}:{}",
            self.url.host_str().unwrap_or_default(),
            self.port()
        )
    }

    /// The target with a custom webhook's path and query appended: the operation `path` is
    /// appended to the connector URL (reference 2.3, inferred) and its query parameters joined
    /// to any the target already has. `path_and_query` must already be in wire form (the
    /// template crate encodes rendered query parameters); an empty string gives the target.
    pub fn join(&self, path_and_query: &str) -> Result<Target, TargetError> {
        if path_and_query.is_empty() {
            return Ok(self.clone());
        }
        let (extra_path, extra_query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let base_path = self.url.path().trim_end_matches('/');
        let extra_path = extra_path.trim_start_matches('/');
        let mut text = format!(
            "{}://{}{}",
            self.url.scheme(),
            authority_of(&self.url),
            base_path
        );
        if !extra_path.is_empty() {
            text.push('/');
            text.push_str(extra_path);
        } else if base_path.is_empty() {
            text.push('/');
        }
        let query: Vec<&str> = [self.url.query(), extra_query]
            .into_iter()
            .flatten()
            .filter(|query| !query.is_empty())
            .collect();
        if !query.is_empty() {
            text.push('?');
            text.push_str(&query.join("&"));
        }
        let url = url::Url::parse(&text).map_err(|source| TargetError::Invalid {
            input: text.clone(),
            reason: source.to_string(),
        })?;
        Target::from_url(url, &text)
    }

    fn from_url(url: url::Url, input: &str) -> Result<Target, TargetError> {
        let text: Arc<str> = Arc::from(url.as_str());
        let uri = Uri::try_from(url.as_str()).map_err(|source| TargetError::Invalid {
            input: input.to_owned(),
            reason: source.to_string(),
        })?;
        Ok(Target { url, uri, text })
    }
}

fn authority_of(url: &url::Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        // Errors echo the input: never with its credentials.
        let masked = mask_userinfo(raw);
        let input: &str = &masked;
        if let Some(at) = find_percent_escape(input) {
            let escape = &input[at..at + 3];
            let decoded = percent_decoded_char(escape);
            return Err(TargetError::PercentEncoded {
                input: input.to_owned(),
                escape: escape.to_owned(),
                decoded,
            });
        }
        let url = url::Url::parse(raw).map_err(|source| TargetError::Invalid {
            input: input.to_owned(),
            reason: source.to_string(),
        })?;
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(TargetError::Scheme {
                    input: input.to_owned(),
                    scheme: other.to_owned(),
                });
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(TargetError::Invalid {
                input: input.to_owned(),
                reason: "no host".to_owned(),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Do not echo the input: it holds the credentials.
            return Err(TargetError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(TargetError::Fragment {
                input: input.to_owned(),
            });
        }
        Target::from_url(url, raw)
    }
}

/// `url` with any user name and password replaced by `***` (`http://***@host/`), for every URL
/// that is printed or written: a URL given by a user may carry credentials. Text that is not a
/// URL with an authority is returned unchanged.
pub fn mask_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return url.into();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!(
            "{}***{}",
            &url[..authority_start],
            &url[authority_start + at..]
        )
        .into(),
        None => url.into(),
    }
}

/// Byte offset of the first `%XX` (two hex digits) in `input`.
fn find_percent_escape(input: &str) -> Option<usize> {
    let bytes = input.as_bytes();
    (0..bytes.len().saturating_sub(2)).find(|&i| {
        bytes[i] == b'%' && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit()
    })
}

/// How `%XX` reads decoded, for the error message: the character when it is printable ASCII.
fn percent_decoded_char(escape: &str) -> Option<char> {
    let byte = u8::from_str_radix(&escape[1..], 16).ok()?;
    (byte.is_ascii_graphic() || byte == b' ').then_some(byte as char)
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({})", self.text)
    }
}

/// Why a target URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The URL contains a percent escape.
    #[error(
        "target {input} is percent-encoded ({escape}{}); ThousandEyes wants webhook URLs in decoded form and encodes them itself, so write the URL decoded",
        decoded.map(|c| format!(" stands for `{c}`")).unwrap_or_default()
    )]
    PercentEncoded {
        /// The URL as given.
        input: String,
        /// The first escape found, as in `%20`.
        escape: String,
        /// The character it stands for, when printable.
        decoded: Option<char>,
    },
    /// Not a URL.
    #[error("target {input} is not a valid URL ({reason}); write it as https://host[:port]/path")]
    Invalid {
        /// The URL as given.
        input: String,
        /// What the parser said.
        reason: String,
    },
    /// Not http or https.
    #[error("target {input} uses scheme `{scheme}`; webhooks go over http or https only")]
    Scheme {
        /// The URL as given.
        input: String,
        /// The scheme found.
        scheme: String,
    },
    /// The URL carries a user name or password.
    #[error(
        "target URL contains credentials; remove them from the URL and give them as Basic auth instead"
    )]
    Credentials,
    /// The URL has a `#fragment`.
    #[error("target {input} has a #fragment, which never reaches the server; remove it")]
    Fragment {
        /// The URL as given.
        input: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(input: &str, expected: &str) {
        let err = input.parse::<Target>().unwrap_err().to_string();
        assert!(err.contains(expected), "{input}: {err}");
    }

    #[test]
    fn plain_urls_parse() {
        let target: Target = "https://example.com/hook?x=1".parse().unwrap();
        assert_eq!(target.as_str(), "https://example.com/hook?x=1");
        assert_eq!(target.port(), 443);
        assert!(target.is_https());
        let target: Target = "http://[::1]:8080/h".parse().unwrap();
        assert_eq!(target.host(), "::1");
        assert_eq!(target.authority(), "[::1]:8080");
    }

    #[test]
    fn decoded_spaces_are_encoded_for_the_wire() {
        let target: Target = "http://127.0.0.1/a b?q=c d".parse().unwrap();
        assert_eq!(target.uri().to_string(), "http://127.0.0.1/a%20b?q=c%20d");
    }

    #[test]
    fn refusals() {
        check_err(
            "https://example.com/a%20b",
            "percent-encoded (%20 stands for ` `)",
        );
        check_err("https://example.com/?q=%2F", "`/`");
        check_err("ftp://example.com/", "scheme `ftp`");
        check_err("example.com/hook", "not a valid URL");
        check_err("https://example.com/#x", "#fragment");
        let err = "https://bob:hunter2@example.com/"
            .parse::<Target>()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("Basic auth"), "{err}");
    }

    #[test]
    fn credentials_never_reach_an_error() {
        for input in [
            "ftp://alice:s3cret@host/x",
            "http://alice:s3cret@/x",
            "http://alice:s3cret@host/x#frag",
            "http://alice:s3cret@host/a%20b",
            "http://alice:s3cret@host/x",
        ] {
            let err = input.parse::<Target>().unwrap_err().to_string();
            assert!(!err.contains("s3cret") && !err.contains("alice"), "{err}");
        }
    }

    #[test]
    fn userinfo_is_masked() {
        assert_eq!(
            mask_userinfo("http://alice:pass@host:8/p?q=a@b"),
            "http://***@host:8/p?q=a@b"
        );
        assert_eq!(mask_userinfo("https://host/p@x"), "https://host/p@x");
        assert_eq!(mask_userinfo("not a url"), "not a url");
    }

    #[test]
    fn a_lone_percent_is_not_an_escape() {
        let target: Target = "http://example.com/100%".parse().unwrap();
        assert_eq!(target.host(), "example.com");
    }

    #[test]
    fn join_appends_path_and_merges_query() {
        let target: Target = "https://example.com/base?token=1".parse().unwrap();
        let joined = target.join("/custom/path?a=b").unwrap();
        assert_eq!(
            joined.as_str(),
            "https://example.com/base/custom/path?token=1&a=b"
        );
        let root: Target = "http://127.0.0.1:9/".parse().unwrap();
        assert_eq!(root.join("x").unwrap().as_str(), "http://127.0.0.1:9/x");
        assert_eq!(
            root.join("?q=1").unwrap().as_str(),
            "http://127.0.0.1:9/?q=1"
        );
        assert_eq!(root.join("").unwrap(), root);
    }
}
