//! The Handlebars dialect of ThousandEyes custom webhooks: registries, helpers, and the two
//! source transformations the checker needs (`.size` of collections, position markers).
//!
//! Two registries render every template. The lenient one renders as ThousandEyes does:
//! "inapplicable variables render as null/empty" (reference §2.1), so `{{alert.timeCleared}}`
//! on a trigger renders nothing. The strict one (Handlebars strict mode) renders over a
//! notification completed with every field of the model, so the only variables it refuses are
//! those the model does not have: misspellings, `notification.` prefixes, invented fields.
//!
//! Escaping: none. ThousandEyes inserts values into the body and the headers as they are
//! (reference §6.4: URL escaping applies to query parameters only, there is no HTML escaping),
//! so `{{x}}` and `{{{x}}}` render the same and a name holding `"` breaks a JSON string exactly
//! as it does on ThousandEyes. Query parameters are URL-encoded when the URL is built
//! ([`crate::path_and_query`]).

use handlebars::template::{
    BlockParam, HelperTemplate, Parameter, TemplateElement, TemplateMapping,
};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonRender, Output, RenderContext,
    RenderError, RenderErrorReason, ScopedJson, Template,
};
use serde_json::Value;

use crate::limits::{self, Budget};

/// Collections whose `.size` templates may use (reference §2.2).
pub(crate) const SIZED_COLLECTIONS: [&str; 3] = ["details", "targets", "labels"];

/// Marks the start of a tag's output in a marked rendering: followed by the template byte
/// offset in decimal and [`MARK_END`]. Private-use characters, which templates never contain.
const MARK_TAG: char = '\u{F8F0}';
/// Marks the start of raw text following a tag.
const MARK_RAW: char = '\u{F8F1}';
/// Ends a marker's number.
const MARK_END: char = '\u{F8F2}';

/// A new registry with the helpers ThousandEyes templates use.
pub(crate) fn registry(strict: bool) -> Handlebars<'static> {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(strict);
    // `if`, `unless`, `each` (with @first/@last/@index/@key), `with` (with `as |x|`) and
    // `lookup` are Handlebars built-ins; `eq` is replaced to compare enum objects by id or
    // name, and `formatExpression` is ThousandEyes' own.
    handlebars.register_helper("eq", Box::new(EqHelper));
    handlebars.register_helper("formatExpression", Box::new(FormatExpressionHelper));
    handlebars.register_helper("formatDate", Box::new(FormatDateHelper));
    handlebars.register_helper(VALUE_HELPER, Box::new(ValueHelper));
    handlebars.register_helper(TICK_HELPER, Box::new(TickHelper));
    handlebars.register_helper(PARTIAL_GUARD, Box::new(PartialGuard));
    // ThousandEyes inserts values as they are: no HTML escaping anywhere, `{{x}}` and
    // `{{{x}}}` alike (reference §6.4).
    handlebars.register_escape_fn(handlebars::no_escape);
    if strict {
        // Handlebars' strict mode does not look at the conditions of `if` and `unless`, so a
        // misspelled `{{#if alert.timeClered}}` would pass silently as "false".
        handlebars.register_helper("if", Box::new(StrictIf { positive: true }));
        handlebars.register_helper("unless", Box::new(StrictIf { positive: false }));
    }
    handlebars
}

/// The helper every plain `{{path}}` is routed through (see [`compile`]).
pub(crate) const VALUE_HELPER: &str = "__tesim_value";

/// Every helper name a template can call, built in or ours: a `{{name}}` with one of these
/// names is a helper call, not a value.
const HELPERS: &[&str] = &[
    "if",
    "unless",
    "each",
    "with",
    "lookup",
    "raw",
    "log",
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "and",
    "or",
    "not",
    "len",
    "formatExpression",
    "formatDate",
    VALUE_HELPER,
    TICK_HELPER,
    PARTIAL_GUARD,
];

/// Turns a limit's message into the error that stops a rendering.
fn limit_error(message: String) -> RenderError {
    RenderErrorReason::Other(message).into()
}

/// One step of the budget; see [`instrument`].
#[derive(Clone, Copy)]
struct TickHelper;

impl HelperDef for TickHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        _: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        _: &mut dyn Output,
    ) -> HelperResult {
        Budget::step().map_err(limit_error)
    }
}

/// Counts partial depth around a partial call; see [`instrument`].
#[derive(Clone, Copy)]
struct PartialGuard;

impl HelperDef for PartialGuard {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        Budget::enter_partial().map_err(limit_error)?;
        let result = match h.template() {
            Some(template) => handlebars::Renderable::render(template, r, ctx, rc, out),
            None => Ok(()),
        };
        Budget::leave_partial();
        result
    }
}

/// Parses a template and routes every plain value expression (`{{alert.severity}}`,
/// `{{{alert.rule.name}}}`) through [`ValueHelper`], so an enum object renders as its name as
/// in ThousandEyes (the docs list `alert.test.testType` as a string while `type.id` reads the
/// same enum's id). The tree keeps its positions, so errors still point into the user's text.
/// The tree is also instrumented for the render limits ([`instrument`]). Callers check
/// [`crate::limits::scan`] first: the parser recurses once per nesting level.
pub(crate) fn compile(source: &str, name: &str) -> Result<Template, handlebars::TemplateError> {
    let mut template = parse(source, name)?;
    route_values(&mut template);
    // The probes are the same for every template; parsing them once saves about a sixth of
    // a short template's compile time (measured in the template fuzz target).
    static PROBES: std::sync::OnceLock<Result<Template, String>> = std::sync::OnceLock::new();
    let probes = PROBES
        .get_or_init(|| {
            Template::compile(&format!(
                "{{{{{TICK_HELPER}}}}}{{{{#{PARTIAL_GUARD}}}}}{{{{/{PARTIAL_GUARD}}}}}"
            ))
            .map_err(|err| err.to_string())
        })
        .as_ref()
        .map_err(|reason| {
            handlebars::TemplateError::of(handlebars::TemplateErrorReason::InvalidSyntax(
                reason.clone(),
            ))
        })?;
    if let [tick, guard] = &probes.elements[..] {
        instrument(&mut template, tick, guard, None);
    }
    Ok(template)
}

/// How long the pieces a long template is parsed in are, at least (see [`parse`]).
pub(crate) const PIECE_BYTES: usize = 4 * 1024;

/// Parses a template. Handlebars computes the line and column of every element by counting
/// from the start of the text (pest's `Position::line_col`), which made parsing quadratic in
/// the template's length (issue 13: 100 KB took 2.9 s, 300 KB 27 s). A long template is
/// parsed in pieces, cut where that gives the same elements ([`limits::split_points`]), so
/// each position costs at most one piece and parsing is linear in the length of text outside
/// blocks. (Text inside one block is parsed whole; the size limit bounds it.)
pub(crate) fn parse(source: &str, name: &str) -> Result<Template, handlebars::TemplateError> {
    parse_in_pieces(source, name, PIECE_BYTES)
}

fn parse_in_pieces(
    source: &str,
    name: &str,
    piece_bytes: usize,
) -> Result<Template, handlebars::TemplateError> {
    let points = limits::split_points(source, piece_bytes);
    if points.is_empty() {
        return Template::compile_with_name(source, name.to_owned());
    }
    match parse_pieces(source, name, &points) {
        Some(template) => Ok(template),
        // A cut the scan misjudged (text it took for a tag, or the reverse) makes a piece fail
        // to parse: the whole text then decides, with Handlebars' own error and position.
        None => Template::compile_with_name(source, name.to_owned()),
    }
}

fn parse_pieces(source: &str, name: &str, points: &[usize]) -> Option<Template> {
    let mut whole: Option<Template> = None;
    let mut start = 0;
    for end in points.iter().copied().chain([source.len()]) {
        let piece = &source[start..end];
        let mut template = Template::compile_with_name(piece, name.to_owned()).ok()?;
        // Every cut follows a newline, so a piece starts at column 1 of its first line.
        let lines_before = source[..start].matches('\n').count();
        shift_lines(&mut template, lines_before);
        match &mut whole {
            None => whole = Some(template),
            Some(whole) => {
                whole.elements.append(&mut template.elements);
                whole.mapping.append(&mut template.mapping);
            }
        }
        start = end;
    }
    whole
}

fn shift_lines(template: &mut Template, lines: usize) {
    for mapping in &mut template.mapping {
        mapping.0 += lines;
    }
    for element in &mut template.elements {
        for body in bodies_mut(element) {
            shift_lines(body, lines);
        }
    }
}

/// The templates nested in an element: a block's body and inverse, a partial block's
/// fallback, an inline partial's body.
fn bodies_mut(element: &mut TemplateElement) -> Vec<&mut Template> {
    match element {
        TemplateElement::HelperBlock(helper) => {
            let HelperTemplate {
                template, inverse, ..
            } = helper.as_mut();
            template.iter_mut().chain(inverse.iter_mut()).collect()
        }
        TemplateElement::DecoratorBlock(decorator) | TemplateElement::PartialBlock(decorator) => {
            decorator.template.iter_mut().collect()
        }
        _ => Vec::new(),
    }
}

/// The helper a step marker calls: one [`Budget::step`], no output.
pub(crate) const TICK_HELPER: &str = "__tesim_step";
/// The block helper around every partial call: counts partial depth ([`Budget`]).
pub(crate) const PARTIAL_GUARD: &str = "__tesim_partial";

/// Puts a step marker (`tick`) at the start of every block body, so every body rendered (every
/// `{{#each}}` iteration too, even of an empty body) costs a step, and wraps every partial call
/// in `guard`, so partial depth is counted. `at` is the position of the block holding
/// `template`, for bodies that have no element of their own.
fn instrument(
    template: &mut Template,
    tick: &TemplateElement,
    guard: &TemplateElement,
    at: Option<&TemplateMapping>,
) {
    let own = template.mapping.first().or(at).cloned();
    for index in 0..template.elements.len() {
        let position = template.mapping.get(index).cloned();
        let element = &mut template.elements[index];
        for body in bodies_mut(element) {
            instrument(body, tick, guard, position.as_ref());
        }
        if matches!(
            element,
            TemplateElement::PartialExpression(_) | TemplateElement::PartialBlock(_)
        ) {
            if let (TemplateElement::HelperBlock(wrapper), Some(position)) = (guard, &position) {
                let mut wrapper = wrapper.clone();
                let mut body = Template::default();
                body.elements.push(std::mem::replace(
                    element,
                    TemplateElement::Comment(String::new()),
                ));
                body.mapping.push(position.clone());
                wrapper.template = Some(body);
                *element = TemplateElement::HelperBlock(wrapper);
            }
        }
    }
    if let Some(own) = own {
        template.elements.insert(0, tick.clone());
        template.mapping.insert(0, own);
    }
}

fn route_values(template: &mut Template) {
    for element in &mut template.elements {
        if let TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) =
            element
        {
            let name = match &helper.name {
                Parameter::Path(path) if !HELPERS.contains(&path_text(path)) => {
                    Some(Parameter::Path(path.clone()))
                }
                Parameter::Name(name) if !HELPERS.contains(&name.as_str()) => {
                    handlebars::Path::parse(name).ok().map(Parameter::Path)
                }
                _ => None,
            };
            let plain = !helper.block && helper.params.is_empty() && helper.hash.is_empty();
            if let (true, Some(path)) = (plain, name) {
                helper.name = Parameter::Name(VALUE_HELPER.to_owned());
                helper.params = vec![path];
            }
        }
        for body in bodies_mut(element) {
            route_values(body);
        }
    }
}

fn path_text(path: &handlebars::Path) -> &str {
    match path {
        handlebars::Path::Relative((_, raw)) | handlebars::Path::Local((_, _, raw)) => raw,
    }
}

/// The paths of `{{#each}}` and `{{#with}}` blocks that have an `{{else}}` and name no
/// variable of `data` (the complete notification), with their positions. Handlebars' strict
/// mode renders the `{{else}}` of such a block silently, so a misspelled collection would only
/// ever render its fallback; this reads the template instead of rendering it. Paths it cannot
/// follow statically (`@key`, lookups, objects iterated by key) are skipped.
pub(crate) fn unknown_block_paths(
    template: &Template,
    data: &Value,
) -> Vec<(String, Option<(usize, usize)>)> {
    let mut found = Vec::new();
    let mut scope = Scope {
        contexts: vec![Some(data.clone())],
        aliases: Vec::new(),
    };
    walk_blocks(template, data, &mut scope, &mut found);
    found
}

/// Where static resolution stands: the context stack (`None`: not statically known) and the
/// block parameters in scope.
struct Scope {
    contexts: Vec<Option<Value>>,
    aliases: Vec<(String, Option<Value>)>,
}

/// `Some(Some(value))`: resolved; `Some(None)`: not a variable of the data; `None`: cannot tell.
fn resolve(path: &str, root: &Value, scope: &Scope) -> Option<Option<Value>> {
    let mut rest = path.trim();
    let mut depth = scope.contexts.len() - 1;
    while let Some(after) = rest.strip_prefix("../") {
        depth = depth.checked_sub(1)?;
        rest = after;
    }
    let mut segments = rest
        .split(['.', '/'])
        .filter(|segment| !segment.is_empty())
        .peekable();
    let mut current = match segments.peek().copied() {
        Some("@root") => {
            segments.next();
            root.clone()
        }
        Some(first) if first.starts_with('@') => return None,
        Some("this") => {
            segments.next();
            scope.contexts[depth].clone()?
        }
        Some(first) => match scope.aliases.iter().rev().find(|(alias, _)| alias == first) {
            Some((_, value)) => {
                segments.next();
                value.clone()?
            }
            None => scope.contexts[depth].clone()?,
        },
        None => scope.contexts[depth].clone()?,
    };
    for segment in segments {
        current = match current {
            Value::Object(mut object) => match object.remove(segment) {
                Some(value) => value,
                None => return Some(None),
            },
            Value::Array(mut items) => match segment.parse::<usize>() {
                Ok(index) if index < items.len() => items.swap_remove(index),
                _ => return None,
            },
            _ => return Some(None),
        };
    }
    Some(Some(current))
}

fn walk_blocks(
    template: &Template,
    root: &Value,
    scope: &mut Scope,
    found: &mut Vec<(String, Option<(usize, usize)>)>,
) {
    for (index, element) in template.elements.iter().enumerate() {
        let TemplateElement::HelperBlock(helper) = element else {
            continue;
        };
        let name = match &helper.name {
            Parameter::Name(name) => name.as_str(),
            Parameter::Path(path) => path_text(path),
            _ => "",
        };
        let is_scope = name == "each" || name == "with";
        let param = match helper.params.first() {
            Some(Parameter::Path(path)) if is_scope => Some(path_text(path).to_owned()),
            _ => None,
        };
        let resolved = param.as_deref().and_then(|path| resolve(path, root, scope));
        if let (Some(path), Some(None), true) = (&param, &resolved, helper.inverse.is_some()) {
            let position = template
                .mapping
                .get(index)
                .map(|mapping| (mapping.0, mapping.1));
            found.push((path.clone(), position));
        }
        // The context inside the block: an `each` over a list sees its (first) item.
        let inner = match (name, resolved) {
            ("each", Some(Some(Value::Array(items)))) => items.into_iter().next(),
            ("with", Some(Some(value))) => Some(value),
            _ => None,
        };
        let aliases = scope.aliases.len();
        if is_scope {
            if let Some(
                BlockParam::Single(Parameter::Name(alias))
                | BlockParam::Pair((Parameter::Name(alias), _)),
            ) = &helper.block_param
            {
                scope.aliases.push((alias.clone(), inner.clone()));
            }
            scope.contexts.push(inner);
        }
        if let Some(body) = &helper.template {
            walk_blocks(body, root, scope, found);
        }
        if is_scope {
            scope.contexts.pop();
            scope.aliases.truncate(aliases);
        }
        if let Some(inverse) = &helper.inverse {
            walk_blocks(inverse, root, scope, found);
        }
    }
}

/// Renders a value as Handlebars would, except an enum object, which renders as its name. A
/// missing value renders empty (strict mode: is an error naming it).
#[derive(Clone, Copy)]
struct ValueHelper;

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Budget::step().map_err(limit_error)?;
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(VALUE_HELPER, 0))?;
        if param.is_value_missing() {
            if r.strict_mode() {
                return Err(missing(param));
            }
            return Ok(ScopedJson::Derived(Value::Null));
        }
        Ok(ScopedJson::Derived(match as_enum(param.value()) {
            Some((_, name)) => Value::String(name.to_owned()),
            None => param.value().clone(),
        }))
    }
}

/// The error strict mode gives for a missing variable, for a helper parameter.
fn missing(param: &handlebars::PathAndJson<'_>) -> RenderError {
    RenderErrorReason::MissingVariable(param.relative_path().cloned()).into()
}

/// `if` / `unless` that refuse a condition naming a variable the data lacks.
#[derive(Clone, Copy)]
struct StrictIf {
    positive: bool,
}

impl HelperDef for StrictIf {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        Budget::step().map_err(limit_error)?;
        let name = if self.positive { "if" } else { "unless" };
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        if param.is_value_missing() {
            return Err(missing(param));
        }
        let include_zero = h
            .hash_get("includeZero")
            .and_then(|value| value.value().as_bool())
            .unwrap_or(false);
        let truthy = handlebars::JsonTruthy::is_truthy(param.value(), include_zero);
        match if truthy == self.positive {
            h.template()
        } else {
            h.inverse()
        } {
            Some(template) => handlebars::Renderable::render(template, r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// Whether a JSON value is an enum object of the notification model: exactly `id` and `name`.
fn as_enum(value: &Value) -> Option<(&Value, &str)> {
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    Some((object.get("id")?, object.get("name")?.as_str()?))
}

/// `eq` with the notification model's enums: an enum object equals its `id` (exactly) or its
/// `name` (ignoring case, since the names' spelling is inferred). Anything else compares as
/// JSON values, with no number/string coercion: `"123"` is not `123`, which is exactly the
/// difference between the id eras the checker wants a template to survive.
pub(crate) fn loose_eq(left: &Value, right: &Value) -> bool {
    if left == right {
        return true;
    }
    let matches_enum = |object: &Value, other: &Value| match as_enum(object) {
        Some((id, name)) => {
            id == other
                || other
                    .as_str()
                    .is_some_and(|text| text.eq_ignore_ascii_case(name))
        }
        None => false,
    };
    matches_enum(left, right) || matches_enum(right, left)
}

#[derive(Clone, Copy)]
struct EqHelper;

impl EqHelper {
    fn compare(h: &Helper<'_>, r: &Handlebars<'_>) -> Result<bool, RenderError> {
        Budget::step().map_err(limit_error)?;
        let param = |index: usize| -> Result<Value, RenderError> {
            let param = h
                .param(index)
                .ok_or(RenderErrorReason::ParamNotFoundForIndex("eq", index))?;
            if r.strict_mode() && param.is_value_missing() {
                return Err(missing(param));
            }
            Ok(param.value().clone())
        };
        Ok(loose_eq(&param(0)?, &param(1)?))
    }
}

impl HelperDef for EqHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let equal = EqHelper::compare(h, r)?;
        if !h.is_block() {
            out.write(if equal { "true" } else { "false" })?;
            return Ok(());
        }
        match if equal { h.template() } else { h.inverse() } {
            Some(template) => handlebars::Renderable::render(template, r, ctx, rc, out),
            None => Ok(()),
        }
    }

    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Ok(ScopedJson::Derived(Value::Bool(EqHelper::compare(h, r)?)))
    }
}

/// `formatExpression`: ThousandEyes' helper that makes a rule expression readable.
#[derive(Clone, Copy)]
struct FormatExpressionHelper;

impl HelperDef for FormatExpressionHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Budget::step().map_err(limit_error)?;
        let param = h
            .param(0)
            .filter(|param| !(r.strict_mode() && param.is_value_missing()))
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(
                "formatExpression",
                0,
            ))?;
        Ok(ScopedJson::Derived(Value::String(format_expression(
            &param.value().render(),
        ))))
    }
}

/// `formatDate`: ThousandEyes' date helper; see [`crate::format_date`] for the arguments
/// tesim assumes. An absent date renders nothing (strict mode: is an error naming it); a value
/// that is not a date is a render error.
#[derive(Clone, Copy)]
struct FormatDateHelper;

impl HelperDef for FormatDateHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Budget::step().map_err(limit_error)?;
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("formatDate", 0))?;
        if param.is_value_missing() || param.value().is_null() {
            if r.strict_mode() && param.is_value_missing() {
                return Err(missing(param));
            }
            return Ok(ScopedJson::Derived(Value::Null));
        }
        let millis = crate::format_date::epoch_millis(param.value()).ok_or_else(|| {
            RenderErrorReason::Other(format!(
                "formatDate: `{}` is not a date; give an instant (alert.firstSeen) or epoch milliseconds or seconds",
                param.value()
            ))
        })?;
        let pattern = h.param(1).and_then(|pattern| pattern.value().as_str());
        Ok(ScopedJson::Derived(Value::String(
            crate::format_date::format(millis, pattern),
        )))
    }
}

/// What `formatExpression` does with a machine-readable expression (inferred: the helper is
/// undocumented): drops the outer parentheses ThousandEyes wraps expressions in and spells the
/// boolean operators as words. Human-readable text passes through unchanged.
pub fn format_expression(expression: &str) -> String {
    let mut text = expression.trim();
    while let Some(inner) = text
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
    {
        // Only strip a pair that encloses the whole text.
        if !balanced(inner) {
            break;
        }
        text = inner.trim();
    }
    text.replace("&&", "and").replace("||", "or")
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i64;
    for ch in text.chars() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Rewrites `details.size`, `targets.size` and `labels.size` inside tags to `details_size`
/// etc., which [`with_sizes`] adds to the data. Same length, so every position in the
/// rewritten template is the same in the user's.
pub(crate) fn rewrite_sizes(source: &str) -> String {
    let mut text = source.to_owned();
    for (start, end) in limits::tags(source) {
        let mut tag = source[start..end].to_owned();
        for collection in SIZED_COLLECTIONS {
            let from = format!("{collection}.size");
            let mut search = 0;
            while let Some(at) = tag[search..].find(&from).map(|at| search + at) {
                let before_ok = at == 0
                    || !tag.as_bytes()[at - 1].is_ascii_alphanumeric()
                        && tag.as_bytes()[at - 1] != b'_';
                let after = at + from.len();
                let after_ok = tag
                    .as_bytes()
                    .get(after)
                    .is_none_or(|byte| !byte.is_ascii_alphanumeric() && *byte != b'_');
                if before_ok && after_ok {
                    tag.replace_range(at + collection.len()..at + collection.len() + 1, "_");
                }
                search = after;
            }
        }
        text.replace_range(start..end, &tag);
    }
    text
}

/// Adds `<collection>_size` next to every sized collection (see [`rewrite_sizes`]).
pub(crate) fn with_sizes(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let sizes: Vec<(String, usize)> = object
                .iter()
                .filter(|(key, _)| SIZED_COLLECTIONS.contains(&key.as_str()))
                .filter_map(|(key, value)| Some((format!("{key}_size"), value.as_array()?.len())))
                .collect();
            for value in object.values_mut() {
                with_sizes(value);
            }
            for (key, size) in sizes {
                object.insert(key, Value::from(size));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(with_sizes),
        _ => {}
    }
}

/// The template with position markers around every tag: [`MARK_TAG`] before each tag (and
/// before the whitespace a `{{~` removes), [`MARK_RAW`] after it (and after the whitespace a
/// `~}}` removes), each carrying a byte offset into `source`.
pub(crate) fn mark(source: &str) -> String {
    let mut marked = String::with_capacity(source.len() * 2);
    let mut copied = 0;
    for (start, end) in limits::tags(source) {
        let tag = &source[start..end];
        let trims_before = tag.trim_start_matches('{').starts_with('~');
        let trims_after = tag.trim_end_matches('}').ends_with('~');
        let tag_start = if trims_before {
            copied + source[copied..start].trim_end().len()
        } else {
            start
        };
        let raw_start = if trims_after {
            end + (source[end..].len() - source[end..].trim_start().len())
        } else {
            end
        };
        marked.push_str(&source[copied..tag_start]);
        marked.push_str(&format!("{MARK_TAG}{start}{MARK_END}"));
        marked.push_str(&source[tag_start..raw_start]);
        marked.push_str(&format!("{MARK_RAW}{raw_start}{MARK_END}"));
        copied = raw_start;
    }
    marked.push_str(&source[copied..]);
    marked
}

/// A marked rendering with its markers removed, and where each part of it came from.
pub(crate) struct SourceMap {
    /// The rendering without markers.
    pub text: String,
    /// `(offset in text, offset in template, raw)`: from this offset on, the text is the
    /// output of the tag at that template offset, or (raw) the template's text itself.
    spans: Vec<(usize, usize, bool)>,
}

impl SourceMap {
    pub(crate) fn new(marked_output: &str) -> SourceMap {
        let mut text = String::with_capacity(marked_output.len());
        let mut spans = Vec::new();
        let mut rest = marked_output;
        while let Some(at) = rest.find([MARK_TAG, MARK_RAW]) {
            text.push_str(&rest[..at]);
            let raw = rest[at..].starts_with(MARK_RAW);
            let after = &rest[at + MARK_TAG.len_utf8()..];
            let Some(close) = after.find(MARK_END) else {
                rest = after;
                continue;
            };
            if let Ok(offset) = after[..close].parse::<usize>() {
                spans.push((text.len(), offset, raw));
            }
            rest = &after[close + MARK_END.len_utf8()..];
        }
        text.push_str(rest);
        SourceMap { text, spans }
    }

    /// When the text at `offset` was written by a tag: the tag's template offset and the range
    /// of text it wrote.
    pub(crate) fn tag_output(&self, offset: usize) -> Option<(usize, std::ops::Range<usize>)> {
        let index = self
            .spans
            .partition_point(|(at, _, _)| *at <= offset)
            .checked_sub(1)?;
        let (at, template_offset, raw) = *self.spans.get(index)?;
        let end = self
            .spans
            .get(index + 1)
            .map_or(self.text.len(), |(next, _, _)| *next);
        (!raw && at < end).then_some((template_offset, at..end))
    }

    /// The template byte offset that produced the text at `offset`.
    pub(crate) fn template_offset(&self, offset: usize) -> Option<usize> {
        let index = self.spans.partition_point(|(at, _, _)| *at <= offset);
        let (at, template_offset, raw) = *self.spans.get(index.checked_sub(1)?)?;
        Some(if raw {
            template_offset + (offset - at)
        } else {
            template_offset
        })
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of a 1-based line and byte column as serde_json reports them.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, data: &Value) -> String {
        let mut data = data.clone();
        with_sizes(&mut data);
        let mut registry = registry(true);
        registry.register_template("t", compile(&rewrite_sizes(template), "t").unwrap());
        registry.render("t", &data).unwrap()
    }

    #[test]
    fn enums_render_as_their_name_and_values_as_they_are() {
        let data = json!({"type": {"id": 2, "name": "TRIGGER"}, "a": {"b": "<\"x\\>"}, "n": null});
        // No escaping of any kind, as ThousandEyes (reference §6.4).
        assert_eq!(
            render("{{type}} {{type.id}} {{a.b}} {{{a.b}}} [{{n}}]", &data),
            "TRIGGER 2 <\"x\\> <\"x\\> []"
        );
        assert_eq!(
            render(
                "{{#with a}}{{b}}{{/with}}{{#each a}}{{this}}{{@key}}{{/each}}",
                &data
            ),
            "<\"x\\><\"x\\>b"
        );
        assert_eq!(render("{{a}}", &data), "[object]");
        let mut strict = registry(true);
        strict.register_template("t", compile("{{a.c}}", "t").unwrap());
        let err = strict.render("t", &data).unwrap_err();
        assert!(
            matches!(err.reason(), RenderErrorReason::MissingVariable(Some(path)) if path == "a.c")
                || matches!(
                    err.reason(),
                    RenderErrorReason::ParamNotFoundForIndex(VALUE_HELPER, 0)
                ),
            "{err:?}"
        );
    }

    #[test]
    fn eq_compares_enums_by_id_or_name() {
        let data = json!({"type": {"id": 2, "name": "TRIGGER"}, "n": "123"});
        assert_eq!(render("{{#eq type 2}}t{{else}}c{{/eq}}", &data), "t");
        assert_eq!(
            render("{{#eq type 'trigger'}}t{{else}}c{{/eq}}", &data),
            "t"
        );
        assert_eq!(render("{{#eq type.id 1}}c{{else}}t{{/eq}}", &data), "t");
        assert_eq!(
            render("{{#if (eq type 'CLEAR')}}c{{else}}t{{/if}}", &data),
            "t"
        );
        assert_eq!(render("{{eq n 123}}", &data), "false");
    }

    #[test]
    fn sizes_and_each_first_last() {
        let data = json!({"alert": {"details": [{"n": "a"}, {"n": "b"}]}});
        assert_eq!(render("{{alert.details.size}}", &data), "2");
        assert_eq!(
            render(
                "{{#each alert.details}}{{#if @first}}[{{/if}}{{n}}{{#unless @last}},{{/unless}}{{/each}}]",
                &data
            ),
            "[a,b]"
        );
        assert_eq!(
            render("{{#with alert as |a|}}{{a.details.size}}{{/with}}", &data),
            "2"
        );
    }

    #[test]
    fn format_expression_unwraps_and_words() {
        assert_eq!(
            format_expression("((a >= 1) && (b == 2))"),
            "(a >= 1) and (b == 2)"
        );
        assert_eq!(
            format_expression("Page Load is incomplete"),
            "Page Load is incomplete"
        );
        assert_eq!(format_expression("(a) || (b)"), "(a) or (b)");
    }

    #[test]
    fn markers_map_output_back_to_the_template() {
        let source = "{\"a\": {{x}},\n \"b\": 1}";
        let marked = mark(source);
        let output = registry(false)
            .render_template(&marked, &json!({"x": ""}))
            .unwrap();
        let map = SourceMap::new(&output);
        assert_eq!(map.text, "{\"a\": ,\n \"b\": 1}");
        let comma = map.text.find(',').unwrap();
        assert_eq!(map.template_offset(comma), Some(source.find(',').unwrap()));
        let tag_output = map.text.find(": ").unwrap() + 2;
        assert_eq!(
            map.template_offset(tag_output),
            Some(source.find(',').unwrap())
        );
        assert_eq!(line_col(source, source.find("\"b\"").unwrap()), (2, 2));
    }

    /// Renders `source` parsed whole and parsed in pieces of about `piece_bytes`.
    fn whole_and_pieces(source: &str, piece_bytes: usize) -> (String, String) {
        let data = json!({"a": "A", "xs": [1, 2], "t": true});
        let render = |template: Template| {
            let mut registry = registry(false);
            registry.register_template("t", template);
            registry
                .render("t", &data)
                .unwrap_or_else(|err| format!("error {err}"))
        };
        let whole = Template::compile_with_name(source, "t".into()).unwrap();
        let pieces = parse_in_pieces(source, "t", piece_bytes).unwrap();
        (render(whole), render(pieces))
    }

    #[test]
    fn pieces_parse_like_the_whole() {
        let source = "{\n  \"a\": \"{{a}}\",\n  {{#if t}}\n  \"b\": 1,\n  {{/if}}\n  {{!-- c --}}\n\
                      \"xs\": [{{#each xs}}{{this}}{{#unless @last}},{{/unless}}{{/each}}],\n   {{~a~}}  \n x\n\
                      {{#each xs}}\n  {{this}}\n{{/each}}\n  {{a}}  \n\\{{a}}\n}\n";
        for piece_bytes in 1..source.len() {
            let (whole, pieces) = whole_and_pieces(source, piece_bytes);
            assert_eq!(whole, pieces, "pieces of {piece_bytes} bytes");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

        /// Parsing in pieces is an optimisation only: same success, same rendering.
        #[test]
        fn pieces_never_change_a_template(
            fragments in proptest::collection::vec(proptest::sample::select(vec![
                "\n", "  ", "x", "{{a}}", "{{{a}}}", "{{~a}}", "{{a~}}", "{{#if t}}", "{{/if}}",
                "{{else}}", "{{#each xs}}", "{{/each}}", "{{!c}}", "{{!-- c --}}", "\\{{a}}",
                "{{> p}}", "{{#*inline \"p\"}}", "{{/inline}}", "{{{{raw}}}}", "{{{{/raw}}}}",
                "{{~#if t~}}", "{{~/if~}}", "}}", "{{",
            ]), 0..40),
            piece_bytes in 1usize..24,
        ) {
            let source = fragments.concat();
            let whole = Template::compile_with_name(&source, "t".into());
            let pieces = parse_in_pieces(&source, "t", piece_bytes);
            proptest::prop_assert_eq!(whole.is_ok(), pieces.is_ok(), "{}", source);
            if whole.is_ok() {
                let (whole, pieces) = whole_and_pieces(&source, piece_bytes);
                proptest::prop_assert_eq!(whole, pieces, "{}", source);
            }
        }
    }

    #[test]
    fn long_flat_templates_are_parsed_in_short_pieces() {
        // Issue 13: parsing cost grew with the square of the length, because each element's
        // position is counted from the start of the text it is parsed in. Parsed in pieces,
        // each element costs at most one piece: bound the pieces, not the clock.
        let line = "  \"{{alert.rule.name}}\": \"{{alert.test.name}}\",\n";
        let source = line.repeat(200 * 1024 / line.len());
        let points = limits::split_points(&source, PIECE_BYTES);
        let mut starts = vec![0];
        starts.extend(&points);
        starts.push(source.len());
        let longest = starts
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .max()
            .unwrap();
        assert!(points.len() > 40, "{} pieces", points.len() + 1);
        assert!(
            longest <= PIECE_BYTES + line.len(),
            "a piece of {longest} bytes"
        );
        // Same positions as parsing whole, on the last line too.
        let template = compile(&source, "t").unwrap();
        let last = template.mapping.last().unwrap();
        let whole = Template::compile_with_name(&source, "t".into()).unwrap();
        let whole_last = whole.mapping.last().unwrap();
        assert_eq!((last.0, last.1), (whole_last.0, whole_last.1));
    }

    #[test]
    fn markers_keep_whitespace_control() {
        let source = "[ {{~#each xs~}} {{this}} {{~/each~}} ]";
        let data = json!({"xs": [1, 2]});
        let clean = registry(false).render_template(source, &data).unwrap();
        let marked = registry(false)
            .render_template(&mark(source), &data)
            .unwrap();
        assert_eq!(SourceMap::new(&marked).text, clean);
    }
}
