//! Scenario files (`scenarios/*.toml`) compiled into a deterministic [`Timeline`] of
//! ThousandEyes notifications and alert states.
//!
//! Pure given its inputs: the same text, seed and start instant give the same timeline, byte
//! for byte once rendered. The only IO is [`load`] reading a file the user names; there is no
//! clock (`--start now` is resolved by the caller) and no socket.

pub mod compile;
pub mod error;
pub mod file;
pub mod limits;
pub mod offset;
mod parse;
pub mod timeline;

use std::path::{Path, PathBuf};

pub use compile::{DEFAULT_SEED, DEFAULT_START, Events, Options};
pub use error::{Diagnostic, ScenarioError};
pub use timeline::{AlertChange, AlertSnapshot, Event, Timeline};

/// Up to this many primitive steps, [`Source::stream`] plays the whole scenario once to check
/// it before handing out its first event, so that a mistake is reported before anything is
/// sent (about 50 ms in a release build). Above it, checking would delay the first event by
/// the time of the whole run: a problem found by playing stops the stream where it is found.
pub const CHECKED_STEPS: u64 = 100_000;

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

    /// A scenario given as bytes, checked as a file would be (size, UTF-8): what a fuzz target
    /// or a tool reading from elsewhere calls, followed by [`Source::compile`]. Never panics.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Source, ScenarioError> {
        let path = PathBuf::from(format!("{name}.toml"));
        let text = text_of(bytes).map_err(|diagnostic| ScenarioError::Invalid {
            path: path.clone(),
            diagnostics: vec![diagnostic],
        })?;
        Ok(Source {
            name: name.to_owned(),
            path,
            text: text.to_owned(),
        })
    }

    /// Compiles the scenario.
    pub fn compile(&self, options: Options) -> Result<Timeline, ScenarioError> {
        let invalid = |diagnostics| ScenarioError::Invalid {
            path: self.path.clone(),
            diagnostics,
        };
        if self.text.len() > limits::MAX_FILE_BYTES {
            return Err(invalid(vec![too_large(self.text.len())]));
        }
        let file = parse::parse(&self.text).map_err(invalid)?;
        compile::compile(&self.name, &self.text, &file, options).map_err(invalid)
    }

    /// Compiles the scenario into its events, made one at a time in play order: the same events
    /// as [`Source::compile`]'s timeline, holding only what is active. Problems found before
    /// playing are returned here, all at once; so are those found by playing when the scenario
    /// has at most [`CHECKED_STEPS`] steps. In a longer one, such a problem ends the events
    /// where it is found: call [`Events::check`] after the last one.
    pub fn stream(&self, options: Options) -> Result<Events, ScenarioError> {
        let invalid = |diagnostics| ScenarioError::Invalid {
            path: self.path.clone(),
            diagnostics,
        };
        if self.text.len() > limits::MAX_FILE_BYTES {
            return Err(invalid(vec![too_large(self.text.len())]));
        }
        let file = parse::parse(&self.text).map_err(invalid)?;
        let mut events =
            compile::events(&self.name, &self.text, &file, options.clone()).map_err(invalid)?;
        events.path.clone_from(&self.path);
        if !events.problems().is_empty() || events.n_steps() <= CHECKED_STEPS {
            // Reports every problem at once, as `compile` does.
            compile::compile(&self.name, &self.text, &file, options).map_err(invalid)?;
        }
        Ok(events)
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
    let text = read_text(path)?;
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

/// Reads a scenario file as UTF-8, at most [`limits::MAX_FILE_BYTES`] of it.
fn read_text(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read as _;
    let read_error = |source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            let name = path.to_string_lossy().into_owned();
            ScenarioError::NotFound {
                suggestion: error::nearest(&name, &builtin_names()),
                name,
                builtins: builtin_names().join(", "),
            }
        } else {
            read_error(source)
        }
    })?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells "too large" from "exactly at the bound".
    file.take(limits::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    text_of(&bytes)
        .map(str::to_owned)
        .map_err(|diagnostic| ScenarioError::Invalid {
            path: path.to_owned(),
            diagnostics: vec![diagnostic],
        })
}

/// The bytes as scenario text: at most [`limits::MAX_FILE_BYTES`], UTF-8.
fn text_of(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if bytes.len() > limits::MAX_FILE_BYTES {
        return Err(too_large(bytes.len()));
    }
    std::str::from_utf8(bytes).map_err(|err| not_utf8(bytes, err))
}

fn too_large(size: usize) -> Diagnostic {
    let message = format!(
        "the file is larger than {} bytes ({size} read); scenarios are at most 4 MiB: use `[fleet]`, `burst` or `flap` to generate many",
        limits::MAX_FILE_BYTES
    );
    Diagnostic::at("", 0..0, "", message)
}

/// Where the first invalid byte is: line and column count the valid text before it.
fn not_utf8(bytes: &[u8], err: std::str::Utf8Error) -> Diagnostic {
    let valid_up_to = err.valid_up_to();
    let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    let message = format!(
        "not UTF-8: byte 0x{:02X} (byte offset {valid_up_to}) is invalid; save the file as UTF-8",
        bytes[valid_up_to]
    );
    Diagnostic::at(valid, valid_up_to..valid_up_to, "", message)
}
