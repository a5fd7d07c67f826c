//! The index framework: indicators and aggregates with levels, parents, weights and
//! directions (METHODOLOGY section 9 step 1).
//!
//! A framework file is CSV in COINr's `iMeta` shape, so a COINr user's file works as is:
//! `iCode, Level, Parent, Weight, Direction, Type` (required; `Type` is `Indicator`,
//! `Aggregate`, or one of COINr's `Denominator`, `Group`, `Other`, which are ignored) and
//! optionally `iName`, `Denominator` (the data column an indicator is divided by when
//! `[index] denominate = true`), `Scale` (multiplies the ratio; default 1), `Worst` and
//! `Target` (goalposts and targets for those normalisations), and named weight sets
//! `Weight_<name>` (one weight per node; `[index] weights = "<name>"` selects one, as
//! COINr's `coin$Meta$Weights`). Header names are matched
//! without regard to case, and `code`/`name` are accepted for `iCode`/`iName`.
//!
//! Rules: indicators are level 1 and have a direction (1 or -1, or `higher_better` /
//! `lower_better`); aggregates are level >= 2; a parent is an aggregate exactly one level
//! up; weights are finite and >= 0; codes are unique; exactly one aggregate has no parent
//! (the index); every aggregate has at least one child.
//!
//! The default framework is built from the catalogue: data point -> KPI -> category ->
//! dimension -> index, all weights 1, directions from the catalogue, goalposts and
//! targets from `targets.csv`. Neutral data points are not in the index; a target-band
//! data point (closer to the target is better) enters as its distance to the target,
//! lower is better (and is left out when it has no target).

use std::collections::HashMap;
use std::path::Path;

use crate::catalog::{Catalog, Direction};
use crate::error::{Error, Result};
use crate::pipeline::targets::Targets;

/// Indicator or aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Indicator,
    Aggregate,
}

/// One node of the framework.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub code: String,
    pub name: String,
    pub level: u32,
    pub parent: Option<String>,
    pub weight: f64,
    /// +1 (higher is better) or -1; 1 for aggregates.
    pub direction: f64,
    pub kind: Kind,
    pub denominator: Option<String>,
    pub scale: f64,
    pub worst: Option<f64>,
    pub target: Option<f64>,
    /// A target band's target: the indicator enters as |x - band| (lower is better).
    pub band: Option<f64>,
}

/// A validated framework. Nodes are ordered indicators first (file order), then aggregates
/// by level (file order within a level); `parent` and `children` hold node positions.
#[derive(Debug, Clone)]
pub struct Framework {
    pub nodes: Vec<Node>,
    pub indicators: usize,
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
    pub root: usize,
    /// A name per level (index 0 = level 1).
    pub level_names: Vec<String>,
    /// `u4ssc (catalogue ...)` or the file path.
    pub origin: String,
    /// Named weight sets (COINr's `coin$Meta$Weights`): the name of each framework column
    /// `Weight_<name>` (lower-cased) and its weight per node, in node order.
    pub weight_sets: Vec<(String, Vec<f64>)>,
}

/// The prefix of a weight set's framework column.
pub const WEIGHT_SET_PREFIX: &str = "weight_";

/// The level names of the default U4SSC framework.
pub const U4SSC_LEVELS: [&str; 5] = ["data point", "kpi", "category", "dimension", "index"];

/// The code of the default framework's top node.
pub const U4SSC_INDEX: &str = "index";

impl Framework {
    /// The default framework from the catalogue and its targets.
    pub fn u4ssc(catalog: &Catalog, targets: &Targets) -> Result<Self> {
        let mut target_of: HashMap<&str, (Option<f64>, Option<f64>)> = HashMap::new();
        for t in &targets.defaults {
            target_of.insert(t.data_point_id.as_str(), (t.worst, Some(t.target)));
        }
        let mut nodes = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut aggregate = |nodes: &mut Vec<Node>, code: String, name: &str, level, parent| {
            if seen.insert(code.clone()) {
                nodes.push(Node {
                    code,
                    name: name.to_string(),
                    level,
                    parent,
                    weight: 1.0,
                    direction: 1.0,
                    kind: Kind::Aggregate,
                    denominator: None,
                    scale: 1.0,
                    worst: None,
                    target: None,
                    band: None,
                });
            }
        };
        aggregate(&mut nodes, U4SSC_INDEX.into(), "U4SSC index", 5, None);
        for dp in catalog.data_points() {
            let (worst, target) = target_of
                .get(dp.data_point_id.as_str())
                .copied()
                .unwrap_or((None, None));
            // a target band (closer to the target is better) enters as the distance to
            // the target, lower is better; without a target it cannot be scored
            let (direction, band) = match (dp.direction, target) {
                (Direction::HigherBetter, _) => (1.0, None),
                (Direction::LowerBetter, _) => (-1.0, None),
                (Direction::TargetBand, Some(t)) => (-1.0, Some(t)),
                (Direction::TargetBand, None) | (Direction::Neutral, _) => continue,
            };
            let dim = format!("dimension:{}", dp.dimension);
            let cat = format!("category:{}/{}", dp.dimension, dp.category);
            let kpi = format!("kpi:{}", dp.kpi_id);
            aggregate(
                &mut nodes,
                dim.clone(),
                &dp.dimension,
                4,
                Some(U4SSC_INDEX.into()),
            );
            aggregate(&mut nodes, cat.clone(), &dp.category, 3, Some(dim));
            aggregate(&mut nodes, kpi.clone(), &dp.name, 2, Some(cat));
            let (worst, target) = match band {
                // goalposts and targets of the distance: 0 is the target
                Some(_) => (None, Some(0.0)),
                None => (worst, target),
            };
            nodes.push(Node {
                code: dp.data_point_id.clone(),
                name: dp.full_name(),
                level: 1,
                parent: Some(kpi),
                weight: 1.0,
                direction,
                kind: Kind::Indicator,
                denominator: None,
                scale: 1.0,
                worst,
                target,
                band,
            });
        }
        let lines = vec![0; nodes.len()];
        Self::new(
            nodes,
            &lines,
            Path::new("u4ssc"),
            U4SSC_LEVELS.iter().map(|s| s.to_string()).collect(),
            format!("u4ssc ({})", catalog.origin),
        )
    }

    /// Read a framework file (COINr iMeta CSV).
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = crate::input::read_text(path, "a framework CSV file (COINr iMeta)")?;
        Self::parse(&text, path)
    }

    /// Parse framework CSV; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
        let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let need = |names: &[&str]| {
            find(names).ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "missing column '{}'; a framework file (COINr iMeta) has iCode, Level, Parent, Weight, Direction, Type and optionally iName, Denominator, Scale, Worst, Target, Weight_<name>",
                        names[0]
                    ),
                )
            })
        };
        let code_c = need(&["icode", "code"])?;
        let level_c = need(&["level"])?;
        let parent_c = need(&["parent"])?;
        let weight_c = need(&["weight"])?;
        let dir_c = need(&["direction"])?;
        let type_c = need(&["type"])?;
        let name_c = find(&["iname", "name"]);
        let denom_c = find(&["denominator"]);
        let scale_c = find(&["scale"]);
        let worst_c = find(&["worst"]);
        let target_c = find(&["target"]);
        let set_cols: Vec<(String, usize)> = headers
            .iter()
            .enumerate()
            .filter_map(|(c, h)| {
                h.strip_prefix(WEIGHT_SET_PREFIX)
                    .filter(|n| !n.is_empty())
                    .map(|n| (n.to_string(), c))
            })
            .collect();
        let mut set_values: HashMap<String, Vec<f64>> = HashMap::new();
        let mut nodes = Vec::new();
        let mut lines = Vec::new();
        let mut max_level = 1;
        for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
            let r = rec.map_err(|e| Error::data(path, line, e.to_string()))?;
            let get = |c: usize| r.get(c).unwrap_or("").trim();
            let opt = |c: Option<usize>| c.map(get).filter(|s| !s.is_empty());
            let bad = |field: &str, msg: String| Error::data(path, line, format!("{field}: {msg}"));
            let num = |c: Option<usize>, field: &str| -> Result<Option<f64>> {
                match opt(c) {
                    None => Ok(None),
                    Some(s) => match s.parse::<f64>() {
                        Ok(v) if v.is_finite() => Ok(Some(v)),
                        _ => Err(bad(
                            field,
                            format!(
                                "'{s}' is not a number; write a plain decimal such as 1 or 0.5"
                            ),
                        )),
                    },
                }
            };
            let kind = match get(type_c).to_ascii_lowercase().as_str() {
                "indicator" => Kind::Indicator,
                "aggregate" => Kind::Aggregate,
                "denominator" | "group" | "other" => continue,
                other => {
                    return Err(bad(
                        "Type",
                        format!(
                            "'{other}' is not a node type; write Indicator or Aggregate (Denominator, Group and Other rows are ignored)"
                        ),
                    ));
                }
            };
            let code = get(code_c).to_string();
            if code.is_empty() {
                return Err(bad("iCode", "empty; every row needs a unique code".into()));
            }
            let level_s = get(level_c);
            let level: u32 = match (
                whole(level_s).and_then(|l| u32::try_from(l).ok()).ok_or(()),
                kind,
            ) {
                (Ok(1), Kind::Indicator) => 1,
                (Ok(l), Kind::Aggregate) if l >= 2 => l,
                _ => {
                    return Err(bad(
                        "Level",
                        format!(
                            "'{level_s}' for {}; indicators are level 1, aggregates level 2 or higher",
                            if kind == Kind::Indicator {
                                "an indicator"
                            } else {
                                "an aggregate"
                            }
                        ),
                    ));
                }
            };
            max_level = max_level.max(level);
            let weight = match num(Some(weight_c), "Weight")? {
                Some(w) if w >= 0.0 => w,
                Some(w) => return Err(bad("Weight", format!("{w} is negative; weights are >= 0"))),
                None => return Err(bad("Weight", "empty; write a weight such as 1".into())),
            };
            let dir_s = get(dir_c);
            let direction = match (kind, dir_s, whole(dir_s)) {
                (Kind::Aggregate, ..) => 1.0,
                (_, "higher_better", _) | (_, _, Some(1)) => 1.0,
                (_, "lower_better", _) | (_, _, Some(-1)) => -1.0,
                _ => {
                    return Err(bad(
                        "Direction",
                        format!(
                            "'{dir_s}' for indicator {code}; write 1 (higher is better) or -1 (lower is better)"
                        ),
                    ));
                }
            };
            let mut sets = Vec::with_capacity(set_cols.len());
            for (name, c) in &set_cols {
                let field = format!("Weight_{name}");
                match num(Some(*c), &field)? {
                    Some(w) if w >= 0.0 => sets.push(w),
                    Some(w) => {
                        return Err(bad(&field, format!("{w} is negative; weights are >= 0")));
                    }
                    None => {
                        return Err(bad(
                            &field,
                            "empty; a weight set gives every node a weight (write 0 to leave one out)"
                                .into(),
                        ));
                    }
                }
            }
            set_values.insert(get(code_c).to_string(), sets);
            let scale = num(scale_c, "Scale")?.unwrap_or(1.0);
            nodes.push(Node {
                name: opt(name_c).unwrap_or(&code).to_string(),
                code,
                level,
                parent: opt(Some(parent_c)).map(str::to_string),
                weight,
                direction,
                kind,
                denominator: opt(denom_c).map(str::to_string),
                scale,
                worst: num(worst_c, "Worst")?,
                target: num(target_c, "Target")?,
                band: None,
            });
            lines.push(line);
        }
        if nodes.is_empty() {
            return Err(Error::input(path, "no Indicator or Aggregate rows"));
        }
        let names = (1..=max_level).map(|l| format!("level {l}")).collect();
        let mut fw = Self::new(nodes, &lines, path, names, path.display().to_string())?;
        fw.weight_sets = set_cols
            .iter()
            .enumerate()
            .map(|(j, (name, _))| {
                let w = fw.nodes.iter().map(|n| set_values[&n.code][j]).collect();
                (name.clone(), w)
            })
            .collect();
        Ok(fw)
    }

    /// Use the weight set `name` (a `Weight_<name>` column, without regard to case) as the
    /// nodes' weights; `Err` lists the sets there are.
    pub fn select_weights(&mut self, name: &str) -> std::result::Result<(), String> {
        let key = name.to_lowercase();
        let Some((_, w)) = self.weight_sets.iter().find(|(n, _)| *n == key) else {
            let have: Vec<String> = self
                .weight_sets
                .iter()
                .map(|(n, _)| format!("Weight_{n}"))
                .collect();
            return Err(format!(
                "index.weights = '{name}', but the framework has no column Weight_{name}; {}",
                if have.is_empty() {
                    "it has no weight sets (add a column Weight_<name> to the framework CSV, or remove index.weights to use its Weight column)".to_string()
                } else {
                    format!("its weight sets are: {}", have.join(", "))
                }
            ));
        };
        for (node, w) in self.nodes.iter_mut().zip(w.clone()) {
            node.weight = w;
        }
        Ok(())
    }

    /// Order, link and check the nodes; `lines` are their file lines (0 = built in).
    fn new(
        nodes: Vec<Node>,
        lines: &[u64],
        path: &Path,
        level_names: Vec<String>,
        origin: String,
    ) -> Result<Self> {
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        // indicators first, then aggregates by level; stable within a level
        order.sort_by_key(|&i| (nodes[i].kind == Kind::Aggregate, nodes[i].level));
        let lines: Vec<u64> = order.iter().map(|&i| lines[i]).collect();
        let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
        let nodes: Vec<Node> = order
            .iter()
            .map(|&i| slots[i].take().expect("once"))
            .collect();
        let err = |k: usize, msg: String| Error::data(path, lines[k], msg);
        let mut pos = HashMap::new();
        for (k, n) in nodes.iter().enumerate() {
            if pos.insert(n.code.as_str(), k).is_some() {
                return Err(err(
                    k,
                    format!("iCode: '{}' appears twice; codes are unique", n.code),
                ));
            }
        }
        let indicators = nodes.iter().filter(|n| n.kind == Kind::Indicator).count();
        if indicators == 0 {
            return Err(Error::input(
                path,
                "no indicators (rows with Type Indicator)",
            ));
        }
        let mut parent = vec![None; nodes.len()];
        let mut children = vec![Vec::new(); nodes.len()];
        let mut roots = Vec::new();
        for (k, n) in nodes.iter().enumerate() {
            match &n.parent {
                None if n.kind == Kind::Aggregate => roots.push(k),
                None => {
                    return Err(err(
                        k,
                        format!(
                            "Parent: indicator '{}' has no parent; name the aggregate it belongs to",
                            n.code
                        ),
                    ));
                }
                Some(p) => {
                    let Some(&pk) = pos.get(p.as_str()) else {
                        return Err(err(
                            k,
                            format!(
                                "Parent: '{p}' of '{}' is not a code of the framework",
                                n.code
                            ),
                        ));
                    };
                    if nodes[pk].kind != Kind::Aggregate || nodes[pk].level != n.level + 1 {
                        return Err(err(
                            k,
                            format!(
                                "Parent: '{p}' of '{}' (level {}) must be an aggregate at level {}",
                                n.code,
                                n.level,
                                n.level + 1
                            ),
                        ));
                    }
                    parent[k] = Some(pk);
                    children[pk].push(k);
                }
            }
        }
        if roots.len() != 1 {
            let codes: Vec<&str> = roots.iter().map(|&k| nodes[k].code.as_str()).collect();
            return Err(Error::input(
                path,
                format!(
                    "exactly one aggregate must have no parent (the index); found {}: {}",
                    codes.len(),
                    codes.join(", ")
                ),
            ));
        }
        if let Some(k) =
            (0..nodes.len()).find(|&k| nodes[k].kind == Kind::Aggregate && children[k].is_empty())
        {
            return Err(err(
                k,
                format!("aggregate '{}' has no children", nodes[k].code),
            ));
        }
        Ok(Framework {
            nodes,
            indicators,
            parent,
            children,
            root: roots[0],
            level_names,
            origin,
            weight_sets: Vec::new(),
        })
    }

    /// The name of a level (1-based).
    pub fn level_name(&self, level: u32) -> &str {
        self.level_names
            .get(level as usize - 1)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The nominal weights, one per node.
    pub fn weights(&self) -> Vec<f64> {
        self.nodes.iter().map(|n| n.weight).collect()
    }

    /// The codes a `--data` file is read for: every indicator's, then every denominator's.
    pub fn data_codes(&self) -> Vec<&str> {
        let indicators = self.nodes[..self.indicators]
            .iter()
            .map(|n| n.code.as_str());
        let denominators = self.nodes.iter().filter_map(|n| n.denominator.as_deref());
        indicators.chain(denominators).collect()
    }

    /// Aggregates in the order they are computed (level by level, upwards).
    pub fn aggregates(&self) -> std::ops::Range<usize> {
        self.indicators..self.nodes.len()
    }
}

/// A whole number written as an integer (`1`, `+1`, `-1`) or as a float with no fraction
/// (`1.0`, `-1.0`, as pandas writes a column with missing cells; COINr reads them alike).
fn whole(s: &str) -> Option<i64> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(i);
    }
    let looks_float =
        s.contains('.') && s.bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b));
    match s.parse::<f64>() {
        Ok(v) if looks_float && v.fract() == 0.0 && v.abs() < 1e15 => Some(v as i64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "iCode,iName,Level,Parent,Weight,Direction,Type
x1,One,1,P1,1,1,Indicator
x2,Two,1,P1,1,-1,Indicator
x3,Three,1,P2,2,1,Indicator
pop,Population,,,,,Denominator
P1,Pillar 1,2,IDX,1,,Aggregate
P2,Pillar 2,2,IDX,1,,Aggregate
IDX,Index,3,,1,,Aggregate
";

    #[test]
    fn a_coinr_imeta_file_parses() {
        let f = Framework::parse(FILE, Path::new("fw.csv")).unwrap();
        let codes: Vec<&str> = f.nodes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes, ["x1", "x2", "x3", "P1", "P2", "IDX"]);
        assert_eq!(f.indicators, 3);
        assert_eq!(f.root, 5);
        assert_eq!(f.children[3], vec![0, 1]);
        assert_eq!(f.children[5], vec![3, 4]);
        assert_eq!(f.nodes[1].direction, -1.0);
        assert_eq!(f.nodes[2].weight, 2.0);
    }

    #[test]
    fn float_directions_and_levels_as_pandas_writes_them() {
        // pandas writes a column with empty cells as floats: Level 1.0, Direction -1.0
        let pandas = "iCode,iName,Level,Parent,Weight,Direction,Type
x1,One,1.0,P1,1.0,1.0,Indicator
x2,Two,1.0,P1,1.0,-1.0,Indicator
x3,Three,1.0,P2,2.0,+1.0,Indicator
pop,Population,,,,,Denominator
P1,Pillar 1,2.0,IDX,1.0,,Aggregate
P2,Pillar 2,2.0,IDX,1.0,,Aggregate
IDX,Index,3.0,,1.0,,Aggregate
";
        let f = Framework::parse(pandas, Path::new("fw.csv")).unwrap();
        let g = Framework::parse(FILE, Path::new("fw.csv")).unwrap();
        assert_eq!(f.nodes, g.nodes);
        let dirs: Vec<f64> = f.nodes.iter().map(|n| n.direction).collect();
        assert_eq!(dirs, [1.0, -1.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(f.nodes[5].level, 3);
    }

    #[test]
    fn a_data_file_is_read_for_the_indicators_then_their_denominators() {
        let text = "iCode,iName,Level,Parent,Weight,Direction,Type,Denominator
x1,One,1,P1,1,1,Indicator,pop
x2,Two,1,P1,1,-1,Indicator,
x3,Three,1,P2,2,1,Indicator,area
P1,Pillar 1,2,IDX,1,,Aggregate,
P2,Pillar 2,2,IDX,1,,Aggregate,
IDX,Index,3,,1,,Aggregate,
";
        let f = Framework::parse(text, Path::new("fw.csv")).unwrap();
        assert_eq!(f.data_codes(), ["x1", "x2", "x3", "pop", "area"]);
        let plain = Framework::parse(FILE, Path::new("fw.csv")).unwrap();
        assert_eq!(plain.data_codes(), ["x1", "x2", "x3"]);
    }

    #[test]
    fn weight_sets_are_weight_columns_and_one_can_be_selected() {
        let text = "iCode,iName,Level,Parent,Weight,Direction,Type,Weight_Expert
x1,One,1,P1,1,1,Indicator,3
x2,Two,1,P1,1,-1,Indicator,0
x3,Three,1,P2,2,1,Indicator,3
pop,Population,,,,,Denominator,
P1,Pillar 1,2,IDX,1,,Aggregate,2
P2,Pillar 2,2,IDX,1,,Aggregate,5
IDX,Index,3,,1,,Aggregate,1
";
        let mut f = Framework::parse(text, Path::new("fw.csv")).unwrap();
        // nodes x1 x2 x3 P1 P2 IDX
        assert_eq!(
            f.weight_sets,
            vec![("expert".to_string(), vec![3., 0., 3., 2., 5., 1.])]
        );
        assert_eq!(f.weights(), vec![1., 1., 2., 1., 1., 1.]);
        f.select_weights("EXPERT").unwrap();
        assert_eq!(f.weights(), vec![3., 0., 3., 2., 5., 1.]);
        assert_eq!(
            f.select_weights("pca").unwrap_err(),
            "index.weights = 'pca', but the framework has no column Weight_pca; its weight sets are: Weight_expert"
        );
        let mut plain = Framework::parse(FILE, Path::new("fw.csv")).unwrap();
        assert_eq!(
            plain.select_weights("pca").unwrap_err(),
            "index.weights = 'pca', but the framework has no column Weight_pca; it has no weight sets (add a column Weight_<name> to the framework CSV, or remove index.weights to use its Weight column)"
        );
        let e = Framework::parse(
            &text.replace("Aggregate,5", "Aggregate,"),
            Path::new("fw.csv"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "fw.csv:7: Weight_expert: empty; a weight set gives every node a weight (write 0 to leave one out)"
        );
        let e = Framework::parse(
            &text.replace("Aggregate,5", "Aggregate,-5"),
            Path::new("fw.csv"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "fw.csv:7: Weight_expert: -5 is negative; weights are >= 0"
        );
    }

    #[test]
    fn bad_frameworks_name_the_line_and_field() {
        let e = |t: &str| {
            Framework::parse(t, Path::new("fw.csv"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(&FILE.replace("x2,Two,1,P1,1,-1", "x2,Two,1,P9,1,-1")),
            "fw.csv:3: Parent: 'P9' of 'x2' is not a code of the framework"
        );
        assert_eq!(
            e(&FILE.replace("x2,Two,1,P1,1,-1", "x2,Two,1,P1,1,down")),
            "fw.csv:3: Direction: 'down' for indicator x2; write 1 (higher is better) or -1 (lower is better)"
        );
        // a float that is not 1 or -1 is no direction
        assert_eq!(
            e(&FILE.replace("x2,Two,1,P1,1,-1", "x2,Two,1,P1,1,-0.5")),
            "fw.csv:3: Direction: '-0.5' for indicator x2; write 1 (higher is better) or -1 (lower is better)"
        );
        assert_eq!(
            e(&FILE.replace("x2,Two,1,P1,1,-1", "x2,Two,1,P1,1,2.0")),
            "fw.csv:3: Direction: '2.0' for indicator x2; write 1 (higher is better) or -1 (lower is better)"
        );
        assert_eq!(
            e(&FILE.replace("x2,Two,1,P1,1,-1", "x2,Two,1,P1,1,1e0")),
            "fw.csv:3: Direction: '1e0' for indicator x2; write 1 (higher is better) or -1 (lower is better)"
        );
        assert_eq!(
            e(&FILE.replace("x2,Two,1,P1", "x2,Two,1.5,P1")),
            "fw.csv:3: Level: '1.5' for an indicator; indicators are level 1, aggregates level 2 or higher"
        );
        assert_eq!(
            e(&FILE.replace("x3,Three,1,P2,2,", "x3,Three,1,P2,-2,")),
            "fw.csv:4: Weight: -2 is negative; weights are >= 0"
        );
        assert_eq!(
            e(&FILE.replace("x3,Three,1,P2,2,1,Indicator", "x1,Three,1,P2,2,1,Indicator")),
            "fw.csv:4: iCode: 'x1' appears twice; codes are unique"
        );
        assert_eq!(
            e(&FILE.replace("x3,Three,1,P2", "x3,Three,1,IDX")),
            "fw.csv:4: Parent: 'IDX' of 'x3' (level 1) must be an aggregate at level 2"
        );
        assert_eq!(
            e(&FILE.replace("P2,Pillar 2,2,IDX", "P2,Pillar 2,2,")),
            "fw.csv: exactly one aggregate must have no parent (the index); found 2: P2, IDX"
        );
        assert_eq!(
            e(&FILE.replace("Indicator\nx3", "Indicatr\nx3")),
            "fw.csv:3: Type: 'indicatr' is not a node type; write Indicator or Aggregate (Denominator, Group and Other rows are ignored)"
        );
        assert_eq!(
            e("iCode,Level,Parent,Weight,Type\nx,1,P,1,Indicator\n"),
            "fw.csv: missing column 'direction'; a framework file (COINr iMeta) has iCode, Level, Parent, Weight, Direction, Type and optionally iName, Denominator, Scale, Worst, Target, Weight_<name>"
        );
    }
}
