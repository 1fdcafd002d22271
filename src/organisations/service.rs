//! Creating organisations (ADMIN).

use chrono::{DateTime, Utc};
use entity::enums::{BillingMode, OrganisationKind, TicketVisibility};
use entity::organisations;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, SqlErr};

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
    let taken = crate::policy::system::organisation_by_name(db, &name)
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

/// Changes to an organisation's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    pub ticket_visibility: Option<TicketVisibility>,
    pub billing_mode: Option<BillingMode>,
    pub billing_email: Option<String>,
    pub billing_address: Option<String>,
    pub standard_unit_price_cents: Option<i64>,
    pub learning_unit_price_cents: Option<i64>,
    pub vat_rate_basis_points: Option<i32>,
}

impl OrganisationChanges {
    /// Whether anything other than the billing mode changes.
    fn touches_more_than_billing_mode(&self) -> bool {
        self.name.is_some()
            || self.ticket_visibility.is_some()
            || self.billing_email.is_some()
            || self.billing_address.is_some()
            || self.standard_unit_price_cents.is_some()
            || self.learning_unit_price_cents.is_some()
            || self.vat_rate_basis_points.is_some()
    }
}

/// Updates an organisation's settings: ADMIN any of them, STAFF the billing
/// mode only. A change of `ticket_visibility` applies from the next request
/// on, because each request reads it afresh (see `policy::system`).
pub async fn update_organisation(
    state: &AppState,
    scope: &Scope,
    organisation_id: i64,
    changes: OrganisationChanges,
) -> AppResult<organisations::Model> {
    let viewer = scope.viewer();
    let organisation = scope.organisation(&state.db, organisation_id).await?;
    if !viewer.is_staff() {
        return Err(AppError::forbidden(
            "only the provider changes organisation settings",
        ));
    }
    if !viewer.is_admin() && changes.touches_more_than_billing_mode() {
        return Err(AppError::forbidden(
            "staff may change the billing mode only; other settings are the administrators'",
        ));
    }
    let mut errors = Vec::new();
    let mut row: organisations::ActiveModel = organisation.into();
    if let Some(name) = &changes.name {
        match single_line(name, 200) {
            Ok(name) => {
                let taken = crate::policy::system::organisation_by_name(&state.db, &name)
                    .await?
                    .is_some_and(|other| other.id != organisation_id);
                if taken {
                    errors.push(field(
                        "input.name",
                        "is already used by another organisation",
                    ));
                }
                row.name = Set(name);
            }
            Err(message) => errors.push(field("input.name", &message)),
        }
    }
    if let Some(raw) = &changes.billing_email {
        if raw.trim().is_empty() {
            row.billing_email = Set(None);
        } else {
            match Email::parse(raw) {
                Ok(email) => row.billing_email = Set(Some(email.as_str().to_owned())),
                Err(message) => errors.push(field("input.billingEmail", message)),
            }
        }
    }
    if let Some(address) = &changes.billing_address {
        let address = address.trim();
        if address.chars().count() > 500 {
            errors.push(field(
                "input.billingAddress",
                "must be at most 500 characters",
            ));
        }
        row.billing_address = Set((!address.is_empty()).then(|| address.to_owned()));
    }
    for (name, value, column) in [
        (
            "input.standardUnitPriceCents",
            changes.standard_unit_price_cents,
            &mut row.price_standard_cents,
        ),
        (
            "input.learningUnitPriceCents",
            changes.learning_unit_price_cents,
            &mut row.price_learning_cents,
        ),
    ] {
        if let Some(cents) = value {
            if (0..=100_000_000).contains(&cents) {
                *column = Set(cents);
            } else {
                errors.push(field(name, "must be between 0 and 100000000 cents"));
            }
        }
    }
    if let Some(bp) = changes.vat_rate_basis_points {
        if (0..=10_000).contains(&bp) {
            row.vat_rate_bp = Set(bp);
        } else {
            errors.push(field(
                "input.vatRateBasisPoints",
                "must be between 0 and 10000",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if let Some(visibility) = changes.ticket_visibility {
        row.ticket_visibility = Set(visibility);
    }
    if let Some(mode) = changes.billing_mode {
        row.billing_mode = Set(mode);
    }
    row.updated_at = Set(state.clock.now());
    Ok(row.update(&state.db).await?)
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}
