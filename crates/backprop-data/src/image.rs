//! Grey-level images from files, as 8-bit pixels: what a model trained on
//! MNIST-like images takes. PNG, JPEG, GIF (the first frame), BMP, PNM
//! (PBM, PGM, PPM, PAM), TIFF and WebP are decoded by the
//! [`image`](https://docs.rs/image) crate; PGM (`P5`, `P2`) by our own
//! [`decode_pgm`], whose errors name the header field or pixel at fault.
//! The format is taken from the first bytes, never from the file's name.
//!
//! Colour becomes luma with the ITU-R BT.601 weights
//! (`0.299 R + 0.587 G + 0.114 B`, what Pillow's `convert("L")` computes);
//! 16-bit samples are divided by 257; transparent pixels are composited over
//! white, as a page shows them (a digit drawn on a transparent canvas is a
//! dark digit on white, not black on black); a JPEG's, TIFF's or WebP's
//! orientation tag is applied, so a phone photo stands upright.
//!
//! Then, for a model: [`GrayImage::resize`] to its input size,
//! [`GrayImage::polarity`] and [`GrayImage::invert`] (MNIST is white on
//! black; most drawings are black on white), and [`GrayImage::fit_digit`],
//! the preparation MNIST's digits went through (the ink's bounding box
//! scaled into 20×20, centred by its centre of mass in 28×28).
//!
//! Hostile files are errors, never aborts: the declared size is checked
//! against [`MAX_IMAGE_PIXELS`] (16 megapixels) **before** the pixel buffer
//! is allocated, the decoders run under an allocation limit of
//! [`MAX_DECODE_BYTES`], every size computation is checked arithmetic, and
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
//! // Resized to 6×4 (bilinear, antialiased), and inverted.
//! let mut big = img.resize(6, 4)?;
//! assert_eq!((big.width, big.height, big.pixels.len()), (6, 4, 24));
//! big.invert();
//! assert_eq!(big.pixels[0], 255);
//! # Ok::<(), ImageError>(())
//! ```

pub use crate::image_error::ImageError;
pub use crate::image_fit::DIGIT_BOX;
pub use crate::image_ops::Polarity;
pub use crate::image_pgm::decode_pgm;
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

/// The most memory the `image` crate's decoders may allocate for one image
/// (512 MiB): twice what the largest image accepted needs at 16 bytes a
/// pixel (RGBA, 32-bit float).
pub const MAX_DECODE_BYTES: u64 = 2 * 16 * MAX_IMAGE_PIXELS;

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
pub(crate) fn check_size(width: u64, height: u64) -> Result<usize, ImageError> {
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

/// Reads an image file in any of the formats above (taken from its first
/// bytes, not its name). Errors are [`DataError::FileNotFound`],
/// [`DataError::Io`], or [`DataError::Image`] naming the file.
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

/// Decodes an image held in memory, the format taken from its first bytes:
/// PGM (`P5`/`P2`) by [`decode_pgm`], everything else by the `image` crate.
pub fn decode_image(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    if bytes.starts_with(b"P5") || bytes.starts_with(b"P2") {
        return decode_pgm(bytes);
    }
    match ::image::guess_format(bytes) {
        Ok(format) => crate::image_decode::decode(bytes, format),
        Err(_) => Err(ImageError::Format {
            start: bytes.iter().take(8).copied().collect(),
        }),
    }
}

/// Decodes a PNG image (its first frame, if animated), whatever its first
/// bytes say. The declared size is checked against [`MAX_IMAGE_PIXELS`]
/// before the pixel buffer is allocated.
pub fn decode_png(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    crate::image_decode::decode(bytes, ::image::ImageFormat::Png)
}
