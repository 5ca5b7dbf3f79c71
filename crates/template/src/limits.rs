//! What a template may ask of tesim: its size, how deep its blocks nest, how deep partials
//! call each other, how much work and output one rendering may take. ThousandEyes documents
//! none of these; they are tesim's own, far above what a real template needs, and they exist
//! so that hostile or generated input ends in a template error instead of a stack overflow or
//! a hang (issue 13).
//!
//! Nesting is checked on the text before Handlebars parses it, because the parser recurses
//! once per level. Partial depth, work and output are checked while rendering: the compiled
//! tree carries a step marker at the start of every block body and a guard around every
//! partial call (see `engine::instrument`), and both charge the per-thread [`Budget`].

use std::cell::Cell;
use std::fmt;

/// Largest template (each of payload, query parameters and header values), in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Deepest nesting of blocks (`{{#if}}`, `{{#each}}`, `{{#with}}`, `{{else if}}` chains,
/// partial blocks, inline partials) and of brackets inside one tag (subexpressions, literals).
pub const MAX_NESTING: usize = 64;
/// Deepest chain of partial calls (`{{> p}}` inside a partial that another partial called).
pub const MAX_PARTIAL_DEPTH: usize = 16;
/// Most steps one rendering may take: a step is a helper call, a block body rendered (each
/// iteration of `{{#each}}` counts) or a partial call.
pub const MAX_RENDER_STEPS: u64 = 200_000;
/// Largest rendering of one template, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

/// A template beyond one of the limits, found before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Byte offset in the template where the limit was crossed.
    pub offset: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Checks a template's size and nesting before it is parsed. Linear in the text.
pub fn scan(source: &str) -> Result<(), Violation> {
    // Per open block: how many `{{else if …}}` links its chain has, each one more level.
    let mut open: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let too_deep = |offset: usize| Violation {
        offset,
        message: format!(
            "blocks nest more than {MAX_NESTING} levels deep here; tesim renders at most {MAX_NESTING} \
             (count {{{{#if}}}}, {{{{#each}}}}, {{{{#with}}}}, {{{{else if}}}} and partial blocks)"
        ),
    };
    for (start, end) in tags(source) {
        let tag = &source[start..end];
        let inner = tag
            .trim_start_matches('{')
            .trim_start_matches('~')
            .trim_start();
        if let Some(offset) = bracket_overflow(tag) {
            return Err(Violation {
                offset: start + offset,
                message: format!(
                    "brackets nest more than {MAX_NESTING} levels deep in this tag; tesim renders at most {MAX_NESTING}"
                ),
            });
        }
        if tag.starts_with("{{!") || tag.starts_with("{{{{") {
            // Comments hold no blocks; raw blocks do not nest.
            continue;
        }
        if inner.starts_with('#') {
            open.push(0);
            depth += 1;
        } else if inner.starts_with('/') {
            if let Some(links) = open.pop() {
                depth -= 1 + links;
            }
        } else if is_chain_link(inner) {
            if let Some(links) = open.last_mut() {
                *links += 1;
                depth += 1;
            }
        }
        if depth > MAX_NESTING {
            return Err(too_deep(start));
        }
    }
    // After nesting, so that a deep template is told about its depth wherever it is cut.
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(Violation {
            offset: MAX_TEMPLATE_BYTES,
            message: format!(
                "the template is {} bytes; tesim renders templates of at most {MAX_TEMPLATE_BYTES} bytes",
                source.len()
            ),
        });
    }
    Ok(())
}

/// `{{else if x}}` or `{{^ x}}`-style links that add a level to a block's chain.
fn is_chain_link(inner: &str) -> bool {
    let rest = if let Some(rest) = inner.strip_prefix("else") {
        if !rest.starts_with(char::is_whitespace) {
            return false;
        }
        rest
    } else if let Some(rest) = inner.strip_prefix('^') {
        rest
    } else {
        return false;
    };
    let rest = rest.trim_end_matches('}').trim_end_matches('~').trim();
    !rest.is_empty()
}

/// Where the bracket nesting in a tag first exceeds [`MAX_NESTING`], outside quoted strings.
fn bracket_overflow(tag: &str) -> Option<usize> {
    let body = tag.trim_start_matches('{');
    let skipped = tag.len() - body.len();
    let body = body.trim_end_matches('}');
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (index, byte) in body.bytes().enumerate() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == open {
                quote = None;
            }
            continue;
        }
        match byte {
            b'"' | b'\'' => quote = Some(byte),
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(skipped + index);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The byte ranges of the tags (`{{…}}`, `{{{…}}}`, `{{!-- … --}}`, `{{{{raw}}}}`) of a
/// template. An escaped `\{{` opens no tag. An unclosed tag runs to the end. The text of a raw
/// block is skipped: it holds no tags.
pub(crate) fn tags(source: &str) -> Vec<(usize, usize)> {
    let bytes = source.as_bytes();
    let mut ranges = Vec::new();
    let mut index = 0;
    while index + 1 < bytes.len() {
        if bytes[index] == b'{' && bytes[index + 1] == b'{' {
            if index > 0 && bytes[index - 1] == b'\\' {
                index += 2;
                continue;
            }
            let rest = &source[index..];
            let close = if rest.starts_with("{{!--") {
                "--}}"
            } else if rest.starts_with("{{{{") {
                "}}}}"
            } else if rest.starts_with("{{{") {
                "}}}"
            } else {
                "}}"
            };
            let mut end = source[index + 2..]
                .find(close)
                .map_or(source.len(), |at| index + 2 + at + close.len());
            ranges.push((index, end));
            if rest.starts_with("{{{{") && !rest.starts_with("{{{{/") {
                // A raw block: its text is not Handlebars; resume at its end tag.
                end = source[end..]
                    .find("{{{{/")
                    .map_or(source.len(), |at| end + at);
            }
            index = end;
        } else {
            index += 1;
        }
    }
    ranges
}

/// Where a template can be cut into pieces that Handlebars parses to the same elements as the
/// whole: right after a newline in text outside any block, when neither neighbouring tag
/// trims whitespace (`~`). Handlebars treats the start and the end of a template as line
/// boundaries, so standalone tags on either side of the cut are recognised as in the whole.
/// Pieces are at least `piece_bytes` long where the template allows.
pub(crate) fn split_points(source: &str, piece_bytes: usize) -> Vec<usize> {
    let mut points = Vec::new();
    let mut depth = 0usize;
    let mut last_cut = 0;
    let mut text_start = 0;
    let mut previous_trims_after = false;
    let consider = |text_start: usize,
                    text_end: usize,
                    next_trims_before: bool,
                    previous_trims_after: bool,
                    depth: usize,
                    last_cut: &mut usize,
                    points: &mut Vec<usize>| {
        if depth != 0 || next_trims_before || previous_trims_after {
            return;
        }
        if text_end < *last_cut + piece_bytes {
            return;
        }
        if let Some(newline) = source[text_start..text_end].find('\n') {
            let cut = text_start + newline + 1;
            if cut >= *last_cut + piece_bytes / 2 && cut < source.len() {
                points.push(cut);
                *last_cut = cut;
            }
        }
    };
    for (start, end) in tags(source) {
        let tag = &source[start..end];
        let trims_before = tag.trim_start_matches('{').starts_with('~');
        consider(
            text_start,
            start,
            trims_before,
            previous_trims_after,
            depth,
            &mut last_cut,
            &mut points,
        );
        let inner = tag
            .trim_start_matches('{')
            .trim_start_matches('~')
            .trim_start();
        if !tag.starts_with("{{!") {
            if inner.starts_with('#') || (tag.starts_with("{{{{") && !inner.starts_with('/')) {
                depth += 1;
            } else if inner.starts_with('/') {
                depth = depth.saturating_sub(1);
            }
        }
        previous_trims_after = tag.trim_end_matches('}').ends_with('~');
        text_start = end;
    }
    consider(
        text_start,
        source.len(),
        false,
        previous_trims_after,
        depth,
        &mut last_cut,
        &mut points,
    );
    points
}

/// The budget of the rendering running on this thread.
pub(crate) struct Budget;

thread_local! {
    static STEPS: Cell<u64> = const { Cell::new(0) };
    static PARTIAL_DEPTH: Cell<usize> = const { Cell::new(0) };
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
}

impl Budget {
    /// Starts a rendering: a full budget.
    pub(crate) fn begin() {
        STEPS.set(0);
        PARTIAL_DEPTH.set(0);
        EXCEEDED.set(false);
    }

    /// Whether the last rendering on this thread stopped at a limit.
    pub(crate) fn exceeded() -> bool {
        EXCEEDED.get()
    }

    /// Records that a limit stopped the rendering; returns the message for the error.
    pub(crate) fn stop(message: String) -> String {
        EXCEEDED.set(true);
        message
    }

    /// One step of work.
    pub(crate) fn step() -> Result<(), String> {
        let steps = STEPS.get() + 1;
        STEPS.set(steps);
        if steps > MAX_RENDER_STEPS {
            return Err(Budget::stop(format!(
                "the rendering took more than {MAX_RENDER_STEPS} steps (helper calls, block bodies, \
                 loop iterations) and was stopped; nested {{{{#each}}}} over the same lists multiply"
            )));
        }
        Ok(())
    }

    /// Steps taken by the last rendering on this thread.
    pub(crate) fn steps() -> u64 {
        STEPS.get()
    }

    /// Enters a partial; `Err` when partials nest too deep.
    pub(crate) fn enter_partial() -> Result<(), String> {
        Budget::step()?;
        let depth = PARTIAL_DEPTH.get() + 1;
        if depth > MAX_PARTIAL_DEPTH {
            return Err(Budget::stop(format!(
                "partials call each other more than {MAX_PARTIAL_DEPTH} levels deep (a partial that calls itself never ends)"
            )));
        }
        PARTIAL_DEPTH.set(depth);
        Ok(())
    }

    /// Leaves a partial.
    pub(crate) fn leave_partial() {
        PARTIAL_DEPTH.set(PARTIAL_DEPTH.get().saturating_sub(1));
    }
}

/// A writer that refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
pub(crate) struct CappedOutput {
    pub(crate) bytes: Vec<u8>,
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            return Err(std::io::Error::other(Budget::stop(format!(
                "the rendering is longer than {MAX_OUTPUT_BYTES} bytes and was stopped"
            ))));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_across_block_kinds_and_chains() {
        let ok = "{{#if a}}".repeat(MAX_NESTING) + &"{{/if}}".repeat(MAX_NESTING);
        assert_eq!(scan(&ok), Ok(()));
        let deep = "x{{#each a}}".repeat(MAX_NESTING + 1);
        let err = scan(&deep).unwrap_err();
        assert_eq!(err.offset, "x{{#each a}}".len() * MAX_NESTING + 1);
        // Each `else if` link is one more level until the block closes.
        let chain = format!(
            "{{{{#if a}}}}{}{{{{/if}}}}",
            "{{else if b}}".repeat(MAX_NESTING)
        );
        assert!(scan(&chain).is_err());
        let closed = "{{#if a}}{{else}}{{/if}}".repeat(MAX_NESTING * 4);
        assert_eq!(scan(&closed), Ok(()));
        let parens = format!("{{{{x {}1{}}}}}", "(a ".repeat(100), ")".repeat(100));
        assert!(scan(&parens).is_err());
        let quoted = format!("{{{{x \"{}\"}}}}", "(".repeat(100));
        assert_eq!(scan(&quoted), Ok(()));
        assert!(scan(&"a".repeat(MAX_TEMPLATE_BYTES + 1)).is_err());
    }

    #[test]
    fn split_points_stay_outside_blocks_and_whitespace_control() {
        let source = "a\nb{{#if x}}\nc\n{{/if}}\nd\ne{{~y}}\nf\n";
        let points = split_points(source, 1);
        for point in &points {
            assert_eq!(&source[point - 1..*point], "\n");
        }
        // Not inside the block, not before `{{~y}}`.
        let inside = source.find("{{#if").unwrap()..source.find("{{/if").unwrap();
        let trimmed = source.find("\ne{{~").unwrap()..source.find("{{~").unwrap();
        assert!(
            points
                .iter()
                .all(|point| !inside.contains(point) && !trimmed.contains(point)),
            "{points:?}"
        );
        assert!(!points.is_empty());
    }
}
