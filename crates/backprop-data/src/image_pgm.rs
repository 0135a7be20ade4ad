//! PGM images (`P5` binary, `P2` text, any maxval up to 65535), read by
//! our own decoder: exact, with errors that name the header field or the
//! pixel that is wrong. The other formats go through the `image` crate
//! (image_decode.rs).

use crate::image::{GrayImage, check_size};
use crate::image_error::ImageError;

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
