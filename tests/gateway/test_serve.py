"""`gateway serve` as an operator runs it: both doors open, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.gateway.conftest import POLICY, ROOT, XVENUE_SESSION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(predicate, seconds: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_opens_rest_and_fix_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    rest_port, fix_port = _free_port(), _free_port()
    fix_cfg = tmp_path / "fix.cfg"
    fix_cfg.write_text(
        (ROOT / "deploy" / "fix" / "gateway.cfg")
        .read_text()
        .replace("SocketAcceptPort=9878", f"SocketAcceptPort={fix_port}")
        + XVENUE_SESSION
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_REST_PORT=str(rest_port),
        GATEWAY_FIX_CONFIG=str(fix_cfg),
        GATEWAY_SECRET_XVENUE_FIX="venue-password",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--data-dir",
            str(tmp_path / "var"),
            "--policy",
            str(POLICY),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(lambda: _listening(rest_port) and _listening(fix_port)), (
            "gateway did not open its ports"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/readyz", timeout=5) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/metrics", timeout=5) as response:
            scraped = response.read().decode()
        # every FIX session an operator has configured, desks and venue alike, none logged on yet
        for session, role in [
            ("FIX.4.4:GATEWAY->DESK1", "acceptor"),
            ("FIX.4.2:GATEWAY->DESK2", "acceptor"),
            ("FIX.4.4:GATEWAY->XVENUE", "initiator"),
        ]:
            assert f'gateway_fix_session_logged_on{{role="{role}",session="{session}"}} 0.0' in scraped
        assert 'gateway_venue_status_discrepancies_total{venue="XVENUE"} 0.0' in scraped
        assert 'gateway_venue_refused_reports_total{venue="XVENUE"} 0.0' in scraped
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "gateway serving:" in output and "audit log flushed" in output
    assert (tmp_path / "var" / "audit.db").exists()
