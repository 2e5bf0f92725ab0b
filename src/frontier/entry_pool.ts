/**
 * Queued frontier entries packed outside the JS heap, in FIFO lists (one per
 * host in the frontier). An entry is a slot of four 32-bit integers in one
 * growing `Int32Array` (its URL's position in a {@linkcode UrlArena}, its
 * depth, its parent's id, the next slot of its list) and the URL's UTF-8
 * bytes less its origin (`http://` or `https://` and the list's host, which
 * every URL of a host queue shares): about 17 bytes plus the URL's path and
 * query, where a `FrontierEntry` object with its strings costs 150 or more. What a fetcher needs is rebuilt when the
 * entry is taken. Parents are interned (a page's links share their parent)
 * and counted, so a parent string lives while a child of it is queued. The
 * rare fields (attempts after a failure, `extra`, `failure`) sit in a side
 * map keyed by slot. Freed slots are reused.
 *
 * @module
 */

import type { FrontierEntry } from "./types.ts";
import { UrlArena } from "./url_arena.ts";

/** Int32s per slot: URL position, depth, parent id (-1: none), next slot (-1: none). */
const STRIDE = 4;
/** The arena size below which it is never compacted (four chunks). */
const COMPACT_MIN_BYTES = 4 * 65_536;
/** The arena's tags: the URL stored whole, or after `http://HOST` or `https://HOST`. */
const WHOLE = 0;
const HTTP = 1;
const HTTPS = 2;

/** A FIFO list of entries in an {@linkcode EntryPool}; create with {@linkcode newEntryList}. */
export interface EntryList {
  /** First slot, -1 when empty. */
  head: number;
  /** Last slot, -1 when empty. */
  tail: number;
  /** Entries in the list. */
  length: number;
}

/**
 * Creates an empty list.
 *
 * @returns The list.
 *
 * @example Usage
 * ```ts
 * import { newEntryList } from "./entry_pool.ts";
 * newEntryList().length; // 0
 * ```
 */
export function newEntryList(): EntryList {
  return { head: -1, tail: -1, length: 0 };
}

/** The fields few entries have, kept beside the slots. */
interface Rare {
  attempts: number;
  extra?: FrontierEntry["extra"];
  failure?: FrontierEntry["failure"];
}

/**
 * Packed storage for the entries of any number of FIFO lists.
 *
 * @example Usage
 * ```ts
 * import { EntryPool, newEntryList } from "./entry_pool.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = new EntryPool();
 * const list = newEntryList();
 * pool.push(list, { url: "https://a.test/", depth: 0, parent: null, attempts: 0, host: "a.test" });
 * pool.push(list, { url: "https://a.test/b", depth: 1, parent: "https://a.test/", attempts: 0, host: "a.test" });
 * assert.equal(pool.shift(list, "a.test")?.url, "https://a.test/");
 * assert.equal(list.length, 1);
 * ```
 */
export class EntryPool {
  #arena = new UrlArena();
  #slots: Int32Array;
  /** Slots used so far (the free list holds the released ones below this). */
  #used = 0;
  #freeSlot = -1;
  #size = 0;
  #parents: (string | undefined)[] = [];
  #parentRefs: number[] = [];
  #parentIds = new Map<string, number>();
  #freeParents: number[] = [];
  /** The last parent interned: a page's links arrive together. */
  #lastParent: string | undefined;
  #lastParentId = -1;
  #rare = new Map<number, Rare>();

  /**
   * Creates an empty pool.
   *
   * @param capacity Slots to allocate before growing.
   */
  constructor(capacity = 1024) {
    this.#slots = new Int32Array(Math.max(1, capacity) * STRIDE);
  }

  /** Entries held, in all lists. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the slots and URL bytes (the JS objects of parents and rare fields aside). */
  get byteLength(): number {
    return this.#slots.byteLength + this.#arena.byteLength;
  }

  /**
   * Appends an entry to a list. Its `host` is not kept: the list is one host's.
   *
   * @param list The list.
   * @param entry The entry.
   */
  push(list: EntryList, entry: FrontierEntry): void {
    const slot = this.#alloc();
    const s = this.#slots;
    const i = slot * STRIDE;
    s[i] = this.#storeUrl(entry.url, entry.host) | 0;
    s[i + 1] = entry.depth;
    s[i + 2] = entry.parent === null ? -1 : this.#intern(entry.parent);
    s[i + 3] = -1;
    if (entry.attempts !== 0 || entry.extra !== undefined || entry.failure !== undefined) {
      const rare: Rare = { attempts: entry.attempts };
      if (entry.extra !== undefined) rare.extra = entry.extra;
      if (entry.failure !== undefined) rare.failure = entry.failure;
      this.#rare.set(slot, rare);
    }
    if (list.tail === -1) list.head = slot;
    else s[list.tail * STRIDE + 3] = slot;
    list.tail = slot;
    list.length++;
    this.#size++;
  }

  /**
   * Takes the first entry of a list.
   *
   * @param list The list.
   * @param host The list's host, for the entry.
   * @returns The entry, or `undefined` when the list is empty.
   */
  shift(list: EntryList, host: string): FrontierEntry | undefined {
    const slot = list.head;
    if (slot === -1) return undefined;
    const entry = this.#entry(slot, host);
    const s = this.#slots;
    const i = slot * STRIDE;
    this.#arena.release(s[i]! >>> 0);
    if (s[i + 2]! >= 0) this.#unref(s[i + 2]!);
    if (this.#rare.size > 0) this.#rare.delete(slot);
    list.head = s[i + 3]!;
    if (list.head === -1) list.tail = -1;
    list.length--;
    s[i + 3] = this.#freeSlot;
    this.#freeSlot = slot;
    this.#size--;
    // A chunk lives while any of its URLs is queued: one slow host's few URLs could hold every
    // chunk written since. Past twice the live bytes (and a few chunks), copy the live URLs out
    // (now that this slot is on the free list, which the copy skips).
    if (
      this.#arena.byteLength > COMPACT_MIN_BYTES &&
      this.#arena.byteLength > 2 * this.#arena.liveByteLength
    ) {
      this.#compact();
    }
    return entry;
  }

  /**
   * The entries of a list, first to last, left in place.
   *
   * @param list The list.
   * @param host The list's host, for the entries.
   * @returns The entries.
   */
  *entries(list: EntryList, host: string): IterableIterator<FrontierEntry> {
    for (let slot = list.head; slot !== -1; slot = this.#slots[slot * STRIDE + 3]!) {
      yield this.#entry(slot, host);
    }
  }

  #entry(slot: number, host: string): FrontierEntry {
    const s = this.#slots;
    const i = slot * STRIDE;
    const parentId = s[i + 2]!;
    const at = s[i]! >>> 0;
    const tag = this.#arena.tag(at);
    const rest = this.#arena.read(at);
    const entry: FrontierEntry = {
      url: tag === WHOLE ? rest : `${tag === HTTP ? "http://" : "https://"}${host}${rest}`,
      depth: s[i + 1]!,
      parent: parentId === -1 ? null : this.#parents[parentId]!,
      attempts: 0,
      host,
    };
    const rare = this.#rare.size === 0 ? undefined : this.#rare.get(slot);
    if (rare) {
      entry.attempts = rare.attempts;
      if (rare.extra !== undefined) entry.extra = rare.extra;
      if (rare.failure !== undefined) entry.failure = rare.failure;
    }
    return entry;
  }

  /**
   * Moves every queued URL to a new arena, packed, and drops the old one:
   * time linear in the queued URLs, and at least half the arena freed, so
   * amortized over the releases that made it worth doing.
   */
  #compact(): void {
    const s = this.#slots;
    const free = new Uint8Array(this.#used);
    for (let slot = this.#freeSlot; slot !== -1; slot = s[slot * STRIDE + 3]!) free[slot] = 1;
    const old = this.#arena;
    const fresh = new UrlArena();
    for (let slot = 0; slot < this.#used; slot++) {
      if (free[slot] === 1) continue;
      const i = slot * STRIDE;
      const at = s[i]! >>> 0;
      s[i] = fresh.store(old.read(at), 0, old.tag(at)) | 0;
    }
    this.#arena = fresh;
  }

  /** Stores a URL without its origin when it is `http(s)://` and the host. */
  #storeUrl(url: string, host: string): number {
    const end = url.startsWith("https://") ? 8 : url.startsWith("http://") ? 7 : 0;
    if (end > 0 && url.startsWith(host, end)) {
      const from = end + host.length;
      // The host must end there, not be a prefix of a longer one.
      const next = url.charCodeAt(from);
      if (from === url.length || next === 0x2f || next === 0x3f || next === 0x23) {
        return this.#arena.store(url, from, end === 8 ? HTTPS : HTTP);
      }
    }
    return this.#arena.store(url, 0, WHOLE);
  }

  #alloc(): number {
    if (this.#freeSlot !== -1) {
      const slot = this.#freeSlot;
      this.#freeSlot = this.#slots[slot * STRIDE + 3]!;
      return slot;
    }
    if ((this.#used + 1) * STRIDE > this.#slots.length) {
      const grown = new Int32Array(this.#slots.length * 2);
      grown.set(this.#slots);
      this.#slots = grown;
    }
    return this.#used++;
  }

  #intern(parent: string): number {
    let id: number;
    if (parent === this.#lastParent) id = this.#lastParentId;
    else {
      id = this.#parentIds.get(parent) ?? -1;
      if (id === -1) {
        id = this.#freeParents.pop() ?? this.#parents.length;
        this.#parents[id] = parent;
        this.#parentRefs[id] = 0;
        this.#parentIds.set(parent, id);
      }
      this.#lastParent = parent;
      this.#lastParentId = id;
    }
    this.#parentRefs[id]!++;
    return id;
  }

  #unref(id: number): void {
    if (--this.#parentRefs[id]! > 0) return;
    const parent = this.#parents[id]!;
    this.#parentIds.delete(parent);
    this.#parents[id] = undefined;
    this.#freeParents.push(id);
    if (this.#lastParentId === id) {
      this.#lastParent = undefined;
      this.#lastParentId = -1;
    }
  }
}
