"""formcheck's Streamlit app: ``streamlit run app.py``.

Pages: start (instructions, approach, dosage), live self-check with the webcam, uploaded
or sample video, clinic mode (login, patients, screening, progress, reports), and a
patient's own programme (``/home``, opened with their personal link: that page only).
The pages live in :mod:`formcheck.ui`.
"""

import streamlit as st

from formcheck.i18n import text
from formcheck.ui import clinic_page, common, home_page, live_page, start_page, upload_page

st.set_page_config(page_title="Formcheck", layout="wide")
lang = common.current_lang()
# No page icons: a material icon makes the browser fetch the tab icon from a Google font
# server, and the app makes no request outside itself.
pages = [
    st.Page(lambda: start_page.render(choices), title=text("app.page_start", lang),
            url_path="start", default=True),
    st.Page(lambda: live_page.render(choices), title=text("app.page_live", lang),
            url_path="live"),
    st.Page(lambda: upload_page.render(choices), title=text("app.page_video", lang),
            url_path="video"),
    st.Page(lambda: clinic_page.render(choices.lang), title=text("clinic_ui.page", lang),
            url_path="clinic"),
]
home = st.Page(lambda: home_page.render(choices.lang), title=text("home.page", lang),
               url_path="home")
# A patient's personal link shows their programme without the menu (the other pages stay
# reachable by address: /home must not be the default page, whose address is /).
page = st.navigation([*pages, home],
                     position="hidden" if home_page.is_patient_visit() else "top")
choices = common.sidebar(clinic=page.url_path in ("clinic", "home"),
                         patient=page.url_path == "home")
page.run()
