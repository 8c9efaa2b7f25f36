"""Prescreen's clients of outside things: model servers, model files, detectors."""
