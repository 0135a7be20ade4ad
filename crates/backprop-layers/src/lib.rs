//! backprop-layers (under construction).
