//! What a picture needs before a model sees it: a new size
//! ([`GrayImage::resize`]) and the model's polarity ([`GrayImage::polarity`],
//! [`GrayImage::invert`]).

use crate::image::{GrayImage, check_size};
use crate::image_error::ImageError;
use ::image::imageops::{self, FilterType};

/// Which way round an image's levels are: ink on a dark background (as
/// MNIST's white digits on black) or on a light one (a pen on paper).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// The background is darker than the ink, as in MNIST.
    DarkBackground,
    /// The background is lighter than the ink.
    LightBackground,
}

impl GrayImage {
    /// This image resized to `width × height` with a triangle (bilinear)
    /// filter that averages over every source pixel a target pixel covers
    /// when shrinking (antialiased, as torchvision's `Resize`). The aspect
    /// ratio is not kept. Errors: an empty image or target
    /// ([`ImageError::Empty`]), a target above
    /// [`MAX_IMAGE_PIXELS`](crate::image::MAX_IMAGE_PIXELS)
    /// ([`ImageError::TooLarge`]).
    pub fn resize(&self, width: usize, height: usize) -> Result<GrayImage, ImageError> {
        let target = (width as u64, height as u64);
        check_size(target.0, target.1)?;
        for (w, h) in [(self.width, self.height), (width, height)] {
            if w == 0 || h == 0 {
                return Err(ImageError::Empty {
                    width: w as u64,
                    height: h as u64,
                });
            }
        }
        if (width, height) == (self.width, self.height) {
            return Ok(self.clone());
        }
        let source = self.buffer()?;
        // Both sizes are at most MAX_IMAGE_PIXELS, so they fit in u32.
        let out = imageops::resize(&source, width as u32, height as u32, FilterType::Triangle);
        Ok(GrayImage {
            width,
            height,
            pixels: out.into_raw(),
        })
    }

    /// The pixels as an `image` crate buffer (a copy).
    pub(crate) fn buffer(&self) -> Result<::image::GrayImage, ImageError> {
        let size = (
            u32::try_from(self.width).ok(),
            u32::try_from(self.height).ok(),
        );
        let mismatch = || ImageError::Truncated {
            what: "pixels of a grey image (width · height)",
            expected: (self.width as u64).saturating_mul(self.height as u64),
            found: self.pixels.len() as u64,
        };
        match size {
            (Some(w), Some(h)) => {
                ::image::GrayImage::from_raw(w, h, self.pixels.clone()).ok_or_else(mismatch)
            }
            _ => Err(ImageError::TooLarge {
                width: self.width as u64,
                height: self.height as u64,
                max_pixels: crate::image::MAX_IMAGE_PIXELS,
            }),
        }
    }

    /// Turns every level `v` into `255 − v`: white on black becomes black
    /// on white and back.
    pub fn invert(&mut self) {
        for p in &mut self.pixels {
            *p = 255 - *p;
        }
    }

    /// The median level of the pixels on the image's edge (its first and
    /// last rows and columns): the background's level unless the subject
    /// covers most of the edge. `None` for an empty image.
    pub fn border_median(&self) -> Option<u8> {
        let (w, h) = (self.width, self.height);
        let at = |x: usize, y: usize| {
            y.checked_mul(w)
                .and_then(|r| r.checked_add(x))
                .and_then(|i| self.pixels.get(i).copied())
        };
        let mut counts = [0u64; 256];
        let mut n = 0u64;
        let mut count = |x: usize, y: usize| {
            if let Some(v) = at(x, y) {
                counts[usize::from(v)] += 1;
                n += 1;
            }
        };
        for y in 0..h {
            if y == 0 || y + 1 == h {
                (0..w).for_each(|x| count(x, y));
            } else if w > 0 {
                count(0, y);
                if w > 1 {
                    count(w - 1, y);
                }
            }
        }
        median(&counts, n)
    }

    /// The mean level of all pixels; 0 for an empty image.
    pub fn mean(&self) -> f64 {
        let sum: u64 = self.pixels.iter().map(|&p| u64::from(p)).sum();
        sum as f64 / self.pixels.len().max(1) as f64
    }

    /// Which way round the image is, from its levels alone: the background
    /// is the edge's median level ([`border_median`](Self::border_median));
    /// the ink, a minority of the pixels, pulls the mean away from it —
    /// below it for dark ink on a light background, above it for light ink
    /// on a dark one. A uniform image counts as [`Polarity::DarkBackground`].
    pub fn polarity(&self) -> Polarity {
        match self.border_median() {
            Some(b) if self.mean() < f64::from(b) => Polarity::LightBackground,
            _ => Polarity::DarkBackground,
        }
    }
}

/// The median of a histogram holding `n` values (the lower middle one for
/// an even count); `None` when it is empty.
fn median(counts: &[u64; 256], n: u64) -> Option<u8> {
    if n == 0 {
        return None;
    }
    let middle = (n - 1) / 2;
    let mut seen = 0u64;
    for (level, &c) in counts.iter().enumerate() {
        seen += c;
        if seen > middle {
            return u8::try_from(level).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: usize, height: usize, pixels: Vec<u8>) -> GrayImage {
        GrayImage {
            width,
            height,
            pixels,
        }
    }

    #[test]
    fn polarity_is_read_from_the_edge_and_the_mean() {
        // A light stroke on black, as MNIST.
        let mut digit = image(4, 4, vec![0; 16]);
        digit.pixels[5] = 255;
        digit.pixels[10] = 200;
        assert_eq!(digit.border_median(), Some(0));
        assert_eq!(digit.polarity(), Polarity::DarkBackground);
        // The same, inverted: a dark stroke on white.
        digit.invert();
        assert_eq!(digit.border_median(), Some(255));
        assert_eq!(digit.polarity(), Polarity::LightBackground);
        // Dim paper (120) with dark ink (40): still a light background.
        let paper = image(3, 3, vec![120, 120, 120, 120, 40, 120, 120, 120, 120]);
        assert_eq!(paper.polarity(), Polarity::LightBackground);
        // A stroke touching the edge does not move the edge's median.
        let touching = image(3, 3, vec![0, 255, 0, 0, 255, 0, 0, 255, 0]);
        assert_eq!(touching.border_median(), Some(0));
        assert_eq!(touching.polarity(), Polarity::DarkBackground);
        // Uniform, single-pixel and empty images.
        assert_eq!(image(2, 2, vec![9; 4]).polarity(), Polarity::DarkBackground);
        assert_eq!(image(1, 1, vec![7]).border_median(), Some(7));
        assert_eq!(image(0, 0, vec![]).border_median(), None);
        assert_eq!(image(0, 0, vec![]).polarity(), Polarity::DarkBackground);
    }

    #[test]
    fn resize_averages_when_shrinking_and_refuses_empty_sizes() {
        // Shrinking 8×8 to 2×2 averages: a one-pixel dot is not dropped
        // (nearest-neighbour sampling would miss it), and it lands in the
        // corner it was in.
        let mut px = vec![0u8; 64];
        px[9] = 255;
        let small = image(8, 8, px).resize(2, 2).unwrap();
        assert!(small.pixels[0] > 0, "{:?}", small.pixels);
        assert!(small.pixels[0] > small.pixels[3], "{:?}", small.pixels);
        // A uniform image stays uniform at any size.
        let grey = image(3, 5, vec![77; 15]).resize(28, 28).unwrap();
        assert_eq!((grey.width, grey.height), (28, 28));
        assert!(grey.pixels.iter().all(|&p| p == 77));
        // The same size is a copy.
        let same = image(2, 1, vec![1, 2]);
        assert_eq!(same.resize(2, 1).unwrap(), same);
        assert_eq!(
            image(0, 3, vec![]).resize(28, 28),
            Err(ImageError::Empty {
                width: 0,
                height: 3
            })
        );
        assert_eq!(
            same.resize(28, 0),
            Err(ImageError::Empty {
                width: 28,
                height: 0
            })
        );
        assert!(matches!(
            same.resize(1 << 20, 1 << 20),
            Err(ImageError::TooLarge { .. })
        ));
        // Pixels that disagree with the size are an error, not a panic.
        assert!(matches!(
            image(3, 3, vec![0; 4]).resize(2, 2),
            Err(ImageError::Truncated { .. })
        ));
    }
}
