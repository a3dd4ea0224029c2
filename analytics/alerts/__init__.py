"""Alerts: what a run tells the analyst without being opened (docs/alerts.md).

Plain data, no Prefect: ``rules`` (the taxonomy's watch rules), ``events`` (the events of
a run: bursts, new claims, failed sources, each with its chat message), ``state`` (what
was sent before: the quiet period, claims already seen), ``state_file`` (that state in
the store), ``section`` (what was alerted and why, for the report) and ``config`` (the
``alerts.toml`` that says where notifications go). ``flows/alerts.py`` emits the events.
"""
