//! The v7 integrations endpoints (reference §2.3): generic connectors, webhook operations and
//! the assignments between them, kept in memory so configuration-as-code tools can be tested
//! against them, and so what they create can be exported and fed to `tesim template check`.
//!
//! One entry point, independent of the server around it:
//!
//! ```text
//! pub fn route(store: &IntegrationStore, request: &Request<'_>) -> Option<http::Response<bytes::Bytes>>
//! ```
//!
//! `None` when `path` is not an integrations path (not under `/v7/connectors` or
//! `/v7/operations`); otherwise the complete answer, errors included. The caller handles
//! authentication, rate limits and `?aid=` (pass the path without the query), and gives the
//! scenario's "now" (stamped as `lastModifiedDate`). Routes:
//!
//! | method & path | answer |
//! |---|---|
//! | `GET /v7/connectors/generic` | 200 `{"items":[GenericConnector],"_links":{"self":…}}` |
//! | `POST /v7/connectors/generic` | 201 GenericConnector, `Location` |
//! | `GET`/`PUT`/`DELETE /v7/connectors/generic/{id}` | 200 / 200 / 204 |
//! | `GET`/`PUT /v7/connectors/generic/{id}/operations` | 200 `{"items":["<operationId>"],"_links":…}` |
//! | `GET /v7/operations/webhooks`, `POST` | 200 list / 201 WebhookOperation |
//! | `GET`/`PUT`/`DELETE /v7/operations/webhooks/{id}` | 200 / 200 / 204 |
//! | `GET`/`PUT /v7/operations/webhooks/{id}/connectors` | 200 `{"items":["<connectorId>"],…}` |
//!
//! Errors are `application/problem+json`: 400 with `errors[]` (`{"code","field","message"}`)
//! listing every problem of a body, 404 for an unknown id or path, 405 with `Allow` for a
//! method the path does not take. Assignments have replace semantics and are kept in both
//! directions. Inferred: the mock returns stored secrets (passwords, tokens) on read so an
//! export can be sent with; ids are deterministic UUID-shaped strings from a counter.

use std::collections::BTreeSet;
use std::sync::Mutex;

use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use serde_json::{Value, json};
use tesim_model::TeDate;
use tesim_model::api_v7::ValidationItem;
use tesim_model::custom::{GenericConnector, WebhookOperation};

use crate::handlers::{self, Body, HAL};
const CONNECTORS: &str = "/v7/connectors/generic";
const OPERATIONS: &str = "/v7/operations/webhooks";

/// Every integrations path, as an OpenAPI template, with the methods it takes (the `Allow`
/// of its 405): `/openapi.json` documents exactly these beside [`crate::ROUTES`].
pub const PATHS: &[(&str, &str)] = &[
    ("/v7/connectors/generic", "GET, POST"),
    ("/v7/connectors/generic/{id}", "GET, PUT, DELETE"),
    ("/v7/connectors/generic/{id}/operations", "GET, PUT"),
    ("/v7/operations/webhooks", "GET, POST"),
    ("/v7/operations/webhooks/{id}", "GET, PUT, DELETE"),
    ("/v7/operations/webhooks/{id}/connectors", "GET, PUT"),
];

/// The integrations of one mock account, in memory. Cheap to share behind an `Arc`.
/// `Debug` shows counts only: the store holds connector secrets.
#[derive(Default)]
pub struct IntegrationStore {
    base_url: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    connectors: Vec<GenericConnector>,
    operations: Vec<WebhookOperation>,
    /// `(connector id, operation id)`.
    links: BTreeSet<(String, String)>,
    created: u64,
}

impl std::fmt::Debug for IntegrationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("IntegrationStore")
            .field("base_url", &self.base_url)
            .field("connectors", &state.connectors.len())
            .field("operations", &state.operations.len())
            .field("assignments", &state.links.len())
            .finish()
    }
}

impl IntegrationStore {
    /// An empty store whose `_links` are absolute URLs under `base_url`
    /// (`http://127.0.0.1:8080`); with `""` they are paths.
    pub fn new(base_url: &str) -> IntegrationStore {
        IntegrationStore {
            base_url: base_url.trim_end_matches('/').to_owned(),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn href(&self, path: &str) -> Value {
        json!({ "href": format!("{}{path}", self.base_url) })
    }

    /// Every connector, in creation order, as `GET` returns them.
    pub fn connectors(&self) -> Vec<GenericConnector> {
        self.state().connectors.clone()
    }

    /// Every operation, in creation order, as `GET` returns them.
    pub fn operations(&self) -> Vec<WebhookOperation> {
        self.state().operations.clone()
    }
}

/// One integrations request, as [`route`] reads it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path (a query string is ignored).
    pub path: &'a str,
    /// The body (JSON for POST and PUT).
    pub body: &'a [u8],
    /// "Now" on the scenario clock: what `lastModifiedDate` records.
    pub now: TeDate,
}

/// Answers an integrations request; `None` when `path` is not an integrations path.
pub fn route(store: &IntegrationStore, request: &Request<'_>) -> Option<Response<Bytes>> {
    let Request {
        method, path, body, ..
    } = *request;
    let path = path.split('?').next().unwrap_or(path);
    let trimmed = path.trim_end_matches('/');
    if !(is_under(trimmed, "/v7/connectors") || is_under(trimmed, "/v7/operations")) {
        return None;
    }
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    let answer = match segments.as_slice() {
        ["v7", "connectors", "generic"] => match *method {
            Method::GET => list(store, Kind::Connector),
            Method::POST => create(store, Kind::Connector, body, path, request.now),
            _ => not_allowed(path, "GET, POST"),
        },
        ["v7", "operations", "webhooks"] => match *method {
            Method::GET => list(store, Kind::Operation),
            Method::POST => create(store, Kind::Operation, body, path, request.now),
            _ => not_allowed(path, "GET, POST"),
        },
        ["v7", "connectors", "generic", id] => item(store, Kind::Connector, id, request, path),
        ["v7", "operations", "webhooks", id] => item(store, Kind::Operation, id, request, path),
        ["v7", "connectors", "generic", id, "operations"] => {
            assignments(store, Kind::Connector, method, id, body, path)
        }
        ["v7", "operations", "webhooks", id, "connectors"] => {
            assignments(store, Kind::Operation, method, id, body, path)
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!(
                "no such resource `{path}`; tesim serves {CONNECTORS}[/{{id}}[/operations]] and {OPERATIONS}[/{{id}}[/connectors]]"
            ),
            path,
        ),
    };
    Some(answer)
}

fn is_under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connector,
    Operation,
}

impl Kind {
    fn base(self) -> &'static str {
        match self {
            Kind::Connector => CONNECTORS,
            Kind::Operation => OPERATIONS,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Connector => "generic connector",
            Kind::Operation => "webhook operation",
        }
    }

    fn other(self) -> Kind {
        match self {
            Kind::Connector => Kind::Operation,
            Kind::Operation => Kind::Connector,
        }
    }

    /// The last path segment of this kind's assignments.
    fn assigned(self) -> &'static str {
        match self {
            Kind::Connector => "operations",
            Kind::Operation => "connectors",
        }
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

fn hal(status: StatusCode, value: &Value) -> Response<Bytes> {
    respond(status, HAL, Bytes::from(value.to_string()))
}

/// The answer of a finished [`Body`] (the alerts routes' problem+json builder).
fn answer(body: Body) -> Response<Bytes> {
    respond(body.status, body.content_type, body.bytes)
}

fn problem(status: StatusCode, title: &str, detail: &str, instance: &str) -> Response<Bytes> {
    answer(handlers::problem(status, title, detail, instance, None))
}

fn validation(instance: &str, errors: Vec<ValidationItem>) -> Response<Bytes> {
    answer(handlers::validation_problem(instance, errors))
}

fn invalid(field: impl Into<String>, message: String) -> ValidationItem {
    ValidationItem {
        code: "invalid".to_owned(),
        field: field.into(),
        message,
    }
}

fn not_found(kind: Kind, id: &str, instance: &str) -> Response<Bytes> {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!(
            "no {} with id `{id}`; list them with GET {}",
            kind.noun(),
            kind.base()
        ),
        instance,
    )
}

fn not_allowed(instance: &str, allow: &'static str) -> Response<Bytes> {
    let mut response = problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        &format!("`{instance}` takes {allow}"),
        instance,
    );
    response
        .headers_mut()
        .insert(header::ALLOW, http::HeaderValue::from_static(allow));
    response
}

// The error is the finished answer to send back; boxing it would buy nothing on a path that
// allocates its body anyway.
#[allow(clippy::result_large_err)]
fn parse_body(body: &[u8], instance: &str) -> Result<Value, Response<Bytes>> {
    serde_json::from_slice(body).map_err(|err| {
        validation(
            instance,
            vec![invalid("", format!("the body is not valid JSON: {err}"))],
        )
    })
}

/// A stored item as the API returns it: with its `_links`.
fn connector_json(store: &IntegrationStore, connector: &GenericConnector) -> Value {
    let mut connector = connector.clone();
    let id = connector.id.clone().unwrap_or_default();
    connector.links = Some(json!({ "self": store.href(&format!("{CONNECTORS}/{id}")) }));
    serde_json::to_value(connector).unwrap_or(Value::Null)
}

fn operation_json(store: &IntegrationStore, operation: &WebhookOperation) -> Value {
    let mut operation = operation.clone();
    let id = operation.id.clone().unwrap_or_default();
    operation.links = Some(json!({ "self": store.href(&format!("{OPERATIONS}/{id}")) }));
    serde_json::to_value(operation).unwrap_or(Value::Null)
}

fn list(store: &IntegrationStore, kind: Kind) -> Response<Bytes> {
    let state = store.state();
    let items: Vec<Value> = match kind {
        Kind::Connector => state
            .connectors
            .iter()
            .map(|item| connector_json(store, item))
            .collect(),
        Kind::Operation => state
            .operations
            .iter()
            .map(|item| operation_json(store, item))
            .collect(),
    };
    hal(
        StatusCode::OK,
        &json!({ "items": items, "_links": { "self": store.href(kind.base()) } }),
    )
}

/// Validates a create or update body and stores it under `id` (a new id when `None`).
#[allow(clippy::result_large_err)] // as for `parse_body`
fn store_item(
    store: &IntegrationStore,
    kind: Kind,
    id: Option<&str>,
    body: &[u8],
    instance: &str,
    now: TeDate,
) -> Result<Value, Response<Bytes>> {
    let value = parse_body(body, instance)?;
    if let (Some(id), Some(body_id)) = (id, value.get("id").and_then(Value::as_str)) {
        if body_id != id {
            return Err(validation(
                instance,
                vec![invalid(
                    "id",
                    format!(
                        "`id` {body_id} does not match the path's {id}; leave it out or make them equal"
                    ),
                )],
            ));
        }
    }
    let mut state = store.state();
    let id = match id {
        Some(id) => id.to_owned(),
        None => {
            state.created += 1;
            let tag = if kind == Kind::Connector { 0xc0 } else { 0x0b };
            format!("{tag:08x}-7e51-4000-8000-{:012x}", state.created)
        }
    };
    match kind {
        Kind::Connector => {
            let mut connector = GenericConnector::from_value(&value)
                .map_err(|errors| validation(instance, errors))?;
            connector.id = Some(id.clone());
            connector.last_modified_date = Some(now.epoch_millis());
            connector.links = None;
            let json = connector_json(store, &connector);
            match state
                .connectors
                .iter_mut()
                .find(|item| item.id.as_deref() == Some(&id))
            {
                Some(existing) => *existing = connector,
                None => state.connectors.push(connector),
            }
            Ok(json)
        }
        Kind::Operation => {
            let mut operation = WebhookOperation::from_value(&value)
                .map_err(|errors| validation(instance, errors))?;
            operation.id = Some(id.clone());
            operation.kind = Some("webhook".to_owned());
            operation.links = None;
            let json = operation_json(store, &operation);
            match state
                .operations
                .iter_mut()
                .find(|item| item.id.as_deref() == Some(&id))
            {
                Some(existing) => *existing = operation,
                None => state.operations.push(operation),
            }
            Ok(json)
        }
    }
}

fn create(
    store: &IntegrationStore,
    kind: Kind,
    body: &[u8],
    instance: &str,
    now: TeDate,
) -> Response<Bytes> {
    match store_item(store, kind, None, body, instance, now) {
        Ok(json) => {
            let mut response = hal(StatusCode::CREATED, &json);
            let location = json["_links"]["self"]["href"].as_str().unwrap_or_default();
            if let Ok(value) = http::HeaderValue::from_str(location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Err(response) => response,
    }
}

fn exists(state: &State, kind: Kind, id: &str) -> bool {
    match kind {
        Kind::Connector => state
            .connectors
            .iter()
            .any(|item| item.id.as_deref() == Some(id)),
        Kind::Operation => state
            .operations
            .iter()
            .any(|item| item.id.as_deref() == Some(id)),
    }
}

fn item(
    store: &IntegrationStore,
    kind: Kind,
    id: &str,
    request: &Request<'_>,
    instance: &str,
) -> Response<Bytes> {
    let method = request.method;
    if !matches!(*method, Method::GET | Method::PUT | Method::DELETE) {
        return not_allowed(instance, "GET, PUT, DELETE");
    }
    if !exists(&store.state(), kind, id) {
        return not_found(kind, id, instance);
    }
    match *method {
        Method::GET => {
            let state = store.state();
            let json = match kind {
                Kind::Connector => state
                    .connectors
                    .iter()
                    .find(|item| item.id.as_deref() == Some(id))
                    .map(|item| connector_json(store, item)),
                Kind::Operation => state
                    .operations
                    .iter()
                    .find(|item| item.id.as_deref() == Some(id))
                    .map(|item| operation_json(store, item)),
            };
            hal(StatusCode::OK, &json.unwrap_or(Value::Null))
        }
        Method::PUT => match store_item(store, kind, Some(id), request.body, instance, request.now)
        {
            Ok(json) => hal(StatusCode::OK, &json),
            Err(response) => response,
        },
        _ => {
            let mut state = store.state();
            match kind {
                Kind::Connector => {
                    state
                        .connectors
                        .retain(|item| item.id.as_deref() != Some(id));
                    state.links.retain(|(connector, _)| connector != id);
                }
                Kind::Operation => {
                    state
                        .operations
                        .retain(|item| item.id.as_deref() != Some(id));
                    state.links.retain(|(_, operation)| operation != id);
                }
            }
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
    }
}

fn assignments(
    store: &IntegrationStore,
    kind: Kind,
    method: &Method,
    id: &str,
    body: &[u8],
    instance: &str,
) -> Response<Bytes> {
    if !matches!(*method, Method::GET | Method::PUT) {
        return not_allowed(instance, "GET, PUT");
    }
    if !exists(&store.state(), kind, id) {
        return not_found(kind, id, instance);
    }
    if *method == Method::PUT {
        let value = match parse_body(body, instance) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let other = kind.other();
        let Some(items) = value.as_array() else {
            return validation(
                instance,
                vec![invalid(
                    "",
                    format!("the body must be a JSON array of {} ids", other.noun()),
                )],
            );
        };
        let state = store.state();
        let mut ids = Vec::new();
        let mut errors = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(other_id) if exists(&state, other, other_id) => ids.push(other_id.to_owned()),
                Some(other_id) => errors.push(ValidationItem {
                    code: "not-found".to_owned(),
                    field: format!("[{index}]"),
                    message: format!("no {} with id `{other_id}`", other.noun()),
                }),
                None => errors.push(invalid(
                    format!("[{index}]"),
                    format!("item {index} must be a {} id string", other.noun()),
                )),
            }
        }
        drop(state);
        if !errors.is_empty() {
            return validation(instance, errors);
        }
        let mut state = store.state();
        // Replace semantics: the list given becomes the complete set.
        match kind {
            Kind::Connector => {
                state.links.retain(|(connector, _)| connector != id);
                for operation in ids {
                    state.links.insert((id.to_owned(), operation));
                }
            }
            Kind::Operation => {
                state.links.retain(|(_, operation)| operation != id);
                for connector in ids {
                    state.links.insert((connector, id.to_owned()));
                }
            }
        }
    }
    let state = store.state();
    let items: Vec<&str> = match kind {
        Kind::Connector => state
            .links
            .iter()
            .filter(|(connector, _)| connector == id)
            .map(|(_, operation)| operation.as_str())
            .collect(),
        Kind::Operation => state
            .links
            .iter()
            .filter(|(_, operation)| operation == id)
            .map(|(connector, _)| connector.as_str())
            .collect(),
    };
    let self_path = format!("{}/{id}/{}", kind.base(), kind.assigned());
    hal(
        StatusCode::OK,
        &json!({ "items": items, "_links": { "self": store.href(&self_path) } }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(
        store: &IntegrationStore,
        method: Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let request = Request {
            method: &method,
            path,
            body: &body,
            now: TeDate::EPOCH,
        };
        let response = route(store, &request).expect("an integrations path");
        let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (response.status(), json)
    }

    fn connector() -> Value {
        json!({"type": "generic", "name": "Receiver", "target": "https://hooks.example/te",
               "authentication": {"type": "bearer-token", "token": "t0ken"},
               "headers": [{"name": "X-Team", "value": "sre"}]})
    }

    fn operation() -> Value {
        json!({"name": "Alerts", "category": "alerts", "status": "pending", "type": "webhook",
               "enabled": true, "path": "/alerts", "payload": "{\"id\":\"{{id}}\"}"})
    }

    #[test]
    fn every_path_takes_exactly_its_methods() {
        for (template, allow) in PATHS {
            for method in [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                Method::PATCH,
            ] {
                // A fresh store each time: a DELETE must not hide the next path's item.
                let store = IntegrationStore::default();
                let (_, connector) = call(&store, Method::POST, CONNECTORS, connector());
                let (_, operation) = call(&store, Method::POST, OPERATIONS, operation());
                let id = if template.starts_with(CONNECTORS) {
                    &connector["id"]
                } else {
                    &operation["id"]
                };
                let path = template.replace("{id}", id.as_str().unwrap());
                let (status, _) = call(&store, method.clone(), &path, Value::Null);
                let allowed = allow.split(", ").any(|name| name == method.as_str());
                assert_eq!(
                    status == StatusCode::METHOD_NOT_ALLOWED,
                    !allowed,
                    "{method} {template}: {status}"
                );
                assert_ne!(status, StatusCode::NOT_FOUND, "{method} {template}");
            }
        }
    }

    #[test]
    fn other_paths_are_not_ours() {
        let store = IntegrationStore::default();
        let get = |path| Request {
            method: &Method::GET,
            path,
            body: b"",
            now: TeDate::EPOCH,
        };
        assert!(route(&store, &get("/v7/alerts")).is_none());
        assert!(route(&store, &get("/v7/connectorsx")).is_none());
        assert_eq!(
            call(&store, Method::GET, "/v7/connectors/nope", Value::Null).0,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn crud_and_assignments() {
        let store = IntegrationStore::new("http://127.0.0.1:1");
        let (status, created) = call(&store, Method::POST, CONNECTORS, connector());
        assert_eq!(status, StatusCode::CREATED);
        let connector_id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(
            created["_links"]["self"]["href"],
            format!("http://127.0.0.1:1{CONNECTORS}/{connector_id}")
        );
        let (status, op) = call(&store, Method::POST, OPERATIONS, operation());
        assert_eq!(status, StatusCode::CREATED);
        let operation_id = op["id"].as_str().unwrap().to_owned();

        // What GET returns is what the template checker reads.
        let (_, read) = call(
            &store,
            Method::GET,
            &format!("{OPERATIONS}/{operation_id}"),
            Value::Null,
        );
        assert!(WebhookOperation::from_value(&read).is_ok());
        let (_, read) = call(
            &store,
            Method::GET,
            &format!("{CONNECTORS}/{connector_id}"),
            Value::Null,
        );
        assert!(GenericConnector::from_value(&read).is_ok());

        let path = format!("{CONNECTORS}/{connector_id}/operations");
        let (status, assigned) = call(&store, Method::PUT, &path, json!([operation_id]));
        assert_eq!(status, StatusCode::OK);
        assert_eq!(assigned["items"], json!([operation_id]));
        let (_, reverse) = call(
            &store,
            Method::GET,
            &format!("{OPERATIONS}/{operation_id}/connectors"),
            Value::Null,
        );
        assert_eq!(reverse["items"], json!([connector_id]));

        let mut renamed = operation();
        renamed["name"] = json!("Renamed");
        let (status, updated) = call(
            &store,
            Method::PUT,
            &format!("{OPERATIONS}/{operation_id}"),
            renamed,
        );
        assert_eq!(
            (status, &updated["name"]),
            (StatusCode::OK, &json!("Renamed"))
        );

        let (status, _) = call(
            &store,
            Method::DELETE,
            &format!("{OPERATIONS}/{operation_id}"),
            Value::Null,
        );
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, assigned) = call(&store, Method::GET, &path, Value::Null);
        assert_eq!(assigned["items"], json!([]));
        let (status, gone) = call(
            &store,
            Method::GET,
            &format!("{OPERATIONS}/{operation_id}"),
            Value::Null,
        );
        assert_eq!(
            (status, &gone["title"]),
            (StatusCode::NOT_FOUND, &json!("Not found"))
        );
    }

    #[test]
    fn validation_errors_list_every_field() {
        let store = IntegrationStore::default();
        let (status, body) = call(
            &store,
            Method::POST,
            OPERATIONS,
            json!({"category": "nope"}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["status"], 400);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["name", "category", "status"]);
        let (status, body) = call(&store, Method::POST, CONNECTORS, Value::Null);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, response) = (call(&store, Method::PATCH, CONNECTORS, Value::Null).0, ());
        assert_eq!((status, response), (StatusCode::METHOD_NOT_ALLOWED, ()));
    }
}
