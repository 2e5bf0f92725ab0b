import assert from "node:assert/strict";
import { GroupCommit } from "../../src/redis/group_commit.ts";

/** A send whose calls are answered by hand, so a test decides when a call is in flight. */
function manualSend() {
  const calls: { items: string[]; answer(): void; fail(error: Error): void }[] = [];
  const send = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        answer: () => resolve(items.map((item) => `${item}!`)),
        fail: reject,
      });
    });
  return { calls, send };
}

Deno.test("GroupCommit.push() sends the items of one tick in one call", async () => {
  const { calls, send } = manualSend();
  const group = new GroupCommit(send, 100);
  const answers = ["a", "b", "c"].map((item) => group.push(item));
  await null;
  assert.deepEqual(calls.map((c) => c.items), [["a", "b", "c"]]);
  calls[0]!.answer();
  assert.deepEqual(await Promise.all(answers), ["a!", "b!", "c!"]);
});

Deno.test("GroupCommit.push() queues items while a call is in flight and sends them together next", async () => {
  const { calls, send } = manualSend();
  const group = new GroupCommit(send, 100);
  const first = group.push("a");
  await null;
  const later = [group.push("b"), group.push("c")];
  await null;
  assert.equal(calls.length, 1, "nothing more is sent while the first call is in flight");
  calls[0]!.answer();
  assert.equal(await first, "a!");
  await null;
  assert.deepEqual(calls.map((c) => c.items), [["a"], ["b", "c"]]);
  calls[1]!.answer();
  assert.deepEqual(await Promise.all(later), ["b!", "c!"]);
});

Deno.test("GroupCommit.push() splits what is queued into calls of at most max items", async () => {
  const { calls, send } = manualSend();
  const group = new GroupCommit(send, 2);
  const answers = ["a", "b", "c"].map((item) => group.push(item));
  await null;
  calls[0]!.answer();
  await answers[1];
  await null;
  calls[1]!.answer();
  assert.deepEqual(await Promise.all(answers), ["a!", "b!", "c!"]);
  assert.deepEqual(calls.map((c) => c.items), [["a", "b"], ["c"]]);
});

Deno.test("GroupCommit.push() rejects a failed call's items, what is queued behind them and every later push", async () => {
  const { calls, send } = manualSend();
  const group = new GroupCommit(send, 100);
  const failed = [group.push("a"), group.push("b")];
  await null;
  // Queued while the call is in flight: it may depend on "a" (a finish on its page's adds).
  const behind = group.push("c");
  calls[0]!.fail(new Error("connection lost"));
  for (const answer of [...failed, behind]) await assert.rejects(answer, /connection lost/);
  await assert.rejects(group.push("d"), /connection lost/);
  await null;
  assert.deepEqual(calls.map((c) => c.items), [["a", "b"]], "nothing is sent after a failed call");
});
