"""LoyaltyLens engine: ingest, storage and every metric definition (no UI code here)."""
