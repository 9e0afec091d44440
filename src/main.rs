//! ttai: the binary.
fn main() {}
