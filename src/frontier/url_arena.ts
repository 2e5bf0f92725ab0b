/**
 * URLs kept as bytes outside the JS heap: each stored URL is its UTF-8 bytes
 * behind a LEB128 header (its length, whether it is ASCII, and a 2-bit tag
 * the caller gives, e.g. which prefix it left out), appended to 64 KiB chunks. A URL is named by one
 * 32-bit position (chunk id × 64 Ki + offset), so a queued URL costs its
 * length plus one or two bytes, instead of a JS string (16 bytes of header,
 * rounded to 8) and the pointers to it. Each chunk counts its live URLs and is
 * dropped when the last one is released; a chunk held by a few long-queued
 * URLs (a slow host's) is what `liveByteLength` shows, and the owner
 * (entry_pool.ts) then copies the live URLs to a new arena, so a long crawl
 * holds about the bytes of the URLs still queued, not of every URL it ever
 * queued.
 *
 * @module
 */

/** Bytes per chunk; positions are `id * CHUNK + offset`. */
const CHUNK = 65_536;
/** Chunk ids fit the 16 high bits of a 32-bit position. */
const MAX_CHUNKS = 65_536;
/** The header bit of a string stored as ASCII (above the 2-bit tag, below the length × 8). */
const ASCII = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A store of strings (URLs) as UTF-8 bytes in reference-counted chunks.
 *
 * @example Usage
 * ```ts
 * import { UrlArena } from "./url_arena.ts";
 * import assert from "node:assert/strict";
 *
 * const arena = new UrlArena();
 * const at = arena.store("https://example.org/a");
 * assert.equal(arena.read(at), "https://example.org/a");
 * arena.release(at); // its bytes may now be reclaimed
 * ```
 */
export class UrlArena {
  #chunks: (Uint8Array | undefined)[] = [];
  /** Live (stored, not released) strings per chunk id. */
  #live: number[] = [];
  /** Ids of dropped chunks, for reuse. */
  #freeIds: number[] = [];
  /** The chunk being appended to, and where the next string goes in it. */
  #current = -1;
  #offset = CHUNK;
  /** A dropped standard chunk kept for the next one, so a steady crawl does not reallocate. */
  #spare: Uint8Array | undefined;
  #bytes = 0;
  /** Bytes of the strings stored and not released (headers included). */
  #liveBytes = 0;

  /** Bytes held by the chunks (what the arena costs). */
  get byteLength(): number {
    return this.#bytes;
  }

  /**
   * Bytes of the strings stored and not released. A chunk is held while any
   * of its strings is live, so this can be far below {@linkcode UrlArena.byteLength}
   * when a few old strings outlive their neighbours: the owner compacts then
   * (copies the live strings to a new arena).
   */
  get liveByteLength(): number {
    return this.#liveBytes;
  }

  /**
   * Stores a string, or its end.
   *
   * @param text The string (any; URLs are usually ASCII).
   * @param start Where the stored part starts (the caller keeps what is before).
   * @param tag 0 to 3, given back by `tag()` (e.g. which prefix was left out).
   * @returns Its position, for `read()`, `tag()` and `release()`.
   * @throws {RangeError} If 4 GiB of chunks are live.
   */
  store(text: string, start = 0, tag = 0): number {
    const n = text.length - start;
    // ASCII, the common case: bytes are code units, written without an encoder call.
    const head = lebSize(n * 8 + ASCII + tag);
    if (this.#offset + head + n <= CHUNK) {
      const chunk = this.#chunks[this.#current]!;
      let at = writeLeb(chunk, this.#offset, n * 8 + ASCII + tag);
      let i = start;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        chunk[at++] = c;
      }
      if (i === text.length) return this.#commit(at);
    }
    const bytes = encoder.encode(start === 0 ? text : text.slice(start));
    const header = bytes.length * 8 + (bytes.length === n ? ASCII : 0) + tag;
    const size = lebSize(header) + bytes.length;
    if (this.#offset + size > CHUNK) this.#open(size);
    const chunk = this.#chunks[this.#current]!;
    const at = writeLeb(chunk, this.#offset, header);
    chunk.set(bytes, at);
    return this.#commit(at + bytes.length);
  }

  /**
   * Reads a stored string back.
   *
   * @param position What `store()` returned (not released).
   * @returns The string (the part stored).
   */
  read(position: number): string {
    const chunk = this.#chunks[Math.floor(position / CHUNK)]!;
    const header = readLeb(chunk, position % CHUNK);
    const at = position % CHUNK + lebSize(header);
    const length = Math.floor(header / 8);
    const bytes = chunk.subarray(at, at + length);
    // Short ASCII (nearly every URL): code units are the bytes, no decoder call.
    if ((header & ASCII) !== 0 && length <= 4096) {
      return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    return decoder.decode(bytes);
  }

  /**
   * The tag a string was stored with.
   *
   * @param position What `store()` returned (not released).
   * @returns The tag, 0 to 3.
   */
  tag(position: number): number {
    return this.#chunks[Math.floor(position / CHUNK)]![position % CHUNK]! & 3;
  }

  /**
   * Releases a stored string: its chunk is dropped once none of its strings
   * is live and it is no longer appended to.
   *
   * @param position What `store()` returned.
   */
  release(position: number): void {
    const id = Math.floor(position / CHUNK);
    this.#liveBytes -= this.#sizeAt(position);
    if (--this.#live[id]! === 0 && id !== this.#current) this.#drop(id);
  }

  /** The stored size (header and bytes) of the string at `position`. */
  #sizeAt(position: number): number {
    const header = readLeb(this.#chunks[Math.floor(position / CHUNK)]!, position % CHUNK);
    return lebSize(header) + Math.floor(header / 8);
  }

  /** The string ends at `end` in the current chunk: count it and advance. */
  #commit(end: number): number {
    const position = this.#current * CHUNK + this.#offset;
    this.#liveBytes += end - this.#offset;
    this.#offset = end;
    this.#live[this.#current]!++;
    return position;
  }

  /** Starts a new chunk with room for `size` bytes (a chunk of its own when larger than standard). */
  #open(size: number): void {
    const previous = this.#current;
    const id = this.#freeIds.pop() ?? this.#chunks.length;
    if (id >= MAX_CHUNKS) {
      throw new RangeError("Cannot store the URL as the arena holds 4 GiB of queued URLs");
    }
    let chunk: Uint8Array;
    if (size > CHUNK) chunk = new Uint8Array(size);
    else {
      chunk = this.#spare ?? new Uint8Array(CHUNK);
      this.#spare = undefined;
    }
    this.#chunks[id] = chunk;
    this.#live[id] = 0;
    this.#bytes += chunk.byteLength;
    this.#current = id;
    // An oversized chunk ends up fuller than CHUNK after its one string: the next store opens another.
    this.#offset = 0;
    if (previous >= 0 && this.#live[previous] === 0) this.#drop(previous);
  }

  #drop(id: number): void {
    const chunk = this.#chunks[id]!;
    this.#chunks[id] = undefined;
    this.#bytes -= chunk.byteLength;
    if (chunk.byteLength === CHUNK) this.#spare ??= chunk;
    this.#freeIds.push(id);
  }
}

/** The LEB128 number written at `at`. */
function readLeb(chunk: Uint8Array, at: number): number {
  let value = 0;
  let scale = 1;
  while (true) {
    const b = chunk[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
}

function lebSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeLeb(chunk: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    chunk[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  chunk[at++] = n;
  return at;
}
