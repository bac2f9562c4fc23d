"""The Satisfaction page's "How is this computed?" under its cards, as on the Overview:
computed only when asked, it shows the inputs of the card's value, the SQL with its
parameters and the answers behind it.

The hand-worked survey of tests/test_satisfaction.py, January to April 2025: the cards show
April, the latest complete period. April: 4 NPS answers (10, 9, 8, 9): 3 promoters, no
detractor, NPS 75; 3 CSAT answers (5, 5, 4), all satisfied: 100%; 3 CLI answers (6, 6, 6),
(6, 5, 6), (4, 5, 3): 6, 17/3, 4, mean 47/9. The whole range: 10 answers, promoters
2 + 0 + 3 = 5, detractors 2: NPS (5 - 2) / 10 x 100 = +30.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_app import open_app, unescaped
from tests.test_app_explain import LABEL
from tests.test_app_satisfaction import PAGE, survey_db, survey_query

__all__ = ["survey_db"]  # the fixture, used by name

# Each card's metric id, its inputs by label and the number of answers behind it.
BY_HAND = [
    ("nps_overall", {"Answers": 10, "Promoters (9-10)": 5, "Detractors (0-6)": 2}, 10),
    ("nps", {"Answers": 4, "Promoters (9-10)": 3, "Detractors (0-6)": 0}, 4),
    ("csat", {"Answers": 3, "Satisfied answers (4-5)": 3}, 3),
    ("cli", {"Answers to all three questions": 3, "CLI": 47 / 9}, 3),
]


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text.split(" of ")[0]))


def test_every_satisfaction_card_explains_its_value_when_asked(survey_db: Path) -> None:
    app = open_app(survey_query(survey_db), page=PAGE)
    expanders = [e for e in app.expander if e.label == LABEL]
    # these cards first, then the latest answers' NPS card and the page's eight charts
    # (tests/test_app_explain_satisfaction.py)
    assert len(expanders) == len(BY_HAND) + 9
    assert not any(code for e in expanders for code in e.code)  # nothing computed yet
    for metric_id, _, _ in BY_HAND:
        app.toggle(key=f"explain_{metric_id}").set_value(True)
    app.run()
    assert not app.exception, app.exception
    expanders = [e for e in app.expander if e.label == LABEL][:len(BY_HAND)]
    for (metric_id, inputs, answers), expander in zip(BY_HAND, expanders, strict=True):
        lines = [unescaped(c.value).split(" = ") for c in expander.caption
                 if " = " in unescaped(c.value) and not c.value.startswith("Formula")]
        shown = {label: _number(value) for label, value in lines}
        assert shown == {k: pytest.approx(v, abs=0.005) for k, v in inputs.items()}, metric_id
        sql, parameters = (code.value for code in expander.code[:2])
        if metric_id == "nps_overall":
            assert "explained_period_start" not in parameters
        else:
            assert "WHERE survey.period_start = $explained_period_start" in sql
            assert '"explained_period_start": "2025-04-01"' in parameters
        rows = expander.dataframe[0].value
        assert len(rows) == answers, metric_id
        assert not [c for c in rows.columns if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", c)]
