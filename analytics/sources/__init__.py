"""Stage 1, sources: read each configured source (folder, table, feed, page) into a
``SourceBatch``. ``parse/`` is pure (bytes in, rows out); ``local``, ``web``, ``files``,
``http_fetch`` and ``registry`` do the IO.
"""
