//! `onnx_proto_gen PROTO3 OUT_DIR`: runs prost-build on ONNX's onnx.proto3
//! and writes `onnx.rs` (package `onnx`) into OUT_DIR. Needs `protoc`
//! (Debian: protobuf-compiler) on the PATH or in `$PROTOC`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(proto), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: onnx_proto_gen PATH/onnx.proto3 OUT_DIR".into());
    };
    let proto = PathBuf::from(proto);
    let include = proto
        .parent()
        .ok_or("the .proto3 file has no parent directory")?;
    let mut config = prost_build::Config::new();
    config.out_dir(PathBuf::from(out));
    config.compile_protos(&[&proto], &[include])?;
    Ok(())
}
