"""docs/PERFORMANCE.md is written by several scripts: the suite rewrites its own part and keeps the
sections the soak, the gate and the tutor benchmarks wrote; each of those replaces only its own."""

from pathlib import Path

from benchmarks import report


def a_run() -> report.Run:
    return report.Run(
        figures=[],
        details=[],
        services={},
        command="python -m benchmarks --write",
        kind="full",
        scenarios=[],
        started=report.now(),
        seconds=1.0,
        log_dir="logs",
    )


def test_each_script_replaces_its_own_section_and_the_suite_keeps_them_all(tmp_path: Path):
    path = tmp_path / "PERFORMANCE.md"
    report.write(a_run(), path)
    for name in report.KEPT_SECTIONS:
        report.section_write(name, f"## {name}\n\nfirst {name}", path)
    report.section_write("gate", "## gate\n\nsecond gate", path)
    report.write(a_run(), path)

    text = path.read_text()
    assert "first gate" not in text
    assert text.count("second gate") == 1
    assert all(text.count(f"first {name}") == 1 for name in ("soak", "tutor"))
    assert all(text.count(f"<!-- {name}:start -->") == 1 for name in report.KEPT_SECTIONS)
