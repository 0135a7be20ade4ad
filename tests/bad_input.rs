//! Zero-width architectures given on a command line or in code
//! (`--layers 784,,10`, a size of 0) are typed errors naming the size.

use backprop::activations::ActivationKind;
use backprop::io::{Architecture, IoError};

#[test]
fn zero_width_architectures_are_errors() {
    for (text, expected) in [
        (
            "784,,10",
            "invalid architecture: size 1 of \"784,,10\" is \"\", expected a positive integer (e.g. 784,128,64,10)",
        ),
        (
            "784",
            "invalid architecture: an MLP needs at least an input and an output size, found only 784",
        ),
    ] {
        let e = text.parse::<Architecture>().unwrap_err();
        assert!(matches!(e, IoError::Architecture { .. }), "{e:?}");
        assert_eq!(e.to_string(), expected);
    }
    for sizes in [&[4, 0, 2][..], &[0, 3], &[4, 3, 0]] {
        let e = Architecture::mlp(sizes, ActivationKind::Relu, None).unwrap_err();
        assert!(matches!(e, IoError::Architecture { .. }), "{e:?}");
        let zero = sizes.iter().position(|&s| s == 0).unwrap();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid architecture: size {zero} of {sizes:?} is 0; every layer needs at least one unit"
            )
        );
    }
}
