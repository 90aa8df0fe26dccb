"""Scenarios: validated, immutable parameter sets loaded from TOML files in ``scenarios/``.

A scenario file sets some parameters and may ``extends`` another scenario (by name or by a path
relative to the file); ``scenarios/baseline.toml`` is the root and sets every parameter. The
resolved result is checked against :data:`SCHEMA` -- an explicit type, range and help text for every
key -- before anything runs. Errors are :class:`ScenarioError`: one line naming the file (or
``override``), the key, what was expected and what was given, with the closest valid name for a
typo::

    scenarios/foo.toml: market.base_chrun: unknown parameter; did you mean 'market.base_churn'?
    override: market.base_churn = 1.5: out of range, expected a float in [0, 1]

Use::

    sc = load_scenario("km")                          # a name in scenarios/ or a path
    sc.get("market.base_churn"); sc["policy.codification"]
    m = sc.section("market"); m.base_churn            # read-only attribute view
    sc2 = sc.with_params({"market.base_churn": 0.01})  # a new, validated scenario
    key, value = parse_override("policy.customer_role=active")

Inheritance rules: every parameter is inherited from the scenario a file extends; of the
``[scenario]`` table only ``steps`` is inherited -- ``name`` defaults to the file's stem,
``description`` to "Extends '<parent>'.". A name in ``extends`` is looked up first next to the file,
then in the project's ``scenarios/`` folder. KPI ``direction`` defaults to ``"higher"``.

Nothing in this module writes files; :meth:`Scenario.to_toml` returns text.
"""

from __future__ import annotations

import difflib
import importlib.resources
import math
import numbers
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from sim.engine.channels import CHANNELS as _CHANNEL_REGISTRY
from sim.io.outputs import display_path
from sim.analysis.kpis import KPIS as _KPI_REGISTRY

__all__ = [
    "SCHEMA",
    "SECTIONS",
    "CHANNELS",
    "KPIS",
    "SCENARIO_DIR",
    "Param",
    "Scenario",
    "ScenarioError",
    "Section",
    "load_scenario",
    "list_scenarios",
    "parse_override",
    "parse_overrides",
    "schema_markdown",
]

SCENARIO_DIR: Path = Path(importlib.resources.files("sim") / "scenarios")  # package data: travels with the wheel

OVERRIDE = "override"


# --------------------------------------------------------------------------------------------
# Errors


class ScenarioError(ValueError):
    """A bad scenario file, name or override. ``str(err)`` is one line; the parts are attributes."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        key: str | None = None,
        expected: str | None = None,
        given: str | None = None,
        hint: str | None = None,
    ):
        message = " ".join(str(message).split("\n"))  # one line, always
        super().__init__(message)
        self.source = source
        self.key = key
        self.expected = expected
        self.given = given
        self.hint = hint

    def __reduce__(self):  # keep the attributes across process boundaries
        return (
            _rebuild_error,
            (self.args[0], self.source, self.key, self.expected, self.given, self.hint),
        )


def _rebuild_error(message, source, key, expected, given, hint):
    return ScenarioError(message, source=source, key=key, expected=expected, given=given, hint=hint)


# --------------------------------------------------------------------------------------------
# Schema

_TYPE_NAMES = {int: "an int", float: "a float", str: "a string", bool: "a bool"}


def _num(x: float | int) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Param:
    """One parameter: its dotted key, type, inclusive range or allowed values, and help text."""

    key: str
    type: type
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    required: bool = True  # must be set by the root scenario
    default: Any = None  # for keys that are not required
    nonempty: bool = False  # strings only

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    def expected(self) -> str:
        """What a valid value looks like, e.g. ``a float in [0, 1]``."""
        base = _TYPE_NAMES[self.type]
        if self.choices is not None:
            return f"{base}, one of " + ", ".join(repr(c) for c in self.choices)
        if self.type is str:
            return "a non-empty string" if self.nonempty else base
        if self.lo is not None and self.hi is not None:
            return f"{base} in [{_num(self.lo)}, {_num(self.hi)}]"
        if self.lo is not None:
            return f"{base} >= {_num(self.lo)}"
        if self.hi is not None:
            return f"{base} <= {_num(self.hi)}"
        return "a finite float" if self.type is float else base

    def check(self, value: Any, source: str) -> Any:
        """Return the value converted to this parameter's type, or raise ScenarioError."""
        expected = self.expected()
        shown = _show(value)

        def fail(what: str, hint: str | None = None, given: str | None = None) -> ScenarioError:
            msg = f"{source}: {self.key} = {shown}: {what}, expected {expected}"
            if given:
                msg += f", given {given}"
            if hint:
                msg += f"; did you mean {hint!r}?"
            return ScenarioError(
                msg, source=source, key=self.key, expected=expected, given=shown, hint=hint
            )

        is_bool = _is_bool(value)
        if self.type is bool:
            if not is_bool:
                raise fail("wrong type", given=_type_name(value))
            value = bool(value)
        elif self.type is int:
            if is_bool or not isinstance(value, numbers.Integral):
                raise fail("wrong type", given=_type_name(value))
            value = int(value)
        elif self.type is float:
            if is_bool or not isinstance(value, numbers.Real):
                raise fail("wrong type", given=_type_name(value))
            value = float(value)
            if not math.isfinite(value):
                raise fail("not a finite number")
        elif self.type is str:
            if not isinstance(value, str):
                raise fail("wrong type", given=_type_name(value))
            value = str(value)
            if self.nonempty and not value.strip():
                raise fail("empty string")
        if self.choices is not None:
            if value not in self.choices:
                hint = None
                if isinstance(value, str):
                    close = difflib.get_close_matches(value, [str(c) for c in self.choices], 1, 0.5)
                    hint = close[0] if close else None
                raise fail("not an allowed value", hint)
        else:
            if self.lo is not None and value < self.lo:
                raise fail("out of range")
            if self.hi is not None and value > self.hi:
                raise fail("out of range")
        return value


_PARAMS: list[Param] = []


def _p(key, typ, help, lo=None, hi=None, choices=None, **kw) -> None:
    _PARAMS.append(Param(key, typ, help, lo, hi, tuple(choices) if choices else None, **kw))


def _share(key, help):
    _p(key, float, help, 0, 1)


# [scenario] -- metadata, per file (only steps is inherited)
_p("scenario.name", str, "Scenario name (defaults to the file's stem)", required=False, nonempty=True)
_p("scenario.description", str, "The strategy or situation the scenario stands for", required=False)
_p("scenario.steps", int, "Default run length in steps (weeks)", 1)
_p("scenario.extends", str, "Scenario this one inherits from: a name, or a path relative to the file",
   required=False, nonempty=True)

# [knowledge]
_p("knowledge.customer_items", int, "Knowledge items about customer needs (at least one)", 1)
_p("knowledge.product_items", int, "Knowledge items about what the products can do", 0)
_p("knowledge.supply_items", int, "Knowledge items about materials and components", 0)
_p("knowledge.process_items", int, "Knowledge items of service know-how", 0)
_share("knowledge.tacitness_customer", "Mean tacitness of customer items (how hard to write down)")
_share("knowledge.tacitness_product", "Mean tacitness of product items")
_share("knowledge.tacitness_supply", "Mean tacitness of supply items")
_share("knowledge.tacitness_process", "Mean tacitness of process items")
_share("knowledge.tacitness_spread", "Items' tacitness drawn uniformly within +/- spread of the domain mean (clipped to [0, 1])")
_share("knowledge.forgetting", "Weekly probability that a person's known belief decays to 0")

# [environment]
_p("environment.turbulence", float, "Multiplier on every drift rate (0 = reality never changes)", 0)
_share("environment.drift_customer", "Weekly flip probability of a customer-need item")
_share("environment.drift_product", "Weekly flip probability of a product item")
_share("environment.drift_supply", "Weekly flip probability of a supply item")
_share("environment.drift_process", "Weekly flip probability of a process item")
_share("environment.competition", "Competitors' pull: raises expectations and churn")
_share("environment.competition_volatility", "Weekly standard deviation of the competitors' pull (bounded random walk)")

# [organization]
_p("organization.teams", int, "Number of account teams in the CRM unit", 1)
_p("organization.team_size", int, "Employees per team, including its manager", 2)
_share("organization.employee_turnover", "Annual probability that an employee leaves")
_share("organization.initial_knowledge", "Share of items an incumbent employee knows at the start")
_share("organization.initial_accuracy", "Share of known items that are right (incumbents, newcomers, R&D/production staff)")
_share("organization.newcomer_knowledge", "Share of items a newcomer knows")
_share("organization.initial_codification",
       "Share of items each store starts with, written down from the majority of its people (0: empty stores)")
_share("organization.absorptive_capacity", "Mean absorptive capacity: scales what a person learns")
_share("organization.willingness_to_share", "Mean willingness to share: scales what a person teaches")
_share("organization.network_within", "Probability of a tie between two members of a team")
_share("organization.network_across", "Probability of a tie between members of different teams")
_p("organization.rnd_staff", int, "Staff of the R&D unit", 0)
_p("organization.production_staff", int, "Staff of the production unit", 0)
_p("organization.suppliers", int, "Number of suppliers", 0)
_p("organization.universities", int, "Universities (external knowledge sources)", 0)
_p("organization.consultancies", int, "Consultancies (external knowledge sources)", 0)

# [market]
_p("market.initial_customers", int, "Active customers at the start", 0)
_p("market.market_potential", int, "Prospects not yet customers (finite Bass market)", 0)
_p("market.segments", int, "Customer segments (each with its own needs)", 1)
_share("market.p_innovation", "Weekly Bass coefficient of innovation")
_share("market.q_imitation", "Weekly Bass coefficient of imitation (word of mouth)")
_p("market.referral_min_satisfaction", float, "Satisfaction at or above which a customer refers others", -1, 1)
_share("market.base_churn", "Weekly churn hazard at zero dissatisfaction")
_share("market.dissatisfaction_churn", "Extra weekly churn hazard at full dissatisfaction")
_share("market.contact_rate", "Share of customers who contact their account team each week")
_p("market.initial_satisfaction", float, "Satisfaction of every customer at the start (and of new customers)", -1, 1)
_share("market.initial_expectation", "Expected service quality of every customer at the start (and of new customers)")
_share("market.expectation_adaptation", "How fast expectations follow experienced quality")
_share("market.satisfaction_adaptation", "How fast satisfaction follows the SERVQUAL gap")
_share("market.relationship_gain", "Growth of relationship strength after a good encounter")
_share("market.relationship_decay", "Erosion of relationship strength after a bad encounter")
_share("market.relationship_protection", "Share of the churn hazard a full-strength relationship removes")
_p("market.products", int, "Products in the range (for up-sell and cross-sell)", 1)
_p("market.initial_products", float, "Mean products held per customer at the start", 1)
_p("market.price", float, "Weekly revenue per product held", 0)
_share("market.margin", "Gross margin on revenue")
_share("market.upsell_rate", "Chance per encounter of a sale, at perfect knowledge of the customer's needs")
_p("market.acquisition_cost", float, "Cost per new customer", 0)
_p("market.service_cost", float, "Cost per service encounter", 0)
_share("market.discount_rate", "Weekly discount rate for customer lifetime value")

# [policy]
_p("policy.crm_maturity", int, "CRM maturity: 1 transaction data, 2 informed decisions, 3 knowledge-based relationships",
   choices=(1, 2, 3))
_p("policy.customer_role", str, "Customers' role: passive recipients (KM), captive (CRM), active partners (CKM)",
   choices=("passive", "captive", "active"))
_share("policy.codification", "Effort on writing knowledge down")
_share("policy.socialization", "Effort on mentoring and communities of practice")
_share("policy.job_rotation", "Effort on sending staff to other teams")
_share("policy.training", "Effort on manuals for staff: weekly chance an employee studies the knowledge base")
_share("policy.loyalty_scheme", "Strength of the customer loyalty scheme")
_share("policy.co_creation", "Effort on co-creation with customers")
_share("policy.supplier_collaboration", "Effort on knowledge exchange with suppliers")
_share("policy.external_knowhow", "Effort on buying know-how, conferences and giving back to outside knowledge holders")
_share("policy.retention_programme", "Employee retention programme: lowers turnover at a cost")

# [channels.<name>] -- each has rate in [0, 1] and cost >= 0; the help comes from the channel registry.
_CHANNEL_HELP: tuple[tuple[str, str], ...] = tuple(
    (c.name, f"{c.mechanism}, {c.description} (Xie {c.group.split()[0]}; {c.seci})") for c in _CHANNEL_REGISTRY
)
CHANNELS: tuple[str, ...] = tuple(name for name, _ in _CHANNEL_HELP)
for _name, _help in _CHANNEL_HELP:
    _share(f"channels.{_name}.rate", f"Rate: per differing item per contact (per net vote for majority-rule channels): {_help}")
    _p(f"channels.{_name}.cost", float, f"Cost per contact or activity of channel {_name}", 0)

# [scorecard] and [scorecard.kpi.<name>] -- (name, perspective and meaning)
_p("scorecard.mission", str, "The mission the scorecard's goals and KPIs derive from")
_KPI_HELP: tuple[tuple[str, str], ...] = tuple(
    (k.name, f"{k.perspective}: {k.description} [{k.unit}]") for k in _KPI_REGISTRY.values()
)
KPIS: tuple[str, ...] = tuple(name for name, _ in _KPI_HELP)
for _name, _help in _KPI_HELP:
    _p(f"scorecard.kpi.{_name}.target", float, f"Target of KPI {_name} ({_help})")
    _p(f"scorecard.kpi.{_name}.weight", float, f"Weight of KPI {_name} in the scorecard", 0)
    _p(f"scorecard.kpi.{_name}.direction", str, f"Whether higher or lower is better for KPI {_name}",
       choices=("higher", "lower"), required=False, default="higher")

SCHEMA: dict[str, Param] = {p.key: p for p in _PARAMS}
del _PARAMS

#: Sections of model parameters, in file order (the ``[scenario]`` metadata is not among them).
SECTIONS: tuple[str, ...] = (
    "knowledge", "environment", "organization", "market", "policy", "channels", "scorecard",
)
_META = "scenario"
_PREFIXES: frozenset[str] = frozenset(
    ".".join(k.split(".")[:i]) for k in SCHEMA for i in range(1, k.count(".") + 1)
)
_ALL_NAMES: tuple[str, ...] = tuple(SCHEMA) + tuple(sorted(_PREFIXES))
_PARAM_KEYS: tuple[str, ...] = tuple(k for k in SCHEMA if not k.startswith(_META + "."))
_NOT_OVERRIDABLE = ("scenario.name", "scenario.extends")


def _suggest(key: str) -> str | None:
    """The closest valid dotted name to ``key``, or None."""
    close = difflib.get_close_matches(key, _ALL_NAMES, n=1, cutoff=0.6)
    if close:
        return close[0]
    # a right name in the wrong section, or a bare name without its section
    last = key.rsplit(".", 1)[-1]
    tails = {}
    for name in _ALL_NAMES:
        tails.setdefault(name.rsplit(".", 1)[-1], name)
    close = difflib.get_close_matches(last, list(tails), n=1, cutoff=0.75)
    return tails[close[0]] if close else None


def _unknown(source: str, key: str) -> ScenarioError:
    hint = _suggest(key)
    if hint:
        msg = f"{source}: {key}: unknown parameter; did you mean {hint!r}?"
    else:
        msg = (f"{source}: {key}: unknown parameter; valid sections are "
               + ", ".join((_META,) + SECTIONS))
    return ScenarioError(msg, source=source, key=key, expected="a known parameter", hint=hint)


# --------------------------------------------------------------------------------------------
# Small helpers: showing values, a tiny TOML writer


def _is_bool(value: Any) -> bool:
    """A Python or numpy bool (numpy's is not a subclass of ``bool``, and ints must not pass for it)."""
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _type_name(value: Any) -> str:
    if _is_bool(value):
        return "a bool"
    if isinstance(value, numbers.Integral):
        return "an int"
    if isinstance(value, numbers.Real):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a {type(value).__name__}"


def _show(value: Any, limit: int = 60) -> str:
    """A value as it would appear in TOML, on one short line."""
    if isinstance(value, Mapping):
        return "{...}"
    try:
        text = _toml_value(value)
    except TypeError:
        text = repr(value)
    text = " ".join(text.split("\n"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _toml_str(k)


def _toml_value(v: Any) -> str:
    if _is_bool(v):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


# --------------------------------------------------------------------------------------------
# Read-only section view


class Section(Mapping):
    """A read-only view of one table: ``sec.base_churn``, ``sec["base_churn"]``, iteration, ``to_dict()``.

    Sub-tables (``channels.mentoring``, ``scorecard.kpi``) are Sections too.
    """

    __slots__ = ("_name", "_data")

    def __init__(self, name: str, data: Mapping[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(
            self,
            "_data",
            {k: Section(f"{name}.{k}", v) if isinstance(v, Mapping) else v for k, v in data.items()},
        )

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        try:
            return self._data[attr]
        except KeyError:
            close = difflib.get_close_matches(attr, list(self._data), 1, 0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AttributeError(f"[{self._name}] has no parameter {attr!r}{hint}") from None

    def __setattr__(self, attr, value):
        raise AttributeError(f"[{self._name}] is read-only; use Scenario.with_params")

    __delattr__ = __setattr__

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __dir__(self):
        return list(self._data) + ["to_dict", "keys", "items", "values", "get"]

    def to_dict(self) -> dict[str, Any]:
        """A plain (deep-copied) dict."""
        return {k: v.to_dict() if isinstance(v, Section) else v for k, v in self._data.items()}

    def __reduce__(self):
        return (Section, (self._name, self.to_dict()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._data.items())
        return f"Section({self._name}: {inner})"


# --------------------------------------------------------------------------------------------
# Flat <-> nested


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _flatten_checked(data: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    """Validate a nested table (one file's content, or an override table) and flatten it."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if key in SCHEMA:
            out[key] = SCHEMA[key].check(v, source)
        elif key in _PREFIXES:
            if not isinstance(v, Mapping):
                shown = _show(v)
                raise ScenarioError(
                    f"{source}: {key} = {shown}: wrong type, expected a table [{key}], given {_type_name(v)}",
                    source=source, key=key, expected=f"a table [{key}]", given=shown,
                )
            out.update(_flatten_checked(v, source, key + "."))
        else:
            raise _unknown(source, key)
    return out


def _check_complete(flat: dict[str, Any], source: str, meta: bool = True) -> None:
    for key, param in SCHEMA.items():
        if key not in flat and param.required and (meta or not key.startswith(_META + ".")):
            raise ScenarioError(
                f"{source}: {key}: missing, expected {param.expected()} "
                "(a scenario without 'extends' must set every parameter)",
                source=source, key=key, expected=param.expected(), given="nothing",
            )


def _with_defaults(flat: dict[str, Any]) -> dict[str, Any]:
    for key, param in SCHEMA.items():
        if key not in flat and param.default is not None:
            flat[key] = param.default
    return flat


# --------------------------------------------------------------------------------------------
# Scenario


class Scenario:
    """An immutable, validated scenario.

    Equality (and hash) is on the resolved content -- name, description, steps and every parameter;
    where it came from (``path``, ``extends``, ``overrides``) is provenance only.
    """

    __slots__ = ("_name", "_description", "_steps", "_flat", "_path", "_extends", "_overrides", "_hash")

    def __init__(
        self,
        name: str,
        params: Mapping[str, Any],
        *,
        description: str = "",
        steps: int = 104,
        path: str | Path | None = None,
        extends: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        source: str = "Scenario()",
    ):
        """Build from nested ``params`` (every section of :data:`SECTIONS`); everything is validated."""
        meta = {"scenario.name": name, "scenario.description": description, "scenario.steps": steps}
        meta = {k: SCHEMA[k].check(v, source) for k, v in meta.items()}
        if extends is not None:
            SCHEMA["scenario.extends"].check(extends, source)
        if not isinstance(params, Mapping):
            raise ScenarioError(f"{source}: params: expected a table, given {_type_name(params)}",
                                source=source, key="params", expected="a table")
        if _META in params:
            raise ScenarioError(f"{source}: params: must not contain [scenario]; pass name, description "
                                "and steps as arguments", source=source, key=_META)
        flat = _with_defaults(_flatten_checked(params, source))
        _check_complete(flat, source, meta=False)
        self._init(meta["scenario.name"], meta["scenario.description"], meta["scenario.steps"],
                   {k: flat[k] for k in _PARAM_KEYS}, path, extends, dict(overrides or {}))

    def _init(self, name, description, steps, flat, path, extends, overrides) -> None:
        set_ = object.__setattr__
        set_(self, "_name", name)
        set_(self, "_description", description)
        set_(self, "_steps", steps)
        set_(self, "_flat", flat)
        set_(self, "_path", Path(path) if path is not None else None)
        set_(self, "_extends", extends)
        set_(self, "_overrides", overrides)
        set_(self, "_hash", None)

    @classmethod
    def _raw(cls, name, description, steps, flat, path, extends, overrides) -> "Scenario":
        self = object.__new__(cls)
        self._init(name, description, steps, flat, path, extends, overrides)
        return self

    def __setattr__(self, attr, value):
        raise AttributeError("Scenario is immutable; use with_params() to make a changed copy")

    __delattr__ = __setattr__

    def __reduce__(self):
        return (
            Scenario._raw,
            (self._name, self._description, self._steps, dict(self._flat),
             str(self._path) if self._path else None, self._extends, dict(self._overrides)),
        )

    # -- metadata ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def path(self) -> Path | None:
        """The file the scenario was loaded from, or None."""
        return self._path

    @property
    def extends(self) -> str | None:
        """The ``extends`` of the file it was loaded from (provenance only)."""
        return self._extends

    @property
    def overrides(self) -> dict[str, Any]:
        """Every override applied by :meth:`with_params` since loading (dotted name -> value)."""
        return dict(self._overrides)

    # -- parameters --------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """Every parameter as a nested dict (a fresh copy; changing it changes nothing)."""
        return _nest(self._flat)

    def flat(self) -> dict[str, Any]:
        """Every parameter as dotted name -> value, e.g. ``"channels.mentoring.rate"`` (a copy)."""
        return dict(self._flat)

    def get(self, key: str) -> Any:
        """A parameter by dotted name; a table name (``"market"``, ``"channels.mentoring"``) gives a Section."""
        if key in self._flat:
            return self._flat[key]
        if key == "scenario.name":
            return self._name
        if key == "scenario.description":
            return self._description
        if key == "scenario.steps":
            return self._steps
        if key in _PREFIXES and not key.startswith(_META):
            return self.section(key)
        hint = _suggest(key)
        raise KeyError(f"unknown parameter {key!r}" + (f"; did you mean {hint!r}?" if hint else ""))

    __getitem__ = get

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._flat or key in _PREFIXES or key in SCHEMA)

    def section(self, name: str) -> Section:
        """A read-only attribute view of one table: ``sc.section("market").base_churn``.

        ``name`` may be dotted: ``sc.section("channels.mentoring").rate``.
        """
        if name not in _PREFIXES or name == _META:
            hint = difflib.get_close_matches(name, SECTIONS, 1, 0.6)
            raise KeyError(f"unknown section {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                           + "; sections: " + ", ".join(SECTIONS))
        node: Any = _nest({k: v for k, v in self._flat.items() if k.startswith(name + ".")})
        for part in name.split("."):
            node = node[part]
        return Section(name, node)

    # -- changing --------------------------------------------------------------------------
    def with_params(self, overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /,
                    **kw: Any) -> "Scenario":
        """A new validated scenario with some parameters changed; this one is left unchanged.

        Keys are dotted names (``"market.base_churn"``); a table name with a dict value sets
        several (``{"channels.mentoring": {"rate": 0.1}}``). ``scenario.steps`` and
        ``scenario.description`` may be changed too; the name stays. Errors name ``override``.
        """
        items = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
        items += list(kw.items())
        table: dict[str, Any] = {}
        for key, value in items:
            if not isinstance(key, str):
                raise ScenarioError(f"{OVERRIDE}: {key!r}: a parameter name must be a string",
                                    source=OVERRIDE, key=str(key), expected="a dotted name")
            table[key.strip()] = value
        changes = _flatten_checked(table, OVERRIDE)
        for key in changes:
            if key in _NOT_OVERRIDABLE:
                raise ScenarioError(f"{OVERRIDE}: {key}: cannot be overridden",
                                    source=OVERRIDE, key=key, expected="a model parameter")
        flat = dict(self._flat)
        description, steps = self._description, self._steps
        for key, value in changes.items():
            if key == "scenario.steps":
                steps = value
            elif key == "scenario.description":
                description = value
            else:
                flat[key] = value
        return Scenario._raw(self._name, description, steps, flat, self._path, self._extends,
                             {**self._overrides, **changes})

    def diff(self, other: "Scenario") -> dict[str, tuple[Any, Any]]:
        """Parameters that differ: dotted name -> (value here, value in ``other``)."""
        return {k: (v, other._flat[k]) for k, v in self._flat.items() if other._flat[k] != v}

    # -- output ----------------------------------------------------------------------------
    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (no ``extends``); ``load_scenario`` reads it back equal."""
        lines = [f"# Scenario {self._name!r}, fully resolved by sim.config.scenario (every parameter, no 'extends')."]
        if self._path is not None:
            origin = f"# from {self._path}"
            if self._extends:
                origin += f" (extends {self._extends!r})"
            lines.append(origin)
        if self._overrides:
            lines.append("# overrides: " + ", ".join(f"{k} = {_show(v)}" for k, v in self._overrides.items()))
        lines += ["", "[scenario]", f"name = {_toml_str(self._name)}",
                  f"description = {_toml_str(self._description)}", f"steps = {self._steps}"]
        current = None
        for key in _PARAM_KEYS:
            table, leaf = key.rsplit(".", 1)
            if table != current:
                lines += ["", f"[{'.'.join(_toml_key(p) for p in table.split('.'))}]"]
                current = table
            lines.append(f"{_toml_key(leaf)} = {_toml_value(self._flat[key])}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>", base_dir: str | Path | None = None) -> "Scenario":
        """A scenario from TOML text; ``extends`` names are looked up in ``base_dir``, then in scenarios/."""
        base = Path(base_dir) if base_dir is not None else None
        stem = Path(source).stem if source != "<string>" else None
        return _resolve_text(text, source, base, stem, path=None, chain=[])

    # -- comparison ------------------------------------------------------------------------
    def _key(self):
        return (self._name, self._description, self._steps, tuple(self._flat.items()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(self._key()))
        return self._hash

    def __repr__(self) -> str:
        extra = f", overrides={self._overrides!r}" if self._overrides else ""
        where = f", path={str(self._path)!r}" if self._path else ""
        return f"Scenario({self._name!r}, steps={self._steps}{where}{extra})"


# --------------------------------------------------------------------------------------------
# Loading


def _is_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".toml")


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in the project's scenarios/ folder, sorted."""
    if not SCENARIO_DIR.is_dir():
        return []
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml") if p.is_file())


def _unknown_name(name: str, source: str | None = None) -> ScenarioError:
    names = list_scenarios()
    msg = f"unknown scenario {name!r}; available: " + ", ".join(names)
    close = difflib.get_close_matches(name, names, 1, 0.6)
    if close:
        msg += f"; did you mean {close[0]!r}?"
    if source:
        msg = f"{source}: scenario.extends = {_toml_str(name)}: " + msg
    return ScenarioError(msg, source=source, key="scenario.extends" if source else None,
                         expected="one of " + ", ".join(names), given=name,
                         hint=close[0] if close else None)


def _read(path: Path) -> str:
    shown = display_path(path)
    if not path.exists():
        raise ScenarioError(f"{shown}: file not found", source=shown, expected="an existing file")
    if not path.is_file():
        raise ScenarioError(f"{shown}: not a file", source=shown, expected="a TOML file")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{shown}: not UTF-8 text (byte {e.start})", source=shown,
                            expected="UTF-8 text") from None
    except OSError as e:
        raise ScenarioError(f"{shown}: cannot read: {e.strerror or e}", source=shown) from None


_TOML_POS = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$", re.S)
_TOML_END = re.compile(r"^(.*) \(at end of document\)$", re.S)


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _TOML_POS.match(msg)
        if m:
            where, why = f"at line {m.group(2)}, column {m.group(3)}", m.group(1)
        else:
            m = _TOML_END.match(msg)
            lines = text.count("\n") + 1
            where, why = (f"at end of document (line {lines})", m.group(1)) if m else ("", msg)
        raise ScenarioError(f"{source}: malformed TOML {where}: {why}".replace("  ", " "),
                            source=source, expected="valid TOML", given=why) from None


def _locate(name: str, base: Path | None, source: str) -> Path:
    """Where an ``extends`` value points: a path relative to the file, or a name."""
    if _is_path(name):
        path = Path(name).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ScenarioError(
                f"{source}: scenario.extends = {_toml_str(name)}: file not found ({display_path(path)})",
                source=source, key="scenario.extends", expected="an existing scenario file", given=name,
            )
        return path
    for folder in ([base] if base is not None else []) + [SCENARIO_DIR]:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    raise _unknown_name(name, source)


def _resolve_text(text: str, source: str, base: Path | None, stem: str | None,
                  path: Path | None, chain: list[Path]) -> Scenario:
    data = _parse(text, source)
    flat = _flatten_checked(data, source)
    extends = flat.pop("scenario.extends", None)
    name = flat.pop("scenario.name", None) or stem or "unnamed"
    description = flat.pop("scenario.description", None)
    if extends is not None:
        parent_path = _locate(extends, base, source)
        resolved = parent_path.resolve()
        if resolved in chain:
            cycle = chain[chain.index(resolved):] + [resolved]
            shown = " -> ".join(display_path(p) for p in cycle)
            raise ScenarioError(f"{source}: cyclic extends: {shown}", source=source,
                                key="scenario.extends", expected="an acyclic chain of extends",
                                given=shown)
        parent = _load_path(parent_path, chain)
        merged = {"scenario.steps": parent.steps, **parent._flat, **flat}
        if description is None:
            description = f"Extends {extends!r}."
    else:
        merged = _with_defaults(flat)
        _check_complete(merged, source)
    steps = merged.pop("scenario.steps")
    return Scenario._raw(name, description or "", steps, {k: merged[k] for k in _PARAM_KEYS},
                         path, extends, {})


def _load_path(path: Path, chain: list[Path]) -> Scenario:
    text = _read(path)
    resolved = path.resolve()
    return _resolve_text(text, display_path(path), path.parent, path.stem, path, [*chain, resolved])


def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """Load and validate a scenario: a name in the project's scenarios/ folder, or a path to a TOML file.

    A string is a path if it contains a slash or ends with ``.toml``. A Scenario is returned as is.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    if isinstance(name_or_path, Path):
        return _load_path(name_or_path.expanduser(), [])
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise ScenarioError(f"unknown scenario {name_or_path!r}; available: " + ", ".join(list_scenarios()),
                            expected="a scenario name or path", given=repr(name_or_path))
    text = name_or_path.strip()
    if _is_path(text):
        return _load_path(Path(text).expanduser(), [])
    path = SCENARIO_DIR / f"{text}.toml"
    if not path.is_file():
        raise _unknown_name(text)
    return _load_path(path, [])


# --------------------------------------------------------------------------------------------
# Overrides from the command line


def parse_override(text: str) -> tuple[str, Any]:
    """``"market.base_churn=0.01"`` -> ``("market.base_churn", 0.01)``.

    The value is read as a TOML value (``0.01`` float, ``2`` int, ``true`` bool, ``"active"`` str);
    anything that is not valid TOML (``active``) is taken as a bare string. The key is checked by
    :meth:`Scenario.with_params`, not here.
    """
    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(f"{OVERRIDE}: {text!r}: expected name=value, e.g. market.base_churn=0.01",
                            source=OVERRIDE, expected="name=value", given=str(text))
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key:
        raise ScenarioError(f"{OVERRIDE}: {text!r}: missing parameter name before '='",
                            source=OVERRIDE, expected="name=value", given=text)
    if not raw:
        expected = SCHEMA[key].expected() if key in SCHEMA else "a value"
        raise ScenarioError(f"{OVERRIDE}: {key}: missing value after '=', expected {expected}",
                            source=OVERRIDE, key=key, expected=expected, given="nothing")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def parse_overrides(texts: Iterable[str]) -> dict[str, Any]:
    """Several ``name=value`` texts -> a dict for :meth:`Scenario.with_params` (later ones win)."""
    return dict(parse_override(t) for t in texts)


# --------------------------------------------------------------------------------------------
# Documentation


def schema_markdown(scenario: Scenario | None = None) -> str:
    """A Markdown table of every parameter: key, default (from ``scenario``, baseline if None), range, meaning, source."""
    sc = scenario if scenario is not None else load_scenario("baseline")
    rows = ["| key | default | range | meaning | source |", "|---|---|---|---|---|"]
    meta = {"scenario.name": sc.name, "scenario.description": sc.description, "scenario.steps": sc.steps,
            "scenario.extends": "(none)"}
    for key, param in SCHEMA.items():
        value = meta[key] if key in meta else sc.get(key)
        shown = value if key == "scenario.extends" else _show(value, 200)
        rng = param.expected()
        if not param.required:
            rng += " (optional" + (f", default {_show(param.default)}" if param.default is not None else "") + ")"
        cells = [f"`{key}`", shown, rng, param.help, ""]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"

