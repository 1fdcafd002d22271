//! Creating organisations (ADMIN) and changing their settings (ADMIN; STAFF
//! the billing mode), both through one validation of the settings.

use chrono::{DateTime, Utc};
use entity::enums::{BillingMode, Locale, OrganisationKind, TicketVisibility};
use entity::organisations;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, SqlErr};

use crate::domain::{BasisPoints, Cents, Email, optional_multi_line, single_line};
use crate::error::{AppError, AppResult, FieldErrors, Invalid};
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
    /// Language of the emails to the organisation (its invoices).
    pub locale: Locale,
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

/// Checks every field with the same validation as an update, then inserts;
/// a taken name is a VALIDATION error.
pub async fn insert_organisation(
    db: &impl ConnectionTrait,
    input: NewOrganisationInput,
    now: DateTime<Utc>,
) -> AppResult<organisations::Model> {
    let mut row = organisations::ActiveModel {
        kind: Set(input.kind),
        billing_email: Set(None),
        billing_address: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        ..Default::default()
    };
    let settings = OrganisationChanges {
        name: Some(input.name),
        ticket_visibility: Some(input.ticket_visibility),
        billing_mode: Some(input.billing_mode),
        billing_email: input.billing_email,
        billing_address: input.billing_address,
        standard_unit_price_cents: Some(input.standard_unit_price_cents),
        learning_unit_price_cents: Some(input.learning_unit_price_cents),
        vat_rate_basis_points: Some(input.vat_rate_basis_points),
        locale: Some(input.locale),
    };
    apply_changes(db, &mut row, &settings, None).await?;
    match row.insert(db).await {
        Ok(org) => Ok(org),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(
            AppError::validation("input.name", Invalid::taken(NAME_TAKEN)),
        ),
        Err(e) => Err(e.into()),
    }
}

const NAME_TAKEN: &str = "is already used by another organisation";

/// Why a partner needs a billing email, as the error says it.
const BILLING_EMAIL_NEEDED: &str =
    "a partner organisation needs a billing email: its invoices are emailed there";

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
    pub locale: Option<Locale>,
}

impl OrganisationChanges {
    /// Whether the change touches how the organisation is billed.
    fn touches_billing(&self) -> bool {
        self.billing_mode.is_some()
            || self.billing_email.is_some()
            || self.billing_address.is_some()
            || self.standard_unit_price_cents.is_some()
            || self.learning_unit_price_cents.is_some()
            || self.vat_rate_basis_points.is_some()
    }

    /// Whether anything other than the billing mode changes.
    fn touches_more_than_billing_mode(&self) -> bool {
        self.name.is_some()
            || self.ticket_visibility.is_some()
            || self.billing_email.is_some()
            || self.billing_address.is_some()
            || self.standard_unit_price_cents.is_some()
            || self.learning_unit_price_cents.is_some()
            || self.vat_rate_basis_points.is_some()
            || self.locale.is_some()
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
    let mut row: organisations::ActiveModel = organisation.into();
    apply_changes(&state.db, &mut row, &changes, Some(organisation_id)).await?;
    row.updated_at = Set(state.clock.now());
    Ok(row.update(&state.db).await?)
}

/// The one validation of organisation settings, for creation and update:
/// checks every given setting, reports all the invalid ones at once, and
/// writes the valid ones into `row` only when none is invalid. The name must
/// not be taken by another organisation than `own_id`.
async fn apply_changes(
    db: &impl ConnectionTrait,
    row: &mut organisations::ActiveModel,
    changes: &OrganisationChanges,
    own_id: Option<i64>,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let name = match &changes.name {
        Some(raw) => errors.check("input.name", single_line(raw, 200)),
        None => None,
    };
    if let Some(name) = &name {
        let taken = crate::policy::system::organisation_by_name(db, name)
            .await?
            .is_some_and(|other| Some(other.id) != own_id);
        if taken {
            errors.add("input.name", Invalid::taken(NAME_TAKEN));
        }
    }
    let billing_email = changes.billing_email.as_deref().and_then(|raw| {
        errors.check(
            "input.billingEmail",
            match raw.trim() {
                "" => Ok(None),
                raw => Email::parse(raw).map(Some),
            },
        )
    });
    // A partner is invoiced at its billing email: without one, a change of
    // its billing settings is refused now rather than discovered when the
    // next invoice is issued.
    let email_invalid = changes.billing_email.is_some() && billing_email.is_none();
    let has_email = match &billing_email {
        Some(new) => new.is_some(),
        None => row
            .billing_email
            .try_as_ref()
            .is_some_and(|current| current.is_some()),
    };
    let is_partner = row
        .kind
        .try_as_ref()
        .is_some_and(|kind| *kind == OrganisationKind::Partner);
    if is_partner && changes.touches_billing() && !has_email && !email_invalid {
        errors.add(
            "input.billingEmail",
            Invalid::required_because(BILLING_EMAIL_NEEDED),
        );
    }
    let billing_address = changes
        .billing_address
        .as_deref()
        .and_then(|raw| errors.check("input.billingAddress", optional_multi_line(Some(raw), 500)));
    let standard_price = changes
        .standard_unit_price_cents
        .and_then(|cents| errors.check("input.standardUnitPriceCents", Cents::parse_price(cents)));
    let learning_price = changes
        .learning_unit_price_cents
        .and_then(|cents| errors.check("input.learningUnitPriceCents", Cents::parse_price(cents)));
    let vat_rate = changes
        .vat_rate_basis_points
        .and_then(|bp| errors.check("input.vatRateBasisPoints", BasisPoints::parse(bp)));
    errors.finish(())?;
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(email) = billing_email {
        row.billing_email = Set(email.map(|e| e.as_str().to_owned()));
    }
    if let Some(address) = billing_address {
        row.billing_address = Set(address);
    }
    if let Some(price) = standard_price {
        row.price_standard_cents = Set(price.get());
    }
    if let Some(price) = learning_price {
        row.price_learning_cents = Set(price.get());
    }
    if let Some(rate) = vat_rate {
        row.vat_rate_bp = Set(rate.get());
    }
    if let Some(visibility) = changes.ticket_visibility {
        row.ticket_visibility = Set(visibility);
    }
    if let Some(mode) = changes.billing_mode {
        row.billing_mode = Set(mode);
    }
    if let Some(locale) = changes.locale {
        row.locale = Set(locale);
    }
    Ok(())
}
