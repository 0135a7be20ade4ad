//! ONNX files written by PyTorch (issue #16): `torch.onnx.export`'s legacy
//! (TorchScript) and dynamo exporters, for networks trained briefly on
//! MNIST (scripts/torch_onnx_fixtures.py, torch 2.15; the files and
//! PyTorch's outputs are in tests/fixtures). Imported here, each must
//! predict what PyTorch predicted for the 16 test images: every output
//! within 1e-5, the same arg-max. Each test prints its max |diff|.

#[path = "support/fixtures.rs"]
mod fixtures;

use backprop_layers::Mode;
use backprop_onnx::{OnnxError, import};

/// The largest |ours − PyTorch's| allowed for any output.
const TOLERANCE: f32 = 1e-5;

/// Imports `<stem>.onnx`, checks the input shape and runs the 16 images
/// through it; returns the max |diff| from PyTorch's outputs.
fn check(stem: &str) -> f32 {
    let expected = fixtures::expected(stem);
    let mut imported = import(fixtures::path(&format!("{stem}.onnx")))
        .unwrap_or_else(|e| panic!("{stem}.onnx ({}): {e}", expected.operators.join(" ")));
    assert_eq!(
        imported.input_shape().dims(),
        &[1, 28, 28],
        "{stem}: input shape"
    );
    let x = fixtures::inputs();
    let ours = imported
        .model
        .forward(&x, Mode::Eval)
        .expect("forward")
        .clone();
    assert_eq!(
        ours.shape(),
        expected.outputs.shape(),
        "{stem}: output shape"
    );
    let max = (&ours - &expected.outputs).abs().max();
    let argmax = |m: &backprop_tensor::DMatrix<f32>| -> Vec<usize> {
        m.column_iter().map(|c| c.argmax().0).collect()
    };
    eprintln!(
        "{stem} (opset {}, {}): max |diff| from PyTorch {max:.3e}",
        expected.opset,
        expected.operators.join(" ")
    );
    assert!(
        max <= TOLERANCE,
        "{stem}: max |diff| {max:e} > {TOLERANCE:e}"
    );
    assert_eq!(argmax(&ours), argmax(&expected.outputs), "{stem}: arg-max");
    max
}

macro_rules! agrees_with_pytorch {
    ($($test:ident: $stem:literal,)*) => {$(
        #[test]
        fn $test() {
            check($stem);
        }
    )*};
}

// Both exporters: the legacy (TorchScript) one and dynamo (torch 2.x's
// default), which flattens with `Reshape(allowzero = 1)` to [-1, N].
agrees_with_pytorch! {
    mlp_legacy_flatten_gemm: "mlp_legacy",
    every_activation_batchnorm1d_legacy: "acts_legacy",
    gelu_opset20_legacy: "gelu_legacy",
    lenet5_batchnorm2d_legacy: "lenet_legacy",
    matmul_add_legacy: "matmul_legacy",
    mlp_dynamo_reshape_allowzero: "mlp_dynamo",
    gelu_dynamo: "gelu_dynamo",
    lenet5_batchnorm2d_dynamo: "lenet_dynamo",
    matmul_add_dynamo: "matmul_dynamo",
}

/// The dynamo exporter writes `nn.Softplus` (β = 1, threshold 20) as
/// `Softplus` guarded by `Greater` + `Where` (x itself above the
/// threshold): a branch and a merge, which this importer does not
/// translate. It is a typed error naming the merging node, not a panic or
/// a wrong network.
#[test]
fn dynamo_softplus_threshold_is_an_error_naming_the_where_node() {
    let expected = fixtures::expected("acts_dynamo");
    assert!(expected.operators.iter().any(|o| o == "Where"));
    match import(fixtures::path("acts_dynamo.onnx")) {
        Err(OnnxError::NotAChain { message }) => {
            // The exporter's name for it (onnx.load(...).graph.node[…].name).
            assert!(message.contains("\"n10\" (Where)"), "{message}");
        }
        other => panic!("expected NotAChain at the Where node, found {other:?}"),
    }
}
