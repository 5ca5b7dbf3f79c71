//! What each route answers, as bytes: query parsing and validation, the alert filters of
//! v6 and v7, pagination, and the error bodies. Pure given the request, the state and "now".

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;
use tesim_model::api_v6;
use tesim_model::api_v7::{self, Link, PageLinks, Problem, Unauthorized, ValidationItem};
use tesim_model::{Account, Agent, IsoDate, Profile, TeDate, TestAlert};
use tesim_scenario::{AlertSnapshot, Timeline};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::index::{AlertIndex, Listing, Range, StateFilter};
use crate::routes::{Matched, RouteId};

/// `Content-Type` of v6 answers, as the v6 reference's sample headers show it.
pub const JSON_V6: &str = "application/json;charset=UTF-8";
/// `Content-Type` of v7 answers (HAL, reference §4.1).
pub const HAL: &str = "application/hal+json";
/// `Content-Type` of v7 errors other than 401.
pub const PROBLEM: &str = "application/problem+json";
/// `Content-Type` of plain JSON (the 401 body, `/openapi.json`).
pub const JSON: &str = "application/json";

/// A finished answer, cheap to clone (the body is reference-counted).
#[derive(Clone, Debug)]
pub struct Body {
    /// Status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Serialized body.
    pub bytes: Bytes,
}

/// Everything an answer depends on.
pub struct Ctx<'a> {
    /// The alerts, indexed.
    pub index: &'a AlertIndex,
    /// The scenario clock's offset: which state of each alert is served.
    pub at: Duration,
    /// Base URL of links.
    pub base: &'a str,
    /// The account.
    pub account: &'a Account,
    /// The timeline's configuration (tests, rules, agents, start); its history is in
    /// `index`.
    pub timeline: &'a Timeline,
    /// Alert-id era.
    pub profile: Profile,
    /// Default v7 page size.
    pub page_size: usize,
    /// "Now" on the scenario clock.
    pub now: TeDate,
    /// Request path.
    pub path: &'a str,
    /// Raw query string.
    pub query: Option<&'a str>,
}

/// The answer to an authorized GET of `matched`.
pub fn answer(ctx: &Ctx<'_>, matched: Matched<'_>) -> Body {
    let query = Query::parse(ctx.query);
    if let Err(body) = check_aid(ctx, &query, matched.route) {
        return body;
    }
    match matched.route {
        RouteId::V6Alerts => v6_alerts(ctx, &query),
        RouteId::V6Alert => v6_alert(ctx, &query, matched.param.unwrap_or_default()),
        RouteId::V6Tests => v6_tests(ctx, &query, None),
        RouteId::V6Test => v6_tests(ctx, &query, matched.param),
        RouteId::V7Alerts => v7_alerts(ctx, &query),
        RouteId::V7Alert => v7_alert(ctx, matched.param.unwrap_or_default()),
        RouteId::V7Rules => v7_rules(ctx, None),
        RouteId::V7Rule => v7_rules(ctx, matched.param),
        RouteId::V7Test => v7_test(ctx, matched.param.unwrap_or_default()),
        // Served before this function is reached; kept total for safety.
        RouteId::OpenApi => v6_error(StatusCode::NOT_FOUND, "not found"),
    }
}

/// The query string as name → last value.
struct Query<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Query<'a> {
    fn parse(query: Option<&'a str>) -> Query<'a> {
        let pairs = query
            .map(|query| url::form_urlencoded::parse(query.as_bytes()).collect())
            .unwrap_or_default();
        Query { pairs }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_ref())
    }
}

fn json_body<T: Serialize>(status: StatusCode, content_type: &'static str, value: &T) -> Body {
    // Our bodies are plain structs with string keys: serializing cannot fail.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Body {
        status,
        content_type,
        bytes: Bytes::from(bytes),
    }
}

/// A v6 error (`{"errorMessage": …}`, a documented guess: see [`api_v6::ErrorBody`]).
pub fn v6_error(status: StatusCode, message: &str) -> Body {
    json_body(
        status,
        JSON_V6,
        &api_v6::ErrorBody {
            error_message: message.to_owned(),
        },
    )
}

/// A v7 `application/problem+json` body (reference §4.1).
pub fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    instance: &str,
    errors: Option<Vec<ValidationItem>>,
) -> Body {
    let body = Problem {
        // The real type URIs were not recovered; `about:blank` is RFC 9457's default.
        problem_type: "about:blank".to_owned(),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        instance: instance.to_owned(),
        errors,
    };
    json_body(status, PROBLEM, &body)
}

/// The v7 401 body (reference §4.1). The same body answers a missing token (inferred).
pub fn v7_unauthorized() -> Body {
    let body = Unauthorized {
        error: "invalid_token".to_owned(),
        error_description: "Invalid access token".to_owned(),
    };
    json_body(StatusCode::UNAUTHORIZED, JSON, &body)
}

fn invalid(field: &str, message: String) -> ValidationItem {
    ValidationItem {
        code: "invalid".to_owned(),
        field: field.to_owned(),
        message,
    }
}

/// A v7 400 listing every problem (`errors[]`), its `detail` their messages joined.
pub fn validation_problem(instance: &str, errors: Vec<ValidationItem>) -> Body {
    let detail = joined(&errors);
    problem(
        StatusCode::BAD_REQUEST,
        "Validation error",
        &detail,
        instance,
        Some(errors),
    )
}

fn joined(errors: &[ValidationItem]) -> String {
    errors
        .iter()
        .map(|item| item.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn validation_error(ctx: &Ctx<'_>, route: RouteId, errors: Vec<ValidationItem>) -> Body {
    if route.is_v7() {
        validation_problem(ctx.path, errors)
    } else {
        v6_error(StatusCode::BAD_REQUEST, &joined(&errors))
    }
}

/// The v7 error for a foreign or malformed `aid` in `ctx.query`, if any (for routes that
/// do their own answering, such as integrations).
pub fn aid_error(ctx: &Ctx<'_>) -> Option<Body> {
    check_aid(ctx, &Query::parse(ctx.query), RouteId::V7Alerts).err()
}

/// `aid` must be the account's own group (reference §3.1: not a member → error; 403 is the
/// inferred status, §5.3).
fn check_aid(ctx: &Ctx<'_>, query: &Query<'_>, route: RouteId) -> Result<(), Body> {
    let Some(aid) = query.get("aid") else {
        return Ok(());
    };
    let is_number = !aid.is_empty() && aid.bytes().all(|byte| byte.is_ascii_digit());
    match aid.parse::<u64>() {
        Ok(number)
            if number == ctx.account.aid
                || number == tesim_model::render::account_id(ctx.profile, ctx.account) =>
        {
            Ok(())
        }
        // A well-formed id (even one too large for any group) of a group the user is not in.
        Ok(_) => Err(forbidden(ctx, route, aid)),
        Err(_) if is_number => Err(forbidden(ctx, route, aid)),
        Err(_) => Err(validation_error(
            ctx,
            route,
            vec![invalid(
                "aid",
                format!(
                    "aid `{aid}` is not an account-group id; use an integer such as {}",
                    ctx.account.aid
                ),
            )],
        )),
    }
}

fn forbidden(ctx: &Ctx<'_>, route: RouteId, aid: &str) -> Body {
    let detail = format!(
        "the user is not a member of account group {aid}; this mock's account group is {}",
        ctx.account.aid
    );
    if route.is_v7() {
        problem(
            StatusCode::FORBIDDEN,
            "Insufficient permissions to query endpoint",
            &detail,
            ctx.path,
            None,
        )
    } else {
        v6_error(StatusCode::FORBIDDEN, &detail)
    }
}

/// `window=[0-9]+[smhdw]?` in seconds (bare number: seconds, §3.1, §4.2). Absurdly large
/// windows saturate: they reach back to 1970, which is what the client asked for.
fn parse_window(text: &str) -> Option<u64> {
    let (digits, unit) = match text.as_bytes().last()? {
        b'0'..=b'9' => (text, 1),
        b's' => (&text[..text.len() - 1], 1),
        b'm' => (&text[..text.len() - 1], 60),
        b'h' => (&text[..text.len() - 1], 3600),
        b'd' => (&text[..text.len() - 1], 86_400),
        b'w' => (&text[..text.len() - 1], 604_800),
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let number = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some(number.saturating_mul(unit))
}

fn minus(now: TeDate, seconds: u64) -> TeDate {
    now.plus_seconds(-i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// Dates outside 1970..=9999 are clamped: they still mean "before everything" or "after".
fn clamp(datetime: OffsetDateTime) -> TeDate {
    TeDate::EPOCH.plus_seconds(datetime.unix_timestamp())
}

/// v7 `startDate`/`endDate`: an ISO 8601 date-time in every form common clients send:
/// `2022-07-17T22:00:54Z`, `+00:00`, and the basic offset `+0000`, each with or without
/// fractional seconds. The official Python SDK sends `2024-05-01T00:00:00.000000+0000`
/// (reference §6.5), and the real API accepts what its own SDK sends.
fn parse_iso(text: &str) -> Option<TeDate> {
    if let Ok(parsed) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(clamp(parsed));
    }
    // `±hhmm` → `±hh:mm`, then RFC 3339. `get` keeps a split inside a multi-byte character
    // from panicking; the offset is then checked to be ASCII before it is cut further.
    let split = text.len().checked_sub(5)?;
    let (head, offset) = (text.get(..split)?, text.get(split..)?);
    let (sign, digits) = (offset.get(..1)?, offset.get(1..)?);
    if !matches!(sign, "+" | "-") || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let colon = format!("{head}{sign}{}:{}", &digits[..2], &digits[2..]);
    OffsetDateTime::parse(&colon, &Rfc3339).ok().map(clamp)
}

/// v6 `from`/`to`: `YYYY-mm-ddTHH:MM:SS` in UTC (§3.1); a trailing `Z` or offset is
/// tolerated.
fn parse_v6_date(text: &str) -> Option<TeDate> {
    parse_iso(text).or_else(|| parse_iso(&format!("{text}Z")))
}

/// The 400 item of a range whose start lies after its end (the end defaults to "now").
fn backwards(range: Range, start: &str, end: &str) -> ValidationItem {
    invalid(
        start,
        format!(
            "{start} {} is after the end of the range {} ({end}, or now when {end} is not given); give a {start} before it",
            range.from.iso(),
            range.to.iso()
        ),
    )
}

fn check_format(query: &Query<'_>) -> Result<(), Body> {
    match query.get("format") {
        None | Some("json") => Ok(()),
        Some("xml") => Err(v6_error(
            StatusCode::NOT_ACCEPTABLE,
            "tesim serves JSON only; use format=json or the .json suffix",
        )),
        Some(other) => Err(v6_error(
            StatusCode::BAD_REQUEST,
            &format!("format `{other}` is not supported; use format=json"),
        )),
    }
}

fn v6_alerts(ctx: &Ctx<'_>, query: &Query<'_>) -> Body {
    if let Err(body) = check_format(query) {
        return body;
    }
    let mut errors = Vec::new();
    let window = query.get("window").map(|text| {
        parse_window(text).ok_or_else(|| {
            errors.push(invalid("window", format!("window `{text}` is not a duration; use digits and an optional unit s, m, h, d or w, e.g. window=5d")));
        })
    });
    let mut date = |name: &str| {
        query.get(name).map(|text| {
            parse_v6_date(text).ok_or_else(|| {
                errors.push(invalid(name, format!("{name} `{text}` is not a date; use YYYY-mm-ddTHH:MM:SS in UTC, e.g. {name}=2014-08-24T01:00:00")));
            })
        })
    };
    let from = date("from");
    let to = date("to");
    if window.is_some() && (from.is_some() || to.is_some()) {
        errors.push(invalid(
            "window",
            "window cannot be combined with from/to; give one or the other".to_owned(),
        ));
    }
    if !errors.is_empty() {
        return validation_error(ctx, RouteId::V6Alerts, errors);
    }
    let range = match (window, from, to) {
        (Some(Ok(seconds)), _, _) => Some(Range {
            from: minus(ctx.now, seconds),
            to: ctx.now,
        }),
        // `to` alone (the reference only shows `from[&to]`) reaches back to the beginning.
        (_, from, to) if from.is_some() || to.is_some() => Some(Range {
            from: from.and_then(Result::ok).unwrap_or(TeDate::EPOCH),
            to: to.and_then(Result::ok).unwrap_or(ctx.now),
        }),
        _ => None,
    };
    if let Some(range) = range.filter(|range| range.from > range.to) {
        return validation_error(ctx, RouteId::V6Alerts, vec![backwards(range, "from", "to")]);
    }
    let page = ctx.index.page(Listing::V6 { range }, ctx.at, 0, usize::MAX);
    let alerts = page
        .alerts
        .into_iter()
        .filter_map(|found| match ctx.index.snapshot(found) {
            AlertSnapshot::Test(alert) => Some(api_v6::alert(ctx.profile, &alert)),
            AlertSnapshot::Agent(_) => None,
        })
        .collect();
    let body = api_v6::AlertList {
        alert: alerts,
        pages: Some(api_v6::Pages {
            current: 1,
            next: None,
        }),
    };
    json_body(StatusCode::OK, JSON_V6, &body)
}

fn find(ctx: &Ctx<'_>, id: &str) -> Option<Arc<TestAlert>> {
    match ctx.index.snapshot(ctx.index.find_test(id, ctx.at)?) {
        AlertSnapshot::Test(alert) => Some(alert),
        AlertSnapshot::Agent(_) => None,
    }
}

fn v6_alert(ctx: &Ctx<'_>, query: &Query<'_>, id: &str) -> Body {
    if let Err(body) = check_format(query) {
        return body;
    }
    // An unknown id gives an empty answer, not a 404 (§3.3): here the same wrapper, empty.
    // What cannot be an alert id at all (`-1`, `abc`) is no resource, as for tests.
    let well_formed = id.parse::<u64>().is_ok() || uuid::Uuid::try_parse(id).is_ok();
    if !well_formed {
        return v6_error(
            StatusCode::NOT_FOUND,
            &format!(
                "`{id}` is not an alert id (an integer or a UUID); list alerts with GET /v6/alerts.json?window=..."
            ),
        );
    }
    let alert = find(ctx, id).map(|alert| api_v6::alert(ctx.profile, &alert));
    let body = api_v6::AlertList {
        alert: alert.into_iter().collect(),
        pages: None,
    };
    json_body(StatusCode::OK, JSON_V6, &body)
}

/// Tests were created (a documented guess) thirty days before the scenario starts.
const TEST_AGE_SECONDS: i64 = 30 * 86_400;

fn v6_tests(ctx: &Ctx<'_>, query: &Query<'_>, id: Option<&str>) -> Body {
    if let Err(body) = check_format(query) {
        return body;
    }
    let created = ctx.timeline.start.plus_seconds(-TEST_AGE_SECONDS);
    let info = |test: &tesim_model::Test| {
        // The agents that alert on the test over the whole scenario; all agents when none do.
        let mut agents: Vec<&Agent> = ctx.index.test_agents(test.id);
        if agents.is_empty() {
            agents = ctx.timeline.agents.iter().map(AsRef::as_ref).collect();
        }
        // `testId` (and the ids in its `apiLinks`) in the era's size, as the webhooks write
        // it: 15 digits in modern-2025, so webhook and API name the test alike.
        let era_test = tesim_model::Test {
            id: ctx.profile.era().ids.id(test.id),
            ..test.clone()
        };
        api_v6::test_info(ctx.base, &era_test, &agents, created)
    };
    // Newest first, taking a larger id as newer (the real order is not documented). This
    // also puts the default scenario's HTTP Server test first, where the seed blog reads
    // `j['test'][0]['apiLinks'][4]` as its BGP link.
    let mut tests: Vec<_> = ctx.timeline.tests.iter().collect();
    tests.sort_by_key(|test| std::cmp::Reverse(test.id));
    let body = match id {
        None => api_v6::TestList {
            test: tests.iter().map(|test| info(test)).collect(),
        },
        Some(id) => match tests.iter().find(|test| {
            test.id.to_string() == id || ctx.profile.era().ids.id(test.id).to_string() == id
        }) {
            Some(test) => api_v6::TestList {
                test: vec![info(test)],
            },
            None => {
                return v6_error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no test with id `{id}` in this account; list them with GET /v6/tests.json"
                    ),
                );
            }
        },
    };
    json_body(StatusCode::OK, JSON_V6, &body)
}

const CURSOR_PREFIX: &str = "tesim:";

fn encode_cursor(ordinal: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{ordinal}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix(CURSOR_PREFIX)?
        .parse()
        .ok()
}

fn v7_alerts(ctx: &Ctx<'_>, query: &Query<'_>) -> Body {
    let mut errors = Vec::new();
    let window = query.get("window").and_then(|text| {
        let parsed = parse_window(text);
        if parsed.is_none() {
            errors.push(invalid("window", format!("window `{text}` is not a duration; use digits and an optional unit s, m, h, d or w, e.g. window=12h")));
        }
        parsed
    });
    let mut date = |name: &str| {
        query.get(name).and_then(|text| {
            let parsed = parse_iso(text);
            if parsed.is_none() {
                errors.push(invalid(name, format!("{name} `{text}` is not an ISO 8601 date-time; use e.g. {name}=2022-07-17T22:00:54Z")));
            }
            parsed
        })
    };
    let start = date("startDate");
    let end = date("endDate");
    if query.get("window").is_some()
        && (query.get("startDate").is_some() || query.get("endDate").is_some())
    {
        errors.push(ValidationItem {
            code: "conflict".to_owned(),
            field: "window".to_owned(),
            message: "window cannot be used with startDate or endDate; give either window or startDate/endDate".to_owned(),
        });
    }
    let state = match query.get("state") {
        None => None,
        Some("trigger") => Some(StateFilter::Trigger),
        Some("clear") => Some(StateFilter::Clear),
        Some(other) => {
            errors.push(invalid(
                "state",
                format!("state `{other}` is not one of trigger, clear"),
            ));
            None
        }
    };
    let max = match query.get("max") {
        None => ctx.page_size,
        Some(text) => match text.parse::<u32>() {
            // 1..=2^31-1, as the OpenAPI document declares (a Java `int` upstream).
            Ok(max) if (1..=i32::MAX as u32).contains(&max) => {
                usize::try_from(max).unwrap_or(usize::MAX)
            }
            _ => {
                errors.push(invalid(
                    "max",
                    format!("max `{text}` is not an integer from 1 to 2147483647; use e.g. max=50"),
                ));
                ctx.page_size
            }
        },
    };
    // A cursor this server issued points at an alert that exists (alerts are only ever
    // appended), so one past the end was forged or is from another run: the same 400 as
    // any other stranger.
    let after = match query.get("cursor") {
        None => 0,
        Some(text) => decode_cursor(text)
            .filter(|ordinal| *ordinal < ctx.index.visible(ctx.at))
            .unwrap_or_else(|| {
                errors.push(invalid("cursor", "cursor is not one this server issued; follow _links.next.href as given, or drop the cursor to start over".to_owned()));
                0
            }),
    };
    if !errors.is_empty() {
        return validation_error(ctx, RouteId::V7Alerts, errors);
    }
    let range = match (window, start, end) {
        (Some(seconds), _, _) => Some(Range {
            from: minus(ctx.now, seconds),
            to: ctx.now,
        }),
        (None, None, None) => None,
        (None, start, end) => Some(Range {
            from: start.unwrap_or(TeDate::EPOCH),
            to: end.unwrap_or(ctx.now),
        }),
    };
    // Checked once the defaults are in: `startDate` alone can still lie after "now".
    if let Some(range) = range.filter(|range| range.from > range.to) {
        return validation_error(
            ctx,
            RouteId::V7Alerts,
            vec![backwards(range, "startDate", "endDate")],
        );
    }
    // Semantics from the SDK's text (reference §4.2, `Listing::selects`); the `state` +
    // range cases are inferred.
    let found = ctx
        .index
        .page(Listing::V7 { range, state }, ctx.at, after, max);
    let page: Vec<_> = found
        .alerts
        .into_iter()
        .map(|found| match ctx.index.snapshot(found) {
            AlertSnapshot::Test(alert) => api_v7::alert(ctx.base, ctx.profile, &alert, ctx.now),
            AlertSnapshot::Agent(notice) => {
                api_v7::agent_alert(ctx.base, ctx.profile, &notice, ctx.now)
            }
        })
        .collect();
    let next = found.next.map(|ordinal| Link {
        href: next_href(ctx, query, ordinal),
    });
    let self_href = match ctx.query {
        Some(raw) => format!("{}{}?{raw}", ctx.base, ctx.path),
        None => format!("{}{}", ctx.base, ctx.path),
    };
    let body = api_v7::AlertList {
        alerts: page,
        start_date: range.map(|range| IsoDate(range.from)),
        end_date: range.map(|range| IsoDate(range.to)),
        links: PageLinks {
            self_link: Link { href: self_href },
            next,
        },
    };
    json_body(StatusCode::OK, HAL, &body)
}

fn next_href(ctx: &Ctx<'_>, query: &Query<'_>, ordinal: usize) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in query.pairs.iter().filter(|(key, _)| key != "cursor") {
        serializer.append_pair(key, value);
    }
    serializer.append_pair("cursor", &encode_cursor(ordinal));
    format!("{}{}?{}", ctx.base, ctx.path, serializer.finish())
}

/// The account's rules; the tests and test type of each come from the alerts it raises over
/// the whole scenario (rules are configuration: they exist from the start). A rule that
/// raises none is shown as an `http-server` rule on no test (a documented guess).
fn v7_rules(ctx: &Ctx<'_>, id: Option<&str>) -> Body {
    let rule = |rule: &tesim_model::Rule| {
        let (test_type, test_ids) = ctx
            .index
            .rule_tests(rule.id)
            .unwrap_or(("http-server", &[]));
        api_v7::alert_rule(ctx.base, ctx.profile, rule, test_type, test_ids)
    };
    let rules = &ctx.timeline.rules;
    match id {
        None => {
            let body = api_v7::RuleList {
                alert_rules: rules.iter().map(|each| rule(each)).collect(),
                links: PageLinks {
                    self_link: Link {
                        href: format!("{}{}", ctx.base, ctx.path),
                    },
                    next: None,
                },
            };
            json_body(StatusCode::OK, HAL, &body)
        }
        Some(id) => match rules.iter().find(|each| {
            each.id.to_string() == id || ctx.profile.era().ids.id(each.id).to_string() == id
        }) {
            Some(found) => json_body(StatusCode::OK, HAL, &rule(found)),
            None => problem(
                StatusCode::NOT_FOUND,
                "Not found",
                &format!("no alert rule with id `{id}`; list them with GET /v7/alerts/rules"),
                ctx.path,
                None,
            ),
        },
    }
}

/// A v7 test, as the tests API's common fields give it (`testId` a string, `type`, `_links`).
/// Tests are configuration: they exist from the scenario's start.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V7Test<'a> {
    test_id: String,
    test_name: &'a str,
    #[serde(rename = "type")]
    test_type: &'a str,
    interval: u32,
    enabled: bool,
    alerts_enabled: bool,
    created_date: IsoDate,
    #[serde(rename = "_links")]
    links: api_v7::SelfLinks,
}

/// `GET /v7/tests/{testId}`: the target of an alert's `_links.test`. The real v7 tests API
/// answers per type (`/v7/tests/http-server/{testId}`, SDK `thousandeyes-sdk-tests`); the
/// untyped path alerts link to is answered here with the fields every test type shares (a
/// documented guess).
fn v7_test(ctx: &Ctx<'_>, id: &str) -> Body {
    let Some(test) = ctx
        .timeline
        .tests
        .iter()
        .find(|test| test.id.to_string() == id)
    else {
        return problem(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!(
                "no test with id `{id}` in this account; alerts link to their tests under _links.test"
            ),
            ctx.path,
            None,
        );
    };
    let body = V7Test {
        test_id: test.id.to_string(),
        test_name: &test.name,
        test_type: test.kind.alert_type(),
        interval: test.interval,
        enabled: true,
        alerts_enabled: true,
        created_date: IsoDate(ctx.timeline.start.plus_seconds(-TEST_AGE_SECONDS)),
        links: api_v7::SelfLinks {
            self_link: Link {
                href: format!("{}/v7/tests/{}", ctx.base, test.id),
            },
        },
    };
    json_body(StatusCode::OK, HAL, &body)
}

fn v7_alert(ctx: &Ctx<'_>, id: &str) -> Body {
    // A test alert answers before an agent notification with the same id.
    let found = ctx
        .index
        .find_test(id, ctx.at)
        .or_else(|| ctx.index.find_agent(id, ctx.at));
    match found.map(|found| ctx.index.snapshot(found)) {
        Some(AlertSnapshot::Test(alert)) => json_body(
            StatusCode::OK,
            HAL,
            &api_v7::alert_detail(ctx.base, ctx.profile, &alert, ctx.now),
        ),
        Some(AlertSnapshot::Agent(notice)) => json_body(
            StatusCode::OK,
            HAL,
            &api_v7::agent_alert_detail(ctx.base, ctx.profile, &notice, ctx.now),
        ),
        None => problem(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!(
                "no alert with id `{id}` at this point of the scenario; list alerts with GET /v7/alerts?window=..."
            ),
            ctx.path,
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursors_round_trip(ordinal in any::<usize>()) {
            prop_assert_eq!(decode_cursor(&encode_cursor(ordinal)), Some(ordinal));
        }

        #[test]
        fn parsers_never_panic(text in ".{0,40}") {
            let _ = parse_window(&text);
            let _ = parse_iso(&text);
            let _ = parse_v6_date(&text);
            let _ = decode_cursor(&text);
            let _ = crate::routes::match_path(&text);
        }

        #[test]
        fn windows_are_digits_times_unit(number in 0u64..1_000_000, unit in "[smhdw]?") {
            let factor = match unit.as_str() {
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                "w" => 604_800,
                _ => 1,
            };
            prop_assert_eq!(parse_window(&format!("{number}{unit}")), Some(number * factor));
        }
    }

    #[test]
    fn windows() {
        assert_eq!(parse_window("5d"), Some(432_000));
        assert_eq!(parse_window("30"), Some(30));
        assert_eq!(parse_window("12h"), Some(43_200));
        assert_eq!(parse_window("99999999999999999999999w"), Some(u64::MAX));
        assert_eq!(parse_window("d"), None);
        assert_eq!(parse_window("5x"), None);
        assert_eq!(parse_window("-5d"), None);
        assert_eq!(parse_window(""), None);
    }

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        assert_eq!(decode_cursor(&encode_cursor(17)), Some(17));
        assert_eq!(decode_cursor("WzAs"), None);
        assert_eq!(decode_cursor("!!"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_iso("2022-07-17T22:00:54Z").unwrap().iso(),
            "2022-07-17T22:00:54Z"
        );
        assert_eq!(
            parse_iso("2022-07-17T23:00:54+01:00").unwrap().iso(),
            "2022-07-17T22:00:54Z"
        );
        assert_eq!(parse_iso("0001-01-01T00:00:00Z"), Some(TeDate::EPOCH));
        // Every form the official SDKs and common clients send (reference §6.5).
        for text in [
            "2024-05-01T00:00:00Z",
            "2024-05-01T00:00:00+00:00",
            "2024-05-01T00:00:00+0000",
            "2024-05-01T00:00:00.000000+0000",
            "2024-05-01T00:00:00.000Z",
            "2024-05-01T02:00:00.5+02:00",
            "2024-04-30T19:00:00.000000-0500",
        ] {
            assert_eq!(
                parse_iso(text).map(TeDate::iso).as_deref(),
                Some("2024-05-01T00:00:00Z"),
                "{text}"
            );
        }
        for text in [
            "2024-05-01T00:00:00+00",
            "2024-05-01T00:00:00+0x00",
            "2024-05-01T00:00:00é000",
        ] {
            assert!(parse_iso(text).is_none(), "{text}");
        }
        assert_eq!(
            parse_v6_date("2014-08-24T01:00:00").unwrap().classic(),
            "2014-08-24 01:00:00"
        );
        assert!(parse_iso("2022-07-17 22:00:54").is_none());
    }
}
