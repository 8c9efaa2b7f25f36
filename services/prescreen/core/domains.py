r"""Registrable domains of URLs, and the domain lists they are looked up in.

Every host is brought to one canonical form before any comparison: IDNA-encoded (so
``exämple.fr`` and ``xn--exmple-cua.fr`` are the same name), lowercase, without a trailing
dot. A listed name matches that host or any of its subdomains, label by label, never as a
substring: ``scam.example`` matches ``login.scam.example`` but not ``notscam.example``.

URLs are parsed as browsers parse them (the WHATWG URL standard, through ada-url): in
``https://scam.example\@good.com/`` the backslash ends the host, so the browser goes to
``scam.example`` and so does the lookup; ``http://0x7f.1/`` is an IPv4 address. A host that is
not listed but whose confusable skeleton (Unicode TS #39, ICU's) is a listed name's, such as
``scam.example`` written with Cyrillic letters or ``scarn.example``, is a look-alike of it.

The list file is a YAML list of lists::

    - name: phishing          # unique; the ref of the findings
      category: fraud_scam    # a Category value
      score: 0.9              # the category score of a match, 0..1
      domains: [scam.example, exämple.fr]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import icu
import tldextract
from ada_url import URL, HostType

from shared.events import Category

# Names reserved for documentation and tests (RFC 2606, RFC 6761): lists and fixtures use
# them instead of real sites, so they are treated as public suffixes like ``com``.
RESERVED_SUFFIXES = ("example", "test")


# LDH labels, plus "_" which real hosts use; IDNA has turned everything else into ASCII
_HOST = re.compile(
    r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*"
)


class InvalidUrlError(ValueError):
    """A URL no registrable domain can be read from; the message says why, not the URL."""


class DomainListError(ValueError):
    """A domain list file that cannot be used; the message names the list."""


@cache
def _extractor() -> tldextract.TLDExtract:
    # the suffix list bundled with tldextract: no download, no cache on disk
    return tldextract.TLDExtract(
        suffix_list_urls=(),
        cache_dir=None,
        extra_suffixes=RESERVED_SUFFIXES,
        # so that a page on a hosting service (name.github.io) is its own site
        include_psl_private_domains=True,
    )


def canonical_host(host: str) -> str:
    """A host name IDNA-encoded, lowercase, without trailing dot; ValueError if invalid."""
    host = host.strip()
    try:
        # the codec also maps the ideographic full stops to "." and lowercases non-ASCII
        # labels (nameprep); ASCII labels are only checked, hence lower()
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("not a valid host name") from None
    ascii_host = ascii_host.removesuffix(".")
    if len(ascii_host) > 253 or not _HOST.fullmatch(ascii_host):
        raise ValueError("not a valid host name")
    return ascii_host


def registrable_domain(host: str) -> str:
    """The registrable domain of a canonical host ("" if it is a public suffix or bare)."""
    return _extractor()(host).top_domain_under_public_suffix


@dataclass(frozen=True, slots=True)
class UrlHost:
    """The canonical host of a URL, its registrable domain and their confusable skeletons."""

    host: str
    domain: str
    #: The skeleton of the host and of each parent down to the registrable domain.
    skeletons: tuple[str, ...] = ()


def url_host(url: str) -> UrlHost:
    """Read an http(s) URL's host as a browser does; raise :class:`InvalidUrlError` if none."""
    try:
        parsed = URL(url)
    except ValueError:
        raise InvalidUrlError("unparseable") from None
    if parsed.protocol not in ("http:", "https:"):
        raise InvalidUrlError("not http(s)")
    if parsed.host_type is not HostType.DEFAULT:
        raise InvalidUrlError("IP-literal host")
    # the parser has percent-decoded, IDNA-encoded and lowercased the host, as browsers do
    if not parsed.hostname:
        raise InvalidUrlError("no host")
    return _resolve_host(parsed.hostname)


@cache
def _spoof_checker() -> icu.SpoofChecker:
    return icu.SpoofChecker()


def skeleton(host: str) -> str:
    """The TS #39 confusable skeleton of a canonical (ASCII) host, in its Unicode form."""
    try:
        unicode_host = host.encode("ascii").decode("idna")
    except UnicodeError:
        unicode_host = host
    return str(_spoof_checker().getSkeleton(0, unicode_host))


@lru_cache(maxsize=65_536)
def _resolve_host(hostname: str) -> UrlHost:
    """The canonical host and registrable domain of a host name.

    Cached: links concentrate on few hosts, and the suffix-list lookup is the costly part.
    """
    try:
        ipaddress.ip_address(hostname.removesuffix("."))
    except ValueError:
        pass
    else:
        raise InvalidUrlError("IP-literal host")
    try:
        host = canonical_host(hostname)
    except ValueError as exc:
        raise InvalidUrlError(str(exc)) from None
    domain = registrable_domain(host)
    if not domain:
        raise InvalidUrlError("no registrable domain")
    return UrlHost(host, domain, tuple(skeleton(name) for name in _parents(host, domain)))


def _parents(host: str, domain: str) -> list[str]:
    """The host and its parents down to its registrable domain, whole labels only."""
    labels = host.split(".")
    depth = domain.count(".") + 1
    return [".".join(labels[start:]) for start in range(len(labels) - depth + 1)]


@dataclass(frozen=True, slots=True)
class DomainList:
    """One named list of domains, all of one category."""

    name: str
    category: Category
    score: float
    domains: frozenset[str]


@dataclass(frozen=True, slots=True)
class LookAlike:
    """A host that is not a listed name but is confusable with one."""

    listed: DomainList
    name: str


class DomainIndex:
    """All lists, indexed by canonical domain and by confusable skeleton."""

    def __init__(self, lists: list[DomainList], *, digest: str = "") -> None:
        self.lists = tuple(lists)
        #: SHA-256 of the list file, to version what screened a case.
        self.digest = digest
        self._by_domain: dict[str, list[DomainList]] = {}
        self._by_skeleton: dict[str, list[tuple[DomainList, str]]] = {}
        for domain_list in lists:
            for domain in domain_list.domains:
                self._by_domain.setdefault(domain, []).append(domain_list)
                entry = (domain_list, domain)
                self._by_skeleton.setdefault(skeleton(domain), []).append(entry)

    def lookup(self, url: UrlHost) -> list[DomainList]:
        """The lists naming the URL's host or one of its parents, up to its domain."""
        found: list[DomainList] = []
        for name in _parents(url.host, url.domain):
            found.extend(self._by_domain.get(name, ()))
        return found

    def look_alikes(self, url: UrlHost) -> list[LookAlike]:
        """Listed names the URL's host (or a parent) is confusable with but is not."""
        names = _parents(url.host, url.domain)
        return [
            LookAlike(listed, domain)
            for name, shape in zip(names, url.skeletons, strict=True)
            for listed, domain in self._by_skeleton.get(shape, ())
            if domain != name
        ]


def parse_domain_lists(document: object) -> list[DomainList]:
    """Validate a parsed list file (a list of mappings)."""
    if not isinstance(document, list):
        raise DomainListError("a domain list file must be a YAML list of lists")
    lists: list[DomainList] = []
    for position, entry in enumerate(document, start=1):
        domain_list = _parse_list(entry, position)
        if any(known.name == domain_list.name for known in lists):
            raise DomainListError(f"list {domain_list.name!r}: duplicate name")
        lists.append(domain_list)
    return lists


def _parse_list(entry: object, position: int) -> DomainList:
    if not isinstance(entry, Mapping):
        raise DomainListError(f"list #{position}: must be a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DomainListError(f"list #{position}: needs a non-empty string name")
    where = f"list {name!r}"
    unknown = set(entry) - {"name", "category", "score", "domains"}
    if unknown:
        raise DomainListError(f"{where}: unknown field(s) {sorted(map(str, unknown))}")
    try:
        category = Category(str(entry.get("category")))
    except ValueError:
        raise DomainListError(f"{where}: category must be a Category value") from None
    score = entry.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise DomainListError(f"{where}: score must be a number between 0 and 1")
    domains = entry.get("domains")
    if not isinstance(domains, list) or not domains:
        raise DomainListError(f"{where}: domains must be a non-empty list")
    return DomainList(name, category, float(score), frozenset(_domain(d, where) for d in domains))


def _domain(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise DomainListError(f"{where}: {value!r} is not a string")
    try:
        host = canonical_host(value)
    except ValueError as exc:
        raise DomainListError(f"{where}: {value!r}: {exc}") from None
    # a listed public suffix ("com") would match half the web
    if not registrable_domain(host):
        raise DomainListError(f"{where}: {value!r} has no registrable domain")
    return host
