// The MNIST subset shipped with the page (web/data, IDX files, gzipped), as
// the pixel and label arrays Playground.set_images takes.

import { fetchBytes } from './models.js';
import { parseIdx, gunzip } from './idx.js';

/** The four files, as web/data/README.md names them. */
export const SUBSET_FILES = {
  train_pixels: 'data/mnist-train-images-idx3-ubyte.gz',
  train_labels: 'data/mnist-train-labels-idx1-ubyte.gz',
  test_pixels: 'data/mnist-test-images-idx3-ubyte.gz',
  test_labels: 'data/mnist-test-labels-idx1-ubyte.gz',
};

const cached = new Map();

async function read(path) {
  return parseIdx(await gunzip(await fetchBytes(path)), path);
}

/**
 * Resolves to {train_pixels, train_labels, test_pixels, test_labels} (Uint8Arrays), checked.
 * `root` is web/ relative to the document: '' for the page, '../../' for web/engine/bench/.
 */
export async function loadSubset(root = '') {
  if (cached.has(root)) return cached.get(root);
  const out = {};
  for (const [key, path] of Object.entries(SUBSET_FILES)) out[key] = await read(root + path);
  for (const part of ['train', 'test']) {
    const img = out[`${part}_pixels`], lab = out[`${part}_labels`];
    if (img.dims.length !== 3 || img.dims[1] !== 28 || img.dims[2] !== 28) {
      throw new Error(`${SUBSET_FILES[`${part}_pixels`]}: images of ${img.dims.slice(1).join(' × ')}; expected 28 × 28`);
    }
    if (lab.dims[0] !== img.dims[0]) {
      throw new Error(`${part}: ${img.dims[0]} images but ${lab.dims[0]} labels`);
    }
  }
  const subset = {
    train_pixels: out.train_pixels.data, train_labels: out.train_labels.data,
    test_pixels: out.test_pixels.data, test_labels: out.test_labels.data,
  };
  cached.set(root, subset);
  return subset;
}
