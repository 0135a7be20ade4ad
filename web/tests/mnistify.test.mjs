// MNIST-style preprocessing of a drawing (web/js/mnistify.js), without a
// browser: bounding box to 20 × 20 keeping the aspect ratio, area averaging,
// centre of mass at the centre of 28 × 28.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toMnist, inkBox, resampleArea, centreOfMass, FIELD } from '../js/mnistify.js';

/** A width × height drawing with the rectangle [x0, x1) × [y0, y1) inked. */
function rect(width, height, x0, y0, x1, y1, value = 1) {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * width + x] = value;
  return ink;
}

/** Bounding box of the nonzero pixels of a 28 × 28 picture. */
function box28(p) {
  const f = new Float32Array(p.length);
  p.forEach((v, i) => { f[i] = v / 255; });
  return inkBox(f, FIELD, FIELD, 0);
}

test('an empty drawing gives an empty picture', () => {
  const out = toMnist(new Float32Array(280 * 280), 280, 280);
  assert.equal(out.length, 784);
  assert.ok(out.every((v) => v === 0));
});

test('a square fills the 20 × 20 box, centred by mass', () => {
  const out = toMnist(rect(280, 280, 30, 50, 130, 150), 280, 280);
  const b = box28(out);
  assert.equal(b.x1 - b.x0 + 1, 20);
  assert.equal(b.y1 - b.y0 + 1, 20);
  assert.deepEqual([b.x0, b.y0], [4, 4]); // 14 − 10
  assert.ok(out.every((v) => v === 0 || v === 255), 'a full square stays binary');
  const f = Float32Array.from(out, (v) => v / 255);
  const c = centreOfMass(f, FIELD, FIELD);
  assert.ok(Math.abs(c.x - 14) <= 0.5 && Math.abs(c.y - 14) <= 0.5, `centre ${c.x}, ${c.y}`);
});

test('a tall stroke keeps its aspect ratio: 20 high, narrow', () => {
  // 20 wide and 200 high: scaled by 1/10 to 2 × 20.
  const out = toMnist(rect(280, 280, 130, 40, 150, 240), 280, 280);
  const b = box28(out);
  assert.equal(b.y1 - b.y0 + 1, 20);
  assert.equal(b.x1 - b.x0 + 1, 2);
});

test('the same drawing anywhere on the canvas gives the same picture', () => {
  const a = toMnist(rect(280, 280, 10, 10, 60, 110), 280, 280);
  const b = toMnist(rect(280, 280, 200, 150, 250, 250), 280, 280);
  assert.deepEqual(a, b);
});

test('the centre of mass, not of the box, lands at the centre', () => {
  // An L: a heavy vertical bar and a thin foot to the right; the box centre
  // differs from the centre of mass, and MNIST uses the latter.
  const ink = rect(280, 280, 40, 40, 80, 240);
  for (let y = 220; y < 240; y++) for (let x = 80; x < 160; x++) ink[y * 280 + x] = 1;
  const out = toMnist(ink, 280, 280);
  const f = Float32Array.from(out, (v) => v / 255);
  const c = centreOfMass(f, FIELD, FIELD);
  assert.ok(Math.abs(c.x - 14) <= 0.5 && Math.abs(c.y - 14) <= 0.5, `centre ${c.x}, ${c.y}`);
  const b = box28(out);
  assert.notEqual((b.x0 + b.x1 + 1) / 2, 14, 'the box is off centre');
});

test('area averaging: half-covered pixels are grey, the mean is kept', () => {
  // 4 × 1 source with ink in the first 3 pixels, resampled to 2 × 1.
  const src = Float32Array.from([1, 1, 1, 0]);
  const out = resampleArea(src, 4, 0, 0, 4, 1, 2, 1);
  assert.deepEqual(Array.from(out), [1, 0.5]);
  // 3 → 2: each new pixel covers 1.5 source pixels.
  const out3 = resampleArea(Float32Array.from([1, 0, 1]), 3, 0, 0, 3, 1, 2, 1);
  assert.ok(Math.abs(out3[0] - 2 / 3) < 1e-6 && Math.abs(out3[1] - 2 / 3) < 1e-6, String(out3));
});
