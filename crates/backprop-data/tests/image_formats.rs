//! Every format `backprop_data::image` reads through the `image` crate
//! (PNG, JPEG, GIF, BMP, PNM, TIFF, WebP): the same grey levels back from
//! each lossless one, colour JPEGs as luma, the orientation tag applied,
//! hostile headers refused before their declared size is allocated, and
//! every truncation of every format an error, never a panic.

use backprop_data::image::{GrayImage, ImageError, MAX_IMAGE_PIXELS, decode_image};
use image::{ExtendedColorType, ImageEncoder, ImageFormat};
use std::io::Cursor;

/// A 7×5 grey gradient, every pixel different.
fn gradient() -> GrayImage {
    GrayImage {
        width: 7,
        height: 5,
        pixels: (0..35).map(|i| (i * 7) as u8).collect(),
    }
}

/// `img` encoded by the `image` crate as `format`.
fn encoded(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let buffer =
        image::GrayImage::from_raw(img.width as u32, img.height as u32, img.pixels.clone())
            .unwrap();
    let mut out = Cursor::new(Vec::new());
    // GIF and WebP encode colour; PNM as PPM (P6, through the `image`
    // crate; P5 grey is our own decoder's); the rest keep one grey channel.
    let colour = image::DynamicImage::ImageLuma8(buffer.clone());
    match format {
        ImageFormat::Gif | ImageFormat::WebP => {
            colour.to_rgba8().write_to(&mut out, format).unwrap()
        }
        ImageFormat::Pnm => colour.to_rgb8().write_to(&mut out, format).unwrap(),
        _ => buffer.write_to(&mut out, format).unwrap(),
    }
    out.into_inner()
}

#[test]
fn lossless_formats_give_back_the_same_levels() {
    let img = gradient();
    for format in [
        ImageFormat::Png,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::Pnm,
        ImageFormat::WebP,
    ] {
        let bytes = encoded(&img, format);
        assert_eq!(decode_image(&bytes).unwrap(), img, "{format:?}");
    }
    // GIF's palette holds every level of this image (35 < 256).
    let gif = encoded(&img, ImageFormat::Gif);
    assert_eq!(decode_image(&gif).unwrap(), img);
}

#[test]
fn a_colour_jpeg_becomes_its_bt601_luma() {
    // 16×16 halves: pure red on the left, pure blue on the right.
    let (w, h) = (16u32, 16u32);
    let rgb: Vec<u8> = (0..w * h)
        .flat_map(|i| if i % w < 8 { [255, 0, 0] } else { [0, 0, 255] })
        .collect();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 100)
        .write_image(&rgb, w, h, ExtendedColorType::Rgb8)
        .unwrap();
    let grey = decode_image(&jpeg).unwrap();
    assert_eq!((grey.width, grey.height), (16, 16));
    // Away from the edge between the halves (JPEG smears 8×8 blocks and
    // subsamples colour), red is 0.299·255 = 76 and blue 0.114·255 = 29,
    // within JPEG's rounding.
    let at = |x: usize, y: usize| i32::from(grey.pixels[y * 16 + x]);
    for y in [1, 8, 14] {
        assert!((at(1, y) - 76).abs() <= 3, "red: {}", at(1, y));
        assert!((at(14, y) - 29).abs() <= 3, "blue: {}", at(14, y));
    }
}

#[test]
fn a_jpeg_orientation_tag_is_applied() {
    // A 4×2 picture, left column white, tagged "rotate 90° clockwise to
    // display" (EXIF orientation 6): it is read as 2×4, its white column
    // now the top row.
    let pixels: Vec<u8> = (0..8).map(|i| if i % 4 == 0 { 255 } else { 0 }).collect();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 100)
        .write_image(&pixels, 4, 2, ExtendedColorType::L8)
        .unwrap();
    // An APP1 Exif segment right after the start-of-image marker: a
    // little-endian TIFF header and one IFD entry, Orientation (0x0112)
    // SHORT 6.
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0".to_vec();
    exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
    let mut tagged = jpeg[..2].to_vec();
    tagged.extend_from_slice(&[0xff, 0xe1]);
    tagged.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    tagged.extend_from_slice(&exif);
    tagged.extend_from_slice(&jpeg[2..]);
    let plain = decode_image(&jpeg).unwrap();
    assert_eq!((plain.width, plain.height), (4, 2));
    let upright = decode_image(&tagged).unwrap();
    assert_eq!((upright.width, upright.height), (2, 4));
    let top_row_mean = (u32::from(upright.pixels[0]) + u32::from(upright.pixels[1])) / 2;
    let bottom_row_mean = (u32::from(upright.pixels[6]) + u32::from(upright.pixels[7])) / 2;
    assert!(
        top_row_mean > 200 && bottom_row_mean < 60,
        "{:?}",
        upright.pixels
    );
}

/// A BMP header (BITMAPINFOHEADER, 24 bits) declaring `w × h`, no pixels.
fn bmp_declaring(w: i32, h: i32) -> Vec<u8> {
    let mut v = b"BM".to_vec();
    v.extend_from_slice(&54u32.to_le_bytes()); // file size (a lie)
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&54u32.to_le_bytes()); // pixel data offset
    v.extend_from_slice(&40u32.to_le_bytes()); // header size
    v.extend_from_slice(&w.to_le_bytes());
    v.extend_from_slice(&h.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // planes
    v.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    v.extend_from_slice(&[0; 24]); // compression, sizes, resolution, colours
    v
}

#[test]
fn huge_declared_sizes_are_refused_before_allocating() {
    let e = decode_image(&bmp_declaring(60000, 60000)).unwrap_err();
    assert_eq!(
        e,
        ImageError::TooLarge {
            width: 60000,
            height: 60000,
            max_pixels: MAX_IMAGE_PIXELS
        }
    );
    // One row past the cap.
    assert!(matches!(
        decode_image(&bmp_declaring(4096, 4097)),
        Err(ImageError::TooLarge { .. })
    ));
    // A GIF whose screen is 65535×65535 with a frame of that size.
    let mut gif = b"GIF89a\xff\xff\xff\xff\x00\x00\x00".to_vec();
    gif.extend_from_slice(b"\x2c\0\0\0\0\xff\xff\xff\xff\x00\x08\x02\x4c\x01\x00\x3b");
    assert_eq!(
        decode_image(&gif),
        Err(ImageError::TooLarge {
            width: 65535,
            height: 65535,
            max_pixels: MAX_IMAGE_PIXELS
        })
    );
}

#[test]
fn every_truncation_of_every_format_is_an_error_or_an_image_never_a_panic() {
    let img = gradient();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(&img.pixels, 7, 5, ExtendedColorType::L8)
        .unwrap();
    let mut files = vec![jpeg];
    for format in [
        ImageFormat::Png,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::Pnm,
        ImageFormat::WebP,
        ImageFormat::Gif,
    ] {
        files.push(encoded(&img, format));
    }
    for file in &files {
        for cut in 0..file.len() {
            if let Ok(decoded) = decode_image(&file[..cut]) {
                assert_eq!(decoded.pixels.len(), decoded.width * decoded.height);
            }
        }
        // Flipped bytes, one at a time.
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x5a;
            if let Ok(decoded) = decode_image(&bad) {
                assert_eq!(decoded.pixels.len(), decoded.width * decoded.height);
            }
        }
    }
}

#[test]
fn a_zero_size_image_decodes_but_does_not_resize() {
    let empty = decode_image(b"P5 0 0 255\n").unwrap();
    assert_eq!((empty.width, empty.height), (0, 0));
    assert_eq!(
        empty.resize(28, 28),
        Err(ImageError::Empty {
            width: 0,
            height: 0
        })
    );
    assert!(matches!(
        empty.fit_digit(28, 28),
        Err(ImageError::Empty { .. })
    ));
    // A BMP declaring 0×5 is the decoder's error or an empty image.
    if let Ok(img) = decode_image(&bmp_declaring(0, 5)) {
        assert!(img.pixels.is_empty());
    }
}
