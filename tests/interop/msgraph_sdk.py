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
import subprocess
import sys
import time

from harness import (
    ROOT,
    UNKNOWN_CALL,
    WAIT,
    Inboxes,
    StaticToken,
    expect_error,
    finish,
    lost_fields,
    ok,
    parse,
    print_notes,
    problem,
    provision,
    raw_json,
    read_resource,
    start_callback,
    start_double,
    stimulate,
    wait_for,
)
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from msgraph import GraphServiceClient
from msgraph.generated.communications.calls.item.answer.answer_post_request_body import AnswerPostRequestBody
from msgraph.generated.communications.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody,
)
from msgraph.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import PlayPromptPostRequestBody
from msgraph.generated.communications.calls.item.redirect.redirect_post_request_body import RedirectPostRequestBody
from msgraph.generated.communications.calls.item.reject.reject_post_request_body import RejectPostRequestBody
from msgraph.generated.communications.calls.item.record_response.record_response_post_request_body import RecordResponsePostRequestBody
from msgraph.generated.communications.calls.item.send_dtmf_tones.send_dtmf_tones_post_request_body import SendDtmfTonesPostRequestBody
from msgraph.generated.communications.calls.item.subscribe_to_tone.subscribe_to_tone_post_request_body import (
    SubscribeToTonePostRequestBody,
)
from msgraph.generated.communications.calls.item.update_recording_status.update_recording_status_post_request_body import (
    UpdateRecordingStatusPostRequestBody,
)
from msgraph.generated.models.call import Call
from msgraph.generated.models.cancel_media_processing_operation import CancelMediaProcessingOperation
from msgraph.generated.models.comms_operation import CommsOperation
from msgraph.generated.models.identity import Identity
from msgraph.generated.models.identity_set import IdentitySet
from msgraph.generated.models.invitation_participant_info import InvitationParticipantInfo
from msgraph.generated.models.media_info import MediaInfo
from msgraph.generated.models.media_prompt import MediaPrompt
from msgraph.generated.models.modality import Modality
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.participant import Participant
from msgraph.generated.models.play_prompt_operation import PlayPromptOperation
from msgraph.generated.models.recording_status import RecordingStatus
from msgraph.generated.models.reject_reason import RejectReason
from msgraph.generated.models.record_operation import RecordOperation
from msgraph.generated.models.send_dtmf_tones_operation import SendDtmfTonesOperation
from msgraph.generated.models.service_hosted_media_config import ServiceHostedMediaConfig
from msgraph.generated.models.subscribe_to_tone_operation import SubscribeToToneOperation
from msgraph.generated.models.tone import Tone
from msgraph.generated.models.update_recording_status_operation import UpdateRecordingStatusOperation
from msgraph.graph_request_adapter import GraphRequestAdapter

# The SDK model each @odata.type of the documents is read with.
MODELS = {
    "#microsoft.graph.call": Call,
    "#microsoft.graph.commsOperation": CommsOperation,
    "#microsoft.graph.updateRecordingStatusOperation": UpdateRecordingStatusOperation,
    "#microsoft.graph.cancelMediaProcessingOperation": CancelMediaProcessingOperation,
    "#microsoft.graph.playPromptOperation": PlayPromptOperation,
    "#microsoft.graph.subscribeToToneOperation": SubscribeToToneOperation,
    "#microsoft.graph.sendDtmfTonesOperation": SendDtmfTonesOperation,
    "#microsoft.graph.recordOperation": RecordOperation,
    "#microsoft.graph.participant": Participant,
}


# --- the operations -----------------------------------------------------------------------------


def answered_running(name: str, op, client_context: str) -> None:
    """An operation's answer, read through the SDK: an id, a status, the clientContext sent."""
    if op is None or op.id is None or op.status is None or op.client_context != client_context:
        problem(name, f"the answer read as {op!r}")
    else:
        ok(name, f"operation {op.id}, status {op.status.value}, clientContext {op.client_context!r}")


async def heard_as(inboxes: Inboxes, count: int, operation: str, model) -> list:
    """The answered call's notifications (once `count` came) that read as `model`."""
    items = await wait_for(inboxes, "/answered-call", count)
    return [parsed for item in items if isinstance(parsed := read_resource(MODELS, operation, item), model)]


def client_for(target: str) -> GraphServiceClient:
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken()))
    adapter.base_url = target
    return GraphServiceClient(request_adapter=adapter)


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
    await expect_error(ODataError, "delete, a second time", 404, calls.by_call_id(answered).delete())

    # An incoming call: reject.
    incoming = provision(hook, "incoming", f"{callback}/incoming")
    await calls.by_call_id(incoming).reject.post(RejectPostRequestBody(reason=RejectReason.Busy))
    ok("reject", "accepted")

    # An incoming call answered, its notifications to the answer's own callbackUri.
    ringing = provision(hook, "incoming", f"{callback}/ringing")
    await calls.by_call_id(ringing).answer.post(
        AnswerPostRequestBody(
            callback_uri=f"{callback}/answered-call",
            accepted_modalities=[Modality.Audio],
            media_config=ServiceHostedMediaConfig(),
        )
    )
    ok("answer", "accepted")
    states = {}
    for item in await wait_for(inboxes, "/answered-call", 2):
        parsed = read_resource(MODELS, "answer's notifications", item)
        if isinstance(parsed, Call) and parsed.state is not None:
            states[parsed.state.value] = parsed
    for state in ("establishing", "established"):
        if state in states:
            ok(f"answer's {state}", f"a Call in state {state}, read through the SDK's model")
        else:
            problem(f"answer's {state}", f"not heard at the answer's callbackUri within {WAIT} s (heard {sorted(states)})")

    # The answered call read back: the SDK's Call, its id and its state.
    name = "get (the answered call)"
    read = await calls.by_call_id(ringing).get()
    if read is None or read.id != ringing or read.state is None or read.state.value not in ("established", "establishing"):
        problem(name, f"read as id {getattr(read, 'id', None)!r}, state {getattr(read, 'state', None)!r}")
    else:
        ok(name, f"a Call, id {read.id}, state {read.state.value}")

    # Its roster and the bot's own participant, read through the SDK's Participant; and the same
    # answers as JSON through the model, so a field the SDK would drop is a problem.
    name = "list participants"
    roster = await calls.by_call_id(ringing).participants.get()
    members = list(getattr(roster, "value", None) or [])
    me = read.my_participant_id if read is not None else None
    if not me or not any(m.id == me for m in members) or any(m.info is None or m.is_muted is None for m in members):
        problem(name, f"{len(members)} participant(s) {[m.id for m in members]}, the bot's own {me!r} not among them, or one without info or isMuted")
    else:
        ok(name, f"{len(members)} Participants, the bot's own {me} among them")
    for i, member in enumerate(raw_json(f"{target}/communications/calls/{ringing}/participants").get("value", [])):
        for field in lost_fields(member, parse(Participant, member)):
            problem(name, f"the SDK's Participant loses value/{i}/{field}")
    name = "get participant (the bot's own)"
    mine = await calls.by_call_id(ringing).participants.by_participant_id(me or "none").get()
    if mine is None or mine.id != me or mine.is_muted is not False or mine.info is None:
        problem(name, f"read as id {getattr(mine, 'id', None)!r}, isMuted {getattr(mine, 'is_muted', None)!r}")
    else:
        ok(name, f"a Participant, id {mine.id}, isMuted {mine.is_muted}")
    member = raw_json(f"{target}/communications/calls/{ringing}/participants/{me}")
    for field in lost_fields(member, parse(Participant, member)):
        problem(name, f"the SDK's Participant loses {field}")
    await expect_error(
        ODataError,
        "get participant (a participant the call does not have)",
        404,
        calls.by_call_id(ringing).participants.by_participant_id(UNKNOWN_CALL).get(),
    )

    # The answered call plays a prompt: running at once, completed later, both read through the SDK.
    name = "playPrompt"
    prompt = MediaPrompt(media_info=MediaInfo(uri="https://cdn.contoso.com/beep.wav", resource_id="1D6DE2D4-CD51-4309-8DAA-70768651088E"))
    op = await calls.by_call_id(ringing).play_prompt.post(PlayPromptPostRequestBody(prompts=[prompt], client_context="interop-prompt"))
    answered_running(name, op, "interop-prompt")
    done = await heard_as(inboxes, 3, "playPrompt's completion", PlayPromptOperation)
    if not done:
        problem("playPrompt's completion", f"no playPromptOperation heard within {WAIT} s")
    elif done[0].status is None or done[0].result_info is None or done[0].result_info.code != 200:
        problem("playPrompt's completion", f"status {done[0].status!r}, resultInfo {done[0].result_info!r}")
    else:
        ok("playPrompt's completion", f"status {done[0].status.value}, resultInfo code {done[0].result_info.code}")

    # The answered call subscribes to tones, the caller presses star, then hangs up (the hook's
    # stimuli): the toneInfo and the call's end read through the SDK's Call.
    name = "subscribeToTone"
    sub = await calls.by_call_id(ringing).subscribe_to_tone.post(SubscribeToTonePostRequestBody(client_context="interop-tones"))
    if sub is None or sub.id is None or sub.status is None or sub.status.value.lower() != "completed" or sub.client_context != "interop-tones":
        problem(name, f"the answer read as {sub!r}")
    else:
        ok(name, f"operation {sub.id}, status {sub.status.value}, clientContext {sub.client_context!r}")
    if (status := stimulate(hook, ringing, "tone", {"tone": "star"})) != 202:
        problem("the tone stimulus", f"the hook answered {status}")
    calls_heard = lambda items: [  # noqa: E731 (a one-line reader)
        parsed for item in items if isinstance(parsed := read_resource(MODELS, "the call's notifications", item), Call)
    ]
    tones = [c for c in calls_heard(await wait_for(inboxes, "/answered-call", 4)) if c.tone_info is not None]
    if not tones:
        problem("a key pressed", f"no call updated with toneInfo heard within {WAIT} s")
    elif tones[0].tone_info.tone != Tone.Star or tones[0].tone_info.sequence_id != 1:
        problem("a key pressed", f"toneInfo read as {tones[0].tone_info!r}")
    else:
        ok("a key pressed", f"toneInfo tone {tones[0].tone_info.tone.value}, sequenceId {tones[0].tone_info.sequence_id}")
    # The bot sends tones of its own (dialling into an IVR it called): running, then completed.
    name = "sendDtmfTones"
    op = await calls.by_call_id(ringing).send_dtmf_tones.post(
        SendDtmfTonesPostRequestBody(tones=[Tone.Tone1, Tone.Pound], delay_between_tones_ms=200, client_context="interop-dtmf")
    )
    answered_running(name, op, "interop-dtmf")
    sent = await heard_as(inboxes, 5, "sendDtmfTones' completion", SendDtmfTonesOperation)
    if not sent or sent[0].completion_reason is None or sent[0].completion_reason.value != "completedSuccessfully":
        problem("sendDtmfTones' completion", f"no sendDtmfTonesOperation completed successfully heard within {WAIT} s: {sent!r}")
    else:
        ok("sendDtmfTones' completion", f"status {sent[0].status.value}, completionReason {sent[0].completion_reason.value}")
    # The bot records what the caller says after a beep: running, then completed with where the recording is.
    name = "recordResponse"
    op = await calls.by_call_id(ringing).record_response.post(
        RecordResponsePostRequestBody(play_beep=True, max_record_duration_in_seconds=10, stop_tones=["#"], client_context="interop-record")
    )
    answered_running(name, op, "interop-record")
    recorded = await heard_as(inboxes, 6, "recordResponse's completion", RecordOperation)
    if not recorded or not recorded[0].recording_location or not recorded[0].recording_access_token:
        problem("recordResponse's completion", f"no recordOperation with a recordingLocation and its token heard within {WAIT} s: {recorded!r}")
    else:
        ok("recordResponse's completion", f"status {recorded[0].status.value}, recordingLocation {recorded[0].recording_location}")
    if (status := stimulate(hook, ringing, "hangup", {})) != 202:
        problem("the hangup stimulus", f"the hook answered {status}")
    ended = [c for c in calls_heard(await wait_for(inboxes, "/answered-call", 7)) if c.state is not None and c.state.value == "terminated"]
    if not ended or ended[0].result_info is None or ended[0].result_info.code is None:
        problem("the caller hung up", f"no terminated Call with a resultInfo code heard within {WAIT} s")
    else:
        ok("the caller hung up", f"state terminated, resultInfo code {ended[0].result_info.code} subcode {ended[0].result_info.subcode}")
    await expect_error(
        ODataError,
        "keepAlive on the call the caller hung up",
        404,
        calls.by_call_id(ringing).keep_alive.post(),
    )

    # Errors.
    await expect_error(
        ODataError,
        "cancelMediaProcessing on an unknown call",
        404,
        calls.by_call_id(UNKNOWN_CALL).cancel_media_processing.post(CancelMediaProcessingPostRequestBody(client_context="x")),
    )
    fresh = provision(hook, "established", f"{callback}/bad-input")
    await expect_error(
        ODataError,
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
        parsed = read_resource(MODELS, what, item)
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
        parsed = read_resource(MODELS, "reject's deleted notification", rejected[0])
        ok("reject's deleted notification", f"a {type(parsed).__name__}")

    # A ringing call redirected to a phone number: 202 (the SDK returns nothing), then the call's end
    # at the redirect's own callbackUri, read through the SDK's Call.
    name = "redirect"
    ringing_too = provision(hook, "incoming", f"{callback}/to-redirect")
    phone = InvitationParticipantInfo(identity=IdentitySet(additional_data={"phone": {"@odata.type": "#microsoft.graph.identity", "id": "+12345678901"}}))
    await calls.by_call_id(ringing_too).redirect.post(RedirectPostRequestBody(targets=[phone], callback_uri=f"{callback}/redirected"))
    ended = [c for i in await wait_for(inboxes, "/redirected", 1) if isinstance(c := read_resource(MODELS, name, i), Call)]
    if not ended or ended[0].state is None or ended[0].state.value != "terminated":
        problem(name, f"no terminated Call heard at the redirect's callbackUri within {WAIT} s")
    else:
        ok(name, f"the call ended for the bot: state {ended[0].state.value}, at the redirect's callbackUri")

    # The bot places a call (create call, the collection's POST): the SDK reads the answer as its Call
    # (id, state establishing, direction outgoing), the call is established at the request's
    # callbackUri, and it reads back as the SDK's Call by the id the answer gave.
    name = "create call"
    john = InvitationParticipantInfo(identity=IdentitySet(user=Identity(display_name="John", id="112f7296-5fa4-42ca-bae8-6a692b15d4b8")))
    placed = await calls.post(
        Call(callback_uri=f"{callback}/placed", targets=[john], requested_modalities=[Modality.Audio], media_config=ServiceHostedMediaConfig())
    )
    state = placed.state.value if placed is not None and placed.state is not None else None
    direction = placed.direction.value if placed is not None and placed.direction is not None else None
    if placed is None or not placed.id or state != "establishing" or direction != "outgoing" or not placed.my_participant_id:
        problem(name, f"read as id {getattr(placed, 'id', None)!r}, state {state!r}, direction {direction!r}")
    else:
        ok(name, f"a Call, id {placed.id}, state {state}, direction {direction}, myParticipantId {placed.my_participant_id}")
        # Two: establishing, then established (the double sends both, the second once the first is
        # delivered; waiting for one read the first alone once the steps before took longer).
        heard = [c for i in await wait_for(inboxes, "/placed", 2) if isinstance(c := read_resource(MODELS, name, i), Call)]
        if not any(c.state is not None and c.state.value == "established" for c in heard):
            problem("create call's established", f"no established Call heard at the request's callbackUri within {WAIT} s")
        else:
            ok("create call's established", "a Call in state established, at the request's callbackUri")
        read = await calls.by_call_id(placed.id).get()
        if read is None or read.id != placed.id or read.direction is None or read.direction.value != "outgoing":
            problem("get (the placed call)", f"read as id {getattr(read, 'id', None)!r}, direction {getattr(read, 'direction', None)!r}")
        else:
            ok("get (the placed call)", f"a Call, id {read.id}, direction {read.direction.value}")
        await calls.by_call_id(placed.id).delete()


def run_example(double: str) -> None:
    """The bot teams' quick start (examples/python_sdk_quickstart.py), as its page tells them to run it."""
    name = "examples/python_sdk_quickstart.py"
    out = subprocess.run([sys.executable, str(ROOT / name), double], capture_output=True, text=True, timeout=60)
    heard = [line for line in out.stdout.splitlines() if line.strip().startswith("heard:")]
    if out.returncode != 0 or len(heard) < 3:
        problem(name, f"exit {out.returncode}, heard {len(heard)} of 3 notifications:\n{out.stdout}{out.stderr}")
    else:
        ok(name, f"ran, and its bot heard {len(heard)} notifications")


# The IVR example's steps, in the order its bot must print them.
IVR_STEPS = [
    "bot: incoming call",
    "bot: answered",
    "bot: established",
    "bot: playing the welcome prompt",
    "bot: the welcome prompt Completed",
    "bot: listening for keys",
    "bot: the caller pressed tone1 (sequence 1)",
    "bot: playing the menu choice",
    "bot: the menu choice Completed",
    "bot: hung up",
    "ivr: every step happened",
]


def run_ivr(double: str) -> None:
    """The IVR bot (examples/ivr_bot.py), its whole flow against the double, every step in order."""
    name = "examples/ivr_bot.py"
    out = subprocess.run([sys.executable, str(ROOT / name), double], capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    at = 0
    for line in lines:
        if at < len(IVR_STEPS) and line.startswith(IVR_STEPS[at]):
            at += 1
    if out.returncode != 0 or at < len(IVR_STEPS):
        missing = IVR_STEPS[at] if at < len(IVR_STEPS) else "(none)"
        problem(name, f"exit {out.returncode}; the first step not seen in order: {missing!r}:\n{out.stdout}{out.stderr}")
    else:
        ok(name, f"its bot answered, played two prompts, heard a key and hung up ({len(IVR_STEPS)} steps in order)")


async def current_edition(target: str, hook: str, callback: str, inboxes: Inboxes) -> None:
    """The current edition's cancelMediaProcessing answers 200 with a cancelMediaProcessingOperation,
    and the prompts it ended are notified failed."""
    name = "cancelMediaProcessing (current edition)"
    call = provision(hook, "established", f"{callback}/current")
    on_call = client_for(target).communications.calls.by_call_id(call)
    # Two prompts queued first: the cancel ends the one playing and the one waiting (CONTRACT.md 7.3).
    prompt = MediaPrompt(media_info=MediaInfo(uri="https://cdn.contoso.com/beep.wav", resource_id="1D6DE2D4-CD51-4309-8DAA-70768651088E"))
    for cc in ("interop-first", "interop-second"):
        await on_call.play_prompt.post(PlayPromptPostRequestBody(prompts=[prompt], client_context=cc))
    op = await on_call.cancel_media_processing.post(CancelMediaProcessingPostRequestBody(client_context="interop-current"))
    if op is None:
        problem(name, "no cancelMediaProcessingOperation in the answer")
    elif op.id is None or op.status is None or op.client_context != "interop-current":
        problem(name, f"the answer read as id {op.id!r}, status {op.status!r}, clientContext {op.client_context!r}")
    else:
        ok(name, f"operation {op.id}, status {op.status.value}, clientContext {op.client_context!r}")
    name = "the prompts a cancel ended"
    items = await wait_for(inboxes, "/current", 2)
    ended = {p.client_context: p for i in items if isinstance(p := read_resource(MODELS, name, i), PlayPromptOperation)}
    for cc in ("interop-first", "interop-second"):
        p = ended.get(cc)
        info = p.result_info if p else None
        if p is None or p.status is None or p.status.value.lower() != "failed" or info is None or (info.code, info.subcode) != (400, 8508):
            problem(name, f"{cc}: read as status {getattr(p, 'status', None)!r}, resultInfo {info!r} (heard {len(items)})")
        else:
            ok(name, f"{cc}: status {p.status.value}, resultInfo {info.code}/{info.subcode} {info.message!r}")


def main() -> int:
    inboxes = Inboxes()
    callback = start_callback(inboxes)
    double, target, hook = start_double()
    started = time.monotonic()
    try:
        asyncio.run(drive(target, hook, callback, inboxes))
        run_example(target.rsplit("/", 1)[0])
        run_ivr(target.rsplit("/", 1)[0])
    except Exception as e:  # an SDK error where none was expected is a finding, not a crash
        problem("the exchange", f"{type(e).__name__}: {e}")
    finally:
        double.kill()
    current, target, hook = start_double("current")
    try:
        asyncio.run(current_edition(target, hook, callback, inboxes))
    except Exception as e:
        problem("the exchange (current edition)", f"{type(e).__name__}: {e}")
    finally:
        current.kill()
    print(f"\nthe SDK against the double: {time.monotonic() - started:.2f} s")
    print_notes("the SDK", MODELS)
    return finish("msgraph-sdk")


if __name__ == "__main__":
    sys.exit(main())
