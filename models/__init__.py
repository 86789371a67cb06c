"""Local model backends. Importing this package (or `triage`, which imports it) forces offline
mode before any hub-aware library (huggingface_hub, transformers, gradio) is imported: that is
the one place the environment is set, at the packages' entry point."""
import os

_OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    for key, value in _OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # These must win even if the user's shell set them otherwise: ticket text never leaves.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


enforce_offline()
