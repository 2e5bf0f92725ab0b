import assert from "node:assert/strict";
import { checkLinks, type LinkRow } from "../../src/linkcheck/check_links.ts";
import type { LinkRecord } from "../../src/linkcheck/outcome.ts";
import { ReferrerList } from "../../src/linkcheck/referrers.ts";

const A = "https://a.test";

function page(url: string, refs: LinkRecord["refs"], extra: Partial<LinkRecord> = {}): LinkRecord {
  return { url, requestedUrl: url, status: 200, refs, ...extra };
}

Deno.test("checkLinks() keeps the first 100 referrers of a target with the count of all", async () => {
  const records: LinkRecord[] = [page(`${A}/gone`, undefined, { status: 404, error: "http_4xx" })];
  for (let i = 0; i < 250; i++) {
    records.push(page(`${A}/p${i}`, [{ url: `${A}/gone`, tag: "a[href]", text: `footer ${i}` }]));
  }
  const rows: LinkRow[] = [];
  const result = await checkLinks(() => records, { onRow: (row) => void rows.push(row) });
  // The table has every link; the broken list is bounded.
  assert.equal(rows.length, 250);
  assert.equal(result.broken.length, 1);
  assert.equal(result.broken[0]!.count, 250);
  assert.equal(result.broken[0]!.referrers.length, 100);
  assert.deepEqual(result.broken[0]!.referrers[0], {
    source: `${A}/p0`,
    tag: "a[href]",
    text: "footer 0",
  });
});

Deno.test("checkLinks() reads a link's target whatever order the records come in", async () => {
  const records = [
    page(`${A}/`, [{ url: `${A}/late`, tag: "a[href]" }]),
    page(`${A}/late`, [], { status: 500, error: "http_5xx", errorMessage: "HTTP 500" }),
  ];
  for (const order of [records, [...records].reverse()]) {
    const result = await checkLinks(() => order);
    assert.deepEqual(result.broken.map((t) => [t.target, t.status, t.error, t.message]), [
      [`${A}/late`, 500, "http_5xx", "HTTP 500"],
    ]);
  }
});

Deno.test("checkLinks() follows a redirect refused as a duplicate to the page it ends at", async () => {
  const rows: LinkRow[] = [];
  await checkLinks(() => [
    page(`${A}/`, [{ url: `${A}/old`, tag: "a[href]" }, { url: `${A}/new`, tag: "a[href]" }]),
    page(`${A}/new`, []),
    // /old redirected to /new, crawled already under its own URL.
    {
      url: `${A}/new`,
      requestedUrl: `${A}/old`,
      status: 301,
      error: "duplicate",
      errorMessage: "redirect target refused",
    },
  ], { onRow: (row) => void rows.push(row) });
  assert.deepEqual(rows.map((r) => [r.target, r.result, r.status, r.redirectedTo]), [
    [`${A}/old`, "ok", 200, `${A}/new`],
    [`${A}/new`, "ok", 200, undefined],
  ]);
});

Deno.test("checkLinks() checks fragments against the page a link lands on, and only parsed pages", async () => {
  const rows: LinkRow[] = [];
  const result = await checkLinks(() => [
    page(`${A}/`, [
      { url: `${A}/doc`, tag: "a[href]", fragment: "intro" },
      { url: `${A}/doc`, tag: "a[href]", fragment: "gone" },
      { url: `${A}/moved`, tag: "a[href]", fragment: "intro" },
      { url: `${A}/file.pdf`, tag: "a[href]", fragment: "page=2" },
      { url: `${A}/doc`, tag: "a[href]", fragment: "TOP" },
    ], { anchors: [] }),
    page(`${A}/doc`, [], { anchors: ["intro"] }),
    { url: `${A}/doc`, requestedUrl: `${A}/moved`, status: 200, anchors: ["intro"] },
    // Not parsed (not HTML): its fragments cannot be checked.
    page(`${A}/file.pdf`, undefined),
  ], { onRow: (row) => void rows.push(row) });
  assert.deepEqual(rows.map((r) => [r.target, r.fragment, r.result, r.error]), [
    [`${A}/doc`, "intro", "ok", undefined],
    [`${A}/doc`, "gone", "broken", "fragment_missing"],
    [`${A}/moved`, "intro", "ok", undefined],
    [`${A}/file.pdf`, "page=2", "ok", undefined],
    [`${A}/doc`, "TOP", "ok", undefined],
  ]);
  assert.deepEqual(result.broken.map((t) => t.target), [`${A}/doc#gone`]);
});

Deno.test("checkLinks() lists targets never requested as unchecked, and policy refusals apart", async () => {
  const result = await checkLinks(() => [
    page(`${A}/`, [
      { url: "https://elsewhere.test/", tag: "a[href]" },
      { url: `${A}/private`, tag: "a[href]", text: "Private" },
    ]),
    {
      url: `${A}/private`,
      requestedUrl: `${A}/private`,
      status: null,
      error: "robots",
      errorMessage: "disallowed by robots.txt",
    },
  ]);
  assert.deepEqual(result.results, { ok: 0, broken: 0, refused: 1, failed: 0, unchecked: 1 });
  assert.equal(result.broken.length, 0);
  assert.deepEqual(result.refused.map((t) => [t.target, t.error, t.referrers]), [
    [`${A}/private`, "robots", [{ source: `${A}/`, tag: "a[href]", text: "Private" }]],
  ]);
});

Deno.test("ReferrerList rejects a cap that is not a positive integer", () => {
  assert.throws(
    () => new ReferrerList(0),
    /Cannot create referrer list as 'maxReferrers' must be a positive integer: received 0/,
  );
});

Deno.test("checkLinks() takes the end of a redirect that failed as a target of its own", async () => {
  const rows: LinkRow[] = [];
  await checkLinks(() => [
    page(`${A}/`, [{ url: `${A}/old`, tag: "a[href]" }, { url: `${A}/missing`, tag: "a[href]" }]),
    {
      url: `${A}/missing`,
      requestedUrl: `${A}/old`,
      status: 404,
      error: "http_4xx",
      errorMessage: "HTTP 404",
    },
  ], { onRow: (row) => void rows.push(row) });
  assert.deepEqual(rows.map((r) => [r.target, r.result, r.status]), [
    [`${A}/old`, "broken", 404],
    [`${A}/missing`, "broken", 404],
  ]);
});

Deno.test("checkLinks() does not take a refused redirect hop's target as answered", async () => {
  const rows: LinkRow[] = [];
  await checkLinks(() => [
    page(`${A}/`, [{ url: `${A}/away`, tag: "a[href]" }, {
      url: "https://b.test/",
      tag: "a[href]",
    }]),
    // The hop to b.test was refused: the 301 is the last answer, from /away.
    {
      url: "https://b.test/",
      requestedUrl: `${A}/away`,
      status: 301,
      error: "out_of_scope",
      errorMessage: "redirect target refused",
    },
  ], { onRow: (row) => void rows.push(row) });
  assert.deepEqual(rows.map((r) => [r.target, r.result]), [
    [`${A}/away`, "refused"],
    ["https://b.test/", "unchecked"],
  ]);
});

Deno.test("checkLinks() counts a page skipped as a canonical duplicate as a working link", async () => {
  const result = await checkLinks(() => [
    page(`${A}/`, [{ url: `${A}/dup?utm=1`, tag: "a[href]" }]),
    page(`${A}/dup?utm=1`, [], { error: "duplicate", errorMessage: "canonical was already seen" }),
  ]);
  assert.deepEqual(result.results, { ok: 1, broken: 0, refused: 0, failed: 0, unchecked: 0 });
});
