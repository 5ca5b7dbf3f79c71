//! The scriptable receiver, the history API and the relay, over loopback.

use std::time::Duration;

use tesim_receiver::{Forward, Mode, ReceiverConfig, RedirectTarget, Script};

use super::client::{post_json, request, start, trigger};

fn scripted(seed: u64) -> ReceiverConfig {
    ReceiverConfig {
        script: Some(Script {
            statuses: Script::parse_statuses("503,500,200").unwrap(),
            fail_rate: 0.3,
            seed,
            ..Script::default()
        }),
        ..ReceiverConfig::default()
    }
}

async fn statuses(config: ReceiverConfig, count: usize) -> Vec<u16> {
    let (receiver, _rx) = start(config).await;
    let mut seen = Vec::new();
    for n in 0..count {
        let answer = post_json(
            receiver.local_addr(),
            "/hook",
            &[],
            &trigger(&n.to_string(), 1),
        )
        .await;
        seen.push(answer.status.as_u16());
    }
    receiver.shutdown().await;
    seen
}

#[tokio::test]
async fn a_seeded_script_answers_the_same_every_run() {
    let first = statuses(scripted(42), 40).await;
    let again = statuses(scripted(42), 40).await;
    assert_eq!(first, again);
    assert_eq!(first[..2], [503, 500]);
    // Past the sequence: 200, or 500 where the seeded draw fails, exactly as Script::step says.
    let script = scripted(42).script.unwrap();
    for (n, status) in first.iter().enumerate().skip(2) {
        let expected = if script.step(n as u64).failed {
            500
        } else {
            200
        };
        assert_eq!(*status, expected, "position {n}");
    }
    assert!(
        first[2..].contains(&500) && first[2..].contains(&200),
        "{first:?}"
    );
    assert_ne!(first, statuses(scripted(43), 40).await);
}

#[tokio::test]
async fn a_scripted_delay_holds_the_answer() {
    let config = ReceiverConfig {
        script: Some(Script {
            delays: vec![Duration::from_millis(200), Duration::ZERO],
            ..Script::default()
        }),
        ..ReceiverConfig::default()
    };
    let (receiver, _rx) = start(config).await;
    let answer = post_json(receiver.local_addr(), "/hook", &[], &trigger("1", 1)).await;
    assert_eq!(answer.status.as_u16(), 200);
    let history = request(receiver.local_addr(), "GET", "/_tesim/requests", &[], "").await;
    let latency = history.json()[0]["response"]["latencyMs"].as_f64().unwrap();
    // A lower bound only: the delay cannot be skipped, however slow the machine.
    assert!(latency >= 200.0, "{latency}");
}

#[tokio::test]
async fn the_history_api_lists_masked_requests_and_clears() {
    let (receiver, _rx) = start(ReceiverConfig::default()).await;
    let addr = receiver.local_addr();
    post_json(
        addr,
        "/hook?token=hist-s3cret&x=1",
        &[("authorization", "Bearer hist-t0ken")],
        &trigger("1", 7),
    )
    .await;
    post_json(addr, "/hook", &[], &trigger("2", 7)).await;
    let answer = request(addr, "GET", "/_tesim/requests", &[], "").await;
    assert_eq!(answer.status.as_u16(), 200);
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    assert!(
        !text.contains("hist-s3cret") && !text.contains("hist-t0ken"),
        "{text}"
    );
    let records: Vec<tesim_capture::CaptureRecord> = serde_json::from_str(&text).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].schema, "tesim.capture/v1");
    assert!(records[0].request.url.ends_with("/hook?token=***&x=1"));
    assert_eq!(
        records[0].request_header("authorization"),
        Some("Bearer ***")
    );
    assert_eq!(records[0].request.body, trigger("1", 7).to_string());
    assert_eq!(records[1].response.as_ref().unwrap().status, 200);

    let cleared = request(addr, "DELETE", "/_tesim/requests", &[], "").await;
    assert_eq!(cleared.status.as_u16(), 204);
    let after = request(addr, "GET", "/_tesim/requests", &[], "").await;
    assert_eq!(after.json(), serde_json::json!([]));
    let wrong = request(addr, "PUT", "/_tesim/requests", &[], "").await;
    assert_eq!(wrong.status.as_u16(), 405);
}

#[tokio::test]
async fn a_relay_passes_redirects_back_unfollowed() {
    let (target, _target_rx) = start(ReceiverConfig::with_mode(Mode::Redirect {
        status: http::StatusCode::PERMANENT_REDIRECT,
        to: RedirectTarget::Path("/elsewhere".to_owned()),
    }))
    .await;
    let (capture_tx, mut capture_rx) = tokio::sync::mpsc::unbounded_channel();
    let relay_config = ReceiverConfig {
        forward: Some(Forward::new(&target.url("/base"), Duration::from_secs(10)).unwrap()),
        capture: Some(capture_tx),
        ..ReceiverConfig::default()
    };
    let (relay, _relay_rx) = start(relay_config).await;
    let answer = post_json(relay.local_addr(), "/hook?x=1", &[], &trigger("1", 1)).await;
    assert_eq!(answer.status.as_u16(), 308);
    assert!(
        answer.headers["location"]
            .to_str()
            .unwrap()
            .ends_with("/elsewhere")
    );
    let record = tokio::time::timeout(super::client::WAIT, capture_rx.recv())
        .await
        .unwrap()
        .unwrap();
    let response = record.response.unwrap();
    assert_eq!(response.status, 308);
    assert_eq!(response.body_size, response.body.len());
    assert!(record.request.url.ends_with("/hook?x=1"));
    // Only the first request reached the target: the relay did not follow.
    assert_eq!(target.server().connections(), 1);
}

#[tokio::test]
async fn a_relay_to_nothing_answers_502_and_records_why() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let relay_config = ReceiverConfig {
        forward: Some(Forward::new(&dead, Duration::from_secs(10)).unwrap()),
        ..ReceiverConfig::default()
    };
    let (relay, _rx) = start(relay_config).await;
    let answer = post_json(relay.local_addr(), "/hook", &[], &trigger("1", 1)).await;
    assert_eq!(answer.status.as_u16(), 502);
    let history = request(relay.local_addr(), "GET", "/_tesim/requests", &[], "").await;
    let record = &history.json()[0];
    assert!(record["response"].is_null());
    assert!(record["error"].as_str().unwrap().contains("unreachable"));
}
