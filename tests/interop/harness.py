"""What the Python interop programs share: the standalone double, the bot's callback, reading JSON
through an SDK's models, and the tally every program ends with (`interop: N passed, N failed`).

The programs (msgraph_sdk.py for msgraph-sdk, the v1.0 SDK; msgraph_beta_sdk.py for msgraph-beta-sdk,
the only one that reaches the deprecated /app/calls family) import it; it imports no SDK package, so
each program names the SDK it judges.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
UNKNOWN_CALL = "0c0ffee0-0000-4000-8000-00000000dead"
WAIT = 10.0

problems: list[str] = []
passed: list[str] = []


def problem(operation: str, what: str) -> None:
    problems.append(f"{operation}: {what}")
    print(f"FAIL {operation}: {what}", flush=True)


def ok(operation: str, what: str) -> None:
    passed.append(operation)
    print(f"ok   {operation}: {what}", flush=True)


def finish(sdk: str) -> int:
    """The program's last lines and exit status: every problem again, then the tally."""
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
    else:
        print(f"\n{sdk} reads every answer and notification of the double with no documented field lost")
    print(f"interop: {len(passed)} passed, {len(problems)} failed")
    return 1 if problems else 0


# --- the double ---------------------------------------------------------------------------------


def start_double(edition: str = "seeds") -> tuple[subprocess.Popen, str, str]:
    """`cargo xtask serve-double` on a free port, in `edition`; its target and provisioning URLs.

    INTEROP_DOUBLE_FAULT=<fault> starts it in that fault mode, to see a program fail on it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    if os.environ.get("INTEROP_DOUBLE_FAULT"):
        env["CONFORMANCE_DOUBLE_FAULT"] = os.environ["INTEROP_DOUBLE_FAULT"]
    command = ["cargo", "xtask", "serve-double", "--edition", edition]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 300
    assert proc.stdout is not None
    while len(urls) < 2 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.match(r"(target|provision):\s+(\S+)", line)
        if m:
            urls[m.group(1)] = m.group(2)
    if len(urls) < 2:
        proc.kill()
        sys.exit("interop: cargo xtask serve-double did not print its target and provisioning URLs")
    # Keep reading its output so it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, urls["target"], urls["provision"]


def provision(hook: str, state: str, callback: str) -> str:
    body = json.dumps({"state": state, "callbackUri": callback}).encode()
    req = urllib.request.Request(hook, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["id"]


TOKEN = "interop-token"


def raw_json(url: str) -> dict:
    """A GET of the double answered as JSON, read as it came (to see what a model would drop)."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def stimulate(hook: str, call_id: str, stimulus: str, body: dict) -> int:
    """Asks the hook for what only the far side does (CONTRACT.md section 5); its status, 202 when done."""
    req = urllib.request.Request(
        f"{hook}/{call_id}/{stimulus}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# --- the bot's callback -------------------------------------------------------------------------


class Inboxes:
    def __init__(self) -> None:
        self.by_path: dict[str, list[dict]] = {}
        self.lock = threading.Lock()

    def add(self, path: str, body: dict) -> None:
        with self.lock:
            self.by_path.setdefault(path, []).append(body)

    def items(self, path: str) -> list[dict]:
        with self.lock:
            return [item for body in self.by_path.get(path, []) for item in body.get("value", [])]


def start_callback(inboxes: Inboxes) -> str:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                inboxes.add(self.path, json.loads(raw))
            except ValueError:
                problem("notification delivery", f"a body that is not JSON at {self.path}")
            self.send_response(202)
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


async def wait_for(inboxes: Inboxes, path: str, count: int) -> list[dict]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        items = inboxes.items(path)
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    return inboxes.items(path)


# --- reading JSON through the SDK's models ------------------------------------------------------


def snake(key: str) -> str:
    key = key.replace("@odata.", "odata_")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def parse(model, data: dict):
    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(data).encode())
    return node.get_object_value(model)


def lost_fields(data: dict, parsed, prefix: str = "") -> list[str]:
    """The documented properties of `data` the SDK's object `parsed` read as nothing."""
    lost = []
    for key, value in data.items():
        if value is None or key in ("@odata.id", "@odata.etag"):
            continue  # instance annotations: the SDK keeps them in additional_data
        attr = snake(key)
        if not hasattr(parsed, attr):
            continue  # not in the model: kept in additional_data, not lost
        got = getattr(parsed, attr)
        if got is None:
            lost.append(f"{prefix}{key} ({json.dumps(value)} read as null)")
        elif isinstance(value, dict) and hasattr(got, "__dict__"):
            lost.extend(lost_fields(value, got, f"{prefix}{key}/"))
    return lost


def read_resource(models: dict, operation: str, item: dict) -> object | None:
    """An item's resourceData through the model its @odata.type names, each lost field a problem."""
    data = item.get("resourceData") or {}
    if isinstance(data, list):
        # A roster: each participant through the SDK's model, its position in the path.
        members = [(f"resourceData/{i}/", m) for i, m in enumerate(data)]
        participant = "#microsoft.graph.participant"  # the declared type: a member may leave it out
        return [parsed for prefix, m in members if (parsed := read_member(models, operation, prefix, m, participant)) is not None]
    return read_member(models, operation, "resourceData/", data, "")


def read_member(models: dict, operation: str, prefix: str, data: dict, declared: str) -> object | None:
    """`data` (at `prefix`) through the model its @odata.type, or else `declared`, names."""
    model = models.get(data.get("@odata.type", declared))
    if model is None:
        problem(operation, f"{prefix[:-1]} of @odata.type {data.get('@odata.type')!r} has no SDK model here")
        return None
    parsed = parse(model, data)
    for field in lost_fields(data, parsed):
        problem(operation, f"the SDK's {model.__name__} loses {prefix}{field}")
    return parsed


def documents_notes(models: dict) -> list[str]:
    """The fields the SDK's `models` cannot read from the documents' own example bodies."""
    notes = []
    for path in sorted((FIXTURES / "notifications").glob("*.json")):
        fixture = json.loads(path.read_text())
        for item in fixture["body"].get("value", []):
            data = item.get("resourceData") or {}
            # A roster's members are participants, typed or not.
            members = [(f"resourceData/{i}/", m, "#microsoft.graph.participant") for i, m in enumerate(data)] if isinstance(data, list) else []
            for prefix, member, declared in members:
                model = models.get(member.get("@odata.type", declared))
                if model is not None:
                    notes.extend(f"{path.name}: {prefix}{field}" for field in lost_fields(member, parse(model, member)))
            if isinstance(data, list):
                continue
            model = models.get(data.get("@odata.type", ""))
            if model is None:
                continue
            parsed = parse(model, data)
            for field in lost_fields(data, parsed):
                notes.append(f"{path.name}: resourceData/{field}")
            if "terminationReason" in data and not hasattr(parsed, "termination_reason"):
                notes.append(f"{path.name}: resourceData/terminationReason (legacy dialect) has no property in the SDK's Call model")
    for path in sorted((FIXTURES / "responses").glob("*.json")):
        fixture = json.loads(path.read_text())
        body = fixture.get("body")
        if not isinstance(body, dict):
            continue
        model = models.get(body.get("@odata.type", ""))
        if model is None:
            continue
        for field in lost_fields(body, parse(model, body)):
            notes.append(f"{path.name}: {field}")
    return notes


def print_notes(sdk: str, models: dict) -> None:
    notes = documents_notes(models)
    print(f"\nnote: {len(notes)} field(s) {sdk} cannot read from the documents' own examples:")
    for n in notes:
        print(f"note: {n}")


# --- the SDK's side -----------------------------------------------------------------------------


class StaticToken(AccessTokenProvider):
    """The bot's token, as a bot's credential would hand it to the SDK (the double takes any)."""

    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return TOKEN

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])


async def expect_error(error_type: type, operation: str, status: int, call) -> None:
    """`call` raises the SDK's `error_type` (its ODataError) with `status`, a code and a message."""
    try:
        await call
    except error_type as e:
        code = e.error.code if e.error else None
        message = e.error.message if e.error else None
        if e.response_status_code != status:
            problem(operation, f"ODataError with status {e.response_status_code}, expected {status}")
        elif not code or not message:
            problem(operation, f"ODataError without code or message (code {code!r}, message {message!r})")
        else:
            ok(operation, f"ODataError {status}, code {code!r}, message {message!r}")
        return
    problem(operation, f"no error; expected an ODataError with status {status}")
