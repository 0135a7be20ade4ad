//! A 2-4-1 network learns XOR to 100% from a fixed seed.

#[path = "../examples/xor.rs"]
mod xor;

#[test]
fn xor_is_learned_to_100_percent() {
    let (mut net, losses) = xor::train_xor(0, 500).unwrap();
    assert_eq!(xor::predictions(&mut net).unwrap(), vec![0, 1, 1, 0]);
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(last < 0.05 && last < first / 10.0, "loss {first} → {last}");
}

#[test]
fn xor_is_reproducible_bit_for_bit() {
    let (_, a) = xor::train_xor(3, 50).unwrap();
    let (_, b) = xor::train_xor(3, 50).unwrap();
    assert_eq!(a, b);
}
