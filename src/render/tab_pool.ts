/**
 * The tab pool: at most `size` tabs of one browser, each rendering one page
 * at a time. Tabs are opened when first needed and reused; a tab that
 * crashed (or was left in doubt by a timeout) is closed and a new one opened
 * in its place; a browser that crashed or was killed is closed for good (its
 * whole process group, its profile) and a new one launched when a tab is
 * next needed. {@linkcode TabPool.close} closes everything, on every way out.
 *
 * @module
 */

import { Semaphore } from "../async/semaphore.ts";
import { Browser, type LaunchOptions } from "./browser.ts";
import { CdpClosedError } from "./cdp.ts";
import { Tab, type TabIdentity } from "./tab.ts";

/** Options for {@linkcode TabPool}. */
export interface TabPoolOptions {
  /** Most tabs at once. */
  size: number;
  /** How the tabs present themselves. */
  identity: TabIdentity;
  /** Starts a browser; default {@linkcode Browser.launch}. */
  launch?: (options: LaunchOptions) => Promise<Browser>;
}

/** A tab lent by the pool; give it back with `release()` (or by disposal, as healthy). */
export interface TabLease extends Disposable {
  /** The tab. */
  readonly tab: Tab;
  /**
   * Gives the tab back.
   *
   * @param healthy `false` closes the tab (a new one replaces it when needed).
   */
  release(healthy?: boolean): void;
}

/**
 * A bounded, self-healing pool of tabs in one browser.
 *
 * @example Usage
 * ```ts ignore
 * import { TabPool } from "./tab_pool.ts";
 *
 * await using pool = new TabPool({ size: 2, identity: { userAgent: "bot/1", headers: {} } });
 * using lease = await pool.acquire(AbortSignal.timeout(30_000));
 * await lease.tab.send("Page.navigate", { url: "about:blank" });
 * ```
 */
export class TabPool implements AsyncDisposable {
  #slots: Semaphore;
  #identity: TabIdentity;
  #launch: (options: LaunchOptions) => Promise<Browser>;
  #idle: Tab[] = [];
  #browser: Promise<Browser> | undefined;
  #browsers = new Set<Browser>();
  #closing: Promise<void> | undefined;
  #closingTabs = new Set<Promise<void>>();
  /** Browsers launched after the first (replacing a crashed or killed one). */
  restarts = 0;
  #launched = 0;
  /** Aborted by close(): a launch under way stops. */
  #stop = new AbortController();

  /**
   * Creates the pool; no browser starts before {@linkcode TabPool.start} or the first tab.
   *
   * @param options Size, identity and the launcher.
   * @throws {RangeError} If `size` is not a positive integer.
   */
  constructor(options: TabPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(
        `Cannot create tab pool as 'size' must be a positive integer: received ${options.size}`,
      );
    }
    this.#slots = new Semaphore(options.size);
    this.#identity = options.identity;
    this.#launch = options.launch ?? ((launchOptions) => Browser.launch(launchOptions));
  }

  /** Tabs rendering now. */
  get busy(): number {
    return this.#slots.max - this.#slots.available;
  }

  /**
   * Launches the browser now, so a browser that cannot start fails the crawl
   * before any page is taken.
   *
   * @param signal Aborts the launch.
   * @returns A promise that resolves once the browser runs.
   * @throws {BrowserLaunchError} If it cannot start.
   */
  async start(signal?: AbortSignal): Promise<void> {
    await this.#current(signal);
  }

  /**
   * Lends a tab, waiting for one to be free.
   *
   * @param signal Aborts the wait (and a browser launch it started).
   * @returns The lease.
   * @throws The signal's reason; a launch or tab-opening failure.
   */
  async acquire(signal?: AbortSignal): Promise<TabLease> {
    const permit = await this.#slots.acquire({ signal });
    let tab: Tab;
    try {
      tab = this.#takeIdle() ?? await this.#open(signal);
    } catch (error) {
      permit.release();
      throw error;
    }
    let released = false;
    const release = (healthy = true) => {
      if (released) return;
      released = true;
      if (healthy && !tab.lost && this.#closing === undefined) this.#idle.push(tab);
      else this.#retire(tab);
      permit.release();
    };
    return { tab, release, [Symbol.dispose]: () => release() };
  }

  /**
   * Closes every tab and browser; later `acquire()` calls fail.
   *
   * @returns A promise that resolves once no browser process is left.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.abort(new CdpClosedError("the tab pool is closed"));
      const idle = this.#idle.splice(0);
      await Promise.all(idle.map((tab) => tab.close()));
      await Promise.all(this.#closingTabs);
      // A launch under way finishes first, so its browser is closed too.
      await this.#browser?.catch(() => {});
      await Promise.all([...this.#browsers].map((browser) => browser.close()));
    })();
    return this.#closing;
  }

  /** Closes the pool (see {@linkcode TabPool.close}). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #takeIdle(): Tab | undefined {
    while (this.#idle.length > 0) {
      const tab = this.#idle.pop()!;
      if (!tab.lost) return tab;
    }
    return undefined;
  }

  async #open(signal?: AbortSignal): Promise<Tab> {
    const browser = await this.#current(signal);
    return await Tab.open(browser.connection, this.#identity);
  }

  #retire(tab: Tab): void {
    const closing = tab.close().finally(() => this.#closingTabs.delete(closing));
    this.#closingTabs.add(closing);
  }

  /** The running browser; a new one when there is none or the last one went away. */
  async #current(signal?: AbortSignal): Promise<Browser> {
    while (true) {
      if (this.#closing !== undefined) throw new CdpClosedError("the tab pool is closed");
      signal?.throwIfAborted();
      const pending = this.#browser;
      if (pending === undefined) {
        // One launch at a time: every tab waiting for it shares it.
        this.#browser = this.#start();
        continue;
      }
      let browser: Browser;
      try {
        browser = await pending;
      } catch (error) {
        if (this.#browser === pending) this.#browser = undefined;
        throw error;
      }
      if (!browser.connection.isClosed) return browser;
      if (this.#browser === pending) this.#browser = undefined;
    }
  }

  async #start(): Promise<Browser> {
    const browser = await this.#launch({ signal: this.#stop.signal });
    if (this.#launched++ > 0) this.restarts++;
    this.#browsers.add(browser);
    browser.exited.then(async () => {
      // Crashed, killed, or closed: its tabs are gone; the next tab starts a new browser.
      this.#idle = this.#idle.filter((tab) => !tab.lost);
      await browser.close();
      this.#browsers.delete(browser);
    });
    if (this.#closing !== undefined) {
      await browser.close();
      throw new CdpClosedError("the tab pool is closed");
    }
    return browser;
  }
}
