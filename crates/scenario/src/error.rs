//! Scenario errors: every one names the file, line, column and field, and says what was
//! expected.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Dotted field path, e.g. `steps[3].rule`.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Diagnostic {
    /// A problem at byte `span` of `text`.
    pub fn at(
        text: &str,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(text, span.start);
        Diagnostic {
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Why a scenario could not be loaded or compiled.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Neither a built-in scenario name nor an existing file: most often a typo.
    #[error(
        "`{name}` is not a built-in scenario or a file{}; built-in scenarios: {builtins}",
        did_you_mean(.suggestion)
    )]
    NotFound {
        /// The name or path as given.
        name: String,
        /// The built-in name nearest to `name`, when one is near.
        suggestion: Option<&'static str>,
        /// The built-in names, comma-separated.
        builtins: String,
    },
    /// The file exists but could not be read (the reason is the error's source).
    #[error("cannot read scenario {path}")]
    Read {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file has problems; all of them are listed.
    #[error("{}", render_diagnostics(path, diagnostics))]
    Invalid {
        /// The file (or built-in name).
        path: PathBuf,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion.map_or_else(String::new, |name| format!(" (did you mean `{name}`?)"))
}

fn render_diagnostics(path: &std::path::Path, diagnostics: &[Diagnostic]) -> String {
    let mut text = String::new();
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        text.push_str(&format!(
            "{}:{}:{}: ",
            path.display(),
            diagnostic.line,
            diagnostic.column
        ));
        if !diagnostic.field.is_empty() {
            text.push_str(&format!("{}: ", diagnostic.field));
        }
        text.push_str(&diagnostic.message);
    }
    text
}

impl ScenarioError {
    /// The problems, when the file was read but is invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Read { .. } | ScenarioError::NotFound { .. } => &[],
            ScenarioError::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.field, self.message
        )
    }
}

/// The candidate nearest to `name` by edit distance, if it is near enough to be a typo.
pub fn nearest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_only() {
        let names = ["default", "storm", "flapping", "page-load"];
        assert_eq!(nearest("defualt", &names), Some("default"));
        assert_eq!(nearest("strom", &names), Some("storm"));
        assert_eq!(nearest("flaping", &names), Some("flapping"));
        assert_eq!(nearest("pageload", &names), Some("page-load"));
        assert_eq!(nearest("mine.toml", &names), None);
        assert_eq!(nearest("", &names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
