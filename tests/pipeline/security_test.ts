/**
 * The crawler's safety end to end: the SSRF guard (default, `allowPrivate`,
 * `allowAddresses`, numeric host forms, links and redirects), http(s) only,
 * seed credentials kept to their origin, cookies only on request, and Deno's
 * net permission narrowed on the CLI.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CrawlRecord } from "../../src/output/record.ts";
import { crawlToEnd } from "../support/crawl.ts";
import { parseJsonl, ROOT, withoutDenoNotices } from "../support/cli_run.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture_server.ts";

/** Crawls to the end with the address guard as the options set it (on by default). */
const crawl = crawlToEnd;

function recordOf(records: CrawlRecord[], url: string): CrawlRecord {
  const record = records.find((r) => r.requestedUrl === url);
  assert.ok(record, `no record for ${url}: ${records.map((r) => r.requestedUrl).join(", ")}`);
  return record;
}

function html(body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    headers: { "content-type": "text/html; charset=utf-8", ...headers },
  });
}

/** A page route that notes one request header of every request it serves. */
function noting(seen: (string | null)[], header: string, body: string) {
  return (request: Request) => (seen.push(request.headers.get(header)), html(body));
}

Deno.test("security: a loopback seed is blocked by default, before any request (robots.txt too)", async () => {
  await using server = startFixtureServer();
  const { records, summary } = await crawl({ seeds: [`${server.origin}/index.html`] });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.error, "blocked_address");
  assert.equal(records[0]!.status, null);
  assert.deepEqual(summary.errors, { blocked_address: 1 });
  assert.equal(server.log.length, 0);
});

Deno.test("security: allowPrivate lifts the guard", async () => {
  await using server = startFixtureServer();
  const { records } = await crawl({ seeds: [`${server.origin}/about.html`], allowPrivate: true });
  assert.equal(records[0]!.error, undefined);
  assert.equal(records[0]!.status, 200);
  assert.ok(server.hits.has("/about.html"));
});

Deno.test("security: decimal, octal, hex, IPv4-mapped and localhost forms of loopback are blocked", async () => {
  await using server = startFixtureServer();
  const port = new URL(server.origin).port;
  const seeds = [
    `http://2130706433:${port}/decimal`,
    `http://0177.0.0.1:${port}/octal`,
    `http://0x7f.1:${port}/hex`,
    `http://[::ffff:127.0.0.1]:${port}/mapped`,
    `http://[::1]:${port}/v6-loopback`,
    `http://localhost:${port}/localhost`,
  ];
  // A narrower allowance must not open the rest of 127.0.0.0/8.
  const { records } = await crawl({ seeds, allowAddresses: ["127.0.0.2/32"] });
  assert.equal(records.length, seeds.length);
  for (const record of records) assert.equal(record.error, "blocked_address", record.url);
  assert.ok(records.some((r) => r.url === `http://127.0.0.1:${port}/decimal`));
  assert.equal(server.log.length, 0);
});

Deno.test("security: allowAddresses lets one address through; its link and redirect to 127.0.0.1 are blocked", async () => {
  await using inside = startFixtureServer();
  await using server = startFixtureServer({
    hostname: "127.0.0.2",
    routes: {
      "/": () =>
        html(`<title>Allowed</title><a href="${inside.origin}/secret">in</a>
          <a href="/jump">jump</a> <a href="/ok">ok</a>`),
      "/jump": () =>
        new Response(null, { status: 302, headers: { location: `${inside.origin}/x` } }),
      "/ok": () => html("<title>OK</title>"),
    },
  });
  const o = server.origin;
  const { records, summary } = await crawl({
    seeds: [`${o}/`],
    allowAddresses: ["127.0.0.2/32"],
    scope: "any",
  });
  assert.equal(recordOf(records, `${o}/`).title, "Allowed");
  assert.equal(recordOf(records, `${o}/ok`).title, "OK");
  const link = recordOf(records, `${inside.origin}/secret`);
  assert.equal(link.error, "blocked_address");
  assert.equal(link.status, null);
  const jump = recordOf(records, `${o}/jump`);
  assert.equal(jump.error, "blocked_address");
  assert.equal(jump.url, `${inside.origin}/x`);
  assert.deepEqual(summary.errors, { blocked_address: 2 });
  assert.equal(inside.log.length, 0, "127.0.0.1 must see no request at all");
});

Deno.test("security: only http(s) links are followed", async () => {
  await using other = startFixtureServer();
  const port = new URL(other.origin).port;
  await using server = startFixtureServer({
    routes: {
      "/": () =>
        html(`<a href="ftp://127.0.0.1:${port}/f">ftp</a> <a href="file:///etc/passwd">file</a>
          <a href="ws://127.0.0.1:${port}/ws">ws</a> <a href="gopher://127.0.0.1:${port}/">g</a>
          <a href="data:text/html,<a href=http://127.0.0.1:${port}/d>">data</a>
          <a href="javascript:fetch('http://127.0.0.1:${port}/js')">js</a>
          <a href="mailto:a@example.org">mail</a> <a href="/fine">fine</a>`),
      "/fine": () => html("<title>Fine</title>"),
    },
  });
  const { records } = await crawl({
    seeds: [`${server.origin}/`],
    allowPrivate: true,
    scope: "any",
  });
  assert.deepEqual(records.map((r) => r.url).sort(), [
    `${server.origin}/`,
    `${server.origin}/fine`,
  ]);
  assert.deepEqual(recordOf(records, `${server.origin}/`).links, [`${server.origin}/fine`]);
  assert.equal(other.log.length, 0);
});

Deno.test("security: seed credentials go as Basic auth to their origin only, never into records", async () => {
  const landing: (string | null)[] = [];
  await using elsewhere = startFixtureServer({
    hostname: "127.0.0.3",
    routes: {
      "/landing": noting(landing, "authorization", "<title>Landing</title>"),
      "/linked": noting(landing, "authorization", "<title>Linked</title>"),
    },
  });
  const home: (string | null)[] = [];
  await using server = startFixtureServer({
    hostname: "127.0.0.2",
    routes: {
      "/": noting(
        home,
        "authorization",
        `<a href="/inner">in</a> <a href="/go">go</a> <a href="${elsewhere.origin}/linked">x</a>`,
      ),
      "/inner": noting(home, "authorization", "<title>Inner</title>"),
      "/go": (
        request,
      ) => (home.push(request.headers.get("authorization")),
        new Response(null, { status: 302, headers: { location: `${elsewhere.origin}/landing` } })),
    },
  });
  const port = new URL(server.origin).port;
  const { records } = await crawl({
    // %40 is "@": the password is percent-decoded before encoding.
    seeds: [`http://user:s3cr%40t@127.0.0.2:${port}/`],
    allowAddresses: ["127.0.0.2/32", "127.0.0.3/32"],
    scope: "any",
  });
  const basic = `Basic ${btoa("user:s3cr@t")}`;
  assert.deepEqual(home, [basic, basic, basic], "/, /inner and /go each got the header");
  assert.deepEqual(landing, [null, null], "127.0.0.3 got no credentials, by link or by redirect");
  assert.equal(recordOf(records, `${server.origin}/go`).url, `${elsewhere.origin}/landing`);
  assert.equal(records.length, 4);
  const text = JSON.stringify(records);
  for (const secret of ["s3cr", "user:", "user@", btoa("user:s3cr@t")]) {
    assert.ok(!text.includes(secret), `records leak ${secret}`);
  }
});

/** `/login` sets a cookie and redirects to `/home`, which links to `/profile` and elsewhere. */
function cookieSite(elsewhere: FixtureServer, seen: Map<string, string | null>) {
  const note = (path: string, body: string) => (request: Request) => (
    seen.set(path, request.headers.get("cookie")), html(body)
  );
  return startFixtureServer({
    routes: {
      "/login": () =>
        new Response(null, {
          status: 302,
          headers: { location: "/home", "set-cookie": "sid=abc123; Path=/; HttpOnly" },
        }),
      "/home": note("/home", `<a href="/profile">p</a> <a href="${elsewhere.origin}/other">o</a>`),
      "/profile": note("/profile", "<title>Profile</title>"),
    },
  });
}

for (const cookies of [false, true]) {
  Deno.test(`security: a Set-Cookie is ${cookies ? "sent back with cookies: true" : "not sent back by default"}`, async () => {
    const seen = new Map<string, string | null>();
    await using elsewhere = startFixtureServer({
      hostname: "127.0.0.3",
      routes: {
        "/other": (request) => (seen.set("other", request.headers.get("cookie")), html("")),
      },
    });
    await using server = cookieSite(elsewhere, seen);
    await crawl({ seeds: [`${server.origin}/login`], allowPrivate: true, scope: "any", cookies });
    const expected = cookies ? "sid=abc123" : null;
    assert.deepEqual(Object.fromEntries(seen), {
      "/home": expected,
      "/profile": expected,
      other: null, // another host never gets it
    });
  });
}

/** Runs the CLI with no other net permission than `--allow-net=<allowNet>`. */
async function runNarrowedCli(allowNet: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-net=${allowNet}`,
      "--allow-read",
      "--allow-write",
      `${ROOT}main.ts`,
      ...args,
    ],
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const errors = withoutDenoNotices(new TextDecoder().decode(stderr));
  assert.equal(code, 0, errors);
  return {
    records: parseJsonl<CrawlRecord>(new TextDecoder().decode(stdout)),
    stats: JSON.parse(errors.trim().split("\n").at(-1)!),
  };
}

Deno.test("security: the CLI under a narrowed --allow-net records permission errors and exits 0", async () => {
  await using outside = startFixtureServer({ hostname: "127.0.0.2" });
  await using server = startFixtureServer({
    routes: {
      "/": () => html(`<a href="${outside.origin}/page">out</a> <a href="/jump">jump</a>`),
      "/jump": () =>
        new Response(null, { status: 302, headers: { location: `${outside.origin}/r` } }),
    },
  });
  const { records, stats } = await runNarrowedCli(new URL(server.origin).host, [
    "--seeds",
    `${server.origin}/`,
    "--scope",
    "any",
    "--allow-private",
  ]);
  assert.equal(recordOf(records, `${server.origin}/`).status, 200);
  assert.equal(recordOf(records, `${outside.origin}/page`).error, "permission");
  const jump = recordOf(records, `${server.origin}/jump`);
  assert.equal(jump.error, "permission");
  assert.equal(jump.url, `${outside.origin}/r`);
  assert.equal(records.length, 3);
  assert.equal(outside.log.length, 0);
  assert.deepEqual(stats.errors, { permission: 2 });
});

/** Port 80 takes privileges; where this process lacks them the test below cannot run. */
const PORT_80_HOST = "127.0.0.80";
function canListenOn80(): boolean {
  try {
    Deno.listen({ hostname: PORT_80_HOST, port: 80 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "security: the CLI under --allow-net=HOST:80 crawls URLs whose port 80 is implied",
  ignore: !canListenOn80(),
  fn: async () => {
    await using _server = Deno.serve(
      { hostname: PORT_80_HOST, port: 80, onListen() {} },
      (request) =>
        new URL(request.url).pathname === "/robots.txt"
          ? new Response("", { status: 404 })
          : html(`<title>${new URL(request.url).pathname}</title><a href="/next">next</a>`),
    );
    // URLs drop the default port, yet Deno grants it: the check must name it.
    const { records } = await runNarrowedCli(`${PORT_80_HOST}:80`, [
      "--seeds",
      `http://${PORT_80_HOST}/`,
      "--allow-private",
    ]);
    assert.deepEqual(records.map((r) => [r.url, r.error ?? r.title]), [
      [`http://${PORT_80_HOST}/`, "/"],
      [`http://${PORT_80_HOST}/next`, "/next"],
    ]);
  },
});

Deno.test("security: under -P=public Deno refuses the connection itself to a private address the guard let through", async () => {
  await using server = startFixtureServer();
  // `localhost` resolves to 127.0.0.1 at connect time; --allow-private makes the guard let it
  // through, standing in for a name that resolved to a public address when it was checked.
  const seed = server.origin.replace("127.0.0.1", "localhost");
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-P=public", `${ROOT}main.ts`, "--seeds", `${seed}/`],
      ...["--allow-private", "--ignore-robots"],
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const records = parseJsonl<CrawlRecord>(new TextDecoder().decode(stdout));
  const message = withoutDenoNotices(new TextDecoder().decode(stderr));
  assert.notEqual(code, 2, message);
  assert.equal(records[0]?.error, "permission", JSON.stringify(records[0]));
  assert.match(records[0]!.errorMessage!, /Requires net access to "127\.0\.0\.1:\d+"/);
  assert.equal(server.hits.size, 0, "no request reached the server");
});

Deno.test("security: the public permission set denies every blocked IPv4 range at connect time", async () => {
  const { BLOCKED_V4 } = await import("../../src/http/blocked_ip.ts");
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const deny: string[] = config.permissions.public.net.deny;
  const ranges = BLOCKED_V4.map(([address, prefix]) => `${address}/${prefix}`);
  assert.deepEqual(deny.filter((d) => !d.startsWith("[")), ranges);
  assert.deepEqual(deny.filter((d) => d.startsWith("[")), ["[::]", "[::1]"]);
});
