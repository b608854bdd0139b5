"""The Space's app: runs the training and reports its progress on the app port (standard library only).

    python status.py --port 7860 -- python train.py

It starts the command given after ``--``, copies its output to its own (so the Space's logs show
it), reads the JSON progress lines the training prints, and answers ``GET /`` (or ``/status``)
with the state: ``starting``, ``training``, ``succeeded`` or ``failed``, the last progress line,
the last event, the exit code and the last lines of the log. It keeps answering after the
training ends, so whoever follows the Space can read the outcome before pausing it.
``GET /health`` answers ``{"ok": true}``.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

LOG_TAIL_LINES = 50


class Status:
    """What is known about the training run, updated from its output (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = "starting"
        self.last_progress: dict[str, Any] | None = None
        self.last_event: dict[str, Any] | None = None
        self.exit_code: int | None = None
        self.progress_lines = 0
        self.started = time.time()
        self.finished: float | None = None
        self.log_tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL_LINES)

    def record_output(self, line: str) -> None:
        """One line of the training's stdout: a JSON progress line, or anything else (kept in the tail)."""
        text = line.rstrip("\n")
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        with self._lock:
            if not isinstance(record, dict) or "event" not in record:
                self.log_tail.append(text)
                return
            self.last_event = record
            if record["event"] == "log":
                self.progress_lines += 1
                self.last_progress = record
            if self.state == "starting" and record["event"] in ("start", "log"):
                self.state = "training"

    def record_log(self, line: str) -> None:
        """One line of the training's stderr, kept in the tail for a failure's diagnosis."""
        with self._lock:
            self.log_tail.append(line.rstrip("\n"))

    def finish(self, exit_code: int) -> None:
        """The training process ended with ``exit_code``."""
        with self._lock:
            self.exit_code = exit_code
            self.state = "succeeded" if exit_code == 0 else "failed"
            self.finished = time.time()

    def snapshot(self) -> dict[str, Any]:
        """The state as JSON-ready data."""
        with self._lock:
            return {
                "state": self.state,
                "progress": self.last_progress,
                "lastEvent": self.last_event,
                "progressLines": self.progress_lines,
                "exitCode": self.exit_code,
                "startedAt": self.started,
                "finishedAt": self.finished,
                "logTail": list(self.log_tail),
            }


def follow(status: Status, command: Sequence[str], out: IO[str], err: IO[str]) -> int:
    """Run ``command``, feeding its output to ``status`` and copying it to ``out``/``err``; its exit code."""
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1, errors="replace"
    )
    assert process.stdout is not None and process.stderr is not None
    errors = threading.Thread(target=_copy, args=(process.stderr, err, status.record_log), daemon=True)
    errors.start()
    _copy(process.stdout, out, status.record_output)
    code = process.wait()
    errors.join(timeout=5)
    status.finish(code)
    return code


def _copy(source: IO[str], target: IO[str], record: Any) -> None:
    for line in source:
        target.write(line)
        target.flush()
        record(line)


def make_server(status: Status, host: str, port: int) -> ThreadingHTTPServer:
    """The HTTP server answering with ``status``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path in ("/", "/status"):
                self._json(200, status.snapshot())
            elif self.path == "/health":
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": "not found"})

        def _json(self, code: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Requests are not logged: the Space's log is the training's."""

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the status while the command runs, then keep serving the outcome until stopped."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[arguments.index("--") + 1 :] if "--" in arguments else []
    own = arguments[: arguments.index("--")] if "--" in arguments else arguments
    parser = argparse.ArgumentParser(description="Run the training and serve its progress.")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--exit-when-done", action="store_true", help="stop serving when the training ends")
    options = parser.parse_args(own)
    if not command:
        parser.error("give the training command after --")
    status = Status()
    server = make_server(status, options.host, options.port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = follow(status, command, sys.stdout, sys.stderr)
    if options.exit_when_done:
        server.shutdown()
        return code
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
