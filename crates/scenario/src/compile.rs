//! From a parsed scenario file to a [`Timeline`], in three stages with one file each:
//! `world` builds the account's tests, rules and agents; `read` checks every `[[steps]]` entry
//! and turns it into primitive [`step::Step`]s (`generate` expands `burst` and `flap`); `play`
//! plays those in time order, recording every notification and state change.

mod generate;
mod play;
mod read;
mod step;
mod world;

use std::ops::Range;
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tesim_model::{Account, AccountZone, TeDate};

use crate::error::Diagnostic;
use crate::file::ScenarioFile;
use crate::limits::MAX_STEPS;
use crate::offset;
use crate::timeline::Timeline;

use play::Player;
use world::World;

/// Inputs that are not in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Seeds every generated id and every random choice.
    pub seed: u64,
    /// Instant of offset zero; the file's `start`, or [`DEFAULT_START`], when `None`.
    pub start: Option<TeDate>,
    /// The account's time zone (`--timezone`); the file's `timezone`, or UTC, when `None`.
    pub time_zone: Option<AccountZone>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: DEFAULT_SEED,
            start: None,
            time_zone: None,
        }
    }
}

/// The seed used when none is given, so that two plain runs send the same bytes.
pub const DEFAULT_SEED: u64 = 1;

/// Offset zero when neither the file nor the caller says: 2024-05-02 10:15:20 UTC.
pub const DEFAULT_START: i64 = 1_714_644_920;

pub use crate::limits::MAX_ALERTS;

/// Compiles `file` (whose text is `text`, for error positions) into a timeline.
pub fn compile(
    name: &str,
    text: &str,
    file: &ScenarioFile,
    options: Options,
) -> Result<Timeline, Vec<Diagnostic>> {
    let mut ctx = Ctx {
        text,
        diagnostics: Vec::new(),
    };
    let start = start_date(&mut ctx, file, &options);
    let time_zone = time_zone(&mut ctx, file, options.time_zone);
    if let Some(first_extra) = file.steps.get(MAX_STEPS) {
        let message = format!(
            "{} steps; at most {MAX_STEPS} per scenario: use `burst` or `flap` to generate many",
            file.steps.len()
        );
        ctx.error(first_extra.at.span(), "steps", message);
        return Err(ctx.diagnostics);
    }
    let account = Arc::new(Account {
        aid: file.account.aid,
        name: file.account.name.clone(),
        time_zone,
    });
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let world = World::build(&mut ctx, file);
    let read = read::expand_steps(&mut ctx, file, &world, &mut rng);
    check_end_date(&mut ctx, file, start, &read.steps);
    // Played even after errors, so that mistakes of both kinds are reported in one run
    // (the timeline is then thrown away).
    let mut player = Player::new(account.clone(), start, &mut rng);
    for step in &read.steps {
        let reported = ctx.diagnostics.len();
        player.play(&mut ctx, &world, step, &mut rng);
        if step
            .action
            .name()
            .is_some_and(|name| read.unreadable_names.contains(name))
        {
            ctx.diagnostics.truncate(reported);
        }
    }
    if !ctx.diagnostics.is_empty() {
        return Err(ctx.diagnostics);
    }
    Ok(Timeline {
        name: name.to_owned(),
        account,
        start,
        tests: world.tests.values().cloned().collect(),
        rules: world.rules.values().cloned().collect(),
        agents: world.agents.values().cloned().collect(),
        agent_rules: world.agent_rules.values().cloned().collect(),
        notifications: player.notifications,
        history: player.history,
    })
}

/// Offset zero: the caller's, else the file's, else [`DEFAULT_START`].
fn start_date(ctx: &mut Ctx<'_>, file: &ScenarioFile, options: &Options) -> TeDate {
    match (options.start, &file.start) {
        (Some(start), _) => start,
        (None, Some(start)) => match TeDate::parse_classic(start.get_ref()) {
            Ok(date) => date,
            Err(err) => {
                ctx.error(start.span(), "start", err.to_string());
                TeDate::EPOCH
            }
        },
        (None, None) => TeDate::from_epoch(DEFAULT_START).unwrap_or(TeDate::EPOCH),
    }
}

/// Dates are clamped to 9999-12-31, so a scenario that would run past it is refused rather
/// than silently sending wrong dates.
fn check_end_date(ctx: &mut Ctx<'_>, file: &ScenarioFile, start: TeDate, steps: &[step::Step]) {
    let Some(last) = steps.iter().map(|step| step.at).max() else {
        return;
    };
    let end = i64::try_from(last.as_secs())
        .ok()
        .and_then(|seconds| start.epoch().checked_add(seconds));
    if end.is_some_and(|end| TeDate::from_epoch(end).is_ok()) {
        return;
    }
    let span = file.start.as_ref().map_or(0..0, |start| start.span());
    let message = format!(
        "the last step, at {}, falls after 9999-12-31 23:59:59; start the scenario earlier",
        offset::display(last)
    );
    ctx.error(span, "start", message);
}

/// The account's zone: the caller's, else the file's, else UTC.
fn time_zone(ctx: &mut Ctx<'_>, file: &ScenarioFile, given: Option<AccountZone>) -> AccountZone {
    match (given, &file.timezone) {
        (Some(zone), _) => zone,
        (None, Some(name)) => AccountZone::parse(name.get_ref()).unwrap_or_else(|err| {
            ctx.error(name.span(), "timezone", err.to_string());
            AccountZone::utc()
        }),
        (None, None) => AccountZone::utc(),
    }
}

/// The text being compiled and the problems found so far.
struct Ctx<'a> {
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn error(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.text, span, field, message));
    }
}
