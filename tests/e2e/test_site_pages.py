"""Every page of the statistics site is valid HTML (Nu checker) and passes axe WCAG 2.1 A/AA,
built from the hand-made sample releases and from releases the publisher really wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from publisher.site import build_site
from tests.browser import assert_accessible, vnu_errors
from tests.publisher.published_support import publish_two_releases
from tests.publisher.test_site_support import write_sample_release


@pytest.fixture(scope="module", params=["sample", "published"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from two sample releases, and from two releases ``publish`` wrote."""
    if request.param == "published":
        root = publish_two_releases(tmp_path_factory.mktemp("published"))
    else:
        root = tmp_path_factory.mktemp("releases")
        write_sample_release(root, "1.0.0", "2025-06-01T00:00:00Z")
        write_sample_release(root, "1.1.0")
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(root, out)
    return out


def _pages(site: Path) -> list[Path]:
    """Every page, in English (the root) and in Spanish (es/)."""
    return sorted(
        [
            *site.glob("*.html"),
            *site.glob("archive/*.html"),
            *site.glob("reports/*.html"),
            *site.glob("es/*.html"),
            *site.glob("es/archive/*.html"),
            *site.glob("es/reports/*.html"),
        ]
    )


def test_every_page_passes_the_nu_html_checker(site: Path) -> None:
    pages = _pages(site)
    assert len(pages) >= 32
    assert len([p for p in pages if p.relative_to(site).parts[0] == "es"]) >= 16
    errors = vnu_errors(pages)
    assert not errors, "\n".join(
        f"{e.get('url', '')}:{e.get('lastLine', '')}: {e.get('message', '')}" for e in errors
    )


def test_every_page_passes_axe_in_chromium(site: Path, page: Any) -> None:
    for html in _pages(site):
        page.goto(html.as_uri())
        assert_accessible(page, str(html.relative_to(site)))
