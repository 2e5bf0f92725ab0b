/**
 * The network-bound benchmark's server (`bench/scale.ts`): the site of
 * `bench/gen_site.ts` spread over many hosts on loopback addresses, every
 * response held back by a fixed latency, in its own process.
 *
 * ```sh
 * deno run --allow-net=127.0.0.0/8 bench/serve_hosts.ts --pages 6000 --hosts 128 --latency-ms 20
 * ```
 *
 * Host `k` (`0 <= k < hosts`) is `127.0.0.<k + 2>` (Linux routes all of
 * 127/8 to the loopback interface), every host on the same port. Page `i`
 * (`/p/<i>.html`) lives on host `i % hosts` only, and every host has its own
 * `/index.html`; a link to a page on another host is an absolute URL, so a
 * crawl seeded with the hosts' indexes spreads over all of them. The crawl's
 * expected pages are `pages + hosts`.
 *
 * Every request but the `/__` ones is answered after `--latency-ms` (20 by
 * default): the time a real server and network take before the first byte,
 * so a crawler that is not CPU-bound spends its time waiting, as on the web.
 * It prints one line on stdout when ready:
 * `LISTENING http://127.0.0.2:PORT hosts=H pages=N bytes=B`, and exits when
 * its stdin closes or on SIGTERM or SIGINT (like `bench/serve.ts`).
 *
 * Besides the site it answers, on any host:
 * - `GET /__stats`: {@linkcode HostsStats}, counting every request (by host
 *   and path) since start or the last reset;
 * - `POST /__reset`: zeroes the counts.
 *
 * {@linkcode startHostsServer} starts it as a subprocess and talks to it.
 *
 * @module
 */

import { renderIndex, renderPage } from "./gen_site.ts";
import { controls, firstLine, spawnServer } from "./serve.ts";
import { processCpuMs } from "./measure.ts";

/** What `GET /__stats` answers. */
export interface HostsStats {
  /** Requests counted (the `/__` paths excluded). */
  requests: number;
  /** Requests beyond the first to the same host and path. */
  duplicates: number;
  /** Requests for the site's HTML pages (indexes included). */
  pageRequests: number;
  /** Requests answered 404 (a page asked of the wrong host counts here). */
  notFound: number;
  /** Hosts that received at least one request. */
  hostsHit: number;
  /** Up to 20 `host/path`s requested more than once, with their counts. */
  duplicatePaths: Record<string, number>;
  /** Up to 20 `host/path`s answered 404. */
  notFoundPaths: string[];
  /** From the first counted request's arrival to the last counted response, in ms (0 if none). */
  spanMs: number;
  /** Most requests waiting on the latency at once. */
  maxInFlight: number;
}

/** Options for {@linkcode startHostsServer}. */
export interface HostsServerOptions {
  /** Pages besides the hosts' indexes. */
  pages: number;
  /** Hosts, 1 to 250: `127.0.0.2` onwards. */
  hosts: number;
  /** Delay before each response, in ms. */
  latencyMs: number;
  /** The site's PRNG seed (default: the generator's). */
  seed?: number;
}

/** A running multi-host server subprocess. Dispose of it (`await using`) to stop it. */
export interface HostsServer extends AsyncDisposable {
  /** `http://127.0.0.<k + 2>:PORT` for each host `k`. */
  origins: string[];
  /** Each host's `/index.html`: the crawl's seeds. */
  seeds: string[];
  /** Pages a full crawl fetches: pages + one index per host. */
  expectedPages: number;
  /** The server's process id. */
  pid: number;
  /** The site's size, in bytes. */
  totalBytes: number;
  /** Zeroes the server's request counts. */
  reset(): Promise<void>;
  /** The server's request counts. */
  stats(): Promise<HostsStats>;
  /** CPU time (user + system) the server process has used, in ms; `undefined` off Linux. */
  cpuMs(): Promise<number | undefined>;
  /** Stops the server and waits for its exit. */
  close(): Promise<void>;
}

/** Most hosts: `127.0.0.2` to `127.0.0.251`. */
export const MAX_HOSTS = 250;

/** The address of host `k`. */
export const hostAddress = (k: number): string => `127.0.0.${k + 2}`;

/**
 * Starts `serve_hosts.ts` in its own process and resolves once it listens on
 * every host. Requires `--allow-run=deno` (and, for
 * {@linkcode HostsServer.cpuMs}, `--allow-read=/proc`; for the stats, net
 * access to `127.0.0.2`).
 *
 * @param options The site's size, hosts, latency and seed.
 * @returns The running server.
 * @throws {Error} If the server exits before it listens.
 *
 * @example Usage
 * ```ts ignore
 * import { startHostsServer } from "./serve_hosts.ts";
 * await using server = await startHostsServer({ pages: 100, hosts: 8, latencyMs: 20 });
 * console.log(server.seeds.length); // 8
 * ```
 */
export async function startHostsServer(options: HostsServerOptions): Promise<HostsServer> {
  const args = ["run", "--allow-net=127.0.0.0/8", new URL(import.meta.url).pathname];
  args.push("--pages", String(options.pages), "--hosts", String(options.hosts));
  args.push("--latency-ms", String(options.latencyMs));
  if (options.seed !== undefined) args.push("--seed", String(options.seed));
  const { child, close } = spawnServer(args);
  const line = await firstLine(child.stdout).catch(() => undefined);
  const match = line && /^LISTENING http:\/\/[\d.]+:(\d+) hosts=\d+ pages=\d+ bytes=(\d+)$/
    .exec(line);
  if (!match) {
    await close();
    throw new Error(
      `Cannot start the hosts server: it exited without listening (got ${JSON.stringify(line)})`,
    );
  }
  const port = match[1]!;
  const origins = Array.from(
    { length: options.hosts },
    (_, k) => `http://${hostAddress(k)}:${port}`,
  );
  const control = origins[0]!;
  return {
    origins,
    seeds: origins.map((origin) => `${origin}/index.html`),
    expectedPages: options.pages + options.hosts,
    pid: child.pid,
    totalBytes: Number(match[2]),
    ...controls<HostsStats>(control, "the hosts server"),
    cpuMs: () => processCpuMs(child.pid),
    close,
    [Symbol.asyncDispose]: close,
  };
}

const HTML_TYPE = "text/html; charset=utf-8";
const NOT_FOUND = new TextEncoder().encode(
  "<!DOCTYPE html><title>Not found</title><h1>404</h1>",
);
const ROBOTS = new TextEncoder().encode("User-agent: *\nAllow: /\n");

interface Flags {
  pages: number;
  hosts: number;
  latencyMs: number;
  port: number;
  seed?: number;
}

function parseFlags(args: readonly string[]): Flags {
  const flags: Record<string, string> = { pages: "6000", hosts: "128", "latency-ms": "20" };
  flags.port = "0";
  for (let k = 0; k < args.length; k++) {
    const match = /^--(pages|hosts|latency-ms|port|seed)(?:=(.*))?$/.exec(args[k]!);
    if (!match) throw new TypeError(`Cannot start server: unknown argument '${args[k]}'`);
    const value = match[2] ?? args[++k];
    if (value === undefined) {
      throw new TypeError(`Cannot start server: '--${match[1]}' needs a value`);
    }
    flags[match[1]!] = value;
  }
  const integer = (name: string, min: number, max: number) => {
    const value = Number(flags[name]);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `Cannot start server as '${name}' must be an integer in [${min}, ${max}]: received ${
          flags[name]
        }`,
      );
    }
    return value;
  };
  return {
    pages: integer("pages", 3, 10_000_000),
    hosts: integer("hosts", 1, MAX_HOSTS),
    latencyMs: integer("latency-ms", 0, 60_000),
    port: integer("port", 0, 65535),
    seed: flags.seed === undefined ? undefined : Number(flags.seed),
  };
}

/** The path of a request URL, without parsing a whole `URL` per request. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.indexOf("?", start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

/**
 * Listens on every host's address with one port: the first listener picks
 * it, the others take the same; if one of them is taken on another
 * address, all are closed and another port is tried.
 */
function listenAll(
  hosts: number,
  port: number,
  handler: (k: number) => Deno.ServeHandler<Deno.NetAddr>,
): { servers: Deno.HttpServer<Deno.NetAddr>[]; port: number } {
  for (let attempt = 1;; attempt++) {
    const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
    try {
      for (let k = 0; k < hosts; k++) {
        const options = { hostname: hostAddress(k), port, onListen() {} };
        servers.push(Deno.serve(options, handler(k)));
        if (k === 0) port = servers[0]!.addr.port;
      }
      return { servers, port };
    } catch (error) {
      for (const server of servers) server.shutdown();
      if (!(error instanceof Deno.errors.AddrInUse) || attempt >= 5 || port === 0) throw error;
      port = 0;
    }
  }
}

async function main(): Promise<void> {
  const { pages, hosts, latencyMs, port: wanted, seed } = parseFlags(Deno.args);
  // One map per host (page path → bytes), filled once every port is known.
  const files: Map<string, Uint8Array<ArrayBuffer>>[] = Array.from(
    { length: hosts },
    () => new Map(),
  );
  let hits = new Map<string, number>();
  let hostsHit = new Set<number>();
  let requests = 0, pageRequests = 0, notFound = 0, inFlight = 0, maxInFlight = 0;
  let firstAt = 0, lastAt = 0;
  const notFoundPaths: string[] = [];
  const latency = () => new Promise((resolve) => setTimeout(resolve, latencyMs));

  const stats = (): HostsStats => {
    let duplicates = 0;
    const duplicatePaths: Record<string, number> = {};
    for (const [path, count] of hits) {
      if (count < 2) continue;
      duplicates += count - 1;
      if (Object.keys(duplicatePaths).length < 20) duplicatePaths[path] = count;
    }
    return {
      requests,
      duplicates,
      pageRequests,
      notFound,
      hostsHit: hostsHit.size,
      duplicatePaths,
      notFoundPaths,
      spanMs: requests ? lastAt - firstAt : 0,
      maxInFlight,
    };
  };

  const handler = (k: number): Deno.ServeHandler<Deno.NetAddr> => async (request) => {
    const path = pathOf(request.url);
    if (path.startsWith("/__")) {
      if (path === "/__stats") return Response.json(stats());
      if (path === "/__reset" && request.method === "POST") {
        hits = new Map();
        hostsHit = new Set();
        requests =
          pageRequests =
          notFound =
          maxInFlight =
            0;
        notFoundPaths.length = 0;
        return new Response(null, { status: 204 });
      }
    }
    if (requests++ === 0) firstAt = performance.now();
    const key = `${hostAddress(k)}${path}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    hostsHit.add(k);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    // The simulated server and network time, before the first byte.
    if (latencyMs > 0) await latency();
    inFlight--;
    lastAt = performance.now();
    const body = files[k]!.get(path);
    if (body) {
      pageRequests++;
      return new Response(body, { headers: { "content-type": HTML_TYPE } });
    }
    if (path === "/robots.txt") {
      return new Response(ROBOTS, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    notFound++;
    if (notFoundPaths.length < 20) notFoundPaths.push(key);
    return new Response(NOT_FOUND, { status: 404, headers: { "content-type": HTML_TYPE } });
  };

  const { servers, port } = listenAll(hosts, wanted, handler);
  // Absolute links need the port, so the site is generated once the sockets are bound;
  // nobody knows the port before the LISTENING line, so no request comes earlier.
  const origins = Array.from({ length: hosts }, (_, k) => `http://${hostAddress(k)}:${port}`);
  const originOf = (i: number) => origins[i % hosts]!;
  const encoder = new TextEncoder();
  let totalBytes = 0;
  const add = (k: number, path: string, html: string) => {
    const bytes = encoder.encode(html);
    files[k]!.set(path, bytes);
    totalBytes += bytes.length;
  };
  for (let k = 0; k < hosts; k++) {
    add(k, "/index.html", renderIndex({ pages, origin: origins[k]!, originOf, seed }));
  }
  for (let i = 0; i < pages; i++) {
    add(i % hosts, `/p/${i}.html`, renderPage(i, { pages, origin: originOf(i), originOf, seed }));
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const server of servers) server.shutdown();
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // Not every signal can be listened to on every platform (Windows has no SIGTERM).
    }
  }
  console.log(`LISTENING ${origins[0]} hosts=${hosts} pages=${pages} bytes=${totalBytes}`);

  // Stdin closing means the parent is gone (or done): stop with it.
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) { /* discard */ }
    } finally {
      stop();
    }
  })();

  await Promise.all(servers.map((server) => server.finished));
  // The stdin reader may still be pending; nothing else is left to wait for.
  Deno.exit(0);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`serve_hosts.ts: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
