/**
 * The request policy of a rendering tab, for everything but the page's own
 * navigation (which `render_page.ts` checks like a redirect): a subresource,
 * XHR or `fetch()` request goes only where the crawler itself may connect
 * (Deno's net permission, the address guard), only over http(s), and images,
 * fonts and media are refused unless the crawl asks for them.
 *
 * @module
 */

import type { ErrorCode } from "../output/record.ts";

/** Resource types refused by default: a crawler reads documents, not pixels or sound. */
export const HEAVY_RESOURCES: ReadonlySet<string> = new Set(["Image", "Font", "Media"]);

/** A request as `Fetch.requestPaused` describes it (the parts read here). */
export interface PausedRequest {
  /** The request's URL. */
  url: string;
  /** CDP's resource type: `Document`, `Script`, `XHR`, `Fetch`, `Image`... */
  resourceType: string;
}

/** What the tab's request policy reads. */
export interface SubresourceRules {
  /** Let images, fonts and media load. */
  allowHeavy: boolean;
  /**
   * Checks whether the crawler may connect to a URL's host: an error code
   * (`blocked_address`, `permission`, `dns`) refuses it.
   */
  checkRequest: (url: string, signal: AbortSignal) => Promise<ErrorCode | undefined>;
}

/** What becomes of one subresource request. */
export type SubresourceVerdict =
  /** Sent. */
  | { allow: true }
  /**
   * Refused: `error` names why when it is worth a line in the record (a
   * blocked address), and is absent for refusals by type, which are routine.
   */
  | { allow: false; error?: ErrorCode };

/**
 * Judges one request a rendering page makes for something other than its
 * own main document.
 *
 * @param request The paused request.
 * @param rules The crawl's rules.
 * @param signal Aborts a DNS lookup of the address guard.
 * @returns The verdict.
 *
 * @example Usage
 * ```ts
 * import { judgeSubresource } from "./intercept.ts";
 * import assert from "node:assert/strict";
 *
 * const rules = {
 *   allowHeavy: false,
 *   checkRequest: (url: string) =>
 *     Promise.resolve(url.includes("169.254.") ? "blocked_address" as const : undefined),
 * };
 * const { signal } = new AbortController();
 * const image = { url: "https://a.test/cat.png", resourceType: "Image" };
 * assert.deepEqual(await judgeSubresource(image, rules, signal), { allow: false });
 * const metadata = { url: "http://169.254.169.254/latest", resourceType: "XHR" };
 * assert.deepEqual(await judgeSubresource(metadata, rules, signal), {
 *   allow: false,
 *   error: "blocked_address",
 * });
 * ```
 */
export async function judgeSubresource(
  request: PausedRequest,
  rules: SubresourceRules,
  signal: AbortSignal,
): Promise<SubresourceVerdict> {
  const url = URL.parse(request.url);
  if (url?.protocol !== "http:" && url?.protocol !== "https:") return { allow: false };
  if (!rules.allowHeavy && HEAVY_RESOURCES.has(request.resourceType)) return { allow: false };
  // The browser's own icon request (not the page's): an image nobody asked for.
  if (!rules.allowHeavy && url.pathname === "/favicon.ico" && request.resourceType === "Other") {
    return { allow: false };
  }
  const error = await rules.checkRequest(request.url, signal);
  return error === undefined ? { allow: true } : { allow: false, error };
}

/**
 * Chromium's `net::ERR_*` text for a failed navigation, as a record's error code.
 *
 * @param errorText What `Page.navigate` or `Network.loadingFailed` said.
 * @returns The code.
 *
 * @example Usage
 * ```ts
 * import { navigationError } from "./intercept.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(navigationError("net::ERR_CONNECTION_REFUSED"), "refused");
 * ```
 */
export function navigationError(errorText: string): ErrorCode {
  if (/NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED/.test(errorText)) return "dns";
  if (/CONNECTION_REFUSED/.test(errorText)) return "refused";
  if (/TIMED_OUT/.test(errorText)) return "timeout";
  if (/CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE|CONNECTION_ABORTED/.test(errorText)) {
    return "reset";
  }
  if (/CERT|SSL/.test(errorText)) return "tls";
  if (/TOO_MANY_REDIRECTS/.test(errorText)) return "too_many_redirects";
  if (/UNSAFE_REDIRECT|INVALID_REDIRECT/.test(errorText)) return "bad_redirect";
  if (/CONTENT_DECODING_FAILED/.test(errorText)) return "decode";
  return "network";
}
