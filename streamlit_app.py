"""formcheck's Streamlit app: ``streamlit run app.py``.

Pages: start (instructions, approach, dosage), live self-check with the webcam, uploaded
or sample video, and clinic mode (login, patients, screening, progress, reports).
The pages live in :mod:`formcheck.ui`.
"""

import streamlit as st

from formcheck.i18n import text
from formcheck.ui import clinic_page, common, live_page, start_page, upload_page

st.set_page_config(page_title="Formcheck", layout="wide")
lang = common.current_lang()
pages = [
    st.Page(lambda: start_page.render(choices), title=text("app.page_start", lang),
            url_path="start", default=True, icon=":material/home:"),
    st.Page(lambda: live_page.render(choices), title=text("app.page_live", lang),
            url_path="live", icon=":material/videocam:"),
    st.Page(lambda: upload_page.render(choices), title=text("app.page_video", lang),
            url_path="video", icon=":material/upload_file:"),
    st.Page(lambda: clinic_page.render(choices.lang), title=text("clinic_ui.page", lang),
            url_path="clinic", icon=":material/local_hospital:"),
]
page = st.navigation(pages, position="top")
choices = common.sidebar(clinic=page.url_path == "clinic")
page.run()
