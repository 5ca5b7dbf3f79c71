//! Where load mode's requests come from. A pass that fits in [`LoadConfig::hold_bytes`] is
//! prepared once, before the clock starts, and sent round and round: nothing is rendered while
//! the run is measured. A longer pass is streamed: a producer thread plays the scenario again for
//! each pass, prepares each request and hands it to its connection's bounded queue, so memory
//! holds what is queued and what the scenario has active, not the pass.
//!
//! Both ways send the same requests in the same per-connection order: a request's connection,
//! its shard and its number in the run (which the open model's schedule uses) depend only on
//! its place in the pass.
//!
//! [`LoadConfig::hold_bytes`]: super::LoadConfig::hold_bytes

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue};

use super::{Prepared, Shard, Shared, Wire, serialize_head};
use crate::auth::{Auth, Authenticator};
use crate::client::Client;
use crate::run::{Delivery, SenderError};
use crate::target::Target;

/// One pass over a scenario's deliveries, made as it is read.
pub type Pass = Box<dyn Iterator<Item = Delivery> + Send>;

/// What load mode sends round and round.
pub enum LoadSource {
    /// One pass, made already.
    Deliveries(Vec<Delivery>),
    /// A maker of passes: called once per pass, each call gives the same deliveries (a
    /// scenario replayed with the same seed).
    Passes(Box<dyn FnMut() -> Pass + Send>),
}

impl From<Vec<Delivery>> for LoadSource {
    fn from(deliveries: Vec<Delivery>) -> LoadSource {
        LoadSource::Deliveries(deliveries)
    }
}

impl LoadSource {
    /// Passes made by `make`, one call per pass.
    pub fn passes(make: impl FnMut() -> Pass + Send + 'static) -> LoadSource {
        LoadSource::Passes(Box::new(make))
    }
}

/// Counted per held delivery besides its body: the request head and the bookkeeping.
const HELD_OVERHEAD: usize = 512;

/// How many prepared requests a connection's queue holds ahead of its sends.
pub(super) const QUEUE_DEPTH: usize = 64;

/// A source once its first pass has been looked at.
pub(super) enum Plan {
    /// The whole pass, within the budget.
    Held(Vec<Delivery>),
    /// Over the budget: streamed.
    Streamed(Streamed),
}

/// A streamed source: the first pass is what was read while deciding, then the rest of it.
pub(super) struct Streamed {
    first: Vec<Delivery>,
    rest: Pass,
    make: Box<dyn FnMut() -> Pass + Send>,
}

impl Plan {
    /// Reads `source`'s first pass until it ends (held) or passes `hold_bytes` (streamed).
    pub(super) fn of(source: LoadSource, hold_bytes: usize) -> Plan {
        match source {
            LoadSource::Deliveries(deliveries) => Plan::Held(deliveries),
            LoadSource::Passes(mut make) => {
                let mut pass = make();
                let mut first = Vec::new();
                let mut bytes = 0usize;
                for delivery in pass.by_ref() {
                    bytes = bytes.saturating_add(delivery.body.len() + HELD_OVERHEAD);
                    first.push(delivery);
                    if bytes > hold_bytes {
                        return Plan::Streamed(Streamed {
                            first,
                            rest: pass,
                            make,
                        });
                    }
                }
                Plan::Held(first)
            }
        }
    }
}

/// Turns deliveries into wire requests and says which connection sends each: each order key
/// (an alert) always on the same one, so per-alert order holds; with a shard, only its own.
pub(super) struct Preparer {
    target: Target,
    default_headers: HeaderMap,
    /// Static credentials go in the prepared headers; OAuth tokens are added per request.
    static_auth: Option<HeaderValue>,
    oauth: bool,
    n_workers: usize,
    shard: Option<Shard>,
    keyless: usize,
}

impl Preparer {
    pub(super) fn new(
        target: &Target,
        client: &Client,
        auth: &Authenticator,
        n_workers: usize,
        shard: Option<Shard>,
    ) -> Preparer {
        let static_auth = match auth.auth() {
            Auth::None | Auth::OAuthClientCredentials { .. } | Auth::OAuthRefreshToken { .. } => {
                None
            }
            // Static modes never touch the network here.
            _ => Some(
                auth.authorization_static()
                    .expect("static auth modes have a fixed header"),
            ),
        };
        Preparer {
            target: target.clone(),
            default_headers: client.default_headers().clone(),
            static_auth,
            oauth: auth.is_oauth(),
            n_workers,
            shard,
            keyless: 0,
        }
    }

    /// Whether this shard sends the delivery at `position` of a pass.
    pub(super) fn owns(&self, delivery: &Delivery, position: u64) -> bool {
        self.shard
            .is_none_or(|shard| shard.owns(delivery.order_key.as_deref(), position))
    }

    /// The request of `delivery` (owned by this shard), at `position` of its pass, and the
    /// connection that sends it.
    pub(super) fn prepare(
        &mut self,
        position: u64,
        delivery: Delivery,
    ) -> Result<(usize, Prepared), SenderError> {
        let target = match delivery.path_and_query.as_deref() {
            None | Some("") => self.target.clone(),
            Some(path) => self.target.join(path).map_err(|source| SenderError::Path {
                event_id: delivery.event_id.to_string(),
                source,
            })?,
        };
        let uri = target.uri();
        let origin = uri
            .path_and_query()
            .map(|path| path.as_str())
            .unwrap_or("/");
        let mut headers = HeaderMap::new();
        let host = uri
            .authority()
            .map(|authority| authority.as_str())
            .unwrap_or_default();
        headers.insert(
            HOST,
            HeaderValue::from_str(host).expect("a URI authority is a valid header value"),
        );
        for (name, value) in &self.default_headers {
            headers.append(name.clone(), value.clone());
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(header) = &self.static_auth {
            headers.insert(AUTHORIZATION, header.clone());
        }
        for (name, _) in &delivery.extra_headers {
            headers.remove(name);
        }
        for (name, value) in &delivery.extra_headers {
            headers.append(name.clone(), value.clone());
        }
        // The body's length frames it; the token is the one added per request.
        headers.remove(CONTENT_LENGTH);
        headers.remove(TRANSFER_ENCODING);
        if self.oauth {
            headers.remove(AUTHORIZATION);
        }
        let sent_auth = self.oauth || headers.contains_key(AUTHORIZATION);
        let head = serialize_head(origin, &headers, delivery.body.len());
        let wire = if self.oauth {
            Wire::Head {
                head: Bytes::from(head),
                body: delivery.body,
            }
        } else {
            let mut whole = head;
            whole.extend_from_slice(b"\r\n");
            whole.extend_from_slice(&delivery.body);
            Wire::Whole(Bytes::from(whole))
        };
        let worker = match &delivery.order_key {
            Some(key) => {
                let mut hasher = DefaultHasher::new();
                key.hash(&mut hasher);
                (hasher.finish() % self.n_workers as u64) as usize
            }
            None => {
                self.keyless += 1;
                self.keyless % self.n_workers
            }
        };
        Ok((
            worker,
            Prepared {
                position,
                url: target.text(),
                wire,
                sent_auth,
            },
        ))
    }
}

/// One queue per connection: the producer's ends and the connections' ends.
pub(super) fn queues(n: usize) -> (Vec<SyncSender<Prepared>>, Vec<Receiver<Prepared>>) {
    (0..n)
        .map(|_| std::sync::mpsc::sync_channel(QUEUE_DEPTH))
        .unzip()
}

/// The producer thread's work: plays passes until the run's first `max_events` events are
/// made (one pass when `single_pass`), numbering each request by its place in the run; stops
/// early when the run stops or every connection has gone. Each request goes to its
/// connection's queue, waiting while that is full.
pub(super) fn produce(
    streamed: Streamed,
    mut preparer: Preparer,
    queues: Vec<SyncSender<Prepared>>,
    shared: &Shared,
    max_events: u64,
    single_pass: bool,
) -> Result<(), SenderError> {
    let Streamed {
        first,
        rest,
        mut make,
    } = streamed;
    let mut pass: Pass = Box::new(first.into_iter().chain(rest));
    let mut base = 0u64;
    loop {
        let mut position = 0u64;
        for delivery in pass {
            let n = base + position;
            if n >= max_events || shared.stopped.load(Ordering::Relaxed) {
                return Ok(());
            }
            if preparer.owns(&delivery, position) {
                let (worker, mut prepared) = preparer.prepare(position, delivery)?;
                prepared.position = n;
                if queues[worker].send(prepared).is_err() {
                    // That connection has ended, so has the run.
                    return Ok(());
                }
            }
            position += 1;
        }
        if position == 0 || single_pass {
            return Ok(());
        }
        base += position;
        pass = make();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn delivery(n: usize, body_len: usize) -> Delivery {
        Delivery::new(
            Duration::ZERO,
            format!("e{n}"),
            "ALERT_NOTIFICATION_TRIGGER",
            Some(format!("a{}", n % 7).into()),
            vec![b'x'; body_len],
        )
    }

    fn passes(len: usize, body_len: usize) -> LoadSource {
        LoadSource::passes(move || -> Pass {
            Box::new((0..len).map(move |n| delivery(n, body_len)))
        })
    }

    #[test]
    fn a_pass_within_the_budget_is_held_whole() {
        let Plan::Held(held) = Plan::of(passes(10, 100), 10 * (100 + HELD_OVERHEAD)) else {
            panic!("10 deliveries fit");
        };
        let ids: Vec<&str> = held.iter().map(|d| &*d.event_id).collect();
        assert_eq!(
            ids,
            ["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"]
        );
    }

    #[test]
    fn a_pass_over_the_budget_is_streamed_and_loses_nothing() {
        let Plan::Streamed(streamed) = Plan::of(passes(10, 100), 3 * (100 + HELD_OVERHEAD)) else {
            panic!("10 deliveries do not fit in 3");
        };
        assert_eq!(streamed.first.len(), 4, "read until the budget is passed");
        let Streamed {
            first,
            rest,
            mut make,
        } = streamed;
        let first_pass: Vec<String> = first
            .into_iter()
            .chain(rest)
            .map(|d| d.event_id.to_string())
            .collect();
        let second_pass: Vec<String> = make().map(|d| d.event_id.to_string()).collect();
        assert_eq!(first_pass, second_pass);
        assert_eq!(first_pass.len(), 10);
    }

    #[test]
    fn deliveries_given_whole_are_held_whatever_their_size() {
        let deliveries: Vec<Delivery> = (0..5).map(|n| delivery(n, 10_000)).collect();
        assert!(matches!(Plan::of(deliveries.into(), 0), Plan::Held(held) if held.len() == 5));
    }
}
