/**
 * Connecting to Redis for a shared crawl: one ioredis client that fails
 * fast at start, reconnects for a bounded time afterwards, and never shows
 * the password of its URL.
 *
 * - At start, an unreachable server (or a refused password) is one
 *   {@linkcode RedisUnreachableError}: `cannot reach Redis at URL: reason`.
 * - Once connected, a lost connection is retried (50 ms doubling to 1 s
 *   apart) for `reconnectTimeoutMs` (default 60 000); commands issued
 *   meanwhile wait in ioredis' offline queue. Past that the client gives up
 *   and every waiting and later command fails with a
 *   {@linkcode RedisLostError}.
 * - `redis://` goes over Deno's own TCP connection ({@linkcode TcpConnector});
 *   `rediss://` over Node's `tls`, as ioredis does it.
 *
 * @module
 */

import { Redis } from "ioredis";
import { checkRedisUrl, redactRedisUrl } from "./url.ts";
import { TcpConnector } from "./tcp_connector.ts";

/** Redis could not be reached (or refused us) when a crawl started. */
export class RedisUnreachableError extends Error {
  /**
   * Creates the error.
   *
   * @param url The Redis URL, redacted.
   * @param reason Why, e.g. `connect ECONNREFUSED 127.0.0.1:6390`.
   */
  constructor(url: string, reason: string) {
    super(`cannot reach Redis at ${url}: ${reason}`);
    this.name = "RedisUnreachableError";
  }
}

/** The connection to Redis was lost mid-crawl and did not come back in time. */
export class RedisLostError extends Error {
  /**
   * Creates the error.
   *
   * @param url The Redis URL, redacted.
   * @param ms How long reconnecting was tried.
   * @param reason The last connection error.
   */
  constructor(url: string, ms: number, reason: string) {
    super(`lost Redis at ${url}: no connection for ${ms} ms (${reason})`);
    this.name = "RedisLostError";
  }
}

/** TLS settings for `rediss://` URLs (Node's `tls.connect` options). */
export interface RedisTlsOptions {
  /** Trusted CA certificates (PEM), e.g. for a private CA. */
  ca?: string | string[];
  /** A client certificate (PEM), when the server asks for one. */
  cert?: string;
  /** The client certificate's key (PEM). */
  key?: string;
  /** The name to check the server's certificate against (default: the URL's host). */
  servername?: string;
  /** Set to `false` to accept any certificate (tests only). Default `true`. */
  rejectUnauthorized?: boolean;
}

/** Options for {@linkcode openRedis}. */
export interface OpenRedisOptions {
  /** How long the first connection may take, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long to keep reconnecting after a lost connection, in ms. Default 60 000. */
  reconnectTimeoutMs?: number;
  /** TLS settings for `rediss://` (e.g. `{ ca }` for a private CA). */
  tls?: RedisTlsOptions;
  /** Name shown by `CLIENT LIST`, to tell the crawl's processes apart. */
  connectionName?: string;
}

/** An open client and what it knows of its connection. */
export interface RedisConnection {
  /** The ioredis client. */
  readonly client: Redis;
  /** The URL with its password replaced by `***`. */
  readonly url: string;
  /**
   * Rewrites an ioredis failure as a {@linkcode RedisLostError} once the
   * client gave up; other errors pass unchanged.
   */
  explain(error: unknown): unknown;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Node's connect errors end with the address, which the URL already names.
  return message.split("\n")[0]!;
}

/**
 * Opens a client and waits until it is ready.
 *
 * @param url `redis://[:password@]host[:port][/db]` or `rediss://...` (TLS).
 * @param options Time limits, TLS settings and the connection name.
 * @returns The open connection.
 * @throws {TypeError} If the URL is malformed.
 * @throws {RedisUnreachableError} If the server cannot be reached or refuses us.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * import { openRedis } from "./connect.ts";
 * const { client } = await openRedis("redis://127.0.0.1:6379/0");
 * await client.ping();
 * client.disconnect();
 * ```
 */
export async function openRedis(
  url: string,
  options: OpenRedisOptions = {},
): Promise<RedisConnection> {
  checkRedisUrl(url);
  const redacted = redactRedisUrl(url);
  const reconnectMs = options.reconnectTimeoutMs ?? 60_000;
  let connected = false;
  let lostSince: number | undefined;
  let lastError: unknown;
  let gaveUp = false;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Commands wait across reconnects; the retry strategy bounds how long.
    maxRetriesPerRequest: null,
    connectionName: options.connectionName,
    ...(options.tls ? { tls: options.tls } : {}),
    // Plain TCP on Deno's own connection (see tcp_connector.ts); TLS on Node's `tls`.
    ...(URL.parse(url)!.protocol === "redis:" && !options.tls ? { Connector: TcpConnector } : {}),
    retryStrategy: (times) => {
      if (!connected) return null;
      lostSince ??= performance.now();
      if (performance.now() - lostSince > reconnectMs) {
        gaveUp = true;
        return null;
      }
      return Math.min(50 * 2 ** (times - 1), 1000);
    },
  });
  // Errors also reject the commands concerned; the event only keeps the latest reason.
  client.on("error", (error) => lastError = error);
  client.on("ready", () => lostSince = undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new RedisUnreachableError(redacted, reasonOf(lastError ?? error));
  }
  connected = true;
  return {
    client,
    url: redacted,
    explain: (error) =>
      gaveUp ? new RedisLostError(redacted, reconnectMs, reasonOf(lastError ?? error)) : error,
  };
}
