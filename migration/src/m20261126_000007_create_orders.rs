//! Creates `orders`: the laptop order carried by a LAPTOP_ORDER ticket (1:1,
//! `uq_orders_ticket_id`). The partner fills in the recipient and delivery
//! fields; staff fill in the device and shipping fields when shipping.
//! `phone` is stored in E.164. An order goes with its ticket.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, bounded_null, drop_table, fk, id, index, unique};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;
use crate::m20261126_000005_create_tickets::Tickets;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Orders {
    Table,
    OrganisationId,
    TicketId,
    RecipientName,
    Street,
    PostalCode,
    City,
    Country,
    Phone,
    ForLearning,
    Comment,
    DeviceModel,
    SerialNumber,
    ShippedAt,
    TrackingNumber,
    ShippedById,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(id())
                    .col(big_integer(Orders::OrganisationId))
                    .col(big_integer(Orders::TicketId))
                    .col(bounded(Orders::RecipientName, 200))
                    .col(bounded(Orders::Street, 200))
                    .col(bounded(Orders::PostalCode, 16))
                    .col(bounded(Orders::City, 100))
                    .col(bounded(Orders::Country, 2).default("CH"))
                    .col(bounded(Orders::Phone, 20))
                    .col(boolean(Orders::ForLearning).default(false))
                    .col(text_null(Orders::Comment))
                    .col(bounded_null(Orders::DeviceModel, 200))
                    .col(bounded_null(Orders::SerialNumber, 100))
                    .col(timestamp_with_time_zone_null(Orders::ShippedAt))
                    .col(bounded_null(Orders::TrackingNumber, 100))
                    .col(big_integer_null(Orders::ShippedById))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .index(&mut unique(Orders::Table, [Orders::TicketId]))
                    .foreign_key(&mut fk(
                        Orders::Table,
                        Orders::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Orders::Table,
                        Orders::TicketId,
                        Tickets::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Orders::Table,
                        Orders::ShippedById,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![Orders::OrganisationId, Orders::ShippedAt],
            vec![Orders::ShippedAt],
        ] {
            manager.create_index(index(Orders::Table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Orders::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
