from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from services.prescreen.adapters.yaml_files import load_domain_lists
from services.prescreen.core.domains import (
    DomainIndex,
    DomainListError,
    InvalidUrlError,
    url_host,
)
from services.prescreen.core.model import CaseInput, ScreenerResult, Usability
from services.prescreen.core.url_screener import UrlScreener
from shared.events import Category

DEPLOY_DOMAINS = Path(__file__).parents[4] / "deploy" / "prescreen" / "domains.yaml"

LISTS = """
- name: scam
  category: fraud_scam
  score: 0.8
  domains: [scam.example, exämple.fr, xn--bcher-kva.test, evil.tk]
- name: piracy
  category: ip_infringement
  score: 0.6
  domains: [movies.piracy.test]
"""


@pytest.fixture
def index(tmp_path: Path) -> DomainIndex:
    path = tmp_path / "domains.yaml"
    path.write_text(textwrap.dedent(LISTS), encoding="utf-8")
    return load_domain_lists(path)


@pytest.fixture
def screener(index: DomainIndex) -> UrlScreener:
    return UrlScreener(index)


def screen(screener: UrlScreener, *urls: str) -> ScreenerResult:
    [result] = screener.screen([CaseInput("c1", 1, Category.FRAUD, urls=urls)])
    return result


def listed(screener: UrlScreener, url: str) -> set[tuple[str, str | None]]:
    return {(f.ref, f.detail) for f in screen(screener, url).findings}


@pytest.mark.parametrize(
    "url",
    [
        "https://scam.example/",
        "https://login.scam.example/account",
        "http://a.b.login.scam.example",
        "HTTPS://LOGIN.SCAM.EXAMPLE/",
        "https://scam.example./",
        "https://user:secret@scam.example:8443/x?y=1#z",
        "http://scam%2Eexample/",
    ],
)
def test_listed_domain_and_its_subdomains_match(screener: UrlScreener, url: str) -> None:
    assert listed(screener, url) == {("scam", "scam.example")}


@pytest.mark.parametrize(
    "url",
    [
        "https://notscam.example/",
        "https://scam.example.other.test/",
        "https://scam-example.test/",
        "https://example.com/?next=scam.example",
        "https://other.piracy.test/",  # a parent of a listed subdomain is not listed
    ],
)
def test_never_a_substring_match(screener: UrlScreener, url: str) -> None:
    result = screen(screener, url)
    assert result.usability is Usability.USED
    assert result.findings == ()
    assert result.scores == {}


def test_registrable_domain_is_the_detail(screener: UrlScreener) -> None:
    assert url_host("https://paypal.com.evil.tk/login").domain == "evil.tk"
    assert listed(screener, "https://paypal.com.evil.tk/login") == {("scam", "evil.tk")}
    assert listed(screener, "https://x.movies.piracy.test/") == {("piracy", "piracy.test")}


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://exämple.fr/", "xn--exmple-cua.fr"),
        ("https://xn--exmple-cua.fr/", "xn--exmple-cua.fr"),
        ("https://WWW.EXÄMPLE.FR/", "xn--exmple-cua.fr"),
        ("https://bücher.test/", "xn--bcher-kva.test"),
        ("https://shop.xn--bcher-kva.test/", "xn--bcher-kva.test"),
    ],
)
def test_idn_and_punycode_are_one_name(screener: UrlScreener, url: str, domain: str) -> None:
    assert listed(screener, url) == {("scam", domain)}


def test_scores_and_findings(screener: UrlScreener) -> None:
    result = screen(
        screener, "https://scam.example", "https://a.scam.example", "https://movies.piracy.test"
    )
    assert result.usability is Usability.USED
    assert result.scores == {Category.FRAUD: 0.8, Category.IP_INFRINGEMENT: 0.6}
    # one finding per list and domain, however many URLs point there
    assert sorted((f.kind, f.ref, f.detail) for f in result.findings) == [
        ("domain", "piracy", "piracy.test"),
        ("domain", "scam", "scam.example"),
    ]


def test_no_urls_is_no_input(screener: UrlScreener) -> None:
    assert screen(screener).usability is Usability.NO_INPUT


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://scam.example/", "not http(s)"),
        ("javascript:alert(1)", "not http(s)"),
        ("https://", "unparseable"),  # WHATWG: a special URL needs a host
        ("file:///etc/passwd", "not http(s)"),
        ("https://[::1", "unparseable"),
        ("https://scam.example:99999/", "unparseable"),
        ("https://127.0.0.1/", "IP-literal host"),
        ("http://[2001:db8::1]:80/", "IP-literal host"),
        ("https://localhost/", "no registrable domain"),
        ("https://example/", "no registrable domain"),
        ("https://a..scam.example/", "not a valid host name"),
        ("https://bad host.example/", "unparseable"),
        ("http://0x7f.1/", "IP-literal host"),  # browsers read an IPv4 address in hex
    ],
)
def test_invalid_urls(screener: UrlScreener, url: str, reason: str) -> None:
    with pytest.raises(InvalidUrlError, match=re.escape(reason)):
        url_host(url)
    result = screen(screener, url)
    assert result.usability is Usability.UNUSABLE
    assert result.notes == (f"1 URL(s) left aside: {reason}",)


def test_invalid_urls_beside_a_usable_one_are_noted(screener: UrlScreener) -> None:
    result = screen(screener, "ftp://a.example", "ftp://b.example", "https://scam.example")
    assert result.usability is Usability.USED
    assert result.notes == ("2 URL(s) left aside: not http(s)",)
    assert result.scores == {Category.FRAUD: 0.8}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- name: a\n  category: spam\n  score: 2\n  domains: [x.example]", "'a'"),
        ("- name: b\n  category: nope\n  score: 1\n  domains: [x.example]", "'b'"),
        ("- name: c\n  category: spam\n  score: 1\n  domains: [com]", "'c'"),
        ("- name: d\n  category: spam\n  score: 1\n  domains: ['a..b.example']", "'d'"),
        ("- name: e\n  category: spam\n  score: 1\n  domains: []", "'e'"),
    ],
)
def test_invalid_list_file(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DomainListError, match=message):
        load_domain_lists(path)


def test_deployed_lists_load_and_match() -> None:
    screener = UrlScreener(load_domain_lists(DEPLOY_DOMAINS))
    assert screener.name == "urls"
    assert listed(screener, "https://secure.scam.example/") == {("scam", "scam.example")}
    # the punycode entry matches its Unicode spelling
    assert listed(screener, "https://mabanque-sécurisé.test/") == {
        ("phishing", "xn--mabanque-scuris-knbf.test")
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://scam.example\\@good.example/",  # the backslash ends the host, as in browsers
        "https://scam.example\\good.example/",
        "HTTPS://SCAM.Example/login",
        "https://user:pw@scam.example:8443/",
        "https://scam%2Eexample/",
        "hxxps://scam[.]example/login",
        " https://scam.example/ ",
        "https://scam.example\t/",
    ],
)
def test_links_are_read_as_a_browser_goes_to_them(screener: UrlScreener, url: str) -> None:
    result = screen(screener, url)
    assert result.usability is Usability.USED
    assert result.scores == {Category.FRAUD: 0.8}


@pytest.mark.parametrize(
    ("url", "listed_name"),
    [
        ("https://\u0455\u0441\u0430m.example/", "scam.example"),  # Cyrillic s, c, a
        ("https://scarn.example/", "scam.example"),  # rn looks like m
        ("https://login.\u0455cam.example/", "scam.example"),
    ],
)
def test_look_alikes_of_listed_domains_score_as_them(
    screener: UrlScreener, url: str, listed_name: str
) -> None:
    result = screen(screener, url)
    assert result.scores == {Category.FRAUD: 0.8}
    [finding] = result.findings
    assert finding.detail is not None
    assert finding.detail.endswith(f"looks like {listed_name}")


def test_unrelated_domains_are_no_look_alikes(screener: UrlScreener) -> None:
    for url in ("https://scan.example/", "https://seam.example/", "https://cam.example/"):
        assert screen(screener, url).scores == {}
