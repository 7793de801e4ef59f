"""Evaluation harness: validate the gold set, run the real bot over it, score and report."""
