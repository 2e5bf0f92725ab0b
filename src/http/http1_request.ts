/**
 * The request head an {@linkcode Http1Pool} sends: the request line, the
 * caller's headers (checked, the framing ones left to the client), and the
 * defaults `fetch()` sends.
 *
 * @module
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const ENCODER = new TextEncoder();
/**
 * The request head's bytes, and whether the body is to be decoded (the
 * caller set no `accept-encoding`).
 *
 * @param method The method.
 * @param url The URL (its credentials become Basic authorization).
 * @param headers The caller's headers.
 * @returns The bytes to send, and whether to decode the body.
 * @throws {TypeError} For an invalid header name or value.
 *
 * @example Usage
 * ```ts
 * import { serializeRequest } from "./http1_request.ts";
 * import assert from "node:assert/strict";
 *
 * const { bytes, decode } = serializeRequest("GET", new URL("http://a.test/x?y"), {
 *   "user-agent": "bot",
 * });
 * const head = new TextDecoder().decode(bytes);
 * assert.ok(head.startsWith("GET /x?y HTTP/1.1\r\nhost: a.test\r\nuser-agent: bot\r\n"));
 * assert.ok(head.endsWith("accept-encoding: gzip\r\n\r\n"));
 * assert.equal(decode, true);
 * ```
 */
export function serializeRequest(
  method: string,
  url: URL,
  headers: Record<string, string> | undefined,
): { bytes: Uint8Array; decode: boolean } {
  let text = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  let accept = false, language = false, encoding = false, agent = false, authorization = false;
  for (const name in headers) {
    const value = headers[name]!;
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) {
      throw new TypeError(`Cannot send a request as header '${name}' is invalid`);
    }
    const lower = name.toLowerCase();
    // The connection's framing is this client's to say.
    if (lower === "host" || lower === "connection" || lower === "content-length") continue;
    if (lower === "transfer-encoding" || lower === "keep-alive") continue;
    accept ||= lower === "accept";
    language ||= lower === "accept-language";
    encoding ||= lower === "accept-encoding";
    agent ||= lower === "user-agent";
    authorization ||= lower === "authorization";
    text += `${name}: ${value.trim()}\r\n`;
  }
  if (!accept) text += "accept: */*\r\n";
  if (!language) text += "accept-language: *\r\n";
  if (!encoding) text += "accept-encoding: gzip\r\n";
  if (!authorization && (url.username !== "" || url.password !== "")) {
    // As fetch() does: a URL's credentials become Basic authorization.
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    text += `authorization: Basic ${base64(ENCODER.encode(credentials))}\r\n`;
  }
  if (!agent) text += `user-agent: Deno/${Deno.version.deno}\r\n`;
  text += "\r\n";
  return { bytes: latin1Bytes(text), decode: !encoding };
}

/** Bytes in base64. */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A head's text as bytes, one per char (field values are Latin-1, not UTF-8). */
function latin1Bytes(text: string): Uint8Array {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return ENCODER.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
