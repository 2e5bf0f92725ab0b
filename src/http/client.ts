/**
 * The transport under {@linkcode request}: which client sends a request.
 * Plain `http:` URLs go through the crawler's own HTTP/1.1 connections
 * ({@linkcode Http1Pool}), cheaper than `fetch()`; `https:` URLs (TLS,
 * HTTP/2) and every request through a proxy (`--proxy`, or `HTTP_PROXY` in
 * the environment) go through `fetch()`.
 *
 * @module
 */

import { Http1Pool } from "./http1_pool.ts";

/** Options for {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /** A proxy URL every request goes through (then all of them by `fetch()`). */
  proxy?: string;
  /**
   * Whether plain `http:` URLs go through the crawler's own HTTP/1.1
   * connections; default `true`. With `false`, everything goes through `fetch()`.
   */
  http1?: boolean;
}

/**
 * Whether the environment names a proxy for http URLs, which `fetch()`
 * honours (with `NO_PROXY`) and the HTTP/1.1 connections do not: with one,
 * http URLs keep going through `fetch()`. An environment this process may
 * not read counts as naming one, as `fetch()` reads it all the same.
 */
function httpProxyInEnv(): boolean {
  try {
    return ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"].some((name) =>
      (Deno.env.get(name) ?? "") !== ""
    );
  } catch {
    return true;
  }
}

/** One request for {@linkcode HttpClient.send}. */
export interface SendInit {
  /** The method; default `GET`. */
  method?: "GET" | "HEAD";
  /** The request headers. */
  headers?: Record<string, string>;
  /** Aborts the request and the reading of its body. */
  signal: AbortSignal;
}

/**
 * Sends one request without following redirects, through the crawler's
 * HTTP/1.1 connections or `fetch()` (see the module doc). Dispose of it
 * (`using`) to close its connections.
 *
 * @example Usage
 * ```ts
 * import { HttpClient } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.redirect("http://127.0.0.1/elsewhere", 302));
 * using client = new HttpClient();
 * const signal = new AbortController().signal;
 * const response = await client.send(`http://127.0.0.1:${server.addr.port}/`, { signal });
 * assert.equal(response.status, 302);
 * assert.equal(response.headers.get("location"), "http://127.0.0.1/elsewhere");
 * await response.body?.cancel();
 * ```
 */
export class HttpClient implements Disposable {
  readonly #proxy: Deno.HttpClient | undefined;
  readonly #http1: Http1Pool | undefined;

  /**
   * Creates a client.
   *
   * @param options A proxy, and whether `http:` URLs use the HTTP/1.1 connections.
   */
  constructor(options: HttpClientOptions = {}) {
    this.#proxy = options.proxy === undefined
      ? undefined
      : Deno.createHttpClient({ proxy: { url: options.proxy } });
    this.#http1 = this.#proxy === undefined && options.http1 !== false && !httpProxyInEnv()
      ? new Http1Pool()
      : undefined;
  }

  /**
   * Sends a request; resolves with the response once its head has come.
   *
   * @param url An absolute http(s) URL.
   * @param init Method, headers and signal.
   * @returns The response, its redirects not followed.
   * @throws {Error} For a failed connection or an invalid response; the
   * signal's reason once it aborts.
   */
  send(url: string, init: SendInit): Promise<Response> {
    if (this.#http1 !== undefined && url.startsWith("http:")) return this.#http1.send(url, init);
    return fetch(url, {
      method: init.method,
      headers: init.headers,
      signal: init.signal,
      client: this.#proxy,
      redirect: "manual",
    });
  }

  /** Closes its connections. */
  [Symbol.dispose](): void {
    this.#http1?.[Symbol.dispose]();
    this.#proxy?.close();
  }
}
