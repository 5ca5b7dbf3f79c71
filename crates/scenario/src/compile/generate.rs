//! The generator actions: `burst` (many alerts at once) and `flap` (one alert again and again),
//! expanded into primitive triggers and clears.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::time::Duration;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use toml::Spanned;

use super::read::{Known, StepReader};
use super::step::{Action, AlertName, Step, StepSink, Trigger};
use crate::limits::{MAX_AGENTS_PER_ALERT, MAX_ALERT_AGENTS, MAX_ALERTS, MAX_DURATION};
use crate::offset;

/// What the generators of one scenario have asked for so far, against the bounds in
/// [`crate::limits`]; checked before any step is generated.
#[derive(Default)]
pub(super) struct Budget {
    alerts: u64,
    alert_agents: u64,
}

impl Budget {
    /// Adds `alerts` alerts of `agents_per_alert` agents each, reporting on `count` a bound
    /// crossed.
    fn take(&mut self, reader: &mut StepReader<'_, '_>, alerts: u32, agents_per_alert: usize) {
        let alerts = u64::from(alerts);
        let agents_per_alert = u64::try_from(agents_per_alert).unwrap_or(u64::MAX);
        self.alerts = self.alerts.saturating_add(alerts);
        self.alert_agents = self
            .alert_agents
            .saturating_add(alerts.saturating_mul(agents_per_alert));
        let def = reader.step;
        let span = def.count.as_ref().map_or(def.action.span(), Spanned::span);
        if self.alerts > u64::from(MAX_ALERTS) {
            let message = format!(
                "too many generated alerts ({} with this step); at most {MAX_ALERTS} per scenario",
                self.alerts
            );
            reader.error(span, "count", message);
        } else if self.alert_agents > MAX_ALERT_AGENTS {
            let message = format!(
                "too many generated alert agents ({} alert × agent pairs with this step); at most {MAX_ALERT_AGENTS} per scenario; lower `count` or the agents per alert",
                self.alert_agents
            );
            reader.error(span, "count", message);
        }
    }
}

/// Reports on `key` a generator whose last step would come after the 365-day limit; `end` is
/// `None` when computing it overflowed.
fn check_end(
    reader: &mut StepReader<'_, '_>,
    key: &str,
    value: &Option<Spanned<String>>,
    end: Option<Duration>,
    advice: &str,
) {
    if end.is_some_and(|end| end <= MAX_DURATION) {
        return;
    }
    let action = reader.step.action.get_ref().clone();
    let until = end.map_or_else(String::new, |end| {
        format!(" (its last step at {})", offset::display(end))
    });
    let span = value
        .as_ref()
        .map_or(reader.step.action.span(), Spanned::span);
    let message = format!("`{action}` runs past the 365-day limit{until}; {advice}");
    reader.error(span, key, message);
}

/// `rand::seq::index::sample` picks with Floyd's algorithm below this many (rand 0.9).
const FLOYD_BELOW: usize = 12;

/// What `choose_multiple(rng, amount)` picks from `length` items, as indices in the order it
/// gives them, when it picks few (Floyd's algorithm, as rand 0.9's `index::sample` runs it),
/// without the vector of indices it allocates: two of them per generated alert. `None` (and
/// nothing drawn) when it picks otherwise.
fn pick_few(
    rng: &mut ChaCha8Rng,
    length: usize,
    amount: usize,
) -> Option<([u32; FLOYD_BELOW], usize)> {
    let length = u32::try_from(length).ok()?;
    if amount >= FLOYD_BELOW || amount > length as usize {
        return None;
    }
    let mut picked = [0u32; FLOYD_BELOW];
    let mut n_picked = 0;
    for bound in length - amount as u32..length {
        let index = rng.random_range(..=bound);
        if let Some(taken) = picked[..n_picked].iter().position(|&old| old == index) {
            picked[taken] = bound;
        }
        picked[n_picked] = index;
        n_picked += 1;
    }
    Some((picked, n_picked))
}

/// A checked `burst` step.
struct Burst {
    count: u32,
    spread: Duration,
    clear_after: Option<Duration>,
    rules: Vec<u64>,
    tests: Vec<u64>,
    agents: Vec<u64>,
    per_alert: usize,
}

/// `burst`: `count` alerts triggered over `spread`, each on rules, tests and agents drawn from
/// the pools. The steps are not made here: the returned generator makes them one by one, from
/// a copy of `rng` as it is now; `rng` moves past the draws they take, as if they were made.
pub(super) fn burst(
    reader: &mut StepReader<'_, '_>,
    known: &Known,
    budget: &mut Budget,
    at: Duration,
    sink: &StepSink<'_>,
    rng: &mut ChaCha8Rng,
) -> Option<Generator> {
    let burst = read_burst(reader, known, budget, at)?;
    let generator = BurstSteps {
        origin: sink.origin,
        span: sink.span.clone(),
        at,
        rng: rng.clone(),
        next_index: 0,
        clears: BinaryHeap::new(),
        burst,
    };
    // The main stream moves past every draw now, before the first event (the player draws
    // next); the exact last step, which needs every clear's time, is left to `Generator::last`.
    for _ in 0..generator.burst.count {
        generator.burst.skip(rng);
    }
    Some(Generator {
        len: u64::from(generator.burst.count)
            * if generator.burst.clear_after.is_some() {
                2
            } else {
                1
            },
        kind: GeneratorKind::Burst(Box::new(generator)),
    })
}

/// What one generated alert of a burst draws from the seeded stream, in the order drawn.
struct BurstDraw {
    rule: u64,
    test: u64,
    agents: Vec<u64>,
    clear_factor: Option<f64>,
}

impl BurstDraw {
    fn clear_at(&self, burst: &Burst, trigger_at: Duration) -> Option<Duration> {
        let (clear_after, factor) = (burst.clear_after?, self.clear_factor?);
        Some(trigger_at + clear_after.mul_f64(factor))
    }
}

impl Burst {
    /// Takes from `rng` exactly what [`Burst::draw`] takes, keeping only the clear factor: the
    /// main stream skips a whole burst before the first event, so this is most of the wait for
    /// a million-alert burst's first payload (issue 17).
    fn skip(&self, rng: &mut ChaCha8Rng) -> Option<f64> {
        let _ = self.rules.choose(rng);
        let _ = self.tests.choose(rng);
        let amount = self.per_alert.min(self.agents.len());
        if pick_few(rng, self.agents.len(), amount).is_none() {
            let _ = rand::seq::index::sample(rng, self.agents.len(), amount);
        }
        self.clear_after.map(|_| rng.random_range(0.5..1.5))
    }

    /// The offset of the last step of a burst starting at `at`, drawn from `rng` as it is
    /// before the burst: the latest of the last trigger and every clear.
    fn last(&self, at: Duration, rng: &mut ChaCha8Rng) -> Option<Duration> {
        let mut last = None;
        for index in 0..self.count {
            let trigger_at = self.trigger_at(at, index);
            let clear_at = self
                .clear_after
                .zip(self.skip(rng))
                .map(|(clear_after, factor)| trigger_at + clear_after.mul_f64(factor));
            last = last.max(Some(trigger_at)).max(clear_at);
        }
        last
    }

    /// No later than [`Burst::last`], without drawing: triggers come within `spread`, clears
    /// at most 1.5 × `clear-after` after theirs; the second covers float rounding.
    fn last_at_most(&self, at: Duration) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let clear = self.clear_after.unwrap_or_default().mul_f64(1.5);
        at.checked_add(self.spread)
            .and_then(|end| end.checked_add(clear))
            .and_then(|end| end.checked_add(Duration::from_secs(1)))
            .or(Some(Duration::MAX))
    }

    fn trigger_at(&self, at: Duration, index: u32) -> Duration {
        at + self
            .spread
            .mul_f64(f64::from(index) / f64::from(self.count.max(1)))
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> BurstDraw {
        let rule = *self.rules.choose(rng).unwrap_or(&0);
        let test = *self.tests.choose(rng).unwrap_or(&0);
        let amount = self.per_alert.min(self.agents.len());
        let agents: Vec<u64> = match pick_few(rng, self.agents.len(), amount) {
            Some((picked, n_picked)) => picked[..n_picked]
                .iter()
                .map(|&index| self.agents[index as usize])
                .collect(),
            None => self.agents.choose_multiple(rng, amount).copied().collect(),
        };
        // ±50% jitter, so clears do not arrive in lock step.
        let clear_factor = self.clear_after.map(|_| rng.random_range(0.5..1.5));
        BurstDraw {
            rule,
            test,
            agents,
            clear_factor,
        }
    }
}

/// A clear's (time, seq) as one integer ordered the same way, nanoseconds above seq: a pop
/// from thousands of pending clears compares a dozen keys, and comparing tuples of a
/// `Duration` and a seq was most of the heap's cost (measured over a million alerts). Every
/// time fits: a burst's steps lie within the 365-day limit (checked before it generates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ClearKey(u128);

impl ClearKey {
    fn new((at, seq): (Duration, u64)) -> ClearKey {
        let nanos = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        ClearKey((u128::from(nanos) << 64) | u128::from(seq))
    }

    fn get(self) -> (Duration, u64) {
        #[allow(clippy::cast_possible_truncation)] // the halves of what `new` packed
        let (nanos, seq) = ((self.0 >> 64) as u64, self.0 as u64);
        (Duration::from_nanos(nanos), seq)
    }
}

/// The expanded steps of one `burst`, made on demand in play order.
pub(super) struct BurstSteps {
    origin: usize,
    span: Range<usize>,
    at: Duration,
    rng: ChaCha8Rng,
    next_index: u32,
    /// Clears drawn but not yet due, by (time, seq) packed in one integer (see
    /// [`ClearKey`]): at most the alerts still active.
    clears: BinaryHeap<Reverse<ClearKey>>,
    burst: Burst,
}

impl BurstSteps {
    fn trigger_at(&self, index: u32) -> Duration {
        self.burst.trigger_at(self.at, index)
    }

    /// Sequence numbers as the eager expansion pushed them: trigger, then its clear.
    fn trigger_seq(&self, index: u32) -> u64 {
        if self.burst.clear_after.is_some() {
            2 * u64::from(index)
        } else {
            u64::from(index)
        }
    }

    fn name(&self, index: u64) -> AlertName {
        AlertName::Generated {
            prefix: "burst",
            origin: self.origin,
            index,
        }
    }

    fn step(&self, at: Duration, seq: u64, action: Action) -> Step {
        Step {
            at,
            origin: self.origin,
            span: self.span.clone(),
            seq,
            action,
        }
    }
}

impl Iterator for BurstSteps {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let trigger = (self.next_index < self.burst.count).then(|| {
            (
                self.trigger_at(self.next_index),
                self.trigger_seq(self.next_index),
            )
        });
        let clear = self.clears.peek().map(|Reverse(key)| *key);
        match (trigger, clear) {
            (_, Some(clear)) if trigger.is_none_or(|trigger| clear < ClearKey::new(trigger)) => {
                self.clears.pop();
                let clear = clear.get();
                let action = Action::Clear {
                    alert: self.name(clear.1 / 2),
                    metrics: None,
                };
                Some(self.step(clear.0, clear.1, action))
            }
            (Some((trigger_at, seq)), _) => {
                let index = self.next_index;
                self.next_index += 1;
                let draw = self.burst.draw(&mut self.rng);
                if let Some(clear_at) = draw.clear_at(&self.burst, trigger_at) {
                    self.clears
                        .push(Reverse(ClearKey::new((clear_at, seq + 1))));
                }
                let trigger = Trigger {
                    alert: self.name(u64::from(index)),
                    rule: draw.rule,
                    test: draw.test,
                    agents: draw.agents,
                    metrics: None,
                    alert_id: None,
                };
                Some(self.step(trigger_at, seq, Action::Trigger(trigger)))
            }
            (None, _) => None,
        }
    }
}

/// The steps of one `flap`, made on demand: cycle after cycle, trigger then clear.
pub(super) struct FlapSteps {
    origin: usize,
    span: Range<usize>,
    at: Duration,
    every: Duration,
    clear_after: Duration,
    count: u32,
    rule: u64,
    test: u64,
    agents: Vec<u64>,
    metrics: Option<String>,
    /// The next step's seq: cycle `seq / 2`, trigger when even.
    next_seq: u64,
    /// Offset of its last step.
    last: Option<Duration>,
}

impl Iterator for FlapSteps {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let seq = self.next_seq;
        let cycle = u32::try_from(seq / 2)
            .ok()
            .filter(|cycle| *cycle < self.count)?;
        self.next_seq += 1;
        let alert = AlertName::Generated {
            prefix: "flap",
            origin: self.origin,
            index: u64::from(cycle),
        };
        let trigger_at = self.at + self.every * cycle;
        let (at, action) = if seq % 2 == 0 {
            let trigger = Trigger {
                alert,
                rule: self.rule,
                test: self.test,
                agents: self.agents.clone(),
                metrics: self.metrics.clone(),
                alert_id: None,
            };
            (trigger_at, Action::Trigger(trigger))
        } else {
            let clear = Action::Clear {
                alert,
                metrics: None,
            };
            (trigger_at + self.clear_after, clear)
        };
        Some(Step {
            at,
            origin: self.origin,
            span: self.span.clone(),
            seq,
            action,
        })
    }
}

/// The steps of one generator entry, made lazily in play order, with what is known up front.
pub(super) struct Generator {
    /// How many steps it makes.
    pub(super) len: u64,
    kind: GeneratorKind,
}

enum GeneratorKind {
    Burst(Box<BurstSteps>),
    Flap(FlapSteps),
}

impl Generator {
    /// Offset of its last step. A burst's costs a pass over its draws: call it only when
    /// [`Generator::last_at_most`] is not enough, and before the generator is used.
    pub(super) fn last(&self) -> Option<Duration> {
        match &self.kind {
            GeneratorKind::Burst(burst) => burst.burst.last(burst.at, &mut burst.rng.clone()),
            GeneratorKind::Flap(flap) => flap.last,
        }
    }

    /// An offset no earlier than [`Generator::last`], known without drawing anything.
    pub(super) fn last_at_most(&self) -> Option<Duration> {
        match &self.kind {
            GeneratorKind::Burst(burst) => burst.burst.last_at_most(burst.at),
            GeneratorKind::Flap(flap) => flap.last,
        }
    }

    /// Steps drawn and not yet given out.
    pub(super) fn held(&self) -> usize {
        match &self.kind {
            GeneratorKind::Burst(burst) => burst.clears.len(),
            GeneratorKind::Flap(_) => 0,
        }
    }
}

impl Iterator for Generator {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        match &mut self.kind {
            GeneratorKind::Burst(burst) => burst.next(),
            GeneratorKind::Flap(flap) => flap.next(),
        }
    }
}

fn read_burst(
    reader: &mut StepReader<'_, '_>,
    known: &Known,
    budget: &mut Budget,
    at: Duration,
) -> Option<Burst> {
    let def = reader.step;
    let count = match &def.count {
        Some(count) => *count.get_ref(),
        None => {
            reader.missing("count");
            0
        }
    };
    let spread = reader.duration("spread", &def.spread).unwrap_or_default();
    let clear_after = reader.duration("clear-after", &def.clear_after);
    let rules = reader
        .ids("rules", &def.rules, &known.rules, "rule")
        .unwrap_or_else(|| known.rules.iter().copied().collect());
    let tests = reader
        .ids("tests", &def.tests, &known.tests, "test")
        .unwrap_or_else(|| known.tests.iter().copied().collect());
    let agents = reader
        .ids("agents", &def.agents, &known.agents, "agent")
        .unwrap_or_else(|| known.agents.iter().copied().collect());
    let per_alert = agents_per_alert(reader);
    for (key, empty) in [
        ("rules", rules.is_empty()),
        ("tests", tests.is_empty()),
        ("agents", agents.is_empty()),
    ] {
        if empty {
            let message = format!("`burst` needs at least one of {key}, and the scenario has none");
            reader.error(def.action.span(), key, message);
        }
    }
    budget.take(reader, count, per_alert.min(agents.len()));
    let spread_end = at.checked_add(spread);
    if spread_end.is_none_or(|end| end > MAX_DURATION) {
        check_end(
            reader,
            "spread",
            &def.spread,
            spread_end,
            "shorten `spread`",
        );
    } else {
        // Clears come up to 1.5 × `clear-after` late (the jitter).
        let latest_clear = clear_after.unwrap_or_default().mul_f64(1.5);
        let end = spread_end.and_then(|end| end.checked_add(latest_clear));
        let advice = "shorten `clear-after` (clears come up to 1.5 × it late)";
        check_end(reader, "clear-after", &def.clear_after, end, advice);
    }
    reader.ok.then_some(Burst {
        count,
        spread,
        clear_after,
        rules,
        tests,
        agents,
        per_alert,
    })
}

/// `agents-per-alert`, 2 by default, at least 1, reported when over the bound.
fn agents_per_alert(reader: &mut StepReader<'_, '_>) -> usize {
    let Some(asked) = reader.step.agents_per_alert.as_ref() else {
        return 2;
    };
    let per_alert = *asked.get_ref();
    if per_alert > MAX_AGENTS_PER_ALERT {
        let message =
            format!("{per_alert} agents per alert is too many; at most {MAX_AGENTS_PER_ALERT}");
        reader.error(asked.span(), "agents-per-alert", message);
    }
    per_alert.clamp(1, MAX_AGENTS_PER_ALERT) as usize
}

/// `flap`: one rule on one test triggers every `every` and clears `clear-after` later,
/// `count` times, each cycle a new alert.
pub(super) fn flap(
    reader: &mut StepReader<'_, '_>,
    known: &Known,
    budget: &mut Budget,
    at: Duration,
    sink: &StepSink<'_>,
) -> Option<Generator> {
    let def = reader.step;
    let rule = reader.id("rule", &def.rule, &known.rules, "rule");
    let test = reader.id("test", &def.test, &known.tests, "test");
    let agents = reader
        .ids("agents", &def.agents, &known.agents, "agent")
        .unwrap_or_default();
    if agents.is_empty() {
        reader.missing("agents");
    }
    let count = def.count.as_ref().map_or(0, |count| *count.get_ref());
    if def.count.is_none() {
        reader.missing("count");
    }
    let every = reader.duration("every", &def.every);
    let clear_after = reader.duration("clear-after", &def.clear_after);
    let (Some(every), Some(clear_after)) = (every, clear_after) else {
        if def.every.is_none() {
            reader.missing("every");
        }
        if def.clear_after.is_none() {
            reader.missing("clear-after");
        }
        return None;
    };
    if clear_after >= every {
        reader.error(
            def.clear_after
                .as_ref()
                .map_or(def.action.span(), Spanned::span),
            "clear-after",
            "`clear-after` must be shorter than `every`, or one cycle's clear comes after the next trigger",
        );
    }
    budget.take(reader, count, agents.len());
    let end = match count.checked_sub(1) {
        None => Some(at),
        Some(last_cycle) => every
            .checked_mul(last_cycle)
            .and_then(|last| at.checked_add(last))
            .and_then(|last| last.checked_add(clear_after)),
    };
    check_end(reader, "every", &def.every, end, "lower `count` or `every`");
    if !reader.ok {
        return None;
    }
    let steps = FlapSteps {
        origin: sink.origin,
        span: sink.span.clone(),
        at,
        every,
        clear_after,
        count,
        rule,
        test,
        agents,
        metrics: def.metrics.clone(),
        next_seq: 0,
        last: end.filter(|_| count > 0),
    };
    Some(Generator {
        len: 2 * u64::from(count),
        kind: GeneratorKind::Flap(steps),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng as _;

    proptest! {
        /// Packed keys order as the (time, seq) tuples did and give them back, for every time
        /// within the 365-day limit.
        #[test]
        fn clear_keys_order_as_tuples(
            a in (0..=MAX_DURATION.as_nanos() as u64 * 2, any::<u64>()),
            b in (0..=MAX_DURATION.as_nanos() as u64 * 2, any::<u64>()),
            same_time in any::<bool>(),
        ) {
            let a = (Duration::from_nanos(a.0), a.1);
            let b = (if same_time { a.0 } else { Duration::from_nanos(b.0) }, b.1);
            prop_assert_eq!(ClearKey::new(a).cmp(&ClearKey::new(b)), a.cmp(&b));
            prop_assert_eq!(ClearKey::new(a).get(), a);
        }
    }

    fn burst(count: u32, n_agents: u64, per_alert: usize, clear_after: Option<u64>) -> Burst {
        Burst {
            count,
            spread: Duration::from_secs(86_400),
            clear_after: clear_after.map(Duration::from_secs),
            rules: vec![7001, 7002, 7003],
            tests: (1..=40).collect(),
            agents: (1..=n_agents).collect(),
            per_alert,
        }
    }

    /// The main stream skips a burst's draws without making them: it must end where drawing
    /// them ends, with the same clear factors, on both sides of rand's switch of algorithm.
    #[test]
    fn skipping_takes_what_drawing_takes() {
        for seed in 0..20 {
            for n_agents in [1, 3, 11, 12, 13, 30, 200] {
                for per_alert in [1, 2, 3, 11, 12, 13, 100] {
                    for clear_after in [None, Some(300)] {
                        let burst = burst(10, n_agents, per_alert, clear_after);
                        let mut drawn = ChaCha8Rng::seed_from_u64(seed);
                        let mut skipped = drawn.clone();
                        for _ in 0..10 {
                            let draw = burst.draw(&mut drawn);
                            assert_eq!(draw.clear_factor, burst.skip(&mut skipped));
                        }
                        assert_eq!(drawn.get_word_pos(), skipped.get_word_pos());
                    }
                }
            }
        }
    }

    /// Drawing picks the agents `choose_multiple` picks, in its order, and leaves the stream
    /// where it leaves it.
    #[test]
    fn drawing_picks_what_choose_multiple_picks() {
        for seed in 0..50 {
            for n_agents in [1, 2, 3, 11, 12, 13, 30] {
                for per_alert in [1, 2, 3, 11, 12, 13] {
                    let burst = burst(10, n_agents, per_alert, Some(300));
                    let mut drawn = ChaCha8Rng::seed_from_u64(seed);
                    let mut chosen = drawn.clone();
                    for _ in 0..10 {
                        let draw = burst.draw(&mut drawn);
                        let _ = burst.rules.choose(&mut chosen);
                        let _ = burst.tests.choose(&mut chosen);
                        let agents: Vec<u64> = burst
                            .agents
                            .choose_multiple(&mut chosen, per_alert.min(burst.agents.len()))
                            .copied()
                            .collect();
                        assert_eq!(draw.agents, agents);
                        let _ = chosen.random_range(0.5..1.5);
                    }
                    assert_eq!(drawn.get_word_pos(), chosen.get_word_pos());
                }
            }
        }
    }

    /// The bound used to avoid computing a burst's last step is never before it.
    #[test]
    fn last_at_most_is_never_before_last() {
        for seed in 0..20 {
            for clear_after in [None, Some(1), Some(300), Some(7 * 86_400)] {
                for count in [0, 1, 2, 7, 500] {
                    let burst = burst(count, 30, 3, clear_after);
                    let at = Duration::from_millis(1_234_567);
                    let last = burst.last(at, &mut ChaCha8Rng::seed_from_u64(seed));
                    let bound = burst.last_at_most(at);
                    assert_eq!(last.is_some(), bound.is_some());
                    assert!(last <= bound, "{last:?} > {bound:?}");
                }
            }
        }
    }
}
