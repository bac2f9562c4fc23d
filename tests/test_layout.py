"""Where page code lives: every page and every view a page draws sit under
``dashboard/app_pages/``, and the router's pages exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

DASHBOARD = Path(__file__).parent.parent / "dashboard"


def _page_views(path: Path) -> list[str]:
    """Functions that draw a page's view: named ``*_view`` and given the page's ``View``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_view")
            and any(isinstance(a.annotation, ast.Name) and a.annotation.id == "View"
                    for a in node.args.args)]


def test_page_views_sit_with_the_pages() -> None:
    pages = DASHBOARD / "app_pages"
    outside = {path.name: views for path in DASHBOARD.rglob("*.py")
               if pages not in path.parents and (views := _page_views(path))}
    assert outside == {}
    inside = {path.relative_to(pages).as_posix() for path in pages.rglob("*.py")
              if _page_views(path)}
    assert inside == {"segments/rfm.py", "segments/loyalty.py"}


def test_the_router_runs_pages_that_exist() -> None:
    routed = re.findall(r'st\.Page\("([^"]+)"', (DASHBOARD / "app.py").read_text("utf-8"))
    # six pages, the Alerts page (issue 19) and the Compare page (issue 20)
    assert len(routed) == 8
    for page in routed:
        assert (DASHBOARD / page).is_file(), page
        assert page.startswith("app_pages/"), page
    # the page file's name is its URL: links to /segments keep working
    assert "app_pages/segments/segments.py" in routed
