import assert from "node:assert/strict";
import { startDeadline } from "../../src/http/deadline.ts";

Deno.test("startDeadline() aborts with a TimeoutError when the time is up", async () => {
  using limit = startDeadline(10);
  const reason = await new Promise((resolve) =>
    limit.signal.addEventListener("abort", () => resolve(limit.signal.reason), { once: true })
  );
  assert.ok(reason instanceof DOMException);
  assert.equal((reason as DOMException).name, "TimeoutError");
});

Deno.test("startDeadline() follows its parent signal and leaves it when disposed", () => {
  const parent = new AbortController();
  {
    using limit = startDeadline(60_000, parent.signal);
    parent.abort(new Error("stop"));
    assert.equal(limit.signal.aborted, true);
    assert.match(String(limit.signal.reason), /stop/);
  }
  const later = new AbortController();
  const limit = startDeadline(60_000, later.signal);
  limit[Symbol.dispose]();
  later.abort(new Error("after"));
  assert.equal(limit.signal.aborted, false, "a disposed deadline no longer listens");
});

Deno.test("startDeadline() starts aborted under an aborted parent", () => {
  using limit = startDeadline(60_000, AbortSignal.abort(new Error("already")));
  assert.equal(limit.signal.aborted, true);
});
