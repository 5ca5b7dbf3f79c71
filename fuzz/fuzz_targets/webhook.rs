//! The classic webhook parser a receiver would use (`tesim_model::webhook::parse_event`):
//! any text gives a value or an error naming a field, never a panic; what parses, written
//! back with `to_json`, parses again to the same event type and correlation id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tesim_model::webhook::parse_event;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_event(text) {
        Ok(event) => {
            let written = event.to_json();
            let again = parse_event(&written)
                .unwrap_or_else(|err| panic!("to_json output does not parse: {err}\n{written}"));
            assert_eq!(again.event_type(), event.event_type());
            assert_eq!(again.correlation_id(), event.correlation_id());
        }
        Err(err) => {
            let _ = err.to_string();
            let _ = err.path();
        }
    }
});
