"""The llama.cpp backend: any GGUF file through llama-cpp-python, constrained by Outlines.

Loaded once per process (models.registry.get_llm) and shared by classification and drafting.
Prompt-prefix reuse: Outlines calls ``Llama.reset()`` after every generation, which makes
llama-cpp-python forget what is in its KV cache, so the long fixed instructions would be
re-evaluated for every ticket. ``_PrefixKeepingLlama`` remembers how many tokens were cached
before that reset and the backend restores the count afterwards; llama-cpp-python's own
longest-common-prefix check then trims the KV cache to the shared prefix and evaluates only the
new suffix (exact: the cached keys/values are the ones computed for the same tokens). Every use
of llama-cpp-python internals (KV snapshots, the BOS flag, logits) is in that subclass.
"""
from __future__ import annotations

import ctypes
import os
import queue
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import llama_cpp
import llama_cpp.llama_cpp as bindings
import numpy as np

from models.base import Generation, StructuredLLM
from models.compute import COMPUTE_THREAD, is_compute_thread, on_compute_thread
from models.locate import ModelNotFoundError

MAX_PREFIX_STATES = 4  # cached prompt prefixes (a few MB of KV state each)


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


def cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo") as fh:
            return " amx_int8" in fh.read()
    except OSError:
        return False


class _PrefixKeepingLlama(llama_cpp.Llama):
    """llama_cpp.Llama that remembers its cached token count across reset(), and owns the
    few internals the backend needs (KV snapshots, BOS flag, last logits)."""

    tokens_before_reset = 0

    def __init__(self, *args, **kwargs):
        """On CPUs with AMX, llama.cpp 0.3.36 puts quantised weights in its AMX buffer type and
        segfaults in ggml_backend_amx_mul_mat at the first decode (seen on these machines, with
        the packaged Q4_1 and a Q8_0). Llama() has no switch for it, so its default model
        parameters get use_extra_bufts=False while this model loads."""
        if not cpu_has_amx():
            super().__init__(*args, **kwargs)
            return
        defaults = bindings.llama_model_default_params

        def without_extra_buffers():
            params = defaults()
            params.use_extra_bufts = False
            return params

        bindings.llama_model_default_params = without_extra_buffers
        try:
            super().__init__(*args, **kwargs)
        finally:
            bindings.llama_model_default_params = defaults

    def reset(self):
        self.tokens_before_reset = self.n_tokens
        super().reset()

    @property
    def adds_bos(self) -> bool:
        return bool(self._model.add_bos_token())

    def snapshot(self):
        """The KV cache and the tokens it holds. llama_state_get/set_data take milliseconds;
        Llama.save_state/load_state also copy the whole logits array (0.2-0.6 s)."""
        size = llama_cpp.llama_state_get_size(self._ctx.ctx)
        buffer = (ctypes.c_uint8 * size)()
        used = llama_cpp.llama_state_get_data(self._ctx.ctx, buffer, size)
        n = self.n_tokens
        return buffer, used, self.input_ids[:n].copy(), n

    def restore(self, snapshot) -> None:
        buffer, used, tokens, n = snapshot
        llama_cpp.llama_state_set_data(self._ctx.ctx, buffer, used)
        self.input_ids[:n] = tokens
        self.n_tokens = n
        self._requires_eval = True  # the next call always evaluates at least one token

    def last_logprobs(self) -> np.ndarray:
        """Log-softmax of the logits after the last evaluated token (logits_all=False)."""
        pointer = llama_cpp.llama_get_logits_ith(self._ctx.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab(),)).astype(np.float64)
        logits -= logits.max()
        return logits - np.log(np.exp(logits).sum())

    def eval_reusing_prefix(self, tokens: list[int]) -> None:
        """Evaluate `tokens`, keeping the KV cache of the longest prefix already evaluated."""
        common = 0
        for a, b in zip(self.input_ids[: self.n_tokens], tokens):
            if a != b:
                break
            common += 1
        self.n_tokens = min(common, len(tokens) - 1)  # re-evaluate >= 1 token for fresh logits
        self.eval(tokens[self.n_tokens:])




def _cache_outlines_kernel() -> None:
    """Outlines masks logits with a numba kernel that is compiled on its first call in every process
    (~0.3 s of each cold start); compile it once into numba's on-disk cache instead."""
    try:
        from outlines_core.kernels import numpy as kernels

        kernels._apply_token_bitmask_inplace_kernel.enable_caching()
    except Exception:  # another outlines-core layout, or no writable cache directory: compile per process
        pass


class LlamaCppLLM(StructuredLLM):
    """A GGUF model with its chat template, structured (Outlines) and free generation."""

    def __init__(self, model_path: Path, n_threads: int = 0, n_ctx: int = 2048, seed: int = 0,
                 reuse_prefix: bool = True):
        import outlines

        _cache_outlines_kernel()
        self.path = Path(model_path)
        self.name = self.path.stem
        self.n_threads = n_threads or physical_cores()
        self.reuse_prefix = reuse_prefix
        try:
            self.llama = _PrefixKeepingLlama(
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
        self._outlines_backend = None  # built on the first regex generator
        self._prefix_states: dict = {}  # prompt prefix -> KV snapshot (see stream_text)
        # Driven from a new thread per request (web server, draft streaming), decoding slowed from
        # ~100 to ~55 tokens/s: every call into the model runs on the process's one compute thread
        # (models.compute, which also explains why torch runs there), which also serialises them.
        self._worker = COMPUTE_THREAD

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
            if self._bos_text and self.llama.adds_bos and prompt.startswith(self._bos_text):
                prompt = prompt[len(self._bos_text):]
            return prompt + assistant_prefix
        return f"{system}\n\n{user}\n\nAnswer:\n{assistant_prefix}"

    def tokenize(self, text: str, add_bos: bool = False) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8", "ignore"), add_bos=add_bos, special=False)

    def detokenize(self, tokens) -> str:
        return self.llama.detokenize(list(tokens)).decode("utf-8", "ignore")

    def _prompt_tokens(self, prompt: str) -> list[int]:
        return self.llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    # -- generation ---------------------------------------------------------
    def prepare(self, output_type) -> None:
        self.structured_generator(output_type)

    def structured_generator(self, output_type):
        """One Outlines Generator per output type, built once and reused (Gemma: ~7 s). The
        outlines-core backend (its copy of the vocabulary, ~0.1 s per generator otherwise) is
        built once per model and shared by every regex/choice generator."""
        import outlines
        from outlines.backends.outlines_core import OutlinesCoreBackend
        from outlines.types import JsonSchema
        from outlines.types.dsl import CFG, python_types_to_terms, to_regex

        key = ("regex", output_type.pattern) if hasattr(output_type, "pattern") else output_type
        if key not in self._generators:
            term = output_type
            if isinstance(output_type, type):
                # No free whitespace: tiny models otherwise emit newlines until max_tokens.
                term = JsonSchema(output_type, whitespace_pattern="")
            as_term = python_types_to_terms(term)
            if isinstance(as_term, (JsonSchema, CFG)):
                self._generators[key] = outlines.Generator(self.outlines_model, term)
            else:  # what outlines.Generator does for a regex, with the shared backend
                if self._outlines_backend is None:
                    self._outlines_backend = OutlinesCoreBackend(self.outlines_model)
                processor = self._outlines_backend.get_regex_logits_processor(to_regex(as_term))
                self._generators[key] = outlines.Generator(self.outlines_model, processor=processor)
        return self._generators[key]

    def _prompt_token_count(self, prompt: str) -> tuple[int, int]:
        tokens = self._prompt_tokens(prompt)
        cached = 0
        if self.reuse_prefix and self.llama.n_tokens:
            for a, b in zip(self.llama.input_ids[: self.llama.n_tokens], tokens):
                if a != b:
                    break
                cached += 1
        return len(tokens), len(tokens) - cached

    def on_worker(self, fn, *args, **kwargs):
        """Run fn on the compute thread (for direct llama-cpp-python use, e.g. benchmarks):
        llama.cpp driven from a second thread slows both down."""
        return on_compute_thread(fn, *args, **kwargs)

    def generate_structured(self, prompt: str, output_type, max_tokens: int, field: str = "") -> Generation:
        return self.on_worker(self._generate_structured, prompt, output_type, max_tokens)

    def _generate_structured(self, prompt: str, output_type, max_tokens: int) -> Generation:
        generator = self.structured_generator(output_type)
        prompt_tokens, evaluated = self._prompt_token_count(prompt)
        start = time.perf_counter()
        text = generator(prompt, max_tokens=max_tokens, temperature=0.0, seed=0)
        seconds = time.perf_counter() - start
        self.llama.n_tokens = self.llama.tokens_before_reset if self.reuse_prefix else 0
        return Generation(text, prompt_tokens, evaluated, len(self.tokenize(text)), seconds)

    def score_continuations(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        return self.on_worker(self._score_continuations, prompt, list(continuations))

    def _score_continuations(self, prompt: str, continuations: list[str]) -> list[float]:
        """Evaluate the prompt once (reusing the cached prefix); each continuation then costs one
        single-token evaluation per token after its first."""
        tokens = self._prompt_tokens(prompt)
        if not self.reuse_prefix:
            self.llama.n_tokens = 0
        self.llama.eval_reusing_prefix(tokens)
        first = self.llama.last_logprobs()
        base = self.llama.n_tokens
        scores = []
        for text in continuations:
            cont = self.tokenize(text)
            total = float(first[cont[0]]) if cont else 0.0
            self.llama.n_tokens = base
            for previous, token in zip(cont, cont[1:]):
                self.llama.eval([previous])
                total += float(self.llama.last_logprobs()[token])
            scores.append(total)
        self.llama.n_tokens = base
        return scores

    def _load_prefix(self, prefix: str) -> None:
        """Put the KV state of `prefix` in place, evaluating it only the first time (on the worker)."""
        snapshot = self._prefix_states.get(prefix)
        if snapshot is None:
            self.llama.reset()
            self.llama.eval(self._prompt_tokens(prefix))
            snapshot = self.llama.snapshot()
            if len(self._prefix_states) >= MAX_PREFIX_STATES:
                self._prefix_states.pop(next(iter(self._prefix_states)))
            self._prefix_states[prefix] = snapshot
        else:
            self.llama.restore(snapshot)

    def stream_text(self, prompt: str, max_tokens: int, stop: list[str] | None = None,
                    temperature: float = 0.3, repeat_penalty: float = 1.3,
                    cached_prefix: str | None = None, stats: dict | None = None) -> Iterator[str]:
        """Free text, token by token (used for reply drafts). When `cached_prefix` (the start of
        `prompt`, e.g. a fixed system prompt) is given, its KV state is kept between calls and
        only the rest of the prompt is evaluated.

        The completion runs on the process's compute thread (models.compute) and hands pieces
        over a queue: a web server may resume this generator on another thread (or abandon it, which
        stops the decoding at the next token), so nothing may be held across `yield`. `stats`, when
        given, is filled with where the time went: state_s (KV snapshot/restore, and the fixed
        prefix's evaluation the first time it is seen), prompt tokens and how many were evaluated,
        time to the first token, tokens generated and the seconds they took."""
        pieces: queue.Queue = queue.Queue()
        done = object()
        abandoned = threading.Event()
        stats = {} if stats is None else stats
        completion = dict(max_tokens=max_tokens, temperature=temperature, stop=stop or [], stream=True, seed=0,
                          repeat_penalty=repeat_penalty)

        def work():  # on the compute thread
            try:
                self._complete(prompt, cached_prefix, completion, stats, pieces, abandoned)
            except Exception as exc:  # surfaced to the consumer
                pieces.put(exc)
            finally:
                pieces.put(done)

        if is_compute_thread():
            work()  # already on the compute thread: submitting would wait on itself
        else:
            self._worker.submit(work)
        try:
            while True:
                item = pieces.get()
                if item is done:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            abandoned.set()

    def _complete(self, prompt: str, cached_prefix: str | None, completion: dict, stats: dict,
                  pieces: queue.Queue, abandoned: threading.Event) -> None:
        """stream_text's decoding, on the compute thread: each piece goes to `pieces`. A draft's
        prompt shares little with the classification prompt; without the KV snapshot the next
        ticket would re-evaluate the whole classification prefix (~470 tokens, +1.9 s with SmolLM2)."""
        start = time.perf_counter()
        cached = self.llama.snapshot() if self.reuse_prefix else None
        try:
            if cached_prefix and self.reuse_prefix and prompt.startswith(cached_prefix):
                self._load_prefix(cached_prefix)
            stats["prompt_tokens"], stats["prompt_tokens_evaluated"] = self._prompt_token_count(prompt)
            stats["state_s"] = time.perf_counter() - start
            first, tokens = None, 0
            for chunk in self.llama.create_completion(prompt, **completion):
                first = first or time.perf_counter()
                tokens += 1
                pieces.put(chunk["choices"][0]["text"])
                if abandoned.is_set():  # the consumer went away: free the compute thread
                    break
            end = time.perf_counter()
            stats["first_token_s"] = (first or end) - start - stats["state_s"]
            stats["generated_tokens"] = tokens
            stats["generate_s"] = end - (first or end)
        finally:
            restore_start = time.perf_counter()
            self.llama.restore(cached) if cached else self.llama.reset()
            stats["state_s"] = stats.get("state_s", 0.0) + time.perf_counter() - restore_start
