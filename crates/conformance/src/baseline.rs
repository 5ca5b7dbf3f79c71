//! `--baseline old.json`: what regressed and what got fixed since an earlier report.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::report::{Report, Verdict};

/// One check whose verdict changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The check id.
    pub id: String,
    /// Its verdict in the baseline.
    pub before: Verdict,
    /// Its verdict now.
    pub after: Verdict,
}

/// The differences between a baseline report and this one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineDiff {
    /// When the baseline run started (its `started_at`).
    pub baseline_started_at: String,
    /// Checks that were PASS (or not failing) before and now FAIL, WARN or ERROR.
    pub regressed: Vec<Change>,
    /// Checks that failed (FAIL, WARN, ERROR) before and PASS now.
    pub fixed: Vec<Change>,
}

fn bad(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Fail | Verdict::Warn | Verdict::Error)
}

/// Compares `now` with `before`, check by check; checks absent from either side are ignored
/// (a selection that differs is not a regression).
pub fn compare(before: &Report, now: &Report) -> BaselineDiff {
    let mut diff = BaselineDiff {
        baseline_started_at: before.started_at.clone(),
        ..BaselineDiff::default()
    };
    for result in &now.results {
        let Some(old) = before.results.iter().find(|old| old.id == result.id) else {
            continue;
        };
        let change = Change {
            id: result.id.clone(),
            before: old.verdict,
            after: result.verdict,
        };
        let worse =
            bad(result.verdict) && (!bad(old.verdict) || rank(result.verdict) > rank(old.verdict));
        if worse {
            diff.regressed.push(change);
        } else if bad(old.verdict) && result.verdict == Verdict::Pass {
            diff.fixed.push(change);
        }
    }
    diff
}

/// Severity order for "got worse": WARN < FAIL, and ERROR counts as a change of its own.
fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass | Verdict::Skip => 0,
        Verdict::Warn => 1,
        Verdict::Error => 2,
        Verdict::Fail => 3,
    }
}

impl BaselineDiff {
    /// Lines for the terminal table.
    pub fn to_text(&self) -> String {
        let mut out = format!("since the baseline of {}:", self.baseline_started_at);
        if self.regressed.is_empty() && self.fixed.is_empty() {
            out.push_str(" no verdict changed\n");
            return out;
        }
        out.push('\n');
        for change in &self.regressed {
            let _ = writeln!(
                out,
                "  regressed  {}  {} -> {}",
                change.id, change.before, change.after
            );
        }
        for change in &self.fixed {
            let _ = writeln!(
                out,
                "  fixed      {}  {} -> {}",
                change.id, change.before, change.after
            );
        }
        out
    }
}
