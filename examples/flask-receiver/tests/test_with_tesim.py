"""The receiver against the real tesim binary: `send`, `check` and `api`.

Each test starts `tesim` as a subprocess, exactly as a developer would from a shell or CI.
"""

from __future__ import annotations

import json
import subprocess

from conftest import PASSWORD, USER
from receiver import reconcile

AUTH = f"basic:{USER}:env:HOOK_PASSWORD"
TIMEOUT = 120  # seconds; a hung tesim fails the test instead of hanging CI


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def explain(res: subprocess.CompletedProcess) -> str:
    return f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"


def test_send_opens_and_closes_tickets(tesim, receiver, tesim_env):
    app, base = receiver
    store = app.config["STORE"]
    res = run([tesim, "send", "--target", f"{base}/te-hook", "--auth", AUTH, "--scenario", "default"], tesim_env)
    assert res.returncode == 0, explain(res)

    kinds = {ticket.kind for ticket in store.tickets.values()}
    assert kinds == {"test", "agent"}, store.tickets
    # The default scenario clears everything it triggers (one clear is the rule being deleted).
    assert all(ticket.state == "closed" for ticket in store.tickets.values()), store.tickets
    assert all(ticket.triggers == 1 and ticket.clears == 1 for ticket in store.tickets.values())
    processed = len(store.processed)
    assert processed >= 1 + 2 * len(store.tickets)  # the webhook test, then trigger + clear each

    # Same seed, same eventIds: a redelivery. Acknowledged, not processed twice.
    res = run([tesim, "send", "--target", f"{base}/te-hook", "--auth", AUTH, "--scenario", "default"], tesim_env)
    assert res.returncode == 0, explain(res)
    assert len(store.processed) == processed

    # Another seed gives fresh ids: new events, new tickets.
    tickets = len(store.tickets)
    res = run(
        [tesim, "send", "--target", f"{base}/te-hook", "--auth", AUTH, "--scenario", "default", "--seed", "2"],
        tesim_env,
    )
    assert res.returncode == 0, explain(res)
    assert len(store.processed) == 2 * processed
    assert len(store.tickets) == 2 * tickets


def test_send_without_credentials_is_refused(tesim, receiver, tesim_env):
    app, base = receiver
    res = run([tesim, "send", "--target", f"{base}/te-hook", "--scenario", "default"], tesim_env)
    assert res.returncode == 1, explain(res)
    assert "401" in res.stdout + res.stderr
    assert app.config["STORE"].tickets == {}


def test_check_passes_every_must(tesim, receiver, tesim_env, tmp_path):
    _, base = receiver
    report_path = tmp_path / "report.json"
    res = run(
        [
            tesim, "check",
            "--target", f"{base}/te-hook",
            "--auth", AUTH,
            "--observe", f"{base}/_debug/te-records",
            "--json", str(report_path),
        ],
        tesim_env,
    )
    assert res.returncode == 0, explain(res)
    report = json.loads(report_path.read_text())
    assert report["summary"]["must_failed"] == 0, report["summary"]
    assert report["summary"]["errors"] == 0, report["summary"]
    verdicts = {result["id"]: (result["level"], result["verdict"]) for result in report["results"]}
    for check_id, (level, verdict) in verdicts.items():
        if check_id.startswith(("TE-OAUTH-", "TE-TLS-")):
            # Basic auth and plain http: the OAuth and TLS checks do not apply and say so.
            assert verdict == "SKIP", (check_id, verdict)
        elif level == "MUST":
            assert verdict == "PASS", (check_id, verdict, report)
    # The semantics checks ran (the observation hook works), they were not skipped.
    semantics = [
        v for k, v in verdicts.items() if k.startswith(("TE-SEMANTICS-", "TE-FIDELITY-", "TE-PATHOLOGY-"))
    ]
    assert semantics and all(verdict == "PASS" for _, verdict in semantics), semantics
    # Nothing leaked: the password never appears in what tesim printed or wrote.
    assert PASSWORD not in res.stdout + res.stderr + report_path.read_text()


def test_reconcile_from_the_alerts_api(tesim, receiver, tesim_env):
    app, _ = receiver
    # The API clock fixed 3 minutes in: the HTTP alert (+2m) and the agent notification
    # (+1m) are active, nothing is cleared yet.
    api = subprocess.Popen(
        [tesim, "api", "--listen", "127.0.0.1:0", "--scenario", "default", "--at", "+3m"],
        env=tesim_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The first line names the bound address; it is printed once the port is bound.
        first = api.stdout.readline()
        assert "listening on http://" in first, first + api.stderr.read()
        api_base = first.split("listening on ", 1)[1].strip()
        opened = reconcile(app, api_base, "tesim-token")
        assert opened >= 1
        tickets = app.config["STORE"].tickets.values()
        assert all(ticket.source == "api" and ticket.state == "open" for ticket in tickets)
        # Running it again opens nothing new: it keys by the same alertId as webhooks.
        assert reconcile(app, api_base, "tesim-token") == 0
    finally:
        api.terminate()
        api.wait(timeout=30)
