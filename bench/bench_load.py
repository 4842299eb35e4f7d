"""Under gunicorn with several workers: requests/s and p99 latency per route, against a bare Flask route.

    python bench/bench_load.py                         # 100 generated entries, SQLite (+ PostgreSQL if set)
    python bench/bench_load.py --sizes 10000 --workers 2 --clients 8 --seconds 5

Each server (ShapeKB, then the bare app of bench/bare_app.py) runs as `gunicorn -w W` on a free local
port, with the access log off; a client in this process keeps `--clients` connections busy for
`--seconds` per round (asyncio, one request per connection as gunicorn's sync workers close them) and
records every latency; rounds of the bare app and of the route alternate (`--rounds` each) and the
best round of each is kept, since the machine is shared. The figures are requests/s, the median and p99 latency, and the ratio of the
bare route's requests/s to the route's. The time from starting gunicorn (its master upgrading the
database and syncing the unchanged content) to the first page served is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _sites  # noqa: E402
from bench.generate import DEFAULT_SEED  # noqa: E402
from kb.sync import setup_database  # noqa: E402

SEED_SLUG = "keras-conv1d-output-shape"
ROUTES = [
    "/",
    "/index.json",
    f"/questions/{SEED_SLUG}",
    f"/questions/{SEED_SLUG}.json",
    "/layers/keras/Conv2D",
    "/search?q=shape",
    "/search?q=conv&layer=Conv2D",
    "/api/v1/questions?q=lstm",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _one(port: int, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    return time.perf_counter() - start, status


async def _load(port: int, path: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        while time.perf_counter() < stop:
            took, status = await _one(port, path)
            latencies.append(took)
            errors += status != 200

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3,
        "requests": len(latencies),
        "errors": errors,
    }


def load(port, path, clients, seconds) -> dict:
    return asyncio.run(_load(port, path, clients, seconds))


def start_gunicorn(target: str, workers: int, env: dict) -> tuple[subprocess.Popen, int, float]:
    """gunicorn serving `target`; returns the process, its port and the seconds to its first answer."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--access-logfile", "/dev/null"]
        + ["-w", str(workers), "-b", f"127.0.0.1:{port}", target],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn {target} exited with {proc.returncode}")
        try:
            _, status = asyncio.run(_one(port, "/"))
            if status == 200:
                return proc, port, time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > 300:
            proc.terminate()
            raise RuntimeError("gunicorn did not answer within 300 s")
        time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(sizes, seed, workers, clients, seconds, backends=None, rounds: int = 2) -> list[dict]:
    rows = []
    for count in sizes:
        content = _sites.content_dir(count, seed, with_real=True)
        for backend in backends or _sites.backends():
            with _sites.database(backend) as url:
                app = _sites.make_app(url, content)
                start = time.perf_counter()
                report = setup_database(app)
                print(
                    f"{backend} {count:,} entries: migrated and synced ({len(report.created):,} new) in "
                    f"{time.perf_counter() - start:.1f} s",
                    flush=True,
                )
                _sites.dispose(app)
                env = {"DATABASE_URL": url, "SHAPEKB_CONTENT_DIR": str(content), "SECRET_KEY": "bench"}
                # The master upgrades and syncs (nothing changed) before the workers start: the start-up.
                kb_proc, kb_port, first_page = start_gunicorn("app:app", workers, {**env, "SHAPEKB_AUTO_SETUP": "1"})
                bare_proc, bare_port, _ = start_gunicorn("bench.bare_app:app", workers, {"SHAPEKB_AUTO_SETUP": "0"})
                print(f"{backend} {count:,} entries: gunicorn's first page after {first_page:.1f} s", flush=True)
                try:
                    for path in ROUTES:
                        load(kb_port, path, clients, 0.5)  # warm: each worker renders once
                        # Rounds in turn (bare, route, bare, route, ...); the best of each: the machine is shared.
                        bares, gots = [], []
                        for _ in range(rounds):
                            bares.append(load(bare_port, "/", clients, seconds))
                            gots.append(load(kb_port, path, clients, seconds))
                        bare = max(bares, key=lambda r: r["rps"])
                        got = max(gots, key=lambda r: r["rps"])
                        got["errors"] = sum(r["errors"] for r in gots)
                        row = {
                            "backend": backend,
                            "entries": count,
                            "route": path,
                            **got,
                            "bare_rps": bare["rps"],
                            "bare_p99_ms": bare["p99_ms"],
                            "first_page_s": first_page,
                        }
                        rows.append(row)
                        print(
                            f"  {path:40} {got['rps']:7.0f} req/s  p50 {got['p50_ms']:6.1f} ms  p99 {got['p99_ms']:6.1f} ms"
                            f"  errors {got['errors']}  | bare {bare['rps']:6.0f} req/s p99 {bare['p99_ms']:5.1f} ms"
                            f"  -> bare/route {bare['rps'] / got['rps']:.1f}x",
                            flush=True,
                        )
                finally:
                    stop(kb_proc)
                    stop(bare_proc)
    return rows


def table(rows) -> str:
    lines = [
        "| database | entries | route | req/s | p50 | p99 | errors | bare req/s | bare p99 | bare / route (req/s) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['entries']:,} | `{r['route']}` | {r['rps']:,.0f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms"
            f" | {r['errors']} | {r['bare_rps']:,.0f} | {r['bare_p99_ms']:.1f} ms | {r['bare_rps'] / r['rps']:.1f}x |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args(argv)
    print(f"seed: {args.seed}; gunicorn -w {args.workers}; {args.clients} clients; {args.seconds:g} s per route")
    rows = run(
        args.sizes, args.seed, args.workers, args.clients, args.seconds, [args.backend] if args.backend else None
    )
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
