//! LeNet-5, the convolutional network `examples/cnn` trains and PyTorch's
//! `torch_cnn.py` defines, built in one call.

use backprop_tensor::{Init, Scalar};

use crate::{LayerError, Sequential, SequentialBuilder};

/// LeNet-5 as `examples/cnn` (and PyTorch's `torch_cnn.py`) define it:
/// conv 1→6 5×5 padding 2, ReLU, max-pool 2, conv 6→16 5×5, ReLU,
/// max-pool 2, flatten, dense 120, ReLU, dense 84, ReLU, dense 10, with
/// PyTorch's default initialisation ([`Init::TorchDefault`]).
///
/// The fields change the input image, the dense layers between the
/// convolutions and the output, the number of classes and the seed;
/// [`LeNet5::default`] is the MNIST network above at seed 0. For a
/// variant with other layers in the convolutional half, put them between
/// [`LeNet5::head`] and a builder of your own.
///
/// ```
/// use backprop_layers::LeNet5;
///
/// let net = LeNet5 { seed: 7, ..LeNet5::default() }.build::<f32>()?;
/// assert_eq!(net.output_shape().dims(), &[10]);
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeNet5 {
    /// The input image as `[channels, rows, columns]` (`[1, 28, 28]`).
    pub input: [usize; 3],
    /// The sizes of the dense layers, each followed by a ReLU, between the
    /// flattened features and the output (`[120, 84]`).
    pub hidden: Vec<usize>,
    /// The number of classes: the output layer's units (10).
    pub classes: usize,
    /// The seed of the initialisation (0).
    pub seed: u64,
}

impl Default for LeNet5 {
    fn default() -> Self {
        Self {
            input: [1, 28, 28],
            hidden: vec![120, 84],
            classes: 10,
            seed: 0,
        }
    }
}

impl LeNet5 {
    /// The network, or the builder's error (a kernel larger than the
    /// padded input, zero units) naming the layer at fault.
    pub fn build<T: Scalar>(&self) -> Result<Sequential<T>, LayerError> {
        let convolutions = Sequential::<T>::builder(self.input)
            .seed(self.seed)
            .init(Init::TorchDefault)
            .conv2d(6, 5)
            .padding(2)
            .relu()
            .max_pool2d(2)
            .conv2d(16, 5)
            .relu()
            .max_pool2d(2);
        self.head(convolutions).build()
    }

    /// Appends the classifier half to `builder`: flatten, each hidden dense
    /// layer with its ReLU, and the output layer of [`LeNet5::classes`]
    /// units.
    pub fn head<T: Scalar>(&self, builder: SequentialBuilder<T>) -> SequentialBuilder<T> {
        let mut builder = builder.flatten();
        for &units in &self.hidden {
            builder = builder.dense(units).relu();
        }
        builder.dense(self.classes)
    }
}
