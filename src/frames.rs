//! Two Polars helpers every stage uses: a window over static keys ([`over`]) and join
//! arguments that keep a deterministic row order ([`ordered`]). A ground-floor leaf.

use polars::prelude::*;

/// `e.over(keys)`: a window over a non-empty list of key columns (the only way `over`
/// can fail is an empty partition, which these static key lists never are).
pub(crate) fn over<const N: usize>(e: Expr, keys: [Expr; N]) -> Expr {
    const { assert!(N > 0) };
    e.over(keys).expect("a non-empty partition")
}

/// Join arguments that keep a deterministic row order (left rows in order, then right).
pub(crate) fn ordered(how: JoinType) -> JoinArgs {
    let mut a = JoinArgs::new(how);
    a.maintain_order = MaintainOrderJoin::LeftRight;
    a
}
