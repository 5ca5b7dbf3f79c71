//! The capture records a receiver keeps for its history API (`GET /_tesim/requests`, `DELETE`
//! to clear): the newest [`HISTORY_LIMIT`] requests, masked like a capture file.

use std::collections::VecDeque;

use tesim_capture::CaptureRecord;

/// Default path of the history API.
pub const HISTORY_PATH: &str = "/_tesim/requests";

/// Records kept; older ones are dropped first, so a long session cannot grow memory.
pub const HISTORY_LIMIT: usize = 1000;

#[derive(Debug, Default)]
pub(crate) struct History {
    records: VecDeque<CaptureRecord>,
}

impl History {
    pub(crate) fn push(&mut self, record: CaptureRecord) {
        if self.records.len() == HISTORY_LIMIT {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.records
                .iter()
                .map(|record| serde_json::to_value(record).unwrap_or_default())
                .collect(),
        )
    }
}
