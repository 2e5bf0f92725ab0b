/**
 * Finding, launching and closing headless Chromium (Debian's `chromium`; no
 * browser is downloaded at run time). The browser runs with a fresh profile
 * in a temporary directory, in a process group of its own (so a Ctrl-C on
 * the terminal reaches the crawler, which then closes it, not the browser
 * first), and speaks the DevTools protocol on a loopback port it picks
 * itself. {@linkcode Browser.close} ends the whole process group and removes
 * the profile, whatever state the browser is in. Where `setpriv` may be run,
 * the browser also dies with the crawler's process, even one killed with
 * SIGKILL.
 *
 * @module
 */

import { CdpConnection } from "./cdp.ts";

/** How to get chromium, for messages. */
export const INSTALL_HINT =
  "install it with `apt-get install -y chromium` (or set CHROMIUM=/path/to/chromium)";

/**
 * Flags every headless run needs on these machines: no sandbox (containers),
 * a fresh profile, and no background networking of the browser's own (its
 * update and sync requests would go around the crawler's request policy).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-breakpad",
  "--disable-crash-reporter",
  "--disable-dev-shm-usage",
  "--mute-audio",
  "--hide-scrollbars",
];

/**
 * The start of a rendering browser's profile folder name (in the temporary
 * folder): short, as chromium's socket path inside it must stay under 108
 * bytes; tests find the browser's processes by it.
 */
export const PROFILE_PREFIX = "deno-crawler-";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Finds a chromium binary: `$CHROMIUM`, then `/usr/bin/chromium`, then
 * `chromium` or `chromium-browser` on `$PATH`.
 *
 * @returns The binary's path, or `undefined` when there is none.
 *
 * @example Usage
 * ```ts
 * import { findChromium } from "./browser.ts";
 *
 * console.log(findChromium() ?? "no chromium");
 * ```
 */
export function findChromium(): string | undefined {
  try {
    const fromEnv = Deno.env.get("CHROMIUM");
    if (fromEnv) return isFile(fromEnv) ? fromEnv : undefined;
  } catch {
    // No env permission: look in the usual places.
  }
  if (isFile("/usr/bin/chromium")) return "/usr/bin/chromium";
  let path = "";
  try {
    path = Deno.env.get("PATH") ?? "";
  } catch {
    return undefined;
  }
  for (const dir of path.split(":").filter(Boolean)) {
    for (const name of ["chromium", "chromium-browser"]) {
      if (isFile(`${dir}/${name}`)) return `${dir}/${name}`;
    }
  }
  return undefined;
}

/** The browser could not be started. */
export class BrowserLaunchError extends Error {
  /**
   * Creates the error.
   *
   * @param message Why.
   */
  constructor(message: string) {
    super(message);
    this.name = "BrowserLaunchError";
  }
}

/** Options for {@linkcode Browser.launch}. */
export interface LaunchOptions {
  /** The binary; default {@linkcode findChromium}'s. */
  binary?: string;
  /** Aborting it stops the launch (the browser is closed); the call rejects. */
  signal?: AbortSignal;
  /** The longest the browser may take to start, in ms. Default 30 000. */
  timeoutMs?: number;
}

/** The lines of the browser's stderr kept for an error message. */
const TAIL_LINES = 8;

/**
 * One running browser.
 *
 * @example Usage
 * ```ts ignore
 * import { Browser } from "./browser.ts";
 *
 * await using browser = await Browser.launch();
 * const { product } = await browser.connection.send("Browser.getVersion");
 * ```
 */
export class Browser implements AsyncDisposable {
  /** The DevTools connection. */
  readonly connection: CdpConnection;
  /** The browser's process id (the leader of its process group). */
  readonly pid: number;
  #child: Deno.ChildProcess;
  #profile: string;
  #closing: Promise<void> | undefined;
  #exited: Promise<Deno.CommandStatus>;

  private constructor(
    connection: CdpConnection,
    child: Deno.ChildProcess,
    profile: string,
    exited: Promise<Deno.CommandStatus>,
  ) {
    this.connection = connection;
    this.#child = child;
    this.pid = child.pid;
    this.#profile = profile;
    this.#exited = exited;
  }

  /**
   * Starts a headless browser and connects to it.
   *
   * @param options The binary, a signal and a start-up deadline.
   * @returns The running browser.
   * @throws {BrowserLaunchError} If chromium is missing, may not be run, or
   * does not start.
   */
  static async launch(options: LaunchOptions = {}): Promise<Browser> {
    const binary = options.binary ?? findChromium();
    if (binary === undefined) {
      throw new BrowserLaunchError(
        `Cannot render pages as chromium was not found: ${INSTALL_HINT}`,
      );
    }
    if (Deno.permissions.querySync({ name: "run", command: binary }).state !== "granted") {
      throw new BrowserLaunchError(
        `Cannot render pages as Deno's permissions do not allow running ${binary}: run with -P ` +
          `(deno.json's permission set allows chromium) or add --allow-run=${binary}`,
      );
    }
    const profile = await Deno.makeTempDir({ prefix: PROFILE_PREFIX });
    // No network prediction: the browser would open connections (preconnect, prefetch of a
    // navigation) before the crawler's interception sees a request. Its temporary files go in
    // the profile, removed with it.
    await Deno.mkdir(`${profile}/Default`, { recursive: true });
    await Deno.mkdir(`${profile}/t`);
    await Deno.writeTextFile(
      `${profile}/Default/Preferences`,
      JSON.stringify({ net: { network_prediction_options: 2 } }),
    );
    // Through setpriv, the browser gets SIGKILL when the crawler's thread that started it dies,
    // however it dies (kill -9 included); without it, only the ways out the crawler sees.
    const guard = deathSignalGuard();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(guard ?? binary, {
        args: [
          ...(guard ? ["--pdeathsig", "SIGKILL", "--", binary] : []),
          ...CHROMIUM_FLAGS,
          `--user-data-dir=${profile}`,
          "--remote-debugging-address=127.0.0.1",
          "--remote-debugging-port=0",
          // Every frame in its page's process: the page's request interception sees them all.
          "--disable-site-isolation-trials",
          "--disable-features=IsolateOrigins,site-per-process",
          "about:blank",
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        env: { TMPDIR: `${profile}/t` },
        // A process group of its own: a terminal's Ctrl-C goes to the crawler, which closes it.
        detached: true,
      }).spawn();
    } catch (error) {
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw new BrowserLaunchError(`Cannot render pages as ${binary} did not start: ${error}`);
    }
    const exited = child.status;
    const endpoint = Promise.withResolvers<string>();
    const tail: string[] = [];
    // Read stderr to its end: the endpoint line first, then drained so the browser never blocks.
    (async () => {
      let pending = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          const found = /DevTools listening on (ws:\/\/\S+)/.exec(line);
          if (found) endpoint.resolve(found[1]!);
          else if (line.trim() && !/dbus|Fontconfig/i.test(line)) {
            tail.push(line);
            if (tail.length > TAIL_LINES) tail.shift();
          }
        }
      }
    })().catch(() => {}).finally(() =>
      endpoint.reject(
        new BrowserLaunchError(
          `Cannot render pages as chromium exited before it listened:\n${tail.join("\n")}`,
        ),
      )
    );
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(
      () =>
        endpoint.reject(
          new BrowserLaunchError(
            `Cannot render pages as chromium did not start in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () => endpoint.reject(options.signal!.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let connection: CdpConnection;
    try {
      connection = await CdpConnection.connect(await endpoint.promise, options.signal);
      // Downloads are refused browser-wide: a crawler reads pages, it does not save files.
      await connection.send("Browser.setDownloadBehavior", { behavior: "deny" });
    } catch (error) {
      await stop(child, exited, profile);
      if (error instanceof Deno.errors.NotCapable) {
        throw new BrowserLaunchError(
          "Cannot render pages as Deno's permissions deny the browser's DevTools port on " +
            "127.0.0.1 (-P=public denies loopback): run with -P",
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const browser = new Browser(connection, child, profile, exited);
    // The browser exiting by itself (a crash, a kill) closes the connection at once.
    exited.then(() => connection.close());
    return browser;
  }

  /** Resolves when the browser's process has exited (closed, crashed or killed). */
  get exited(): Promise<unknown> {
    return this.#exited;
  }

  /**
   * Closes the browser: asks it to quit, ends its process group, waits for
   * the process, removes the profile. Safe to call more than once, and
   * after a crash.
   *
   * @returns A promise that resolves once nothing of the browser is left.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.connection.close();
      await stop(this.#child, this.#exited, this.#profile);
    })();
    return this.#closing;
  }

  /** Closes the browser (see {@linkcode Browser.close}). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * `setpriv` (util-linux, on every Debian), when it is there and Deno may run
 * it: it sets the parent-death signal and then becomes the browser.
 */
function deathSignalGuard(): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  for (const path of ["/usr/bin/setpriv", "/bin/setpriv"]) {
    if (!isFile(path)) continue;
    const state = Deno.permissions.querySync({ name: "run", command: path }).state;
    return state === "granted" ? path : undefined;
  }
  return undefined;
}

/** Ends a browser's process group for good, then removes its profile. */
async function stop(
  child: Deno.ChildProcess,
  exited: Promise<Deno.CommandStatus>,
  profile: string,
): Promise<void> {
  // The whole group (browser, zygotes, renderers, GPU and network services): SIGKILL leaves
  // no child behind, and a headless browser has nothing worth a graceful exit.
  killGroup(child.pid);
  try {
    child.kill("SIGKILL");
  } catch {
    // Exited already.
  }
  await exited;
  killGroup(child.pid);
  await Deno.remove(profile, { recursive: true }).catch(() => {});
}

function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}
