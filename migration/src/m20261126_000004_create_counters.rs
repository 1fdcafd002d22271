//! Creates `counters`: named, gap-free sequences shared by all tenants, so it
//! has no `organisation_id`. A number is taken inside the transaction that
//! uses it, with
//! `UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`:
//! the row lock serialises concurrent takers, and a rolled-back transaction
//! gives its number back. Rows: `gem` (ticket references `GEM-<n>`, inserted
//! here) and `invoice-<year>` (invoice numbers, inserted by the application
//! on first use).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, checked, drop_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Counters::Table)
                    .col(bounded(Counters::Name, 64).primary_key())
                    .col(checked(
                        Counters::Table,
                        big_integer(Counters::Value).default(0),
                        |c| c.gte(0),
                    ))
                    .to_owned(),
            )
            .await?;
        let gem = Query::insert()
            .into_table(Counters::Table)
            .columns([Counters::Name, Counters::Value])
            .values(["gem".into(), 0i64.into()])
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(gem).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Counters::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
