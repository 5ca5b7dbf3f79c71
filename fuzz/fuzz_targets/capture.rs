//! What tesim reads from a receiver's side of the wire: the capture receiver's loose reading
//! of a posted body (`EventSummary`, the one-line summary `tesim listen` prints) and the
//! observation document (`tesim.observation/v1`) `tesim check --observe` fetches.
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
});
