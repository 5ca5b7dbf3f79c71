//! Flags shared by several commands, and the parsers of their values: one struct per group so
//! that `simulate`, `send` and `template send` spell them alike.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tesim_model::Profile;
use tesim_sender::Speed;

/// Which scenario to play, and how: shared by `simulate`, `send` and `template send`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioArgs {
    /// Built-in scenario name or path to a .toml file [default: `default`, `storm` with --load].
    #[arg(long, value_name = "NAME|PATH")]
    pub scenario: Option<String>,
    /// Payload era of classic webhooks: kb2014, v6-2021, v6-2022, modern-2025, or `current`
    /// (the newest).
    #[arg(long, default_value = "kb2014")]
    pub profile: Profile,
    /// Seed for generated ids: the same seed sends the same bytes. `random` picks a new seed
    /// (printed, so the run can be repeated) for fresh ids a de-duplicating receiver accepts.
    #[arg(long, value_name = "N|random", default_value = "1", value_parser = seed)]
    pub seed: Seed,
    /// Same as `--seed random`: fresh event and alert ids on every run.
    #[arg(long, conflicts_with = "seed")]
    pub fresh_ids: bool,
    /// `now`, or the instant of the scenario's start (`YYYY-MM-DD hh:mm:ss`).
    #[arg(long)]
    pub start: Option<String>,
    /// The account's IANA time zone (`America/New_York`): webhook `dateStart`/`dateEnd` in its
    /// wall-clock time, `*Zoned` dates with its abbreviation; overrides the scenario's.
    #[arg(long, value_name = "IANA_ZONE")]
    pub timezone: Option<String>,
    /// `max` (no waiting, order per alert kept), `realtime`, or a factor N (N× real time).
    #[arg(long, default_value = "max", conflicts_with = "realtime")]
    pub speed: Speed,
    /// Same as `--speed realtime`.
    #[arg(long)]
    pub realtime: bool,
}

/// A `--seed` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// This seed.
    Fixed(u64),
    /// A new one for each run.
    Random,
}

fn seed(text: &str) -> Result<Seed, String> {
    if text == "random" {
        return Ok(Seed::Random);
    }
    text.parse().map(Seed::Fixed).map_err(|_| {
        format!("`{text}` is not a seed; give a whole number such as 7, or `random` for fresh ids")
    })
}

impl ScenarioArgs {
    /// The scenario to play, `default_name` when none was given.
    pub fn scenario_or(&self, default_name: &str) -> String {
        self.scenario
            .clone()
            .unwrap_or_else(|| default_name.to_owned())
    }

    /// The speed, with `--realtime` folded in.
    pub fn speed(&self) -> Speed {
        if self.realtime {
            Speed::Realtime
        } else {
            self.speed
        }
    }

    /// The compiled scenario, with `--start` and `--timezone` applied.
    pub fn timeline(&self, scenario: &str, seed: u64) -> anyhow::Result<tesim_scenario::Timeline> {
        use anyhow::Context as _;
        let options = self.options(seed)?;
        tesim_pipeline::plan::timeline_in(scenario, seed, options.start, options.time_zone)
            .context("--scenario")
    }

    /// The scenario's events, made one at a time (long scenarios are streamed, not compiled
    /// whole), with `--start` and `--timezone` applied.
    pub fn events(&self, scenario: &str, seed: u64) -> anyhow::Result<tesim_scenario::Events> {
        use anyhow::Context as _;
        let options = self.options(seed)?;
        tesim_pipeline::plan::events_in(scenario, seed, options.start, options.time_zone)
            .context("--scenario")
    }

    /// `--seed`, `--start` and `--timezone` as the compiler takes them; `--start now` is read
    /// here, once.
    pub fn options(&self, seed: u64) -> anyhow::Result<tesim_scenario::Options> {
        use anyhow::Context as _;
        let start = tesim_pipeline::plan::start(self.start.as_deref()).context("--start")?;
        let time_zone = self
            .timezone
            .as_deref()
            .map(tesim_model::AccountZone::parse)
            .transpose()
            .context("--timezone")?;
        Ok(tesim_scenario::Options {
            seed,
            start,
            time_zone,
        })
    }

    /// The seed of this run, and whether it was picked at random (then the caller prints it).
    pub fn seed(&self) -> (u64, bool) {
        match (self.seed, self.fresh_ids) {
            (Seed::Fixed(seed), false) => (seed, false),
            _ => (random_seed(), true),
        }
    }
}

/// A seed nobody chose: the clock's nanoseconds mixed with the process id (no randomness crate
/// for one number; it only has to differ between runs).
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    // splitmix64 finaliser, so neighbouring instants give unrelated seeds.
    let mut mixed = nanos ^ (u64::from(std::process::id()) << 32);
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (mixed ^ (mixed >> 31)) % 1_000_000_000
}

/// What every sending command prints: `-q` only failures, `-v` the payloads too.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct OutputArgs {
    /// Show only failed deliveries and the summary.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each payload under its line.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// A `--listen` address: `8082`, `:8082`, `localhost:8082`, `127.0.0.1:8082` or `[::1]:8082`.
/// A bare port or `:PORT` listens on loopback, never on every interface.
pub fn listen_addr(text: &str) -> Result<SocketAddr, String> {
    let refuse = || {
        format!(
            "`{text}` is not an address to listen on; write a port (8082), :8082, localhost:8082 or 127.0.0.1:8082 (port 0 picks a free one)"
        )
    };
    let text = text.trim();
    if let Ok(port) = text.strip_prefix(':').unwrap_or(text).parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    match text.rsplit_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case("localhost") => {
            let port = port.parse::<u16>().map_err(|_| refuse())?;
            Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        }
        _ => Err(refuse()),
    }
}

/// The text of a `FILE|-` argument: the file, or standard input for `-`.
pub fn read_input(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context as _;
    use std::io::Read as _;
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_accepts_the_usual_spellings() {
        for (text, expected) in [
            ("8082", "127.0.0.1:8082"),
            (":8083", "127.0.0.1:8083"),
            ("localhost:8084", "127.0.0.1:8084"),
            ("127.0.0.1:0", "127.0.0.1:0"),
            ("0.0.0.0:9000", "0.0.0.0:9000"),
            ("[::1]:8085", "[::1]:8085"),
        ] {
            assert_eq!(listen_addr(text).unwrap().to_string(), expected, "{text}");
        }
    }

    #[test]
    fn listen_refuses_with_an_example() {
        for text in [
            "example.com:80",
            "localhost",
            "http://127.0.0.1:8080",
            "99999",
        ] {
            let err = listen_addr(text).unwrap_err();
            assert!(err.contains("localhost:8082"), "{text}: {err}");
        }
    }

    #[test]
    fn seed_is_a_number_or_random() {
        assert_eq!(seed("7").unwrap(), Seed::Fixed(7));
        assert_eq!(seed("random").unwrap(), Seed::Random);
        assert!(seed("x").unwrap_err().contains("`random`"));
        assert_ne!(random_seed(), u64::MAX);
    }
}
