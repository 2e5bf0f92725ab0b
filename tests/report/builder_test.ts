/**
 * Tests of the HTML report's builder: its bounded state and its limits. The
 * rendered page is tested in `html_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { ReportBuilder } from "../../src/report/builder.ts";
import { DEPTH_BUCKETS } from "../../src/report/snapshot.ts";
import { build, META, ORIGIN, rec, summarize } from "./records.ts";

Deno.test("report: response times fall into log-ish buckets, unfetched URLs not counted", () => {
  const edges = [0, 49.9, 50, 99, 100, 249, 250, 499, 500, 999, 1000, 1999, 2000, 4999, 5000, 6e4];
  const records = edges.map((ms, i) => rec(`${ORIGIN}/${i}`, { durationMs: ms }));
  records.push(rec(`${ORIGIN}/private`, { status: null, error: "robots", durationMs: 0 }));
  records.push(rec(`${ORIGIN}/slow`, { status: null, error: "timeout", durationMs: 10_000 }));
  const snap = build(records).snapshot();
  assert.deepEqual(snap.responseTimes, [2, 2, 2, 2, 2, 2, 2, 3]);
});

Deno.test("report: outcomes count status codes, and non-HTTP errors by code", () => {
  const snap = build([
    rec(`${ORIGIN}/a`),
    rec(`${ORIGIN}/b`),
    rec(`${ORIGIN}/c`, { status: 404, error: "http_4xx" }),
    rec(`${ORIGIN}/d`, { status: null, error: "timeout" }),
    rec(`${ORIGIN}/e`, {
      status: 301,
      error: "redirect_loop",
      redirects: [{ url: "x", status: 301 }],
    }),
    rec(`${ORIGIN}/f`, { status: 200, error: "too_large" }),
  ]).snapshot();
  assert.deepEqual(snap.outcomes, { 200: 2, 404: 1, timeout: 1, redirect_loop: 1, too_large: 1 });
});

Deno.test("report: depths past the last bucket share it", () => {
  const snap = build(
    [0, 1, 1, 3, DEPTH_BUCKETS - 1, DEPTH_BUCKETS + 50].map((depth) =>
      rec(`${ORIGIN}/${depth}`, { depth })
    ),
  ).snapshot();
  assert.equal(snap.depths.length, DEPTH_BUCKETS);
  assert.deepEqual(snap.depths.slice(0, 4), [1, 2, 0, 1]);
  assert.equal(snap.depths[DEPTH_BUCKETS - 1], 2);
});

Deno.test("report: keeps the N slowest pages that got a response, slowest first", () => {
  const durations = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500 + 0.5);
  const records = durations.map((ms, i) => rec(`${ORIGIN}/p${i}`, { durationMs: ms }));
  records.push(rec(`${ORIGIN}/t`, { status: null, error: "timeout", durationMs: 99_999 }));
  const snap = build(records, new ReportBuilder({ slowest: 20 })).snapshot();
  const expected = [...durations].sort((a, b) => b - a).slice(0, 20);
  assert.deepEqual(snap.slowest.map((p) => p.durationMs), expected);
  assert.ok(snap.slowest.every((p) => p.status === 200));
});

Deno.test("report: caps the lists and says how many more were not listed", () => {
  const records: CrawlRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    records.push(rec(`${ORIGIN}/gone/${i}`, { status: 404, error: "http_4xx" }));
    records.push(
      rec(`${ORIGIN}/moved/${i}`, { redirects: [{ url: `${ORIGIN}/old/${i}`, status: 301 }] }),
    );
    records.push(rec(`${ORIGIN}/private/${i}`, { status: null, error: "robots", durationMs: 0 }));
  }
  const builder = build(
    records,
    new ReportBuilder({ maxBroken: 5, maxRedirects: 6, maxRobots: 7 }),
  );
  const snap = builder.snapshot();
  assert.deepEqual([snap.broken.length, snap.redirects.length, snap.robots.length], [5, 6, 7]);
  assert.deepEqual([snap.brokenTotal, snap.redirectTotal, snap.robotsTotal], [1000, 1000, 1000]);
  const html = builder.render(summarize(records), META);
  for (const n of ["995", "994", "993"]) assert.match(html, new RegExp(`and ${n} more not listed`));
});

Deno.test("report: state stays bounded over many records", () => {
  const builder = new ReportBuilder();
  for (let i = 0; i < 200_000; i++) {
    const error = i % 3 === 0 ? "http_4xx" as const : i % 3 === 1 ? "robots" as const : undefined;
    builder.add(rec(`${ORIGIN}/${i}`, {
      status: error === "robots" ? null : error ? 404 : 200,
      error,
      depth: i % 100,
      durationMs: i % 7000,
      redirects: i % 5 === 0 ? [{ url: `${ORIGIN}/r${i}`, status: 302 }] : undefined,
    }));
  }
  const snap = builder.snapshot();
  assert.equal(snap.records, 200_000);
  assert.ok(snap.slowest.length === 20 && snap.broken.length === 1000);
  assert.ok(snap.redirects.length === 500 && snap.robots.length === 1000);
  assert.ok(snap.depths.length === DEPTH_BUCKETS && Object.keys(snap.outcomes).length === 3);
});

Deno.test("report: rejects a limit that is not a positive integer", () => {
  assert.throws(
    () => new ReportBuilder({ maxBroken: 0 }),
    new RangeError(
      "Cannot create report builder as 'maxBroken' must be a positive integer: received 0",
    ),
  );
});
