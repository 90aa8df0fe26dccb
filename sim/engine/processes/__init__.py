"""The processes of one week, each a small module; :mod:`sim.engine.schedule` puts them in order."""
