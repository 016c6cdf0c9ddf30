"""formcheck's Streamlit app: ``streamlit run app.py``.

Pages: start (instructions, approach, dosage), live self-check with the
webcam, and uploaded or sample video. The pages live in :mod:`formcheck.ui`.
"""

import streamlit as st

from formcheck.ui import common, live_page, start_page, upload_page

st.set_page_config(page_title="Formcheck", layout="wide")
choices = common.sidebar()
pages = [
    st.Page(lambda: start_page.render(choices), title=choices.t("page_start"),
            url_path="start", default=True, icon=":material/home:"),
    st.Page(lambda: live_page.render(choices), title=choices.t("page_live"),
            url_path="live", icon=":material/videocam:"),
    st.Page(lambda: upload_page.render(choices), title=choices.t("page_video"),
            url_path="video", icon=":material/upload_file:"),
]
st.navigation(pages, position="top").run()
