"""Authoring tools: golden case files, coverage, policy-derived strategies, invariants and fuzz."""
