/**
 * The async primitives the crawler's pipeline is made of, for programs of
 * one's own:
 *
 * - {@linkcode Channel}: a bounded multi-producer multi-consumer FIFO with
 *   back-pressure, in the shape of `@std/async/unstable-channel`;
 * - {@linkcode Semaphore}: a counting semaphore with strict FIFO hand-off, in
 *   the shape of `@std/async/unstable-semaphore` (`using _permit = await
 *   sem.acquire()`, `sem.release()`), plus abortable waits
 *   (`sem.acquire({ signal })`);
 * - {@linkcode abortable}: waiting on a promise until a signal aborts, as
 *   `@std/async`'s `abortable()`;
 * - {@linkcode TaskGroup}: tasks sharing one cancellation, like Go's
 *   `errgroup` (std has no counterpart);
 * - {@linkcode ProducerCount}: closing a channel when its last producer
 *   leaves, like a Go `sync.WaitGroup` (std has no counterpart).
 *
 * Code that uses only std's surface of the first three moves to
 * `jsr:@std/async` (where JSR is reachable) by changing its imports; the
 * `signal` option of `acquire()` is this module's own addition.
 *
 * @example Producers and consumers
 * ```ts
 * import { Channel, ProducerCount, Semaphore, TaskGroup } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const jobs = new Channel<number>({ capacity: 4 });
 * const producers = new ProducerCount(() => jobs.close());
 * const requests = new Semaphore(2);
 * const group = new TaskGroup();
 * const done: number[] = [];
 * // Every producer registers before any starts, so the count reaches 0 only at the end.
 * const handles = [producers.add(), producers.add()];
 * handles.forEach((handle, k) =>
 *   group.go(async (signal) => {
 *     using _producer = handle;
 *     for (let i = 10 * k; i < 10 * k + 3; i++) await jobs.send(i, { signal });
 *   })
 * );
 * group.go(async (signal) => {
 *   for await (const job of jobs) {
 *     using _permit = await requests.acquire({ signal });
 *     done.push(job);
 *   }
 * });
 * await group.wait();
 * assert.deepEqual(done.sort((a, b) => a - b), [0, 1, 2, 10, 11, 12]);
 * ```
 *
 * @module
 */

export { abortable } from "./abortable.ts";
export {
  Channel,
  ChannelClosedError,
  type ChannelOptions,
  type ChannelReceiveOptions,
  type ChannelSendOptions,
} from "./channel.ts";
export { ProducerCount } from "./producer_count.ts";
export { type AcquireOptions, type Permit, Semaphore } from "./semaphore.ts";
export { TaskGroup, type TaskGroupOptions } from "./task_group.ts";
