//! Users: reading them through the viewer's scope, creating them,
//! deactivating and reactivating them, and their staff notifications.

use chrono::{DateTime, Utc};
use entity::enums::{Locale, OrganisationKind, ResetPurpose, Role};
use entity::{password_reset_tokens, user_profiles, users};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
};

use crate::auth;
use crate::domain::{DisplayName, Email, NewPassword};
use crate::error::{AppError, AppResult, FieldErrors, Invalid};
use crate::policy::Scope;
use crate::state::AppState;

/// A new user, parsed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub organisation_id: i64,
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub locale: Locale,
    /// With no initial password, an invitation email lets the user set one.
    pub password: Option<NewPassword>,
}

/// Raw input of `createUser`, as typed by the client.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub organisation_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub locale: Option<Locale>,
    pub password: Option<String>,
}

impl NewUserInput {
    /// Parses every field, reporting every invalid one at once.
    pub fn parse(self) -> AppResult<NewUser> {
        let mut errors = FieldErrors::new();
        let email = errors.check("input.email", Email::parse(&self.email));
        let display_name =
            errors.check("input.displayName", DisplayName::parse(&self.display_name));
        let password = self.password.as_deref().and_then(|raw| {
            let login = email.as_ref().map_or("", Email::as_str);
            errors.check("input.password", NewPassword::parse(raw, login))
        });
        let (Some(email), Some(display_name)) = (email, display_name) else {
            return Err(errors.into_error());
        };
        errors.finish(NewUser {
            organisation_id: self.organisation_id,
            email,
            display_name,
            role: self.role,
            locale: self.locale.unwrap_or(Locale::Fr),
            password,
        })
    }
}

fn is_partner_role(role: Role) -> bool {
    matches!(role, Role::PartnerMember | Role::PartnerManager)
}

/// Creates a user, as the viewer of `scope`: ADMIN any role (staff roles in
/// the provider, partner roles in partners), PARTNER_MANAGER partner roles
/// in its own organisation. Sends an invitation when no password is given.
pub async fn create_user(
    state: &AppState,
    scope: &Scope,
    input: NewUserInput,
) -> AppResult<user_profiles::Model> {
    let viewer = scope.viewer();
    if !(viewer.is_admin() || viewer.is_partner_manager()) {
        return Err(AppError::forbidden(
            "only administrators and partner managers create users",
        ));
    }
    let organisation = scope.organisation(&state.db, input.organisation_id).await?;
    if !viewer.is_admin() && !is_partner_role(input.role) {
        return Err(AppError::forbidden(
            "partner managers create partner users only",
        ));
    }
    let new_user = input.parse()?;
    let fits = match organisation.kind {
        OrganisationKind::Partner => is_partner_role(new_user.role),
        OrganisationKind::Provider => !is_partner_role(new_user.role),
    };
    if !fits {
        return Err(AppError::validation(
            "input.role",
            Invalid::not_allowed(
                "partner roles belong to partner organisations, staff roles to the provider",
            ),
        ));
    }
    let hash = match &new_user.password {
        Some(password) => Some(state.hasher.hash(password.expose()).await?),
        None => None,
    };
    let txn = state.db.begin().await?;
    let user =
        user_profiles::Model::from(insert_user(&txn, &new_user, hash, state.clock.now()).await?);
    if new_user.password.is_none() {
        auth::service::send_password_link(&txn, state, &user, ResetPurpose::Invite).await?;
    }
    txn.commit().await?;
    Ok(user)
}

/// Inserts a user row; a taken email is a VALIDATION error on `input.email`
/// (README: a taken email or organisation name is a VALIDATION error).
pub async fn insert_user(
    db: &impl ConnectionTrait,
    new_user: &NewUser,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<users::Model> {
    let taken = crate::policy::system::user_by_email(db, new_user.email.as_str())
        .await?
        .is_some();
    if taken {
        return Err(AppError::validation(
            "input.email",
            Invalid::taken("is already used by another account"),
        ));
    }
    let inserted = users::ActiveModel {
        organisation_id: Set(new_user.organisation_id),
        email: Set(new_user.email.as_str().to_owned()),
        display_name: Set(new_user.display_name.clone().into_inner()),
        password_hash: Set(password_hash),
        role: Set(new_user.role),
        locale: Set(new_user.locale),
        is_active: Set(true),
        token_version: Set(0),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(AppError::validation(
                "input.email",
                Invalid::taken("is already used by another account"),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deactivates (revoking every token) or reactivates a user. ADMIN may do
/// so for anyone, PARTNER_MANAGER for its organisation's partner users;
/// nobody for themselves.
pub async fn set_user_active(
    state: &AppState,
    scope: &Scope,
    user_id: i64,
    active: bool,
) -> AppResult<user_profiles::Model> {
    let viewer = scope.viewer();
    let user = scope.user(&state.db, user_id).await?;
    if !(viewer.is_admin() || viewer.is_partner_manager()) {
        return Err(AppError::forbidden(
            "only administrators and partner managers manage users",
        ));
    }
    if !viewer.is_admin() && !is_partner_role(user.role) {
        return Err(AppError::forbidden(
            "partner managers manage partner users only",
        ));
    }
    if user.id == viewer.user_id {
        return Err(AppError::forbidden(
            "you cannot deactivate or reactivate yourself",
        ));
    }
    if user.is_active == active {
        return Ok(user);
    }
    // Deactivation revokes every token; the version is incremented in SQL,
    // so that a concurrent password change cannot undo the revocation.
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::IsActive, Expr::value(active))
        .col_expr(users::Column::UpdatedAt, Expr::value(state.clock.now()))
        .filter(users::Column::Id.eq(user.id));
    if !active {
        update = update.col_expr(
            users::Column::TokenVersion,
            Expr::col(users::Column::TokenVersion).add(1),
        );
    }
    update.exec(&state.db).await?;
    scope.user(&state.db, user.id).await
}

/// Turns the staff notifications (`staffNotifications`) of `user_id`, the
/// viewer's own when `None`, on or off. STAFF and ADMIN set their own;
/// ADMIN, who manages staff accounts, also any other STAFF or ADMIN user's.
/// Partners get FORBIDDEN; a partner user as the target is a VALIDATION
/// error on `userId` (staff notifications are for staff).
pub async fn set_staff_notifications(
    state: &AppState,
    scope: &Scope,
    user_id: Option<i64>,
    enabled: bool,
) -> AppResult<user_profiles::Model> {
    let viewer = scope.viewer();
    if !viewer.is_staff() {
        return Err(AppError::forbidden(
            "staff notifications are for the provider's staff",
        ));
    }
    let target = user_id.unwrap_or(viewer.user_id);
    if target != viewer.user_id && !viewer.is_admin() {
        return Err(AppError::forbidden(
            "only administrators set another user's staff notifications",
        ));
    }
    let user = scope.user(&state.db, target).await?;
    if is_partner_role(user.role) {
        return Err(AppError::validation(
            "userId",
            Invalid::not_allowed("staff notifications are for STAFF and ADMIN users"),
        ));
    }
    if user.staff_notifications == enabled {
        return Ok(user);
    }
    users::Entity::update_many()
        .col_expr(users::Column::StaffNotifications, Expr::value(enabled))
        .col_expr(users::Column::UpdatedAt, Expr::value(state.clock.now()))
        .filter(users::Column::Id.eq(user.id))
        .exec(&state.db)
        .await?;
    scope.user(&state.db, user.id).await
}

/// A user created from the command line (typically the first ADMIN).
#[derive(Debug, Clone)]
pub struct CliNewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub locale: Locale,
    /// The organisation's name; a staff organisation is created if missing.
    pub organisation: String,
    pub password: String,
}

/// Creates a user with no viewer (the command line runs with the operator's
/// authority): finds its organisation by name, creating the provider
/// organisation for a staff or admin user when there is none yet.
pub async fn create_first_user(state: &AppState, input: CliNewUser) -> AppResult<users::Model> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let organisation =
        match crate::policy::system::organisation_by_name(&txn, input.organisation.trim()).await? {
            Some(organisation) => organisation,
            None if !is_partner_role(input.role) => {
                crate::organisations::service::insert_organisation(
                    &txn,
                    crate::organisations::service::NewOrganisationInput {
                        name: input.organisation.clone(),
                        kind: OrganisationKind::Provider,
                        ticket_visibility: entity::enums::TicketVisibility::Organisation,
                        billing_mode: entity::enums::BillingMode::PerOrder,
                        billing_email: None,
                        billing_address: None,
                        standard_unit_price_cents: 0,
                        learning_unit_price_cents: 0,
                        vat_rate_basis_points: 0,
                        locale: input.locale,
                    },
                    now,
                )
                .await?
            }
            None => return Err(AppError::NotFound("organisation")),
        };
    let fits = match organisation.kind {
        OrganisationKind::Partner => is_partner_role(input.role),
        OrganisationKind::Provider => !is_partner_role(input.role),
    };
    if !fits {
        return Err(AppError::validation(
            "role",
            Invalid::not_allowed("does not fit the organisation's kind"),
        ));
    }
    let new_user = NewUserInput {
        organisation_id: organisation.id,
        email: input.email,
        display_name: input.display_name,
        role: input.role,
        locale: Some(input.locale),
        password: Some(input.password),
    }
    .parse()?;
    let password = new_user.password.clone().ok_or_else(|| {
        AppError::validation("password", Invalid::required_because("is required"))
    })?;
    let hash = state.hasher.hash(password.expose()).await?;
    let user = insert_user(&txn, &new_user, Some(hash), now).await?;
    txn.commit().await?;
    Ok(user)
}

/// Sends a new invitation to a user who has not chosen a password yet:
/// earlier links stop working, and the new one works for three days.
/// ADMIN for anyone, PARTNER_MANAGER for its organisation's partner users.
pub async fn resend_invitation(
    state: &AppState,
    scope: &Scope,
    user_id: i64,
) -> AppResult<user_profiles::Model> {
    let viewer = scope.viewer();
    let user = scope.user(&state.db, user_id).await?;
    if !(viewer.is_admin() || viewer.is_partner_manager()) {
        return Err(AppError::forbidden(
            "only administrators and partner managers invite users",
        ));
    }
    if !viewer.is_admin() && !is_partner_role(user.role) {
        return Err(AppError::forbidden(
            "partner managers manage partner users only",
        ));
    }
    if !user.invitation_pending {
        return Err(AppError::conflict(
            "this user has already chosen a password; a password reset is what they need",
        ));
    }
    if !user.is_active {
        return Err(AppError::conflict(
            "this user is deactivated; reactivate them first",
        ));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    password_reset_tokens::Entity::update_many()
        .col_expr(password_reset_tokens::Column::UsedAt, Expr::value(now))
        .filter(password_reset_tokens::Column::UserId.eq(user.id))
        .filter(password_reset_tokens::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    auth::service::send_password_link(&txn, state, &user, ResetPurpose::Invite).await?;
    txn.commit().await?;
    Ok(user)
}
