//! What other exporters write imports as the network it describes:
//! PyTorch's Flatten + Gemm(transB = 1), MatMul + Add with the weight in a
//! Constant node and the bias behind an Identity, Reshape to [0, -1],
//! PyTorch dynamo's Reshape(allowzero = 1) to [-1, 16],
//! Gemm(transB = 0) with alpha and beta folded, raw_data and float_data
//! initializers, and initializers listed among the graph inputs (IR 3).

mod common;

use backprop_layers::{Mode, Sequential};
use backprop_onnx::from_model_proto;
use backprop_onnx::schema::{AttributeProto, NodeProto, attribute_proto::AttributeType};
use backprop_tensor::DMatrix;
use common::*;

/// A reference network on `[1, 4, 4]`: flatten, dense 16→8, relu, dense 8→3,
/// with weights `w1` (8×16, row-major), `b1`, `w2` (3×8) and `b2`.
fn reference(w1: &[f32], b1: &[f32], w2: &[f32], b2: &[f32]) -> Sequential<f32> {
    let mut net = Sequential::<f32>::builder([1, 4, 4])
        .flatten()
        .dense(8)
        .relu()
        .dense(3)
        .build()
        .unwrap();
    net.visit_params_mut(&mut |p| {
        let (rows, cols) = p.value.shape();
        let src = match p.name() {
            "1.weight" => w1,
            "1.bias" => b1,
            "3.weight" => w2,
            "3.bias" => b2,
            other => panic!("unexpected parameter {other}"),
        };
        p.value = DMatrix::from_row_slice(rows, cols, src);
    });
    net
}

fn input() -> DMatrix<f32> {
    DMatrix::from_fn(16, 5, |r, c| ((r * 7 + c * 3) % 11) as f32 * 0.1 - 0.5)
}

fn assert_same(mut imported: Sequential<f32>, mut want: Sequential<f32>) {
    let x = input();
    let a = want.forward(&x, Mode::Eval).unwrap().clone();
    let b = imported.forward(&x, Mode::Eval).unwrap();
    assert_eq!(&a, b);
}

fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols)
        .flat_map(|c| (0..rows).map(move |r| m[r * cols + c]))
        .collect()
}

#[test]
fn pytorch_style_flatten_gemm_and_matmul_add() {
    let (w1, b1, w2, b2) = (ramp(128, 0), ramp(8, 3), ramp(24, 5), ramp(3, 7));
    // MatMul takes W2 as [in, out] = [8, 3], from a Constant node.
    let w2_in_out = transpose(&w2, 3, 8);
    let nodes = vec![
        node(
            "/flatten/Flatten",
            "Flatten",
            &["x"],
            "f",
            vec![int("axis", 1)],
        ),
        node(
            "/fc1/Gemm",
            "Gemm",
            &["x1", "fc1.weight", "fc1.bias"],
            "h",
            vec![float("alpha", 1.0), float("beta", 1.0), int("transB", 1)],
        ),
        node("/relu/Relu", "Relu", &["h"], "r", vec![]),
        node(
            "/Constant",
            "Constant",
            &[],
            "w2",
            vec![tensor_attr("value", raw("", &[8, 3], &w2_in_out))],
        ),
        node("/fc2/MatMul", "MatMul", &["r", "w2"], "m", vec![]),
        node("/Identity", "Identity", &["b2_init"], "b2", vec![]),
        node("/fc2/Add", "Add", &["b2", "m"], "y", vec![]),
    ];
    let mut nodes = nodes;
    // The Gemm reads the Flatten's output.
    nodes[1].input[0] = "f".into();
    let inits = vec![
        raw("fc1.weight", &[8, 16], &w1),
        floats("fc1.bias", &[8], b1.clone()),
        floats("b2_init", &[3], b2.clone()),
    ];
    let m = model(nodes, inits, ("x", &[1, 4, 4]), "y", 17);
    let imported = from_model_proto::<f32>(&m).unwrap();
    let kinds: Vec<&str> = imported.model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(kinds, ["flatten", "dense", "relu", "dense"]);
    assert_eq!(imported.producer, "hand");
    assert_same(imported.model, reference(&w1, &b1, &w2, &b2));
}

#[test]
fn reshape_gemm_trans_b_0_alpha_beta_and_inputs_listed_with_initializers() {
    let (w1, b1, w2) = (ramp(128, 1), ramp(8, 2), ramp(24, 4));
    let nodes = vec![
        node("reshape", "Reshape", &["x", "shape"], "f", vec![]),
        node(
            "fc1",
            "Gemm",
            &["f", "W1", "B1"],
            "h",
            vec![float("alpha", 2.0), float("beta", 0.5)],
        ),
        node("relu", "Relu", &["h"], "r", vec![]),
        node("fc2", "MatMul", &["r", "W2"], "y", vec![]),
    ];
    let inits = vec![
        int64s("shape", &[0, -1]),
        floats("W1", &[16, 8], transpose(&w1, 8, 16)),
        raw("B1", &[1, 8], &b1),
        floats("W2", &[8, 3], transpose(&w2, 3, 8)),
    ];
    let mut m = model(nodes, inits, ("x", &[1, 4, 4]), "y", 11);
    // IR 3 lists every initializer among the graph inputs too.
    let graph = m.graph.as_mut().unwrap();
    for (name, dims) in [
        ("shape", vec![2]),
        ("W1", vec![16, 8]),
        ("B1", vec![1, 8]),
        ("W2", vec![8, 3]),
    ] {
        let mut v = value(name, &[]);
        if let Some(backprop_onnx::schema::type_proto::Value::TensorType(t)) =
            v.r#type.as_mut().and_then(|t| t.value.as_mut())
        {
            t.shape.as_mut().unwrap().dim.clear();
            let _ = dims;
        }
        graph.input.push(v);
    }
    m.ir_version = 3;
    let imported = from_model_proto::<f32>(&m).unwrap();
    let w1_folded: Vec<f32> = w1.iter().map(|v| v * 2.0).collect();
    let b1_folded: Vec<f32> = b1.iter().map(|v| v * 0.5).collect();
    assert_same(
        imported.model,
        reference(&w1_folded, &b1_folded, &w2, &[0.0; 3]),
    );
}

/// `x` reshaped by the node `reshape` (with `attributes`) to `shape`, then
/// Gemm(transB = 1) with `W1`, `B1`, Relu, Gemm(transB = 1) with `W2`,
/// `B2` to `y`.
fn reshape_mlp(reshape: &str, attributes: Vec<AttributeProto>) -> Vec<NodeProto> {
    let gemm =
        |name, inputs: &[&str], output| node(name, "Gemm", inputs, output, vec![int("transB", 1)]);
    vec![
        node(reshape, "Reshape", &["x", "shape"], "f", attributes),
        gemm("fc1", &["f", "W1", "B1"], "h"),
        node("relu", "Relu", &["h"], "r", vec![]),
        gemm("fc2", &["r", "W2", "B2"], "y"),
    ]
}

/// PyTorch's dynamo exporter flattens with `Reshape(allowzero = 1)` to a
/// constant `[-1, N]`: with no 0 in the shape, allowzero changes nothing,
/// so it is the same flatten.
#[test]
fn dynamo_reshape_allowzero_1_without_a_zero_is_a_flatten() {
    let (w1, b1, w2, b2) = (ramp(128, 2), ramp(8, 4), ramp(24, 6), ramp(3, 8));
    for allowzero in [1, 0] {
        let nodes = reshape_mlp("node_Reshape_3", vec![int("allowzero", allowzero)]);
        let inits = vec![
            int64s("shape", &[-1, 16]),
            floats("W1", &[8, 16], w1.clone()),
            floats("B1", &[8], b1.clone()),
            floats("W2", &[3, 8], w2.clone()),
            floats("B2", &[3], b2.clone()),
        ];
        let m = model(nodes, inits, ("x", &[1, 4, 4]), "y", 18);
        let imported =
            from_model_proto::<f32>(&m).unwrap_or_else(|e| panic!("allowzero {allowzero}: {e}"));
        let kinds: Vec<&str> = imported.model.layers().iter().map(|l| l.name()).collect();
        assert_eq!(
            kinds,
            ["flatten", "dense", "relu", "dense"],
            "allowzero {allowzero}"
        );
        assert_same(imported.model, reference(&w1, &b1, &w2, &b2));
    }
}

/// A `Constant` node's list literals: the Reshape's shape as `value_ints`,
/// the first bias as `value_floats`; a literal whose type is not the one
/// its name says is an error naming the node and the attribute.
#[test]
fn constant_value_ints_and_value_floats_are_the_tensors_they_list() {
    let (w1, b1, w2, b2) = (ramp(128, 9), ramp(8, 10), ramp(24, 11), ramp(3, 12));
    let value_floats = |v: &[f32]| AttributeProto {
        name: "value_floats".into(),
        r#type: AttributeType::Floats as i32,
        floats: v.to_vec(),
        ..AttributeProto::default()
    };
    let nodes = |shape: AttributeProto| {
        let mut v = vec![
            node("shape_const", "Constant", &[], "shape", vec![shape]),
            node("bias_const", "Constant", &[], "B1", vec![value_floats(&b1)]),
        ];
        v.extend(reshape_mlp("reshape", vec![]));
        v
    };
    let inits = || {
        vec![
            floats("W1", &[8, 16], w1.clone()),
            floats("W2", &[3, 8], w2.clone()),
            floats("B2", &[3], b2.clone()),
        ]
    };
    let m = model(
        nodes(ints("value_ints", &[0, -1])),
        inits(),
        ("x", &[1, 4, 4]),
        "y",
        13,
    );
    let imported = from_model_proto::<f32>(&m).unwrap();
    let kinds: Vec<&str> = imported.model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(kinds, ["flatten", "dense", "relu", "dense"]);
    assert_same(imported.model, reference(&w1, &b1, &w2, &b2));

    let mut mistyped = ints("value_ints", &[0, -1]);
    mistyped.r#type = AttributeType::Floats as i32;
    let m = model(nodes(mistyped), inits(), ("x", &[1, 4, 4]), "y", 13);
    let e = from_model_proto::<f32>(&m).unwrap_err().to_string();
    for part in [
        "shape_const",
        "value_ints",
        "the type its name says",
        "FLOATS",
    ] {
        assert!(e.contains(part), "{part:?} missing from {e}");
    }
}
