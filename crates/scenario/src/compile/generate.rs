//! The generator actions: `burst` (many alerts at once) and `flap` (one alert again and again),
//! expanded into primitive triggers and clears.

use std::time::Duration;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use toml::Spanned;

use super::MAX_ALERTS;
use super::read::{Known, StepReader};
use super::step::{Action, StepSink, Trigger};

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
    generated: &mut u32,
    at: Duration,
    sink: &mut StepSink<'_>,
    rng: &mut ChaCha8Rng,
) {
    let Some(burst) = read_burst(reader, known, generated) else {
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
    generated: &mut u32,
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
    let per_alert = def
        .agents_per_alert
        .as_ref()
        .map_or(2, |n| *n.get_ref())
        .max(1) as usize;
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
    *generated = generated.saturating_add(count);
    if *generated > MAX_ALERTS {
        let message = format!("too many generated alerts; at most {MAX_ALERTS} per scenario");
        reader.error(def.action.span(), "count", message);
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

/// `flap`: one rule on one test triggers every `every` and clears `clear-after` later,
/// `count` times, each cycle a new alert.
pub(super) fn flap(
    reader: &mut StepReader<'_, '_>,
    known: &Known,
    generated: &mut u32,
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
    *generated = generated.saturating_add(count);
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
