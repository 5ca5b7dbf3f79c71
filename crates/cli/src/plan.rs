//! Glue between the pure core and the sender: a compiled timeline becomes pre-rendered
//! deliveries in one payload profile.

use std::sync::Arc;

use anyhow::Context as _;
use tesim_model::{Profile, TeDate, render};
use tesim_scenario::{Options, Timeline};
use tesim_sender::Delivery;

/// `--start`: `now`, or a `YYYY-MM-DD hh:mm:ss` instant; `None` keeps the scenario's own.
pub fn start(text: Option<&str>) -> anyhow::Result<Option<TeDate>> {
    match text {
        None => Ok(None),
        Some("now") => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .context("the system clock is before 1970")?;
            Ok(Some(TeDate::from_epoch(i64::try_from(now.as_secs())?)?))
        }
        Some(text) => Ok(Some(TeDate::parse_classic(text).with_context(|| {
            "--start takes `now` or a date such as `2024-05-02 10:15:20`".to_owned()
        })?)),
    }
}

/// Loads and compiles a scenario by built-in name or path.
pub fn timeline(scenario: &str, seed: u64, start_text: Option<&str>) -> anyhow::Result<Timeline> {
    timeline_in(scenario, seed, start_text, None)
}

/// [`timeline`] with `--timezone` (an IANA name) overriding the scenario's account zone.
pub fn timeline_in(
    scenario: &str,
    seed: u64,
    start_text: Option<&str>,
    timezone: Option<&str>,
) -> anyhow::Result<Timeline> {
    let source = tesim_scenario::load(scenario)?;
    let time_zone = timezone
        .map(tesim_model::AccountZone::parse)
        .transpose()
        .context("--timezone")?;
    Ok(source.compile(Options {
        seed,
        start: start(start_text)?,
        time_zone,
    })?)
}

/// Every notification of `timeline`, rendered once in `profile`, ready to send.
pub fn deliveries(timeline: &Timeline, profile: Profile) -> Vec<Delivery> {
    timeline
        .notifications
        .iter()
        .map(|timed| {
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
        })
        .collect()
}
