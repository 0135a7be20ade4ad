//! backprop-train (under construction).
