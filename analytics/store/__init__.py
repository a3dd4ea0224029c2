"""Stage 3, the store: Parquet partitions by month on a folder or an fsspec URL
(``backends``), atomic writes, the lock, and the per-partition topic results (``derived``).
All IO.
"""
