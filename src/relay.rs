//! Relay plumbing shared by every list: global object ids, cursor-based
//! (keyset) pagination with `first/after/last/before`, and a lazily counted
//! `totalCount`.
//!
//! Keyset rather than offset: a page costs the same at any depth, and rows
//! inserted while a client pages do not shift what it sees.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{ID, Object, OutputType};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, ExprTrait as _, IntoCondition, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryResult,
    Value,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, Invalid};
use crate::policy::{Scoped, Window};

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;
/// The page size when the client names none.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes a global object id (`node(id:)`) from a type name and a row id.
pub fn to_global_id(type_name: &str, id: i64) -> ID {
    ID(B64.encode(format!("{type_name}:{id}")))
}

/// Decodes a global object id into its type name and row id.
pub fn from_global_id(id: &ID) -> Option<(String, i64)> {
    let bytes = B64.decode(id.as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (type_name, raw) = text.split_once(':')?;
    let row_id: i64 = raw.parse().ok()?;
    // One object, one id: `Ticket:007` and `Ticket:+7` are not `Ticket:7`.
    if row_id.to_string() != raw {
        return None;
    }
    Some((type_name.to_owned(), row_id))
}

/// Decodes a global id that must be of `type_name`; anything else is a
/// VALIDATION error naming `field`.
pub fn parse_global_id(id: &ID, type_name: &str, field: &str) -> AppResult<i64> {
    match from_global_id(id) {
        Some((found, row_id)) if found == type_name => Ok(row_id),
        _ => Err(AppError::validation(
            field,
            Invalid::format(format!("not a {type_name} id")),
        )),
    }
}

/// The complexity of one page of a connection: its child selection's
/// complexity times the number of items the page may hold (`first` or
/// `last`, within `0..=MAX_PAGE_SIZE`, or the default size). Every paged
/// field names it in its `complexity` attribute, so that a nested list
/// weighs what it may return.
pub fn page_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(0, MAX_PAGE_SIZE);
    usize::try_from(size)
        .unwrap_or(0)
        .saturating_mul(child_complexity)
}

/// Pagination arguments, checked.
#[derive(Debug, Clone)]
pub struct PageArgs {
    limit: u64,
    backward: bool,
    cursor: Option<CursorKey>,
}

impl PageArgs {
    /// Checks Relay's arguments: `first` with `after`, or `last` with
    /// `before`; sizes within `0..=MAX_PAGE_SIZE`.
    pub fn parse(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Self> {
        let check_size = |field: &str, n: i32| {
            if (0..=MAX_PAGE_SIZE).contains(&n) {
                Ok(n as u64)
            } else {
                Err(AppError::validation(
                    field,
                    Invalid::out_of_range(format!("must be between 0 and {MAX_PAGE_SIZE}"))
                        .param("min", 0)
                        .param("max", MAX_PAGE_SIZE),
                ))
            }
        };
        if first.is_some() && last.is_some() {
            return Err(AppError::validation(
                "last",
                Invalid::not_allowed("use either first or last, not both"),
            ));
        }
        if after.is_some() && before.is_some() {
            return Err(AppError::validation(
                "before",
                Invalid::not_allowed("use either after or before, not both"),
            ));
        }
        let backward = last.is_some() || (before.is_some() && first.is_none());
        let limit = match (first, last) {
            (Some(n), _) => check_size("first", n)?,
            (_, Some(n)) => check_size("last", n)?,
            _ => DEFAULT_PAGE_SIZE as u64,
        };
        let (cursor_field, raw) = if backward {
            ("before", before)
        } else {
            ("after", after)
        };
        let cursor = raw
            .map(|c| {
                CursorKey::decode(&c).ok_or_else(|| {
                    AppError::validation(cursor_field, Invalid::format("not a valid cursor"))
                })
            })
            .transpose()?;
        Ok(Self {
            limit,
            backward,
            cursor,
        })
    }
}

impl PageArgs {
    /// The page as the first or last `n` of a list, when it starts at one
    /// end (no cursor) and holds something: such a page can be cut in SQL
    /// for many lists at once (see [`crate::policy::Window`]) and built
    /// with [`page_of_window`].
    pub fn window(&self) -> Option<Window> {
        (self.cursor.is_none() && self.limit > 0).then_some(Window {
            n: self.limit,
            from_end: self.backward,
        })
    }
}

/// A sort value as kept in a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SortValue {
    Int(i64),
    Time(DateTime<Utc>),
    Text(String),
}

impl SortValue {
    fn kind(&self) -> SortKind {
        match self {
            SortValue::Int(_) => SortKind::Int,
            SortValue::Time(_) => SortKind::Time,
            SortValue::Text(_) => SortKind::Text,
        }
    }
}

impl From<SortValue> for Value {
    fn from(value: SortValue) -> Self {
        match value {
            SortValue::Int(v) => v.into(),
            SortValue::Time(v) => v.into(),
            SortValue::Text(v) => v.into(),
        }
    }
}

/// What a cursor encodes: the list's sort column, the sort value and the
/// id of the row it points at. The column ties a cursor to its kind of
/// list: another list's cursor is refused, not compared with the wrong type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CursorKey(String, SortValue, i64);

/// The sort "column" of lists loaded whole and paged by id.
const LOADED_LIST: &str = "position";

impl PageArgs {
    /// Refuses a cursor made for a list sorted by another column, or
    /// holding a value of another type than the column's (`kind`, when
    /// known): compared in SQL, it would fail on PostgreSQL, not match.
    fn check_cursor(&self, column: &str, kind: Option<SortKind>) -> AppResult<()> {
        match &self.cursor {
            Some(CursorKey(made_for, value, _))
                if made_for != column || kind.is_some_and(|kind| value.kind() != kind) =>
            {
                Err(AppError::validation(
                    if self.backward { "before" } else { "after" },
                    Invalid::not_allowed("this cursor belongs to another list"),
                ))
            }
            _ => Ok(()),
        }
    }
}

impl CursorKey {
    fn encode(&self) -> String {
        B64.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The key `cursor` encodes, if it is one this module made: a text
    /// value never holds NUL (no stored text does, and PostgreSQL refuses
    /// it in a query).
    fn decode(cursor: &str) -> Option<Self> {
        let key: Self = serde_json::from_slice(&B64.decode(cursor).ok()?).ok()?;
        match &key.1 {
            SortValue::Text(text) if text.contains('\0') => None,
            _ => Some(key),
        }
    }
}

/// How a list is ordered: one sort column, then the id as a tie-breaker.
pub struct SortKey<E: EntityTrait> {
    pub column: E::Column,
    pub id: E::Column,
    pub descending: bool,
    /// The sort value of a row, for its cursor.
    pub value_of: fn(&E::Model) -> SortValue,
}

/// The `totalCount` of a connection: known already for a list loaded
/// whole, or counted only when a client asks for it.
pub enum TotalCount {
    Known(u64),
    Lazy(Arc<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>),
}

#[Object]
impl TotalCount {
    /// The number of items in the whole list (all pages), as the viewer may see it.
    async fn total_count(&self) -> AppResult<u64> {
        match self {
            Self::Known(count) => Ok(*count),
            Self::Lazy(count) => count().await,
        }
    }
}

/// A Relay connection with `totalCount`.
pub type Page<N> = Connection<String, N, TotalCount>;

/// Runs one page of `select` and wraps each row with `wrap`.
///
/// `select` is a [`Scoped`] select, handed out by the policy module with
/// the viewer's condition; a bare SeaORM `Select` is refused at compile
/// time:
///
/// ```compile_fail,E0308
/// # use partnerdesk::relay::{self, PageArgs, SortKey, SortValue};
/// # use sea_orm::EntityTrait as _;
/// # use entity::tickets;
/// # async fn page(db: &sea_orm::DatabaseConnection) -> partnerdesk::error::AppResult<()> {
/// # let key = SortKey::<tickets::Entity> {
/// #     column: tickets::Column::CreatedAt,
/// #     id: tickets::Column::Id,
/// #     descending: true,
/// #     value_of: |row| SortValue::Time(row.created_at),
/// # };
/// # let args = PageArgs::parse(Some(10), None, None, None)?;
/// let page = relay::paginate(db, tickets::Entity::find(), key, args, |row| row.id).await?;
/// # Ok(())
/// # }
/// ```
///
/// The same call with the viewer's scope compiles:
///
/// ```
/// # use partnerdesk::relay::{self, PageArgs, SortKey, SortValue};
/// # use sea_orm::EntityTrait as _;
/// # use entity::tickets;
/// # use partnerdesk::policy::Scope;
/// # async fn page(db: &sea_orm::DatabaseConnection, scope: &Scope) -> partnerdesk::error::AppResult<()> {
/// # let key = SortKey::<tickets::Entity> {
/// #     column: tickets::Column::CreatedAt,
/// #     id: tickets::Column::Id,
/// #     descending: true,
/// #     value_of: |row| SortValue::Time(row.created_at),
/// # };
/// # let args = PageArgs::parse(Some(10), None, None, None)?;
/// let page = relay::paginate(db, scope.tickets(), key, args, |row| row.id).await?;
/// # Ok(())
/// # }
/// ```
pub async fn paginate<E, N>(
    db: &DatabaseConnection,
    select: Scoped<E>,
    key: SortKey<E>,
    args: PageArgs,
    wrap: impl Fn(E::Model) -> N,
) -> AppResult<Page<N>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    N: OutputType,
{
    paginate_joined(db, select, key, args, Joined::nothing(), |row, ()| {
        wrap(row)
    })
    .await
}

/// What a joined select of the policy module reads with each row of a
/// page (e.g. [`Scoped::with_relations`] for tickets): how to add it to the
/// page's select (not to its `totalCount`), and how to read it from each
/// result row.
pub struct Joined<E: EntityTrait, X> {
    join: Box<dyn FnOnce(Scoped<E>) -> Scoped<E> + Send>,
    read: ReadJoined<X>,
}

/// How [`Joined`] reads its rows from a result row.
type ReadJoined<X> = Box<dyn Fn(&QueryResult) -> Result<X, DbErr> + Send + Sync>;

impl<E: EntityTrait> Joined<E, ()> {
    /// Nothing besides the rows.
    pub fn nothing() -> Self {
        Self::new(|select| select, |_| Ok(()))
    }
}

impl<E: EntityTrait, X> Joined<E, X> {
    pub fn new(
        join: impl FnOnce(Scoped<E>) -> Scoped<E> + Send + 'static,
        read: impl Fn(&QueryResult) -> Result<X, DbErr> + Send + Sync + 'static,
    ) -> Self {
        Self {
            join: Box::new(join),
            read: Box::new(read),
        }
    }
}

/// [`paginate`], each row read with what `joined` adds to the page's
/// statement, handed to `wrap` with it.
pub async fn paginate_joined<E, N, X>(
    db: &DatabaseConnection,
    select: Scoped<E>,
    key: SortKey<E>,
    args: PageArgs,
    joined: Joined<E, X>,
    wrap: impl Fn(E::Model, X) -> N,
) -> AppResult<Page<N>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    N: OutputType,
{
    let column_name = sea_orm::IdenStatic::as_str(&key.column).to_owned();
    let order = PageOrder {
        name: column_name,
        kind: column_kind(&key.column),
        // Qualified: a joined select reads other tables with columns of
        // the same name.
        expr: Expr::col((key.column.entity_name(), key.column)),
        id: key.id,
        descending: key.descending,
    };
    let (total, query) = order.page_query(db, select, &args)?;
    let value_of = key.value_of;
    let rows = (joined.join)(query)
        .all_reading(db, |row| (joined.read)(row))
        .await?
        .into_iter()
        .map(|(row, extra)| {
            let value = value_of(&row);
            (row, value, extra)
        })
        .collect();
    Ok(order.assemble(rows, total, &args, wrap))
}

/// How a list is ordered by a value computed in SQL (a CASE over a status,
/// a scoped subquery over a related row), then by id. The value must never
/// be NULL: a missing one is coalesced to a sentinel of the order's choice,
/// which decides where such rows go.
pub struct SortExpr<E: EntityTrait> {
    /// Names the order in its cursors, so that a cursor of another order
    /// is refused.
    pub name: &'static str,
    pub expr: SimpleExpr,
    /// The SQL type of `expr`.
    pub kind: SortKind,
    pub id: E::Column,
    pub descending: bool,
}

/// The type of a [`SortExpr`]'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    Int,
    Time,
    Text,
}

/// [`paginate`] by a computed value: each page reads the value with its
/// rows (for the cursors) in the same statement.
pub async fn paginate_by<E, N>(
    db: &DatabaseConnection,
    select: Scoped<E>,
    key: SortExpr<E>,
    args: PageArgs,
    wrap: impl Fn(E::Model) -> N,
) -> AppResult<Page<N>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    N: OutputType,
{
    let order = PageOrder {
        name: key.name.to_owned(),
        kind: Some(key.kind),
        expr: key.expr,
        id: key.id,
        descending: key.descending,
    };
    let (total, query) = order.page_query(db, select, &args)?;
    let kind = key.kind;
    let rows = query
        .with_value(order.expr.clone())
        .all_reading(db, |row| {
            Ok(match kind {
                SortKind::Int => SortValue::Int(Scoped::<E>::value(row)?),
                SortKind::Time => SortValue::Time(Scoped::<E>::value(row)?),
                SortKind::Text => SortValue::Text(Scoped::<E>::value(row)?),
            })
        })
        .await?
        .into_iter()
        .map(|(row, value)| (row, value, ()))
        .collect();
    Ok(order.assemble(rows, total, &args, |row, ()| wrap(row)))
}

/// What [`paginate`] and [`paginate_by`] share: the sort, the cursor's
/// condition, the page's limit, and the connection built from the rows.
struct PageOrder<E: EntityTrait> {
    name: String,
    /// The type of the sort value, when known.
    kind: Option<SortKind>,
    expr: SimpleExpr,
    id: E::Column,
    descending: bool,
}

impl<E: EntityTrait> PageOrder<E>
where
    E::Model: FromQueryResult + Send + Sync,
{
    /// The lazy `totalCount` of `select`, and the select of one page (one
    /// row more than the page, to know whether another follows).
    fn page_query(
        &self,
        db: &DatabaseConnection,
        select: Scoped<E>,
        args: &PageArgs,
    ) -> AppResult<(TotalCount, Scoped<E>)> {
        args.check_cursor(&self.name, self.kind)?;
        let count_select = select.clone();
        let count_db = db.clone();
        let total = TotalCount::Lazy(Arc::new(move || {
            let select = count_select.clone();
            let db = count_db.clone();
            Box::pin(async move { Ok(select.total(&db).await?) })
        }));
        // Walking backward is walking forward in the reverse order.
        let descending = self.descending != args.backward;
        let (order, after_op_is_gt) = if descending {
            (sea_orm::Order::Desc, false)
        } else {
            (sea_orm::Order::Asc, true)
        };
        let mut query = select;
        if let Some(CursorKey(_, value, id)) = args.cursor.clone() {
            query = query.filter(after_condition(
                self.expr.clone(),
                self.id,
                value.into(),
                id,
                after_op_is_gt,
            ));
        }
        let query = query
            .order_by_expr(self.expr.clone(), order.clone())
            .order_by(self.id, order)
            .limit(args.limit + 1);
        Ok((total, query))
    }

    fn assemble<N: OutputType, X>(
        &self,
        mut rows: Vec<(E::Model, SortValue, X)>,
        total: TotalCount,
        args: &PageArgs,
        wrap: impl Fn(E::Model, X) -> N,
    ) -> Page<N> {
        let has_more = rows.len() as u64 > args.limit;
        rows.truncate(args.limit as usize);
        if args.backward {
            rows.reverse();
        }
        let (has_previous, has_next) = if args.backward {
            (has_more, args.cursor.is_some())
        } else {
            (args.cursor.is_some(), has_more)
        };
        let mut connection = Connection::with_additional_fields(has_previous, has_next, total);
        connection
            .edges
            .extend(rows.into_iter().map(|(row, value, extra)| {
                let cursor =
                    CursorKey(self.name.clone(), value, row_id::<E>(&row, self.id)).encode();
                Edge::new(cursor, wrap(row, extra))
            }));
        connection
    }
}

/// One page of a short list already loaded whole (in its order), such as a
/// ticket's comments fetched by a DataLoader for a whole page of tickets.
/// Cursors hold the row id.
pub fn paginate_loaded<M, N: OutputType>(
    rows: Vec<M>,
    args: PageArgs,
    id_of: impl Fn(&M) -> i64,
    wrap: impl Fn(M) -> N,
) -> AppResult<Page<N>> {
    args.check_cursor(LOADED_LIST, Some(SortKind::Int))?;
    let total = rows.len() as u64;
    let position = |id: i64| rows.iter().position(|row| id_of(row) == id);
    let limit = args.limit as usize;
    let (start, end) = match (&args.cursor, args.backward) {
        (None, false) => (0, limit.min(rows.len())),
        (Some(CursorKey(_, _, id)), false) => {
            let start = position(*id).map_or(rows.len(), |p| p + 1);
            (start, (start + limit).min(rows.len()))
        }
        (cursor, true) => {
            let end = cursor
                .as_ref()
                .map_or(rows.len(), |CursorKey(_, _, id)| position(*id).unwrap_or(0));
            (end.saturating_sub(limit), end)
        }
    };
    let has_previous = start > 0;
    let has_next = end < rows.len();
    let mut connection =
        Connection::with_additional_fields(has_previous, has_next, TotalCount::Known(total));
    connection
        .edges
        .extend(rows.into_iter().skip(start).take(end - start).map(|row| {
            let id = id_of(&row);
            Edge::new(
                CursorKey(LOADED_LIST.to_owned(), SortValue::Int(id), id).encode(),
                wrap(row),
            )
        }));
    Ok(connection)
}

/// The page [`PageArgs::window`] describes, from the rows of that window
/// (in the list's order) and the length of the whole list: the same page,
/// cursors and all, as [`paginate_loaded`] makes from the whole list.
pub fn page_of_window<M, N: OutputType>(
    rows: Vec<M>,
    total: u64,
    args: &PageArgs,
    id_of: impl Fn(&M) -> i64,
    wrap: impl Fn(M) -> N,
) -> Page<N> {
    let more = total > rows.len() as u64;
    let (has_previous, has_next) = if args.backward {
        (more, false)
    } else {
        (false, more)
    };
    let mut connection =
        Connection::with_additional_fields(has_previous, has_next, TotalCount::Known(total));
    connection.edges.extend(rows.into_iter().map(|row| {
        let id = id_of(&row);
        Edge::new(
            CursorKey(LOADED_LIST.to_owned(), SortValue::Int(id), id).encode(),
            wrap(row),
        )
    }));
    connection
}

fn row_id<E: EntityTrait>(row: &E::Model, id: E::Column) -> i64
where
    E::Model: sea_orm::ModelTrait<Entity = E>,
{
    match sea_orm::ModelTrait::get(row, id) {
        Value::BigInt(Some(v)) => v,
        Value::Int(Some(v)) => i64::from(v),
        _ => 0,
    }
}

/// `(sort, id) > (value, id0)` (or `<`), written out so that both SQLite
/// and PostgreSQL use the sort index.
/// The type of a sort column's values, from its definition: `None` for a
/// type no list sorts by yet.
fn column_kind<C: ColumnTrait>(column: &C) -> Option<SortKind> {
    use sea_orm::sea_query::ColumnType as T;
    match column.def().get_column_type() {
        T::TinyInteger
        | T::SmallInteger
        | T::Integer
        | T::BigInteger
        | T::TinyUnsigned
        | T::SmallUnsigned
        | T::Unsigned
        | T::BigUnsigned => Some(SortKind::Int),
        T::Char(_) | T::String(_) | T::Text => Some(SortKind::Text),
        T::DateTime | T::Timestamp | T::TimestampWithTimeZone => Some(SortKind::Time),
        _ => None,
    }
}

fn after_condition<C: ColumnTrait>(
    sort: SimpleExpr,
    id: C,
    value: Value,
    id0: i64,
    gt: bool,
) -> Condition {
    let (strict, tie) = if gt {
        (sort.clone().gt(value.clone()), id.gt(id0))
    } else {
        (sort.clone().lt(value.clone()), id.lt(id0))
    };
    Condition::any()
        .add(strict)
        .add(Condition::all().add(sort.eq(value)).add(tie))
        .into_condition()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip() {
        let id = to_global_id("Ticket", 42);
        assert_eq!(from_global_id(&id), Some(("Ticket".to_owned(), 42)));
        assert_eq!(parse_global_id(&id, "Ticket", "id").ok(), Some(42));
        assert!(parse_global_id(&id, "Invoice", "id").is_err());
        assert!(from_global_id(&ID("garbage!".into())).is_none());
        // Found by the property below: a sign or leading zeros made a second
        // id of the same object.
        for alias in ["Ticket:+42", "Ticket:042", "Ticket: 42"] {
            let id = ID(B64.encode(alias));
            assert_eq!(from_global_id(&id), None, "{alias}");
        }
    }

    #[test]
    fn a_cursor_of_another_type_or_holding_nul_is_refused() {
        let nul = CursorKey("name".into(), SortValue::Text("a\0b".into()), 1).encode();
        assert_eq!(CursorKey::decode(&nul), None);
        let int = CursorKey("created_at".into(), SortValue::Int(5), 1).encode();
        let args = PageArgs::parse(Some(10), Some(int), None, None).expect("a cursor");
        assert!(
            args.check_cursor("created_at", Some(SortKind::Time))
                .is_err()
        );
        assert!(args.check_cursor("created_at", Some(SortKind::Int)).is_ok());
        assert!(args.check_cursor("created_at", None).is_ok());
        assert!(args.check_cursor("name", Some(SortKind::Int)).is_err());
    }

    proptest::proptest! {
        /// Every id decodes to what it was made of.
        #[test]
        fn global_ids_round_trip_for_every_row(type_name in "[A-Z][A-Za-z]{0,20}", row in proptest::num::i64::ANY) {
            let id = to_global_id(&type_name, row);
            proptest::prop_assert_eq!(from_global_id(&id), Some((type_name, row)));
        }

        /// Any string: no panic; what decodes is the one id of its object.
        #[test]
        fn a_decoded_global_id_is_canonical(
            raw in "\\PC{0,40}|[A-Za-z0-9_-]{0,40}",
            decoded in "[A-Za-z]{0,8}:?[-+ 0]{0,2}[0-9]{0,20}[ :]?",
            encode in proptest::bool::ANY,
        ) {
            let text = if encode { B64.encode(&decoded) } else { raw };
            let id = ID(text.clone());
            if let Some((type_name, row)) = from_global_id(&id) {
                proptest::prop_assert_eq!(to_global_id(&type_name, row).0, text);
            }
        }

        /// Any bytes behind a well-formed base64: no panic.
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let text = B64.encode(&bytes);
            let _ = from_global_id(&ID(text.clone()));
            let _ = CursorKey::decode(&text);
        }

        /// Every cursor decodes to its key; any string is refused or
        /// decoded, never a panic.
        #[test]
        fn cursors_round_trip_and_arbitrary_ones_are_refused_cleanly(
            column in "[a-z_]{1,20}",
            int in proptest::num::i64::ANY,
            text in "\\PC{0,30}",
            secs in 0i64..4_102_444_800,
            id in proptest::num::i64::ANY,
            garbage in "\\PC{0,60}|[A-Za-z0-9_-]{0,80}",
        ) {
            let time = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            for value in [SortValue::Int(int), SortValue::Text(text.clone()), SortValue::Time(time)] {
                let key = CursorKey(column.clone(), value, id);
                proptest::prop_assert_eq!(CursorKey::decode(&key.encode()), Some(key));
            }
            let _ = CursorKey::decode(&garbage);
            let parsed = PageArgs::parse(Some(10), Some(garbage.clone()), None, None);
            if let Err(err) = parsed {
                proptest::prop_assert_eq!(err.code(), "VALIDATION");
            }
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert!(PageArgs::parse(Some(101), None, None, None).is_err());
        assert!(PageArgs::parse(Some(-1), None, None, None).is_err());
        assert!(PageArgs::parse(Some(100), None, None, None).is_ok());
        assert!(PageArgs::parse(Some(1), None, Some(1), None).is_err());
        assert!(PageArgs::parse(None, Some("nope".into()), None, None).is_err());
    }

    #[test]
    fn cursors_round_trip() {
        let key = CursorKey("name".into(), SortValue::Text("Acme".into()), 7);
        assert_eq!(CursorKey::decode(&key.encode()), Some(key));
    }
}
