"""Security headers on every answer: API, pages, /docs, errors, downloads and the exchange.

One pure ASGI middleware, installed outermost by `create_api`, so that even the body guard's
refusals carry them. An HTML page gets a policy that runs only this server's scripts (never
inline ones) and may not be framed; any other answer (JSON, a download) gets a policy that
lets it run nothing at all, should a browser ever render it. Everything but the static assets
is `Cache-Control: no-store`: answers carry personal data. HSTS only in production, where
the application is served over HTTPS.
"""

from __future__ import annotations

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# JSON and downloads: nothing may run or load, even if a browser is made to render them
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox"
HSTS = "max-age=63072000; includeSubDomains"  # two years
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
CACHEABLE_PREFIXES = ("/static/", "/static-docs/")  # assets without personal data; may be cached

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", PERMISSIONS.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def headers_for(
    path: str, existing: list[tuple[bytes, bytes]], production: bool
) -> list[tuple[bytes, bytes]]:
    """The answer's headers with the security headers added; any the route set itself (a
    download's own nosniff, say) are kept, never doubled."""
    present = {name.lower() for name, _ in existing}
    values = {name.lower(): value for name, value in existing}
    added = [(name, value) for name, value in _ALWAYS if name not in present]
    if b"content-security-policy" not in present:
        added.append((b"content-security-policy", _policy(values).encode()))
    if b"cache-control" not in present and not path.startswith(CACHEABLE_PREFIXES):
        added.append((b"cache-control", b"no-store"))
    if production and b"strict-transport-security" not in present:
        added.append((b"strict-transport-security", HSTS.encode()))
    return [*existing, *added]


def _policy(values: dict[bytes, bytes]) -> str:
    is_html = values.get(b"content-type", b"").lower().startswith(b"text/html")
    is_download = values.get(b"content-disposition", b"").lower().startswith(b"attachment")
    return PAGE_POLICY if is_html and not is_download else NOTHING_POLICY


class SecurityHeaders:
    def __init__(self, app, production: bool = False) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": headers_for(path, list(message.get("headers", [])), self.production),
                }
            await send(message)

        return await self.app(scope, receive, with_headers)


def install(api, *, production: bool) -> None:
    """Wrap the whole application, outside Starlette's own error layer, so that a 500 and
    every middleware's refusal carry the headers too. Composed once, for API, pages and the
    exchange alike."""
    build = api.build_middleware_stack

    def build_with_headers():
        return SecurityHeaders(build(), production=production)

    api.build_middleware_stack = build_with_headers
