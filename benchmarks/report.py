"""Figures, percentiles, the closing table and docs/PERFORMANCE.md.

A figure is printed, never asserted: `met` is only a word in the table. A figure whose value is a
lower bound (some requests never completed before the scenario ended, so their latency is at least
what was waited) is shown with a leading ">=".
"""

import math
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = {"<=": "≤", ">=": "≥", "<": "<", "==": "="}


@dataclass(frozen=True)
class Figure:
    id: str
    name: str
    measured: float | None  # None: the scenario could not measure it (see `note`)
    unit: str = ""
    target: float | None = None
    op: str = "<="  # how `measured` must compare with `target` to meet it
    lower_bound: bool = False  # `measured` is at least this (unfinished requests counted at their wait)
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.measured is None or math.isnan(self.measured):
            return False
        return {
            "<=": self.measured <= self.target,
            ">=": self.measured >= self.target,
            "<": self.measured < self.target,
            "==": self.measured == self.target,
        }[self.op]

    @property
    def ratio(self) -> str:
        """Measured over target, the same way round for every figure: 2.0x on a latency is twice the budget."""
        if self.target is None or self.measured is None or math.isnan(self.measured):
            return ""
        if self.target == 0:
            return "" if self.measured == 0 else "inf"
        return f"{self.measured / self.target:.2f}x"

    def measured_text(self) -> str:
        if self.measured is None or math.isnan(self.measured):
            return "n/a"
        return (">= " if self.lower_bound else "") + number(self.measured, self.unit)

    def target_text(self) -> str:
        return "" if self.target is None else f"{SYMBOLS[self.op]} {number(self.target, self.unit)}"

    def met_text(self) -> str:
        return {True: "yes", False: "no", None: "-"}[self.met]


def number(value: float, unit: str) -> str:
    if math.isnan(value) or math.isinf(value):
        return "n/a"
    if abs(value) >= 100 or (unit == "" and value == int(value)):
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (need not be sorted); nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def percentile_bounded(done: list[float], at_least: list[float], q: float) -> tuple[float, bool]:
    """The q-percentile of `done` together with `at_least` (lower bounds: requests that never completed);
    the flag says the value is itself such a lower bound."""
    ranked = sorted([(v, False) for v in done] + [(v, True) for v in at_least])
    if not ranked:
        return math.nan, False
    return ranked[max(0, math.ceil(q * len(ranked)) - 1)]


def summary(values_ms: list[float]) -> str:
    if not values_ms:
        return "no samples"
    return (
        f"p50 {percentile(values_ms, 0.5):.1f} ms, p99 {percentile(values_ms, 0.99):.1f} ms, "
        f"max {max(values_ms):.1f} ms over {len(values_ms):,}"
    )


# ---------------------------------------------------------------- the table


def table_rows(figures: list[Figure]) -> list[list[str]]:
    return [[f.id, f.name, f.measured_text(), f.target_text(), f.ratio, f.met_text(), f.note] for f in figures]


HEADER = ["id", "figure", "measured", "target", "vs target", "met", "note"]


def text_table(figures: list[Figure]) -> str:
    rows = [HEADER, *table_rows(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(figures: list[Figure]) -> str:
    def cells(row: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    return "\n".join([cells(HEADER), cells(["---"] * len(HEADER)), *(cells(row) for row in table_rows(figures))])


# ---------------------------------------------------------------- the machine and the code


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 - a fixed command line
            ["git", *args],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def machine() -> dict[str, str]:
    cpu_model = "unknown"
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with Path("/proc/meminfo").open() as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    return {
        "CPU": f"{os.cpu_count()} cores, {cpu_model}",
        "RAM": f"{ram_kb / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
    }


@dataclass
class Run:
    figures: list[Figure]
    details: list[str]  # what each scenario printed, in order
    services: dict[str, str]  # PostgreSQL and Redis versions
    command: str
    kind: str  # full, quick or partial
    scenarios: list[str]
    started: datetime
    seconds: float
    log_dir: str


def markdown(run: Run) -> str:
    facts = {**machine(), **run.services}
    banner = {
        "full": "",
        "quick": "> **QUICK RUN** (`--quick`): small sizes, not the figures to quote; `make bench` gives those.\n\n",
        "partial": "> **PARTIAL RUN** (`--only`): not every scenario ran; `make bench` runs them all.\n\n",
    }[run.kind]
    met = sum(1 for f in run.figures if f.met)
    targeted = sum(1 for f in run.figures if f.met is not None)
    lines = [
        "# Performance",
        "",
        "<!-- Generated by `python -m benchmarks` (benchmarks/__main__.py): edit the code, not this file. -->",
        "",
        banner + f"Measured on {run.started.strftime('%Y-%m-%d %H:%M UTC')}, commit `{git_commit()}`, "
        f"scenarios {', '.join(run.scenarios)}; the run took {run.seconds / 60:.1f} min. "
        f"Targets met: {met} of {targeted}.",
        "",
        markdown_table(run.figures),
        "",
        "`vs target` is measured divided by target: above 1.00x a latency or a memory figure misses, below 1.00x "
        "a count or a rate misses. `>=` marks a lower bound: some requests had not completed when the scenario "
        "ended, and each is counted at the time it had waited.",
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        "- Client and servers share the cores: the load client's own CPU time is reported beside each scenario.",
        "",
        "## How to reproduce",
        "",
        "```",
        "make bench                            # this file: every scenario at full size (about 5 min, 15 at most)",
        "make bench BENCH_ARGS=--quick         # a small version of everything, printed only (about 2 min)",
        "make bench BENCH_ARGS='--only P3,P4'  # some scenarios (printed; add --write to write this file)",
        "```",
        "",
        "The suite brings up everything it measures and removes it afterwards: a throw-away PostgreSQL database "
        "on 127.0.0.1:5432, a free Redis database number on 127.0.0.1:6379, two daphne workers of "
        "`jatayu.asgi:application`, one daphne serving the bare echo consumer of `benchmarks/echo.py` (the "
        "floor), and for P6 a third worker with a stub OpenAI-compatible model. See `benchmarks/__main__.py` "
        "for what each scenario does.",
        "",
        "## How to read it",
        "",
        "- Latencies are measured by the load client, on one monotonic clock shared by its processes. Open-loop "
        "figures (P2, P3a) run from the scheduled send time, so a server that falls behind cannot hide its queue "
        "by slowing the client (coordinated omission); P3a answers still queued when the run ends count at the "
        "time they had waited, hence `>=`.",
        "- P1's memory per connection is the two workers' VmRSS growth over the opening, divided by the "
        "connections held; when many attempts failed it also carries what they left behind.",
        "- P4 counts a kick-out as missed when A is not told within 5 s or the pair fails; the details say which.",
        "- The echo floor is one daphne process; the ceiling it is compared with uses both workers.",
        "- The workers run with `WS_RATE_LIMIT=1000` (clients answer back to back, faster than the default 20 "
        "messages a second allows), `DEBUG=0` and `LOG_LEVEL=WARNING`. Everything else is the defaults of "
        "`.env.example`, and daphne runs with the production flags of `jatayu/serving.py` (128 KiB frames, a ping "
        "every 20 s, 30 s to answer it); the per-user and per-address connection caps are off (every client "
        "connects from 127.0.0.1).",
        "- Each scenario's line of CPU times tells the servers, the load clients, Redis and the whole machine "
        "apart; work of other processes on the machine shows as the difference.",
        "",
        "## Details",
        "",
        "```",
        *run.details,
        "```",
        "",
        f"Command: `{run.command.strip()}`. Worker logs were kept in `{run.log_dir}` on the machine that ran it.",
        "",
    ]
    return "\n".join(lines)


# Sections other scripts write (benchmarks/soak.py, gate.py, tutor.py), kept when the suite rewrites the file.
KEPT_SECTIONS = ("soak", "gate", "tutor", "cat_simulation")


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write(run: Run, path: Path) -> None:
    """Write the report; the sections other scripts write are kept as they were."""
    path.parent.mkdir(parents=True, exist_ok=True)
    current = path.read_text() if path.exists() else ""
    kept = []
    for name in KEPT_SECTIONS:
        start, end = _markers(name)
        if start in current and end in current:
            kept.append(start + current.partition(start)[2].partition(end)[0] + end)
    path.write_text(markdown(run) + "".join(f"\n{section}\n" for section in kept))


def section_write(name: str, text: str, path: Path) -> None:
    """Replace the section `name` of the report (or add it at the end); `text` is the whole section."""
    start, end = _markers(name)
    body = f"{start}\n{text.strip()}\n{end}"
    current = path.read_text() if path.exists() else ""
    if start in current and end in current:
        before, _, rest = current.partition(start)
        _, _, after = rest.partition(end)
        current = before.rstrip("\n") + "\n\n" + body + after
    else:
        current = current.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(current)


def now() -> datetime:
    return datetime.now(UTC)
