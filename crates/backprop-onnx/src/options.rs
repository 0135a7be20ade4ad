//! [`ExportOptions`] and the versions an exported file declares.

/// The ONNX operator set an exported model declares: 17, or 20 when the
/// model has a GELU (ONNX's `Gelu` operator, with `approximate="tanh"`, is
/// new in opset 20). Every other operator used means the same in 17 and 20.
pub const OPSET: i64 = 17;
/// The operator set declared by a model that holds a GELU.
pub const OPSET_GELU: i64 = 20;

/// The IR version matching an operator set (ONNX's table: opset 17 and 18
/// are IR 8, 19 and 20 are IR 9).
pub fn ir_version(opset: i64) -> i64 {
    if opset >= 19 { 9 } else { 8 }
}

/// `producer_name` of an exported model.
pub const PRODUCER_NAME: &str = "backprop";

/// How [`export`](crate::export) names and describes the graph.
///
/// ```
/// use backprop_onnx::ExportOptions;
/// let o = ExportOptions::default();
/// assert_eq!((o.input_name.as_str(), o.output_name.as_str()), ("input", "output"));
/// let o = ExportOptions::default().with_names("pixels", "logits");
/// assert_eq!(o.input_name, "pixels");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The graph input's name (default `"input"`).
    pub input_name: String,
    /// The graph output's name (default `"output"`).
    pub output_name: String,
    /// The graph's name (default `"backprop"`).
    pub graph_name: String,
    /// The model's `doc_string` (default empty: none).
    pub doc_string: String,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            input_name: "input".into(),
            output_name: "output".into(),
            graph_name: "backprop".into(),
            doc_string: String::new(),
        }
    }
}

impl ExportOptions {
    /// With these input and output names.
    pub fn with_names(mut self, input: &str, output: &str) -> Self {
        self.input_name = input.to_string();
        self.output_name = output.to_string();
        self
    }
    /// With this `doc_string`.
    pub fn with_doc_string(mut self, doc: &str) -> Self {
        self.doc_string = doc.to_string();
        self
    }
}
