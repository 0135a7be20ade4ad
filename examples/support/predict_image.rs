//! examples/predict: a user's picture made into what the model reads — its
//! input size from the model's input shape, the model's polarity (light
//! ink on dark, as MNIST), and MNIST's own digit preparation for pictures
//! of another size. Compiled into predict with `#[path]`.

use backprop::data::image::{GrayImage, ImageError, Polarity};
use backprop::layers::{Model, Sequential, Shape};
use backprop::tensor::{DMatrix, Scalar};
use clap::ValueEnum;
use std::error::Error;

/// `--invert`: whether to turn dark-on-light pictures round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Invert {
    /// Invert a picture whose background is lighter than its ink.
    Auto,
    /// Always invert (255 − v).
    Yes,
    /// Never invert.
    No,
}

/// `--fit`: how a picture becomes the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fit {
    /// A picture of the model's input size as it is; any other size by `digit`.
    Auto,
    /// As MNIST's digits were made: the ink's bounding box scaled into
    /// 20×20 (of 28×28), centred by its centre of mass.
    Digit,
    /// The whole picture resized to the input size (aspect not kept).
    Resize,
}

/// A picture ready for the model, and how it got there.
pub struct Prepared {
    /// The model-sized grey image.
    pub image: GrayImage,
    /// The picture's own size.
    pub source: (usize, usize),
    /// Whether it was inverted.
    pub inverted: bool,
    /// Why (or why not), for the user.
    pub polarity_note: String,
    /// The fit used: `"none"` (already the input size), `"digit"` or `"resize"`.
    pub fit: &'static str,
}

impl Prepared {
    /// `inverted` or `as-is`.
    pub fn polarity(&self) -> &'static str {
        if self.inverted { "inverted" } else { "as-is" }
    }

    /// One line saying what was done to the picture.
    pub fn describe(&self) -> String {
        let (w, h) = self.source;
        let (tw, th) = (self.image.width, self.image.height);
        let fit = match self.fit {
            "none" => format!("{w}×{h}, the model's input size, as it is"),
            "digit" => format!(
                "{w}×{h} → {tw}×{th} as MNIST's digits were made (the ink's bounding box \
                 into {}×{}, centred by mass)",
                box_side(tw),
                box_side(th)
            ),
            _ => format!("{w}×{h} → {tw}×{th}, the whole picture resized"),
        };
        format!("{fit}; {} ({})", self.polarity(), self.polarity_note)
    }
}

/// The digit box's side for an input side (20 of 28).
fn box_side(n: usize) -> usize {
    (backprop::data::image::DIGIT_BOX * n as f64).round() as usize
}

/// The picture size a model reads: `[1, H, W]` or `[H, W]`, or a flat
/// `[N]` with `N` a square (784 → 28×28). Anything else is no grey image.
pub fn input_size(shape: &Shape) -> Result<(usize, usize), String> {
    match *shape.dims() {
        [n] => {
            let side = (n as f64).sqrt().round() as usize;
            if side > 0 && side * side == n {
                Ok((side, side))
            } else {
                Err(format!(
                    "the model takes {n} inputs, which is no square image; predict reads \
                     pictures for models of input shape [N] with N a square (784 = 28×28), \
                     [H, W] or [1, H, W]"
                ))
            }
        }
        [1, h, w] | [h, w] => Ok((w, h)),
        [c, h, w] => Err(format!(
            "the model takes {c} channels of {h}×{w} (input shape {shape}); predict \
             reads grey pictures, one channel"
        )),
        _ => Err(format!(
            "the model's input shape {shape} is no picture: expected [N] with N a \
             square, [H, W] or [1, H, W]"
        )),
    }
}

/// `picture` made into a `width × height` input, light ink on dark.
pub fn prepare(
    picture: GrayImage,
    (width, height): (usize, usize),
    invert: Invert,
    fit: Fit,
) -> Result<Prepared, ImageError> {
    let source = (picture.width, picture.height);
    let mut image = picture;
    let (inverted, polarity_note) = match invert {
        Invert::Yes => (true, "--invert yes".to_string()),
        Invert::No => (false, "--invert no".to_string()),
        Invert::Auto => {
            let edge = image.border_median().unwrap_or(0);
            let mean = image.mean();
            match image.polarity() {
                Polarity::LightBackground => (
                    true,
                    format!(
                        "auto: a light background, its edge's median {edge} above the mean \
                         {mean:.0}; the model reads light on dark"
                    ),
                ),
                Polarity::DarkBackground => (
                    false,
                    format!(
                        "auto: a dark background, its edge's median {edge} not above the \
                         mean {mean:.0}, as MNIST's"
                    ),
                ),
            }
        }
    };
    if inverted {
        image.invert();
    }
    let at_size = source == (width, height);
    let (image, fit) = match fit {
        Fit::Auto if at_size => (image, "none"),
        Fit::Auto | Fit::Digit => (image.fit_digit(width, height)?, "digit"),
        Fit::Resize if at_size => (image, "none"),
        Fit::Resize => (image.resize(width, height)?, "resize"),
    };
    Ok(Prepared {
        image,
        source,
        inverted,
        polarity_note,
        fit,
    })
}

/// The model's probabilities for one prepared image, through the model's
/// own preprocessing and output kind.
pub fn probabilities<T: Scalar>(
    net: &mut Sequential<T>,
    image: &GrayImage,
) -> Result<Vec<f64>, Box<dyn Error>> {
    let x = DMatrix::from_iterator(
        image.pixels.len(),
        1,
        image
            .pixels
            .iter()
            .enumerate()
            .map(|(i, &p)| T::of(net.info().preprocess.apply(i, f64::from(p)))),
    );
    Ok(net.predict_proba(&x)?.iter().map(|p| p.as_f64()).collect())
}

/// The index of the largest value (the first of equals).
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if values.get(best).is_some_and(|b| v > b) {
            best = i;
        }
    }
    best
}

/// A class's name: the model's, else its index.
pub fn class_label(names: Option<&[String]>, class: usize) -> String {
    names
        .and_then(|n| n.get(class).cloned())
        .unwrap_or_else(|| class.to_string())
}
