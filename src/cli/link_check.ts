/**
 * The CLI's link check at the end of a run: every link of the crawled pages
 * joined with its target's outcome, the link table written (`--links-out`).
 * The link checker's code is loaded only by a run that checks links.
 *
 * @module
 */

import type { LinkCheckResult, RecordSource } from "../linkcheck/check_links.ts";
import type { LinkTable } from "../linkcheck/table.ts";
import type { OutputFormat } from "../output/sink.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Checks the links of a run's records, writing the link table when asked.
 *
 * @param source The run's records, readable once per pass.
 * @param table Where the link table goes, if anywhere.
 * @param signal Aborting it stops the check (the table is not written).
 * @returns What the check found.
 * @throws {UsageError} When the table cannot be written.
 *
 * @example Usage
 * ```ts
 * import { linkCheck } from "./link_check.ts";
 * import assert from "node:assert/strict";
 *
 * const result = await linkCheck(() => [], undefined);
 * assert.equal(result.links, 0);
 * ```
 */
export async function linkCheck(
  source: RecordSource,
  table: { path: string; format: OutputFormat } | undefined,
  signal?: AbortSignal,
): Promise<LinkCheckResult> {
  const { checkLinks } = await import("../linkcheck/check_links.ts");
  if (table === undefined) return await checkLinks(source, { signal });
  const tables = await import("../linkcheck/table.ts");
  let writer: LinkTable;
  try {
    writer = await tables.LinkTable.create(table.path, table.format);
  } catch (error) {
    throw new UsageError(`--links-out: cannot write '${table.path}': ${(error as Error).message}`);
  }
  try {
    const result = await checkLinks(source, { onRow: (row) => writer.write(row), signal });
    await writer.close();
    return result;
  } catch (error) {
    await writer.abandon();
    throw error;
  }
}
