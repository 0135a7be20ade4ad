//! `backprop_data::image`: PGM, PNG and the other formats into 8-bit grey
//! pixels, and hostile headers refused before anything of their declared
//! size is allocated (a 588-byte PNG declaring 65535×65535 RGBA16 once aborted
//! `predict --image` on a 34 GB allocation).

mod common;

use backprop_data::DataError;
use backprop_data::image::{
    GrayImage, ImageError, MAX_IMAGE_PIXELS, decode_image, decode_pgm, decode_png, read_image,
};
use common::TempDir;

/// A PNG written by the png crate's encoder.
fn png(
    width: u32,
    height: u32,
    colour: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
) -> Vec<u8> {
    png_with(width, height, colour, depth, data, |_| {})
}

fn png_with(
    width: u32,
    height: u32,
    colour: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    extra: impl FnOnce(&mut png::Encoder<'_, &mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(colour);
        enc.set_depth(depth);
        extra(&mut enc);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(data).unwrap();
    }
    out
}

/// A chunk: length, type, data, CRC-32 of type and data.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    v.extend_from_slice(&crc.sum().to_be_bytes());
    v
}

/// A PNG that only declares a size: signature, IHDR, an empty IDAT, IEND.
fn png_declaring(width: u32, height: u32, depth: u8, colour: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend(chunk(b"IHDR", &ihdr));
    v.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    v.extend(chunk(b"IEND", &[]));
    v
}

#[test]
fn png_colour_types_and_depths_become_grey_bytes() {
    use png::{BitDepth::*, ColorType::*};
    let grey = png(3, 1, Grayscale, Eight, &[0, 100, 255]);
    assert_eq!(
        decode_png(&grey).unwrap(),
        GrayImage {
            width: 3,
            height: 1,
            pixels: vec![0, 100, 255]
        }
    );
    // 16 bits: v / 257.
    let g16 = png(2, 1, Grayscale, Sixteen, &[0xff, 0xff, 0x80, 0x80]);
    assert_eq!(decode_png(&g16).unwrap().pixels, vec![255, 128]);
    // RGB: 0.299 R + 0.587 G + 0.114 B, rounded.
    let rgb = png(2, 1, Rgb, Eight, &[255, 0, 0, 0, 0, 255]);
    assert_eq!(decode_png(&rgb).unwrap().pixels, vec![76, 29]);
    // Alpha is composited over white: opaque green is its luma, a fully
    // transparent pixel is white whatever its colour (a digit drawn on a
    // transparent canvas is dark on white, not black on black).
    let rgba16 = png(
        2,
        1,
        Rgba,
        Sixteen,
        &[0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(decode_png(&rgba16).unwrap().pixels, vec![150, 255]);
    let ga = png(2, 1, GrayscaleAlpha, Eight, &[10, 0, 20, 255]);
    assert_eq!(decode_png(&ga).unwrap().pixels, vec![255, 20]);
    // 1-bit grey expands to 0 and 255.
    let bits = png(4, 1, Grayscale, One, &[0b1010_0000]);
    assert_eq!(decode_png(&bits).unwrap().pixels, vec![255, 0, 255, 0]);
    // A palette expands to its colours.
    let pal = png_with(2, 1, Indexed, Eight, &[1, 0], |e| {
        e.set_palette(vec![0, 0, 0, 255, 255, 255]);
    });
    assert_eq!(decode_png(&pal).unwrap().pixels, vec![255, 0]);
    // decode_image picks the format from the bytes.
    assert_eq!(decode_image(&grey).unwrap().pixels, vec![0, 100, 255]);
}

#[test]
fn a_png_declaring_65535_squared_rgba16_is_refused_before_allocating() {
    let bomb = png_declaring(65535, 65535, 16, 6);
    assert!(bomb.len() < 100, "{}", bomb.len());
    let e = decode_png(&bomb).unwrap_err();
    assert_eq!(
        e,
        ImageError::TooLarge {
            width: 65535,
            height: 65535,
            max_pixels: MAX_IMAGE_PIXELS
        }
    );
    assert_eq!(
        e.to_string(),
        "the image is 65535×65535 pixels (4294836225), more than the 16777216 (16 megapixels) accepted"
    );
    // One row past the cap is refused too; u32::MAX × u32::MAX does not overflow.
    assert!(matches!(
        decode_png(&png_declaring(4096, 4097, 8, 0)),
        Err(ImageError::TooLarge { .. })
    ));
    assert!(matches!(
        decode_png(&png_declaring(u32::MAX, u32::MAX, 8, 0)),
        Err(ImageError::TooLarge { .. } | ImageError::Decode { format: "PNG", .. })
    ));
    // A small declared size with no pixel data is a decoder error.
    assert!(matches!(
        decode_png(&png_declaring(28, 28, 8, 0)),
        Err(ImageError::Decode { format: "PNG", .. })
    ));
}

#[test]
fn pgm_headers_and_data_are_checked() {
    let mut p5 = b"P5 2 2\n# comment\n255 ".to_vec();
    p5.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(decode_pgm(&p5).unwrap().pixels, vec![1, 2, 3, 4]);
    let cases: [(&[u8], ImageError); 6] = [
        (b"P5 2 2\n", ImageError::PgmHeader),
        (b"P5 2 x 255\n", ImageError::PgmHeader),
        (b"P5 2 2 0\n", ImageError::PgmMaxval { found: 0 }),
        (b"P2 1 1 65536\n0", ImageError::PgmMaxval { found: 65536 }),
        (
            b"P5 2 2 65535\n\x00\x01\x02",
            ImageError::Truncated {
                what: "P5 pixel data (bytes)",
                expected: 8,
                found: 3,
            },
        ),
        (
            b"P2 2 2 255\n1 2 3",
            ImageError::Truncated {
                what: "P2 pixel data (values)",
                expected: 4,
                found: 3,
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            decode_pgm(bytes),
            Err(expected),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let e = decode_pgm(b"P2 2 1 255\n1 -2").unwrap_err();
    assert_eq!(
        e.to_string(),
        "P2 pixel 1: expected a decimal integer, found \"-2\""
    );
    // width · height · 2 overflowed usize before; now it is over the cap.
    let e = decode_pgm(b"P5 4294967296 4294967296 65535\n").unwrap_err();
    assert!(matches!(e, ImageError::TooLarge { .. }), "{e}");
    let e = decode_pgm(b"P5 18446744073709551615 2 255\n").unwrap_err();
    assert!(e.to_string().contains("2^64 or more"), "{e}");
}

#[test]
fn read_image_names_the_file() {
    let dir = TempDir::new("image");
    let path = dir.write("digit.pgm", b"P2 2 1 255\n0 255\n");
    assert_eq!(read_image(&path).unwrap().pixels, vec![0, 255]);

    // A JPEG cut after its first marker: the JPEG decoder's error, named.
    let path = dir.write("digit.jpg", b"\xff\xd8\xff\xe0");
    let e = read_image(&path).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Image {
                source: ImageError::Decode { format: "JPEG", .. },
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("{}: JPEG: ", path.display())),
        "{e}"
    );
    // Text is no image format.
    let path = dir.write("notes.png", b"hello, world");
    let e = read_image(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: not an image in a format read here (PNG, JPEG, GIF, BMP, PNM/PGM, TIFF or WebP): \
             it starts with 68 65 6c 6c 6f 2c 20 77",
            path.display()
        )
    );
    let path = dir.write("bomb.png", &png_declaring(65535, 65535, 16, 6));
    let e = read_image(&path).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: the image is 65535×65535", path.display())),
        "{e}"
    );
    let e = read_image(dir.join("missing.png")).unwrap_err();
    assert!(matches!(e, DataError::FileNotFound { .. }), "{e:?}");
}
