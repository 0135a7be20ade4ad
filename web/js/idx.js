// IDX files (MNIST's format), gzipped or not: parsed in the page, without the
// engine. Pure functions but gunzip, which uses the platform's DecompressionStream.

const TYPES = { 0x08: 1 }; // unsigned byte, the only type MNIST uses

/**
 * Parses an IDX file: magic 0x0000TTDD (type TT, DD dimensions), DD
 * big-endian u32 sizes, then the data. Returns {dims, data: Uint8Array};
 * throws naming what was expected and found.
 */
export function parseIdx(bytes, name = 'IDX file') {
  if (bytes.length < 4) throw new Error(`${name}: ${bytes.length} bytes; an IDX file has at least 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: starts with ${bytes[0]}, ${bytes[1]}; an IDX file starts with two zero bytes`);
  }
  if (!(bytes[2] in TYPES)) throw new Error(`${name}: element type 0x${bytes[2].toString(16)}; expected 0x08 (unsigned byte)`);
  const n = bytes[3];
  const header = 4 + 4 * n;
  if (n === 0 || bytes.length < header) throw new Error(`${name}: ${n} dimensions in ${bytes.length} bytes`);
  const dims = [];
  for (let i = 0; i < n; i++) dims.push(view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== count) {
    throw new Error(`${name}: dimensions ${dims.join(' × ')} need ${count} bytes of data; found ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Whether `bytes` start with gzip's magic number. */
export function isGzip(bytes) {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes (or returns them unchanged if they are not gzip). */
export async function gunzip(bytes) {
  if (!isGzip(bytes)) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
