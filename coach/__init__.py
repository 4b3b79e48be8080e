"""Webcam coach for hamstring stretches: pose -> smooth -> measure -> judge -> time."""

__version__ = "0.1.0"
