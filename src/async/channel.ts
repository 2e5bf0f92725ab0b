/**
 * A bounded, multi-producer multi-consumer channel with back-pressure, in the
 * shape of `@std/async/unstable-channel`.
 *
 * `send()` waits while the buffer is full, so a slow consumer slows its
 * producers instead of growing memory. Receivers drain what is buffered
 * before they see the close.
 *
 * @module
 */

import { WaitQueue } from "./wait_queue.ts";

/** Options for the {@linkcode Channel} constructor. */
export interface ChannelOptions {
  /**
   * Buffer size, a non-negative integer; `0` makes every `send()` wait for a
   * receiver (a rendezvous). Default 0.
   */
  capacity?: number;
}

/** Options for {@linkcode Channel.send}. */
export interface ChannelSendOptions {
  /**
   * Aborting it stops the wait; `send()` rejects with `signal.reason`. A
   * value that can be delivered at once (buffered, or handed to a waiting
   * receiver) is, whatever the signal says, as in std.
   */
  signal?: AbortSignal;
}

/** Options for {@linkcode Channel.receive}. */
export interface ChannelReceiveOptions {
  /**
   * Aborting it stops the wait; `receive()` rejects with `signal.reason`. A
   * value available at once is returned whatever the signal says, as in std.
   */
  signal?: AbortSignal;
}

/**
 * Thrown by {@linkcode Channel.send} when the channel is closed (with the
 * unsent value in {@linkcode ChannelClosedError.value}, so the caller loses
 * nothing), and by {@linkcode Channel.receive} when it is closed and drained
 * (without a `value` property).
 *
 * @example Usage
 * ```ts
 * import { Channel, ChannelClosedError } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * const ch = new Channel<number>();
 * ch.close();
 * const error = await ch.send(42).catch((e) => e);
 * assert.ok(error instanceof ChannelClosedError);
 * assert.equal(error.value, 42);
 * ```
 */
export class ChannelClosedError extends Error {
  /** The unsent value; present only on errors from `send()`. */
  declare readonly value?: unknown;

  /**
   * Creates the error.
   *
   * @param message The error message.
   * @param rest The unsent value, for an error from `send()`.
   */
  constructor(message: string, ...rest: [value: unknown] | []) {
    super(message);
    this.name = "ChannelClosedError";
    if (rest.length > 0) {
      Object.defineProperty(this, "value", { value: rest[0], enumerable: true });
    }
  }
}

/**
 * A bounded FIFO channel.
 *
 * @typeParam T The type of the values carried.
 *
 * @example Usage
 * ```ts
 * import { Channel } from "./channel.ts";
 * import assert from "node:assert/strict";
 *
 * const ch = new Channel<number>({ capacity: 2 });
 * await ch.send(1);
 * await ch.send(2);
 * ch.close();
 * const got: number[] = [];
 * for await (const v of ch) got.push(v);
 * assert.deepEqual(got, [1, 2]);
 * ```
 */
export class Channel<T> implements AsyncIterable<T> {
  #capacity: number;
  #buffer: T[] = [];
  #head = 0;
  #senders = new WaitQueue<void, T>();
  #receivers = new WaitQueue<T>();
  #closed = false;

  /**
   * Creates a channel holding at most `capacity` values.
   *
   * @param options The buffer size.
   * @throws {RangeError} If `capacity` is not a non-negative integer.
   */
  constructor(options: ChannelOptions = {}) {
    const { capacity = 0 } = options;
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(
        `Cannot create channel as 'capacity' must be a non-negative integer: received ${capacity}`,
      );
    }
    this.#capacity = capacity;
  }

  /** The buffer size given at construction. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many values are buffered now (not counting blocked senders). */
  get size(): number {
    return this.#buffer.length - this.#head;
  }

  /** Whether {@linkcode Channel.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a value, waiting while the buffer is full.
   *
   * @param value The value to send.
   * @param options An optional signal that aborts the wait.
   * @returns A promise that resolves once the value is buffered or received.
   * @throws {ChannelClosedError} If the channel is or becomes closed; the
   * error keeps the unsent value.
   */
  send(value: T, options: ChannelSendOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(closedToSend(value));
    const receiver = this.#receivers.shift();
    if (receiver) {
      receiver.resolve(value);
      return Promise.resolve();
    }
    if (this.size < this.#capacity) {
      this.#buffer.push(value);
      return Promise.resolve();
    }
    return this.#senders.wait({ signal: options.signal, payload: value });
  }

  /**
   * Receives the next value, waiting while the channel is empty.
   *
   * @param options An optional signal that aborts the wait.
   * @returns The oldest value.
   * @throws {ChannelClosedError} If the channel is closed and drained.
   */
  receive(options: ChannelReceiveOptions = {}): Promise<T> {
    if (this.size > 0) {
      const value = this.#shift();
      // A slot is free: move the oldest blocked sender's value into it.
      const sender = this.#senders.shift();
      if (sender) {
        this.#buffer.push(sender.payload);
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    const sender = this.#senders.shift();
    if (sender) {
      // Capacity 0: take the value straight from the blocked sender.
      sender.resolve();
      return Promise.resolve(sender.payload);
    }
    if (this.#closed) return Promise.reject(new ChannelClosedError("Channel is closed"));
    return this.#receivers.wait({ signal: options.signal });
  }

  /**
   * Closes the channel. Idempotent. Blocked senders reject with a
   * {@linkcode ChannelClosedError} holding their value; receivers drain the
   * buffer first and then see the end.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sender of this.#senders.drain()) sender.reject(closedToSend(sender.payload));
    // Waiting receivers imply an empty buffer: they all see the end now.
    for (const receiver of this.#receivers.drain()) {
      receiver.reject(new ChannelClosedError("Channel is closed"));
    }
  }

  /**
   * Iterates over received values until the channel is closed and drained.
   *
   * @returns An async iterator over the values.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      try {
        yield await this.receive();
      } catch (error) {
        if (error instanceof ChannelClosedError) return;
        throw error;
      }
    }
  }

  #shift(): T {
    const value = this.#buffer[this.#head]!;
    this.#buffer[this.#head] = undefined as T;
    this.#head++;
    // Compact once the consumed prefix dominates, keeping shift O(1) amortized.
    if (this.#head > 64 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }
}

function closedToSend(value: unknown): ChannelClosedError {
  return new ChannelClosedError("Cannot send as the channel is closed", value);
}
