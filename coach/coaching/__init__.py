"""Verdicts to coaching: the engine's stages, the hold timer, cues, the frame result."""
