"""kb sync at 100 / 1,000 / 10,000 generated entries: every entry new, nothing changed, one entry changed.

python bench/bench_sync.py                  # 100 and 1,000 entries, SQLite (and PostgreSQL if set)
python bench/bench_sync.py --sizes 10000    # the big run
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _sites  # noqa: E402
from bench.generate import DEFAULT_SEED  # noqa: E402
from kb.sync import setup_database, sync_directory  # noqa: E402


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(sizes, seed: int = DEFAULT_SEED) -> list[dict]:
    rows = []
    for count in sizes:
        source = _sites.content_dir(count, seed)
        for backend in _sites.backends():
            work = _sites.WORK_DIR / f"sync-{backend}-{count}"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(source, work)
            with _sites.database(backend) as url:
                app = _sites.make_app(url, work)
                setup_database(app, sync=False)
                with app.app_context():
                    new, report = _timed(sync_directory)
                    assert len(report.created) == count, report
                    same, report = _timed(sync_directory)
                    assert not report.changed, report
                    first = sorted(work.glob("*.md"))[0]
                    first.write_text(first.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
                    one, report = _timed(sync_directory)
                    assert report.updated == [first.stem], report
                _sites.dispose(app)
            shutil.rmtree(work, ignore_errors=True)
            row = {"backend": backend, "entries": count, "all new": new, "nothing changed": same, "one changed": one}
            print(
                f"{backend:10} {count:>6} entries: all new {new:7.2f} s, nothing changed {same:6.2f} s, one changed {one:6.2f} s",
                flush=True,
            )
            rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    print(f"seed: {args.seed}")
    run(args.sizes, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
