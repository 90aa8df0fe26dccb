"""Documentation made from the declarations: the parameter, constant, lever, channel, KPI and
schedule tables of docs/ODD.md (``python -m sim.config.docs`` rewrites them in place; a test
checks that the ODD holds exactly what it would write)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sim.analysis.kpis import KPIS
from sim.config.loader import load_scenario
from sim.config.scenario import Scenario
from sim.config.schema import SCHEMA
from sim.config.toml_io import show
from sim.engine.channels import CHANNELS
from sim.engine.levers import LEVERS
from sim.engine.schedule import COMPONENTS, plan

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


def _row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _table(header: list[str], rows: list[list]) -> str:
    return "\n".join([_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]) + "\n"


def schema_markdown(scenario: Scenario | None = None) -> str:
    """Every parameter: key, value (in ``scenario``; default: baseline), range, meaning, source."""
    sc = scenario if scenario is not None else load_scenario("baseline")
    meta = {
        "scenario.name": sc.name,
        "scenario.description": sc.description,
        "scenario.steps": sc.steps,
        "scenario.extends": "(none)",
    }
    rows = []
    for key, param in SCHEMA.items():
        value = meta[key] if key in meta else show(sc.get(key), 200)
        rows.append([f"`{key}`", value, param.expected(), param.help, param.source])
    return _table(["key", "default", "range", "meaning", "source"], rows)


def constants_markdown() -> str:
    """Every named constant of the components (what shapes a result is a parameter, not one of these)."""
    rows = [
        [f"`{name}`", _value(c), comp.name, c.meaning, c.source]
        for comp in COMPONENTS
        for name, c in comp.constants().items()
    ]
    return _table(["constant", "value", "declared by", "meaning", "source"], rows)


def _value(c) -> str:
    if isinstance(c, dict):
        return ", ".join(f"{k}: {show(v)}" for k, v in c.items())
    return show(float(c))


def levers_markdown() -> str:
    rows = [
        [
            f"`{lv.key}`",
            lv.param.expected(),
            lv.effect,
            ", ".join(lv.used_by),
            f"`{lv.cost.key}` per {lv.basis}" if lv.cost else "its channels' activities",
        ]
        for lv in LEVERS
    ]
    return _table(["lever", "values", "effect", "read by", "cost"], rows)


def channels_markdown() -> str:
    rows = [
        [
            f"`{c.name}`",
            c.group.split()[0],
            c.mechanism,
            c.seci,
            f"`{c.lever.key}`" if c.lever else "always on",
            c.phase,
            show(c.rate),
            show(float(c.cost)),
            c.description,
        ]
        for c in CHANNELS
    ]
    return _table(["channel", "Xie", "from -> to", "SECI", "lever", "runs in", "rate", "cost", "what it is"], rows)


def kpis_markdown() -> str:
    rows = [
        [f"`{k.name}`", k.perspective, k.description, k.unit, show(k.target), k.direction, show(k.weight)]
        for k in KPIS.values()
    ]
    return _table(["KPI", "perspective", "measures", "unit", "target", "better", "weight"], rows)


def schedule_markdown() -> str:
    rows = [[r["order"], f"`{r['process']}`", r["does"], r["streams"]] for r in plan()]
    return _table(["order", "process", "what it does", "random streams"], rows)


def expectations_markdown() -> str:
    """Every declared expectation of ``patterns``: what changes, on which scenario, the outcome, the
    expected sign and the source."""
    from sim.analysis.patterns import declared

    sign = {1: "+", -1: "-", 0: "0 (no effect)"}
    rows = [
        [p.kind, p.name, p.scenario, f"`{p.expect.outcome}`", sign[p.expect.sign], p.expect.source] for p in declared()
    ]
    return _table(["kind", "change", "scenario", "outcome", "expected", "source"], rows)


GENERATED = {
    "parameters": schema_markdown,
    "constants": constants_markdown,
    "levers": levers_markdown,
    "channels": channels_markdown,
    "kpis": kpis_markdown,
    "schedule": schedule_markdown,
    "expectations": expectations_markdown,
}
_BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end generated -->)", re.S)


def render(text: str) -> str:
    """``text`` with every generated block replaced by what the declarations say now."""
    return _BLOCK.sub(lambda m: m.group(1) + GENERATED[m.group(2)]() + m.group(4), text)


def main() -> int:
    text = ODD.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        ODD.write_text(new, encoding="utf-8")
        print(f"updated {ODD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
