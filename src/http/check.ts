/**
 * Checking a URL without downloading it: the request a link checker makes
 * for a page's resources and for links out of scope.
 *
 * @module
 */

import { type FetchedPage, type FetchPageOptions, request, withStatusError } from "./request.ts";

/** Statuses of a server that refuses `HEAD`: the check asks again with `GET`. */
const HEAD_REFUSED = new Set([405, 501]);

const NO_BODY = () => Promise.resolve(null);

/**
 * Checks a URL: `HEAD`, and `GET` where the server refuses `HEAD` (405 or
 * 501), its body cancelled once the status is in. Redirects are followed
 * under the same hop checks as a page's; the body is never read, so the
 * result has none and `bytes` is the declared length.
 *
 * @param url The absolute URL (the caller has checked it).
 * @param options Deadline, redirect policy, hop check, headers, accepted statuses.
 * @returns The result, with `error` for a failure as {@linkcode fetchPage} gives it.
 *
 * @example Usage
 * ```ts
 * import { checkUrl } from "./check.ts";
 * import assert from "node:assert/strict";
 *
 * const methods: string[] = [];
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
 *   methods.push(req.method);
 *   return req.method === "HEAD" ? new Response(null, { status: 405 }) : new Response("logo");
 * });
 * const options = { timeoutMs: 10_000, maxBytes: 1024, maxRedirects: 10 };
 * const result = await checkUrl(`http://127.0.0.1:${server.addr.port}/logo.png`, options);
 * assert.equal(result.status, 200);
 * assert.deepEqual(methods, ["HEAD", "GET"]);
 * ```
 */
export async function checkUrl(url: string, options: FetchPageOptions): Promise<FetchedPage> {
  const { accept, ...rest } = options;
  let result = await request(url, { ...rest, method: "HEAD", readBody: NO_BODY });
  if (result.error === undefined && HEAD_REFUSED.has(result.status!)) {
    result = await request(url, { ...rest, method: "GET", readBody: NO_BODY });
  }
  return result.error === undefined ? withStatusError(result, accept) : result;
}
