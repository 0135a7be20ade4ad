//! Conv2d through a model file: its configuration rebuilds it, its weight
//! is stored as PyTorch's `[O, C, kh, kw]` (row-major: filter, channel,
//! row, column) and its bias as `[O]`, a layer without bias stores none,
//! and a file whose configuration does not fit its input is refused.

use backprop_io::{Architecture, model_to_bytes, read_model};
use backprop_layers::{Config, Conv2d, Layer, Mode, Sequential, Shape, Value};
use backprop_tensor::{DMatrix, Init};
use safetensors::SafeTensors;

fn cnn() -> Sequential<f64> {
    Sequential::<f64>::builder([2, 9, 8])
        .seed(4)
        .init(Init::TorchDefault)
        .conv2d(3, (3, 2))
        .padding((1, 0))
        .relu()
        .conv2d(4, 3)
        .stride(2)
        .dilation((1, 2))
        .bias(false)
        .flatten()
        .dense(5)
        .build()
        .unwrap()
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

#[test]
fn conv2d_saves_as_pytorch_lays_it_out_and_loads_back() {
    let mut net = cnn();
    assert_eq!(net.shapes()[0], Shape::new([3, 9, 7]));
    assert_eq!(net.shapes()[2], Shape::new([4, 4, 2]));
    let bytes = model_to_bytes(&net).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("0.weight").unwrap().shape(), &[3, 2, 3, 2]);
    assert_eq!(st.tensor("0.bias").unwrap().shape(), &[3]);
    assert_eq!(st.tensor("2.weight").unwrap().shape(), &[4, 3, 3, 3]);
    assert!(st.tensor("2.bias").is_err(), "no bias was asked for");
    // Element [o, c, i, j] of the file is W[o, (c·kh + i)·kw + j] here.
    let file = f64s(st.tensor("0.weight").unwrap().data());
    let conv = net.layers()[0].as_ref();
    let mut w = None;
    conv.visit_params(&mut |p| {
        if p.name() == "0.weight" {
            w = Some(p.value.clone());
        }
    });
    let w = w.unwrap();
    for (o, c, i, j) in [(0, 0, 0, 0), (1, 1, 2, 1), (2, 0, 1, 1), (2, 1, 2, 0)] {
        assert_eq!(
            file[((o * 2 + c) * 3 + i) * 2 + j],
            w[(o, (c * 3 + i) * 2 + j)]
        );
    }

    let mut back: Sequential<f64> = read_model(&bytes).unwrap();
    assert_eq!(back.layers()[0].kind(), "conv2d");
    assert_eq!(
        Architecture::of(&back).unwrap(),
        Architecture::of(&net).unwrap()
    );
    let x = DMatrix::from_fn(144, 3, |i, j| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.5);
    let a = net.forward(&x, Mode::Eval).unwrap().clone();
    assert_eq!(&a, back.forward(&x, Mode::Eval).unwrap());
}

#[test]
fn the_configuration_alone_rebuilds_and_plans_it() {
    let net = cnn();
    let config = net.layers()[2].config().unwrap();
    let list = |v: [u64; 2]| Value::List(v.iter().map(|&n| Value::UInt(n)).collect());
    assert_eq!(config.get("in_channels"), Some(&Value::UInt(3)));
    assert_eq!(config.get("out_channels"), Some(&Value::UInt(4)));
    assert_eq!(config.get("kernel_size"), Some(&list([3, 3])));
    assert_eq!(config.get("stride"), Some(&list([2, 2])));
    assert_eq!(config.get("padding"), Some(&list([0, 0])));
    assert_eq!(config.get("dilation"), Some(&list([1, 2])));
    assert_eq!(config.get("bias"), Some(&Value::Bool(false)));

    let arch = Architecture::of(&net).unwrap();
    let plan = arch.plan(&backprop_layers::registry()).unwrap();
    assert_eq!(plan.output, Shape::flat(5));
    let names: Vec<(&str, &[usize])> = plan
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.shape.as_slice()))
        .collect();
    assert_eq!(
        names,
        [
            ("0.weight", &[3, 2, 3, 2][..]),
            ("0.bias", &[3][..]),
            ("2.weight", &[4, 3, 3, 3][..]),
            ("4.weight", &[5, 32][..]),
            ("4.bias", &[5][..]),
        ]
    );
    let rebuilt: Sequential<f32> = arch.build(0).unwrap();
    assert_eq!(rebuilt.shapes(), net.shapes());
}

#[test]
fn a_configuration_that_does_not_fit_is_refused_naming_the_layer() {
    let conv = |config: Config| Architecture::sequential([1, 4, 4], vec![("conv2d", config)]);
    let good = Conv2d::<f32>::new(
        [1, 4, 4],
        backprop_layers::Conv2dConfig::new(1, 2, 3),
        Init::Zeros,
        &mut backprop_tensor::rng::seeded(0),
    )
    .unwrap()
    .config()
    .unwrap();
    assert!(
        conv(good.clone())
            .plan(&backprop_layers::registry())
            .is_ok()
    );

    let too_big = good.clone().with("kernel_size", vec![5usize, 5]);
    let e = conv(too_big)
        .plan(&backprop_layers::registry())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the kernel 5×5 does not fit in the input 4×4"),
        "{e}"
    );

    let channels = good.clone().with("in_channels", 3usize);
    let e = conv(channels)
        .plan(&backprop_layers::registry())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("expected samples of shape (3, 4, 4), found (1, 4, 4)"),
        "{e}"
    );

    let stride = good.clone().with("stride", vec![0usize, 1]);
    let e = conv(stride).plan(&backprop_layers::registry()).unwrap_err();
    assert!(e.to_string().contains("stride must be positive"), "{e}");

    let bias = good.clone().with("bias", 1usize);
    let e = conv(bias).plan(&backprop_layers::registry()).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"bias\" must be true or false, found the integer 1"),
        "{e}"
    );

    let mut missing = good;
    missing.remove("dilation");
    let e = conv(missing)
        .plan(&backprop_layers::registry())
        .unwrap_err();
    assert!(e.to_string().contains("no \"dilation\""), "{e}");
}
