"""formcheck's app: ``streamlit run app.py`` serves the pages and the live pose socket.

The pages are in ``streamlit_app.py`` (and :mod:`formcheck.ui`); this file adds, on the same
server and port, the routes of the in-browser live check (:mod:`formcheck.browser_live`): its
static page with the pose model, and the WebSocket that takes landmarks. Its lifespan
(:func:`formcheck.jobs.uploads.lifespan`) resumes the analysis jobs a stopped app left and
stops the local worker processes with the app.
"""

import streamlit as st

from formcheck.browser_live import routes
from formcheck.jobs.uploads import lifespan

app = st.App("streamlit_app.py", routes=routes(), lifespan=lifespan)
