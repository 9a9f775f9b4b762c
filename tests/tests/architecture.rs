//! The map is the territory: `docs/ARCHITECTURE.md` names every crate and the kosodate crates each
//! may depend on (a table and a diagram), and this test fails when `cargo metadata` says
//! otherwise, in either direction. It also fails on an import cycle between the modules (files)
//! of any crate: one feature, one place, and no module that needs the one that needs it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// This workspace, or the checkout `KOSODATE_ARCHITECTURE_ROOT` names (to try the checks on
/// another version).
fn workspace_root() -> PathBuf {
    if let Ok(root) = std::env::var("KOSODATE_ARCHITECTURE_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_owned()
}

/// Every workspace crate (without the `kosodate-` prefix) with its manifest directory and the
/// workspace crates it depends on for building (not for its tests).
fn cargo_metadata() -> BTreeMap<String, (PathBuf, BTreeSet<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let short = |name: &str| name.strip_prefix("kosodate-").unwrap_or(name).to_owned();
    let mut crates = BTreeMap::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = short(package["name"].as_str().expect("name"));
        let manifest = PathBuf::from(package["manifest_path"].as_str().expect("manifest path"));
        let dependencies = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|dependency| dependency["kind"].is_null())
            .filter_map(|dependency| dependency["name"].as_str())
            .filter(|dependency| dependency.starts_with("kosodate-"))
            .map(short)
            .collect();
        let directory = manifest.parent().expect("manifest directory").to_owned();
        crates.insert(name, (directory, dependencies));
    }
    crates
}

fn architecture_document() -> String {
    std::fs::read_to_string(workspace_root().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md")
}

/// The crate table: its first column names a crate, its last the crates it depends on ("—" for
/// none, "every crate above" for all the crates of the rows above it).
fn documented_table(document: &str) -> Graph {
    let mut graph = Graph::new();
    let mut in_table = false;
    for line in document.lines() {
        if line.starts_with("| crate |") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let name = cells[0].trim_matches('`').to_owned();
        let last = cells.last().copied().unwrap_or_default();
        let dependencies = if last.starts_with("every crate above") {
            graph.keys().cloned().collect()
        } else {
            last.split(',')
                .map(|dependency| dependency.trim().trim_matches('`').to_owned())
                .filter(|dependency| !dependency.is_empty() && dependency != "—")
                .collect()
        };
        graph.insert(name, dependencies);
    }
    graph
}

fn is_test_only(crate_name: &str) -> bool {
    matches!(crate_name, "tests" | "test-peers")
}

/// The diagram: `a --> b` lines of the mermaid block.
fn documented_diagram(document: &str) -> Graph {
    let mut graph = Graph::new();
    let block = document
        .split("```mermaid")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a mermaid diagram of the crates");
    for line in block.lines() {
        if let Some((from, to)) = line.split_once("-->") {
            graph
                .entry(from.trim().to_owned())
                .or_default()
                .insert(to.trim().to_owned());
        }
    }
    graph
}

#[test]
fn the_crate_table_and_diagram_match_cargo_metadata() {
    let crates = cargo_metadata();
    let document = architecture_document();
    let table = documented_table(&document);
    let diagram = documented_diagram(&document);
    let mut problems = Vec::new();
    for (name, (_, actual)) in &crates {
        let Some(allowed) = table.get(name) else {
            problems.push(format!("crate `{name}` is missing from the table"));
            continue;
        };
        for dependency in actual.difference(allowed) {
            problems.push(format!(
                "`{name}` depends on `{dependency}`, which the table does not allow"
            ));
        }
        if is_test_only(name) {
            continue;
        }
        for dependency in allowed.difference(actual) {
            problems.push(format!(
                "the table lets `{name}` depend on `{dependency}`, but it does not"
            ));
        }
        let drawn = diagram.get(name).cloned().unwrap_or_default();
        if &drawn != actual {
            problems.push(format!(
                "the diagram draws `{name}` → {drawn:?}, cargo says {actual:?}"
            ));
        }
    }
    for name in table.keys() {
        if !crates.contains_key(name) {
            problems.push(format!(
                "the table names `{name}`, which is not a workspace crate"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ARCHITECTURE.md is out of date:\n{}",
        problems.join("\n")
    );
}

/// One source file of a crate: its module path and what it declares and imports.
#[derive(Debug, Default)]
struct ModuleFile {
    /// `crate::…` paths this file refers to, as segments.
    references: Vec<Vec<String>>,
    /// Names it re-exports (`pub use a::b::Name`), to the path they come from.
    reexports: HashMap<String, Vec<String>>,
}

/// Collects the paths a file refers to, outside `#[cfg(test)]` items.
struct References<'a> {
    module: &'a [String],
    file: ModuleFile,
}

impl References<'_> {
    /// `crate::a::b`, `super::a`, `self::a` as absolute segments; `None` for external paths.
    fn absolute(&self, segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.module.to_vec(),
            "super" => self.module[..self.module.len().saturating_sub(1)].to_vec(),
            _ => return None,
        };
        let mut rest = &segments[1..];
        while rest.first().is_some_and(|segment| segment == "super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.use_leaf(prefix, &name.ident.to_string(), None, public),
            syn::UseTree::Rename(rename) => {
                let alias = rename.rename.to_string();
                self.use_leaf(prefix, &rename.ident.to_string(), Some(alias), public);
            }
            syn::UseTree::Glob(_) => self.use_leaf(prefix, "*", None, public),
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.use_tree(prefix, item, public);
                }
            }
        }
    }

    fn use_leaf(&mut self, prefix: &[String], name: &str, alias: Option<String>, public: bool) {
        let mut segments = prefix.to_vec();
        if name != "*" && name != "self" {
            segments.push(name.to_owned());
        }
        // A relative `use child::Item` inside a module names its own child module.
        let absolute = self.absolute(&segments).or_else(|| {
            let mut local = self.module.to_vec();
            local.extend(segments.iter().cloned());
            (!segments.is_empty()).then_some(local)
        });
        let Some(absolute) = absolute else {
            return;
        };
        if public && name != "*" {
            self.file
                .reexports
                .insert(alias.unwrap_or_else(|| name.to_owned()), absolute.clone());
        }
        self.file.references.push(absolute);
    }
}

fn is_test_item(attributes: &[syn::Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        attribute.path().is_ident("cfg")
            && attribute
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attributes = match item {
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            syn::Item::Use(item) => &item.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_item(attributes) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let public = matches!(item.vis, syn::Visibility::Public(_));
        self.use_tree(&mut Vec::new(), &item.tree, public);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        if let Some(absolute) = self.absolute(&segments) {
            self.file.references.push(absolute);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Every module file of a crate, by module path, found from its root through `mod name;`.
fn module_files(root: &Path) -> BTreeMap<Vec<String>, ModuleFile> {
    let mut files = BTreeMap::new();
    let mut pending = vec![(Vec::<String>::new(), root.to_owned())];
    while let Some((module, path)) = pending.pop() {
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let syntax = syn::parse_file(&source).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let directory = match path.file_name().and_then(|name| name.to_str()) {
            Some("lib.rs" | "main.rs" | "mod.rs") => path.parent().expect("directory").to_owned(),
            _ => path.with_extension(""),
        };
        for item in &syntax.items {
            let syn::Item::Mod(declaration) = item else {
                continue;
            };
            if declaration.content.is_some() || is_test_item(&declaration.attrs) {
                continue;
            }
            let name = declaration.ident.to_string();
            let file = [
                directory.join(format!("{name}.rs")),
                directory.join(&name).join("mod.rs"),
            ]
            .into_iter()
            .find(|candidate| candidate.exists())
            .unwrap_or_else(|| panic!("module {name} of {} has no file", path.display()));
            let mut child = module.clone();
            child.push(name);
            pending.push((child, file));
        }
        let mut references = References {
            module: &module,
            file: ModuleFile::default(),
        };
        references.visit_file(&syntax);
        files.insert(module.clone(), references.file);
    }
    files
}

/// The module file a path leads to: the longest module prefix, followed through re-exports.
fn resolve(files: &BTreeMap<Vec<String>, ModuleFile>, path: &[String], depth: usize) -> Option<Vec<String>> {
    let module_length = (0..=path.len())
        .rev()
        .find(|length| files.contains_key(&path[..*length]))?;
    let module = path[..module_length].to_vec();
    let item = path.get(module_length);
    let reexported = item.and_then(|item| files[&module].reexports.get(item));
    match reexported {
        Some(source) if depth < 8 && source.as_slice() != path => {
            resolve(files, source, depth + 1).or(Some(module))
        }
        _ => Some(module),
    }
}

/// The edges between files: a file's references, minus those of a module to its own
/// descendants (declaring and re-exporting children is structure, not dependency).
fn file_graph(files: &BTreeMap<Vec<String>, ModuleFile>) -> Graph {
    let name = |module: &[String]| match module.is_empty() {
        true => "crate".to_owned(),
        false => module.join("::"),
    };
    let mut graph = Graph::new();
    for (module, file) in files {
        let edges = graph.entry(name(module)).or_default();
        for reference in &file.references {
            let Some(target) = resolve(files, reference, 0) else {
                continue;
            };
            if target.starts_with(module) {
                continue;
            }
            edges.insert(name(&target));
        }
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Graph,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, node: &'a str) {
            let next = self.index.len();
            self.index.insert(node, next);
            self.low.insert(node, next);
            self.stack.push(node);
            self.on_stack.insert(node);
            for target in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(target.as_str()) {
                    self.visit(target);
                    let low = self.low[target.as_str()].min(self.low[node]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(target.as_str()) {
                    let low = self.index[target.as_str()].min(self.low[node]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let mut problems = Vec::new();
    for (name, (directory, _)) in cargo_metadata() {
        let root = ["src/lib.rs", "src/main.rs"]
            .into_iter()
            .map(|file| directory.join(file))
            .find(|path| path.exists());
        let Some(root) = root else {
            continue;
        };
        for cycle in cycles(&file_graph(&module_files(&root))) {
            problems.push(format!("{name}: {}", cycle.join(" ↔ ")));
        }
    }
    assert!(
        problems.is_empty(),
        "import cycles between modules:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_only_a_cycle() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(node, targets)| (node.to_owned(), targets.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(cycles(&graph), [vec!["a", "b", "c"]]);
}
