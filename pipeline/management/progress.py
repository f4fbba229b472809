"""A terminal progress bar for the pipeline's management commands, fed by a RunProgress."""

from __future__ import annotations

import time
from typing import TextIO

from django.core.management.base import OutputWrapper

from pipeline.models import PipelineRun
from pipeline.runs import RunProgress

WIDTH = 30
REDRAW_INTERVAL = 0.1


class ProgressBar:
    """A RunProgress listener that redraws one line (only on a terminal)."""

    def __init__(self, stream: TextIO | OutputWrapper, *, enabled: bool | None = None):
        # A command's self.stdout ends every write with a newline; the bar redraws one line.
        self.stream = stream._out if isinstance(stream, OutputWrapper) else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = enabled if enabled is not None else bool(isatty and isatty())
        self._drawn_at = 0.0
        self._drawn = False

    def __call__(self, progress: RunProgress) -> None:
        if not self.enabled or time.monotonic() - self._drawn_at < REDRAW_INTERVAL:
            return
        self._drawn_at = time.monotonic()
        self._drawn = True
        self.stream.write("\r" + bar_line(progress.run.kind, progress.done, progress.total))
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def bar_line(label: str, done: int, total: int | None) -> str:
    if not total:
        return f"{label:8} {done} done"
    filled = min(WIDTH, WIDTH * done // total)
    return f"{label:8} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} ({100 * done // total}%)"


def run_summary(run: PipelineRun) -> str:
    """One line: the run, its outcome, its duration and its counts."""
    counts = run.stats.get("counts", {})
    parts = [f"{key}={value}" for key, value in sorted(counts.items())]
    duration = f"{run.duration.total_seconds():.1f}s" if run.duration else "-"
    line = f"{run.get_kind_display()} run #{run.pk}: {run.status} in {duration}"
    if parts:
        line += " — " + ", ".join(parts)
    if run.error:
        line += f"\n  error: {run.error}"
    return line
