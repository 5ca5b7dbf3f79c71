//! The account's alerts over the whole scenario, indexed so that an answer costs what it
//! returns, not what the account holds.
//!
//! Every alert's life is cut into *phases*: one per recorded change, each holding the alert
//! as it stands from that change's offset until the next one. At clock offset `t` exactly one
//! phase of each alert that exists is *alive* (`lo <= t < hi`). Phases are stored by alert
//! ordinal (the order in which alerts first appear, which is the order of every list and what
//! cursors count), so a list answer is "the alive phases in a range of ordinals that pass a
//! filter, in order, the first `max` + 1". A segment tree over blocks of phases keeps, for the
//! open and the ended phases of each subtree separately, the bounds of their offsets, start
//! dates and end dates; a search walks it in order and skips every subtree whose bounds
//! cannot pass the filter. Alerts are stored compactly (integers, interned strings, shared
//! `Arc`s) and written out as [`AlertSnapshot`]s only for the answer.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use tesim_model::profile::AlertIdKind;
use tesim_model::render::agent_alert_id;
use tesim_model::{
    Account, Agent, AgentNotification, AgentRule, AlertSource, AlertState, Metrics, Profile, Rule,
    TeDate, Test, TestAlert,
};
use tesim_scenario::{AlertChange, AlertSnapshot, Event, Events};

/// Phases per leaf of the segment tree: a leaf's phases are checked one by one, which is
/// cheaper than a tree level when it is this small, and keeps the tree at a few bytes per
/// alert.
const BLOCK: usize = 16;

/// Which kinds of alert a listing includes (a bit set).
const KIND_TEST: u8 = 1;
const KIND_AGENT: u8 = 2;

/// `state=` of `/v7/alerts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateFilter {
    /// `state=trigger`.
    Trigger,
    /// `state=clear`.
    Clear,
}

/// An inclusive range of instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// First instant.
    pub from: TeDate,
    /// Last instant.
    pub to: TeDate,
}

impl Range {
    /// Whether `date` lies in the range.
    pub fn contains(self, date: TeDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// What a list request asks for (the semantics of reference §3.2 and §4.2).
#[derive(Clone, Copy, Debug)]
pub enum Listing {
    /// `/v7/alerts`: test alerts and agent notifications.
    V7 {
        /// `window` or `startDate`/`endDate`.
        range: Option<Range>,
        /// `state`.
        state: Option<StateFilter>,
    },
    /// `/v6/alerts.json`: test alerts only.
    V6 {
        /// `window` or `from`/`to`.
        range: Option<Range>,
    },
}

impl Listing {
    /// Whether `snapshot`, as it stands, belongs in the listing. This is the definition; the
    /// index answers the same question without looking at every alert.
    pub fn selects(self, snapshot: &AlertSnapshot) -> bool {
        let (start, end, is_test) = match snapshot {
            AlertSnapshot::Test(alert) => (alert.start, alert.state.end(), true),
            AlertSnapshot::Agent(notice) => (notice.start, notice.state.end(), false),
        };
        match self {
            Listing::V7 { range, state } => match (range, state) {
                (None, None | Some(StateFilter::Trigger)) => end.is_none(),
                (None, Some(StateFilter::Clear)) => end.is_some(),
                (Some(range), None) => match end {
                    Some(end) => range.contains(end),
                    None => start <= range.to,
                },
                (Some(range), Some(StateFilter::Trigger)) => range.contains(start),
                (Some(range), Some(StateFilter::Clear)) => {
                    end.is_some_and(|end| range.contains(end))
                }
            },
            // No range: the alerts active now (§3.2); a range: every alert active at some
            // point of it, cleared ones with their end.
            Listing::V6 { range } => {
                is_test
                    && match range {
                        None => end.is_none(),
                        Some(range) => start <= range.to && end.is_none_or(|end| end >= range.from),
                    }
            }
        }
    }

    fn filter(self, at: u64) -> Filter {
        const ALL: (i64, i64) = (i64::MIN, i64::MAX);
        let cond = |start: (i64, i64), end: (i64, i64)| Some(Cond { start, end });
        let span = |range: Range| (range.from.epoch(), range.to.epoch());
        let (kinds, open, ended) = match self {
            Listing::V7 { range, state } => {
                let (open, ended) = match (range, state) {
                    (None, None | Some(StateFilter::Trigger)) => (cond(ALL, ALL), None),
                    (None, Some(StateFilter::Clear)) => (None, cond(ALL, ALL)),
                    (Some(range), None) => (
                        cond((i64::MIN, range.to.epoch()), ALL),
                        cond(ALL, span(range)),
                    ),
                    (Some(range), Some(StateFilter::Trigger)) => {
                        (cond(span(range), ALL), cond(span(range), ALL))
                    }
                    (Some(range), Some(StateFilter::Clear)) => (None, cond(ALL, span(range))),
                };
                (KIND_TEST | KIND_AGENT, open, ended)
            }
            Listing::V6 { range: None } => (KIND_TEST, cond(ALL, ALL), None),
            Listing::V6 { range: Some(range) } => {
                let before_end = (i64::MIN, range.to.epoch());
                (
                    KIND_TEST,
                    cond(before_end, ALL),
                    cond(before_end, (range.from.epoch(), i64::MAX)),
                )
            }
        };
        Filter {
            at,
            kinds,
            open,
            ended,
        }
    }
}

/// What a search looked at: the instrument behind the "cost follows the answer" tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Probe {
    /// Tree nodes visited.
    pub nodes: usize,
    /// Phases (alert states) examined one by one.
    pub phases: usize,
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page {
    /// The alerts of the page, in ordinal order, as they stand at the clock offset asked.
    pub alerts: Vec<Found>,
    /// Ordinal of the first alert after the page, if one matches.
    pub next: Option<usize>,
    /// What the search looked at.
    pub probe: Probe,
}

/// An alert found by the index, at one clock offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// Position in the v7 list (what cursors count).
    pub ordinal: usize,
    phase: u32,
}

/// Per-alert facts that no change alters.
#[derive(Debug, PartialEq)]
struct EntryRecord {
    number: u64,
    uuid: Uuid,
    account: u32,
    kind: u8,
}

/// A test alert's `uuid`, as 16 bytes when it is a canonical UUID (always, for compiled
/// scenarios), else the interned text.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Uuid {
    Canonical(u128),
    Text(u32),
    None,
}

/// An alert from one change until the next.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Phase {
    /// Offset of the change, in nanoseconds.
    lo: u64,
    ordinal: u32,
    start: TeDate,
    state: AlertState,
    /// Test alert: the test; agent notification: the agent rule.
    subject: u32,
    /// Test alert: the rule; agent notification: the agent.
    rule: u32,
    /// Test alert: first source in `sources`; agent notification: `metricsAtStart`.
    first: u32,
    /// Test alert: number of sources; agent notification: `metricsAtEnd`.
    second: u32,
}

#[derive(Debug, PartialEq)]
struct SourceRecord {
    agent: u32,
    start: TeDate,
    metrics_at_start: u32,
    metrics_latest: u32,
    state: AlertState,
}

/// Bounds over the phases of one state (open or ended) under a tree node.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bounds {
    kinds: u8,
    lo_min: u64,
    hi_max: u64,
    start_min: i64,
    start_max: i64,
    end_min: i64,
    end_max: i64,
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        kinds: 0,
        lo_min: u64::MAX,
        hi_max: 0,
        start_min: i64::MAX,
        start_max: i64::MIN,
        end_min: i64::MAX,
        end_max: i64::MIN,
    };

    fn add(&mut self, other: &Bounds) {
        self.kinds |= other.kinds;
        self.lo_min = self.lo_min.min(other.lo_min);
        self.hi_max = self.hi_max.max(other.hi_max);
        self.start_min = self.start_min.min(other.start_min);
        self.start_max = self.start_max.max(other.start_max);
        self.end_min = self.end_min.min(other.end_min);
        self.end_max = self.end_max.max(other.end_max);
    }

    fn may_pass(&self, filter: &Filter, cond: &Cond, ended: bool) -> bool {
        self.kinds & filter.kinds != 0
            && self.lo_min <= filter.at
            && self.hi_max > filter.at
            && overlaps((self.start_min, self.start_max), cond.start)
            && (!ended || overlaps((self.end_min, self.end_max), cond.end))
    }
}

fn overlaps(bounds: (i64, i64), wanted: (i64, i64)) -> bool {
    bounds.0 <= wanted.1 && wanted.0 <= bounds.1
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Node {
    open: Bounds,
    ended: Bounds,
}

impl Node {
    const EMPTY: Node = Node {
        open: Bounds::EMPTY,
        ended: Bounds::EMPTY,
    };
}

/// Inclusive epoch-second bounds a phase's dates must lie in.
#[derive(Clone, Copy, Debug)]
struct Cond {
    start: (i64, i64),
    end: (i64, i64),
}

/// A listing at one offset, as bounds: `open` for alerts without an end, `ended` for the
/// others; `None` takes none of that state.
#[derive(Clone, Copy, Debug)]
struct Filter {
    at: u64,
    kinds: u8,
    open: Option<Cond>,
    ended: Option<Cond>,
}

impl Filter {
    fn may_pass(&self, node: &Node) -> bool {
        self.open
            .is_some_and(|cond| node.open.may_pass(self, &cond, false))
            || self
                .ended
                .is_some_and(|cond| node.ended.may_pass(self, &cond, true))
    }
}

/// Interns values shared by many alerts (tests, rules, agents, metric texts), by pointer for
/// `Arc`s and by value for text.
struct Interner<K, V> {
    position: FxMap<K, u32>,
    values: Vec<V>,
}

impl<K: Hash + Eq, V> Interner<K, V> {
    fn intern(&mut self, key: K, value: impl FnOnce() -> V) -> u32 {
        let values = &mut self.values;
        *self.position.entry(key).or_insert_with(|| {
            values.push(value());
            u32::try_from(values.len() - 1).unwrap_or(u32::MAX)
        })
    }
}

fn intern_arc<T>(interner: &mut Interner<usize, Arc<T>>, value: &Arc<T>) -> u32 {
    interner.intern(Arc::as_ptr(value) as usize, || Arc::clone(value))
}

fn intern_text(interner: &mut Interner<Box<str>, Box<str>>, text: &str) -> u32 {
    if let Some(&position) = interner.position.get(text) {
        return position;
    }
    interner.intern(text.into(), || text.into())
}

/// `a == b`, without a call to `memcmp` for texts of 8 to 32 bytes (metrics like
/// `Response Code: 503`): two overlapping loads per side. The recent-text check compares every
/// metric of every change, often with one of the same length, and the call was most of it
/// (measured: a tenth of the indexing thread).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn u64_at(bytes: &[u8], at: usize) -> u64 {
        let mut word = [0; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_ne_bytes(word)
    }
    fn u128_at(bytes: &[u8], at: usize) -> u128 {
        let mut word = [0; 16];
        word.copy_from_slice(&bytes[at..at + 16]);
        u128::from_ne_bytes(word)
    }
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        8..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, len - 8) == u64_at(b, len - 8),
        17..=32 => u128_at(a, 0) == u128_at(b, 0) && u128_at(a, len - 16) == u128_at(b, len - 16),
        _ => a == b,
    }
}

fn nanos(offset: Duration) -> u64 {
    u64::try_from(offset.as_nanos()).unwrap_or(u64::MAX)
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A fast, fixed-seed hash for the build's maps: it hashes every change's alert key, pointers
/// and metric texts several times, and SipHash's resistance to chosen keys buys nothing for keys
/// the scenario made (measured: most of the index build's time with SipHash). Fixed, so a build
/// does the same work every run; no map is iterated in an order that reaches an answer.
type FxBuild = foldhash::fast::FixedState;
type FxMap<K, V> = HashMap<K, V, FxBuild>;
type FxSet<K> = HashSet<K, FxBuild>;

/// `text` as 128 bits when it is a UUID in canonical form (lowercase, hyphenated), the only
/// spelling that is stored as bits: `uuid::Uuid::try_parse` plus a comparison with its
/// `hyphenated()` text, without building that text for every alert.
fn canonical_uuid(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut bits: u128 = 0;
    for (position, &byte) in bytes.iter().enumerate() {
        let digit = match (position, byte) {
            (8 | 13 | 18 | 23, b'-') => continue,
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => byte - b'0',
            (_, b'a'..=b'f') => byte - b'a' + 10,
            _ => return None,
        };
        bits = (bits << 4) | u128::from(digit);
    }
    Some(bits)
}

/// Sorted `(key, smallest ordinal)` pairs: a lookup table at 16–24 bytes per key.
#[derive(Debug, Default, PartialEq)]
struct Lookup<K> {
    pairs: Vec<(K, u32)>,
}

impl<K: Ord + Copy> Lookup<K> {
    /// Among equal keys, the smallest ordinal is kept: the first alert in list order, as a
    /// scan would find it. Whole pairs are sorted, so ties go by ordinal with no stable sort
    /// (whose scratch, half the table, came while the other core regrouped the phases: peak
    /// memory).
    fn from_pairs(mut pairs: Vec<(K, u32)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup_by_key(|(key, _)| *key);
        pairs.shrink_to_fit();
        Lookup { pairs }
    }

    fn get(&self, key: K) -> Option<u32> {
        self.pairs
            .binary_search_by_key(&key, |(key, _)| *key)
            .ok()
            .map(|index| self.pairs[index].1)
    }
}

/// Each alert's ordinal by key (kind, number), while building. Alert numbers come in
/// increasing order (the compiler draws each above the last): while they do, a kind's keys
/// are a table sorted by being appended to, and a change, mostly of a recent alert, is found
/// by galloping back from its end, in memory just touched. A hash map over a million alerts
/// missed the cache on nearly every change (measured: a third of indexing). The first number
/// that comes out of order moves its kind to a hash map.
#[derive(Default)]
struct Ordinals {
    sorted: [Vec<(u64, u32)>; 2],
    hashed: [Option<FxMap<u64, u32>>; 2],
}

impl Ordinals {
    /// The ordinal of `key`, given `next` if it is new.
    fn get_or_insert(&mut self, (kind, number): (u8, u64), next: u32) -> u32 {
        let kind = usize::from(kind.min(1));
        if let Some(hashed) = &mut self.hashed[kind] {
            return *hashed.entry(number).or_insert(next);
        }
        let pairs = &mut self.sorted[kind];
        if pairs.last().is_none_or(|(last, _)| *last < number) {
            pairs.push((number, next));
            return next;
        }
        // pairs[hi - 1] >= number: widen [lo, hi) backwards until pairs[lo] <= number.
        let (mut lo, mut hi, mut step) = (pairs.len() - 1, pairs.len(), 1);
        while lo > 0 && pairs[lo].0 > number {
            hi = lo + 1;
            lo = lo.saturating_sub(step);
            step *= 2;
        }
        if let Ok(found) = pairs[lo..hi].binary_search_by_key(&number, |(key, _)| *key) {
            return pairs[lo + found].1;
        }
        let mut hashed: FxMap<u64, u32> = pairs.drain(..).collect();
        pairs.shrink_to_fit();
        hashed.insert(number, next);
        self.hashed[kind] = Some(hashed);
        next
    }
}

/// The index being built, one change at a time.
#[derive(Default)]
struct Builder {
    texts: Interner<Box<str>, Box<str>>,
    accounts: Interner<usize, Arc<Account>>,
    tests: Interner<usize, Arc<Test>>,
    rules: Interner<usize, Arc<Rule>>,
    agents: Interner<usize, Arc<Agent>>,
    agent_rules: Interner<usize, Arc<AgentRule>>,
    entries: Vec<EntryRecord>,
    ordinal_of: Ordinals,
    phases: Vec<Phase>,
    sources: Vec<SourceRecord>,
    rule_tests: FxMap<u64, (&'static str, Vec<u64>)>,
    test_agents: FxMap<u64, Vec<u32>>,
    seen_rule_tests: FxSet<(u64, u64)>,
    seen_test_agents: FxSet<(u64, u64)>,
    /// The texts interned last: metrics repeat from change to change, and comparing a few
    /// is cheaper than hashing.
    recent_texts: [u32; 4],
    recent_next: usize,
    /// Fixed metrics texts by address and length: a storm's sources all borrow the same few,
    /// found here without reading their bytes (callgrind, 100k alerts: the indexing thread
    /// 446M instructions through `text` alone, 396M with this).
    fixed_texts: Vec<(usize, usize, u32)>,
}

impl<K, V> Default for Interner<K, V> {
    fn default() -> Self {
        Interner {
            position: FxMap::default(),
            values: Vec::new(),
        }
    }
}

impl Builder {
    /// A builder expecting about `changes` changes: the largest tables are allocated once,
    /// rather than copied at each doubling (untouched capacity costs address space, not
    /// memory).
    fn with_capacity(changes: usize) -> Builder {
        let mut builder = Builder::default();
        builder.phases.reserve(changes);
        builder.sources.reserve(changes.saturating_mul(3));
        builder.entries.reserve(changes / 2);
        for pairs in &mut builder.ordinal_of.sorted {
            pairs.reserve(changes / 2);
        }
        builder
    }

    fn text(&mut self, text: &str) -> u32 {
        let values = &self.texts.values;
        let recent = self.recent_texts.iter().find(|id| {
            values
                .get(**id as usize)
                .is_some_and(|value| same_bytes(value.as_bytes(), text.as_bytes()))
        });
        if let Some(id) = recent {
            return *id;
        }
        let id = intern_text(&mut self.texts, text);
        self.recent_texts[self.recent_next % self.recent_texts.len()] = id;
        self.recent_next = self.recent_next.wrapping_add(1);
        id
    }

    /// [`Builder::text`] for a metrics text.
    fn metrics(&mut self, metrics: &Metrics) -> u32 {
        let Cow::Borrowed(fixed) = metrics else {
            return self.text(metrics);
        };
        let key = (fixed.as_ptr() as usize, fixed.len());
        if let Some((_, _, id)) = self
            .fixed_texts
            .iter()
            .find(|(address, len, _)| (*address, *len) == key)
        {
            return *id;
        }
        let id = self.text(fixed);
        // The fixed texts are the program's few; a caller leaking many is not sped up.
        if self.fixed_texts.len() < 64 {
            self.fixed_texts.push((key.0, key.1, id));
        }
        id
    }

    fn push(&mut self, change: &AlertChange) {
        // A change earlier than the one before it would break the ordinals: it counts
        // as happening with its predecessor (callers sort; see `Api::new`).
        let lo = nanos(change.offset).max(self.phases.last().map_or(0, |phase| phase.lo));
        let key = change.alert.key();
        let next_ordinal = to_u32(self.entries.len());
        let ordinal = self.ordinal_of.get_or_insert(key, next_ordinal);
        let phase = match &change.alert {
            AlertSnapshot::Test(alert) => {
                if ordinal == next_ordinal {
                    let uuid = match canonical_uuid(&alert.uuid) {
                        Some(bits) => Uuid::Canonical(bits),
                        None => Uuid::Text(intern_text(&mut self.texts, &alert.uuid)),
                    };
                    self.entries.push(EntryRecord {
                        number: alert.number,
                        uuid,
                        account: intern_arc(&mut self.accounts, &alert.account),
                        kind: KIND_TEST,
                    });
                }
                if self.seen_rule_tests.insert((alert.rule.id, alert.test.id)) {
                    let (_, rule_test_ids) = self
                        .rule_tests
                        .entry(alert.rule.id)
                        .or_insert_with(|| (alert.test.kind.alert_type(), Vec::new()));
                    rule_test_ids.push(alert.test.id);
                }
                let first = to_u32(self.sources.len());
                for source in &alert.sources {
                    let agent = intern_arc(&mut self.agents, &source.agent);
                    // Agents are told apart by id, as `tests.json` lists them.
                    if self
                        .seen_test_agents
                        .insert((alert.test.id, source.agent.id))
                    {
                        self.test_agents
                            .entry(alert.test.id)
                            .or_default()
                            .push(agent);
                    }
                    let metrics_at_start = self.metrics(&source.metrics_at_start);
                    let metrics_latest = self.metrics(&source.metrics_latest);
                    self.sources.push(SourceRecord {
                        agent,
                        start: source.start,
                        metrics_at_start,
                        metrics_latest,
                        state: source.state,
                    });
                }
                Phase {
                    lo,
                    ordinal,
                    start: alert.start,
                    state: alert.state,
                    subject: intern_arc(&mut self.tests, &alert.test),
                    rule: intern_arc(&mut self.rules, &alert.rule),
                    first,
                    second: to_u32(alert.sources.len()),
                }
            }
            AlertSnapshot::Agent(notice) => {
                if ordinal == next_ordinal {
                    self.entries.push(EntryRecord {
                        number: notice.number,
                        uuid: Uuid::None,
                        account: intern_arc(&mut self.accounts, &notice.account),
                        kind: KIND_AGENT,
                    });
                }
                Phase {
                    lo,
                    ordinal,
                    start: notice.start,
                    state: notice.state,
                    subject: intern_arc(&mut self.agent_rules, &notice.rule),
                    rule: intern_arc(&mut self.agents, &notice.agent),
                    first: self.text(&notice.metrics_at_start),
                    second: self.text(&notice.metrics_at_end),
                }
            }
        };
        self.phases.push(phase);
    }

    fn finish(self, profile: Profile) -> AlertIndex {
        let Builder {
            texts,
            accounts,
            tests,
            rules,
            agents,
            agent_rules,
            entries,
            ordinal_of,
            mut phases,
            sources,
            rule_tests,
            test_agents,
            seen_rule_tests,
            seen_test_agents,
            recent_texts: _,
            recent_next: _,
            fixed_texts: _,
        } = self;
        drop((ordinal_of, seen_rule_tests, seen_test_agents));
        let texts = texts.values;
        // The test-id tables need only the entries: they are sorted on the other core while
        // this one regroups the phases and builds the tree (the two halves take about as long
        // over a million alerts).
        let (change_offsets, phase_start, (tree, leaves), test_ids) = std::thread::scope(|scope| {
            let test_ids = scope.spawn(|| TestIds::build(&entries, &texts, profile));
            let mut change_offsets: Vec<u64> = phases.iter().map(|phase| phase.lo).collect();
            change_offsets.shrink_to_fit();
            let phase_start = group_by_ordinal(&mut phases, entries.len());
            let tree = build_tree(&phases, &entries);
            let test_ids = test_ids
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (change_offsets, phase_start, tree, test_ids)
        });
        // Not shrunk: capacity reserved from the hint and never written is address space,
        // not resident memory, and shrinking would copy the largest tables.
        let mut index = AlertIndex {
            profile,
            entries,
            phase_start,
            phases,
            sources,
            texts,
            accounts: accounts.values,
            tests: tests.values,
            rules: rules.values,
            agents: agents.values,
            agent_rules: agent_rules.values,
            change_offsets,
            tree,
            leaves,
            test_by_uuid: test_ids.by_uuid,
            test_by_text_uuid: test_ids.by_text_uuid,
            test_by_number: test_ids.by_number,
            test_by_legacy: test_ids.by_legacy,
            agent_by_number: Lookup::default(),
            agent_by_alert_id: Lookup::default(),
            agent_by_uuid_bits: Lookup::default(),
            rule_tests,
            test_agents,
        };
        index.build_agent_lookups();
        index
    }
}

/// Test alerts by `uuid` (canonical, or as text), by number and by the era's legacy
/// `alertId`.
struct TestIds {
    by_uuid: Lookup<u128>,
    by_text_uuid: FxMap<Box<str>, u32>,
    by_number: Lookup<u64>,
    by_legacy: Lookup<u64>,
}

impl TestIds {
    fn build(entries: &[EntryRecord], texts: &[Box<str>], profile: Profile) -> TestIds {
        let era = profile.era();
        let mut by_uuid = Vec::new();
        let mut by_text_uuid = FxMap::default();
        let mut by_number = Vec::new();
        let mut by_legacy = Vec::new();
        for (ordinal, entry) in entries.iter().enumerate() {
            if entry.kind != KIND_TEST {
                continue;
            }
            let ordinal = to_u32(ordinal);
            match entry.uuid {
                Uuid::Canonical(bits) => by_uuid.push((bits, ordinal)),
                Uuid::Text(text) => {
                    by_text_uuid
                        .entry(texts[text as usize].clone())
                        .or_insert(ordinal);
                }
                Uuid::None => {}
            }
            by_number.push((entry.number, ordinal));
            if era.alert_id == AlertIdKind::Integer {
                by_legacy.push((era.ids.id(entry.number), ordinal));
            }
        }
        TestIds {
            by_uuid: Lookup::from_pairs(by_uuid),
            by_text_uuid,
            by_number: Lookup::from_pairs(by_number),
            by_legacy: Lookup::from_pairs(by_legacy),
        }
    }
}

/// The end of `phase` (the next change of its alert, else never), with phases grouped by
/// ordinal.
fn phase_hi(phases: &[Phase], phase: usize) -> u64 {
    match phases.get(phase + 1) {
        Some(next) if next.ordinal == phases[phase].ordinal => next.lo,
        _ => u64::MAX,
    }
}

fn leaf_bounds(phases: &[Phase], entries: &[EntryRecord], phase: usize) -> Node {
    let record = &phases[phase];
    let bounds = Bounds {
        kinds: entries[record.ordinal as usize].kind,
        lo_min: record.lo,
        hi_max: phase_hi(phases, phase),
        start_min: record.start.epoch(),
        start_max: record.start.epoch(),
        end_min: record.state.end().map_or(i64::MAX, TeDate::epoch),
        end_max: record.state.end().map_or(i64::MIN, TeDate::epoch),
    };
    let mut node = Node::EMPTY;
    if record.state.end().is_some() {
        node.ended = bounds;
    } else {
        node.open = bounds;
    }
    node
}

/// The segment tree over blocks of [`BLOCK`] grouped phases, and where its leaves start.
fn build_tree(phases: &[Phase], entries: &[EntryRecord]) -> (Vec<Node>, usize) {
    let blocks = phases.len().div_ceil(BLOCK).max(1);
    let leaves = blocks.next_power_of_two();
    let mut tree = vec![Node::EMPTY; 2 * leaves];
    for phase in 0..phases.len() {
        let leaf = leaf_bounds(phases, entries, phase);
        let node = &mut tree[leaves + phase / BLOCK];
        node.open.add(&leaf.open);
        node.ended.add(&leaf.ended);
    }
    for node in (1..leaves).rev() {
        let (left, right) = (tree[2 * node], tree[2 * node + 1]);
        let parent = &mut tree[node];
        parent.open.add(&left.open);
        parent.open.add(&right.open);
        parent.ended.add(&left.ended);
        parent.ended.add(&right.ended);
    }
    (tree, leaves)
}

/// Puts each alert's phases together, in ordinal order and, within an alert, in the order
/// given (a stable sort by ordinal: a counting sort gives each slot its phase, `source`).
/// Returns where each alert's phases start, with the end as the last element.
///
/// The phases are moved slot by slot, in place: a phase whose slot lies ahead waits in
/// `waiting` until its slot comes. Phases come in time order, so each lands within a
/// scenario's active window of where it was: reads and writes stay in the same few pages
/// and `waiting` holds about the alerts active at once. Following the permutation's cycles
/// instead (one swap per phase) jumped a window ahead at every swap, missing the cache each
/// time (measured: a third of `finish` over a million alerts).
fn group_by_ordinal(phases: &mut [Phase], n_alerts: usize) -> Vec<u32> {
    let mut phase_start = vec![0u32; n_alerts + 1];
    for phase in phases.iter() {
        phase_start[phase.ordinal as usize + 1] += 1;
    }
    for ordinal in 0..n_alerts {
        phase_start[ordinal + 1] += phase_start[ordinal];
    }
    // source[slot]: the position (before moving) of the phase that belongs in `slot`.
    let mut source = vec![0u32; phases.len()];
    {
        let mut next = phase_start.clone();
        for (position, phase) in phases.iter().enumerate() {
            let slot = &mut next[phase.ordinal as usize];
            source[*slot as usize] = to_u32(position);
            *slot += 1;
        }
    }
    // Bit `position`: the phase first at `position` was already moved to its slot.
    let mut moved = vec![0u64; phases.len().div_ceil(64)];
    let mut waiting: FxMap<u32, Phase> = FxMap::default();
    for slot in 0..phases.len() {
        let from = source[slot] as usize;
        if from == slot {
            continue;
        }
        // Slots before `slot` are written: a phase from there waits in `waiting`; one from
        // later on is still where it was.
        let phase = if from > slot {
            moved[from / 64] |= 1 << (from % 64);
            phases[from]
        } else {
            // It was not moved ahead (its slot is this one), so it was put aside when its
            // own position was written.
            waiting
                .remove(&to_u32(from))
                .expect("a phase whose slot lies ahead waits for it")
        };
        if moved[slot / 64] & (1 << (slot % 64)) == 0 {
            waiting.insert(to_u32(slot), phases[slot]);
        }
        phases[slot] = phase;
    }
    phase_start
}

/// The account's alerts, indexed by ordinal, by clock offset and by id. Immutable once built:
/// the clock moving changes which phase is alive, never the index. Equal indexes give equal
/// answers to every request.
#[derive(Debug, PartialEq)]
pub struct AlertIndex {
    profile: Profile,
    entries: Vec<EntryRecord>,
    /// `phase_start[ordinal]..phase_start[ordinal + 1]` are the alert's phases.
    phase_start: Vec<u32>,
    phases: Vec<Phase>,
    sources: Vec<SourceRecord>,
    texts: Vec<Box<str>>,
    accounts: Vec<Arc<Account>>,
    tests: Vec<Arc<Test>>,
    rules: Vec<Arc<Rule>>,
    agents: Vec<Arc<Agent>>,
    agent_rules: Vec<Arc<AgentRule>>,
    /// Every change's offset in nanoseconds, sorted: how many changes are applied at `t`.
    change_offsets: Vec<u64>,
    /// Segment tree over blocks of [`BLOCK`] phases; leaves from `leaves` on.
    tree: Vec<Node>,
    leaves: usize,
    /// Test alerts by `uuid`, by number, and by the era's legacy integer `alertId`.
    test_by_uuid: Lookup<u128>,
    test_by_text_uuid: FxMap<Box<str>, u32>,
    test_by_number: Lookup<u64>,
    test_by_legacy: Lookup<u64>,
    /// Agent notifications by number, by the era's `alertId`, and by the low 48 bits of
    /// the number (what their v7 UUID-shaped id carries).
    agent_by_number: Lookup<u64>,
    agent_by_alert_id: Lookup<u64>,
    agent_by_uuid_bits: Lookup<u64>,
    /// Per rule id: the `alertType` of its first alert and the tests it alerted on, in order of
    /// first appearance over the whole scenario.
    rule_tests: FxMap<u64, (&'static str, Vec<u64>)>,
    /// Per test id: the agents that alerted on it over the whole scenario, in order.
    test_agents: FxMap<u64, Vec<u32>>,
}

impl AlertIndex {
    /// Indexes `history` (every change of every alert, in time order, as
    /// `Timeline::history` holds it; same-offset changes apply in the order given) for the ids
    /// of `profile`. One pass over the changes, each dropped once read, plus a linear
    /// regrouping by alert: O(n) besides the id tables' sorts.
    pub fn build(history: impl IntoIterator<Item = AlertChange>, profile: Profile) -> AlertIndex {
        let mut builder = Builder::default();
        for change in history {
            builder.push(&change);
        }
        builder.finish(profile)
    }

    /// Indexes the changes of `events` as they are made (in play order, which is time
    /// order), dropping each event once read: what is held is this index and what the
    /// scenario holds active, never the scenario's length. Returns the index and the offset of
    /// the last event of any kind (the scenario's duration, as `Timeline::duration` gives it).
    ///
    /// The scenario is played on a second thread, handing changes over in batches: playing
    /// and indexing each take about half of the time. Notifications are not made (see
    /// [`Events::skip_notifications`]): the index needs only the changes. Call
    /// [`Events::check`] after.
    pub fn from_events(events: &mut Events, profile: Profile) -> (AlertIndex, Duration) {
        /// Changes per hand-over: large enough that the channel costs little per change,
        /// small enough that the changes in flight (two batches queued, one being read, one
        /// being filled) stay in cache until the player frees them and allocates the next
        /// ones in the same memory. Measured over a million alerts: 256 with two queued took
        /// a fifth less CPU than 2048 with four (the player's allocations missed the cache);
        /// 64 and 512 took more.
        const BATCH: usize = 256;
        // A hint, not a bound: each step makes at most one change (the primitive steps of
        // a storm are its triggers and clears).
        let expected = usize::try_from(events.n_steps()).map_or(0, |steps| steps.min(1 << 26));
        let mut builder = Builder::with_capacity(expected);
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<AlertChange>>(2);
        // Read batches go back to the player to be dropped there: the allocator frees on
        // the thread that allocated cheaply, and reuses that memory for the next changes
        // (freeing them on the indexing thread made the player's allocations the slowest
        // part, measured).
        let (read_sender, read_receiver) = std::sync::mpsc::channel::<Vec<AlertChange>>();
        events.skip_notifications();
        let playing = &mut *events;
        std::thread::scope(|scope| {
            let player = scope.spawn(move || {
                let mut batch = Vec::with_capacity(BATCH);
                for event in playing {
                    match event {
                        Event::Notification(_) => {}
                        Event::Change(change) => {
                            batch.push(change);
                            if batch.len() == BATCH {
                                let mut next = read_receiver
                                    .try_recv()
                                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                                next.clear();
                                while let Ok(read) = read_receiver.try_recv() {
                                    drop(read);
                                }
                                if sender.send(std::mem::replace(&mut batch, next)).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = sender.send(batch);
                }
            });
            for batch in receiver {
                for change in &batch {
                    builder.push(change);
                }
                // The player may have finished: then the batch is dropped here.
                let _ = read_sender.send(batch);
            }
            player
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        });
        (
            builder.finish(profile),
            events.last_offset().unwrap_or_default(),
        )
    }

    /// The offset of the first change, if any (where a running clock starts by default).
    pub fn first_change(&self) -> Option<Duration> {
        self.change_offsets
            .first()
            .map(|nanos| Duration::from_nanos(*nanos))
    }

    /// How many state changes were indexed.
    pub fn n_changes(&self) -> usize {
        self.change_offsets.len()
    }

    fn hi(&self, phase: usize) -> u64 {
        phase_hi(&self.phases, phase)
    }

    /// The agent-notification id tables (the test ones are built with the tree, see
    /// [`TestIds`]).
    fn build_agent_lookups(&mut self) {
        let mut agent_number = Vec::new();
        let mut agent_alert = Vec::new();
        let mut agent_bits = Vec::new();
        for (ordinal, entry) in self.entries.iter().enumerate() {
            if entry.kind == KIND_TEST {
                continue;
            }
            let ordinal = to_u32(ordinal);
            agent_number.push((entry.number, ordinal));
            agent_bits.push((entry.number & 0xffff_ffff_ffff, ordinal));
            let phase = &self.phases[self.phase_start[ordinal as usize] as usize];
            agent_alert.push((agent_alert_id(self.profile, &self.agent_at(phase)), ordinal));
        }
        self.agent_by_number = Lookup::from_pairs(agent_number);
        self.agent_by_alert_id = Lookup::from_pairs(agent_alert);
        self.agent_by_uuid_bits = Lookup::from_pairs(agent_bits);
    }

    /// How many changes are applied at clock offset `at` (a state version: answers only
    /// change when it does, or when "now" moves to the next second).
    pub fn version(&self, at: Duration) -> usize {
        let at = nanos(at);
        self.change_offsets.partition_point(|offset| *offset <= at)
    }

    /// How many alerts exist at `at`: the v7 list's ordinals `0..visible`.
    pub fn visible(&self, at: Duration) -> usize {
        let at = nanos(at);
        let (mut low, mut high) = (0, self.entries.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if self.phases[self.phase_start[middle] as usize].lo <= at {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// Number of alerts over the whole scenario.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the scenario has no alert at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The alerts of `listing` at `at` from ordinal `after` on, at most `max` of them, and
    /// where the next page starts. `max = usize::MAX` lists them all.
    pub fn page(&self, listing: Listing, at: Duration, after: usize, max: usize) -> Page {
        let filter = listing.filter(nanos(at));
        let visible = self.visible(at);
        let mut page = Page {
            alerts: Vec::new(),
            next: None,
            probe: Probe::default(),
        };
        if after >= visible {
            return page;
        }
        let range = (
            self.phase_start[after] as usize,
            self.phase_start[visible] as usize,
        );
        let limit = max.saturating_add(1);
        let mut found = Vec::new();
        self.search(
            1,
            0,
            self.leaves,
            range,
            &filter,
            limit,
            &mut found,
            &mut page.probe,
        );
        if found.len() > max {
            page.next = found.pop().map(|found| found.ordinal);
        }
        page.alerts = found;
        page
    }

    /// In-order search of `node` (covering blocks `first..end`) for passing phases within
    /// `range`, until `out` holds `limit`.
    #[allow(clippy::too_many_arguments)] // one recursive walk; a struct would only rename them
    fn search(
        &self,
        node: usize,
        first: usize,
        end: usize,
        range: (usize, usize),
        filter: &Filter,
        limit: usize,
        out: &mut Vec<Found>,
        probe: &mut Probe,
    ) {
        if out.len() >= limit || end * BLOCK <= range.0 || first * BLOCK >= range.1 {
            return;
        }
        probe.nodes += 1;
        if !filter.may_pass(&self.tree[node]) {
            return;
        }
        if node >= self.leaves {
            let from = range.0.max(first * BLOCK);
            let to = range.1.min(end * BLOCK);
            for phase in from..to {
                probe.phases += 1;
                if self.passes(phase, filter) {
                    out.push(Found {
                        ordinal: self.phases[phase].ordinal as usize,
                        phase: to_u32(phase),
                    });
                    if out.len() >= limit {
                        return;
                    }
                }
            }
            return;
        }
        let middle = first + (end - first) / 2;
        self.search(2 * node, first, middle, range, filter, limit, out, probe);
        self.search(2 * node + 1, middle, end, range, filter, limit, out, probe);
    }

    fn passes(&self, phase: usize, filter: &Filter) -> bool {
        let record = &self.phases[phase];
        if record.lo > filter.at || self.hi(phase) <= filter.at {
            return false;
        }
        if self.entries[record.ordinal as usize].kind & filter.kinds == 0 {
            return false;
        }
        let start = record.start.epoch();
        let within = |value: i64, (low, high): (i64, i64)| low <= value && value <= high;
        match record.state.end() {
            None => filter.open.is_some_and(|cond| within(start, cond.start)),
            Some(end) => filter
                .ended
                .is_some_and(|cond| within(start, cond.start) && within(end.epoch(), cond.end)),
        }
    }

    /// The same answer as [`AlertIndex::page`] by looking at every alert: the reference the
    /// index is tested against.
    pub fn page_by_scan(&self, listing: Listing, at: Duration, after: usize, max: usize) -> Page {
        let mut matching = (after..self.visible(at))
            .filter_map(|ordinal| self.at(ordinal, at))
            .filter(|found| listing.selects(&self.snapshot(*found)));
        let alerts = matching.by_ref().take(max).collect();
        Page {
            alerts,
            next: matching.next().map(|found| found.ordinal),
            probe: Probe::default(),
        }
    }

    /// The alert at `ordinal` as it stands at `at`, if it exists then.
    pub fn at(&self, ordinal: usize, at: Duration) -> Option<Found> {
        let at = nanos(at);
        let (first, end) = (
            *self.phase_start.get(ordinal)? as usize,
            *self.phase_start.get(ordinal + 1)? as usize,
        );
        let alive = self.phases[first..end].partition_point(|phase| phase.lo <= at);
        (alive > 0).then(|| Found {
            ordinal,
            phase: to_u32(first + alive - 1),
        })
    }

    /// The test alert whose `uuid`, number or legacy `alertId` is `id`, at `at` (the first in
    /// list order when ids collide).
    pub fn find_test(&self, id: &str, at: Duration) -> Option<Found> {
        let number = id.parse::<u64>().ok();
        let by_uuid = match uuid::Uuid::try_parse(id) {
            Ok(parsed) if parsed.hyphenated().to_string() == id => {
                self.test_by_uuid.get(parsed.as_u128())
            }
            _ => None,
        };
        let by_text = self.test_by_text_uuid.get(id).copied();
        let by_number = number.and_then(|number| self.test_by_number.get(number));
        // The legacy id compares as text: only its canonical spelling matches.
        let by_legacy = number
            .filter(|number| number.to_string() == id)
            .and_then(|number| self.test_by_legacy.get(number));
        let by_legacy_uuid = match self.profile.era().alert_id {
            AlertIdKind::Uuid => by_uuid.or(by_text),
            AlertIdKind::Integer => None,
        };
        [by_uuid, by_text, by_number, by_legacy, by_legacy_uuid]
            .into_iter()
            .flatten()
            .min()
            .and_then(|ordinal| self.at(ordinal as usize, at))
    }

    /// The agent notification whose v7 id, number or `alertId` is `id`, at `at`.
    pub fn find_agent(&self, id: &str, at: Duration) -> Option<Found> {
        let canonical = id
            .parse::<u64>()
            .ok()
            .filter(|number| number.to_string() == id);
        let by_number = canonical.and_then(|number| self.agent_by_number.get(number));
        let by_alert_id = canonical.and_then(|number| self.agent_by_alert_id.get(number));
        let by_uuid = id
            .strip_prefix("00000000-0000-4000-8000-")
            .filter(|bits| {
                bits.len() == 12 && bits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
            .and_then(|bits| u64::from_str_radix(bits, 16).ok())
            .and_then(|bits| self.agent_by_uuid_bits.get(bits));
        [by_number, by_alert_id, by_uuid]
            .into_iter()
            .flatten()
            .min()
            .and_then(|ordinal| self.at(ordinal as usize, at))
    }

    /// The alert `found` as it stood then.
    pub fn snapshot(&self, found: Found) -> AlertSnapshot {
        let phase = &self.phases[found.phase as usize];
        if self.entries[phase.ordinal as usize].kind == KIND_TEST {
            AlertSnapshot::Test(Arc::new(self.test_at(phase)))
        } else {
            AlertSnapshot::Agent(self.agent_at(phase))
        }
    }

    fn test_at(&self, phase: &Phase) -> TestAlert {
        let entry = &self.entries[phase.ordinal as usize];
        let uuid = match entry.uuid {
            Uuid::Canonical(bits) => uuid::Uuid::from_u128(bits).hyphenated().to_string(),
            Uuid::Text(text) => self.texts[text as usize].to_string(),
            Uuid::None => String::new(),
        };
        let first = phase.first as usize;
        TestAlert {
            number: entry.number,
            uuid,
            account: Arc::clone(&self.accounts[entry.account as usize]),
            test: Arc::clone(&self.tests[phase.subject as usize]),
            rule: Arc::clone(&self.rules[phase.rule as usize]),
            start: phase.start,
            state: phase.state,
            sources: self.sources[first..first + phase.second as usize]
                .iter()
                .map(|source| AlertSource {
                    agent: Arc::clone(&self.agents[source.agent as usize]),
                    start: source.start,
                    metrics_at_start: self.texts[source.metrics_at_start as usize]
                        .to_string()
                        .into(),
                    metrics_latest: self.texts[source.metrics_latest as usize]
                        .to_string()
                        .into(),
                    state: source.state,
                })
                .collect(),
        }
    }

    fn agent_at(&self, phase: &Phase) -> AgentNotification {
        let entry = &self.entries[phase.ordinal as usize];
        AgentNotification {
            number: entry.number,
            account: Arc::clone(&self.accounts[entry.account as usize]),
            rule: Arc::clone(&self.agent_rules[phase.subject as usize]),
            agent: Arc::clone(&self.agents[phase.rule as usize]),
            start: phase.start,
            metrics_at_start: self.texts[phase.first as usize].to_string(),
            metrics_at_end: self.texts[phase.second as usize].to_string(),
            state: phase.state,
        }
    }

    /// The `alertType` of the first alert `rule_id` raised and the tests it alerted on, in
    /// order of first appearance over the whole scenario (rules are configuration).
    pub fn rule_tests(&self, rule_id: u64) -> Option<(&'static str, &[u64])> {
        self.rule_tests
            .get(&rule_id)
            .map(|(alert_type, tests)| (*alert_type, tests.as_slice()))
    }

    /// The agents that alerted on `test_id` over the whole scenario, in order of first
    /// appearance.
    pub fn test_agents(&self, test_id: u64) -> Vec<&Agent> {
        self.test_agents
            .get(&test_id)
            .map(|agents| {
                agents
                    .iter()
                    .map(|agent| self.agents[*agent as usize].as_ref())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Ordinals, Phase, group_by_ordinal, same_bytes};

    proptest! {
        /// Mostly increasing numbers with repeats (the changes of recent alerts) and, in some
        /// cases, one out of order: the same ordinals as a hash map gives.
        #[test]
        fn ordinals_are_those_of_a_map(
            keys in proptest::collection::vec((0u8..2, 0u64..400), 0..300),
            increasing in any::<bool>(),
        ) {
            let mut keys = keys;
            if increasing {
                // Each key a new, larger number or one seen recently.
                let mut last = [0u64; 2];
                for key in &mut keys {
                    let kind = usize::from(key.0);
                    if key.1 % 3 == 0 {
                        key.1 = last[kind].saturating_sub(key.1 % 7);
                    } else {
                        last[kind] += key.1 % 5 + 1;
                        key.1 = last[kind];
                    }
                }
            }
            let mut ordinals = Ordinals::default();
            let mut map = std::collections::HashMap::new();
            for key in keys {
                let next = u32::try_from(map.len()).unwrap();
                let expected = *map.entry(key).or_insert(next);
                prop_assert_eq!(ordinals.get_or_insert(key, next), expected);
            }
        }

        /// Grouping is the stable sort by ordinal, for changes in any order: alerts far apart,
        /// interleaved, and ones changed again much later.
        #[test]
        fn grouping_is_the_stable_sort_by_ordinal(
            ordinals in proptest::collection::vec(0u32..60, 0..400),
        ) {
            // First appearances get ordinals in order, as the builder gives them.
            let mut seen = std::collections::HashMap::new();
            let mut phases: Vec<Phase> = ordinals
                .iter()
                .enumerate()
                .map(|(position, key)| {
                    let next = u32::try_from(seen.len()).unwrap();
                    let ordinal = *seen.entry(*key).or_insert(next);
                    Phase {
                        lo: position as u64,
                        ordinal,
                        start: tesim_model::TeDate::EPOCH,
                        state: tesim_model::AlertState::Active,
                        subject: 0,
                        rule: 0,
                        first: 0,
                        second: 0,
                    }
                })
                .collect();
            let mut expected = phases.clone();
            expected.sort_by_key(|phase| phase.ordinal);
            let phase_start = group_by_ordinal(&mut phases, seen.len());
            prop_assert_eq!(&phases, &expected);
            prop_assert_eq!(phase_start.len(), seen.len() + 1);
            for (ordinal, bounds) in phase_start.windows(2).enumerate() {
                let (first, end) = (bounds[0] as usize, bounds[1] as usize);
                prop_assert!(first < end);
                prop_assert!(phases[first..end].iter().all(|phase| phase.ordinal as usize == ordinal));
            }
            prop_assert_eq!(phase_start.last().copied(), Some(u32::try_from(phases.len()).unwrap()));
        }

        /// Equal-length texts differing in any one byte, at every length the loads cover.
        #[test]
        fn same_bytes_is_equality(
            text in proptest::collection::vec(any::<u8>(), 0..40),
            flip in any::<proptest::sample::Index>(),
            bit in 0u8..8,
        ) {
            prop_assert!(same_bytes(&text, &text.clone()));
            if !text.is_empty() {
                let mut other = text.clone();
                other[flip.index(text.len())] ^= 1 << bit;
                prop_assert!(!same_bytes(&text, &other));
                prop_assert!(!same_bytes(&text, &text[1..]));
            }
        }
    }
}
