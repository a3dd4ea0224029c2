"""Stage 6, themes: the scikit-learn theme model, themes and their trends, stable ids
across runs (pure), and the fits kept in the store (``fits``, IO).
"""
