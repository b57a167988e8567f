"""Seed catalogue for the demo and for a fresh installation: regions, qualification types and
the service item list (the first of the three lists, RULES.md §1). Plain Python data so it is
reviewed like code and loaded by market/demo.py through the catalogue operations."""
