"""The one-command start: `python app.py` (and gunicorn) on an empty database serve every question."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.web.pagetools import SLUGS

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read().decode()


def _serve(cmd: list[str], env: dict, port: int, timeout: float = 120.0):
    """Start the server, wait for the first page; returns (process, seconds until it answered)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            out = proc.stdout.read()
            proc.stdout.close()
            pytest.fail(f"{cmd} exited with {proc.returncode}:\n{out[-3000:]}")
        try:
            status, _ = _get(f"http://127.0.0.1:{port}/")
            if status == 200:
                return proc, time.monotonic() - start
        except OSError:
            time.sleep(0.1)
    _stop(proc)
    pytest.fail(f"{cmd} did not answer within {timeout} s")


def _stop(proc) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def _env(tmp_path, port: int, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHAPEKB_", "DATABASE_URL", "HOST", "PORT"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def test_python_app_py_upgrades_syncs_and_serves(tmp_path):
    port = _free_port()
    proc, seconds = _serve([sys.executable, "app.py"], _env(tmp_path, port), port)
    try:
        for slug in SLUGS:
            status, body = _get(f"http://127.0.0.1:{port}/questions/{slug}")
            assert status == 200 and "<math" in body and 'name="input_shape"' in body, slug
        status, _ = _get(f"http://127.0.0.1:{port}/questions/{SLUGS[0]}?input_shape=zzz%28")
        assert status == 400
    finally:
        out = _stop(proc)
    assert f"content: {len(SLUGS)} created" in out, out
    print(f"python app.py: first page after {seconds:.1f} s")


def test_a_restart_changes_nothing(tmp_path):
    port = _free_port()
    proc, _ = _serve([sys.executable, "app.py"], _env(tmp_path, port), port)
    _stop(proc)
    proc, _ = _serve([sys.executable, "app.py"], _env(tmp_path, port), port)
    out = _stop(proc)
    assert f"content: 0 created, 0 updated, {len(SLUGS)} unchanged, 0 deleted" in out, out


def test_gunicorn_sets_up_once_and_serves(tmp_path):
    pytest.importorskip("gunicorn")
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "app:app"]
    proc, _ = _serve(cmd, _env(tmp_path, port), port, timeout=180)
    try:
        status, body = _get(f"http://127.0.0.1:{port}/questions/{SLUGS[0]}.json")
        assert status == 200 and '"formulas"' in body
    finally:
        out = _stop(proc)
    assert out.count("database ready") == 1, out


def test_a_broken_content_file_stops_the_start_with_its_name(tmp_path):
    import shutil

    from kb.config import CONTENT_DIR

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    broken = content / f"{SLUGS[0]}.md"
    broken.write_text("no front matter\n", encoding="utf-8")
    env = _env(tmp_path, _free_port(), SHAPEKB_CONTENT_DIR=str(content))
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"error: {broken}: " in done.stderr and "Traceback" not in done.stderr
