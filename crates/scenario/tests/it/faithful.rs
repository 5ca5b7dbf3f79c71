//! What ThousandEyes does today (reference §6): the account's time zone, rules without clear
//! notifications, device notifications, and no `AGENT_*` event from October 2021 on.

use tesim_model::webhook::{AlertBody, EventBody};
use tesim_model::{AccountZone, Notification, Profile, TeDate, api_v6, render};
use tesim_scenario::{AlertSnapshot, Options, Timeline, builtin_names, load};

fn compile(name: &str, options: Options) -> Timeline {
    load(name)
        .unwrap()
        .compile(options)
        .unwrap_or_else(|err| panic!("{err}"))
}

/// Hours between the webhook's `dateStart` (account wall-clock) and the v6 API's `dateStart`
/// (UTC) of the first test alert of `timeline`.
fn webhook_minus_api_hours(timeline: &Timeline, profile: Profile) -> i64 {
    let trigger = timeline
        .notifications
        .iter()
        .find_map(|timed| match &timed.notification {
            Notification::AlertTrigger(alert) => Some((timed, alert)),
            _ => None,
        })
        .expect("a test alert");
    let EventBody::AlertTrigger(AlertBody::Test(webhook)) = render(profile, trigger.0).body else {
        panic!("not a test alert trigger");
    };
    let api = api_v6::alert(profile, trigger.1);
    (webhook.date_start.epoch() - api.date_start.epoch()) / 3600
}

#[test]
fn new_york_is_five_hours_behind_the_api_in_january_and_four_in_july() {
    let january = compile("trigger-only", Options::default());
    assert_eq!(
        january.start,
        TeDate::parse_classic("2022-01-15 12:00:00").unwrap()
    );
    for profile in Profile::ALL {
        assert_eq!(webhook_minus_api_hours(&january, profile), -5, "{profile}");
    }
    // The same scenario moved to July with --timezone's override: EDT, four hours.
    let july = compile(
        "trigger-only",
        Options {
            start: Some(TeDate::parse_classic("2022-07-15 12:00:00").unwrap()),
            time_zone: Some(AccountZone::parse("America/New_York").unwrap()),
            ..Options::default()
        },
    );
    assert_eq!(webhook_minus_api_hours(&july, Profile::CURRENT), -4);
    let json = render(Profile::CURRENT, &july.notifications[0]).to_json();
    assert!(
        json.contains(r#""dateStartZoned":"2022-07-15 08:00:00 EDT""#),
        "{json}"
    );
    // And UTC stays the default: the override to UTC makes them agree.
    let utc = compile(
        "trigger-only",
        Options {
            time_zone: Some(AccountZone::utc()),
            ..Options::default()
        },
    );
    assert_eq!(webhook_minus_api_hours(&utc, Profile::CURRENT), 0);
}

#[test]
fn an_unknown_time_zone_is_refused_with_its_position() {
    let text = "timezone = \"America/Nowhere\"\n";
    let err = tesim_scenario::Source::from_text("tz", text)
        .compile(Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown time zone `America/Nowhere`"), "{err}");
}

#[test]
fn a_rule_without_clear_notifications_sends_the_trigger_only_and_the_api_still_clears() {
    let timeline = compile("trigger-only", Options::default());
    let kinds: Vec<(u64, &str)> = timeline
        .notifications
        .iter()
        .filter_map(|timed| match &timed.notification {
            Notification::AlertTrigger(alert) | Notification::AlertClear(alert) => {
                Some((alert.rule.id, timed.notification.kind_name()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (1927034, "alert-trigger"),
            (1927035, "alert-trigger"),
            (1927035, "alert-clear"),
        ]
    );
    // The history (what the API serves) has both alerts cleared at the end.
    let end = timeline.duration();
    let cleared: Vec<u64> = timeline
        .history
        .iter()
        .filter_map(|change| match &change.alert {
            AlertSnapshot::Test(alert) if alert.state.end().is_some() => Some(alert.rule.id),
            _ => None,
        })
        .collect();
    assert_eq!(cleared, [1927034, 1927035]);
    for alert in timeline.alerts_at(end) {
        if let AlertSnapshot::Test(alert) = alert {
            assert!(
                alert.state.end().is_some(),
                "{} still active",
                alert.rule.id
            );
        }
    }
}

#[test]
fn device_notifications_carry_alert_and_device_alert_from_october_2021() {
    let timeline = compile("device-notifications", Options::default());
    for profile in Profile::ALL {
        for timed in &timeline.notifications {
            let json: serde_json::Value =
                serde_json::from_str(&render(profile, timed).to_json()).unwrap();
            let standard = profile.era().zoned_dates;
            assert_eq!(json.get("alert").is_some(), standard, "{profile} {json}");
            assert!(json["deviceAlert"]["type"].is_string(), "{profile}");
            if standard {
                assert_eq!(json["alert"], json["deviceAlert"], "{profile}");
                assert!(json["alert"]["dateStart"].is_string(), "{profile}");
                assert!(
                    json["alert"]["permalink"]
                        .as_str()
                        .unwrap()
                        .contains("/network-devices/topology/"),
                    "{profile}"
                );
                if json["eventType"] == "ALERT_NOTIFICATION_CLEAR" {
                    assert!(json["alert"]["dateEnd"].is_string(), "{profile} {json}");
                    assert!(
                        json["alert"]["dateEndZoned"]
                            .as_str()
                            .unwrap()
                            .ends_with(" EDT")
                    );
                }
            } else {
                assert!(json["deviceAlert"]["dateStart"].is_i64(), "{profile}");
            }
        }
    }
}

#[test]
fn no_agent_event_types_from_october_2021_on() {
    for name in builtin_names() {
        let timeline = compile(name, Options::default());
        for profile in [Profile::V6_2022, Profile::Modern2025, Profile::CURRENT] {
            for timed in &timeline.notifications {
                let event_type = render(profile, timed).event_type().as_str();
                assert!(
                    !event_type.starts_with("AGENT_"),
                    "{name} {profile}: {event_type}"
                );
            }
        }
    }
}
