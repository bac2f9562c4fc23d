-- The engine's worker threads: one pool for every query of the database at once.
SET threads = $threads
