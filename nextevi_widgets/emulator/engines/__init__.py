"""The emulator's offline speech engines, one module each; :mod:`nextevi_widgets.emulator.stack`
assembles them into engine profiles."""

__all__: list[str] = []
