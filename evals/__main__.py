"""`python -m evals COMMAND`: each command lives in its own module under evals/."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from evals.cli import app

app()
