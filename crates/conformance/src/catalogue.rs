//! The catalogue of checks: stable ids, levels and texts. `tesim check --list` and
//! `docs/checks.md` are both generated from [`CATALOGUE`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much a check matters: a failed MUST fails the run (exit 1), a failed SHOULD is reported
/// but does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// ThousandEyes deliveries fail, or alerts get lost or mangled, when this fails.
    Must,
    /// Good practice that prevents trouble later.
    Should,
}

impl Level {
    /// `MUST` or `SHOULD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckInfo {
    /// What the runner dispatches on.
    pub check: CheckId,
    /// Stable id, e.g. `TE-REDIRECT-001`. Never reused for another meaning.
    pub id: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// One line saying what a passing receiver does.
    pub title: &'static str,
    /// Why it matters for a ThousandEyes receiver.
    pub why: &'static str,
    /// What to change when it fails.
    pub fix: &'static str,
    /// What the check rests on: a section of the reference or a ThousandEyes or RFC document.
    pub source: &'static str,
}

impl CheckInfo {
    /// The group, the part of the id between `TE-` and the number (`DELIVERY`, `AUTH`…).
    pub fn group(&self) -> &'static str {
        let rest = self.id.strip_prefix("TE-").unwrap_or(self.id);
        rest.rsplit_once('-').map_or(rest, |(group, _)| group)
    }
}

/// Looks a check up by id.
pub fn info(id: &str) -> Option<&'static CheckInfo> {
    CATALOGUE.iter().find(|check| check.id == id)
}

/// Declares [`CheckId`] and [`CATALOGUE`] from one list, so every id has exactly one entry;
/// the runner matches [`CheckId`] exhaustively, so an entry without an implementation does
/// not compile.
macro_rules! catalogue {
    ($($variant:ident = $id:literal, $level:ident, $title:literal, why: $why:literal, fix: $fix:literal, source: $source:literal;)*) => {
        /// Every check, as a value the runner dispatches on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum CheckId {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        /// Every check, in the order they run.
        pub const CATALOGUE: &[CheckInfo] = &[
            $(CheckInfo {
                check: CheckId::$variant,
                id: $id,
                level: Level::$level,
                title: $title,
                why: $why,
                fix: $fix,
                source: $source,
            },)*
        ];
    };
}

catalogue! {
    Url001 = "TE-URL-001", Must, "the webhook URL is written in decoded form",
        why: "ThousandEyes wants the webhook URL entered decoded and encodes it itself; a URL typed with `%XX` escapes is encoded twice and reaches another path (reference 1.1).",
        fix: "Configure the URL with the escapes decoded (the report shows the decoded form); the other checks run against that decoded URL.",
        source: "reference 1.1 (URL entered decoded)";
    Delivery001 = "TE-DELIVERY-001", Must, "the webhook test (WEBHOOK_TEST) gets a 2xx",
        why: "The Test button in the ThousandEyes webhook settings sends WEBHOOK_TEST, an envelope with no alert; a receiver that refuses it cannot be saved with confidence.",
        fix: "Answer 2xx to every well-formed POST, including an `eventType` you do not act on.",
        source: "reference 1.3 (WEBHOOK_TEST), 1.1 (success criterion)";
    Delivery002 = "TE-DELIVERY-002", Must, "an alert trigger (ALERT_NOTIFICATION_TRIGGER) gets a 2xx",
        why: "Triggers are the notifications the receiver exists for; ThousandEyes counts anything but a 2xx as a failed delivery.",
        fix: "Accept the `alert` object as in the reference samples and answer 2xx.",
        source: "reference 1.3, 1.7 (KB trigger sample)";
    Delivery003 = "TE-DELIVERY-003", Must, "an alert clear (ALERT_NOTIFICATION_CLEAR) gets a 2xx",
        why: "Clears close incidents; a lost clear leaves an alert open forever.",
        fix: "Accept clears (they carry `dateEnd` and `active` 0 or 2) and answer 2xx.",
        source: "reference 1.3, 1.7 (KB clear sample)";
    Delivery004 = "TE-DELIVERY-004", Must, "an agent notification trigger (AGENT_ALERT_NOTIFICATION_TRIGGER) gets a 2xx",
        why: "Agent notifications (clock offset, agent offline, agent version) carry an `agentAlert` object instead of `alert`, with epoch-second dates.",
        fix: "Accept `agentAlert` payloads, or at least answer 2xx to event types you ignore.",
        source: "reference 1.3, 1.6 (agentAlert object)";
    Delivery005 = "TE-DELIVERY-005", Must, "an agent notification clear (AGENT_ALERT_NOTIFICATION_CLEAR) gets a 2xx",
        why: "Same as the trigger: a refused clear leaves the agent problem open.",
        fix: "Accept `agentAlert` clears and answer 2xx.",
        source: "reference 1.3, 1.6 (agentAlert object)";
    Delivery006 = "TE-DELIVERY-006", Should, "a modern agent notification (ALERT_NOTIFICATION_TRIGGER with alert.type \"Agent\") gets a 2xx",
        why: "Payloads captured in 2025 send agent notifications as ALERT_NOTIFICATION_* with `alert.type` \"Agent\", a string UUID `alertId` and the same object duplicated under `agentAlert` (reference 1.3).",
        fix: "Do not assume `alert.agents` or an integer `alertId`; branch on `alert.type`.",
        source: "reference 1.3, 6.1 (agent notifications since October 2021)";
    Delivery007 = "TE-DELIVERY-007", Must, "the receiver answers within the timeout",
        why: "A sender gives up on a receiver that does not answer in time and counts the delivery as failed; ThousandEyes does not document its timeout (reference 5.4), so tesim uses a guess (see docs/checks.md).",
        fix: "Answer first, process later: queue the notification and return 2xx at once.",
        source: "reference 5.4 (timeout undocumented)";
    Delivery008 = "TE-DELIVERY-008", Should, "alert triggers and clears of the later payload eras (v6-2021, v6-2022, modern-2025, or those given with --profile) get a 2xx",
        why: "Payloads changed over the years (reference 1.5, 5.1.11): 2021 captures add `ruleAid`, `testLabels` and `testTargetsDescription`; from October 2021 `severity` and `*Zoned` dates; 2025 captures carry a string UUID `alertId` and 15-digit ids, with `eventId`s of the form `<uuid>--<alertId>`.",
        fix: "Accept `alertId` as a string or a number and do not require era-specific fields.",
        source: "reference 1.5, 5.1.11, 6.1, 6.2 (payload eras)";
    Delivery009 = "TE-DELIVERY-009", Must, "the receiver answers with HTTP (it does not close, reset or send something else)",
        why: "A connection closed or reset before an answer, or bytes that are not an HTTP response, is a failed delivery, and unlike a slow answer it points at a crash, a proxy limit or the wrong port rather than at slow processing.",
        fix: "Check the receiver's logs for a crash on this request, a proxy or load balancer closing it (body or header limits), and that the URL's scheme and port are those of the HTTP(S) listener.",
        source: "reference 1.1 (success criterion: an HTTP answer)";
    Redirect001 = "TE-REDIRECT-001", Must, "a delivery is not answered with a redirect (3xx)",
        why: "ThousandEyes never follows redirects (reference 1.1): a 301, 302, 303, 307 or 308 (an http to https upgrade, a trailing slash added by a router, a moved endpoint) is a failed delivery.",
        fix: "Configure the final URL (the report names the `Location` and the URL to configure), or stop redirecting webhook POSTs.",
        source: "reference 1.1 (redirects not followed)";
    Auth001 = "TE-AUTH-001", Must, "a delivery without credentials is rejected with 401 or 403",
        why: "A receiver that declares auth but accepts anonymous POSTs lets anyone inject fake alerts; deliveries \"work\" and hide the hole.",
        fix: "Check the `Authorization` header on every request before processing it; answer 401 (with `WWW-Authenticate`) when it is missing.",
        source: "reference 1.2 (authentication modes)";
    Auth002 = "TE-AUTH-002", Must, "a delivery with wrong credentials is rejected with 401 or 403",
        why: "Accepting any credentials is the same hole as accepting none.",
        fix: "Compare the credentials (in constant time) with the configured ones; answer 401 or 403 when they differ.",
        source: "reference 1.2 (authentication modes)";
    Auth003 = "TE-AUTH-003", Must, "a delivery with the right credentials gets a 2xx",
        why: "The credentials configured in ThousandEyes must work, as Basic, Bearer token or OAuth 2 bearer token.",
        fix: "Check the scheme (`Basic`, `Bearer`) case-insensitively and decode Basic credentials as base64 of `user:password`.",
        source: "reference 1.2 (authentication modes)";
    Oauth001 = "TE-OAUTH-001", Must, "the token endpoint issues a bearer token for the client credentials grant",
        why: "With OAuth 2 the sender first obtains an access token from the receiver's token endpoint (RFC 6749 section 4.4) and sends it as `Authorization: Bearer`.",
        fix: "Answer `POST grant_type=client_credentials` (client authenticated with HTTP Basic) with JSON `access_token`, `token_type` \"Bearer\" and `expires_in`.",
        source: "reference 1.2; RFC 6749 section 4.4";
    Oauth002 = "TE-OAUTH-002", Must, "an expired access token is rejected with 401",
        why: "Tokens that never expire in practice defeat the point of OAuth; a sender renews its token when told 401.",
        fix: "Store each token's expiry and answer 401 (`WWW-Authenticate: Bearer error=\"invalid_token\"`) once it has passed.",
        source: "RFC 6749 section 5.1 (expires_in); RFC 6750 section 3.1";
    Oauth003 = "TE-OAUTH-003", Should, "the refresh token grant issues a new access token",
        why: "ThousandEyes' OAuth setup is an authorization-code flow whose second half is the refresh token grant (reference 1.2); a refresh token that does not work forces a manual re-authorization.",
        fix: "Answer `POST grant_type=refresh_token&refresh_token=…` with a new access token.",
        source: "reference 1.2; RFC 6749 section 6";
    Robust001 = "TE-ROBUST-001", Must, "a notification with unknown extra fields gets a 2xx",
        why: "ThousandEyes adds fields over the years (`ruleAid`, `testLabels`, `severity`, `*Zoned` dates…) and custom static payload pairs; strict schemas break on the next release.",
        fix: "Ignore unknown fields when parsing (no `deny_unknown_fields`, no `additionalProperties: false`).",
        source: "reference 1.5, 6.1 (fields added over the years)";
    Robust002 = "TE-ROBUST-002", Must, "non-ASCII text (the clock-offset rule's \"≤\") gets a 2xx",
        why: "Rule expressions such as \"Clock Offset ≤ 60 seconds\" are UTF-8; receivers that decode bodies as Latin-1 or ASCII fail on them.",
        fix: "Decode request bodies as UTF-8.",
        source: "reference 1.6, 1.7 (clock-offset rule expression)";
    Robust003 = "TE-ROBUST-003", Must, "a trigger without optional fields gets a 2xx",
        why: "Fields differ between eras and alert types: no `dateEnd` on a trigger, no `locationName`, `apiLinks` or `permalink` in some payloads.",
        fix: "Treat every field but `eventType` and `eventId` as optional.",
        source: "reference 1.5, 1.7 (optional fields)";
    Robust004 = "TE-ROBUST-004", Must, "an alert with 1,000 agents gets a 2xx",
        why: "An alert lists every agent that alerted during its life; large deployments send bodies of hundreds of kilobytes.",
        fix: "Raise the request body limit of the framework or proxy (1 MiB at least).",
        source: "reference 1.5 (`agents` lists every alerting agent)";
    Robust005 = "TE-ROBUST-005", Should, "`Content-Type: application/json; charset=utf-8` gets a 2xx",
        why: "The exact `Content-Type` ThousandEyes sends is not documented (reference 1.1); matching the header byte for byte breaks when a parameter appears.",
        fix: "Compare the media type only, ignoring parameters, or do not depend on `Content-Type` at all.",
        source: "reference 1.1 (Content-Type undocumented)";
    Robust006 = "TE-ROBUST-006", Must, "50 concurrent deliveries all get a 2xx",
        why: "Alert storms deliver many notifications at once, one per alert.",
        fix: "Handle requests concurrently and answer before slow processing; check worker and connection limits.",
        source: "reference 6.6 (bunched deliveries)";
    Robust007 = "TE-ROBUST-007", Should, "the receiver keeps the connection open between deliveries (HTTP/1.1 keep-alive)",
        why: "Senders reuse connections; a receiver that closes every connection costs a TCP and TLS handshake per notification.",
        fix: "Do not send `Connection: close`; keep idle connections open for some seconds.",
        source: "RFC 9112 section 9.3 (persistent connections)";
    Semantics001 = "TE-SEMANTICS-001", Must, "a duplicated eventId is processed once",
        why: "Every ThousandEyes POST has a unique `eventId` (reference 1.3); the same id again is a redelivery, and processing it twice pages people twice.",
        fix: "Remember the `eventId`s processed recently and acknowledge repeats (2xx) without processing them.",
        source: "reference 1.3, 1.4 (eventId unique per POST)";
    Semantics002 = "TE-SEMANTICS-002", Must, "an alert clear is correlated with its trigger by alertId",
        why: "Trigger and clear of one alert share `alert.alertId` and have different `eventId`s; correlating by anything else leaves alerts open.",
        fix: "Key alerts by `alert.alertId` and close that alert on ALERT_NOTIFICATION_CLEAR.",
        source: "reference 1.3, 1.5 (trigger and clear share alertId)";
    Semantics003 = "TE-SEMANTICS-003", Must, "an agent notification clear is correlated with its trigger",
        why: "Agent notifications correlate by `agentAlert.agentNotificationId` (KB era) or `alertId` (modern payloads).",
        fix: "Key agent notifications by `agentNotificationId`, falling back to `alertId`.",
        source: "reference 1.6 (agentNotificationId)";
    Semantics004 = "TE-SEMANTICS-004", Must, "a clear that arrives before its trigger does not break the receiver",
        why: "Deliveries of different requests can overtake each other (retries, parallel workers); a clear for an unknown alert must not crash processing or create two alerts.",
        fix: "Accept a clear for an unknown alert (record it as cleared) and keep one record per `alertId`.",
        source: "reference 6.6 (late, bunched deliveries)";
    Semantics005 = "TE-SEMANTICS-005", Should, "a trigger arriving after its clear does not reopen the alert",
        why: "An `alertId` names one alert occurrence: once cleared it never triggers again (a new occurrence gets a new `alertId`), so a late trigger is stale.",
        fix: "Ignore a trigger for an `alertId` already cleared.",
        source: "reference 1.5 (an alertId is one occurrence)";
    Semantics006 = "TE-SEMANTICS-006", Should, "a modern-2025 clear is correlated with its trigger by its UUID alertId",
        why: "2025 captures carry `alertId` as a UUID string and `eventId`s of the form `<uuid>--<alertId>` (reference 1.4, 1.5); a receiver keyed on integer ids, or on the `eventId` suffix parsed as a number, loses the correlation.",
        fix: "Key alerts by `alert.alertId` as a string, whatever its shape.",
        source: "reference 1.4, 1.5, 6.2 (modern ids)";
    Fidelity001 = "TE-FIDELITY-001", Must, "agent notifications sent as ALERT_NOTIFICATION_* with alert.type \"Agent\" are recorded and their clears close them",
        why: "Since October 2021 agent notifications (agent offline, clock offset, version) arrive as ALERT_NOTIFICATION_TRIGGER/CLEAR with `alert.type` \"Agent\", an integer `alertId` and the body also under `agentAlert`; the AGENT_* types belong to the KB era only. A receiver that knows agent notifications only as AGENT_* answers 2xx and loses them. Sends the v6-2022 and modern-2025 forms; without `--observe` it judges the 2xx only and reports SKIP.",
        fix: "Branch on `alert.type` (\"Agent\") before reading test-alert fields such as `alert.agents` or `testId`, and correlate trigger and clear by `alertId`.",
        source: "reference 6.1 (agent notifications changed in October 2021), 6.2";
    Fidelity002 = "TE-FIDELITY-002", Must, "ids above 2^32 (15-digit alertId, ruleId, testId) are kept exactly",
        why: "Modern accounts have 15-digit ids (`testId` 562949953502258, `ruleId` 562949955720954, agent-notification `alertId` 562949955000593); a receiver storing them in 32 bits (an `int` column, a Java `int`) truncates them and correlates the wrong alerts. The check compares the ids the hook reports with those sent, as text.",
        fix: "Store ids as 64-bit integers or strings (a JavaScript `Number` is exact up to 2^53, enough for today's ids; a string is safest).",
        source: "reference 6.2 (ids in modern accounts)";
    Fidelity003 = "TE-FIDELITY-003", Must, "dateStart in a non-UTC account time zone is not read as UTC",
        why: "Classic `dateStart`/`dateEnd` are the account's wall-clock time without a zone identifier; only `dateStartZoned` names the zone (EST in January, EDT in July for New York). A receiver that reads `dateStart` as UTC is 4 to 5 hours off in New York, and disagrees with the API, which answers in UTC. Judged through the hook's optional `start` (SKIP when the hook does not report it).",
        fix: "Read the zone from `dateStartZoned` (or configure the account's zone in the receiver) and convert to UTC before storing.",
        source: "reference 6.1 (dateStart in the organization's time zone)";
    Pathology001 = "TE-PATHOLOGY-001", Must, "a trigger that is never cleared does not block later alerts of the same rule and test",
        why: "A rule may be set not to notify on clear: its trigger is never followed by a clear. A receiver that keeps one open incident per rule and test, waiting for the clear, drops every later alert of that rule.",
        fix: "Key incidents by `alertId`, never by rule and test, and do not wait for a clear: it may never come.",
        source: "reference 6.3 (clear notifications are optional)";
    Pathology002 = "TE-PATHOLOGY-002", Must, "a burst of 50 queued notifications with minutes-old dateStart is accepted and none is dropped",
        why: "After an outage ThousandEyes delivered queued notifications late and in a burst; a receiver that rate-limits alert storms, or drops alerts it thinks are stale, loses real alerts exactly when they matter.",
        fix: "Queue and process every accepted notification; never drop one for its age or for the rate of arrival (answer 429 or 503 if you must shed load, so the delivery fails visibly).",
        source: "reference 6.6 (late, bunched deliveries)";
    Pathology003 = "TE-PATHOLOGY-003", Should, "a retry sent while the first delivery is still being processed is processed once",
        why: "A sender that gave up waiting for a slow answer may deliver the same `eventId` again while the first copy is still being processed; deduplicating only once processing has finished lets both copies through and pages twice. Whether and when ThousandEyes retries is undocumented (reference 5.4), hence SHOULD.",
        fix: "Claim the `eventId` atomically when the delivery arrives (insert-if-absent in the store), before processing, and acknowledge copies that find it claimed.",
        source: "reference 1.3 (eventId unique per POST), 5.4 (retries undocumented), 6.6";
    Tls001 = "TE-TLS-001", Must, "the certificate chain verifies against public roots",
        why: "ThousandEyes verifies the receiver's certificate and refuses the delivery when it does not verify; its trust store is not documented, so tesim assumes public CAs only (the Mozilla set, as webpki-roots ships it): a self-signed certificate or a private CA that verifies with --ca-cert here is a WARN, since ThousandEyes cannot know that CA.",
        fix: "Serve a certificate from a public CA (Let's Encrypt, your cloud provider's) and send the full chain: the leaf, then every intermediate.",
        source: "guess: ThousandEyes does not document its trust store; RFC 5280 section 6 (path validation)";
    Tls002 = "TE-TLS-002", Must, "the certificate names the target's host (SNI/SAN)",
        why: "ThousandEyes requires the SNI it sends (the URL's host) to match a subject alternative name of the certificate (reference 1.1); an IP address in the URL needs an IP address SAN.",
        fix: "Issue the certificate for the host name of the webhook URL (a DNS SAN), or for its IP address (an IP SAN), and serve it for that SNI.",
        source: "reference 1.1 (SNI must match a SAN); RFC 6125 section 6";
    Tls003 = "TE-TLS-003", Must, "the receiver accepts TLS 1.2 or TLS 1.3",
        why: "A handshake in a version the sender does not speak fails before any HTTP; ThousandEyes does not document its versions, so tesim assumes TLS 1.2 and 1.3 and reports which the receiver accepts (TLS 1.0 and 1.1 cannot be probed: rustls does not implement them).",
        fix: "Enable TLS 1.2 and TLS 1.3 on the receiver or its TLS terminator.",
        source: "guess: versions undocumented; RFC 8446 (TLS 1.3), RFC 8996 (TLS 1.0 and 1.1 deprecated)";
    Tls004 = "TE-TLS-004", Must, "the certificate is within its validity period",
        why: "An expired certificate, or one not valid yet, fails verification: every delivery fails until it is renewed.",
        fix: "Renew the certificate before it expires (automate it, e.g. with ACME) and check the issuing machine's clock.",
        source: "RFC 5280 section 4.1.2.5 (validity)";
}

/// The catalogue as Markdown: the body of `docs/checks.md` between its generated markers.
pub fn catalogue_markdown() -> String {
    let mut out = String::new();
    let mut group = "";
    for check in CATALOGUE {
        if check.group() != group {
            group = check.group();
            if out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("### {}\n\n", group_title(group)));
        }
        out.push_str(&format!(
            "#### `{}` ({}): {}\n\n- **Why:** {}\n- **Fix:** {}\n- **Source:** {}\n\n",
            check.id, check.level, check.title, check.why, check.fix, check.source
        ));
    }
    out
}

fn group_title(group: &str) -> &str {
    match group {
        "URL" => "URL form",
        "DELIVERY" => "Delivery",
        "REDIRECT" => "Redirects",
        "AUTH" => "Authentication",
        "OAUTH" => "OAuth 2",
        "ROBUST" => "Robustness",
        "SEMANTICS" => "Semantics (need `--observe`)",
        "FIDELITY" => "Fidelity to what ThousandEyes sends today (need `--observe`)",
        "PATHOLOGY" => "Delivery pathologies (need `--observe`)",
        "TLS" => "TLS (https targets)",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_grouped_in_order() {
        let mut seen = std::collections::HashSet::new();
        let mut groups: Vec<&str> = Vec::new();
        for check in CATALOGUE {
            assert!(seen.insert(check.id), "duplicate id {}", check.id);
            let number = check.id.rsplit('-').next().unwrap();
            assert!(
                check.id.starts_with("TE-") && number.len() == 3 && number.parse::<u16>().is_ok(),
                "{}",
                check.id
            );
            if groups.last() != Some(&check.group()) {
                assert!(
                    !groups.contains(&check.group()),
                    "group {} is split",
                    check.group()
                );
                groups.push(check.group());
            }
            assert!(
                !check.title.ends_with('.') && check.why.ends_with('.') && check.fix.ends_with('.'),
                "{}",
                check.id
            );
        }
    }
}
