/**
 * A bounded, multi-producer multi-consumer channel with back-pressure.
 *
 * `send()` waits while the buffer is full, so a slow consumer slows its
 * producers instead of growing memory. Receivers drain what is buffered
 * before they see the close. The channel can also count its live producers
 * and close itself when the last one leaves (the "producer-count" shutdown).
 *
 * @module
 */

/** Options for the waiting operations of {@linkcode Channel}. */
export interface ChannelWaitOptions {
  /** Aborting it stops the wait; the operation rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Thrown by {@linkcode Channel.send} when the channel is closed, and by
 * {@linkcode Channel.receive} when it is closed and drained.
 *
 * @typeParam T The type of the value that could not be sent.
 */
export class ChannelClosedError<T = unknown> extends Error {
  /** The value that was not sent, so the caller loses nothing. */
  readonly value: T | undefined;
  /** Whether {@linkcode ChannelClosedError.value} holds an unsent value. */
  readonly hasValue: boolean;

  /**
   * Creates the error, keeping the unsent value when there is one.
   *
   * @param message The error message.
   * @param value The unsent value, if the error comes from `send()`.
   * @param hasValue Whether `value` is meaningful.
   */
  constructor(message = "Channel is closed", value?: T, hasValue = false) {
    super(message);
    this.name = "ChannelClosedError";
    this.value = value;
    this.hasValue = hasValue;
  }
}

interface Waiter<R> {
  resolve(value: R): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

interface SendWaiter<T> extends Waiter<void> {
  value: T;
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
 * const ch = new Channel<number>(2);
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
  #senders: SendWaiter<T>[] = [];
  #receivers: Waiter<T>[] = [];
  #closed = false;
  #producers = 0;
  #producersSeen = false;

  /**
   * Creates a channel holding at most `capacity` values; 0 makes every
   * `send()` wait for a receiver (a rendezvous).
   *
   * @param capacity The buffer size, a non-negative integer.
   * @throws {RangeError} If `capacity` is not a non-negative integer.
   */
  constructor(capacity: number) {
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

  /** How many producers registered with {@linkcode Channel.addProducer} are live. */
  get producers(): number {
    return this.#producers;
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
  send(value: T, options: ChannelWaitOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) {
      return Promise.reject(
        new ChannelClosedError("Cannot send as the channel is closed", value, true),
      );
    }
    const receiver = this.#receivers.shift();
    if (receiver) {
      receiver.cleanup();
      receiver.resolve(value);
      return Promise.resolve();
    }
    if (this.size < this.#capacity) {
      this.#buffer.push(value);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter<T> = {
        value,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      const onAbort = () => {
        const i = this.#senders.indexOf(waiter);
        if (i !== -1) this.#senders.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#senders.push(waiter);
    });
  }

  /**
   * Receives the next value, waiting while the channel is empty.
   *
   * @param options An optional signal that aborts the wait.
   * @returns The oldest value.
   * @throws {ChannelClosedError} If the channel is closed and drained.
   */
  receive(options: ChannelWaitOptions = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.size > 0) {
      const value = this.#shift();
      // A slot is free: move the oldest blocked sender's value into it.
      const sender = this.#senders.shift();
      if (sender) {
        this.#buffer.push(sender.value);
        sender.cleanup();
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    const sender = this.#senders.shift();
    if (sender) {
      // Capacity 0: take the value straight from the blocked sender.
      sender.cleanup();
      sender.resolve();
      return Promise.resolve(sender.value);
    }
    if (this.#closed) return Promise.reject(new ChannelClosedError());
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      const onAbort = () => {
        const i = this.#receivers.indexOf(waiter);
        if (i !== -1) this.#receivers.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#receivers.push(waiter);
    });
  }

  /**
   * Closes the channel. Idempotent. Blocked senders reject with a
   * {@linkcode ChannelClosedError} holding their value; receivers drain the
   * buffer first and then see the end.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sender of this.#senders.splice(0)) {
      sender.cleanup();
      sender.reject(
        new ChannelClosedError("Cannot send as the channel is closed", sender.value, true),
      );
    }
    // Waiting receivers imply an empty buffer: they all see the end now.
    for (const receiver of this.#receivers.splice(0)) {
      receiver.cleanup();
      receiver.reject(new ChannelClosedError());
    }
  }

  /**
   * Registers a live producer. When every registered producer has disposed
   * its handle, the channel closes itself, so consumers end once they have
   * drained it.
   *
   * @returns A handle whose disposal marks this producer as finished.
   * @throws {ChannelClosedError} If the channel is already closed.
   *
   * @example Usage
   * ```ts
   * import { Channel } from "./channel.ts";
   * const ch = new Channel<string>(1);
   * const producer = ch.addProducer();
   * producer[Symbol.dispose](); // last producer left: the channel closes
   * ```
   */
  addProducer(): Disposable {
    if (this.#closed) {
      throw new ChannelClosedError("Cannot add a producer as the channel is closed");
    }
    this.#producers++;
    this.#producersSeen = true;
    let left = false;
    return {
      [Symbol.dispose]: () => {
        if (left) throw new Error("Cannot leave the channel as this producer already left");
        left = true;
        this.#producers--;
        if (this.#producers === 0 && this.#producersSeen) this.close();
      },
    };
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
