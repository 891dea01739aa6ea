"""A Cost Explorer endpoint the tests control: real HTTP on loopback, speaking the AWS JSON 1.1 protocol.

boto3 reaches it through AWS_ENDPOINT_URL_COST_EXPLORER, so every pull under test goes through the real
client, its retries and its timeouts. GetCostAndUsage answers a deterministic month of costs (three
accounts, a dozen services, ten-decimal amounts, some credits) one day per page with NextPageToken;
grouping by a tag answers per tag value. The test can slow every page (`delay`), stall pages past the
client's timeout (`stall_next`), hold requests until released (`hold()`, `hold_after_pages()`,
`release()`), and
restate the figures (`version`). Other operations answer DataUnavailableException, as Cost Explorer
does for an account without forecasts or commitments.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNTS = {"111111111111": "Production", "222222222222": "Staging", "333333333333": "Shared services"}
SERVICES = [
    "Amazon Elastic Compute Cloud - Compute",
    "Amazon Simple Storage Service",
    "Amazon Relational Database Service",
    "AWS Lambda",
    "Amazon CloudFront",
    "Amazon DynamoDB",
    "Amazon Elastic Container Service",
    "AmazonCloudWatch",
    "AWS Key Management Service",
    "Amazon Route 53",
    "Amazon Virtual Private Cloud",
    "Tax",
]
TAG_VALUES = ["platform", "payments", "search", ""]  # "" is untagged


def amount(*parts: object) -> str:
    """A fixed ten-decimal amount for the key (one in 23 is a credit): exact text, as Cost Explorer sends."""
    digest = int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:15], 16)
    units = digest % 10**13  # up to 999.9999999999
    sign = "-" if digest % 23 == 0 else ""
    return f"{sign}{units // 10**10}.{units % 10**10:010d}"


class FakeCostExplorer:
    def __init__(self) -> None:
        self.version = 1
        self.delay = 0.0  # seconds before each GetCostAndUsage page
        self.stall_seconds = 0.0  # how long a stalled page waits
        self.stall_next = 0  # how many coming GetCostAndUsage requests stall
        self.estimated_days = 2  # the window's last days are estimated
        self.pages_served = 0  # GetCostAndUsage answers sent
        self.requests = 0  # GetCostAndUsage requests received (including stalled ones)
        self.hold_after: int | None = None  # requests past this number are held (see hold_after_pages)
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeCostExplorer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    def hold(self) -> None:
        """Requests from now on wait (the connection stays open) until release()."""
        self._open.clear()

    def release(self) -> None:
        self.hold_after = None
        self._open.set()

    def hold_after_pages(self, pages: int) -> int:
        """Answer the next `pages` requests, then hold the rest; returns the number of the first held one."""
        with self._lock:
            self.hold_after = self.requests + pages
            return self.hold_after + 1

    # --- the answers --------------------------------------------------------------------------------
    def get_cost_and_usage(self, body: dict[str, Any]) -> dict[str, Any]:
        start = date.fromisoformat(body["TimePeriod"]["Start"])
        end = date.fromisoformat(body["TimePeriod"]["End"])
        day = date.fromisoformat(body["NextPageToken"]) if body.get("NextPageToken") else start
        group_by = body["GroupBy"]
        tag_key = group_by[1]["Key"] if group_by[1]["Type"] == "TAG" else None
        groups = []
        for account in ACCOUNTS:
            for second in TAG_VALUES if tag_key else SERVICES:
                key = f"{tag_key}${second}" if tag_key else second
                groups.append(
                    {
                        "Keys": [account, key],
                        "Metrics": {
                            "UnblendedCost": {
                                "Amount": amount(self.version, day, account, tag_key, second, "u"),
                                "Unit": "USD",
                            },
                            "AmortizedCost": {
                                "Amount": amount(self.version, day, account, tag_key, second, "a"),
                                "Unit": "USD",
                            },
                        },
                    }
                )
        following = day + timedelta(days=1)
        page: dict[str, Any] = {
            "GroupDefinitions": group_by,
            "ResultsByTime": [
                {
                    "TimePeriod": {"Start": day.isoformat(), "End": following.isoformat()},
                    "Total": {},
                    "Groups": groups,
                    "Estimated": (end - day).days <= self.estimated_days,
                }
            ],
            "DimensionValueAttributes": [
                {"Value": account, "Attributes": {"description": name}} for account, name in ACCOUNTS.items()
            ],
        }
        if following < end:
            page["NextPageToken"] = following.isoformat()
        return page

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                if operation != "GetCostAndUsage":
                    self._send(
                        400,
                        {"__type": "DataUnavailableException", "message": f"no data for {operation}"},
                    )
                    return
                with fake._lock:
                    fake.requests += 1
                    if fake.hold_after is not None and fake.requests > fake.hold_after:
                        fake._open.clear()
                    stall = fake.stall_next > 0
                    if stall:
                        fake.stall_next -= 1
                fake._open.wait()
                time.sleep(fake.stall_seconds if stall else fake.delay)
                try:
                    answer = fake.get_cost_and_usage(body)
                except (KeyError, ValueError, IndexError) as exc:
                    self._send(400, {"__type": "ValidationException", "message": str(exc)})
                    return
                if self._send(200, answer):
                    with fake._lock:
                        fake.pages_served += 1

            def _send(self, status: int, payload: dict[str, Any]) -> bool:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("x-amzn-RequestId", "fake")
                    self.end_headers()
                    self.wfile.write(data)
                    return True
                except OSError:  # the client gave up (timed out, or its process was killed)
                    return False

        return Handler
