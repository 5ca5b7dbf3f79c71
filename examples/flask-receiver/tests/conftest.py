"""Fixtures: the receiver on a free loopback port, and the installed `tesim` binary."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receiver import create_app  # noqa: E402

USER = "thousandeyes"
PASSWORD = "correct horse battery staple"


class KeepAliveHandler(WSGIRequestHandler):
    # HTTP/1.1 keeps connections open between deliveries, as ThousandEyes expects.
    protocol_version = "HTTP/1.1"


@pytest.fixture(scope="session")
def tesim() -> str:
    """`tesim` from this interpreter's environment (where `pip install` put it), else PATH."""
    explicit = os.environ.get("TESIM")
    if explicit:
        return explicit
    names = ["tesim.exe", "tesim"] if os.name == "nt" else ["tesim"]
    for name in names:
        beside = Path(sys.executable).parent / name
        if beside.exists():
            return str(beside)
    found = shutil.which("tesim")
    if found is None:
        pytest.fail("tesim is not installed: `pip install tesim` (or set TESIM=/path/to/tesim)")
    return found


@pytest.fixture()
def receiver():
    """(app, base URL) of a fresh receiver with the observation hook, on 127.0.0.1:<free>."""
    app = create_app(USER, PASSWORD, observe=True)
    # Bound before the thread starts: the listening socket already queues connections,
    # so no readiness wait is needed.
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture()
def tesim_env() -> dict[str, str]:
    """The environment for tesim: the password travels as `env:HOOK_PASSWORD`, not in argv."""
    return {**os.environ, "HOOK_PASSWORD": PASSWORD}
