/**
 * A strict reader and a writer for the safetensors container, F32 tensors only.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON
 * (`{"__metadata__": {string: string}, name: {dtype, shape, data_offsets}}`), then the
 * data section; offsets are relative to its start. The file is untrusted input, so every
 * size is checked against the bytes actually present before anything is allocated.
 *
 * @module
 */

/** A named float32 tensor. */
export interface Tensor {
  shape: number[];
  data: Float32Array<ArrayBuffer>;
}

/** The decoded contents of a safetensors file. */
export interface SafeTensors {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

/** Headers larger than this are refused: a real header for this project is a few KiB. */
export const MAX_HEADER_BYTES = 1 << 20;

/**
 * Parses safetensors bytes.
 *
 * Every platform Deno runs on is little-endian, so F32 data is viewed directly
 * (after a copy to an aligned buffer).
 *
 * @param bytes The whole file.
 * @returns Metadata and tensors.
 * @throws {TypeError} With the reason, when the bytes are not a valid F32 safetensors file.
 */
export function parseSafeTensors(bytes: Uint8Array): SafeTensors {
  if (bytes.length < 8) {
    throw new TypeError(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    throw new TypeError(
      `header length ${headerLen} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new TypeError(`header length ${headerLen} is over 1 MiB`);
  }
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new TypeError("header is not UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new TypeError("header is not a JSON object");
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new TypeError("__metadata__ is not an object");
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") throw new TypeError(`metadata "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const t = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== "object" || t === null) {
      throw new TypeError(`tensor "${name}" is not an object`);
    }
    if (t.dtype !== "F32") {
      throw new TypeError(
        `tensor "${name}" has dtype ${JSON.stringify(t.dtype)}: only F32 is read`,
      );
    }
    if (
      !Array.isArray(t.shape) || t.shape.length > 8 ||
      !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      throw new TypeError(`tensor "${name}" has an invalid shape`);
    }
    const offs = t.data_offsets;
    if (
      !Array.isArray(offs) || offs.length !== 2 || !offs.every((d) =>
        Number.isSafeInteger(d) && d >= 0
      ) ||
      offs[0] > offs[1]
    ) {
      throw new TypeError(`tensor "${name}" has invalid data_offsets`);
    }
    const [begin, end] = offs as number[];
    if (end > dataLen) {
      throw new TypeError(
        `tensor "${name}" ends at ${end}, past the ${dataLen}-byte data section`,
      );
    }
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (count * 4 !== end - begin) {
      throw new TypeError(`tensor "${name}" has shape [${t.shape}] but ${end - begin} bytes`);
    }
    entries.push({ name, shape: t.shape as number[], begin, end });
  }
  // The data section must be tiled exactly: no overlaps, no gaps, nothing after the last tensor.
  entries.sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      throw new TypeError(
        e.begin < cursor
          ? `tensor "${e.name}" overlaps the one before it`
          : `gap before tensor "${e.name}"`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataLen) {
    throw new TypeError(`${dataLen - cursor} stray bytes after the last tensor`);
  }
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const data = new Float32Array(bytes.slice(dataStart + e.begin, dataStart + e.end).buffer);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new TypeError(`tensor "${e.name}" holds a non-finite value at ${i}`);
      }
    }
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { metadata, tensors };
}

/**
 * Serialises tensors and metadata as safetensors bytes (header padded to 8 bytes).
 *
 * @param tensors Tensors in the order they are laid out.
 * @param metadata String metadata stored under `__metadata__`.
 * @returns The file's bytes.
 * @throws {RangeError} When a tensor's data length does not match its shape.
 */
export function serializeSafeTensors(
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(
        `Tensor "${name}": shape [${t.shape}] needs ${count} values, got ${t.data.length}`,
      );
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  while (enc.encode(json).length % 8 !== 0) json += " ";
  const headerBytes = enc.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
