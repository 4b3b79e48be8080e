"""The coach's pages, as ``coach app`` serves them (coach.app.launch)."""

from coach.app.main import run

run()
