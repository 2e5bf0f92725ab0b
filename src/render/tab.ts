/**
 * One browser tab, set up for crawling: every request it makes is paused
 * for the crawler to decide (`Fetch.enable`), WebSockets, WebTransport,
 * WebRTC, shared and service workers (and workers inside workers) are
 * refused in the page and its workers (the interception cannot see them),
 * service workers are bypassed, `window.open` returns nothing,
 * and its User-Agent and extra headers are the crawl's. A tab that crashes,
 * or whose browser goes away, is {@linkcode Tab.gone}.
 *
 * @module
 */

import type { CdpConnection, CdpListener, CdpParams } from "./cdp.ts";
import { CdpClosedError } from "./cdp.ts";

/** How a tab presents itself to sites. */
export interface TabIdentity {
  /** The User-Agent header (and `navigator.userAgent`). */
  userAgent: string;
  /** Headers sent with every request of the tab. */
  headers: Record<string, string>;
}

/**
 * Refuses what the request interception cannot see, in every realm before
 * its own scripts run: WebSockets, WebTransport and WebRTC; shared and
 * service workers (the tab's session never attaches them, so their
 * requests would go unchecked); and, inside a worker, workers of its own
 * (nested workers are not attached either).
 */
const NO_SOCKETS = `(() => {
  const refuse = function () {
    throw new DOMException("refused by the crawler", "SecurityError");
  };
  const names = ["WebSocket", "WebTransport", "RTCPeerConnection", "SharedWorker"];
  if (typeof WorkerGlobalScope !== "undefined") names.push("Worker");
  for (const name of names) {
    Object.defineProperty(globalThis, name, { value: refuse, writable: false, configurable: false });
  }
  if (typeof navigator !== "undefined" && "serviceWorker" in navigator) {
    Object.defineProperty(Object.getPrototypeOf(navigator), "serviceWorker", {
      get: () => undefined,
      configurable: false,
    });
  }
})();`;

/** Runs before any script of a page: no popups, no sockets. */
const PAGE_SCRIPT = `window.open = () => null;\n${NO_SOCKETS}`;

/** Targets a page starts that run scripts of their own. */
const WORKERS = new Set(["worker", "shared_worker", "service_worker"]);

/**
 * One tab of the browser, with its DevTools session.
 *
 * @example Usage
 * ```ts ignore
 * import { Browser } from "./browser.ts";
 * import { Tab } from "./tab.ts";
 *
 * await using browser = await Browser.launch();
 * const tab = await Tab.open(browser.connection, { userAgent: "bot/1", headers: {} });
 * await tab.send("Page.navigate", { url: "about:blank" });
 * await tab.close();
 * ```
 */
export class Tab {
  /** The target's id. */
  readonly targetId: string;
  /** The session's id. */
  readonly sessionId: string;
  /**
   * How the tab presents itself. (A worker's requests do not get the extra
   * headers by themselves: whoever continues a paused request adds them.)
   */
  readonly identity: TabIdentity;
  #cdp: CdpConnection;
  #gone = Promise.withResolvers<never>();
  #goneReason: string | undefined;

  private constructor(
    cdp: CdpConnection,
    targetId: string,
    sessionId: string,
    identity: TabIdentity,
  ) {
    this.#cdp = cdp;
    this.identity = identity;
    this.targetId = targetId;
    this.sessionId = sessionId;
    // Only ever observed through a race; no unhandled rejection when nobody races it.
    this.#gone.promise.catch(() => {});
    this.on("Inspector.targetCrashed", () => this.#lose("the tab crashed"));
    cdp.closed.then(() => this.#lose("the browser went away"));
  }

  /**
   * Opens a tab and sets it up.
   *
   * @param cdp The browser's connection.
   * @param identity The User-Agent and headers its requests carry.
   * @returns The tab, on `about:blank`.
   * @throws {CdpClosedError} If the browser goes away meanwhile.
   */
  static async open(cdp: CdpConnection, identity: TabIdentity): Promise<Tab> {
    const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
    const tab = new Tab(cdp, targetId, sessionId, identity);
    // A worker the page starts is paused until its globals lose their sockets too (its
    // requests are the page's, intercepted with them).
    tab.on("Target.attachedToTarget", ({ sessionId: child, targetInfo }) => {
      const run = () => cdp.send("Runtime.runIfWaitingForDebugger", {}, child).catch(() => {});
      if (!WORKERS.has(targetInfo?.type)) return void run();
      cdp.send("Runtime.evaluate", { expression: NO_SOCKETS }, child).catch(() => {}).then(run);
    });
    try {
      await Promise.all([
        tab.send("Inspector.enable"),
        tab.send("Page.enable"),
        tab.send("Network.enable"),
        tab.send("Runtime.enable"),
        tab.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Request" }] }),
        tab.send("Network.setBypassServiceWorker", { bypass: true }),
        tab.send("Network.setUserAgentOverride", { userAgent: identity.userAgent }),
        tab.send("Network.setExtraHTTPHeaders", { headers: identity.headers }),
        tab.send("Page.addScriptToEvaluateOnNewDocument", { source: PAGE_SCRIPT }),
        tab.send("Target.setAutoAttach", {
          autoAttach: true,
          waitForDebuggerOnStart: true,
          flatten: true,
        }),
        tab.send("Page.setLifecycleEventsEnabled", { enabled: true }),
      ]);
    } catch (error) {
      await tab.close();
      throw error;
    }
    return tab;
  }

  /** Rejects with a {@linkcode CdpClosedError} once the tab crashed or its browser went away. */
  get gone(): Promise<never> {
    return this.#gone.promise;
  }

  /** Whether the tab can no longer be used. */
  get lost(): boolean {
    return this.#goneReason !== undefined;
  }

  /**
   * Sends a command to the tab.
   *
   * @param method The command.
   * @param params Its parameters.
   * @returns Its result.
   * @throws {CdpClosedError} If the tab is gone.
   */
  send(method: string, params?: CdpParams): Promise<CdpParams> {
    if (this.#goneReason !== undefined) {
      return Promise.reject(new CdpClosedError(this.#goneReason));
    }
    return this.#cdp.send(method, params, this.sessionId);
  }

  /**
   * Listens to one of the tab's events.
   *
   * @param method The event.
   * @param listener Called with each one.
   * @returns A disposable that removes the listener.
   */
  on(method: string, listener: CdpListener): Disposable {
    return this.#cdp.on(method, listener, this.sessionId);
  }

  /**
   * Closes the tab (nothing happens when it is gone already).
   *
   * @returns A promise that resolves once it is closed.
   */
  async close(): Promise<void> {
    const wasLost = this.lost;
    this.#lose("the tab was closed");
    this.#cdp.dropSession(this.sessionId, "the tab was closed");
    if (wasLost && this.#cdp.isClosed) return;
    await this.#cdp.send("Target.closeTarget", { targetId: this.targetId }).catch(() => {});
  }

  #lose(reason: string): void {
    if (this.#goneReason !== undefined) return;
    this.#goneReason = reason;
    this.#cdp.dropSession(this.sessionId, reason);
    this.#gone.reject(new CdpClosedError(reason));
  }
}
