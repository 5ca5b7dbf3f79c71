//! Cursor paging: following `_links.next` visits every alert exactly once.

use std::collections::HashSet;

use super::support::{PUBLIC_URL, at, start, v7_ids};

#[tokio::test]
async fn following_next_visits_every_alert_once() {
    // `storm`: 500 alerts triggered within 10 minutes, each cleared 5 minutes later.
    let server = start("storm", at(7, 0)).await;
    let all = v7_ids(&server.ok("/v7/alerts?window=1h&max=1000").await);
    assert!(all.len() > 100, "{}", all.len());
    let mut seen = Vec::new();
    let mut next = Some("/v7/alerts?window=1h&max=37".to_owned());
    for _ in 0..100 {
        let Some(path) = next.take() else { break };
        let body = server.ok(&path).await;
        let page = v7_ids(&body);
        assert!(page.len() <= 37);
        seen.extend(page);
        next = body["_links"]["next"]["href"].as_str().map(|href| {
            assert!(href.starts_with(PUBLIC_URL), "{href}");
            href[PUBLIC_URL.len()..].to_owned()
        });
    }
    assert!(next.is_none(), "more than 100 pages");
    assert_eq!(seen, all);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "an alert came twice"
    );
}

#[tokio::test]
async fn last_page_has_no_next_and_self_echoes_the_query() {
    let server = start("page-load", at(1, 0)).await;
    let body = server.ok("/v7/alerts?max=1").await;
    assert_eq!(v7_ids(&body).len(), 1);
    assert!(body["_links"].get("next").is_none());
    assert_eq!(
        body["_links"]["self"]["href"],
        format!("{PUBLIC_URL}/v7/alerts?max=1")
    );
}

#[tokio::test]
async fn cursors_survive_new_alerts() {
    // New alerts are appended in trigger order, so a cursor taken earlier still points at
    // the same place: nothing is skipped or repeated.
    let server = start("storm", at(2, 0)).await;
    // A window, so that alerts clearing in between stay in the list.
    let first = server.ok("/v7/alerts?window=1h&max=10").await;
    let next = first["_links"]["next"]["href"].as_str().unwrap()[PUBLIC_URL.len()..].to_owned();
    server.at(at(3, 0));
    let second = server.ok(&next).await;
    let (first, second) = (v7_ids(&first), v7_ids(&second));
    assert!(first.iter().all(|id| !second.contains(id)));
    let all = v7_ids(&server.ok("/v7/alerts?window=1h&max=20").await);
    assert_eq!(all[..10], first[..]);
    assert_eq!(all[10..], second[..]);
}
