import assert from "node:assert/strict";
import { Channel, ChannelClosedError } from "../../src/async/channel.ts";
import { ProducerCount } from "../../src/async/producer_count.ts";

Deno.test("Channel delivers values in FIFO order", async () => {
  const ch = new Channel<number>({ capacity: 10 });
  for (let i = 0; i < 5; i++) await ch.send(i);
  ch.close();
  const got: number[] = [];
  for await (const v of ch) got.push(v);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
});

Deno.test("Channel.send() blocks at capacity until a receiver takes a value", async () => {
  const ch = new Channel<string>({ capacity: 2 });
  await ch.send("a");
  await ch.send("b");
  let sent = false;
  const third = ch.send("c").then(() => (sent = true));
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(sent, false, "third send must wait while the buffer is full");
  assert.equal(ch.size, 2);
  assert.equal(await ch.receive(), "a");
  await third;
  assert.equal(sent, true);
  assert.equal(ch.size, 2, "the blocked value moved into the freed slot");
  assert.equal(await ch.receive(), "b");
  assert.equal(await ch.receive(), "c");
});

Deno.test("Channel blocked senders keep FIFO order", async () => {
  const ch = new Channel<number>({ capacity: 1 });
  await ch.send(0);
  const pending = [ch.send(1), ch.send(2), ch.send(3)];
  const got = [];
  for (let i = 0; i < 4; i++) got.push(await ch.receive());
  await Promise.all(pending);
  assert.deepEqual(got, [0, 1, 2, 3]);
});

Deno.test("Channel with capacity 0 hands values from sender to receiver", async () => {
  const ch = new Channel<number>({ capacity: 0 });
  let sent = false;
  const sending = ch.send(7).then(() => (sent = true));
  await Promise.resolve();
  assert.equal(sent, false);
  assert.equal(await ch.receive(), 7);
  await sending;
  assert.equal(sent, true);
});

Deno.test("Channel.close() wakes every waiting receiver", async () => {
  const ch = new Channel<number>({ capacity: 1 });
  const receivers = [ch.receive(), ch.receive(), ch.receive()];
  ch.close();
  for (const r of receivers) {
    const error = await r.catch((e) => e);
    assert.ok(error instanceof ChannelClosedError);
    assert.ok(!("value" in error), "a receiver's error carries no value");
  }
});

Deno.test("Channel.close() rejects blocked senders, keeping their values", async () => {
  const ch = new Channel<string>({ capacity: 1 });
  await ch.send("kept");
  const blocked = ch.send("unsent");
  ch.close();
  const error = await blocked.then(() => undefined, (e) => e);
  assert.ok(error instanceof ChannelClosedError);
  assert.equal(error.value, "unsent");
  assert.ok(Object.hasOwn(error, "value"));
});

Deno.test("Channel receivers drain buffered values before they see the close", async () => {
  const ch = new Channel<number>({ capacity: 3 });
  await ch.send(1);
  await ch.send(2);
  ch.close();
  assert.equal(await ch.receive(), 1);
  assert.equal(await ch.receive(), 2);
  await assert.rejects(ch.receive(), ChannelClosedError);
});

Deno.test("Channel.close() is idempotent and send after close throws with the value", async () => {
  const ch = new Channel<number>({ capacity: 1 });
  ch.close();
  ch.close();
  const error = await ch.send(5).then(() => undefined, (e) => e);
  assert.ok(error instanceof ChannelClosedError);
  assert.equal(error.value, 5);
});

Deno.test("Channel.send() and receive() are aborted by a signal and leave the queue", async () => {
  const ch = new Channel<number>({ capacity: 1 });
  await ch.send(1);
  const controller = new AbortController();
  const blocked = ch.send(2, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(blocked, /stop/);
  assert.equal(await ch.receive(), 1);
  // The aborted value must not have been delivered.
  const late = new AbortController();
  const receiving = ch.receive({ signal: late.signal });
  late.abort(new Error("late"));
  await assert.rejects(receiving, /late/);
  await ch.send(3);
  assert.equal(await ch.receive(), 3);
  // As in std: an aborted signal only ends a wait; a value that fits goes in.
  const pre = AbortSignal.abort(new Error("pre"));
  await ch.send(4, { signal: pre });
  await assert.rejects(ch.send(5, { signal: pre }), /pre/);
  assert.equal(await ch.receive({ signal: pre }), 4);
  await assert.rejects(ch.receive({ signal: pre }), /pre/);
});

Deno.test("ProducerCount closes the channel when the last registered producer leaves", async () => {
  const ch = new Channel<number>({ capacity: 4 });
  const producers = new ProducerCount(() => ch.close());
  const a = producers.add();
  const b = producers.add();
  assert.equal(producers.live, 2);
  await ch.send(1);
  a[Symbol.dispose]();
  assert.equal(ch.closed, false);
  await ch.send(2);
  b[Symbol.dispose]();
  assert.equal(ch.closed, true);
  const got: number[] = [];
  for await (const v of ch) got.push(v);
  assert.deepEqual(got, [1, 2]);
  assert.throws(() => a[Symbol.dispose](), /already left/);
  assert.throws(() => producers.add(), /the last one already left/);
});

Deno.test("Channel rejects an invalid capacity", () => {
  assert.throws(() => new Channel({ capacity: -1 }), RangeError);
  assert.throws(
    () => new Channel({ capacity: 1.5 }),
    /'capacity' must be a non-negative integer: received 1.5/,
  );
});
