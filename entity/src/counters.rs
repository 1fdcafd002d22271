//! `counters`: named gap-free sequences, shared by all tenants. Take the next
//! number inside the transaction that uses it, with
//! `UPDATE counters SET value = value + 1 WHERE name = 'gem' RETURNING value`;
//! a rolled-back transaction gives its number back. Rows: `gem` (ticket
//! references `GEM-<n>`, created by the migration) and `invoice-<year>`
//! (invoice numbers, created on first use).

use sea_orm::entity::prelude::*;

/// One named sequence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "counters")]
pub struct Model {
    /// Name of the sequence, e.g. `gem` or `invoice-2026`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The last number taken (0 when none was).
    pub value: i64,
}

/// A counter is related to nothing.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
