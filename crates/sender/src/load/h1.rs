//! Load mode's own HTTP/1.1 client connection: one task owns the socket, writes a request
//! serialized before the clock started in one write, and parses the answer with `httparse`
//! from a reused buffer.
//!
//! hyper's client splits every exchange between the caller's task and a connection task (two
//! wake-ups per request) and rebuilds a `HeaderMap` both ways; wrk does neither, and load mode
//! is measured against wrk. The semantics stay HTTP's: Content-Length, chunked and
//! close-delimited bodies are read to their end, interim 1xx answers are skipped,
//! `Connection: close` (and HTTP/1.0 without keep-alive) closes the connection, and redirects
//! are never followed (the caller turns a 3xx into the same failure as everywhere else).

use std::io;
use std::mem::MaybeUninit;
use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::client::MAX_KEPT_BODY;
use crate::connect::{NotHttp, Stream};
use crate::error::{DeliveryError, Detail, ErrorKind};

/// Most headers an answer may have (hyper's default too).
const MAX_HEADERS: usize = 100;
/// Largest answer head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The read buffer's starting size: a typical answer fits in one read.
const READ_BUFFER: usize = 8 * 1024;

/// Why an answer could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum H1Error {
    /// The bytes are not an HTTP/1.x answer.
    #[error("the answer is not valid HTTP/1.1: {0}; check that the receiver speaks HTTP/1.1")]
    Malformed(String),
    /// The head went past [`MAX_HEAD`].
    #[error(
        "the answer's head is larger than {} KiB; the receiver should send fewer or shorter headers",
        MAX_HEAD / 1024
    )]
    HeadTooLarge,
    /// The peer closed before the answer ended.
    #[error("the connection ended before the answer was complete")]
    Incomplete,
    /// Reading or writing the socket.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl H1Error {
    /// The delivery failure, classified as the hyper path classifies it.
    pub(crate) fn into_delivery_error(self, url: Arc<str>) -> DeliveryError {
        match self {
            H1Error::Io(err) => {
                if let Some(not_http) = err
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<NotHttp>())
                {
                    return DeliveryError::not_http(url, not_http.0.clone());
                }
                let kind = match err.kind() {
                    io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof => ErrorKind::Reset,
                    _ => ErrorKind::Other,
                };
                let detail = if kind == ErrorKind::Reset {
                    Detail::Reset
                } else {
                    Detail::Other
                };
                DeliveryError::new(kind, url, detail, Some(Box::new(err)))
            }
            H1Error::Incomplete => {
                DeliveryError::new(ErrorKind::Reset, url, Detail::Reset, Some(Box::new(self)))
            }
            H1Error::Malformed(_) | H1Error::HeadTooLarge => {
                DeliveryError::new(ErrorKind::Other, url, Detail::Other, Some(Box::new(self)))
            }
        }
    }
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// The `Location` header, kept for non-2xx answers.
    pub(crate) location: Option<String>,
    /// The first [`MAX_KEPT_BODY`] bytes of the body, kept for non-2xx answers only (a 2xx
    /// body is read and dropped, as load mode never looks at it).
    pub(crate) body: Bytes,
    /// The connection must not carry another request.
    pub(crate) close: bool,
}

/// How the body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked(Chunked),
    UntilClose,
}

/// Where a chunked decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    Size { value: u64, digits: u8 },
    Extension { value: u64 },
    SizeLf { value: u64 },
    Data(u64),
    DataCr,
    DataLf,
    TrailerStart,
    TrailerLine,
    FinalLf,
}

#[derive(Debug)]
enum State {
    Head,
    Body {
        status: StatusCode,
        location: Option<String>,
        close: bool,
        framing: Framing,
        kept: Option<Vec<u8>>,
    },
}

/// Incremental parser of one answer: fed what has arrived, it says how much it used and, once
/// the answer is complete, what it was. Bytes it did not use must be fed again with more.
#[derive(Debug)]
pub(crate) struct ResponseParser {
    state: State,
}

impl ResponseParser {
    pub(crate) fn new() -> ResponseParser {
        ResponseParser { state: State::Head }
    }

    /// Uses what it can of `input`: `(used, Some(answer))` once the answer is complete.
    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<(usize, Option<Answer>), H1Error> {
        let mut used = 0;
        loop {
            match &mut self.state {
                State::Head => match parse_head(&input[used..])? {
                    None => {
                        if input.len() - used > MAX_HEAD {
                            return Err(H1Error::HeadTooLarge);
                        }
                        return Ok((used, None));
                    }
                    Some(Head::Interim { len }) => used += len,
                    Some(Head::Final {
                        len,
                        status,
                        location,
                        close,
                        framing,
                    }) => {
                        used += len;
                        let kept = (!status.is_success()).then(Vec::new);
                        self.state = State::Body {
                            status,
                            location,
                            close,
                            framing,
                            kept,
                        };
                    }
                },
                State::Body { framing, kept, .. } => {
                    let (n, done) = decode_body(framing, &input[used..], kept)?;
                    used += n;
                    if done {
                        return Ok((used, Some(self.finish())));
                    }
                    return Ok((used, None));
                }
            }
        }
    }

    /// The stream ended: the answer if its body was delimited by the end.
    pub(crate) fn end(&mut self) -> Result<Answer, H1Error> {
        match &self.state {
            State::Body {
                framing: Framing::UntilClose,
                ..
            } => Ok(self.finish()),
            _ => Err(H1Error::Incomplete),
        }
    }

    fn finish(&mut self) -> Answer {
        match std::mem::replace(&mut self.state, State::Head) {
            State::Body {
                status,
                location,
                close,
                framing,
                kept,
            } => Answer {
                status,
                location,
                body: kept.map(Bytes::from).unwrap_or_default(),
                close: close || framing == Framing::UntilClose,
            },
            State::Head => unreachable!("finish is called in the body state"),
        }
    }
}

enum Head {
    /// A 1xx answer before the real one.
    Interim { len: usize },
    Final {
        len: usize,
        status: StatusCode,
        location: Option<String>,
        close: bool,
        framing: Framing,
    },
}

fn parse_head(input: &[u8]) -> Result<Option<Head>, H1Error> {
    // Left uninitialized: zeroing 100 headers per answer cost more than parsing them.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        input,
        &mut headers,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(H1Error::Malformed(err.to_string())),
    };
    let code = response.code.expect("a complete head has a status");
    let status = StatusCode::from_u16(code)
        .map_err(|_| H1Error::Malformed(format!("status {code} is out of range")))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(H1Error::Malformed(
            "101 Switching Protocols to a request that asked for no upgrade".to_owned(),
        ));
    }
    if status.is_informational() {
        return Ok(Some(Head::Interim { len }));
    }
    let http10 = response.version == Some(0);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = http10;
    let mut location = None;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    H1Error::Malformed(format!(
                        "Content-Length `{}` is not a number",
                        String::from_utf8_lossy(header.value)
                    ))
                })?;
            if content_length.is_some_and(|seen| seen != value) {
                return Err(H1Error::Malformed(
                    "two different Content-Length headers".to_owned(),
                ));
            }
            content_length = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Only the last coding frames the body.
            chunked = header
                .value
                .rsplit(|byte| *byte == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|byte| *byte == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    close = false;
                }
            }
        } else if name.eq_ignore_ascii_case("location") && !status.is_success() {
            location = Some(String::from_utf8_lossy(header.value).into_owned());
        }
    }
    let framing = if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        Framing::Length(0)
    } else if transfer_encoding {
        if chunked {
            Framing::Chunked(Chunked::Size {
                value: 0,
                digits: 0,
            })
        } else {
            Framing::UntilClose
        }
    } else if let Some(length) = content_length {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    // With both, Transfer-Encoding wins and the connection must not be reused (RFC 9112 6.3).
    let close = close || (transfer_encoding && content_length.is_some());
    Ok(Some(Head::Final {
        len,
        status,
        location,
        close,
        framing,
    }))
}

fn keep(kept: &mut Option<Vec<u8>>, data: &[u8]) {
    if let Some(kept) = kept {
        let room = MAX_KEPT_BODY.saturating_sub(kept.len());
        kept.extend_from_slice(&data[..data.len().min(room)]);
    }
}

/// Decodes what it can of `input`: `(used, done)`.
fn decode_body(
    framing: &mut Framing,
    input: &[u8],
    kept: &mut Option<Vec<u8>>,
) -> Result<(usize, bool), H1Error> {
    match framing {
        Framing::Length(remaining) => {
            let n = (*remaining).min(input.len() as u64) as usize;
            keep(kept, &input[..n]);
            *remaining -= n as u64;
            Ok((n, *remaining == 0))
        }
        Framing::UntilClose => {
            keep(kept, input);
            Ok((input.len(), false))
        }
        Framing::Chunked(state) => decode_chunked(state, input, kept),
    }
}

fn decode_chunked(
    state: &mut Chunked,
    input: &[u8],
    kept: &mut Option<Vec<u8>>,
) -> Result<(usize, bool), H1Error> {
    let malformed = |what: &str| Err(H1Error::Malformed(format!("chunked body: {what}")));
    let mut at = 0;
    while at < input.len() {
        if let Chunked::Data(remaining) = state {
            let n = (*remaining).min((input.len() - at) as u64) as usize;
            keep(kept, &input[at..at + n]);
            at += n;
            *remaining -= n as u64;
            if *remaining == 0 {
                *state = Chunked::DataCr;
            }
            continue;
        }
        let byte = input[at];
        at += 1;
        *state = match *state {
            Chunked::Size { value, digits } => match byte {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                    let digit = u64::from((byte as char).to_digit(16).expect("a hex digit"));
                    if digits >= 16 {
                        return malformed("chunk size longer than 16 hex digits");
                    }
                    Chunked::Size {
                        value: value * 16 + digit,
                        digits: digits + 1,
                    }
                }
                _ if digits == 0 => return malformed("chunk size is not a hex number"),
                b';' | b' ' | b'\t' => Chunked::Extension { value },
                b'\r' => Chunked::SizeLf { value },
                _ => return malformed("chunk size is not a hex number"),
            },
            Chunked::Extension { value } => match byte {
                b'\r' => Chunked::SizeLf { value },
                b'\n' => return malformed("bare LF after a chunk size"),
                _ => Chunked::Extension { value },
            },
            Chunked::SizeLf { value } => match byte {
                b'\n' if value == 0 => Chunked::TrailerStart,
                b'\n' => Chunked::Data(value),
                _ => return malformed("CR without LF after a chunk size"),
            },
            Chunked::DataCr => match byte {
                b'\r' => Chunked::DataLf,
                _ => return malformed("chunk data longer than its size"),
            },
            Chunked::DataLf => match byte {
                b'\n' => Chunked::Size {
                    value: 0,
                    digits: 0,
                },
                _ => return malformed("CR without LF after chunk data"),
            },
            Chunked::TrailerStart => match byte {
                b'\r' => Chunked::FinalLf,
                _ => Chunked::TrailerLine,
            },
            Chunked::TrailerLine => match byte {
                b'\n' => Chunked::TrailerStart,
                _ => Chunked::TrailerLine,
            },
            Chunked::FinalLf => match byte {
                b'\n' => return Ok((at, true)),
                _ => return malformed("CR without LF at the end"),
            },
            Chunked::Data(_) => unreachable!("handled above"),
        };
    }
    Ok((at, false))
}

/// An answer's bytes as they arrive, in one buffer reused from answer to answer: the IO side
/// reads into [`ReadBuffer::spare`], then [`ReadBuffer::parse`] says whether the answer is
/// complete. Shared by the tokio connection below and the readiness loop (`load/readiness.rs`).
pub(crate) struct ReadBuffer {
    buffer: Vec<u8>,
    /// Unread bytes are `buffer[start..end]`.
    start: usize,
    end: usize,
}

impl ReadBuffer {
    pub(crate) fn new() -> ReadBuffer {
        ReadBuffer {
            buffer: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
        }
    }

    /// Forgets unread bytes (a new connection).
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Feeds the unread bytes to `parser`: the answer once complete. Its `close` is also set
    /// when bytes follow it: they were not asked for, so do not guess what they are.
    pub(crate) fn parse(&mut self, parser: &mut ResponseParser) -> Result<Option<Answer>, H1Error> {
        if self.start == self.end {
            return Ok(None);
        }
        let (used, answer) = parser.feed(&self.buffer[self.start..self.end])?;
        self.start += used;
        let Some(mut answer) = answer else {
            return Ok(None);
        };
        answer.close |= self.start < self.end;
        self.clear();
        Ok(Some(answer))
    }

    /// Where the next read goes: never empty.
    pub(crate) fn spare(&mut self) -> Result<&mut [u8], H1Error> {
        if self.start == self.end {
            self.clear();
        } else if self.end == self.buffer.len() {
            // A head that does not fit yet: move it to the front, then grow.
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.buffer.len() {
                let grown = (self.buffer.len() * 2).min(MAX_HEAD + READ_BUFFER);
                if grown == self.buffer.len() {
                    return Err(H1Error::HeadTooLarge);
                }
                self.buffer.resize(grown, 0);
            }
        }
        Ok(&mut self.buffer[self.end..])
    }

    /// The last read put `n` bytes into [`ReadBuffer::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        self.end += n;
    }
}

/// One keep-alive connection with its read buffer.
pub(crate) struct Connection {
    stream: Stream,
    buffer: ReadBuffer,
    closed: bool,
}

impl Connection {
    pub(crate) fn new(stream: Stream) -> Connection {
        Connection {
            stream,
            buffer: ReadBuffer::new(),
            closed: false,
        }
    }

    /// Whether another request may go on it.
    pub(crate) fn is_reusable(&self) -> bool {
        !self.closed
    }

    /// Writes `request` (head and body) and reads the whole answer.
    pub(crate) async fn exchange(&mut self, request: &[u8]) -> Result<Answer, H1Error> {
        // Until the answer is complete, an error leaves the connection unusable.
        self.closed = true;
        self.stream.write_all(request).await?;
        let mut parser = ResponseParser::new();
        loop {
            if let Some(answer) = self.buffer.parse(&mut parser)? {
                self.closed = answer.close;
                return Ok(answer);
            }
            let n = self.stream.read(self.buffer.spare()?).await?;
            if n == 0 {
                return parser.end();
            }
            self.buffer.filled(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `wire` cut at `cuts`, keeping unused bytes as [`ReadBuffer`] does.
    fn parse_in_pieces(wire: &[u8], cuts: &[usize]) -> Result<(Answer, usize), H1Error> {
        let mut parser = ResponseParser::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut consumed = 0;
        let mut bounds: Vec<usize> = cuts.iter().map(|cut| cut % (wire.len() + 1)).collect();
        bounds.push(wire.len());
        bounds.sort_unstable();
        let mut from = 0;
        for to in bounds {
            pending.extend_from_slice(&wire[from..to]);
            from = to;
            let (used, answer) = parser.feed(&pending)?;
            consumed += used;
            pending.drain(..used);
            if let Some(answer) = answer {
                return Ok((answer, consumed));
            }
        }
        parser.end().map(|answer| (answer, consumed))
    }

    fn chunked(body: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut wire = Vec::new();
        let mut rest = body;
        let mut sizes = sizes.iter().cycle();
        while !rest.is_empty() {
            let size = (*sizes.next().unwrap()).clamp(1, rest.len());
            wire.extend_from_slice(format!("{size:x};ext=1\r\n").as_bytes());
            wire.extend_from_slice(&rest[..size]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[size..];
        }
        wire.extend_from_slice(b"0\r\nx-trailer: yes\r\n\r\n");
        wire
    }

    proptest! {
        #[test]
        fn content_length_answers_parse_at_any_split(
            body in proptest::collection::vec(any::<u8>(), 0..300),
            status in prop_oneof![Just(200u16), Just(202), Just(400), Just(503)],
            interim in any::<bool>(),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            let mut wire = Vec::new();
            if interim {
                wire.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            wire.extend_from_slice(
                format!("HTTP/1.1 {status} X\r\nServer: t\r\nContent-Length: {}\r\n\r\n", body.len())
                    .as_bytes(),
            );
            wire.extend_from_slice(&body);
            let (answer, used) = parse_in_pieces(&wire, &cuts).unwrap();
            prop_assert_eq!(used, wire.len());
            prop_assert_eq!(answer.status.as_u16(), status);
            prop_assert!(!answer.close);
            let expected: &[u8] = if status < 300 { &[] } else { &body };
            prop_assert_eq!(&answer.body[..], expected);
        }

        #[test]
        fn chunked_answers_parse_at_any_split(
            body in proptest::collection::vec(any::<u8>(), 0..300),
            sizes in proptest::collection::vec(1usize..40, 1..5),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let mut wire =
                b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec();
            wire.extend_from_slice(&chunked(&body, &sizes));
            let (answer, used) = parse_in_pieces(&wire, &cuts).unwrap();
            prop_assert_eq!(used, wire.len());
            prop_assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
            prop_assert_eq!(&answer.body[..], &body[..]);
        }

        #[test]
        fn close_delimited_answers_end_with_the_stream(
            body in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            let mut wire = b"HTTP/1.1 404 Not Found\r\n\r\n".to_vec();
            wire.extend_from_slice(&body);
            let (answer, used) = parse_in_pieces(&wire, &cuts).unwrap();
            prop_assert_eq!(used, wire.len());
            prop_assert!(answer.close);
            prop_assert_eq!(&answer.body[..], &body[..]);
        }

        #[test]
        fn truncated_answers_are_incomplete(
            body in proptest::collection::vec(any::<u8>(), 1..100),
            chunked_body in any::<bool>(),
            cut in any::<usize>(),
        ) {
            let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
            if chunked_body {
                wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                wire.extend_from_slice(&chunked(&body, &[7]));
            } else {
                wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                wire.extend_from_slice(&body);
            }
            let truncated = &wire[..cut % wire.len()];
            prop_assert!(matches!(parse_in_pieces(truncated, &[]), Err(H1Error::Incomplete)));
        }
    }

    fn parse(wire: &[u8]) -> Result<Answer, H1Error> {
        parse_in_pieces(wire, &[]).map(|(answer, _)| answer)
    }

    #[test]
    fn connection_close_and_http10_close_the_connection() {
        let close =
            parse(b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n");
        assert!(close.unwrap().close);
        let http10 = parse(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert!(http10.close);
        let http10_kept =
            parse(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
        assert!(!http10_kept.unwrap().close);
        let both = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        );
        assert!(both.unwrap().close);
    }

    #[test]
    fn a_redirect_is_an_answer_with_its_location() {
        let answer = parse(
            b"HTTP/1.1 308 Permanent Redirect\r\nLocation: https://elsewhere/hook\r\nContent-Length: 5\r\n\r\nmoved",
        )
        .unwrap();
        assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(answer.location.as_deref(), Some("https://elsewhere/hook"));
        assert_eq!(&answer.body[..], b"moved");
    }

    #[test]
    fn no_content_has_no_body_whatever_it_says() {
        let wire = b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n";
        let (answer, used) = parse_in_pieces(wire, &[]).unwrap();
        assert_eq!((answer.status, used), (StatusCode::NO_CONTENT, wire.len()));
    }

    #[test]
    fn malformed_answers_say_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "not valid HTTP/1.1"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
                "Content-Length `ten`",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "two different Content-Length",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "chunk size is not a hex number",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                "chunk data longer than its size",
            ),
            (
                b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
                "101 Switching Protocols",
            ),
        ];
        for (wire, expected) in cases {
            let err = parse(wire).unwrap_err();
            assert!(
                err.to_string().contains(expected),
                "{}: {err}",
                String::from_utf8_lossy(wire)
            );
            let delivery = err.into_delivery_error("http://r/hook".into());
            assert_eq!(delivery.kind(), ErrorKind::Other);
            assert!(delivery.to_string().contains(expected), "{delivery}");
        }
    }

    #[test]
    fn a_head_too_large_is_refused() {
        let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
        while wire.len() <= MAX_HEAD + 10 {
            wire.extend_from_slice(
                b"x-filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        assert!(matches!(
            parse_in_pieces(&wire, &[]),
            Err(H1Error::HeadTooLarge | H1Error::Malformed(_))
        ));
    }
}
