"""Generator of the opscontext demo world: Larkspur Outfitters, mid-incident.

Every module here is pure data-building; only ``make_demo_world.py`` writes files. All randomness
comes from one seeded ``random.Random`` and all times from ``ANCHOR``, so output is byte-stable.
"""
