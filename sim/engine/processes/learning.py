"""Learning by doing: where knowledge comes from in the first place."""

from __future__ import annotations

from sim.config.params import Constant
from sim.engine.knowledge import code_learning, socialization
from sim.engine.process import Process


class LearningByDoing(Process):
    """People learn their own domain from reality by working: the front line service know-how
    (process items), R&D and production staff their product/supply items, suppliers supply items,
    universities and consultancies theirs. Units document what their staff agree on. Not a transfer
    channel: nothing moves between holders. Supplier relationships fade without exchange."""

    name = "learning"
    streams = ("learning",)

    EXPERIENCE = Constant(0.01, "weekly chance to learn an item of one's own domain by doing")
    UNIT_DOCUMENTATION = Constant(0.1, "rate (x (1 - tacitness)) at which a unit documents its staff's majority view")
    SUPPLIER_FADING = Constant(0.995, "weekly factor on supplier relationship strength")

    def step(self) -> None:
        m, rng = self.model, self.rng
        space, E, st = m.space, m.employees, m.unit_staff
        socialization(E.beliefs, m.reality * space.mask("process"), self.EXPERIENCE * E.absorb[:, None], rng)
        socialization(st.beliefs, m.reality[None, :] * m.own_items[st.unit], self.EXPERIENCE, rng)
        socialization(m.suppliers.beliefs, m.reality * space.mask("supply"), self.EXPERIENCE, rng)
        socialization(m.sources.beliefs, m.reality * space.mask("product", "process"), self.EXPERIENCE, rng)
        code_learning(
            m.units.beliefs, st.beliefs, self.UNIT_DOCUMENTATION * (1.0 - space.tacitness), rng, group=st.unit
        )
        m.suppliers.relationship *= self.SUPPLIER_FADING
