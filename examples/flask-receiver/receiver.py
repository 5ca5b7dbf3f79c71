"""A ThousandEyes webhook receiver that turns alerts into tickets.

The pattern, in one small Flask app:

- HTTP Basic auth on the webhook, compared in constant time, 401 with WWW-Authenticate.
- Answer 2xx fast, for every well-formed event type, including ones it ignores.
- De-duplicate by ``eventId``: a redelivery is acknowledged but not processed twice.
- One ticket per alert, keyed by the alert's correlation id: ``alert.alertId`` for test
  alerts (a number in classic payloads, a UUID string in 2025 ones) and
  ``agentAlert.agentNotificationId`` (or ``alertId``) for agent notifications. A clear
  closes the ticket; a clear before its trigger creates a closed ticket; a trigger after
  the clear does not reopen it.
- An observation hook (``tesim.observation/v1``, see tesim's docs/checks.md) so that
  ``tesim check --observe`` can see what the receiver did. Enable it on test deployments
  only (``observe=True``).
- Ids kept as strings (modern accounts have 15-digit ids), and the alert's start stored as a
  UTC instant: ``dateStart`` is the account's wall-clock time without a zone, so it is read
  with the zone abbreviation of ``dateStartZoned`` (``"2025-01-15 10:00:00 EST"``).
- ``reconcile()`` polls the ThousandEyes alerts API (v7) for active alerts the webhook
  missed, as a receiver should after downtime.

Run it: ``WEBHOOK_USER=te WEBHOOK_PASSWORD=secret python receiver.py --port 8080``.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import threading
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from flask import Flask, Response, jsonify, request

TRIGGERS = {"ALERT_NOTIFICATION_TRIGGER", "AGENT_ALERT_NOTIFICATION_TRIGGER"}
CLEARS = {"ALERT_NOTIFICATION_CLEAR", "AGENT_ALERT_NOTIFICATION_CLEAR"}


@dataclass
class Ticket:
    alert_id: str
    kind: str  # "test" or "agent"
    state: str = "open"  # "open" or "closed"
    title: str = ""
    triggers: int = 0
    clears: int = 0
    source: str = "webhook"  # or "api" when reconcile() found it
    rule_id: str = ""
    test_id: str = ""
    start: str = ""  # RFC 3339 UTC instant, "" when the payload had no usable date


@dataclass
class Store:
    """In memory for the example; a real receiver keeps this in its database."""

    tickets: dict[str, Ticket] = field(default_factory=dict)
    seen_event_ids: set[str] = field(default_factory=set)
    processed: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def correlation(event: dict) -> tuple[str, str] | None:
    """(kind, alert id) of an event, or None for events without an alert (WEBHOOK_TEST)."""
    alert = event.get("alert") if isinstance(event.get("alert"), dict) else None
    agent = event.get("agentAlert") if isinstance(event.get("agentAlert"), dict) else None
    event_type = event.get("eventType", "")
    is_agent = event_type.startswith("AGENT_") or agent is not None or (
        alert is not None and alert.get("type") == "Agent"
    )
    candidates = []
    if is_agent and agent is not None:
        candidates += [agent.get("agentNotificationId"), agent.get("alertId")]
    if alert is not None:
        candidates.append(alert.get("alertId"))
    for value in candidates:
        # Numbers in classic payloads, UUID strings in 2025 ones: keep ids as strings.
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return ("agent" if is_agent else "test", str(value))
    return None


# UTC offsets (hours) of the zone abbreviations `dateStartZoned` carries. ThousandEyes writes
# the account zone's abbreviation; extend this for your account (abbreviations are not unique
# worldwide, so a receiver should know which ones its account can produce).
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
}


def start_instant(body: dict) -> str:
    """The alert's start as an RFC 3339 UTC instant.

    `dateStart` is wall-clock time in the account's zone with no identifier; reading it as UTC
    is off by hours in most accounts. `dateStartZoned` names the zone; payloads without it
    (accounts before October 2021) were in UTC.
    """
    zoned = body.get("dateStartZoned")
    text, offset = body.get("dateStart"), 0.0
    if isinstance(zoned, str) and " " in zoned:
        wall, _, abbreviation = zoned.rpartition(" ")
        if abbreviation not in ZONE_OFFSETS:
            return ""
        text, offset = wall, ZONE_OFFSETS[abbreviation]
    if not isinstance(text, str):
        return ""
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ""
    instant = (local - timedelta(hours=offset)).replace(tzinfo=timezone.utc)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def id_text(value) -> str:
    """Ids as text: 15-digit ids do not fit 32 bits, and UUIDs are not numbers."""
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def title_of(event: dict) -> str:
    body = event.get("agentAlert") or event.get("alert") or {}
    if not isinstance(body, dict):
        return ""
    return str(body.get("ruleName") or body.get("testName") or body.get("agentName") or "")


def create_app(user: str, password: str, observe: bool = False) -> Flask:
    app = Flask(__name__)
    store = Store()
    app.config["STORE"] = store
    expected = f"{user}:{password}".encode()

    def authorized() -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, expected)

    @app.post("/te-hook")
    def te_hook():
        if not authorized():
            return Response(
                "credentials required\n",
                401,
                {"WWW-Authenticate": 'Basic realm="te-hook"'},
            )
        # Any Content-Type: ThousandEyes sends application/json, proxies add charsets.
        event = request.get_json(force=True, silent=True)
        if not isinstance(event, dict) or not isinstance(event.get("eventType"), str):
            return jsonify(error="expected a ThousandEyes notification (JSON with eventType)"), 400
        event_id = str(event.get("eventId", ""))
        with store.lock:
            if event_id and event_id in store.seen_event_ids:
                return jsonify(status="duplicate", eventId=event_id), 200
            store.seen_event_ids.add(event_id)
            process(store, event, event_id)
        return jsonify(status="accepted", eventId=event_id), 202

    @app.get("/tickets")
    def tickets():
        if not authorized():
            return Response("credentials required\n", 401, {"WWW-Authenticate": 'Basic realm="te-hook"'})
        with store.lock:
            return jsonify([asdict(ticket) for ticket in store.tickets.values()])

    if observe:

        @app.get("/_debug/te-records")
        def te_records():
            with store.lock:
                return jsonify(
                    schema="tesim.observation/v1",
                    events=list(store.processed),
                    alerts=[
                        {
                            "alertId": ticket.alert_id,
                            "kind": ticket.kind,
                            "state": "active" if ticket.state == "open" else "cleared",
                            "ruleName": ticket.title,
                            "triggers": ticket.triggers,
                            "clears": ticket.clears,
                            **({"ruleId": ticket.rule_id} if ticket.rule_id else {}),
                            **({"testId": ticket.test_id} if ticket.test_id else {}),
                            **({"start": ticket.start} if ticket.start else {}),
                        }
                        for ticket in store.tickets.values()
                    ],
                )

    return app


def process(store: Store, event: dict, event_id: str) -> None:
    """Called with the lock held, once per eventId."""
    event_type = event["eventType"]
    key = correlation(event)
    record = {"eventId": event_id, "eventType": event_type}
    if key is not None:
        record["alertId"] = key[1]
    store.processed.append(record)
    if key is None or (event_type not in TRIGGERS and event_type not in CLEARS):
        return
    kind, alert_id = key
    ticket = store.tickets.get(alert_id)
    if ticket is None:
        body = event.get("agentAlert") if kind == "agent" else event.get("alert")
        body = body if isinstance(body, dict) else {}
        ticket = store.tickets[alert_id] = Ticket(
            alert_id=alert_id,
            kind=kind,
            title=title_of(event),
            rule_id=id_text(body.get("ruleId")),
            test_id=id_text(body.get("testId")),
            start=start_instant(body),
        )
        if event_type in CLEARS:
            # A clear overtook its trigger: record the alert as already resolved.
            ticket.state = "closed"
    if event_type in TRIGGERS:
        ticket.triggers += 1
        # An alertId names one occurrence: a trigger after its clear is stale, not a reopen.
    else:
        ticket.clears += 1
        ticket.state = "closed"


def reconcile(app: Flask, api_base: str, token: str) -> int:
    """Opens tickets for active alerts the ThousandEyes API lists but no webhook announced.

    Returns how many tickets it opened. Follows v7 pagination (``_links.next``).
    """
    store: Store = app.config["STORE"]
    url = f"{api_base.rstrip('/')}/v7/alerts"
    opened = 0
    while url:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as res:
            page = json.load(res)
        for alert in page.get("alerts", []):
            # `alertId` is the id webhooks correlate by; `id` is the API's own UUID.
            alert_id = str(alert.get("alertId") or alert.get("id") or "")
            if not alert_id:
                continue
            with store.lock:
                if alert_id not in store.tickets:
                    store.tickets[alert_id] = Ticket(
                        alert_id=alert_id,
                        kind="agent" if alert.get("alertType") == "agent" else "test",
                        source="api",
                    )
                    opened += 1
        url = ((page.get("_links") or {}).get("next") or {}).get("href")
    return opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--observe", action="store_true", help="serve /_debug/te-records")
    args = parser.parse_args()
    app = create_app(
        os.environ.get("WEBHOOK_USER", "thousandeyes"),
        os.environ["WEBHOOK_PASSWORD"],
        observe=args.observe,
    )
    # Keep-alive (HTTP/1.1) as ThousandEyes expects; threaded for concurrent deliveries.
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
