// Microsoft's classic Graph client for JavaScript (@microsoft/microsoft-graph-client 3) against the
// standalone double, as many Node bots still call Graph.
//
// The classic client adds a token only for https:// Graph hosts (its AuthenticationHandler ignores
// `customHosts` on http://), so against the double on http://127.0.0.1 it takes a middleware chain
// of the bot's own: an authentication middleware that adds the bot's token, then the client's
// HTTPMessageHandler. docs/bot-teams.md shows the same for bot teams. The client has no models: it
// returns the JSON as sent, so this step proves the transport (base URL, version, token, bodies,
// GraphError), and that the operation's status arrives in the metadata's spelling.
//
//     cd tests/interop/node && npm ci && node classic_client.mjs     # .ci/run does this
//
// Prints `interop: N passed, N failed`; exit 1 on any failure.

import { Client, HTTPMessageHandler } from "@microsoft/microsoft-graph-client";

import { againstEachEdition, expectErrorAs, finish, ok, problem, provision, UNKNOWN_CALL, WAIT_MS, waitFor } from "./harness.mjs";

/** The bot's own authentication middleware: adds its token to every request, then hands on. */
class BearerMiddleware {
  constructor(token) {
    this.token = token;
  }
  async execute(context) {
    const headers = new Headers(context.options?.headers ?? {});
    headers.set("Authorization", `Bearer ${this.token}`);
    context.options = { ...context.options, headers };
    return this.next.execute(context);
  }
  setNext(next) {
    this.next = next;
  }
}

/** A classic client for a target URL such as http://127.0.0.1:8080/beta (base URL and version apart), through `middleware`. */
function clientFor(target, middleware = [new BearerMiddleware("interop-token"), new HTTPMessageHandler()]) {
  const cut = target.lastIndexOf("/");
  return Client.initWithMiddleware({ middleware, baseUrl: target.slice(0, cut + 1), defaultVersion: target.slice(cut + 1) });
}

// How the classic client's GraphError reads.
const graphError = (e) => ({ kind: "GraphError", status: e?.statusCode, code: e?.code, message: e?.message });
const expectError = (operation, status, promise) => expectErrorAs(graphError, operation, status, promise);

function checkOperation(name, op, sentContext) {
  const missing = ["@odata.type", "id", "status", "clientContext"].filter((k) => op?.[k] === undefined);
  if (missing.length) problem(name, `the answer lacks ${missing.join(", ")}: ${JSON.stringify(op)}`);
  else if (op.clientContext !== sentContext) problem(name, `clientContext ${JSON.stringify(op.clientContext)} is not the one sent`);
  else if (op.status !== "Completed") problem(name, `status ${JSON.stringify(op.status)}, not the metadata's "Completed"`);
  else ok(name, `operation ${op.id}, status ${op.status}, clientContext ${JSON.stringify(op.clientContext)}`);
}

async function seeds(target, hook, callback, inboxes) {
  const client = clientFor(target);
  const calls = "/communications/calls";
  const answered = await provision(hook, "established", `${callback}/classic-answered`);
  const op = await client.api(`${calls}/${answered}/updateRecordingStatus`).post({ clientContext: "interop-recording", status: "recording" });
  checkOperation("updateRecordingStatus", op, "interop-recording");
  await client.api(`${calls}/${answered}/cancelMediaProcessing`).post({ clientContext: "interop-cancel" });
  ok("cancelMediaProcessing", "accepted");
  await client.api(`${calls}/${answered}`).delete();
  ok("delete", "accepted");
  await expectError("delete, a second time", 404, client.api(`${calls}/${answered}`).delete());
  const incoming = await provision(hook, "incoming", `${callback}/classic-incoming`);
  await client.api(`${calls}/${incoming}/reject`).post({ reason: "busy" });
  ok("reject", "accepted");
  await expectError("cancelMediaProcessing on an unknown call", 404, client.api(`${calls}/${UNKNOWN_CALL}/cancelMediaProcessing`).post({ clientContext: "x" }));
  const fresh = await provision(hook, "established", `${callback}/classic-bad-input`);
  await expectError(
    "updateRecordingStatus with a 257-character clientContext",
    400,
    client.api(`${calls}/${fresh}/updateRecordingStatus`).post({ status: "failed", clientContext: "c".repeat(257) }),
  );
  // Without the middleware's token the double must refuse: the token above was really sent.
  const bare = clientFor(target, [new HTTPMessageHandler()]);
  await expectError("a request without the bot's token", 401, bare.api(`${calls}/${fresh}/cancelMediaProcessing`).post({}));
  const items = await waitFor(inboxes, "/classic-answered", 3);
  if (items.length < 3) problem("notifications", `heard ${items.length} of 3 within ${WAIT_MS / 1000} s`);
  else ok("notifications", `heard ${items.map((i) => `${i.changeType}/${i.resourceData?.state ?? i.resourceData?.status}`).join(", ")}`);
}

async function current(target, hook, callback) {
  const client = clientFor(target);
  const call = await provision(hook, "established", `${callback}/classic-current`);
  const op = await client.api(`/communications/calls/${call}/cancelMediaProcessing`).post({ clientContext: "interop-current" });
  checkOperation("cancelMediaProcessing (current edition)", op, "interop-current");
}

async function main() {
  await againstEachEdition({ seeds, current });
  finish("@microsoft/microsoft-graph-client talks to the double over http:// with the bot's own authentication middleware");
}

await main();
