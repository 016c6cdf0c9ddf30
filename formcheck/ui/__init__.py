"""The Streamlit app's pages: widgets arranged around the formcheck package."""
