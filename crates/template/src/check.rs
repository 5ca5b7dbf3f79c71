//! `tesim template check`: render an operation for many notifications and report every
//! rendering ThousandEyes would send broken.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;
use tesim_model::custom::IdEra;

use crate::events::{self, Event};
use crate::operation::{self, CompiledOperation, Part, RenderFailure, SyntaxError};

/// What is wrong with a rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A template does not parse.
    Syntax,
    /// A template failed to render (a helper error, a bad path).
    Render,
    /// A template names a variable the notification model does not have.
    UnknownVariable,
    /// The body (or query parameters) is not valid JSON.
    InvalidJson,
    /// An object or a list was rendered as text (`[object]`).
    ObjectAsText,
    /// The query parameters are not a JSON object of scalar values.
    QueryParams,
    /// A header value cannot go on the wire.
    Header,
    /// The rendering has a different shape in the two id eras.
    EraShape,
    /// The template exceeds one of tesim's limits ([`crate::limits`]): too long, nested too
    /// deep, partials calling themselves, a rendering too long or too much work.
    Limit,
}

impl ProblemKind {
    /// A short stable name: `invalid-json`, `unknown-variable`, …
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Syntax => "syntax",
            ProblemKind::Render => "render",
            ProblemKind::UnknownVariable => "unknown-variable",
            ProblemKind::InvalidJson => "invalid-json",
            ProblemKind::ObjectAsText => "object-as-text",
            ProblemKind::QueryParams => "query-params",
            ProblemKind::Header => "header",
            ProblemKind::EraShape => "era-shape",
            ProblemKind::Limit => "limit",
        }
    }
}

/// One problem, with the first event that shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// Which template.
    pub part: Part,
    /// 1-based line and column in that template, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what to do.
    pub message: String,
    /// The first event whose rendering shows it, with its id era.
    pub event: Option<String>,
    /// The rendered text around the error, with a `^` under it (two lines).
    pub excerpt: Option<String>,
    /// How many other renderings show the same problem.
    pub also_in: usize,
    /// Which kinds of notification break, e.g. "breaks 12 of 12 clear renderings and no
    /// trigger: the Test button (a trigger) would not show it".
    pub note: Option<String>,
    /// Renderings of triggers (`type.id` 2) that show it.
    pub in_triggers: usize,
    /// Renderings of clears (`type.id` 1) that show it.
    pub in_clears: usize,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error[{}]: {}", self.kind.name(), self.message)?;
        match self.position {
            Some((line, column)) => {
                writeln!(f, "  --> {} line {line}, column {column}", self.part)?
            }
            None => writeln!(f, "  --> {}", self.part)?,
        }
        if let Some(event) = &self.event {
            write!(f, "   = event: {event}")?;
            match self.also_in {
                0 => writeln!(f)?,
                1 => writeln!(f, " (and 1 other rendering)")?,
                n => writeln!(f, " (and {n} other renderings)")?,
            }
        }
        if let Some(note) = &self.note {
            writeln!(f, "   = note: {note}")?;
        }
        if let Some(excerpt) = &self.excerpt {
            for line in excerpt.lines() {
                writeln!(f, "   | {line}")?;
            }
        }
        Ok(())
    }
}

/// The result of a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every distinct problem, in the order first found.
    pub problems: Vec<Problem>,
    /// Events checked.
    pub events: usize,
    /// Renderings made (events × id eras).
    pub renderings: usize,
}

impl Report {
    /// The report as JSON for tools: `{"ok", "events", "renderings", "problems": [{"kind",
    /// "part", "line", "column", "message", "event", "alsoIn", "inTriggers", "inClears",
    /// "note", "excerpt"}]}`.
    pub fn to_json(&self) -> Value {
        let problems: Vec<Value> = self
            .problems
            .iter()
            .map(|problem| {
                serde_json::json!({
                    "kind": problem.kind.name(),
                    "part": problem.part.to_string(),
                    "line": problem.position.map(|(line, _)| line),
                    "column": problem.position.map(|(_, column)| column),
                    "message": problem.message,
                    "event": problem.event,
                    "alsoIn": problem.also_in,
                    "inTriggers": problem.in_triggers,
                    "inClears": problem.in_clears,
                    "note": problem.note,
                    "excerpt": problem.excerpt,
                })
            })
            .collect();
        serde_json::json!({
            "ok": self.is_ok(),
            "events": self.events,
            "renderings": self.renderings,
            "problems": problems,
        })
    }

    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Collects problems, merging repeats of one problem (same kind, template, place, message).
/// What makes two problems the same: kind, template, place and message.
type ProblemKey = (ProblemKind, Part, Option<(usize, usize)>, String);

#[derive(Default)]
struct Collector {
    problems: Vec<Problem>,
    index: HashMap<ProblemKey, usize>,
    /// Whether the rendering being checked is a trigger.
    trigger: bool,
    triggers: usize,
    clears: usize,
    /// The id era of the rendering being checked.
    era: IdEra,
    /// Per problem, how many renderings of each era show it ([`IdEra::ALL`] order).
    eras: Vec<[usize; 2]>,
}

impl Collector {
    fn add(&mut self, problem: Problem) {
        // One invalid-JSON place in the template is one problem, whatever the parser says
        // about each rendering (an unquoted id breaks differently for every id).
        let message = if problem.kind == ProblemKind::InvalidJson && problem.position.is_some() {
            String::new()
        } else {
            problem.message.clone()
        };
        let key = (
            problem.kind,
            problem.part.clone(),
            problem.position,
            message,
        );
        let index = match self.index.get(&key) {
            Some(&index) => {
                self.problems[index].also_in += 1;
                index
            }
            None => {
                self.index.insert(key, self.problems.len());
                self.problems.push(problem);
                self.eras.push([0, 0]);
                self.problems.len() - 1
            }
        };
        self.eras[index][usize::from(self.era == IdEra::Numeric)] += 1;
        if self.problems[index].event.is_none() {
            // A configuration problem, not a rendering's.
            return;
        }
        if self.trigger {
            self.problems[index].in_triggers += 1;
        } else {
            self.problems[index].in_clears += 1;
        }
    }

    /// Says which kinds of notification each problem breaks.
    fn finish(mut self) -> Vec<Problem> {
        for (problem, eras) in self.problems.iter_mut().zip(&self.eras) {
            let (triggers, clears) = (problem.in_triggers, problem.in_clears);
            problem.note = match (triggers, clears) {
                (0, 0) => None,
                (0, clears) => Some(format!(
                    "breaks {clears} of {} clear renderings and no trigger: the Test button (a trigger) would not show it",
                    self.clears
                )),
                (triggers, 0) => Some(format!(
                    "breaks {triggers} of {} trigger renderings and no clear",
                    self.triggers
                )),
                (triggers, clears) => Some(format!(
                    "breaks {triggers} of {} trigger and {clears} of {} clear renderings",
                    self.triggers, self.clears
                )),
            };
            let only = match eras {
                [_, 0] => Some(IdEra::Text),
                [0, _] => Some(IdEra::Numeric),
                _ => None,
            };
            if let (Some(note), Some(era)) = (&mut problem.note, only) {
                if problem.kind != ProblemKind::EraShape {
                    note.push_str(&format!("; only with {era} (ids are strings in one ThousandEyes era, numbers in another)"));
                }
            }
        }
        self.problems
    }
}

/// Turns syntax errors into problems.
pub fn syntax_problems(errors: &[SyntaxError]) -> Vec<Problem> {
    errors
        .iter()
        .map(|error| Problem {
            kind: if error.limit {
                ProblemKind::Limit
            } else {
                ProblemKind::Syntax
            },
            part: error.part.clone(),
            position: error.position,
            message: if error.limit {
                error.message.clone()
            } else {
                format!("the template does not parse: {}", error.message)
            },
            event: None,
            excerpt: None,
            also_in: 0,
            note: None,
            in_triggers: 0,
            in_clears: 0,
        })
        .collect()
}

/// The default set of events: the edge cases plus every event of `timelines`.
pub fn events_for(timelines: &[tesim_scenario::Timeline]) -> Vec<Event> {
    let mut events = events::edge_case_events();
    for timeline in timelines {
        events.extend(events::scenario_events(timeline));
    }
    events
}

/// Renders `operation` for every event in every id era and reports what is broken.
pub fn check(operation: &CompiledOperation, events: &[Event]) -> Report {
    let mut collector = Collector::default();
    let skeleton = operation::template_data(&events::skeleton());
    let payload = operation.source(&Part::Payload).unwrap_or_default();
    for part in operation.parts() {
        if let Part::Header { name, .. } = part {
            let token = |ch: char| ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch);
            if name.is_empty() || !name.chars().all(token) {
                collector.add(Problem {
                    message: format!(
                        "`{name}` is not a valid HTTP header name; use letters, digits and `-`"
                    ),
                    event: None,
                    ..problem(ProblemKind::Header, part, "")
                });
            }
        }
    }
    for (index, part) in operation.parts().enumerate() {
        for (path, position) in operation.unknown_block_paths(index, &skeleton) {
            collector.add(Problem {
                message: with_hint(&format!(
                    "`{path}` is not a variable of the notification model"
                )),
                position,
                event: None,
                ..problem(ProblemKind::UnknownVariable, part, "")
            });
        }
    }
    let mut renderings = 0;
    // Templates that hit a render limit once: rendering them again would only spend the same
    // budget for the same problem.
    let mut stopped = vec![false; operation.parts().count()];
    for event in events {
        let mut bodies: Vec<(IdEra, Value)> = Vec::new();
        for (era, notification) in &event.by_era {
            renderings += 1;
            collector.trigger = notification.is_trigger();
            collector.era = *era;
            if collector.trigger {
                collector.triggers += 1;
            } else {
                collector.clears += 1;
            }
            let label = format!("{}, {era}", event.label);
            let data = operation::template_data(notification);
            let mut probe = data.clone();
            complete(&mut probe, &skeleton);
            for (index, part) in operation.parts().enumerate() {
                if stopped[index] {
                    continue;
                }
                if let Some(body) = check_part(
                    operation,
                    index,
                    part,
                    &data,
                    &probe,
                    &label,
                    &mut collector,
                    &mut stopped[index],
                ) {
                    bodies.push((*era, body));
                }
            }
        }
        compare_eras(&event.label, payload, &bodies, &mut collector);
    }
    Report {
        problems: collector.finish(),
        events: events.len(),
        renderings,
    }
}

fn problem(kind: ProblemKind, part: &Part, label: &str) -> Problem {
    Problem {
        kind,
        part: part.clone(),
        position: None,
        message: String::new(),
        event: Some(label.to_owned()),
        excerpt: None,
        also_in: 0,
        note: None,
        in_triggers: 0,
        in_clears: 0,
    }
}

fn from_failure(kind: ProblemKind, failure: RenderFailure, label: &str) -> Problem {
    Problem {
        position: failure.position,
        message: failure.message,
        ..problem(kind, &failure.part, label)
    }
}

/// Checks one template for one rendering; returns the payload's JSON when it is valid.
fn check_part(
    operation: &CompiledOperation,
    index: usize,
    part: &Part,
    data: &Value,
    probe: &Value,
    label: &str,
    collector: &mut Collector,
    stopped: &mut bool,
) -> Option<Value> {
    if let Err(failure) = operation.render_strict(index, probe) {
        if failure.limit {
            *stopped = true;
            collector.add(from_failure(ProblemKind::Limit, failure, label));
            return None;
        }
        if failure
            .message
            .ends_with("is not a variable of the notification model")
        {
            let message = with_hint(&failure.message);
            collector.add(Problem {
                message,
                ..from_failure(ProblemKind::UnknownVariable, failure, label)
            });
        }
    }
    let text = match operation.render_part(index, data) {
        Ok(text) => text,
        Err(failure) => {
            let kind = if failure.limit {
                *stopped = true;
                ProblemKind::Limit
            } else {
                ProblemKind::Render
            };
            collector.add(from_failure(kind, failure, label));
            return None;
        }
    };
    let source = operation.source(part).unwrap_or_default();
    if let Some(at) = text
        .find("[object]")
        .filter(|_| !source.contains("[object]"))
    {
        let mut found = locate(
            operation,
            index,
            data,
            part,
            label,
            ProblemKind::ObjectAsText,
            at,
            &text,
        );
        found.message =
            "an object or list is rendered as text (`[object]`); write one of its fields, \
                         e.g. `alert.rule.name`, or iterate a list with {{#each}}"
                .to_owned();
        collector.add(found);
    }
    match part {
        Part::Payload | Part::QueryParams => {
            let parsed = if text.trim().is_empty() && *part == Part::QueryParams {
                Ok(Value::Object(Default::default()))
            } else {
                serde_json::from_str::<Value>(&text)
            };
            match parsed {
                Ok(value) => {
                    if *part == Part::QueryParams {
                        if let Err(message) = operation::query_params(&text) {
                            collector.add(Problem {
                                message,
                                ..problem(ProblemKind::QueryParams, part, label)
                            });
                        }
                    }
                    Some(value).filter(|_| *part == Part::Payload)
                }
                Err(err) => {
                    collector.add(json_problem(
                        operation, index, data, part, label, &text, &err,
                    ));
                    None
                }
            }
        }
        Part::Header { .. } => {
            if let Some(bad) = text.chars().find(|ch| ch.is_control() && *ch != '\t') {
                let at = text.find(bad).unwrap_or(0);
                let mut found = locate(
                    operation,
                    index,
                    data,
                    part,
                    label,
                    ProblemKind::Header,
                    at,
                    &text,
                );
                found.message = format!(
                    "the header value contains the control character {bad:?}, which HTTP does not allow"
                );
                collector.add(found);
            }
            None
        }
    }
}

/// A problem at byte `at` of the rendered `text`, located in the template.
#[allow(clippy::too_many_arguments)] // one call site per problem kind; a struct would only rename them
fn locate(
    operation: &CompiledOperation,
    index: usize,
    data: &Value,
    part: &Part,
    label: &str,
    kind: ProblemKind,
    at: usize,
    text: &str,
) -> Problem {
    let source = operation.source(part).unwrap_or_default();
    let position = operation.render_marked(index, data).and_then(|map| {
        // The marked rendering equals the clean one but for the whitespace standalone tags
        // remove: find the same occurrence of the same character sequence in it.
        let offset = if map.text == text {
            at
        } else {
            let needle: String = text[at..].chars().take(8).collect();
            let nth = text[..at].matches(needle.as_str()).count();
            map.text.match_indices(needle.as_str()).nth(nth)?.0
        };
        map.template_offset(offset)
            .map(|offset| crate::engine::line_col(source, offset))
    });
    Problem {
        position,
        excerpt: Some(excerpt(text, at)),
        ..problem(kind, part, label)
    }
}

fn json_problem(
    operation: &CompiledOperation,
    index: usize,
    data: &Value,
    part: &Part,
    label: &str,
    text: &str,
    err: &serde_json::Error,
) -> Problem {
    let what = if *part == Part::Payload {
        "the body"
    } else {
        "the query parameters"
    };
    let reason = err.to_string();
    let reason = reason
        .rsplit_once(" at line ")
        .map_or(reason.as_str(), |(reason, _)| reason);
    let message = format!("{what} is not valid JSON: {reason}{}", json_hint(reason));
    let source = operation.source(part).unwrap_or_default();
    let at = crate::engine::offset_of(text, err.line(), err.column());
    // Locate the error in the marked rendering, which can differ from the clean one in the
    // whitespace of standalone tags: parse it again and use its own error position.
    let mut inserted = None;
    let position = operation.render_marked(index, data).and_then(|map| {
        let marked_err = serde_json::from_str::<Value>(&map.text).err()?;
        let marked_at = crate::engine::offset_of(&map.text, marked_err.line(), marked_err.column());
        inserted = raw_insertion(&map, source, marked_at);
        map.template_offset(marked_at)
            .map(|offset| crate::engine::line_col(source, offset))
    });
    let message = match inserted {
        Some((variable, found)) => format!(
            "{message}; the value of `{variable}` holds {found}, which ThousandEyes inserts as it is, \
             without JSON escaping (reference §6.4): a name with a quote or a backslash breaks the body \
             on ThousandEyes too; keep free-text variables (names, notes, expressions) out of JSON strings \
             or accept that such names break delivery"
        ),
        None => message,
    };
    Problem {
        message,
        position,
        excerpt: Some(excerpt(text, at)),
        ..problem(ProblemKind::InvalidJson, part, label)
    }
}

/// When the JSON error at `at` of a marked rendering lies in what a tag wrote, and that output
/// holds a character JSON strings need escaped: the tag's expression and the character.
fn raw_insertion(
    map: &crate::engine::SourceMap,
    source: &str,
    at: usize,
) -> Option<(String, &'static str)> {
    // The parser stops just after the character that ended the string early.
    let (tag_offset, output) = map
        .tag_output(at)
        .or_else(|| map.tag_output(at.checked_sub(1)?))?;
    let written = &map.text[output];
    let found = if written.contains('"') {
        "a `\"`"
    } else if written.contains('\\') {
        "a `\\`"
    } else if written.chars().any(char::is_control) {
        "a control character"
    } else {
        return None;
    };
    let tag = source.get(tag_offset..)?;
    let end = tag.find("}}")?;
    let expression = tag[..end]
        .trim_start_matches('{')
        .trim_start_matches('~')
        .trim_end_matches('~')
        .trim();
    Some((expression.to_owned(), found))
}

/// What usually causes a JSON error in a rendered template.
fn json_hint(reason: &str) -> &'static str {
    if reason.starts_with("expected `,`") {
        "; a comma is missing before this point (check what the {{#if}}/{{#eq}} block just before it renders for this event), or a text value is rendered without quotes (write \"{{alert.id}}\")"
    } else if reason.starts_with("expected value") {
        "; a value is missing here: a variable rendered empty for this event (absent fields render as nothing); guard it with {{#if}} or quote it"
    } else if reason.starts_with("invalid number") || reason.starts_with("expected ident") {
        "; a text value is rendered without quotes: write \"{{alert.id}}\", not {{alert.id}}"
    } else if reason.starts_with("trailing comma") {
        "; a comma before `}` or `]`: write it only between items ({{#unless @last}},{{/unless}}) or inside the conditional block"
    } else if reason.starts_with("control character") {
        "; a value with a line break or control character is rendered inside a string"
    } else if reason.starts_with("invalid escape") {
        "; a value with a backslash is rendered inside a string with {{{triple braces}}} or in a template escape"
    } else if reason.starts_with("key must be a string") {
        "; a key is unquoted or a value rendered where a key belongs"
    } else {
        ""
    }
}

/// The rendered text around byte `at`: the nearest non-blank line before it, the line of `at`
/// (at most 36 characters each side) and a caret under it.
pub(crate) fn excerpt(text: &str, at: usize) -> String {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |index| index + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |index| at + index);
    let before: Vec<char> = text[line_start..at].chars().collect();
    let after: Vec<char> = text[at..line_end].chars().collect();
    const WIDTH: usize = 36;
    let (cut_before, before) = if before.len() > WIDTH {
        (true, &before[before.len() - WIDTH..])
    } else {
        (false, &before[..])
    };
    let (cut_after, after) = if after.len() > WIDTH {
        (true, &after[..WIDTH])
    } else {
        (false, &after[..])
    };
    let mut line = String::new();
    if cut_before {
        line.push('…');
    }
    line.extend(
        before
            .iter()
            .map(|ch| if ch.is_control() { ' ' } else { *ch }),
    );
    let caret_column = line.chars().count();
    line.extend(
        after
            .iter()
            .map(|ch| if ch.is_control() { ' ' } else { *ch }),
    );
    if cut_after {
        line.push('…');
    }
    if after.is_empty() {
        line.push_str("⏎ (end of line)");
    }
    // The line before often holds the cause (a missing comma at the end of a line).
    let previous = text[..line_start]
        .lines()
        .rev()
        .find(|previous| !previous.trim().is_empty())
        .map(|previous| {
            let chars: Vec<char> = previous.chars().collect();
            let shown: String = chars
                .iter()
                .take(2 * WIDTH)
                .map(|ch| if ch.is_control() { ' ' } else { *ch })
                .collect();
            if chars.len() > 2 * WIDTH {
                format!("{shown}…\n")
            } else {
                format!("{shown}\n")
            }
        })
        .unwrap_or_default();
    format!("{previous}{line}\n{}^", " ".repeat(caret_column))
}

/// Adds every field of `skeleton` that `value` lacks, recursively (array items are completed
/// with the skeleton's first item).
fn complete(value: &mut Value, skeleton: &Value) {
    match (value, skeleton) {
        (Value::Object(object), Value::Object(full)) => {
            for (key, full_value) in full {
                match object.get_mut(key) {
                    Some(existing) if !existing.is_null() => complete(existing, full_value),
                    _ => {
                        object.insert(key.clone(), full_value.clone());
                    }
                }
            }
        }
        (Value::Array(items), Value::Array(full)) => {
            if let Some(first) = full.first() {
                items.iter_mut().for_each(|item| complete(item, first));
            }
        }
        _ => {}
    }
}

/// Every key of the model, for "did you mean" hints (computed once).
fn model_keys() -> &'static [String] {
    static KEYS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KEYS.get_or_init(collect_model_keys)
}

fn collect_model_keys() -> Vec<String> {
    fn walk(value: &Value, keys: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                for (key, value) in object {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                    walk(value, keys);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, keys)),
            _ => {}
        }
    }
    let mut keys = Vec::new();
    walk(&operation::template_data(&events::skeleton()), &mut keys);
    keys
}

fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut row: Vec<usize> = (0..=right.len()).collect();
    for (i, left_ch) in left.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, right_ch) in right.iter().enumerate() {
            let substitution = previous + usize::from(left_ch != *right_ch);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[right.len()]
}

fn with_hint(message: &str) -> String {
    let path = message.split('`').nth(1).unwrap_or_default();
    if path.starts_with("notification.") {
        return format!(
            "{message}; the root object is the notification itself: drop the `notification.` prefix"
        );
    }
    let last = path.rsplit('.').next().unwrap_or(path);
    let best = model_keys()
        .iter()
        .filter(|key| !key.ends_with("_size"))
        .map(|key| (edit_distance(last, key), key))
        .filter(|(distance, key)| *distance > 0 && *distance <= 2.max(key.len() / 4))
        .min();
    match best {
        Some((_, key)) => format!("{message}; did you mean `{key}`?"),
        None => format!(
            "{message}; see the variables in the ThousandEyes docs (id, type, alert.severity, alert.rule, alert.test, alert.details, alert.targets, …)"
        ),
    }
}

/// Reports where a valid body has a different shape in two id eras.
fn compare_eras(label: &str, payload: &str, bodies: &[(IdEra, Value)], collector: &mut Collector) {
    let Some(((first_era, first), rest)) = bodies.split_first() else {
        return;
    };
    for (era, body) in rest {
        if let Some((path, left, right)) = shape_difference(first, body, "$") {
            collector.add(Problem {
                message: format!(
                    "the body differs in shape between id eras: {path} is {left} with {first_era} but {right} with {era}; \
                     quote ids (\"{{{{alert.id}}}}\") so they are strings in both"
                ),
                position: key_position(payload, &path),
                ..problem(ProblemKind::EraShape, &Part::Payload, label)
            });
        }
    }
}

/// Where the template writes the key of a JSON path's last member (`$.a[0].b` → `"b"`): the
/// first occurrence of the quoted key, a good guess for hand-written JSON templates.
fn key_position(source: &str, path: &str) -> Option<(usize, usize)> {
    let key = path.trim_end_matches(|ch: char| ch == ']' || ch.is_ascii_digit() || ch == '[');
    let key = key
        .rsplit('.')
        .next()
        .filter(|key| !key.is_empty() && *key != "$")?;
    let offset = source.find(&format!("\"{key}\""))?;
    Some(crate::engine::line_col(source, offset))
}

fn shape_difference(left: &Value, right: &Value, path: &str) -> Option<(String, String, String)> {
    match (left, right) {
        (Value::Object(left_map), Value::Object(right_map)) => {
            for (key, left_value) in left_map {
                let child = format!("{path}.{key}");
                match right_map.get(key) {
                    Some(right_value) => {
                        if let Some(found) = shape_difference(left_value, right_value, &child) {
                            return Some(found);
                        }
                    }
                    None => return Some((child, "present".into(), "absent".into())),
                }
            }
            right_map
                .keys()
                .find(|key| !left_map.contains_key(*key))
                .map(|key| (format!("{path}.{key}"), "absent".into(), "present".into()))
        }
        (Value::Array(left_items), Value::Array(right_items)) => {
            if left_items.len() != right_items.len() {
                return Some((
                    path.to_owned(),
                    format!("{} items", left_items.len()),
                    format!("{} items", right_items.len()),
                ));
            }
            left_items
                .iter()
                .zip(right_items)
                .enumerate()
                .find_map(|(index, (left, right))| {
                    shape_difference(left, right, &format!("{path}[{index}]"))
                })
        }
        (left, right) => {
            let (left_kind, right_kind) = (operation::json_kind(left), operation::json_kind(right));
            (left_kind != right_kind)
                .then(|| (path.to_owned(), left_kind.to_owned(), right_kind.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use tesim_model::custom::{OperationCategory, OperationStatus, WebhookOperation};

    use super::*;

    fn operation(payload: &str) -> CompiledOperation {
        CompiledOperation::new(WebhookOperation {
            id: None,
            name: "t".into(),
            enabled: Some(true),
            category: OperationCategory::Alerts,
            status: OperationStatus::Pending,
            kind: Some("webhook".into()),
            path: None,
            payload: Some(payload.into()),
            headers: Vec::new(),
            query_params: None,
            links: None,
        })
        .unwrap()
    }

    fn check_edge(payload: &str) -> Report {
        check(&operation(payload), &events::edge_case_events())
    }

    #[test]
    fn good_template_passes() {
        let report = check_edge(
            r#"{"id":"{{id}}","type":{{type.id}},"severity":"{{alert.severity.id}}",
{{#if alert.test}}"test":"{{alert.test.id}}",{{/if}}
"start":{{alert.firstSeen.epochMilli}},{{#if alert.timeCleared}}"end":{{alert.timeCleared.epochMilli}},{{/if}}
"n":{{alert.details.size}},
"details":[{{#each alert.details}}{"name":"{{source.name}}"}{{#unless @last}},{{/unless}}{{/each}}]}"#,
        );
        assert!(report.is_ok(), "{:#?}", report.problems);
        assert!(report.renderings > 20);
    }

    #[test]
    fn eq_breaks_on_clear_is_located() {
        let report = check_edge(
            "{\"state\":\"{{#eq type.id 2}}trigger{{/eq}}\",\n \"end\":{{#eq type.id 1}}{{alert.timeCleared.epochMilli}}{{/eq}}}",
        );
        let problem = &report.problems[0];
        assert_eq!(problem.kind, ProblemKind::InvalidJson, "{problem}");
        assert_eq!(problem.position, Some((2, 64)), "{problem}");
        assert!(
            problem.event.as_deref().unwrap().contains("trigger"),
            "{problem}"
        );
        assert!(
            problem.excerpt.as_deref().unwrap().contains("\"end\":}"),
            "{problem}"
        );
    }

    #[test]
    fn unknown_variable_gets_a_hint() {
        let report = check_edge("{\"n\":\"{{alert.rule.nmae}}\",\"x\":\"{{notification.id}}\"}");
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages[0].contains("did you mean `name`"), "{messages:?}");
        assert_eq!(report.problems[0].position, Some((1, 7)));
    }

    #[test]
    fn misspelled_conditions_are_unknown_variables() {
        for template in [
            "{{#if alert.timeClered}}1{{else}}2{{/if}}",
            "{{#unless alert.tset}}1{{/unless}}",
            "{{#eq typ 2}}1{{else}}2{{/eq}}",
            "\"{{formatExpression alert.rule.expresion}}\"",
            "{{#each alert.details}}{{#if sorce.name}}1{{/if}}{{/each}}2",
        ] {
            let report = check_edge(template);
            assert_eq!(
                report.problems.len(),
                1,
                "{template}: {:#?}",
                report.problems
            );
            assert_eq!(
                report.problems[0].kind,
                ProblemKind::UnknownVariable,
                "{template}"
            );
        }
        assert!(check_edge("{{#if alert.timeCleared}}1{{else}}2{{/if}}").is_ok());
        // Blocks whose `{{else}}` Handlebars renders silently for a missing collection.
        for (template, position) in [
            ("{{#each alert.detials}}1{{else}}2{{/each}}", (1, 1)),
            (
                "{{#with alert.tset as |t|}}{{t.name}}{{else}}2{{/with}}",
                (1, 1),
            ),
            (
                "{{#each alert.details}}{{#each source.labels}}1{{else}}2{{/each}}{{/each}}",
                (1, 24),
            ),
        ] {
            let report = check_edge(template);
            assert_eq!(
                report.problems.len(),
                1,
                "{template}: {:#?}",
                report.problems
            );
            assert_eq!(
                report.problems[0].kind,
                ProblemKind::UnknownVariable,
                "{template}"
            );
            assert_eq!(report.problems[0].position, Some(position), "{template}");
        }
        for template in [
            "{{#each alert.details}}{{source.name}}{{else}}none{{/each}}",
            "{{#with alert.test as |t|}}{{#each t.labels}}{{name}}{{else}}-{{/each}}{{else}}-{{/with}}",
            "{{#each alert.details}}{{#with ../alert.test}}{{id}}{{else}}-{{/with}}{{/each}}",
            "{{#each alert.details}}{{#with @root.alert.rule}}{{id}}{{else}}-{{/with}}{{/each}}",
        ] {
            let template = format!("\"{template}\"");
            let report = check_edge(&template);
            assert!(report.is_ok(), "{template}: {:#?}", report.problems);
        }
        assert!(check_edge("{{#each alert.details}}{{#if @first}}1{{/if}}{{/each}}2").is_ok());
    }

    #[test]
    fn absent_but_known_variables_are_not_unknown() {
        let report =
            check_edge("{\"t\":\"{{alert.test.id}}\",\"c\":\"{{alert.timeCleared.epochMilli}}\"}");
        assert!(report.is_ok(), "{:#?}", report.problems);
    }

    #[test]
    fn unquoted_uuid_is_invalid_in_text_era_only() {
        let report = check_edge("{\"alert\":{{alert.id}}}");
        assert_eq!(report.problems[0].kind, ProblemKind::InvalidJson);
        assert!(
            report.problems[0]
                .event
                .as_deref()
                .unwrap()
                .ends_with("text-ids")
        );
    }

    #[test]
    fn era_shape_difference_is_reported() {
        // Decimal-text ids render the same digits as numbers: no difference.
        assert!(check_edge("{\"rule\":{{alert.rule.id}}}").is_ok());
        let report = check_edge("{\"n\":{{#eq alert.rule.id 201}}1{{else}}\"x\"{{/eq}}}");
        assert_eq!(
            report.problems[0].kind,
            ProblemKind::EraShape,
            "{:#?}",
            report.problems
        );
    }

    #[test]
    fn object_as_text_is_reported() {
        // An enum renders as its name, as the documented `alert.test.testType` string.
        assert!(check_edge("{\"type\":\"{{type}}\",\"t\":\"{{alert.test.testType}}\"}").is_ok());
        let report = check_edge("{\"rule\":\"{{alert.rule}}\"}");
        assert_eq!(report.problems[0].kind, ProblemKind::ObjectAsText);
        assert_eq!(report.problems[0].position, Some((1, 10)));
    }

    #[test]
    fn header_problems() {
        let mut operation = operation("{}").operation().clone();
        operation.headers = vec![
            tesim_model::custom::Header {
                name: "Bad Name".into(),
                value: "x".into(),
            },
            tesim_model::custom::Header {
                name: "X-Rule".into(),
                value: "{{alert.rule.notes}}".into(),
            },
        ];
        let operation = CompiledOperation::new(operation).unwrap();
        let report = check(&operation, &events::edge_case_events());
        assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
        assert_eq!(report.problems[0].kind, ProblemKind::Header);
        assert!(report.problems[0].event.is_none());
        assert!(report.problems[0].note.is_none());
    }

    #[test]
    fn report_json_names_kind_and_place() {
        let json = check_edge("{\"a\": {{alert.nope}}}").to_json();
        assert_eq!(json["ok"], false);
        assert_eq!(json["problems"][0]["kind"], "unknown-variable");
        assert_eq!(json["problems"][0]["line"], 1);
        assert_eq!(json["problems"][0]["part"], "payload");
    }

    #[test]
    fn object_as_text_is_located_in_multi_line_templates() {
        let report = check_edge(
            "{\n  {{#if alert.test}}\n  \"t\": \"{{alert.test}}\",\n  {{/if}}\n  \"x\": 1\n}",
        );
        assert_eq!(
            report.problems[0].kind,
            ProblemKind::ObjectAsText,
            "{:#?}",
            report.problems
        );
        assert_eq!(report.problems[0].position, Some((3, 9)));
    }

    #[test]
    fn names_with_quotes_break_json_as_on_thousandeyes() {
        // Valid only while names hold no `"` or `\\`: ThousandEyes does not escape them.
        let report = check_edge("{\"rule\": \"{{alert.rule.name}}\", \"id\": \"{{alert.id}}\"}");
        assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
        let problem = &report.problems[0];
        assert_eq!(problem.kind, ProblemKind::InvalidJson);
        assert_eq!(problem.position, Some((1, 11)), "{problem}");
        assert!(
            problem.message.contains("`alert.rule.name` holds a `\"`"),
            "{problem}"
        );
        assert!(
            problem
                .event
                .as_deref()
                .unwrap()
                .contains("quotes-in-names"),
            "{problem}"
        );
        // The same with triple braces: there is no escaping to turn off.
        let report = check_edge("{\"test\": \"{{{alert.test.name}}}\"}");
        assert_eq!(report.problems[0].kind, ProblemKind::InvalidJson);
        assert!(
            report.problems[0]
                .message
                .contains("`{alert.test.name` holds")
                || report.problems[0].message.contains("alert.test.name"),
            "{}",
            report.problems[0]
        );
        // Safe: ids, enums, numbers and times only.
        assert!(
            check_edge(
                "{\"rule\": \"{{alert.rule.id}}\", \"type\": {{type.id}}, \"severity\": \"{{alert.severity.id}}\", \
                 \"start\": {{alert.firstSeen.epochMilli}}}"
            )
            .is_ok()
        );
    }

    #[test]
    fn excerpt_points_at_the_error() {
        assert_eq!(excerpt("{\"a\": ,}", 6), "{\"a\": ,}\n      ^");
    }
}
