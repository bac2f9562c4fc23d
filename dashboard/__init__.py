"""LoyaltyLens Streamlit UI: pages, widgets and charts over the ``metrics`` engine."""
