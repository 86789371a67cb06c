"""Batch triage on Ray Data, for backlogs one machine cannot clear in time.

Rows stream through a pool of actors; each actor builds the same Triager as the local engine
(`triage.wiring.build_triager`) once and triages whole batches with it, so the records are the
local engine's (only the measured `seconds` differ). The driver (triage.batch.triage_file) writes
each batch as it arrives, in input order, so a crash loses at most the batches in flight and a
re-run skips what was written.

On a cluster (`address="ray://head:10001"` or `"auto"` on a node of it) every node needs the
project installed (`make install`) and the KB and model files at the paths the settings give;
the driver's TRIAGE_* variables are passed to the workers of a Ray this command starts or joins
by address (a Ray already initialised in the calling process keeps its own runtime environment).
"""
from __future__ import annotations

import json
import math
import os
from typing import Iterator, Sequence

import numpy as np

#: Environment the workers inherit from the driver: our settings and the offline switches.
PASSED_ENV_PREFIXES = ("TRIAGE_", "HF_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_")


class TriageWorker:
    """One Ray actor: loads the models once, then triages batches of {id, text} columns."""

    def __init__(self, mode: str | None):
        from triage.wiring import build_triager

        self.triager = build_triager(mode=mode)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from triage.batch import row_outcome
        from triage.schema import Ticket

        tickets = [Ticket(text=str(text), id=str(row_id)) for row_id, text in zip(batch["id"], batch["text"])]
        results = self.triager.run_many(tickets) if tickets else []
        outcomes = [row_outcome(t.id, res) for t, res in zip(tickets, results)]  # by position: ids may repeat
        payloads = [json.dumps(p, ensure_ascii=False, default=str) for _, p in outcomes]
        return {"kind": np.array([kind for kind, _ in outcomes], dtype=object), "payload": np.array(payloads, dtype=object)}


def worker_env(threads_per_worker: int) -> dict[str, str]:
    """The driver's settings for the workers, with each worker's share of the cores."""
    env = {k: v for k, v in os.environ.items() if k.startswith(PASSED_ENV_PREFIXES)}
    env.setdefault("TRIAGE_N_THREADS", str(threads_per_worker))
    env.setdefault("TRIAGE_EMBED_THREADS", str(threads_per_worker))
    return env


def ray_batches(rows: Sequence, mode: str | None, batch_size: int = 64, workers: int = 1,
                address: str | None = None, quiet: bool = False) -> Iterator[tuple[list[dict], list[dict]]]:
    """(records, failures) per batch, in input order, triaged by `workers` Ray actors. Starts a
    local Ray sized to this machine when `address` is None and shuts it down afterwards."""
    if not rows:  # nothing to do: no cluster to start
        return
    import ray
    from ray.data import DataContext

    started_here = not ray.is_initialized()
    cpus = os.cpu_count() or 1
    threads = max(1, cpus // max(1, workers)) if address is None else 1
    if started_here:
        ray.init(address=address, num_cpus=cpus if address is None else None, include_dashboard=False,
                 log_to_driver=not quiet, configure_logging=not quiet,
                 runtime_env={"env_vars": worker_env(threads)})
    try:
        context = DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        items = [{"id": r.id, "text": r.text} for r in rows]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / batch_size)))
        triaged = dataset.map_batches(TriageWorker, fn_constructor_kwargs={"mode": mode}, batch_size=batch_size,
                                      compute=ray.data.ActorPoolStrategy(size=workers),
                                      num_cpus=threads if address is None else 1, batch_format="numpy")
        for batch in triaged.iter_batches(batch_size=None, batch_format="numpy"):
            decoded = [(kind, json.loads(payload)) for kind, payload in zip(batch["kind"], batch["payload"])]
            yield ([p for kind, p in decoded if kind == "ok"], [p for kind, p in decoded if kind == "error"])
    finally:
        if started_here:
            ray.shutdown()
