"""Shared pytest options."""

import os


def pytest_addoption(parser):
    parser.addoption("--run-render", action="store_true",
                     help="also re-render a sample clip and compare it with the committed one (slow)")


def pytest_configure(config):
    if config.getoption("--run-render"):
        os.environ["COACH_RUN_RENDER"] = "1"
