"""The layer rule of the design notes: analytics imports and works without Prefect."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import builtins, importlib, pkgutil, sys
real_import = builtins.__import__
def guarded(name, *args, **kwargs):
    if name == "prefect" or name.startswith("prefect."):
        raise ImportError("prefect is not allowed in analytics")
    return real_import(name, *args, **kwargs)
builtins.__import__ = guarded
import analytics
names = [m.name for m in pkgutil.walk_packages(analytics.__path__, "analytics.")]
for name in names:
    importlib.import_module(name)
assert not any(m == "prefect" or m.startswith("prefect.") for m in sys.modules)
import polars as pl
from analytics.contracts.taxonomy import load_taxonomy
from analytics.topics.tagging import tag_topics
tax = load_taxonomy("seeds/taxonomy.toml")
out = tag_topics(pl.DataFrame({"article_id": ["a"], "title": [""], "text": ["Air defence."]}), tax)
print(len(names), out["topic_id"].to_list())
"""


def test_analytics_imports_and_works_without_prefect():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    count, topics = proc.stdout.strip().split(" ", 1)
    assert int(count) >= 10 and "air_missile_defense" in topics
