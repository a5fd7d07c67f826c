//! The layering rule (docs/architecture.md): the top-level modules of `src/` import each
//! other without a circle. Each `crate::<module>` path in a file of `src/<a>/` (or in
//! `src/<a>.rs`) is an edge `a -> module`; the graph of these edges must be acyclic, so
//! every module sits on a floor above the ones it uses. Code under `#[cfg(test)]` is left
//! out (a test may reach up, as a dev-dependency may in Cargo), and so are comments and
//! string literals. The scan reads the source text: no build, a few milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Module -> module it uses -> the files that use it.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// `text` without comments, string and char literals (each replaced by a space).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            // nested block comments
            let mut depth = 0;
            let mut j = i;
            while j < b.len() {
                if text[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if text[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            i = j;
            out.push(' ');
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"..", r#".."#, br".."
            let open = rest.find('"').expect("a quote") + 1;
            let close = format!("\"{}", "#".repeat(hashes));
            let end = rest[open..]
                .find(&close)
                .map_or(rest.len(), |k| open + k + close.len());
            i += end;
            out.push(' ');
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
            out.push(' ');
        } else if b[i] == b'\'' {
            // a char literal ('x', '\n', '\u{1b}') or a lifetime ('a)
            if b.get(i + 1) == Some(&b'\\') {
                let end = text[i + 2..].find('\'').map_or(b.len(), |k| i + 2 + k + 1);
                i = end;
                out.push(' ');
            } else if let Some(c) = text[i + 1..].chars().next()
                && text[i + 1 + c.len_utf8()..].starts_with('\'')
            {
                i += 2 + c.len_utf8();
                out.push(' ');
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            let c = rest.chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The number of `#` of a raw string literal starting `s`, if one does.
fn raw_string_start(s: &str) -> Option<usize> {
    let s = s.strip_prefix('b').unwrap_or(s);
    let s = s.strip_prefix('r')?;
    let hashes = s.len() - s.trim_start_matches('#').len();
    s[hashes..].starts_with('"').then_some(hashes)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `code` without the items under `#[cfg(test)]` (up to the item's `;` or its closing
/// brace), and the names of the `#[cfg(test)] mod NAME;` files it declares.
fn without_tests(code: &str) -> (String, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut test_files = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at + MARK.len()..];
        let semi = item.find(';');
        let brace = item.find('{');
        let end = match (semi, brace) {
            (Some(s), b) if b.is_none_or(|b| s < b) => {
                let decl = item[..s].split_whitespace().collect::<Vec<_>>();
                if let [.., "mod", name] = decl.as_slice() {
                    test_files.push(name.to_string());
                }
                s + 1
            }
            (_, Some(b)) => {
                let mut depth = 0;
                let mut end = item.len();
                for (k, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            _ => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    (out, test_files)
}

/// The first path segments after each `crate::` in `code` (`crate::a::x` and
/// `crate::{a::x, b}` give `a` and `b`).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| is_ident(c) || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // the group split at its top-level commas
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                    _ if depth == 1 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            for it in items {
                let name: String = it.trim().chars().take_while(|&c| is_ident(c)).collect();
                if !name.is_empty() {
                    refs.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                refs.insert(name);
            }
        }
    }
    refs
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The graph of the top-level modules declared in `src/lib.rs`.
fn module_graph(src: &Path) -> Graph {
    let lib = code_only(&fs::read_to_string(src.join("lib.rs")).unwrap());
    let modules: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').trim().to_string())
        .collect();
    assert!(modules.len() > 10, "modules of src/lib.rs: {modules:?}");
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    // first the files that are test modules (`#[cfg(test)] mod tests;`)
    let mut test_only = BTreeSet::new();
    let mut parsed = Vec::new();
    for f in &files {
        let (code, tests) = without_tests(&code_only(&fs::read_to_string(f).unwrap()));
        let dir = if f
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
        {
            f.parent().unwrap().to_path_buf()
        } else {
            f.with_extension("")
        };
        for t in tests {
            test_only.insert(dir.join(format!("{t}.rs")));
            test_only.insert(dir.join(t).join("mod.rs"));
        }
        parsed.push((f, code));
    }
    let mut graph = Graph::new();
    for (f, code) in parsed {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let from = first.trim_end_matches(".rs").to_string();
        if !modules.contains(&from) || test_only.contains(f) {
            continue; // lib.rs, main.rs, test modules
        }
        for to in crate_refs(&code) {
            if to != from && modules.contains(&to) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(format!("src/{}", rel.display()));
            }
        }
    }
    graph
}

/// A circle of the graph, as the list of its modules (first = last), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    // depth-first search: a module on the current path reached again closes a circle
    fn visit<'g>(
        g: &'g Graph,
        m: &'g str,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            let mut c: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            c.push(m.to_string());
            return Some(c);
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for to in g.get(m).into_iter().flat_map(|t| t.keys()) {
            if let Some(c) = visit(g, to, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(c) = visit(graph, m, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// A circle as people read it: each step with the files that take it.
fn describe(graph: &Graph, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|w| {
            let files: Vec<&str> = graph[&w[0]][&w[1]].iter().map(String::as_str).collect();
            format!("  {} -> {}   ({})", w[0], w[1], files.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn top_level_modules_import_each_other_without_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(
        graph.get("cli").is_some_and(|t| t.len() > 10),
        "the scan sees the command line's imports: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "an import circle between top-level modules (move what both need into a \
             ground-floor leaf, docs/architecture.md):\n{}",
            describe(&graph, &cycle)
        );
    }
}

#[test]
fn the_scan_reads_paths_and_groups_and_skips_comments_strings_and_tests() {
    let code = code_only(
        r##"
use crate::{alpha::A, beta, gamma::{x, y}};
use crate::delta::D; // crate::comment_only
/* crate::block_comment */
let s = "crate::in_a_string"; let r = r#"crate::in_raw"#; let c = '"'; let q = crate::epsilon::f();
fn f<'a>(x: &'a str) { crate::zeta::g(x) }
#[cfg(test)]
mod tests { use crate::eta::H; }
#[cfg(test)]
mod more;
"##,
    );
    let (code, test_files) = without_tests(&code);
    let refs: Vec<String> = crate_refs(&code).into_iter().collect();
    assert_eq!(
        refs,
        ["alpha", "beta", "delta", "epsilon", "gamma", "zeta"],
        "{code}"
    );
    assert_eq!(test_files, ["more"]);
}

#[test]
fn a_circle_is_found_and_named_with_its_files() {
    fn edge(g: &mut Graph, a: &str, b: &str, f: &str) {
        g.entry(a.into())
            .or_default()
            .entry(b.into())
            .or_default()
            .insert(f.into());
    }
    let mut g = Graph::new();
    edge(&mut g, "cli", "report", "src/cli/report.rs");
    edge(&mut g, "report", "pipeline", "src/report/mod.rs");
    edge(&mut g, "pipeline", "store", "src/pipeline/mod.rs");
    assert_eq!(find_cycle(&g), None);
    edge(&mut g, "pipeline", "report", "src/pipeline/matrix.rs");
    let c = find_cycle(&g).expect("pipeline <-> report");
    assert_eq!(c, ["report", "pipeline", "report"]);
    assert_eq!(
        describe(&g, &c),
        "  report -> pipeline   (src/report/mod.rs)\n  pipeline -> report   (src/pipeline/matrix.rs)"
    );
}
