"""Surge's pure core: records, reporters, windows, baselines, bursts, the stages, the watchdog."""
