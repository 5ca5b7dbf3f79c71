//! The readiness engine: one `mio::Poll` (edge-triggered epoll) per load thread and that
//! thread's connections as state machines, for plain-TCP targets, as wrk does.
//!
//! Under tokio each answer cost a task wake-up and poll, the IO driver's readiness bookkeeping
//! and the `Stream` enum's dispatch (~1.5k instructions per request, more than the parsing).
//! Here an epoll event goes straight to its connection's state (connecting → writing →
//! reading → next), which writes the request in one `write` and reads the answer into the
//! buffer the tokio connection uses too ([`h1::ReadBuffer`]): what is sent, when, and how the
//! answer is judged and counted is shared with the tokio engine ([`Cursor`], [`judge`],
//! [`H1Error::into_delivery_error`]); only the waiting differs.
//!
//! Addresses are resolved once, before the clock starts (as wrk does); every reconnect tries
//! them in order. Timeouts follow the watchdog's idea: a connection's deadlines only grow, so
//! the earliest deadline seen is a lower bound and the connections are scanned only once it
//! has passed, about once per request timeout in the closed model.

use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};

use super::cursor::{CONNECT_BACKOFF, Cursor, Step};
use super::h1::{self, H1Error, ReadBuffer, ResponseParser};
use super::{Shared, Wire, WorkerStats, judge};
use crate::connect::{ConnectError, check_http_prefix};
use crate::error::{DeliveryError, TimeoutPhase};

/// The token of a thread's waker (the collector wakes a thread when the run stops);
/// connections are numbered from 0.
pub(super) const WAKER: Token = Token(usize::MAX);

/// Where plain-TCP connections go.
pub(super) struct PlainTarget {
    /// Tried in order on every (re)connect.
    pub(super) addrs: Vec<SocketAddr>,
    /// `host:port`, for connect errors.
    pub(super) authority: String,
    pub(super) connect_timeout: Duration,
}

/// The request a connection is carrying.
#[derive(Debug, Clone, Copy)]
struct Request {
    index: usize,
    intended: Instant,
    /// The request timeout's deadline (connect included).
    deadline: Instant,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Ask the cursor what to send.
    Next,
    /// Until this instant: the open model's next due time, or a back-off after a failed
    /// connect.
    Waiting(Instant),
    Connecting {
        request: Request,
        /// The address being tried.
        addr: usize,
        /// The connect timeout's deadline, over all addresses.
        deadline: Instant,
    },
    Writing {
        request: Request,
        written: usize,
    },
    Reading {
        request: Request,
    },
    Done,
}

struct Connection {
    cursor: Cursor,
    socket: Option<TcpStream>,
    /// Whether the socket may carry another request.
    reusable: bool,
    buffer: ReadBuffer,
    parser: ResponseParser,
    /// See [`check_http_prefix`].
    http_prefix_seen: usize,
    /// Readiness epoll reported and not used up yet. Edge-triggered, so cleared only on
    /// `WouldBlock` or a short read or write (as tokio does): after a short read the socket was
    /// empty, and new bytes bring a new edge.
    readable: bool,
    writable: bool,
    /// The peer's end or an error was reported: final, so never cleared for the socket (a short
    /// read may leave the end of the stream behind, and no new edge will announce it).
    read_closed: bool,
    write_closed: bool,
    state: State,
}

/// A thread's loop, apart from its connections.
struct Driver<'a> {
    shared: &'a Shared,
    target: &'a PlainTarget,
    /// The clock as last read and not yet used as a start (see [`Cursor::next`]).
    now: Option<Instant>,
    /// No connection has a deadline before this (`None`: none has one).
    next_check: Option<Instant>,
    /// Connections not done.
    active: usize,
}

/// Runs `cursors` on this thread until each is done; their figures.
pub(super) fn run(
    shared: &Shared,
    target: &PlainTarget,
    mut poll: Poll,
    cursors: Vec<Cursor>,
) -> Vec<WorkerStats> {
    let mut connections: Vec<Connection> = cursors
        .into_iter()
        .map(|cursor| Connection {
            cursor,
            socket: None,
            reusable: false,
            buffer: ReadBuffer::new(),
            parser: ResponseParser::new(),
            http_prefix_seen: 0,
            readable: false,
            writable: false,
            read_closed: false,
            write_closed: false,
            state: State::Next,
        })
        .collect();
    let mut driver = Driver {
        shared,
        target,
        now: None,
        next_check: None,
        active: connections.len(),
    };
    let mut events = Events::with_capacity(connections.len() + 1);
    for (token, connection) in connections.iter_mut().enumerate() {
        driver.drive(poll.registry(), token, connection);
    }
    while driver.active > 0 {
        let clock = Instant::now();
        if driver.next_check.is_some_and(|check| clock >= check) {
            driver.expire(poll.registry(), clock, &mut connections);
            if driver.active == 0 {
                break;
            }
        }
        let timeout = driver
            .next_check
            .map(|check| check.saturating_duration_since(clock));
        if let Err(err) = poll.poll(&mut events, timeout) {
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // epoll itself failed: nothing more can be sent from this thread. What is in
            // flight is lost; what was counted stays.
            break;
        }
        for event in &events {
            if event.token() == WAKER {
                driver.wake(poll.registry(), &mut connections);
                continue;
            }
            let token = event.token().0;
            let Some(connection) = connections.get_mut(token) else {
                continue;
            };
            connection.note(event);
            driver.drive(poll.registry(), token, connection);
        }
    }
    connections
        .into_iter()
        .map(|connection| connection.cursor.into_stats())
        .collect()
}

impl Connection {
    fn note(&mut self, event: &Event) {
        self.readable |= event.is_readable();
        self.writable |= event.is_writable();
        self.read_closed |= event.is_read_closed() || event.is_error();
        self.write_closed |= event.is_write_closed() || event.is_error();
    }

    fn may_read(&self) -> bool {
        self.readable || self.read_closed
    }

    fn may_write(&self) -> bool {
        self.writable || self.write_closed
    }

    fn close(&mut self) {
        // Dropping the socket closes it, which takes it out of epoll.
        self.socket = None;
        self.reusable = false;
    }
}

impl Driver<'_> {
    /// A deadline now exists at `at`.
    fn arm(&mut self, at: Instant) {
        self.next_check = Some(self.next_check.map_or(at, |check| check.min(at)));
    }

    /// Moves `connection` on as far as it can go without waiting.
    fn drive(&mut self, registry: &Registry, token: usize, connection: &mut Connection) {
        loop {
            match connection.state {
                State::Done | State::Waiting(_) => return,
                State::Next => match connection.cursor.next(self.shared, &mut self.now) {
                    Step::Done => {
                        connection.state = State::Done;
                        connection.close();
                        self.active -= 1;
                        return;
                    }
                    Step::Wait(due) => {
                        connection.state = State::Waiting(due);
                        self.arm(due);
                        return;
                    }
                    Step::Send {
                        index,
                        intended,
                        start,
                    } => {
                        let request = Request {
                            index,
                            intended,
                            deadline: start + self.shared.request_timeout,
                        };
                        self.arm(request.deadline);
                        if connection.socket.is_some() && connection.reusable {
                            connection.state = State::Writing {
                                request,
                                written: 0,
                            };
                        } else {
                            let deadline = start + self.target.connect_timeout;
                            self.arm(deadline);
                            self.open(registry, token, connection, request, 0, deadline);
                        }
                    }
                },
                State::Connecting {
                    request,
                    addr,
                    deadline,
                } => {
                    if !connection.may_write() {
                        return;
                    }
                    let socket = connection.socket.as_ref().expect("connecting has a socket");
                    let outcome = match socket.take_error() {
                        Ok(Some(err)) | Err(err) => Err(err),
                        Ok(None) => match socket.peer_addr() {
                            Ok(_) => Ok(true),
                            Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(false),
                            Err(err) => Err(err),
                        },
                    };
                    match outcome {
                        Ok(true) => {
                            // Small requests: send them now rather than wait for Nagle.
                            let _ = socket.set_nodelay(true);
                            connection.reusable = true;
                            connection.state = State::Writing {
                                request,
                                written: 0,
                            };
                        }
                        Ok(false) => {
                            connection.writable = false;
                            return;
                        }
                        Err(_) if addr + 1 < self.target.addrs.len() => {
                            self.open(registry, token, connection, request, addr + 1, deadline);
                        }
                        Err(err) => {
                            let err = ConnectError::tcp(&self.target.authority, Some(err));
                            let url = connection.cursor.prepared(request.index).url.clone();
                            self.complete(connection, request, Err(err.into_delivery_error(url)));
                        }
                    }
                }
                State::Writing { request, written } => {
                    if !connection.may_write() {
                        return;
                    }
                    let Wire::Whole(wire) = &connection.cursor.prepared(request.index).wire else {
                        unreachable!("the readiness engine carries no OAuth requests");
                    };
                    let socket = connection.socket.as_mut().expect("writing has a socket");
                    match socket.write(&wire[written..]) {
                        Ok(0) => {
                            let err = io::Error::from(io::ErrorKind::WriteZero);
                            self.fail(connection, request, H1Error::Io(err));
                        }
                        Ok(n) if written + n == wire.len() => {
                            connection.state = State::Reading { request };
                        }
                        Ok(n) => {
                            // Short: the send buffer is full; its next room brings an edge.
                            connection.writable = false;
                            connection.state = State::Writing {
                                request,
                                written: written + n,
                            };
                            return;
                        }
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                            connection.writable = false;
                            return;
                        }
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                        Err(err) => self.fail(connection, request, H1Error::Io(err)),
                    }
                }
                State::Reading { request } => {
                    if !connection.may_read() {
                        return;
                    }
                    let spare = match connection.buffer.spare() {
                        Ok(spare) => spare,
                        Err(err) => {
                            self.fail(connection, request, err);
                            continue;
                        }
                    };
                    let room = spare.len();
                    let socket = connection.socket.as_mut().expect("reading has a socket");
                    match socket.read(spare) {
                        Ok(0) => match connection.parser.end() {
                            Ok(answer) => self.complete(connection, request, Ok(answer)),
                            Err(err) => self.fail(connection, request, err),
                        },
                        Ok(n) => {
                            if n < room {
                                connection.readable = false;
                            }
                            if let Err(err) =
                                check_http_prefix(&mut connection.http_prefix_seen, &spare[..n])
                            {
                                self.fail(connection, request, H1Error::Io(err));
                                continue;
                            }
                            connection.buffer.filled(n);
                            match connection.buffer.parse(&mut connection.parser) {
                                Ok(Some(answer)) => {
                                    self.complete(connection, request, Ok(answer));
                                }
                                Ok(None) => {}
                                Err(err) => self.fail(connection, request, err),
                            }
                        }
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                            connection.readable = false;
                            return;
                        }
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                        Err(err) => self.fail(connection, request, H1Error::Io(err)),
                    }
                }
            }
        }
    }

    /// Opens a new socket to the first address from `addr` on that accepts a connect call.
    fn open(
        &mut self,
        registry: &Registry,
        token: usize,
        connection: &mut Connection,
        request: Request,
        addr: usize,
        deadline: Instant,
    ) {
        connection.close();
        let mut last_error = None;
        for (index, address) in self.target.addrs.iter().enumerate().skip(addr) {
            let mut socket = match TcpStream::connect(*address) {
                Ok(socket) => socket,
                Err(err) => {
                    last_error = Some(err);
                    continue;
                }
            };
            if let Err(err) = registry.register(
                &mut socket,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            ) {
                last_error = Some(err);
                continue;
            }
            connection.socket = Some(socket);
            connection.buffer.clear();
            connection.parser = ResponseParser::new();
            connection.http_prefix_seen = 0;
            connection.readable = false;
            connection.writable = false;
            connection.read_closed = false;
            connection.write_closed = false;
            connection.state = State::Connecting {
                request,
                addr: index,
                deadline,
            };
            return;
        }
        let err = ConnectError::tcp(&self.target.authority, last_error);
        let url = connection.cursor.prepared(request.index).url.clone();
        self.complete(connection, request, Err(err.into_delivery_error(url)));
    }

    fn fail(&mut self, connection: &mut Connection, request: Request, err: H1Error) {
        let url = connection.cursor.prepared(request.index).url.clone();
        self.complete(connection, request, Err(err.into_delivery_error(url)));
    }

    /// The request ended: counts it and readies the connection for its next step.
    fn complete(
        &mut self,
        connection: &mut Connection,
        request: Request,
        outcome: Result<h1::Answer, DeliveryError>,
    ) {
        let result = match outcome {
            Ok(answer) => {
                if answer.close {
                    connection.close();
                }
                judge(connection.cursor.prepared(request.index), answer)
            }
            Err(err) => {
                // Mid-exchange: the connection's state is unknown.
                connection.close();
                connection.parser = ResponseParser::new();
                Err(err)
            }
        };
        let end = Instant::now();
        self.now = Some(end);
        if connection.cursor.finish(request.intended, end, result) {
            let until = end + CONNECT_BACKOFF;
            self.now = None;
            self.arm(until);
            connection.state = State::Waiting(until);
        } else {
            connection.state = State::Next;
        }
    }

    /// The earliest deadline has passed: fails what timed out, wakes what waited, and finds
    /// the next deadline.
    fn expire(&mut self, registry: &Registry, clock: Instant, connections: &mut [Connection]) {
        self.next_check = None;
        for (token, connection) in connections.iter_mut().enumerate() {
            match connection.state {
                State::Next | State::Done => {}
                State::Waiting(until) => {
                    if clock < until {
                        self.arm(until);
                        continue;
                    }
                    connection.state = State::Next;
                    self.now = None;
                    self.drive(registry, token, connection);
                }
                State::Connecting {
                    request, deadline, ..
                } => {
                    let first = deadline.min(request.deadline);
                    if clock < first {
                        self.arm(first);
                        continue;
                    }
                    let url = connection.cursor.prepared(request.index).url.clone();
                    let err = if deadline <= request.deadline {
                        ConnectError::tcp_timeout(
                            &self.target.authority,
                            self.target.connect_timeout,
                        )
                        .into_delivery_error(url)
                    } else {
                        self.request_timeout(url)
                    };
                    self.complete(connection, request, Err(err));
                    self.drive(registry, token, connection);
                }
                State::Writing { request, .. } | State::Reading { request } => {
                    if clock < request.deadline {
                        self.arm(request.deadline);
                        continue;
                    }
                    let url = connection.cursor.prepared(request.index).url.clone();
                    let err = self.request_timeout(url);
                    self.complete(connection, request, Err(err));
                    self.drive(registry, token, connection);
                }
            }
        }
    }

    fn request_timeout(&self, url: std::sync::Arc<str>) -> DeliveryError {
        DeliveryError::timeout(url, TimeoutPhase::Request, self.shared.request_timeout)
    }

    /// The collector woke the thread: once the run is stopped, what waits ends now.
    fn wake(&mut self, registry: &Registry, connections: &mut [Connection]) {
        if !self
            .shared
            .stopped
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        for (token, connection) in connections.iter_mut().enumerate() {
            if let State::Waiting(_) = connection.state {
                connection.state = State::Next;
                self.drive(registry, token, connection);
            }
        }
    }
}
