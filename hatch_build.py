"""Build hook run before the front-end build (hatch-jupyter-builder): says clearly what to do
when the bundled front end is missing and npm, which would build it, is not on the PATH.

Release archives (sdist, wheel) carry ``nextevi_widgets/static/``, so installing them needs
neither Node nor the network. A bare source tree (a git checkout or ``git archive``) has only the
TypeScript sources; building it needs Node's npm, and this hook stops such a build early with
the fix, instead of the builder's "Could not find cmd (npm) in path".
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

FRONT_END = (
    "nextevi_widgets/static/voice_chat.js",
    "nextevi_widgets/static/voice_chat.css",
    "nextevi_widgets/static/emotion_plot.js",
)
"""The files the esbuild bundle writes (see build.mjs); the package needs all of them."""


class FrontEndCheckHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name not in ("wheel", "sdist") or shutil.which("npm") is not None:
            return
        root = Path(self.root)
        missing = [name for name in FRONT_END if not (root / name).is_file()]
        if version == "editable":
            raise RuntimeError(
                "An editable install of nextevi-widgets rebuilds the front end from js/ and "
                "needs Node.js (npm >= 9) on the PATH, which was not found. Install Node.js "
                "(e.g. `apt-get install nodejs npm`) and retry, or install the package "
                "without -e from its release archive (sdist or wheel), which needs no Node."
            )
        if missing:
            raise RuntimeError(
                "This source tree has no built front end (missing: "
                + ", ".join(missing)
                + ") and npm, which builds it, is not on the PATH. Either install Node.js "
                "(npm >= 9; e.g. `apt-get install nodejs npm`) and retry, or build the front "
                "end elsewhere with `npm ci && npm run build` and copy nextevi_widgets/static/ "
                "here, or install the release sdist or wheel (`pip install nextevi-widgets`), "
                "which carry the built front end and need no Node."
            )
