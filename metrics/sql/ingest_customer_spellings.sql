-- Customer ids that differ only in letter case or spaces: how many folded ids several
-- spellings share, and one example (the spellings of the first, "A / a"). Each id is
-- folded once; the spellings are listed only for the folded ids shared by several.
-- {target} is the stored table (filled in by metrics/ingest.py).
WITH
ids AS (
    SELECT customer_id, lower(regexp_replace(customer_id, '\s+', '', 'g')) AS folded
    FROM (SELECT DISTINCT customer_id FROM {target}) AS distinct_ids
),
shared AS (
    SELECT folded FROM ids GROUP BY folded HAVING count(*) > 1
)
SELECT count(*), min(example)
FROM (
    SELECT folded, string_agg(customer_id, ' / ' ORDER BY customer_id) AS example
    FROM ids SEMI JOIN shared USING (folded)
    GROUP BY folded
) AS spellings
