//! The mock API's request parsing: path matching, query strings (dates, windows, cursors,
//! `aid`, `format`), the answer built from them, and the integrations routes with a body.
//! Every request gives an answer (never a panic, never a 5xx), as `tesim api` promises.
//!
//! Input: byte 0 picks the method, byte 1 the state version and clock, then
//! `PATH[?QUERY]`, a newline, and the body.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use http::Method;
use libfuzzer_sys::fuzz_target;
use tesim_api::handlers::{self, Ctx};
use tesim_api::index::AlertIndex;
use tesim_api::integrations::{self, IntegrationStore};
use tesim_api::routes::match_path;
use tesim_model::Profile;
use tesim_scenario::{Options, Timeline};

struct State {
    timeline: Timeline,
    /// One index per era: ids differ by profile.
    indexes: Vec<(Profile, AlertIndex)>,
}

const PROFILES: [Profile; 3] = [Profile::Kb2014, Profile::V6_2021, Profile::Modern2025];

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let timeline = tesim_scenario::load("day-in-the-life")
            .expect("built-in scenario")
            .compile(Options::default())
            .expect("built-in scenario compiles");
        let indexes = PROFILES
            .into_iter()
            .map(|profile| (profile, AlertIndex::build(timeline.history.clone(), profile)))
            .collect();
        State { timeline, indexes }
    })
}

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

fuzz_target!(|data: &[u8]| {
    let [method, version, rest @ ..] = data else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (target, body) = text.split_once('\n').unwrap_or((text, ""));
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let state = state();
    // Byte 1 picks the clock: at one of the history's changes, or before the first.
    let history = &state.timeline.history;
    let offset = usize::from(*version)
        .checked_sub(1)
        .and_then(|index| history.get(index % history.len().max(1)))
        .map_or(Duration::ZERO, |change| change.offset);
    let method = &METHODS[usize::from(*method) % METHODS.len()];
    let (profile, index) = &state.indexes[usize::from(*version) % state.indexes.len()];
    let ctx = Ctx {
        index,
        at: offset,
        base: "http://127.0.0.1:8081",
        account: &state.timeline.account,
        timeline: &state.timeline,
        profile: *profile,
        page_size: 1 + usize::from(*version % 7),
        now: tesim_api::instant_at(&state.timeline, offset),
        path,
        query,
    };
    if let Some(matched) = match_path(path) {
        let answer = handlers::answer(&ctx, matched);
        assert!(
            !answer.status.is_server_error(),
            "{path}?{query:?} answered {}",
            answer.status
        );
    }
    let _ = handlers::aid_error(&ctx);
    // A fresh store per input: what one input created must not leak into the next.
    let store = IntegrationStore::new(ctx.base);
    let request = integrations::Request {
        method,
        path: target,
        body: body.as_bytes(),
        now: tesim_model::TeDate::EPOCH,
    };
    if let Some(response) = integrations::route(&store, &request) {
        assert!(
            !response.status().is_server_error(),
            "{method} {target} answered {}",
            response.status()
        );
    }
});
