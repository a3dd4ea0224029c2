"""topicwatch analytics: pure functions over polars frames, plus the IO modules they need.

Importable and usable without Prefect (a notebook user can call it directly).
"""
