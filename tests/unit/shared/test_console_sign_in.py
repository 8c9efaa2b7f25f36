"""The consoles' sign-in cookies: a form token compared with its cookie, a session cookie
that scripts cannot read, kept under /console, secure behind TLS, and gone at sign-out."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response

from shared.console.sign_in import SignInCookies

COOKIES = SignInCookies(session="s", login_csrf="c", lifetime=timedelta(hours=2))


def _request(*, cookie: str = "", proto: str = "") -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    if proto:
        headers.append((b"x-forwarded-proto", proto.encode()))
    return Request({"type": "http", "scheme": "http", "headers": headers, "path": "/"})


def _set_cookies(response: Response) -> list[str]:
    return [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]


def test_the_login_form_token_must_match_its_cookie() -> None:
    page = COOKIES.login_page(_request(), Response)
    token = bytes(page.body).decode()
    (cookie,) = _set_cookies(page)
    assert cookie.startswith(f"c={token};")
    assert "HttpOnly" in cookie
    assert "Path=/console" in cookie
    assert COOKIES.login_csrf_of(_request(cookie=f"c={token}"), token) == token
    assert COOKIES.login_csrf_of(_request(cookie=f"c={token}"), "other") is None
    assert COOKIES.login_csrf_of(_request(), token) is None  # no cookie: refused
    assert COOKIES.login_csrf_of(_request(cookie=f"c={token}"), None) is None


def test_a_session_cookie_is_http_only_strict_secure_behind_tls_and_forgets_the_form() -> None:
    response = Response()
    COOKIES.signed_in(response, _request(proto="https"), "secret")
    session, form = _set_cookies(response)
    assert session.startswith("s=secret;")
    for flag in ("HttpOnly", "SameSite=strict", "Secure", "Path=/console", "Max-Age=7200"):
        assert flag in session
    assert form.startswith('c="";')
    assert "Max-Age=0" in form
    plain = Response()
    COOKIES.signed_in(plain, _request(), "secret")
    assert "Secure" not in _set_cookies(plain)[0]


def test_signing_out_forgets_the_session() -> None:
    response = Response()
    COOKIES.signed_out(response)
    (cookie,) = _set_cookies(response)
    assert cookie.startswith('s="";')
    assert "Max-Age=0" in cookie
    assert "Path=/console" in cookie
