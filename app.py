"""Gradio page: paste a ticket, get the triage result. Thin: all logic is in triage/."""
from __future__ import annotations

import argparse

import models  # noqa: F401  (offline env vars before gradio is imported)
import gradio as gr

from triage.config import get_settings
from triage.pipeline import Triager
from triage.schema import EmptyTicketError, Ticket


def build_app(triager: Triager) -> gr.Blocks:
    def triage(text: str, subject: str = "") -> dict:
        try:
            return triager.run(Ticket(text=text or "", subject=subject or "")).model_dump(mode="json")
        except EmptyTicketError as exc:
            raise gr.Error(str(exc))

    with gr.Blocks(title="Ticket triage (local)") as demo:
        gr.Markdown(f"## Local ticket triage\nModel: `{triager.llm.name}` — nothing leaves this machine.")
        subject = gr.Textbox(label="Subject (optional)")
        text = gr.Textbox(label="Ticket", lines=8, placeholder="Paste a ticket, e-mail or chat transcript")
        button = gr.Button("Triage", variant="primary")
        output = gr.JSON(label="Result")
        button.click(triage, inputs=[text, subject], outputs=output, api_name="triage")
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description="Local support-ticket triage web app")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--model", help="GGUF path or packaged model name (env TRIAGE_MODEL)")
    args = parser.parse_args()
    settings = get_settings(host=args.host, port=args.port, model=args.model)
    print(f"Loading model {settings.model} ...", flush=True)
    demo = build_app(Triager(settings))
    demo.queue(default_concurrency_limit=1).launch(
        server_name=settings.host, server_port=settings.port, share=False, show_error=True
    )


if __name__ == "__main__":
    main()
