//! [`GraphBuilder`]: the chain of nodes an export appends to, one layer
//! after another, each node reading the previous node's output.

use crate::schema::{AttributeProto, NodeProto, TensorProto};

/// The nodes and initializers of an exported graph, and the name of the
/// value the next node reads.
#[derive(Debug)]
pub(crate) struct GraphBuilder {
    pub nodes: Vec<NodeProto>,
    pub initializers: Vec<TensorProto>,
    /// The value the next node reads (the graph input at first).
    pub current: String,
    /// Whether a node needs opset 20 (GELU).
    pub needs_gelu: bool,
}

impl GraphBuilder {
    /// An empty graph reading `input`.
    pub fn new(input: &str) -> Self {
        Self {
            nodes: Vec::new(),
            initializers: Vec::new(),
            current: input.to_string(),
            needs_gelu: false,
        }
    }

    /// Appends node `name` (the layer's path, `"3"` or `"2.1"`) of
    /// operator `op` reading the current value and then `constants` (the
    /// initializers, added here), with `attributes`; its output, named
    /// `"{name}.{op}"`, becomes the current value.
    pub fn node(
        &mut self,
        name: &str,
        op: &str,
        constants: Vec<TensorProto>,
        attributes: Vec<AttributeProto>,
    ) {
        let output = format!("{name}.{op}");
        let mut input = vec![std::mem::replace(&mut self.current, output.clone())];
        input.extend(constants.iter().map(|t| t.name.clone()));
        self.initializers.extend(constants);
        self.nodes.push(NodeProto {
            name: name.to_string(),
            op_type: op.to_string(),
            input,
            output: vec![output],
            attribute: attributes,
            ..NodeProto::default()
        });
    }

    /// Renames the last node's output to `output` (adding an `Identity`
    /// node if there is none: a network without layers).
    pub fn finish(&mut self, output: &str) {
        if self.nodes.is_empty() {
            self.node("identity", "Identity", Vec::new(), Vec::new());
        }
        if let Some(last) = self.nodes.last_mut() {
            last.output = vec![output.to_string()];
        }
        self.current = output.to_string();
    }
}
