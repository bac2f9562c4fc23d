"""The Segments page (``segments.py``, the script the router runs) and its views: RFM segments
(``rfm.py``) and the loyalty tabs (``loyalty.py``)."""
