"""Local development tooling (not deployed): the template reader, DynamoDB Local, the HTTP runner,
the Stripe trigger and fake, and the console commands behind ``make``."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
