/**
 * A body the client already holds whole when it hands out the response
 * (a small page arrives with its head): the body readers take the bytes
 * as they are, where reading `response.body` would push them through a
 * stream and copy them again. The response's stream still gives the same
 * bytes to anyone else who reads it.
 *
 * @module
 */

const HELD = new WeakMap<Response, Uint8Array>();

/**
 * Marks a response's body as held whole.
 *
 * @param response The response, whose body stream gives the same bytes.
 * @param bytes The body.
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
export function holdBody(response: Response, bytes: Uint8Array): Response {
  HELD.set(response, bytes);
  return response;
}

/**
 * Takes a response's held body, once, unless its stream was read meanwhile.
 *
 * @param response The response.
 * @returns The body, or `undefined` when none is held.
 *
 * @example Usage
 * ```ts
 * import { takeHeldBody } from "./held_body.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(takeHeldBody(new Response("x")), undefined);
 * ```
 */
export function takeHeldBody(response: Response): Uint8Array | undefined {
  const bytes = HELD.get(response);
  if (bytes === undefined) return undefined;
  HELD.delete(response);
  return response.bodyUsed ? undefined : bytes;
}
