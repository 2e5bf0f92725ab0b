/**
 * When a rendered page is done: once it has loaded (its `load` event) and
 * the network has been idle for `idleMs` (no request of the page or its
 * frames in flight), or, with a selector to wait for, as soon as the selector
 * matches an element (watched with a `MutationObserver` in the page, not
 * polled). A navigation of the main document starts the wait over.
 *
 * @module
 */

import type { CdpParams } from "./cdp.ts";
import type { Tab } from "./tab.ts";

/** What ends the wait for a page. */
export interface DoneRule {
  /** How long the network must be quiet after the load event, in ms. */
  idleMs: number;
  /** A CSS selector: the page is done as soon as it matches (the idle rule is then not used). */
  waitFor?: string;
}

/** Resolves once `selector` matches, watching the DOM change. */
function waitForScript(selector: string): string {
  const s = JSON.stringify(selector);
  return `new Promise((resolve) => {
    if (document.querySelector(${s})) return resolve(true);
    new MutationObserver((_, observer) => {
      if (document.querySelector(${s})) { observer.disconnect(); resolve(true); }
    }).observe(document, { childList: true, subtree: true, attributes: true });
  })`;
}

/**
 * Watches one tab for its page being done; dispose it when the render ends.
 *
 * @example Usage
 * ```ts ignore
 * import { PageDone } from "./page_done.ts";
 *
 * using done = new PageDone(tab, { idleMs: 500 });
 * await tab.send("Page.navigate", { url });
 * await done.promise;
 * ```
 */
export class PageDone implements Disposable {
  #done = Promise.withResolvers<void>();
  #listeners = new DisposableStack();
  /** Requests of the page (and its frames) not finished yet: id → URL and document (loader). */
  #inFlight = new Map<string, { url: string; loader: string }>();
  #loaded = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #rule: DoneRule;
  #tab: Tab;

  /**
   * Starts watching (before the navigation, so no event is missed).
   *
   * @param tab The tab.
   * @param rule The idle time and the selector.
   */
  constructor(tab: Tab, rule: DoneRule) {
    this.#tab = tab;
    this.#rule = rule;
    const on = (method: string, listener: (event: CdpParams) => void) =>
      this.#listeners.use(tab.on(method, listener));
    on("Network.requestWillBeSent", (event) => {
      this.#inFlight.set(event.requestId, { url: event.request?.url, loader: event.loaderId });
      this.#busy();
    });
    const finished = (event: CdpParams) => {
      this.#inFlight.delete(event.requestId);
      this.#settle();
    };
    on("Network.loadingFinished", finished);
    on("Network.loadingFailed", finished);
    // A worker's main script is reported sent on the page but finished on the worker's own
    // session: the worker starting is its end here.
    on("Target.attachedToTarget", ({ targetInfo }) => {
      for (const [id, { url }] of this.#inFlight) {
        if (url === targetInfo?.url) this.#inFlight.delete(id);
      }
      this.#settle();
    });
    // A new document in the main frame ends the old one's requests, its own included, and the
    // browser does not always say so (a page that navigates before its body has ended): only
    // the new document's requests are waited for.
    on("Page.frameNavigated", ({ frame, type }) => {
      if (frame?.id !== tab.targetId) return;
      // Nor has the new document loaded yet, whatever the old one's load event said (a page
      // restored from the back/forward cache fires no new one).
      if (type !== "BackForwardCacheRestore") this.#loaded = false;
      for (const [id, { loader }] of this.#inFlight) {
        if (loader !== frame.loaderId) this.#inFlight.delete(id);
      }
      this.#settle();
    });
    on("Page.frameStartedLoading", (event) => {
      if (event.frameId !== tab.targetId) return;
      this.#loaded = false;
      this.#busy();
    });
    on("Page.loadEventFired", () => {
      this.#loaded = true;
      this.#settle();
    });
    on("Page.domContentEventFired", () => this.#watchSelector());
  }

  /** Resolves when the page is done. */
  get promise(): Promise<void> {
    return this.#done.promise;
  }

  /** Stops watching. */
  [Symbol.dispose](): void {
    this.#busy();
    this.#listeners.dispose();
  }

  #settle(): void {
    // With a selector to wait for, only the selector ends the wait.
    if (
      this.#rule.waitFor === undefined && this.#loaded && this.#inFlight.size === 0 &&
      this.#timer === undefined
    ) {
      this.#timer = setTimeout(() => this.#done.resolve(), this.#rule.idleMs);
    }
  }

  #busy(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #watchSelector(): void {
    if (this.#rule.waitFor === undefined) return;
    this.#tab.send("Runtime.evaluate", {
      expression: waitForScript(this.#rule.waitFor),
      awaitPromise: true,
      returnByValue: true,
    }).then((result) => {
      if (result.result?.value === true) this.#done.resolve();
    }, () => {
      // The document went away (a navigation): the next one is watched in its turn.
    });
  }
}
