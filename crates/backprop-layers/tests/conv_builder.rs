//! Building CNNs: `.conv2d(out, k)` and its modifiers, the shapes and the
//! summary, PyTorch's initialisation, and every mistake the builder turns
//! into a typed error naming the layer.

use backprop_layers::{Conv2dConfig, LayerError, LeNet5, Pair, Sequential, Shape};
use backprop_tensor::Parameters;

fn lenet5(seed: u64) -> Sequential<f32> {
    LeNet5 {
        seed,
        ..LeNet5::default()
    }
    .build()
    .unwrap()
}

fn settings(net: &Sequential<f32>, index: usize) -> Conv2dConfig {
    Conv2dConfig::from_config(&net.layers()[index].config().unwrap()).unwrap()
}

#[test]
fn lenet5_has_pytorchs_shapes_parameters_and_summary() {
    let net = lenet5(0);
    let dims: Vec<&[usize]> = net.shapes().iter().map(|s| s.dims()).collect();
    assert_eq!(
        &dims[..7],
        &[
            &[6, 28, 28][..],
            &[6, 28, 28],
            &[6, 14, 14],
            &[16, 10, 10],
            &[16, 10, 10],
            &[16, 5, 5],
            &[400]
        ]
    );
    // torch: sum(p.numel() for p in LeNet-5.parameters()) == 61706.
    assert_eq!(net.num_params(), 61_706);
    let names: Vec<String> = {
        let mut v = Vec::new();
        net.visit_params(&mut |p| v.push(format!("{} {:?}", p.name(), p.value.shape())));
        v
    };
    assert_eq!(
        names[..4],
        [
            "0.weight (6, 25)",
            "0.bias (6, 1)",
            "3.weight (16, 150)",
            "3.bias (16, 1)"
        ]
    );
    let summary = net.summary();
    for row in [
        "conv2d",
        "(batch, 6, 28, 28)",
        "(batch, 16, 10, 10)",
        "156",
        "2416",
        "Total params: 61706",
    ] {
        assert!(summary.contains(row), "{row:?} missing from\n{summary}");
    }
    assert_eq!(net.layers()[0].kind(), "conv2d");
}

#[test]
fn lenet5_takes_its_input_dense_layers_and_classes_from_its_fields() {
    let net = LeNet5 {
        input: [3, 32, 32],
        hidden: vec![50],
        classes: 7,
        seed: 0,
    }
    .build::<f64>()
    .unwrap();
    let dims: Vec<&[usize]> = net.shapes().iter().map(|s| s.dims()).collect();
    // 32×32 → conv 5 pad 2 → 32 → pool → 16 → conv 5 → 12 → pool → 6.
    assert_eq!(&dims[5..], &[&[16, 6, 6][..], &[576], &[50], &[50], &[7]]);
    assert_eq!(net.input_shape().dims(), &[3, 32, 32]);
    let too_small = LeNet5 {
        input: [1, 6, 6],
        ..LeNet5::default()
    };
    let e = too_small.build::<f32>().unwrap_err().to_string();
    assert!(e.contains("conv2d"), "{e}");
}

#[test]
fn torch_default_init_is_seeded_and_bounded_by_one_over_root_fan_in_weights_and_biases() {
    let (a, b, c) = (lenet5(7), lenet5(7), lenet5(8));
    let values = |n: &Sequential<f32>| {
        let mut v = Vec::new();
        n.visit_params(&mut |p| v.extend(p.value.iter().map(|x| x.to_bits())));
        v
    };
    assert_eq!(values(&a), values(&b));
    assert_ne!(values(&a), values(&c));
    // fan_in = C·kh·kw: 25 for the first convolution, 150 for the second;
    // the dense layers' inputs, 400, 120 and 84 (nn.Linear's default too).
    for (index, fan_in) in [
        (0, 25.0_f32),
        (3, 150.0),
        (7, 400.0),
        (9, 120.0),
        (11, 84.0),
    ] {
        let bound = 1.0 / fan_in.sqrt();
        let mut largest = 0.0_f32;
        a.layers()[index].visit_params(&mut |p| {
            assert!(p.value.iter().all(|x| x.abs() <= bound), "{}", p.name());
            assert!(
                p.value.iter().any(|&x| x != 0.0),
                "{} is all zeros",
                p.name()
            );
            largest = p.value.iter().fold(largest, |m, x| m.max(x.abs()));
        });
        assert!(largest > 0.8 * bound, "layer {index}: {largest} vs {bound}");
    }
}

#[test]
fn modifiers_set_the_last_layers_settings() {
    let net = Sequential::<f64>::builder([3, 20, 17])
        .conv2d(4, 3)
        .kernel((3, 5))
        .stride((2, 1))
        .padding((1, 2))
        .dilation(2)
        .bias(false)
        .conv2d(2, 1)
        .build()
        .unwrap();
    let c = Conv2dConfig::from_config(&net.layers()[0].config().unwrap()).unwrap();
    assert_eq!(
        (
            c.in_channels,
            c.out_channels,
            c.kernel,
            c.stride,
            c.padding,
            c.dilation,
            c.bias
        ),
        (
            3,
            4,
            Pair::new(3, 5),
            Pair::new(2, 1),
            Pair::new(1, 2),
            Pair::square(2),
            false
        )
    );
    // (20 + 2 − 2·2 − 1)/2 + 1 = 9, (17 + 4 − 2·4 − 1)/1 + 1 = 13.
    assert_eq!(net.shapes()[0], Shape::new([4, 9, 13]));
    let mut count = 0;
    net.layers()[0].visit_params(&mut |_| count += 1);
    assert_eq!(count, 1, "no bias");
    // The second layer kept its defaults; its input channels are the first's outputs.
    let f32_net = Sequential::<f32>::builder([3, 20, 17])
        .conv2d(4, 3)
        .conv2d(2, 1)
        .build()
        .unwrap();
    let d = settings(&f32_net, 1);
    assert_eq!(
        (d.in_channels, d.stride, d.padding, d.dilation, d.bias),
        (4, Pair::square(1), Pair::square(0), Pair::square(1), true)
    );
}

fn error(b: backprop_layers::SequentialBuilder<f32>) -> String {
    match b.build() {
        Ok(net) => panic!("expected an error, built {}", net.summary()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn misplaced_modifiers_are_errors_naming_the_layer() {
    let b = || Sequential::<f32>::builder([1, 8, 8]);
    assert_eq!(
        error(b().conv2d(2, 3).relu().padding(1)),
        "layer 1 (relu): .padding(1) sets the padding of the layer added just before it, and relu takes no padding"
    );
    assert_eq!(
        error(b().max_pool2d(2).dilation(2)),
        "layer 0 (max_pool2d): .dilation(2) sets the dilation of the layer added just before it, and max_pool2d takes no dilation (it takes kernel, stride, padding)"
    );
    assert_eq!(
        error(b().stride(2).conv2d(2, 3)),
        "input: .stride(2) sets the stride of the layer added just before it, and there is none yet; add a convolution or pooling layer first"
    );
    assert!(error(b().flatten().bias(false)).starts_with("layer 0 (flatten): .bias(false)"));
    // The first misuse is the one reported.
    assert!(error(b().relu().stride((2, 1)).sigmoid().padding(3)).contains(".stride((2, 1))"));
}

#[test]
fn shapes_that_do_not_fit_are_errors_at_build_time() {
    let b = || Sequential::<f32>::builder([3, 6, 6]);
    let e = error(b().conv2d(4, 7));
    assert_eq!(
        e,
        "layer 0 (conv2d): conv2d 3→4: the kernel 7×7 does not fit in the input 6×6 (padding 0×0 on each side: 6×6 in all)"
    );
    // Padding makes it fit.
    assert!(b().conv2d(4, 7).padding(1).build().is_ok());
    let e = error(b().conv2d(4, 3).dilation(3));
    assert!(
        e.contains("the kernel 3×3 (dilated: 7×7) does not fit"),
        "{e}"
    );
    let e = error(b().conv2d(4, 3).stride((0, 1)));
    assert!(
        e.contains("the stride must be positive along both axes, found 0×1"),
        "{e}"
    );
    let e = error(b().conv2d(0, 3));
    assert!(e.contains("the output channels must be positive"), "{e}");
    let e = error(b().conv2d(4, (0, 2)));
    assert!(
        e.contains("the kernel must be positive along both axes, found 0×2"),
        "{e}"
    );
    // A convolution needs (C, H, W) samples.
    let e = error(Sequential::<f32>::builder(784).conv2d(4, 3));
    assert!(
        e.contains("expected samples of shape (channels, height, width), found (784)"),
        "{e}"
    );
    let e = error(b().flatten().conv2d(4, 3));
    assert!(e.starts_with("layer 1 (conv2d)"), "{e}");
}

#[test]
fn a_layer_refuses_input_of_another_shape() {
    let net = lenet5(0);
    let conv = net.layers()[3].as_ref();
    let e = conv.output_shape(&Shape::new([6, 14, 15])).unwrap_err();
    assert!(matches!(e, LayerError::InputShape { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "conv2d 6→16: expected samples of shape (6, 14, 14), found (6, 14, 15)"
    );
}
