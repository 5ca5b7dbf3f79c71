//! The domain reference's complete payload examples, one file each under
//! `crates/model/samples/`, so that tests, fuzz seed corpora and tools share one copy.
//!
//! File names start with the era the sample belongs to. `*-reconstructed` samples were filled
//! in from the reference's description where the source printed only part of them.

/// `WEBHOOK_TEST`, KB article (2014).
pub const KB2014_WEBHOOK_TEST: &str = include_str!("../samples/kb2014-webhook-test.json");
/// Page-load `ALERT_NOTIFICATION_TRIGGER`, KB article (2014).
pub const KB2014_TRIGGER: &str = include_str!("../samples/kb2014-trigger.json");
/// Its `ALERT_NOTIFICATION_CLEAR`, reconstructed from the KB's description.
pub const KB2014_CLEAR: &str = include_str!("../samples/kb2014-clear-reconstructed.json");
/// `AGENT_ALERT_NOTIFICATION_TRIGGER`, KB article.
pub const KB2014_AGENT_TRIGGER: &str = include_str!("../samples/kb2014-agent-trigger.json");
/// `AGENT_ALERT_NOTIFICATION_CLEAR`, KB article.
pub const KB2014_AGENT_CLEAR: &str = include_str!("../samples/kb2014-agent-clear.json");
/// HTTP Server `ALERT_NOTIFICATION_TRIGGER`, a 2021 capture.
pub const V6_2021_HTTP_SERVER_TRIGGER: &str =
    include_str!("../samples/v6-2021-http-server-trigger.json");
/// Agent-offline notification as `ALERT_NOTIFICATION_TRIGGER`, a 2025 capture (keephq/keep's
/// ThousandEyes provider mock, reference [keep]).
pub const MODERN_2025_AGENT_TRIGGER: &str =
    include_str!("../samples/modern-2025-agent-trigger.json");
/// HTTP Server `ALERT_NOTIFICATION_CLEAR` with test labels, the same 2025 capture.
pub const MODERN_2025_HTTP_SERVER_CLEAR: &str =
    include_str!("../samples/modern-2025-http-server-clear.json");

/// Every sample by file stem, oldest era first.
pub const ALL: &[(&str, &str)] = &[
    ("kb2014-webhook-test", KB2014_WEBHOOK_TEST),
    ("kb2014-trigger", KB2014_TRIGGER),
    ("kb2014-clear-reconstructed", KB2014_CLEAR),
    ("kb2014-agent-trigger", KB2014_AGENT_TRIGGER),
    ("kb2014-agent-clear", KB2014_AGENT_CLEAR),
    ("v6-2021-http-server-trigger", V6_2021_HTTP_SERVER_TRIGGER),
    ("modern-2025-agent-trigger", MODERN_2025_AGENT_TRIGGER),
    (
        "modern-2025-http-server-clear",
        MODERN_2025_HTTP_SERVER_CLEAR,
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_sample_is_json() {
        for (name, text) in super::ALL {
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_or_else(|err| panic!("{name}: {err}"));
        }
    }
}
