"""Stage 2, ingest: dates and their policy, normalised text and stable ids, exact and
near duplicates (pure), and ``pipeline`` that stores the new articles (IO).
"""
