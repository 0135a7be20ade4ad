//! Every format but PGM, through the `image` crate: the declared size
//! checked before the pixel buffer exists, the decoder under an allocation
//! limit, then grey levels (BT.601 luma, alpha over white) and the file's
//! orientation tag applied.

use crate::image::{GrayImage, MAX_DECODE_BYTES, check_size};
use crate::image_error::ImageError;
use ::image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// What a user calls the format.
fn name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "PNG",
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Pnm => "PNM",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Ico => "ICO",
        ImageFormat::Tga => "TGA",
        ImageFormat::Avif => "AVIF",
        ImageFormat::Hdr => "HDR",
        ImageFormat::OpenExr => "OpenEXR",
        ImageFormat::Qoi => "QOI",
        ImageFormat::Dds => "DDS",
        ImageFormat::Farbfeld => "farbfeld",
        _ => "image",
    }
}

/// Decodes `bytes` as `format` into grey levels.
pub(crate) fn decode(bytes: &[u8], format: ImageFormat) -> Result<GrayImage, ImageError> {
    let format_name = name(format);
    let decode_error = |e: ::image::ImageError| ImageError::Decode {
        format: format_name,
        message: message(&e),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    // The decoder has read the header only: nothing of the declared size
    // is allocated before the check.
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_size(u64::from(width), u64::from(height))?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let decoded = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    let pixels = grey(&decoded);
    drop(decoded);
    let truncated = || ImageError::Truncated {
        what: "decoded pixels",
        expected: u64::from(width) * u64::from(height),
        found: 0,
    };
    let buffer = ::image::GrayImage::from_raw(width, height, pixels).ok_or_else(truncated)?;
    let mut upright = DynamicImage::ImageLuma8(buffer);
    upright.apply_orientation(orientation);
    let (width, height) = (upright.width() as usize, upright.height() as usize);
    Ok(GrayImage {
        width,
        height,
        pixels: upright.into_luma8().into_raw(),
    })
}

/// The decoder's own words: "Format error decoding Png: IDAT …" says the
/// format twice once [`ImageError::Decode`] names it, so only the cause is
/// kept.
fn message(e: &::image::ImageError) -> String {
    use std::error::Error;
    match e {
        ::image::ImageError::Decoding(d) => {
            d.source().map_or_else(|| d.to_string(), |s| s.to_string())
        }
        ::image::ImageError::Limits(l) => format!(
            "{l}: decoding it needs more than the {MAX_DECODE_BYTES} bytes an image may take"
        ),
        other => other.to_string(),
    }
}

/// One grey byte per pixel: BT.601 luma of colour, alpha composited over
/// white, every depth scaled to 0..=255 and rounded.
fn grey(image: &DynamicImage) -> Vec<u8> {
    let u8s = |v: u8| f64::from(v);
    let u16s = |v: u16| f64::from(v) / 257.0;
    let f32s = |v: f32| f64::from(v) * 255.0;
    match image {
        DynamicImage::ImageLuma8(b) => b.as_raw().clone(),
        DynamicImage::ImageLumaA8(b) => to_grey(b.as_raw(), 2, u8s),
        DynamicImage::ImageRgb8(b) => to_grey(b.as_raw(), 3, u8s),
        DynamicImage::ImageRgba8(b) => to_grey(b.as_raw(), 4, u8s),
        DynamicImage::ImageLuma16(b) => to_grey(b.as_raw(), 1, u16s),
        DynamicImage::ImageLumaA16(b) => to_grey(b.as_raw(), 2, u16s),
        DynamicImage::ImageRgb16(b) => to_grey(b.as_raw(), 3, u16s),
        DynamicImage::ImageRgba16(b) => to_grey(b.as_raw(), 4, u16s),
        DynamicImage::ImageRgb32F(b) => to_grey(b.as_raw(), 3, f32s),
        DynamicImage::ImageRgba32F(b) => to_grey(b.as_raw(), 4, f32s),
        other => to_grey(other.to_rgba32f().as_raw(), 4, f32s),
    }
}

/// Grey levels of interleaved samples with `channels` per pixel (grey,
/// grey+alpha, RGB or RGBA), each sample mapped to 0..=255 by `level`.
fn to_grey<S: Copy>(samples: &[S], channels: usize, level: impl Fn(S) -> f64) -> Vec<u8> {
    samples
        .chunks_exact(channels.max(1))
        .map(|px| {
            let at = |i: usize| px.get(i).copied().map_or(0.0, &level);
            let (luma, alpha) = match channels {
                1 => (at(0), 255.0),
                2 => (at(0), at(1)),
                3 => (luma_601(at(0), at(1), at(2)), 255.0),
                _ => (luma_601(at(0), at(1), at(2)), at(3)),
            };
            let a = (alpha / 255.0).clamp(0.0, 1.0);
            // NaN samples (float images) become 0 through `as u8`.
            (luma * a + 255.0 * (1.0 - a)).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// ITU-R BT.601 luma.
fn luma_601(r: f64, g: f64, b: f64) -> f64 {
    0.299 * r + 0.587 * g + 0.114 * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_is_bt601_and_alpha_is_composited_over_white() {
        // Pure red, green, blue: 76, 150, 29 (Pillow's convert("L")).
        assert_eq!(
            to_grey(&[255u8, 0, 0, 0, 255, 0, 0, 0, 255], 3, f64::from),
            vec![76, 150, 29]
        );
        // Opaque black stays black; transparent black is white; half
        // transparent black is mid-grey.
        assert_eq!(
            to_grey(&[0u8, 255, 0, 0, 0, 128], 2, f64::from),
            vec![0, 255, 127]
        );
        // 16-bit and float samples reach 255 at their maximum.
        assert_eq!(
            to_grey(&[65535u16, 32896], 1, |v| f64::from(v) / 257.0),
            vec![255, 128]
        );
        assert_eq!(
            to_grey(
                &[1.0f32, 1.0, 1.0, f32::NAN, 0.5, 0.5, 0.5],
                1,
                |v| f64::from(v) * 255.0
            ),
            vec![255, 255, 255, 0, 128, 128, 128]
        );
    }

    #[test]
    fn an_unreadable_variant_of_a_format_is_a_decode_error_naming_it() {
        // A GIF signature with nothing after it.
        let e = decode(b"GIF89a", ImageFormat::Gif).unwrap_err();
        assert!(
            matches!(e, ImageError::Decode { format: "GIF", .. }),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("GIF: "), "{e}");
        // The format is named once, by us, not again by the decoder.
        let e = decode(b"\x89PNG\r\n\x1a\n", ImageFormat::Png).unwrap_err();
        assert!(e.to_string().starts_with("PNG: "), "{e}");
        assert!(!e.to_string().contains("decoding Png"), "{e}");
    }
}
