"""Every route against a bare Flask route, in one process, through Flask's test client.

    python bench/bench_web.py                       # 100 generated entries (+ the real ones), SQLite (+ PostgreSQL if set)
    python bench/bench_web.py --sizes 100 1000      # also at 1,000 entries
    python bench/bench_web.py --routes search       # only the routes whose name contains "search"

Rounds of each route and of the bare route are taken in turn (bench/_harness.compare); the ratio is
route / bare per request, best rounds and median of paired rounds. Two columns per route:

* *served* : the same address again and again, as a page is served to many readers (what is rendered
  once is then served from the bounded caches);
* *rendered*: the render caches emptied before every request (kb.cache.clear_all), so the figure is
  what the first reader of that address pays.

POST routes are compared with a bare POST route that returns the JSON body it receives (the same body),
GET routes with a bare GET route returning a short text. The evaluator rows draw their values from a seeded pool: "fresh" values never seen before (every
request prints its formulas), "repeated" ones from a pool of 20 (as the live evaluator asks again).
Response sizes are in the last column.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, jsonify, request  # noqa: E402

from bench import _sites  # noqa: E402
from bench._harness import compare  # noqa: E402
from bench.generate import DEFAULT_SEED  # noqa: E402
from kb.sync import setup_database  # noqa: E402

SEED_SLUG = "keras-conv1d-output-shape"  # a real entry (kb/content), present at every size


def bare_client():
    """A bare Flask app: GET / returns a short text (the baseline of GET routes), POST / returns the JSON
    body it was sent (the baseline of POST routes: the test client encodes the same body for both)."""
    bare = Flask("bare")

    @bare.get("/")
    def hello():
        return "Hello, World!"

    @bare.post("/")
    def echo():
        return jsonify(request.get_json())

    return bare.test_client()


def _conv1d_values(rng: random.Random) -> dict:
    return {
        "filters": rng.randint(1, 512),
        "kernel_size": rng.randint(1, 9),
        "input_shape": f"None,{rng.randint(9, 4000)},{rng.randint(1, 64)}",
    }


def _evaluate_body(rng: random.Random, substitute: bool) -> dict:
    return {
        "framework": "keras",
        "layer": "Conv1D",
        "params": {
            "filters": rng.randint(1, 512),
            "kernel_size": rng.randint(1, 9),
            "padding": rng.choice(["valid", "same"]),
        },
        "input_shape": [None, rng.randint(9, 4000), rng.randint(1, 64)],
        "substitute": substitute,
    }


def routes(rng: random.Random) -> dict[str, tuple[str, str, object]]:
    """name -> (method, path, what varies per request: None, or a function rng -> query values / JSON body)."""
    return {
        "home /": ("GET", "/", None),
        "home /?page=2": ("GET", "/?page=2", None),
        "home /index.json": ("GET", "/index.json", None),
        "question page": ("GET", f"/questions/{SEED_SLUG}", None),
        "question .json": ("GET", f"/questions/{SEED_SLUG}.json", None),
        "question + evaluator (fresh values)": ("GET", f"/questions/{SEED_SLUG}", _conv1d_values),
        "layers index": ("GET", "/layers", None),
        "layer page keras/Conv2D": ("GET", "/layers/keras/Conv2D", None),
        "layer .json keras/Conv2D": ("GET", "/layers/keras/Conv2D.json", None),
        "trace page": ("GET", "/trace", None),
        "search ?q=shape": ("GET", "/search?q=shape", None),
        "search ?q=conv&layer=Conv2D": ("GET", "/search?q=conv&layer=Conv2D", None),
        "search ?q=zorax (rare word)": ("GET", "/search?q=zorax", None),
        "search.json ?q=lstm": ("GET", "/search.json?q=lstm", None),
        "api questions ?q=lstm": ("GET", "/api/v1/questions?q=lstm", None),
        "api question": ("GET", f"/api/v1/questions/{SEED_SLUG}", None),
        "api layer keras/Conv2D": ("GET", "/api/v1/layers/keras/Conv2D", None),
        "api evaluate": ("POST", "/api/v1/evaluate", lambda r: _evaluate_body(r, False)),
        "api evaluate substitute (fresh values)": ("POST", "/api/v1/evaluate", lambda r: _evaluate_body(r, True)),
        "api evaluate substitute (repeated values)": ("POST", "/api/v1/evaluate", "repeat"),
    }


def _caller(client, method: str):
    if method == "POST":
        return lambda path, body: client.post(path, json=body)
    return lambda path, query: client.get(path, query_string=query)


def measure(app, seed: int, rounds: int, calls: int, only: str | None) -> list[dict]:
    from kb import cache

    rng = random.Random(seed)
    client = app.test_client()
    bare = bare_client()
    rows = []
    pool = [_evaluate_body(rng, True) for _ in range(20)]
    for name, (method, path, vary) in routes(rng).items():
        if only and only not in name:
            continue
        call = _caller(client, method)

        def bare_get(_path, _arg, bare=bare):
            return bare.get("/")

        def bare_post(_path, body, bare=bare):
            return bare.post("/", json=body)

        if vary == "repeat":
            per_round = [[(path, rng.choice(pool)) for _ in range(calls)] for _ in range(rounds)]
        elif vary is None:
            per_round = [[(path, None)] * calls for _ in range(rounds)]
        else:
            per_round = [[(path, vary(rng)) for _ in range(calls)] for _ in range(rounds)]
        first = call(*per_round[0][0])
        assert first.status_code == 200, (name, first.status_code, first.get_data(as_text=True)[:300])
        size = len(first.get_data())

        def cold(path, arg, call=call):
            cache.clear_all(app)
            return call(path, arg)

        t = compare(
            {
                "served": (call, per_round),
                "rendered": (cold, per_round),
                "bare": (bare_get if method == "GET" else bare_post, per_round),
            },
            rounds=rounds,
        )
        served, rendered, base = t["served"], t["rendered"], t["bare"]
        paired = statistics.median(s / b for s, b in zip(served.rounds_ns, base.rounds_ns, strict=True))
        paired_cold = statistics.median(s / b for s, b in zip(rendered.rounds_ns, base.rounds_ns, strict=True))
        rows.append(
            {
                "route": name,
                "served_us": served.best_ns / 1e3,
                "rendered_us": rendered.best_ns / 1e3,
                "bare_us": base.best_ns / 1e3,
                "served_ratio": served.best_ns / base.best_ns,
                "served_paired": paired,
                "rendered_ratio": rendered.best_ns / base.best_ns,
                "rendered_paired": paired_cold,
                "bytes": size,
            }
        )
        print(
            f"  {name:44} served {served.best_ns / 1e3:9.0f} µs ({served.best_ns / base.best_ns:5.1f}x)"
            f"  rendered {rendered.best_ns / 1e3:9.0f} µs ({rendered.best_ns / base.best_ns:6.1f}x)"
            f"  bare {base.best_ns / 1e3:5.0f} µs  {size / 1024:7.1f} KB",
            flush=True,
        )
    return rows


def table(results: list[tuple[str, int, list[dict]]]) -> str:
    lines = [
        "| database | entries | route | served | ratio to bare (best / paired median) | rendered (caches emptied) | ratio to bare (best / paired median) | size |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, count, rows in results:
        for r in rows:
            lines.append(
                f"| {backend} | {count:,} | {r['route']} | {r['served_us']:,.0f} µs | {r['served_ratio']:.1f}x / {r['served_paired']:.1f}x"
                f" | {r['rendered_us']:,.0f} µs | {r['rendered_ratio']:.1f}x / {r['rendered_paired']:.1f}x | {r['bytes'] / 1024:,.1f} KB |"
            )
    return "\n".join(lines)


def run(sizes, seed: int, rounds: int, calls: int, only: str | None = None, backends=None) -> list:
    results = []
    for count in sizes:
        content = _sites.content_dir(count, seed, with_real=True)
        for backend in backends or _sites.backends():
            with _sites.database(backend) as url:
                app = _sites.make_app(url, content)
                start = time.perf_counter()
                setup_database(app, sync=True)
                print(f"{backend} {count:,} entries (synced in {time.perf_counter() - start:.1f} s):", flush=True)
                rows = measure(app, seed, rounds, calls, only)
                _sites.dispose(app)
            results.append((backend, count, rows))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--routes", default=None, help="only routes whose name contains this")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args(argv)
    print(f"seed: {args.seed}")
    results = run(args.sizes, args.seed, args.rounds, args.calls, args.routes, [args.backend] if args.backend else None)
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
