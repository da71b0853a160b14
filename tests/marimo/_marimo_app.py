"""What the marimo tests know about the served notebook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class MarimoApp:
    mode: str
    url: str
    state_file: Path
    log: Path

    def state(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        return data
