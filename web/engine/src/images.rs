//! Data handed over by the page: 2-D points, or MNIST's images as `u8`
//! pixels (the model's own pixel scaling applied, `p / 255` by default).

use crate::data::{Split, pixel_matrix};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::output;
use backprop_layers::{Mode, Preprocess};
use backprop_tensor::DMatrix;

impl Engine {
    /// Sets the data from sample-major points (`features` values each) and
    /// labels; the test arrays may be empty.
    pub fn set_data(
        &mut self,
        train_x: &[f32],
        train_y: &[u32],
        test_x: &[f32],
        test_y: &[u32],
        features: usize,
    ) -> Result<()> {
        if features != self.features() {
            return Err(EngineError::invalid(
                "features",
                format!("{} (the network's input size)", self.features()),
                features,
            ));
        }
        let train = Split::from_points(train_x, train_y, features, "training")?;
        let test = Split::from_points(test_x, test_y, features, "test")?;
        self.set_split(train, Some(test))
    }

    /// Sets the data from images (`u8` pixels, the network's input size per
    /// image) and `u8` labels. A network that records no pixel scaling is
    /// given `p / 255`, which its model file then records.
    pub fn set_images(
        &mut self,
        pixels: &[u8],
        labels: &[u8],
        test_pixels: &[u8],
        test_labels: &[u8],
    ) -> Result<()> {
        if self.net.info().preprocess == Preprocess::None {
            self.net.info_mut().preprocess = Preprocess::UNIT_PIXELS;
        }
        let pre = self.net.info().preprocess.clone();
        let f = self.features();
        let train = Split::from_pixels(pixels, labels, f, &pre, "training")?;
        let test = Split::from_pixels(test_pixels, test_labels, f, &pre, "test")?;
        self.set_split(train, Some(test))
    }

    /// Class probabilities of one image given as `u8` pixels.
    pub fn predict_pixels(&mut self, pixels: &[u8]) -> Result<Vec<f32>> {
        let f = self.features();
        if pixels.len() != f {
            return Err(EngineError::invalid(
                "image",
                format!("{f} pixels (the network's input size)"),
                pixels.len(),
            ));
        }
        let x = pixel_matrix(pixels, f, &self.net.info().preprocess.clone());
        let out = self.net.forward(&x, Mode::Eval)?;
        let mut p = DMatrix::zeros(0, 0);
        output::probabilities(self.loss, out, &mut p);
        Ok(p.as_slice().to_vec())
    }
}
