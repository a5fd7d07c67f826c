//! DuckDB as an independent second engine: it re-reads the Parquet batches Polars wrote and
//! recomputes every unit conversion from the registry file with SQL.

use crate::util::Ws;

#[test]
fn duckdb_recomputes_every_conversion_from_units_csv() {
    let ws = Ws::new();
    ws.generate_and_ingest("g", 80, "2016..2024", 11);
    let units = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/catalog/units.csv");
    let con = duckdb::Connection::open_in_memory().unwrap();
    let sql = format!(
        "with raw as (select * from read_parquet('{raw}/raw/*/*.parquet')), \
              u as (select * from read_csv('{units}', header = true, all_varchar = true)), \
              j as (select raw.*, cast(u.factor as double) as factor \
                    from raw left join u \
                      on u.canonical_unit = raw.unit and u.spelling = raw.unit_reported \
                     and (u.applies_to is null or u.applies_to = raw.data_point_id)) \
         select count(*) as n, \
                count(factor) as matched, \
                sum(case when unit = 'bool' then 0 \
                         when abs(try_cast(value_reported as double) * factor - value) \
                              > 1e-11 * greatest(abs(value), 1e-9) then 1 else 0 end) as mismatched \
         from j",
        raw = ws.root().display()
    );
    let (n, matched, mismatched): (i64, i64, i64) = con
        .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    let accepted = ws.manifest()["batches"][0]["rows_accepted"]
        .as_i64()
        .unwrap();
    assert_eq!(n, accepted);
    assert_eq!(matched, n, "every reported spelling is a registry spelling");
    assert_eq!(
        mismatched, 0,
        "DuckDB and the engine agree on every canonical value"
    );
}
