"""How numbers, times and sizes read on the platform's pages (Jinja2 filters)."""

from __future__ import annotations

import datetime


def number(value: float | None, digits: int = 2) -> str:
    """A metric as the reports print it; a value not computed reads as a dash, never as 0."""
    return "\u2014" if value is None else f"{float(value):.{digits}f}"


def signed(value: float | None) -> str:
    return "\u2014" if value is None else f"{float(value):+.2f}"


def when(moment: datetime.datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def seconds(value: float | None) -> str:
    return "" if value is None else f"{float(value):.2f} s"


def install(environment) -> None:
    environment.filters.update(number=number, signed=signed, when=when, size=size, seconds=seconds)
