//! Injected latency, errors and resets: per route, and reproducible under a seed.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use tesim_api::{FaultConfig, Faults, Latency, RouteId};

use super::support::{Auth, Server, TOKEN, at, config, scenario, start_with, try_request};

async fn start_faulty(faults: FaultConfig) -> Server {
    let config = tesim_api::Config {
        faults,
        rate_limit: 0,
        ..config()
    };
    start_with(scenario("page-load"), config, at(1, 0)).await
}

#[tokio::test]
async fn error_rate_one_answers_500_in_each_dialect_but_not_openapi() {
    let faults = FaultConfig {
        global: Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        ..FaultConfig::default()
    };
    let server = start_faulty(faults).await;
    let reply = server.get("/v7/alerts", Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["title"], "Internal server error");
    let reply = server.get("/v6/alerts.json", Auth::Bearer(TOKEN)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.json()["errorMessage"].is_string());
    assert_eq!(
        server.get("/openapi.json", Auth::None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn route_override_resets_one_route_only() {
    let faults = FaultConfig {
        routes: vec![(
            RouteId::V7Alerts,
            Faults {
                reset_rate: 1.0,
                ..Faults::default()
            },
        )],
        ..FaultConfig::default()
    };
    let server = start_faulty(faults).await;
    let url = format!("{}/v7/alerts", server.url);
    let result = try_request(&url, Method::GET, Auth::Bearer(TOKEN)).await;
    assert!(
        result.is_err(),
        "expected the connection to close, got {result:?}"
    );
    assert_eq!(
        server
            .get("/v7/alerts/35541", Auth::Bearer(TOKEN))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .get("/v6/alerts.json", Auth::Bearer(TOKEN))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn same_seed_same_faults() {
    let faults = || FaultConfig {
        global: Faults {
            error_rate: 0.5,
            ..Faults::default()
        },
        seed: 42,
        ..FaultConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = start_faulty(faults()).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(
                server
                    .get("/v7/alerts", Auth::Bearer(TOKEN))
                    .await
                    .status
                    .as_u16(),
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&200) && runs[0].contains(&500),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let delay = Duration::from_millis(150);
    let faults = FaultConfig {
        global: Faults {
            latency: Some(Latency {
                min: delay,
                max: delay,
            }),
            ..Faults::default()
        },
        ..FaultConfig::default()
    };
    let server = start_faulty(faults).await;
    let started = Instant::now();
    assert_eq!(
        server.get("/v7/alerts", Auth::Bearer(TOKEN)).await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
}

#[tokio::test]
async fn only_an_override_touches_openapi() {
    let faults = FaultConfig {
        routes: vec![(
            RouteId::OpenApi,
            Faults {
                error_rate: 1.0,
                ..Faults::default()
            },
        )],
        ..FaultConfig::default()
    };
    let server = start_faulty(faults).await;
    let reply = server.get("/openapi.json", Auth::None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        server.get("/v7/alerts", Auth::Bearer(TOKEN)).await.status,
        StatusCode::OK
    );
}
