import assert from "node:assert/strict";
import { Channel } from "../../src/async/channel.ts";
import { Semaphore } from "../../src/async/semaphore.ts";

Deno.test("Semaphore never lets more than max holders through", async () => {
  const sem = new Semaphore(3);
  let active = 0;
  let peak = 0;
  // Each holder announces itself and waits for its gate; the test opens gates one by one.
  const arrivals = new Channel<PromiseWithResolvers<void>>({ capacity: 10 });
  const tasks = Array.from({ length: 10 }, async () => {
    using _permit = await sem.acquire();
    active++;
    peak = Math.max(peak, active);
    const gate = Promise.withResolvers<void>();
    await arrivals.send(gate);
    await gate.promise;
    active--;
  });
  for (let released = 0; released < 10; released++) (await arrivals.receive()).resolve();
  await Promise.all(tasks);
  assert.equal(peak, 3);
  assert.equal(sem.available, 3);
});

Deno.test("Semaphore.acquire() resolves waiters in FIFO order", async () => {
  const sem = new Semaphore(1);
  const first = await sem.acquire();
  const order: number[] = [];
  const waiters = [1, 2, 3].map((n) =>
    sem.acquire().then((permit) => {
      order.push(n);
      permit.release();
    })
  );
  first.release();
  await Promise.all(waiters);
  assert.deepEqual(order, [1, 2, 3]);
});

Deno.test("Semaphore hands a released permit to the waiter, not to tryAcquire()", async () => {
  const sem = new Semaphore(1);
  const held = await sem.acquire();
  const waiting = sem.acquire();
  held.release();
  assert.equal(sem.tryAcquire(), undefined, "a late arrival must not overtake the waiter");
  assert.equal(sem.available, 0);
  (await waiting).release();
  assert.equal(sem.available, 1);
});

Deno.test("Semaphore.acquire() can be aborted and the waiter leaves the queue", async () => {
  const sem = new Semaphore(1);
  const held = await sem.acquire();
  const controller = new AbortController();
  const aborted = sem.acquire({ signal: controller.signal });
  const next = sem.acquire();
  assert.equal(sem.waiting, 2);
  controller.abort(new Error("cancelled"));
  await assert.rejects(aborted, /cancelled/);
  assert.equal(sem.waiting, 1);
  held.release();
  (await next).release();
  assert.equal(sem.available, 1, "the aborted waiter must not have consumed a permit");
  await assert.rejects(sem.acquire({ signal: AbortSignal.abort(new Error("pre")) }), /pre/);
});

Deno.test("Semaphore permit released twice throws", async () => {
  const sem = new Semaphore(2);
  const permit = await sem.acquire();
  permit.release();
  assert.throws(() => permit.release(), /already released/);
  assert.equal(sem.available, 2);
});

Deno.test("Semaphore permit is released by `using`", async () => {
  const sem = new Semaphore(1);
  {
    using _permit = await sem.acquire();
    assert.equal(sem.available, 0);
  }
  assert.equal(sem.available, 1);
});

Deno.test("Semaphore rejects a non-positive max", () => {
  assert.throws(() => new Semaphore(0), /'max' must be a positive integer: received 0/);
});

Deno.test("Semaphore.release() releases the oldest held permit, std-style, and hands it to the next waiter", async () => {
  const sem = new Semaphore(1);
  const first = await sem.acquire();
  const waiting = sem.acquire();
  sem.release();
  const second = await waiting;
  assert.throws(() => first.release(), /already released/);
  assert.equal(sem.available, 0);
  second.release();
  assert.equal(sem.available, 1);
  assert.throws(() => sem.release(), /no permit is held/);
});
