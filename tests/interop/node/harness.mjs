// What the two Node interop programs share: the standalone double, the provisioning hook, a bot's
// callback, and the tally they print (`interop: N passed, N failed`).

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const WAIT_MS = 10_000;
export const UNKNOWN_CALL = "00000000-0000-0000-0000-000000000000";

export const passed = [];
export const problems = [];
export const ok = (operation, what) => {
  passed.push(operation);
  console.log(`ok   ${operation}: ${what}`);
};
export const problem = (operation, what) => {
  problems.push(`${operation}: ${what}`);
  console.log(`FAIL ${operation}: ${what}`);
};

// --- the double ---------------------------------------------------------------------------------

/** `cargo xtask serve-double` on a free port, in `edition`; its target and provisioning URLs. */
export function startDouble(edition) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONFORMANCE_")));
  // INTEROP_DOUBLE_FAULT runs the double with a named bug, to see this step fail on it.
  if (process.env.INTEROP_DOUBLE_FAULT) env.CONFORMANCE_DOUBLE_FAULT = process.env.INTEROP_DOUBLE_FAULT;
  const proc = spawn("cargo", ["xtask", "serve-double", "--edition", edition], { cwd: ROOT, env, stdio: ["ignore", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    const urls = {};
    let buffered = "";
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error("cargo xtask serve-double did not print its target and provisioning URLs within 300 s"));
    }, 300_000);
    proc.stdout.on("data", (chunk) => {
      buffered += chunk.toString();
      for (const m of buffered.matchAll(/^(target|provision):\s+(\S+)/gm)) urls[m[1]] = m[2];
      if (urls.target && urls.provision) {
        clearTimeout(timer);
        resolve({ proc, target: urls.target, hook: urls.provision });
      }
    });
    proc.on("exit", (code) => reject(new Error(`cargo xtask serve-double exited (${code}) before printing its URLs`)));
  });
}

export async function provision(hook, state, callbackUri) {
  const r = await fetch(hook, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ state, callbackUri }) });
  return (await r.json()).id;
}

// --- the bot's callback -------------------------------------------------------------------------

export function startCallback(inboxes) {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      try {
        const body = JSON.parse(raw);
        (inboxes[req.url] ??= []).push(...(body.value ?? []));
      } catch {
        problem("notification delivery", `a body that is not JSON at ${req.url}`);
      }
      res.writeHead(202).end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

export async function waitFor(inboxes, path, count) {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline && (inboxes[path] ?? []).length < count) await new Promise((r) => setTimeout(r, 50));
  return inboxes[path] ?? [];
}

/**
 * Runs each of `drives` (`{ seeds: fn, current: fn }`, by edition) against a double of its own
 * edition, with one bot callback for all: `fn(target, hook, callback, inboxes)`.
 */
export async function againstEachEdition(drives) {
  const inboxes = {};
  const { server, url: callback } = await startCallback(inboxes);
  for (const [edition, drive] of Object.entries(drives)) {
    let double;
    try {
      double = await startDouble(edition);
      await drive(double.target, double.hook, callback, inboxes);
    } catch (e) {
      // An SDK error where none was expected is a finding, not a crash.
      problem(`the exchange (${edition} edition)`, `${e?.constructor?.name}: ${e?.message ?? e}`);
    } finally {
      double?.proc.kill();
    }
  }
  server.close();
}

/**
 * Awaits `promise`, which must fail with an error of `status` that reads (through `read`, the SDK's
 * own error shape: `{ kind, status, code, message }`) with a code and a message.
 */
export async function expectErrorAs(read, operation, status, promise) {
  try {
    await promise;
    problem(operation, `no error; expected a ${read(undefined).kind} with status ${status}`);
  } catch (e) {
    const { kind, status: got, code, message } = read(e);
    if (got !== status) problem(operation, `error with status ${got}, expected ${status} (${e?.message ?? e})`);
    else if (!code || !message) problem(operation, `${kind} ${status} read with code ${JSON.stringify(code)}, message ${JSON.stringify(message)}`);
    else ok(operation, `${kind} ${status}, code ${JSON.stringify(code)}, message ${JSON.stringify(message)}`);
  }
}

/** Prints the tally and sets the exit code: 1 on any failure. */
export function finish(what) {
  if (problems.length) {
    console.log(`\n${problems.length} problem(s):`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`\n${what}`);
  }
  console.log(`interop: ${passed.length} passed, ${problems.length} failed`);
  process.exitCode = problems.length ? 1 : 0;
}
