"""The strategists' levers (DESIGN.md "Policies"): each declared once, with its cost and its effect.

A lever is a ``policy.*`` parameter. Its cost is either the activities of the channels it drives
(``channels.<name>.cost`` per activity, charged by the channel) or unit costs of its own
(``costs.*``, charged through :func:`charge` into the lever's own ledger column). The sizes of its
effects are scenario parameters declared beside it (``effects``), so sensitivity analysis reaches
them. ``used_by`` names the processes and channels whose code reads it; a test checks that they
declare it. The app's controls, the ODD's lever table and the sweep's choices come from :data:`LEVERS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.params import Contrast, Expect, Param, par, share


@dataclass(frozen=True)
class Lever:
    """A policy lever: the parameter, what it does, who reads it, its unit cost and its effect sizes."""

    param: Param
    effect: str
    used_by: tuple[str, ...]
    cost: Param | None = None  # unit cost at full effort; None: paid through its channels (or by level)
    basis: str = ""  # what the unit cost is per
    column: str = ""  # ledger column its own cost goes to
    effects: tuple[Param, ...] = ()  # scenario parameters that size its effects
    contrast: Contrast | None = None  # what theory expects of it: ``python run.py patterns``

    @property
    def key(self) -> str:
        return self.param.key

    def params(self) -> tuple[Param, ...]:
        return (self.param, *((self.cost,) if self.cost else ()), *self.effects)


# --- Liew (seed 000): what each CRM maturity level does differently, and what its system costs.
CRM_MATURITY = Lever(
    par(
        "policy.crm_maturity",
        1,
        "CRM maturity: 1 transaction data, 2 informed decisions, 3 knowledge-based relationships",
        choices=(1, 2, 3),
        source="Liew (seed 000)",
        label="CRM maturity",
    ),
    "level 1 records transactions; level 2 lets the front line consult the customer database and prepares "
    "offers from what it knows of the segment's needs; level 3 routes key and at-risk customers to the "
    "best-informed staff and reaches out to customers at risk",
    ("encounters", "customer_insight", "measures"),
    column="crm_system_cost",
    basis="active customer and week, by level",
    effects=(
        share(
            "crm.lookup_1",
            0.3,
            "Level 1: chance the front line consults the stores for an item it does not know",
            source="theory (Liew: transaction data); value assumption",
        ),
        share(
            "crm.lookup_2",
            0.7,
            "Level 2: chance the front line consults the stores for an item it does not know",
            source="theory (Liew: information for decisions); value assumption",
        ),
        share(
            "crm.lookup_3",
            0.9,
            "Level 3: chance the front line consults the stores for an item it does not know",
            source="theory (Liew: knowledge-based relationships); value assumption",
        ),
        share(
            "crm.key_account_share",
            0.2,
            "Level 3: share of the week's contacts, by value, served by their "
            "team's best-informed member (with every dissatisfied customer)",
            source="assumption",
        ),
        share(
            "crm.outreach_rate",
            0.25,
            "Level 3: weekly chance that a dissatisfied customer who did not call is contacted by the firm",
            source="assumption",
        ),
        par(
            "costs.crm_system_1",
            0.05,
            "CRM system cost at level 1, per active customer and week",
            0,
            source="assumption (~0.3 % of revenue)",
        ),
        par(
            "costs.crm_system_2",
            0.2,
            "CRM system cost at level 2, per active customer and week",
            0,
            source="assumption (~1 % of revenue)",
        ),
        par(
            "costs.crm_system_3",
            0.4,
            "CRM system cost at level 3, per active customer and week",
            0,
            source="assumption (~2 % of revenue)",
        ),
    ),
    contrast=Contrast(
        "policy.crm_maturity",
        1,
        3,
        (
            Expect("knowledge_gap", -1, "Liew (seed 000): knowledge-based CRM closes the gap"),
            Expect(
                "retention_rate", +1, "Mithas, Krishnan & Fornell 2005: CRM raises customer knowledge, satisfaction"
            ),
            Expect("supplier_relational_capital", 0, "nothing in CRM reaches the suppliers", 1e-9),
        ),
    ),
)

# --- Gibbert et al. (seed 004): the customer as passive recipient (KM), captive (CRM), active partner (CKM).
CUSTOMER_ROLE = Lever(
    par(
        "policy.customer_role",
        "passive",
        "Customers' role: passive recipients (KM), captive (CRM), active partners (CKM)",
        choices=("passive", "captive", "active"),
        source="Gibbert et al. 2002 (seed 004)",
        label="Customer role",
    ),
    "how readily customers share what they know; captive customers are tied by switching barriers and "
    "held more by the loyalty scheme; captive and active customers receive incentives",
    ("customer_voice", "churn"),
    cost=par(
        "costs.customer_incentive",
        0.3,
        "Incentives to captive or active customers, per active customer and "
        "week (seed 004: incentives go to customers in CRM and CKM)",
        0,
        source="assumption (~1.5 % of revenue)",
    ),
    basis="active customer and week (captive or active role)",
    column="incentive_cost",
    effects=(
        par(
            "market.sharing_passive",
            1.0,
            "How readily passive customers share what they know (multiplies the customer-voice rate)",
            0,
            source="theory (seed 004); value assumption",
        ),
        par(
            "market.sharing_captive",
            1.5,
            "How readily captive customers share what they know",
            0,
            source="theory (seed 004); value assumption",
        ),
        par(
            "market.sharing_active",
            3.0,
            "How readily active knowledge partners share what they know",
            0,
            source="theory (seed 004); value assumption",
        ),
        share(
            "market.captive_lockin",
            0.1,
            "Share of the churn hazard that switching barriers remove for captive customers",
            source="calculative commitment lowers churn: Gustafsson, Johnson & Roos 2005; value assumption",
        ),
        par(
            "market.captive_loyalty",
            1.5,
            "Strength multiplier of the loyalty scheme on captive customers (its effect capped at full strength)",
            1,
            source="assumption",
        ),
    ),
    contrast=Contrast(
        "policy.customer_role",
        "passive",
        "active",
        (
            Expect("knowledge_gap", -1, "Gibbert et al. 2002 (seed 004): active customers are knowledge partners"),
            Expect("retention_rate", +1, "seed 004: CKM turns customer knowledge into loyalty"),
        ),
    ),
)

CODIFICATION = Lever(
    share("policy.codification", 0.2, "Effort on writing knowledge down", source="assumption", label="Codification"),
    "how often members' skills become team practice and staff write into the knowledge base",
    ("team_guidance", "codification"),
    contrast=Contrast(
        "policy.codification",
        0.0,
        0.8,
        (Expect("knowledge_org", +1, "Nonaka 1994: externalization; Hansen, Nohria & Tierney 1999 codification"),),
    ),
)
SOCIALIZATION = Lever(
    share(
        "policy.socialization",
        0.3,
        "Effort on mentoring and communities of practice",
        source="assumption",
        label="Socialization (mentoring)",
    ),
    "share of the front line mentored each week",
    ("mentoring",),
    contrast=Contrast(
        "policy.socialization",
        0.0,
        1.0,
        (
            Expect("knowledge_gap", -1, "Nonaka 1994: socialization; Miller, Zhao & Calantone 2006"),
            Expect("knowledge_individual", +1, "Miller, Zhao & Calantone 2006: learning from better performers"),
        ),
    ),
)
JOB_ROTATION = Lever(
    share(
        "policy.job_rotation", 0.0, "Effort on sending staff to other teams", source="assumption", label="Job rotation"
    ),
    "weekly chance a team sends a member to another team",
    ("staff_exchange",),
    contrast=Contrast(
        "policy.job_rotation",
        0.0,
        0.5,
        (Expect("knowledge_individual", +1, "Xie 3.1: sending staff to learn from another team"),),
    ),
)
TRAINING = Lever(
    share(
        "policy.training",
        0.1,
        "Effort on manuals for staff: weekly chance an employee studies the knowledge base",
        source="assumption",
        label="Training (manuals)",
    ),
    "share of staff studying the knowledge base each week",
    ("manuals",),
    contrast=Contrast(
        "policy.training",
        0.0,
        0.6,
        (Expect("knowledge_individual", +1, "Nonaka 1994: internalization of manuals and training"),),
    ),
)
LOYALTY_SCHEME = Lever(
    share(
        "policy.loyalty_scheme",
        0.0,
        "Strength of the customer loyalty scheme",
        source="theory (seed 004 CRM); assumption",
        label="Loyalty scheme",
    ),
    "removes part of the churn hazard (more for captive customers)",
    ("churn",),
    cost=par(
        "costs.loyalty_scheme",
        1.0,
        "Cost of the loyalty scheme per active customer and week at full strength",
        0,
        source="assumption (~5 % of revenue)",
    ),
    basis="active customer and week",
    column="loyalty_cost",
    effects=(
        share(
            "market.loyalty_effect",
            0.2,
            "Share of the churn hazard a full-strength loyalty scheme removes",
            source="assumption",
        ),
    ),
    contrast=Contrast(
        "policy.loyalty_scheme",
        0.0,
        0.6,
        (
            Expect("retention_rate", +1, "seed 004 (CRM: customers captive through loyalty schemes); Verhoef 2003"),
            Expect("supplier_relational_capital", 0, "a customer scheme does not reach the suppliers", 1e-9),
        ),
    ),
)
CO_CREATION = Lever(
    share(
        "policy.co_creation",
        0.0,
        "Effort on co-creation with customers",
        source="theory (seed 004 CKM); assumption",
        label="Co-creation",
    ),
    "customers share more of what they know in encounters and the joint work strengthens the relationship",
    ("customer_voice", "encounters"),
    cost=par("costs.co_creation", 3.0, "Cost of co-creation per encounter at full effort", 0, source="assumption"),
    basis="encounter",
    column="co_creation_cost",
    effects=(
        par(
            "market.co_creation_bond",
            1.0,
            "Extra relationship gain from a good co-created encounter, per unit "
            "of co-creation effort (multiplies market.relationship_gain)",
            0,
            source="joint value creation builds affective commitment (seed 004); value assumption",
        ),
    ),
    contrast=Contrast(
        "policy.co_creation",
        0.0,
        0.6,
        (
            Expect("knowledge_gap", -1, "seed 004 (CKM): co-creating customers share what they know"),
            Expect("retention_rate", +1, "seed 004: joint value creation binds customers"),
        ),
    ),
)
SUPPLIER_COLLABORATION = Lever(
    share(
        "policy.supplier_collaboration",
        0.2,
        "Effort on knowledge exchange with suppliers",
        source="assumption",
        label="Supplier collaboration",
    ),
    "share of suppliers in seminars and staff exchanges each week",
    ("supplier_seminars", "supplier_dispatch"),
    contrast=Contrast(
        "policy.supplier_collaboration",
        0.0,
        0.8,
        (
            Expect("product_fit", +1, "Xie 3.3.2: suppliers' knowledge reaches production"),
            Expect("supplier_relational_capital", +1, "Xie 2.(4): exchange builds relational capital"),
        ),
    ),
)
EXTERNAL_KNOWHOW = Lever(
    share(
        "policy.external_knowhow",
        0.0,
        "Effort on buying know-how, conferences and giving back to outside knowledge holders",
        source="assumption",
        label="External know-how",
    ),
    "share of consultancies and universities engaged each week",
    ("buy_knowhow", "conferences", "giving_back"),
    contrast=Contrast(
        "policy.external_knowhow",
        0.0,
        0.5,
        (Expect("knowledge_org", +1, "Xie 3.3.3: know-how from universities and consultancies, under turbulence"),),
        scenario="open_innovation",
    ),
)
RETENTION_PROGRAMME = Lever(
    share(
        "policy.retention_programme",
        0.0,
        "Employee retention programme: lowers turnover at a cost",
        source="assumption",
        label="Employee retention programme",
    ),
    "prevents part of the employee turnover",
    ("workforce",),
    cost=par(
        "costs.retention_programme",
        40.0,
        "Cost of the employee retention programme per employee and week at full effort",
        0,
        source="assumption",
    ),
    basis="employee and week",
    column="retention_programme_cost",
    effects=(
        share(
            "organization.retention_programme_effect",
            0.5,
            "Share of employee turnover a full retention programme prevents",
            source="assumption",
        ),
    ),
    contrast=Contrast(
        "policy.retention_programme",
        0.0,
        1.0,
        (
            Expect("employee_retention", +1, "the programme's purpose"),
            Expect("knowledge_individual", +1, "March 1991: fewer leavers take less tacit knowledge away"),
        ),
    ),
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

#: Ledger columns of the levers' own costs.
COST_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(lv.column for lv in LEVERS if lv.column))


def params() -> tuple[Param, ...]:
    """Every lever parameter, its cost and its effect sizes."""
    return tuple(p for lever in LEVERS for p in lever.params())


def lookup_quality(scenario, level: int) -> float:
    """The chance the front line consults the stores at a CRM maturity level."""
    return float(scenario.get(f"crm.lookup_{int(level)}"))


def charge(model, lever: Lever, count: float, cohort: float = 0.0) -> None:
    """Charge a lever's own cost: unit cost x effort x ``count`` (customers, encounters, employees), of
    which ``cohort`` of the count are customers of the measured cohort."""
    unit, effort = model.scenario.get(lever.cost.key), model.scenario.get(lever.key)
    if effort:
        model.ledger.charge(lever.column, unit * effort * count, unit * effort * cohort)
