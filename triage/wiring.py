"""One wiring factory: every entry point (app, CLI, scripts, tests) builds the knowledge base, the
model and the Triager here, so each collaborator is constructed in one place.

    kb = open_kb(settings)
    triager = build_triager(settings, mode="evidence", kb=kb)   # share a KB / model between modes
    for chunk, results in run_in_batches(triager, tickets): ...
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Iterator, Sequence

from triage.config import Settings, get_settings, load_tuning
from triage.labelers import LABELERS, MODES, EvidenceLabeler, HybridLabeler, LLMLabeler
from triage.prepare import Preparer
from triage.schema import Ticket


def open_kb(settings: Settings, path=None, threads: int | None = None, check: bool = True):
    """The LanceDB knowledge base with the ticket embedder (`check`: fail early if not built)."""
    from kb.store import KnowledgeBase
    from models.embedder import TicketEmbedder

    kb = KnowledgeBase(path or settings.kb_path, TicketEmbedder(threads=threads or settings.embed_threads))
    if check:
        kb.check()
    return kb


def open_llm(settings: Settings):
    """The process-wide backend for settings.model (a registered name, `auto` or a GGUF path)."""
    from models.registry import get_llm

    return get_llm(settings.model, settings.data_dir, settings.n_threads, settings.n_ctx, settings.reuse_prefix_cache)


def open_encoder(settings: Settings):
    """The fine-tuned encoder head (settings.encoder), or None: 'none', or 'auto' before `make train`."""
    from models.encoder_classifier import EncoderClassifier
    from models.locate import ModelNotFoundError
    from models.registry import trained_encoder_path

    if settings.encoder == "none":
        return None
    path = trained_encoder_path(settings.data_dir) if settings.encoder == "auto" else Path(settings.encoder)
    if not (path / "encoder.json").is_file():
        if settings.encoder == "auto":
            return None
        raise ModelNotFoundError(f"No fine-tuned encoder at {path} (TRIAGE_ENCODER): run `make train` or use 'none'.")
    return EncoderClassifier.load(path, threads=max(1, settings.embed_threads))


def labeler_spec(mode: str):
    """The registered labeler for `mode`; an unknown mode is a clear error."""
    if mode not in LABELERS:
        raise ValueError(f"Unknown mode {mode!r}: TRIAGE_MODE / --mode must be one of {', '.join(MODES)}.")
    return LABELERS[mode]


def build_triager(settings: Settings | None = None, mode: str | None = None, kb=None, llm=None):
    """A Triager for `mode` (default settings.mode); `kb` and `llm` are opened when the mode needs
    them and none was given."""
    from triage.classify import LLMClassifier
    from triage.evidence import EvidenceLayer
    from triage.pipeline import Triager
    from triage.routing import load_routing
    from triage.tuned import TunedClassifier, TunedVoter, load_card

    settings = settings or get_settings()
    mode = mode or settings.mode
    spec = labeler_spec(mode)
    llm = (llm or open_llm(settings)) if spec.needs_llm else None
    card = load_card(llm.path) if llm is not None and hasattr(llm, "path") else None
    # A model tuned by `make train` answers in its own format and votes on the labels.
    classifier = (TunedClassifier(llm) if card else LLMClassifier(llm)) if llm is not None else None
    voter = TunedVoter(llm, card.get("temperatures", {})) if card and mode == "hybrid" else None
    evidence = None
    if spec.needs_kb:
        kb = kb or open_kb(settings)
        kb.check()
        evidence = EvidenceLayer(kb, settings, encoder=open_encoder(settings))
    tuning = load_tuning(settings.tuning_file, with_model=voter is not None)
    labeler = {"evidence": lambda: EvidenceLabeler(evidence, tuning),
               "llm": lambda: LLMLabeler(classifier),
               "hybrid": lambda: HybridLabeler(EvidenceLabeler(evidence, tuning, voter), classifier)}[mode]()
    routing_config = load_routing(settings.routing_file)  # an invalid file fails here, at start-up
    # The tuned model was trained to label, not to write replies: generated drafts use its base model.
    draft_llm = None
    if llm is not None and settings.draft_strategy == "generate":
        draft_llm = _base_llm(settings, card["base"]) if card and card.get("base") else llm
    drafter = _drafter(settings, draft_llm, kb, routing_config, tuning.vague_max_words) if kb is not None else None
    return Triager(settings, labeler, build_preparer(settings, llm), routing_config, llm=llm, kb=kb,
                   evidence=evidence, classifier=classifier, drafter=drafter)


def build_preparer(settings: Settings, llm=None) -> Preparer:
    """Cleaning, language and masking; with `llm`, also truncation to the model's token budget."""
    return Preparer(settings.max_ticket_tokens, llm.tokenize if llm else None, llm.detokenize if llm else None,
                    masker(settings))


class TriagerInBackground:
    """A server's Triager, built on a background thread so the page and the helpdesk intake answer
    at once; whatever needs the triager first waits for it. Settings, mode and routing are known at
    once (an invalid routing file still stops start-up)."""

    def __init__(self, settings: Settings, mode: str | None = None, on_failure=None):
        """on_failure(exc) runs on the loader thread before anyone sees the error (the app exits
        there, so queued helpdesk tickets stay queued instead of failing one by one)."""
        from triage.routing import load_routing

        self.settings, self.mode = settings, mode or settings.mode
        labeler_spec(self.mode)  # a bad mode stops start-up, as before
        self.routing_config = load_routing(settings.routing_file)
        self.on_failure = on_failure
        self._built: Future = Future()

    def start(self) -> "TriagerInBackground":
        threading.Thread(target=self._build, name="triager-loader", daemon=True).start()
        return self

    def _build(self) -> None:
        try:
            self._built.set_result(build_triager(self.settings, self.mode))
        except BaseException as exc:  # handed to every caller of get()
            if self.on_failure is not None:
                self.on_failure(exc)
            self._built.set_exception(exc)

    @property
    def ready(self) -> bool:
        return self._built.done()

    def when_done(self, callback) -> None:
        """callback(None) once built, or callback(exception) if building failed."""
        self._built.add_done_callback(lambda built: callback(built.exception()))

    def get(self, timeout: float | None = None):
        """The built Triager (waits for it; raises what building it raised)."""
        return self._built.result(timeout)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # never wait for private or protocol lookups (copy, pickle)
            raise AttributeError(name)
        return getattr(self.get(), name)


def masker(settings: Settings):
    """The configured PII masker; an unknown type or a bad custom regex stops start-up naming it."""
    from triage.pii import Masker

    return Masker(settings.pii_types, settings.pii_custom_patterns)


def _base_llm(settings: Settings, base: str):
    from models.registry import get_llm

    return get_llm(base, settings.data_dir, settings.n_threads, settings.n_ctx, settings.reuse_prefix_cache)


def _drafter(settings: Settings, llm, kb, routing_config, vague_max_words: int):
    from triage.draft import Drafter

    return Drafter(llm, kb, settings.retrieval_k, max_tokens=settings.draft_max_tokens,
                   auto_reply=routing_config.auto_reply, steps_min_similarity=settings.draft_steps_min_similarity,
                   strategy=settings.draft_strategy, vague_max_words=vague_max_words)


def run_in_batches(triager, rows: Sequence, batch_size: int = 64, workers: int = 1) -> Iterator[tuple[list, list]]:
    """The one batch loop (app, evaluation, batch triage): yields (rows, results) per chunk — in
    order with one worker, as they complete with several. A result is a TriageResult or the
    exception its ticket raised. A row is a Ticket or has `.id` and `.text`, a Ticket or a string."""
    chunks = [list(rows[i: i + batch_size]) for i in range(0, len(rows), batch_size)]

    def work(chunk):
        return chunk, triager.run_many([_as_ticket(r) for r in chunk])

    if workers <= 1:
        yield from map(work, chunks)
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in as_completed([pool.submit(work, c) for c in chunks]):
            yield future.result()


def _as_ticket(row) -> Ticket | str:
    return row if isinstance(row, (Ticket, str)) else Ticket(text=row.text, id=row.id)
