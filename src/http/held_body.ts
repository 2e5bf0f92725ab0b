/**
 * A body the client holds whole when it hands out the response (a small
 * page arrives with its head), or can read whole into one array of its
 * declared length (a larger page): the body readers take it as it is,
 * where reading `response.body` would push it through a stream, chunk by
 * chunk, and copy the chunks into one array at the end (a 10 MB page then
 * needs 20 MB). The response's stream still gives the same bytes to anyone
 * else who reads it instead.
 *
 * @module
 */

/** The bytes, or a function that reads all of them into one array. */
export type HeldBody = Uint8Array | (() => Promise<Uint8Array>);

const HELD = new WeakMap<Response, HeldBody>();

/**
 * Marks a response's body as held whole, or readable whole.
 *
 * @param response The response, whose body stream gives the same bytes.
 * @param body The body, or a function that reads it whole (called at most
 * once, and only while nobody read the stream).
 * @returns The response.
 *
 * @example Usage
 * ```ts
 * import { holdBody, takeHeldBody } from "./held_body.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("<p>hi</p>");
 * const response = holdBody(new Response(bytes.slice()), bytes);
 * assert.equal(takeHeldBody(response), bytes);
 * assert.equal(takeHeldBody(response), undefined);
 * ```
 */
export function holdBody(response: Response, body: HeldBody): Response {
  HELD.set(response, body);
  return response;
}

/**
 * Takes a response's held body, once, unless its stream was read meanwhile.
 *
 * @param response The response.
 * @returns The body or the function that reads it whole, or `undefined`
 * when none is held.
 *
 * @example Usage
 * ```ts
 * import { takeHeldBody } from "./held_body.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(takeHeldBody(new Response("x")), undefined);
 * ```
 */
export function takeHeldBody(response: Response): HeldBody | undefined {
  const body = HELD.get(response);
  if (body === undefined) return undefined;
  HELD.delete(response);
  return response.bodyUsed ? undefined : body;
}
