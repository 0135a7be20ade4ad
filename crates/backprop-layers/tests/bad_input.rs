//! Zero-width layers and inputs are typed errors naming the layer, however
//! the network is put together (builder, hand-made layers, batch norm).
//! (`behaviour.rs` covers the builder's `dense(0)`.)

use backprop_layers::{BatchNorm1d, Dense, Layer, LayerError, Mode, Sequential};
use backprop_tensor::DMatrix;

fn zero_width(e: &LayerError) -> Option<&str> {
    match e {
        LayerError::ZeroWidth { layer } => Some(layer.as_str()),
        _ => None,
    }
}

#[test]
fn zero_width_layers_are_errors() {
    let e = Sequential::<f32>::builder(4)
        .dense(3)
        .relu()
        .dense(0)
        .build()
        .unwrap_err();
    assert_eq!(zero_width(&e), Some("layer 2 (dense)"), "{e:?}");
    assert_eq!(
        e.to_string(),
        "layer 2 (dense): a layer needs at least one unit, found a width of 0"
    );

    let e = Sequential::<f64>::builder(0).dense(2).build().unwrap_err();
    assert_eq!(zero_width(&e), Some("input"), "{e:?}");

    let e = BatchNorm1d::<f32>::new(0).unwrap_err();
    assert_eq!(zero_width(&e), Some("batch_norm1d"), "{e:?}");

    // A hand-made dense layer with no outputs.
    let empty = Dense::<f32>::from_weights(DMatrix::zeros(0, 4), DMatrix::zeros(0, 1)).unwrap();
    let layers: Vec<Box<dyn Layer<f32>>> = vec![Box::new(empty)];
    let e = Sequential::from_layers(4, layers).unwrap_err();
    assert_eq!(zero_width(&e), Some("layer 0 (dense)"), "{e:?}");
}

#[test]
fn a_batch_without_features_is_an_error_and_an_empty_batch_passes_through() {
    let mut net = Sequential::<f32>::builder(3).dense(2).build().unwrap();
    let e = net.forward(&DMatrix::zeros(0, 5), Mode::Train).unwrap_err();
    assert!(
        matches!(
            e,
            LayerError::InputSize {
                expected: 3,
                found: 0,
                ..
            }
        ),
        "{e:?}"
    );
    // Zero samples is a valid (empty) batch for the network; a loss rejects it.
    let x = DMatrix::zeros(3, 0);
    assert_eq!(net.forward(&x, Mode::Eval).unwrap().shape(), (2, 0));
}

#[test]
fn backward_without_a_matching_forward_says_to_run_forward_first() {
    let mut net = Sequential::<f64>::builder(3)
        .dense(4)
        .relu()
        .dense(2)
        .build()
        .unwrap();
    let x = DMatrix::from_element(3, 8, 0.5);
    let dy = DMatrix::from_element(2, 8, 1.0);
    let e = net.backward(&x, &dy).unwrap_err();
    assert!(
        matches!(
            e,
            LayerError::NoForward {
                expected: 0,
                found: 8,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "layer 2 (dense): backward called before forward: run forward on this batch first (backward was given a batch of 8)"
    );
    // Forward on 5 samples, backward on 8.
    net.forward(&DMatrix::from_element(3, 5, 0.5), Mode::Train)
        .unwrap();
    let e = net.backward(&x, &dy).unwrap_err();
    assert_eq!(
        e.to_string(),
        "layer 2 (dense): backward called with a batch of 8 samples, but the last forward pass had 5: run forward on this batch first"
    );
}

#[test]
fn a_builder_error_names_the_layer_kind_and_position() {
    let e = Sequential::<f32>::builder(3)
        .dense(2)
        .dropout(1.5)
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "layer 1 (dropout): dropout: drop probability must be in [0, 1), found 1.5"
    );
}

#[test]
fn a_regression_model_predicts_no_class() {
    use backprop_layers::{Model, OutputKind};
    let mut net = Sequential::<f32>::builder(4).dense(1).build().unwrap();
    net.info_mut().output = OutputKind::Values;
    for e in [
        net.predict_pixels(&[0, 1, 2, 3]).unwrap_err(),
        net.predict_class_raw(&[0.0; 4]).unwrap_err(),
        net.predict_proba_raw(&[0.0; 4]).unwrap_err(),
    ] {
        assert!(e.to_string().contains("regression model"), "{e}");
    }
    assert_eq!(net.predict_raw(&[0.0; 4]).unwrap().shape(), (1, 1));
}
