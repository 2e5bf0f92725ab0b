/**
 * The checkpoint worker's side of {@linkcode Checkpointer}
 * (`./checkpointer.ts`): its own connection to the state file, which copies
 * the WAL into the database (a PASSIVE checkpoint, fsyncs included) when
 * asked, so the crawl's thread never waits for them.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { parentPort } from "node:worker_threads";
import type { CheckpointRequest, CheckpointResponse } from "./checkpointer.ts";

let db: DatabaseSync | undefined;

parentPort?.on("message", (request: CheckpointRequest) => {
  let response: CheckpointResponse;
  try {
    if (request.type === "open") {
      db = new DatabaseSync(request.path, { timeout: 5000 });
      // Like the writer's: fsync at checkpoints, none at commits.
      db.exec("PRAGMA synchronous = NORMAL");
    } else if (request.type === "checkpoint") {
      db?.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } else {
      db?.close();
      db = undefined;
    }
    response = { type: request.type };
  } catch (error) {
    response = {
      type: request.type,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  parentPort?.postMessage(response);
});
