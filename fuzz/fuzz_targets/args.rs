//! The small parsers behind command-line values: scenario offsets (`30s`, `1h30m`), fault
//! specs of `tesim api` (durations, rates, `ROUTE=FAULTS`), `--target` URLs and `--auth`
//! specs. Any text gives a value or an error message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(duration) = tesim_scenario::offset::parse(text) {
        let _ = tesim_scenario::offset::display(duration);
    }
    let _ = tesim_api::config::parse_duration(text).map_err(|err| err.to_string());
    let _ = tesim_api::config::parse_rate(text).map_err(|err| err.to_string());
    let _ = tesim_api::config::parse_route_faults(text).map_err(|err| err.to_string());
    match text.parse::<tesim_sender::Target>() {
        Ok(target) => {
            let _ = (target.to_string(), format!("{target:?}"));
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
    // `env:` and `file:` secrets read the environment and the disk: not this target's job
    // (and `file:/dev/zero` would only measure the disk).
    if !text.contains("env:") && !text.contains("file:") {
        let _ = text
            .parse::<tesim_sender::Auth>()
            .map_err(|err| err.to_string());
    }
});
