-- The engine's memory for every query of the database at once; beyond it DuckDB spills to disk.
SET memory_limit = $memory_limit
