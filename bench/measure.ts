/**
 * What `bench/real_site.ts` and `bench/scale.ts` measure besides the
 * crawlers' own figures: CPU time from Linux's `/proc` (the whole machine's
 * busy time, to tell whether other work shared the cores during a run, and
 * a process's or its children's CPU time), Redis's own CPU time, and the
 * median of runs.
 *
 * Off Linux the CPU functions return `undefined`.
 *
 * @module
 */

import type { Redis } from "ioredis";

/** USER_HZ is 100 on every Linux architecture Deno runs on: a tick is 10 ms. */
const TICK_MS = 10;

/**
 * Busy CPU time of the whole machine (all cores), in ms.
 *
 * @returns The ms since boot, or `undefined` off Linux.
 *
 * @example Usage
 * ```ts ignore
 * const before = await machineBusyMs();
 * // ... the run ...
 * const busy = (await machineBusyMs())! - before!;
 * ```
 */
export async function machineBusyMs(): Promise<number | undefined> {
  try {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n", 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used, its threads included, in ms.
 *
 * @param pid The process.
 * @returns The ms, or `undefined` if it is gone or off Linux.
 *
 * @example Usage
 * ```ts ignore
 * console.log(await processCpuMs(Deno.pid));
 * ```
 */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after "(comm)": state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time the live children of a process have used, in ms (e.g. nginx's
 * workers, which do the serving, under its master).
 *
 * @param pid The parent.
 * @returns The children's ms summed, or `undefined` off Linux.
 *
 * @example Usage
 * ```ts ignore
 * console.log(await childrenCpuMs(nginxMasterPid));
 * ```
 */
export async function childrenCpuMs(pid: number): Promise<number | undefined> {
  try {
    const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
    let total = 0;
    for (const child of children.trim().split(/\s+/).filter(Boolean)) {
      total += (await processCpuMs(Number(child))) ?? 0;
    }
    return total;
  } catch {
    return undefined;
  }
}

/**
 * The median of some numbers (the mean of the middle two for an even count).
 *
 * @param values The numbers; not changed.
 * @returns The median, `NaN` for none.
 *
 * @example Usage
 * ```ts ignore
 * console.log(median([3, 1, 2])); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * CPU time so far of each of this process's threads, in ms, by thread name
 * (Linux's `/proc/PID/task/TID/stat`); the main thread is `main`. Deno
 * grants a process's own `/proc/PID/task` to `-A` alone.
 *
 * @returns The ms by thread name (threads of one name summed).
 *
 * @example Usage
 * ```ts ignore
 * console.log(threadCpuMs().get("main"));
 * ```
 */
export function threadCpuMs(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of Deno.readDirSync(`/proc/${Deno.pid}/task`)) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${task.name}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    const close = stat.lastIndexOf(")");
    const name = task.name === String(Deno.pid) ? "main" : stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    byName.set(name, (byName.get(name) ?? 0) + ms);
  }
  return byName;
}

/**
 * Redis's own CPU time so far (`INFO cpu`: `used_cpu_user` + `used_cpu_sys`), in ms.
 *
 * @param client A client of that Redis.
 * @returns The ms since the server started.
 *
 * @example Usage
 * ```ts ignore
 * const before = await redisCpuMs(client);
 * // ... the run ...
 * const used = await redisCpuMs(client) - before;
 * ```
 */
export async function redisCpuMs(client: Redis): Promise<number> {
  const info = await client.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)![1]);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
}
