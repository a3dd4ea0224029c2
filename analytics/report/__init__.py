"""Stage 7, the report: charts (``charts/``, one registry in ``chart_registry``), pages,
facts and Markdown (pure, ``Figure`` and text out); ``writer`` saves PDF, PNG, tables and
``summary.md`` (IO).
"""
