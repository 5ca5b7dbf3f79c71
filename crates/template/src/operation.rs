//! A webhook operation compiled once and rendered per notification: body, templated headers
//! and query parameters, the way ThousandEyes renders them before a POST (reference §2.3, §5.2).

use std::fmt;
use std::path::{Path, PathBuf};

use handlebars::{Handlebars, RenderErrorReason};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use tesim_model::custom::{CustomNotification, FieldError, GenericConnector, WebhookOperation};

use crate::engine;
use crate::limits::{self, Budget, CappedOutput};

/// Which template of an operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// `payload`: the body.
    Payload,
    /// `queryParams`.
    QueryParams,
    /// `headers[index]`, with its name.
    Header {
        /// Index in `headers`.
        index: usize,
        /// The header's name.
        name: String,
    },
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Payload => f.write_str("payload"),
            Part::QueryParams => f.write_str("queryParams"),
            Part::Header { index, name } => write!(f, "headers[{index}] ({name})"),
        }
    }
}

/// A template that does not parse, or is beyond one of tesim's limits ([`crate::limits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Which template.
    pub part: Part,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What Handlebars said, or which limit the template exceeds.
    pub message: String,
    /// Whether the template exceeds a limit (too long, nested too deep) rather than being
    /// malformed.
    pub limit: bool,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{} line {line}, column {column}: {}",
                self.part, self.message
            ),
            None => write!(f, "{}: {}", self.part, self.message),
        }
    }
}

/// A template that parsed but failed to render for one notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderFailure {
    /// Which template.
    pub part: Part,
    /// 1-based line and column in the template, when known.
    pub position: Option<(usize, usize)>,
    /// What went wrong.
    pub message: String,
    /// Whether a render limit stopped it (partial depth, steps, output size).
    pub limit: bool,
}

impl fmt::Display for RenderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{} line {line}, column {column}: {}",
                self.part, self.message
            ),
            None => write!(f, "{}: {}", self.part, self.message),
        }
    }
}

impl std::error::Error for RenderFailure {}

/// One notification rendered through an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The body.
    pub body: String,
    /// The operation's headers with their values rendered, in order.
    pub headers: Vec<(String, String)>,
    /// The rendered query parameters, in template order.
    pub query: Vec<(String, String)>,
    /// The operation path and the encoded query, to append to the connector target
    /// (`/custom/path?a=b`); empty when there is neither.
    pub path_and_query: String,
}

/// A webhook operation with its templates parsed.
pub struct CompiledOperation {
    operation: WebhookOperation,
    parts: Vec<(Part, String)>,
    lenient: Handlebars<'static>,
    strict: Handlebars<'static>,
    /// The parsed template of each part, for static checks.
    trees: Vec<handlebars::Template>,
}

impl fmt::Debug for CompiledOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledOperation")
            .field("name", &self.operation.name)
            .field(
                "parts",
                &self.parts.iter().map(|(part, _)| part).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn template_name(index: usize) -> String {
    format!("part{index}")
}

fn marked_name(index: usize) -> String {
    format!("part{index}#marked")
}

/// Bytes allowed unencoded in a query component: RFC 3986 unreserved.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Bytes allowed unencoded in a path: unreserved plus `/` and sub-delims that are safe.
const PATH: &AsciiSet = &QUERY
    .remove(b'/')
    .remove(b':')
    .remove(b'@')
    .remove(b'+')
    .remove(b',');

impl CompiledOperation {
    /// Parses every template of `operation`, reporting every syntax error at once.
    pub fn new(operation: WebhookOperation) -> Result<CompiledOperation, Vec<SyntaxError>> {
        let mut parts = vec![(Part::Payload, operation.payload.clone().unwrap_or_default())];
        if let Some(query) = &operation.query_params {
            parts.push((Part::QueryParams, query.clone()));
        }
        for (index, header) in operation.headers.iter().enumerate() {
            parts.push((
                Part::Header {
                    index,
                    name: header.name.clone(),
                },
                header.value.clone(),
            ));
        }
        let mut lenient = engine::registry(false);
        let mut strict = engine::registry(true);
        let mut errors = Vec::new();
        let mut trees = Vec::new();
        for (index, (part, source)) in parts.iter().enumerate() {
            if let Err(violation) = limits::scan(source) {
                errors.push(SyntaxError {
                    part: part.clone(),
                    position: Some(engine::line_col(source, violation.offset)),
                    message: violation.message,
                    limit: true,
                });
                continue;
            }
            let rewritten = engine::rewrite_sizes(source);
            // Markers only go into raw text, so the marked template parses whenever the
            // original does.
            let compiled =
                engine::compile(&rewritten, &template_name(index)).and_then(|template| {
                    let marked = engine::compile(&engine::mark(&rewritten), &marked_name(index))?;
                    Ok((template, marked))
                });
            match compiled {
                Ok((template, marked)) => {
                    trees.push(template.clone());
                    lenient.register_template(&template_name(index), template.clone());
                    lenient.register_template(&marked_name(index), marked);
                    strict.register_template(&template_name(index), template);
                }
                Err(err) => errors.push(SyntaxError {
                    part: part.clone(),
                    position: err.pos(),
                    message: err.reason().to_string(),
                    limit: false,
                }),
            }
        }
        if errors.is_empty() {
            Ok(CompiledOperation {
                operation,
                parts,
                lenient,
                strict,
                trees,
            })
        } else {
            Err(errors)
        }
    }

    /// The operation.
    pub fn operation(&self) -> &WebhookOperation {
        &self.operation
    }

    /// The templates, in order: payload, query parameters (if any), headers.
    pub fn parts(&self) -> impl Iterator<Item = &Part> {
        self.parts.iter().map(|(part, _)| part)
    }

    /// The source of a template.
    pub fn source(&self, part: &Part) -> Option<&str> {
        self.parts
            .iter()
            .find(|(candidate, _)| candidate == part)
            .map(|(_, source)| source.as_str())
    }

    /// Block paths of template `index` that name no variable of `data` (see
    /// [`engine::unknown_block_paths`]).
    pub(crate) fn unknown_block_paths(
        &self,
        index: usize,
        data: &Value,
    ) -> Vec<(String, Option<(usize, usize)>)> {
        self.trees
            .get(index)
            .map(|tree| engine::unknown_block_paths(tree, data))
            .unwrap_or_default()
    }

    /// Renders one template as ThousandEyes would (missing variables render empty).
    pub(crate) fn render_part(&self, index: usize, data: &Value) -> Result<String, RenderFailure> {
        bounded_render(&self.lenient, &template_name(index), data)
            .map_err(|err| self.failure(index, &err))
    }

    /// Renders one template with position markers (see [`engine::SourceMap`]).
    pub(crate) fn render_marked(&self, index: usize, data: &Value) -> Option<engine::SourceMap> {
        let output = bounded_render(&self.lenient, &marked_name(index), data).ok()?;
        Some(engine::SourceMap::new(&output))
    }

    /// Renders one template in strict mode; `Err` names the first variable the data lacks.
    pub(crate) fn render_strict(&self, index: usize, data: &Value) -> Result<(), RenderFailure> {
        bounded_render(&self.strict, &template_name(index), data)
            .map(drop)
            .map_err(|err| {
                let mut failure = self.failure(index, &err);
                // In strict mode Handlebars drops a helper parameter that names a missing variable
                // and the helper only sees fewer parameters: name the variable from the source.
                if let RenderErrorReason::ParamNotFoundForIndex(helper, param_index) = err.reason()
                {
                    let value = *helper == engine::VALUE_HELPER;
                    let param = failure.position.and_then(|(line, column)| {
                        tag_param(&self.parts[index].1, line, column, *param_index, value)
                    });
                    if let Some(path) = param {
                        failure.message =
                            format!("`{path}` is not a variable of the notification model");
                    }
                }
                failure
            })
    }

    fn failure(&self, index: usize, err: &handlebars::RenderError) -> RenderFailure {
        let message = match err.reason() {
            RenderErrorReason::MissingVariable(Some(path)) => {
                format!("`{path}` is not a variable of the notification model")
            }
            RenderErrorReason::InvalidJsonIndex(segment) => format!(
                "`.{segment}` follows a collection; collections have only `.size` and are read with {{{{#each}}}}"
            ),
            other => other.to_string(),
        };
        let limit = Budget::exceeded();
        let message = if limit {
            // The limit's own words, not the I/O or helper wrapping around them.
            match err.reason() {
                RenderErrorReason::Other(text) => text.clone(),
                RenderErrorReason::IOError(io) => io.to_string(),
                _ => message,
            }
        } else {
            message
        };
        RenderFailure {
            part: self.parts[index].0.clone(),
            position: err.line_no.zip(err.column_no),
            message,
            limit,
        }
    }

    /// Renders `notification` through every template of the operation.
    pub fn render(&self, notification: &CustomNotification) -> Result<Rendered, RenderFailure> {
        self.render_value(notification.to_value())
    }

    /// Renders any JSON as the notification (for data tesim does not model, e.g. a
    /// notification captured elsewhere). Collections get their `.size` as in [`Self::render`].
    pub fn render_value(&self, mut data: Value) -> Result<Rendered, RenderFailure> {
        engine::with_sizes(&mut data);
        let mut body = String::new();
        let mut headers = Vec::new();
        let mut query = Vec::new();
        for (index, (part, _)) in self.parts.iter().enumerate() {
            let text = self.render_part(index, &data)?;
            match part {
                Part::Payload => body = text,
                Part::QueryParams => {
                    query = query_params(&text).map_err(|message| RenderFailure {
                        part: part.clone(),
                        position: None,
                        message,
                        limit: false,
                    })?
                }
                Part::Header { name, .. } => {
                    if let Some(bad) = text.chars().find(|ch| ch.is_control() && *ch != '\t') {
                        return Err(RenderFailure {
                            part: part.clone(),
                            position: None,
                            message: format!(
                                "header value contains the control character {bad:?}, which HTTP does not allow"
                            ),
                            limit: false,
                        });
                    }
                    headers.push((name.clone(), text));
                }
            }
        }
        let path_and_query = path_and_query(self.operation.path.as_deref(), &query);
        Ok(Rendered {
            body,
            headers,
            query,
            path_and_query,
        })
    }
}

/// Renders a registered template within the render limits: a fresh step budget on this thread
/// and an output that stops growing at [`limits::MAX_OUTPUT_BYTES`].
fn bounded_render(
    registry: &Handlebars<'static>,
    name: &str,
    data: &Value,
) -> Result<String, handlebars::RenderError> {
    Budget::begin();
    let mut output = CappedOutput::default();
    registry.render_to_write(name, data, &mut output)?;
    // Handlebars writes whole `&str`s, and a write past the cap is refused whole.
    Ok(String::from_utf8(output.bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()))
}

/// The `param_index`th parameter of the tag at 1-based `line` and `column` of `source`, when
/// it is a variable path (not a literal or a subexpression).
/// `value`: the tag is a plain `{{path}}` (routed through the value helper), whose parameter
/// is its first token.
fn tag_param(
    source: &str,
    line: usize,
    column: usize,
    param_index: usize,
    value: bool,
) -> Option<String> {
    let line_text = source.lines().nth(line.checked_sub(1)?)?;
    let start: usize = line_text.char_indices().nth(column.checked_sub(1)?)?.0;
    let tag = &line_text[start..];
    let tag = tag.strip_prefix("{{")?;
    let end = tag.find("}}")?;
    let inner = tag[..end]
        .trim_start_matches(['~', '#', '{'])
        .trim_end_matches('~');
    let token = inner
        .split_whitespace()
        .nth(param_index + usize::from(!value))?;
    let literal = token.starts_with(['"', '\'', '(', '@'])
        || token.parse::<f64>().is_ok()
        || matches!(token, "true" | "false" | "null" | "this")
        || token.contains('=');
    (!literal).then(|| token.to_owned())
}

/// The JSON a template is rendered over: the notification plus the collections' sizes.
pub(crate) fn template_data(notification: &CustomNotification) -> Value {
    let mut data = notification.to_value();
    engine::with_sizes(&mut data);
    data
}

/// Reads the rendered `queryParams`: a JSON object of parameter → scalar value.
pub(crate) fn query_params(text: &str) -> Result<Vec<(String, String)>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|err| format!("query parameters are not valid JSON: {err}"))?;
    let Value::Object(object) = value else {
        return Err(format!(
            "query parameters must render to a JSON object of parameter to value, not {}",
            json_kind(&value)
        ));
    };
    object
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(text) => Ok((name, text)),
            Value::Number(number) => Ok((name, number.to_string())),
            Value::Bool(flag) => Ok((name, flag.to_string())),
            Value::Null => Ok((name, String::new())),
            other => Err(format!(
                "query parameter `{name}` is {}; a parameter value must be a string, number or boolean",
                json_kind(&other)
            )),
        })
        .collect()
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `path?query` in wire form.
pub fn path_and_query(path: Option<&str>, query: &[(String, String)]) -> String {
    let mut text = path
        .map(|path| utf8_percent_encode(path.trim(), PATH).to_string())
        .unwrap_or_default();
    if !query.is_empty() {
        text.push('?');
        let pairs: Vec<String> = query
            .iter()
            .map(|(name, value)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(name, QUERY),
                    utf8_percent_encode(value, QUERY)
                )
            })
            .collect();
        text.push_str(&pairs.join("&"));
    }
    text
}

/// Why an operation or connector file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read {path}; check the path")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{path}:{line}:{column}: not valid JSON ({message}); export it from GET /v7/{what}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
        /// `operations/webhooks/{id}` or `connectors/generic/{id}`.
        what: &'static str,
    },
    /// The JSON is not a valid operation or connector.
    #[error("{path}: not a valid {kind}: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// `webhook operation` or `generic connector`.
        kind: &'static str,
        /// Every problem.
        errors: Vec<FieldError>,
    },
    /// A list response with other than one item.
    #[error("{path}: a list of {count} {kind}s; save one item (GET /v7/{what}) to its own file")]
    List {
        /// The file.
        path: PathBuf,
        /// How many items.
        count: usize,
        /// `webhook operation` or `generic connector`.
        kind: &'static str,
        /// The endpoint of one item.
        what: &'static str,
    },
}

fn read_json(path: &Path, what: &'static str, kind: &'static str) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|err| LoadError::Json {
        path: path.to_owned(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
        what,
    })?;
    // A list response (`{"items":[…]}`) with one item is accepted as that item.
    match value.get("items").and_then(Value::as_array) {
        Some(items) if items.len() == 1 => Ok(items[0].clone()),
        Some(items) => Err(LoadError::List {
            path: path.to_owned(),
            count: items.len(),
            kind,
            what,
        }),
        None => Ok(value),
    }
}

/// Reads a webhook operation as `GET /v7/operations/webhooks/{id}` returns it.
pub fn load_operation(path: &Path) -> Result<WebhookOperation, LoadError> {
    let (what, kind) = ("operations/webhooks/{id}", "webhook operation");
    let value = read_json(path, what, kind)?;
    WebhookOperation::from_value(&value).map_err(|errors| LoadError::Invalid {
        path: path.to_owned(),
        kind,
        errors,
    })
}

/// Reads a generic connector as `GET /v7/connectors/generic/{id}` returns it.
pub fn load_connector(path: &Path) -> Result<GenericConnector, LoadError> {
    let (what, kind) = ("connectors/generic/{id}", "generic connector");
    let value = read_json(path, what, kind)?;
    GenericConnector::from_value(&value).map_err(|errors| LoadError::Invalid {
        path: path.to_owned(),
        kind,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_encode() {
        let query = vec![
            ("q".to_owned(), "a b&c".to_owned()),
            ("n".to_owned(), "1".to_owned()),
        ];
        assert_eq!(
            path_and_query(Some("/custom/path"), &query),
            "/custom/path?q=a%20b%26c&n=1"
        );
        assert_eq!(path_and_query(None, &[]), "");
    }

    #[test]
    fn query_params_must_be_an_object_of_scalars() {
        assert_eq!(query_params("{\"a\":1,\"b\":\"x\"}").unwrap().len(), 2);
        assert!(query_params("[1]").unwrap_err().contains("JSON object"));
        assert!(
            query_params("{\"a\":[1]}")
                .unwrap_err()
                .contains("`a` is an array")
        );
    }
}
