/**
 * A real HTTP server on 127.0.0.1, port 0, over a fixture directory, that
 * records what it serves: per-path hit counts and the peak number of
 * requests in flight.
 *
 * @module
 */

/** Extra routes: path → handler. A handler may return `undefined` to fall through to files. */
export type Routes = Record<
  string,
  (request: Request, server: FixtureServer) => Response | Promise<Response>
>;

/** Options for {@linkcode startFixtureServer}. */
export interface FixtureServerOptions {
  /** The directory served (default: `fixtures/site`). */
  root?: string;
  /** Extra routes, matched on the exact path before files. */
  routes?: Routes;
  /** Hold every response this long, in ms, so concurrency piles up and can be measured. */
  latencyMs?: number;
  /** The address to listen on (default 127.0.0.1). */
  hostname?: string;
}

/** A running fixture server. */
export interface FixtureServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Requests per path (with query). */
  hits: Map<string, number>;
  /** Each request: path and arrival time (performance.now()). */
  log: { path: string; at: number; userAgent: string | null }[];
  /** Requests in flight now. */
  inFlight: number;
  /** The most requests ever in flight at once. */
  maxInFlight: number;
  /** Stops the server. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  pdf: "application/pdf",
  txt: "text/plain; charset=utf-8",
  xml: "application/xml",
  css: "text/css",
  js: "text/javascript",
  json: "application/json",
};

/** The repository's fixture directory. */
export const FIXTURES = new URL("../../fixtures/", import.meta.url).pathname;

/**
 * The bytes of every `.html` file under fixture folders, as served: the
 * realistic seeds of the parser's fuzz tests.
 *
 * @param dirs Folders under {@linkcode FIXTURES}, e.g. `["site", "shop"]`.
 * @returns The pages' bytes.
 */
export function htmlFixtures(dirs: readonly string[]): Uint8Array[] {
  const pages: Uint8Array[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".html")) pages.push(Deno.readFileSync(path));
    }
  };
  for (const dir of dirs) walk(`${FIXTURES}${dir}`);
  return pages;
}

/**
 * Starts a fixture server. `{{origin}}` in served HTML is replaced by the
 * server's origin, so fixtures can hold absolute links.
 *
 * @param options Root directory, extra routes and artificial latency.
 * @returns The running server; close it (or `await using` it) at the end.
 */
export function startFixtureServer(options: FixtureServerOptions = {}): FixtureServer {
  const root = options.root ?? `${FIXTURES}site`;
  const routes = options.routes ?? {};
  const latencyMs = options.latencyMs ?? 0;
  const server: FixtureServer = {
    origin: "",
    hits: new Map(),
    log: [],
    inFlight: 0,
    maxInFlight: 0,
    close: () => httpServer.shutdown(),
    [Symbol.asyncDispose]: () => httpServer.shutdown(),
  };
  const httpServer = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const key = url.pathname + url.search;
      server.hits.set(key, (server.hits.get(key) ?? 0) + 1);
      server.log.push({
        path: key,
        at: performance.now(),
        userAgent: request.headers.get("user-agent"),
      });
      server.inFlight++;
      server.maxInFlight = Math.max(server.maxInFlight, server.inFlight);
      try {
        if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        const route = routes[url.pathname];
        if (route) return await route(request, server);
        return await serveFile(root, url.pathname, server.origin);
      } finally {
        server.inFlight--;
      }
    },
  );
  server.origin = `http://${options.hostname ?? "127.0.0.1"}:${httpServer.addr.port}`;
  return server;
}

async function serveFile(root: string, pathname: string, origin: string): Promise<Response> {
  let path = decodeURIComponent(pathname);
  if (path.includes("..")) return new Response("bad path", { status: 400 });
  if (path.endsWith("/")) path += "index.html";
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(`${root}${path}`);
  } catch {
    return new Response("<!doctype html><title>Not found</title><h1>404</h1>", {
      status: 404,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
  const ext = path.slice(path.lastIndexOf(".") + 1);
  const type = TYPES[ext] ?? "application/octet-stream";
  if (ext === "html") {
    const text = new TextDecoder().decode(bytes).replaceAll("{{origin}}", origin);
    return new Response(text, { headers: { "content-type": type } });
  }
  return new Response(bytes, { headers: { "content-type": type } });
}

/** The paths the default fixture site yields when crawled from `/index.html`. */
export const SITE_PATHS: readonly string[] = [
  "/",
  "/index.html",
  "/about.html",
  "/blog/",
  "/blog/index.html",
  "/blog/post-1.html",
  "/blog/post-2.html",
  "/blog/post-3.html",
  ...Array.from({ length: 12 }, (_, i) => `/chain/${i + 1}.html`),
  "/cycle/a.html",
  "/cycle/b.html",
  "/cycle/c.html",
  "/base/index.html",
  "/base/sub/page.html",
  "/nofollow.html",
  "/visible.html",
  "/robots-meta.html",
  "/fanout.html",
  ...Array.from({ length: 30 }, (_, i) => `/fan/${i + 1}.html`),
  "/missing.html",
  "/files/data.pdf",
  "/files/notes.txt",
];
