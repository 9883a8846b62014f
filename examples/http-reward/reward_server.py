#!/usr/bin/env python3
"""A remote reward server for align4j's `type: http` reward (standard library only).

align4j POSTs each batch of completions as JSON:
    {"completions": [{"prompt": "...", "completion": "...", "row": {...dataset row...}}, ...]}
and expects one reward per completion, in order (null abstains):
    {"rewards": [1.0, 0.0, null, ...]}

This one rewards a completion that contains the row's "answer" (1.0, else 0.0) and abstains on rows
without one. Replace score() with your own logic.

    python3 reward_server.py --port 8000
    # config: rewards: [{type: http, url: "http://127.0.0.1:8000/score"}]
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def score(prompt, completion, row):
    answer = row.get("answer")
    if answer is None:
        return None
    return 1.0 if str(answer) in completion else 0.0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/score":
            self.send_error(404, "POST to /score")
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            rewards = [score(c["prompt"], c["completion"], c.get("row", {})) for c in request["completions"]]
        except (ValueError, KeyError, TypeError) as e:
            self.send_error(400, "bad request: %s" % e)
            return
        body = json.dumps({"rewards": rewards}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):  # keep the console quiet
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print("listening on http://%s:%d/score" % server.server_address[:2], flush=True)
    server.serve_forever()
