//! Rows in PostgreSQL's `COPY … FROM STDIN` text format: the generator's
//! fast path on PostgreSQL, where a multi-row `INSERT` costs the server a
//! parse, a plan and a bound parameter per value.
//!
//! Invariants:
//! - a row holds exactly the values of its active model, column by column
//!   in the entity's order, so that COPY writes what `insert_many` would
//!   (the same seed gives the same rows on either backend);
//! - every value is escaped as the text format requires (backslash, tab,
//!   newline, carriage return), `NULL` is `\N`;
//! - a value of a type the generator never writes is an error, not a
//!   guess.

use std::fmt::Write as _;

use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::{ActiveModelTrait, EntityName as _, EntityTrait, IdenStatic as _, Iterable as _};

use crate::error::{AppError, AppResult};

/// One table's rows, ready for `COPY`.
#[derive(Debug)]
pub struct CopyTable {
    /// `COPY "table" ("a", "b", …) FROM STDIN`.
    pub statement: String,
    /// The rows, one line each.
    pub data: Vec<u8>,
    pub rows: u64,
}

/// Encodes `rows` (every column set) for `COPY`.
pub fn encode<A>(rows: &[A]) -> AppResult<CopyTable>
where
    A: ActiveModelTrait,
{
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <A::Entity as EntityTrait>::Column::iter().collect();
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let statement = format!(
        "COPY \"{}\" ({}) FROM STDIN",
        A::Entity::default().table_name(),
        names.join(", ")
    );
    let mut data = String::with_capacity(rows.len() * 160);
    for row in rows {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                data.push('\t');
            }
            let value = row.get(*column).into_value().ok_or_else(|| {
                AppError::internal(anyhow::anyhow!(
                    "generated row without a value for {}.{}",
                    A::Entity::default().table_name(),
                    column.as_str()
                ))
            })?;
            push_value(&mut data, value)?;
        }
        data.push('\n');
    }
    Ok(CopyTable {
        statement,
        data: data.into_bytes(),
        rows: rows.len() as u64,
    })
}

/// Appends one value in the text format.
fn push_value(out: &mut String, value: Value) -> AppResult<()> {
    const NULL: &str = "\\N";
    // Writing into a String cannot fail.
    let _ = match value {
        Value::Bool(v) => {
            out.push_str(v.map_or(NULL, |b| if b { "t" } else { "f" }));
            Ok(())
        }
        Value::SmallInt(Some(v)) => write!(out, "{v}"),
        Value::Int(Some(v)) => write!(out, "{v}"),
        Value::BigInt(Some(v)) => write!(out, "{v}"),
        Value::String(Some(v)) => {
            push_text(out, &v);
            Ok(())
        }
        Value::Enum(OptionEnum::Some(v)) => {
            push_text(out, &v.value);
            Ok(())
        }
        // Microseconds, as PostgreSQL keeps them (and as a bound value
        // is sent); the generator's times are whole seconds anyway.
        Value::ChronoDateTimeUtc(Some(v)) => {
            write!(out, "{}", v.format("%Y-%m-%d %H:%M:%S%.6f+00"))
        }
        Value::ChronoDate(Some(v)) => write!(out, "{}", v.format("%Y-%m-%d")),
        Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Enum(OptionEnum::None(_))
        | Value::ChronoDateTimeUtc(None)
        | Value::ChronoDate(None) => {
            out.push_str(NULL);
            Ok(())
        }
        other => {
            return Err(AppError::internal(anyhow::anyhow!(
                "no COPY text for a generated value of {other:?}"
            )));
        }
    };
    Ok(())
}

/// Appends `text`, escaped as the text format requires.
fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone as _, Utc};
    use entity::enums::{CommentVisibility, TicketEventKind, TicketStatus};
    use entity::{comments, invoices, ticket_events};
    use sea_orm::ActiveValue::Set;
    use sea_orm::IntoActiveModel as _;

    use super::*;

    #[test]
    fn text_values_are_escaped_and_nulls_marked() {
        let row = ticket_events::Model {
            id: 7,
            organisation_id: 2,
            ticket_id: 3,
            actor_id: None,
            kind: TicketEventKind::StatusChanged,
            from_status: Some(TicketStatus::Review),
            to_status: None,
            note: Some("tab\there, line\nthere, back\\slash\r".to_owned()),
            note_template: None,
            note_param: None,
            created_at: Utc
                .with_ymd_and_hms(2026, 3, 4, 5, 6, 7)
                .single()
                .expect("a time"),
        }
        .into_active_model()
        .reset_all();
        let table = encode(&[row]).expect("encoded");
        assert_eq!(
            table.statement,
            "COPY \"ticket_events\" (\"id\", \"organisation_id\", \"ticket_id\", \"actor_id\", \
             \"kind\", \"from_status\", \"to_status\", \"note\", \"note_template\", \
             \"note_param\", \"created_at\") FROM STDIN"
        );
        assert_eq!(
            String::from_utf8(table.data).expect("utf-8"),
            "7\t2\t3\t\\N\tSTATUS_CHANGED\tREVIEW\t\\N\t\
             tab\\there, line\\nthere, back\\\\slash\\r\t\\N\t\\N\t\
             2026-03-04 05:06:07.000000+00\n"
        );
        assert_eq!(table.rows, 1);
    }

    #[test]
    fn dates_and_every_row_are_written() {
        let comment = |id| comments::ActiveModel {
            id: Set(id),
            organisation_id: Set(2),
            ticket_id: Set(1),
            author_id: Set(5),
            body: Set("Grüezi".to_owned()),
            visibility: Set(CommentVisibility::Internal),
            created_at: Set(Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("a time")),
        };
        let table = encode(&[comment(1), comment(2)]).expect("encoded");
        assert_eq!(table.rows, 2);
        assert_eq!(
            String::from_utf8(table.data)
                .expect("utf-8")
                .lines()
                .count(),
            2
        );

        let invoice = invoices::ActiveModel {
            period_start: Set(NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date")),
            ..Default::default()
        };
        assert!(encode(&[invoice]).is_err(), "an unset column is no NULL");

        let mut out = String::new();
        push_value(
            &mut out,
            Value::ChronoDate(NaiveDate::from_ymd_opt(2026, 3, 31)),
        )
        .expect("a date");
        push_value(&mut out, Value::Bool(Some(true))).expect("a bool");
        push_value(&mut out, Value::ChronoDate(None)).expect("no date");
        assert_eq!(out, "2026-03-31t\\N");
        assert!(push_value(&mut out, Value::Double(Some(1.5))).is_err());
    }
}
