/**
 * A real `redis-server` for tests: on a free loopback port, without
 * persistence, ready when its log says so (its stdout is read, never
 * polled). Tests that need it are registered with {@linkcode redisTest}:
 * ignored (with the install hint) when redis-server is missing, and failed
 * when `REQUIRE_REDIS=1` (as CI sets).
 *
 * @module
 */

/** How to get redis-server. */
export const REDIS_HINT = "install it with `apt-get install redis-server`";

/** Whether a missing redis-server fails the tests instead of skipping them. */
export const REDIS_REQUIRED = Deno.env.get("REQUIRE_REDIS") === "1";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Finds redis-server: `$REDIS_SERVER`, `/usr/bin/redis-server`, then `$PATH`.
 *
 * @returns Its path, or `undefined`.
 */
export function findRedisServer(): string | undefined {
  const fromEnv = Deno.env.get("REDIS_SERVER");
  if (fromEnv) return isFile(fromEnv) ? fromEnv : undefined;
  if (isFile("/usr/bin/redis-server")) return "/usr/bin/redis-server";
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    if (isFile(`${dir}/redis-server`)) return `${dir}/redis-server`;
  }
  return undefined;
}

/**
 * Registers a test that needs redis-server.
 *
 * @param name The test's name.
 * @param fn The test.
 */
export function redisTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  const found = findRedisServer() !== undefined;
  if (!found && !REDIS_REQUIRED) {
    Deno.test({ name: `${name} (ignored: no redis-server; ${REDIS_HINT})`, ignore: true, fn });
    return;
  }
  Deno.test(
    name,
    found ? fn : () => {
      throw new Error(`redis-server not found and REQUIRE_REDIS=1: ${REDIS_HINT}`);
    },
  );
}

/** Options for {@linkcode startRedis}. */
export interface RedisServerOptions {
  /** `requirepass`: the URL then carries it. */
  password?: string;
  /** Extra redis-server arguments (e.g. TLS settings). */
  args?: string[];
  /** Listen with TLS only, with this certificate and key (PEM files); the URL is `rediss://`. */
  tls?: { cert: string; key: string };
}

/** A running redis-server. */
export interface RedisServer extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:PORT/0` (`rediss://` with TLS). */
  readonly url: string;
  /** Its data directory (a temporary one). */
  readonly dir: string;
  /** Saves the data set, stops the server and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops it (without saving) and removes its directory. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago: bind port 0, note it, close. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

interface Running {
  child: Deno.ChildProcess;
  drained: Promise<void>;
}

/** Spawns redis-server and resolves once its log says it is ready; keeps draining the log. */
async function spawn(binary: string, args: string[]): Promise<Running> {
  const child = new Deno.Command(binary, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let log = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`redis-server did not start:\n${log}${await stderr}`);
    }
    log += value;
    if (log.includes("Ready to accept connections")) break;
  }
  // The log must keep flowing, or redis-server blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
    await stderr;
  })();
  return { child, drained };
}

/** Sends one command over a plain connection and reads until the server closes it. */
async function sendCommand(port: number, password: string | undefined, args: string[]) {
  const resp = (words: string[]) =>
    `*${words.length}\r\n` + words.map((w) => `$${new TextEncoder().encode(w).length}\r\n${w}\r\n`)
      .join("");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode((password ? resp(["AUTH", password]) : "") + resp(args)),
  );
  // SHUTDOWN answers nothing on success: the connection just ends.
  for await (const _ of conn.readable) { /* discard */ }
}

/**
 * Starts redis-server on a free 127.0.0.1 port with `--save "" --appendonly no`.
 *
 * @param options A password, TLS files, extra arguments.
 * @returns The running server; stop it (or `await using` it).
 * @throws {Error} If redis-server is missing or fails to start.
 */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error(`redis-server not found: ${REDIS_HINT}`);
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "crawler-redis-" });
  const args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  if (options.tls) {
    args.push("--port", "0", "--tls-port", String(port), "--tls-auth-clients", "no");
    args.push("--tls-cert-file", options.tls.cert, "--tls-key-file", options.tls.key);
  } else {
    args.push("--port", String(port));
  }
  if (options.password) args.push("--requirepass", options.password);
  args.push(...(options.args ?? []));
  let running = await spawn(binary, args);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      running.child.kill("SIGTERM");
      await running.child.status;
      await running.drained;
      await Deno.remove(dir, { recursive: true });
    })();
  return {
    port,
    dir,
    url: `${options.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}/0`,
    async restart() {
      if (options.tls) throw new Error("Cannot restart a TLS test server");
      await sendCommand(port, options.password, ["SHUTDOWN", "SAVE"]);
      await running.child.status;
      await running.drained;
      running = await spawn(binary, args);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
