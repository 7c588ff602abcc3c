"""The team's Python handlers. `embed` turns text into a small vector (numpy when the env has it)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from tailguard import Context, NonRetryableError, handler, run

DIMENSIONS = 8

try:  # a real model would load here, once per process
    import numpy
except ImportError:
    numpy = None


@handler("embed")
def embed(payload: Any, ctx: Context) -> dict[str, Any]:
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str) or not text:
        raise NonRetryableError("payload needs a non-empty text")
    words = text.split()
    vector = [0.0] * DIMENSIONS
    for i, word in enumerate(words):
        if ctx.cancelled:
            return {}
        digest = hashlib.sha256(word.encode()).digest()
        for d in range(DIMENSIONS):
            vector[d] += digest[d] / 255.0
        ctx.progress((i + 1) / len(words))
    norm = (float(numpy.linalg.norm(vector)) if numpy else math.sqrt(sum(v * v for v in vector))) or 1.0
    return {"size": DIMENSIONS, "vector": [round(v / norm, 6) for v in vector], "words": len(words)}


if __name__ == "__main__":
    run()
