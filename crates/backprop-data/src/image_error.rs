//! [`ImageError`]: why bytes are not a usable image. Its own file so that
//! the crate's error type can wrap it without depending on the decoder.

use thiserror::Error;

/// Why bytes are not a usable image. [`read_image`](crate::image::read_image) wraps it in
/// [`DataError::Image`](crate::DataError::Image) with the file's path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The bytes start like none of the formats read here.
    #[error(
        "not an image in a format read here (PNG, JPEG, GIF, BMP, PNM/PGM, TIFF or WebP): it starts with {}",
        hex_prefix(.start)
    )]
    Format {
        /// Up to the first 8 bytes.
        start: Vec<u8>,
    },
    /// A PGM header without width, height and maxval.
    #[error("malformed PGM header: expected width, height and maxval as decimal integers")]
    PgmHeader,
    /// A PGM maxval of 0 or above 65535.
    #[error("PGM maxval must be in 1..=65535, found {found}")]
    PgmMaxval {
        /// The maxval declared.
        found: u64,
    },
    /// The declared size is above [`MAX_IMAGE_PIXELS`](crate::image::MAX_IMAGE_PIXELS) (or overflows).
    #[error(
        "the image is {width}×{height} pixels ({}), more than the {max_pixels} ({} megapixels) accepted",
        pixel_count(*.width, *.height),
        .max_pixels >> 20
    )]
    TooLarge {
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
        /// The cap, [`MAX_IMAGE_PIXELS`](crate::image::MAX_IMAGE_PIXELS).
        max_pixels: u64,
    },
    /// An image, or a size asked for, without a single pixel: nothing to
    /// resize or classify.
    #[error("the image is {width}×{height} pixels: expected at least 1×1")]
    Empty {
        /// Width, in pixels.
        width: u64,
        /// Height, in pixels.
        height: u64,
    },
    /// The pixel data ends early.
    #[error("truncated {what}: expected {expected}, found {found}")]
    Truncated {
        /// What was cut short, e.g. `"P5 pixel data (bytes)"`.
        what: &'static str,
        /// How many were declared.
        expected: u64,
        /// How many are there.
        found: u64,
    },
    /// A P2 (text) pixel value that is not a decimal integer.
    #[error("P2 pixel {index}: expected a decimal integer, found {found:?}")]
    P2Value {
        /// The pixel's 0-based index, row-major.
        index: u64,
        /// The text found (at most 20 characters of it).
        found: String,
    },
    /// The decoder of the file's format (the `image` crate's) refused it:
    /// damaged or truncated data, a variant of the format it does not read,
    /// or more memory than [`MAX_DECODE_BYTES`](crate::image::MAX_DECODE_BYTES).
    #[error("{format}: {message}")]
    Decode {
        /// The format the bytes start like: `"PNG"`, `"JPEG"`, …
        format: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The file is larger than [`MAX_IMAGE_FILE_BYTES`](crate::image::MAX_IMAGE_FILE_BYTES).
    #[error("the file is larger than {max_bytes} bytes, the most an image file may have")]
    FileTooLarge {
        /// The cap, [`MAX_IMAGE_FILE_BYTES`](crate::image::MAX_IMAGE_FILE_BYTES).
        max_bytes: u64,
    },
}

fn hex_prefix(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing (the file is empty)".into();
    }
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(" ")
}

fn pixel_count(width: u64, height: u64) -> String {
    match width.checked_mul(height) {
        Some(n) => n.to_string(),
        None => "2^64 or more".into(),
    }
}
