//! Hostile input: damaged and crafted files that must be refused with a message, never crash,
//! hang or exhaust memory (METHODOLOGY section 3, "Whole-file errors"). Each case runs the
//! real binary under a generous timeout (a hang fails the test instead of blocking it) and
//! asserts the exit code, the exact message and that nothing was written to the workspace.
//!
//! The Parquet files are built here byte by byte ([`Mini`]), so each corruption is exact and
//! named; `tests/hostile/` holds files the fuzzer found (see its README).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{GENEVA, HEADER, Run, Ws};

/// Longer than any of these runs takes on a loaded machine; only a hang reaches it.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Run citybench with `-w <root> --quiet ARGS`, killing it (and failing) after [`TIMEOUT`].
fn run(ws: &Ws, args: &[&str]) -> Run {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("citybench"));
    c.arg("-w").arg(ws.root()).arg("--quiet").args(args);
    c.env_remove("CITYBENCH_WORKSPACE");
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("citybench {args:?} did not finish within {TIMEOUT:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&e.join().unwrap()).into_owned(),
    }
}

/// Nothing of an ingest is left in the workspace: no batch in the manifest, no file in
/// `raw/` or `rejected/` (temporary ones included).
fn nothing_written(ws: &Ws) {
    assert_eq!(ws.manifest()["batches"].as_array().unwrap().len(), 0);
    for d in ["raw", "rejected"] {
        let dir = ws.root().join(d);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|r| r.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{d}/ has {left:?}");
    }
}

/// `citybench ingest FILE` is refused with exit 2 and exactly `message` after the path.
fn refused(ws: &Ws, file: &Path, message: &str) {
    let r = run(ws, &["ingest", file.to_str().unwrap()]);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: {message}\nerror: the file could not be ingested (see the error above); nothing was written\n",
            file.display()
        )
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    nothing_written(ws);
}

/// [`refused`] in a fresh workspace, for a file `name` with `content`.
fn refuses(name: &str, content: &[u8], message: &str) {
    let ws = Ws::new();
    let f = ws.file(name, content);
    refused(&ws, &f, message);
}

/// The text every "damaged Parquet file" message ends with.
const REWRITE: &str = "citybench reads intact Parquet files: write the file again from its source, or export the data as CSV";

fn damaged(detail: &str) -> String {
    format!("damaged Parquet file: {detail}; {REWRITE}")
}

// ---------------------------------------------------------------------------------------
// A minimal Parquet writer (Thrift compact protocol by hand), with knobs for corruption.

/// Thrift compact protocol output.
#[derive(Default)]
struct Thrift {
    out: Vec<u8>,
    last: Vec<i16>,
}

impl Thrift {
    fn varint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(b);
                return;
            }
            self.out.push(b | 0x80);
        }
    }

    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn field(&mut self, id: i16, ty: u8) {
        let last = self.last.last_mut().unwrap();
        let delta = id - *last;
        if delta > 0 && delta <= 15 {
            self.out.push(((delta as u8) << 4) | ty);
        } else {
            self.out.push(ty);
            let v = id as i64;
            self.zigzag(v);
        }
        *self.last.last_mut().unwrap() = id;
    }

    fn int(&mut self, id: i16, ty: u8, v: i64) {
        self.field(id, ty);
        self.zigzag(v);
    }

    fn i32(&mut self, id: i16, v: i64) {
        self.int(id, 5, v);
    }

    fn i64(&mut self, id: i16, v: i64) {
        self.int(id, 6, v);
    }

    fn binary(&mut self, id: i16, b: &[u8]) {
        self.field(id, 8);
        self.varint(b.len() as u64);
        self.out.extend_from_slice(b);
    }

    fn begin(&mut self) {
        self.last.push(0);
    }

    fn end(&mut self) {
        self.out.push(0);
        self.last.pop();
    }

    fn struct_field(&mut self, id: i16) {
        self.field(id, 12);
        self.begin();
    }

    /// A list field header of `n` elements of type `ty` (elements follow).
    fn list(&mut self, id: i16, ty: u8, n: u64) {
        self.field(id, 9);
        if n < 15 {
            self.out.push(((n as u8) << 4) | ty);
        } else {
            self.out.push(0xf0 | ty);
            self.varint(n);
        }
    }
}

/// A one-row-group Parquet file of the nine required submission columns (text, PLAIN,
/// uncompressed), and the knobs that damage it.
struct Mini {
    rows: Vec<[&'static str; 9]>,
    /// FileMetaData.num_rows instead of the row count.
    file_rows: Option<i64>,
    /// RowGroup.num_rows instead of the row count.
    group_rows: Option<i64>,
    /// The schema list's declared length instead of its real one.
    schema_len: Option<u64>,
    /// Add a sorting column whose `descending` flag is an i32 instead of a bool.
    sorting_bool_as_i32: bool,
    /// The first column's data page offset instead of the real one.
    first_offset: Option<i64>,
    /// The first column's page: declared uncompressed size.
    first_page_unc: Option<i64>,
    /// The first column's page: declared compressed size.
    first_page_comp: Option<i64>,
    /// The first column's page: declared number of values.
    first_page_values: Option<i64>,
    /// Put a dictionary page declaring this many values before the first column's page.
    dictionary: Option<i64>,
    /// Replace the first column's page header by these bytes.
    first_page_header: Option<Vec<u8>>,
    /// The first value's 4-byte length prefix instead of its length.
    first_value_len: Option<u32>,
    /// Nest the first column in this many groups.
    nest: usize,
}

const COLUMNS: [&str; 9] = [
    "city_id",
    "data_point_id",
    "year",
    "value",
    "unit",
    "source",
    "quality",
    "verified",
    "confidential",
];

const ROW: [&str; 9] = [
    GENEVA,
    "EC-ICT-ICT-1C",
    "2023",
    "85",
    "%",
    "OFS",
    "measured",
    "true",
    "false",
];

impl Mini {
    fn new() -> Self {
        Mini {
            rows: vec![ROW, ROW],
            file_rows: None,
            group_rows: None,
            schema_len: None,
            sorting_bool_as_i32: false,
            first_offset: None,
            first_page_unc: None,
            first_page_comp: None,
            first_page_values: None,
            dictionary: None,
            first_page_header: None,
            first_value_len: None,
            nest: 0,
        }
    }

    fn page_header(&self, first: bool, data: usize) -> Vec<u8> {
        if first && let Some(h) = &self.first_page_header {
            return h.clone();
        }
        let pick = |o: Option<i64>, v: i64| if first { o.unwrap_or(v) } else { v };
        let mut t = Thrift::default();
        t.begin();
        t.i32(1, 0); // DATA_PAGE
        t.i32(2, pick(self.first_page_unc, data as i64));
        t.i32(3, pick(self.first_page_comp, data as i64));
        t.struct_field(5);
        t.i32(1, pick(self.first_page_values, self.rows.len() as i64));
        t.i32(2, 0); // PLAIN
        t.i32(3, 3); // RLE
        t.i32(4, 3);
        t.end();
        t.end();
        t.out
    }

    fn dictionary_page(n: i64) -> Vec<u8> {
        let data = b"\x02\x00\x00\x00ab";
        let mut t = Thrift::default();
        t.begin();
        t.i32(1, 2); // DICTIONARY_PAGE
        t.i32(2, data.len() as i64);
        t.i32(3, data.len() as i64);
        t.struct_field(7);
        t.i32(1, n);
        t.i32(2, 0);
        t.end();
        t.end();
        t.out.extend_from_slice(data);
        t.out
    }

    fn bytes(&self) -> Vec<u8> {
        let mut file = b"PAR1".to_vec();
        // (start, data page offset, length) of each column chunk
        let mut chunks = Vec::new();
        for (c, _) in COLUMNS.iter().enumerate() {
            let start = file.len();
            if c == 0
                && let Some(n) = self.dictionary
            {
                file.extend(Mini::dictionary_page(n));
            }
            let data_offset = file.len();
            let mut data = Vec::new();
            for (r, row) in self.rows.iter().enumerate() {
                let v = row[c].as_bytes();
                let len = match self.first_value_len {
                    Some(l) if c == 0 && r == 0 => l,
                    _ => v.len() as u32,
                };
                data.extend_from_slice(&len.to_le_bytes());
                data.extend_from_slice(v);
            }
            file.extend(self.page_header(c == 0, data.len()));
            file.extend(&data);
            chunks.push((start, data_offset, file.len() - start));
        }
        let n = self.rows.len() as i64;
        let mut t = Thrift::default();
        t.begin();
        t.i32(1, 1);
        // schema: root, [nest groups,] nine UTF8 byte-array leaves
        let elements = 1 + self.nest as u64 + 9;
        t.list(2, 12, self.schema_len.unwrap_or(elements));
        t.begin();
        t.binary(4, b"schema");
        t.i32(5, 9);
        t.end();
        for (c, name) in COLUMNS.iter().enumerate() {
            if c == 0 {
                for g in 0..self.nest {
                    t.begin();
                    t.i32(3, 0);
                    t.binary(4, if g == 0 { name.as_bytes() } else { b"g" });
                    t.i32(5, 1);
                    t.end();
                }
            }
            t.begin();
            t.i32(1, 6); // BYTE_ARRAY
            t.i32(3, 0); // REQUIRED
            t.binary(
                4,
                if c == 0 && self.nest > 0 {
                    b"leaf"
                } else {
                    name.as_bytes()
                },
            );
            t.i32(6, 0); // UTF8
            t.end();
        }
        t.i64(3, self.file_rows.unwrap_or(n));
        t.list(4, 12, 1);
        t.begin();
        t.list(1, 12, 9);
        for (c, (start, data_offset, len)) in chunks.iter().enumerate() {
            t.begin();
            t.i64(2, *start as i64);
            t.struct_field(3);
            t.i32(1, 6);
            t.list(2, 5, 1);
            t.zigzag(0);
            t.list(3, 8, 1);
            t.varint(COLUMNS[c].len() as u64);
            t.out.extend_from_slice(COLUMNS[c].as_bytes());
            t.i32(4, 0); // UNCOMPRESSED
            t.i64(5, n);
            t.i64(6, *len as i64);
            t.i64(7, *len as i64);
            let offset = match self.first_offset {
                Some(o) if c == 0 => o,
                _ => *data_offset as i64,
            };
            t.i64(9, offset);
            if c == 0 && self.dictionary.is_some() {
                t.i64(11, *start as i64);
            }
            t.end();
            t.end();
        }
        let total: usize = chunks.iter().map(|c| c.2).sum();
        t.i64(2, total as i64);
        t.i64(3, self.group_rows.unwrap_or(n));
        if self.sorting_bool_as_i32 {
            t.list(4, 12, 1);
            t.begin();
            t.i32(1, 0);
            t.i32(2, 1); // descending: an i32 where a bool belongs
            t.field(3, 2);
            t.end();
        }
        t.end();
        t.end();
        let meta = t.out;
        file.extend(&meta);
        file.extend((meta.len() as u32).to_le_bytes());
        file.extend(b"PAR1");
        file
    }
}

#[test]
fn the_mini_parquet_file_is_read() {
    let ws = Ws::new();
    let f = ws.file("mini.parquet", Mini::new().bytes());
    let r = run(&ws, &["ingest", f.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // two identical rows: one accepted, one rejected as its duplicate
    let b = &ws.manifest()["batches"][0];
    assert_eq!(
        (b["rows_read"].as_u64(), b["rows_accepted"].as_u64()),
        (Some(2), Some(1))
    );
}

#[test]
fn parquet_footer_damage() {
    let good = Mini::new().bytes();
    let n = good.len();
    // cut in the middle: no footer magic
    let cut = &good[..n / 2];
    refuses(
        "cut.parquet",
        cut,
        &format!(
            "not a readable Parquet file: it does not end with the magic bytes PAR1 ({} bytes); the file is truncated or damaged",
            cut.len()
        ),
    );
    // a footer length larger than the file
    let mut long = good.clone();
    long[n - 8..n - 4].copy_from_slice(&(n as u32).to_le_bytes());
    refuses(
        "footer.parquet",
        &long,
        &damaged(&format!(
            "the footer claims {n} bytes of metadata but the file has {n} bytes in all"
        )),
    );
    // the footer's first byte: an unknown Thrift type
    let meta_len = u32::from_le_bytes(good[n - 8..n - 4].try_into().unwrap()) as usize;
    let mut bad = good.clone();
    bad[n - 8 - meta_len] = 0x1e;
    refuses(
        "thrift.parquet",
        &bad,
        &damaged(&format!(
            "the file metadata is corrupt at byte 1 of its {meta_len}: an unknown Thrift type code 14"
        )),
    );
}

#[test]
fn parquet_corrupt_metadata_lists_and_types() {
    // a schema list that claims a billion entries: Polars would reserve room for them
    let m = Mini {
        schema_len: Some(1 << 30),
        ..Mini::new()
    };
    let bytes = m.bytes();
    let n = meta_len(&bytes);
    refuses(
        "list.parquet",
        &bytes,
        &damaged(&format!(
            "the file metadata is corrupt at byte 3 of its {n}: the schema claims 1073741824 entries but only {} bytes are left",
            n - 9
        )),
    );
    // a bool field stored as an i32: Polars panics ("thrift bool field")
    let m = Mini {
        sorting_bool_as_i32: true,
        ..Mini::new()
    };
    let bytes = m.bytes();
    let n = meta_len(&bytes);
    refuses(
        "bool.parquet",
        &bytes,
        &damaged(&format!(
            "the file metadata is corrupt at byte {} of its {n}: field 2 of SortingColumn is of type i32 where bool is expected",
            n - 5
        )),
    );
}

fn meta_len(file: &[u8]) -> usize {
    let n = file.len();
    u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize
}

#[test]
fn parquet_implausible_row_counts() {
    let m = Mini {
        file_rows: Some(3),
        ..Mini::new()
    };
    refuses(
        "rows.parquet",
        &m.bytes(),
        &damaged("the file declares 3 rows but its 1 row groups hold 2"),
    );
    // a trillion rows in a few hundred bytes: consistent, and implausible
    let m = Mini {
        file_rows: Some(1 << 40),
        group_rows: Some(1 << 40),
        ..Mini::new()
    };
    let data = data_bytes(&m);
    refuses(
        "huge.parquet",
        &m.bytes(),
        &damaged(&format!(
            "the file declares 1099511627776 rows in {data} bytes of column data; at most {} rows are plausible for that size",
            (1 << 20) + 16 * data
        )),
    );
    let m = Mini {
        group_rows: Some(-5),
        file_rows: Some(-5),
        ..Mini::new()
    };
    refuses(
        "negative.parquet",
        &m.bytes(),
        &damaged("row group 1 of 1 declares -5 rows"),
    );
}

/// Bytes of column data of a [`Mini`] file (between the magic and the footer).
fn data_bytes(m: &Mini) -> usize {
    let b = m.bytes();
    b.len() - 4 - 8 - meta_len(&b)
}

#[test]
fn parquet_chunks_outside_the_file() {
    let m = Mini {
        first_offset: Some(1 << 40),
        ..Mini::new()
    };
    let b = m.bytes();
    let end = b.len() - 8 - meta_len(&b);
    refuses(
        "offset.parquet",
        &b,
        &damaged(&format!(
            "row group 1 of 1, column 'city_id': its {} bytes at byte 1099511627776 lie outside the data of the file (bytes 4..{end})",
            first_chunk_len(&m)
        )),
    );
}

fn first_chunk_len(m: &Mini) -> usize {
    let mut data = 0;
    for row in &m.rows {
        data += 4 + row[0].len();
    }
    m.page_header(true, data).len() + data
}

#[test]
fn parquet_corrupt_page_headers() {
    // an uncompressed size of 2 GiB: Polars would zero-fill a buffer of that size
    let m = Mini {
        first_page_unc: Some(i32::MAX as i64),
        ..Mini::new()
    };
    refuses(
        "unc.parquet",
        &m.bytes(),
        &damaged(
            "row group 1 of 1, column 'city_id': the page at byte 4 declares an uncompressed size of 2147483647 bytes, more than the 256 MiB a page may have",
        ),
    );
    let m = Mini {
        first_page_comp: Some(1000),
        ..Mini::new()
    };
    let h = m.page_header(true, 0).len();
    refuses(
        "comp.parquet",
        &m.bytes(),
        &damaged(&format!(
            "row group 1 of 1, column 'city_id': the page at byte 4 declares 1000 bytes but the column chunk ends {} bytes after its header",
            first_chunk_len(&m) - h
        )),
    );
    let m = Mini {
        first_page_values: Some(1_000_000),
        ..Mini::new()
    };
    refuses(
        "values.parquet",
        &m.bytes(),
        &damaged(
            "row group 1 of 1, column 'city_id': its pages hold 1000000 values for the row group's 2 rows",
        ),
    );
    // garbage where the page header belongs
    let m = Mini {
        first_page_header: Some(vec![0xff; 8]),
        ..Mini::new()
    };
    refuses(
        "header.parquet",
        &m.bytes(),
        &damaged(
            "row group 1 of 1, column 'city_id': the page header at byte 4 is corrupt at its byte 1: an unknown Thrift type code 15",
        ),
    );
    // a dictionary of a billion values in 6 bytes: Polars would reserve room for them
    let m = Mini {
        dictionary: Some(1 << 30),
        ..Mini::new()
    };
    refuses(
        "dict.parquet",
        &m.bytes(),
        &damaged(
            "row group 1 of 1, column 'city_id': the page at byte 4 declares a dictionary of 1073741824 values in 6 bytes (at most 1)",
        ),
    );
}

#[test]
fn parquet_damaged_values_and_deep_schemas() {
    // a string length prefix of 4 GB inside an intact page: the decoder's own check
    let m = Mini {
        first_value_len: Some(0xffff_fff0),
        ..Mini::new()
    };
    refuses(
        "value.parquet",
        &m.bytes(),
        &damaged(
            "row group 1 of 1 (rows 1..2) could not be read (parquet: File out of specification: String data does not match given length)",
        ),
    );
    // nesting 40 groups deep
    let m = Mini {
        nest: 40,
        ..Mini::new()
    };
    refuses(
        "deep.parquet",
        &m.bytes(),
        &damaged("the schema is nested more than 32 levels deep"),
    );
}

/// The files of `tests/hostile/` (found by fuzzing), each with its message.
#[test]
fn fuzzer_findings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let cases: &[(&str, &str)] = &[
        (
            "thrift-bool-field.parquet",
            "the file metadata is corrupt at byte 792 of its 951: field 7 of Statistics is of type struct where bool is expected",
        ),
        (
            "chunk-past-the-end.parquet",
            "row group 1 of 1, column 'confidential': its 44 bytes at byte 1799 lie outside the data of the file (bytes 4..499)",
        ),
        (
            "thrift-out-of-range.parquet",
            "row group 1 of 1, column 'confidential': its 44 bytes at byte 455 lie outside the data of the file (bytes 4..495)",
        ),
        (
            "assertion-failed.parquet",
            "row group 1 of 1, column 'data_point_id': its 1117 bytes at byte 84 lie outside the data of the file (bytes 4..557)",
        ),
        (
            "index-out-of-bounds.parquet",
            "row group 1 of 1, column 'data_point_id': the page header at byte 63 is corrupt at its byte 3: an unknown Thrift type code 13",
        ),
        (
            "short-column.parquet",
            "row group 1 of 1 (rows 1..4) could not be read (column 'confidential' has 0 values for 4 rows)",
        ),
        (
            "panic-in-worker.parquet",
            "row group 1 of 1, column 'unit': the page header at byte 399 is corrupt at its byte 10: an unknown Thrift type code 15",
        ),
    ];
    for (name, message) in cases {
        let ws = Ws::new();
        let f = ws.dir.path().join(name);
        std::fs::copy(dir.join(name), &f).unwrap();
        refused(&ws, &f, &damaged(message));
    }
}

// ---------------------------------------------------------------------------------------
// Excel

/// A template workbook written by `citybench template` in `ws`'s directory.
fn template(ws: &Ws, name: &str) -> PathBuf {
    let out = ws.dir.path().join(name);
    let r = run(ws, &["template", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

/// Copy workbook `src` to `dst` with part `part` passed through `f` (and `extra` parts
/// added).
fn edit(
    src: &Path,
    dst: &Path,
    part: &str,
    f: impl FnOnce(String) -> String,
    extra: &[(&str, &[u8])],
) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let mut f = Some(f);
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        if name == part {
            bytes = f.take().unwrap()(String::from_utf8(bytes).unwrap()).into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&bytes).unwrap();
    }
    for (name, bytes) in extra {
        zout.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(bytes).unwrap();
    }
    zout.finish().unwrap();
    assert!(f.is_none(), "no part {part}");
}

const DATA_XML: &str = "xl/worksheets/sheet2.xml";

#[test]
fn xlsx_dimension_bomb_is_read_by_its_cells() {
    let ws = Ws::new();
    let src = template(&ws, "t.xlsx");
    let bomb = ws.dir.path().join("bomb.xlsx");
    // the whole sheet declared, and one value far away: a range of the bounding box would
    // be 17 billion cells
    edit(
        &src,
        &bomb,
        DATA_XML,
        |xml| {
            let dim_start = xml.find("<dimension ref=\"").unwrap();
            let dim_end = dim_start + xml[dim_start..].find("/>").unwrap() + 2;
            let xml = format!(
                "{}<dimension ref=\"A1:XFD1048576\"/>{}",
                &xml[..dim_start],
                &xml[dim_end..]
            );
            xml.replace(
                "</sheetData>",
                "<row r=\"1048576\"><c r=\"J1048576\"><v>5</v></c><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>",
            )
        },
        &[],
    );
    let r = run(&ws, &["ingest", bomb.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        ws.rejections(),
        vec![(
            1048576,
            "city_id".to_string(),
            "Data!H1048576: city_id is empty; a city id from the registry or the workspace cities.csv is required".to_string()
        )]
    );
}

#[test]
fn xlsx_zip_bomb_is_refused_before_it_is_read() {
    let ws = Ws::new();
    let src = template(&ws, "t.xlsx");
    let bomb = ws.dir.path().join("zipbomb.xlsx");
    // 80 MB of spaces compress to about 80 KB
    let spaces = vec![b' '; 80 << 20];
    edit(
        &src,
        &bomb,
        DATA_XML,
        |x| x,
        &[("xl/media/padding.xml", &spaces)],
    );
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    refused(
        &ws,
        &bomb,
        "the workbook is refused: its part xl/media/padding.xml expands to more than 64 MiB (a template is a few hundred kilobytes); the file is not a citybench template",
    );
}

// ---------------------------------------------------------------------------------------
// Not files

const GIVE: &str = "give a submission file (CSV, JSON, NDJSON, Parquet or XLSX)";

#[test]
fn devices_fifos_directories_and_sockets_are_refused_up_front() {
    let ws = Ws::new();
    refused(
        &ws,
        Path::new("/dev/zero"),
        &format!("a character device, not a file; {GIVE}"),
    );
    let dir = ws.dir.path().join("subs.csv");
    std::fs::create_dir(&dir).unwrap();
    refused(&ws, &dir, &format!("a directory, not a file; {GIVE}"));
    // a FIFO nobody writes to: opening it for reading would block forever
    let fifo = ws.dir.path().join("pipe.csv");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    refused(
        &ws,
        &fifo,
        &format!("a named pipe (FIFO), not a file; {GIVE}"),
    );
    // a link to a device is the device
    let link = ws.dir.path().join("zero.csv");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    refused(
        &ws,
        &link,
        &format!("a character device, not a file; {GIVE}"),
    );
    let sock = ws.dir.path().join("s.csv");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    refused(&ws, &sock, &format!("a socket, not a file; {GIVE}"));
    refused(
        &ws,
        &ws.dir.path().join("missing.csv"),
        &format!("no such file; {GIVE}"),
    );
}

#[test]
fn other_commands_refuse_what_is_not_a_file() {
    let ws = Ws::new();
    let fifo = ws.dir.path().join("q.sql");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let r = run(&ws, &["sql", "-f", fifo.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: a named pipe (FIFO), not a file; give a file of SQL\n",
            fifo.display()
        )
    );
    let fw = ws.file(
        "fw.csv",
        "iCode,iName,Level,Parent,Weight,Direction,Type\nx1,One,1,IDX,1,1,Indicator\nIDX,Index,2,,1,,Aggregate\n",
    );
    let r = run(
        &ws,
        &["index", "--data", "/dev/null", "--framework", "/dev/null"],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: /dev/null: a character device, not a file; give a framework CSV file (COINr iMeta)\n"
    );
    let dir = ws.dir.path().join("idata.csv");
    std::fs::create_dir(&dir).unwrap();
    let r = run(
        &ws,
        &[
            "index",
            "--data",
            dir.to_str().unwrap(),
            "--framework",
            fw.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: a directory, not a file; give a .csv or .parquet file\n",
            dir.display()
        )
    );
    // a damaged Parquet file passes the same checks before DuckDB reads it
    let m = Mini {
        first_page_unc: Some(i32::MAX as i64),
        ..Mini::new()
    };
    let bad = ws.file("idata.parquet", m.bytes());
    let r = run(
        &ws,
        &[
            "index",
            "--data",
            bad.to_str().unwrap(),
            "--framework",
            fw.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: {}\n",
            bad.display(),
            damaged(
                "row group 1 of 1, column 'city_id': the page at byte 4 declares an uncompressed size of 2147483647 bytes, more than the 256 MiB a page may have"
            )
        )
    );
}

// ---------------------------------------------------------------------------------------
// Endless records, long values

#[test]
fn an_endless_line_fails_at_once_with_bounded_memory() {
    let ws = Ws::new();
    // 10 GB without a line end (sparse: the disk holds the first 4 MiB)
    let f = ws.dir.path().join("endless.csv");
    {
        let mut file = std::fs::File::create(&f).unwrap();
        file.write_all(b"city_id,").unwrap();
        file.write_all(&vec![b'a'; 4 << 20]).unwrap();
        file.set_len(10 << 30).unwrap();
    }
    refused(
        &ws,
        &f,
        "the header line is longer than 1 MiB, the most a record may have (a row of the long format is a few hundred bytes); the file is not CSV text with line ends, or a quote is not closed",
    );
}

#[test]
fn records_longer_than_the_limit() {
    let long = "x".repeat(2 << 20);
    // an unclosed quote swallows the rest of the file into one field
    refuses(
        "quote.csv",
        format!("{HEADER}\n{GENEVA},\"EC-ICT-ICT-1C,2023,85,%,s,measured,true,false\n{long}\n")
            .as_bytes(),
        "the record starting on line 2 is longer than 1 MiB, the most a record may have (a row of the long format is a few hundred bytes); the file is not CSV text with line ends, or a quote is not closed",
    );
    let rec = format!(
        r#"{{"city_id":"{GENEVA}","data_point_id":"EC-ICT-ICT-1C","year":2023,"value":85,"unit":"%","source":"s","quality":"measured","verified":true,"confidential":false}}"#
    );
    refuses(
        "long.ndjson",
        format!("{rec}\n{{\"notes\":\"{long}\"}}\n").as_bytes(),
        "line 2 is longer than 1 MiB, the most a record may have (a row of the long format is a few hundred bytes); the file is not NDJSON text with line ends, or a quote is not closed",
    );
    refuses(
        "long.json",
        format!("[{rec},\n{{\"notes\":\"{long}\"}}]").as_bytes(),
        "record 2 is longer than 1 MiB, the most a record may have (a row of the long format is a few hundred bytes); the file is not JSON text with line ends, or a quote is not closed",
    );
}

#[test]
fn a_100_kb_city_id_is_rejected_quickly_with_a_short_message() {
    let ws = Ws::new();
    let id = "7".repeat(100_000);
    let f = ws.file(
        "long.csv",
        format!("{HEADER}\n{id},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false\n"),
    );
    let r = run(&ws, &["ingest", f.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let shown = format!("{}… (100000 characters)", "7".repeat(80));
    let reason = format!(
        "unknown city_id '{shown}': not in the city registry or the workspace cities.csv; add it to the workspace cities.csv"
    );
    assert_eq!(ws.rejections(), vec![(2, "city_id".to_string(), reason)]);
    assert!(r.stdout.len() < 2000, "{}", r.stdout.len());
}

#[test]
fn the_did_you_mean_search_has_a_budget_per_file() {
    let ws = Ws::new();
    let mut text = format!("{HEADER}\nStavanger,EC-ICT-ICT-1C,2023,85,%,s,measured,true,false\n");
    // a thousand more distinct unknown ids: each would be compared with every city
    for i in 0..citybench::ingest::validate::CITY_SUGGESTIONS {
        text.push_str(&format!(
            "x{i},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false\n"
        ));
    }
    text.push_str("Geneva,EC-ICT-ICT-1C,2023,85,%,s,measured,true,false\n");
    let f = ws.file("many.csv", text);
    let r = run(&ws, &["ingest", f.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let rej = ws.rejections();
    assert_eq!(
        rej.first().unwrap().2,
        "unknown city_id 'Stavanger': not in the city registry or the workspace cities.csv; did you mean 3137115 (Stavanger, NO)?"
    );
    assert_eq!(
        rej.last().unwrap().2,
        "unknown city_id 'Geneva': not in the city registry or the workspace cities.csv; add it to the workspace cities.csv"
    );
}

// ---------------------------------------------------------------------------------------
// Encodings

fn utf16(s: &str, big: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if big { [0xfe, 0xff] } else { [0xff, 0xfe] });
    }
    for u in s.encode_utf16() {
        out.extend(if big {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

const SAVE: &str = "save it as UTF-8 (Excel: Save As > CSV UTF-8 (Comma delimited))";

#[test]
fn utf16_utf32_nul_and_latin1_are_named() {
    let text = format!("{HEADER}\n{GENEVA},EC-ICT-ICT-1C,2023,85,%,Genève,measured,true,false\n");
    refuses(
        "le.csv",
        &utf16(&text, false, true),
        &format!(
            "the file is UTF-16 LE text (it starts with the byte-order mark FF FE), not UTF-8; citybench reads CSV in UTF-8: {SAVE}"
        ),
    );
    refuses(
        "be.csv",
        &utf16(&text, true, true),
        &format!(
            "the file is UTF-16 BE text (it starts with the byte-order mark FE FF), not UTF-8; citybench reads CSV in UTF-8: {SAVE}"
        ),
    );
    refuses(
        "nobom.csv",
        &utf16(&text, false, false),
        &format!(
            "the file is UTF-16 LE text (every second byte is zero), not UTF-8; citybench reads CSV in UTF-8: {SAVE}"
        ),
    );
    let u32le: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    refuses(
        "u32.csv",
        &u32le,
        &format!(
            "the file is UTF-32 LE text (three of every four bytes are zero), not UTF-8; citybench reads CSV in UTF-8: {SAVE}"
        ),
    );
    refuses(
        "le.json",
        &utf16("[{\"city_id\": 1}]", false, true),
        "the file is UTF-16 LE text (it starts with the byte-order mark FF FE), not UTF-8; citybench reads JSON in UTF-8: save it as UTF-8",
    );
    let mut nul = text.clone().into_bytes();
    nul[HEADER.len() + 3] = 0;
    refuses(
        "nul.csv",
        &nul,
        &format!(
            "the file has a NUL byte (0x00) at byte offset {}, line 2; CSV text has none, so the file is binary or in an encoding other than UTF-8: {SAVE}",
            HEADER.len() + 3
        ),
    );
    // Latin-1: the row is rejected, naming the byte and what it is in Latin-1
    let ws = Ws::new();
    let latin1: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(c as u32).unwrap())
        .collect();
    let f = ws.file("latin1.csv", latin1);
    let r = run(&ws, &["ingest", f.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        ws.rejections(),
        vec![(
            2,
            "row".to_string(),
            "field 6 is not valid UTF-8 text (byte 0xE8, 'è' if the file is Latin-1/Windows-1252); save the file as UTF-8".to_string()
        )]
    );
    // a NUL beyond the first bytes: that row is rejected
    let ws = Ws::new();
    let mut late = format!("{HEADER}\n").into_bytes();
    for year in 2001..2021 {
        late.extend(format!("{GENEVA},EC-ICT-ICT-1C,{year},85,%,s,measured,true,false\n").bytes());
    }
    late.extend(format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s\0,measured,true,false\n").bytes());
    let f = ws.file("late.csv", late);
    let r = run(&ws, &["ingest", f.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        ws.rejections().last().unwrap(),
        &(
            22,
            "row".to_string(),
            "field 6 contains a NUL byte (0x00), which text never has; the file is binary or not UTF-8: save it as UTF-8".to_string()
        )
    );
}
