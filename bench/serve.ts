/**
 * The benchmark's static server, meant to run in its own process so it never
 * competes with the crawler's event loop:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/serve.ts --pages 5000 --port 0
 * ```
 *
 * It generates the site of `bench/gen_site.ts` in memory (pre-encoded), then
 * serves it on 127.0.0.1 with `Deno.serve` and prints one line on stdout when
 * ready: `LISTENING http://127.0.0.1:PORT pages=N bytes=B`. It exits when its
 * stdin closes (so it dies with the process that started it), or on SIGTERM
 * or SIGINT. Keep stdin open when you start it by hand in the background,
 * e.g. `tail -f /dev/null | deno run ... &`.
 *
 * Besides the site and `/robots.txt` (allow all), it answers:
 * - `GET /__stats`: `{requests, uniquePaths, duplicates, pageRequests, notFound, duplicatePaths}`
 *   counting every request since start or the last reset, these two paths excluded;
 * - `POST /__reset`: zeroes the counts.
 *
 * {@linkcode startBenchServer} starts it as a subprocess and talks to it.
 *
 * @module
 */

import { generateSite } from "./gen_site.ts";
import { processCpuMs } from "./measure.ts";

/** What `GET /__stats` answers. */
export interface ServerStats {
  /** Requests counted (the `/__` paths excluded). */
  requests: number;
  /** Distinct paths requested. */
  uniquePaths: number;
  /** Requests beyond the first to the same path. */
  duplicates: number;
  /** Requests for the site's HTML pages. */
  pageRequests: number;
  /** Requests answered 404. */
  notFound: number;
  /** Up to 20 paths requested more than once, with their counts. */
  duplicatePaths: Record<string, number>;
  /** Up to 20 paths answered 404. */
  notFoundPaths: string[];
}

/** Options for {@linkcode startBenchServer}. */
export interface BenchServerOptions {
  /** Pages besides `/index.html`. */
  pages: number;
  /** The site's PRNG seed (default: the generator's). */
  seed?: number;
}

/** A running server subprocess. Dispose of it (`await using`) to stop it. */
export interface BenchServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The server's process id. */
  pid: number;
  /** The site's size, in bytes. */
  totalBytes: number;
  /** Zeroes the server's request counts. */
  reset(): Promise<void>;
  /** The server's request counts. */
  stats(): Promise<ServerStats>;
  /** CPU time (user + system) the server process has used, in ms; `undefined` off Linux. */
  cpuMs(): Promise<number | undefined>;
  /** Stops the server and waits for its exit. */
  close(): Promise<void>;
}

/** Reads the first line of a stream, or `undefined` if it ends first; releases the stream. */
export async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return undefined;
      text += decoder.decode(value, { stream: true });
      const end = text.indexOf("\n");
      if (end >= 0) return text.slice(0, end);
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The `POST /__reset` and `GET /__stats` of a bench server at `origin`.
 *
 * @param origin Where the server answers them.
 * @param label The server, for the error message.
 * @returns `reset()` and `stats()`.
 *
 * @example Usage
 * ```ts ignore
 * const { stats } = controls<ServerStats>("http://127.0.0.1:8080", "the bench server");
 * console.log((await stats()).requests);
 * ```
 */
export function controls<S>(
  origin: string,
  label: string,
): { reset(): Promise<void>; stats(): Promise<S> } {
  return {
    async reset() {
      const response = await fetch(`${origin}/__reset`, { method: "POST" });
      await response.body?.cancel();
      if (response.status !== 204) throw new Error(`Cannot reset ${label}: ${response.status}`);
    },
    async stats() {
      const response = await fetch(`${origin}/__stats`);
      return await response.json() as S;
    },
  };
}

/** A server subprocess started by {@linkcode spawnServer}. */
export interface ServerProcess {
  /** The process (its stdout carries the `LISTENING` line). */
  child: Deno.ChildProcess;
  /** Closes its stdin, sends SIGTERM and waits for its exit; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts `deno ARGS` with piped stdin and stdout, the way the bench servers
 * run: the child exits when its stdin closes, so it dies with its parent.
 *
 * @param args The arguments after `deno`.
 * @returns The process and its close function.
 *
 * @example Usage
 * ```ts ignore
 * const { child, close } = spawnServer(["run", "--allow-net=127.0.0.1", "bench/serve.ts"]);
 * console.log(await firstLine(child.stdout));
 * await close();
 * ```
 */
export function spawnServer(args: string[]): ServerProcess {
  // `deno` by name, so `--allow-run=deno` suffices (Deno.execPath() is the resolved binary).
  const child = new Deno.Command("deno", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      await child.stdin.close().catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
      await child.stdout.cancel().catch(() => {});
    })();
  return { child, close };
}

/**
 * Starts `serve.ts` in its own process and resolves once it listens.
 *
 * The child holds our pipe as its stdin, so it also exits if this process
 * dies without closing it. Requires `--allow-run=deno` (and `--allow-net=127.0.0.1`
 * and, for {@linkcode BenchServer.cpuMs}, `--allow-read=/proc`).
 *
 * @param options The site's size and seed.
 * @returns The running server.
 * @throws {Error} If the server exits before it listens.
 * @example Usage
 * ```ts ignore
 * import { startBenchServer } from "./serve.ts";
 * await using server = await startBenchServer({ pages: 100 });
 * const response = await fetch(`${server.origin}/index.html`);
 * console.log(response.status); // 200
 * await response.body?.cancel();
 * ```
 */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const args = ["run", "--allow-net=127.0.0.1", new URL(import.meta.url).pathname];
  args.push("--pages", String(options.pages), "--port", "0");
  if (options.seed !== undefined) args.push("--seed", String(options.seed));
  const { child, close } = spawnServer(args);
  const line = await firstLine(child.stdout).catch(() => undefined);
  const match = line && /^LISTENING (\S+) pages=\d+ bytes=(\d+)$/.exec(line);
  if (!match) {
    await close();
    throw new Error(
      `Cannot start the bench server: it exited without listening (got ${JSON.stringify(line)})`,
    );
  }
  const origin = match[1]!;
  return {
    origin,
    pid: child.pid,
    totalBytes: Number(match[2]),
    ...controls<ServerStats>(origin, "the bench server"),
    cpuMs: () => processCpuMs(child.pid),
    close,
    [Symbol.asyncDispose]: close,
  };
}

const ROBOTS = new TextEncoder().encode("User-agent: *\nAllow: /\n");
const NOT_FOUND = new TextEncoder().encode(
  "<!DOCTYPE html><title>Not found</title><h1>404</h1>",
);
const HTML_TYPE = "text/html; charset=utf-8";

function parseFlags(args: readonly string[]): { pages: number; port: number; seed?: number } {
  const flags: Record<string, string> = { pages: "5000", port: "0" };
  for (let k = 0; k < args.length; k++) {
    const match = /^--(pages|port|seed)(?:=(.*))?$/.exec(args[k]!);
    if (!match) throw new TypeError(`Cannot start server: unknown argument '${args[k]}'`);
    const value = match[2] ?? args[++k];
    if (value === undefined) {
      throw new TypeError(`Cannot start server: '--${match[1]}' needs a value`);
    }
    flags[match[1]!] = value;
  }
  const pages = Number(flags.pages);
  const port = Number(flags.port);
  if (!Number.isInteger(pages) || pages < 3) {
    throw new RangeError(
      `Cannot start server as 'pages' must be an integer >= 3: received ${flags.pages}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot start server as 'port' must be in [0, 65535]: received ${flags.port}`,
    );
  }
  return { pages, port, seed: flags.seed === undefined ? undefined : Number(flags.seed) };
}

/** The path of a request URL, without parsing a whole `URL` per request. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.indexOf("?", start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

async function main(): Promise<void> {
  const { pages, port, seed } = parseFlags(Deno.args);
  let files = new Map<string, Uint8Array<ArrayBuffer>>();
  let hits = new Map<string, number>();
  let requests = 0, pageRequests = 0, notFound = 0;
  const notFoundPaths: string[] = [];

  const stats = (): ServerStats => {
    let duplicates = 0;
    const duplicatePaths: Record<string, number> = {};
    for (const [path, count] of hits) {
      if (count < 2) continue;
      duplicates += count - 1;
      if (Object.keys(duplicatePaths).length < 20) duplicatePaths[path] = count;
    }
    return {
      requests,
      uniquePaths: hits.size,
      duplicates,
      pageRequests,
      notFound,
      duplicatePaths,
      notFoundPaths,
    };
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (request) => {
    const path = pathOf(request.url);
    if (path.startsWith("/__")) {
      if (path === "/__stats") return Response.json(stats());
      if (path === "/__reset" && request.method === "POST") {
        hits = new Map();
        requests = pageRequests = notFound = 0;
        notFoundPaths.length = 0;
        return new Response(null, { status: 204 });
      }
    }
    requests++;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = files.get(path);
    if (body) {
      pageRequests++;
      // Deno sets content-length for a byte body; HTTP/1.1 keeps the connection alive.
      return new Response(body, { headers: { "content-type": HTML_TYPE } });
    }
    if (path === "/robots.txt") {
      return new Response(ROBOTS, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    notFound++;
    if (notFoundPaths.length < 20) notFoundPaths.push(path);
    return new Response(NOT_FOUND, { status: 404, headers: { "content-type": HTML_TYPE } });
  });

  // Absolute links need the port, so the site is generated once the socket is bound;
  // nobody knows the port before the LISTENING line, so no request comes earlier.
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const site = generateSite({ pages, origin, seed });
  files = site.files;

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.shutdown();
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // Not every signal can be listened to on every platform (Windows has no SIGTERM).
    }
  }
  console.log(`LISTENING ${origin} pages=${pages} bytes=${site.totalBytes}`);

  // Stdin closing means the parent is gone (or done): stop with it.
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) { /* discard */ }
    } finally {
      stop();
    }
  })();

  await server.finished;
  // The stdin reader may still be pending; nothing else is left to wait for.
  Deno.exit(0);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`serve.ts: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
