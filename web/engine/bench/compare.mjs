// Compares one step in wasm (bench.mjs step) with the native library's
// (the step_dw example) for the same config, and prints the largest
// differences of Z, dW, db and the loss. Usage (after web/build.sh):
//   node web/engine/bench/compare.mjs '<{playground, dataset} JSON>'
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const config = process.argv[2] || '{"playground": {"layers": [2, 4, 3], "seed": 7, "batch": 8}, "dataset": {"n": 40, "seed": 3}}';
const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { cwd: root, encoding: 'utf8' }).trim().split('\n').pop());
const native = run('cargo', ['run', '-q', '-p', 'backprop-web', '--example', 'step_dw', '--', config]);
const wasm = run('node', [path.join(here, 'bench.mjs'), 'step', config]);
if (wasm.error) throw new Error(wasm.error);
const report = { loss: { native: native.loss, wasm: wasm.loss, diff: Math.abs(native.loss - wasm.loss) }, layers: [] };
let identical = native.loss === wasm.loss;
for (const n of native.layers) {
  const w = wasm.layers[n.l - 1];
  const row = { l: n.l };
  for (const q of ['Z', 'dW', 'db']) {
    let maxAbs = 0, maxRel = 0, differing = 0;
    n[q].data.forEach((a, i) => {
      const b = w[q].data[i];
      const d = Math.abs(a - b);
      if (d !== 0) differing++;
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(Math.abs(a), 1e-30));
    });
    if (differing) identical = false;
    row[q] = { n: n[q].data.length, differing, maxAbs, maxRel };
  }
  report.layers.push(row);
}
report.identical = identical;
console.log(JSON.stringify(report));
