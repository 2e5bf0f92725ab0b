/**
 * One parse job, run the same way in a parser worker or in the crawler's own
 * isolate: decode, parse, extract the default fields, apply the extraction
 * rule matching the URL and the user's extract hook.
 *
 * @module
 */

import { decodeHtml } from "./charset.ts";
import type { CompiledRules, DataError } from "../extract/apply.ts";
import type { RulesFile } from "../extract/schema.ts";
import { scanBody } from "./scan.ts";
import { type Document, finishPage, type ParsedPage, type ParserKind } from "./page.ts";
import { normalizeUrl } from "../frontier/url.ts";

/** What the user's extract hook sees of a page besides the document. */
export interface PageInfo {
  /** The page's final URL. */
  url: string;
  /** The default fields and links. */
  parsed: ParsedPage;
}

/**
 * A user hook that reads data out of a parsed page. Its result is merged
 * into the record's `data`.
 */
export type ExtractHook = (
  $: Document,
  page: PageInfo,
) => Record<string, unknown> | undefined | void;

/** Everything a parser needs besides the page; plain data, so it crosses to workers. */
export interface ParserConfig {
  /** The HTML parser. */
  parser: ParserKind;
  /** Follow nofollow links too. */
  followNofollow: boolean;
  /** Query parameters dropped for dedupe. */
  stripParams: string[];
  /** Sort query parameters for dedupe. */
  sortQuery: boolean;
  /** Validated extraction rules, if any. */
  rules?: RulesFile;
  /** A module whose `extract` export is an {@linkcode ExtractHook}. */
  extractModule?: string;
  /** Follow only links inside (or matching) this selector, unless the matching rule has its own. */
  linksFrom?: string;
  /** Keep each link's tag and text (`refs`). */
  details?: boolean;
  /** Keep the page's resources among `refs` (with `details`). */
  resources?: boolean;
  /** Keep the fragments the page defines (`anchors`). */
  ids?: boolean;
}

/** One page to parse. */
export interface ParseJob {
  /** The page's final URL. */
  url: string;
  /** The Content-Type header, for the charset. */
  contentType: string | null;
  /** The body bytes. */
  body: Uint8Array;
}

/** A parsed page with its extracted data. */
export interface ParseResult extends ParsedPage {
  /** Fields extracted by the matching rule and the hook. */
  data?: Record<string, unknown>;
  /** Fields that were missing although required, or failed their type. */
  dataErrors?: DataError[];
}

/** A parser ready to run jobs: config compiled, hook module loaded. */
export interface Parser {
  /**
   * Parses one page.
   *
   * @param job The page.
   * @returns The fields, links and data.
   */
  parse(job: ParseJob): ParseResult;
}

/**
 * Prepares a parser: compiles the rules and imports the hook module.
 *
 * @param config The parser configuration.
 * @param extract A hook function (in-isolate parsing only), instead of or
 * besides `config.extractModule`.
 * @returns The parser.
 * @throws If the hook module cannot be imported or has no `extract` function.
 *
 * @example Usage
 * ```ts
 * import { createParser } from "./job.ts";
 * const parser = await createParser({
 *   parser: "htmlparser2",
 *   followNofollow: false,
 *   stripParams: [],
 *   sortQuery: false,
 * });
 * const body = new TextEncoder().encode("<title>Hi</title>");
 * parser.parse({ url: "http://a.test/", contentType: "text/html", body }).title; // "Hi"
 * ```
 */
export async function createParser(config: ParserConfig, extract?: ExtractHook): Promise<Parser> {
  // cheerio (and zod, through the rules) load only when the crawl needs a DOM:
  // that keeps a parser worker's start-up to htmlparser2 alone.
  const needsDom = config.rules !== undefined || extract !== undefined ||
    config.extractModule !== undefined || config.linksFrom !== undefined ||
    config.parser === "parse5";
  const dom = needsDom ? await import("./dom.ts") : undefined;
  // Rules and `linksFrom` selectors are applied by the extraction module.
  const extracting = config.rules !== undefined || config.linksFrom !== undefined
    ? await import("../extract/apply.ts")
    : undefined;
  const rules: CompiledRules | undefined = config.rules && extracting?.compileRules(config.rules);
  const hooks: ExtractHook[] = [];
  if (extract) hooks.push(extract);
  if (config.extractModule) {
    const module = await import(config.extractModule);
    if (typeof module.extract !== "function") {
      throw new TypeError(
        `Cannot load extract module as '${config.extractModule}' has no 'extract' function export`,
      );
    }
    hooks.push(module.extract);
  }
  return {
    parse(job: ParseJob): ParseResult {
      const rule = rules?.match(job.url);
      // A DOM is built only when something needs selectors.
      const linksFrom = rule?.linksFrom ?? config.linksFrom;
      const pageNeedsDom = rule !== undefined || hooks.length > 0 || linksFrom !== undefined ||
        config.parser === "parse5";
      const $ = pageNeedsDom
        ? dom!.loadHtml(decodeHtml(job.body, job.contentType), config.parser)
        : undefined;
      const result: ParseResult = finishPage(
        $ ? dom!.scanDocument($, config) : scanBody(job.body, job.contentType, config),
        job.url,
        config,
      );
      if (!$) return result;
      if (rule) {
        const { data, dataErrors } = rules!.extract($, job.url, rule);
        result.data = data;
        if (dataErrors.length > 0) result.dataErrors = dataErrors;
      }
      if (linksFrom !== undefined) {
        const allowed = new Set(
          extracting!.linksFromSelector($, linksFrom, job.url).map((href) =>
            normalizeUrl(href, undefined, config)
          ),
        );
        result.follow = result.follow.filter((link) => allowed.has(link));
      }
      for (const hook of hooks) {
        const data = hook($, { url: job.url, parsed: result });
        if (data) result.data = { ...result.data, ...data };
      }
      return result;
    },
  };
}
