/**
 * No silent failures, through the real CLI: a seed the address guard
 * refuses names `--allow-private` / `--allow-address`, a seed Deno's
 * permissions refuse names `-P` / `--allow-net`, and a run that fetched not a
 * single page exits 4 with a line saying why.
 *
 * @module
 */

import assert from "node:assert/strict";
import { cliCommand, ROOT, runCli, withoutDenoNotices } from "../support/cli_run.ts";
import { startFixtureServer } from "../support/fixture_server.ts";

Deno.test("failures: a seed on a private address gets the --allow-private hint and exit 4", async () => {
  await using server = startFixtureServer();
  const result = await runCli(["--seeds", `${server.origin}/index.html`]);
  assert.equal(result.code, 4, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "hint: 127.0.0.1 is a private or loopback address, which the crawler refuses by default: " +
      "pass --allow-private to crawl private networks, or --allow-address 127.0.0.1/32 for this " +
      "address only",
  );
  assert.ok(lines.includes("  errors   refused 1 (blocked_address 1)"), result.stderr);
  assert.equal(lines.at(-2), "error: not a single page could be fetched (blocked_address 1)");
  assert.equal(JSON.parse(lines.at(-1)!).errors.blocked_address, 1);
  assert.equal(server.hits.size, 0);
  // Following the hint works.
  const allowed = await runCli([
    ...["--seeds", `${server.origin}/about.html`, "--max-depth", "0"],
    ...["--allow-address", "127.0.0.1/32"],
  ]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.doesNotMatch(allowed.stderr, /^hint:/m);
});

Deno.test("failures: without network permission the seed gets the -P hint and exit 4", async () => {
  await using server = startFixtureServer();
  // As a user who forgot -P: everything the CLI needs but the network.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "--allow-read", "--allow-write", "--allow-env", `${ROOT}main.ts`],
      ...["--seeds", `${server.origin}/index.html`, "--allow-private"],
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stderr } = await child.output();
  const text = withoutDenoNotices(new TextDecoder().decode(stderr));
  assert.equal(code, 4, text);
  const lines = text.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "hint: Deno's permissions do not allow requests to 127.0.0.1: run with -P (the permission " +
      "set in deno.json), or add 127.0.0.1 to --allow-net",
  );
  assert.equal(lines.at(-2), "error: not a single page could be fetched (permission 1)");
  assert.equal(server.hits.size, 0);
});

Deno.test("failures: a crawl whose every seed fails exits 4 with a line saying why; one page ok is enough for 0", async () => {
  await using server = startFixtureServer();
  const missing = await runCli([
    ...["--seeds", `${server.origin}/missing.html,${server.origin}/gone.html`, "--allow-private"],
  ]);
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, /^error: not a single page could be fetched \(http_4xx 2\)$/m);
  assert.doesNotMatch(missing.stderr, /^hint:/m, "a 404 is the site's, not a missing flag");
  const one = await runCli([
    ...["--seeds", `${server.origin}/missing.html,${server.origin}/about.html`],
    ...["--allow-private", "--max-depth", "0"],
  ]);
  assert.equal(one.code, 0, one.stderr);
  assert.doesNotMatch(one.stderr, /^error:/m);
});

Deno.test("failures: a resumed durable run that fetched its pages in an earlier process does not exit 4", async () => {
  const held = Promise.withResolvers<void>();
  const hit = Promise.withResolvers<void>();
  const html = { "content-type": "text/html; charset=utf-8" };
  await using server = startFixtureServer({
    routes: {
      "/ok": () => new Response(`<a href="/later">later</a>`, { headers: html }),
      // Held on its first request (the first process is stopped meanwhile), then gone.
      "/later": async () => {
        hit.resolve();
        await held.promise;
        return new Response("gone", { status: 404 });
      },
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "failures_test_" });
  try {
    const args = [
      ...["--seeds", `${server.origin}/ok`, "--allow-private", "--ignore-robots"],
      ...["--state", `${dir}/site.db`, "--out", `${dir}/out.jsonl`, "--parsers", "0"],
    ];
    // --grace 0: the second process must fetch /later; a hard abort must still exit 130.
    const first = cliCommand([...args, "--grace", "0"]).spawn();
    await first.stdin.close();
    const firstStderr = new Response(first.stderr).text();
    await hit.promise;
    first.kill("SIGINT");
    assert.equal((await first.status).code, 130, await firstStderr);
    held.resolve();
    // This process fetches only /later, a 404; /ok was fetched by the first one.
    const resumed = await runCli(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /^run 1 done in \S+ m?s: 0 pages ok, 1 error$/m);
    assert.doesNotMatch(resumed.stderr, /^error:/m);
  } finally {
    held.resolve();
    await Deno.remove(dir, { recursive: true });
  }
});
