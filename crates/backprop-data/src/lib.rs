//! backprop-data (under construction).
