//! The walls between the crate's modules, checked on the source: each top-level module
//! imports only from the layers below it (the table in `src/lib.rs`), and the files inside
//! one folder do not import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::root;

/// The layers of `src/lib.rs`, from the bottom up.
const LAYERS: &[&[&str]] = &[
    &["source", "sanitize"],
    &["config", "spec"],
    &["secrets", "transport"],
    &["outcome", "stub", "live"],
    &["engine", "export"],
    &["report"],
    &["plan"],
    &["session"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The names that follow `prefix` (`crate::`, `super::`) in the code of `text`, comments
/// left out.
fn referenced(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

/// Top-level module → the top-level modules it imports.
fn top_level_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let used = referenced(&text, "crate::");
        graph
            .entry(module.clone())
            .or_default()
            .extend(used.into_iter().filter(|m| *m != module));
    }
    graph
}

fn upward_imports(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    for (module, imports) in graph {
        let Some(own) = layer_of(module) else {
            problems.push(format!("`{module}` is in no layer of src/lib.rs"));
            continue;
        };
        for import in imports {
            match layer_of(import) {
                Some(layer) if layer < own => {}
                Some(_) => problems.push(format!("`{module}` imports `{import}`")),
                None => problems.push(format!("`{import}` is in no layer of src/lib.rs")),
            }
        }
    }
    problems
}

/// A circle among the files of one folder (its `mod.rs` aside: the parent may use every
/// child), as the list of files that form it.
fn circle_in(dir: &Path) -> Option<Vec<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let names: BTreeSet<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .filter(|n| n != "mod")
        .collect();
    for file in &files {
        let name = file.file_stem().unwrap().to_str().unwrap().to_string();
        if name == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let siblings: Vec<String> = referenced(&text, "super::")
            .into_iter()
            .filter(|s| names.contains(s) && *s != name)
            .collect();
        graph.entry(name).or_default().extend(siblings);
    }
    find_circle(&graph)
}

fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn modules_import_only_from_the_layers_below() {
    let graph = top_level_imports(&root().join("src"));
    assert!(graph.len() > 10, "{graph:?}");
    let problems = upward_imports(&graph);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_folder_has_files_importing_each_other_in_a_circle() {
    let src = root().join("src");
    let mut folders = vec![src.clone()];
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            folders.push(path);
        }
    }
    for folder in folders {
        if let Some(circle) = circle_in(&folder) {
            panic!("{}: {}", folder.display(), circle.join(" → "));
        }
    }
}

#[test]
fn the_checks_find_what_they_are_meant_to_find() {
    // An upward import and a module outside the table are both reported.
    let mut graph = BTreeMap::new();
    graph.insert("spec".to_string(), BTreeSet::from(["engine".to_string()]));
    graph.insert("engine".to_string(), BTreeSet::from(["spec".to_string()]));
    graph.insert("gadget".to_string(), BTreeSet::new());
    let problems = upward_imports(&graph);
    assert_eq!(
        problems,
        [
            "`gadget` is in no layer of src/lib.rs",
            "`spec` imports `engine`"
        ]
    );
    // A circle of three files is found, and a chain is not a circle.
    let edges = |pairs: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in pairs {
            graph
                .entry(from.to_string())
                .or_default()
                .insert(to.to_string());
        }
        graph
    };
    let circle = find_circle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")]));
    assert_eq!(circle.unwrap().len(), 3);
    assert_eq!(find_circle(&edges(&[("a", "b"), ("b", "c")])), None);
    // Names in comments and longer identifiers ending in the prefix are not imports.
    let text = "use crate::spec::Suite; // crate::engine\nlet x = mycrate::cli;";
    assert_eq!(referenced(text, "crate::"), BTreeSet::from(["spec".into()]));
}
