-- The condition of a cohort of the date range (sql/cohort_cells*.sql): the period of the
-- customers' first purchase, {cohort}, is one of the range's periods.
{cohort} BETWEEN $first_index AND $last_index
