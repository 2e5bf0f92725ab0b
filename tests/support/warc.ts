/**
 * Reading WARC files back in tests, independently of the writer: gzip
 * members split by inflating each one alone, every member parsed under the
 * WARC/1.1 grammar (ISO 28500:2017 section 4, strict: exactly one record
 * per member), HTTP blocks split into head and payload, and webrecorder's
 * warcio (its `index` and `cdx-index` commands, run as a subprocess) as the
 * second reader.
 *
 * @module
 */

import { inflateRawSync } from "node:zlib";
import { ROOT } from "./cli_run.ts";

/** One record read back. */
export interface ReadRecord {
  /** The file it is in. */
  file: string;
  /** The gzip member's offset in the file. */
  offset: number;
  /** The gzip member's length. */
  length: number;
  /** The named fields, in order. */
  fields: [string, string][];
  /** The block. */
  block: Uint8Array;
  /** A field's value (first one of that name, case-insensitive). */
  field(name: string): string | undefined;
  /** `WARC-Type`. */
  type: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// deno-lint-ignore no-control-regex
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const DECODER = new TextDecoder();

/**
 * Splits a file into its gzip members, each inflated on its own.
 *
 * @throws {Error} On anything that is not a whole gzip member (a torn tail included).
 */
export function gzipMembers(
  bytes: Uint8Array,
): { offset: number; length: number; data: Uint8Array }[] {
  const members = [];
  for (let offset = 0; offset < bytes.length;) {
    if (bytes[offset] !== 0x1f || bytes[offset + 1] !== 0x8b || bytes[offset + 2] !== 8) {
      throw new Error(`no gzip member at offset ${offset}`);
    }
    const flags = bytes[offset + 3]!;
    let start = offset + 10;
    if (flags & 4) start += 2 + (bytes[start]! | (bytes[start + 1]! << 8));
    if (flags & 8) start = bytes.indexOf(0, start) + 1;
    if (flags & 16) start = bytes.indexOf(0, start) + 1;
    if (flags & 2) start += 2;
    const { buffer, engine } = inflateRawSync(bytes.subarray(start), { info: true }) as unknown as {
      buffer: Uint8Array;
      engine: { bytesWritten: number };
    };
    const end = start + engine.bytesWritten + 8;
    if (end > bytes.length) throw new Error(`torn gzip member at offset ${offset}`);
    const size = new DataView(bytes.buffer, bytes.byteOffset + end - 4, 4).getUint32(0, true);
    if (size !== (buffer.length >>> 0)) throw new Error(`bad gzip trailer at offset ${offset}`);
    members.push({ offset, length: end - offset, data: new Uint8Array(buffer) });
    offset = end;
  }
  return members;
}

/**
 * Parses one record under the WARC/1.1 grammar, which must fill `data`
 * exactly: version line, named fields (token ":" value CRLF, no control
 * characters), CRLF, a block of exactly Content-Length bytes, CRLF CRLF;
 * the mandatory fields present and well-formed.
 *
 * @throws {Error} Naming the first violation.
 */
export function parseRecord(
  data: Uint8Array,
  file = "",
  offset = 0,
  length = data.length,
): ReadRecord {
  const where = `${file}@${offset}`;
  const headEnd = findCrlfCrlf(data);
  if (headEnd === -1) throw new Error(`${where}: no end of header`);
  const lines = DECODER.decode(data.subarray(0, headEnd)).split("\r\n");
  if (lines[0] !== "WARC/1.1") {
    throw new Error(`${where}: version line is ${JSON.stringify(lines[0])}`);
  }
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) {
      throw new Error(`${where}: bad field line ${JSON.stringify(line)}`);
    }
    const value = line.slice(colon + 1).trim();
    if (CTL.test(value)) throw new Error(`${where}: control character in ${name}`);
    fields.push([name, value]);
  }
  const field = (name: string) => fields.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  for (const name of ["WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type"]) {
    if (field(name) === undefined) throw new Error(`${where}: no ${name}`);
  }
  if (!/^<[^<>\s]+:[^<>\s]+>$/.test(field("WARC-Record-ID")!)) {
    throw new Error(`${where}: bad WARC-Record-ID`);
  }
  if (!DATE.test(field("WARC-Date")!)) {
    throw new Error(`${where}: bad WARC-Date ${field("WARC-Date")}`);
  }
  if (!/^\d+$/.test(field("Content-Length")!)) throw new Error(`${where}: bad Content-Length`);
  const blockStart = headEnd + 4;
  const blockLength = Number(field("Content-Length"));
  const block = data.subarray(blockStart, blockStart + blockLength);
  const tail = data.subarray(blockStart + blockLength);
  if (block.length !== blockLength || DECODER.decode(tail) !== "\r\n\r\n") {
    throw new Error(
      `${where}: the block is not Content-Length bytes followed by CRLF CRLF and nothing more`,
    );
  }
  return { file, offset, length, fields, block, field, type: field("WARC-Type")! };
}

/** Every record of a file, strictly: one per gzip member. */
export async function readWarc(path: string): Promise<ReadRecord[]> {
  const bytes = await Deno.readFile(path);
  return gzipMembers(bytes).map(({ offset, length, data }) =>
    parseRecord(data, path, offset, length)
  );
}

/** An `application/http` block split into its head and payload. */
export function httpParts(block: Uint8Array): {
  startLine: string;
  headers: [string, string][];
  head: Uint8Array;
  payload: Uint8Array;
} {
  const end = findCrlfCrlf(block);
  if (end === -1) throw new Error("no end of HTTP head");
  const lines = DECODER.decode(block.subarray(0, end)).split("\r\n");
  const headers = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
  });
  return {
    startLine: lines[0]!,
    headers,
    head: block.subarray(0, end + 4),
    payload: block.subarray(end + 4),
  };
}

function findCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** Runs warcio (npm, pinned in deno.json) on files; its stdout, failing on any error. */
export async function warcio(command: "index" | "cdx-index", files: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "npm:warcio@2.4.11",
      command,
      ...files,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const errors = DECODER.decode(stderr);
  if (code !== 0 || /error/i.test(errors)) {
    throw new Error(`warcio ${command} failed (${code}): ${errors}`);
  }
  return DECODER.decode(stdout);
}

/** The WARC files in a folder, by name. */
export async function warcFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".warc.gz")) names.push(`${dir}/${entry.name}`);
  }
  return names.sort();
}
