"""The coach's Streamlit app: its pages and the frame every page shares.

Streamlit runs a script from top to bottom on every rerun, so the app is a function the
script calls: the checkout's ``app.py`` (``./dev app``) and the installed package's
``coach/app/entry/streamlit_app.py`` (``coach app``) are the same two lines."""

from __future__ import annotations

from importlib.resources import files

import streamlit as st

from coach.app import analyze_page, live_page, replay_page, review

# The tab icon is a file served by the app itself: a ":material/...:" page icon makes the
# browser fetch an SVG from fonts.gstatic.com on every page load (nothing may leave the machine).
ICON = str(files("coach.app") / "icon.png")


def run() -> None:
    """Draw the page the browser asked for (one script run)."""
    st.set_page_config(page_title="Hamstring stretch coach", page_icon=ICON, layout="wide")
    # Streamlit leaves about 140 px blank above every page; the coach's pages start at the top.
    st.html("<style>[data-testid='stMainBlockContainer']{padding-top:1.5rem}</style>")
    pages = {
        # The default page is served at the root and its own url_path is never reachable, so
        # /live (a bookmark, a link in the README) is a hidden second door to the same page.
        "live": st.Page(live_page.render, title="Live", icon=":material/videocam:", url_path="coach", default=True),
        "live-link": st.Page(live_page.render, title="Live", icon=":material/videocam:", url_path="live",
                             visibility="hidden"),
        "sessions": st.Page(review.render, title="Sessions", icon=":material/history:", url_path="sessions"),
        "replay": st.Page(replay_page.render, title="Replay", icon=":material/replay:", url_path="replay"),
        "analyze": st.Page(analyze_page.render, title="Analyse a video", icon=":material/upload_file:",
                           url_path="analyze"),
    }
    st.session_state.pages = pages
    st.navigation(list(pages.values())).run()
