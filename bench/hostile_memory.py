"""Peak memory of reading the hostile tables of issue 16 (cases 5 and 6).

    .venv/bin/python -m bench.hostile_memory [--cases parquet_1rg,csv_line] [--keep DIR]

Builds each case in a temporary folder, then reads it with ``read_source`` in a fresh
subprocess and prints that process's peak RSS (``VmHWM``) with the batch's status,
rows and quarantine reasons. ``baseline`` reads a one-row table: the interpreter, polars
and the project's imports. Cases: a Parquet file of 3 x 400 MB strings in one row group
and in three, the same 400 MB string three times in one row group (a dictionary page
holds it once), one 400 MB string and two short ones in one row group, a CSV with one
200 MB line, a JSONL line nested 5,000 deep. About 2 minutes and 2 GB of memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

BIG = 400 * 2**20
CASES = ("baseline", "parquet_1rg", "parquet_3rg", "parquet_same_1rg", "parquet_pair",
         "csv_line", "jsonl_deep")
_FILES = {"baseline": ("one.csv", "csv"), "csv_line": ("line.csv", "csv"),
          "jsonl_deep": ("deep.jsonl", "jsonl"),
          **{c: (f"{c}.parquet", "parquet") for c in CASES if c.startswith("parquet")}}


def build(case: str, folder: Path) -> tuple[Path, str]:
    """The case's file and its format."""
    if case == "baseline":
        path = folder / "one.csv"
        path.write_text("title,text\nOne,some text\n")
        return path, "csv"
    if case.startswith("parquet"):  # _same_: one value three times, through a dictionary
        path = folder / f"{case}.parquet"
        texts = ["x" * BIG] * 3 if "same" in case else [c * BIG for c in "xyz"]
        if case == "parquet_pair":  # one 400 MB string beside two short ones
            texts = ["x" * BIG, "short", "short"]
        pl.DataFrame({"title": ["a", "b", "c"], "text": texts}).write_parquet(
            path, compression="zstd", compression_level=22,
            row_group_size=1 if case == "parquet_3rg" else 3)
        return path, "parquet"
    if case == "csv_line":
        path = folder / "line.csv"
        with open(path, "w") as fh:
            fh.write("title,text\nOne,short\nTwo,")
            fh.write("y" * (200 * 2**20))
            fh.write("\nThree,short\n")
        return path, "csv"
    path = folder / "deep.jsonl"
    deep = "[" * 5000 + "]" * 5000
    path.write_text(json.dumps({"title": "One", "text": "short"}) + "\n"
                    + f'{{"title": "Deep", "text": {deep}}}\n'
                    + json.dumps({"title": "Three", "text": "short"}) + "\n")
    return path, "jsonl"


_CHILD = """
import sys
from pathlib import Path
from analytics.contracts.sources_config import Settings, Source
from analytics.sources.registry import read_source
path, fmt = Path(sys.argv[1]), sys.argv[2]
source = Source("t", "table", path=path, format=fmt,
                columns={"title": ("title",), "text": ("text",)})
batch = read_source(source, Settings())
reasons = sorted({r[:110] for r in batch.quarantine["reason"].to_list()})
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork + exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(hwm.split()[1]) // 1024, batch.status,
      batch.parsed.height, batch.quarantine.height, "|".join(reasons) or batch.message[:110])
"""


def measure(path: Path, fmt: str) -> str:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), fmt], capture_output=True,
                         text=True, check=False)
    if out.returncode:
        return f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}"
    peak, status, rows, bad, reasons = out.stdout.split(" ", 4)
    return f"{peak:>6} MB  {status}, {rows} rows, {bad} quarantined: {reasons.strip()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--keep", type=Path, help="build the cases here (reused when present)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for case in args.cases.split(","):
            path, fmt = build(case, folder) if not (args.keep and _existing(case, folder)) \
                else _existing(case, folder)
            print(f"{case:12s} {path.stat().st_size:>11,d} B  {measure(path, fmt)}", flush=True)
    return 0


def _existing(case: str, folder: Path) -> tuple[Path, str] | None:
    name, fmt = _FILES[case]
    return (folder / name, fmt) if (folder / name).exists() else None


if __name__ == "__main__":
    sys.exit(main())
