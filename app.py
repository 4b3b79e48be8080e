"""The coach's Streamlit app from the checkout: ./dev app (or: streamlit run app.py).

The pages live in the package (coach.app.main), so that the installed ``coach app`` runs the
same ones; Streamlit reads the settings from .streamlit/config.toml here."""

from coach.app.main import run

run()
