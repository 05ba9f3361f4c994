// SPDX-License-Identifier: Apache-2.0
//
// cedar.mjs: evaluates the policy benchmark scenario written by
// `build/release/bench/policy --export DIR` with cedar-wasm, checks that
// every decision equals safekeep's, and prints decisions/s and latency.
//
//   cd bench/cedar && npm install && node cedar.mjs DIR [SECONDS]
//
// Cedar has no field masks, so each safekeep request (several fields) is
// evaluated as one Cedar request per requested field, with context.field set;
// safekeep permits exactly when Cedar allows at least one of them. A
// "decision" below is one safekeep request (all its per-field Cedar calls);
// the per-call rate is printed too. Only permit/deny is compared: which
// fields are disclosed has no Cedar counterpart.
//
// The stateful API is used when the package has it (preparsePolicySet, then
// statefulIsAuthorized), so the policy text is parsed once. Entities are
// passed, and parsed, with every call, as Cedar's API requires; each call
// gets only the two entities its request names (the requesting agency and
// the record), which is all the policies read. Passing the whole entity
// list (330 entities) makes each call about 100 times slower.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";

const dir = process.argv[2];
const seconds = Number(process.argv[3] ?? 5);
if (!dir) {
    console.error("usage: node cedar.mjs SCENARIO_DIR [SECONDS]");
    process.exit(2);
}
const policies = readFileSync(join(dir, "policies.cedar"), "utf8");
const entities = JSON.parse(readFileSync(join(dir, "entities.json"), "utf8"));
const requests = JSON.parse(readFileSync(join(dir, "requests.json"), "utf8"));

const stateful =
    typeof cedar.preparsePolicySet === "function" && typeof cedar.statefulIsAuthorized === "function";
if (stateful) {
    const parsed = cedar.preparsePolicySet("safekeep", { staticPolicies: policies });
    if (parsed.type !== "success") {
        console.error("cedar: policies do not parse:", JSON.stringify(parsed.errors).slice(0, 2000));
        process.exit(1);
    }
} else {
    const parsed = cedar.checkParsePolicySet({ staticPolicies: policies });
    if (parsed.type !== "success") {
        console.error("cedar: policies do not parse:", JSON.stringify(parsed.errors).slice(0, 2000));
        process.exit(1);
    }
}

// The per-field calls of every request, built once (not timed).
const byUid = new Map(entities.map((e) => [`${e.uid.type}::${e.uid.id}`, e]));
const slice = (r) => [
    byUid.get(`${r.principal.type}::${r.principal.id}`),
    byUid.get(`${r.resource.type}::${r.resource.id}`),
];
const calls = requests.map((r) =>
    r.fields.map((field) => {
        const base = {
            principal: r.principal,
            action: r.action,
            resource: r.resource,
            context: { ...r.context, field },
            entities: slice(r),
        };
        return stateful
            ? { ...base, preparsedPolicySetId: "safekeep" }
            : { ...base, policies: { staticPolicies: policies } };
    }),
);
const authorize = stateful ? cedar.statefulIsAuthorized : cedar.isAuthorized;

// One safekeep request: allowed when any of its fields is.
function decide(index) {
    let allow = false;
    for (const call of calls[index]) {
        const answer = authorize(call);
        if (answer.type !== "success") {
            throw new Error(`request ${index}: ${JSON.stringify(answer.errors).slice(0, 500)}`);
        }
        if (answer.response.decision === "allow") {
            allow = true; // keep going: every field's call is part of the work
        }
    }
    return allow;
}

// Check every decision against safekeep's.
let mismatches = 0;
for (let i = 0; i < requests.length; i++) {
    const got = decide(i) ? "allow" : "deny";
    if (got !== requests[i].expected) {
        if (mismatches < 5) {
            console.error(`mismatch on request ${i}: cedar ${got}, safekeep ${requests[i].expected}:`,
                JSON.stringify(requests[i]));
        }
        mismatches++;
    }
}
const permits = requests.filter((r) => r.expected === "allow").length;
const callCount = calls.reduce((n, c) => n + c.length, 0);
console.log(`cedar-wasm ${cedar.getCedarVersion?.() ?? "?"} (${stateful ? "stateful" : "isAuthorized"}),` +
    ` node ${process.version}`);
console.log(`requests: ${requests.length} (${permits} permits), ${callCount} Cedar calls` +
    ` (${(callCount / requests.length).toFixed(2)} per request); decisions equal to safekeep's:` +
    ` ${requests.length - mismatches}/${requests.length}`);

// Warm-up, then throughput: requests in order, cycling, each timed alone (a
// Cedar call takes milliseconds here, so the timer's cost is negligible and
// the same samples give the percentiles).
for (let i = 0; i < Math.min(200, requests.length); i++) decide(i);
const samples = [];
let done = 0;
let fieldCalls = 0;
let elapsed = 0n;
while (Number(elapsed) < seconds * 1e9) {
    const i = done % requests.length;
    const start = process.hrtime.bigint();
    decide(i);
    const ns = process.hrtime.bigint() - start;
    elapsed += ns;
    samples.push(Number(ns));
    fieldCalls += calls[i].length;
    done++;
}
const secs = Number(elapsed) / 1e9;
samples.sort((a, b) => a - b);
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))];

console.log("");
console.log("| measure | value |");
console.log("|---|---|");
console.log(`| decisions (safekeep requests) | ${done} in ${secs.toFixed(2)} s |`);
console.log(`| throughput (one thread) | ${(done / secs).toFixed(1)} decisions/s (${(fieldCalls / secs).toFixed(1)} Cedar calls/s) |`);
console.log(`| mean latency per decision | ${((secs * 1e6) / done).toFixed(2)} µs |`);
console.log(`| p50 / p99 per decision (every one timed) | ${(pct(0.5) / 1000).toFixed(2)} / ${(pct(0.99) / 1000).toFixed(2)} µs |`);

// Where the time goes: the same kind of call against policy sets of trivial
// policies (one condition each), so that the per-call floor and the cost
// per policy in the set can be told apart from this scenario's conditions.
if (stateful) {
    const probe = { ...calls[0][0], preparsedPolicySetId: "probe" };
    for (const n of [1, 10, 100]) {
        let text = "";
        for (let k = 0; k < n; k++) {
            text += `permit (principal, action, resource) when { context.purpose == "p${k}" };\n`;
        }
        cedar.preparsePolicySet("probe", { staticPolicies: text });
        const reps = n === 100 ? 500 : 2000;
        for (let k = 0; k < reps; k++) authorize(probe);
        const start = process.hrtime.bigint();
        for (let k = 0; k < reps; k++) authorize(probe);
        const us = Number(process.hrtime.bigint() - start) / reps / 1000;
        console.log(`| one call, ${n} trivial ${n === 1 ? "policy" : "policies"} | ${us.toFixed(1)} µs |`);
    }
}
if (mismatches > 0) {
    console.error(`${mismatches} decisions differ from safekeep's`);
    process.exit(1);
}
