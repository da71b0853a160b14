"""Single source of the package version (read by hatch and by the front end build)."""

__version__ = "0.1.0"
