//! Measures `tesim_sender::run` (replay mode, `--speed max`) against a receiver:
//! `run_bench URL [EVENTS] [CONCURRENCY]` sends EVENTS synthetic 875-byte deliveries spread
//! over 500 alerts (order per alert kept) and prints events/s.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::Duration;

use tesim_sender::{Delivery, SendConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: run_bench URL [EVENTS] [CONCURRENCY]")?;
    let events: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(50_000);
    let concurrency: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(16);
    let body = format!(
        r#"{{"eventType":"ALERT_NOTIFICATION_TRIGGER","pad":"{}"}}"#,
        "x".repeat(820)
    );
    let body = bytes::Bytes::from(body);
    let deliveries: Vec<Delivery> = (0..events)
        .map(|i| {
            Delivery::new(
                Duration::ZERO,
                format!("e{i}"),
                "ALERT_NOTIFICATION_TRIGGER",
                Some(Arc::from(format!("a{}", i % 500))),
                body.clone(),
            )
        })
        .collect();
    let mut config = SendConfig::new(url.parse()?);
    config.concurrency = concurrency;
    let summary = tesim_sender::run(deliveries, &config, |_| {}).await?;
    println!(
        "{} events, {} delivered in {:.0} ms: {:.0} events/s (concurrency {concurrency})",
        summary.total,
        summary.delivered,
        summary.elapsed_ms,
        summary.total as f64 / summary.elapsed_ms * 1e3
    );
    Ok(())
}
