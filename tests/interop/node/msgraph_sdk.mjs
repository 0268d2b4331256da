// Microsoft's Graph SDK for TypeScript/JavaScript (@microsoft/msgraph-sdk: the kiota runtime and the
// v1.0 models) against the standalone double, as a Node bot would use it.
//
// The Python step (../msgraph_sdk.py) is one reader; this one is stricter: the kiota TypeScript
// runtime reads an enum only in the metadata's spelling (operationStatus `Completed`), so a double
// that wrote the documents' `completed` would lose the field here and nowhere else.
//
// The fluent request builders for /communications (@microsoft/msgraph-sdk-communications) are not
// published on npm (a 404 on 2026-12-07), so each request is built the way those builders build it:
// the SDK's own RequestInformation with the builders' URL template, serialized by the SDK's JSON
// writer and sent through the SDK's GraphRequestAdapter with its error mapping (ODataError). Every
// answer and every notification's resourceData is parsed through the SDK's models, and any
// property the double sent that the model read as `undefined` fails, named.
//
//     cd tests/interop/node && npm ci && node msgraph_sdk.mjs     # .ci/run does this
//     INTEROP_DOUBLE_FAULT=recording-status-upper-case node msgraph_sdk.mjs   # see it fail
//
// Prints `interop: N passed, N failed`; exit 1 on any failure.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { HttpMethod, RequestInformation } from "@microsoft/kiota-abstractions";
import { JsonParseNodeFactory } from "@microsoft/kiota-serialization-json";
import { GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import {
  createCallFromDiscriminatorValue,
  createCancelMediaProcessingOperationFromDiscriminatorValue,
  createCommsOperationFromDiscriminatorValue,
  createUpdateRecordingStatusOperationFromDiscriminatorValue,
  OperationStatusObject,
} from "@microsoft/msgraph-sdk/models/index.js";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";

import { againstEachEdition, expectErrorAs, finish, ok, problem, provision, ROOT, UNKNOWN_CALL, WAIT_MS, waitFor } from "./harness.mjs";

const FIXTURES = join(ROOT, "tests", "fixtures");
const ERRORS = { XXX: createODataErrorFromDiscriminatorValue };
// The models by @odata.type, as the SDK's discriminators map them.
const MODELS = {
  "#microsoft.graph.call": createCallFromDiscriminatorValue,
  "#microsoft.graph.commsOperation": createCommsOperationFromDiscriminatorValue,
  "#microsoft.graph.updateRecordingStatusOperation": createUpdateRecordingStatusOperationFromDiscriminatorValue,
  "#microsoft.graph.cancelMediaProcessingOperation": createCancelMediaProcessingOperationFromDiscriminatorValue,
};
// The URL templates of the SDK's generated request builders (kiota's conventions for /communications).
const TEMPLATES = {
  call: "{+baseurl}/communications/calls/{call%2Did}",
  updateRecordingStatus: "{+baseurl}/communications/calls/{call%2Did}/updateRecordingStatus",
  cancelMediaProcessing: "{+baseurl}/communications/calls/{call%2Did}/cancelMediaProcessing",
  reject: "{+baseurl}/communications/calls/{call%2Did}/reject",
};

// --- reading JSON through the SDK's models ------------------------------------------------------

function parse(factory, data) {
  const bytes = new TextEncoder().encode(JSON.stringify(data));
  return new JsonParseNodeFactory().getRootParseNode("application/json", bytes.buffer).getObjectValue(factory);
}

/** The properties of `data` that the SDK's object `parsed` read as undefined (neither a property nor additionalData). */
function lostFields(data, parsed, prefix = "") {
  const lost = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === null) continue;
    const property = key === "@odata.type" ? "odataType" : key;
    const got = parsed?.[property];
    const kept = parsed?.additionalData && key in parsed.additionalData;
    if (got === undefined && !kept) lost.push(`${prefix}${key} (${JSON.stringify(value)} read as undefined)`);
    else if (got && typeof value === "object" && !Array.isArray(value) && typeof got === "object") lost.push(...lostFields(value, got, `${prefix}${key}/`));
  }
  return lost;
}

function readResource(operation, item) {
  const data = item.resourceData ?? {};
  const factory = MODELS[data["@odata.type"]];
  if (!factory) {
    problem(operation, `resourceData of @odata.type ${JSON.stringify(data["@odata.type"])} has no SDK model here`);
    return undefined;
  }
  const parsed = parse(factory, data);
  for (const field of lostFields(data, parsed)) problem(operation, `the SDK's model loses resourceData/${field}`);
  return parsed;
}

// --- the operations -----------------------------------------------------------------------------

// A bot's own token, added as the SDK's BaseBearerTokenAuthenticationProvider would; that provider
// refuses http:// URLs, and the double is served on http://127.0.0.1.
const auth = { authenticateRequest: async (request) => void request.headers.add("Authorization", "Bearer interop-token") };

function adapterFor(target) {
  const adapter = new GraphRequestAdapter(auth);
  adapter.baseUrl = target;
  return adapter;
}

/** A request as the generated builder for `operation` makes it, with `body` written by the SDK's JSON writer. */
function request(adapter, method, operation, callId, body) {
  const info = new RequestInformation(method, TEMPLATES[operation], { baseurl: adapter.baseUrl, "call%2Did": callId });
  info.headers.tryAdd("Accept", "application/json");
  if (body) {
    info.setContentFromParsable(adapter, "application/json", body, (writer, b = {}) => {
      for (const [k, v] of Object.entries(b)) writer.writeStringValue(k, v);
    });
  }
  return info;
}

// How the SDK's ODataError reads: it keeps the body's `error` as `errorEscaped` (`error` is taken by Error).
const odataError = (e) => ({ kind: "ODataError", status: e?.responseStatusCode, code: e?.errorEscaped?.code, message: e?.errorEscaped?.message });
const expectError = (operation, status, promise) => expectErrorAs(odataError, operation, status, promise);

function checkOperation(name, op, sentContext, body) {
  if (!op) return problem(name, "no operation in the answer");
  for (const field of lostFields(body, op)) problem(name, `the SDK's model loses ${field}`);
  if (op.clientContext !== sentContext) problem(name, `clientContext ${JSON.stringify(op.clientContext)} is not the one sent`);
  if (op.status !== OperationStatusObject.Completed) problem(name, `status read as ${JSON.stringify(op.status)}, not Completed`);
  else ok(name, `operation ${op.id}, status ${op.status}, clientContext ${JSON.stringify(op.clientContext)}`);
}

/** Sends `info` and returns the parsed answer and the raw body, so the generic check sees every property sent. */
async function sendParsed(adapter, info, factory) {
  const raw = await adapter.sendPrimitive(info, "ArrayBuffer", ERRORS);
  if (!raw || raw.byteLength === 0) return { parsed: undefined, body: {} };
  const body = JSON.parse(new TextDecoder().decode(raw));
  return { parsed: parse(factory, body), body };
}

async function seeds(target, hook, callback, inboxes) {
  const adapter = adapterFor(target);
  const answered = await provision(hook, "established", `${callback}/answered`);

  let name = "updateRecordingStatus";
  const rec = await sendParsed(
    adapter,
    request(adapter, HttpMethod.POST, name, answered, { clientContext: "interop-recording", status: "recording" }),
    createUpdateRecordingStatusOperationFromDiscriminatorValue,
  );
  checkOperation(name, rec.parsed, "interop-recording", rec.body);

  name = "cancelMediaProcessing";
  await adapter.sendNoResponseContent(request(adapter, HttpMethod.POST, name, answered, { clientContext: "interop-cancel" }), ERRORS);
  ok(name, "accepted");

  await adapter.sendNoResponseContent(request(adapter, HttpMethod.DELETE, "call", answered), ERRORS);
  ok("delete", "accepted");
  await expectError("delete, a second time", 404, adapter.sendNoResponseContent(request(adapter, HttpMethod.DELETE, "call", answered), ERRORS));

  const incoming = await provision(hook, "incoming", `${callback}/incoming`);
  await adapter.sendNoResponseContent(request(adapter, HttpMethod.POST, "reject", incoming, { reason: "busy" }), ERRORS);
  ok("reject", "accepted");

  await expectError(
    "cancelMediaProcessing on an unknown call",
    404,
    adapter.sendNoResponseContent(request(adapter, HttpMethod.POST, "cancelMediaProcessing", UNKNOWN_CALL, { clientContext: "x" }), ERRORS),
  );
  const fresh = await provision(hook, "established", `${callback}/bad-input`);
  await expectError(
    "updateRecordingStatus with a 257-character clientContext",
    400,
    adapter.sendNoResponseContent(request(adapter, HttpMethod.POST, "updateRecordingStatus", fresh, { status: "failed", clientContext: "c".repeat(257) }), ERRORS),
  );

  // Every notification, read through the SDK's models.
  const items = await waitFor(inboxes, "/answered", 3);
  const byKind = new Map(items.map((i) => [`${i.changeType}/${i.resourceData?.state ?? ""}`, i]));
  const expected = {
    "deleted/": "cancelMediaProcessing's operation completed",
    "updated/terminating": "delete's terminating",
    "deleted/terminated": "delete's terminated",
  };
  for (const [key, what] of Object.entries(expected)) {
    const item = byKind.get(key);
    if (!item) {
      problem(what, `not heard within ${WAIT_MS / 1000} s (heard ${[...byKind.keys()].join(", ")})`);
      continue;
    }
    const parsed = readResource(what, item);
    if (!parsed) continue;
    if (item.resourceData["@odata.type"].endsWith("Operation")) {
      if (parsed.status !== OperationStatusObject.Completed || parsed.clientContext !== "interop-cancel")
        problem(what, `status ${JSON.stringify(parsed.status)}, clientContext ${JSON.stringify(parsed.clientContext)}`);
      else ok(what, `status ${parsed.status}, clientContext ${JSON.stringify(parsed.clientContext)}`);
    } else {
      const info = parsed.resultInfo;
      if (key === "deleted/terminated" && (info?.code === undefined || info?.subcode === undefined || !info?.message))
        problem(what, `resultInfo read as code ${info?.code}, subcode ${info?.subcode}`);
      else ok(what, `state ${parsed.state}${info ? `, resultInfo ${info.code}/${info.subcode} ${JSON.stringify(info.message)}` : ""}`);
    }
  }
  const rejected = (await waitFor(inboxes, "/incoming", 1)).filter((i) => i.changeType === "deleted");
  if (rejected.length === 0) problem("reject's deleted notification", `not heard within ${WAIT_MS / 1000} s`);
  else if (readResource("reject's deleted notification", rejected[0])) ok("reject's deleted notification", "a call, every property read");
}

async function current(target, hook, callback) {
  const adapter = adapterFor(target);
  const name = "cancelMediaProcessing (current edition)";
  const call = await provision(hook, "established", `${callback}/current`);
  const answer = await sendParsed(
    adapter,
    request(adapter, HttpMethod.POST, "cancelMediaProcessing", call, { clientContext: "interop-current" }),
    createCancelMediaProcessingOperationFromDiscriminatorValue,
  );
  checkOperation(name, answer.parsed, "interop-current", answer.body);
}

/** The fields the SDK cannot read from the documents' own example bodies: notes, not failures. */
function documentsNotes() {
  const notes = [];
  const bodies = [];
  for (const f of readdirSync(join(FIXTURES, "notifications")).filter((f) => f.endsWith(".json")).sort()) {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, "notifications", f), "utf8"));
    for (const item of fixture.body.value ?? []) bodies.push([f, "resourceData/", item.resourceData ?? {}]);
  }
  for (const f of readdirSync(join(FIXTURES, "responses")).filter((f) => f.endsWith(".json")).sort()) {
    const body = JSON.parse(readFileSync(join(FIXTURES, "responses", f), "utf8")).body;
    if (body && typeof body === "object") bodies.push([f, "", body]);
  }
  for (const [f, prefix, data] of bodies) {
    const factory = MODELS[data["@odata.type"]];
    if (factory) for (const field of lostFields(data, parse(factory, data), prefix)) notes.push(`${f}: ${field}`);
  }
  return notes;
}

async function main() {
  const started = Date.now();
  await againstEachEdition({ seeds, current });
  console.log(`\nthe SDK against the double: ${((Date.now() - started) / 1000).toFixed(2)} s`);
  const notes = documentsNotes();
  console.log(`\nnote: ${notes.length} field(s) the SDK cannot read from the documents' own examples:`);
  for (const n of notes) console.log(`note: ${n}`);
  finish("@microsoft/msgraph-sdk reads every answer and notification of the double with no documented field lost");
}

await main();
