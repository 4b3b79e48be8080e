"""The script Streamlit runs for the installed coach (``coach app``), alone in its folder with
its ``.streamlit/config.toml``: Streamlit reads that file as the script's own settings and
puts this folder on ``sys.path``, where nothing else of the package should become importable
under a bare name."""
