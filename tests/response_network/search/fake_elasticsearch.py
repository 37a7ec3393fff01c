"""A stand-in for an Elasticsearch cluster: records requests, answers canned `_search` replies
and renders simple search templates."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MISSING_INDEX = {
    "error": {"type": "index_not_found_exception", "reason": "no such index [nope]"},
    "status": 404,
}


def search_answer(*documents: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    return {
        "took": 3,
        "timed_out": False,
        "hits": {
            "total": {"value": len(documents) if total is None else total, "relation": "eq"},
            "max_score": 1.0,
            "hits": [
                {"_index": "equipment", "_id": d["id"], "_score": 1.0, "_source": d}
                for d in documents
            ],
        },
    }


def render_template(body: dict[str, Any]) -> tuple[int, Any]:
    """`_render/template` for sources that use only `{{name}}`: each replaced by its value,
    JSON-escaped as Elasticsearch's mustache does; 400 when the result is not JSON."""
    params = body.get("params") or {}

    def value(match: re.Match[str]) -> str:
        found = params.get(match.group(1), "")
        return json.dumps(found)[1:-1] if isinstance(found, str) else json.dumps(found)

    rendered = re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", value, body["source"])
    try:
        return 200, {"template_output": json.loads(rendered)}
    except ValueError:
        return 400, {
            "error": {"type": "x_content_parse_exception", "reason": "not JSON"},
            "status": 400,
        }


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class FakeCluster:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    """Path (without the query string) -> (status, JSON body)."""

    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests]


@contextmanager
def fake_cluster() -> Iterator[FakeCluster]:
    cluster = FakeCluster(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            cluster.requests.append(
                Recorded(self.command, self.path, json.loads(raw) if raw else None)
            )
            if path == "/_render/template" and path not in cluster.answers:
                status, body = render_template(json.loads(raw))
            else:
                status, body = cluster.answers.get(path, (200, search_answer()))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    cluster.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield cluster
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
