"""`make bench`: runs every benchmarks/bench_*.py and writes docs/benchmarks.md.

Each script prints one JSON object per result line on stdout (benchmarks/README.md); anything
else goes to stderr and is shown as it comes. A script that fails is reported in the document
(and makes this command exit non-zero) instead of being left out.

    .venv/bin/python benchmarks/run.py [bench_http ...]   # all scripts when none are named
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks.md"
FIELDS = ("name", "value", "unit", "target", "passed", "detail")


def sh(cmd: str) -> str:
    try:
        return subprocess.run(  # noqa: S602 (fixed commands of this script)
            cmd,
            shell=True,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")),
        platform.processor() or "unknown",
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = next(
        (int(ln.split()[1]) for ln in meminfo.splitlines() if ln.startswith("MemTotal")), 0
    )
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        rel = dict(
            ln.split("=", 1) for ln in Path("/etc/os-release").read_text().splitlines() if "=" in ln
        )
        os_name = rel.get("PRETTY_NAME", os_name).strip('"') + f" (kernel {platform.release()})"
    db_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db_url = "postgresql://" + db_url.split("://", 1)[1]
    pg = sh(f"psql {shlex.quote(db_url)} -tAc 'SHOW server_version'") or "not reachable"
    py = sh(f"{shlex.quote(str(REPO / '.venv/bin/python'))} --version") or platform.python_version()
    return {
        "CPUs (nproc)": sh("nproc") or str(os.cpu_count()),
        "CPU": model,
        "Memory": f"{mem_kb / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "OS": os_name,
        "Python": py.replace("Python ", ""),
        "PostgreSQL": pg,
        "wrk": (sh("wrk -v 2>&1 | head -1") or "missing").split(" [")[0],
    }


def run_script(path: Path) -> tuple[list[dict[str, Any]], int, float]:
    print(f"== {path.name}", file=sys.stderr, flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(
        [str(REPO / ".venv/bin/python"), str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    results: list[dict[str, Any]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            print(f"{path.name}: not a result line: {line}", file=sys.stderr)
            continue
        if not isinstance(row, dict) or set(FIELDS) - set(row):
            print(f"{path.name}: result without {set(FIELDS) - set(row)}: {line}", file=sys.stderr)
            continue
        print(
            f"   {row['name']}: {row['value']} {row['unit']} (target {row['target']}) "
            f"{'PASS' if row['passed'] else 'MISS'}",
            file=sys.stderr,
            flush=True,
        )
        results.append(row)
    return results, proc.wait(), time.monotonic() - start


def cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def main(argv: list[str]) -> int:
    scripts = sorted((REPO / "benchmarks").glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem in argv or s.name in argv]
    if not scripts:
        print("no benchmark scripts", file=sys.stderr)
        return 1
    started = dt.datetime.now(dt.UTC).astimezone()
    info = machine()
    sections: list[str] = []
    failed = 0
    for script in scripts:
        results, code, seconds = run_script(script)
        lines = [f"## {script.name}", ""]
        doc = (script.read_text().split('"""')[1].strip().splitlines() or [""])[0]
        if doc:
            lines += [doc, ""]
        lines += [f"Ran in {seconds:.0f} s, exit status {code}.", ""]
        if code != 0 or not results:
            failed += 1
            lines += [f"**The script failed (exit {code}, {len(results)} results).**", ""]
        if results:
            lines += [
                "| result | value | unit | target | passed | detail |",
                "| --- | ---: | --- | --- | --- | --- |",
            ]
            for r in results:
                lines.append(
                    f"| {cell(r['name'])} | {r['value']:g} | {cell(r['unit'])} | {cell(r['target'])} "
                    f"| {'yes' if r['passed'] else '**no**'} | {cell(r['detail'])} |"
                )
            lines.append("")
        sections.append("\n".join(lines))

    command = (
        "make bench"
        if os.environ.get("MAKELEVEL")
        else " ".join([".venv/bin/python", "benchmarks/run.py", *argv])
    )
    head = (
        [
            "# Benchmarks",
            "",
            "Generated by `benchmarks/run.py`; do not edit by hand. Re-run with `make bench`.",
            "",
            f"- Command: `{command}`",
            f"- Date: {started:%Y-%m-%d %H:%M %Z}",
        ]
        + [f"- {k}: {v}" for k, v in info.items()]
        + [""]
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(head) + "\n" + "\n".join(sections))
    print(f"wrote {OUT.relative_to(REPO)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
