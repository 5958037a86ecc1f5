"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat completions protocol.

Tests script its replies; the real `openai` client (through ChatOpenAI) talks to it, so
streaming, status codes, timeouts and malformed streams are exercised end to end.

    server.script(Reply(text="...[1]"), Reply(status=429))  # consumed in order
    server.default = Reply(text="...")                     # when the script is empty
    server.requests                                        # every JSON body received
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = "OK"
    status: int = 200
    delay: float = 0.0  # seconds before answering (timeouts)
    malformed: bool = False  # a stream that breaks after a valid first chunk
    cut: bool = False  # a stream that stops mid-answer: no finish reason, no [DONE]
    piece: int = 3  # characters per streamed chunk


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.default = Reply()
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def next_reply(self, body: dict) -> Reply:
        with self._lock:
            self.requests.append(body)
            return self._script.popleft() if self._script else self.default

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _chunk(model: str, delta: dict, finish: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def _handler(server: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            if not self.path.endswith("/chat/completions"):
                self._json(
                    404, {"error": {"message": "not found", "type": "invalid_request_error"}}
                )
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            reply = server.next_reply(body)
            try:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    kinds = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
                    self._json(
                        reply.status,
                        {
                            "error": {
                                "message": f"fake error {reply.status}",
                                "type": "error",
                                "code": kinds.get(reply.status, "server_error"),
                            }
                        },
                    )
                    return
                model = body.get("model", "fake")
                if body.get("stream"):
                    self._stream(model, reply)
                else:
                    self._json(
                        200,
                        {
                            "id": "chatcmpl-fake",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": reply.text},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 1,
                                "completion_tokens": 1,
                                "total_tokens": 2,
                            },
                        },
                    )
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def _stream(self, model: str, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
            if reply.malformed:
                self.wfile.write(_chunk(model, {"content": reply.text[:2]}))
                self.wfile.write(b'data: {"id": "chatcmpl-fake", "choices": [{"delta": \n\n')
                self.wfile.flush()
                self.close_connection = True
                return
            for i in range(0, len(reply.text), reply.piece):
                self.wfile.write(_chunk(model, {"content": reply.text[i : i + reply.piece]}))
                self.wfile.flush()
            if reply.cut:  # the connection drops: what was sent looks like a whole answer
                self.close_connection = True
                return
            self.wfile.write(_chunk(model, {}, finish="stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler
