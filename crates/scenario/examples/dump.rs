//! Prints the notifications of a scenario in one profile, one JSON payload per line.
#![allow(clippy::print_stdout, missing_docs)]

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "default".to_owned());
    let profile: tesim_model::Profile = args
        .next()
        .as_deref()
        .unwrap_or("kb2014")
        .parse()
        .expect("profile");
    let source = tesim_scenario::load(&name).expect("load");
    match source.compile(tesim_scenario::Options::default()) {
        Ok(timeline) => {
            for timed in &timeline.notifications {
                println!("{}", tesim_model::render(profile, timed).to_json());
            }
        }
        Err(err) => println!("{err}"),
    }
}
