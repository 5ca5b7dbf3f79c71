//! Payload profiles: the eras of classic webhook payloads that receivers meet in the wild.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which era of classic webhook payloads to write (reference §5.1.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// The KB article's samples (2014–2019): integer `alertId`, `eventId` `"<seq>-<alertId>"`,
    /// agent notifications as `AGENT_ALERT_NOTIFICATION_*` with epoch-second dates and
    /// `agentNotificationId`, `locationName` on agents, no top-level `active`.
    #[default]
    #[serde(rename = "kb2014")]
    Kb2014,
    /// 2021 captures: adds `active` (0/1/2, 2 = rule modified or removed), `ruleAid`,
    /// `testLabels`, `testTargetsDescription`, `metricsAtEnd` `""` while active and
    /// `"N/A (rule modified or removed from test)"` when the rule went away.
    #[serde(rename = "v6-2021")]
    V6_2021,
    /// 2025 captures: UUID `alertId`, `severity`, `dateStartZoned`/`dateEndZoned`; agent
    /// notifications as `ALERT_NOTIFICATION_*` with `alert.type` `"Agent"` and the same body
    /// under `agentAlert`.
    #[serde(rename = "modern-2025")]
    Modern2025,
}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 3] = [Profile::Kb2014, Profile::V6_2021, Profile::Modern2025];

    /// The name used by `--profile` and in snapshot names.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Kb2014 => "kb2014",
            Profile::V6_2021 => "v6-2021",
            Profile::Modern2025 => "modern-2025",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown profile name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payload profile `{0}`; use one of kb2014, v6-2021, modern-2025")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.name() == text)
            .ok_or_else(|| UnknownProfile(text.to_owned()))
    }
}
