"""A bot team's first hour with the double: Microsoft's Graph SDK for Python, unchanged, against
`cargo xtask serve-double` instead of graph.microsoft.com.

    cargo xtask serve-double --port 8080        # in one terminal (add --bind 0.0.0.0:8080 for a container)
    python -m venv venv && venv/bin/pip install -r tests/interop/requirements.txt
    venv/bin/python examples/python_sdk_quickstart.py http://127.0.0.1:8080

It provisions an answered call whose notifications come to a callback this script serves, runs
updateRecordingStatus, cancelMediaProcessing and delete through the SDK, and prints what the bot hears.
"""

import asyncio
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from msgraph import GraphServiceClient
from msgraph.generated.communications.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody,
)
from msgraph.generated.communications.calls.item.update_recording_status.update_recording_status_post_request_body import (
    UpdateRecordingStatusPostRequestBody,
)
from msgraph.generated.models.recording_status import RecordingStatus
from msgraph.graph_request_adapter import GraphRequestAdapter


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


class Callback(BaseHTTPRequestHandler):
    """The bot's callback: prints each notification it hears and answers 202, as the SDK's bots do."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        for item in body.get("value", []):
            data = item.get("resourceData", {})
            say(f"  heard: {item['changeType']} {data.get('@odata.type')} {data.get('state', data.get('status', ''))}")
        self.send_response(202)
        self.end_headers()

    def log_message(self, *_):
        pass


async def main(double: str) -> None:
    callback = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=callback.serve_forever, daemon=True).start()

    # 1. Provision a call on the double (what Graph does when someone calls your bot).
    hook = urllib.request.Request(
        f"{double}/_provision/calls",
        data=json.dumps({"state": "established", "callbackUri": f"http://127.0.0.1:{callback.server_address[1]}/api/calls"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    call_id = json.load(urllib.request.urlopen(hook))["id"]
    say(f"call {call_id}")

    # 2. The SDK, pointed at the double: only the base URL and the token provider differ from production.
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(AnyToken()))
    adapter.base_url = f"{double}/beta"
    call = GraphServiceClient(request_adapter=adapter).communications.calls.by_call_id(call_id)

    op = await call.update_recording_status.post(UpdateRecordingStatusPostRequestBody(status=RecordingStatus.Recording, client_context="my-context"))
    say(f"updateRecordingStatus: {op.status}, clientContext {op.client_context!r}")
    await call.cancel_media_processing.post(CancelMediaProcessingPostRequestBody(client_context="my-context"))
    say("cancelMediaProcessing: accepted")
    await call.delete()
    say("delete: done")
    time.sleep(1)  # the notifications arrive on the callback meanwhile


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"))
