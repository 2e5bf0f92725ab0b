/**
 * Requests under the user's control, through the real CLI and a forward
 * proxy on loopback that logs what it forwards: `--proxy` carries every
 * request (robots.txt included), `--header` goes with page requests, and
 * `Authorization` never reaches another origin (a redirect target, a link
 * off the seeds' origins); `HTTP_PROXY` and `NO_PROXY` are honoured.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";
import { startForwardProxy } from "../support/forward_proxy.ts";

const HTML = { "content-type": "text/html; charset=utf-8" };
const page = (body: string) => () => new Response(body, { headers: HTML });

Deno.test("proxy: --proxy carries every request; --header goes with pages, Authorization to the seeds' origins only", async () => {
  await using proxy = startForwardProxy();
  await using c = startFixtureServer({ routes: { "/page": page("<title>C</title>") } });
  await using b = startFixtureServer({
    routes: {
      "/": page(`<title>B</title><a href="${c.origin}/page">c</a>`),
      "/landing": page("<title>Landing</title>"),
    },
  });
  await using a = startFixtureServer({
    routes: { "/start": () => Response.redirect(`${b.origin}/landing`, 302) },
  });
  const dir = await Deno.makeTempDir({ prefix: "proxy_test_" });
  try {
    const proxyUrl = proxy.url.replace("http://", "http://crawler:proxy-pass-123@");
    const result = await runCli([
      ...["--seeds", `${a.origin}/start,${b.origin}/`, "--scope", "any", "--max-depth", "1"],
      ...["--proxy", proxyUrl, "--allow-private", "--parsers", "0"],
      ...["--header", "Authorization: Bearer s3cret-token", "--header", "X-Trace: t1"],
      ...["--state", `${dir}/site.db`, "--out", `${dir}/out.jsonl`, "--report", `${dir}/r.html`],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const seen = new Map(proxy.log.map((r) => [r.url, r.headers]));
    const pages = [`${a.origin}/start`, `${b.origin}/landing`, `${b.origin}/`, `${c.origin}/page`];
    for (const url of [...pages, `${a.origin}/robots.txt`, `${b.origin}/robots.txt`]) {
      assert.ok(seen.has(url), `${url} went through the proxy: ${[...seen.keys()]}`);
    }
    // Everything the sites served came through the proxy.
    assert.equal(a.log.length + b.log.length + c.log.length, proxy.log.length);
    for (const headers of seen.values()) {
      assert.equal(headers["proxy-authorization"], `Basic ${btoa("crawler:proxy-pass-123")}`);
    }
    for (const url of pages) assert.equal(seen.get(url)!["x-trace"], "t1", url);
    const auth = (url: string) => seen.get(url)!.authorization;
    assert.equal(auth(`${a.origin}/start`), "Bearer s3cret-token", "a seed's origin");
    assert.equal(auth(`${b.origin}/`), "Bearer s3cret-token", "another seed's origin");
    assert.equal(auth(`${b.origin}/landing`), undefined, "not across a redirect to another origin");
    assert.equal(auth(`${c.origin}/page`), undefined, "not to an origin no seed is on");
    assert.equal(auth(`${a.origin}/robots.txt`), undefined, "robots.txt gets the User-Agent only");
    // The secrets are kept in no file and printed nowhere.
    for (const file of await Array.fromAsync(Deno.readDir(dir))) {
      const bytes = new TextDecoder().decode(await Deno.readFile(`${dir}/${file.name}`));
      assert.ok(!bytes.includes("s3cret-token"), `${file.name} holds the Authorization value`);
      assert.ok(!bytes.includes("proxy-pass-123"), `${file.name} holds the proxy password`);
    }
    assert.doesNotMatch(result.stderr, /s3cret-token|proxy-pass-123/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("proxy: without --proxy, HTTP_PROXY is honoured, and NO_PROXY sends a host direct", async () => {
  await using proxy = startForwardProxy();
  await using server = startFixtureServer();
  const run = async (env: Record<string, string>) => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", "-P", `${ROOT}main.ts`, "--seeds", `${server.origin}/about.html`],
        ...["--max-depth", "0", "--allow-private", "--ignore-robots", "--out", "/dev/null"],
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, withoutDenoNotices(new TextDecoder().decode(stderr)));
  };
  await run({ HTTP_PROXY: proxy.url });
  assert.deepEqual(proxy.log.map((r) => r.url), [`${server.origin}/about.html`]);
  await run({ HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" });
  assert.equal(proxy.log.length, 1, "NO_PROXY: straight to the site");
  assert.equal(server.log.length, 2);
});
