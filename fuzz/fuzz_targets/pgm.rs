//! PGM decoding (P5 binary and P2 text) through `backprop_data::image`
//! (what `predict --image` calls): the input as a file as it is, and the
//! same bytes behind each magic, so the fuzzer spends its time on headers
//! (sizes whose product or double overflows, maxvals, comments) and data.
//!
//! Every outcome must be `Ok` with `width · height` pixels or an
//! `ImageError`; a panic, an overflow or an out-of-memory is a crash.
#![no_main]

use backprop_data::image::{GrayImage, MAX_IMAGE_PIXELS, decode_image, decode_pgm};
use libfuzzer_sys::fuzz_target;

fn check(image: &GrayImage) {
    assert_eq!(image.pixels.len(), image.width * image.height);
    assert!((image.pixels.len() as u64) <= MAX_IMAGE_PIXELS);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = decode_image(data) {
        check(&image);
    }
    for magic in [b"P5", b"P2"] {
        let mut file = magic.to_vec();
        file.extend_from_slice(data);
        if let Ok(image) = decode_pgm(&file) {
            check(&image);
        }
    }
});
