//! PNG decoding through `backprop_data::image` (what `predict --image`
//! calls), two ways:
//!
//! - the whole input as a PNG file (`decode_png` and `decode_image`);
//! - `[width: u32, height: u32, depth, colour, interlace, pixels…]` built
//!   into a PNG with valid chunk CRCs and zlib stream around whatever the
//!   rest holds, so the fuzzer reaches the size checks and the pixel
//!   conversion without having to find CRC-32 and Adler-32 values itself.
//!   Widths and heights are arbitrary `u32`s: a size above the cap must be
//!   refused before the pixel buffer is allocated (under `-rss_limit_mb`).
//!
//! Every outcome must be `Ok` with `width · height` pixels or an
//! `ImageError`; a panic, an overflow or an out-of-memory is a crash.
#![no_main]

use backprop_data::image::{GrayImage, MAX_IMAGE_PIXELS, decode_image, decode_png};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fn check(image: &GrayImage) {
    assert_eq!(image.pixels.len(), image.width * image.height);
    assert!((image.pixels.len() as u64) <= MAX_IMAGE_PIXELS);
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A PNG around the fuzzer's header fields and (compressed) pixel bytes.
fn built(data: &[u8]) -> Option<Vec<u8>> {
    let (head, rest) = data.split_at_checked(11)?;
    let width = u32::from_be_bytes(head[0..4].try_into().ok()?);
    let height = u32::from_be_bytes(head[4..8].try_into().ok()?);
    // Mostly valid depth/colour pairs, sometimes anything.
    const PAIRS: [(u8, u8); 15] = [
        (1, 0),
        (2, 0),
        (4, 0),
        (8, 0),
        (16, 0),
        (8, 2),
        (16, 2),
        (1, 3),
        (2, 3),
        (4, 3),
        (8, 3),
        (8, 4),
        (16, 4),
        (8, 6),
        (16, 6),
    ];
    let (depth, colour) = match PAIRS.get(usize::from(head[8])) {
        Some(&p) => p,
        None => (head[8], head[9]),
    };
    let interlace = head[10] & 1;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, interlace]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    if colour == 3 {
        // A palette of 256 grey levels, for indexed images.
        let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
        chunk(&mut png, b"PLTE", &palette);
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    z.write_all(rest).ok()?;
    chunk(&mut png, b"IDAT", &z.finish().ok()?);
    chunk(&mut png, b"IEND", &[]);
    Some(png)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = decode_png(data) {
        check(&image);
    }
    if let Ok(image) = decode_image(data) {
        check(&image);
    }
    if let Some(png) = built(data)
        && let Ok(image) = decode_png(&png)
    {
        check(&image);
    }
});
