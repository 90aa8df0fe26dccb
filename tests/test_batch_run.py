"""The model stays usable by mesa.batch_run (DESIGN.md traps: we do not build sweeps on it).

batch_run is imported in a subprocess: importing it switches multiprocessing to 'spawn' for the
whole process, which must not leak into the other tests.
"""

import subprocess
import sys
import textwrap


def test_batch_run_drives_the_model():
    code = textwrap.dedent("""
        import mesa
        from sim import CRMKnowledgeModel, load_scenario
        sc = load_scenario("baseline").with_params({"market.initial_customers": 200,
                                                     "market.market_potential": 200})
        rows = mesa.batch_run(CRMKnowledgeModel, parameters={"scenario": [sc], "rng": [1, 2]},
                              iterations=1, max_steps=3, number_processes=1, data_collection_period=1,
                              display_progress=False)
        by_seed = {}
        for r in rows:
            assert r["active_customers"] == 200 + r["acquired_total"] - r["churned_total"]
            by_seed.setdefault(r["rng"], []).append(r["knowledge_individual"])
        assert sorted(by_seed) == [1, 2]
        assert by_seed[1] != by_seed[2]
        print("ok", len(rows))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")
