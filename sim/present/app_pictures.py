"""The app's pictures as data the browser draws: nothing is rendered on the server, so every picture
is new every week and Play is limited by the model, not by drawing.

* :func:`organization_map` and :func:`customer_map` return a *map* -- points (an SVG path each, with
  a fill, a tip and, for an agent, its kind and row), lines, arrows, labels and a colour scale -- that
  the page's ``AgentMap`` Vue component (``agent_map.vue``) draws as SVG. Hovering a point or an arrow
  shows its tip; clicking an agent opens it in the inspector. This week's flows are arrows on the
  organization (:func:`flow_arrows`, routed by :data:`FLOW_ROUTES`): width on one linear scale,
  colour by SECI mode, named with their counts.
* :func:`line_chart` returns a small SVG line chart (text) of series over the weeks.

Coordinates are pixels of the SVG's view box (y grows downwards), rounded to 0.1 px to keep the
messages to the browser small.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from sim.agents import CustomerStatus, Level
from sim.engine.knowledge import proportion_correct

SECI_COLORS = {  # one colour per SECI mode (Nonaka), in the flows' bars and arrows
    "socialization": "#1b9e77",
    "externalization": "#d95f02",
    "combination": "#7570b3",
    "internalization": "#e7298a",
}
KNOWLEDGE_CMAP = "viridis"
SATISFACTION_CMAP = "RdYlGn"
CHURNED_GREY = "#9e9e9e"


def _lut(name: str) -> np.ndarray:
    return np.array([to_hex(c) for c in colormaps[name](np.linspace(0.0, 1.0, 256))])


LUTS = {name: _lut(name) for name in (KNOWLEDGE_CMAP, SATISFACTION_CMAP)}


def colours(values, cmap: str, lo: float = 0.0, hi: float = 1.0) -> list[str]:
    """Hex colours of ``values`` on a colormap over ``[lo, hi]`` (clipped; NaN is grey)."""
    v = np.asarray(values, dtype=float)
    idx = np.clip(np.nan_to_num((v - lo) / (hi - lo), nan=0.0) * 255, 0, 255).astype(int)
    out = LUTS[cmap][idx]
    out[np.isnan(v)] = CHURNED_GREY
    return out.tolist()


def _polygon(n: int, inner: float | None = None, turn: float = 0.0) -> np.ndarray:
    """Vertices of a regular polygon (a star when ``inner`` is given) of radius 1 pointing up."""
    k = 2 * n if inner else n
    a = -np.pi / 2 + turn + 2 * np.pi * np.arange(k) / k
    r = np.where(np.arange(k) % 2, inner, 1.0) if inner else np.ones(k)
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


SHAPES = {
    "square": _polygon(4, turn=np.pi / 4) * np.sqrt(2) * 0.9,
    "diamond": _polygon(4) * 1.2,
    "triangle": _polygon(3) * 1.25,
    "pentagon": _polygon(5) * 1.15,
    "star": _polygon(5, inner=0.45) * 1.5,
}


def marker(shape: str, x: float, y: float, r: float) -> str:
    """An SVG path of a marker of radius ``r`` centred at ``(x, y)``: circle, cross or a polygon of SHAPES."""
    if shape == "circle":
        return f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0Z"
    if shape == "cross":
        return f"M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x + r:.1f},{y - r:.1f}L{x - r:.1f},{y + r:.1f}"
    pts = SHAPES[shape] * r + (x, y)
    return "M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in pts) + "Z"


def segments(pairs) -> str:
    """One SVG path of many line segments ``[[(x1, y1), (x2, y2)], ...]``."""
    return "".join(f"M{a[0]:.1f},{a[1]:.1f}L{b[0]:.1f},{b[1]:.1f}" for a, b in pairs)


def point(d: str, fill: str, tip: str, kind: str | None = None, row: int = 0, stroke: str = "white", sw=0.6) -> dict:
    """One drawn point; an agent (``kind`` one of the inspector's kinds) can be clicked."""
    return {"d": d, "fill": fill, "stroke": stroke, "sw": sw, "tip": tip, "kind": kind, "row": int(row)}


def known_by_domain(model, beliefs: np.ndarray) -> str:
    """'customer 0.62, product 0.40, ...': the share of items right in each domain (what a holder knows)."""
    from sim.engine.knowledge import DOMAINS

    space, reality = model.space, model.reality
    parts = []
    for domain in DOMAINS:
        items = space.span(domain)
        if items.stop > items.start:
            parts.append(f"{domain} {proportion_correct(beliefs[..., items], reality[items]):.2f}")
    return ", ".join(parts)


# --- the organization -----------------------------------------------------------------------------

ORG_SIZE = (780, 630)  # view box (px): the layout's units times ORG_SCALE, with room for the legend
ORG_SCALE = 150.0  # px per layout unit
ORG_ORIGIN = (2.6, 1.75)  # layout point drawn at (0, 0): x to the right, y upwards


def network_layout(model) -> dict[str, np.ndarray]:
    """Fixed positions (layout units): teams on a circle (manager in the middle, members around it),
    each team's repository outside its team, the knowledge base and CRM database in the centre, R&D
    and production on the left with the suppliers below them, universities and consultancies on the
    right above the customers."""
    E = model.employees
    n_teams = model.teams.beliefs.shape[0]
    angle = 2 * np.pi * np.arange(n_teams) / max(n_teams, 1) + np.pi / 2
    centre = np.column_stack([np.cos(angle), np.sin(angle)])
    radius = 0.2 + 0.05 * min(1.0, E.team.size / max(n_teams, 1) / 40)
    pos = np.zeros((E.team.size, 2))
    for t in range(n_teams):
        rows = np.flatnonzero(E.team == t)
        managers = rows[E.level[rows] == int(Level.MANAGER)]
        others = rows[E.level[rows] != int(Level.MANAGER)]
        pos[managers] = centre[t]
        a = 2 * np.pi * np.arange(others.size) / max(others.size, 1)
        pos[others] = centre[t] + radius * np.column_stack([np.cos(a), np.sin(a)])
    n_sup, n_src = model.suppliers.beliefs.shape[0], model.sources.beliefs.shape[0]
    return {
        "employees": pos,
        "repositories": 1.5 * centre,
        "stores": np.array([[0.0, 0.15], [0.0, -0.15]]),  # knowledge base, CRM database
        "units": np.array([[-2.25, 0.75], [-2.25, 0.1]]),  # R&D, production
        "suppliers": np.column_stack([np.full(n_sup, -2.25), np.linspace(-0.45, -1.3, n_sup)]),  # by production
        "sources": np.column_stack([np.full(n_src, 2.2), np.linspace(1.0, 0.35, n_src)]),
        "customers": np.array([[2.2, -0.85]]),
    }


def to_px(xy: np.ndarray) -> np.ndarray:
    """Layout units -> view-box pixels."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return np.column_stack([(xy[:, 0] + ORG_ORIGIN[0]) * ORG_SCALE, (ORG_ORIGIN[1] - xy[:, 1]) * ORG_SCALE])


def organization_lines(model, layout: dict[str, np.ndarray]) -> list[dict]:
    """The ties of the social network (grey) and the links to the stores and partners (dashed): fixed."""
    emp = to_px(layout["employees"])
    ties = emp[np.array(model.network.edges(), dtype=np.int64).reshape(-1, 2)]
    E = model.employees
    manager = E.level == int(Level.MANAGER)
    repos, stores, units = to_px(layout["repositories"]), to_px(layout["stores"]), to_px(layout["units"])
    links = []
    for t in range(repos.shape[0]):
        lead = np.flatnonzero(manager & (E.team == t))
        links.append([emp[lead[0]] if lead.size else repos[t], repos[t]])
    links += [[stores[1], stores[0]], *([u, stores[0]] for u in units)]
    links += [[s, units[1]] for s in to_px(layout["suppliers"])]
    links += [[s, stores[0]] for s in to_px(layout["sources"])]
    return [
        {"d": segments(ties), "stroke": "#c8c8c8", "width": 0.7},
        {"d": segments(links), "stroke": "#999999", "width": 0.9, "dash": "4 3"},
    ]


def organization_map(
    model, layout: dict[str, np.ndarray], selected: tuple[str, int] | None = None, channels=()
) -> dict:
    """Every knowledge holder of the firm and its partners, coloured by its share of items right;
    employees, teams' repositories, the stores, R&D and production, suppliers and outside sources
    can each be hovered (tip) and clicked (inspector). This week's flows of ``channels`` are drawn on
    it as arrows (:func:`flow_arrows`)."""
    reality = model.reality
    E = model.employees
    points: list[dict] = []

    def add(kind, xy, beliefs, shape, r, tips, stroke="black", sw=0.8):
        know = proportion_correct(beliefs, reality)
        for row, ((x, y), k, fill, tip) in enumerate(
            zip(to_px(xy), np.atleast_1d(know), colours(know, KNOWLEDGE_CMAP), tips)
        ):
            points.append(point(marker(shape, x, y, r), fill, f"{tip}: knows {k:.0%} of items", kind, row, stroke, sw))

    level_name = {int(Level.MANAGER): "manager", int(Level.FRONT_LINE): "front line"}
    emp_tips = [
        f"employee {i}, team {t}, {level_name.get(int(lv), 'staff')}" for i, (t, lv) in enumerate(zip(E.team, E.level))
    ]
    emp = to_px(layout["employees"])
    know = proportion_correct(E.beliefs, reality)
    fills = colours(know, KNOWLEDGE_CMAP)
    manager = E.level == int(Level.MANAGER)
    for i in np.argsort(manager, kind="stable"):  # managers on top
        r, stroke, sw = (7.0, "black", 1.2) if manager[i] else (4.2, "white", 0.5)
        tip = f"{emp_tips[i]}: knows {know[i]:.0%} of items"
        points.append(point(marker("circle", *emp[i], r), fills[i], tip, "employee", i, stroke, sw))
    n_teams = model.teams.beliefs.shape[0]
    add(
        "team",
        layout["repositories"],
        model.teams.beliefs,
        "square",
        7.5,
        [f"team {t}'s repository" for t in range(n_teams)],
    )
    add("knowledge store", layout["stores"], np.vstack([model.kb, model.crm_db]), "diamond", 9.0, STORE_NAMES)
    add("R&D / production", layout["units"], model.units.beliefs, "pentagon", 11.0, ["R&D", "production"])
    n_sup = model.suppliers.beliefs.shape[0]
    add(
        "supplier",
        layout["suppliers"],
        model.suppliers.beliefs,
        "triangle",
        8.0,
        [f"supplier {s}" for s in range(n_sup)],
    )
    kinds = [str(k) for k in model.sources.kind]
    add("university / consultancy", layout["sources"], model.sources.beliefs, "star", 9.0, kinds)
    if selected is not None:
        for p in points:
            if (p["kind"], p["row"]) == tuple(selected):
                p["selected"] = True
                points.append(points.pop(points.index(p)))  # drawn last: on top
                break

    labels = []
    kb, crm = to_px(layout["stores"])
    labels += [_label(kb[0], kb[1] - 16, "knowledge base"), _label(crm[0], crm[1] + 24, "CRM database")]
    labels += [_label(x, y + 26, name) for (x, y), name in zip(to_px(layout["units"]), ["R&D", "production"])]
    sup = to_px(layout["suppliers"])
    if sup.shape[0]:
        labels.append(_label(sup[0, 0], sup[:, 1].max() + 24, "suppliers"))
    labels += [_label(x, y + 24, kind) for (x, y), kind in zip(to_px(layout["sources"]), kinds)]
    (cx, cy), stats = to_px(layout["customers"])[0], model.stats
    customers_tip = f"customers: {stats['active_customers']:,} active, satisfaction {stats['satisfaction_mean']:+.2f}"
    points.insert(0, point(marker("circle", cx, cy, 16), "#fee08b", customers_tip, stroke="#666666", sw=1.0))
    labels.append(_label(cx, cy + 32, "customers"))
    labels.append(
        _label(ORG_SIZE[0] / 2, 18, f"Organization at week {model.steps}: this week's knowledge flows", 15, True)
    )
    arrows, arrow_labels = flow_arrows(model, layout, channels)
    labels += arrow_labels
    legend_y = ORG_SIZE[1] - 70
    labels.append(_label(20, legend_y + 4, "flows this week (width: beliefs changed):", anchor="start"))
    x = 270.0
    for mode, colour in SECI_COLORS.items():
        points.append(point(f"M{x},{legend_y}h22", "none", "", stroke=colour, sw=4))
        labels.append(_label(x + 27, legend_y + 4, mode, anchor="start"))
        x += 40 + 6.6 * len(mode)
    legend_y = ORG_SIZE[1] - 42
    legend = [
        ("circle", 4.2, "employee"),
        ("circle", 7.0, "manager"),
        ("square", 7.5, "team repository"),
        ("diamond", 9.0, "KB / CRM database"),
        ("pentagon", 9.0, "R&D / production"),
        ("triangle", 8.0, "supplier"),
        ("star", 9.0, "university / consultancy"),
    ]
    x = 20.0
    for shape, r, text in legend:
        points.append(point(marker(shape, x, legend_y, r), "#bbbbbb", "", stroke="black", sw=0.8))
        labels.append(_label(x + 12, legend_y + 4, text, anchor="start"))
        x += 26 + 6.6 * len(text)
    return {
        "width": ORG_SIZE[0],
        "height": ORG_SIZE[1],
        "points": points,
        "arrows": arrows,
        "arrow_colors": list(SECI_COLORS.values()),
        "labels": labels,
        "scale": {
            "x": 240,
            "y": ORG_SIZE[1] - 22,
            "w": 300,
            "h": 10,
            "colors": LUTS[KNOWLEDGE_CMAP][::32].tolist() + [LUTS[KNOWLEDGE_CMAP][-1]],
            "lo": "0",
            "hi": "1",
            "title": "knowledge: share of items right",
        },
    }


STORE_NAMES = ["knowledge base", "CRM database"]


def _label(x, y, text, size=12, bold=False, anchor="middle") -> dict:
    return {
        "x": round(float(x), 1),
        "y": round(float(y), 1),
        "text": text,
        "size": size,
        "bold": bold,
        "anchor": anchor,
    }


# --- this week's flows, drawn on the organization -----------------------------------------------------

# Where each channel's arrow runs on the organization map: (from, to, both ways, bend). An end is an
# anchor of the layout: "team@A" / "repo@A" / "member@A:B" are the team, its repository, or a member
# (at angle B inside the team) nearest angle A (degrees) of the circle of teams; the rest are the stores,
# R&D and production, suppliers, sources and customers. Bends (share of the length) keep arrows apart.
FLOW_ROUTES: dict[str, tuple[str, str, bool, float]] = {
    "working_together": ("member@162:100", "member@162:260", True, 0.5),
    "mentoring": ("member@198:100", "member@198:260", True, -0.5),
    "team_guidance": ("team@126", "repo@126", False, 0.25),
    "team_practice": ("repo@90", "team@90", False, 0.25),
    "codification": ("team@234", "kb", False, 0.12),
    "task_summaries": ("repo@54", "kb", False, 0.1),
    "briefings": ("repo@18", "kb", True, -0.1),
    "manuals": ("kb", "team@306", False, 0.12),
    "staff_exchange": ("team@342", "team@306", True, 0.3),
    "team_communication": ("repo@270", "repo@234", True, 0.3),
    "customer_insight": ("team@162", "rnd", False, 0.15),
    "product_briefing": ("production", "team@198", False, 0.15),
    "customer_voice": ("customers", "team@342", False, 0.15),
    "customer_education": ("team@342", "customers", False, 0.15),
    "crm_records": ("team@270", "crm_db", False, 0.2),
    "supplier_seminars": ("supplier@0", "production", True, 0.3),
    "supplier_dispatch": ("supplier@-1", "production", True, 0.45),
    "buy_knowhow": ("consultancy", "kb", False, 0.12),
    "conferences": ("university", "team@18", True, 0.15),
    "giving_back": ("kb", "university", False, -0.15),
}


def anchor(model, layout: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The layout point (units) an end of a flow's arrow is drawn at (see FLOW_ROUTES)."""
    fixed = {"kb": layout["stores"][0], "crm_db": layout["stores"][1], "rnd": layout["units"][0]}
    fixed |= {"production": layout["units"][1], "customers": layout["customers"][0]}
    if name in fixed:
        return fixed[name]
    kind, _, where = name.partition("@")
    if kind in ("university", "consultancy"):
        rows = np.flatnonzero(np.asarray(model.sources.kind).astype(str) == kind)
        return layout["sources"][rows[0]] if rows.size else layout["stores"][0]
    if kind == "supplier":
        return layout["suppliers"][int(where)] if len(layout["suppliers"]) else layout["units"][1]
    angle, _, inner = where.partition(":")
    centres = layout["repositories"] / 1.5
    theta = np.deg2rad(float(angle))
    t = int(np.argmax(centres @ np.array([np.cos(theta), np.sin(theta)])))  # the team nearest the angle
    if kind == "repo":
        return layout["repositories"][t]
    if kind == "member":
        b = np.deg2rad(float(inner))
        return centres[t] + 0.22 * np.array([np.cos(b), np.sin(b)])
    return centres[t]


def flow_arrows(model, layout: dict[str, np.ndarray], channels) -> tuple[list[dict], list[dict]]:
    """This week's transfers as arrows on the organization map, one per channel that moved anything:
    width on one linear scale, colour by SECI mode, both heads for a two-way channel, and a label with
    the channel's name and count. Returns (arrows, labels)."""
    counts = {c.name: int(model.stats[f"transfers_{c.name}"]) for c in channels}
    top = max(max(counts.values(), default=0), 1)
    arrows, labels = [], []
    for c in channels:
        if c.name not in FLOW_ROUTES or counts[c.name] <= 0:
            continue
        start, end, both, bend = FLOW_ROUTES[c.name]
        p0, p2 = to_px(anchor(model, layout, start))[0], to_px(anchor(model, layout, end))[0]
        normal = np.array([p0[1] - p2[1], p2[0] - p0[0]])  # the chord turned by 90 degrees
        ctrl = (p0 + p2) / 2 + bend * normal
        p0 = p0 + 9 * _unit(ctrl - p0) if both else p0 + 5 * _unit(ctrl - p0)  # stop short of the nodes
        p2 = p2 + 11 * _unit(ctrl - p2)
        mid = 0.25 * p0 + 0.5 * ctrl + 0.25 * p2
        arrows.append(
            {
                "d": f"M{p0[0]:.1f},{p0[1]:.1f}Q{ctrl[0]:.1f},{ctrl[1]:.1f} {p2[0]:.1f},{p2[1]:.1f}",
                "stroke": SECI_COLORS[c.seci],
                "width": round(1.5 + 7.5 * counts[c.name] / top, 1),
                "head": list(SECI_COLORS).index(c.seci),
                "both": both,
                "tip": f"{c.label}, {counts[c.name]:,} beliefs changed this week ({c.seci})",
                "channel": c.name,
            }
        )
        labels.append({**_label(mid[0], mid[1] + 4, f"{c.title} {counts[c.name]:,}", 10), "halo": True})
    return arrows, labels


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(*v))
    return v / n if n else v


# --- the customers --------------------------------------------------------------------------------

CUSTOMER_SIZE = (780, 430)
CUSTOMER_PLOT = (64, 40, 540, 360)  # left, top, right, bottom of the scatter (px)
CUSTOMER_SAMPLE = 400


def customer_sample(model, size: int = CUSTOMER_SAMPLE) -> np.ndarray:
    """Rows of an evenly spread sample of the customers won so far (no random draws)."""
    n = model.n_customers
    return np.arange(0, n, max(1, n // size)) if n else np.empty(0, dtype=np.int64)


def _axis_lines(lo_x, hi_x, lo_y, hi_y, fx, fy, xticks, yticks) -> tuple[str, list[dict]]:
    """Frame, ticks and tick labels of a plot area (``fx``/``fy`` map data to px)."""
    left, right, top, bottom = fx(lo_x), fx(hi_x), fy(hi_y), fy(lo_y)
    d = f"M{left:.1f},{top:.1f}L{left:.1f},{bottom:.1f}L{right:.1f},{bottom:.1f}"
    labels = []
    for t in xticks:
        d += f"M{fx(t):.1f},{bottom:.1f}l0,4"
        labels.append(_label(fx(t), bottom + 16, f"{t:g}", 11))
    for t in yticks:
        d += f"M{left:.1f},{fy(t):.1f}l-4,0"
        labels.append(_label(left - 7, fy(t) + 4, f"{t:g}", 11, anchor="end"))
    return d, labels


def customer_map(model, selected: tuple[str, int] | None = None) -> dict:
    """A sample of customers by relationship strength and satisfaction (churned ones as grey crosses),
    each hoverable and clickable, and the counts by status."""
    C = model.customers
    left, top, right, bottom = CUSTOMER_PLOT

    def fx(v):
        return left + (right - left) * np.asarray(v, dtype=float)

    def fy(v):
        return bottom - (bottom - top) * (np.asarray(v, dtype=float) + 1.05) / 2.1

    rows = customer_sample(model)
    if selected is not None and selected[0] == "customer" and 0 <= selected[1] < model.n_customers:
        rows = np.union1d(rows, [selected[1]])  # the inspected customer is always drawn
    status = C.status[rows]
    xs, ys = fx(C.relationship[rows]), fy(C.satisfaction[rows])
    fills = colours(C.satisfaction[rows], SATISFACTION_CMAP, -1.0, 1.0)
    names = {int(s): s.name.lower() for s in CustomerStatus}
    points = []
    order = np.argsort(status == int(CustomerStatus.ACTIVE), kind="stable")  # active customers on top
    for i in order:
        row, st = int(rows[i]), int(status[i])
        tip = (
            f"customer {row}, {names[st]}, segment {C.segment[row]}, team {C.team[row]}: satisfaction "
            f"{C.satisfaction[row]:+.2f}, relationship {C.relationship[row]:.2f}, {C.products[row]} products"
        )
        if st == int(CustomerStatus.CHURNED):
            points.append(point(marker("cross", xs[i], ys[i], 3.2), "none", tip, "customer", row, CHURNED_GREY, 1.2))
        else:
            points.append(point(marker("circle", xs[i], ys[i], 3.6), fills[i], tip, "customer", row, "white", 0.4))
        if selected is not None and tuple(selected) == ("customer", row):
            points[-1]["selected"] = True
    points.sort(key=lambda p: p.get("selected", False))  # the inspected one on top
    frame, labels = _axis_lines(0, 1, -1.05, 1.05, fx, fy, [0, 0.25, 0.5, 0.75, 1], [-1, -0.5, 0, 0.5, 1])
    mid = float(model.scenario.get("market.referral_midpoint"))
    lines = [
        {"d": frame, "stroke": "#444444", "width": 1.0},
        {"d": f"M{left},{fy(mid):.1f}L{right},{fy(mid):.1f}", "stroke": "#555555", "width": 0.8, "dash": "2 3"},
    ]
    labels += [
        _label((left + right) / 2, bottom + 34, "relationship strength"),
        _label(right - 4, fy(mid) - 5, "half refer others", 9, anchor="end"),
        _label(
            CUSTOMER_SIZE[0] / 2,
            20,
            f"Customers at week {model.steps} (sample of {rows.size}): relationship and satisfaction",
            15,
            True,
        ),
        {**_label(18, (top + bottom) / 2, "satisfaction"), "rotate": True},
    ]
    # counts by status as bars
    s = model.stats
    counts = [
        ("active", s["active_customers"], "#1a9850"),
        ("churned", s["churned_total"], CHURNED_GREY),
        ("prospects", s["prospects"], "#74add1"),
    ]
    top_count = max(max(c for _, c, _ in counts), 1)
    for k, (name, count, colour) in enumerate(counts):
        x0, h = 590 + 62 * k, (bottom - top - 20) * count / top_count
        d = f"M{x0},{bottom}h44v{-h:.1f}h-44Z"
        points.append(point(d, colour, f"{name}: {count:,}", stroke="none", sw=0))
        labels += [_label(x0 + 22, bottom - h - 5, f"{count:,}", 11), _label(x0 + 22, bottom + 16, name, 11)]
    labels.append(_label(683, top + 2, "by status", 12, True))
    return {"width": CUSTOMER_SIZE[0], "height": CUSTOMER_SIZE[1], "points": points, "lines": lines, "labels": labels}


# --- line charts ------------------------------------------------------------------------------------

CHART_SIZE = (600, 330)
CHART_PLOT = (52, 34, 585, 250)  # left, top, right, bottom (px)


def line_chart(title: str, weeks, series: list[tuple], ylim: tuple[float, float], ylabel: str = "") -> str:
    """An SVG line chart of ``series`` -- ``(label, values, colour, dashed)`` -- over ``weeks``, with the
    latest value of each in the legend; NaN values leave a gap."""
    from html import escape

    left, top, right, bottom = CHART_PLOT
    weeks = np.asarray(weeks, dtype=float)
    x_hi = max(10.0, float(weeks.max()) if weeks.size else 0.0)
    lo, hi = ylim

    def fx(v):
        return left + (right - left) * np.asarray(v, dtype=float) / x_hi

    def fy(v):
        return bottom - (bottom - top) * (np.asarray(v, dtype=float) - lo) / (hi - lo)

    xticks = [t for t in MaxNLocator(6, integer=True).tick_values(0, x_hi) if 0 <= t <= x_hi]
    yticks = [t for t in MaxNLocator(5).tick_values(lo, hi) if lo <= t <= hi]
    frame, labels = _axis_lines(0, x_hi, lo, hi, fx, fy, xticks, yticks)
    grid = "".join(f"M{left},{fy(t):.1f}L{right},{fy(t):.1f}" for t in yticks)
    out = [
        f"<svg viewBox='0 0 {CHART_SIZE[0]} {CHART_SIZE[1]}' width='100%'"
        " style='display: block; font-family: sans-serif'>",
        f"<path d='{grid}' stroke='#e6e6e6' stroke-width='1'/>",
        f"<path d='{frame}' stroke='#444' stroke-width='1' fill='none'/>",
    ]
    legend_y = bottom + 46
    x_legend = float(left)
    for label, values, colour, dashed in series:
        v = np.asarray(values, dtype=float)
        px, py = fx(weeks), fy(np.clip(v, lo, hi))
        d, pen = "", "M"
        for a, b, ok in zip(px, py, np.isfinite(v)):
            if ok:
                d += f"{pen}{a:.1f},{b:.1f}"
                pen = "L"
            else:
                pen = "M"
        dash = " stroke-dasharray='6 4'" if dashed else ""
        out.append(f"<path d='{d}' stroke='{colour}' stroke-width='2' fill='none'{dash}/>")
        last = v[np.isfinite(v)][-1] if np.isfinite(v).any() else np.nan
        text = f"{label}: {last:.2f}"
        if x_legend + 28 + 6.5 * len(text) > CHART_SIZE[0]:
            x_legend, legend_y = float(left), legend_y + 18
        out.append(f"<path d='M{x_legend},{legend_y - 4}h20' stroke='{colour}' stroke-width='2.5'{dash}/>")
        labels.append(_label(x_legend + 25, legend_y, text, 11, anchor="start"))
        x_legend += 40 + 6.5 * len(text)
    labels += [_label((left + right) / 2, bottom + 30, "week", 11), _label(CHART_SIZE[0] / 2, 18, title, 13, True)]
    if ylabel:
        labels.append({**_label(14, (top + bottom) / 2, ylabel, 11), "rotate": True})
    for t in labels:
        rotate = f" transform='rotate(-90 {t['x']} {t['y']})'" if t.get("rotate") else ""
        weight = " font-weight='bold'" if t["bold"] else ""
        out.append(
            f"<text x='{t['x']}' y='{t['y']}' text-anchor='{t['anchor']}' font-size='{t['size']}'{weight}"
            f" fill='#333'{rotate}>{escape(t['text'])}</text>"
        )
    out.append("</svg>")
    return "".join(out)
