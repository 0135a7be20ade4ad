//! backprop-optim (under construction).
