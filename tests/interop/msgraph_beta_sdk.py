"""Microsoft's Graph beta SDK for Python (msgraph-beta-sdk) against the standalone double, on /app/calls.

The deprecated `/app/calls/{id}` family (CONTRACT.md section 1; seeds 000 and 004 use it) is still what
older bots call, and only the beta SDK has request builders for it (`client.app.calls`): the v1.0
SDK (msgraph_sdk.py) cannot reach it. This program starts `cargo xtask serve-double`, points the beta
SDK at the double's `/beta` base URL, and drives every operation the family serves
(updateRecordingStatus, cancelMediaProcessing, delete) through `client.app.calls`, the error answers
as the beta SDK's ODataError, and every notification, which the double sends on this family in the
legacy dialect (`resource`, `@odata.etag`, `terminationReason`), through the beta SDK's models with no
documented field lost. Reject is only on `/communications` (its page lists no other family), so it
goes through `client.communications.calls`.

    python tests/interop/msgraph_beta_sdk.py   # .ci/run runs it in the same virtual environment
                                               # as msgraph_sdk.py (tests/interop/requirements.txt)

INTEROP_DOUBLE_FAULT=<fault> runs the double with that fault, to see the program fail on it. Exit 0
when everything holds; 1 with a line per failed step or lost field, naming the operation and the field.
"""

from __future__ import annotations

import asyncio
import sys
import time

from harness import (
    UNKNOWN_CALL,
    WAIT,
    Inboxes,
    StaticToken,
    expect_error,
    finish,
    ok,
    print_notes,
    problem,
    provision,
    read_resource,
    start_callback,
    start_double,
    wait_for,
)
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from msgraph_beta import GraphServiceClient
from msgraph_beta.generated.app.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody,
)
from msgraph_beta.generated.app.calls.item.update_recording_status.update_recording_status_post_request_body import (
    UpdateRecordingStatusPostRequestBody,
)
from msgraph_beta.generated.communications.calls.item.reject.reject_post_request_body import RejectPostRequestBody
from msgraph_beta.generated.models.call import Call
from msgraph_beta.generated.models.cancel_media_processing_operation import CancelMediaProcessingOperation
from msgraph_beta.generated.models.comms_operation import CommsOperation
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.recording_status import RecordingStatus
from msgraph_beta.generated.models.reject_reason import RejectReason
from msgraph_beta.generated.models.update_recording_status_operation import UpdateRecordingStatusOperation
from msgraph_beta.graph_request_adapter import GraphRequestAdapter

# The beta SDK's model for each @odata.type of the documents.
MODELS = {
    "#microsoft.graph.call": Call,
    "#microsoft.graph.commsOperation": CommsOperation,
    "#microsoft.graph.updateRecordingStatusOperation": UpdateRecordingStatusOperation,
    "#microsoft.graph.cancelMediaProcessingOperation": CancelMediaProcessingOperation,
}


def beta_client(target: str) -> GraphServiceClient:
    """The beta SDK at the double's /beta base URL (the double serves both version segments)."""
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken()))
    adapter.base_url = target.rsplit("/", 1)[0] + "/beta"
    return GraphServiceClient(request_adapter=adapter)


async def drive(target: str, hook: str, callback: str, inboxes: Inboxes) -> None:
    client = beta_client(target)
    app_calls = client.app.calls

    answered = provision(hook, "established", f"{callback}/answered")
    name = "updateRecordingStatus on /app/calls"
    op = await app_calls.by_call_id(answered).update_recording_status.post(
        UpdateRecordingStatusPostRequestBody(status=RecordingStatus.Recording, client_context="interop-beta-recording")
    )
    if op is None:
        problem(name, "no updateRecordingStatusOperation in the answer")
    else:
        lost = [field for field, value in (("id", op.id), ("status", op.status), ("clientContext", op.client_context)) if value is None]
        for field in lost:
            problem(name, f"the answer's {field} read as null")
        if op.client_context not in (None, "interop-beta-recording"):
            problem(name, f"clientContext {op.client_context!r} is not the one sent")
        elif not lost:
            ok(name, f"operation {op.id}, status {op.status.value}, clientContext {op.client_context!r}")

    name = "cancelMediaProcessing on /app/calls"
    answer = await app_calls.by_call_id(answered).cancel_media_processing.post(
        CancelMediaProcessingPostRequestBody(client_context="interop-beta-cancel")
    )
    ok(name, "accepted" if answer is None else f"operation {answer.id}")

    await app_calls.by_call_id(answered).delete()
    ok("delete on /app/calls", "accepted")
    await expect_error(ODataError, "delete on /app/calls, a second time", 404, app_calls.by_call_id(answered).delete())

    incoming = provision(hook, "incoming", f"{callback}/incoming")
    await client.communications.calls.by_call_id(incoming).reject.post(RejectPostRequestBody(reason=RejectReason.Busy))
    ok("reject on /communications/calls", "accepted")

    await expect_error(
        ODataError,
        "cancelMediaProcessing on an unknown call, /app/calls",
        404,
        app_calls.by_call_id(UNKNOWN_CALL).cancel_media_processing.post(CancelMediaProcessingPostRequestBody(client_context="x")),
    )
    fresh = provision(hook, "established", f"{callback}/bad-input")
    await expect_error(
        ODataError,
        "updateRecordingStatus with a 257-character clientContext, /app/calls",
        400,
        app_calls.by_call_id(fresh).update_recording_status.post(
            UpdateRecordingStatusPostRequestBody(status=RecordingStatus.Failed, client_context="c" * 257)
        ),
    )

    await notifications(inboxes)


async def notifications(inboxes: Inboxes) -> None:
    """The legacy dialect's notifications of the /app family, read through the beta SDK's models."""
    items = await wait_for(inboxes, "/answered", 3)
    by_kind = {(i.get("changeType"), (i.get("resourceData") or {}).get("state")): i for i in items}
    expected = {
        ("deleted", None): "cancelMediaProcessing's operation completed (legacy dialect)",
        ("updated", "terminating"): "delete's terminating (legacy dialect)",
        ("deleted", "terminated"): "delete's terminated (legacy dialect)",
    }
    for key, what in expected.items():
        item = by_kind.get(key)
        if item is None:
            problem(what, f"not heard within {WAIT} s (heard {sorted(by_kind, key=str)})")
            continue
        if "resource" not in item:
            problem(what, "the item has no `resource` (the legacy dialect's resource field)")
        parsed = read_resource(MODELS, what, item)
        if isinstance(parsed, CommsOperation):
            if parsed.client_context != "interop-beta-cancel" or parsed.status is None:
                problem(what, f"status {parsed.status!r}, clientContext {parsed.client_context!r}")
            else:
                ok(what, f"status {parsed.status.value}, clientContext {parsed.client_context!r}")
        elif isinstance(parsed, Call):
            # The legacy dialect says why a call ended in terminationReason, which the beta model keeps.
            if key[1] == "terminated" and not parsed.termination_reason:
                problem(what, f"terminationReason read as {parsed.termination_reason!r}")
            else:
                reason = f", terminationReason {parsed.termination_reason!r}" if parsed.termination_reason else ""
                ok(what, f"state {parsed.state.value if parsed.state else None}{reason}")
    rejected = [i for i in await wait_for(inboxes, "/incoming", 1) if i.get("changeType") == "deleted"]
    if not rejected:
        problem("reject's deleted notification", f"not heard within {WAIT} s")
    else:
        parsed = read_resource(MODELS, "reject's deleted notification", rejected[0])
        ok("reject's deleted notification", f"a {type(parsed).__name__}")


def main() -> int:
    inboxes = Inboxes()
    callback = start_callback(inboxes)
    double, target, hook = start_double()
    started = time.monotonic()
    try:
        asyncio.run(drive(target, hook, callback, inboxes))
    except Exception as e:  # an SDK error where none was expected is a finding, not a crash
        problem("the exchange", f"{type(e).__name__}: {e}")
    finally:
        double.kill()
    print(f"\nthe beta SDK against the double: {time.monotonic() - started:.2f} s")
    print_notes("the beta SDK", MODELS)
    return finish("msgraph-beta-sdk")


if __name__ == "__main__":
    sys.exit(main())
