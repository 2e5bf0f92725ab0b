import assert from "node:assert/strict";
import { HEAVY_RESOURCES, judgeSubresource, navigationError } from "../../src/render/intercept.ts";
import { AddressGuard } from "../../src/http/address_guard.ts";

const guard = new AddressGuard({ allowCidrs: ["127.0.0.2/32"] });
const rules = (allowHeavy: boolean) => ({
  allowHeavy,
  checkRequest: async (url: string, signal: AbortSignal) =>
    (await guard.verdict(url, { signal })) === "blocked" ? "blocked_address" as const : undefined,
});
const { signal } = new AbortController();

Deno.test("judgeSubresource() refuses script requests to blocked addresses, naming why", async () => {
  for (
    const url of ["http://127.0.0.1:8080/admin", "http://169.254.169.254/latest/", "http://[::1]/"]
  ) {
    assert.deepEqual(
      await judgeSubresource({ url, resourceType: "Fetch" }, rules(false), signal),
      { allow: false, error: "blocked_address" },
      url,
    );
  }
  assert.deepEqual(
    await judgeSubresource(
      { url: "http://127.0.0.2/app.js", resourceType: "Script" },
      rules(false),
      signal,
    ),
    { allow: true },
  );
});

Deno.test("judgeSubresource() refuses images, fonts and media unless allowed, and non-http(s) URLs", async () => {
  for (const resourceType of HEAVY_RESOURCES) {
    const request = { url: "http://127.0.0.2/x", resourceType };
    assert.deepEqual(await judgeSubresource(request, rules(false), signal), { allow: false });
    assert.deepEqual(await judgeSubresource(request, rules(true), signal), { allow: true });
  }
  // Allowing heavy resources does not lift the address guard.
  assert.deepEqual(
    await judgeSubresource(
      { url: "http://127.0.0.1/x.png", resourceType: "Image" },
      rules(true),
      signal,
    ),
    { allow: false, error: "blocked_address" },
  );
  assert.deepEqual(
    await judgeSubresource(
      { url: "ftp://127.0.0.2/x", resourceType: "Other" },
      rules(true),
      signal,
    ),
    { allow: false },
  );
});

Deno.test("navigationError() maps chromium's net errors to the record's codes", () => {
  assert.equal(navigationError("net::ERR_NAME_NOT_RESOLVED"), "dns");
  assert.equal(navigationError("net::ERR_CONNECTION_REFUSED"), "refused");
  assert.equal(navigationError("net::ERR_CONNECTION_RESET"), "reset");
  assert.equal(navigationError("net::ERR_EMPTY_RESPONSE"), "reset");
  assert.equal(navigationError("net::ERR_TIMED_OUT"), "timeout");
  assert.equal(navigationError("net::ERR_CERT_AUTHORITY_INVALID"), "tls");
  assert.equal(navigationError("net::ERR_TOO_MANY_REDIRECTS"), "too_many_redirects");
  assert.equal(navigationError("net::ERR_FAILED"), "network");
});
