"""The dashboard's pages, routed by ``dashboard/app.py``."""
