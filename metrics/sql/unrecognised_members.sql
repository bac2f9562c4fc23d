-- Orders of [$selection_start, $selection_end] in the segment filter whose Loyalty member
-- value is neither a yes nor a no word ({words}: the words, each a bound $parameter),
-- counted as not a member (metrics/loyalty.py, programme_comparison), with the
-- alphabetically first such value as an example.
--
-- Placeholders in curly brackets are quoted identifiers, the segment condition and the bound
-- word list filled in by metrics/loyalty.py; every user value is a bound $parameter.
SELECT count(*) AS orders, min(trim(CAST(loyalty_member AS VARCHAR))) AS example
FROM {orders_table}
WHERE order_date BETWEEN $selection_start AND $selection_end AND ({segment_filter})
    AND NULLIF(trim(CAST(loyalty_member AS VARCHAR)), '') IS NOT NULL
    AND lower(trim(CAST(loyalty_member AS VARCHAR))) NOT IN ({words})
