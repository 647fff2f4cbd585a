//! The core's modules form layers: a module may use the ones below it, never one that uses it
//! back. This test reads every file under `core/src`, collects the `crate::…` and `super::…`
//! paths its code (not its comments, not its `#[cfg(test)]` tests) names, and fails on the
//! first cycle, naming every module on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `core/src/a/b.rs` → `a/b`; `core/src/a/mod.rs` → `a`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let rel = rel.to_string_lossy().replace('\\', "/");
    rel.strip_suffix("/mod").unwrap_or(&rel).to_owned()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and without its trailing test module.
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::x::y…` / `super::x…` path in `code`, as segments.
fn paths(code: &str, root: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(at) = code[i..].find(root).map(|p| p + i) {
        i = at + root.len();
        let before = at.checked_sub(1).map(|b| bytes[b] as char);
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut segments = Vec::new();
        let mut rest = &code[i..];
        while let Some(tail) = rest.strip_prefix("::") {
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                break;
            }
            rest = &tail[name.len()..];
            segments.push(name);
        }
        out.push(segments);
    }
    out
}

#[test]
fn core_modules_form_layers_without_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let modules: BTreeSet<String> = all.iter().map(|f| module_of(&src, f)).collect();
    // `pub use a::b as c;` in lib.rs names `a/b` as `crate::c`; `#[macro_export]` macros are
    // named at the crate root too.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    for line in lib.lines() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("pub use ")
            .and_then(|r| r.strip_suffix(';'))
        {
            if let Some((path, alias)) = rest.split_once(" as ") {
                aliases.insert(alias.trim().to_owned(), path.trim().replace("::", "/"));
            }
        }
    }
    for file in &all {
        let text = std::fs::read_to_string(file).unwrap();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() == "#[macro_export]" {
                if let Some(name) = lines
                    .peek()
                    .and_then(|l| l.trim().strip_prefix("macro_rules! "))
                {
                    let name = name.trim_end_matches(['{', ' ']).to_owned();
                    aliases.insert(name, module_of(&src, file));
                }
            }
        }
    }
    let resolve = |segments: &[String]| -> Option<String> {
        let mut segs: Vec<String> = segments.to_vec();
        if let Some(alias) = segs.first().and_then(|s| aliases.get(s)) {
            let mut expanded: Vec<String> = alias.split('/').map(str::to_owned).collect();
            expanded.extend(segs.drain(1..));
            segs = expanded;
        }
        (1..=segs.len())
            .rev()
            .map(|n| segs[..n].join("/"))
            .find(|m| modules.contains(m))
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let me = module_of(&src, file);
        if me == "lib" {
            continue;
        }
        let code = code(&std::fs::read_to_string(file).unwrap());
        let parent: Vec<String> = me
            .rsplit_once('/')
            .map(|(p, _)| p.split('/').map(str::to_owned).collect())
            .unwrap_or_default();
        let mut named: Vec<Vec<String>> = paths(&code, "crate");
        named.extend(paths(&code, "super").into_iter().map(|rest| {
            let mut full = parent.clone();
            full.extend(rest);
            full
        }));
        for segments in named {
            if let Some(target) = resolve(&segments) {
                if target != me && target != "lib" {
                    edges.entry(me.clone()).or_default().insert(target);
                }
            }
        }
    }
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() >= 20,
        "too few uses found: the reader is broken"
    );
    if let Some(cycle) = find_cycle(&edges) {
        panic!("core modules use each other: {}", cycle.join(" → "));
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Open,
    Done,
}

/// A cycle in `edges`, by depth-first search for a back edge.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(m.to_owned(), Mark::Open);
        stack.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|s| s == next).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(m.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in edges.keys() {
        if marks.get(m).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(m, edges, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn the_reader_and_the_search_find_what_they_must() {
    // The controls: the path reader skips comments and tests, and the search finds a loop.
    let a = code(
        "use crate::b::Thing;\n// crate::c in a comment\n#[cfg(test)]\nmod tests { use crate::d; }",
    );
    assert_eq!(
        paths(&a, "crate"),
        vec![vec!["b".to_owned(), "Thing".to_owned()]]
    );
    assert_eq!(
        paths("x::crate::y; notcrate::z; super::v::w", "super"),
        vec![vec!["v".to_owned(), "w".to_owned()]]
    );
    let edge = |a: &str, b: &str| (a.to_owned(), BTreeSet::from([b.to_owned()]));
    let looped = BTreeMap::from([edge("a", "b"), edge("b", "c"), edge("c", "a")]);
    assert_eq!(
        find_cycle(&looped),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let layered = BTreeMap::from([edge("a", "b"), edge("b", "c"), edge("a", "c")]);
    assert_eq!(find_cycle(&layered), None);
}
