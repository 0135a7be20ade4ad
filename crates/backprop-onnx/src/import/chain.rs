//! The graph as one chain: from the single input, each value read by
//! exactly one node, to the single output. Anything else (a branch, a
//! merge, a node off the path, a missing input) is an error naming where.

use super::constants::Constants;
use super::node_label;
use crate::OnnxError;
use crate::schema::{GraphProto, NodeProto};
use std::collections::{HashMap, HashSet};

/// The nodes from `input` to `output`, in order (constant makers left
/// out).
pub(crate) fn chain<'g>(
    graph: &'g GraphProto,
    constants: &Constants<'_>,
    input: &str,
    output: &str,
) -> Result<Vec<(usize, &'g NodeProto)>, OnnxError> {
    let not_chain = |message: String| OnnxError::NotAChain { message };
    let compute: Vec<usize> = (0..graph.node.len())
        .filter(|i| !constants.makers.contains(i))
        .collect();
    let produced: HashSet<&str> = compute
        .iter()
        .flat_map(|&i| graph.node[i].output.iter().map(String::as_str))
        .collect();
    // Which compute nodes read each running (non-constant) value.
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in &compute {
        let node = &graph.node[i];
        if node.output.first().is_none_or(String::is_empty) {
            return Err(OnnxError::Model {
                message: format!(
                    "node {:?} ({}) has no output",
                    node_label(node, i),
                    node.op_type
                ),
            });
        }
        let mut running = Vec::new();
        for name in node.input.iter().filter(|n| !n.is_empty()) {
            if constants.contains(name) {
                continue;
            }
            if name != input && !produced.contains(name.as_str()) {
                return Err(OnnxError::MissingTensor {
                    node: node_label(node, i),
                    op_type: node.op_type.clone(),
                    tensor: name.clone(),
                });
            }
            running.push(name.as_str());
            readers.entry(name.as_str()).or_default().push(i);
        }
        if running.len() > 1 {
            return Err(not_chain(format!(
                "node {:?} ({}) reads {} running values ({}), a merge of branches",
                node_label(node, i),
                node.op_type,
                running.len(),
                running.join(", ")
            )));
        }
    }
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    let mut current = input;
    loop {
        let next = readers.get(current).map_or(&[][..], Vec::as_slice);
        if current == output {
            if let Some(&i) = next.first() {
                return Err(not_chain(format!(
                    "the graph output {output:?} is also read by node {:?} ({})",
                    node_label(&graph.node[i], i),
                    graph.node[i].op_type
                )));
            }
            break;
        }
        let i = match next {
            [i] => *i,
            [] => {
                return Err(not_chain(format!(
                    "value {current:?} is read by no node and is not the graph output {output:?}"
                )));
            }
            several => {
                let names: Vec<String> = several
                    .iter()
                    .map(|&i| {
                        format!(
                            "{:?} ({})",
                            node_label(&graph.node[i], i),
                            graph.node[i].op_type
                        )
                    })
                    .collect();
                return Err(not_chain(format!(
                    "value {current:?} is read by {} nodes: {}",
                    several.len(),
                    names.join(", ")
                )));
            }
        };
        if !seen.insert(i) {
            return Err(not_chain(format!(
                "node {:?} is reached twice (a cycle)",
                node_label(&graph.node[i], i)
            )));
        }
        let node = &graph.node[i];
        for extra in node.output.iter().skip(1).filter(|o| !o.is_empty()) {
            if readers.contains_key(extra.as_str()) || extra == output {
                return Err(not_chain(format!(
                    "output {extra:?} of node {:?} ({}) is used: only a node's first output may be",
                    node_label(node, i),
                    node.op_type
                )));
            }
        }
        order.push((i, node));
        current = &node.output[0];
    }
    if let Some(&i) = compute.iter().find(|i| !seen.contains(i)) {
        return Err(not_chain(format!(
            "node {:?} ({}) is not on the path from the input {input:?} to the output {output:?}",
            node_label(&graph.node[i], i),
            graph.node[i].op_type
        )));
    }
    Ok(order)
}
