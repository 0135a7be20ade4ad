// IDX parsing and gunzip of the shipped MNIST subset's format (web/js/idx.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { parseIdx, gunzip, isGzip } from '../js/idx.js';

/** An IDX file of unsigned bytes with dimensions `dims` and the given data. */
function idx(dims, data) {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

test('parses dimensions (big-endian) and data', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const { dims, data: got } = parseIdx(idx([2, 3, 4], data));
  assert.deepEqual(dims, [2, 3, 4]);
  assert.deepEqual(got, data);
  const big = parseIdx(idx([300], new Uint8Array(300)));
  assert.deepEqual(big.dims, [300]);
});

test('gunzip inflates gzip and leaves plain bytes alone', async () => {
  const file = idx([5], Uint8Array.from([9, 8, 7, 6, 5]));
  const gz = new Uint8Array(zlib.gzipSync(file));
  assert.ok(isGzip(gz));
  assert.deepEqual(await gunzip(gz), file);
  assert.deepEqual(await gunzip(file), file);
});

test('refuses a wrong magic, type or size, naming what it found', () => {
  assert.throws(() => parseIdx(Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 0]), 'x'), /x: starts with 1, 2/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0])), /element type 0xd; expected 0x08/);
  const short = idx([10], new Uint8Array(10)).subarray(0, 12);
  assert.throws(() => parseIdx(short, 'labels'), /labels: dimensions 10 need 10 bytes of data; found 4/);
  assert.throws(() => parseIdx(new Uint8Array(2)), /2 bytes/);
});
