//! An invoice as a CSV file: what `GET /invoices/{id}.csv` serves and what
//! the invoice email carries.
//!
//! Format (stable; a column is only ever added at the end):
//! - UTF-8 with a byte-order mark, so that spreadsheet programs read
//!   accents right; RFC 4180 quoting and CRLF line ends (the `csv` crate);
//! - a header row, then one row per line of the invoice, in line order;
//! - the columns, in this order: [`COLUMNS`]. Dates are the Zurich calendar
//!   day, `YYYY-MM-DD`; amounts are CHF with two decimals and a point;
//!   `learning` is `true` or `false`;
//! - no cell becomes a formula: a value starting with `=`, `+`, `-`, `@`, a
//!   tab or a carriage return is prefixed with `'` (OWASP, CSV injection).

use std::borrow::Cow;

use entity::{invoice_lines, invoices};

use super::billing::{line_vat, zurich_date};
use crate::domain::{BasisPoints, Cents};
use crate::error::{AppError, AppResult};

/// The header row, which is also the column order.
pub const COLUMNS: [&str; 12] = [
    "invoice_number",
    "line",
    "reference",
    "internal_reference",
    "entered_on",
    "shipped_on",
    "device_model",
    "delivery_address",
    "learning",
    "amount_chf",
    "vat_chf",
    "total_chf",
];

/// The content type of the file.
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// The file name of an invoice's CSV.
pub fn file_name(invoice: &invoices::Model) -> String {
    format!("invoice-{}.csv", invoice.number)
}

/// `value`, made inert for spreadsheet programs: a leading `=`, `+`, `-`,
/// `@`, tab or carriage return would start a formula, so such a value gets a
/// leading `'`, which spreadsheets show as text and do not evaluate.
pub fn inert(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// The CSV of `invoice` with `lines` (in line order), BOM included.
pub fn render(invoice: &invoices::Model, lines: &[invoice_lines::Model]) -> AppResult<String> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    let failed = |e: csv::Error| AppError::internal(anyhow::Error::new(e).context("writing a CSV"));
    writer.write_record(COLUMNS).map_err(failed)?;
    for (position, line) in lines.iter().enumerate() {
        let amount = Cents::from_stored(line.amount_cents);
        let vat = line_vat(amount, BasisPoints::from_stored(invoice.vat_rate_bp));
        let total = amount
            .checked_add(vat)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("line {} overflows", line.id)))?;
        let row: [Cow<'_, str>; 12] = [
            invoice.number.as_str().into(),
            (position + 1).to_string().into(),
            line.reference.as_str().into(),
            line.internal_reference
                .as_deref()
                .unwrap_or_default()
                .into(),
            zurich_date(line.entered_at).to_string().into(),
            zurich_date(line.shipped_at).to_string().into(),
            line.device_model.as_str().into(),
            line.delivery_address.as_str().into(),
            if line.for_learning { "true" } else { "false" }.into(),
            amount.to_string().into(),
            vat.to_string().into(),
            total.to_string().into(),
        ];
        writer
            .write_record(row.iter().map(|cell| inert(cell).into_owned()))
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("finishing a CSV: {e}")))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use entity::enums::{BillingMode, InvoiceStatus};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a timestamp")
            .with_timezone(&Utc)
    }

    fn invoice() -> invoices::Model {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).expect("a date");
        invoices::Model {
            id: 1,
            organisation_id: 1,
            number: "2026-000042".into(),
            billing_mode: BillingMode::PerOrder,
            period_start: day,
            period_end: day,
            status: InvoiceStatus::Issued,
            currency: "CHF".into(),
            subtotal_cents: 35_000,
            vat_rate_bp: 810,
            vat_cents: 2_835,
            total_cents: 37_835,
            billing_email: None,
            billing_address: None,
            issued_at: at("2026-09-30T22:30:00Z"),
            paid_at: None,
            voided_at: None,
            void_reason: None,
            created_at: at("2026-09-30T22:30:00Z"),
        }
    }

    fn line(internal_reference: Option<&str>) -> invoice_lines::Model {
        invoice_lines::Model {
            id: 1,
            organisation_id: 1,
            invoice_id: 1,
            order_id: 1,
            ticket_id: 1,
            reference: "GEM-7".into(),
            internal_reference: internal_reference.map(str::to_owned),
            entered_at: at("2026-09-20T08:00:00Z"),
            shipped_at: at("2026-09-30T22:30:00Z"),
            device_model: "Lenovo ThinkPad T480".into(),
            delivery_address: "Zoé Müller, Rue du Lac 3, 1003 Lausanne, CH".into(),
            for_learning: true,
            amount_cents: 35_000,
            is_live: true,
            created_at: at("2026-09-30T22:30:00Z"),
        }
    }

    #[test]
    fn formulas_become_text() {
        for dangerous in ["=1+1", "+41 79", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert(dangerous), format!("'{dangerous}"));
        }
        for plain in ["GEM-1", "Dossier 4711", "", "a=b", " =x"] {
            assert_eq!(inert(plain), plain);
        }
    }

    #[test]
    fn the_file_has_a_bom_a_header_and_one_row_per_line() {
        let text = render(&invoice(), &[line(Some("Dossier 4711"))]).expect("a CSV");
        assert!(text.starts_with('\u{feff}'));
        let rows: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(rows[0], COLUMNS.join(","));
        assert_eq!(
            rows[1],
            "2026-000042,1,GEM-7,Dossier 4711,2026-09-20,2026-10-01,Lenovo ThinkPad T480,\
             \"Zoé Müller, Rue du Lac 3, 1003 Lausanne, CH\",true,350.00,28.35,378.35"
        );
        assert_eq!(rows[2], "", "the last row ends with CRLF too");
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn a_hyperlink_formula_in_a_reference_comes_out_inert_and_quoted() {
        let text = render(
            &invoice(),
            &[line(Some("=HYPERLINK(\"http://evil.example\",\"x\")"))],
        )
        .expect("a CSV");
        let mut reader =
            csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let record = reader
            .records()
            .next()
            .expect("a row")
            .expect("a valid row");
        assert_eq!(
            &record[3], "'=HYPERLINK(\"http://evil.example\",\"x\")",
            "read back exactly, as text"
        );
    }

    proptest::proptest! {
        /// Whatever the text of a line (any Unicode, quotes, separators,
        /// line breaks), the file reads back as the header and one row per
        /// line, each cell the value as written or, for a value that would
        /// start a formula, the value behind a `'`; no cell starts a formula.
        #[test]
        fn any_text_reads_back_cell_for_cell_and_never_as_a_formula(
            texts in proptest::collection::vec(
                ("\\PC{0,30}|[=+@\t\r\n,;\"' -]{0,8}[a-z0-9=\",\n]{0,8}", "\\PC{0,30}|[=+@\t\r\n,;\"' -]{0,8}", "\\PC{0,30}"),
                0..5,
            )
        ) {
            let lines: Vec<invoice_lines::Model> = texts
                .iter()
                .enumerate()
                .map(|(n, (reference, device, address))| invoice_lines::Model {
                    reference: reference.clone(),
                    internal_reference: Some(reference.clone()),
                    device_model: device.clone(),
                    delivery_address: address.clone(),
                    id: i64::try_from(n).unwrap_or_default() + 1,
                    ..line(None)
                })
                .collect();
            let csv = render(&invoice(), &lines).expect("rendered");
            let body = csv.strip_prefix('\u{feff}').expect("a BOM");
            let mut reader = ::csv::ReaderBuilder::new().has_headers(true).from_reader(body.as_bytes());
            let headers = reader.headers().expect("a header").clone();
            proptest::prop_assert_eq!(headers.iter().collect::<Vec<_>>(), COLUMNS.to_vec());
            let rows: Vec<::csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
            proptest::prop_assert_eq!(rows.len(), lines.len());
            for (row, (reference, device, address)) in rows.iter().zip(&texts) {
                for cell in row.iter() {
                    proptest::prop_assert!(
                        !matches!(cell.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                        "{:?}", cell
                    );
                }
                proptest::prop_assert_eq!(&row[2], &*inert(reference));
                proptest::prop_assert_eq!(&row[3], &*inert(reference));
                proptest::prop_assert_eq!(&row[6], &*inert(device));
                proptest::prop_assert_eq!(&row[7], &*inert(address));
            }
        }

        /// `inert` changes a value only by a leading `'`, and only when the
        /// value would start a formula.
        #[test]
        fn inert_only_prefixes_formulas(value in "\\PC{0,20}|[=+@\t\r-][^\n]{0,10}") {
            let made = inert(&value);
            let formula = matches!(value.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
            if formula {
                proptest::prop_assert_eq!(made.as_ref(), format!("'{value}"));
            } else {
                proptest::prop_assert_eq!(made.as_ref(), value.as_str());
            }
        }
    }
}
