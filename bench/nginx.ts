/**
 * A private nginx serving a directory on loopback, for the real-site
 * benchmark (`bench/real_site.ts`): its own minimal configuration (one
 * worker, sendfile, keep-alive, like `../shared/bench/nginx-ctl.sh`) in a
 * temporary directory, in the foreground as our child process, and an access
 * log of `STATUS CONTENT-TYPE URI` lines: what every crawler asked for,
 * counted by the server, the same way for each of them.
 *
 * @module
 */

import { childrenCpuMs } from "./measure.ts";

/** Options for {@linkcode startNginx}. */
export interface NginxOptions {
  /** The directory served as `/`. */
  root: string;
  /** The port on 127.0.0.1. */
  port: number;
  /** The nginx binary (default `nginx`, found on `$PATH`). */
  binary?: string;
}

/** One access-log line. */
export interface Access {
  status: number;
  /** The response's content type, `-` for none. */
  contentType: string;
  /** The request's path and query, as sent. */
  uri: string;
}

/** A running nginx. Dispose of it (`await using`) to stop it. */
export interface Nginx extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The master process's id. */
  pid: number;
  /** Empties the access log (nginx appends, so the next line goes at its start). */
  clearLog(): Promise<void>;
  /**
   * The requests logged since the last {@linkcode Nginx.clearLog}, once all
   * are written: it asks for a marker path and reads up to its line (one
   * worker handles requests in order, so every earlier line is there).
   */
  accesses(): Promise<Access[]>;
  /** CPU time its workers have used, in ms; `undefined` off Linux. */
  workerCpuMs(): Promise<number | undefined>;
  /** Stops it gracefully and removes its directory. */
  close(): Promise<void>;
}

const MIME_TYPES = "/etc/nginx/mime.types";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function config(dir: string, root: string, port: number, mimeTypes: boolean): string {
  // The temp paths must be writable: nginx creates them even if nothing is uploaded.
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((name) => `  ${name}_temp_path ${dir}/tmp-${name};`).join("\n");
  const types = mimeTypes
    ? `  include ${MIME_TYPES};`
    : "  types { text/html html htm; text/css css; application/javascript js; }";
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 1024; }
http {
  log_format crawl '$status $sent_http_content_type $request_uri';
  access_log ${dir}/access.log crawl;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  open_file_cache max=10000 inactive=60s;
${types}
  default_type application/octet-stream;
${temp}
  server {
    listen 127.0.0.1:${port};
    root ${root};
    index index.html;
  }
}
`;
}

/**
 * Starts nginx in the foreground and resolves once it listens: its log says
 * "start worker processes" after the socket is bound (read, never polled).
 * Needs `--allow-run=nginx` (or the binary's path), read and write in the
 * temp directory and, for the CPU figures, read on `/proc`.
 *
 * @param options The directory, port and binary.
 * @returns The running server.
 * @throws {Error} If nginx exits before it is ready.
 *
 * @example Usage
 * ```ts ignore
 * import { startNginx } from "./nginx.ts";
 * await using nginx = await startNginx({ root: "/usr/share/doc/rust-doc/html", port: 18391 });
 * await nginx.clearLog();
 * await (await fetch(`${nginx.origin}/index.html`)).body?.cancel();
 * console.log(await nginx.accesses()); // [{ status: 200, contentType: "text/html", uri: "/index.html" }]
 * ```
 */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const dir = await Deno.makeTempDir({ prefix: "crawler-nginx-" });
  // Its worker runs as `nobody` when we are root: it must reach the log's directory.
  await Deno.chmod(dir, 0o755);
  const conf = `${dir}/nginx.conf`;
  const log = `${dir}/access.log`;
  await Deno.writeTextFile(conf, config(dir, options.root, options.port, await exists(MIME_TYPES)));
  const child = new Deno.Command(options.binary ?? "nginx", {
    args: ["-e", "stderr", "-p", dir, "-c", conf],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      await Deno.remove(dir, { recursive: true });
      throw new Error(`Cannot start nginx: it exited before listening:\n${text}`);
    }
    text += value;
    if (text.includes("start worker processes")) break;
  }
  // Its log must keep flowing, or nginx blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const origin = `http://127.0.0.1:${options.port}`;
  let marks = 0;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      try {
        child.kill("SIGQUIT");
      } catch {
        // Already gone.
      }
      await child.status;
      await drained;
      await Deno.remove(dir, { recursive: true });
    })();
  return {
    origin,
    pid: child.pid,
    clearLog: () => Deno.truncate(log),
    async accesses() {
      const marker = `/__bench_mark_${++marks}`;
      await (await fetch(`${origin}${marker}`)).body?.cancel();
      const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
      const last = lines.findLastIndex((line) => line.endsWith(` ${marker}`));
      if (last < 0) throw new Error(`nginx's access log lacks the marker ${marker}`);
      return lines.slice(0, last).filter(Boolean).map((line) => {
        const [status, contentType, ...uri] = line.split(" ");
        return { status: Number(status), contentType: contentType!, uri: uri.join(" ") };
      });
    },
    workerCpuMs: () => childrenCpuMs(child.pid),
    close,
    [Symbol.asyncDispose]: close,
  };
}
