//! The fused forward pass (a Dense layer computing its bias and the
//! following element-wise activation in its product's write-back) against
//! the unfused one: the same network with the activation wrapped as a
//! custom one (which never fuses) gives the same bits in every output,
//! gradient and input gradient, in training and evaluation, for every
//! element-wise kind, in `f32` and `f64`, on the pool's threads.

use backprop_activations::ActivationKind;
use backprop_layers::{ActivationLayer, Dense, Layer, Mode, Sequential};
use backprop_tensor::{DMatrix, Init, Scalar, rng::seeded};

fn kinds() -> [ActivationKind; 9] {
    use ActivationKind::*;
    [
        Relu,
        Identity,
        LeakyRelu(0.1),
        Sigmoid,
        Tanh,
        Elu(0.5),
        Gelu,
        Softplus,
        Softmax,
    ]
}

/// 300 → 128 → act → 64 → act → 10 (→ act when `last`), with the
/// activations fusable (built-in kinds) or not (the same kinds, custom).
fn net<T: Scalar>(act: ActivationKind, fusable: bool, last: bool) -> Sequential<T> {
    let make = |k: ActivationKind| -> Box<dyn Layer<T>> {
        if fusable {
            Box::new(ActivationLayer::new(k))
        } else {
            Box::new(ActivationLayer::custom(Box::new(k)))
        }
    };
    let mut rng = seeded(7);
    let mut layers: Vec<Box<dyn Layer<T>>> = vec![
        Box::new(Dense::new(300, 128, Init::TorchDefault, &mut rng)),
        make(act),
        Box::new(Dense::new(128, 64, Init::TorchDefault, &mut rng)),
        make(act),
        Box::new(Dense::new(64, 10, Init::TorchDefault, &mut rng)),
    ];
    if last {
        layers.push(make(act));
    }
    Sequential::from_layers(300, layers).unwrap()
}

fn bits<T: Scalar>(m: &DMatrix<T>) -> Vec<u64> {
    m.iter().map(|v| v.as_f64().to_bits()).collect()
}

fn grads<T: Scalar>(net: &Sequential<T>) -> Vec<u64> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.extend(bits(&p.grad)));
    out
}

fn same_bits<T: Scalar>() {
    for act in kinds() {
        for last in [false, true] {
            let (mut fused, mut plain) = (net::<T>(act, true, last), net::<T>(act, false, last));
            for batch in [1, 7, 300] {
                let x = DMatrix::from_fn(300, batch, |i, j| {
                    T::of(((i * 31 + j * 17) % 97) as f64 / 48.0 - 1.0)
                });
                for mode in [Mode::Eval, Mode::Train] {
                    let what = format!("{} {act} last={last} batch={batch} {mode:?}", T::NAME);
                    let y = bits(fused.forward(&x, mode).unwrap());
                    assert_eq!(y, bits(plain.forward(&x, mode).unwrap()), "{what}");
                    let dy = DMatrix::from_fn(10, batch, |i, j| T::of((i + 2 * j) as f64 * 0.01));
                    let (mut dxf, mut dxp) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
                    fused.zero_grads();
                    plain.zero_grads();
                    fused.backward_with_input_grad(&x, &dy, &mut dxf).unwrap();
                    plain.backward_with_input_grad(&x, &dy, &mut dxp).unwrap();
                    assert_eq!(grads(&fused), grads(&plain), "gradients, {what}");
                    assert_eq!(bits(&dxf), bits(&dxp), "input gradient, {what}");
                }
            }
        }
    }
}

#[test]
fn f32_fused_forward_gives_the_unfused_bits() {
    same_bits::<f32>();
}

#[test]
fn f64_fused_forward_gives_the_unfused_bits() {
    same_bits::<f64>();
}

#[test]
fn only_builtin_elementwise_activations_offer_to_fuse() {
    for act in kinds() {
        let builtin = ActivationLayer::<f32>::new(act);
        assert_eq!(
            builtin.elementwise().map(|e| e.kind()),
            (act != ActivationKind::Softmax).then_some(act)
        );
        let custom = ActivationLayer::<f32>::custom(Box::new(act));
        assert!(custom.elementwise().is_none());
    }
    // A layer that does not fuse says so and leaves its outputs alone.
    let mut relu = ActivationLayer::<f32>::new(ActivationKind::Relu);
    let (mut z, mut a) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    let x = DMatrix::from_element(3, 2, 1.0);
    let tanh = ActivationKind::Tanh.elementwise().unwrap();
    assert!(
        !relu
            .forward_then(&x, &mut z, tanh, &mut a, Mode::Eval)
            .unwrap()
    );
    assert_eq!((z.shape(), a.shape()), ((0, 0), (0, 0)));
}

/// A user layer that fuses: it marks what it writes, so the test sees
/// which forward ran.
#[derive(Debug)]
struct Marks;

impl Layer<f32> for Marks {
    fn forward(
        &mut self,
        input: &DMatrix<f32>,
        output: &mut DMatrix<f32>,
        _: Mode,
    ) -> Result<(), backprop_layers::LayerError> {
        *output = input.map(|_| 1.0);
        Ok(())
    }
    fn forward_then(
        &mut self,
        input: &DMatrix<f32>,
        output: &mut DMatrix<f32>,
        _: backprop_activations::Elementwise,
        activated: &mut DMatrix<f32>,
        _: Mode,
    ) -> Result<bool, backprop_layers::LayerError> {
        *output = input.map(|_| 2.0);
        // A ReLU run after this would turn −3 into 0.
        *activated = input.map(|_| -3.0);
        Ok(true)
    }
    fn backward(
        &mut self,
        _: &DMatrix<f32>,
        _: &DMatrix<f32>,
        _: &DMatrix<f32>,
        _: Option<&mut DMatrix<f32>>,
    ) -> Result<(), backprop_layers::LayerError> {
        Ok(())
    }
}

#[test]
fn sequential_fuses_a_layer_with_the_elementwise_activation_after_it() {
    let x = DMatrix::from_element(4, 3, 0.5_f32);
    let relu = || Box::new(ActivationLayer::<f32>::new(ActivationKind::Relu));
    let mut net = Sequential::from_layers(4, vec![Box::new(Marks), relu()]).unwrap();
    assert_eq!(net.forward(&x, Mode::Train).unwrap(), &x.map(|_| -3.0));
    // Softmax is not element-wise: the layer's own forward, then softmax.
    let softmax = Box::new(ActivationLayer::<f32>::new(ActivationKind::Softmax));
    let mut net = Sequential::from_layers(4, vec![Box::new(Marks), softmax]).unwrap();
    assert_eq!(net.forward(&x, Mode::Train).unwrap(), &x.map(|_| 0.25));
    // Dense fuses: its two outputs are those of its forward and the ReLU's.
    let mut dense = Dense::<f32>::new(4, 5, Init::TorchDefault, &mut seeded(1));
    let (mut z, mut a, mut z1, mut a1) = (
        DMatrix::zeros(0, 0),
        DMatrix::zeros(0, 0),
        DMatrix::zeros(0, 0),
        DMatrix::zeros(0, 0),
    );
    let x = DMatrix::from_fn(4, 3, |i, j| i as f32 - j as f32 * 0.7);
    let e = ActivationKind::Relu.elementwise().unwrap();
    assert!(
        dense
            .forward_then(&x, &mut z, e, &mut a, Mode::Eval)
            .unwrap()
    );
    dense.forward(&x, &mut z1, Mode::Eval).unwrap();
    relu().forward(&z1, &mut a1, Mode::Eval).unwrap();
    assert_eq!((bits(&z), bits(&a)), (bits(&z1), bits(&a1)));
    assert!(a.iter().any(|&v| v == 0.0) && a.iter().any(|&v| v > 0.0));
}
