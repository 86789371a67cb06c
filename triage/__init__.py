"""Local support-ticket triage. Importing the package forces offline mode first (models.enforce_offline)."""
from models import enforce_offline

enforce_offline()
