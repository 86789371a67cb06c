"""The Gradio UI, one module per tab; app.py composes them. Nothing in triage/ imports this
package: data flows UI -> triage.pipeline -> stages."""
