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

Deno.test("SqliteStore: a schema 1 or 2 file is brought to schema 3 when opened, its URLs kept", async () => {
  for (const [version, dropped] of [[1, ["capture", "content_hash"]], [2, ["capture"]]] as const) {
    await withDir(async (dir) => {
      const path = `${dir}/crawl.db`;
      const first = open(dir);
      admit(first, "http://a.test/");
      await first.close();
      // As an older crawler left it: without the newer columns, its version in meta.
      const db = new DatabaseSync(path);
      for (const column of dropped) db.exec(`ALTER TABLE urls DROP COLUMN ${column}`);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(version));
      db.close();

      const store = SqliteStore.open(path, { identity: IDENTITY });
      assert.equal(store.resumed, true);
      await store.close();
      const after = new DatabaseSync(path, { readOnly: true });
      const columns = after.prepare("SELECT name FROM pragma_table_info('urls')").all()
        .map((row) => row.name);
      assert.ok(columns.includes("capture") && columns.includes("content_hash"), `from ${version}`);
      assert.equal(after.prepare("SELECT value FROM meta WHERE key = 'schema'").get()?.value, "3");
      assert.equal(after.prepare("SELECT count(*) AS n FROM urls").get()?.n, 1);
      after.close();
    });
  }
});
