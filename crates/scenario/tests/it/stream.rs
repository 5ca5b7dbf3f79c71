//! Streaming ([`Source::stream`]): the same events as compiling, made one at a time, holding
//! only what is active (issue 17).

use tesim_model::{Profile, render};
use tesim_scenario::{Event, Options, Source, Timeline, builtin_names, load};

/// `storm.toml` scaled to `count` alerts over one day.
fn day_storm(count: u32) -> Source {
    let text = format!(
        "[fleet]\ntests = 40\nagents = 30\n\n[[rules]]\nid = 7001\nname = \"r1\"\nexpression = \"e\"\n\n[[rules]]\nid = 7002\nname = \"r2\"\nexpression = \"e\"\n\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = {count}\nspread = \"1d\"\nclear-after = \"5m\"\nagents-per-alert = 3\n"
    );
    Source::from_text("day-storm", &text)
}

/// The notifications and history the stream gives, collected.
fn collect(source: &Source, options: Options) -> Timeline {
    let mut events = source.stream(options).unwrap_or_else(|err| panic!("{err}"));
    let mut timeline = events.header().clone();
    for event in &mut events {
        match event {
            Event::Notification(timed) => timeline.notifications.push(timed),
            Event::Change(change) => timeline.history.push(change),
        }
    }
    events.check().unwrap();
    timeline
}

fn check_same(name: &str, eager: &Timeline, streamed: &Timeline) {
    assert_eq!(
        eager.notifications.len(),
        streamed.notifications.len(),
        "{name}"
    );
    for profile in Profile::ALL {
        for (index, (eager, streamed)) in eager
            .notifications
            .iter()
            .zip(&streamed.notifications)
            .enumerate()
        {
            assert_eq!(
                render(profile, eager).to_json(),
                render(profile, streamed).to_json(),
                "{name} {profile} notification {index}"
            );
            assert_eq!(eager.offset, streamed.offset, "{name} {index}");
        }
    }
    assert_eq!(eager.history, streamed.history, "{name}");
    assert_eq!(
        format!("{:?}", eager.tests),
        format!("{:?}", streamed.tests)
    );
    assert_eq!(
        format!("{:?}", eager.agents),
        format!("{:?}", streamed.agents)
    );
}

#[test]
fn every_builtin_streams_its_timeline_in_every_profile() {
    for name in builtin_names() {
        let source = load(name).unwrap();
        for seed in [1, 7] {
            let options = Options {
                seed,
                ..Options::default()
            };
            let eager = source.compile(options.clone()).unwrap();
            check_same(name, &eager, &collect(&source, options));
        }
    }
}

#[test]
fn a_long_storm_streams_its_timeline() {
    // Over `CHECKED_STEPS`: streamed without the checking pass. Rendering every payload
    // four times is slow in a debug build: the ids and times pin them (see above).
    let source = day_storm(51_000);
    let eager = source.compile(Options::default()).unwrap();
    let streamed = collect(&source, Options::default());
    let pin = |timeline: &Timeline| -> Vec<(std::time::Duration, u64, String)> {
        timeline
            .notifications
            .iter()
            .map(|timed| (timed.offset, timed.sequence, timed.uuid.clone()))
            .collect()
    };
    assert_eq!(pin(&eager), pin(&streamed));
    assert_eq!(eager.history, streamed.history);
}

/// Memory follows what is active: for 100k alerts over a day, each active about 5 minutes,
/// a few hundred are active at once; the stream never holds more than a small multiple of
/// that, where compiling whole holds 400k events.
#[test]
fn streaming_holds_what_is_active_not_the_scenario() {
    let mut events = day_storm(100_000).stream(Options::default()).unwrap();
    let mut most_held = 0;
    let mut n_notifications = 0;
    while let Some(event) = events.next() {
        most_held = most_held.max(events.held());
        if matches!(event, Event::Notification(_)) {
            n_notifications += 1;
        }
    }
    events.check().unwrap();
    assert_eq!(n_notifications, 200_000);
    // About 100k × 7.5 min / 1 day ≈ 520 alerts live at most, each with its drawn clear.
    assert!(most_held < 2_000, "held up to {most_held}");
    assert!(
        most_held > 100,
        "held up to {most_held}: the count does not count"
    );
}

/// Deleting a rule that a long burst then triggers on: compiling reports it; streaming, past
/// the checking bound, stops at it and says so on `check`.
#[test]
fn a_problem_found_while_streaming_ends_the_stream() {
    let text = "[fleet]\ntests = 4\nagents = 3\n\n[[rules]]\nid = 7001\nname = \"r1\"\nexpression = \"e\"\n\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 51000\nspread = \"1h\"\nclear-after = \"1m\"\n\n[[steps]]\nat = \"+30m\"\naction = \"delete-rule\"\nrule = 7001\n";
    let source = Source::from_text("x", text);
    let compiled = source.compile(Options::default()).unwrap_err().to_string();
    assert!(
        compiled.contains("rule 7001 was deleted at +30m"),
        "{compiled}"
    );
    let mut events = source.stream(Options::default()).unwrap();
    let mut last = None;
    for event in &mut events {
        if let Event::Notification(timed) = event {
            last = Some(timed.offset);
        }
    }
    let streamed = events.check().unwrap_err().to_string();
    assert!(
        streamed.contains("rule 7001 was deleted at +30m"),
        "{streamed}"
    );
    let last = last.unwrap();
    assert!(last <= std::time::Duration::from_secs(30 * 60), "{last:?}");
}

/// A short scenario is checked whole before its first event: nothing is streamed from it.
#[test]
fn a_short_scenario_with_a_problem_is_refused_before_streaming() {
    let text = "[fleet]\ntests = 4\nagents = 3\n\n[[rules]]\nid = 7001\nname = \"r1\"\nexpression = \"e\"\n\n[[steps]]\nat = \"+0s\"\naction = \"burst\"\ncount = 100\nspread = \"1h\"\nclear-after = \"1m\"\n\n[[steps]]\nat = \"+30m\"\naction = \"delete-rule\"\nrule = 7001\n";
    let err = Source::from_text("x", text)
        .stream(Options::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("rule 7001 was deleted at +30m"), "{err}");
}
