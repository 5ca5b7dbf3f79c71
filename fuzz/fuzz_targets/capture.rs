//! What tesim reads from a receiver's side of the wire: the capture receiver's loose reading
//! of a posted body (`EventSummary`, the one-line summary `tesim listen` prints) and the
//! observation document (`tesim.observation/v1`) `tesim check --observe` fetches; and the
//! readers of what tesim wrote or captured: the delivery log (`parse_log_line`), captures, HAR
//! and raw payloads (`tesim_capture::read_payloads`), and era identification of what they hold.
#![no_main]

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use tesim_receiver::{CapturedRequest, EventSummary, Records};

fuzz_target!(|data: &[u8]| {
    let json: Option<serde_json::Value> = serde_json::from_slice(data).ok();
    if let Some(value) = &json {
        if let Some(summary) = EventSummary::from_json(value) {
            let _ = summary.to_string();
            let _ = summary.is_clear();
        }
    }
    let request = CapturedRequest {
        method: http::Method::POST,
        path_and_query: "/hook?x=1".to_owned(),
        headers: http::HeaderMap::new(),
        body: data.to_vec().into(),
        json,
        received_at: SystemTime::UNIX_EPOCH,
        connection_id: 1,
        answered: Some(http::StatusCode::OK),
    };
    let _ = request.summary();
    if let Ok(records) = serde_json::from_slice::<Records>(data) {
        let _ = serde_json::to_string(&records);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            let _ = tesim_sender::parse_log_line(line);
        }
        if let Ok(payloads) = tesim_capture::read_payloads(text) {
            let catalogue = catalogue();
            for payload in payloads.iter().take(16) {
                if let Ok(value) = payload.json() {
                    let _ = catalogue.identify(&value);
                }
            }
        }
    }
});

/// Learnt once: rendering every built-in scenario per input would drown the fuzzer.
fn catalogue() -> &'static tesim_capture::Catalogue {
    static CATALOGUE: std::sync::OnceLock<tesim_capture::Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(tesim_capture::Catalogue::builtin)
}
