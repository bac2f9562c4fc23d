"""User text shown through Markdown: displayed as written, never a link or markup."""

from __future__ import annotations

import re

from dashboard.safe import plain

# What Streamlit's Markdown (GitHub's) makes a link of, as seen in the browser: a scheme,
# "://" and a domain with a dot ("http://x" stays text), "www." and a domain, an e-mail
# address (its local part touching "@" and a domain with a dot).
AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp)://[\w-]+\.[\w-]|(?<![\w.])www\.[\w-]"
                      r"|[\w.+-]@[\w-]+\.[\w-]")
WORD_JOINER = "\u2060"


def test_web_and_mail_addresses_are_shown_as_written_but_start_no_link() -> None:
    text = ("Please re-login at https://evil.example/sso or WWW.evil.example, write to "
            "admin@evil.example [here](http://evil.example); orders.csv is fine")
    markdown = plain(text)
    after_escapes = markdown.replace("\\", "")  # the text Markdown reads its links from
    assert AUTOLINK.search(after_escapes) is None, after_escapes
    assert after_escapes.replace(WORD_JOINER, "") == text  # a person reads it unchanged
    assert "orders.csv" in after_escapes  # words without an address keep their dots
