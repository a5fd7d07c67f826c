//! Never overwrite what the user did not ask for (docs/methodology.md, "Files citybench
//! writes"): a file named with `--out` is written only where nothing is, or with `--force`;
//! in a directory named with `--out`, citybench replaces only its own earlier output; an
//! index on an external framework or data never replaces the workspace's index. Each
//! refusal with its exact message, and the file left as it was.

use std::path::{Path, PathBuf};

use crate::util::{GENEVA, Ws};

fn ok(ws: &Ws, args: &[&str]) -> String {
    let r = ws.run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

/// The command fails with exit 2 and exactly `message`, and `kept` still holds `before`.
fn refused(ws: &Ws, args: &[&str], message: &str, kept: &Path, before: &[u8]) {
    let r = ws.run(args);
    assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, format!("error: {message}\n"), "{args:?}");
    assert_eq!(std::fs::read(kept).unwrap(), before, "{args:?}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A workspace with one small generated run and its U4SSC index.
fn workspace() -> (Ws, String) {
    let ws = Ws::new();
    let out = ws.dir.path().join("g");
    ok(
        &ws,
        &[
            "generate",
            "--cities",
            "12",
            "--years",
            "2020..2024",
            "--seed",
            "3",
            "--out",
            s(&out),
        ],
    );
    ok(&ws, &["ingest", s(&out.join("submissions.parquet"))]);
    ok(&ws, &["run"]);
    ok(&ws, &["index"]);
    let city = ok(
        &ws,
        &[
            "sql",
            "select min(city_id) as c from src_aligned",
            "--format",
            "csv",
        ],
    )
    .lines()
    .nth(1)
    .unwrap()
    .to_string();
    (ws, city)
}

#[test]
fn a_named_out_file_is_replaced_only_with_force() {
    let (ws, city) = workspace();
    let mine = ws.file("mine.csv", "what I typed\n");
    let before = std::fs::read(&mine).unwrap();
    let msg = format!("{} exists; pass --force to replace it", mine.display());
    let commands: Vec<Vec<&str>> = vec![
        vec!["sql", "select 1 as x", "--format", "csv"],
        vec!["snapshot", "--city", &city, "--format", "csv"],
        vec!["compare", "--city", &city, "--format", "csv"],
        vec!["maturity", "--city", &city, "--format", "csv"],
        vec!["verify", "--format", "csv"],
        vec!["index", "--format", "csv"],
        vec!["cities", "--search", "Geneva", "--format", "csv"],
        vec!["catalog", "--format", "csv"],
        vec!["units", "--format", "csv"],
        vec!["targets", "--format", "csv"],
    ];
    for c in &commands {
        let args: Vec<&str> = c.iter().copied().chain(["--out", s(&mine)]).collect();
        refused(&ws, &args, &msg, &mine, &before);
    }
    // a directory is never replaced by a file
    let dir = ws.dir.path().join("a-dir");
    std::fs::create_dir(&dir).unwrap();
    let r = ws.run(&["sql", "select 1 as x", "--out", s(&dir)]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("error: {} is a directory; name a file\n", dir.display())
    );
    // with --force, as asked
    for c in &commands {
        let args: Vec<&str> = c
            .iter()
            .copied()
            .chain(["--out", s(&mine), "--force"])
            .collect();
        ok(&ws, &args);
        assert_ne!(std::fs::read(&mine).unwrap(), before, "{c:?}");
        std::fs::write(&mine, &before).unwrap();
    }
    // the Excel template: a filled workbook there holds what an officer typed
    let book = ws.file("geneva.xlsx", "a filled workbook");
    refused(
        &ws,
        &["template", "--city", GENEVA, "--out", s(&book)],
        &format!("{} exists; pass --force to replace it", book.display()),
        &book,
        b"a filled workbook",
    );
    // generated submissions may have been edited since
    let g = ws.dir.path().join("g");
    let sub = g.join("submissions.parquet");
    let bytes = std::fs::read(&sub).unwrap();
    refused(
        &ws,
        &[
            "generate",
            "--cities",
            "3",
            "--years",
            "2020..2021",
            "--seed",
            "9",
            "--out",
            s(&g),
        ],
        &format!("{} exists; pass --force to replace it", sub.display()),
        &sub,
        &bytes,
    );
}

#[test]
fn in_a_named_directory_only_citybench_s_own_earlier_output_is_replaced() {
    let (ws, city) = workspace();
    // report: an earlier report is replaced; a file of its name that is not one is kept
    let reports = ws.dir.path().join("reports");
    let page = PathBuf::from(ok(&ws, &["report", "--city", &city, "--out", s(&reports)]).trim());
    ok(&ws, &["report", "--city", &city, "--out", s(&reports)]);
    std::fs::write(&page, "<p>my notes</p>").unwrap();
    refused(
        &ws,
        &["report", "--city", &city, "--out", s(&reports)],
        &format!(
            "{} exists and is not a report citybench wrote; pass --force to replace it",
            page.display()
        ),
        &page,
        b"<p>my notes</p>",
    );
    ok(
        &ws,
        &["report", "--city", &city, "--out", s(&reports), "--force"],
    );
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    // man pages: the same
    let man = ws.dir.path().join("man");
    ok(&ws, &["man", "--out", s(&man)]);
    ok(&ws, &["man", "--out", s(&man)]);
    let main = man.join("citybench.1");
    std::fs::write(&main, "my page\n").unwrap();
    refused(
        &ws,
        &["man", "--out", s(&man)],
        &format!(
            "{} exists and is not a man page citybench wrote; pass --force to replace it",
            main.display()
        ),
        &main,
        b"my page\n",
    );
    ok(&ws, &["man", "--out", s(&man), "--force"]);
    // export: an earlier export is replaced whole, so one holding anything else is refused
    let exp = ws.dir.path().join("exp");
    ok(
        &ws,
        &["export", "--out", s(&exp), "--tables", "peer_benchmarks"],
    );
    ok(
        &ws,
        &["export", "--out", s(&exp), "--tables", "peer_benchmarks"],
    );
    let notes = exp.join("notes.txt");
    std::fs::write(&notes, "mine").unwrap();
    refused(
        &ws,
        &["export", "--out", s(&exp)],
        &format!(
            "--out {} holds an earlier export and also notes.txt, which the export did not write; an export is replaced whole, so move notes.txt out or choose another directory",
            exp.display()
        ),
        &notes,
        b"mine",
    );
    assert!(exp.join("_schema.json").is_file());
}

#[test]
fn init_on_an_existing_workspace_changes_nothing() {
    let (ws, _) = workspace();
    let cfg = ws.root().join("citybench.toml");
    std::fs::write(&cfg, "# mine\n[peers]\nk = 7\n").unwrap();
    let files = |ws: &Ws| -> Vec<(String, Vec<u8>)> {
        ["citybench.toml", "manifest.json"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read(ws.root().join(f)).unwrap()))
            .collect()
    };
    let derived = std::fs::read_link(ws.root().join("derived")).unwrap();
    let before = files(&ws);
    let out = ok(&ws, &["init", s(&ws.root())]);
    assert_eq!(
        out,
        format!(
            "{} is already a workspace; its citybench.toml was left unchanged\n",
            ws.root().display()
        )
    );
    assert_eq!(files(&ws), before);
    assert_eq!(
        std::fs::read_link(ws.root().join("derived")).unwrap(),
        derived
    );
}

/// Three indicators in two pillars (COINr's iMeta shape).
const FRAMEWORK: &str = "iCode,iName,Level,Parent,Weight,Direction,Type
x1,One,1,P1,1,1,Indicator
x2,Two,1,P1,1,-1,Indicator
x3,Three,1,P2,1,1,Indicator
P1,Pillar 1,2,IDX,1,,Aggregate
P2,Pillar 2,2,IDX,2,,Aggregate
IDX,Index,3,,1,,Aggregate
";

/// Five units (COINr's iData shape).
const WIDE: &str = "uCode,uName,x1,x2,x3
a,Alpha,0,10,50
b,Beta,10,30,100
c,Gamma,20,50,0
d,Delta,40,20,25
e,Epsilon,30,10,75
";

#[test]
fn an_external_index_never_replaces_the_workspace_index() {
    let (ws, _) = workspace();
    let fw = ws.file("imeta.csv", FRAMEWORK);
    let data = ws.file("idata.csv", WIDE);
    let published = |ws: &Ws| -> (PathBuf, Vec<(String, Vec<u8>)>) {
        let link = std::fs::read_link(ws.root().join("derived")).unwrap();
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(ws.root().join("derived"))
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().starts_with("index_"))
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        (link, files)
    };
    let units = |ws: &Ws| {
        ok(
            ws,
            &[
                "sql",
                "select count(*) as n from index_scores where unit_id in ('a', 'b', 'c', 'd', 'e')",
                "--format",
                "csv",
            ],
        )
    };
    let before = published(&ws);
    assert!(before.1.len() >= 5);
    // the measured case: --out names the ranking; the workspace's index stays
    let ranks = ws.dir.path().join("ranks.csv");
    let r = ws.run(&[
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--format",
        "csv",
        "--out",
        s(&ranks),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            " -> not stored (an external framework or data; --name NAME keeps its tables in index/NAME/) "
        ),
        "{}",
        r.stderr
    );
    assert!(
        std::fs::read_to_string(&ranks)
            .unwrap()
            .starts_with("rank,unit_id,unit_name,IDX")
    );
    assert_eq!(published(&ws), before);
    assert!(!ws.root().join("index").exists());
    assert_eq!(units(&ws), "n\n0\n");
    // --name keeps it apart, in index/NAME/, and again replaces only that run
    for _ in 0..2 {
        let r = ws.run(&[
            "index",
            "--data",
            s(&data),
            "--framework",
            s(&fw),
            "--name",
            "coinr",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr
                .contains(" -> index/coinr/index_*.parquet, index/coinr/index_manifest.json "),
            "{}",
            r.stderr
        );
    }
    let named = ws.root().join("index/coinr");
    let mut got: Vec<String> = std::fs::read_dir(&named)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "index_diagnostics.parquet",
            "index_manifest.json",
            "index_ranks.parquet",
            "index_scores.parquet",
            "index_units.parquet"
        ]
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(named.join("index_manifest.json")).unwrap()).unwrap();
    assert_eq!(m["outputs"][0]["path"], "index/coinr/index_scores.parquet");
    assert_eq!(published(&ws), before);
    assert_eq!(units(&ws), "n\n0\n");
    // read in `citybench sql` by its path
    assert_eq!(
        ok(
            &ws,
            &[
                "sql",
                &format!(
                    "select count(distinct unit_id) as n from read_parquet('{}')",
                    named.join("index_scores.parquet").display()
                ),
                "--format",
                "csv"
            ]
        ),
        "n\n5\n"
    );
    // a name that is not a plain directory name
    for bad in ["../x", ".hidden", "a/b", ""] {
        let r = ws.run(&[
            "index",
            "--data",
            s(&data),
            "--framework",
            s(&fw),
            "--name",
            bad,
        ]);
        assert_eq!(r.code, 2, "{bad}");
        assert_eq!(
            r.stderr,
            format!(
                "error: --name '{bad}': use up to 64 letters, digits, '-', '_' and '.' (not first); it names the directory index/{bad}/\n"
            )
        );
    }
    // the workspace's own index is still published by `index` alone
    ok(&ws, &["index"]);
    assert_ne!(published(&ws).0, before.0);
}
