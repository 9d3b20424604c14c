"""The statistics site in Spanish: every page, chart, table and the data dictionary, with a switch.

Built from the hand-made sample releases (``test_site_support``), whose figures are checked by
hand in ``test_site.py``; here the same figures must appear in Spanish words and number formats.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    Channel,
    Discipline,
    Finding,
    Gender,
    Race,
)
from publisher.site import build_site
from publisher.site_i18n import CATALOGS, VALUE_LABELS, load_language
from tests.publisher.test_site import PAGES
from tests.publisher.test_site_support import write_sample_release

PUBLISHER = Path(__file__).resolve().parents[2] / "publisher"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w*)\}")
LINK = re.compile(r'<p class="lantern-language"><a href="([^"]+)" hreflang="(\w+)" lang="\w+">')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sample releases (1.0.0 older, 1.1.0 newest) built in every language."""
    root = tmp_path_factory.mktemp("releases")
    write_sample_release(root, "1.0.0", "2025-06-01T00:00:00Z")
    write_sample_release(root, "1.1.0", "2026-01-15T00:00:00Z")
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(root, out)
    return out


def _text(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def _catalog() -> Any:
    with (CATALOGS / "es" / "LC_MESSAGES" / "site.po").open("rb") as handle:
        return read_po(handle)


def _article(html: str) -> str:
    """The page's own content (the theme's chrome left out)."""
    return html.split('<article class="md-content__inner md-typeset">')[1].split("</article>")[0]


def test_every_page_exists_in_spanish_and_says_so(site: Path) -> None:
    for page in [*PAGES, "archive/1.0.0.html"]:
        html = _text(site, f"es/{page}")
        assert '<html lang="es"' in html, page
        assert "Publicación 1.1.0 del 2026-01-15" in html or "Publicación 1.0.0" in html, page
        assert "licencia CC-BY-4.0" in html, page
    assert '<html lang="en"' in _text(site, "index.html")


def test_each_page_links_to_itself_in_the_other_language(site: Path) -> None:
    for page in [*PAGES, "archive/1.0.0.html"]:
        for here, other_lang in ((site / page, "es"), (site / "es" / page, "en")):
            match = LINK.search(here.read_text(encoding="utf-8"))
            assert match, here
            href, hreflang = match.groups()
            assert hreflang == other_lang
            target = (here.parent / urlsplit(href).path).resolve()
            expected = site / "es" / page if other_lang == "es" else site / page
            assert target == expected.resolve(), (here, href)
            assert f'<link rel="alternate" hreflang="{other_lang}" href="{href}">' in (
                here.read_text(encoding="utf-8")
            )


def test_overview_figures_in_spanish_words_and_formats(site: Path) -> None:
    html = _text(site, "es/index.html")
    assert "<h1" in html and "Quejas contra la policía: resumen</h1>" in html
    # 120 received against 100: +20 %; sustained share 15 % against 20 %: -5 points.
    assert "<td>Quejas recibidas</td>\n<td>120</td>\n<td>100</td>\n<td>+20%</td>" in html
    assert "<td>-5 puntos porcentuales</td>" in html
    # The previous p90 is withheld: its change cannot be computed.
    assert "<td>reservado</td>" in html and "<td>no disponible</td>" in html
    assert "Datos de quejas contra la policía" in html  # the site's name in the header


def test_suppressed_cells_tables_and_charts_in_spanish(site: Path) -> None:
    districts = _text(site, "es/districts.html")
    assert "<td>D03</td>\n<td>menos de 5</td>" in districts
    assert "<td>D02</td>\n<td>0</td>" in districts
    svg = _text(site, "es/charts/districts.svg")
    assert "menos de 5" in svg and "Quejas por distrito" in svg and "quejas" in svg
    for chart in (site / "es" / "charts").glob("*.svg"):
        text = chart.read_text(encoding="utf-8")
        assert "fewer than" not in text and "complaints" not in text, chart.name
    assert "fewer than 5" in _text(site, "charts/districts.svg")  # English stays English
    allegations = _text(site, "es/allegations.html")
    # use of force: 10 sustained of 40 allegations, in Spanish words.
    assert "<td>Use of force</td>\n<td>30</td>\n<td>10</td>\n<td>25%</td>" in allegations
    assert "<th>Tasa de alegaciones fundadas</th>" in allegations
    assert "<th>Fundada</th>" in allegations  # the finding code, labelled


def test_spanish_downloads_point_to_the_one_copy_of_the_release_files(site: Path) -> None:
    html = _text(site, "es/downloads.html")
    hrefs = re.findall(r'href="(\.\./releases/[^"]+)"', html)
    assert hrefs and any(h.endswith("/datapackage.json") for h in hrefs)
    for href in hrefs:
        assert (site / "es" / href).resolve().is_file(), href
    assert not (site / "es" / "releases").exists()  # no second copy of the data
    assert 'href="../feed.xml"' in html


def test_no_english_sentence_is_left_on_a_spanish_page(site: Path) -> None:
    catalog = _catalog()
    english = [
        m.id
        for m in catalog
        if isinstance(m.id, str)
        and m.id != m.string
        and " " in m.id
        and not PLACEHOLDER.search(m.id)
        and "`" not in m.id
    ]
    for page in (site / "es").rglob("*.html"):
        article = _article(page.read_text(encoding="utf-8"))
        article = article.split('<code class="language-toml">')[0]  # the policy file as applied
        left = [sentence for sentence in english if sentence in article]
        assert not left, (page.name, left[:3])


def test_every_site_message_has_a_spanish_translation() -> None:
    method_map = []
    for line in (PUBLISHER / "babel.cfg").read_text().splitlines():
        match = re.fullmatch(r"\[(\w+):\s*(.+)\]", line.strip())
        if match:
            method_map.append((match.group(2), match.group(1)))
    options = {"schema": "publisher.site_i18n:extract_schema_descriptions"}
    found = {
        (message[0] if isinstance(message, tuple) else message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PUBLISHER),
            [(pattern, options.get(method, method)) for pattern, method in method_map],
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
        )
    }
    catalog = _catalog()
    translated = {m.id: m for m in catalog if m.id}
    missing = sorted(m for m in found if m and (m not in translated or not translated[m].string))
    assert not missing, f"run `make catalogs` and translate: {missing[:5]}"
    assert not [m.id for m in catalog if m.id and m.fuzzy], "fuzzy entries in site.po"
    for message in translated.values():
        assert set(PLACEHOLDER.findall(str(message.id))) == set(
            PLACEHOLDER.findall(str(message.string))
        ), message.id
    with (CATALOGS / "es" / "LC_MESSAGES" / "site.mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert {m.id for m in compiled if m.id} >= set(found) - {""}  # make translations ran


@pytest.mark.parametrize(
    "vocabulary", [AllegationCategory, Finding, Discipline, Channel, Gender, Race, AgeBand]
)
def test_every_published_code_has_a_label_in_both_languages(vocabulary: Any) -> None:
    spanish = load_language("es")
    for value in vocabulary:
        assert value.value in VALUE_LABELS, value
        assert spanish.label(value.value) != VALUE_LABELS[value.value], value


def test_numbers_follow_each_language() -> None:
    english, spanish = load_language("en"), load_language("es")
    assert english.number(12345) == "12,345" and spanish.number(12345) == "12.345"
    assert english.number(1.25, 1) == "1.2" and spanish.number(1.25, 1) == "1,2"
    assert english.percent(-0.05, signed=True) == "-5%"
    with pytest.raises(LookupError):
        load_language("fr")


def test_each_spanish_page_weighs_under_200_kb(site: Path) -> None:
    for page in PAGES:
        html = _text(site, f"es/{page}")
        charts = [
            site / "es" / part.split('"')[0]
            for part in html.split('src="')[1:]
            if part.startswith("charts/")
        ]
        weight = len(html.encode()) + sum(c.stat().st_size for c in charts)
        assert weight < 200_000, (page, weight)


@pytest.fixture
def app_config(site: Path) -> dict[str, Any]:
    """Serve the site built above from the portal."""
    return {"SITE_FOLDER": str(site)}


def test_portal_serves_the_spanish_site_under_data_es(client: Any) -> None:
    with client.get("/data/es/") as home:
        assert home.status_code == 200
        assert "Quejas contra la policía: resumen" in home.get_data(as_text=True)
    with client.get("/data/es/districts.html") as response:
        page = response.get_data(as_text=True)
    for link in ("charts/districts.svg", "assets/lantern-site.css", "./../districts.html"):
        assert f'"{link}"' in page
        with client.get(f"/data/es/{link}") as linked:
            assert linked.status_code == 200, link
