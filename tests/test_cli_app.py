"""`coach app` and `coach --version` without starting anything: what the command line says to
Streamlit, and that the settings it relies on are the ones ./dev app uses. The installed
command is run for real in tests/test_installed_wheel.py."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

import coach
from coach.app.launch import CONFIG, SCRIPT, streamlit_command
from coach.app.upload import MAX_MB
from coach.cli import main

REPO = Path(__file__).resolve().parents[1]


def _flags(command: list[str]) -> dict[str, str]:
    after = command[command.index("run") + 2:]
    return dict(zip(after[::2], after[1::2]))


def test_coach_app_listens_on_loopback_and_sends_no_statistics_whatever_else_is_asked() -> None:
    for port, browser in ((None, True), (8765, False)):
        command = streamlit_command(port, browser)
        assert command[1:5] == ["-m", "streamlit", "run", str(SCRIPT)]
        flags = _flags(command)
        assert flags["--server.address"] == "127.0.0.1"
        assert flags["--browser.gatherUsageStats"] == "false"
        assert flags["--server.headless"] == ("false" if browser else "true")
        assert flags.get("--server.port") == (None if port is None else str(port))


def test_the_settings_ship_beside_the_script_and_are_the_checkouts_own() -> None:
    assert SCRIPT.is_file() and CONFIG.is_file()
    # One file: the checkout's .streamlit/config.toml (./dev app, streamlit run app.py) links to it.
    assert (REPO / ".streamlit" / "config.toml").resolve() == CONFIG.resolve()
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["headless"] is True
    assert config["server"]["showEmailPrompt"] is False  # no terminal prompt when a browser opens
    assert config["server"]["maxUploadSize"] == MAX_MB
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["toolbarMode"] == "minimal"
    assert config["runner"]["postScriptGC"] is False


def test_the_checkout_script_and_the_packaged_one_run_the_same_app() -> None:
    for script in (REPO / "app.py", SCRIPT):
        code = script.read_text()
        assert "from coach.app.main import run" in code and code.rstrip().endswith("run()"), script


def test_coach_app_help_names_its_options() -> None:
    result = CliRunner().invoke(main, ["app", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--no-browser" in result.output


def test_coach_version_is_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"coach, version {coach.__version__}"
