"""Writes crates/api/openapi.json: python3 crates/api/tools/openapi.py > crates/api/openapi.json

The document is data the Rust test `openapi::every_route_is_documented_and_nothing_else`
checks against the router's `ROUTES`, and that schemathesis fuzzes (crates/api/schemathesis.sh).
Edit this script, not the JSON, and regenerate.
"""
import json
S = lambda name: {"$ref": f"#/components/schemas/{name}"}
P = lambda name: {"$ref": f"#/components/parameters/{name}"}
RATE = {h: {"$ref": f"#/components/headers/{h}"} for h in
        ["X-Organization-Rate-Limit-Limit", "X-Organization-Rate-Limit-Remaining", "X-Organization-Rate-Limit-Reset"]}
def resp(desc, media, schema):
    return {"description": desc, "headers": RATE, "content": {media: {"schema": S(schema)}}}
V6 = "application/json"; HAL = "application/hal+json"; PROB = "application/problem+json"
def v6_errors(*codes):
    text = {400: "A query parameter is invalid; the message names it.", 401: "Missing or wrong credentials.",
            403: "`aid` is not the account group of this mock.", 404: "No such test, or an alert id that is neither an integer nor a UUID.",
            406: "XML output was asked for; tesim serves JSON only.", 429: "More requests than the per-minute limit.",
            500: "Injected by `--error-rate`."}
    return {str(c): resp(text[c], V6, "V6Error") for c in codes}
def v7_errors(*codes):
    text = {400: "A query parameter is invalid; `errors` names each one.", 403: "`aid` is not the account group of this mock.",
            404: "No such alert (at this point of the scenario) or rule.", 429: "More requests than the per-minute limit.",
            500: "Injected by `--error-rate`."}
    out = {str(c): resp(text[c], PROB, "Problem") for c in codes}
    out["401"] = resp("Missing or wrong bearer token.", "application/json", "Unauthorized")
    return dict(sorted(out.items()))
v6_sec = [{"basicAuth": []}, {"bearerAuth": []}]
v7_sec = [{"bearerAuth": []}]
paths = {}
def v6(path, op_id, summary, params, ok_schema, errors):
    paths[path] = {"get": {"operationId": op_id if path.endswith(".json") or "{" not in path and not path.endswith(("alerts","tests")) else op_id + "-nosuffix",
        "tags": ["v6"], "summary": summary, "security": v6_sec, "parameters": params,
        "responses": {"200": resp("OK", V6, ok_schema), **v6_errors(*errors)}}}
alert_id = {"name": "alertId", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"},
            "description": "The alert's id: the integer `alertId`, or its UUID."}
test_id = {"name": "testId", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"},
           "description": "The test's id."}
for suffix in [".json", ""]:
    v6(f"/v6/alerts{suffix}", "v6-alerts", "Alerts: active now, or active at some point of a window or range",
       [P("aid"), P("format"), P("window"), P("from"), P("to")], "V6AlertList", [400, 401, 403, 406, 429, 500])
    v6("/v6/alerts/{alertId}" + suffix, "v6-alert", "One alert; an unknown id gives an empty `alert` list (as the real API's empty response)",
       [alert_id, P("aid"), P("format")], "V6AlertList", [400, 401, 403, 404, 406, 429, 500])
    v6(f"/v6/tests{suffix}", "v6-tests", "Tests of the account, with `apiLinks`",
       [P("aid"), P("format")], "V6TestList", [400, 401, 403, 406, 429, 500])
    v6("/v6/tests/{testId}" + suffix, "v6-test", "One test",
       [test_id, P("aid"), P("format")], "V6TestList", [400, 401, 403, 404, 406, 429, 500])
# fix operation ids: `.json` paths take the route name, the others get `-nosuffix`
for path, item in paths.items():
    base = item["get"]["operationId"].removesuffix("-nosuffix")
    item["get"]["operationId"] = base if path.endswith(".json") else base + "-nosuffix"
paths["/v7/alerts"] = {"get": {"operationId": "v7-alerts", "tags": ["v7"], "summary": "Alerts, paged by cursor",
    "security": v7_sec, "parameters": [P("aid"), P("window"), P("startDate"), P("endDate"), P("state"), P("max"), P("cursor")],
    "responses": {"200": resp("OK", HAL, "V7AlertList"), **v7_errors(400, 403, 429, 500)}}}
paths["/v7/alerts/{alertId}"] = {"get": {"operationId": "v7-alert", "tags": ["v7"], "summary": "One alert with its details",
    "security": v7_sec, "parameters": [dict(alert_id, description="The alert's `id` (UUID) or its legacy `alertId`."), P("aid")],
    "responses": {"200": resp("OK", HAL, "V7AlertDetail"), **v7_errors(400, 403, 404, 429, 500)}}}
rule_id = {"name": "ruleId", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"},
           "description": "The rule's id."}
paths["/v7/alerts/rules"] = {"get": {"operationId": "v7-rules", "tags": ["v7"], "summary": "Alert rules of the account",
    "security": v7_sec, "parameters": [P("aid")],
    "responses": {"200": resp("OK", HAL, "AlertRuleList"), **v7_errors(400, 403, 429, 500)}}}
paths["/v7/alerts/rules/{ruleId}"] = {"get": {"operationId": "v7-rule", "tags": ["v7"], "summary": "One alert rule",
    "security": v7_sec, "parameters": [rule_id, P("aid")],
    "responses": {"200": resp("OK", HAL, "AlertRule"), **v7_errors(400, 403, 404, 429, 500)}}}
test_id7 = dict(test_id, schema={"type": "string", "pattern": "^[^/]+$"})
paths["/v7/tests/{testId}"] = {"get": {"operationId": "v7-test", "tags": ["v7"],
    "summary": "One test, with the fields every test type shares: where an alert's `_links.test` leads (the real API answers per type, `/v7/tests/{type}/{testId}`; a documented guess)",
    "security": v7_sec, "parameters": [test_id7, P("aid")],
    "responses": {"200": resp("OK", HAL, "V7Test"), **v7_errors(400, 403, 404, 429, 500)}}}
# Integrations (reference §2.3): connectors, webhook operations and their assignments, kept in memory.
def integ_errors(*codes):
    text = {400: "The body or `aid` is invalid; `errors` names each problem.", 403: "`aid` is not the account group of this mock.",
            404: "No such connector or operation.", 408: "The request body stopped arriving.",
            413: "The body is larger than 1 MiB.", 429: "More requests than the per-minute limit.", 500: "Injected by `--error-rate`."}
    out = {str(c): resp(text[c], PROB, "Problem") for c in codes}
    out["401"] = resp("Missing or wrong bearer token.", "application/json", "Unauthorized")
    return dict(sorted(out.items()))
item_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"}, "description": "The item's id."}
def body(schema):
    return {"required": True, "content": {"application/json": {"schema": S(schema)}}}
def integ(path, op, method, summary, ok, ok_schema, params=(), request=None, errors=(400, 403, 404, 408, 413, 429, 500)):
    operation = {"operationId": op, "tags": ["integrations"], "summary": summary, "security": v7_sec,
                 "parameters": [*params, P("aid")], "responses": {**integ_errors(*errors)}}
    if ok_schema is None:
        operation["responses"][str(ok)] = {"description": "Deleted", "headers": RATE}
    else:
        operation["responses"][str(ok)] = resp("OK", HAL, ok_schema)
    if request:
        operation["requestBody"] = body(request)
    paths.setdefault(path, {})[method] = operation
for base, kind, other, noun in [("/v7/connectors/generic", "connector", "operations", "GenericConnector"),
                                ("/v7/operations/webhooks", "operation", "connectors", "WebhookOperation")]:
    integ(base, f"{kind}s-list", "get", f"Every {kind}", 200, f"{noun}List", errors=(400, 403, 429, 500))
    integ(base, f"{kind}-create", "post", f"Create a {kind}", 201, noun, request=noun, errors=(400, 403, 408, 413, 429, 500))
    integ(base + "/{id}", f"{kind}-get", "get", f"One {kind}", 200, noun, [item_id], errors=(400, 403, 404, 429, 500))
    integ(base + "/{id}", f"{kind}-update", "put", f"Replace a {kind}", 200, noun, [item_id], request=noun)
    integ(base + "/{id}", f"{kind}-delete", "delete", f"Delete a {kind} and its assignments", 204, None, [item_id],
          errors=(400, 403, 404, 429, 500))
    integ(base + "/{id}/" + other, f"{kind}-{other}", "get", f"Ids of the {other} assigned to a {kind}", 200, "IdList",
          [item_id], errors=(400, 403, 404, 429, 500))
    integ(base + "/{id}/" + other, f"{kind}-{other}-set", "put", f"Replace the {other} assigned to a {kind}", 200, "IdList",
          [item_id], request="Ids")
paths["/openapi.json"] = {"get": {"operationId": "openapi", "tags": ["meta"], "summary": "This document", "security": [],
    "responses": {"200": {"description": "OpenAPI 3 document", "headers": RATE, "content": {"application/json": {"schema": {"type": "object"}}}},
                  "429": resp("More requests than the per-minute limit.", PROB, "Problem")}}}
string = {"type": "string"}; integer = {"type": "integer", "minimum": 0}
def obj(props, required=None, extra=True):
    o = {"type": "object", "properties": props, "required": required if required is not None else list(props)}
    return o
api_link = obj({"rel": string, "href": string})
te_date = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", "description": "YYYY-MM-DD hh:mm:ss, UTC"}
iso = {"type": "string", "format": "date-time", "pattern": "Z$"}
severity_upper = {"type": "string", "enum": ["INFO", "MINOR", "MAJOR", "CRITICAL"]}
severity_lower = {"type": "string", "enum": ["info", "minor", "major", "critical"]}
state = {"type": "string", "enum": ["trigger", "clear"]}
active = {"type": "integer", "enum": [0, 1, 2]}
alert_types = ["page-load", "http-server", "end-to-end-server", "end-to-end-agent", "voice", "dns-server", "dns-trace",
  "dnssec", "bgp", "path-trace", "ftp", "sip-server", "transactions", "web-transactions", "agent", "network-outage",
  "application-outage", "device-device", "device-interface", "endpoint-network-server", "endpoint-http-server",
  "endpoint-path-trace", "endpoint-browser-sessions-agent", "endpoint-browser-sessions-application", "api", "web-transaction"]
link = obj({"href": string})
schemas = {
  "ApiLink": api_link,
  "V6Agent": obj({"dateStart": te_date, "dateEnd": te_date, "active": active, "metricsAtStart": string, "metricsAtEnd": string,
                  "agentId": integer, "agentName": string, "permalink": string},
                 ["dateStart", "active", "metricsAtStart", "metricsAtEnd", "agentId", "agentName", "permalink"]),
  "V6Alert": obj({"alertId": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}, "testId": integer, "ruleId": integer,
                  "testName": string, "active": active, "ruleExpression": string, "dateStart": te_date, "dateEnd": te_date,
                  "violationCount": integer, "ruleName": string, "permalink": string, "type": string,
                  "agents": {"type": "array", "items": S("V6Agent")}, "apiLinks": {"type": "array", "items": S("ApiLink")},
                  "severity": severity_upper},
                 ["alertId", "testId", "ruleId", "testName", "active", "ruleExpression", "dateStart", "violationCount",
                  "ruleName", "permalink", "type", "agents", "apiLinks", "severity"]),
  "V6AlertList": obj({"alert": {"type": "array", "items": S("V6Alert")},
                      "pages": obj({"current": {"type": "integer", "minimum": 1}, "next": string}, ["current"])}, ["alert"]),
  "V6TestAgent": obj({"agentId": integer, "agentName": string, "location": string, "agentType": string,
                      "ipAddresses": {"type": "array", "items": string}, "prefix": string, "network": string}),
  "V6Test": obj({"testId": integer, "testName": string, "type": string, "enabled": {"type": "integer", "enum": [0, 1]},
                 "savedEvent": {"type": "integer", "enum": [0, 1]}, "interval": integer, "createdBy": string, "createdDate": te_date,
                 "url": string, "server": string, "alertsEnabled": {"type": "integer", "enum": [0, 1]},
                 "liveShare": {"type": "integer", "enum": [0, 1]}, "modifiedBy": string, "modifiedDate": te_date,
                 "agents": {"type": "array", "items": S("V6TestAgent")},
                 "apiLinks": {"type": "array", "items": S("ApiLink"), "minItems": 2}},
                ["testId", "testName", "type", "enabled", "savedEvent", "interval", "createdBy", "createdDate", "agents", "apiLinks"]),
  "V6TestList": obj({"test": {"type": "array", "items": S("V6Test")}}),
  "V6Error": obj({"errorMessage": string}),
  "Link": link,
  "AlertLinks": obj({"test": S("Link"), "rule": S("Link"), "appLink": S("Link"), "self": S("Link")}, ["appLink", "self"]),
  "PageLinks": obj({"self": S("Link"), "next": S("Link")}, ["self"]),
  "Meta": obj({"version": {"type": "integer", "minimum": 1}}),
  "V7Alert": obj({"id": string, "alertType": {"type": "string", "enum": alert_types}, "startDate": iso, "endDate": iso,
                  "violationCount": integer, "duration": integer, "suppressed": {"type": "boolean"}, "meta": S("Meta"),
                  "_links": S("AlertLinks"), "alertId": string, "dateStart": te_date, "dateEnd": te_date, "ruleId": integer,
                  "state": {"type": "string", "enum": ["ACTIVE", "CLEARED"]}, "severity": severity_upper, "permalink": string,
                  "apiLinks": {"type": "array", "items": S("ApiLink")}, "alertRuleId": string, "alertState": state,
                  "alertSeverity": severity_lower},
                 ["id", "alertType", "startDate", "violationCount", "duration", "suppressed", "meta", "_links", "alertId",
                  "dateStart", "ruleId", "state", "severity", "permalink", "apiLinks", "alertRuleId", "alertState", "alertSeverity"]),
  "V7AlertList": obj({"alerts": {"type": "array", "items": S("V7Alert")}, "startDate": iso, "endDate": iso, "_links": S("PageLinks")},
                     ["alerts", "_links"]),
  "Metrics": obj({"metrics": string}),
  "AlertMetricDetail": obj({"id": string, "name": string, "type": string, "state": state, "start": S("Metrics"), "end": S("Metrics")},
                           ["id", "name", "type", "state", "start"]),
  "V7AlertDetail": obj({"id": string, "alertType": {"type": "string", "enum": alert_types}, "startDate": iso, "endDate": iso,
                        "violationCount": integer, "duration": integer, "suppressed": {"type": "boolean"}, "meta": S("Meta"),
                        "_links": S("AlertLinks"), "state": state, "severity": severity_lower, "alertState": state,
                        "alertSeverity": severity_lower, "details": {"type": "array", "items": S("AlertMetricDetail")}},
                       ["id", "alertType", "startDate", "violationCount", "duration", "suppressed", "meta", "_links", "state",
                        "severity", "alertState", "alertSeverity", "details"]),
  "AlertRule": obj({"ruleId": string, "ruleName": string, "expression": string, "notifyOnClear": {"type": "boolean"},
                    "isDefault": {"type": "boolean"}, "alertType": {"type": "string", "enum": alert_types},
                    "alertGroupType": {"type": "string", "enum": ["bgp", "browser-session", "cloud-enterprise", "endpoint"]},
                    "minimumSources": integer, "roundsViolatingMode": {"type": "string", "enum": ["exact", "any", "auto"]},
                    "roundsViolatingOutOf": integer, "roundsViolatingRequired": integer, "severity": severity_lower,
                    "testIds": {"type": "array", "items": string}, "_links": obj({"self": S("Link")})}),
  "AlertRuleList": obj({"alertRules": {"type": "array", "items": S("AlertRule")}, "_links": S("PageLinks")}),
  "V7Test": obj({"testId": string, "testName": string, "type": string, "interval": integer, "enabled": {"type": "boolean"},
                 "alertsEnabled": {"type": "boolean"}, "createdDate": iso, "_links": obj({"self": S("Link")})}),
  "Header": obj({"name": string, "value": string}),
  "GenericConnector": {"type": "object", "required": ["type", "name", "target"], "properties": {
      "id": string, "type": {"type": "string", "enum": ["generic"]}, "name": string,
      "target": {"type": "string", "pattern": "^https?://"},
      "headers": {"type": "array", "items": S("Header")},
      "authentication": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": [
          "basic", "bearer-token", "other-token", "oauth-client-credentials", "oauth-auth-code"]}}},
      "lastModifiedDate": {"type": "integer"}, "_links": {"type": "object"}}},
  "WebhookOperation": {"type": "object", "required": ["name", "category", "status"], "properties": {
      "id": string, "name": string, "category": {"type": "string", "enum": ["alerts", "recommendations", "traffic-monitoring"]},
      "status": {"type": "string", "enum": ["pending", "connected", "failing", "unverified"]},
      "type": {"type": "string", "enum": ["webhook"]}, "enabled": {"type": "boolean"}, "path": string, "payload": string,
      "queryParams": string, "headers": {"type": "array", "items": S("Header")}, "_links": {"type": "object"}}},
  "GenericConnectorList": obj({"items": {"type": "array", "items": S("GenericConnector")}, "_links": obj({"self": S("Link")})}),
  "WebhookOperationList": obj({"items": {"type": "array", "items": S("WebhookOperation")}, "_links": obj({"self": S("Link")})}),
  "IdList": obj({"items": {"type": "array", "items": string}, "_links": obj({"self": S("Link")})}),
  "Ids": {"type": "array", "items": string},
  "Unauthorized": obj({"error": {"type": "string", "enum": ["invalid_token"]}, "error_description": string}),
  "ValidationItem": obj({"code": string, "field": string, "message": string}),
  "Problem": obj({"type": string, "title": string, "status": {"type": "integer", "minimum": 400, "maximum": 599}, "detail": string,
                  "instance": string, "errors": {"type": "array", "items": S("ValidationItem")}},
                 ["type", "title", "status", "detail", "instance"]),
}
params = {
  "aid": {"name": "aid", "in": "query", "schema": {"type": "integer", "minimum": 0},
          "description": "Account-group id; another group than the mock's gives 403."},
  "format": {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json"]},
             "description": "Output format (JSON only; `xml` gives 406)."},
  "window": {"name": "window", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]+[smhdw]?$"},
             "description": "Look-back from now: digits and an optional unit (s, m, h, d, w; seconds when none), e.g. `5d`. Not with from/to (v6) or startDate/endDate (v7): 400."},
  "from": {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"},
           "description": "Range start, `YYYY-mm-ddTHH:MM:SS` UTC (a zone suffix is accepted)."},
  "to": {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"},
         "description": "Range end (needs `from`); defaults to now."},
  "startDate": {"name": "startDate", "in": "query", "schema": {"type": "string", "format": "date-time"},
                "description": "Range start, ISO 8601 UTC, e.g. `2022-07-17T22:00:54Z`."},
  "endDate": {"name": "endDate", "in": "query", "schema": {"type": "string", "format": "date-time"},
              "description": "Range end; defaults to now."},
  "state": {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["trigger", "clear"]},
            "description": "`trigger`: alerts that triggered in the range (active ones when no range); `clear`: alerts that cleared in it."},
  "max": {"name": "max", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
          "description": "Page size (default 100)."},
  "cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"},
             "description": "Opaque; take it from `_links.next.href`."},
}
headers = {
  "X-Organization-Rate-Limit-Limit": {"required": True, "schema": {"type": "integer", "minimum": 1}, "description": "Requests allowed per minute."},
  "X-Organization-Rate-Limit-Remaining": {"required": True, "schema": {"type": "integer", "minimum": 0}, "description": "Requests left in the current minute."},
  "X-Organization-Rate-Limit-Reset": {"required": True, "schema": {"type": "integer", "minimum": 0}, "description": "UTC epoch seconds when the minute rolls over."},
}
doc = {"openapi": "3.0.3",
  "info": {"title": "tesim mock ThousandEyes alerts API", "version": "0.1.0",
           "description": "The subset of the ThousandEyes alerts API v6 and v7 that tesim serves, with the alerts of a scenario as they stand on its clock. The alert, test and rule routes answer GET and HEAD, the integrations routes (tag `integrations`) the methods listed; other methods get 405 with `Allow`. Rate-limit headers are on every response (unless the mock runs with `--rate-limit 0`)."},
  "servers": [{"url": "/"}],
  "paths": paths,
  "components": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic", "description": "v6: login e-mail and API token."},
                                     "bearerAuth": {"type": "http", "scheme": "bearer", "description": "The API token."}},
                 "parameters": params, "headers": headers, "schemas": schemas}}
print(json.dumps(doc, indent=2))
