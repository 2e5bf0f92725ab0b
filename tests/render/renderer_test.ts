/**
 * Crawls with the renderer, through the library, against loopback fixture
 * servers and Debian's headless chromium: a script-built single-page app,
 * the request policy for everything the page loads, the idle wait and the
 * deadline, a killed browser, and no browser process left behind. Without
 * chromium these are ignored (with the install command), unless
 * `REQUIRE_CHROMIUM=1`.
 *
 * The fixture servers listen on 127.0.0.2 and the crawls allow that one
 * address (`allowAddresses`), so the address guard stays on for everything
 * else, 127.0.0.1 included, as it would for a site on a public host.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import type { CrawlOptionsInput } from "../../src/pipeline/options_input.ts";
import { chromiumTest, descendants, renderBrowsers } from "../support/chromium.ts";
import { crawlRecords } from "../support/crawl.ts";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import { runCrawl } from "../../src/pipeline/run.ts";
import { crawl } from "../../src/mod.ts";
import { FIXTURES, startFixtureServer } from "../support/fixture_server.ts";

const SITE = "127.0.0.2";
const ALLOW = { allowAddresses: [`${SITE}/32`] };

function byPath(records: CrawlRecord[]): Map<string, CrawlRecord> {
  return new Map(records.map((record) => [new URL(record.requestedUrl).pathname, record]));
}

function html(body: string, status = 200): Response {
  return new Response(
    `<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`,
    {
      status,
      headers: { "content-type": "text/html; charset=utf-8" },
    },
  );
}

/**
 * Response bodies that never end by themselves (a request kept open), each
 * sending `first` at once; all ended when the test is done with them.
 */
class OpenBodies implements Disposable {
  #controllers = new Set<ReadableStreamDefaultController>();

  body(first?: string): ReadableStream<Uint8Array> {
    return new ReadableStream({
      start: (controller) => {
        this.#controllers.add(controller);
        if (first !== undefined) controller.enqueue(new TextEncoder().encode(first));
      },
    });
  }

  [Symbol.dispose](): void {
    for (const controller of this.#controllers) {
      try {
        controller.close();
      } catch {
        // Cancelled already.
      }
    }
  }
}

async function renderCrawl(options: Omit<CrawlOptionsInput, "seeds">, seeds: string[]) {
  return await crawlRecords({ seeds, ...ALLOW, render: true, ...options }, { deadlineMs: 60_000 });
}

async function assertNoBrowserLeft(): Promise<void> {
  const left = (await descendants()).filter(({ cmdline }) => /chromium/.test(cmdline));
  assert.deepEqual(left, []);
}

chromiumTest(
  "render: a script-built single-page app is crawled completely with render, and not without",
  async () => {
    await using server = startFixtureServer({ root: `${FIXTURES}spa`, hostname: SITE });
    const seeds = [`${server.origin}/`];

    const plain = await crawlRecords({ seeds, ...ALLOW });
    assert.deepEqual(plain.records.map((r) => new URL(r.url).pathname), ["/"]);
    assert.equal(plain.records[0]!.title, "Loading…");
    assert.deepEqual(plain.records[0]!.links, []);
    assert.equal(plain.records[0]!.rendered, undefined);

    const { records, summary } = await renderCrawl({}, seeds);
    const pages = byPath(records);
    assert.deepEqual([...pages.keys()].sort(), [
      "/",
      "/page/a.html",
      "/page/b.html",
      "/page/c.html",
    ]);
    for (const record of records) {
      assert.equal(record.rendered, true);
      assert.equal(record.error, undefined);
      assert.equal(record.status, 200);
      assert.equal(record.contentType, "text/html");
    }
    // The link to /page/c.html came from the JSON endpoint, fetched by the page's script.
    assert.ok(pages.get("/")!.links.includes(`${server.origin}/page/c.html`));
    assert.deepEqual(pages.get("/")!.h1, ["Home"]);
    assert.equal(pages.get("/page/c.html")!.title, "Page C");
    assert.equal(server.hits.get("/api/more.json"), 1);
    assert.equal(summary.pagesOk, 4);
    await assertNoBrowserLeft();
  },
);

chromiumTest(
  "render: renderMatch renders only the URLs that match; the rest are fetched",
  async () => {
    await using server = startFixtureServer({ root: `${FIXTURES}spa`, hostname: SITE });
    const { records } = await crawlRecords({
      seeds: [`${server.origin}/`],
      ...ALLOW,
      renderMatch: ["/", "page/a"],
    }, { deadlineMs: 60_000 });
    const pages = byPath(records);
    // "/" (a path pattern) and /page/a.html (a regex) are rendered; b and c, found on them, are not.
    assert.equal(pages.get("/")!.rendered, true);
    assert.equal(pages.get("/page/a.html")!.rendered, true);
    assert.equal(pages.get("/page/b.html")!.rendered, undefined);
    assert.equal(pages.get("/page/b.html")!.title, "Loading…");
    assert.equal(pages.get("/page/c.html")!.rendered, undefined);
    await assertNoBrowserLeft();
  },
);

chromiumTest(
  "render: a request to a blocked address from a script, a frame or a worker is refused and noted in the record",
  async () => {
    // A server on 127.0.0.1 that must never hear from the page.
    await using inside = startFixtureServer({ routes: {} });
    // A frame from another site, which reaches for the same address.
    await using other = startFixtureServer({
      hostname: "127.0.0.3",
      routes: {
        "/frame.html": () =>
          html(`<script>fetch("${inside.origin}/from-frame").catch(() => {});</script>`),
      },
    });
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () =>
          html(`<a href="/next.html">next</a>
          <img src="/cat.png">
          <iframe src="${other.origin}/frame.html"></iframe>
          <script>
            new Worker("/worker.js");
            fetch("${inside.origin}/secret").catch(() => {});
            fetch("http://169.254.169.254/latest/meta-data/").catch(() => {});
            fetch("/api.json").then((r) => r.json()).then((d) => {
              document.body.insertAdjacentHTML("beforeend", '<a href="' + d.link + '">x</a>');
            });
          </script>`),
        "/worker.js": () =>
          new Response(`fetch("${inside.origin}/from-worker").catch(() => {});`, {
            headers: { "content-type": "text/javascript" },
          }),
        "/api.json": () => Response.json({ link: "/from-api.html" }),
        "/cat.png": () => new Response("png", { headers: { "content-type": "image/png" } }),
      },
    });
    const { records } = await renderCrawl({
      maxDepth: 0,
      allowAddresses: [`${SITE}/32`, "127.0.0.3/32"],
    }, [`${server.origin}/`]);
    const [home] = records;
    assert.equal(home!.error, undefined);
    const byUrl = (a: { url: string }, b: { url: string }) => a.url.localeCompare(b.url);
    assert.deepEqual(
      home!.blockedRequests!.toSorted(byUrl),
      [
        { url: `${inside.origin}/secret`, error: "blocked_address" },
        { url: `${inside.origin}/from-frame`, error: "blocked_address" },
        { url: `${inside.origin}/from-worker`, error: "blocked_address" },
        { url: "http://169.254.169.254/latest/meta-data/", error: "blocked_address" },
      ].sort(byUrl),
    );
    assert.equal(inside.hits.size, 0);
    assert.equal(other.hits.get("/frame.html"), 1);
    // Allowed requests went through; the image was refused by type, without a note.
    assert.ok(home!.links.includes(`${server.origin}/from-api.html`));
    assert.equal(server.hits.get("/cat.png"), undefined);
    await assertNoBrowserLeft();
  },
);

chromiumTest("render: images load only with renderResources", async () => {
  await using server = startFixtureServer({
    hostname: SITE,
    routes: {
      "/": () => html(`<img src="/cat.png"><h1>cat</h1>`),
      "/cat.png": () => new Response("png", { headers: { "content-type": "image/png" } }),
    },
  });
  const { records } = await renderCrawl({ renderResources: true }, [`${server.origin}/`]);
  assert.equal(records[0]!.error, undefined);
  // Loaded (the browser may ask twice for an image it cannot decode: "png" is not one).
  assert.ok((server.hits.get("/cat.png") ?? 0) >= 1, `cat.png: ${server.hits.get("/cat.png")}`);
});

chromiumTest(
  "render: a page that never goes idle ends at the timeout; the rest of the crawl goes on",
  async () => {
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () => html(`<a href="/busy.html">busy</a><h1>home</h1>`),
        // Its script keeps a request open for ever: the network is never idle.
        "/busy.html": () => html(`<script>fetch("/stream").then((r) => r.text());</script>`),
        "/stream": () =>
          new Response(bodies.body("tick"), { headers: { "content-type": "text/plain" } }),
      },
    });
    // Declared after the server, so ended before it shuts down (which waits for them).
    using bodies = new OpenBodies();
    const { records } = await renderCrawl(
      { timeoutMs: 3_000, retries: 0, renderTabs: 1 },
      [`${server.origin}/`],
    );
    const pages = byPath(records);
    assert.equal(pages.get("/")!.error, undefined);
    assert.equal(pages.get("/busy.html")!.error, "timeout");
    assert.equal(pages.get("/busy.html")!.rendered, true);
    await assertNoBrowserLeft();
  },
);

chromiumTest(
  "render: waitFor ends the page when its selector appears, though the network stays busy",
  async () => {
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () =>
          html(`<script>
          fetch("/stream").then((r) => r.text());
          fetch("/api.json").then((r) => r.json()).then((d) => {
            document.body.insertAdjacentHTML("beforeend", '<div class="ready"><h1>' + d.title + '</h1></div>');
          });
        </script>`),
        "/api.json": () => Response.json({ title: "Ready" }),
        "/stream": () => new Response(bodies.body(), { headers: { "content-type": "text/plain" } }),
      },
    });
    // Declared after the server, so ended before it shuts down (which waits for them).
    using bodies = new OpenBodies();
    const { records } = await renderCrawl(
      { waitFor: ".ready h1", timeoutMs: 20_000, retries: 0 },
      [`${server.origin}/`],
    );
    assert.equal(records[0]!.error, undefined);
    assert.deepEqual(records[0]!.h1, ["Ready"]);
  },
);

chromiumTest(
  "render: a page sending itself elsewhere is recorded as a redirect and checked like one",
  async () => {
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () =>
          html(`<a href="/moving.html">m</a><a href="/leaving.html">l</a><a href="/old">o</a>`),
        "/moving.html": () => html(`<script>location.replace("/arrived.html");</script>`),
        "/arrived.html": () => html(`<h1>arrived</h1>`),
        // Off the crawl's scope (another host): refused like a redirect there.
        "/leaving.html": () => html(`<script>location.href = "http://127.0.0.3:9/";</script>`),
        "/old": () => Response.redirect(`${server.origin}/arrived2.html`, 301),
        "/arrived2.html": () => html(`<h1>arrived 2</h1>`),
      },
    });
    const { records } = await renderCrawl({ maxDepth: 1, retries: 0 }, [`${server.origin}/`]);
    const pages = byPath(records);
    const moving = pages.get("/moving.html")!;
    assert.equal(moving.error, undefined);
    assert.equal(moving.url, `${server.origin}/arrived.html`);
    assert.deepEqual(moving.redirects, [{ url: `${server.origin}/moving.html`, status: 200 }]);
    assert.deepEqual(moving.h1, ["arrived"]);
    const leaving = pages.get("/leaving.html")!;
    assert.equal(leaving.error, "out_of_scope");
    assert.equal(leaving.url, "http://127.0.0.3:9/");
    const old = pages.get("/old")!;
    assert.equal(old.error, undefined);
    assert.deepEqual(old.redirects, [{ url: `${server.origin}/old`, status: 301 }]);
    assert.deepEqual(old.h1, ["arrived 2"]);
    // The target a page navigated to is marked seen, as a redirect target is: not crawled twice.
    assert.equal(server.hits.get("/arrived.html"), 1);
  },
);

chromiumTest(
  "render: a page that sends itself elsewhere before its own body ends is done with the new page",
  async () => {
    // The first document's request never finishes (its body stays open): the browser drops it
    // at the navigation without a word, and the wait for an idle network must not count it.
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () =>
          new Response(
            bodies.body(
              `<!doctype html><title>t</title><script>location.replace("/arrived.html");</script>`,
            ),
            { headers: { "content-type": "text/html; charset=utf-8" } },
          ),
        "/arrived.html": () => html(`<h1>arrived</h1>`),
      },
    });
    // Declared after the server, so ended before it shuts down (which waits for them).
    using bodies = new OpenBodies();
    const { records } = await renderCrawl(
      { timeoutMs: 10_000, retries: 0, maxDepth: 0 },
      [`${server.origin}/`],
    );
    assert.equal(records.length, 1);
    assert.equal(records[0]!.error, undefined);
    assert.equal(records[0]!.url, `${server.origin}/arrived.html`);
    assert.deepEqual(records[0]!.h1, ["arrived"]);
  },
);

chromiumTest("render: popups are refused", async () => {
  await using server = startFixtureServer({
    hostname: SITE,
    routes: {
      "/": () =>
        html(`<h1>home</h1><script>
          const w = window.open("/popup.html");
          document.body.insertAdjacentHTML("beforeend", "<p id=opened>" + String(w) + "</p>");
        </script>`),
    },
  });
  const { records } = await renderCrawl({}, [`${server.origin}/`]);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, undefined);
  assert.equal(server.hits.get("/popup.html"), undefined);
});

chromiumTest(
  "render: HTTP errors and non-HTML answers are recorded as fetched ones are",
  async () => {
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/": () => html(`<a href="/gone.html">g</a><a href="/file.txt">t</a>`),
        "/gone.html": () => html("gone", 404),
        "/file.txt": () => new Response("plain", { headers: { "content-type": "text/plain" } }),
      },
    });
    const { records } = await renderCrawl({ retries: 0 }, [`${server.origin}/`]);
    const pages = byPath(records);
    assert.equal(pages.get("/gone.html")!.error, "http_4xx");
    assert.equal(pages.get("/gone.html")!.status, 404);
    assert.equal(pages.get("/file.txt")!.error, undefined);
    assert.equal(pages.get("/file.txt")!.contentType, "text/plain");
    assert.equal(pages.get("/file.txt")!.title, null);
  },
);

chromiumTest("render: a browser killed mid-crawl is replaced and its page retried", async () => {
  let killed = 0;
  await using server = startFixtureServer({
    root: `${FIXTURES}spa`,
    hostname: SITE,
    routes: {
      "/page/b.html": async (_request) => {
        if (killed++ === 0) {
          // The browser asked for this page: kill it now, as a crash would.
          const [browser] = renderBrowsers(await descendants());
          assert.ok(browser, "the renderer's browser is running");
          Deno.kill(browser.pid, "SIGKILL");
        }
        return new Response(await Deno.readFile(`${FIXTURES}spa/index.html`), {
          headers: { "content-type": "text/html" },
        });
      },
    },
  });
  const { records } = await renderCrawl({ retryDelayMs: 0 }, [`${server.origin}/`]);
  const pages = byPath(records);
  assert.deepEqual([...pages.keys()].sort(), ["/", "/page/a.html", "/page/b.html", "/page/c.html"]);
  for (const record of records) assert.equal(record.error, undefined, record.url);
  assert.equal(pages.get("/page/b.html")!.title, "Page B");
  assert.ok(pages.get("/page/b.html")!.attempts >= 2);
  await assertNoBrowserLeft();
});

chromiumTest("render: an aborted crawl closes the browser", async () => {
  const started = Promise.withResolvers<void>();
  const answer = Promise.withResolvers<Response>();
  await using server = startFixtureServer({
    hostname: SITE,
    routes: {
      "/": () => {
        started.resolve();
        // Not answered before the abort.
        return answer.promise;
      },
    },
  });
  const controller = new AbortController();
  started.promise.then(() => controller.abort(new Error("stop")));
  const summary = await runCrawl(
    await parseCrawlOptions({ seeds: [`${server.origin}/`], ...ALLOW, render: true, parsers: 0 }),
    { signal: controller.signal, onRecord() {} },
  );
  answer.resolve(new Response("late"));
  assert.equal(summary.stoppedBy, "aborted");
  await assertNoBrowserLeft();
});

chromiumTest("render: a crawl that fails (its record sink throws) closes the browser", async () => {
  await using server = startFixtureServer({ root: `${FIXTURES}spa`, hostname: SITE });
  await assert.rejects(
    runCrawl(
      await parseCrawlOptions({ seeds: [`${server.origin}/`], ...ALLOW, render: true, parsers: 0 }),
      {
        signal: AbortSignal.timeout(60_000),
        onRecord() {
          throw new Error("disk full");
        },
      },
    ),
    /disk full/,
  );
  await assertNoBrowserLeft();
});

chromiumTest(
  "render: the library's crawl() renders with render: true, an extract hook sees the rendered DOM",
  async () => {
    await using server = startFixtureServer({ root: `${FIXTURES}spa`, hostname: SITE });
    const run = crawl({ seeds: [`${server.origin}/`], ...ALLOW, render: true, maxDepth: 0 }, {
      extract: ($) => ({ heading: $("h1").text() }),
    });
    const records: CrawlRecord[] = [];
    for await (const record of run) records.push(record);
    assert.equal((await run.summary).pagesOk, 1);
    assert.equal(records[0]!.rendered, true);
    assert.deepEqual(records[0]!.data, { heading: "Home" });
    await assertNoBrowserLeft();
  },
);

chromiumTest(
  "render: robots.txt holds for rendered pages, and a download is recorded, not saved",
  async () => {
    await using server = startFixtureServer({
      hostname: SITE,
      routes: {
        "/robots.txt": () => new Response("User-agent: *\nDisallow: /private/\n"),
        "/": () => html(`<a href="/private/x.html">p</a><a href="/report.csv">d</a>`),
        "/report.csv": () =>
          new Response("a,b\n1,2\n", {
            headers: {
              "content-type": "text/csv",
              "content-disposition": 'attachment; filename="report.csv"',
            },
          }),
      },
    });
    const { records } = await renderCrawl({ retries: 0, logSkipped: true }, [`${server.origin}/`]);
    const pages = byPath(records);
    assert.equal(pages.get("/private/x.html")!.error, "robots");
    assert.equal(server.hits.get("/private/x.html"), undefined);
    const download = pages.get("/report.csv")!;
    assert.equal(download.status, 200);
    assert.equal(download.contentType, "text/csv");
    assert.equal(download.title, null);
    assert.deepEqual(download.links, []);
  },
);
