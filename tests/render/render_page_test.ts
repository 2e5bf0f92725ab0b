/**
 * One page render in a real tab: the serialized DOM in UTF-8 whatever the
 * page's charset, the body cap, a tab crashing mid-render. (The idle wait,
 * `waitFor`, the deadline and the request checks are exercised through whole
 * crawls in `renderer_test.ts`.) Ignored without chromium unless
 * `REQUIRE_CHROMIUM=1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Browser } from "../../src/render/browser.ts";
import { renderPage, type RenderPageOptions } from "../../src/render/render_page.ts";
import { Tab } from "../../src/render/tab.ts";
import { decodeHtml } from "../../src/parse/charset.ts";
import { chromiumTest } from "../support/chromium.ts";

function options(overrides: Partial<RenderPageOptions> = {}): RenderPageOptions {
  return {
    signal: new AbortController().signal,
    timeoutMs: 20_000,
    maxBytes: 1024 * 1024,
    maxRedirects: 5,
    idleMs: 100,
    allowHeavy: false,
    checkRequest: () => Promise.resolve(undefined),
    ...overrides,
  };
}

async function withTab(
  handler: (request: Request) => Response | Promise<Response>,
  fn: (tab: Tab, origin: string) => Promise<void>,
): Promise<void> {
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  await using browser = await Browser.launch();
  const tab = await Tab.open(browser.connection, { userAgent: "render-test/1", headers: {} });
  try {
    await fn(tab, `http://127.0.0.1:${server.addr.port}`);
  } finally {
    await tab.close();
  }
}

chromiumTest(
  "renderPage() returns the DOM as UTF-8 with a matching Content-Type, whatever the page's charset",
  async () => {
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode('<meta charset="iso-8859-1"><title>caf'),
      0xe9,
      ...new TextEncoder().encode("</title><script>document.title += ' ok'</script>"),
    ]);
    await withTab(
      () => new Response(latin1, { headers: { "content-type": "text/html; charset=iso-8859-1" } }),
      async (tab, origin) => {
        const { page, reusable } = await renderPage(tab, `${origin}/`, options());
        assert.equal(page.error, undefined);
        assert.equal(page.rendered, true);
        assert.equal(reusable, true);
        assert.equal(page.headers!.get("content-type"), "text/html; charset=utf-8");
        const text = decodeHtml(page.body!, page.headers!.get("content-type"));
        assert.match(text, /<title>café ok<\/title>/);
      },
    );
  },
);

chromiumTest("renderPage() refuses a DOM past maxBytes as too_large", async () => {
  await withTab(
    () =>
      new Response(`<body><script>document.body.append("x".repeat(5000))</script></body>`, {
        headers: { "content-type": "text/html" },
      }),
    async (tab, origin) => {
      const { page, reusable } = await renderPage(tab, `${origin}/`, options({ maxBytes: 1000 }));
      assert.equal(page.error, "too_large");
      assert.equal(page.body, null);
      assert.equal(reusable, true);
    },
  );
});

chromiumTest(
  "renderPage(): a tab crashing mid-render is a render_crash, and the tab is not reused",
  async () => {
    let crash: (() => void) | undefined;
    await withTab(
      (request) => {
        if (new URL(request.url).pathname === "/slow") {
          crash?.();
          return new Response("never read");
        }
        return new Response(`<title>t</title><script>fetch("/slow")</script>`, {
          headers: { "content-type": "text/html" },
        });
      },
      async (tab, origin) => {
        crash = () => void tab.send("Page.crash").catch(() => {});
        const { page, reusable } = await renderPage(tab, `${origin}/`, options({ idleMs: 60_000 }));
        assert.equal(page.error, "render_crash");
        assert.equal(reusable, false);
      },
    );
  },
);
