import assert from "node:assert/strict";
import { deadline } from "../../src/http/deadline.ts";

Deno.test("deadline() aborts with a TimeoutError when the time is up", async () => {
  using limit = deadline(10);
  const reason = await new Promise((resolve) =>
    limit.signal.addEventListener("abort", () => resolve(limit.signal.reason), { once: true })
  );
  assert.ok(reason instanceof DOMException);
  assert.equal((reason as DOMException).name, "TimeoutError");
});

Deno.test("deadline() follows its parent signal and leaves it when disposed", () => {
  const parent = new AbortController();
  {
    using limit = deadline(60_000, parent.signal);
    parent.abort(new Error("stop"));
    assert.equal(limit.signal.aborted, true);
    assert.match(String(limit.signal.reason), /stop/);
  }
  const later = new AbortController();
  const limit = deadline(60_000, later.signal);
  limit[Symbol.dispose]();
  later.abort(new Error("after"));
  assert.equal(limit.signal.aborted, false, "a disposed deadline no longer listens");
});

Deno.test("deadline() starts aborted under an aborted parent", () => {
  using limit = deadline(60_000, AbortSignal.abort(new Error("already")));
  assert.equal(limit.signal.aborted, true);
});
