import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { StateMismatchError } from "../../src/sqlite/schema.ts";
import { SqliteStore } from "../../src/sqlite/store.ts";
import { admit, IDENTITY, open, withDir } from "./helpers.ts";

Deno.test("SqliteStore: changed identity options are refused by name unless restart", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/crawl.db`;
    const first = open(dir);
    admit(first, "http://a.test/");
    await first.close();

    const changed = { seeds: ["http://b.test/"], scope: "domain", include: [] };
    assert.throws(() => SqliteStore.open(path, { identity: changed }), (error) => {
      assert.ok(error instanceof StateMismatchError);
      assert.equal(
        error.message,
        `${path} was made with different options (seeds, scope); pass --restart to start over, or use another --state file`,
      );
      assert.deepEqual(error.keys, ["seeds", "scope"]);
      return true;
    });
    // Key order does not matter.
    const same = SqliteStore.open(path, {
      identity: { include: [], scope: "host", seeds: ["http://a.test/"] },
    });
    assert.equal(same.resumed, true);
    await same.close();

    const fresh = SqliteStore.open(path, { identity: changed, restart: true });
    assert.equal(fresh.resumed, false);
    assert.equal(fresh.runId, 1);
    assert.equal(fresh.backlog, 0);
    assert.equal(fresh.seen.has("http://a.test/"), false);
    await fresh.close();
    assert.throws(() => SqliteStore.open(path, { identity: IDENTITY }), StateMismatchError);

    const other = `${dir}/other.db`;
    const db = new DatabaseSync(other);
    db.exec("CREATE TABLE notes (text TEXT)");
    db.close();
    assert.throws(
      () => SqliteStore.open(other, { identity: IDENTITY }),
      new StateMismatchError(`${other} is not a crawl state file; use another --state file`),
    );
  });
});
