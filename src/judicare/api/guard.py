"""A guard in front of the API for JSON bodies: size, nesting depth, syntax, number length and
Unicode are checked before any parsing, and NUL characters are refused in JSON strings, the
path and the query, so that bad input gets a clear 4xx and never a server error.

Pure ASGI middleware: it buffers the body (up to the limit), checks it, and replays it to
the application unchanged. Routes under a streamed prefix (the node exchange, whose bodies
are signed envelopes and encrypted attachments, never JSON) pass through unbuffered: they
check their own size limits while streaming.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

MAX_DEPTH = 32
STREAMED_PREFIXES = ("/api/v1/exchange/",)


class BadBody(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of [ and { outside strings, without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _unstorable_text(value, where: str = "") -> tuple[str, str] | None:
    """(code, where) for the first string, key or value, that cannot be stored as text: a
    lone surrogate is not Unicode, and PostgreSQL refuses NUL in text (SQLite would keep it,
    so both are refused alike). `where` names it as in `persons[0].names[0].name`."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "invalid_unicode", where
        return ("nul_character", where) if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inside = f"{where}.{key}" if where else key
            found = _unstorable_text(key, inside) or _unstorable_text(item, inside)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable_text(item, f"{where}[{index}]")
            if found:
                return found
    return None


_TEXT_PROBLEMS = {
    "invalid_unicode": "the JSON string at {where} contains a lone surrogate "
    "(\\ud800-\\udfff): not valid Unicode text",
    "nul_character": "the JSON string at {where} contains a NUL character (\\u0000), "
    "which cannot be stored: remove it",
}


def check_json_body(raw: bytes) -> None:
    if nesting_depth(raw) > MAX_DEPTH:
        raise BadBody(400, "too_deeply_nested", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody(400, "invalid_encoding", "the body is not valid UTF-8") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadBody(
            400,
            "malformed_json",
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise BadBody(400, "too_deeply_nested", "JSON nested too deeply") from None
    except ValueError:  # Python refuses to convert an integer of more than 4,300 digits
        raise BadBody(
            400, "number_too_long", "a number in the JSON has too many digits (at most 4300)"
        ) from None
    found = _unstorable_text(value)
    if found:
        code, where = found
        raise BadBody(400, code, _TEXT_PROBLEMS[code].format(where=where or "the top level"))


def check_target(path: str, query: bytes) -> None:
    """A NUL character in the path or in a query parameter (`%00`) is refused by name before
    any route sees it: no filter, search or identifier ever holds one, and PostgreSQL cannot
    compare text with it."""
    if "\x00" in path:
        raise BadBody(400, "nul_character", "the path contains a NUL character (%00)")
    if b"%00" not in query and b"\x00" not in query:
        return
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "%00")[:100]
            raise BadBody(
                400, "nul_character", f"query parameter {shown} contains a NUL character (%00)"
            )


class JsonGuard:
    def __init__(
        self, app, max_json_bytes: int, max_upload_bytes: int,
        streamed: tuple[str, ...] = STREAMED_PREFIXES,
        larger_forms: dict[str, int] | None = None,
    ) -> None:  # fmt: skip
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.streamed = streamed
        # path -> body limit, for a form that carries several uploads (the intake form)
        self.larger_forms = larger_forms or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            check_target(scope.get("path", ""), scope.get("query_string", b""))
        except BadBody as bad:
            return await self._reject(send, bad)
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        if scope.get("path", "").startswith(self.streamed):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        is_json = "json" in content_type or not content_type
        limit = self.max_json_bytes if is_json else self.max_upload_bytes
        if not is_json:
            limit = self.larger_forms.get(scope.get("path", ""), limit)
        declared = headers.get(b"content-length")
        too_large = BadBody(413, "payload_too_large", f"the body is larger than {limit} bytes")
        try:
            if declared is not None and int(declared) > limit:
                raise too_large
            if not is_json:  # nothing to check inside: counted as it passes, never held
                return await self._counted(scope, receive, send, limit, too_large)
            body = await self._read(receive, limit)
            if is_json and body:
                check_json_body(body)
        except BadBody as bad:
            return await self._reject(send, bad)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _counted(self, scope, receive, send, limit: int, too_large: BadBody) -> None:
        """Pass a form or an upload through as it arrives (Starlette spools large files to
        disk), counting its bytes: past `limit` the application sees the client go away,
        and whatever it would answer is replaced by the 413."""
        size, over, started = 0, False, False

        async def counting():
            nonlocal size, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def answering(message):
            nonlocal started
            if over:
                if not started:
                    started = True
                    await self._reject(send, too_large)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, answering)
        except Exception:
            if not over:
                raise
            if not started:
                await self._reject(send, too_large)

    async def _read(self, receive, limit: int) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BadBody(413, "payload_too_large", f"the body is larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _reject(self, send, bad: BadBody) -> None:
        payload = json.dumps({"error": {"code": bad.code, "message": bad.message}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": bad.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
