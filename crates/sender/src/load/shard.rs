//! Sharding: N processes (on N machines) that together send exactly one run's events.
//!
//! Each delivery of the scenario belongs to one shard: keyed deliveries by a stable hash of
//! their order key (so every event of an alert goes through one shard and keeps its order),
//! keyless ones by position. A shard sends its deliveries at the times the whole run would
//! send them (event n at the schedule's due(n)), so together the shards send the one run's
//! events on the one run's schedule, and each one's rate is its share of the whole.

use std::fmt;
use std::str::FromStr;

/// `i/N`: this process is shard i (0-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based.
    pub index: u32,
    /// How many shards in all (≥ 1).
    pub count: u32,
}

/// A `--shard` value that does not parse, or a missing `JOB_COMPLETION_INDEX`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not `i/N`.
    #[error("shard `{0}` is not i/N; write it like 0/3 (the first of three shards, 0-based)")]
    Shape(String),
    /// i ≥ N or N = 0.
    #[error("shard {index}/{count}: the index counts from 0 and must be below the count")]
    Range {
        /// As given.
        index: u32,
        /// As given.
        count: u32,
    },
    /// `--shards N` outside a Kubernetes Indexed Job.
    #[error(
        "--shards needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); outside one use --shard i/N"
    )]
    NoIndex,
    /// `JOB_COMPLETION_INDEX` is not a number.
    #[error("JOB_COMPLETION_INDEX `{0}` is not a whole number")]
    BadIndex(String),
}

impl Shard {
    /// Shard `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError::Range { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Shard of `count` whose index is `job_completion_index` (Kubernetes' variable, `None`
    /// when it is not set).
    pub fn from_job_index(
        job_completion_index: Option<&str>,
        count: u32,
    ) -> Result<Shard, ShardError> {
        let text = job_completion_index.ok_or(ShardError::NoIndex)?;
        let index = text
            .trim()
            .parse()
            .map_err(|_| ShardError::BadIndex(text.to_owned()))?;
        Shard::new(index, count)
    }

    /// The shard that sends the delivery at `position` with `order_key`.
    pub fn of(order_key: Option<&str>, position: u64, count: u32) -> u32 {
        match order_key {
            // FNV-1a: the same on every machine and every Rust version, unlike DefaultHasher.
            Some(key) => {
                let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
                for byte in key.bytes() {
                    hash ^= u64::from(byte);
                    hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
                }
                (hash % u64::from(count)) as u32
            }
            None => (position % u64::from(count)) as u32,
        }
    }

    /// Whether this shard sends the delivery at `position` with `order_key`.
    pub fn owns(&self, order_key: Option<&str>, position: u64) -> bool {
        Shard::of(order_key, position, self.count) == self.index
    }

    /// How many of the events 0..`max_events` of a run over `owned` (one flag per position of
    /// one pass) this shard sends.
    pub fn quota(owned: &[bool], max_events: u64) -> u64 {
        let pass_len = owned.len() as u64;
        if pass_len == 0 {
            return 0;
        }
        let per_pass = owned.iter().filter(|owned| **owned).count() as u64;
        let full = max_events / pass_len;
        let rest = (max_events % pass_len) as usize;
        let partial = owned[..rest].iter().filter(|owned| **owned).count() as u64;
        full.saturating_mul(per_pass).saturating_add(partial)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let shape = || ShardError::Shape(text.to_owned());
        let (index, count) = text.trim().split_once('/').ok_or_else(shape)?;
        let index = index.trim().parse().map_err(|_| shape())?;
        let count = count.trim().parse().map_err(|_| shape())?;
        Shard::new(index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!("1/3".parse::<Shard>(), Ok(Shard { index: 1, count: 3 }));
        assert!(
            "3/3"
                .parse::<Shard>()
                .unwrap_err()
                .to_string()
                .contains("below")
        );
        assert!(
            "x".parse::<Shard>()
                .unwrap_err()
                .to_string()
                .contains("0/3")
        );
        assert_eq!(
            Shard::from_job_index(Some("2"), 4),
            Ok(Shard { index: 2, count: 4 })
        );
        assert_eq!(Shard::from_job_index(None, 4), Err(ShardError::NoIndex));
    }

    #[test]
    fn every_delivery_has_exactly_one_shard() {
        let keys = ["a", "b", "alert-42", "", "ü"];
        for count in 1..6 {
            for position in 0..50u64 {
                let key = (position % 3 != 0).then(|| keys[position as usize % keys.len()]);
                let owners = (0..count)
                    .filter(|index| {
                        Shard {
                            index: *index,
                            count,
                        }
                        .owns(key, position)
                    })
                    .count();
                assert_eq!(owners, 1);
            }
        }
    }

    proptest! {
        #[test]
        fn quotas_add_up_to_the_run(
            keys in proptest::collection::vec(proptest::option::of("[a-z]{1,4}"), 1..40),
            count in 1u32..6,
            max_events in 0u64..10_000,
        ) {
            let total: u64 = (0..count)
                .map(|index| {
                    let shard = Shard { index, count };
                    let owned: Vec<bool> = keys
                        .iter()
                        .enumerate()
                        .map(|(position, key)| shard.owns(key.as_deref(), position as u64))
                        .collect();
                    Shard::quota(&owned, max_events)
                })
                .sum();
            prop_assert_eq!(total, max_events);
        }

        #[test]
        fn display_parses_back(count in 1u32..1000, index in 0u32..1000) {
            if let Ok(shard) = Shard::new(index % count, count) {
                prop_assert_eq!(shard.to_string().parse::<Shard>(), Ok(shard));
            }
        }
    }
}
