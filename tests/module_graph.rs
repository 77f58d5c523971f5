//! The module graphs of `auth-runtime` and `auth-macros` have no cycles.
//!
//! A module depends on another when its code (not its comments, not its `#[cfg(test)]` tests)
//! names it: `crate::a::b::Item`, `super::Item`, or a child module's `child::Item`. A path that
//! stops at the crate root (`crate::Item`) depends on `lib.rs`, which declares every module, so
//! it is always a cycle: name the module that defines the item instead. A cycle means a type
//! lives in the wrong place; the failure lists each cycle with the lines that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn the_runtime_has_no_module_cycles() {
    assert_acyclic("auth-runtime");
}

#[test]
fn the_macro_crate_has_no_module_cycles() {
    assert_acyclic("auth-macros");
}

#[test]
fn a_cycle_is_found_and_reported() {
    let mut graph = Graph::default();
    graph.add_module("crate");
    for module in ["a", "b", "c"] {
        graph.add_module(module);
    }
    graph.add_edge("a", "b", "a.rs:1");
    graph.add_edge("b", "c", "b.rs:2");
    graph.add_edge("c", "a", "c.rs:3");
    graph.add_edge("crate", "a", "lib.rs:4");
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1);
    assert!(cycles[0].contains("c -> a (c.rs:3)"), "{}", cycles[0]);
}

#[test]
fn inline_modules_and_aliased_children_are_understood() {
    let source = "mod backend {\n    use super::params::Curve;\n}\nuse aws_lc as backend;\n";
    let modules: BTreeSet<String> = ["crate", "v", "v::params", "v::aws_lc"]
        .into_iter()
        .map(String::from)
        .collect();
    let found: Vec<String> = dependencies("v", source, &modules)
        .into_iter()
        .map(|(target, _)| target)
        .collect();
    assert_eq!(found, ["v::params", "v::aws_lc"]);
}

#[test]
fn paths_are_resolved_to_the_longest_module_prefix() {
    let source = "use crate::http::{refusal::Refusal, challenge};\nuse super::Sibling;\n\
                  fn f() { crate::bearer::keys::Key::new(); child::g(); }\n\
                  // crate::ignored::Item\n#[cfg(test)]\nmod tests { use crate::late::X; }\n";
    let modules: BTreeSet<String> = [
        "crate",
        "http",
        "http::refusal",
        "http::challenge",
        "bearer",
        "bearer::keys",
        "bearer::jwt",
        "bearer::jwt::child",
        "late",
        "ignored",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let found: Vec<String> = dependencies("bearer::jwt", source, &modules)
        .into_iter()
        .map(|(target, _)| target)
        .collect();
    assert_eq!(
        found,
        [
            "http::refusal",
            "http::challenge",
            "bearer",
            "bearer::keys",
            "bearer::jwt::child"
        ]
    );
}

fn assert_acyclic(krate: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let files = rust_files(&src);
    assert!(!files.is_empty(), "no sources under {}", src.display());
    let mut graph = Graph::default();
    let sources: Vec<(String, PathBuf, String)> = files
        .into_iter()
        .map(|file| {
            let module = module_of(&src, &file);
            let text = std::fs::read_to_string(&file).unwrap();
            (module, file, text)
        })
        .collect();
    for (module, _, _) in &sources {
        graph.add_module(module);
    }
    let modules = graph.modules.clone();
    for (module, file, text) in &sources {
        for (target, line) in dependencies(module, text, &modules) {
            let place = format!(
                "{}:{line}",
                file.strip_prefix(&src).unwrap_or(file).display()
            );
            graph.add_edge(module, &target, &place);
        }
    }
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "{krate} has module cycles:\n{}",
        cycles.join("\n")
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// `lib.rs` → `crate`, `a.rs` and `a/mod.rs` → `a`, `a/b.rs` → `a::b`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut segments: Vec<String> = relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|last| last == "mod") {
        segments.pop();
    }
    if segments == ["lib"] {
        return "crate".to_owned();
    }
    segments.join("::")
}

/// The modules `module`'s code names, with the line of the first mention, in order.
fn dependencies(module: &str, text: &str, modules: &BTreeSet<String>) -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = Vec::new();
    let mut note = |target: String, line: usize| {
        if target != module && !found.iter().any(|(seen, _)| *seen == target) {
            found.push((target, line));
        }
    };
    let parent = module
        .rsplit_once("::")
        .map_or("crate", |(parent, _)| parent);
    // Inside an inline `mod name { .. }` block, `super::` names this file's module.
    let mut inline_depth: Option<usize> = None;
    let mut depth = 0usize;
    for (index, line) in code_lines(text) {
        let trimmed = line.trim_start();
        let opens_inline_module = inline_depth.is_none()
            && (trimmed.starts_with("mod ") || trimmed.contains(" mod "))
            && trimmed.trim_end().ends_with('{');
        if opens_inline_module {
            inline_depth = Some(depth);
        }
        let inside_inline_module = inline_depth.is_some();
        depth += line.matches('{').count();
        depth = depth.saturating_sub(line.matches('}').count());
        if inline_depth.is_some_and(|start| depth <= start) {
            inline_depth = None;
        }
        // `use child;` or `use child as alias;`: the child module itself.
        if let Some(rest) = trimmed
            .strip_prefix("pub(crate) use ")
            .or_else(|| trimmed.strip_prefix("pub use "))
            .or_else(|| trimmed.strip_prefix("use "))
        {
            let first = rest.split([' ', ';']).next().unwrap_or("");
            let child = join(&split(module), first);
            if !first.contains("::") && modules.contains(&child) {
                note(child, index + 1);
            }
        }
        for mut path in paths_in(line) {
            if inside_inline_module {
                if let Some(rest) = path.strip_prefix("super::") {
                    path = format!("self::{rest}");
                }
            }
            let mut segments: Vec<&str> = path.split("::").collect();
            let mut base: Vec<String> = match segments[0] {
                "crate" => {
                    segments.remove(0);
                    Vec::new()
                }
                "super" => {
                    segments.remove(0);
                    if module == "crate" {
                        continue;
                    }
                    split(parent)
                }
                "self" => {
                    segments.remove(0);
                    split(module)
                }
                // A child module named without a prefix (`refresher::Refresher`).
                first if modules.contains(&join(&split(module), first)) => split(module),
                _ => continue,
            };
            // The longest prefix that is a module.
            let mut target = qualified(&base);
            for segment in segments {
                base.push(segment.to_owned());
                let candidate = qualified(&base);
                if modules.contains(&candidate) {
                    target = candidate;
                } else {
                    break;
                }
            }
            note(target, index + 1);
        }
    }
    found
}

fn split(module: &str) -> Vec<String> {
    if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    }
}

fn join(base: &[String], segment: &str) -> String {
    let mut all = base.to_vec();
    all.push(segment.to_owned());
    all.join("::")
}

fn qualified(segments: &[String]) -> String {
    if segments.is_empty() {
        "crate".to_owned()
    } else {
        segments.join("::")
    }
}

/// The lines that are code: comments dropped, and everything from a `#[cfg(test)]` module on.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|pair| {
            pair[0].trim() == "#[cfg(test)]" && pair[1].trim_start().starts_with("mod tests")
        })
        .unwrap_or(lines.len());
    lines
        .into_iter()
        .take(end)
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(index, line)| (index, line.split(" //").next().unwrap_or(line)))
}

/// Every path of a line, with `use` groups expanded: `crate::a::{b::X, c}` gives `crate::a::b::X`
/// and `crate::a::c`.
fn paths_in(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let mut paths = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if !is_ident(bytes[start]) || (start > 0 && (is_ident(bytes[start - 1]))) {
            start += 1;
            continue;
        }
        let (path, end) = read_path(line, start);
        if path.contains("::") {
            paths.extend(path_expansions(&path));
        }
        start = end.max(start + 1);
    }
    paths
}

/// The path starting at `start`, with a trailing brace group kept whole, and where it ends.
fn read_path(line: &str, start: usize) -> (String, usize) {
    let bytes = line.as_bytes();
    let mut end = start;
    loop {
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if line[end..].starts_with("::{") {
            let mut depth = 0;
            let mut close = end + 2;
            for (offset, c) in line[end + 2..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            close = end + 2 + offset + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            return (line[start..close].to_owned(), close);
        }
        if line[end..].starts_with("::")
            && line[end + 2..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            end += 2;
            continue;
        }
        return (line[start..end].to_owned(), end);
    }
}

/// `a::{b::c, d}` → `a::b::c`, `a::d`.
fn path_expansions(path: &str) -> Vec<String> {
    let Some(open) = path.find("::{") else {
        return vec![path.to_owned()];
    };
    let prefix = &path[..open];
    let inner = path[open + 3..].trim_end_matches('}');
    let mut parts = Vec::new();
    let (mut depth, mut begin) = (0, 0);
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[begin..index]);
                begin = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[begin..]);
    parts
        .into_iter()
        .map(|part| part.trim().split(" as ").next().unwrap_or("").trim())
        .filter(|part| !part.is_empty())
        .flat_map(|part| match part {
            "self" => vec![prefix.to_owned()],
            part => path_expansions(&format!("{prefix}::{part}")),
        })
        .collect()
}

#[derive(Default)]
struct Graph {
    modules: BTreeSet<String>,
    /// module → (dependency → where it is named)
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

impl Graph {
    fn add_module(&mut self, module: &str) {
        self.modules.insert(module.to_owned());
    }

    fn add_edge(&mut self, from: &str, to: &str, place: &str) {
        self.edges
            .entry(from.to_owned())
            .or_default()
            .entry(to.to_owned())
            .or_insert_with(|| place.to_owned());
    }

    /// Each strongly connected component of more than one module, with its internal edges.
    fn cycles(&self) -> Vec<String> {
        let mut components = Vec::new();
        let mut state = Tarjan::default();
        for module in &self.modules {
            if !state.index.contains_key(module) {
                self.connect(module, &mut state, &mut components);
            }
        }
        components
            .into_iter()
            .filter(|component: &Vec<String>| component.len() > 1)
            .map(|mut component| {
                component.sort();
                let members: BTreeSet<&String> = component.iter().collect();
                let mut text = format!("cycle through {}:", component.join(", "));
                for from in &component {
                    for (to, place) in self.edges.get(from).into_iter().flatten() {
                        if members.contains(to) {
                            text.push_str(&format!("\n  {from} -> {to} ({place})"));
                        }
                    }
                }
                text
            })
            .collect()
    }

    fn connect(&self, module: &str, state: &mut Tarjan, components: &mut Vec<Vec<String>>) {
        let index = state.next;
        state.next += 1;
        state.index.insert(module.to_owned(), index);
        state.low.insert(module.to_owned(), index);
        state.stack.push(module.to_owned());
        state.on_stack.insert(module.to_owned());
        for next in self
            .edges
            .get(module)
            .into_iter()
            .flat_map(|edges| edges.keys())
        {
            if !state.index.contains_key(next) {
                self.connect(next, state, components);
                let low = state.low[module].min(state.low[next]);
                state.low.insert(module.to_owned(), low);
            } else if state.on_stack.contains(next) {
                let low = state.low[module].min(state.index[next]);
                state.low.insert(module.to_owned(), low);
            }
        }
        if state.low[module] == state.index[module] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(&top);
                let done = top == module;
                component.push(top);
                if done {
                    break;
                }
            }
            components.push(component);
        }
    }
}

#[derive(Default)]
struct Tarjan {
    next: usize,
    index: BTreeMap<String, usize>,
    low: BTreeMap<String, usize>,
    stack: Vec<String>,
    on_stack: BTreeSet<String>,
}
