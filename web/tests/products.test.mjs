// The engine's matrix products in wasm, checked bit for bit in node (V8)
// against a plain JavaScript product in the same order of operations: the
// micro-kernel (web/build.sh's wasm32 simd128 build: gemm/wasm.rs's
// accumulation) adds a·b (rounded, unfused) to a running f32 sum depth by
// depth, from zero, exactly like the loop below. Shapes are chosen to go
// through the blocked product: Z = W·A[l-1] with B read in place (a
// column-major A[l-1]), dW = dZ·A[l-1]ᵀ with B packed, whole and partial
// micro-panels (8 rows, 6 columns), depths below one block (256).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, '..', 'pkg');
const engine = await import(path.join(pkg, 'backprop_web.js'));
await engine.default({ module_or_path: fs.readFileSync(path.join(pkg, 'backprop_web_bg.wasm')) });

/**
 * The plain product of column-major `X` (xr×xc) and `Y` (xc×yc, or given as
 * its yc×xc transpose when `trY`): `C[i,j] = Σ_p X[i,p]·Y[p,j]` in f32, each
 * product rounded, summed from zero in depth order.
 */
function product(x, xr, xc, y, yc, trY) {
  const c = new Float32Array(xr * yc);
  for (let j = 0; j < yc; j++) {
    for (let i = 0; i < xr; i++) {
      let s = 0;
      for (let p = 0; p < xc; p++) {
        const yv = trY ? y[p * yc + j] : y[j * xc + p];
        s = Math.fround(s + Math.fround(x[p * xr + i] * yv));
      }
      c[j * xr + i] = s;
    }
  }
  return c;
}

/** Index and values of the first difference of two arrays, or null. */
function firstDiff(a, b) {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return { i, got: a[i], want: b[i] };
  return null;
}

for (const [layers, batch] of [[[20, 37, 19, 3], 45], [[50, 16, 8, 4], 64]]) {
  test(`products of a ${layers.join('-')} network at batch ${batch} equal the plain product bit for bit`, () => {
    const d = engine.make_dataset(JSON.stringify({ kind: 'blobs', n: 200, classes: layers.at(-1), seed: 4 }));
    // Lift the 2-D points to `layers[0]` features with fixed weights, so the
    // first product has depth layers[0].
    const f = layers[0];
    const lift = (xs) => Float32Array.from({ length: (xs.length / 2) * f }, (_, k) => {
      const s = Math.floor(k / f), i = k % f;
      return Math.fround(xs[2 * s] * Math.sin(i + 1) + xs[2 * s + 1] * Math.cos(3 * i));
    });
    const pg = new engine.Playground(JSON.stringify({ layers, batch, seed: 9, activation: 'tanh' }));
    try {
      pg.set_data(lift(d.train_x), d.train_y, new Float32Array(0), new Uint32Array(0), f);
      pg.step();
      let checked = 0;
      for (let l = 1; l <= pg.layer_count(); l++) {
        const q = pg.inspect(l);
        const m = q.batch;
        // Z = W·A[l-1] + b: the product, then the bias.
        const wa = product(q.W.data, q.W.rows, q.W.cols, q.A_prev.data, m, false);
        const z = wa.map((v, k) => Math.fround(v + q.b.data[k % q.W.rows]));
        assert.equal(firstDiff(q.Z.data, z), null, `Z of layer ${l}`);
        // dW = dZ·A[l-1]ᵀ.
        const dw = product(q.dZ.data, q.dZ.rows, m, q.A_prev.data, q.A_prev.rows, true);
        assert.equal(firstDiff(q.dW.data, dw), null, `dW of layer ${l}`);
        checked += z.length + dw.length;
      }
      assert.ok(checked > 2000, `${checked} numbers checked`);
    } finally {
      pg.free();
    }
  });
}
