//! Grey-level images from PGM (P5 binary or P2 text, any maxval up to
//! 65535) and PNG (grey, grey+alpha, RGB, RGBA or palette; 1 to 16 bits)
//! files, as 8-bit pixels: what a model trained on MNIST-like images takes.
//!
//! Colour is converted to luminance (`0.299 R + 0.587 G + 0.114 B`), alpha
//! is ignored, 16-bit samples are divided by 257 and PGM values are scaled
//! from `0..=maxval` to `0..=255`, rounding to the nearest.
//!
//! Hostile files are errors, never aborts: the declared size is checked
//! against [`MAX_IMAGE_PIXELS`] (16 megapixels) **before** anything of that
//! size is allocated, every size computation is checked arithmetic, and
//! [`read_image`] reads at most [`MAX_IMAGE_FILE_BYTES`] of a file.
//!
//! ```
//! use backprop_data::image::{decode_image, decode_pgm, ImageError};
//! // A 3×2 binary PGM with maxval 255.
//! let mut pgm = b"P5\n# a comment\n3 2\n255\n".to_vec();
//! pgm.extend_from_slice(&[0, 128, 255, 10, 20, 30]);
//! let img = decode_pgm(&pgm)?;
//! assert_eq!((img.width, img.height), (3, 2));
//! assert_eq!(img.pixels, vec![0, 128, 255, 10, 20, 30]);
//! // A header declaring 65535 × 65535 pixels is refused before decoding.
//! let e = decode_pgm(b"P5 65535 65535 255\n").unwrap_err();
//! assert!(matches!(e, ImageError::TooLarge { .. }));
//! assert_eq!(
//!     e.to_string(),
//!     "the image is 65535×65535 pixels (4294836225), more than the 16777216 (16 megapixels) accepted"
//! );
//! // decode_image picks the format from the first bytes.
//! assert_eq!(decode_image(&pgm)?, img);
//! # Ok::<(), ImageError>(())
//! ```

pub use crate::image_error::ImageError;
use crate::{DataError, Result};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// The most pixels (`width · height`) an image may declare: 16 megapixels,
/// 4096 × 4096. Larger declarations are refused before any decoding.
pub const MAX_IMAGE_PIXELS: u64 = 16 << 20;

/// The most bytes [`read_image`] reads from a file (256 MiB): more than any
/// image of [`MAX_IMAGE_PIXELS`] needs, even as P2 text.
pub const MAX_IMAGE_FILE_BYTES: u64 = 256 << 20;

/// A grey-level image with 8-bit pixels, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width · height` pixels, row after row, 0 black to 255 white.
    pub pixels: Vec<u8>,
}

impl fmt::Display for GrayImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{} grey image", self.width, self.height)
    }
}

/// Checks a declared size against [`MAX_IMAGE_PIXELS`]; returns the pixel
/// count.
fn check_size(width: u64, height: u64) -> Result<usize, ImageError> {
    let too_large = || ImageError::TooLarge {
        width,
        height,
        max_pixels: MAX_IMAGE_PIXELS,
    };
    let n = width.checked_mul(height).ok_or_else(too_large)?;
    if n > MAX_IMAGE_PIXELS {
        return Err(too_large());
    }
    usize::try_from(n).map_err(|_| too_large())
}

/// Reads a PGM or PNG file (the format is taken from its first bytes, not
/// its name). Errors are [`DataError::FileNotFound`], [`DataError::Io`], or
/// [`DataError::Image`] naming the file.
pub fn read_image(path: impl AsRef<Path>) -> Result<GrayImage> {
    let path = path.as_ref();
    let file = crate::idx::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_IMAGE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let image_error = |source| DataError::Image {
        path: path.to_path_buf(),
        source,
    };
    if bytes.len() as u64 > MAX_IMAGE_FILE_BYTES {
        return Err(image_error(ImageError::FileTooLarge {
            max_bytes: MAX_IMAGE_FILE_BYTES,
        }));
    }
    decode_image(&bytes).map_err(image_error)
}

/// Decodes a PGM (`P5`/`P2`) or PNG image held in memory, the format taken
/// from its first bytes.
pub fn decode_image(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    if bytes.starts_with(b"\x89PNG") {
        decode_png(bytes)
    } else if bytes.starts_with(b"P5") || bytes.starts_with(b"P2") {
        decode_pgm(bytes)
    } else {
        Err(ImageError::Format {
            start: bytes.iter().take(8).copied().collect(),
        })
    }
}

/// Decodes a binary (`P5`) or text (`P2`) PGM image.
///
/// The header is the magic, width, height and maxval, separated by
/// whitespace and `#` comments; `P5` data follows after one whitespace byte,
/// one byte per pixel (two, big-endian, when maxval is above 255). Values
/// above maxval count as maxval; data after the last pixel is ignored.
pub fn decode_pgm(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    let binary = bytes.starts_with(b"P5");
    if !binary && !bytes.starts_with(b"P2") {
        return Err(ImageError::Format {
            start: bytes.iter().take(8).copied().collect(),
        });
    }
    let mut pos = 2;
    let mut fields = [0u64; 3];
    for field in &mut fields {
        loop {
            match bytes.get(pos) {
                Some(b'#') => {
                    while bytes.get(pos).is_some_and(|&b| b != b'\n') {
                        pos += 1;
                    }
                }
                Some(b) if b.is_ascii_whitespace() => pos += 1,
                _ => break,
            }
        }
        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        *field = std::str::from_utf8(bytes.get(start..pos).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(ImageError::PgmHeader)?;
    }
    let [width, height, maxval] = fields;
    if maxval == 0 || maxval > 65535 {
        return Err(ImageError::PgmMaxval { found: maxval });
    }
    let n = check_size(width, height)?;
    // maxval ≤ 65535, so `v · 255` and the rounding stay far below u32::MAX.
    let maxval = maxval as u32;
    let to_u8 = |v: u32| ((v.min(maxval) * 255 + maxval / 2) / maxval) as u8;
    let pixels = if binary {
        let data = bytes.get(pos + 1..).unwrap_or_default();
        let wide = maxval > 255;
        // n ≤ 2^24, so 2·n cannot overflow.
        let need = if wide { 2 * n } else { n };
        if data.len() < need {
            return Err(ImageError::Truncated {
                what: "P5 pixel data (bytes)",
                expected: need as u64,
                found: data.len() as u64,
            });
        }
        if wide {
            let (pairs, _) = data.as_chunks::<2>();
            pairs
                .iter()
                .take(n)
                .map(|&p| to_u8(u32::from(u16::from_be_bytes(p))))
                .collect()
        } else {
            data.iter().take(n).map(|&v| to_u8(u32::from(v))).collect()
        }
    } else {
        let text = bytes.get(pos..).unwrap_or_default();
        let mut values = Vec::with_capacity(n);
        for (index, token) in text
            .split(u8::is_ascii_whitespace)
            .filter(|t| !t.is_empty())
            .take(n)
            .enumerate()
        {
            let value = std::str::from_utf8(token)
                .ok()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                .map(|s| s.parse::<u64>().map_or(u32::MAX, |v| v.min(65535) as u32));
            match value {
                Some(v) => values.push(to_u8(v)),
                None => {
                    return Err(ImageError::P2Value {
                        index: index as u64,
                        found: String::from_utf8_lossy(token).chars().take(20).collect(),
                    });
                }
            }
        }
        if values.len() < n {
            return Err(ImageError::Truncated {
                what: "P2 pixel data (values)",
                expected: n as u64,
                found: values.len() as u64,
            });
        }
        values
    };
    Ok(GrayImage {
        width: width as usize,
        height: height as usize,
        pixels,
    })
}

/// Decodes a PNG image (its first frame, if animated). The declared size is
/// checked against [`MAX_IMAGE_PIXELS`] before the pixel buffer is
/// allocated.
pub fn decode_png(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    let png_error = |e: png::DecodingError| ImageError::Png {
        message: e.to_string(),
    };
    let mut decoder = png::Decoder::new(bytes);
    // Expand palettes and low bit depths to 8 bits; 16 bits stay 16.
    decoder.set_transformations(png::Transformations::EXPAND);
    let info = decoder.read_header_info().map_err(png_error)?;
    check_size(u64::from(info.width), u64::from(info.height))?;
    let mut reader = decoder.read_info().map_err(png_error)?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).map_err(png_error)?;
    let data = buf.get(..frame.buffer_size()).unwrap_or_default();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let n = check_size(u64::from(frame.width), u64::from(frame.height))?;
    let wide = frame.bit_depth == png::BitDepth::Sixteen;
    let step = frame.color_type.samples() * if wide { 2 } else { 1 };
    let sample = |px: &[u8], i: usize| -> f64 {
        if wide {
            let hi = px.get(2 * i).copied().unwrap_or(0);
            let lo = px.get(2 * i + 1).copied().unwrap_or(0);
            f64::from(u16::from_be_bytes([hi, lo])) / 257.0
        } else {
            f64::from(px.get(i).copied().unwrap_or(0))
        }
    };
    let colour = matches!(frame.color_type, png::ColorType::Rgb | png::ColorType::Rgba);
    let pixels: Vec<u8> = data
        .chunks_exact(step.max(1))
        .take(n)
        .map(|px| {
            let v = if colour {
                0.299 * sample(px, 0) + 0.587 * sample(px, 1) + 0.114 * sample(px, 2)
            } else {
                sample(px, 0)
            };
            v.round().clamp(0.0, 255.0) as u8
        })
        .collect();
    if pixels.len() != n {
        return Err(ImageError::Truncated {
            what: "PNG pixel data (pixels)",
            expected: n as u64,
            found: pixels.len() as u64,
        });
    }
    Ok(GrayImage {
        width: w,
        height: h,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgm_scales_values_to_eight_bits() {
        let img = decode_pgm(b"P2 2 2 15\n0 15\n7 99\n").unwrap();
        assert_eq!(img.pixels, vec![0, 255, 119, 255]);
        let mut wide = b"P5 2 1 65535\n".to_vec();
        wide.extend_from_slice(&[0xff, 0xff, 0x80, 0x00]);
        assert_eq!(decode_pgm(&wide).unwrap().pixels, vec![255, 128]);
    }

    #[test]
    fn pgm_size_overflow_is_too_large_not_a_panic() {
        // width · height · 2 overflowed usize before.
        let huge = format!("P5 {} {} 65535\n", u64::MAX / 2, 3);
        assert!(matches!(
            decode_pgm(huge.as_bytes()),
            Err(ImageError::TooLarge { .. })
        ));
        let e = decode_pgm(format!("P2 {} {} 1\n", u64::MAX, u64::MAX).as_bytes()).unwrap_err();
        assert!(e.to_string().contains("2^64 or more"), "{e}");
        assert_eq!(
            decode_pgm(b"P5 99999999999999999999999 1 1\n"),
            Err(ImageError::PgmHeader)
        );
    }
}
