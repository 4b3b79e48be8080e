"""Angles to verdicts: the check registry, the per-frame verdicts, the stretch library."""
