"""The coach's Streamlit app: ./dev app (or: streamlit run app.py)."""

import streamlit as st

from coach.app import analyze_page, live_page, replay_page, review

st.set_page_config(page_title="Hamstring stretch coach", page_icon=":material/self_improvement:", layout="wide")

pages = {
    "live": st.Page(live_page.render, title="Live", icon=":material/videocam:", url_path="live", default=True),
    "sessions": st.Page(review.render, title="Sessions", icon=":material/history:", url_path="sessions"),
    "replay": st.Page(replay_page.render, title="Replay", icon=":material/replay:", url_path="replay"),
    "analyze": st.Page(analyze_page.render, title="Analyse a video", icon=":material/upload_file:",
                       url_path="analyze"),
}
st.session_state.pages = pages
st.navigation(list(pages.values())).run()
