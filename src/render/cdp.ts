/**
 * The Chrome DevTools Protocol over Deno's own WebSocket: one connection to
 * the browser, flat sessions (`Target.attachToTarget` with `flatten`) for its
 * tabs, commands matched to answers by id, events handed to listeners. When
 * the socket closes (the browser exited or crashed), every command waiting
 * for an answer rejects with {@linkcode CdpClosedError}, and so does every
 * command of a session once its target is detached (a tab closed or crashed).
 *
 * @module
 */

/** A command's parameters or an event's payload: CDP's JSON objects. */
// deno-lint-ignore no-explicit-any
export type CdpParams = Record<string, any>;

/** A listener for one event: its payload, and the session it came from (if any). */
export type CdpListener = (params: CdpParams, sessionId: string | undefined) => void;

/** The browser (or one of its tabs) went away while a command waited for its answer. */
export class CdpClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went away.
   */
  constructor(message: string) {
    super(message);
    this.name = "CdpClosedError";
  }
}

/** The browser answered a command with an error. */
export class CdpCommandError extends Error {
  /**
   * Creates the error.
   *
   * @param method The command.
   * @param message The browser's message.
   */
  constructor(method: string, message: string) {
    super(`${method}: ${message}`);
    this.name = "CdpCommandError";
  }
}

interface Pending {
  method: string;
  sessionId: string | undefined;
  resolve: (result: CdpParams) => void;
  reject: (error: Error) => void;
}

/**
 * One DevTools connection.
 *
 * @example Usage
 * ```ts ignore
 * import { CdpConnection } from "./cdp.ts";
 *
 * const cdp = await CdpConnection.connect("ws://127.0.0.1:9222/devtools/browser/...");
 * const { product } = await cdp.send("Browser.getVersion");
 * cdp.close();
 * ```
 */
export class CdpConnection {
  #socket: WebSocket;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Map<string, Set<CdpListener>>();
  #closedError: CdpClosedError | undefined;
  #closed: PromiseWithResolvers<void> = Promise.withResolvers();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => this.#receive(String(event.data));
    socket.onclose = () => this.#shut(new CdpClosedError("the browser closed its connection"));
    socket.onerror = () => this.#shut(new CdpClosedError("the browser's connection failed"));
  }

  /**
   * Opens a connection.
   *
   * @param url The browser's `ws://` DevTools URL.
   * @param signal Aborting it closes the socket; the call rejects with its reason.
   * @returns The open connection.
   * @throws {CdpClosedError} If the socket cannot be opened.
   */
  static async connect(url: string, signal?: AbortSignal): Promise<CdpConnection> {
    signal?.throwIfAborted();
    const socket = new WebSocket(url);
    const opened = Promise.withResolvers<void>();
    const onAbort = () => {
      socket.close();
      opened.reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.onopen = () => opened.resolve();
    socket.onerror = () => opened.reject(new CdpClosedError(`cannot connect to ${url}`));
    try {
      await opened.promise;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    return new CdpConnection(socket);
  }

  /** Resolves once the connection is closed, whoever closed it. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Whether the connection is closed. */
  get isClosed(): boolean {
    return this.#closedError !== undefined;
  }

  /**
   * Sends a command and waits for its answer.
   *
   * @param method The command, e.g. `Page.navigate`.
   * @param params Its parameters.
   * @param sessionId The tab's session, or none for the browser.
   * @returns The command's result.
   * @throws {CdpClosedError} If the connection or the session closes first.
   * @throws {CdpCommandError} If the browser answers with an error.
   */
  send(method: string, params: CdpParams = {}, sessionId?: string): Promise<CdpParams> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<CdpParams>();
    this.#pending.set(id, { method, sessionId, resolve, reject });
    this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    return promise;
  }

  /**
   * Listens to one event of one session (or of the browser).
   *
   * @param method The event, e.g. `Network.loadingFinished`.
   * @param listener Called with each one.
   * @param sessionId The session, or none for the browser's own events.
   * @returns A disposable that removes the listener.
   */
  on(method: string, listener: CdpListener, sessionId?: string): Disposable {
    const key = `${sessionId ?? ""}|${method}`;
    let set = this.#listeners.get(key);
    if (!set) this.#listeners.set(key, set = new Set());
    set.add(listener);
    return {
      [Symbol.dispose]: () => {
        set.delete(listener);
        if (set.size === 0 && this.#listeners.get(key) === set) this.#listeners.delete(key);
      },
    };
  }

  /**
   * Fails the commands still waiting on a session whose target went away,
   * and drops its listeners.
   *
   * @param sessionId The session.
   * @param reason Why it went away.
   */
  dropSession(sessionId: string, reason: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.sessionId !== sessionId) continue;
      this.#pending.delete(id);
      pending.reject(new CdpClosedError(reason));
    }
    const prefix = `${sessionId}|`;
    for (const key of this.#listeners.keys()) {
      if (key.startsWith(prefix)) this.#listeners.delete(key);
    }
  }

  /** Closes the connection; waiting commands reject. */
  close(): void {
    this.#shut(new CdpClosedError("the connection was closed"));
    try {
      this.#socket.close();
    } catch {
      // Closed already.
    }
  }

  #receive(text: string): void {
    let message: CdpParams;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.id === "number") {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) {
        pending.reject(new CdpCommandError(pending.method, String(message.error.message)));
      } else pending.resolve(message.result ?? {});
      return;
    }
    if (typeof message.method !== "string") return;
    const set = this.#listeners.get(`${message.sessionId ?? ""}|${message.method}`);
    if (!set) return;
    for (const listener of [...set]) listener(message.params ?? {}, message.sessionId);
  }

  #shut(error: CdpClosedError): void {
    if (this.#closedError) return;
    this.#closedError = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#listeners.clear();
    this.#closed.resolve();
  }
}
