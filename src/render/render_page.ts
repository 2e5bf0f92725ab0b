/**
 * Rendering one page in a tab: navigate, let the page's scripts run, and
 * take the DOM once the page is done (`page_done.ts`: loaded and the network
 * idle for `idleMs`, or `waitFor` matching), all under the whole-request
 * deadline. Every request the page makes is paused and judged
 * first: the main document's own navigations (HTTP redirects, and the page
 * sending itself elsewhere) like redirects of a fetched page, the rest by
 * the tab's request policy (`intercept.ts`), refused ones noted in the page.
 *
 * @module
 */

import type { ErrorCode } from "../output/record.ts";
import { startDeadline } from "../http/deadline.ts";
import { type FetchedPage, type HopCheck, unfetchedPage } from "../http/request.ts";
import { CdpClosedError, type CdpParams } from "./cdp.ts";
import { judgeSubresource, navigationError, type SubresourceRules } from "./intercept.ts";
import { type DoneRule, PageDone } from "./page_done.ts";
import type { Tab } from "./tab.ts";

/** How one page is rendered. */
export interface RenderPageOptions extends SubresourceRules, DoneRule {
  /** The crawl's signal: aborting it ends the render with `error: "aborted"`. */
  signal: AbortSignal;
  /** The whole-request deadline (navigation, redirects, scripts, idle wait), in ms. */
  timeoutMs: number;
  /** Most bytes of serialized DOM kept; past it the page is `too_large`. */
  maxBytes: number;
  /** Most navigations after the first (HTTP redirects and the page's own). */
  maxRedirects: number;
  /** Extra headers for one navigation request (credentials for the seeds' origins). */
  headersFor?: (url: string) => Promise<Record<string, string>> | Record<string, string>;
  /** Checks each later navigation of the main document, like a redirect target. */
  checkHop?: HopCheck;
  /** Waits for the host slot of a navigation target before it is requested. */
  waitHop?: (url: string, signal: AbortSignal) => Promise<void>;
}

/** A rendered page, and whether its tab may render the next one. */
export interface RenderResult {
  /** The page: `rendered: true`, the serialized DOM as its body. */
  page: FetchedPage;
  /** `false` when the tab crashed or was left in doubt: close it. */
  reusable: boolean;
}

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
/** Most refused requests noted in one record: a page looping on them must not bloat it. */
export const MAX_BLOCKED_NOTED = 100;
const ENCODER = new TextEncoder();

/** Serializes the DOM as it is now, doctype included. */
const SERIALIZE = `(() => {
  const d = document.doctype;
  return (d ? new XMLSerializer().serializeToString(d) : "") + document.documentElement.outerHTML;
})()`;

/** The render ended early with a record of its own. */
class RenderStop extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly url?: string) {
    super(message);
  }
}

/**
 * Renders one page in a tab.
 *
 * @param tab A set-up tab (on `about:blank`).
 * @param url The page.
 * @param options Deadline, limits, the wait condition and the request checks.
 * @returns The page, never throwing for a page's or the browser's failure:
 * those come back as error codes (`render_crash` when the tab or browser went
 * away, `timeout` when the deadline passed before the page was done).
 *
 * @example Usage
 * ```ts ignore
 * import { renderPage } from "./render_page.ts";
 *
 * const { page } = await renderPage(tab, "https://example.org/", {
 *   signal, timeoutMs: 30_000, maxBytes: 10_000_000, maxRedirects: 10, idleMs: 500,
 *   allowHeavy: false, checkRequest: () => Promise.resolve(undefined),
 * });
 * ```
 */
export async function renderPage(
  tab: Tab,
  url: string,
  options: RenderPageOptions,
): Promise<RenderResult> {
  const started = performance.now();
  const page = unfetchedPage(url);
  page.rendered = true;
  const blocked: { url: string; error: ErrorCode }[] = [];
  using limit = startDeadline(options.timeoutMs, options.signal);
  const signal = limit.signal;
  // The main frame's id is the target's: it stays across navigations.
  const mainFrame = tab.targetId;
  /** Main-document URLs requested, in order: the first, then each redirect or navigation. */
  const navigations: string[] = [];
  const statuses = new Map<string, number>();
  let response: CdpParams | undefined;
  let active = true;
  const stopped = Promise.withResolvers<never>();
  stopped.promise.catch(() => {});
  const stop = (error: RenderStop) => stopped.reject(error);

  const onPaused = async (event: CdpParams) => {
    const { requestId, request, resourceType, frameId } = event;
    const fail = () =>
      tab.send("Fetch.failRequest", { requestId, errorReason: "BlockedByClient" }).catch(() => {});
    if (!active) return void fail();
    try {
      if (resourceType === "Document" && frameId === mainFrame) {
        const target: string = request.url;
        if (navigations.length > 0) {
          // A redirect, or the page sending itself elsewhere: checked like a redirect hop.
          const refusal = navigations.includes(target)
            ? "redirect_loop"
            : navigations.length > options.maxRedirects
            ? "too_many_redirects"
            : await options.checkHop?.(target, signal);
          if (refusal) {
            stop(new RenderStop(refusal, `navigation refused: ${target}`, target));
            return void await fail();
          }
          if (options.waitHop) {
            using _paused = limit.pause();
            await options.waitHop(target, options.signal);
          }
        }
        navigations.push(target);
        const extra = await options.headersFor?.(target);
        await tab.send("Fetch.continueRequest", {
          requestId,
          headers: withHeaders(request, extra),
        });
        return;
      }
      const verdict = await judgeSubresource({ url: request.url, resourceType }, options, signal);
      if (verdict.allow) {
        await tab.send("Fetch.continueRequest", { requestId, headers: withHeaders(request) });
        return;
      }
      if (verdict.error && blocked.length < MAX_BLOCKED_NOTED) {
        blocked.push({ url: request.url, error: verdict.error });
      }
      await fail();
    } catch {
      // The render is over (deadline, crash): the request is refused or dies with its tab.
      await fail();
    }
  };

  /**
   * The request's headers with the crawl's own (and `extra`) added where
   * missing: a worker's requests do not get the tab's by themselves.
   * `undefined` (send them unchanged) when nothing is missing.
   */
  const withHeaders = (request: CdpParams, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { ...request.headers };
    const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    let added = false;
    for (const [name, value] of Object.entries({ ...tab.identity.headers, ...extra })) {
      if (present.has(name.toLowerCase()) && !(name in extra)) continue;
      headers[name] = value;
      added = true;
    }
    return added
      ? Object.entries(headers).map(([name, value]) => ({ name, value: String(value) }))
      : undefined;
  };

  const listeners = new DisposableStack();
  const done = listeners.use(new PageDone(tab, options));
  listeners.use(tab.on("Fetch.requestPaused", (event) => void onPaused(event)));
  listeners.use(tab.on("Network.requestWillBeSent", (event) => {
    if (event.redirectResponse && event.type === "Document" && event.frameId === mainFrame) {
      statuses.set(event.redirectResponse.url, event.redirectResponse.status);
    }
  }));
  listeners.use(tab.on("Network.responseReceived", (event) => {
    if (event.type === "Document" && event.frameId === mainFrame) {
      response = event.response;
      statuses.set(event.response.url, event.response.status);
    }
  }));
  const deadline = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  deadline.catch(() => {});
  const race = <T>(promise: Promise<T>) =>
    Promise.race([promise, deadline, stopped.promise, tab.gone]);

  let reusable = true;
  let refusedAt: string | undefined;
  try {
    const navigation = await race(tab.send("Page.navigate", { url }));
    if (navigation.errorText) {
      // A refusal of ours shows as ERR_BLOCKED_BY_CLIENT: the refusal is the record's error.
      await Promise.race([stopped.promise, Promise.resolve()]);
      if (!response) {
        throw new RenderStop(
          navigationError(navigation.errorText),
          `navigation failed: ${navigation.errorText}`,
        );
      }
    }
    if (response) describeResponse(page, response);
    const status = page.status ?? 0;
    if (status >= 400) {
      page.error = status >= 500 ? "http_5xx" : "http_4xx";
      page.errorMessage = `HTTP ${status}`;
    } else if (navigation.errorText) {
      // An answer the browser would not show (a download, a 204): recorded, not rendered.
    } else if (page.contentType === null || HTML_TYPES.has(page.contentType)) {
      await race(done.promise);
      const { result } = await race(
        tab.send("Runtime.evaluate", { expression: SERIALIZE, returnByValue: true }),
      );
      const html = String(result?.value ?? "");
      const body = ENCODER.encode(html);
      // The page may have navigated itself while idle: the record describes the last document.
      if (response) describeResponse(page, response);
      if (body.byteLength > options.maxBytes) {
        throw new RenderStop("too_large", `rendered page larger than ${options.maxBytes} bytes`);
      }
      page.body = body;
      page.bytes = body.byteLength;
      page.contentType = "text/html";
      // The DOM is serialized as UTF-8, whatever charset the page was sent in.
      page.headers = new Headers(page.headers ?? undefined);
      page.headers.set("content-type", "text/html; charset=utf-8");
    }
  } catch (error) {
    const { code, message, url: at } = classify(error, options.signal);
    // A crashed tab is closed; after anything else, the reset below tells.
    if (code === "render_crash" || code === "aborted") reusable = false;
    page.error = code;
    page.errorMessage = message;
    refusedAt = at;
  } finally {
    active = false;
    listeners.dispose();
    // A refused navigation was never made: every URL requested before it is a hop.
    const hops = refusedAt === undefined ? navigations.slice(0, -1) : navigations;
    page.redirects = hops.map((hop) => ({ url: hop, status: statuses.get(hop) ?? 200 }));
    if (refusedAt !== undefined) page.url = refusedAt;
    if (blocked.length > 0) page.blockedRequests = blocked;
    page.durationMs = performance.now() - started;
  }
  if (reusable) reusable = await reset(tab);
  return { page, reusable };
}

/** Fills in what the main document's response said. */
function describeResponse(page: FetchedPage, response: CdpParams): void {
  page.url = response.url;
  page.status = response.status;
  page.headers = new Headers(
    Object.entries(response.headers ?? {}).flatMap(([name, value]) =>
      String(value).split("\n").map((line): [string, string] => [name, line])
    ),
  );
  const type = String(response.mimeType ?? "").toLowerCase();
  page.contentType = type === "" ? null : type;
}

function classify(
  error: unknown,
  crawlSignal: AbortSignal,
): { code: ErrorCode; message: string; url?: string } {
  if (crawlSignal.aborted) return { code: "aborted", message: "crawl cancelled" };
  if (error instanceof RenderStop) {
    return { code: error.code, message: error.message, url: error.url };
  }
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return { code: "timeout", message: "request deadline passed before the page was done" };
  }
  if (error instanceof CdpClosedError) return { code: "render_crash", message: error.message };
  return { code: "render_crash", message: error instanceof Error ? error.message : String(error) };
}

/**
 * Sends the tab back to `about:blank`, which stops the last page's scripts
 * and requests. A tab that does not get there soon is not trusted again.
 */
async function reset(tab: Tab): Promise<boolean> {
  const timeout = AbortSignal.timeout(5_000);
  const timedOut = new Promise<false>((resolve) =>
    timeout.addEventListener("abort", () => resolve(false), { once: true })
  );
  try {
    return await Promise.race([
      tab.send("Page.navigate", { url: "about:blank" }).then(() => true),
      timedOut,
      tab.gone,
    ]);
  } catch {
    return false;
  }
}
