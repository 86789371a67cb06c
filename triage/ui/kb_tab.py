"""The Knowledge base tab: search resolved tickets, counts by category and source, add one."""
from __future__ import annotations

import gradio as gr

from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES
from triage.ui.context import UIContext
from triage.ui.view import SIMILAR_HEADERS, similar_rows


class KnowledgeHandlers:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx

    def search(self, query, category):
        if self.ctx.kb is None:
            raise gr.Error("Knowledge base not loaded.")
        if not (query or "").strip():
            raise gr.Error("Type something to search for.")
        return similar_rows(self.ctx.kb.search(query, k=10, category=None if category == "any" else category))

    def counts(self):
        kb = self.ctx.kb
        if kb is None:
            return [], []
        by_cat = sorted(kb.counts("category").items(), key=lambda kv: -kv[1])
        by_src = sorted(kb.counts("source").items(), key=lambda kv: -kv[1])
        return [[str(k), v] for k, v in by_cat], [[str(k), v] for k, v in by_src]

    def add(self, text, category, urgency, sentiment, escalation, resolution):
        return self.ctx.add(text, category, urgency, sentiment, escalation, resolution), *self.counts()


def build(ctx: UIContext, demo: gr.Blocks) -> None:
    handlers = KnowledgeHandlers(ctx)
    with gr.Tab("Knowledge base"):
        with gr.Row():
            query = gr.Textbox(label="Search resolved tickets")
            filter_category = gr.Dropdown(["any", *CATEGORIES], value="any", label="Category")
            search = gr.Button("Search")
        results = gr.Dataframe(headers=SIMILAR_HEADERS, label="Matches", wrap=True)
        search.click(handlers.search, [query, filter_category], results)
        with gr.Row():
            by_cat = gr.Dataframe(headers=["category", "tickets"], label="By category")
            by_src = gr.Dataframe(headers=["source", "tickets"], label="By source")
        with gr.Accordion("Add a resolved ticket", open=False):
            add_text = gr.Textbox(label="Ticket", lines=4)
            with gr.Row():
                add_cat = gr.Dropdown(list(CATEGORIES), label="Category", value="general")
                add_urg = gr.Dropdown(list(URGENCIES), label="Urgency", value="P3")
                add_sent = gr.Dropdown(list(SENTIMENTS), label="Sentiment", value="neutral")
                add_esc = gr.Checkbox(label="Escalation")
            add_res = gr.Textbox(label="Resolution", lines=3)
            add_button = gr.Button("Add")
            add_status = gr.Textbox(label="Status", interactive=False)
        add_button.click(handlers.add, [add_text, add_cat, add_urg, add_sent, add_esc, add_res],
                         [add_status, by_cat, by_src])
        demo.load(handlers.counts, None, [by_cat, by_src])
