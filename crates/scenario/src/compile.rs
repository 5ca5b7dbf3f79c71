//! From a parsed scenario file to a [`Timeline`], in three stages with one file each:
//! `world` builds the account's tests, rules and agents; `read` checks every `[[steps]]` entry
//! and turns it into primitive [`step::Step`]s (`generate` expands `burst` and `flap`); `play`
//! plays those in time order, recording every notification and state change.

mod generate;
mod play;
mod read;
mod step;
mod world;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tesim_model::{Account, AccountZone, TeDate};

use crate::error::Diagnostic;
use crate::file::ScenarioFile;
use crate::limits::MAX_STEPS;
use crate::offset;
use crate::timeline::{Event, Timeline};

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

/// Compiles `file` (whose text is `text`, for error positions) into a timeline: every event of
/// [`events`] collected, and every problem reported at once.
pub fn compile(
    name: &str,
    text: &str,
    file: &ScenarioFile,
    options: Options,
) -> Result<Timeline, Vec<Diagnostic>> {
    let mut events = events(name, text, file, options)?;
    events.stop_on_error = false;
    let mut timeline = events.header.clone();
    for event in &mut events {
        match event {
            Event::Notification(timed) => timeline.notifications.push(timed),
            Event::Change(change) => timeline.history.push(change),
        }
    }
    if !events.diagnostics.is_empty() {
        return Err(events.diagnostics);
    }
    Ok(timeline)
}

/// Compiles `file` up to the point of playing it: the account, the written steps and the
/// generators, checked; the events are then made one by one, on demand, by the returned
/// iterator. Problems found by playing stop it there (see [`Events::problems`]).
pub fn events(
    name: &str,
    text: &str,
    file: &ScenarioFile,
    options: Options,
) -> Result<Events, Vec<Diagnostic>> {
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
    let last_written = read.steps.iter().map(|step| step.at).max();
    let latest = |last: fn(&generate::Generator) -> Option<Duration>| {
        last_written.max(read.generators.iter().filter_map(last).max())
    };
    // A bound is enough unless it crosses the end: the exact last step of a burst replays all
    // its draws, which a million-alert burst's first event would wait for (issue 17).
    if !ends_in_range(start, latest(generate::Generator::last_at_most)) {
        check_end_date(&mut ctx, file, start, latest(generate::Generator::last));
    }
    let generated = file
        .steps
        .iter()
        .enumerate()
        .filter_map(|(origin, def)| match def.action.get_ref().as_str() {
            "burst" => Some((origin, "burst")),
            "flap" => Some((origin, "flap")),
            _ => None,
        })
        .collect();
    // Played even after errors, so that mistakes of both kinds are reported in one run
    // (the timeline is then thrown away).
    let player = Player::new(account.clone(), start, generated, &mut rng);
    let n_steps = read.steps.len() as u64
        + read
            .generators
            .iter()
            .map(|generator| generator.len)
            .sum::<u64>();
    Ok(Events {
        header: Timeline {
            name: name.to_owned(),
            account,
            start,
            tests: world.tests.values().cloned().collect(),
            rules: world.rules.values().cloned().collect(),
            agents: world.agents.values().cloned().collect(),
            agent_rules: world.agent_rules.values().cloned().collect(),
            notifications: Vec::new(),
            history: Vec::new(),
        },
        text: text.to_owned(),
        world,
        unreadable_names: read.unreadable_names,
        steps: Merge::new(read.steps, read.generators),
        n_steps,
        player,
        rng,
        diagnostics: ctx.diagnostics,
        path: std::path::PathBuf::from(format!("{name}.toml")),
        stop_on_error: true,
    })
}

/// A scenario being played: its events made one at a time, in the order a [`Timeline`] lists
/// them, byte for byte the same. What it holds is what is active (live alerts, clears drawn but
/// not yet due, one pending step per `[[steps]]` generator), never the scenario's length.
pub struct Events {
    header: Timeline,
    text: String,
    world: World,
    unreadable_names: std::collections::BTreeSet<String>,
    steps: Merge,
    n_steps: u64,
    player: Player,
    rng: ChaCha8Rng,
    diagnostics: Vec<Diagnostic>,
    /// What [`Events::check`] calls the file.
    pub(crate) path: std::path::PathBuf,
    /// Streaming stops at the first problem; compiling plays on to report them all.
    stop_on_error: bool,
}

impl Events {
    /// The account, its tests, rules and agents, with no notifications and no history yet.
    pub fn header(&self) -> &Timeline {
        &self.header
    }

    /// From now on, only notifications: no [`Event::Change`] (what a sender needs).
    pub fn skip_history(&mut self) {
        self.player.history = false;
    }

    /// From now on, only state changes: no [`Event::Notification`] (what the API needs). The
    /// changes are the same as with them; [`Events::last_offset`] still counts them.
    pub fn skip_notifications(&mut self) {
        self.player.notifications = false;
    }

    /// The offset of the last event made so far, skipped ones included: after the last event,
    /// the [`Timeline::duration`] of the scenario.
    pub fn last_offset(&self) -> Option<Duration> {
        self.player.last_offset
    }

    /// How many primitive steps the scenario plays (generated ones included).
    pub fn n_steps(&self) -> u64 {
        self.n_steps
    }

    /// The problems found so far; after the last event, a scenario with none is valid.
    pub fn problems(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// After the last event: an error when playing found a problem (the events stopped there).
    pub fn check(&self) -> Result<(), crate::ScenarioError> {
        if self.diagnostics.is_empty() {
            return Ok(());
        }
        Err(crate::ScenarioError::Invalid {
            path: self.path.clone(),
            diagnostics: self.diagnostics.clone(),
        })
    }

    /// How many things are held in memory for steps not yet played or events not yet taken:
    /// pending steps and drawn-but-undue clears, queued events, live alerts. Bounded by what is
    /// active, whatever the scenario's length (tests count it).
    pub fn held(&self) -> usize {
        self.steps.held() + self.player.held()
    }
}

impl Iterator for Events {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.player.out.pop_front() {
                return Some(event);
            }
            if self.stop_on_error && !self.diagnostics.is_empty() {
                return None;
            }
            let mut step = self.steps.next()?;
            let mut ctx = Ctx {
                text: &self.text,
                diagnostics: Vec::new(),
            };
            // Asked before playing: playing takes a trigger's name. Mostly there are none:
            // then a generated name is not written out to be looked for.
            let unreadable = !self.unreadable_names.is_empty()
                && step
                    .action
                    .name()
                    .is_some_and(|name| self.unreadable_names.contains(&*name));
            self.player
                .play(&mut ctx, &self.world, &mut step, &mut self.rng);
            if !unreadable {
                self.diagnostics.append(&mut ctx.diagnostics);
            }
            if self.stop_on_error && !self.diagnostics.is_empty() {
                self.player.out.clear();
            }
        }
    }
}

/// The k-way merge of the written steps (sorted) and each generator's (made in order), by
/// [`step::Step::key`]: exactly the order a stable sort of all of them by time gives.
struct Merge {
    sources: Vec<StepSource>,
    heads: Vec<Option<step::Step>>,
    /// Each source's head by its key, smallest first.
    order: BinaryHeap<Reverse<(StepKey, usize)>>,
}

/// [`step::Step::key`].
type StepKey = (Duration, usize, u64);

enum StepSource {
    Written(std::vec::IntoIter<step::Step>),
    Generated(generate::Generator),
}

impl Merge {
    fn new(written: Vec<step::Step>, generators: Vec<generate::Generator>) -> Merge {
        let mut sources = vec![StepSource::Written(written.into_iter())];
        sources.extend(generators.into_iter().map(StepSource::Generated));
        let mut merge = Merge {
            heads: sources.iter().map(|_| None).collect(),
            sources,
            order: BinaryHeap::new(),
        };
        for source in 0..merge.sources.len() {
            merge.refill(source);
        }
        merge
    }

    fn refill(&mut self, source: usize) {
        let next = match &mut self.sources[source] {
            StepSource::Written(steps) => steps.next(),
            StepSource::Generated(generator) => generator.next(),
        };
        if let Some(step) = next {
            self.order.push(Reverse((step.key(), source)));
            self.heads[source] = Some(step);
        }
    }

    /// Steps made and not yet played (the written ones count: they are few).
    fn held(&self) -> usize {
        let inside: usize = self
            .sources
            .iter()
            .map(|source| match source {
                StepSource::Written(steps) => steps.len(),
                StepSource::Generated(generator) => generator.held(),
            })
            .sum();
        self.order.len() + inside
    }
}

impl Iterator for Merge {
    type Item = step::Step;

    fn next(&mut self) -> Option<step::Step> {
        let Reverse((_, source)) = self.order.pop()?;
        let step = self.heads[source].take();
        self.refill(source);
        step
    }
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

/// Whether a last step at `last` is a date ThousandEyes can write.
fn ends_in_range(start: TeDate, last: Option<Duration>) -> bool {
    let Some(last) = last else {
        return true;
    };
    let end = i64::try_from(last.as_secs())
        .ok()
        .and_then(|seconds| start.epoch().checked_add(seconds));
    end.is_some_and(|end| TeDate::from_epoch(end).is_ok())
}

/// Dates are clamped to 9999-12-31, so a scenario that would run past it is refused rather
/// than silently sending wrong dates.
fn check_end_date(ctx: &mut Ctx<'_>, file: &ScenarioFile, start: TeDate, last: Option<Duration>) {
    let Some(last) = last else {
        return;
    };
    if ends_in_range(start, Some(last)) {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Two bursts (one without clears), a flap and written steps at equal offsets: every way
    /// steps can tie.
    const TEXT: &str = "[fleet]\ntests = 5\nagents = 4\n\n[[rules]]\nid = 1\nname = \"r\"\nexpression = \"e\"\n\n[[steps]]\nat = \"+0s\"\naction = \"webhook-test\"\n\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 300\nspread = \"10m\"\nclear-after = \"2m\"\n\n[[steps]]\nat = \"+1m\"\naction = \"flap\"\nrule = 1\ntest = 9000001\nagents = [700001]\ncount = 20\nevery = \"30s\"\nclear-after = \"10s\"\n\n[[steps]]\nat = \"+2m\"\naction = \"burst\"\ncount = 100\nspread = \"1m\"\n\n[[steps]]\nat = \"+5m\"\naction = \"webhook-test\"\n";

    fn read(seed: u64) -> read::ReadSteps {
        let file = crate::parse::parse(TEXT).unwrap();
        let mut ctx = Ctx {
            text: TEXT,
            diagnostics: Vec::new(),
        };
        let world = World::build(&mut ctx, &file);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let read = read::expand_steps(&mut ctx, &file, &world, &mut rng);
        assert!(ctx.diagnostics.is_empty(), "{:?}", ctx.diagnostics);
        read
    }

    fn describe(steps: &[step::Step]) -> Vec<String> {
        steps
            .iter()
            .map(|step| format!("{:?} {} {:?}", step.at, step.origin, step.action))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

        /// The merge gives what expanding every generator up front and sorting all steps
        /// stably by time gave (the compiler before streaming).
        #[test]
        fn the_merge_is_the_stable_sort_of_every_step(seed in any::<u64>()) {
            let lazy = read(seed);
            let merged: Vec<step::Step> = Merge::new(lazy.steps, lazy.generators).collect();
            let eager = read(seed);
            let mut pushed = eager.steps;
            for generator in eager.generators {
                pushed.extend(generator);
            }
            // Push order: file order, then order within the entry; then the old sort.
            pushed.sort_by_key(|step| (step.origin, step.seq));
            pushed.sort_by_key(|step| step.at);
            prop_assert_eq!(describe(&merged), describe(&pushed));
        }
    }
}
