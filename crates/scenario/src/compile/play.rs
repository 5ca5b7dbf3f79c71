//! Playing primitive steps in time order: the alert lifecycle, with a check per action that
//! the step makes sense at that moment (no clear before its trigger, no trigger on a deleted
//! rule).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tesim_model::{
    Account, Agent, AgentNotification, AgentRuleKind, AlertSource, AlertState, DeviceNotification,
    Metrics, Notification, TeDate, TestAlert, TestType, TimedNotification,
};

use super::Ctx;
use super::step::{Action, AgentTrigger, AlertName, DeviceTrigger, SourceChange, Step, Trigger};
use super::world::World;
use crate::offset;
use crate::timeline::{AlertChange, AlertSnapshot, Event};

/// A fast, fixed-seed hash for live alert names: every generated alert is looked up twice, and
/// SipHash's resistance to chosen keys buys nothing for names the scenario made (iteration order
/// is never used: walks sort the names). foldhash mixes its output, so names that differ only
/// in their last bytes still land in different buckets.
type NameHash = foldhash::fast::FixedState;

/// Plays steps in time order.
pub(super) struct Player {
    account: Arc<Account>,
    start: TeDate,
    next_alert: u64,
    next_sequence: u64,
    next_agent_notification: u64,
    /// By name, in its canonical form (see [`Player::canonical`]). Hashed, not ordered: a
    /// storm looks up every alert twice among thousands live, and comparing names was a
    /// tenth of playing (measured); the two walks over all of them sort the names' text, so
    /// they go in name order as before.
    ///
    /// Each alert is shared with the change that recorded it: a trigger's snapshot goes into
    /// the history and stays live without a copy, and is taken back without one at its clear
    /// once the history's reader has dropped the change (a copy of every alert was a sixth of
    /// playing a million-alert storm for the API, measured).
    live_alerts: HashMap<AlertName, Arc<TestAlert>, NameHash>,
    /// Alert names that were used and are over, for messages; generated names are not kept
    /// here (a million-alert storm would keep a million), see `generated`.
    finished_alerts: BTreeSet<String>,
    /// Generator entries by origin: their name prefix and how many of their alerts were
    /// triggered so far, which tells a finished generated name from a never-triggered one.
    generated: BTreeMap<usize, (&'static str, u64)>,
    live_notices: BTreeMap<String, AgentNotification>,
    finished_notices: BTreeSet<String>,
    live_devices: BTreeMap<String, DeviceNotification>,
    deleted_rules: BTreeMap<u64, Duration>,
    unassigned: BTreeMap<(u64, u64), Duration>,
    /// What the steps played so far produced and nobody has taken yet.
    pub(super) out: VecDeque<Event>,
    /// Whether state changes are produced (a consumer of notifications only saves a clone of
    /// every alert by saying no).
    pub(super) history: bool,
    /// Whether notifications are produced (the API, which reads only the history, saves a
    /// clone of every alert and the text of every event id by saying no). Their draws from
    /// the seed stream are taken either way.
    pub(super) notifications: bool,
    /// The offset of the last event made, skipped ones included: the duration of the
    /// timeline played so far.
    pub(super) last_offset: Option<Duration>,
}

impl Player {
    pub(super) fn new(
        account: Arc<Account>,
        start: TeDate,
        generated: BTreeMap<usize, &'static str>,
        rng: &mut ChaCha8Rng,
    ) -> Player {
        // Magnitudes like the captures' (alertId 76947300, eventId 205646496-…).
        Player {
            account,
            start,
            next_alert: rng.random_range(10_000_000..90_000_000),
            next_sequence: rng.random_range(100_000_000..900_000_000),
            next_agent_notification: rng.random_range(1_000_000..9_000_000),
            live_alerts: HashMap::default(),
            finished_alerts: BTreeSet::new(),
            generated: generated
                .into_iter()
                .map(|(origin, prefix)| (origin, (prefix, 0)))
                .collect(),
            live_notices: BTreeMap::new(),
            finished_notices: BTreeSet::new(),
            live_devices: BTreeMap::new(),
            deleted_rules: BTreeMap::new(),
            unassigned: BTreeMap::new(),
            out: VecDeque::new(),
            history: true,
            notifications: true,
            last_offset: None,
        }
    }

    pub(super) fn play(
        &mut self,
        ctx: &mut Ctx<'_>,
        world: &World,
        step: &mut Step,
        rng: &mut ChaCha8Rng,
    ) {
        // A trigger's name becomes the live alert's key: taken, not cloned (steps are played
        // once).
        if let Action::Trigger(trigger) = &mut step.action {
            let trigger = std::mem::take(trigger);
            self.trigger(ctx, world, step, trigger, rng);
            return;
        }
        let step = &*step;
        match &step.action {
            Action::WebhookTest => self.notify(step.at, Notification::WebhookTest, rng),
            Action::Trigger(_) => {}
            Action::Violate(change) => self.change_source(ctx, world, step, change, true, rng),
            Action::Recover(change) => self.change_source(ctx, world, step, change, false, rng),
            Action::Clear { alert, metrics } => {
                let alert = self.canonical(alert.clone());
                let Some(snapshot) = self.live_alerts.remove(&alert) else {
                    self.unknown_alert(ctx, step, &alert, "clear");
                    return;
                };
                let end = self.date(step.at);
                let state = AlertState::Cleared { end };
                let snapshot = Arc::unwrap_or_clone(snapshot);
                self.finish(step.at, &alert, snapshot, state, metrics.as_deref(), rng);
            }
            Action::DeleteRule { rule } => {
                self.deleted_rules.insert(*rule, step.at);
                self.remove_rule(step.at, rng, |alert| alert.rule.id == *rule);
            }
            Action::UnassignRule { rule, test } => {
                self.unassigned.insert((*rule, *test), step.at);
                self.remove_rule(step.at, rng, |alert| {
                    alert.rule.id == *rule && alert.test.id == *test
                });
            }
            Action::AgentTrigger(trigger) => self.agent_trigger(ctx, world, step, trigger, rng),
            Action::AgentClear {
                notification,
                metrics,
            } => self.agent_clear(ctx, step, notification, metrics.as_deref(), rng),
            Action::DeviceTrigger(trigger) => self.device_trigger(ctx, world, step, trigger, rng),
            Action::DeviceClear {
                notification,
                metrics,
            } => self.device_clear(ctx, step, notification, metrics.as_deref(), rng),
        }
    }

    /// Events not yet taken and alerts live.
    pub(super) fn held(&self) -> usize {
        self.out.len() + self.live_alerts.len() + self.live_notices.len() + self.live_devices.len()
    }

    fn date(&self, at: Duration) -> TeDate {
        self.start
            .plus_seconds(i64::try_from(at.as_secs()).unwrap_or(i64::MAX))
    }

    fn notify(&mut self, at: Duration, notification: Notification, rng: &mut ChaCha8Rng) {
        let uuid_bytes = self.draw_notification(rng);
        // A rule set not to notify on clear sends no clear (reference §6.3); the alert still
        // clears in the history, so the API shows it cleared. The random draws above happen
        // anyway, so the ids of everything after do not depend on the setting.
        if let Notification::AlertClear(alert) = &notification {
            if !alert.rule.notify_on_clear {
                return;
            }
        }
        self.last_offset = Some(at);
        if !self.notifications {
            return;
        }
        let uuid = uuid_text(uuid_bytes);
        let date = self.date(at);
        self.out.push_back(Event::Notification(TimedNotification {
            offset: at,
            at: date,
            sequence: self.next_sequence,
            uuid,
            notification,
        }));
    }

    /// What a notification draws from the seed stream: its sequence gap (applied) and the
    /// bytes of its `eventId`.
    fn draw_notification(&mut self, rng: &mut ChaCha8Rng) -> [u8; 16] {
        self.next_sequence += rng.random_range(1..=997);
        random_bytes(rng)
    }

    /// Records `alert`'s new state and notifies it, cloning it only when both are made.
    /// `Notify` wraps it in its notification; a skipped notification still takes its draws
    /// (its offset is the change's, so the timeline's duration is kept either way).
    fn record_and_notify<T: Clone>(
        &mut self,
        at: Duration,
        alert: T,
        snapshot: fn(T) -> AlertSnapshot,
        notify: fn(T) -> Notification,
        rng: &mut ChaCha8Rng,
    ) {
        match (self.history, self.notifications) {
            (true, true) => {
                self.record(at, snapshot(alert.clone()));
                self.notify(at, notify(alert), rng);
            }
            (true, false) => {
                self.record(at, snapshot(alert));
                self.draw_notification(rng);
            }
            (false, _) => {
                self.last_offset = Some(at);
                self.notify(at, notify(alert), rng);
            }
        }
    }

    fn record(&mut self, at: Duration, alert: AlertSnapshot) {
        self.last_offset = Some(at);
        if !self.history {
            return;
        }
        let date = self.date(at);
        self.out.push_back(Event::Change(AlertChange {
            offset: at,
            at: date,
            alert,
        }));
    }

    /// The generator entry and index a name like `burst3-17` belongs to, if a generator made
    /// (or will make) it.
    fn generated_index(&self, name: &str) -> Option<(usize, u64)> {
        let digits_at = name
            .bytes()
            .position(|byte| !byte.is_ascii_lowercase())
            .unwrap_or(name.len());
        let (prefix, digits) = name.split_at(digits_at);
        let (origin, index) = digits.split_once('-')?;
        // Canonical digits only (no sign, no leading zero), read by hand: this runs for every
        // generated trigger and clear.
        let origin = usize::try_from(canonical_decimal(origin)?).ok()?;
        let index = canonical_decimal(index)?;
        let (expected, _) = self.generated.get(&origin)?;
        (*expected == prefix).then_some((origin, index))
    }

    /// `name` in its generated form if a generator made (or will make) it, so that a written
    /// `burst3-17` and the generated one are the same alert.
    fn canonical(&self, name: AlertName) -> AlertName {
        let AlertName::Written(text) = &name else {
            return name;
        };
        match self.generated_index(text) {
            Some((origin, index)) => AlertName::Generated {
                prefix: self.generated[&origin].0,
                origin,
                index,
            },
            None => name,
        }
    }

    /// `name` (canonical) was triggered and is over (not live).
    fn is_finished(&self, name: &AlertName) -> bool {
        match name {
            AlertName::Written(text) => self.finished_alerts.contains(text),
            AlertName::Generated { origin, index, .. } => self
                .generated
                .get(origin)
                .is_some_and(|(_, triggered)| index < triggered),
        }
    }

    /// A generated name is over once a later one of its generator triggered (see
    /// `generated`): only written names are kept.
    fn mark_finished(&mut self, name: &AlertName) {
        if let AlertName::Written(text) = name {
            self.finished_alerts.insert(text.clone());
        }
    }

    /// The alert called `name` (canonical) is triggered now.
    fn mark_triggered(&mut self, name: &AlertName) {
        match name {
            AlertName::Written(text) => {
                self.finished_alerts.remove(text);
            }
            AlertName::Generated { origin, index, .. } => {
                if let Some((_, triggered)) = self.generated.get_mut(origin) {
                    *triggered = (*triggered).max(index + 1);
                }
            }
        }
    }

    /// Why `trigger` cannot happen now, as the field to blame and the message.
    fn trigger_conflict(&self, step: &Step, trigger: &Trigger) -> Option<(&'static str, String)> {
        // `trigger.alert` is canonical.
        let (alert, rule, test) = (&trigger.alert, trigger.rule, trigger.test);
        if self.live_alerts.contains_key(alert) {
            return Some((
                "alert",
                format!(
                    "alert `{alert}` is already active at {}; clear it first or use another name",
                    offset::display(step.at)
                ),
            ));
        }
        if let Some(when) = self.deleted_rules.get(&rule) {
            return Some((
                "rule",
                format!(
                    "rule {rule} was deleted at {}; it cannot trigger at {}",
                    offset::display(*when),
                    offset::display(step.at)
                ),
            ));
        }
        let when = self.unassigned.get(&(rule, test))?;
        Some((
            "rule",
            format!(
                "rule {rule} was removed from test {test} at {}; it cannot trigger there at {}",
                offset::display(*when),
                offset::display(step.at)
            ),
        ))
    }

    fn trigger(
        &mut self,
        ctx: &mut Ctx<'_>,
        world: &World,
        step: &Step,
        mut trigger: Trigger,
        rng: &mut ChaCha8Rng,
    ) {
        trigger.alert = self.canonical(std::mem::take(&mut trigger.alert));
        if let Some((key, message)) = self.trigger_conflict(step, &trigger) {
            ctx.error(
                step.span.clone(),
                format!("steps[{}].{key}", step.origin),
                message,
            );
            return;
        }
        let (Some(test), Some(rule)) = (
            world.tests.get(&trigger.test),
            world.rules.get(&trigger.rule),
        ) else {
            return;
        };
        let now = self.date(step.at);
        let number = match trigger.alert_id {
            Some(id) => id,
            None => {
                self.next_alert += rng.random_range(1..=97);
                self.next_alert
            }
        };
        let uuid = uuid_text(random_bytes(rng));
        let metrics: Metrics = match trigger.metrics {
            Some(metrics) => Cow::Owned(metrics),
            None => Cow::Borrowed(default_metrics(test.kind, true)),
        };
        let sources = trigger
            .agents
            .iter()
            .filter_map(|id| world.agents.get(id))
            .map(|agent| AlertSource {
                agent: agent.clone(),
                start: now,
                metrics_at_start: metrics.clone(),
                metrics_latest: metrics.clone(),
                state: AlertState::Active,
            })
            .collect();
        let snapshot = TestAlert {
            number,
            uuid,
            account: self.account.clone(),
            test: test.clone(),
            rule: rule.clone(),
            start: now,
            state: AlertState::Active,
            sources,
        };
        self.mark_triggered(&trigger.alert);
        let snapshot = Arc::new(snapshot);
        self.live_alerts
            .insert(trigger.alert, Arc::clone(&snapshot));
        self.record_and_notify(
            step.at,
            snapshot,
            AlertSnapshot::Test,
            |alert| Notification::AlertTrigger(Arc::unwrap_or_clone(alert)),
            rng,
        );
    }

    /// `violate` (an agent joins an active alert) or `recover` (one leaves it).
    fn change_source(
        &mut self,
        ctx: &mut Ctx<'_>,
        world: &World,
        step: &Step,
        change: &SourceChange,
        violate: bool,
        rng: &mut ChaCha8Rng,
    ) {
        let alert = &change.alert;
        let key = self.canonical(AlertName::Written(alert.clone()));
        let Some(mut snapshot) = self
            .live_alerts
            .get(&key)
            .map(|live| TestAlert::clone(live))
        else {
            let verb = if violate {
                "add an agent to"
            } else {
                "recover an agent of"
            };
            self.unknown_alert(ctx, step, &key, verb);
            return;
        };
        let Some(agent) = world.agents.get(&change.agent) else {
            return;
        };
        let now = self.date(step.at);
        let metrics = change.metrics.as_deref();
        let changed = if violate {
            violate_source(&mut snapshot, agent, now, metrics, alert)
        } else {
            recover_source(&mut snapshot, agent, now, metrics, alert, step.at)
        };
        if let Err(message) = changed {
            ctx.error(
                step.span.clone(),
                format!("steps[{}].agent", step.origin),
                message,
            );
            return;
        }
        // The last violating agent recovering clears the alert, as ThousandEyes does.
        if snapshot.violation_count() == 0 {
            snapshot.state = AlertState::Cleared { end: now };
            self.live_alerts.remove(&key);
            self.mark_finished(&key);
            self.record_and_notify(
                step.at,
                Arc::new(snapshot),
                AlertSnapshot::Test,
                |alert| Notification::AlertClear(Arc::unwrap_or_clone(alert)),
                rng,
            );
        } else {
            let snapshot = Arc::new(snapshot);
            self.live_alerts.insert(key, Arc::clone(&snapshot));
            self.record(step.at, AlertSnapshot::Test(snapshot));
        }
    }

    /// The given number, else the next one of the stream agent and device notifications
    /// share (the gap is drawn from `rng`, so the seed stream is the same for both kinds).
    fn notification_number(&mut self, given: Option<u64>, rng: &mut ChaCha8Rng) -> u64 {
        given.unwrap_or_else(|| {
            self.next_agent_notification += rng.random_range(1..=53);
            self.next_agent_notification
        })
    }

    fn agent_trigger(
        &mut self,
        ctx: &mut Ctx<'_>,
        world: &World,
        step: &Step,
        trigger: &AgentTrigger,
        rng: &mut ChaCha8Rng,
    ) {
        let notification = &trigger.notification;
        if self.live_notices.contains_key(notification) {
            already_active(ctx, step, "agent", notification);
            return;
        }
        let (Some(rule), Some(agent)) = (
            world.agent_rules.get(&trigger.rule),
            world.agents.get(&trigger.agent),
        ) else {
            return;
        };
        let number = self.notification_number(trigger.number, rng);
        let metrics = trigger
            .metrics
            .clone()
            .unwrap_or_else(|| default_agent_metrics(rule.kind, true).to_owned());
        let notice = AgentNotification {
            number,
            account: self.account.clone(),
            rule: rule.clone(),
            agent: agent.clone(),
            start: self.date(step.at),
            metrics_at_start: metrics.clone(),
            metrics_at_end: metrics,
            state: AlertState::Active,
        };
        self.finished_notices.remove(notification);
        self.live_notices
            .insert(notification.clone(), notice.clone());
        self.record_and_notify(
            step.at,
            notice,
            AlertSnapshot::Agent,
            Notification::AgentTrigger,
            rng,
        );
    }

    fn agent_clear(
        &mut self,
        ctx: &mut Ctx<'_>,
        step: &Step,
        notification: &str,
        metrics: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) {
        let Some(mut notice) = self.live_notices.remove(notification) else {
            let when = offset::display(step.at);
            let why = if self.finished_notices.contains(notification) {
                "it is already cleared"
            } else {
                "it was never triggered before then"
            };
            ctx.error(
                step.span.clone(),
                format!("steps[{}].notification", step.origin),
                format!("cannot clear agent notification `{notification}` at {when}: {why}"),
            );
            return;
        };
        notice.state = AlertState::Cleared {
            end: self.date(step.at),
        };
        if let Some(metrics) = metrics {
            notice.metrics_at_end = metrics.to_owned();
        }
        self.finished_notices.insert(notification.to_owned());
        self.record_and_notify(
            step.at,
            notice,
            AlertSnapshot::Agent,
            Notification::AgentClear,
            rng,
        );
    }

    /// Device notifications are webhook-only in tesim: the mock API does not list them (no
    /// v7 capture of a device alert is known), so they are not recorded in the history.
    fn device_trigger(
        &mut self,
        ctx: &mut Ctx<'_>,
        world: &World,
        step: &Step,
        trigger: &DeviceTrigger,
        rng: &mut ChaCha8Rng,
    ) {
        let notification = &trigger.notification;
        if self.live_devices.contains_key(notification) {
            already_active(ctx, step, "device", notification);
            return;
        }
        let (Some(rule), Some(device)) = (
            world.device_rules.get(&trigger.rule),
            world.devices.get(&trigger.device),
        ) else {
            return;
        };
        let number = self.notification_number(trigger.number, rng);
        let metrics = trigger.metrics.clone().unwrap_or_default();
        let notice = DeviceNotification {
            number,
            account: self.account.clone(),
            rule: rule.clone(),
            device: device.clone(),
            start: self.date(step.at),
            metrics_at_start: metrics.clone(),
            metrics_at_end: metrics,
            state: AlertState::Active,
        };
        self.live_devices
            .insert(notification.clone(), notice.clone());
        self.notify(step.at, Notification::DeviceTrigger(notice), rng);
    }

    fn device_clear(
        &mut self,
        ctx: &mut Ctx<'_>,
        step: &Step,
        notification: &str,
        metrics: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) {
        let Some(mut notice) = self.live_devices.remove(notification) else {
            ctx.error(
                step.span.clone(),
                format!("steps[{}].notification", step.origin),
                format!(
                    "cannot clear device notification `{notification}` at {}: it is not active then",
                    offset::display(step.at)
                ),
            );
            return;
        };
        notice.state = AlertState::Cleared {
            end: self.date(step.at),
        };
        if let Some(metrics) = metrics {
            notice.metrics_at_end = metrics.to_owned();
        }
        self.notify(step.at, Notification::DeviceClear(notice), rng);
    }

    /// `alert` is canonical.
    fn unknown_alert(&self, ctx: &mut Ctx<'_>, step: &Step, alert: &AlertName, verb: &str) {
        let field = format!("steps[{}].alert", step.origin);
        let message = if self.is_finished(alert) {
            format!(
                "cannot {verb} alert `{alert}` at {}: it is already cleared; trigger it again first",
                offset::display(step.at)
            )
        } else {
            let mut live: Vec<String> = self.live_alerts.keys().map(ToString::to_string).collect();
            live.sort_unstable();
            format!(
                "cannot {verb} alert `{alert}` at {}: it was never triggered before then; active alerts: {}",
                offset::display(step.at),
                if live.is_empty() {
                    "none".to_owned()
                } else {
                    live.iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )
        };
        ctx.error(step.span.clone(), field, message);
    }

    fn finish(
        &mut self,
        at: Duration,
        name: &AlertName,
        mut snapshot: TestAlert,
        state: AlertState,
        metrics: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) {
        let kind = snapshot.test.kind;
        let end = state.end().unwrap_or(snapshot.start);
        for source in &mut snapshot.sources {
            if source.state == AlertState::Active {
                source.state = match state {
                    AlertState::RuleRemoved { .. } => AlertState::RuleRemoved { end },
                    _ => AlertState::Cleared { end },
                };
                if matches!(state, AlertState::Cleared { .. }) {
                    source.metrics_latest = metrics.map_or_else(
                        || Cow::Borrowed(default_metrics(kind, false)),
                        |metrics| Cow::Owned(metrics.to_owned()),
                    );
                }
            }
        }
        snapshot.state = state;
        self.mark_finished(name);
        self.record_and_notify(
            at,
            Arc::new(snapshot),
            AlertSnapshot::Test,
            |alert| Notification::AlertClear(Arc::unwrap_or_clone(alert)),
            rng,
        );
    }

    /// A rule deleted, or removed from a test, clears its active alerts with `active: 2`
    /// (reference §1.3, §5.1.4).
    fn remove_rule(
        &mut self,
        at: Duration,
        rng: &mut ChaCha8Rng,
        affected: impl Fn(&TestAlert) -> bool,
    ) {
        // In the order of the names' text, as they were cleared when they were kept as text.
        let mut names: Vec<(String, AlertName)> = self
            .live_alerts
            .iter()
            .filter(|(_, alert)| affected(alert))
            .map(|(name, _)| (name.to_string(), name.clone()))
            .collect();
        names.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let end = self.date(at);
        for (_, name) in names {
            if let Some(snapshot) = self.live_alerts.remove(&name) {
                let snapshot = Arc::unwrap_or_clone(snapshot);
                let state = AlertState::RuleRemoved { end };
                self.finish(at, &name, snapshot, state, None, rng);
            }
        }
    }
}

/// `agent` starts violating in `snapshot`, or the message saying why it cannot.
fn violate_source(
    snapshot: &mut TestAlert,
    agent: &Arc<Agent>,
    now: TeDate,
    metrics: Option<&str>,
    alert: &str,
) -> Result<(), String> {
    let metrics: Metrics = metrics.map_or_else(
        || Cow::Borrowed(default_metrics(snapshot.test.kind, true)),
        |metrics| Cow::Owned(metrics.to_owned()),
    );
    let existing = snapshot
        .sources
        .iter()
        .position(|source| source.agent.id == agent.id);
    match existing {
        Some(index) if snapshot.sources[index].state == AlertState::Active => Err(format!(
            "agent {} already violates in alert `{alert}`",
            agent.id
        )),
        Some(index) => {
            let source = &mut snapshot.sources[index];
            source.state = AlertState::Active;
            source.metrics_latest = metrics;
            Ok(())
        }
        None => {
            snapshot.sources.push(AlertSource {
                agent: agent.clone(),
                start: now,
                metrics_at_start: metrics.clone(),
                metrics_latest: metrics,
                state: AlertState::Active,
            });
            Ok(())
        }
    }
}

/// `agent` stops violating in `snapshot`, or the message saying why it cannot.
fn recover_source(
    snapshot: &mut TestAlert,
    agent: &Arc<Agent>,
    now: TeDate,
    metrics: Option<&str>,
    alert: &str,
    at: Duration,
) -> Result<(), String> {
    let kind = snapshot.test.kind;
    let Some(source) = snapshot
        .sources
        .iter_mut()
        .find(|source| source.agent.id == agent.id)
        .filter(|source| source.state == AlertState::Active)
    else {
        return Err(format!(
            "agent {} is not violating in alert `{alert}` at {}",
            agent.id,
            offset::display(at)
        ));
    };
    source.state = AlertState::Cleared { end: now };
    source.metrics_latest = metrics.map_or_else(
        || Cow::Borrowed(default_metrics(kind, false)),
        |metrics| Cow::Owned(metrics.to_owned()),
    );
    Ok(())
}

/// Plausible metrics text for a test type, when the scenario gives none.
fn default_metrics(kind: TestType, violating: bool) -> &'static str {
    match (kind, violating) {
        (TestType::PageLoad, true) => "Page load: Incomplete",
        (TestType::PageLoad, false) => "Page Load: Complete",
        (TestType::HttpServer | TestType::Api, true) => "Response Code: 503",
        (TestType::HttpServer | TestType::Api, false) => "Response Code: 200",
        (TestType::AgentToServer | TestType::AgentToAgent, true) => "Loss: 12.5%",
        (TestType::AgentToServer | TestType::AgentToAgent, false) => "Loss: 0%",
        (TestType::DnsServer | TestType::DnsTrace | TestType::Dnssec, true) => "Error: timeout",
        (TestType::DnsServer | TestType::DnsTrace | TestType::Dnssec, false) => {
            "Resolution Time: 12 ms"
        }
        (_, true) => "Error: \"Connection timed out\"",
        (_, false) => "No error",
    }
}

fn default_agent_metrics(kind: AgentRuleKind, violating: bool) -> &'static str {
    match (kind, violating) {
        (AgentRuleKind::ClockOffset, true) => "Clock Offset: 130 seconds",
        (AgentRuleKind::ClockOffset, false) => "Clock Offset: 2 seconds",
        (AgentRuleKind::Offline, true) => "Last Contact: 7 minutes ago",
        (AgentRuleKind::Offline, false) => "Last Contact: 1 minute ago",
        (AgentRuleKind::Version, true) => "Agent Version: 1.180.0",
        (AgentRuleKind::Version, false) => "Agent Version: 1.190.0",
    }
}

/// Reports a trigger of an agent or device notification whose name is still active.
fn already_active(ctx: &mut Ctx<'_>, step: &Step, kind: &str, notification: &str) {
    ctx.error(
        step.span.clone(),
        format!("steps[{}].notification", step.origin),
        format!(
            "{kind} notification `{notification}` is already active; clear it first or use another name"
        ),
    );
}

/// The lowercase hyphenated UUID of `bytes` (what `Uuid`'s `Display` writes), without the
/// formatting machinery: two per alert, one per notification.
/// `rng.random::<[u8; 16]>()`, the same bytes from the same draws, in one copy: `rand` draws
/// each byte as its own `u32` (16 words of the stream, each truncated), which took a tenth of
/// playing a storm one word at a time (measured). The words come out of the block buffer as
/// `fill` reads them, in the same order.
fn random_bytes(rng: &mut ChaCha8Rng) -> [u8; 16] {
    let mut words = [0u32; 16];
    rng.fill(&mut words[..]);
    // Truncation is the draw: `rand` samples a `u8` as the low byte of a `u32`.
    #[allow(clippy::cast_possible_truncation)]
    words.map(|word| word as u8)
}

fn uuid_text(bytes: [u8; 16]) -> String {
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    uuid.hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_owned()
}

/// The number `text` writes in canonical decimal (what `{}` formats: digits only, no leading
/// zero), or `None`.
fn canonical_decimal(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    bytes.iter().try_fold(0u64, |value, &byte| {
        let digit = byte.checked_sub(b'0').filter(|digit| *digit < 10)?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use rand::{Rng, RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::{canonical_decimal, random_bytes};

    /// The fast draw takes the bytes `rand` would, and leaves the stream where `rand` would,
    /// from every position within the block buffer (a draw straddles a refill at some).
    #[test]
    fn random_bytes_are_rands() {
        for seed in 0..4 {
            for skip in 0..80 {
                let mut ours = ChaCha8Rng::seed_from_u64(seed);
                for _ in 0..skip {
                    ours.next_u32();
                }
                let mut theirs = ours.clone();
                for _ in 0..3 {
                    assert_eq!(random_bytes(&mut ours), theirs.random::<[u8; 16]>());
                }
                assert_eq!(
                    ours.next_u64(),
                    theirs.next_u64(),
                    "seed {seed}, skip {skip}"
                );
            }
        }
    }

    /// What parsing and formatting back agree on, as the generated names were checked before.
    #[test]
    fn canonical_decimal_is_what_formats_back() {
        for text in [
            "0",
            "7",
            "10",
            "123456",
            "00",
            "07",
            "+7",
            "-7",
            "",
            "1a",
            "a",
            "18446744073709551615",
            "18446744073709551616",
            "١",
        ] {
            let by_parse = text
                .parse::<u64>()
                .ok()
                .filter(|value| value.to_string() == text);
            assert_eq!(canonical_decimal(text), by_parse, "{text:?}");
        }
    }
}
