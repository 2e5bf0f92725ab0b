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
import { parseJsonl, runCli } from "../support/cli_run.ts";
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
