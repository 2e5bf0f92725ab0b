/**
 * The renderer: the fetch stage's second way to get a page. It owns the tab
 * pool of one headless browser and renders the URLs the crawl chose for it,
 * with the crawl's checks for every request the page makes. What it returns
 * is a `FetchedPage` like any other (`rendered: true`, the serialized DOM as
 * its body), so the channel and the parse stage do not care where HTML came
 * from.
 *
 * @module
 */

import type { FetchedPage } from "../http/request.ts";
import { unfetchedPage } from "../http/request.ts";
import type { LaunchOptions } from "./browser.ts";
import type { Browser } from "./browser.ts";
import { renderPage, type RenderPageOptions } from "./render_page.ts";
import { TabPool } from "./tab_pool.ts";

/** How a renderer renders, for the whole crawl. */
export interface RendererOptions {
  /** Which URLs are rendered (`renderChoice()` of the crawl's options). */
  match: (url: string) => boolean;
  /** Tabs rendering at once. */
  tabs: number;
  /** The User-Agent of every request the browser makes. */
  userAgent: string;
  /** Headers sent with every request the browser makes (no secrets: those go per navigation). */
  headers: Record<string, string>;
  /** Network quiet time that ends a page, in ms. */
  idleMs: number;
  /** A selector that ends a page instead. */
  waitFor?: string;
  /** Let images, fonts and media load. */
  allowHeavy: boolean;
  /** The whole-request deadline, in ms. */
  timeoutMs: number;
  /** Most bytes of serialized DOM. */
  maxBytes: number;
  /** Most navigations after the first. */
  maxRedirects: number;
  /** Starts a browser; default: Debian's chromium. */
  launch?: (options: LaunchOptions) => Promise<Browser>;
}

/** What one render is checked with: the crawl's policy for this page's requests. */
export type RenderChecks = Pick<
  RenderPageOptions,
  "signal" | "checkRequest" | "checkHop" | "waitHop" | "headersFor"
>;

/**
 * Renders pages in a pool of browser tabs.
 *
 * @example Usage
 * ```ts ignore
 * import { Renderer } from "./renderer.ts";
 *
 * await using renderer = await Renderer.start({
 *   match: () => true, tabs: 2, userAgent: "bot/1", headers: {}, idleMs: 500, allowHeavy: false,
 *   timeoutMs: 30_000, maxBytes: 10_000_000, maxRedirects: 10,
 * });
 * const page = await renderer.render("https://example.org/", {
 *   signal: AbortSignal.timeout(60_000),
 *   checkRequest: () => Promise.resolve(undefined),
 * });
 * ```
 */
export class Renderer implements AsyncDisposable {
  #options: RendererOptions;
  #pool: TabPool;

  private constructor(options: RendererOptions) {
    this.#options = options;
    this.#pool = new TabPool({
      size: options.tabs,
      identity: { userAgent: options.userAgent, headers: options.headers },
      launch: options.launch,
    });
  }

  /**
   * Starts the browser, so one that cannot start fails the crawl up front.
   *
   * @param options How pages are rendered.
   * @param signal Aborts the start.
   * @returns The renderer; close it (or `await using` it) at the end.
   * @throws {BrowserLaunchError} If the browser cannot start.
   */
  static async start(options: RendererOptions, signal?: AbortSignal): Promise<Renderer> {
    const renderer = new Renderer(options);
    try {
      await renderer.#pool.start(signal);
    } catch (error) {
      await renderer.close();
      throw error;
    }
    return renderer;
  }

  /**
   * Whether a URL is rendered, or fetched.
   *
   * @param url The URL.
   * @returns `true` to render it.
   */
  wants(url: string): boolean {
    return this.#options.match(url);
  }

  /** Browsers started to replace one that crashed or was killed. */
  get restarts(): number {
    return this.#pool.restarts;
  }

  /** Tabs rendering now. */
  get busy(): number {
    return this.#pool.busy;
  }

  /**
   * Renders one page in a free tab (waiting for one, outside the deadline).
   *
   * @param url The page.
   * @param checks The crawl's signal and its checks of this page's requests.
   * @returns The page; a browser that could not be (re)started is a
   * `render_crash` page, retried like one.
   * @throws The signal's reason when the crawl is aborted while waiting for a tab.
   */
  async render(url: string, checks: RenderChecks): Promise<FetchedPage> {
    let lease;
    try {
      lease = await this.#pool.acquire(checks.signal);
    } catch (error) {
      checks.signal.throwIfAborted();
      return unfetchedPage(url, {
        error: "render_crash",
        message: `no browser tab: ${error instanceof Error ? error.message : error}`,
      });
    }
    const o = this.#options;
    let reusable = false;
    try {
      const result = await renderPage(lease.tab, url, {
        ...checks,
        timeoutMs: o.timeoutMs,
        maxBytes: o.maxBytes,
        maxRedirects: o.maxRedirects,
        idleMs: o.idleMs,
        waitFor: o.waitFor,
        allowHeavy: o.allowHeavy,
      });
      reusable = result.reusable;
      return result.page;
    } finally {
      lease.release(reusable);
    }
  }

  /**
   * Closes every tab and the browser.
   *
   * @returns A promise that resolves once no browser process is left.
   */
  close(): Promise<void> {
    return this.#pool.close();
  }

  /** Closes the renderer (see {@linkcode Renderer.close}). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
