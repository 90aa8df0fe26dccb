"""The strategists' levers (DESIGN.md "Policies"): each declared once, with its cost and its effect.

A lever is a ``policy.*`` parameter. Its cost is either the activities of the channels it drives
(``channels.<name>.cost`` per activity, charged by the channel) or a unit cost of its own
(``costs.<lever>``, charged through :func:`charge`). ``used_by`` names the processes and channels
whose code reads it; a test checks that they declare it. The app's controls, the ODD's lever table
and the sweep's choices are made from :data:`LEVERS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config.params import Constant, Levels, Param, par, share


@dataclass(frozen=True)
class Lever:
    """A policy lever: the parameter, how it is paid for, what it does, and who reads it."""

    param: Param
    effect: str
    used_by: tuple[str, ...]
    cost: Param | None = None  # unit cost at full effort; None: paid through its channels' activities
    basis: str = ""  # what the unit cost is per
    column: str = "knowledge_cost"  # ledger column the cost goes to
    constants: dict = field(default_factory=dict)  # the sizes of its effect: name -> Constant or Levels

    @property
    def key(self) -> str:
        return self.param.key


# Liew (seed 000): what each CRM maturity level does differently.
LOOKUP_QUALITY = Levels(
    {1: 0.3, 2: 0.7, 3: 0.9},
    "chance the front line consults the stores for an item it does "
    "not know, by CRM maturity (1 transaction data, 2 information, 3 knowledge)",
)
INFORMED_SELLING = Levels(
    {1: 0.4, 2: 1.0, 3: 1.0},
    "use of customer knowledge in up- and cross-selling, by CRM "
    "maturity: level 1 sells blind, level 2 makes informed offers",
)
CRM_MATURITY = Lever(
    par(
        "policy.crm_maturity",
        1,
        "CRM maturity: 1 transaction data, 2 informed decisions, 3 knowledge-based relationships",
        choices=(1, 2, 3),
        source="theory (Liew, seed 000)",
        label="CRM maturity",
    ),
    "how often the front line consults the stores, informed up-selling, best-informed staff for key customers",
    ("encounters", "customer_insight", "measures"),
    constants={"LOOKUP_QUALITY": LOOKUP_QUALITY, "INFORMED_SELLING": INFORMED_SELLING},
)
# Seed 004: how readily customers share what they know, by role; captive customers are held by the scheme.
ROLE_SHARING = Levels(
    {"passive": 1.0, "captive": 1.5, "active": 3.0}, "how readily customers share what they know in encounters, by role"
)
CAPTIVE_LOYALTY = Constant(1.5, "strength multiplier of the loyalty scheme on captive customers (capped at 1)")
CUSTOMER_ROLE = Lever(
    par(
        "policy.customer_role",
        "passive",
        "Customers' role: passive recipients (KM), captive (CRM), active partners (CKM)",
        choices=("passive", "captive", "active"),
        source="theory (seed 004 [GLP02])",
        label="Customer role",
    ),
    "how readily customers share what they know; captive customers are held more by the loyalty scheme",
    ("customer_voice", "churn"),
    constants={"ROLE_SHARING": ROLE_SHARING, "CAPTIVE_LOYALTY": CAPTIVE_LOYALTY},
)
CODIFICATION = Lever(
    share("policy.codification", 0.2, "Effort on writing knowledge down", label="Codification", source="assumption"),
    "how often members' skills become team practice and staff write into the knowledge base",
    ("team_guidance", "codification"),
)
SOCIALIZATION = Lever(
    share(
        "policy.socialization",
        0.3,
        "Effort on mentoring and communities of practice",
        label="Socialization (mentoring)",
        source="assumption",
    ),
    "share of the front line mentored each week",
    ("mentoring",),
)
JOB_ROTATION = Lever(
    share(
        "policy.job_rotation", 0.0, "Effort on sending staff to other teams", label="Job rotation", source="assumption"
    ),
    "weekly chance a team sends a member to another team",
    ("staff_exchange",),
)
TRAINING = Lever(
    share(
        "policy.training",
        0.1,
        "Effort on manuals for staff: weekly chance an employee studies the knowledge base",
        label="Training (manuals)",
        source="assumption",
    ),
    "share of staff studying the knowledge base each week",
    ("manuals",),
)
LOYALTY_EFFECT = Constant(0.5, "share of the churn hazard a full-strength loyalty scheme removes")
LOYALTY_SCHEME = Lever(
    share(
        "policy.loyalty_scheme",
        0.0,
        "Strength of the customer loyalty scheme",
        label="Loyalty scheme",
        source="theory (seed 004 CRM); assumption",
    ),
    "removes up to half of the churn hazard (more for captive customers)",
    ("churn",),
    cost=par(
        "costs.loyalty_scheme", 1.0, "Cost of the loyalty scheme per active customer and week at full strength", 0
    ),
    basis="active customer and week",
    constants={"LOYALTY_EFFECT": LOYALTY_EFFECT},
)
CO_CREATION = Lever(
    share(
        "policy.co_creation",
        0.0,
        "Effort on co-creation with customers",
        label="Co-creation",
        source="theory (seed 004 CKM); assumption",
    ),
    "customers share more of what they know in encounters",
    ("customer_voice", "encounters"),
    cost=par("costs.co_creation", 3.0, "Cost of co-creation per encounter at full effort", 0),
    basis="encounter",
)
SUPPLIER_COLLABORATION = Lever(
    share(
        "policy.supplier_collaboration",
        0.1,
        "Effort on knowledge exchange with suppliers",
        label="Supplier collaboration",
        source="assumption",
    ),
    "share of suppliers in seminars and staff exchanges each week",
    ("supplier_seminars", "supplier_dispatch"),
)
EXTERNAL_KNOWHOW = Lever(
    share(
        "policy.external_knowhow",
        0.0,
        "Effort on buying know-how, conferences and giving back to outside knowledge holders",
        label="External know-how",
        source="assumption",
    ),
    "share of consultancies and universities engaged each week",
    ("buy_knowhow", "conferences", "giving_back"),
)
RETENTION_PROGRAMME_EFFECT = Constant(0.5, "share of employee turnover a full retention programme prevents")
RETENTION_PROGRAMME = Lever(
    share(
        "policy.retention_programme",
        0.0,
        "Employee retention programme: lowers turnover at a cost",
        label="Employee retention programme",
        source="assumption",
    ),
    "prevents part of the employee turnover",
    ("workforce",),
    cost=par(
        "costs.retention_programme",
        40.0,
        "Cost of the employee retention programme per employee and week at full effort",
        0,
    ),
    basis="employee and week",
    constants={"RETENTION_PROGRAMME_EFFECT": RETENTION_PROGRAMME_EFFECT},
)

LEVERS: tuple[Lever, ...] = (
    CRM_MATURITY,
    CUSTOMER_ROLE,
    CODIFICATION,
    SOCIALIZATION,
    JOB_ROTATION,
    TRAINING,
    LOYALTY_SCHEME,
    CO_CREATION,
    SUPPLIER_COLLABORATION,
    EXTERNAL_KNOWHOW,
    RETENTION_PROGRAMME,
)
BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}


#: The environment and uncertainties a strategist varies beside the levers (DESIGN.md "Policies and
#: environment"); their declarations live with the processes that use them.
UNCERTAINTIES: tuple[str, ...] = ("environment.turbulence", "organization.employee_turnover", "environment.competition")


def params() -> tuple[Param, ...]:
    """Every lever parameter and its cost parameter."""
    return tuple(p for lever in LEVERS for p in (lever.param, lever.cost) if p is not None)


def charge(model, lever: Lever, count: float) -> None:
    """Charge a lever's own cost: unit cost x effort x ``count`` (customers, encounters, employees)."""
    unit, effort = model.scenario.get(lever.cost.key), model.scenario.get(lever.key)
    model.ledger.charge(lever.column, unit * effort * count)
