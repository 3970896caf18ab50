#!/usr/bin/env python3
"""HTTP capture server for Carrier's tests: records every request and answers as scripted.

Listens on 127.0.0.1 on a free port and prints "READY <port>" on stdout.
Control endpoints (JSON):
  POST /_control/script    {"PATH or *": [{"status", "headers", "body", "delay", "drop", "size", "gzip_of"}, ...]}
                           answers for a path are used in order; the last one repeats.
                           "size": N answers N bytes of "x"; "gzip_of": N answers gzip of N zero bytes
                           (Content-Encoding: gzip) — for the response size cap.
  GET  /_control/requests  every request so far: [{"method","path","headers":[[k,v]],"body_b64","time"}]
  POST /_control/reset     forget requests and scripts
  GET  /_control/stats     {"in_flight": N, "peak": N}: requests being answered now, and the most at once
  POST /_control/release   answers every request held by "hold" now
An answer with "hold": N waits until N requests are in flight at once (or /_control/release, or
60 s) before it answers, and says in a header X-Held whether the N were reached: a test of
concurrency that reads counts, not clocks.
Stops on SIGTERM, or by itself after --lifetime seconds (default 600), so no test leaks it.
"""
import base64, gzip, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
requests = []
scripts = {}
stats = {"in_flight": 0, "peak": 0}
changed = threading.Condition(lock)
released = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, headers, body):
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        sent = {k.lower() for k in headers}
        for k, v in headers.items():
            self.send_header(k, str(v))
        if "content-type" not in sent and data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        body = self._body()
        path = self.path.split("?")[0]
        if path == "/_control/script":
            with lock:
                scripts.update(json.loads(body))
            return self._send(200, {}, {"ok": True})
        if path == "/_control/requests":
            with lock:
                return self._send(200, {}, requests)
        if path == "/_control/reset":
            with lock:
                requests.clear()
                scripts.clear()
                stats.update(in_flight=stats["in_flight"], peak=stats["in_flight"])
            released.clear()
            return self._send(200, {}, {"ok": True})
        if path == "/_control/stats":
            with lock:
                return self._send(200, {}, dict(stats))
        if path == "/_control/release":
            released.set()
            with changed:
                changed.notify_all()
            return self._send(200, {}, {"ok": True})
        with changed:
            stats["in_flight"] += 1
            stats["peak"] = max(stats["peak"], stats["in_flight"])
            changed.notify_all()
        try:
            self._answer(path, body)
        finally:
            with changed:
                stats["in_flight"] -= 1
                changed.notify_all()

    def _answer(self, path, body):
        with lock:
            requests.append({"method": self.command, "path": self.path, "headers": [[k, v] for k, v in self.headers.items()],
                             "body_b64": base64.b64encode(body).decode(), "time": time.time()})
            queue = scripts.get(path) or scripts.get("*") or [{"status": 200, "body": {}}]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer.get("hold"):
            with changed:
                # The peak, not the count now: once N were in flight together, every held one may go.
                changed.wait_for(lambda: stats["peak"] >= answer["hold"] or released.is_set(), timeout=60)
                reached = stats["peak"] >= answer["hold"]
            answer = dict(answer, headers=dict(answer.get("headers", {}), **{"X-Held": "reached" if reached else "released"}))
        if answer.get("delay"):
            time.sleep(answer["delay"])
        if answer.get("drop"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if answer.get("size"):
            return self._send(answer.get("status", 200), {"Content-Type": "text/plain"}, b"x" * answer["size"])
        if answer.get("gzip_of"):
            return self._send(answer.get("status", 200), {"Content-Type": "application/json", "Content-Encoding": "gzip"},
                              gzip_of_zeros(answer["gzip_of"]))
        self._send(answer.get("status", 200), answer.get("headers", {}), answer.get("body", ""))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def gzip_of_zeros(n):
    """gzip of n zero bytes, written in chunks (a 1 GiB expansion is about 1 MB compressed)."""
    import io
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(n // len(chunk)):
            f.write(chunk)
        f.write(b"\0" * (n % len(chunk)))
    return out.getvalue()


def main():
    import signal
    # A child of a threaded test runner inherits its blocked signal mask: take SIGTERM back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1]) if "--lifetime" in sys.argv else 600
    ThreadingHTTPServer.request_queue_size = 256  # many sends connect at once; the default backlog of 5 drops SYNs
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Timer(lifetime, server.shutdown).start()
    print("READY", server.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    import os
    os._exit(0)


if __name__ == "__main__":
    main()
