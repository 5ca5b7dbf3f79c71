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
    /// The file could not be read.
    #[error(
        "cannot read scenario {path}: {source}; give a built-in name ({builtins}) or a path to a .toml file"
    )]
    Read {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
        /// The built-in names.
        builtins: String,
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
            ScenarioError::Read { .. } => &[],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
