/**
 * Per-host politeness as plain data, like Scrapy's downloader `Slot` or
 * Colly's `LimitRule`: how many requests may be in flight, how far apart
 * their starts must be, and until when the host is paused.
 *
 * @module
 */

/**
 * The politeness state of one host (scheme-less `hostname:port` key).
 */
export interface HostSlot {
  /** Requests to this host in flight now. */
  active: number;
  /** Most requests allowed in flight at once. */
  concurrency: number;
  /** Least interval between two request starts, in milliseconds. */
  delayMs: number;
  /** When (performance.now() time) the last request started; -Infinity if never. */
  lastStartAt: number;
  /** Paused until then (e.g. by `Retry-After`); -Infinity when not paused. */
  pausedUntil: number;
}

/**
 * Creates the slot of a host that has not been contacted yet.
 *
 * @param concurrency Most requests in flight at once.
 * @param delayMs Least interval between request starts.
 * @returns A fresh slot.
 *
 * @example Usage
 * ```ts
 * import { newHostSlot, slotReadyAt } from "./host_slot.ts";
 * const slot = newHostSlot(2, 100);
 * slotReadyAt(slot); // -Infinity: ready now
 * ```
 */
export function newHostSlot(concurrency: number, delayMs: number): HostSlot {
  return { active: 0, concurrency, delayMs, lastStartAt: -Infinity, pausedUntil: -Infinity };
}

/**
 * When the host may start its next request, ignoring its concurrency.
 *
 * @param slot The host's slot.
 * @returns A `performance.now()` time; -Infinity when ready at once.
 */
export function slotReadyAt(slot: HostSlot): number {
  return Math.max(slot.lastStartAt + slot.delayMs, slot.pausedUntil);
}

/**
 * The key politeness is kept under: the URL's host with its port.
 *
 * @param href A normalized absolute http(s) URL.
 * @returns Its `host`, e.g. `example.org:8080`.
 *
 * @example Usage
 * ```ts
 * import { hostKey } from "./host_slot.ts";
 * hostKey("http://user:pw@example.org:8080/a"); // "example.org:8080"
 * ```
 */
export function hostKey(href: string): string {
  const start = href.indexOf("//") + 2;
  let end = href.indexOf("/", start);
  if (end === -1) end = href.length;
  const authority = href.slice(start, end);
  const at = authority.lastIndexOf("@");
  return at === -1 ? authority : authority.slice(at + 1);
}
