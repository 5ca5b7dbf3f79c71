//! The minimal receiver `cargo xtask bench` points both tesim's load mode and wrk at: reads
//! each request body in full and answers `200` with an empty body, over HTTP/1.1 keep-alive.
//! It does no parsing, logging or capturing, so it is the same cheap peer for every load
//! generator and the comparison measures the generators, not the receiver.
//!
//! `GET /_sink/stats` answers `{"requests":N,"body_bytes":M}` (counted over every other
//! request), so the bench can check that the requests a generator claims arrived, and how big
//! they were. `--save-first FILE` writes the first body it receives to FILE (the bench gives
//! that exact body to wrk). `--answer FILE` makes it answer every other `GET` with FILE's
//! bytes as JSON: the cheapest possible API server, the ceiling for a mock API on this machine.
//! The first line on stdout is the base URL; it runs until killed.
//!
//! ```text
//! cargo run --release -p tesim-receiver --example sink -- [--listen 127.0.0.1:0] [--save-first FILE] [--answer FILE]
//! ```
// A program, not a library: its output is stdout.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    body_bytes: AtomicU64,
    save_first: Option<PathBuf>,
    saved: AtomicBool,
    answer: Option<Bytes>,
}

fn main() -> std::process::ExitCode {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut save_first = None;
    let mut answer = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(value)) => match value.parse() {
                Ok(addr) => listen = addr,
                Err(err) => {
                    eprintln!("sink: --listen {value}: {err}; use an address such as 127.0.0.1:0");
                    return std::process::ExitCode::from(2);
                }
            },
            ("--save-first", Some(value)) => save_first = Some(PathBuf::from(value)),
            ("--answer", Some(value)) => match std::fs::read(&value) {
                Ok(bytes) => answer = Some(Bytes::from(bytes)),
                Err(err) => {
                    eprintln!("sink: --answer: cannot read {value}: {err}");
                    return std::process::ExitCode::from(2);
                }
            },
            _ => {
                eprintln!(
                    "sink: unknown argument `{arg}`; usage: sink [--listen ADDR] [--save-first FILE] [--answer FILE]"
                );
                return std::process::ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("sink: cannot start the async runtime: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(listen, save_first, answer)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sink: {err}");
            std::process::ExitCode::from(1)
        }
    }
}

async fn serve(
    listen: SocketAddr,
    save_first: Option<PathBuf>,
    answer: Option<Bytes>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await.map_err(|err| {
        std::io::Error::new(
            err.kind(),
            format!("cannot listen on {listen}: {err}; pick another --listen address"),
        )
    })?;
    let addr = listener.local_addr()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "http://{addr}/")?;
        stdout.flush()?;
    }
    let counters = Arc::new(Counters {
        save_first,
        answer,
        ..Counters::default()
    });
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: keep serving the connections we have.
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        let counters = counters.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, counters.clone()));
            // A client closing its connection mid-request is not the sink's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    request: Request<Incoming>,
    counters: Arc<Counters>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() == Method::GET && request.uri().path() == "/_sink/stats" {
        let body = format!(
            "{{\"requests\":{},\"body_bytes\":{}}}",
            counters.requests.load(Ordering::Relaxed),
            counters.body_bytes.load(Ordering::Relaxed)
        );
        let mut response = Response::new(Full::new(Bytes::from(body)));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    }
    if let (&Method::GET, Some(answer)) = (request.method(), &counters.answer) {
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = Response::new(Full::new(answer.clone()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    }
    let status = match request.into_body().collect().await {
        Ok(body) => {
            let body = body.to_bytes();
            if let Some(path) = &counters.save_first {
                if !counters.saved.swap(true, Ordering::Relaxed) {
                    if let Err(err) = std::fs::write(path, &body) {
                        eprintln!("sink: --save-first: cannot write {}: {err}", path.display());
                    }
                }
            }
            counters.requests.fetch_add(1, Ordering::Relaxed);
            counters
                .body_bytes
                .fetch_add(body.len() as u64, Ordering::Relaxed);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    Ok(response)
}
