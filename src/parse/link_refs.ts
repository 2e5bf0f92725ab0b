/**
 * How a link or a resource reference reads, the same for the scan
 * (`scan.ts`) and the DOM (`dom.ts`): the URLs of a `srcset`, a link's text
 * as a reader sees it, and which `<link rel>` loads a resource.
 *
 * @module
 */

/** The longest link text kept, in characters. */
export const MAX_LINK_TEXT = 200;

/** `<link rel>` values whose href the page loads as a resource. */
export const RESOURCE_REL: RegExp = /(^|\s)(stylesheet|icon)(\s|$)/i;

/**
 * The URLs of a `srcset` attribute, as HTML's srcset parsing splits it: each
 * candidate is a URL (a run of non-space characters, trailing commas not
 * part of it) and optional descriptors up to the next comma.
 *
 * @param srcset The attribute value.
 * @returns The candidates' URLs, in order.
 *
 * @example Usage
 * ```ts
 * import { srcsetUrls } from "./link_refs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(srcsetUrls("a.png 1x, b.png 2x"), ["a.png", "b.png"]);
 * assert.deepEqual(srcsetUrls("data:image/png;base64,AAAA 1x"), ["data:image/png;base64,AAAA"]);
 * ```
 */
export function srcsetUrls(srcset: string): string[] {
  const urls: string[] = [];
  let i = 0;
  const n = srcset.length;
  const space = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
  while (i < n) {
    while (i < n && (space(srcset.charCodeAt(i)) || srcset.charCodeAt(i) === 44)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !space(srcset.charCodeAt(i))) i++;
    let url = srcset.slice(start, i);
    if (url.endsWith(",")) {
      // A loop: `/,+$/` is quadratic in a run of commas that does not end the string.
      let end = url.length;
      while (end > 0 && url.charCodeAt(end - 1) === 44) end--;
      url = url.slice(0, end);
    } else {
      // Descriptors run to the next comma outside parentheses.
      let depth = 0;
      while (i < n) {
        const c = srcset.charCodeAt(i);
        if (c === 40) depth++;
        else if (c === 41 && depth > 0) depth--;
        else if (c === 44 && depth === 0) break;
        i++;
      }
    }
    if (url !== "") urls.push(url);
  }
  return urls;
}

/**
 * Collapses whitespace and cuts a link text to {@linkcode MAX_LINK_TEXT}
 * characters, the last of them an ellipsis when it was longer.
 *
 * @param text The text as found, references decoded.
 * @returns The text as a record keeps it.
 *
 * @example Usage
 * ```ts
 * import { cleanLinkText, MAX_LINK_TEXT } from "./link_refs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cleanLinkText("  Read\n  more "), "Read more");
 * assert.equal(cleanLinkText("x".repeat(300)).length, MAX_LINK_TEXT);
 * ```
 */
export function cleanLinkText(text: string): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return collapsed.length > MAX_LINK_TEXT ? `${collapsed.slice(0, MAX_LINK_TEXT - 1)}…` : collapsed;
}
