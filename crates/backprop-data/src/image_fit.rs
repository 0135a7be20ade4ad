//! [`GrayImage::fit_digit`]: a picture of one digit prepared as MNIST's
//! digits were. LeCun, Cortes and Burges describe it: each NIST digit was
//! "size normalized to fit in a 20x20 pixel box while preserving their
//! aspect ratio", then "centered in a 28x28 image by computing the center
//! of mass of the pixels, and translating the image so as to position this
//! point at the center of the 28x28 field".

use crate::image::{GrayImage, check_size};
use crate::image_error::ImageError;

/// The share of the model's input side that the digit's longer side
/// fills: MNIST's 20 pixels of 28.
pub const DIGIT_BOX: f64 = 20.0 / 28.0;

/// Levels at or below this share of the range between the background and
/// the brightest pixel are not ink when the bounding box is sought (paper
/// grain, JPEG noise, a faint shadow).
const INK_THRESHOLD: f64 = 0.25;

impl GrayImage {
    /// This light-on-dark picture of one digit prepared as MNIST's digits
    /// were, at `width × height` (28×28 for MNIST):
    ///
    /// 1. levels stretched so that the background (the edge's median
    ///    level, [`border_median`](Self::border_median)) becomes 0 and the
    ///    brightest pixel 255;
    /// 2. cropped to the bounding box of the ink (levels above a quarter of
    ///    that range);
    /// 3. resized, keeping its aspect ratio, until its longer side fills
    ///    [`DIGIT_BOX`] of the output (20 of 28 pixels);
    /// 4. placed on a black `width × height` canvas with its centre of mass
    ///    (levels as weights) at the canvas's centre; what falls outside is
    ///    cut.
    ///
    /// An image without ink (every pixel at the background's level) is only
    /// resized. Errors as [`resize`](Self::resize).
    ///
    /// ```
    /// use backprop_data::image::GrayImage;
    /// // A 2×3 bar in the corner of a 40×40 picture on a grey (30) background.
    /// let mut pixels = vec![30u8; 1600];
    /// for (x, y) in [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3)] {
    ///     pixels[y * 40 + x] = 230;
    /// }
    /// let picture = GrayImage { width: 40, height: 40, pixels };
    /// let digit = picture.fit_digit(28, 28)?;
    /// // Its longer side now spans 20 rows, centred; the background is 0.
    /// let rows: Vec<usize> = (0..28).filter(|y| digit.pixels[y * 28..][..28].iter().any(|&p| p > 0)).collect();
    /// assert_eq!((rows[0], rows.len()), (4, 20));
    /// assert_eq!(digit.pixels[0], 0);
    /// assert_eq!(*digit.pixels.iter().max().unwrap(), 255);
    /// # Ok::<(), backprop_data::image::ImageError>(())
    /// ```
    pub fn fit_digit(&self, width: usize, height: usize) -> Result<GrayImage, ImageError> {
        check_size(width as u64, height as u64)?;
        let background = self.border_median().unwrap_or(0);
        let brightest = self.pixels.iter().copied().max().unwrap_or(0);
        if brightest <= background || width == 0 || height == 0 {
            return self.resize(width, height);
        }
        let range = f64::from(brightest - background);
        let stretched: Vec<u8> = self
            .pixels
            .iter()
            .map(|&p| {
                let v = f64::from(p.saturating_sub(background)) / range * 255.0;
                v.round().clamp(0.0, 255.0) as u8
            })
            .collect();
        let levels = GrayImage {
            width: self.width,
            height: self.height,
            pixels: stretched,
        };
        let Some((x0, y0, x1, y1)) = levels.ink_box((INK_THRESHOLD * 255.0) as u8) else {
            return self.resize(width, height);
        };
        let crop = levels.crop(x0, y0, x1 - x0, y1 - y0);
        // The longer side fills the box; the other keeps the aspect ratio.
        let scale = f64::min(
            DIGIT_BOX * width as f64 / crop.width as f64,
            DIGIT_BOX * height as f64 / crop.height as f64,
        );
        let side = |n: usize, limit: usize| ((n as f64 * scale).round() as usize).clamp(1, limit);
        let mut digit = crop.resize(side(crop.width, width), side(crop.height, height))?;
        digit.stretch_to_white();
        Ok(digit.centred_on(width, height))
    }

    /// The smallest box `(x0, y0, x1, y1)` (end exclusive) holding every
    /// pixel above `threshold`; `None` if there is none.
    fn ink_box(&self, threshold: u8) -> Option<(usize, usize, usize, usize)> {
        let mut found: Option<(usize, usize, usize, usize)> = None;
        for (i, &p) in self.pixels.iter().enumerate() {
            if p > threshold {
                let (x, y) = (i % self.width.max(1), i / self.width.max(1));
                found = Some(match found {
                    None => (x, y, x + 1, y + 1),
                    Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x + 1), d.max(y + 1)),
                });
            }
        }
        found
    }

    /// The `w × h` pixels from `(x0, y0)`, which the caller keeps inside.
    fn crop(&self, x0: usize, y0: usize, w: usize, h: usize) -> GrayImage {
        let pixels = (y0..y0 + h)
            .flat_map(|y| (x0..x0 + w).map(move |x| y * self.width + x))
            .map(|i| self.pixels.get(i).copied().unwrap_or(0))
            .collect();
        GrayImage {
            width: w,
            height: h,
            pixels,
        }
    }

    /// Scales the levels so that the brightest is 255 (resizing averages a
    /// thin stroke into grey).
    fn stretch_to_white(&mut self) {
        let brightest = self.pixels.iter().copied().max().unwrap_or(0);
        if brightest > 0 {
            let k = 255.0 / f64::from(brightest);
            for p in &mut self.pixels {
                *p = (f64::from(*p) * k).round().clamp(0.0, 255.0) as u8;
            }
        }
    }

    /// This image on a black `width × height` canvas, its centre of mass
    /// at the canvas's centre (rounded to whole pixels).
    fn centred_on(&self, width: usize, height: usize) -> GrayImage {
        let (mut mass, mut mx, mut my) = (0.0, 0.0, 0.0);
        for (i, &p) in self.pixels.iter().enumerate() {
            let (x, y) = (i % self.width.max(1), i / self.width.max(1));
            let m = f64::from(p);
            mass += m;
            mx += m * (x as f64 + 0.5);
            my += m * (y as f64 + 0.5);
        }
        let (cx, cy) = if mass > 0.0 {
            (mx / mass, my / mass)
        } else {
            (self.width as f64 / 2.0, self.height as f64 / 2.0)
        };
        let dx = (width as f64 / 2.0 - cx).round() as i64;
        let dy = (height as f64 / 2.0 - cy).round() as i64;
        let mut canvas = vec![0u8; width * height];
        for (i, &p) in self.pixels.iter().enumerate() {
            let (x, y) = (
                (i % self.width.max(1)) as i64,
                (i / self.width.max(1)) as i64,
            );
            let (tx, ty) = (x + dx, y + dy);
            if (0..width as i64).contains(&tx)
                && (0..height as i64).contains(&ty)
                && let Some(c) = canvas.get_mut(ty as usize * width + tx as usize)
            {
                *c = p;
            }
        }
        GrayImage {
            width,
            height,
            pixels: canvas,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_off_centre_digit_is_scaled_into_the_box_and_centred() {
        // A 4×8 bar (aspect 1:2) at the top left of a 64×64 white-on-black image.
        let mut pixels = vec![0u8; 64 * 64];
        for y in 2..10 {
            for x in 3..7 {
                pixels[y * 64 + x] = 180;
            }
        }
        let img = GrayImage {
            width: 64,
            height: 64,
            pixels,
        };
        let fit = img.fit_digit(28, 28).unwrap();
        let lit: Vec<(usize, usize)> = (0..28 * 28)
            .filter(|&i| fit.pixels[i] > 0)
            .map(|i| (i % 28, i / 28))
            .collect();
        let (xs, ys): (Vec<usize>, Vec<usize>) = lit.iter().copied().unzip();
        let span = |v: &[usize]| v.iter().max().unwrap() - v.iter().min().unwrap() + 1;
        // 20 rows tall, 10 columns wide, in the middle; levels up to 255.
        assert_eq!((span(&xs), span(&ys)), (10, 20));
        assert_eq!((xs.iter().min(), ys.iter().min()), (Some(&9), Some(&4)));
        assert_eq!(fit.pixels.iter().max(), Some(&255));
    }

    #[test]
    fn an_image_without_ink_is_only_resized() {
        let blank = GrayImage {
            width: 5,
            height: 5,
            pixels: vec![40; 25],
        };
        assert_eq!(
            blank.fit_digit(28, 28).unwrap(),
            blank.resize(28, 28).unwrap()
        );
        assert!(matches!(
            blank.fit_digit(0, 28),
            Err(ImageError::Empty { .. })
        ));
    }
}
