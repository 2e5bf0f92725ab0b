/**
 * When a page is done, in a real tab: not before a script's late request
 * has finished (idle), and with a selector, as soon as it matches although
 * a request stays open. Ignored without chromium unless `REQUIRE_CHROMIUM=1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Browser } from "../../src/render/browser.ts";
import { PageDone } from "../../src/render/page_done.ts";
import { Tab } from "../../src/render/tab.ts";
import { chromiumTest } from "../support/chromium.ts";

const PAGE = `<body><script>
  fetch("/late").then((r) => r.text()).then((t) => document.body.insertAdjacentHTML("beforeend", t));
</script></body>`;

async function inTab(
  late: () => Promise<Response>,
  fn: (tab: Tab, url: string) => Promise<void>,
): Promise<void> {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname === "/late"
        ? late()
        : new Response(PAGE, { headers: { "content-type": "text/html" } }),
  );
  await using browser = await Browser.launch();
  const tab = await Tab.open(browser.connection, { userAgent: "done-test/1", headers: {} });
  using _ = tab.on("Fetch.requestPaused", ({ requestId }) => {
    tab.send("Fetch.continueRequest", { requestId }).catch(() => {});
  });
  try {
    await fn(tab, `http://127.0.0.1:${server.addr.port}/`);
  } finally {
    await tab.close();
  }
}

async function bodyText(tab: Tab): Promise<string> {
  const { result } = await tab.send("Runtime.evaluate", {
    expression: "document.body.innerHTML",
    returnByValue: true,
  });
  return result.value;
}

chromiumTest(
  "PageDone waits for the network to be idle: a script's late request is in the page",
  async () => {
    const requested = Promise.withResolvers<void>();
    const answer = Promise.withResolvers<Response>();
    await inTab(() => (requested.resolve(), answer.promise), async (tab, url) => {
      using done = new PageDone(tab, { idleMs: 50 });
      let finished = false;
      done.promise.then(() => finished = true);
      await tab.send("Page.navigate", { url });
      await requested.promise;
      // The late request is in flight: not done, whatever time passes.
      assert.equal(finished, false);
      answer.resolve(new Response("<p id=late>late</p>"));
      await done.promise;
      assert.match(await bodyText(tab), /<p id="late">late<\/p>/);
    });
  },
);

chromiumTest(
  "PageDone with waitFor ends when the selector matches, though a request stays open",
  async () => {
    const open = Promise.withResolvers<Response>();
    await inTab(() => open.promise, async (tab, url) => {
      using done = new PageDone(tab, { idleMs: 50, waitFor: "script" });
      await tab.send("Page.navigate", { url });
      await done.promise;
      open.resolve(new Response(""));
    });
  },
);
