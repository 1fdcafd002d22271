//! Sending feedback: one row, written as the viewer, for its organisation,
//! and the notice to the provider's staff, in one transaction.

use entity::feedback;
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;
use sea_orm::TransactionTrait as _;

use crate::domain::multi_line;
use crate::error::{AppError, AppResult};
use crate::notifications::staff::{self, StaffNotice};
use crate::notifications::templates::StaffNews;
use crate::policy::Scope;
use crate::state::AppState;

/// Records `message` (1 to 5,000 characters) from the viewer of `scope`
/// and, when a partner sent it, tells the provider's staff, together or
/// not at all.
pub async fn give_feedback(
    state: &AppState,
    scope: &Scope,
    message: &str,
) -> AppResult<feedback::Model> {
    let viewer = scope.viewer();
    let message = multi_line(message, 5_000).map_err(|m| AppError::validation("message", m))?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let result = async {
        let row = feedback::ActiveModel {
            organisation_id: Set(viewer.organisation_id),
            author_id: Set(viewer.user_id),
            message: Set(message),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        staff::notify_staff(
            &txn,
            state.config.staff_notify_email.as_ref(),
            StaffNotice {
                author: viewer,
                organisation_id: row.organisation_id,
                news: StaffNews::Feedback {
                    message: &row.message,
                },
            },
            now,
        )
        .await?;
        Ok(row)
    }
    .await;
    match result {
        Ok(row) => {
            txn.commit().await?;
            Ok(row)
        }
        Err(e) => {
            txn.rollback().await.ok();
            Err(e)
        }
    }
}
