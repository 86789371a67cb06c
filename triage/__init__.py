"""Local support-ticket triage. Importing it forces offline mode (see models/__init__)."""
import models  # noqa: F401
