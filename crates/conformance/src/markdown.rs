//! The report as GitHub-flavoured Markdown, for `--markdown FILE` and `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use crate::report::{Report, Verdict, human_ms};

/// Escapes the characters that would break a table cell or inline formatting.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

impl Report {
    /// A summary (counts and the verdict line), then every check not passing with what to do
    /// and its rerun command, then the baseline changes.
    pub fn to_markdown(&self, strict: bool) -> String {
        let summary = &self.summary;
        let mut out = format!("## tesim check: `{}`\n\n", self.target);
        let _ = writeln!(out, "**{}**\n", cell(&self.verdict_line(strict)));
        let _ = writeln!(
            out,
            "| checks | pass | fail (MUST) | warn | skip | error | duration |\n|---|---|---|---|---|---|---|\n| {} | {} | {} ({}) | {} | {} ({} MUST) | {} | {} |\n",
            summary.total,
            summary.passed,
            summary.failed,
            summary.must_failed,
            summary.warned,
            summary.skipped,
            summary.must_skipped,
            summary.errors,
            human_ms(self.duration_ms)
        );
        let _ = writeln!(
            out,
            "tesim {} · auth {} · started {}\n",
            self.tesim_version, self.auth, self.started_at
        );
        let attention: Vec<_> = self
            .results
            .iter()
            .filter(|result| !matches!(result.verdict, Verdict::Pass))
            .collect();
        if !attention.is_empty() {
            out.push_str("| verdict | level | check | what happened |\n|---|---|---|---|\n");
            for result in &attention {
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` {} | {} |",
                    result.verdict,
                    result.level,
                    result.id,
                    cell(&result.title),
                    cell(&result.message)
                );
            }
            out.push('\n');
            let reruns: Vec<_> = attention
                .iter()
                .filter(|result| {
                    matches!(
                        result.verdict,
                        Verdict::Fail | Verdict::Warn | Verdict::Error
                    )
                })
                .filter_map(|result| result.rerun.as_deref())
                .collect();
            if !reruns.is_empty() {
                out.push_str("<details><summary>Rerun one check</summary>\n\n```sh\n");
                for rerun in reruns {
                    let _ = writeln!(out, "{rerun}");
                }
                out.push_str("```\n</details>\n\n");
            }
        }
        if let Some(diff) = &self.baseline {
            let _ = writeln!(
                out,
                "### Since the baseline of {}\n",
                diff.baseline_started_at
            );
            if diff.regressed.is_empty() && diff.fixed.is_empty() {
                out.push_str("No verdict changed.\n\n");
            }
            for change in &diff.regressed {
                let _ = writeln!(
                    out,
                    "- regressed: `{}` {} → {}",
                    change.id, change.before, change.after
                );
            }
            for change in &diff.fixed {
                let _ = writeln!(
                    out,
                    "- fixed: `{}` {} → {}",
                    change.id, change.before, change.after
                );
            }
            out.push('\n');
        }
        out
    }
}
