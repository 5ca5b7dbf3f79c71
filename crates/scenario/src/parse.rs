//! TOML text to [`ScenarioFile`], with every serde problem as a positioned [`Diagnostic`].
//!
//! A syntax error stops everything (the rest of the text cannot be trusted), but each entry of
//! `[[tests]]`, `[[rules]]`, `[[agents]]`, `[[agent-rules]]` and `[[steps]]` is read on its
//! own, so a misspelt key in one step and a wrong type in another are reported together.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::error::Diagnostic;
use crate::file::ScenarioFile;

/// Parses `text`, reporting every shape problem (unknown key, wrong type, missing key).
pub fn parse(text: &str) -> Result<ScenarioFile, Vec<Diagnostic>> {
    let mut root =
        DeTable::parse(text).map_err(|err| vec![toml_diagnostic(text, &err, String::new())])?;
    let mut diagnostics = Vec::new();
    let mut entries = |key: &str| take_entries(root.get_mut(), key);
    let (tests, rules, agents, agent_rules, steps) = (
        entries("tests"),
        entries("rules"),
        entries("agents"),
        entries("agent-rules"),
        entries("steps"),
    );
    let file: Option<ScenarioFile> = read_value(
        text,
        toml::de::Deserializer::from(root),
        "",
        &mut diagnostics,
    );
    let tests = read_entries(text, tests, "tests", &mut diagnostics);
    let rules = read_entries(text, rules, "rules", &mut diagnostics);
    let agents = read_entries(text, agents, "agents", &mut diagnostics);
    let agent_rules = read_entries(text, agent_rules, "agent-rules", &mut diagnostics);
    let steps = read_entries(text, steps, "steps", &mut diagnostics);
    match file {
        Some(file) if diagnostics.is_empty() => Ok(ScenarioFile {
            tests,
            rules,
            agents,
            agent_rules,
            steps,
            ..file
        }),
        _ => Err(diagnostics),
    }
}

/// Takes the array under `key` out of `root`, leaving an empty one. Anything else is left for
/// the whole-file read to report.
fn take_entries<'i>(root: &mut DeTable<'i>, key: &str) -> Vec<Spanned<DeValue<'i>>> {
    let Some((_, value)) = root.iter_mut().find(|(name, _)| {
        let name: &str = name.get_ref();
        name == key
    }) else {
        return Vec::new();
    };
    if !matches!(value.get_ref(), DeValue::Array(_)) {
        return Vec::new();
    }
    let empty = Spanned::new(value.span(), DeValue::Array(DeArray::from_iter([])));
    match std::mem::replace(value, empty).into_inner() {
        DeValue::Array(items) => items.into_iter().collect(),
        _ => Vec::new(),
    }
}

fn read_entries<T: DeserializeOwned>(
    text: &str,
    items: Vec<Spanned<DeValue<'_>>>,
    key: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let deserializer = toml::de::ValueDeserializer::from(item);
            read_value(text, deserializer, &format!("{key}[{index}]"), diagnostics)
        })
        .collect()
}

/// Deserializes one value; a problem becomes a diagnostic whose field is `prefix` then the
/// path inside the value.
fn read_value<'de, T: DeserializeOwned>(
    text: &str,
    deserializer: impl serde::Deserializer<'de, Error = toml::de::Error>,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    match serde_path_to_error::deserialize(deserializer) {
        Ok(value) => Some(value),
        Err(err) => {
            let path = err.path().to_string();
            // `Spanned` fields add serde_spanned's private key to the path; users never wrote it.
            let path = path.replace(".$__serde_spanned_private_value", "");
            let field = match (prefix, path.as_str()) {
                (prefix, ".") => prefix.to_owned(),
                ("", path) => path.to_owned(),
                (prefix, path) if path.starts_with('[') => format!("{prefix}{path}"),
                (prefix, path) => format!("{prefix}.{path}"),
            };
            diagnostics.push(toml_diagnostic(text, err.inner(), field));
            None
        }
    }
}

fn toml_diagnostic(text: &str, err: &toml::de::Error, field: String) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    let mut message = err.message().trim_end().to_owned();
    // toml's "duplicate key" does not say which; its span covers the key.
    let key = text.get(span.clone()).map(str::trim);
    if let (true, Some(key)) = (
        message == "duplicate key",
        key.filter(|key| !key.is_empty()),
    ) {
        let key: String = key.chars().take(80).collect();
        message = format!("duplicate key `{key}`; a key may appear once per table");
    }
    Diagnostic::at(text, span, field, message)
}
