"""Learning by doing: where knowledge comes from in the first place."""

from __future__ import annotations

from sim.config.params import share
from sim.engine.knowledge import code_learning, socialization
from sim.engine.process import Process


class LearningByDoing(Process):
    """People learn their own domain from reality by working: the front line service know-how
    (process items), R&D and production staff the product items, suppliers the supply items,
    universities and consultancies the product and process items. Outside experts follow their field
    more closely than the firm's staff (``organization.expert_experience``), so under turbulence they
    hold fresher knowledge than the firm can find inside -- what buying know-how and conferences are
    for. Production learns supply items only from suppliers (seminars, dispatched staff). Units
    document what their staff agree on. Not a transfer channel: nothing moves between holders.
    Relationships with suppliers and outside sources fade without exchange."""

    name = "learning"
    streams = ("learning",)
    params = (
        share(
            "knowledge.experience",
            0.04,
            "Weekly chance to learn an item of one's own domain by doing",
            source="assumption",
        ),
        share(
            "organization.unit_documentation",
            0.1,
            "Rate (x (1 - tacitness)) at which R&D and production document their staff's majority view",
            source="assumption",
        ),
        share(
            "organization.expert_experience",
            0.15,
            "Weekly chance that a supplier or outside expert learns an item of its field by doing",
            source="assumption (experts track change in their field: Xie 3.3.3)",
        ),
        share(
            "organization.partner_relationship_decay",
            0.01,
            "Weekly fading of relationships with suppliers and outside sources without exchange",
            source="assumption (reciprocity keeps access: Xie 3.3.3)",
        ),
    )

    def step(self) -> None:
        m, p, rng = self.model, self.p, self.rng
        space, E, st, rate = m.space, m.employees, m.unit_staff, p["knowledge.experience"]
        socialization(E.beliefs, m.reality * space.mask("process"), rate * E.absorb[:, None], rng)
        socialization(st.beliefs, m.reality * space.mask("product"), rate, rng)
        expert = p["organization.expert_experience"]
        socialization(m.suppliers.beliefs, m.reality * space.mask("supply"), expert, rng)
        socialization(m.sources.beliefs, m.reality * space.mask("product", "process"), expert, rng)
        code_learning(
            m.units.beliefs,
            st.beliefs,
            p["organization.unit_documentation"] * (1.0 - space.tacitness),
            rng,
            group=st.unit,
        )
        fading = 1.0 - p["organization.partner_relationship_decay"]
        m.suppliers.relationship *= fading
        m.sources.relationship *= fading
