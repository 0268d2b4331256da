"""Microsoft's Graph SDK for Python (msgraph-sdk) against the standalone double.

Bot teams call Graph through Microsoft's SDKs; the double must be a stand-in they can use unchanged.
This program starts `cargo xtask serve-double`, points the SDK's base URL at it, and drives every
operation of the four with the documented bodies, the error answers (unknown call, a second delete,
bad input) as the SDK's ODataError, and every notification's resourceData through the SDK's models
with no documented field lost. Then it reads each documented response and notification fixture
through the same models and lists, as notes, the fields the SDK cannot read from the documents' own
examples.

    python tests/interop/msgraph_sdk.py        # .ci/run runs it in a virtual environment
                                               # with tests/interop/requirements.txt

Exit 0 when everything holds; 1 with a line per failed step or lost field, naming the operation and
the field.
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
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph import GraphServiceClient
from msgraph.generated.communications.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody,
)
from msgraph.generated.communications.calls.item.reject.reject_post_request_body import RejectPostRequestBody
from msgraph.generated.communications.calls.item.update_recording_status.update_recording_status_post_request_body import (
    UpdateRecordingStatusPostRequestBody,
)
from msgraph.generated.models.call import Call
from msgraph.generated.models.cancel_media_processing_operation import CancelMediaProcessingOperation
from msgraph.generated.models.comms_operation import CommsOperation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.recording_status import RecordingStatus
from msgraph.generated.models.reject_reason import RejectReason
from msgraph.generated.models.update_recording_status_operation import UpdateRecordingStatusOperation
from msgraph.graph_request_adapter import GraphRequestAdapter

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
UNKNOWN_CALL = "0c0ffee0-0000-4000-8000-00000000dead"
WAIT = 10.0

# The SDK model each @odata.type of the documents is read with.
MODELS = {
    "#microsoft.graph.call": Call,
    "#microsoft.graph.commsOperation": CommsOperation,
    "#microsoft.graph.updateRecordingStatusOperation": UpdateRecordingStatusOperation,
    "#microsoft.graph.cancelMediaProcessingOperation": CancelMediaProcessingOperation,
}

problems: list[str] = []
passed: list[str] = []


def problem(operation: str, what: str) -> None:
    problems.append(f"{operation}: {what}")
    print(f"FAIL {operation}: {what}", flush=True)


def ok(operation: str, what: str) -> None:
    passed.append(operation)
    print(f"ok   {operation}: {what}", flush=True)


# --- the double ---------------------------------------------------------------------------------


def start_double(edition: str = "seeds") -> tuple[subprocess.Popen, str, str]:
    """`cargo xtask serve-double` on a free port, in `edition`; its target and provisioning URLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    proc = subprocess.Popen(
        ["cargo", "xtask", "serve-double", "--edition", edition],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
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


def read_resource(operation: str, item: dict) -> object | None:
    data = item.get("resourceData") or {}
    model = MODELS.get(data.get("@odata.type", ""))
    if model is None:
        problem(operation, f"resourceData of @odata.type {data.get('@odata.type')!r} has no SDK model here")
        return None
    parsed = parse(model, data)
    for field in lost_fields(data, parsed):
        problem(operation, f"the SDK's {model.__name__} loses resourceData/{field}")
    return parsed


# --- the operations -----------------------------------------------------------------------------


class StaticToken(AccessTokenProvider):
    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return "interop-token"

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])


def client_for(target: str) -> GraphServiceClient:
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken()))
    adapter.base_url = target
    return GraphServiceClient(request_adapter=adapter)


async def expect_error(operation: str, status: int, call) -> None:
    try:
        await call
    except ODataError as e:
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


async def drive(target: str, hook: str, callback: str, inboxes: Inboxes) -> None:
    client = client_for(target)
    calls = client.communications.calls

    # An answered call: updateRecordingStatus, cancelMediaProcessing, delete, and a second delete.
    answered = provision(hook, "established", f"{callback}/answered")
    op = await calls.by_call_id(answered).update_recording_status.post(
        UpdateRecordingStatusPostRequestBody(status=RecordingStatus.Recording, client_context="interop-recording")
    )
    name = "updateRecordingStatus"
    if op is None:
        problem(name, "no updateRecordingStatusOperation in the answer")
    else:
        fields = {"id": op.id, "status": op.status, "clientContext": op.client_context}
        for field, value in fields.items():
            if value is None:
                problem(name, f"the answer's {field} read as null")
        if op.client_context not in (None, "interop-recording"):
            problem(name, f"clientContext {op.client_context!r} is not the one sent")
        if op.status is not None and op.status.value != "Completed":
            problem(name, f"status {op.status!r}")
        ok(name, f"operation {op.id}, status {op.status}, clientContext {op.client_context!r}")

    name = "cancelMediaProcessing"
    answer = await calls.by_call_id(answered).cancel_media_processing.post(
        CancelMediaProcessingPostRequestBody(client_context="interop-cancel")
    )
    ok(name, "accepted" if answer is None else f"operation {answer.id}")

    name = "delete"
    await calls.by_call_id(answered).delete()
    ok(name, "accepted")
    await expect_error("delete, a second time", 404, calls.by_call_id(answered).delete())

    # An incoming call: reject.
    incoming = provision(hook, "incoming", f"{callback}/incoming")
    await calls.by_call_id(incoming).reject.post(RejectPostRequestBody(reason=RejectReason.Busy))
    ok("reject", "accepted")

    # Errors.
    await expect_error(
        "cancelMediaProcessing on an unknown call",
        404,
        calls.by_call_id(UNKNOWN_CALL).cancel_media_processing.post(CancelMediaProcessingPostRequestBody(client_context="x")),
    )
    fresh = provision(hook, "established", f"{callback}/bad-input")
    await expect_error(
        "updateRecordingStatus with a 257-character clientContext",
        400,
        calls.by_call_id(fresh).update_recording_status.post(
            UpdateRecordingStatusPostRequestBody(status=RecordingStatus.Failed, client_context="c" * 257)
        ),
    )

    # Every notification, read through the SDK's models.
    items = await wait_for(inboxes, "/answered", 3)
    by_kind = {(i.get("changeType"), (i.get("resourceData") or {}).get("state")): i for i in items}
    expected = {
        ("deleted", None): "cancelMediaProcessing's operation completed",
        ("updated", "terminating"): "delete's terminating",
        ("deleted", "terminated"): "delete's terminated",
    }
    for key, what in expected.items():
        item = by_kind.get(key)
        if item is None:
            problem(what, f"not heard within {WAIT} s (heard {sorted(by_kind)})")
            continue
        parsed = read_resource(what, item)
        if isinstance(parsed, CommsOperation):
            if parsed.client_context != "interop-cancel" or parsed.status is None:
                problem(what, f"status {parsed.status!r}, clientContext {parsed.client_context!r}")
            else:
                ok(what, f"status {parsed.status.value}, clientContext {parsed.client_context!r}")
        elif isinstance(parsed, Call):
            info = parsed.result_info
            if key[1] == "terminated" and (info is None or info.code is None or info.subcode is None or not info.message):
                problem(what, f"resultInfo read as code {getattr(info, 'code', None)!r}, subcode {getattr(info, 'subcode', None)!r}")
            else:
                detail = f", resultInfo {info.code}/{info.subcode} {info.message!r}" if info else ""
                ok(what, f"state {parsed.state.value if parsed.state else None}{detail}")
    rejected = [i for i in await wait_for(inboxes, "/incoming", 1) if i.get("changeType") == "deleted"]
    if not rejected:
        problem("reject's deleted notification", f"not heard within {WAIT} s")
    else:
        parsed = read_resource("reject's deleted notification", rejected[0])
        ok("reject's deleted notification", f"a {type(parsed).__name__}")


def run_example(double: str) -> None:
    """The bot teams' quick start (examples/python_sdk_quickstart.py), as its page tells them to run it."""
    name = "examples/python_sdk_quickstart.py"
    out = subprocess.run([sys.executable, str(ROOT / name), double], capture_output=True, text=True, timeout=60)
    heard = [line for line in out.stdout.splitlines() if line.strip().startswith("heard:")]
    if out.returncode != 0 or len(heard) < 3:
        problem(name, f"exit {out.returncode}, heard {len(heard)} of 3 notifications:\n{out.stdout}{out.stderr}")
    else:
        ok(name, f"ran, and its bot heard {len(heard)} notifications")


async def current_edition(target: str, hook: str, callback: str) -> None:
    """The current edition's cancelMediaProcessing answers 200 with a cancelMediaProcessingOperation."""
    name = "cancelMediaProcessing (current edition)"
    call = provision(hook, "established", f"{callback}/current")
    op = await client_for(target).communications.calls.by_call_id(call).cancel_media_processing.post(
        CancelMediaProcessingPostRequestBody(client_context="interop-current")
    )
    if op is None:
        problem(name, "no cancelMediaProcessingOperation in the answer")
    elif op.id is None or op.status is None or op.client_context != "interop-current":
        problem(name, f"the answer read as id {op.id!r}, status {op.status!r}, clientContext {op.client_context!r}")
    else:
        ok(name, f"operation {op.id}, status {op.status.value}, clientContext {op.client_context!r}")


# --- the documents' own examples ----------------------------------------------------------------


def documents_notes() -> list[str]:
    """The fields the SDK cannot read from the documents' own example bodies."""
    notes = []
    for path in sorted((FIXTURES / "notifications").glob("*.json")):
        fixture = json.loads(path.read_text())
        for item in fixture["body"].get("value", []):
            data = item.get("resourceData") or {}
            model = MODELS.get(data.get("@odata.type", ""))
            if model is None:
                continue
            for field in lost_fields(data, parse(model, data)):
                notes.append(f"{path.name}: resourceData/{field}")
            if "terminationReason" in data:
                notes.append(f"{path.name}: resourceData/terminationReason (legacy dialect) has no property in the SDK's Call model")
    for path in sorted((FIXTURES / "responses").glob("*.json")):
        fixture = json.loads(path.read_text())
        body = fixture.get("body")
        if not isinstance(body, dict):
            continue
        model = MODELS.get(body.get("@odata.type", ""))
        if model is None:
            continue
        for field in lost_fields(body, parse(model, body)):
            notes.append(f"{path.name}: {field}")
    return notes


def main() -> int:
    inboxes = Inboxes()
    callback = start_callback(inboxes)
    double, target, hook = start_double()
    started = time.monotonic()
    try:
        asyncio.run(drive(target, hook, callback, inboxes))
        run_example(target.rsplit("/", 1)[0])
    except Exception as e:  # an SDK error where none was expected is a finding, not a crash
        problem("the exchange", f"{type(e).__name__}: {e}")
    finally:
        double.kill()
    current, target, hook = start_double("current")
    try:
        asyncio.run(current_edition(target, hook, callback))
    except Exception as e:
        problem("the exchange (current edition)", f"{type(e).__name__}: {e}")
    finally:
        current.kill()
    print(f"\nthe SDK against the double: {time.monotonic() - started:.2f} s")
    notes = documents_notes()
    print(f"\nnote: {len(notes)} field(s) the SDK cannot read from the documents' own examples:")
    for n in notes:
        print(f"note: {n}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
    else:
        print("\nmsgraph-sdk reads every answer and notification of the double with no documented field lost")
    print(f"interop: {len(passed)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
