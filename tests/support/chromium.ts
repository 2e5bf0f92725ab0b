/**
 * Test helpers around Debian's headless chromium: find it, dump a page's
 * rendered DOM, take a screenshot, and decode the PNG it writes.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";

import {
  CHROMIUM_FLAGS,
  findChromium,
  INSTALL_HINT,
  PROFILE_PREFIX,
} from "../../src/render/browser.ts";

export { findChromium, INSTALL_HINT };

/** Whether a missing chromium fails the tests that need it (CI) instead of skipping them. */
const REQUIRED = Deno.env.get("REQUIRE_CHROMIUM") === "1";
let warned = false;

/**
 * Registers a test that needs chromium: ignored, with the install command
 * printed once, when chromium is missing, unless `REQUIRE_CHROMIUM=1`
 * (CI), which makes a missing chromium that test's failure.
 *
 * @param name The test's name.
 * @param fn The test.
 */
export function chromiumTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  const missing = findChromium() === undefined;
  if (missing && !REQUIRED && !warned) {
    warned = true;
    console.warn(
      `render: skipping the headless-chromium tests: chromium not found; ${INSTALL_HINT}`,
    );
  }
  Deno.test({
    name,
    ignore: missing && !REQUIRED,
    async fn(t) {
      if (missing) {
        throw new Error(`REQUIRE_CHROMIUM=1 but chromium was not found; ${INSTALL_HINT}`);
      }
      await fn(t);
    },
  });
}

/** One process, as /proc shows it. */
export interface ProcessInfo {
  /** Its id. */
  pid: number;
  /** Its parent's id. */
  ppid: number;
  /** Its command line, arguments joined by spaces. */
  cmdline: string;
}

/**
 * Every process running now, as `ps` lists them (Deno reads `/proc` only
 * with all permissions; `ps` reads it for us).
 */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-e", "-ww", "-o", "pid=,ppid=,args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").flatMap((line) => {
    const found = /^\s*(\d+)\s+(\d+)\s?(.*)$/.exec(line);
    return found ? [{ pid: Number(found[1]), ppid: Number(found[2]), cmdline: found[3]! }] : [];
  });
}

/**
 * The processes descended from `pid` (children, their children...).
 *
 * @param pid The ancestor; default this test process.
 * @returns Them.
 */
export async function descendants(pid: number = Deno.pid): Promise<ProcessInfo[]> {
  const all = await listProcesses();
  const found: ProcessInfo[] = [];
  const parents = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const process of all) {
      if (!parents.has(process.pid) && parents.has(process.ppid)) {
        parents.add(process.pid);
        found.push(process);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * The processes whose environment holds `NAME=value`: a test hands its
 * subprocess a unique mark, which every process it starts inherits, so
 * orphans (reparented away from the test) are found too.
 *
 * @param name The variable.
 * @param value Its value.
 * @returns Them.
 */
export async function processesMarked(name: string, value: string): Promise<ProcessInfo[]> {
  // `ps e` appends each process's environment to its command line.
  const { stdout } = await new Deno.Command("ps", {
    args: ["e", "-e", "-ww", "-o", "pid=,args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const mark = new RegExp(`(^|\\s)${name}=${value}(\\s|$)`);
  return new TextDecoder().decode(stdout).split("\n").flatMap((line) => {
    const found = /^\s*(\d+)\s?(.*)$/.exec(line);
    return found && mark.test(found[2]!)
      ? [{ pid: Number(found[1]), ppid: 0, cmdline: found[2]! }]
      : [];
  });
}

/** The browser processes (not their helpers) started by the renderer among `processes`. */
export function renderBrowsers(processes: ProcessInfo[]): ProcessInfo[] {
  return processes.filter(({ cmdline }) =>
    cmdline.includes(`--user-data-dir=`) && cmdline.includes(`/${PROFILE_PREFIX}`) &&
    !cmdline.includes("--type=")
  );
}

/** Options for {@linkcode screenshot} and {@linkcode dumpDom}. */
export interface ChromiumOptions {
  /** Aborting it kills chromium; the call rejects. */
  signal?: AbortSignal;
}

/** Options for {@linkcode dumpDom}. */
export interface DumpDomOptions extends ChromiumOptions {
  /** The window's size, px, for a page whose scripts measure its layout. */
  window?: { width: number; height: number };
}

/** Options for {@linkcode screenshot}. */
export interface ScreenshotOptions extends ChromiumOptions {
  /** Viewport width, px. */
  width: number;
  /** Viewport height, px. */
  height: number;
}

async function runChromium(args: string[], signal?: AbortSignal): Promise<string> {
  const binary = findChromium();
  if (binary === undefined) {
    throw new Error(`Cannot run chromium as it was not found: ${INSTALL_HINT}`);
  }
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(binary, {
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    signal?.throwIfAborted();
    if (code !== 0) {
      const tail = new TextDecoder().decode(stderr).trim().split("\n").slice(-5).join("\n");
      throw new Error(`Cannot run chromium as it exited with code ${code}:\n${tail}`);
    }
    return new TextDecoder().decode(stdout);
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot take screenshot as '${name}' must be a positive integer: received ${value}`,
    );
  }
}

/**
 * Loads a local HTML file in headless chromium and writes a PNG of the viewport.
 *
 * @param htmlPath The HTML file (absolute or relative to the working directory).
 * @param pngPath Where the PNG goes.
 * @param options Viewport size and an abort signal.
 * @returns A promise that resolves once the PNG is written.
 * @throws {RangeError} If the size is not positive integers.
 * @throws {Error} If chromium is missing or fails.
 *
 * @example Usage
 * ```ts ignore
 * import { screenshot } from "./chromium.ts";
 * await screenshot("report.html", "report.png", { width: 1280, height: 900 });
 * ```
 */
export async function screenshot(
  htmlPath: string,
  pngPath: string,
  options: ScreenshotOptions,
): Promise<void> {
  checkSize("width", options.width);
  checkSize("height", options.height);
  await runChromium([
    `--window-size=${options.width},${options.height}`,
    `--screenshot=${resolve(pngPath)}`,
    pathToFileURL(htmlPath).href,
  ], options.signal);
}

/**
 * Loads a local HTML file in headless chromium and returns the DOM as
 * rendered (serialized after parsing, so it shows what the browser built).
 *
 * @param htmlPath The HTML file.
 * @param options An abort signal, and the window size.
 * @returns The serialized DOM.
 * @throws {Error} If chromium is missing or fails.
 *
 * @example Usage
 * ```ts ignore
 * import { dumpDom } from "./chromium.ts";
 * console.log(await dumpDom("report.html"));
 * ```
 */
export function dumpDom(htmlPath: string, options: DumpDomOptions = {}): Promise<string> {
  const size = options.window && [`--window-size=${options.window.width},${options.window.height}`];
  return runChromium(
    [...(size ?? []), "--dump-dom", pathToFileURL(htmlPath).href],
    options.signal,
  );
}

/** A decoded PNG: 8-bit channels, row after row. */
export interface PngImage {
  /** Width, px. */
  width: number;
  /** Height, px. */
  height: number;
  /** Channels per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  /** `width * height * channels` bytes. */
  pixels: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * Decodes a non-interlaced 8-bit PNG (what chromium writes), enough to look
 * at the pixels of a screenshot without a dependency.
 *
 * @param bytes The PNG file's bytes.
 * @returns The size and the raw pixels.
 * @throws {TypeError} If the bytes are not a PNG of a supported kind.
 *
 * @example Usage
 * ```ts ignore
 * import { decodePng } from "./chromium.ts";
 * const image = decodePng(await Deno.readFile("report.png"));
 * console.log(image.width, image.height);
 * ```
 */
export function decodePng(bytes: Uint8Array): PngImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new TypeError("Cannot decode PNG as the signature is missing");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      channels = CHANNELS[data[9]!] ?? 0;
      if (data[8] !== 8 || channels === 0 || data[12] !== 0) {
        throw new TypeError(
          `Cannot decode PNG as only non-interlaced 8-bit grey/RGB(A) is supported: received depth ${
            data[8]
          }, colour type ${data[9]}, interlace ${data[12]}`,
        );
      }
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  if (width === 0 || idat.length === 0) throw new TypeError("Cannot decode PNG as it has no image");
  const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  idat.reduce((at, d) => (joined.set(d, at), at + d.length), 0);
  const raw = inflateSync(joined);
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0;
      const b = y > 0 ? pixels[row - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels]! : 0;
      pixels[row + x] = (src[x]! + unfilter(filter, a, b, c)) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** The predictor of PNG filter `filter` from the left, up and up-left bytes. */
function unfilter(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw new TypeError(`Cannot decode PNG as the filter type is unknown: received ${filter}`);
  }
}
