//! Which checks run: `--only` and `--skip` patterns over the catalogue's ids.
//!
//! A pattern is a prefix (`TE-AUTH`, `auth`) or a glob (`TE-AUTH-*`, `*-00?`), matched
//! case-insensitively; `TE-` may be left out. A pattern naming no check is an error, so a typo
//! never silently selects nothing.

use crate::catalogue::{CATALOGUE, CheckInfo};
use crate::errors::CheckError;

/// Whether `id` is selected by `pattern`.
pub(crate) fn matches(id: &str, pattern: &str) -> bool {
    let pattern = pattern.trim().to_ascii_uppercase();
    if pattern.is_empty() {
        return false;
    }
    let pattern = if pattern.starts_with("TE-") || pattern.starts_with('*') {
        pattern
    } else {
        format!("TE-{pattern}")
    };
    if pattern.contains(['*', '?']) {
        glob(pattern.as_bytes(), id.as_bytes())
    } else {
        id.starts_with(&pattern)
    }
}

/// `*` any run of characters, `?` one character; everything else literal.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// The checks selected by `only` and `skip`, in catalogue order.
pub fn select(only: &[String], skip: &[String]) -> Result<Vec<&'static CheckInfo>, CheckError> {
    for (flag, patterns) in [("only", only), ("skip", skip)] {
        if let Some(pattern) = patterns
            .iter()
            .find(|pattern| !CATALOGUE.iter().any(|check| matches(check.id, pattern)))
        {
            return Err(CheckError::UnknownCheck {
                flag,
                pattern: pattern.clone(),
            });
        }
    }
    Ok(CATALOGUE
        .iter()
        .filter(|check| only.is_empty() || only.iter().any(|pattern| matches(check.id, pattern)))
        .filter(|check| !skip.iter().any(|pattern| matches(check.id, pattern)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(only: &[&str], skip: &[&str]) -> Result<Vec<&'static str>, CheckError> {
        let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
        let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
        select(&only, &skip).map(|checks| checks.iter().map(|check| check.id).collect())
    }

    #[test]
    fn selection_by_prefix() {
        assert_eq!(
            ids(&["te-auth"], &["TE-AUTH-002"]).unwrap(),
            ["TE-AUTH-001", "TE-AUTH-003"]
        );
        assert_eq!(ids(&["REDIRECT"], &[]).unwrap(), ["TE-REDIRECT-001"]);
        assert_eq!(ids(&[], &[]).unwrap().len(), CATALOGUE.len());
        assert!(matches!(
            ids(&["TE-NOPE"], &[]),
            Err(CheckError::UnknownCheck { flag: "only", .. })
        ));
    }

    #[test]
    fn selection_by_glob() {
        assert_eq!(
            ids(&["TE-AUTH-*", "TE-REDIRECT-001"], &[]).unwrap(),
            [
                "TE-REDIRECT-001",
                "TE-AUTH-001",
                "TE-AUTH-002",
                "TE-AUTH-003"
            ]
        );
        assert_eq!(
            ids(&["te-oauth-00?"], &["*-002"]).unwrap(),
            ["TE-OAUTH-001", "TE-OAUTH-003"]
        );
        assert_eq!(ids(&["*"], &[]).unwrap().len(), CATALOGUE.len());
        // An exact id selects that check only, not TE-AUTH-0010 if one ever existed.
        assert!(matches("TE-AUTH-001", "TE-AUTH-001"));
        assert!(!matches("TE-AUTH-001", "TE-AUTH-*2"));
        assert!(matches!(
            ids(&[], &["TE-ZZZ-*"]),
            Err(CheckError::UnknownCheck { flag: "skip", .. })
        ));
    }
}
