/**
 * Helpers for the sitemap tests (`sitemap_test.ts`, `sitemap_file_test.ts`):
 * sitemap documents, gzip and gzip bombs, and a peak-memory probe.
 *
 * @module
 */

/** The sitemap protocol's namespace declaration. */
const NS = `xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"`;

/** A `urlset` document of `entries`. */
export function urlset(entries: { loc: string; lastmod?: string }[]): string {
  const urls = entries.map(({ loc, lastmod }) =>
    `<url><loc>${loc}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ""}</url>`
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset ${NS}>${urls.join("\n")}</urlset>`;
}

/** A `sitemapindex` document listing `locs`. */
export function sitemapIndex(locs: string[]): string {
  const items = locs.map((loc) => `<sitemap><loc>${loc}</loc></sitemap>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex ${NS}>${
    items.join("")
  }</sitemapindex>`;
}

/** `data`, gzipped. */
export async function gzip(
  data: string | Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).bytes();
}

/** `mib` MiB of zeros, gzipped: ~1 KiB per MiB, so a small download that inflates hugely. */
export async function gzipBomb(mib: number): Promise<Uint8Array<ArrayBuffer>> {
  const zeros = new Uint8Array(1024 * 1024);
  const compression = new CompressionStream("gzip");
  const writer = compression.writable.getWriter();
  const output = new Response(compression.readable).bytes();
  for (let i = 0; i < mib; i++) await writer.write(zeros);
  await writer.close();
  return await output;
}

/**
 * Starts measuring this process's peak resident memory (Linux's VmHWM) from
 * now, returning a function that reads how far it rose; both undefined off
 * Linux. Writing 5 to clear_refs resets the peak, so type-checking and earlier
 * tests do not hide the growth. Done through `sh`/`cat`: Deno wants full access
 * for /proc/self, but only `--allow-run` to spawn them.
 */
export async function measurePeakRss(): Promise<(() => Promise<number>) | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  const status = `/proc/${Deno.pid}/status`;
  const peak = async () => {
    const { stdout } = await new Deno.Command("cat", { args: [status] }).output();
    return Number(/VmHWM:\s+(\d+)/.exec(new TextDecoder().decode(stdout))?.[1]) * 1024;
  };
  const reset = await new Deno.Command("sh", {
    args: ["-c", `echo 5 > /proc/${Deno.pid}/clear_refs`],
  }).output();
  if (!reset.success) return undefined;
  const before = await peak();
  return async () => (await peak()) - before;
}

/**
 * A urlset written the way real generators get it wrong or unusual: a BOM,
 * a comment, prefixed names, a `loc` padded with whitespace and entities,
 * CDATA, an empty `lastmod`, an entry without `loc`, an unprefixed `loc`
 * among prefixed ones, and an image-only entry.
 */
export const LENIENT_URLSET = `\uFEFF<?xml version="1.0"?>
    <!-- generated -->
    <sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"
               xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
      <sm:url>
        <sm:loc>
          https://example.org/a?x=1&amp;y=2
        </sm:loc>
        <sm:lastmod> 2024-05-01T10:00:00+00:00 </sm:lastmod>
        <image:image><image:loc>https://example.org/cat.png</image:loc></image:image>
      </sm:url>
      <sm:url><sm:loc><![CDATA[https://example.org/b?q=<1>]]></sm:loc><sm:lastmod></sm:lastmod></sm:url>
      <sm:url><sm:lastmod>2024-01-01</sm:lastmod></sm:url>
      <sm:url><loc>https://example.org/unprefixed</loc></sm:url>
      <sm:url><image:loc>https://example.org/only-an-image.png</image:loc></sm:url>
    </sm:urlset>`;
