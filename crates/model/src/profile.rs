//! Payload profiles: the eras of classic webhook payloads that receivers meet in the wild.
//!
//! An era is data: one [`Era`] row of named traits in [`ERAS`]. The renderers
//! ([`crate::render`], [`crate::api_v6`], [`crate::api_v7`]) read traits, never the profile's
//! name, so adding an era means adding a row; the README's era table is generated from the same
//! rows ([`markdown_table`]) and a test fails when the two drift apart.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which era of classic webhook payloads to write (reference §5.1.11, §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// The KB article's samples (2014–2019).
    #[default]
    #[serde(rename = "kb2014")]
    Kb2014,
    /// 2021 captures, up to September 2021.
    #[serde(rename = "v6-2021")]
    V6_2021,
    /// October 2021 to 2023: agent notifications as `ALERT_NOTIFICATION_*`, zoned dates,
    /// severity, integer `alertId` (2022 captures).
    #[serde(rename = "v6-2022")]
    V6_2022,
    /// 2024 on (2025 captures): UUID `alertId`, 15-digit ids.
    #[serde(rename = "modern-2025")]
    Modern2025,
}

/// The name `--profile` also accepts for "what ThousandEyes sends today": the newest era.
pub const CURRENT_ALIAS: &str = "current";

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 4] = [
        Profile::Kb2014,
        Profile::V6_2021,
        Profile::V6_2022,
        Profile::Modern2025,
    ];

    /// What ThousandEyes sends today (`--profile current`).
    pub const CURRENT: Profile = Profile::Modern2025;

    /// The name used by `--profile` and in snapshot names.
    pub fn name(self) -> &'static str {
        self.era().name
    }

    /// The era's traits.
    pub fn era(self) -> &'static Era {
        // ERAS is indexed by the enum's order; the `eras_are_in_profile_order` test keeps it so.
        &ERAS[self as usize]
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown profile name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown payload profile `{0}`; use one of kb2014, v6-2021, v6-2022, modern-2025, or current (= the newest)"
)]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == CURRENT_ALIAS {
            return Ok(Profile::CURRENT);
        }
        Profile::ALL
            .into_iter()
            .find(|profile| profile.name() == text)
            .ok_or_else(|| UnknownProfile(text.to_owned()))
    }
}

/// How an era writes the `alertId` of a test alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertIdKind {
    /// `35541`; `eventId` `"<seq>-<alertId>"`.
    Integer,
    /// `"5abda706-…"`; `eventId` `"<uuid>--<alertId>"`.
    Uuid,
}

/// How large an era's numeric ids are (reference §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdSize {
    /// The scenario's own numbers (`5370`, `2032597`).
    Small,
    /// 15 digits, 2^49 plus the scenario's number (`562949953502258`): test, rule, account,
    /// label, agent-notification agent and alert ids, and agent `eventId` halves. Cloud-agent
    /// ids in `agents[]` stay small.
    Large,
}

/// Offset of modern ids: every 2025 id in the captures is 2^49 plus a small number
/// (562949953502258 = 2^49 + 80946), so tesim writes them so (inferred from [keep]).
pub const LARGE_ID_BASE: u64 = 1 << 49;

impl IdSize {
    /// The wire form of a scenario id.
    pub fn id(self, small: u64) -> u64 {
        match self {
            IdSize::Small => small,
            IdSize::Large => LARGE_ID_BASE.saturating_add(small),
        }
    }

    /// The scenario id behind a wire id, when `wire` can be one of this size.
    pub fn scenario_id(self, wire: u64) -> Option<u64> {
        match self {
            IdSize::Small => Some(wire),
            IdSize::Large => wire.checked_sub(LARGE_ID_BASE),
        }
    }
}

/// `ruleAid` of test alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleAid {
    /// Not written.
    Absent,
    /// Always `0` (2021 capture).
    Zero,
    /// The account group's id.
    Account,
}

/// Agents' `metricsAtEnd` while the alert is active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActiveMetrics {
    /// The latest round (KB samples).
    LatestRound,
    /// `""`.
    Empty,
}

/// The app permalink's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermalinkForm {
    /// `/alerts/list?__a=` (KB).
    NoSlash,
    /// `/alerts/list/?__a=`.
    Slash,
}

/// The `apiLinks` of test alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkVersion {
    /// `http://api.thousandeyes.com/tests/…` (KB).
    Unversioned,
    /// `https://api.thousandeyes.com/v4/…` (still v4 in 2025).
    V4,
}

/// How agent notifications travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentEvents {
    /// `AGENT_ALERT_NOTIFICATION_*`, body under `agentAlert` only, epoch-second dates,
    /// `agentNotificationId`, `agentRuleId`, `active`, metrics.
    AgentTypes,
    /// `ALERT_NOTIFICATION_*` with `alert.type` `"Agent"`, the body under both `alert` and
    /// `agentAlert`, classic date strings, integer `alertId`, `ruleId` (reference §6.1).
    AlertTypes,
}

/// How Device Data and Device Status notifications travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceEvents {
    /// Before October 2021: `deviceAlert` only, epoch-second dates, Device Status clears without
    /// `dateEnd` (inferred from the release note's list of what changed).
    Legacy,
    /// October 2021 on: the standard notifier, the body under `alert` and the deprecated
    /// `deviceAlert`, date strings, `dateEnd` on every clear (reference §6.1).
    Standard,
}

/// One era of classic payloads, as named traits. [`ERAS`] holds every era.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Era {
    /// The profile this row describes.
    pub profile: Profile,
    /// `--profile` name.
    pub name: &'static str,
    /// When ThousandEyes sent this shape.
    pub applied: &'static str,
    /// The captures it is built from (reference source keys).
    pub sources: &'static str,
    /// Test-alert `alertId` (and the `eventId` built from it).
    pub alert_id: AlertIdKind,
    /// Numeric id size.
    pub ids: IdSize,
    /// Top-level `alert.active` (`1`/`0`/`2`).
    pub top_level_active: bool,
    /// `ruleAid`.
    pub rule_aid: RuleAid,
    /// `testLabels` and `testTargetsDescription`.
    pub test_context: bool,
    /// Agents' `metricsAtEnd` while active.
    pub active_metrics: ActiveMetrics,
    /// Agents' `locationName`.
    pub location_name: bool,
    /// Title-case `severity` (`"Major"`).
    pub severity: bool,
    /// `dateStartZoned` / `dateEndZoned`.
    pub zoned_dates: bool,
    /// Permalink path.
    pub permalink: PermalinkForm,
    /// `apiLinks` form.
    pub api_links: LinkVersion,
    /// Agent notifications.
    pub agent_events: AgentEvents,
    /// Device notifications.
    pub device_events: DeviceEvents,
}

/// Every era, oldest first, in [`Profile`] order.
pub const ERAS: [Era; 4] = [
    Era {
        profile: Profile::Kb2014,
        name: "kb2014",
        applied: "2014–2019 (the KB article)",
        sources: "[kb-md]",
        alert_id: AlertIdKind::Integer,
        ids: IdSize::Small,
        top_level_active: false,
        rule_aid: RuleAid::Absent,
        test_context: false,
        active_metrics: ActiveMetrics::LatestRound,
        location_name: true,
        severity: false,
        zoned_dates: false,
        permalink: PermalinkForm::NoSlash,
        api_links: LinkVersion::Unversioned,
        agent_events: AgentEvents::AgentTypes,
        device_events: DeviceEvents::Legacy,
    },
    Era {
        profile: Profile::V6_2021,
        name: "v6-2021",
        applied: "2020 – September 2021",
        sources: "[tebot]",
        alert_id: AlertIdKind::Integer,
        ids: IdSize::Small,
        top_level_active: true,
        rule_aid: RuleAid::Zero,
        test_context: true,
        active_metrics: ActiveMetrics::Empty,
        location_name: false,
        severity: false,
        zoned_dates: false,
        permalink: PermalinkForm::Slash,
        api_links: LinkVersion::V4,
        agent_events: AgentEvents::AgentTypes,
        device_events: DeviceEvents::Legacy,
    },
    Era {
        profile: Profile::V6_2022,
        name: "v6-2022",
        applied: "October 2021 – 2023",
        sources: "[rn-2021-10] [ezabala]",
        alert_id: AlertIdKind::Integer,
        ids: IdSize::Small,
        top_level_active: true,
        rule_aid: RuleAid::Account,
        test_context: true,
        active_metrics: ActiveMetrics::Empty,
        location_name: false,
        severity: true,
        zoned_dates: true,
        permalink: PermalinkForm::Slash,
        api_links: LinkVersion::V4,
        agent_events: AgentEvents::AlertTypes,
        device_events: DeviceEvents::Standard,
    },
    Era {
        profile: Profile::Modern2025,
        name: "modern-2025",
        applied: "2024 on (`current`)",
        sources: "[keep] [cisco-dev]",
        alert_id: AlertIdKind::Uuid,
        ids: IdSize::Large,
        top_level_active: true,
        rule_aid: RuleAid::Account,
        test_context: true,
        active_metrics: ActiveMetrics::Empty,
        location_name: false,
        severity: true,
        zoned_dates: true,
        permalink: PermalinkForm::Slash,
        api_links: LinkVersion::V4,
        agent_events: AgentEvents::AlertTypes,
        device_events: DeviceEvents::Standard,
    },
];

/// One row of the README table: its label and how each era fills the cell.
type TableRow = (&'static str, fn(&Era) -> String);

/// The README's era table, one column per era, generated from [`ERAS`].
pub fn markdown_table() -> String {
    let rows: Vec<TableRow> = vec![
        ("sent", |era| era.applied.to_owned()),
        ("sources", |era| era.sources.to_owned()),
        ("`alertId` of test alerts", |era| {
            match era.alert_id {
                AlertIdKind::Integer => "integer",
                AlertIdKind::Uuid => "UUID string",
            }
            .to_owned()
        }),
        ("`eventId`", |era| {
            match era.alert_id {
                AlertIdKind::Integer => "`\"<seq>-<alertId>\"`",
                AlertIdKind::Uuid => "`\"<uuid>--<alertId>\"`",
            }
            .to_owned()
        }),
        (
            "test, rule, account, label, agent-notification ids",
            |era| match era.ids {
                IdSize::Small => "scenario's numbers".to_owned(),
                IdSize::Large => {
                    "15 digits (2^49 + n); cloud agents in `agents[]` small".to_owned()
                }
            },
        ),
        ("top-level `alert.active`", |era| {
            yes_no(era.top_level_active, "`1` / `0` / `2` (rule removed)")
        }),
        ("`ruleAid`", |era| {
            match era.rule_aid {
                RuleAid::Absent => "absent",
                RuleAid::Zero => "`0`",
                RuleAid::Account => "account id",
            }
            .to_owned()
        }),
        ("`testLabels`, `testTargetsDescription`", |era| {
            yes_no(era.test_context, "present")
        }),
        ("agents' `metricsAtEnd` while active", |era| {
            match era.active_metrics {
                ActiveMetrics::LatestRound => "latest round",
                ActiveMetrics::Empty => "`\"\"`",
            }
            .to_owned()
        }),
        ("agents' `locationName`", |era| {
            yes_no(era.location_name, "present")
        }),
        ("`severity`", |era| {
            yes_no(era.severity, "`\"Major\"` (title case)")
        }),
        ("`dateStartZoned` / `dateEndZoned`", |era| {
            yes_no(era.zoned_dates, "`\"… EST\"` (account zone)")
        }),
        ("permalink", |era| {
            match era.permalink {
                PermalinkForm::NoSlash => "`/alerts/list?__a=`",
                PermalinkForm::Slash => "`/alerts/list/?__a=`",
            }
            .to_owned()
        }),
        ("`apiLinks`", |era| {
            match era.api_links {
                LinkVersion::Unversioned => "`http://api.thousandeyes.com/tests/…`",
                LinkVersion::V4 => "`https://api.thousandeyes.com/v4/…`",
            }
            .to_owned()
        }),
        ("agent notifications", |era| {
            match era.agent_events {
                AgentEvents::AgentTypes => {
                    "`AGENT_ALERT_NOTIFICATION_*`, `agentAlert`, epoch-second dates, `agentNotificationId`"
                }
                AgentEvents::AlertTypes => {
                    "`ALERT_NOTIFICATION_*`, `alert.type: \"Agent\"`, body under `alert` and `agentAlert`, string dates, integer `alertId`"
                }
            }
            .to_owned()
        }),
        ("device notifications", |era| {
            match era.device_events {
                DeviceEvents::Legacy => "`deviceAlert` only, epoch-second dates (guess)",
                DeviceEvents::Standard => {
                    "body under `alert` and `deviceAlert`, string dates, `dateEnd` on every clear"
                }
            }
            .to_owned()
        }),
    ];
    let mut table = String::from("| |");
    for era in &ERAS {
        table.push_str(&format!(" `{}` |", era.name));
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(ERAS.len()));
    table.push('\n');
    for (label, cell) in rows {
        table.push_str(&format!("| {label} |"));
        for era in &ERAS {
            table.push_str(&format!(" {} |", cell(era)));
        }
        table.push('\n');
    }
    table
}

fn yes_no(present: bool, what: &str) -> String {
    if present {
        what.to_owned()
    } else {
        "absent".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras_are_in_profile_order() {
        for (index, profile) in Profile::ALL.into_iter().enumerate() {
            assert_eq!(ERAS[index].profile, profile);
            assert_eq!(profile.era().profile, profile);
            assert_eq!(profile.name().parse::<Profile>().unwrap(), profile);
        }
    }

    #[test]
    fn current_is_the_newest_era() {
        assert_eq!("current".parse::<Profile>().unwrap(), Profile::ALL[3]);
        assert!("v6-2023".parse::<Profile>().is_err());
    }

    #[test]
    fn agent_types_only_before_october_2021() {
        // §6.1: from October 2021 agent notifications use ALERT_NOTIFICATION_*; every era that
        // writes zoned dates (the same release) must too.
        for era in &ERAS {
            if era.zoned_dates {
                assert_eq!(era.agent_events, AgentEvents::AlertTypes, "{}", era.name);
                assert_eq!(era.device_events, DeviceEvents::Standard, "{}", era.name);
            }
        }
    }

    #[test]
    fn large_ids_round_trip() {
        assert_eq!(IdSize::Large.id(80946), 562_949_953_502_258);
        assert_eq!(IdSize::Large.scenario_id(562_949_953_502_258), Some(80946));
        assert_eq!(IdSize::Large.scenario_id(5), None);
        assert_eq!(IdSize::Small.id(5), 5);
    }
}
