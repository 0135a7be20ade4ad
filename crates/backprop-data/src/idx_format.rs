//! What the IDX format's messages need to know about it, in a file that
//! depends on nothing, so that the crate's error type can use it without
//! depending on the reader (idx.rs, which uses the error type).

/// Trailing data after what the header declares is an error; this many
/// bytes of it are counted for the message, and no more are decompressed.
pub const TRAILING_COUNT_LIMIT: u64 = 1 << 20;

/// A name for an IDX element-type byte, for error messages.
pub fn element_type_name(t: u8) -> &'static str {
    match t {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "short",
        0x0C => "int",
        0x0D => "float",
        0x0E => "double",
        _ => "unknown type",
    }
}
