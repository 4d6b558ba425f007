"""Firing: the Backend protocol, the firing table and its encoding, durable_rules limits, the backends."""
