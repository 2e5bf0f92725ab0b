/**
 * What the request interception cannot see must not reach the network:
 * shared workers, service workers, workers started inside workers (none of
 * which the tab's session attaches), and the browser's own connections
 * ahead of requests (network prediction). A listener on a blocked address
 * counts every connection, data or not.
 *
 * @module
 */

import assert from "node:assert/strict";
import { chromiumTest } from "../support/chromium.ts";
import { crawlRecords } from "../support/crawl.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

const SITE = "127.0.0.2";

/** A listener on 127.0.0.3 (blocked: not in allowAddresses) counting every connection. */
function startSink() {
  const listener = Deno.listen({ hostname: "127.0.0.3", port: 0 });
  const connections: string[] = [];
  (async () => {
    for await (const conn of listener) {
      const buffer = new Uint8Array(512);
      const n = await conn.read(buffer).catch(() => null);
      connections.push(n ? new TextDecoder().decode(buffer.subarray(0, n)).split("\r\n")[0]! : "");
      conn.close();
    }
  })();
  const origin = `http://127.0.0.3:${(listener.addr as Deno.NetAddr).port}`;
  return { origin, connections, [Symbol.dispose]: () => listener.close() };
}

function js(body: string): Response {
  return new Response(body, { headers: { "content-type": "text/javascript" } });
}

chromiumTest(
  "render: shared, service and nested workers and preconnects open nothing to a blocked address",
  async () => {
    using sink = startSink();
    const t = sink.origin;
    const page = (body: string) => () =>
      new Response(`<!doctype html><title>t</title>${body}<p>done</p>`, {
        headers: { "content-type": "text/html" },
      });
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": page(`<a href="/shared.html">s</a> <a href="/service.html">w</a>
          <a href="/nested.html">n</a> <a href="/preconnect.html">p</a>`),
        "/shared.html": page(`<script>try { new SharedWorker("/shared.js"); } catch {}</script>`),
        "/service.html": page(
          `<script>navigator.serviceWorker?.register("/sw.js").catch(() => {});</script>`,
        ),
        "/nested.html": page(`<script>new Worker("/outer.js");</script>`),
        "/preconnect.html": page(
          `<link rel=preconnect href="${t}/"><link rel=dns-prefetch href="${t}/">`,
        ),
        "/shared.js": () =>
          js(`fetch("${t}/shared"); try { new WebSocket("ws${t.slice(4)}/shared-ws"); } catch {}`),
        "/sw.js": () => js(`fetch("${t}/service");`),
        "/outer.js": () => js(`try { new Worker("/inner.js"); } catch {}`),
        "/inner.js": () => js(`try { new WebSocket("ws${t.slice(4)}/nested-ws"); } catch {}`),
      },
    });
    const { records } = await crawlRecords({
      seeds: [`${server.origin}/`],
      allowAddresses: [`${SITE}/32`],
      render: true,
      renderTabs: 1,
      retries: 0,
    }, { deadlineMs: 60_000 });
    // Every page rendered (a worker kept alive does not hold the page open), and nothing reached
    // the blocked address: not a request, not even a connection.
    assert.deepEqual(
      records.map((r) => [new URL(r.url).pathname, r.error ?? "ok"]).sort(),
      [
        ["/", "ok"],
        ["/nested.html", "ok"],
        ["/preconnect.html", "ok"],
        ["/service.html", "ok"],
        ["/shared.html", "ok"],
      ],
    );
    assert.deepEqual(sink.connections, []);
    assert.equal(server.hits.get("/shared.js"), undefined);
    assert.equal(server.hits.get("/sw.js"), undefined);
    assert.equal(server.hits.get("/inner.js"), undefined);
  },
);
