//! Scenario files (`scenarios/*.toml`) compiled into a deterministic [`Timeline`] of
//! ThousandEyes notifications and alert states.
//!
//! Pure given its inputs: the same text, seed and start instant give the same timeline, byte
//! for byte once rendered. The only IO is [`load`] reading a file the user names; there is no
//! clock (`--start now` is resolved by the caller) and no socket.

pub mod compile;
pub mod error;
pub mod file;
pub mod offset;
pub mod timeline;

use std::path::{Path, PathBuf};

pub use compile::{DEFAULT_SEED, DEFAULT_START, Options};
pub use error::{Diagnostic, ScenarioError};
pub use timeline::{AlertChange, AlertSnapshot, Timeline};

/// The scenarios shipped with tesim, by name, compiled into the binary so they work from any
/// directory.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../../scenarios/default.toml")),
    (
        "webhook-test",
        include_str!("../../../scenarios/webhook-test.toml"),
    ),
    (
        "page-load",
        include_str!("../../../scenarios/page-load.toml"),
    ),
    (
        "agent-clock-offset",
        include_str!("../../../scenarios/agent-clock-offset.toml"),
    ),
    (
        "rule-deleted-while-active",
        include_str!("../../../scenarios/rule-deleted-while-active.toml"),
    ),
    ("flapping", include_str!("../../../scenarios/flapping.toml")),
    (
        "agent-offline",
        include_str!("../../../scenarios/agent-offline.toml"),
    ),
    ("storm", include_str!("../../../scenarios/storm.toml")),
    (
        "day-in-the-life",
        include_str!("../../../scenarios/day-in-the-life.toml"),
    ),
    (
        "device-notifications",
        include_str!("../../../scenarios/device-notifications.toml"),
    ),
    (
        "trigger-only",
        include_str!("../../../scenarios/trigger-only.toml"),
    ),
];

/// A scenario's text and where it came from, before compiling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The scenario's name: the built-in name or the file stem.
    pub name: String,
    /// What error messages call it: the path, or `scenarios/<name>.toml` for a built-in.
    pub path: PathBuf,
    /// The TOML text.
    pub text: String,
}

impl Source {
    /// A scenario given as text (for tests and tools).
    pub fn from_text(name: &str, text: &str) -> Source {
        Source {
            name: name.to_owned(),
            path: PathBuf::from(format!("{name}.toml")),
            text: text.to_owned(),
        }
    }

    /// Compiles the scenario.
    pub fn compile(&self, options: Options) -> Result<Timeline, ScenarioError> {
        let invalid = |diagnostics| ScenarioError::Invalid {
            path: self.path.clone(),
            diagnostics,
        };
        let file = parse(&self.text).map_err(|diagnostic| invalid(vec![diagnostic]))?;
        compile::compile(&self.name, &self.text, &file, options).map_err(invalid)
    }
}

/// The names of the built-in scenarios.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// A built-in scenario by name, or a `.toml` file by path.
pub fn load(name_or_path: &str) -> Result<Source, ScenarioError> {
    if let Some((name, text)) = BUILTIN.iter().find(|(name, _)| *name == name_or_path) {
        return Ok(Source {
            name: (*name).to_owned(),
            path: PathBuf::from(format!("scenarios/{name}.toml")),
            text: (*text).to_owned(),
        });
    }
    let path = Path::new(name_or_path);
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
        builtins: builtin_names().join(", "),
    })?;
    let name = path.file_stem().map_or_else(
        || name_or_path.to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    Ok(Source {
        name,
        path: path.to_owned(),
        text,
    })
}

/// Parses the TOML, turning serde's error into a positioned diagnostic.
fn parse(text: &str) -> Result<file::ScenarioFile, Diagnostic> {
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|err| toml_diagnostic(text, &err, String::new()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = err.path().to_string();
        // `Spanned` fields add serde_spanned's private key to the path; users never wrote it.
        let field = field.replace(".$__serde_spanned_private_value", "");
        let field = if field == "." { String::new() } else { field };
        toml_diagnostic(text, err.inner(), field)
    })
}

fn toml_diagnostic(text: &str, err: &toml::de::Error, field: String) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    Diagnostic::at(text, span, field, err.message().trim_end().to_owned())
}
