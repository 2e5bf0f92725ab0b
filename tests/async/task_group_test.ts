import assert from "node:assert/strict";
import { TaskGroup } from "../../src/async/task_group.ts";

Deno.test("TaskGroup.wait() resolves when every task is done", async () => {
  const group = new TaskGroup();
  const done: number[] = [];
  for (let i = 0; i < 3; i++) {
    group.go(async () => {
      await Promise.resolve();
      done.push(i);
    });
  }
  await group.wait();
  assert.deepEqual(done.sort(), [0, 1, 2]);
});

Deno.test("TaskGroup aborts siblings with the first error as signal.reason", async () => {
  const group = new TaskGroup();
  const boom = new Error("boom");
  let siblingReason: unknown;
  group.go((signal) =>
    new Promise<void>((_, reject) => {
      signal.addEventListener("abort", () => {
        siblingReason = signal.reason;
        reject(signal.reason);
      }, { once: true });
    })
  );
  group.go(async () => {
    await Promise.resolve();
    throw boom;
  });
  group.go(async () => {
    await Promise.resolve();
    await Promise.resolve();
    throw new Error("second");
  });
  await assert.rejects(group.wait(), (e) => e === boom);
  assert.equal(siblingReason, boom);
  assert.equal(group.signal.reason, boom);
});

Deno.test("TaskGroup follows its parent signal", async () => {
  const parent = new AbortController();
  const group = new TaskGroup({ signal: parent.signal });
  group.go((signal) =>
    new Promise<void>((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason), { once: true })
    )
  );
  parent.abort(new Error("from parent"));
  await assert.rejects(group.wait(), /from parent/);
});

Deno.test("TaskGroup.wait() includes tasks started while waiting", async () => {
  const group = new TaskGroup();
  let lateDone = false;
  group.go(async () => {
    await Promise.resolve();
    group.go(async () => {
      await Promise.resolve();
      lateDone = true;
    });
  });
  await group.wait();
  assert.equal(lateDone, true);
});
