"""docs/ODD.md's tables are made from the declarations and must be current."""

from sim.config.docs import GENERATED, ODD, render


def test_odd_generated_tables_are_current():
    text = ODD.read_text(encoding="utf-8")
    for name in GENERATED:
        assert f"<!-- generated: {name} -->" in text, name
    assert render(text) == text, "docs/ODD.md is stale: run `python -m sim.config.docs`"


def test_odd_describes_every_channel_in_registry_order():
    from sim.engine.channels import CHANNEL_NAMES

    text = ODD.read_text(encoding="utf-8")
    section = text[text.index("### 7.5 Transfer channels") : text.index("### 7.6")]
    found = [n for n in CHANNEL_NAMES if f"\n| `{n}` |" in section]  # a row per channel
    assert found == list(CHANNEL_NAMES)
    assert sorted(CHANNEL_NAMES, key=lambda n: section.index(f"\n| `{n}` |")) == list(CHANNEL_NAMES)
