//! Each crate's README is its rustdoc front page and its crates.io page, and
//! one crate is enough for its first example.
//!
//! A README's item links (`` [`Sequential`] ``) are reference links: the
//! README defines each label as a docs.rs address (for crates.io and GitHub),
//! and the crate's `lib.rs` defines the same labels as intra-doc links before
//! including the README (the first definition wins, so rustdoc links to its
//! own pages and checks them). These tests keep the two lists and the README
//! in step; `.ci/run` checks that every docs.rs address has a page in the
//! generated documentation.
//!
//! The README examples run as doctests, but a doctest also sees the crate's
//! dependencies: that one crate is enough is checked here on the text (no
//! path into another workspace crate) and, with `--ignored`, by building each
//! example in a project of its own that depends on that crate alone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's library crates, below the facade.
const CRATES: [&str; 8] = [
    "backprop-tensor",
    "backprop-activations",
    "backprop-losses",
    "backprop-optim",
    "backprop-data",
    "backprop-layers",
    "backprop-io",
    "backprop-train",
];

/// The crates whose first example needs other crates of the workspace, and
/// which say so in their README (the facade has them all).
const NEEDS_OTHERS: [&str; 2] = ["backprop-io", "backprop-train"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A crate's README, its `lib.rs` and the path of the README from `lib.rs`.
struct FrontPage {
    name: String,
    readme_path: PathBuf,
    readme: String,
    lib_path: PathBuf,
    lib: String,
    include: &'static str,
}

fn front_pages() -> Vec<FrontPage> {
    let mut pages: Vec<FrontPage> = CRATES
        .iter()
        .map(|name| {
            let dir = root().join("crates").join(name);
            FrontPage {
                name: name.to_string(),
                readme: read(&dir.join("README.md")),
                readme_path: dir.join("README.md"),
                lib: read(&dir.join("src/lib.rs")),
                lib_path: dir.join("src/lib.rs"),
                include: "../README.md",
            }
        })
        .collect();
    pages.push(FrontPage {
        name: "backprop".into(),
        readme: read(&root().join("src/README.md")),
        readme_path: root().join("src/README.md"),
        lib: read(&root().join("src/lib.rs")),
        lib_path: root().join("src/lib.rs"),
        include: "README.md",
    });
    pages
}

/// The text of a README outside its fenced code blocks.
fn prose(readme: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The bodies of a README's ```rust blocks.
fn rust_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        let fence = line.trim_start();
        match current.as_mut() {
            None if fence == "```rust" => current = Some(String::new()),
            Some(_) if fence == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Labels of the form `` [`x`] `` used as shortcut reference links: not
/// followed by `(` or `[` (an inline link or a full reference), not a
/// definition (`` [`x`]: `` opening a line), and not inside inline code.
fn labels_used(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(start) = rest.find("[`") {
            let opens_line = rest.len() == line.len() && line[..start].trim().is_empty();
            let after = &rest[start + 2..];
            let Some(end) = after.find("`]") else { break };
            let label = &after[..end];
            let next = after[end + 2..].chars().next();
            let definition = opens_line && next == Some(':');
            if !label.contains('`') && !definition && !matches!(next, Some('(' | '[')) {
                used.insert(label.to_string());
            }
            rest = &after[end + 2..];
        }
    }
    used
}

/// `` [`x`]: target `` definitions at the start of a line (after `prefix`,
/// `//! ` in `lib.rs`), as (label, target).
fn definitions(text: &str, prefix: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.strip_prefix(prefix)?.strip_prefix("[`"))
        .filter_map(|rest| {
            let (label, target) = rest.split_once("`]: ")?;
            Some((label.to_string(), target.trim().to_string()))
        })
        .collect()
}

fn labels(defs: &[(String, String)]) -> BTreeSet<String> {
    defs.iter().map(|(label, _)| label.clone()).collect()
}

#[test]
fn every_crate_shows_its_readme_as_its_front_page() {
    for page in front_pages() {
        let include = format!("#![doc = include_str!(\"{}\")]", page.include);
        assert!(
            page.lib.contains(&include),
            "{} does not include its README as its front page: expected `{include}`",
            page.lib_path.display()
        );
        // Nothing else in the crate's front page: the README is all of it.
        let stray: Vec<&str> = page
            .lib
            .lines()
            .filter(|l| l.starts_with("//!") && !l.starts_with("//! [`"))
            .collect();
        assert!(
            stray.is_empty(),
            "{} has front-page text outside its README: {stray:?}",
            page.lib_path.display()
        );
        assert!(
            page.readme.starts_with(&format!("# {}\n", page.name)),
            "{} should open with `# {}`",
            page.readme_path.display(),
            page.name
        );
    }
    for name in CRATES {
        let manifest = read(&root().join("crates").join(name).join("Cargo.toml"));
        assert!(
            manifest.contains("\nreadme = \"README.md\"\n"),
            "crates/{name}/Cargo.toml does not name README.md as its readme"
        );
    }
}

#[test]
fn every_item_link_of_a_readme_works_on_docs_rs_and_in_rustdoc() {
    for page in front_pages() {
        let used = labels_used(&prose(&page.readme));
        let web = definitions(&page.readme, "");
        let intra = definitions(&page.lib, "//! ");
        assert!(
            !used.is_empty(),
            "{}: no item links",
            page.readme_path.display()
        );
        let (web_labels, intra_labels) = (labels(&web), labels(&intra));
        let missing_web: Vec<_> = used.difference(&web_labels).collect();
        assert!(
            missing_web.is_empty(),
            "{}: links {missing_web:?} have no docs.rs address (on crates.io they show as text)",
            page.readme_path.display()
        );
        let missing_intra: Vec<_> = used.difference(&intra_labels).collect();
        assert!(
            missing_intra.is_empty(),
            "{}: links {missing_intra:?} have no intra-doc definition (rustdoc would link to docs.rs)",
            page.lib_path.display()
        );
        let unused: Vec<_> = web_labels
            .union(&intra_labels)
            .filter(|l| !used.contains(*l))
            .cloned()
            .collect();
        assert!(
            unused.is_empty(),
            "{} / {}: definitions {unused:?} are not used",
            page.readme_path.display(),
            page.lib_path.display()
        );
        for (label, url) in &web {
            let ok = url.starts_with("https://docs.rs/backprop")
                && url.split('/').nth(4) == Some("latest");
            assert!(
                ok,
                "{}: [`{label}`] points at {url}, not at a backprop crate's latest docs on docs.rs",
                page.readme_path.display()
            );
        }
    }
}

#[test]
fn the_first_example_of_a_crate_needs_only_that_crate() {
    for page in front_pages() {
        let blocks = rust_blocks(&page.readme);
        assert!(
            !blocks.is_empty(),
            "{}: no ```rust example",
            page.readme_path.display()
        );
        let own = page.name.replace('-', "_");
        let first = &blocks[0];
        let others: BTreeSet<&str> = first
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("backprop_") && *word != own)
            .collect();
        if NEEDS_OTHERS.contains(&page.name.as_str()) {
            assert!(
                !others.is_empty(),
                "{} no longer needs other crates: take it off NEEDS_OTHERS",
                page.name
            );
            for other in &others {
                let crate_name = other.replace('_', "-");
                assert!(
                    page.readme.contains(&format!("`{crate_name}`")),
                    "{}: the example uses {other} without the README saying to depend on `{crate_name}`",
                    page.readme_path.display()
                );
            }
        } else {
            assert!(
                others.is_empty(),
                "{}: the first example uses {others:?}; a project that depends on {} alone \
                 does not have them (re-export what the API names)",
                page.readme_path.display(),
                page.name
            );
        }
    }
}

/// Builds each README's first example as `src/main.rs` of a new project that
/// depends on that crate alone, by path (slow: a build of the dependencies in
/// a target directory of its own; `cargo test --test crate_readmes --
/// --ignored`).
#[test]
#[ignore = "builds nine projects outside the workspace"]
fn the_first_example_of_a_crate_builds_in_a_project_depending_on_that_crate_alone() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("one-crate");
    let target = base.join("target");
    let lock = read(&root().join("Cargo.lock"));
    for page in front_pages() {
        if NEEDS_OTHERS.contains(&page.name.as_str()) {
            continue;
        }
        let dir = base.join(&page.name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let crate_dir = page.readme_path.parent().unwrap();
        let crate_dir = if page.name == "backprop" {
            crate_dir.parent().unwrap()
        } else {
            crate_dir
        };
        let manifest = format!(
            "[package]\nname = \"user-of-{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{} = {{ path = {:?} }}\n\n[workspace]\n",
            page.name,
            page.name,
            crate_dir.display().to_string()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        std::fs::write(dir.join("Cargo.lock"), &lock).unwrap();
        std::fs::write(dir.join("src/main.rs"), &rust_blocks(&page.readme)[0]).unwrap();
        let status = Command::new(&cargo)
            .args(["build", "--quiet", "--offline"])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&dir)
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "{}'s README example does not build with {} alone (project in {})",
            page.name,
            page.name,
            dir.display()
        );
        let exe = target.join("debug").join(format!(
            "user-of-{}{}",
            page.name,
            std::env::consts::EXE_SUFFIX
        ));
        let run = Command::new(&exe).status().expect("the example runs");
        assert!(run.success(), "{}'s README example failed", page.name);
    }
}
