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

/// The largest number of alerts a scenario may generate, so a typo cannot exhaust memory.
pub const MAX_ALERTS: u32 = 1_000_000;

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
    let account = Arc::new(Account {
        aid: file.account.aid,
        name: file.account.name.clone(),
        time_zone,
    });
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let world = World::build(&mut ctx, file);
    let steps = read::expand_steps(&mut ctx, file, &world, &mut rng);
    if !ctx.diagnostics.is_empty() {
        return Err(ctx.diagnostics);
    }
    let mut player = Player::new(account.clone(), start, &mut rng);
    for step in &steps {
        player.play(&mut ctx, &world, step, &mut rng);
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
