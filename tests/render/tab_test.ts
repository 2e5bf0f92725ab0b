/**
 * A tab set up for crawling, in Debian's headless chromium: the crawl's
 * User-Agent and headers on every request, WebSockets refused in the page
 * and in its workers (the request interception cannot see them). Ignored
 * without chromium unless `REQUIRE_CHROMIUM=1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Browser } from "../../src/render/browser.ts";
import { Tab } from "../../src/render/tab.ts";
import { chromiumTest } from "../support/chromium.ts";

const PAGE = `<script>
  new Worker("/worker.js");
  try { new WebSocket("ws://" + location.host + "/ws"); } catch { fetch("/refused-in-page"); }
</script>`;
const WORKER = `fetch("/from-worker");
  try { new WebSocket("ws://" + location.host + "/ws"); } catch { fetch("/refused-in-worker"); }`;

chromiumTest(
  "Tab.open(): the crawl's User-Agent and headers on every request; WebSockets refused in pages and workers",
  async () => {
    const seen: { path: string; userAgent: string | null; lang: string | null }[] = [];
    const refused = { page: Promise.withResolvers<void>(), worker: Promise.withResolvers<void>() };
    let upgrades = 0;
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const { pathname } = new URL(request.url);
        if (request.headers.get("upgrade")) {
          upgrades++;
          return Deno.upgradeWebSocket(request).response;
        }
        seen.push({
          path: pathname,
          userAgent: request.headers.get("user-agent"),
          lang: request.headers.get("accept-language"),
        });
        if (pathname === "/refused-in-page") refused.page.resolve();
        if (pathname === "/refused-in-worker") refused.worker.resolve();
        const [body, type] = pathname === "/"
          ? [PAGE, "text/html"]
          : pathname === "/worker.js"
          ? [WORKER, "text/javascript"]
          : ["ok", "text/plain"];
        return new Response(body, { headers: { "content-type": type } });
      },
    );
    await using browser = await Browser.launch();
    const tab = await Tab.open(browser.connection, {
      userAgent: "tab-test/1",
      headers: { "Accept-Language": "de" },
    });
    // No policy here: every paused request goes on.
    using _ = tab.on("Fetch.requestPaused", ({ requestId }) => {
      tab.send("Fetch.continueRequest", { requestId }).catch(() => {});
    });
    await tab.send("Page.navigate", { url: `http://127.0.0.1:${server.addr.port}/` });
    await Promise.all([refused.page.promise, refused.worker.promise]);
    assert.equal(upgrades, 0);
    const paths = seen.map((s) => s.path);
    for (const path of ["/", "/worker.js", "/refused-in-page", "/refused-in-worker"]) {
      assert.ok(paths.includes(path), path);
    }
    for (const request of seen) assert.equal(request.userAgent, "tab-test/1", request.path);
    // The page's own requests carry the extra headers (a worker's get them from renderPage()).
    for (
      const request of seen.filter((s) => s.path !== "/from-worker" && !s.path.endsWith("worker"))
    ) {
      assert.equal(request.lang, "de", request.path);
    }
    await tab.close();
  },
);
