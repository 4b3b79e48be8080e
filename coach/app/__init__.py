"""The Streamlit app layer: the only part of the project that imports streamlit."""
