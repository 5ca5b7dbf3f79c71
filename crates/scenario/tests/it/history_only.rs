//! [`Events::skip_notifications`], the API's stream: the same history as compiling, and the
//! same duration, with no notification made.

use tesim_scenario::{Event, Events, Options, Source, Timeline, builtin_names, load};

/// The history of `events` with notifications skipped, and `last_offset` after the last.
fn history_only(
    mut events: Events,
) -> (
    Vec<tesim_scenario::AlertChange>,
    Option<std::time::Duration>,
) {
    events.skip_notifications();
    let mut history = Vec::new();
    for event in &mut events {
        match event {
            Event::Notification(timed) => panic!("a notification was made: {timed:?}"),
            Event::Change(change) => history.push(change),
        }
    }
    events.check().unwrap();
    (history, events.last_offset())
}

fn check(name: &str, source: &Source, options: Options) {
    let timeline: Timeline = source.compile(options.clone()).unwrap();
    let (history, last_offset) = history_only(source.stream(options).unwrap());
    assert_eq!(history, timeline.history, "{name}");
    assert_eq!(
        last_offset.unwrap_or_default(),
        timeline.duration(),
        "{name}: the duration counts the skipped notifications"
    );
}

#[test]
fn skipping_notifications_keeps_every_change_and_the_duration() {
    for name in builtin_names() {
        let source = load(name).unwrap();
        for seed in [1, 7] {
            let options = Options {
                seed,
                ..Options::default()
            };
            check(name, &source, options);
        }
    }
}

#[test]
fn skipping_notifications_keeps_a_long_storms_changes() {
    // Over `CHECKED_STEPS`, so streamed without the checking pass, with rules that do and do
    // not notify on clear and a webhook test last (a notification with no change).
    let text = "[fleet]\ntests = 40\nagents = 30\n\n[[rules]]\nid = 7001\nname = \"r1\"\nexpression = \"e\"\n\n[[rules]]\nid = 7002\nname = \"r2\"\nexpression = \"e\"\nnotify_on_clear = false\n\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 51000\nspread = \"1d\"\nclear-after = \"5m\"\nagents-per-alert = 3\n\n[[steps]]\nat = \"+2d\"\naction = \"webhook-test\"\n";
    check(
        "long storm",
        &Source::from_text("long-storm", text),
        Options::default(),
    );
}
