//! Packs a build context to nowhere and prints what it would send, for `scripts/bench-build`:
//! `cargo run --release --example pack_context -- DIR [DOCKERFILE] [--gzip LEVEL]`.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use deploy_action_image::context::{BuildContext, PackOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: pack_context DIR [DOCKERFILE]")?);
    let mut dockerfile = PathBuf::from("Dockerfile");
    let mut gzip = None;
    while let Some(arg) = args.next() {
        if arg == "--gzip" {
            gzip = Some(args.next().ok_or("--gzip LEVEL")?.parse()?);
        } else {
            dockerfile = PathBuf::from(arg);
        }
    }
    let context = BuildContext::open(&dir, &dockerfile)?;
    let started = Instant::now();
    let stats = context.pack(std::io::sink(), &PackOptions { gzip })?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"files\": {}, \"dirs\": {}, \"content_bytes\": {}, \"archive_bytes\": {}, \"seconds\": {seconds:.3}, \"mb_per_s\": {:.1}}}",
        stats.files,
        stats.dirs,
        stats.content_bytes,
        stats.archive_bytes,
        stats.content_bytes as f64 / 1e6 / seconds
    );
    Ok(())
}
