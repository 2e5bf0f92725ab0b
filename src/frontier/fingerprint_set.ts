/**
 * A set of strings kept as 64-bit fingerprints in one typed array: 8 bytes
 * a slot, at most half the slots used, so 16 to 32 bytes per member whatever
 * its length, outside the JS heap. Two different URLs share a fingerprint
 * with probability about n² / 2⁶⁵ (under 3·10⁻⁸ for a million URLs); such a
 * collision makes the second URL look seen.
 *
 * @module
 */

/**
 * Hashes a string to 64 bits, as two 32-bit halves (a cyrb53-style pair of
 * multiply-xorshift lanes over the UTF-16 code units).
 *
 * @param text The string.
 * @returns `[high, low]`, each an unsigned 32-bit integer (the last string's
 * pair is returned again for the same string: do not modify it).
 *
 * @example Usage
 * ```ts
 * import { fingerprint } from "./fingerprint_set.ts";
 * const [hi, lo] = fingerprint("https://example.org/");
 * ```
 */
export function fingerprint(text: string): [number, number] {
  // A link is checked (has), then admitted (add) and stored: hash it once.
  if (text === lastText) return lastPair;
  let h1 = 0xdeadbeef ^ text.length;
  let h2 = 0x41c6ce57 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  lastText = text;
  lastPair = [h1 >>> 0, h2 >>> 0];
  return lastPair;
}

let lastText: string | undefined;
let lastPair: [number, number] = [0, 0];

/**
 * A compact set of strings by fingerprint, with the `has`/`add` of a
 * `Set<string>`.
 *
 * @example Usage
 * ```ts
 * import { FingerprintSet } from "./fingerprint_set.ts";
 * import assert from "node:assert/strict";
 *
 * const seen = new FingerprintSet();
 * assert.equal(seen.add("https://example.org/"), true);
 * assert.equal(seen.add("https://example.org/"), false);
 * assert.ok(seen.has("https://example.org/"));
 * ```
 */
export class FingerprintSet {
  /** Slot i holds [hi, lo] at 2i, 2i+1; [0, 0] marks an empty slot. */
  #slots: Uint32Array;
  #mask: number;
  #size = 0;

  /**
   * Creates an empty set.
   *
   * @param expected How many members to make room for before growing.
   */
  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.#slots = new Uint32Array(capacity * 2);
    this.#mask = capacity - 1;
  }

  /** How many members the set holds. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the table (what the set costs, all members included). */
  get byteLength(): number {
    return this.#slots.byteLength;
  }

  /**
   * Whether a string is a member (by fingerprint).
   *
   * @param text The string.
   * @returns `true` if it (or a string with the same fingerprint) was added.
   */
  has(text: string): boolean {
    const [hi, lo] = fingerprint(text);
    return this.#find(hi, hi === 0 && lo === 0 ? 1 : lo) >= 0;
  }

  /**
   * Adds a string.
   *
   * @param text The string.
   * @returns `true` if it was not a member yet.
   */
  add(text: string): boolean {
    const [hi, lo] = fingerprint(text);
    return this.addFingerprint(hi, lo);
  }

  /**
   * Adds a fingerprint computed elsewhere (e.g. loaded from a store).
   *
   * @param hi The high 32 bits.
   * @param lo The low 32 bits.
   * @returns `true` if it was not a member yet.
   */
  addFingerprint(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    const found = this.#find(hi, lo);
    if (found >= 0) return false;
    const slot = ~found;
    this.#slots[slot * 2] = hi;
    this.#slots[slot * 2 + 1] = lo;
    this.#size++;
    if (this.#size * 2 > this.#mask + 1) this.#grow();
    return true;
  }

  /** Slot index if present, else the bitwise NOT of the empty slot to use. */
  #find(hi: number, lo: number): number {
    const slots = this.#slots;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.#mask;
    while (true) {
      const h = slots[i * 2]!;
      const l = slots[i * 2 + 1]!;
      if (h === 0 && l === 0) return ~i;
      if (h === hi && l === lo) return i;
      i = (i + 1) & this.#mask;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    this.#mask = (this.#mask + 1) * 2 - 1;
    this.#size = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.addFingerprint(old[i]!, old[i + 1]!);
    }
  }
}
