/**
 * The async primitives the crawler's pipeline is made of, for programs of
 * one's own. They keep the API shape of Deno std's `@std/async` (names,
 * options objects with a `signal`), so where JSR is reachable a program can
 * move to `jsr:@std/async` by changing its imports:
 *
 * - {@linkcode Channel}: a bounded multi-producer multi-consumer FIFO with
 *   back-pressure (`@std/async/unstable-channel`'s shape);
 * - {@linkcode Semaphore}: a counting semaphore with strict FIFO hand-off and
 *   abortable waits (`using _permit = await sem.acquire({ signal })`);
 * - {@linkcode abortable}: waiting on a promise until a signal aborts;
 * - {@linkcode TaskGroup}: tasks sharing one cancellation, like Go's `errgroup`;
 * - {@linkcode ProducerCount}: closing a channel when its last producer leaves.
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
