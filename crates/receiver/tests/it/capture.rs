use tesim_receiver::{ReceiverConfig, Records};

use super::client::{self, WAIT};

#[tokio::test]
async fn trigger_reaches_receiver_once_with_summary() {
    let (receiver, mut rx) = client::start(ReceiverConfig::default()).await;
    let answer = client::post_json(
        receiver.local_addr(),
        "/hook?src=te",
        &[],
        &client::trigger("49-35541", 35541),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), serde_json::json!({"ok": true}));
    let got = client::next(&mut rx).await;
    assert_eq!(got.method, "POST");
    assert_eq!(got.path_and_query, "/hook?src=te");
    assert_eq!(got.headers["content-type"], "application/json");
    assert_eq!(got.json.as_ref().unwrap()["alert"]["alertId"], 35541);
    assert_eq!(got.answered.map(|status| status.as_u16()), Some(200));
    assert_eq!(
        got.summary(),
        r#"POST /hook?src=te -> 200  ALERT_NOTIFICATION_TRIGGER eventId=49-35541 alertId=35541 rule="Default Page Load Alert Rule" test="http://www.thousandeyes111.com" agents=[Boston, MA; Vancouver, Canada]"#
    );
    assert!(rx.try_recv().is_err(), "delivered twice");
    receiver.shutdown().await;
}

#[tokio::test]
async fn non_json_body_is_captured_raw() {
    let (receiver, mut rx) = client::start(ReceiverConfig::default()).await;
    let answer = client::request(
        receiver.local_addr(),
        "PUT",
        "/x",
        &[("content-type", "text/plain")],
        "hello",
    )
    .await;
    assert_eq!(answer.status, 200);
    let got = client::next(&mut rx).await;
    assert_eq!(&got.body[..], b"hello");
    assert!(got.json.is_none());
    assert_eq!(
        got.summary(),
        "PUT /x -> 200  5 bytes (text/plain), not JSON"
    );
}

#[tokio::test]
async fn configured_status_and_body() {
    let config = ReceiverConfig {
        status: http::StatusCode::ACCEPTED,
        response_body: bytes::Bytes::from_static(b"{}"),
        ..ReceiverConfig::default()
    };
    let (receiver, _rx) = client::start(config).await;
    let answer =
        client::post_json(receiver.local_addr(), "/", &[], &client::trigger("1-1", 1)).await;
    assert_eq!(
        (answer.status.as_u16(), &answer.body[..]),
        (202, &b"{}"[..])
    );
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let (receiver, mut rx) = client::start(ReceiverConfig::default()).await;
    let mut connection = client::connect(receiver.local_addr()).await;
    for n in 0..3 {
        let answer = connection
            .send(
                "POST",
                "/hook",
                &[],
                client::trigger(&format!("{n}-5"), 5).to_string(),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
    }
    let ids: Vec<u64> = [
        client::next(&mut rx).await,
        client::next(&mut rx).await,
        client::next(&mut rx).await,
    ]
    .iter()
    .map(|got| got.connection_id)
    .collect();
    assert_eq!(ids, vec![1, 1, 1]);
    assert_eq!(receiver.server().connections(), 1);
}

#[tokio::test]
async fn observation_hook_serves_records_and_is_not_captured() {
    let (receiver, mut rx) = client::start(ReceiverConfig::default()).await;
    let addr = receiver.local_addr();
    client::post_json(addr, "/hook", &[], &client::trigger("1-9", 9)).await;
    client::post_json(addr, "/hook", &[], &client::trigger("1-9", 9)).await;
    client::post_json(addr, "/hook", &[], &client::clear("2-9", 9)).await;
    let answer = client::request(addr, "GET", tesim_receiver::OBSERVE_PATH, &[], "").await;
    let records: Records = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(records.schema, "tesim.observation/v1");
    assert_eq!(
        records
            .events
            .iter()
            .map(|event| event.event_id.as_str())
            .collect::<Vec<_>>(),
        ["1-9", "2-9"]
    );
    assert_eq!(records.alerts.len(), 1);
    assert_eq!(records.alerts[0].state, "cleared");
    assert_eq!(records, receiver.server().records());
    for _ in 0..3 {
        client::next(&mut rx).await;
    }
    // Order, not absence within a delay: a captured GET would reach the channel before this
    // later POST does.
    client::post_json(addr, "/hook", &[], &client::trigger("3-9", 9)).await;
    let next = client::next(&mut rx).await;
    assert_eq!(
        (
            next.method.as_str(),
            next.event().and_then(|event| event.event_id)
        ),
        ("POST", Some("3-9".to_owned())),
        "hook was captured"
    );
}

#[tokio::test]
async fn oversized_body_gets_413() {
    let config = ReceiverConfig {
        max_body_bytes: 1024,
        ..ReceiverConfig::default()
    };
    let (receiver, _rx) = client::start(config).await;
    let answer = client::request(
        receiver.local_addr(),
        "POST",
        "/hook",
        &[],
        vec![b'x'; 4096],
    )
    .await;
    assert_eq!(answer.status, 413);
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let (receiver, _rx) = client::start(ReceiverConfig::default()).await;
    let addr = receiver.local_addr();
    tokio::time::timeout(WAIT, receiver.shutdown())
        .await
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
