"""Prescreen's pure core: the screening model, rules, screeners, banks, policies, verdicts."""
