"""Shared pytest options."""

import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--run-render", action="store_true",
                     help="also re-render a sample clip and compare it with the committed one (slow)")


def pytest_configure(config):
    if config.getoption("--run-render"):
        os.environ["COACH_RUN_RENDER"] = "1"


@pytest.fixture(scope="session")
def six_weeks(tmp_path_factory):
    """Six weeks of sessions made through the engine (tests/six_weeks.py), built once per run:
    ``(data folder, what was constructed)``. Tests that change the folder copy it first."""
    from six_weeks import make_history

    folder = tmp_path_factory.mktemp("six-weeks") / "coach-data"
    return folder, make_history(folder)


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Streamlit's AppTest runs a page as ``__main__`` and leaves it there; a process pool
    started later (spawn) would run that page again in each worker and die. Put pytest's own
    main module back after every test, as a real process has one main module."""
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
