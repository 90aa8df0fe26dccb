"""March (1991) written "the usual Mesa way": the speed baseline the engine is compared with.

One ``mesa.Agent`` per individual with its beliefs as a Python list and a ``step()`` method,
Python loops over the dimensions, a ``mesa.Model`` holding reality and the code. Same rules as
``sim.validation.march1991`` (fixed horizon); nothing imported from ``sim``.
"""

from __future__ import annotations

import mesa


class Individual(mesa.Agent):
    """A member of the organization: beliefs in {-1, 0, 1} on each dimension."""

    def __init__(self, model: MarchModel, p1: float) -> None:
        super().__init__(model)
        self.p1 = p1
        self.beliefs = self.naive_beliefs()
        self.actions: list[int] = []
        self.performance = 0

    def naive_beliefs(self) -> list[int]:
        return [self.random.choice((-1, 0, 1)) for _ in range(self.model.m)]

    def act(self) -> None:
        """A belief of 0 acts as a fair coin flip; performance = sum(action * reality)."""
        self.actions = [b if b != 0 else (-1 if self.random.random() < 0.5 else 1) for b in self.beliefs]
        self.performance = sum(a * r for a, r in zip(self.actions, self.model.reality))

    def step(self) -> None:
        """Socialization: gradual, each differing dimension with p1 where the code is non-zero."""
        code = self.model.code
        for j in range(self.model.m):
            c = code[j]
            if c != 0 and self.beliefs[j] != c and self.random.random() < self.p1:
                self.beliefs[j] = c if self.beliefs[j] == 0 else 0


class MarchModel(mesa.Model):
    def __init__(
        self,
        n: int = 50,
        m: int = 30,
        p1: float = 0.5,
        p2: float = 0.5,
        p3: float = 0.0,
        p4: float = 0.0,
        rng: int | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.m, self.p2, self.p3, self.p4 = m, p2, p3, p4
        self.reality = [1 if self.random.random() < 0.5 else -1 for _ in range(m)]
        self.code = [0] * m
        Individual.create_agents(self, n, p1=p1)

    def code_score(self) -> int:
        return sum(c * r for c, r in zip(self.code, self.reality))

    def step(self) -> None:
        # turbulence
        for j in range(self.m):
            if self.random.random() < self.p4:
                self.reality[j] = -self.reality[j]
        # turnover
        for agent in self.agents:
            if self.random.random() < self.p3:
                agent.beliefs = agent.naive_beliefs()
        # individuals act; the superior group beats the code
        self.agents.do("act")
        code_score = self.code_score()
        superior = self.agents.select(lambda a: a.performance > code_score)
        # socialization (agents' step), then the code learns from the pre-socialization actions
        self.agents.shuffle_do("step")
        for j in range(self.m):
            k = sum(a.actions[j] for a in superior)  # #(+1) - #(-1)
            majority = (k > 0) - (k < 0)
            if majority != 0 and majority != self.code[j]:
                if self.random.random() < 1.0 - (1.0 - self.p2) ** abs(k):
                    self.code[j] = majority

    def code_proportion(self) -> float:
        return sum(c == r for c, r in zip(self.code, self.reality)) / self.m


def run_mesa(
    n: int, m: int, periods: int, p1: float, p2: float, p3: float = 0.0, p4: float = 0.0, seed: int = 0
) -> dict:
    model = MarchModel(n=n, m=m, p1=p1, p2=p2, p3=p3, p4=p4, rng=seed)
    for _ in range(periods):
        model.step()
    return {"code_proportion": model.code_proportion(), "code_score": model.code_score() / m}
