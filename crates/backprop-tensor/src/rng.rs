//! One seed for everything: initialisation, shuffling and dropout.
//!
//! Each consumer derives its own stream from the user's seed and a stream
//! number with [`derive_seed`] (SplitMix64), so adding a layer never shifts
//! another layer's draws, and a stream can be recreated from `(seed, stream)`
//! alone — which is what makes resuming from a checkpoint bit-exact.

use rand::SeedableRng;
#[doc(no_inline)]
pub use rand::rngs::StdRng;

/// A generator seeded from `seed`.
///
/// ```
/// use backprop_tensor::rng::seeded;
/// use rand::Rng;
/// let a: u64 = seeded(3).random();
/// let b: u64 = seeded(3).random();
/// assert_eq!(a, b);
/// ```
pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Mixes a seed and a stream number into a new, well-spread seed (SplitMix64).
///
/// ```
/// use backprop_tensor::rng::derive_seed;
/// assert_ne!(derive_seed(1, 0), derive_seed(1, 1));
/// assert_eq!(derive_seed(1, 5), derive_seed(1, 5));
/// ```
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generator for stream `stream` of `seed`.
pub fn stream(seed: u64, stream: u64) -> StdRng {
    seeded(derive_seed(seed, stream))
}
