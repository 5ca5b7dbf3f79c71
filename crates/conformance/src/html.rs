//! The report as one self-contained HTML file (`--html FILE`): inline CSS, no script fetched,
//! no font, no image, so it opens offline, from a CI artifact, and prints.
//!
//! Failed checks come first, then warnings, errors, skips and passes; a radio-button filter
//! (pure CSS, no JavaScript) shows one verdict at a time. Each check carries its wire
//! transcript, already masked and cut by [`crate::wire`].

use std::fmt::Write as _;

use crate::catalogue;
use crate::report::{CheckResult, Exchange, Report, Verdict, human_ms};

const STYLE: &str = r#"
:root{--fail:#b3261e;--warn:#8a5a00;--pass:#1e6b34;--skip:#555;--error:#6a1b9a;--bg:#fff;--fg:#1b1b1b;--mute:#5f6368;--line:#ddd}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:72rem;padding:1.5rem}
h1{font-size:1.4rem;margin:0 0 .3rem}
h2{font-size:1.1rem;margin:0}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid var(--line);padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3rem 0}
.meta{color:var(--mute);margin:.2rem 0 1rem}
.verdict-line{font-weight:600;padding:.6rem .8rem;border-left:4px solid var(--mute);background:#f6f8fa}
table.counts{border-collapse:collapse;margin:1rem 0}
table.counts td,table.counts th{border:1px solid var(--line);padding:.25rem .6rem;text-align:right}
.badge{display:inline-block;min-width:3.6rem;text-align:center;font-weight:700;color:#fff;border-radius:3px;padding:0 .3rem;font-size:.8rem}
.v-FAIL .badge{background:var(--fail)}.v-WARN .badge{background:var(--warn)}.v-PASS .badge{background:var(--pass)}.v-SKIP .badge{background:var(--skip)}.v-ERROR .badge{background:var(--error)}
section.check{border:1px solid var(--line);border-left-width:5px;border-radius:4px;margin:.8rem 0;padding:.6rem .8rem}
section.v-FAIL{border-left-color:var(--fail)}section.v-WARN{border-left-color:var(--warn)}section.v-PASS{border-left-color:var(--pass)}section.v-SKIP{border-left-color:var(--skip)}section.v-ERROR{border-left-color:var(--error)}
dl{display:grid;grid-template-columns:7rem 1fr;gap:.2rem .8rem;margin:.5rem 0}
dt{color:var(--mute)}dd{margin:0}
.filter{margin:1rem 0}.filter label{margin-right:.8rem;cursor:pointer}
details.exchange{margin:.4rem 0}
summary{cursor:pointer}
#f-FAIL:checked~main section:not(.v-FAIL),#f-WARN:checked~main section:not(.v-WARN),#f-PASS:checked~main section:not(.v-PASS),#f-SKIP:checked~main section:not(.v-SKIP),#f-ERROR:checked~main section:not(.v-ERROR){display:none}
@media print{.filter,input[type=radio]{display:none}section.check{break-inside:avoid}details.exchange>*{display:block}body{max-width:none;padding:0}}
"#;

/// Escapes text for HTML content and attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The order sections appear in: what needs action first.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Fail => 0,
        Verdict::Error => 1,
        Verdict::Warn => 2,
        Verdict::Skip => 3,
        Verdict::Pass => 4,
    }
}

const VERDICTS: [Verdict; 5] = [
    Verdict::Fail,
    Verdict::Error,
    Verdict::Warn,
    Verdict::Skip,
    Verdict::Pass,
];

impl Report {
    /// The self-contained HTML report.
    pub fn to_html(&self, strict: bool) -> String {
        let summary = &self.summary;
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        );
        let _ = writeln!(out, "<title>tesim check: {}</title>", esc(&self.target));
        let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
        // The radios sit before <main> so the CSS sibling selectors can filter it.
        out.push_str("<input type=\"radio\" name=\"f\" id=\"f-all\" checked hidden>");
        for verdict in VERDICTS {
            let _ = write!(
                out,
                "<input type=\"radio\" name=\"f\" id=\"f-{v}\" hidden>",
                v = verdict.as_str()
            );
        }
        out.push_str("\n<header>\n");
        let _ = writeln!(
            out,
            "<h1>tesim check: <code>{}</code></h1>",
            esc(&self.target)
        );
        let _ = writeln!(
            out,
            "<p class=\"meta\">tesim {} · auth {} · timeout {} · started <time>{}</time> · took {}{}</p>",
            esc(&self.tesim_version),
            esc(&self.auth),
            human_ms(self.timeout_ms),
            esc(&self.started_at),
            human_ms(self.duration_ms),
            self.observe
                .as_deref()
                .map(|url| format!(" · observe <code>{}</code>", esc(url)))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "<p class=\"verdict-line\" id=\"verdict\">{}</p>",
            esc(&self.verdict_line(strict))
        );
        out.push_str(
            "<table class=\"counts\"><tr><th></th><th>MUST</th><th>SHOULD</th><th>all</th></tr>\n",
        );
        for verdict in VERDICTS {
            let count = |level: Option<catalogue::Level>| {
                self.results
                    .iter()
                    .filter(|result| result.verdict == verdict)
                    .filter(|result| level.is_none_or(|level| result.level == level))
                    .count()
            };
            let _ = writeln!(
                out,
                "<tr class=\"v-{v}\"><th><span class=\"badge\">{v}</span></th><td>{}</td><td>{}</td><td>{}</td></tr>",
                count(Some(catalogue::Level::Must)),
                count(Some(catalogue::Level::Should)),
                count(None),
                v = verdict.as_str()
            );
        }
        let _ = writeln!(
            out,
            "<tr><th>total</th><td colspan=\"3\">{}</td></tr></table>",
            summary.total
        );
        if let Some(diff) = &self.baseline {
            let _ = writeln!(
                out,
                "<h2>Since the baseline of {}</h2><ul id=\"baseline\">",
                esc(&diff.baseline_started_at)
            );
            for change in &diff.regressed {
                let _ = writeln!(
                    out,
                    "<li>regressed: <code>{}</code> {} → {}</li>",
                    esc(&change.id),
                    change.before,
                    change.after
                );
            }
            for change in &diff.fixed {
                let _ = writeln!(
                    out,
                    "<li>fixed: <code>{}</code> {} → {}</li>",
                    esc(&change.id),
                    change.before,
                    change.after
                );
            }
            if diff.regressed.is_empty() && diff.fixed.is_empty() {
                out.push_str("<li>no verdict changed</li>\n");
            }
            out.push_str("</ul>\n");
        }
        out.push_str("<nav class=\"filter\">Show: <label for=\"f-all\">all</label>");
        for verdict in VERDICTS {
            let _ = write!(
                out,
                "<label for=\"f-{v}\">{v}</label>",
                v = verdict.as_str()
            );
        }
        out.push_str("</nav>\n</header>\n<main>\n");
        if let Some(why) = &self.not_run {
            let _ = writeln!(
                out,
                "<section class=\"check v-ERROR\" id=\"not-run\"><h2><span class=\"badge\">ERROR</span> the checker could not run</h2><p>{}</p></section>",
                esc(why)
            );
        }
        let mut ordered: Vec<&CheckResult> = self.results.iter().collect();
        ordered.sort_by_key(|result| rank(result.verdict));
        for result in ordered {
            section(&mut out, result);
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }
}

fn section(out: &mut String, result: &CheckResult) {
    let v = result.verdict.as_str();
    let _ = writeln!(
        out,
        "<section class=\"check v-{v}\" id=\"{id}\">\n<h2><span class=\"badge\">{v}</span> <code>{id}</code> {level}: {title}</h2>\n<p class=\"message\">{message}</p>\n<dl>",
        id = esc(&result.id),
        level = result.level,
        title = esc(&result.title),
        message = esc(&result.message)
    );
    if let Some(url) = &result.url_to_configure {
        let _ = writeln!(out, "<dt>configure</dt><dd><code>{}</code></dd>", esc(url));
    }
    if let Some(info) = catalogue::info(&result.id) {
        let _ = writeln!(
            out,
            "<dt>why</dt><dd>{}</dd>\n<dt>fix</dt><dd>{}</dd>\n<dt>source</dt><dd>{}</dd>",
            esc(info.why),
            esc(info.fix),
            esc(info.source)
        );
    }
    if let Some(rerun) = &result.rerun {
        let _ = writeln!(out, "<dt>rerun</dt><dd><code>{}</code></dd>", esc(rerun));
    }
    let _ = writeln!(
        out,
        "<dt>took</dt><dd>{}</dd>\n</dl>",
        human_ms(result.duration_ms)
    );
    if !result.evidence.is_empty() {
        let _ = writeln!(
            out,
            "<h3>Wire transcript ({} {})</h3>",
            result.evidence.len(),
            if result.evidence.len() == 1 {
                "exchange"
            } else {
                "exchanges"
            }
        );
        for exchange in &result.evidence {
            transcript(out, exchange, result.verdict != Verdict::Pass);
        }
    }
    out.push_str("</section>\n");
}

fn transcript(out: &mut String, exchange: &Exchange, open: bool) {
    let outcome = match (exchange.status, &exchange.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(_)) => "no answer".to_owned(),
        (None, None) => "—".to_owned(),
    };
    let _ = writeln!(
        out,
        "<details class=\"exchange\"{}><summary><code>{}</code> → {} in {}</summary>",
        if open { " open" } else { "" },
        esc(&exchange.request),
        esc(&outcome),
        human_ms(exchange.latency_ms)
    );
    if let Some(sent) = &exchange.sent {
        let mut text = format!("{} {}\n", sent.method, sent.url);
        for (name, value) in &sent.headers {
            let _ = writeln!(text, "{name}: {value}");
        }
        let _ = write!(text, "\n{}", sent.body);
        let _ = writeln!(
            out,
            "<p>sent ({}body {}):</p><pre class=\"sent\">{}</pre>",
            if sent.body_bytes > sent.body.len() {
                "truncated,"
            } else {
                ""
            },
            bytes(sent.body_bytes),
            esc(&text)
        );
    }
    if let Some(received) = &exchange.received {
        let mut text = format!("{}\n", received.status);
        for (name, value) in &received.headers {
            let _ = writeln!(text, "{name}: {value}");
        }
        let _ = write!(text, "\n{}", received.body);
        let _ = writeln!(
            out,
            "<p>received (body {}):</p><pre class=\"received\">{}</pre>",
            bytes(received.body_bytes),
            esc(&text)
        );
    }
    if let Some(error) = &exchange.error {
        let _ = writeln!(
            out,
            "<p>what went wrong:</p><pre class=\"error\">{}</pre>",
            esc(error)
        );
    }
    out.push_str("</details>\n");
}

fn bytes(n: usize) -> String {
    match n {
        0..=9_999 => format!("{n} bytes"),
        _ => format!("{:.1} KiB", n as f64 / 1024.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
