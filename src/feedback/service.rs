//! Sending feedback: one row, written as the viewer, for its organisation.

use entity::feedback;
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;

use crate::domain::multi_line;
use crate::error::{AppError, AppResult};
use crate::policy::Scope;
use crate::state::AppState;

/// Records `message` (1 to 5,000 characters) from the viewer of `scope`.
pub async fn give_feedback(
    state: &AppState,
    scope: &Scope,
    message: &str,
) -> AppResult<feedback::Model> {
    let viewer = scope.viewer();
    let message = multi_line(message, 5_000).map_err(|m| AppError::validation("message", m))?;
    Ok(feedback::ActiveModel {
        organisation_id: Set(viewer.organisation_id),
        author_id: Set(viewer.user_id),
        message: Set(message),
        created_at: Set(state.clock.now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?)
}
