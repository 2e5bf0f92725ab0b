/**
 * Revisit records (WARC 1.1, section 6.7): a response that repeats an
 * earlier capture is stored as a pointer to it instead of a second copy.
 * Two profiles: `server-not-modified` for a 304 answer to a conditional
 * request, `identical-payload-digest` for a body whose digest equals the
 * earlier capture's. Both keep the response's HTTP head as their block and
 * name the earlier capture by `WARC-Refers-To` (its record id),
 * `WARC-Refers-To-Target-URI` and `WARC-Refers-To-Date`.
 *
 * @module
 */

/** The WARC 1.1 revisit profile for a 304 answer. */
export const NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified";
/** The WARC 1.1 revisit profile for a payload identical to an earlier one. */
export const IDENTICAL_PAYLOAD_PROFILE =
  "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/** What a later revisit needs of a capture: kept per URL by a store with history. */
export interface CaptureRef {
  /** The `response` record's `WARC-Record-ID`. */
  id: string;
  /** Its `WARC-Target-URI`. */
  uri: string;
  /** Its `WARC-Date`. */
  date: string;
  /** Its `WARC-Payload-Digest`. */
  digest: string;
}

/**
 * Which profile a response is a revisit of, if any.
 *
 * @param status The response's status.
 * @param payloadDigest Its payload digest.
 * @param earlier The URL's earlier capture, if one is known.
 * @returns The profile, or `undefined` to store the response in full.
 *
 * @example Usage
 * ```ts
 * import { NOT_MODIFIED_PROFILE, revisitProfile } from "./revisit.ts";
 * import assert from "node:assert/strict";
 *
 * const earlier = { id: "<urn:uuid:1>", uri: "https://a.test/", date: "2026-01-01T00:00:00Z", digest: "sha1:X" };
 * assert.equal(revisitProfile(304, "sha1:Y", earlier), NOT_MODIFIED_PROFILE);
 * assert.equal(revisitProfile(200, "sha1:Y", earlier), undefined); // changed: stored in full
 * assert.equal(revisitProfile(304, "sha1:Y", undefined), undefined); // nothing to point at
 * ```
 */
export function revisitProfile(
  status: number,
  payloadDigest: string,
  earlier: CaptureRef | undefined,
): string | undefined {
  if (earlier === undefined) return undefined;
  if (status === 304) return NOT_MODIFIED_PROFILE;
  if (status >= 200 && status < 300 && payloadDigest === earlier.digest) {
    return IDENTICAL_PAYLOAD_PROFILE;
  }
  return undefined;
}

/**
 * The fields a revisit record adds, after its target and digests.
 *
 * @param profile The profile.
 * @param earlier The capture it points at.
 * @returns `WARC-Profile` and the `WARC-Refers-To*` fields.
 *
 * @example Usage
 * ```ts
 * import { NOT_MODIFIED_PROFILE, revisitFields } from "./revisit.ts";
 * import assert from "node:assert/strict";
 *
 * const earlier = { id: "<urn:uuid:1>", uri: "https://a.test/", date: "2026-01-01T00:00:00Z", digest: "sha1:X" };
 * assert.deepEqual(revisitFields(NOT_MODIFIED_PROFILE, earlier).map(([name]) => name), [
 *   "WARC-Profile", "WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date",
 * ]);
 * ```
 */
export function revisitFields(profile: string, earlier: CaptureRef): [string, string][] {
  return [
    ["WARC-Profile", profile],
    ["WARC-Refers-To", earlier.id],
    ["WARC-Refers-To-Target-URI", earlier.uri],
    ["WARC-Refers-To-Date", earlier.date],
  ];
}
