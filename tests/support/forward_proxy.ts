/**
 * A tiny HTTP forward proxy on 127.0.0.1 for tests: it takes absolute-form
 * requests (`GET http://host/path HTTP/1.1`), logs each with its headers,
 * forwards it with `fetch` (redirects passed back, not followed) and
 * returns the answer. Plain http targets only (no CONNECT).
 *
 * @module
 */

/** One request the proxy forwarded. */
export interface ProxiedRequest {
  /** The absolute URL asked for. */
  url: string;
  /** The request's headers, as the proxy received them (names lower-case). */
  headers: Record<string, string>;
}

/** A running proxy. */
export interface ForwardProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Every request forwarded, in order. */
  log: ProxiedRequest[];
  [Symbol.asyncDispose](): Promise<void>;
}

const HOP_BY_HOP = ["connection", "proxy-authorization", "proxy-connection", "keep-alive"];

/**
 * Starts a forward proxy on an ephemeral loopback port.
 *
 * @returns The proxy; `await using` it stops it.
 */
export function startForwardProxy(): ForwardProxy {
  const log: ProxiedRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    log.push({ url: request.url, headers: Object.fromEntries(request.headers) });
    const headers = new Headers(request.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    const answer = await fetch(request.url, { headers, redirect: "manual" });
    // fetch has decoded the body: its encoding and length no longer hold.
    const back = new Headers(answer.headers);
    back.delete("content-encoding");
    back.delete("content-length");
    return new Response(answer.body, { status: answer.status, headers: back });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    log,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
