"""The meeting app (PySide6): the only package that imports Qt. See ``docs/app.md``.

Widgets present the engine's state and emit intents; :mod:`.session` owns the engine, the
render service and the ops helper that runs slow work off the GUI thread and sends every
failure to the one :mod:`.error_presenter`.
"""
