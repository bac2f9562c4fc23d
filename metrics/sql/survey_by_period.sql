-- NPS, CSAT and CLI counts per period (and segment value) of the filter's range, every
-- response counted in its period; a period without responses gets zero counts.
-- NPS: promoters (9-10), passives (7-8), detractors (0-6) of the responses with a 0-10
-- score. CSAT: of the 1-5 answers, the satisfied (4 or 5). CLI: per response the mean of
-- its three 1-6 answers, when all three are given (seed); their mean, spread (SD) and the
-- mean of each question over the same responses.
--
-- Placeholders in curly brackets are engine expressions filled in by
-- metrics/satisfaction.py; every user value is a bound $parameter.
WITH
{responses},
scored AS (
    SELECT period_index, group_value, nps_score, csat_score, cli_q1, cli_q2, cli_q3,
        (cli_q1 + cli_q2 + cli_q3) / 3.0 AS cli_score
    FROM responses
),
counts AS (
    SELECT period_index, group_value,
        COUNT(nps_score) AS responses,
        COUNT(*) FILTER (WHERE nps_score >= 9) AS promoters,
        COUNT(*) FILTER (WHERE nps_score BETWEEN 7 AND 8) AS passives,
        COUNT(*) FILTER (WHERE nps_score <= 6) AS detractors,
        COUNT(csat_score) AS csat_responses,
        COUNT(*) FILTER (WHERE csat_score >= 4) AS satisfied,
        COUNT(cli_score) AS cli_responses,
        AVG(cli_score) AS cli,
        STDDEV_SAMP(cli_score) AS cli_sd,
        AVG(CASE WHEN cli_score IS NOT NULL THEN cli_q1 END) AS cli_recommend,
        AVG(CASE WHEN cli_score IS NOT NULL THEN cli_q2 END) AS cli_buy_again,
        AVG(CASE WHEN cli_score IS NOT NULL THEN cli_q3 END) AS cli_other_products
    FROM scored
    GROUP BY period_index, group_value
),
series AS (
    SELECT {period_series}
),
groups AS (
    {groups}
)
SELECT
    {period_start} AS period_start,
    {period_end} AS period_end,
    g.group_value,
    CAST(COALESCE(c.responses, 0) AS BIGINT) AS responses,
    CAST(COALESCE(c.promoters, 0) AS BIGINT) AS promoters,
    CAST(COALESCE(c.passives, 0) AS BIGINT) AS passives,
    CAST(COALESCE(c.detractors, 0) AS BIGINT) AS detractors,
    CAST(COALESCE(c.csat_responses, 0) AS BIGINT) AS csat_responses,
    CAST(COALESCE(c.satisfied, 0) AS BIGINT) AS satisfied,
    CAST(COALESCE(c.cli_responses, 0) AS BIGINT) AS cli_responses,
    c.cli, c.cli_sd, c.cli_recommend, c.cli_buy_again, c.cli_other_products,
    ({period_start} >= $data_first_day AND {period_end} <= $data_last_day) AS complete
FROM series AS s
CROSS JOIN groups AS g
LEFT JOIN counts AS c
    ON c.period_index = s.period_index AND c.group_value IS NOT DISTINCT FROM g.group_value
ORDER BY s.period_index, g.group_value
