"""Optional pandas support with one clear error message."""

from __future__ import annotations

from typing import Any

__all__ = ["require_pandas"]


def require_pandas() -> Any:
    """Import pandas or explain how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError("DataFrames need pandas: pip install 'nextevi-widgets[pandas]'") from None
    return pandas
