// The benchmark's Rust echo: a plain main() with std, stdin to stdout.
use std::io::{Read, Write};

fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).expect("stdin");
    std::io::stdout().write_all(&input).expect("stdout");
}
