/**
 * A site to check links on, with a second host for its external links: a
 * broken page linked from three pages with three texts, broken and working
 * resources, a resource whose server refuses `HEAD`, a frame whose links
 * must never be followed, present and missing fragments, and on the
 * external host a robots.txt that disallows one linked page. Both servers
 * log every request (method and path).
 *
 * @module
 */

/** One logged request. */
export interface LoggedRequest {
  /** `GET` or `HEAD`. */
  method: string;
  /** The path and query. */
  path: string;
}

/** The running site and its external host. */
export interface LinkSite extends AsyncDisposable {
  /** The site's origin (127.0.0.1). */
  origin: string;
  /** The external host's origin (127.0.0.2). */
  external: string;
  /** Requests to the site, in order. */
  siteLog: LoggedRequest[];
  /** Requests to the external host, in order. */
  externalLog: LoggedRequest[];
  /** How many requests a path of a log got. */
  count(log: LoggedRequest[], path: string, method?: string): number;
}

const HTML = { "content-type": "text/html; charset=utf-8" };

function page(title: string, body: string): Response {
  return new Response(`<!doctype html><title>${title}</title><body>${body}</body>`, {
    headers: HTML,
  });
}

/**
 * Starts the site on 127.0.0.1 and its external host on 127.0.0.2.
 *
 * @returns The running site; dispose it to stop both servers.
 */
export function startLinkSite(): LinkSite {
  const siteLog: LoggedRequest[] = [];
  const externalLog: LoggedRequest[] = [];
  const quiet = { onListen() {} };
  const external = Deno.serve({ hostname: "127.0.0.2", port: 0, ...quiet }, (req) => {
    const { pathname, search } = new URL(req.url);
    externalLog.push({ method: req.method, path: pathname + search });
    switch (pathname) {
      case "/robots.txt":
        return new Response("User-agent: *\nDisallow: /private/\n");
      case "/partner.html":
        return page("Partner", `<a href="/partner-deeper.html">deeper</a>`);
      case "/private/secret.html":
        return page("Secret", "never to be requested");
      default:
        return new Response("not found", { status: 404 });
    }
  });
  const ext = `http://127.0.0.2:${external.addr.port}`;
  const site = Deno.serve({ hostname: "127.0.0.1", port: 0, ...quiet }, (req) => {
    const { pathname, search } = new URL(req.url);
    siteLog.push({ method: req.method, path: pathname + search });
    switch (pathname) {
      case "/":
        return page(
          "Home",
          `<h2 id="intro">Intro</h2>
<link rel="stylesheet" href="/missing.css"><link rel="icon" href="/favicon.ico">
<script src="/app.js"></script>
<img src="/logo.png" alt="Logo"> <img src="/missing.png" alt="Missing logo">
<a href="/about.html">About us</a> <a href="/blog.html">Blog</a>
<a href="/gone.html">Old page</a>
<a href="/about.html#team">Team</a> <a href="/about.html#nowhere">Missing section</a>
<a href="#intro">Intro</a> <a href="#top">Top</a> <a href="#outro">Outro</a>
<a href="${ext}/partner.html">Partner</a> <a href="${ext}/dead.html">Dead partner</a>
<a href="${ext}/private/secret.html">Partner secret</a>`,
        );
      case "/about.html":
        return page(
          "About",
          `<h2 id="team">Team</h2><a href="/gone.html">Former page</a>
<img src="/logo.png" alt="Logo"><iframe src="/frame.html" title="Map"></iframe>
<a href="${ext}/partner.html">Our partner</a>`,
        );
      case "/blog.html":
        return page(
          "Blog",
          `<a href="/gone.html"><img src="/archive.png" alt="Archive"></a>
<video src="/clip.mp4"></video>`,
        );
      case "/frame.html":
        return page("Frame", `<a href="/only-in-frame.html">never followed</a>`);
      case "/logo.png":
      case "/archive.png":
      case "/favicon.ico":
        return new Response(new Uint8Array(64), { headers: { "content-type": "image/png" } });
      case "/app.js":
        return new Response("console.log('app');", {
          headers: { "content-type": "text/javascript" },
        });
      case "/clip.mp4":
        // A server that refuses HEAD: the check asks again with GET.
        if (req.method === "HEAD") return new Response(null, { status: 405 });
        return new Response(new Uint8Array(256 * 1024), {
          headers: { "content-type": "video/mp4" },
        });
      default:
        return new Response("not found", { status: 404 });
    }
  });
  return {
    origin: `http://127.0.0.1:${site.addr.port}`,
    external: ext,
    siteLog,
    externalLog,
    count(log, path, method) {
      return log.filter((r) => r.path === path && (method === undefined || r.method === method))
        .length;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([site.shutdown(), external.shutdown()]);
    },
  };
}
