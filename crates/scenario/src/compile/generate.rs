//! The generator actions: `burst` (many alerts at once) and `flap` (one alert again and again),
//! expanded into primitive triggers and clears.

use std::time::Duration;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use toml::Spanned;

use super::read::{Known, StepReader};
use super::step::{Action, StepSink, Trigger};
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
/// the pools.
pub(super) fn burst(
    reader: &mut StepReader<'_, '_>,
    known: &Known,
    budget: &mut Budget,
    at: Duration,
    sink: &mut StepSink<'_>,
    rng: &mut ChaCha8Rng,
) {
    let Some(burst) = read_burst(reader, known, budget, at) else {
        return;
    };
    let count = burst.count;
    for index in 0..count {
        let alert = format!("burst{}-{index}", sink.origin);
        let trigger_at = at
            + burst
                .spread
                .mul_f64(f64::from(index) / f64::from(count.max(1)));
        let rule = *burst.rules.choose(rng).unwrap_or(&0);
        let test = *burst.tests.choose(rng).unwrap_or(&0);
        let agents: Vec<u64> = burst
            .agents
            .choose_multiple(rng, burst.per_alert.min(burst.agents.len()))
            .copied()
            .collect();
        let trigger = Trigger {
            alert: alert.clone(),
            rule,
            test,
            agents,
            metrics: None,
            alert_id: None,
        };
        sink.push(Action::Trigger(trigger), trigger_at);
        if let Some(clear_after) = burst.clear_after {
            // ±50% jitter, so clears do not arrive in lock step.
            let factor = rng.random_range(0.5..1.5);
            let clear = Action::Clear {
                alert,
                metrics: None,
            };
            sink.push(clear, trigger_at + clear_after.mul_f64(factor));
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
    sink: &mut StepSink<'_>,
) {
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
        return;
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
        return;
    }
    for cycle in 0..count {
        let alert = format!("flap{}-{cycle}", sink.origin);
        let trigger_at = at + every * cycle;
        let trigger = Trigger {
            alert: alert.clone(),
            rule,
            test,
            agents: agents.clone(),
            metrics: def.metrics.clone(),
            alert_id: None,
        };
        sink.push(Action::Trigger(trigger), trigger_at);
        let clear = Action::Clear {
            alert,
            metrics: None,
        };
        sink.push(clear, trigger_at + clear_after);
    }
}
