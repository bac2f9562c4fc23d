"""The query toolkit every metric module builds its SQL with.

- :mod:`metrics.query.sql`: SQL building blocks (loading ``metrics/sql/*.sql``, quoting,
  period arithmetic, composing pieces, binding exactly the parameters a query uses);
- :mod:`metrics.query.filters`: :class:`~metrics.query.filters.Filters`, the filter state
  every page and CLI command computes its numbers for, and the span of a dataset's orders;
- :mod:`metrics.query.rfm`: the RFM rule table and window the RFM segment filter uses;
- :mod:`metrics.query.segments`: segment filters and splits as SQL conditions, including
  the RFM segment filter;
- :mod:`metrics.query.orders`: a query over a dataset's orders from a template, with the
  filter state's parameters bound;
- :mod:`metrics.query.splits`: one query split by several segments at once (GROUPING
  SETS over each customer's values);
- :mod:`metrics.query.run`: running a query on the store with exactly the parameters it
  uses.

Imports flow one way inside the package: sql <- filters <- rfm <- segments <- orders,
segments <- splits, and sql <- run.
"""
