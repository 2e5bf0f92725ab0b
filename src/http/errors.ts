/**
 * Mapping fetch failures to the record's short error codes: the one
 * classification every request (pages, robots.txt, sitemaps) goes through.
 *
 * @module
 */

import type { ErrorCode } from "../output/record.ts";
import { BodyDecodeError, BodyTooLargeError } from "./body.ts";

/** A classified failure. */
export interface ClassifiedError {
  /** The short code. */
  code: ErrorCode;
  /** One line for humans. */
  message: string;
}

/**
 * Classifies an error thrown by `fetch()`, by a hop check or while reading a
 * body: the crawl being cancelled is `aborted`, the deadline `timeout`, a
 * body past its cap ({@linkcode BodyTooLargeError}) `too_large`, undecodable
 * bytes ({@linkcode BodyDecodeError}) `decode` (both keep their message),
 * and transport failures are told apart by their words.
 *
 * @param error What was thrown.
 * @param runSignal The crawl's own signal: when it aborted, the failure is
 * the crawl being cancelled, not the server timing out.
 * @returns The code and a one-line message.
 *
 * @example Usage
 * ```ts
 * import { classifyFetchError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const err = new DOMException("The operation was aborted due to timeout", "TimeoutError");
 * assert.equal(classifyFetchError(err).code, "timeout");
 * ```
 */
export function classifyFetchError(error: unknown, runSignal?: AbortSignal): ClassifiedError {
  if (runSignal?.aborted) return { code: "aborted", message: "crawl cancelled" };
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return { code: "timeout", message: "request deadline passed" };
  }
  if (error instanceof BodyTooLargeError) return { code: "too_large", message: error.message };
  if (error instanceof BodyDecodeError) {
    return { code: "decode", message: firstLine(error.message) };
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return { code: "permission", message: firstLine(error.message) };
  }
  const cause = error instanceof Error && error.cause !== undefined ? String(error.cause) : "";
  // Deno's permissions refused the connection itself, e.g. a `--deny-net` range the name
  // resolved to (the address it actually connected to, checked after the lookup).
  if (/requires net access/i.test(cause)) {
    return { code: "permission", message: firstLine(cause.replace(/^Error: /, "")) };
  }
  const raw = `${error instanceof Error ? error.message : String(error)} ${cause}`;
  const message = firstLine(cause || raw);
  // Match on the error's words, not on the URL it quotes ("/docs/tls-handshake" is no TLS error).
  const text = raw.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*/gi, "");
  if (/dns error|failed to lookup|name or service not known|no address associated/i.test(text)) {
    return { code: "dns", message };
  }
  if (/connection refused|os error 111/i.test(text)) return { code: "refused", message };
  // A compressed body that does not inflate: the same bytes would fail again.
  if (
    /(deflate|gzip|brotli|zstd|decompression) .*error|decompression|corrupt (deflate|gzip)/i.test(
      text,
    )
  ) {
    return { code: "decode", message };
  }
  // Cut short: closed before the reply, or mid-body ("error reading a body from connection").
  if (
    /reset|broken pipe|connection closed|os error 104|unexpected eof|error reading a body/i.test(
      text,
    )
  ) {
    return { code: "reset", message };
  }
  if (/certificate|tls|ssl|handshake|corrupt message/i.test(text)) return { code: "tls", message };
  return { code: "network", message };
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 300);
}
