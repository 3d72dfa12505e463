//! Builds the web application (web/: MapLibre GL JS and our modules, from
//! npm) into OUT_DIR/web, which the server embeds: the binary then serves the
//! whole UI with no internet and no files beside it. Like martin, we run npm
//! here; it needs Node.js 18+ and npm, and the npm registry the first time.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{what}: cannot run {:?} ({e}). Building safeground's web application needs Node.js 18+ and npm: install them (Debian: apt-get install nodejs npm) and build again", cmd.get_program())
    });
    if !out.status.success() {
        panic!(
            "{what} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn main() {
    let web = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("web");
    for f in ["src", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(f).display());
    }
    std::fs::create_dir_all(&out).unwrap();
    let modules = web.join("node_modules");
    let lock = web.join("package-lock.json");
    let stamp = modules.join(".safeground-installed");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if !fresh {
        run(
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&web),
            "npm ci (installing MapLibre GL JS and esbuild into web/node_modules)",
        );
        std::fs::write(&stamp, b"").unwrap();
    }
    run(
        Command::new(modules.join(".bin/esbuild"))
            .args(["src/main.js", "--bundle", "--minify", "--target=es2020", "--log-level=error"])
            .arg(format!("--outfile={}", out.join("app.js").display()))
            .current_dir(&web),
        "esbuild (bundling web/src)",
    );
    copy(&modules.join("maplibre-gl/dist/maplibre-gl.css"), &out.join("maplibre-gl.css"));
    copy(&web.join("src/index.html"), &out.join("index.html"));
    copy(&web.join("src/style.css"), &out.join("style.css"));
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}
