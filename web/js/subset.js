// The MNIST subset shipped with the page (web/data), as pixel and label arrays.

let cached = null;

/** Resolves to {train_pixels, train_labels, test_pixels, test_labels} (Uint8Arrays). */
export async function loadSubset(engine) {
  if (cached) return cached;
  throw new Error('this engine build has no MNIST subset loader yet');
}
