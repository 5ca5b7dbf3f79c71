//! The scenario parser and compiler (`tesim_scenario::Source::compile`): any text gives a
//! timeline or diagnostics with positions inside the text, never a panic, an abort or an
//! allocation the size of a `count`.
//!
//! Byte 0 picks the seed, so the generators' random choices are explored too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tesim_scenario::{Options, ScenarioError, Source};

fuzz_target!(|data: &[u8]| {
    let [seed, rest @ ..] = data else {
        return;
    };
    // As a user's file is read: size and UTF-8 checked first (non-UTF-8 is a diagnostic).
    let Ok(source) = Source::from_bytes("fuzz", rest) else {
        return;
    };
    let options = Options {
        seed: u64::from(*seed),
        ..Options::default()
    };
    match source.compile(options) {
        Ok(timeline) => {
            let offsets = timeline.notifications.windows(2);
            for pair in offsets {
                assert!(pair[0].offset <= pair[1].offset, "offsets went back in time");
            }
            let _ = timeline.duration();
        }
        Err(ScenarioError::Invalid { diagnostics, .. }) => {
            assert!(!diagnostics.is_empty(), "an invalid scenario without a diagnostic");
            for diagnostic in &diagnostics {
                let _ = diagnostic.to_string();
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
