"""The optional libraries of the ``dataset`` and ``dask`` extras, with errors naming the fix."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["require", "require_dask", "require_pandas"]

_EXTRA = {"pyarrow": "dataset", "duckdb": "dataset", "pandas": "dataset", "jiwer": "dataset"}


def require(module: str, extra: str | None = None) -> Any:
    """Import ``module`` or raise ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = extra or _EXTRA.get(module.split(".")[0], "dataset")
        raise ImportError(
            f'this needs {module.split(".")[0]}: pip install "nextevi-widgets[{extra}]"'
        ) from None


def require_pandas() -> Any:
    return require("pandas", "dataset")


def require_dask() -> Any:
    require("distributed", "dask")
    return require("dask.dataframe", "dask")
