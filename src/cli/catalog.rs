//! `citybench catalog`: list the KPI catalogue, filtered.

use serde_json::{Value, json};

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::{OutputArgs, Rows};

/// List data points.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench catalog --dimension Environment\n  citybench catalog --tier core --format csv > core.csv\n  citybench catalog --category 'Air Quality' --long --format json\n\n--long adds the catalogue's default target of each data point (value, year, source);\n`citybench targets` lists the targets and benchmarks in force in a workspace."
)]
pub struct Args {
    /// Only this dimension (case-insensitive): Economy, Environment, Society and Culture.
    #[arg(long)]
    pub dimension: Option<String>,
    /// Only this sub-dimension (case-insensitive).
    #[arg(long)]
    pub sub_dimension: Option<String>,
    /// Only this category (case-insensitive).
    #[arg(long)]
    pub category: Option<String>,
    /// Only this tier: core or advanced.
    #[arg(long)]
    pub tier: Option<String>,
    /// Every column (summary, SDG references, sources, the default target).
    #[arg(long)]
    pub long: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

fn matches(filter: &Option<String>, value: &str) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| f.trim().eq_ignore_ascii_case(value))
}

fn opt(x: Option<f64>) -> Value {
    x.map(|v| json!(v)).unwrap_or(Value::Null)
}

/// Run `catalog`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let (_units, catalog) = global.load_catalog()?;
    let mut cols = vec![
        "data_point_id",
        "name",
        "dimension",
        "category",
        "tier",
        "canonical_unit",
        "direction",
        "direction_source",
    ];
    if args.long {
        cols.extend([
            "kpi_code",
            "kpi_id",
            "sub_dimension",
            "kind",
            "unit",
            "plausible_min",
            "plausible_max",
            "hard_min",
            "hard_max",
            "consistency_rule",
            "sum_group",
            "sdg_refs",
            "summary",
            "source_page",
            "default_target",
            "default_target_year",
            "default_target_source",
        ]);
    }
    // the catalogue's default targets (a workspace may override them: `citybench targets`)
    let defaults: std::collections::HashMap<String, crate::pipeline::targets::TargetRow> =
        if args.long {
            crate::pipeline::targets::embedded_defaults(&catalog)?
                .into_iter()
                .map(|r| (r.data_point_id.clone(), r))
                .collect()
        } else {
            Default::default()
        };
    let mut rows = Rows::new(cols);
    for d in catalog.data_points() {
        if !(matches(&args.dimension, &d.dimension)
            && matches(&args.sub_dimension, &d.sub_dimension)
            && matches(&args.category, &d.category)
            && matches(&args.tier, &d.tier))
        {
            continue;
        }
        let mut r = vec![
            json!(d.data_point_id),
            json!(d.full_name()),
            json!(d.dimension),
            json!(d.category),
            json!(d.tier),
            json!(d.canonical_unit),
            json!(d.direction.as_str()),
            json!(d.direction_source),
        ];
        if args.long {
            r.extend([
                json!(d.kpi_code),
                json!(d.kpi_id),
                json!(d.sub_dimension),
                json!(d.kind),
                json!(d.unit),
                opt(d.plausible_min),
                opt(d.plausible_max),
                opt(d.hard_min),
                opt(d.hard_max),
                json!(d.consistency_rule),
                json!(d.sum_group),
                json!(d.sdg_refs),
                json!(d.summary),
                json!(d.source_page),
            ]);
            let t = defaults.get(&d.data_point_id);
            r.extend([
                opt(t.map(|t| t.target)),
                t.and_then(|t| t.target_year)
                    .map_or(Value::Null, |y| json!(y)),
                t.map_or(Value::Null, |t| json!(t.source)),
            ]);
        }
        rows.push(r);
    }
    if rows.rows.is_empty() {
        let dims: std::collections::BTreeSet<&str> = catalog
            .data_points()
            .iter()
            .map(|d| d.dimension.as_str())
            .collect();
        eprintln!(
            "no data point matches the filters (dimensions: {})",
            dims.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    args.output.emit(&rows)?;
    Ok(Outcome::Ok)
}
