"""A small IVR bot, written as a calling bot is: Microsoft's Graph SDK for Python for the requests,
a plain HTTP callback for the notifications, and every next step taken on what a notification says.
Run against `cargo xtask serve-double`, it shows a bot team its whole flow on one machine:

    cargo xtask serve-double --port 8080        # in one terminal
    python -m venv venv && venv/bin/pip install -r tests/interop/requirements.txt
    venv/bin/python examples/ivr_bot.py http://127.0.0.1:8080

The flow: someone calls (the double rings the bot with a `created` notification), the bot answers,
waits for `established`, plays a welcome prompt, waits for it to complete, subscribes to the caller's
keys, and when a key comes plays a second prompt and hangs up. It exits 0 when every step happened
and 1 naming the first step that did not (CI runs it: tests/interop/msgraph_sdk.py).

The far side of the call is played by the double's provisioning hook (CONTRACT.md section 5): this
script rings the bot through it, and presses a key through it once the bot listens for keys (a real
caller just presses one). Against Graph, only the base URL, the token provider and the callback's
public address change; the bot's code does not.
"""

import asyncio
import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph import GraphServiceClient
from msgraph.generated.communications.calls.item.answer.answer_post_request_body import AnswerPostRequestBody
from msgraph.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import PlayPromptPostRequestBody
from msgraph.generated.communications.calls.item.subscribe_to_tone.subscribe_to_tone_post_request_body import (
    SubscribeToTonePostRequestBody,
)
from msgraph.generated.models.call import Call
from msgraph.generated.models.media_info import MediaInfo
from msgraph.generated.models.media_prompt import MediaPrompt
from msgraph.generated.models.modality import Modality
from msgraph.generated.models.play_prompt_operation import PlayPromptOperation
from msgraph.generated.models.service_hosted_media_config import ServiceHostedMediaConfig
from msgraph.graph_request_adapter import GraphRequestAdapter

# How long the bot waits for any one notification before it gives up on the call.
STEP_TIMEOUT = 10.0

# What the resourceData of a notification is read as, by its @odata.type.
MODELS = {"#microsoft.graph.call": Call, "#microsoft.graph.playPromptOperation": PlayPromptOperation}


class AnyToken(AccessTokenProvider):
    """The double takes any bearer token; against Graph this is where azure-identity goes."""

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return "local-token"

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


PRINTING = threading.Lock()


def say(line: str) -> None:
    """One whole line at a time: the callback's thread and the bot's print side by side."""
    with PRINTING:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def read(data: dict):
    """A notification's resourceData through the SDK model its @odata.type names (None: not one the bot reads)."""
    model = MODELS.get(data.get("@odata.type", ""))
    if model is None:
        return None
    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(data).encode())
    return node.get_object_value(model)


class Heard:
    """What the callback heard, handed to the bot's event loop in order of arrival."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()

    def put(self, resource: str, change: str, parsed) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (resource, change, parsed))

    async def until(self, step: str, wanted) -> object:
        """The first notification `wanted` accepts; SystemExit naming `step` when none comes in time."""
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                while True:
                    resource, change, parsed = await self.queue.get()
                    if parsed is not None and wanted(resource, change, parsed):
                        return parsed
        except TimeoutError:
            say(f"ivr: FAILED: {step}: no such notification within {STEP_TIMEOUT:.0f} s")
            raise SystemExit(1) from None


def serve_callback(heard: Heard) -> ThreadingHTTPServer:
    class Callback(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            # Answer first, as Graph wants a bot's callback to answer fast; then act.
            self.send_response(202)
            self.end_headers()
            for item in body.get("value", []):
                resource = item.get("resourceUrl") or item.get("resource") or ""
                heard.put(resource, item.get("changeType", ""), read(item.get("resourceData") or {}))

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def far_side(hook: str, path: str, body: dict) -> dict:
    """The double's provisioning hook: what a caller does (ring, press a key), CONTRACT.md section 5."""
    req = urllib.request.Request(f"{hook}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        raw = r.read()
    return json.loads(raw) if raw else {}


def prompt(uri: str) -> MediaPrompt:
    return MediaPrompt(media_info=MediaInfo(uri=uri, resource_id=uri.rsplit("/", 1)[-1]))


async def play(call, heard: Heard, uri: str, what: str) -> None:
    """Plays one prompt and waits until its operation is notified completed."""
    op = await call.play_prompt.post(PlayPromptPostRequestBody(prompts=[prompt(uri)], client_context=what))
    say(f"bot: playing {what} (operation {op.id}, {op.status.value})")
    done = await heard.until(
        f"{what} completed",
        lambda res, change, p: isinstance(p, PlayPromptOperation) and res.lower().endswith(f"/operations/{op.id}".lower()),
    )
    say(f"bot: {what} {done.status.value}")


async def main(double: str) -> None:
    heard = Heard(asyncio.get_running_loop())
    callback = serve_callback(heard)
    callback_uri = f"http://127.0.0.1:{callback.server_address[1]}/api/calls"
    hook = f"{double}/_provision/calls"
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(AnyToken()))
    adapter.base_url = f"{double}/beta"
    calls = GraphServiceClient(request_adapter=adapter).communications.calls

    # The far side: someone calls the bot.
    call_id = far_side(hook, "", {"state": "incoming", "callbackUri": callback_uri})["id"]
    incoming = await heard.until("the incoming call", lambda res, change, p: isinstance(p, Call) and change == "created")
    say(f"bot: incoming call {call_id} ({incoming.state.value})")
    call = calls.by_call_id(call_id)

    await call.answer.post(
        AnswerPostRequestBody(callback_uri=callback_uri, accepted_modalities=[Modality.Audio], media_config=ServiceHostedMediaConfig())
    )
    say("bot: answered")
    await heard.until("established", lambda res, change, p: isinstance(p, Call) and p.state is not None and p.state.value == "established")
    say("bot: established")

    await play(call, heard, "https://cdn.contoso.com/welcome.wav", "the welcome prompt")
    subscription = await call.subscribe_to_tone.post(SubscribeToTonePostRequestBody(client_context="ivr-menu"))
    say(f"bot: listening for keys ({subscription.status.value})")

    # The far side: the caller presses 1 once the bot listens.
    far_side(hook, f"/{call_id}/tone", {"tone": "tone1"})
    key = await heard.until("a key pressed", lambda res, change, p: isinstance(p, Call) and p.tone_info is not None)
    say(f"bot: the caller pressed {key.tone_info.tone.value} (sequence {key.tone_info.sequence_id})")

    await play(call, heard, f"https://cdn.contoso.com/you-pressed-{key.tone_info.tone.value}.wav", "the menu choice")
    await call.delete()
    say("bot: hung up")
    await heard.until("terminated", lambda res, change, p: isinstance(p, Call) and p.state is not None and p.state.value == "terminated")
    say("ivr: every step happened")
    callback.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"))
