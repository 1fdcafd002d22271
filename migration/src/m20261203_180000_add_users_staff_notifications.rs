//! Adds `users.staff_notifications`: whether a STAFF or ADMIN user gets an
//! email when a partner orders, comments, reports a delivery issue or
//! sends feedback (the desk address of `STAFF_NOTIFY_EMAIL` gets them
//! anyway). Off for everyone until they opt in.

use sea_orm_migration::{prelude::*, schema::boolean};

use crate::m20261126_000002_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    StaffNotifications,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Added::StaffNotifications).default(false).take())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Added::StaffNotifications)
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
