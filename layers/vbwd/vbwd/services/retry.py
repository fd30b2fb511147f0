"""Retrying a write that lost a race: short, growing, jittered pauses (contention clears in milliseconds)."""

from __future__ import annotations

import random
import time


def backoff(attempt: int, *, step: float = 0.003, cap: float = 0.05) -> None:
    """Sleep a random time up to ``min(cap, step * (attempt + 1))`` seconds (full jitter)."""
    time.sleep(random.uniform(0, min(cap, step * (attempt + 1))))  # noqa: S311 -- jitter, not security
