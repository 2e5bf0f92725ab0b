import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Checkpointer } from "../../src/sqlite/checkpointer.ts";

/** A WAL database whose writes stay in the WAL until someone checkpoints. */
function walDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
    CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL);`);
  const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
  db.exec("BEGIN");
  for (let i = 0; i < 1_000; i++) insert.run("x".repeat(1_000));
  db.exec("COMMIT");
  return db;
}

Deno.test("Checkpointer copies the WAL into the database from its worker", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.db`;
    const db = walDatabase(path);
    const before = (await Deno.stat(path)).size;
    assert.ok(before < 100_000, `the database holds ${before} bytes before a checkpoint`);
    const checkpointer = new Checkpointer(path);
    checkpointer.request();
    checkpointer.request(); // a second request while one waits is the same checkpoint
    await checkpointer.close();
    const after = (await Deno.stat(path)).size;
    assert.ok(after > 1_000_000, `the database holds ${after} bytes after the checkpoint`);
    // The writer's connection still reads and writes as before.
    db.prepare("INSERT INTO t (body) VALUES (?)").run("y");
    assert.equal(db.prepare("SELECT count(*) AS n FROM t").get()!.n, 1_001);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Checkpointer.terminate() stops the worker at once and later requests do nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.db`;
    const db = walDatabase(path);
    const checkpointer = new Checkpointer(path);
    checkpointer.terminate();
    checkpointer.request();
    await checkpointer.close(); // already stopped: resolves at once
    assert.equal(db.prepare("SELECT count(*) AS n FROM t").get()!.n, 1_000);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Checkpointer left open does not keep the process alive", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.db`;
    walDatabase(path).close();
    const module = new URL("../../src/sqlite/checkpointer.ts", import.meta.url).href;
    const script = `import { Checkpointer } from ${JSON.stringify(module)};
      new Checkpointer(${JSON.stringify(path)}).request();
      console.log("left open");`;
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(code, 0);
    assert.equal(new TextDecoder().decode(stdout).trim(), "left open");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
