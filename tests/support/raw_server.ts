/**
 * A raw TCP server on 127.0.0.1 for tests that need a misbehaving HTTP peer:
 * a body cut short, a chunked body that ends early, a connection closed
 * before any reply byte, a corrupt gzip stream, a body that drips. Each
 * connection reads one request head and hands the connection to `respond`.
 *
 * @module
 */

/** One request as the raw server saw it. */
export interface RawRequest {
  /** The request target, e.g. `/page`. */
  path: string;
  /** How many requests for this path came before this one (0 for the first). */
  attempt: number;
}

/** A running raw server. */
export interface RawServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Requests per path. */
  hits: Map<string, number>;
}

const encoder = new TextEncoder();

/** Encodes an HTTP/1.1 response head (status line and headers, then the blank line). */
export function head(status: number, headers: Record<string, string | number>): Uint8Array {
  const lines = [`HTTP/1.1 ${status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return encoder.encode(lines.join("\r\n") + "\r\n\r\n");
}

/** A whole, well-formed HTML response. */
export function html(body: string): Uint8Array {
  const bytes = encoder.encode(body);
  const start = head(200, {
    "content-type": "text/html",
    "content-length": bytes.length,
    connection: "close",
  });
  const out = new Uint8Array(start.length + bytes.length);
  out.set(start);
  out.set(bytes, start.length);
  return out;
}

/**
 * Starts the server.
 *
 * @param respond Writes the reply for one request (or nothing); the
 * connection is closed after it returns.
 * @returns The running server; dispose it to stop.
 */
export function startRawServer(
  respond: (conn: Deno.Conn, request: RawRequest) => Promise<void>,
): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const hits = new Map<string, number>();
  const connections = new Set<Promise<void>>();
  const serve = async (conn: Deno.Conn) => {
    try {
      let text = "";
      const buffer = new Uint8Array(8192);
      while (!text.includes("\r\n\r\n")) {
        const n = await conn.read(buffer);
        if (n === null) return;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      const path = text.split(" ", 2)[1] ?? "/";
      const attempt = hits.get(path) ?? 0;
      hits.set(path, attempt + 1);
      await respond(conn, { path, attempt });
    } catch {
      // The client went away first (a deadline, an abort): nothing to do.
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      const done = serve(conn);
      connections.add(done);
      done.finally(() => connections.delete(done));
    }
  })();
  return {
    origin: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    hits,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      await Promise.allSettled([...connections]);
    },
  };
}
