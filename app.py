"""Gradio app: composes the tabs of triage/ui (triage, queue, insights, batch, knowledge base) and
serves them beside the helpdesk intake. Thin: the tabs call triage/ and kb/ and re-implement
nothing. Ticket text is only ever shown in text components (Textbox, Dataframe, JSON), never
rendered as Markdown or HTML."""
from __future__ import annotations

import argparse
import os
import sys
import time

from triage.config import get_settings  # first: the triage package forces offline mode before gradio

import gradio as gr  # noqa: E402

from triage.labelers import MODES
from triage.pipeline import Triager
from triage.ui import batch_tab, insights_tab, kb_tab, queue_tab, triage_tab
from triage.ui.context import UIContext
from triage.wiring import TriagerInBackground, build_preparer


def build_app(triager: Triager, store=None) -> gr.Blocks:
    """The page: a status line and one tab per module in triage/ui (Queue only with a ticket store)."""
    ctx = UIContext(triager, store)
    with gr.Blocks(title="Ticket triage (local)") as demo:
        gr.Markdown("## Local ticket triage\nEverything runs on this machine; no ticket text leaves it.")
        # Filled on each page load (the models may still be loading when the page is first up).
        status = gr.Textbox(value="Loading the models…", label="Status", interactive=False, elem_id="status")
        demo.load(ctx.status, None, status)
        triage_tab.build(ctx, demo)
        if store is not None:
            queue_tab.build(ctx)
        insights_tab.build(ctx)
        batch_tab.build(ctx)
        kb_tab.build(ctx, demo)
    return demo


def serve(triager: Triager, settings):
    """One process for the page and the helpdesk intake: the Gradio app mounted on a FastAPI app that
    also serves /webhooks/* and /api/tickets (triage.service), with the work queue's one worker."""
    from fastapi import FastAPI

    from triage.service import intake_router
    from triage.ticket_store import TicketStore
    from triage.work_queue import WorkQueue
    from triage.writeback import WriteBack

    store = TicketStore(settings.store_path)
    writeback = (WriteBack(settings.zendesk_url, settings.freshdesk_url, settings.helpdesk_token)
                 if settings.helpdesk_token and (settings.zendesk_url or settings.freshdesk_url) else None)
    work_queue = WorkQueue(store, triager, settings.queue_size, writeback=writeback).start()
    api = FastAPI(title="Ticket triage")
    # The intake only cleans and masks: it answers at once, while the models may still be loading.
    api.include_router(intake_router(store, work_queue, build_preparer(settings), settings.webhook_secret))
    user, password = os.environ.get("TRIAGE_AUTH_USER"), os.environ.get("TRIAGE_AUTH_PASSWORD")
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    demo = build_app(triager, store).queue(default_concurrency_limit=1)
    return gr.mount_gradio_app(api, demo, path="/", auth=(user, password) if user and password else None,
                               theme=theme, footer_links=[], show_error=True)


def _stop_on_load_failure(exc: BaseException) -> None:
    """The models could not be loaded (missing model, unbuilt KB): say why and stop, as before the
    page came up early. Accepted helpdesk tickets stay queued in the store for the next start."""
    print(f"error: the models could not be loaded: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    os._exit(3)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Local support-ticket triage web app")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--model", help="GGUF path or packaged model name (env TRIAGE_MODEL)")
    parser.add_argument("--mode", choices=MODES, help="default: TRIAGE_MODE or hybrid")
    args = parser.parse_args()
    settings = get_settings(host=args.host, port=args.port, model=args.model, mode=args.mode)
    print(f"Loading models in the background (mode {settings.mode}, model {settings.model}) ...", flush=True)
    started = time.perf_counter()
    triager = TriagerInBackground(settings, on_failure=_stop_on_load_failure).start()
    triager.when_done(lambda exc: exc is None and print(f"Models loaded in {time.perf_counter() - started:.1f} s",
                                                        flush=True))
    app = serve(triager, settings)
    print(f"Ready on http://{settings.host}:{settings.port}"
          + ("" if settings.webhook_secret else " (webhooks off: set TRIAGE_WEBHOOK_SECRET)"), flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
