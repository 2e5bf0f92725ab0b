/**
 * Redirect hops to another host take that host's per-host slot (and wait
 * for its delay), end to end through the CLI: a host reached both directly
 * and through redirects from another never has more requests in flight
 * than `--per-host` allows.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { cliCommand, parseJsonl, runCli } from "../support/cli_run.ts";
import { type Routes, startFixtureServer } from "../support/fixture_server.ts";

const HTML = { "content-type": "text/html" };
const N = 8;

Deno.test("CLI: redirect hops to another host count against that host's --per-host cap", async () => {
  // Host B answers slowly, so requests to it pile up to whatever cap the crawler applies.
  const bRoutes: Routes = {
    "/": () =>
      new Response(
        Array.from({ length: N }, (_, i) => `<a href="/q/${i}">q${i}</a>`).join(""),
        { headers: HTML },
      ),
  };
  for (let i = 0; i < N; i++) {
    bRoutes[`/p/${i}`] = () => new Response(`<title>p${i}</title>`, { headers: HTML });
    bRoutes[`/q/${i}`] = () => new Response(`<title>q${i}</title>`, { headers: HTML });
  }
  await using b = startFixtureServer({ routes: bRoutes, latencyMs: 60 });
  // Host A answers at once: its pages redirect to B's.
  const aRoutes: Routes = {
    "/": () =>
      new Response(
        [
          `<a href="${b.origin}/">B</a>`,
          ...Array.from({ length: N }, (_, i) => `<a href="/r/${i}">r</a>`),
        ]
          .join(""),
        { headers: HTML },
      ),
  };
  for (let i = 0; i < N; i++) {
    aRoutes[`/r/${i}`] = () => Response.redirect(`${b.origin}/p/${i}`, 302);
  }
  await using a = startFixtureServer({ routes: aRoutes });
  const { code, stdout, stderr } = await runCli([
    ...["--seeds", `${a.origin}/`, "--scope", "domain", "--allow-private", "--ignore-robots"],
    ...["--parsers", "0", "--concurrency", "16", "--per-host", "2"],
  ]);
  assert.equal(code, 0, stderr);
  const records = parseJsonl<CrawlRecord>(stdout);
  assert.equal(records.filter((r) => r.error).length, 0, stdout);
  assert.equal(records.filter((r) => r.redirects?.length).length, N, "every hop was followed");
  assert.equal(b.maxInFlight, 2, `host B had ${b.maxInFlight} requests in flight`);
});

/** Host A's pages `/r/0` ... redirect to host B's `/p/0` ...; `/` links to them all. */
function redirectingSite(target: string, n: number): Routes {
  const routes: Routes = {
    "/": () =>
      new Response(
        Array.from({ length: n }, (_, i) => `<a href="/r/${i}">r${i}</a>`).join(""),
        { headers: HTML },
      ),
  };
  for (let i = 0; i < n; i++) routes[`/r/${i}`] = () => Response.redirect(`${target}/p/${i}`, 302);
  return routes;
}

Deno.test("CLI: a hop waits for the target host's Crawl-delay without the wait counting against --timeout", async () => {
  const routes: Routes = {
    "/robots.txt": () => new Response("User-agent: *\nCrawl-delay: 0.5\n"),
  };
  for (let i = 0; i < 3; i++) {
    routes[`/p/${i}`] = () => new Response(`<title>p${i}</title>`, { headers: HTML });
  }
  await using b = startFixtureServer({ routes });
  await using a = startFixtureServer({ routes: redirectingSite(b.origin, 3) });
  const { code, stdout, stderr } = await runCli([
    ...["--seeds", `${a.origin}/`, "--scope", "domain", "--allow-private", "--parsers", "0"],
    // Each hop queues about 500 ms for B's Crawl-delay: longer than the whole-request deadline.
    ...["--timeout", "300", "--retries", "0"],
  ]);
  assert.equal(code, 0, stderr);
  const records = parseJsonl<CrawlRecord>(stdout);
  assert.deepEqual(records.filter((r) => r.error).map((r) => `${r.url} ${r.error}`), []);
  const starts = b.log.filter((hit) => hit.path.startsWith("/p/")).map((hit) => hit.at);
  assert.equal(starts.length, 3);
  for (let i = 1; i < starts.length; i++) {
    assert.ok(
      starts[i]! - starts[i - 1]! >= 450,
      `B's requests ${starts[i]! - starts[i - 1]!} ms apart`,
    );
  }
});

Deno.test("CLI: more fetchers than permits never stall on a redirect hop to a busy host", async () => {
  const routes: Routes = {};
  for (let i = 0; i < 4; i++) {
    routes[`/p/${i}`] = () => new Response(`<title>p${i}</title>`, { headers: HTML });
    routes[`/q/${i}`] = () => new Response(`<title>q${i}</title>`, { headers: HTML });
  }
  await using b = startFixtureServer({ routes });
  await using a = startFixtureServer({ routes: redirectingSite(b.origin, 4) });
  // Both hosts' URLs are ready at once: one fetcher starts A's redirect while another could take
  // B's URL (and its only slot) and then wait for the one permit the first holds.
  const seeds = [`${a.origin}/r/0`, `${b.origin}/q/0`, `${a.origin}/r/1`, `${b.origin}/q/1`];
  const child = cliCommand([
    ...["--seeds", seeds.join(","), "--allow-private", "--ignore-robots", "--parsers", "0"],
    ...["--concurrency", "1", "--fetchers", "2", "--per-host", "1", "--retries", "0"],
  ]).spawn();
  await child.stdin.close();
  // A stall waits forever (a hop's queueing is not under --timeout): a guard ends it, so the
  // test fails instead of hanging. It is no wait: a passing run ends in well under a second.
  const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const output = await child.output();
  clearTimeout(guard);
  const [stdout, stderr] = [output.stdout, output.stderr].map((bytes) =>
    new TextDecoder().decode(bytes)
  );
  assert.equal(output.code, 0, `stalled, killed by the guard? ${stderr}`);
  const records = parseJsonl<CrawlRecord>(stdout);
  assert.equal(records.length, 4);
  assert.deepEqual(records.filter((r) => r.error).map((r) => `${r.url} ${r.error}`), []);
});
