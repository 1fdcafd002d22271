//! Creating organisations (ADMIN).

use chrono::{DateTime, Utc};
use entity::enums::{BillingMode, OrganisationKind, TicketVisibility};
use entity::organisations;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, SqlErr};

use crate::domain::{Email, single_line};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::Scope;
use crate::state::AppState;

/// Raw input of `createOrganisation`.
#[derive(Debug, Clone)]
pub struct NewOrganisationInput {
    pub name: String,
    pub kind: OrganisationKind,
    pub ticket_visibility: TicketVisibility,
    pub billing_mode: BillingMode,
    pub billing_email: Option<String>,
    pub billing_address: Option<String>,
    pub standard_unit_price_cents: i64,
    pub learning_unit_price_cents: i64,
    pub vat_rate_basis_points: i32,
}

/// Creates an organisation; ADMIN only.
pub async fn create_organisation(
    state: &AppState,
    scope: &Scope,
    input: NewOrganisationInput,
) -> AppResult<organisations::Model> {
    if !scope.viewer().is_admin() {
        return Err(AppError::forbidden(
            "only administrators create organisations",
        ));
    }
    insert_organisation(&state.db, input, state.clock.now()).await
}

/// Checks every field, then inserts; a taken name is a VALIDATION error.
pub async fn insert_organisation(
    db: &impl ConnectionTrait,
    input: NewOrganisationInput,
    now: DateTime<Utc>,
) -> AppResult<organisations::Model> {
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push(FieldError {
                field: field.to_owned(),
                message,
            });
        }
    };
    let name = single_line(&input.name, 200);
    check(
        "input.name",
        name.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let billing_email = input
        .billing_email
        .as_deref()
        .map(|raw| Email::parse(raw).map(|e| e.as_str().to_owned()))
        .transpose();
    check(
        "input.billingEmail",
        billing_email
            .as_ref()
            .map(|_| ())
            .map_err(|m| (*m).to_owned()),
    );
    let billing_address = input
        .billing_address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    check(
        "input.billingAddress",
        match billing_address {
            Some(a) if a.chars().count() > 500 => Err("must be at most 500 characters".to_owned()),
            _ => Ok(()),
        },
    );
    for (field, cents) in [
        (
            "input.standardUnitPriceCents",
            input.standard_unit_price_cents,
        ),
        (
            "input.learningUnitPriceCents",
            input.learning_unit_price_cents,
        ),
    ] {
        check(
            field,
            if (0..=100_000_000).contains(&cents) {
                Ok(())
            } else {
                Err("must be between 0 and 100000000 cents".to_owned())
            },
        );
    }
    check(
        "input.vatRateBasisPoints",
        if (0..=10_000).contains(&input.vat_rate_basis_points) {
            Ok(())
        } else {
            Err("must be between 0 and 10000".to_owned())
        },
    );
    let (Ok(name), Ok(billing_email)) = (name, billing_email) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let taken = organisations::Entity::find()
        .filter(organisations::Column::Name.eq(name.as_str()))
        .one(db)
        .await?
        .is_some();
    if taken {
        return Err(AppError::validation(
            "input.name",
            "is already used by another organisation",
        ));
    }
    let inserted = organisations::ActiveModel {
        name: Set(name),
        kind: Set(input.kind),
        ticket_visibility: Set(input.ticket_visibility),
        billing_mode: Set(input.billing_mode),
        billing_email: Set(billing_email),
        billing_address: Set(billing_address.map(str::to_owned)),
        price_standard_cents: Set(input.standard_unit_price_cents),
        price_learning_cents: Set(input.learning_unit_price_cents),
        vat_rate_bp: Set(input.vat_rate_basis_points),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(org) => Ok(org),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(
            AppError::validation("input.name", "is already used by another organisation"),
        ),
        Err(e) => Err(e.into()),
    }
}
