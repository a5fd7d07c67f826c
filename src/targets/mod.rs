//! `citybench targets`: the reference levels in force ([`list`]) and editing the workspace
//! `targets.csv` from the command line ([`edit`]). The targets files themselves are read and
//! checked by [`crate::pipeline::targets`], which `run` uses; this module only reads them
//! the same way and writes the workspace file.

pub mod edit;
pub mod list;
