-- One group's row of the simple CLV (metrics/clv/simple.py, sql/clv_simple.sql): the
-- figure explained and its inputs. The group is NULL without a split.
SELECT {columns}
FROM (
{clv_query}) AS clv
WHERE CAST(clv.group_value AS VARCHAR) IS NOT DISTINCT FROM $explained_group
