//! Where an index run's tables and manifest go ([`Target`]) and writing them there
//! ([`keep`]): the workspace's own index is published as a new generation, a named run
//! is kept in `index/NAME/`, an external one is only printed.

use std::path::Path;

use polars::prelude::DataFrame;

use super::manifest::{MANIFEST_FILE, Manifest};
use crate::error::{Error, Result};
use crate::store::Workspace;

/// Where an index run's tables go (docs/methodology.md, "Files citybench writes").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The workspace's own index (its data, the framework of citybench.toml): published
    /// with the other results, `derived/index_*` and the SQL views.
    Workspace,
    /// `--name NAME`: `index/NAME/`, apart from the published results.
    Named(String),
    /// An external framework or data without `--name`: printed only.
    Nowhere,
}

impl Target {
    /// The target of a run named `name` (`--name`), on an `external` framework or data.
    pub fn of(name: Option<&str>, external: bool) -> Result<Self> {
        match name {
            Some(n) => {
                let ok = !n.is_empty()
                    && n.len() <= 64
                    && !n.starts_with('.')
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !ok {
                    return Err(Error::Usage(format!(
                        "--name '{n}': use up to 64 letters, digits, '-', '_' and '.' (not first); it names the directory index/{n}/"
                    )));
                }
                Ok(Target::Named(n.to_string()))
            }
            None if external => Ok(Target::Nowhere),
            None => Ok(Target::Workspace),
        }
    }

    /// Where the tables are, as the message and the manifest name them.
    pub fn label(&self) -> String {
        match self {
            Target::Workspace => "derived".into(),
            Target::Named(n) => format!("index/{n}"),
            Target::Nowhere => String::new(),
        }
    }
}

/// Write the tables and the manifest where `target` keeps them; returns the manifest with
/// its outputs. The workspace's index is published as a new generation (the other
/// published tables carried over); a named run's directory is built under a temporary name
/// and swapped in whole.
pub fn keep(
    ws: &Workspace,
    target: &Target,
    tables: Vec<(&'static str, DataFrame)>,
    mut manifest: Manifest,
) -> Result<Manifest> {
    let write = |dir: &Path, manifest: &mut Manifest| -> Result<()> {
        let label = target.label();
        for (name, df) in tables {
            manifest
                .outputs
                .push(crate::pipeline::write_table_as(dir, &label, name, df)?);
        }
        let mut json =
            serde_json::to_vec_pretty(&*manifest).map_err(|e| Error::Usage(e.to_string()))?;
        json.push(b'\n');
        crate::store::atomic_write(&dir.join(MANIFEST_FILE), &json)?;
        crate::store::publish::step(MANIFEST_FILE)
    };
    match target {
        Target::Nowhere => {}
        Target::Workspace => {
            let publication = crate::warehouse::begin_publication(ws, "index")?;
            // every index table is replaced: an earlier run's intervals do not belong to
            // this index
            publication.seed(|name| name.starts_with("index_"))?;
            write(publication.dir(), &mut manifest)?;
            if publication.previous_has_database() {
                crate::warehouse::build_in(publication.dir())?;
                crate::store::publish::step(crate::store::DB_FILE)?;
            }
            publication.commit()?;
        }
        Target::Named(name) => {
            let runs = ws.index_runs_dir();
            let path = runs.join(name);
            let tmp = crate::store::temp_path(&path);
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
            if let Err(e) = write(&tmp, &mut manifest) {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
            if let Some(old) = crate::store::publish::swap(&tmp, &path)? {
                std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
            }
        }
    }
    Ok(manifest)
}
