"""The benchmark's results: sections of latency distributions and figures, as a table or as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tools.bench.stats import Latency


@dataclass
class Section:
    """One measurement. `latencies` are labelled distributions (the first is the headline);
    `figures` are counts and rates; `problems` are correctness failures (lost or misrouted messages...)."""

    key: str
    title: str
    latencies: dict[str, Latency] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)
    goal: str | None = None
    goal_met: bool | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "key": self.key, "title": self.title,
            "latency_ms": {label: lat.as_dict() for label, lat in self.latencies.items()},
            "figures": self.figures, "goal": self.goal, "goal_met": self.goal_met, "problems": self.problems,
        }


@dataclass
class Report:
    environment: dict[str, object]
    config: dict[str, object]
    sections: list[Section] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        return [f"{s.key}: {p}" for s in self.sections for p in s.problems]

    def as_dict(self) -> dict:
        return {"environment": self.environment, "config": self.config, "seconds": round(self.seconds, 1),
                "sections": [s.as_dict() for s in self.sections], "problems": self.problems}

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def as_table(self) -> str:
        env = " · ".join(f"{k} {v}" for k, v in self.environment.items())
        header = f"{'':<52}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)"
        lines = ["医保通 benchmark", f"  {env}", "", header, "=" * len(header)]
        for number, section in enumerate(self.sections, start=1):
            goal = ""
            if section.goal:
                goal = f"   goal {section.goal}: {'met' if section.goal_met else 'NOT met'}"
            lines.append(f"{number}. {section.title}{goal}")
            for label, lat in section.latencies.items():
                lines.append(f"     {label:<47}{lat.count:>6}{_ms(lat.p50)}{_ms(lat.p95)}{_ms(lat.p99)}{_ms(lat.max)}")
            figures = [f"{k} {_value(v)}" for k, v in section.figures.items()]
            lines += _wrap(figures, indent="     ", width=len(header))
            lines += [f"     PROBLEM: {p}" for p in section.problems]
            lines.append("-" * len(header))
        lines.append(f"Finished in {self.seconds:.0f} s. " + ("No problems." if not self.problems
                                                             else f"{len(self.problems)} problem(s), see above."))
        return "\n".join(lines)


def _wrap(parts: list[str], *, indent: str, width: int) -> list[str]:
    lines, current = [], ""
    for part in parts:
        candidate = f"{current} · {part}" if current else part
        if current and len(indent) + len(candidate) > width:
            lines.append(indent + current)
            candidate = part
        current = candidate
    if current:
        lines.append(indent + current)
    return lines


def _ms(value: float | None) -> str:
    return f"{'—':>9}" if value is None else f"{value:>9.1f}"


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}" if value < 1000 else f"{value:.0f}"
    return str(value)
