import assert from "node:assert/strict";
import { backoffMs, isTransient, parseRetryAfter } from "../../src/pipeline/retry.ts";

Deno.test("isTransient retries network errors and 408/429/5xx, never other 4xx", () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    assert.ok(isTransient(status, status < 500 ? "http_4xx" : "http_5xx"), String(status));
  }
  for (const status of [400, 401, 403, 404, 410, 501, 505]) {
    assert.ok(!isTransient(status, status < 500 ? "http_4xx" : "http_5xx"), String(status));
  }
  for (const code of ["timeout", "dns", "refused", "reset", "network"] as const) {
    assert.ok(isTransient(null, code), code);
  }
  for (const code of ["tls", "permission", "too_large", "blocked_address", "robots"] as const) {
    assert.ok(!isTransient(null, code), code);
  }
  assert.ok(!isTransient(200, undefined));
});

Deno.test("backoffMs doubles per attempt with jitter between half and all of it, capped", () => {
  const low = { baseMs: 100, maxMs: 1000, random: () => 0 };
  const high = { baseMs: 100, maxMs: 1000, random: () => 0.999999 };
  assert.equal(backoffMs(1, low), 50);
  assert.equal(backoffMs(2, low), 100);
  assert.equal(backoffMs(3, low), 200);
  assert.ok(Math.abs(backoffMs(3, high) - 400) < 0.01);
  assert.equal(backoffMs(10, low), 500, "capped at maxMs before jitter");
});

Deno.test("parseRetryAfter reads seconds and HTTP-dates", () => {
  assert.equal(parseRetryAfter("0"), 0);
  assert.equal(parseRetryAfter(" 3 "), 3000);
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:02 GMT", now), 2000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0, "a past date means now");
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter("2026-01-01"), undefined);
  assert.equal(parseRetryAfter("-5"), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});
