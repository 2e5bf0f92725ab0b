/**
 * Which URLs are rendered: `--render-match` patterns, each a URLPattern (a
 * path pattern starting with `/`, or a full URL pattern with a scheme, as in
 * extraction rules) or else a regular expression tested against the URL.
 *
 * @module
 */

import { compilePattern } from "../extract/schema.ts";

/**
 * Compiles one `--render-match` pattern.
 *
 * @param pattern `/app/*`, `https://*.shop.test/p/:id`, or a regular expression.
 * @returns A test of a URL.
 * @throws {TypeError} If the pattern compiles as neither (a `SyntaxError` for a bad regex).
 *
 * @example Usage
 * ```ts
 * import { compileRenderMatch } from "./match.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(compileRenderMatch("/app/*")("https://a.test/app/list"));
 * assert.ok(compileRenderMatch("#!|/spa/")("https://a.test/spa/x"));
 * assert.ok(!compileRenderMatch("/app/*")("https://a.test/about"));
 * ```
 */
export function compileRenderMatch(pattern: string): (url: string) => boolean {
  if ((pattern.startsWith("/") && !pattern.startsWith("//")) || /^https?:\/\//i.test(pattern)) {
    const compiled = compilePattern(pattern);
    return (url) => compiled.test(url);
  }
  const regex = new RegExp(pattern);
  return (url) => regex.test(url);
}

/**
 * Which URLs a crawl renders.
 *
 * @param settings `render` (every page) and `renderMatch` (the patterns).
 * @returns A test of a URL; `undefined` when the crawl renders nothing.
 *
 * @example Usage
 * ```ts
 * import { renderChoice } from "./match.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(renderChoice({ render: false, renderMatch: [] }), undefined);
 * assert.ok(renderChoice({ render: true, renderMatch: [] })!("https://a.test/"));
 * ```
 */
export function renderChoice(
  settings: { render: boolean; renderMatch: readonly string[] },
): ((url: string) => boolean) | undefined {
  if (settings.render) return () => true;
  if (settings.renderMatch.length === 0) return undefined;
  const tests = settings.renderMatch.map(compileRenderMatch);
  return (url) => tests.some((test) => test(url));
}
