import assert from "node:assert/strict";
import { AddressGuard, type HostResolver } from "../../src/http/address_guard.ts";

/** A resolver over a fixed table that counts its calls; unknown names fail. */
function fakeResolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve: HostResolver = (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    return addresses ? Promise.resolve(addresses) : Promise.reject(new Error("NXDOMAIN"));
  };
  return { calls, resolve };
}

/** A resolver the tests must never reach. */
const noDns: HostResolver = (hostname) => {
  throw new Error(`unexpected DNS lookup of ${hostname}`);
};

Deno.test("address guard: numeric host forms are blocked after new URL()", async () => {
  assert.equal(new URL("http://2130706433/").hostname, "127.0.0.1");
  assert.equal(new URL("http://[0:0:0:0:0:ffff:7f00:1]/").hostname, "[::ffff:7f00:1]");
  const guard = new AddressGuard({ resolve: noDns });
  const urls = [
    ...["http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://0x7f000001/"],
    ...["http://127.1/", "http://0/", "https://017700000001:8443/x", "http://169.254.169.254./"],
    ...["http://[::ffff:127.0.0.1]/", "http://[0:0:0:0:0:ffff:7f00:1]/", "http://[::127.0.0.1]/"],
    ...["http://[64:ff9b::127.0.0.1]/", "http://[::]/", "http://[FE80::1]/", "http://[::1]:8080/"],
  ];
  for (const url of urls) {
    assert.equal(guard.checkLiteral(url), false, url);
    assert.equal(guard.checkLiteral(new URL(url)), false, url);
    assert.equal(await guard.check(url), false, url);
  }
  for (const url of ["http://8.8.8.8/", "http://134744072/", "http://[2001:4860:4860::8888]/"]) {
    assert.equal(guard.checkLiteral(url), true, url);
    assert.equal(await guard.check(url), true, url);
  }
});

Deno.test("address guard: localhost names are loopback, without DNS", async () => {
  const guard = new AddressGuard({ resolve: noDns });
  const urls = [
    "http://localhost/",
    "http://LOCALHOST:8080/",
    "http://localhost./",
    "http://foo.localhost/",
  ];
  for (const url of [...urls, "https://a.b.localhost./"]) {
    assert.equal(guard.checkLiteral(url), false, url);
    assert.equal(await guard.check(url), false, url);
  }
  for (const url of ["http://localhost.example/", "http://notlocalhost/", "http://a1/"]) {
    assert.equal(guard.checkLiteral(url), undefined, url);
  }
  // localhost means both loopbacks: allowing one is not enough.
  const v4Only = new AddressGuard({ allowCidrs: ["127.0.0.0/8"], resolve: noDns });
  assert.equal(v4Only.checkLiteral("http://localhost/"), false);
  const both = new AddressGuard({ allowCidrs: ["127.0.0.1/32", "::1/128"], resolve: noDns });
  assert.equal(both.checkLiteral("http://localhost/"), true);
});

Deno.test("address guard: unparsable and hostless URLs are refused", async () => {
  const guard = new AddressGuard({ resolve: noDns });
  for (const url of ["not a url", "http://[::1/", "mailto:someone@example.org"]) {
    assert.equal(guard.checkLiteral(url), false, url);
    assert.equal(await guard.check(url), false, url);
  }
});

Deno.test("address guard: allowCidrs lifts the guard for IPv4 ranges only", async () => {
  const guard = new AddressGuard({
    allowCidrs: ["127.0.0.2/32", "10.1.2.3/16", "192.168.7.7"],
    resolve: noDns,
  });
  // The crawler's fixture on 127.0.0.2 is allowed; a redirect to 127.0.0.1 is not.
  assert.equal(await guard.check("http://127.0.0.2:4507/"), true);
  assert.equal(await guard.check("http://127.0.0.1:4507/"), false);
  assert.equal(guard.checkLiteral("http://[::ffff:127.0.0.2]/"), true);
  assert.equal(guard.checkLiteral("http://127.0.0.3/"), false);
  assert.equal(guard.checkLiteral("http://10.1.0.0/"), true);
  assert.equal(guard.checkLiteral("http://10.1.255.255/"), true);
  assert.equal(guard.checkLiteral("http://10.2.0.0/"), false);
  assert.equal(guard.checkLiteral("http://10.0.255.255/"), false);
  assert.equal(guard.checkLiteral("http://192.168.7.7/"), true);
  assert.equal(guard.checkLiteral("http://192.168.7.8/"), false);
  assert.equal(guard.checkLiteral("http://[::1]/"), false);
  assert.equal(guard.checkLiteral("http://8.8.8.8/"), true);
});

Deno.test("address guard: allowCidrs lifts the guard for IPv6 ranges only", () => {
  const guard = new AddressGuard({ allowCidrs: ["::1/128", "fd00:1::/32"], resolve: noDns });
  assert.equal(guard.checkLiteral("http://[::1]:8080/"), true);
  assert.equal(guard.checkLiteral("http://[::2]/"), false);
  assert.equal(guard.checkLiteral("http://[fd00:1:ffff::1]/"), true);
  assert.equal(guard.checkLiteral("http://[fd00:2::]/"), false);
  assert.equal(guard.checkLiteral("http://127.0.0.1/"), false);
});

Deno.test("address guard: allowPrivate lifts the guard entirely", async () => {
  const guard = new AddressGuard({ allowPrivate: true, resolve: noDns });
  for (
    const url of ["http://127.0.0.1/", "http://[::1]/", "http://localhost/", "http://example.org/"]
  ) {
    assert.equal(guard.checkLiteral(url), true, url);
    assert.equal(await guard.check(url), true, url);
  }
});

Deno.test("address guard: bad options throw in std wording", () => {
  const cidrError = (cidr: unknown, index = 0) => ({
    name: "TypeError",
    message:
      `Cannot create address guard as 'allowCidrs[${index}]' must be a CIDR range: received ${
        JSON.stringify(cidr)
      }`,
  });
  assert.throws(() => new AddressGuard({ allowCidrs: ["10.0.0.0/33"] }), {
    name: "TypeError",
    message:
      `Cannot create address guard as 'allowCidrs[0]' must be a CIDR range: received "10.0.0.0/33"`,
  });
  const bad = ["::/129", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0/8", "fe80::1%eth0/64", "", "x/8"];
  for (const cidr of [...bad, "10.0.0.0/-1", "10.0.0.0/ 8", "0177.0.0.1/32", 42]) {
    assert.throws(() => new AddressGuard({ allowCidrs: [cidr as string] }), cidrError(cidr));
  }
  assert.throws(() => new AddressGuard({ allowCidrs: ["::1/128", "nope"] }), cidrError("nope", 1));
  assert.throws(
    () => new AddressGuard({ allowCidrs: "10.0.0.0/8" as unknown as string[] }),
    TypeError,
  );
  for (const dnsTimeoutMs of [0, -1, NaN, Infinity]) {
    assert.throws(() => new AddressGuard({ dnsTimeoutMs }), {
      name: "RangeError",
      message:
        `Cannot create address guard as 'dnsTimeoutMs' must be a positive number: received ${dnsTimeoutMs}`,
    });
  }
  for (const dnsCacheSize of [0, 1.5]) {
    assert.throws(() => new AddressGuard({ dnsCacheSize }), RangeError);
  }
});

Deno.test("address guard: a name is refused if ANY of its addresses is blocked", async () => {
  const { calls, resolve } = fakeResolver({
    "public.test": ["93.184.216.34", "2606:2800:220:1::1"],
    "mixed.test": ["93.184.216.34", "fd00::1"],
    "mapped.test": ["::ffff:10.0.0.1"],
    "fixture.test": ["127.0.0.2"],
    "junk.test": ["not-an-address"],
  });
  const guard = new AddressGuard({ allowCidrs: ["127.0.0.2/32"], resolve });
  assert.equal(guard.checkLiteral("http://public.test/"), undefined);
  assert.equal(await guard.check("http://public.test/"), true);
  assert.equal(await guard.check("http://mixed.test/"), false);
  assert.equal(await guard.check("http://mapped.test/"), false);
  assert.equal(await guard.check("http://fixture.test/"), true);
  assert.equal(await guard.check("http://junk.test/"), false);
  assert.deepEqual(calls, [
    "public.test",
    "mixed.test",
    "mapped.test",
    "fixture.test",
    "junk.test",
  ]);
  // Once resolved, the verdict is known to the sync path.
  assert.equal(guard.checkLiteral("http://public.test/a"), true);
  assert.equal(guard.checkLiteral("http://mixed.test/b"), false);
});

Deno.test("address guard: a failed lookup allows the URL and is not cached", async () => {
  const { calls, resolve } = fakeResolver({ "empty.test": [] });
  const guard = new AddressGuard({ resolve });
  assert.equal(await guard.check("http://nxdomain.test/"), true);
  assert.equal(await guard.check("http://nxdomain.test/"), true);
  assert.equal(await guard.check("http://empty.test/"), true);
  assert.equal(await guard.check("http://empty.test/"), true);
  assert.equal(guard.checkLiteral("http://nxdomain.test/"), undefined);
  assert.equal(guard.checkLiteral("http://empty.test/"), undefined);
  assert.deepEqual(calls, ["nxdomain.test", "nxdomain.test", "empty.test", "empty.test"]);
});

Deno.test("address guard: a lookup past dnsTimeoutMs is abandoned and allowed", async () => {
  let seen: AbortSignal | undefined;
  // Ignores its signal and never settles: the guard must still end on time.
  const guard = new AddressGuard({
    dnsTimeoutMs: 20,
    resolve: (_, { signal }) => {
      seen = signal;
      return new Promise<string[]>(() => {});
    },
  });
  assert.equal(await guard.check("http://slow.test/"), true);
  assert.equal(seen?.aborted, true);
  assert.equal((seen?.reason as DOMException).name, "TimeoutError");
});

Deno.test("address guard: the DNS cache asks once per hostname and stays bounded", async () => {
  const { calls, resolve } = fakeResolver({
    "a.test": ["93.184.216.34"],
    "b.test": ["10.0.0.1"],
    "c.test": ["93.184.216.35"],
  });
  const guard = new AddressGuard({ resolve, dnsCacheSize: 2 });
  // Concurrent checks share one lookup.
  const verdicts = await Promise.all([
    guard.check("http://a.test/1"),
    guard.check("http://a.test/2"),
    guard.check("https://a.test:8443/3"),
  ]);
  assert.deepEqual(verdicts, [true, true, true]);
  assert.equal(await guard.check("http://b.test/"), false);
  assert.equal(await guard.check("http://b.test/again"), false);
  assert.deepEqual(calls, ["a.test", "b.test"]);
  assert.equal(guard.checkLiteral("http://a.test/"), true); // a is now the most recent
  assert.equal(await guard.check("http://c.test/"), true); // evicts b, the least recent
  assert.equal(await guard.check("http://a.test/"), true);
  assert.equal(await guard.check("http://b.test/"), false);
  assert.deepEqual(calls, ["a.test", "b.test", "c.test", "b.test"]);
});

Deno.test("address guard: aborting the signal rejects check with its reason", async () => {
  const pending = Promise.withResolvers<string[]>();
  const guard = new AddressGuard({ resolve: () => pending.promise });
  const controller = new AbortController();
  const checking = guard.check("http://pending.test/", { signal: controller.signal });
  controller.abort(new Error("crawl cancelled"));
  await assert.rejects(checking, { message: "crawl cancelled" });
  await assert.rejects(guard.check("http://127.0.0.1/", { signal: controller.signal }), {
    message: "crawl cancelled",
  });
  // The shared lookup still completes for whoever asks next.
  pending.resolve(["10.0.0.1"]);
  assert.equal(await guard.check("http://pending.test/"), false);
});

Deno.test({
  name: "address guard: DNS forbidden by Deno's permissions allows the URL, never throws",
  permissions: { net: false },
  async fn() {
    const guard = new AddressGuard();
    assert.equal(await guard.check("http://example.org/"), true);
    assert.equal(await guard.check("http://127.0.0.1/"), false);
    assert.equal(await guard.check("http://localhost/"), false);
  },
});

Deno.test("AddressGuard.verdict() tells an unresolved name from a refused one", async () => {
  const failing = new AddressGuard({ resolve: () => Promise.reject(new Error("SERVFAIL")) });
  assert.equal(await failing.verdict("http://flaky.test/"), "unresolved");
  assert.equal(await failing.check("http://flaky.test/"), true, "check() keeps its lenient answer");
  const private10 = new AddressGuard({ resolve: () => Promise.resolve(["10.0.0.7"]) });
  assert.equal(await private10.verdict("http://inside.test/"), "blocked");
  const publicIp = new AddressGuard({ resolve: () => Promise.resolve(["93.184.216.34"]) });
  assert.equal(await publicIp.verdict("http://outside.test/"), "allowed");
  // Deno's permissions forbid the lookup: they also hold the fetch to the named hosts.
  const forbidden = new AddressGuard({
    resolve: () => Promise.reject(new Deno.errors.NotCapable("Requires net access")),
  });
  assert.equal(await forbidden.verdict("http://named.test/"), "allowed");
});
