import assert from "node:assert/strict";
import {
  InvalidGzipError,
  type ParsedSitemap,
  parseSitemap,
  readSitemapBody,
  SitemapTooLargeError,
} from "../../src/robots/sitemap_file.ts";
import { gzip, LENIENT_URLSET, sitemapIndex, urlset } from "./sitemap_helpers.ts";
import { fuzzTest } from "../support/fuzz.ts";
import { mutateBytes, randomBytes } from "../support/fuzz_bytes.ts";
import type { Rng } from "../support/fuzz_rng.ts";
import { mutateText, randomText, tokenSoup } from "../support/fuzz_text.ts";

/** Realistic sitemaps: plain, prefixed, CDATA and entities, indexes, and not sitemaps. */
const SEEDS = [
  urlset([
    { loc: "https://example.org/", lastmod: "2024-05-01" },
    { loc: "https://example.org/a?x=1&amp;y=2" },
    { loc: "/relative" },
    { loc: "HTTPS://EXAMPLE.ORG/Upper" },
  ]),
  sitemapIndex(["https://example.org/s1.xml", "https://example.org/s2.xml.gz"]),
  LENIENT_URLSET,
  "<URLSET><URL><LOC>http://a.test/&#x41;&#66;&lt;</LOC><LOC>http://a.test/second</LOC></URL></URLSET>",
  "<!doctype html><html><body><loc>https://x.org/</loc></body></html>",
];

const TOKENS = [
  "<urlset>",
  "</urlset>",
  '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
  "<sitemapindex>",
  "<sitemap>",
  "</sitemap>",
  "<url>",
  "</url>",
  "<loc>",
  "</loc>",
  "<loc>https://a.test/p</loc>",
  "<url><loc>http://a.test/x</loc></url>",
  "<lastmod>",
  "</lastmod>",
  "<sm:",
  "</sm:",
  "image:",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<?xml version='1.0'?>",
  "<!DOCTYPE urlset [<!ENTITY e 'x'>]>",
  "&amp;",
  "&lt;",
  "&#x41;",
  "&#0;",
  "&bogus;",
  "&",
  "/>",
  "<",
  ">",
  "https://",
  "http://a.test/",
  " ",
  "\n",
];

interface ParseCase {
  xml: string;
  maxEntries: number;
  /** Where a 64 KiB chunk boundary falls when the document is shifted, or -1. */
  boundary: number;
}

function xmlInput(rng: Rng): string {
  switch (rng.int(5)) {
    case 0:
      return randomText(rng, 1000);
    case 1:
      return tokenSoup(rng, TOKENS, 200);
    default:
      return mutateText(rng, rng.pick(SEEDS), TOKENS, SEEDS).slice(0, 200_000);
  }
}

/** The invariants of any parsed sitemap. */
function assertWellFormed(parsed: ParsedSitemap): void {
  for (const { loc, lastmod } of parsed.entries) {
    const url = new URL(loc);
    assert.ok(url.protocol === "http:" || url.protocol === "https:", "a loc is http(s)");
    assert.equal(url.href, loc, "a loc is absolute and serialized");
    if (lastmod !== undefined) assert.ok(lastmod !== "" && lastmod === lastmod.trim(), "lastmod");
  }
  if (parsed.root === null) assert.equal(parsed.kind, "unknown", "no root, no kind");
  if (parsed.kind !== "unknown") {
    assert.equal(parsed.root!.slice(parsed.root!.indexOf(":") + 1).toLowerCase(), parsed.kind);
  }
}

fuzzTest(
  import.meta.url,
  "parseSitemap keeps at most maxEntries absolute URLs of fuzzed sitemaps",
  {
    cases: 1500,
    input(rng): ParseCase {
      const xml = xmlInput(rng);
      return {
        xml,
        maxEntries: rng.pick([1, 2, 3, 5, 100]),
        boundary: rng.chance(0.2) ? rng.int(Math.min(xml.length, 65_536) + 1) : -1,
      };
    },
    check({ xml, maxEntries, boundary }) {
      const full = parseSitemap(xml);
      assertWellFormed(full);
      assert.equal(full.truncated, false, "fuzzed sitemaps stay under 50,000 entries");
      const limited = parseSitemap(xml, { maxEntries });
      assert.deepEqual(limited, {
        ...full,
        entries: full.entries.slice(0, maxEntries),
        truncated: full.entries.length > maxEntries,
      }, "the first maxEntries, truncated iff more were dropped");
      if (boundary >= 0) {
        // Leading spaces move the parser's 64 KiB write boundary inside the document.
        const shifted = parseSitemap(" ".repeat(65_536 - boundary) + xml);
        assert.deepEqual(shifted, full, `the same with a write boundary at ${boundary}`);
      }
    },
  },
);

/** How a body reaches readSitemapBody. */
type BodyCase =
  | { kind: "plain"; bytes: Uint8Array<ArrayBuffer> }
  | { kind: "gzip"; payload: Uint8Array<ArrayBuffer> }
  | { kind: "broken-gzip"; bytes: Uint8Array<ArrayBuffer> };

const GZIPPED_SEEDS = await Promise.all(SEEDS.map((seed) => gzip(seed)));

fuzzTest(
  import.meta.url,
  "readSitemapBody returns fuzzed bodies or their inflated bytes within the cap",
  {
    cases: 300,
    input(rng) {
      const encode = (text: string) => new TextEncoder().encode(text);
      let body: BodyCase;
      switch (rng.int(3)) {
        case 0:
          body = {
            kind: "plain",
            bytes: rng.chance(0.5)
              ? randomBytes(rng, 3000)
              : encode(xmlInput(rng).slice(0, 20_000)),
          };
          break;
        case 1:
          body = {
            kind: "gzip",
            payload: rng.chance(0.3) ? randomBytes(rng, 3000) : encode(xmlInput(rng)),
          };
          break;
        default: {
          const bytes = mutateBytes(rng, rng.pick(GZIPPED_SEEDS), TOKENS);
          // Mostly still announced as gzip, so the inflater sees the damage.
          if (bytes.length >= 2 && rng.chance(0.8)) bytes.set([0x1f, 0x8b]);
          body = { kind: "broken-gzip", bytes };
        }
      }
      return {
        body,
        maxBytes: rng.chance(0.3) ? undefined : rng.range(1, 5000),
        // Sizes of the chunks the body arrives in; the last one repeats.
        chunks: Array.from({ length: rng.range(1, 4) }, () => rng.range(1, 2000)),
      };
    },
    async check({ body, maxBytes, chunks }) {
      const bytes = body.kind === "gzip" ? await gzip(body.payload) : body.bytes;
      let at = 0;
      let chunk = 0;
      const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
        pull(controller) {
          if (at >= bytes.byteLength) return controller.close();
          const size = chunks[Math.min(chunk++, chunks.length - 1)]!;
          controller.enqueue(bytes.slice(at, at += size));
        },
      }, { highWaterMark: 0 });
      const cap = maxBytes ?? 50 * 1024 * 1024;
      const outcome = await readSitemapBody(new Response(stream), { maxBytes }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      if ("result" in outcome) assert.ok(outcome.result.byteLength <= cap, "within the cap");
      const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
      const whole = body.kind === "gzip" ? body.payload : gzipped ? undefined : bytes;
      if (whole === undefined) {
        // Broken gzip: the bytes it inflates to, or one of the two documented errors.
        if ("error" in outcome) {
          assert.ok(
            outcome.error instanceof InvalidGzipError ||
              outcome.error instanceof SitemapTooLargeError,
            `a documented error, not ${outcome.error}`,
          );
        }
      } else if (whole.byteLength > cap) {
        assert.ok("error" in outcome && outcome.error instanceof SitemapTooLargeError, "too large");
      } else {
        assert.ok("result" in outcome, `read, not ${"error" in outcome && outcome.error}`);
        assert.deepEqual(outcome.result, whole, "the body, inflated if it was gzipped");
      }
    },
  },
);
