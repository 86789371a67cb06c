"""Retrieval latency at scale with generated rows (no real tickets needed).

    python -m scripts.bench_retrieval [--rows 100000] [--queries 200]

Builds a temporary LanceDB table of random unit vectors with the KB's schema and width, builds
the same ANN index the KB uses, and times top-10 searches (with exact re-ranking, with and
without a category filter), as KnowledgeBase.search does."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time

import numpy as np

from kb.store import KnowledgeBase
from triage.schema import CATEGORIES

DIM = 896  # MiniLM (384) + multilingual USE (512)


class _RandomEmbedder:
    name, dim = "random", DIM

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def encode(self, texts, threads=None):
        v = self.rng.standard_normal((len(texts), DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(tmp, _RandomEmbedder())
        start = time.perf_counter()
        rows = ({"id": f"g{i}", "text": f"generated ticket {i}", "category": CATEGORIES[i % 5], "source": "generated"}
                for i in range(args.rows))
        kb.add(rows, batch_size=10_000)
        ingest = time.perf_counter() - start
        start = time.perf_counter()
        kb.ensure_index(min_rows=1)
        index = time.perf_counter() - start
        queries = _RandomEmbedder(1).encode(["q"] * args.queries)
        report = {"rows": kb.count(), "ingest_s": round(ingest, 1), "index_build_s": round(index, 1)}
        for label, category in (("search_top10_ms", None), ("search_top10_category_filter_ms", "billing")):
            times = []
            for q in queries:
                t0 = time.perf_counter()
                kb.search(q, k=10, category=category)
                times.append((time.perf_counter() - t0) * 1000)
            report[label] = {"p50": round(float(np.percentile(times, 50)), 2), "p95": round(float(np.percentile(times, 95)), 2)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
