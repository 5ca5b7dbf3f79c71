//! The classic source: a compiled timeline becomes pre-rendered deliveries in one payload
//! profile.

use std::sync::Arc;

use tesim_model::{Profile, TeDate, TimedNotification, render};
use tesim_scenario::{Event, Events, Options, ScenarioError, Timeline};
use tesim_sender::Delivery;

/// Why a scenario could not be turned into a timeline.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The scenario does not load or compile (its diagnostics say where).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The start instant is neither `now` nor a date.
    #[error("`{text}` is not a start instant; write `now` or a date such as `2024-05-02 10:15:20`")]
    Start {
        /// What was given.
        text: String,
    },
    /// The system clock cannot be read as a date.
    #[error("the system clock is outside the dates ThousandEyes can write (before 1970?)")]
    Clock,
}

/// The current instant, to the second (what ThousandEyes writes).
pub fn now() -> Result<TeDate, PlanError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| PlanError::Clock)?;
    let seconds = i64::try_from(now.as_secs()).map_err(|_| PlanError::Clock)?;
    TeDate::from_epoch(seconds).map_err(|_| PlanError::Clock)
}

/// A start instant: `now`, or `YYYY-MM-DD hh:mm:ss`; `None` keeps the scenario's own.
pub fn start(text: Option<&str>) -> Result<Option<TeDate>, PlanError> {
    match text {
        None => Ok(None),
        Some("now") => now().map(Some),
        Some(text) => TeDate::parse_classic(text)
            .map(Some)
            .map_err(|_| PlanError::Start {
                text: text.to_owned(),
            }),
    }
}

/// Loads and compiles a scenario by built-in name or path; `start` moves its first instant.
pub fn timeline(scenario: &str, seed: u64, start: Option<TeDate>) -> Result<Timeline, PlanError> {
    timeline_in(scenario, seed, start, None)
}

/// [`timeline`] with the account's time zone (`--timezone`) overriding the scenario's.
pub fn timeline_in(
    scenario: &str,
    seed: u64,
    start: Option<TeDate>,
    time_zone: Option<tesim_model::AccountZone>,
) -> Result<Timeline, PlanError> {
    let source = tesim_scenario::load(scenario)?;
    Ok(source.compile(Options {
        seed,
        start,
        time_zone,
    })?)
}

/// Loads a scenario as [`timeline_in`] does, into its events made one at a time (see
/// [`tesim_scenario::Source::stream`]): what a long scenario is sent from.
pub fn events_in(
    scenario: &str,
    seed: u64,
    start: Option<TeDate>,
    time_zone: Option<tesim_model::AccountZone>,
) -> Result<Events, PlanError> {
    let source = tesim_scenario::load(scenario)?;
    Ok(source.stream(Options {
        seed,
        start,
        time_zone,
    })?)
}

/// Every notification of `timeline`, rendered once in `profile`, ready to send.
pub fn deliveries(timeline: &Timeline, profile: Profile) -> Vec<Delivery> {
    timeline
        .notifications
        .iter()
        .map(|timed| delivery(timed, profile))
        .collect()
}

/// The notifications of `events`, each rendered in `profile` only when asked for: the
/// deliveries of [`deliveries`], in the same order, byte for byte, without holding them.
/// `events` stays with the caller, who calls [`Events::check`] after the last one.
pub fn stream_deliveries(
    events: &mut Events,
    profile: Profile,
) -> impl Iterator<Item = Delivery> + '_ {
    events.skip_history();
    events.filter_map(move |event| match event {
        Event::Notification(timed) => Some(delivery(&timed, profile)),
        Event::Change(_) => None,
    })
}

/// How a [`RenderedStream`] turns each notification into a delivery.
pub trait Render {
    /// `timed`'s delivery, or `None` to skip it (it could not be rendered).
    fn render(&mut self, timed: &TimedNotification) -> Option<Delivery>;
}

/// The deliveries of a scenario, made and rendered one at a time as they are taken (what a live
/// send streams): an owned [`stream_deliveries`], whatever renders them. Holds what the
/// scenario has active, never its length. Its length is unknown until the end (`size_hint`
/// says so: a stopped run does not play the rest to count it); [`Iterator::count`] plays what
/// is left without rendering it.
pub struct RenderedStream<R> {
    events: Events,
    renderer: R,
    verdict: StreamVerdict,
}

/// Classic webhooks in one profile.
pub struct Classic(Profile);

impl Render for Classic {
    fn render(&mut self, timed: &TimedNotification) -> Option<Delivery> {
        Some(delivery(timed, self.0))
    }
}

/// A scenario's classic webhooks, streamed.
pub type DeliveryStream = RenderedStream<Classic>;

/// Whether a [`RenderedStream`]'s scenario played to its end without a problem, known once the
/// stream is exhausted: a problem found late (the stream stopped there) must still fail the
/// run. Kept by the caller while the stream itself is consumed.
#[derive(Clone, Default)]
pub struct StreamVerdict(Arc<std::sync::Mutex<Option<Verdict>>>);

/// A scenario played to its end: `Ok`, or its problems.
pub type Verdict = Result<(), Arc<ScenarioError>>;

impl StreamVerdict {
    /// `None` while the stream has not ended (a run that stopped before counting the rest);
    /// then the scenario's problems, if any.
    pub fn get(&self) -> Option<Verdict> {
        self.0.lock().expect("verdict lock").clone()
    }
}

impl DeliveryStream {
    /// Renders `events`' notifications in `profile`; their history is skipped.
    pub fn new(events: Events, profile: Profile) -> DeliveryStream {
        RenderedStream::with(events, Classic(profile))
    }
}

impl<R: Render> RenderedStream<R> {
    /// Renders `events`' notifications with `renderer`; their history is skipped.
    pub fn with(mut events: Events, renderer: R) -> RenderedStream<R> {
        events.skip_history();
        RenderedStream {
            events,
            renderer,
            verdict: StreamVerdict::default(),
        }
    }

    /// The account, tests, rules and agents of the scenario.
    pub fn header(&self) -> &Timeline {
        self.events.header()
    }

    /// Where the scenario's verdict will be, once the stream ends.
    pub fn verdict(&self) -> StreamVerdict {
        self.verdict.clone()
    }

    fn ended(&self) {
        let verdict = self.events.check().map_err(Arc::new);
        *self.verdict.0.lock().expect("verdict lock") = Some(verdict);
    }
}

impl<R: Render> Iterator for RenderedStream<R> {
    type Item = Delivery;

    fn next(&mut self) -> Option<Delivery> {
        loop {
            match self.events.next() {
                Some(Event::Notification(timed)) => {
                    if let Some(delivery) = self.renderer.render(&timed) {
                        return Some(delivery);
                    }
                }
                Some(Event::Change(_)) => {}
                None => {
                    self.ended();
                    return None;
                }
            }
        }
    }

    // What is left of a stopped run, counted without rendering: its notifications.
    fn count(mut self) -> usize {
        let rest = self
            .events
            .by_ref()
            .filter(|event| matches!(event, Event::Notification(_)))
            .count();
        self.ended();
        rest
    }
}

/// One notification rendered in `profile`.
pub fn delivery(timed: &TimedNotification, profile: Profile) -> Delivery {
    let event = render(profile, timed);
    let mut delivery = Delivery::new(
        timed.offset,
        event.event_id.as_str(),
        event.event_type().as_str(),
        event.correlation_id().map(Arc::from),
        event.to_json(),
    );
    // Order by the lifecycle's own key, which is the same in every profile.
    delivery.order_key = timed.notification.order_key().map(Arc::from);
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_refuses_other_text_naming_it() {
        let err = start(Some("yesterday")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`yesterday` is not a start instant; write `now` or a date such as `2024-05-02 10:15:20`"
        );
        assert!(start(Some("2024-05-02 10:15:20")).unwrap().is_some());
        assert!(start(None).unwrap().is_none());
    }

    /// Streamed and rendered one at a time, the deliveries are those rendered all at once:
    /// same bodies, offsets, ids and order keys, in every profile.
    #[test]
    fn streamed_deliveries_are_the_compiled_ones() {
        for name in ["storm", "flapping", "day-in-the-life"] {
            for profile in Profile::ALL {
                let eager = deliveries(&timeline(name, 3, None).unwrap(), profile);
                let mut events = events_in(name, 3, None, None).unwrap();
                let streamed: Vec<Delivery> = stream_deliveries(&mut events, profile).collect();
                events.check().unwrap();
                let pin = |deliveries: &[Delivery]| -> Vec<String> {
                    deliveries
                        .iter()
                        .map(|delivery| {
                            format!(
                                "{:?} {} {:?} {:?}",
                                delivery.offset,
                                delivery.event_id,
                                delivery.order_key,
                                delivery.body
                            )
                        })
                        .collect()
                };
                assert_eq!(pin(&eager), pin(&streamed), "{name} {profile}");
            }
        }
    }

    /// The owned stream gives the same deliveries, counts the same number without rendering,
    /// and gives its verdict once ended.
    #[test]
    fn the_owned_stream_is_the_borrowed_one() {
        let eager = deliveries(&timeline("storm", 3, None).unwrap(), Profile::Kb2014);
        let stream =
            DeliveryStream::new(events_in("storm", 3, None, None).unwrap(), Profile::Kb2014);
        let verdict = stream.verdict();
        assert!(verdict.get().is_none());
        let streamed: Vec<Delivery> = stream.collect();
        assert!(matches!(verdict.get(), Some(Ok(()))));
        assert_eq!(streamed.len(), eager.len());
        assert!(
            streamed
                .iter()
                .zip(&eager)
                .all(|(a, b)| a.body == b.body && a.event_id == b.event_id)
        );
        let mut stream =
            DeliveryStream::new(events_in("storm", 3, None, None).unwrap(), Profile::Kb2014);
        let first = stream.by_ref().take(10).count();
        let verdict = stream.verdict();
        assert_eq!(first + stream.count(), eager.len());
        assert!(matches!(verdict.get(), Some(Ok(()))));
    }

    /// The dry run's writer (no wire structs, no serde) writes the bodies serde writes, for
    /// every notification of every built-in scenario, in every profile.
    #[test]
    fn written_json_is_serdes() {
        for name in tesim_scenario::builtin_names() {
            let timeline = timeline(name, 3, None).unwrap();
            for profile in Profile::ALL {
                for timed in &timeline.notifications {
                    let mut written = Vec::new();
                    tesim_model::render::write_json(profile, timed, &mut written);
                    let via_serde = serde_json::to_string(&render(profile, timed)).unwrap();
                    assert_eq!(
                        String::from_utf8(written).unwrap(),
                        via_serde,
                        "{name} {profile}"
                    );
                }
            }
        }
    }

    #[test]
    fn same_seed_same_deliveries() {
        let ids = |seed| {
            let timeline = timeline("flapping", seed, None).unwrap();
            deliveries(&timeline, Profile::Kb2014)
                .into_iter()
                .map(|delivery| delivery.event_id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(7), ids(7));
        assert_ne!(ids(7), ids(8));
    }
}
