import assert from "node:assert/strict";
import { classifyFetchError } from "../../src/http/errors.ts";
import { BodyDecodeError, BodyTooLargeError } from "../../src/http/body.ts";

Deno.test("classifyFetchError tells timeouts, refusals, DNS and TLS failures apart", () => {
  const fail = (cause: string) => new TypeError("fetch failed", { cause: new Error(cause) });
  assert.equal(
    classifyFetchError(new DOMException("The operation was aborted due to timeout", "TimeoutError"))
      .code,
    "timeout",
  );
  assert.equal(
    classifyFetchError(fail("tcp connect error: Connection refused (os error 111)")).code,
    "refused",
  );
  assert.equal(
    classifyFetchError(fail("dns error: failed to lookup address information")).code,
    "dns",
  );
  assert.equal(
    classifyFetchError(fail("received corrupt message of type InvalidContentType")).code,
    "tls",
  );
  assert.equal(
    classifyFetchError(fail("connection closed before message completed")).code,
    "reset",
  );
  assert.equal(classifyFetchError(fail("something else")).code, "network");
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(classifyFetchError(fail("anything"), aborted.signal).code, "aborted");
});

Deno.test("classifyFetchError reads the error's words, not the URL it quotes", () => {
  const error = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (http://a.test/docs/tls-handshake-reset): client error (Connect): tcp connect error: Connection refused (os error 111)",
    ),
  });
  assert.equal(classifyFetchError(error).code, "refused");
});

Deno.test("classifyFetchError maps body cap and decode errors, keeping their message", () => {
  assert.deepEqual(classifyFetchError(new BodyTooLargeError(100)), {
    code: "too_large",
    message: "body exceeds 100 bytes",
  });
  assert.deepEqual(classifyFetchError(new BodyDecodeError("Cannot read feed as it is not UTF-8")), {
    code: "decode",
    message: "Cannot read feed as it is not UTF-8",
  });
  // The crawl being cancelled wins over whatever the cancellation broke.
  assert.equal(classifyFetchError(new BodyTooLargeError(1), AbortSignal.abort()).code, "aborted");
});
